"""The fast paths (numba kernels, interpolated terrain rays) against their references.

References: the numpy path of the same arithmetic (``GEOCOVER_NO_NUMBA=1``, the fallback
when numba is missing) and, for terrain rays, pyproj's geodesic (Karney 2013) at every
sample, which the mask used before rays were interpolated between nodes.
"""

from __future__ import annotations

import numpy as np
import pytest

import geocover
from geocover import _kernels
from geocover import terrain as T
from geocover.geodesy import GEOD

needs_numba = pytest.mark.skipif(not _kernels.HAVE_NUMBA, reason="numba not installed")


@pytest.fixture
def numpy_path(monkeypatch):
    """Run a block with the numba kernels switched off (the documented switch)."""

    class Switch:
        def __enter__(self):
            monkeypatch.setenv("GEOCOVER_NO_NUMBA", "1")

        def __exit__(self, *exc):
            monkeypatch.delenv("GEOCOVER_NO_NUMBA")

    return Switch()


@pytest.mark.parametrize(("lat0", "lon0", "az_step"), [
    (38.33, 37.90, 0.1),    # Kürecik, the default 0.1 deg mask: azimuths interpolated between 1 deg nodes
    (69.3, 16.1, 0.1),      # Arctic Norway: rays converge, longitudes move fast
    (76.5, -68.7, 0.1),     # Thule: rays reach 79.2 N, the highest interpolated
    (-12.0, 179.8, 2.0),    # across the antimeridian; every ray is a node ray
])
def test_interpolated_rays_within_millimetres_of_geodesics(lat0, lon0, az_step):
    # positions every 1 km to 300 km: each against pyproj's geodesic at the same distance
    d = 1000.0 * np.arange(1, 301)
    n_az = round(360.0 / az_step)
    lat, lon = T._ray_positions(lat0, lon0, n_az, az_step, d)
    lat_x, lon_x = T._exact_rays(lat0, lon0, az_step * np.arange(n_az), d)
    _, _, err_m = GEOD.inv(lon, lat, lon_x, lat_x)
    # 5 mm: cubic Hermite over 20 km and cubic Lagrange over 1 deg of azimuth err by
    # O(h^4 f''''): ~0.8 mm at 38 N, growing towards the pole (2.8 mm at Thule's 79 N, when
    # measured); 5 mm is 1e-6 of a 2' GLOBE cell (~3.7 km): the sampled heights cannot change
    assert np.max(np.abs(err_m)) < 5e-3
    assert np.all((lon >= -180.0) & (lon < 180.0))


def test_rays_near_a_pole_are_exact():
    # rays that may reach 80 deg latitude: per-sample geodesics (latitude is not smooth along a
    # ray over a pole, and longitude moves ever faster)
    d = 5000.0 * np.arange(1, 41)
    assert not T._interpolated(78.5, d)
    assert T._interpolated(78.0, d)
    lat, lon = T._ray_positions(88.5, 10.0, 72, 5.0, d)
    lat_x, lon_x = T._exact_rays(88.5, 10.0, 5.0 * np.arange(72), d)
    np.testing.assert_array_equal(lat, lat_x)


@needs_numba
@pytest.mark.parametrize(("site", "kw"), [
    ((38.33, 37.90, 2090.0), {}),  # Kürecik: the default mask, every ray inside the 2' GLOBE window
    # near the GLOBE window's north edge (50 N): northern rays leave it and are redone through the stack
    ((49.6, 20.0, 900.0), {"azimuth_step_deg": 1.0, "max_distance_m": 150_000.0}),
])
def test_mask_numba_identical_to_numpy(site, kw, numpy_path):
    fast = T.terrain_mask(*site, cache=False, **kw)
    with numpy_path:
        ref = T.terrain_mask(*site, cache=False, **kw)
    np.testing.assert_array_equal(fast.distances_m, ref.distances_m)
    # same arithmetic in the same order: equal float32 elevations (the kernel skips atan2 where
    # tan E does not grow, which cannot change a running maximum of a monotone function)
    np.testing.assert_array_equal(fast.elevation_deg, ref.elevation_deg)


