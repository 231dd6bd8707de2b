"""``Trajectory.positions``: the numba kernel (``_kernels.positions``) and the numpy path.

* a point's position does not depend on the other points or flights computed with it (each
  point's Newton iteration for Kepler's equation stops at its own convergence): a (flight, time)
  computed alone equals, to the bit, the same pair inside a shuffled batch, on both paths;
* the numba kernel and the numpy path (``GEOCOVER_NO_NUMBA=1``) agree to the bit (they run the
  same float64 arithmetic: ``_kernels``'s "Trajectory.positions" section);
* the written-out sine, cosine and arctangent agree with libm's; free-flight positions agree with an
  independent two-body integration (scipy's DOP853) from the burnout state.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from geocover import _kernels
from geocover.trajectory import fly

# Constants typed here, not imported from the code under test (PHYSICS.md):
MU = 398_600.4418e9  # m^3/s^2, Earth's gravitational parameter
R = 6_371_000.0  # m, the model's spherical Earth

FIELDS = ("t_s", "lat_deg", "lon_deg", "altitude_m", "boosting")


def _flights():
    """Burnout states on both sides of the climb slope q = 3 (the cubic and the power-law
    climb, tests/test_trajectory_profiles.py), eccentricities 0.28-0.97, across the
    antimeridian, and one that escapes (hyperbolic: no impact, NaN positions)."""
    return fly([38.0, 10.0, -20.0, 50.0, 0.0], [46.0, 179.0, -179.0, 0.0, 0.0], [300.0, 80.0, 200.0, 10.0, 90.0],
               [4000.0, 7000.0, 2000.0, 6500.0, 12000.0], [40.0, 60.0, 10.0, 75.0, 45.0], burn_time_s=120,
               burnout_altitude_m=150e3, validate=False)


def _times(traj, m: int, seed: int) -> np.ndarray:
    """(n, m) times from before launch to after impact: the boost, burnout exactly, the free
    flight, impact exactly."""
    rng = np.random.default_rng(seed)
    tof = np.nan_to_num(traj.flight_time_s, nan=3000.0)
    t = rng.uniform(-0.01, 1.01, (traj.size, m)) * tof[:, None]
    t[:, 0], t[:, 1], t[:, 2], t[:, 3] = -5.0, 0.0, 120.0, tof
    t[:, 4:10] = rng.uniform(0.0, 120.0, (traj.size, 6))  # in the boost
    return t


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k), equal_nan=True) for k in FIELDS)


@pytest.mark.skipif(not _kernels.HAVE_NUMBA, reason="numba not installed")
def test_numba_and_numpy_agree_to_the_bit(monkeypatch):
    traj = _flights()
    t = _times(traj, 200, 1)
    monkeypatch.delenv("GEOCOVER_NO_NUMBA", raising=False)
    a = traj.positions(t)
    monkeypatch.setenv("GEOCOVER_NO_NUMBA", "1")
    b = traj.positions(t)
    # the same IEEE float64 operations in the same order on both paths (no libm call inside):
    # equal to the bit, NaN where the flight escapes
    assert _same(a, b)
    assert np.isnan(a.lat_deg[4]).all() and np.isfinite(a.lat_deg[:4]).all()
    assert a.boosting[:4, 4:10].all() and (a.boosting[:4, 2:4] == False).all()  # noqa: E712
    # the rotating and the non-rotating Earth
    flat = fly([38.0, 10.0], [46.0, 179.0], [300.0, 80.0], [4000.0, 7000.0], [40.0, 60.0], burn_time_s=120,
               burnout_altitude_m=150e3, rotating=False)
    t2 = _times(flat, 50, 2)
    b = flat.positions(t2)
    monkeypatch.delenv("GEOCOVER_NO_NUMBA", raising=False)
    assert _same(flat.positions(t2), b)


@pytest.mark.parametrize("numpy_path", [False, True])
def test_a_point_alone_equals_the_same_point_in_a_shuffled_batch(monkeypatch, numpy_path):
    if numpy_path:
        monkeypatch.setenv("GEOCOVER_NO_NUMBA", "1")
    else:
        if not _kernels.HAVE_NUMBA:
            pytest.skip("numba not installed")
        monkeypatch.delenv("GEOCOVER_NO_NUMBA", raising=False)
    traj = _flights()
    t = _times(traj, 12, 3)
    rows, cols = np.meshgrid(np.arange(traj.size), np.arange(t.shape[1]), indexing="ij")
    rows, cols = rows.ravel(), cols.ravel()
    order = np.random.default_rng(4).permutation(rows.size)
    # one (flight, time) per row, shuffled: as the refinement calls it (sampling._positions_at)
    batch = traj.subset(rows[order]).positions(t[rows[order], cols[order]][:, None])
    # the same rows picked by positions(rows=) (sampling's refinement: no gathered subset)
    picked = traj.positions(t[rows[order], cols[order]][:, None], rows=rows[order])
    # and the whole (n, m) block at once
    block = traj.positions(t)
    for k, (i, j) in enumerate(zip(rows[order], cols[order], strict=True)):
        alone = traj.subset(np.array([i])).positions(np.array([[t[i, j]]]))
        for name in FIELDS:
            x = getattr(alone, name)[0, 0]
            assert np.array_equal(x, getattr(batch, name)[k, 0], equal_nan=True), (i, j, name)
            assert np.array_equal(x, getattr(picked, name)[k, 0], equal_nan=True), (i, j, name)
            assert np.array_equal(x, getattr(block, name)[i, j], equal_nan=True), (i, j, name)


def test_written_out_sine_and_cosine_match_libm():
    x = np.concatenate([np.linspace(-8.0, 8.0, 20_001), np.random.default_rng(5).uniform(-20.0, 20.0, 20_000),
                        [0.0, math.pi / 4, math.pi / 2, math.pi, 2 * math.pi]])
    s, c = _kernels.POS_NUMPY["_pos_sincos"](x)
    ref_s = np.array([math.sin(v) for v in x])
    ref_c = np.array([math.cos(v) for v in x])
    # libm is correctly rounded to < 1 ulp; the written-out one: the reduction by k pi/2 with a
    # 33 + 53-bit pi/2 (error k * 2^-86), then a Horner series on |r| <= pi/4 (a few roundings
    # of values <= 1): within 4e-16 absolute for |x| <= 20
    assert np.max(np.abs(s - ref_s)) < 4e-16
    assert np.max(np.abs(c - ref_c)) < 4e-16


def test_written_out_arctangent_matches_libm():
    rng = np.random.default_rng(6)
    ang = rng.uniform(-math.pi, math.pi, 40_000)
    r = 10.0 ** rng.uniform(-3.0, 7.0, ang.size)
    # every octant, the axes, the diagonals, tiny and huge radii
    y = np.concatenate([r * np.sin(ang), [0.0, 1.0, -1.0, 1.0, 0.0, 1e-300, 3.0, 3.0, -3.0, 7e6]])
    x = np.concatenate([r * np.cos(ang), [1.0, 0.0, 0.0, 1.0, -1.0, 1.0, 3.0, -3.0, -3.0, 1e-3]])
    ref = np.array([math.atan2(b, a) for b, a in zip(y, x, strict=True)])
    # libm's atan2 is within 1 ulp; the written-out one: a few roundings of values <= pi
    # (the octant steps pi/2 - a, pi - a round at 2^-52 pi / 2): within 9e-16 rad
    assert np.max(np.abs(_kernels.POS_NUMPY["_pos_atan2"](y, x) - ref)) < 9e-16


def test_free_flight_matches_a_two_body_integration():
    # A non-rotating Earth, burnout on the surface at launch (no boost): the inertial state is
    # known in closed form and integrated independently of geocover's conic code.
    lat, lon, az, v, g = 38.0, 46.0, 300.0, 4000.0, 40.0
    traj = fly(lat, lon, az, v, g, rotating=False)
    tof = traj.flight_time_s[0]
    t = np.linspace(0.0, tof, 9)
    la, lo, a, g_r = map(math.radians, (lat, lon, az, g))
    up = np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
    east = np.array([-math.sin(lo), math.cos(lo), 0.0])
    north = np.cross(up, east)
    vel = v * (math.cos(g_r) * (math.sin(a) * east + math.cos(a) * north) + math.sin(g_r) * up)

    def two_body(_, y):
        r = y[:3]
        return np.concatenate([y[3:], -MU * r / np.linalg.norm(r) ** 3])

    sol = solve_ivp(two_body, (0.0, tof), np.concatenate([R * up, vel]), method="DOP853", t_eval=t,
                    rtol=1e-12, atol=1e-6)
    r = sol.y[:3].T
    p = traj.positions(t[None, :])
    rad = np.linalg.norm(r, axis=1)
    lat_ref = np.degrees(np.arcsin(r[:, 2] / rad))
    lon_ref = np.degrees(np.arctan2(r[:, 1], r[:, 0]))
    # DOP853 at rtol 1e-12 over < 1000 s: a few mm; 1e-7 deg is ~1 cm on the ground
    assert np.max(np.abs(p.lat_deg[0] - lat_ref)) < 1e-7
    assert np.max(np.abs(p.lon_deg[0] - lon_ref)) < 1e-7
    assert np.max(np.abs(p.altitude_m[0] - np.maximum(rad - R, 0.0))) < 0.01
