"""Hostile physics checks (helper H14): requests a careless user or a reviewing physicist
makes, each pinned by a regression that failed before its fix.

The minimum-energy flight is the member of the family of trajectories through the target
with the least ground-relative burnout speed; every other member (lofted or depressed, by
flight-path angle) needs at least as much. That is a property of the family, so the checks
compare the solver's minimum-energy flight against other members of the same family flown by
the angle solver (each landing on the target to 10 m, asserted) — no figure of the code is
typed in as a reference.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from geocover.catalog import default_catalog
from geocover.cli.main import cli as main
from geocover.geodesy import destination, inverse
from geocover.trajectory import aim_missile

TABRIZ = (38.08, 46.292)  # catalog launch site 'tabriz' (lat, lon deg)


def _target(az_deg: float, dist_m: float) -> tuple[float, float]:
    lat, lon = destination(*TABRIZ, az_deg, dist_m)
    return float(lat), float(lon)


# (class, launch azimuth deg, ground range m, rotating Earth). The first case failed before:
# 300 km due east with the Earth's ~365 m/s at 38 N the least-speed member lies ~9 deg (inertial
# angle) from the solver's start, and two clipped parabolic steps stopped at 45.5 deg, 1,562.0
# m/s, while the depressed member at 40.5 deg flies with 1,552.1 m/s. The others were 0.3-1.1
# m/s over (rotating, one step clipped) and 0.5-0.7 m/s over (non-rotating: the free flight's
# minimum ignores that the boost's range changes with the angle).
CASES = [
    ("shahab-3", 90.0, 300e3, True),
    ("shahab-3", 270.0, 1200e3, True),
    ("sejjil-2", 90.0, 1900e3, True),
    ("shahab-3", 270.0, 1200e3, False),
    ("sejjil-2", 90.0, 1900e3, False),
]


@pytest.mark.parametrize("cls,az,dist,rot", CASES)
def test_min_energy_needs_no_more_speed_than_any_member(cls, az, dist, rot):
    m = default_catalog().missiles[cls]
    lat2, lon2 = _target(az, dist)
    me, ok = aim_missile(m, *TABRIZ, lat2, lon2, rotating=rot, errors="mask")
    assert ok[0]
    v_me, g_me = float(me.burnout_speed_mps[0]), float(me.flight_path_angle_deg[0])
    # The minimum lands on the target: the solver's 1 m tolerance x 10 (its reach test).
    assert float(inverse(float(me.impact_lat_deg[0]), float(me.impact_lon_deg[0]), lat2, lon2)[0]) < 10.0
    for dg in (-8.0, -5.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 5.0):
        g = g_me + dg
        mode = "lofted" if dg > 0 else "depressed"
        t, k = aim_missile(m, *TABRIZ, lat2, lon2, mode=mode, fpa_deg=g, rotating=rot, errors="mask")
        if not k[0]:
            continue
        assert float(inverse(float(t.impact_lat_deg[0]), float(t.impact_lon_deg[0]), lat2, lon2)[0]) < 10.0
        # 0.1 m/s: on the rotating Earth the minimum is sought on the closed-form member, whose
        # fixed point (3 passes, alternating with a factor ~ -0.3 per pass at 300 km) leaves
        # ~0.05 m/s of noise in each value of the final 0.25 deg parabolic step, where v(g)
        # changes by ~0.06 m/s: measured 0.07 m/s over the best member (40.4 vs 40.8 deg) at
        # 300 km east, 0.00 elsewhere. Before the fix the excess was 0.3-10 m/s.
        assert v_me <= float(t.burnout_speed_mps[0]) + 0.1, (g, float(t.burnout_speed_mps[0]), v_me)


def test_positions_of_unreachable_rows_raise_no_warning():
    """A threat set's class that cannot reach its target comes back as NaN rows; sampling it
    (engage third-site-2007 tabriz warsaw --mode depressed --apogee 300km) printed
    'RuntimeWarning: All-NaN slice encountered' from the Kepler solver on stderr."""
    m = default_catalog().missiles["shahab-3"]
    # Ankara (1,180 km, within reach): a depressed apogee of 30 km is below the feasible interval
    traj, ok = aim_missile(m, *TABRIZ, 39.933, 32.86, mode="depressed", apogee_m=30e3, errors="mask")
    assert not ok[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = traj.positions(np.array([[60.0, 300.0]]))
    assert np.all(~np.isfinite(s.altitude_m))


def test_apogee_without_unit_is_named_in_metres():
    """--apogee 300 is 300 m (no unit: metres); the infeasible-apogee message said
    'an apogee of 0 km'."""
    r = CliRunner().invoke(main, ["trajectory", "--from", "tabriz", "--to", "warsaw", "--missile", "irbm",
                                  "--mode", "depressed", "--apogee", "300"])
    assert r.exit_code == 2
    assert "an apogee of 300 m" in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("launch,dist_m", [(TABRIZ, 300e3), ((90.0, 0.0), 50e3), ((10.0, -180.0), 50e3)])
def test_short_range_depressed_interval_non_rotating_is_a_real_branch(launch, dist_m):
    """Shahab-3 300 km east of Tabriz, --no-rotation: every depressed member down to 0.5 deg
    needs less than the class's full speed, so the full-speed end of the branch does not
    exist; the solver took a full-speed flight that missed the target as the branch end, told
    the user the depressed apogees ran "from 79.4 to 351.3 km (flight-path angles
    40.71-40.71 deg)" and answered --apogee 200km with a SolverError. A depressed flight's
    apogee lies below the minimum-energy one (it is the lower branch), and a request inside
    the stated interval is flown to it. From the north pole and the antimeridian, 50 km: the
    branch ends where the boost alone overshoots (no speed below ~0.55 deg), and the bisection
    ended there on a full-speed flight: "13.3 to 100.1 km"."""
    m = default_catalog().missiles["shahab-3"]
    lat2, lon2 = (float(x) for x in destination(*launch, 90.0, dist_m))
    me, ok = aim_missile(m, *launch, lat2, lon2, rotating=False, errors="mask")
    t, k = aim_missile(m, *launch, lat2, lon2, mode="depressed", fpa_deg=10.0, rotating=False, errors="mask")
    assert ok[0] and k[0]
    lo, hi = t.apogee_bounds_m[0]
    # the upper end is the minimum-energy flight's apogee (the solver's 1 m landing tolerance
    # moves it by far less than 1 m), the lower end below it
    assert hi == pytest.approx(float(me.apogee_m[0]), abs=1.0)
    assert lo < hi
    assert t.fpa_bounds_deg[0][0] < t.fpa_bounds_deg[0][1] - 5.0
    a = 0.5 * (lo + hi)
    q, kq = aim_missile(m, *launch, lat2, lon2, mode="depressed", apogee_m=a, rotating=False, errors="mask")
    assert kq[0]
    # the rule: the returned apogee within 1 km of the request
    assert abs(float(q.apogee_m[0]) - a) < 1000.0
    assert float(inverse(float(q.impact_lat_deg[0]), float(q.impact_lon_deg[0]), lat2, lon2)[0]) < 10.0


def test_interval_ends_as_printed_are_feasible():
    """The infeasible-apogee message printed the interval rounded to nearest ('from 201.8 to
    592.1 km' for a true 201.825-592.106 km, as the aim then solved it), so --apogee 201.8km, a request at the printed
    end, was refused with 'an apogee of 202 km'. The ends are now rounded inwards; a request
    at each printed end is flown, within the issue's 1 km."""
    import re

    from geocover.errors import InputError

    m = default_catalog().missiles["irbm"]
    lat2, lon2 = 52.23, 21.012  # Warsaw (catalog)
    with pytest.raises(InputError) as err:
        aim_missile(m, *TABRIZ, lat2, lon2, mode="depressed", apogee_m=150e3)
    lo_km, hi_km = (float(x.replace(",", "")) for x in
                    re.search(r"apogees from ([\d,.]+) to ([\d,.]+) km", str(err.value)).groups())
    for want_km in (lo_km, hi_km):
        t, ok = aim_missile(m, *TABRIZ, lat2, lon2, mode="depressed", apogee_m=want_km * 1e3)
        assert ok[0] and abs(float(t.apogee_m[0]) - want_km * 1e3) < 1000.0
    # 201.8 km is 25 m below the true end: refused, and named as typed (not "202 km")
    with pytest.raises(InputError, match=r"an apogee of 201\.8 km"):
        aim_missile(m, *TABRIZ, lat2, lon2, mode="depressed", apogee_m=201.8e3)


def test_lofted_apogee_beyond_the_fold_of_the_angle_family():
    """IRBM 100 km east of Tabriz, rotating Earth: the lofted interval reaches 2,697 km (the
    member at the class's full 5,801 m/s, at 87.32 deg), but ground-relative angles fold back
    at ~87.5 deg (87.30 deg is flown both at 3,890 m/s, 984 km apogee, and near full speed),
    so --apogee 1500km made the angle root stop at the fold: 'the lofted solver returned an
    apogee of 1,001.656 km for a requested 1,500.000 km'. Past the fold the member is found
    by its speed; the request is met (the issue's 1 km), on the target, within the class."""
    m = default_catalog().missiles["irbm"]
    lat2, lon2 = _target(90.0, 100e3)
    speeds = []
    for want in (900e3, 1500e3, 2500e3):
        t, ok = aim_missile(m, *TABRIZ, lat2, lon2, mode="lofted", apogee_m=want)
        assert ok[0]
        assert abs(float(t.apogee_m[0]) - want) < 1000.0
        assert float(inverse(float(t.impact_lat_deg[0]), float(t.impact_lon_deg[0]), lat2, lon2)[0]) < 10.0
        speeds.append(float(t.burnout_speed_mps[0]))
    # a higher lofted apogee to the same target needs more speed (energy), all within the
    # class's full burnout speed (5,801 m/s: the irbm's 5,500 km minimum-energy range)
    assert speeds == sorted(speeds) and speeds[-1] <= 5801.0 * (1 + 1e-6)