def test_mask_from_interpolated_rays_matches_per_sample_geodesics():
    # the mask as computed before the interpolation (pyproj position at every sample) and now
    lat0, lon0, h_ant = 38.33, 37.90, 2090.0
    stack = T.DemStack.bundled()
    mask = T.terrain_mask(lat0, lon0, h_ant, dem=stack, cache=False, azimuth_step_deg=0.5)
    d = mask.distances_m
    lat_x, lon_x = T._exact_rays(lat0, lon0, 0.5 * np.arange(720), d)
    ref = T._mask_from_positions(lat_x, lon_x, d, h_ant, stack, float(T.geoid_undulation(lat0, lon0)),
                                 geocover.effective_earth_radius("4/3"))
    # positions within 5 mm move a bilinear height by < 5 mm x the steepest slope (< 1) and the
    # elevation at >= 1 km by < 5e-6 rad = 3e-4 deg; float32 rounding of ~1 deg values is 6e-8
    assert np.max(np.abs(mask.elevation_deg - ref)) < 3e-4


@needs_numba
def test_dem_bilinear_numba_identical_to_numpy(numpy_path):
    rng = np.random.default_rng(1)
    lat = rng.uniform(-89.9, 89.9, 20_000)
    lon = rng.uniform(-200.0, 200.0, 20_000)  # outside [-180, 180) too: the wrapping code
    stack = T.DemStack.bundled()
    for src in stack.sources:  # a window (GLOBE), a regional grid and the global wrapping grid
        fast = src.sample(lat, lon)
        with numpy_path:
            ref = src.sample(lat, lon)
        np.testing.assert_array_equal(fast, ref)
    assert np.isnan(stack.sources[0].sample(lat, lon)).any()  # points outside the window: NaN


@needs_numba
def test_visible_fast_numba_identical_to_numpy(numpy_path):
    # the engine's bulk visibility on real trajectory samples (the CRPL default model, whose
    # elevation correction runs in a numba kernel): the same float64 operations, so the same values
    from geocover.fastgeo import PointSet
    from geocover.footprint import Architecture
    from geocover.scenario import load_scenario
    from geocover.trajectory import aim_missile

    sc = load_scenario("epaa-phase3-2018")
    arch = Architecture(sc)
    site = sc.catalog.launch_site("tabriz")
    rng = np.random.default_rng(3)
    traj, _ = aim_missile(sc.missile, site.lat_deg, site.lon_deg, rng.uniform(35, 75, 300),
                          rng.uniform(-5, 45, 300), errors="mask")
    smp = traj.sample(sc.samples)
    pts = PointSet(smp.lat_deg, smp.lon_deg)
    for rid, view in arch.views.items():
        assert view.crpl is not None, rid  # the default model is the ray-traced one
        s, _ = pts.distance_azimuth(view.radar.lat_deg, view.radar.lon_deg, dtype=np.float32)
        h = np.asarray(smp.altitude_m, np.float32)
        fast_corr = view._crpl_correction_f32(s, h)
        fast = view.visible_fast(smp.lat_deg, smp.lon_deg, smp.altitude_m, smp.rcs_m2, points=pts)
        with numpy_path:
            ref_corr = view._crpl_correction_f32(s, h)
            ref = view.visible_fast(smp.lat_deg, smp.lon_deg, smp.altitude_m, smp.rcs_m2, points=pts)
        np.testing.assert_array_equal(fast_corr, ref_corr)
        np.testing.assert_array_equal(fast, ref)
        assert 0 < fast.mean() < 1, rid  # both verdicts occur: the comparison can fail


def test_visible_fast_memory_order_and_exact_agreement():
    # trajectory samples come Fortran-ordered (sample-major kernels): the range-first subset
    # must land on the right points whatever the order, and agree with the exact test
    from geocover.fastgeo import PointSet
    from geocover.footprint import Architecture
    from geocover.scenario import load_scenario
    from geocover.trajectory import aim_missile

    sc = load_scenario("epaa-phase3-2018")
    arch = Architecture(sc)
    site = sc.catalog.launch_site("tabriz")
    rng = np.random.default_rng(5)
    traj, ok = aim_missile(sc.missile, site.lat_deg, site.lon_deg, rng.uniform(35, 60, 300),
                           rng.uniform(10, 45, 300), errors="mask")
    smp = traj.sample(sc.samples)
    arrays = [smp.lat_deg[ok], smp.lon_deg[ok], smp.altitude_m[ok], smp.rcs_m2[ok]]
    f_order = [np.asfortranarray(a) for a in arrays]
    c_order = [np.ascontiguousarray(a) for a in arrays]
    for rid, view in arch.views.items():
        vf = view.visible_fast(*f_order, points=PointSet(f_order[0], f_order[1]))
        vc = view.visible_fast(*c_order)
        np.testing.assert_array_equal(vf, vc)
        exact = view.visibility(c_order[0], c_order[1], c_order[2], rcs_m2=c_order[3]).visible
        assert 0 < exact.sum() < exact.size, rid  # both verdicts occur
        # the bulk approximations (ground range ~20 m, azimuth ~0.2 deg, no geoid at the point,
        # osculating-sphere slant range) move only points within that of a boundary: the
        # README's "> 99.99 %" is over a whole footprint; these 24,000 points allow 0.1 %
        assert np.mean(vc == exact) > 0.999, (rid, np.mean(vc == exact))


