"""The minimum-energy flight on the rotating Earth is the member of the family through the
target with the least ground-relative burnout speed (the speed a class's motor gives, which
``burnout_speed_mps`` limits), checked against an independent minimisation over the
burnout flight-path angle.

The reference uses no geocover code: the documented boost (a great circle along the launch
azimuth to ground range s_b = v cos(gamma) t_b R / (3 (R + h_b)) at altitude h_b, with
energy management t_b f, h_b f^2, f = v / v_full; README "Trajectories"), then the two-body
equations of motion integrated with scipy's DOP853 from the burnout state (inertial velocity
= ground-relative velocity + omega x r) to the surface, the impact turned back by omega * t.
For each ground-relative flight-path angle gamma, scipy's ``root`` solves launch azimuth and
speed so that the impact is the target; ``minimize_scalar`` (bounded Brent) finds the gamma
of least speed.

Before the fix geocover flew the angle of the *inertial* minimum-energy conic and needed
1.1 m/s (Tehran-Washington) to 21 m/s (Tehran-New Delhi) more than this minimum.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference_flight import MU, R, east_north, impact, unit_vector
from scipy.optimize import minimize_scalar, root

from geocover.trajectory import aim

# Constants typed here (and in tests/reference_flight.py), not imported from the code under test:

# Classes (data/catalog/missiles.toml): full burn time (s), full burnout altitude (m), and the
# full burnout speed (m/s) that geocover derives from the class's nominal range (non-rotating
# minimum energy). That speed is only an input here (it scales the managed burn), fed
# identically to both computations.
CLASSES = {
    "shahab-3": (110.0, 100_000.0, 3_138.6857),
    "sejjil-2": (120.0, 120_000.0, 3_845.5718),
    "irbm": (150.0, 180_000.0, 5_801.0297),
    "icbm": (180.0, 220_000.0, 7_227.1573),
}
# (lat, lon) deg: launch areas and targets from data/catalog/*.geojson; Beijing and New Delhi
# (not in the catalog): city centres, for two eastward flights.
PLACES = {
    "tabriz": (38.080, 46.292), "tehran": (35.689, 51.389), "athens": (37.984, 23.728),
    "london": (51.507, -0.128), "washington": (38.907, -77.037), "ankara": (39.933, 32.860),
    "beijing": (39.904, 116.407), "new-delhi": (28.614, 77.209),
}
CASES = [  # westward: Athens, London, Washington, Ankara; eastward: Beijing, New Delhi
    ("tabriz", "athens", "sejjil-2"), ("tabriz", "london", "irbm"), ("tehran", "washington", "icbm"),
    ("tehran", "beijing", "icbm"), ("tehran", "new-delhi", "sejjil-2"), ("tabriz", "ankara", "shahab-3"),
]


def _impact(launch, az_deg, v, g_deg, cls):
    """Earth-fixed unit vector of the impact of the ground-relative burnout state (v, gamma)
    (tests/reference_flight.py, this file's tolerances)."""
    return impact(launch, az_deg, v, g_deg, cls, t_max_s=2e4, rtol=1e-11, atol=1e-4)[0]


def _speed_at(launch, target, g_deg, cls):
    """Ground-relative burnout speed (m/s) of the member through the target at angle gamma."""
    u1, ut = unit_vector(*launch), unit_vector(*target)
    e1, n1 = east_north(u1)
    e_t, n_t = east_north(ut)
    tang = ut - (ut @ u1) * u1
    psi = np.arccos(np.clip(u1 @ ut, -1, 1))
    s = np.sin(psi / 2)  # start: PHYSICS.md's non-rotating minimum-energy speed over psi
    x0 = [np.degrees(np.arctan2(tang @ e1, tang @ n1)), np.sqrt(MU / R * 2 * s / (1 + s)) / 1000.0]

    def miss_km(x):
        d = (_impact(launch, x[0], x[1] * 1000.0, g_deg, cls) - ut) * R / 1000.0
        return [d @ e_t, d @ n_t]

    sol = root(miss_km, x0, method="hybr", options={"xtol": 1e-12})
    assert np.hypot(*miss_km(sol.x)) * 1000.0 < 1.0  # the reference lands within 1 m
    return sol.x[1] * 1000.0


@pytest.mark.parametrize(("launch", "target", "cls"), CASES)
def test_min_energy_is_least_ground_relative_speed(launch, target, cls):
    la, ta, spec = PLACES[launch], PLACES[target], CLASSES[cls]
    traj, ok = aim(*la, *ta, burn_time_s=spec[0], burnout_altitude_m=spec[1], full_speed_mps=spec[2])
    assert ok[0]
    g, v = float(traj.flight_path_angle_deg[0]), float(traj.burnout_speed_mps[0])
    # geocover's flight is what the reference flies at that angle (same member): 0.01 m/s
    # admits the two solvers' landing tolerances (1 m each; dv/drange is ~1 m/s per km)
    assert _speed_at(la, ta, g, spec) == pytest.approx(v, abs=0.01)
    best = minimize_scalar(lambda x: _speed_at(la, ta, x, spec), bounds=(g - 6.0, g + 6.0), method="bounded",
                           options={"xatol": 0.02})
    # the reference minimum (angle to 0.02 deg: its speed to ~1e-3 m/s, as v(gamma) curves by
    # ~2 m/s per deg^2 here) vs geocover: 0.05 m/s admits an angle ~0.2 deg off the flat
    # minimum (measured: <= 0.002 m/s, <= 0.05 deg); the old bias was 1.1-21 m/s
    assert v == pytest.approx(best.fun, abs=0.05)
    assert v <= best.fun + 0.05
    # and no neighbour two degrees either side needs less
    for dg in (-2.0, 2.0):
        assert v < _speed_at(la, ta, g + dg, spec)