@needs_numba
def test_track_runs_numba_identical_to_numpy(numpy_path):
    # the track rule's one-pass kernel against its numpy reference (run starts, a running
    # maximum with NaN propagation, the min_track_s comparison): booleans and sample times, so
    # identical. Real visibility of the engine's samples plus a synthetic block with NaN times
    # (unreachable flights) and runs that start at the first sample.
    from geocover.footprint import Architecture
    from geocover.scenario import load_scenario
    from geocover.tracking import track_runs
    from geocover.trajectory import aim_missile

    sc = load_scenario("epaa-phase3-2018")
    arch = Architecture(sc, refine=False)
    site = sc.catalog.launch_site("tabriz")
    rng = np.random.default_rng(7)
    traj, _ = aim_missile(sc.missile, site.lat_deg, site.lon_deg, rng.uniform(35, 75, 200),
                          rng.uniform(-5, 45, 200), errors="mask")
    ft = arch.track(traj)
    t = np.cumsum(rng.uniform(0.5, 20.0, (300, 90)), axis=1)
    t[3, 40:] = np.nan
    t[4] = np.nan
    seen = rng.random((300, 90)) < 0.7
    seen[:, 0] = True
    cases = [(ft.tracks.t_s, v) for v in ft.tracks.visible.values()] + [(t, seen)]
    for tt, vv in cases:
        for min_track_s in (0.0, sc.min_track_s, 40.0):
            fast = track_runs(tt, vv, min_track_s)
            with numpy_path:
                ref = track_runs(tt, vv, min_track_s)
            np.testing.assert_array_equal(fast[0], ref[0])
            np.testing.assert_array_equal(fast[1], ref[1])
    assert any(0 < v.mean() < 1 for v in ft.tracks.in_track.values())  # tracks occur: the test can fail


def test_vector_helpers_identical_to_numpy():
    # geocover.trajectory writes 3-vector products out by component to skip numpy's per-call
    # overhead; the reference is numpy itself (np.cross, np.sum(a * b, axis=-1),
    # np.linalg.norm(a, axis=-1)) on the same inputs, to the bit, NaN and infinities included
    from geocover import trajectory as tr

    rng = np.random.default_rng(13)
    a = rng.standard_normal((20_000, 3)) * np.exp(rng.uniform(-30, 30, (20_000, 3)))
    b = rng.standard_normal((20_000, 3)) * np.exp(rng.uniform(-30, 30, (20_000, 3)))
    a[:5] = [[np.nan, 1, 2], [np.inf, 0, 1], [0, 0, 0], [-0.0, 0, 1], [1e-300, 1e300, -1]]
    with np.errstate(over="ignore", invalid="ignore"):  # products of 1e300 overflow in both
        np.testing.assert_array_equal(tr._cross(a, b), np.cross(a, b))
        np.testing.assert_array_equal(tr._cross_z(b), np.cross(tr._Z, b))
        np.testing.assert_array_equal(tr._dot(a, b), np.sum(a * b, axis=-1))
        np.testing.assert_array_equal(tr._norm(a), np.linalg.norm(a, axis=-1))
        c = a.reshape(200, 100, 3)  # (flights, samples, 3), as Trajectory.positions uses it
        np.testing.assert_array_equal(tr._norm(c), np.linalg.norm(c, axis=-1))
    lat, lon = rng.uniform(-90, 90, 5000), rng.uniform(-180, 180, 5000)
    u = tr._unit(lat, lon)
    ref = np.stack([np.cos(np.radians(lat)) * np.cos(np.radians(lon)),
                    np.cos(np.radians(lat)) * np.sin(np.radians(lon)), np.sin(np.radians(lat))], axis=-1)
    np.testing.assert_array_equal(u, ref)
