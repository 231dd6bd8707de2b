"""The fused numba visibility kernel (``RadarView.visible_fast`` with numba) against the numpy
path it replaces (``GEOCOVER_NO_NUMBA=1``, the fallback and the reference).

Both paths do the same float32 operations in the same order; they differ only in the float32
``sin`` and ``atan2`` routines (numba calls libm, numpy its own SIMD ones, up to an ulp apart),
so the verdicts may differ only for a point that sits on a limit to within that rounding: the
tolerance checked here is that every differing point changes the numpy verdict itself when
moved by 1 m (altitude, or 1e-5 deg ~ 1 m of latitude or longitude). Float32 keeps the ground
range to ~0.1 m at 1,500 km and the azimuth and elevation to ~1e-5 deg, so 1 m admits a few
ulps and nothing a footprint could notice (its cells are 0.1 deg, ~10 km).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from geocover import _kernels
from geocover.fastgeo import PointSet
from geocover.radar import RadarView
from geocover.scenario import load_scenario

pytestmark = pytest.mark.skipif(not _kernels.HAVE_NUMBA, reason="numba not installed")


def _numpy_path(monkeypatch, view, lat, lon, h, rcs):
    with monkeypatch.context() as m:
        m.setenv("GEOCOVER_NO_NUMBA", "1")
        return view.visible_fast(lat, lon, h, rcs)


def _on_boundary(monkeypatch, view, lat, lon, h, rcs):
    """Points whose numpy verdict changes when moved by ~1 m."""
    base = _numpy_path(monkeypatch, view, lat, lon, h, rcs)
    moved = np.zeros(lat.shape, bool)
    for dlat, dlon, dh in ((1e-5, 0, 0), (-1e-5, 0, 0), (0, 1e-5, 0), (0, -1e-5, 0), (0, 0, 1.0), (0, 0, -1.0)):
        moved |= _numpy_path(monkeypatch, view, lat + dlat, lon + dlon, h + dh, rcs) != base
    return moved


def _boundary_points(monkeypatch, view, lat, lon, rcs, lo_m, hi_m):
    """At each (lat, lon), the altitudes (m) where the numpy verdict changes first and last
    on the way from lo_m up to hi_m (a scan of 31 altitudes, then bisection down to float32
    resolution): the lower edge (horizon, elevation) and the upper one (range), the most
    sensitive points there are."""
    grid = np.linspace(lo_m, hi_m, 31)
    v = np.stack([_numpy_path(monkeypatch, view, lat, lon, np.full(lat.shape, g), rcs) for g in grid])
    change = v[1:] != v[:-1]  # (30, n)
    has = change.any(axis=0)
    first = np.argmax(change, axis=0)
    last = change.shape[0] - 1 - np.argmax(change[::-1], axis=0)
    k = np.concatenate([first[has], last[has]])
    lat, lon = np.tile(lat[has], 2), np.tile(lon[has], 2)
    rcs = np.tile(rcs[has], 2) if np.ndim(rcs) else rcs
    lo, hi = grid[k], grid[k + 1]
    v_lo = _numpy_path(monkeypatch, view, lat, lon, lo, rcs)
    for _ in range(32):  # (1.5e6 / 30) m / 2^32: below float32's resolution of the altitude
        mid = 0.5 * (lo + hi)
        same = _numpy_path(monkeypatch, view, lat, lon, mid, rcs) == v_lo
        lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
    return lat, lon, lo, rcs


@pytest.mark.parametrize("rid", ["kurecik", "deveselu"])
def test_fused_visibility_equals_numpy_path(monkeypatch, rid):
    sc = load_scenario("epaa-phase3-2018")  # CRPL refraction (the default); Kurecik has a 120 deg sector
    view = RadarView(sc.radars[rid])
    assert view.crpl is not None and view.mask is None  # the fused kernel's case
    rng = np.random.default_rng(11)
    n = 4000
    r = sc.radars[rid]
    lat = r.lat_deg + rng.uniform(-15.0, 15.0, n)
    lon = r.lon_deg + rng.uniform(-20.0, 20.0, n)
    h = rng.uniform(-50.0, 1.5e6, n)
    rcs = rng.uniform(1e-3, 1.0, n)
    checked = 0
    for rcs_arg in (None, 0.05, rcs):
        fused = view.visible_fast(lat, lon, h, rcs_arg)
        ref = _numpy_path(monkeypatch, view, lat, lon, h, rcs_arg)
        assert fused.dtype == bool and fused.shape == ref.shape
        assert ref.any() and (~ref).any()  # the sample straddles the coverage edge
        diff = fused != ref
        assert not diff.any() or _on_boundary(monkeypatch, view, lat[diff], lon[diff], h[diff],
                                              rcs[diff] if rcs_arg is rcs else rcs_arg).all()
        checked += n
    # points exactly on the coverage edge (horizon / elevation below, range above), the
    # worst case for rounding (measured: ~30 % of them differ, an ulp of atan2 is enough),
    # each within 1 m of the edge
    span = view.max_range_m / 111e3  # deg: points within about the radar's reach
    b_lat, b_lon, b_h, b_rcs = _boundary_points(monkeypatch, view, r.lat_deg + rng.uniform(-span, span, 400),
                                                r.lon_deg + rng.uniform(-span, span, 400) * 1.3, rcs[:400],
                                                0.0, 1.5e6)
    assert b_lat.size > 50
    fused = view.visible_fast(b_lat, b_lon, b_h, b_rcs)
    ref = _numpy_path(monkeypatch, view, b_lat, b_lon, b_h, b_rcs)
    diff = fused != ref
    assert not diff.any() or _on_boundary(monkeypatch, view, b_lat[diff], b_lon[diff], b_h[diff], b_rcs[diff]).all()
    # shared trigonometry (points=) and a 2-D (flights x samples) layout give the same verdicts
    pts = PointSet(lat.reshape(40, 100), lon.reshape(40, 100))
    two_d = view.visible_fast(lat.reshape(40, 100), lon.reshape(40, 100), h.reshape(40, 100),
                              rcs.reshape(40, 100), points=pts)
    np.testing.assert_array_equal(two_d.ravel(), view.visible_fast(lat, lon, h, rcs))


def test_fused_visibility_four_thirds_and_broadcast_fallback(monkeypatch):
    # the effective-radius model goes through the same kernel without the CRPL correction;
    # inputs whose shape is not the points' (one point set, several heights) take the numpy path
    sc = load_scenario("epaa-phase3-2018")
    view = RadarView(sc.radars["kurecik"], model="4/3")
    rng = np.random.default_rng(5)
    lat = 38.0 + rng.uniform(-12.0, 12.0, 3000)
    lon = 37.0 + rng.uniform(-15.0, 15.0, 3000)
    h = rng.uniform(0.0, 1.0e6, 3000)
    fused = view.visible_fast(lat, lon, h)
    ref = _numpy_path(monkeypatch, view, lat, lon, h, None)
    diff = fused != ref
    assert ref.any() and (~ref).any()
    assert not diff.any() or _on_boundary(monkeypatch, view, lat[diff], lon[diff], h[diff], None).all()
    col = view.visible_fast(lat[:, None], lon[:, None], np.array([[1e4, 3e5, 9e5]]))
    assert col.shape == (3000, 3)
    np.testing.assert_array_equal(col, _numpy_path(monkeypatch, view, lat[:, None], lon[:, None],
                                                   np.array([[1e4, 3e5, 9e5]]), None))


def test_pointset_subset_and_distance_shortcuts_are_exact():
    # PointSet.subset with a full-shape boolean mask gathers by flat positions (faster than
    # boolean indexing): the same elements in the same order as a[mask], for C- and
    # Fortran-ordered points; PointSet.distance is distance_azimuth's distance without the
    # azimuth: the same values, both dtypes.
    rng = np.random.default_rng(2)
    lat, lon = rng.uniform(30.0, 70.0, (300, 40)), rng.uniform(-10.0, 50.0, (300, 40))
    mask = rng.random((300, 40)) < 0.3
    for order in ("C", "F"):
        p = PointSet(np.asarray(lat, order=order), np.asarray(lon, order=order))
        q = p.subset(mask)
        for name in ("sb", "cb", "slon", "clon"):
            np.testing.assert_array_equal(getattr(q, name), getattr(p, name)[mask])
        assert q.shape == (int(mask.sum()),)
        rows = mask[:, 0]
        assert p.subset(rows).shape == (int(rows.sum()), 40)  # a row mask keeps its meaning
        for dtype in (np.float32, np.float64):
            d, _ = p.distance_azimuth(44.0, 24.4, dtype=dtype)
            np.testing.assert_array_equal(p.distance(44.0, 24.4, dtype=dtype), d)


def _shortcut_cases(view, rng):
    """Points that exercise each of the kernel's shortcuts and their edges: random points
    around the radar (any altitude, and near the ground), fans across the sector's edges
    (azimuth steps of 5e-4 deg around boresight +- half-width, so many points fall inside
    the 0.01 deg band where the exact azimuth decides and many just outside it), and the
    edges of the full test itself (bisection on altitude, as ``_boundary_points``, and on
    distance at fixed altitudes, down to float32 resolution), then moved by a few float32
    ulps either way."""
    from geocover.geodesy import GEOD

    r = view.radar
    n = 60_000
    lat = np.clip(r.lat_deg + rng.uniform(-30.0, 30.0, n), -90.0, 90.0)
    lon = r.lon_deg + rng.uniform(-40.0, 40.0, n)
    h = np.where(rng.random(n) < 0.5, rng.uniform(-50.0, 3.0e4, n), rng.uniform(-50.0, 1.5e6, n))
    pts = [(lat, lon, h)]
    # sector edges (and, for a full circle, the same fans anywhere)
    for edge in (r.boresight_azimuth_deg - r.half_width_deg, r.boresight_azimuth_deg + r.half_width_deg):
        az = edge + np.linspace(-0.5, 0.5, 2001)
        for dist_m in (70e3, 300e3, 900e3, 1.4e6):
            lo2, la2, _ = GEOD.fwd(np.full(az.size, r.lon_deg), np.full(az.size, r.lat_deg), az,
                                   np.full(az.size, dist_m))
            pts.append((la2, lo2, np.full(az.size, 2.0e5)))
    # the full test's own edges, in altitude and in distance
    full = lambda la, lo, hh, rc: view._visible_fused(PointSet(la, lo), hh, rc, shortcuts=False)  # noqa: E731
    az = rng.uniform(0.0, 360.0, 600)
    dist = rng.uniform(20e3, 1.1 * view.max_range_m, 600)
    lo2, la2, _ = GEOD.fwd(np.full(600, r.lon_deg), np.full(600, r.lat_deg), az, dist)
    rcs = np.where(rng.random(600) < 0.5, 1.0, 0.05)
    for axis in ("h", "d"):
        lo_v, hi_v = (np.full(600, -50.0), np.full(600, 1.5e6)) if axis == "h" else (np.full(600, 1e3),
                                                                                    np.full(600, 4e6))
        hh = rng.uniform(0.0, 1.0e6, 600)

        def at(v, axis=axis, hh=hh):
            if axis == "h":
                return full(la2, lo2, v, rcs)
            lo3, la3, _ = GEOD.fwd(np.full(600, r.lon_deg), np.full(600, r.lat_deg), az, v)
            return full(la3, lo3, hh, rcs)

        v_lo = at(lo_v)
        for _ in range(40):
            mid = 0.5 * (lo_v + hi_v)
            same = at(mid) == v_lo
            lo_v, hi_v = np.where(same, mid, lo_v), np.where(same, hi_v, mid)
        for k in (-3, -1, 0, 1, 3):
            v = (lo_v.astype(np.float32) + k * np.spacing(lo_v.astype(np.float32))).astype(np.float64)
            if axis == "h":
                pts.append((la2, lo2, v))
            else:
                lo3, la3, _ = GEOD.fwd(np.full(600, r.lon_deg), np.full(600, r.lat_deg), az, v)
                pts.append((la3, lo3, hh))
    lat, lon, h = (np.concatenate([np.asarray(p[i], float) for p in pts]) for i in range(3))
    # boost and warhead RCS in runs, as along flights
    rcs = np.where((np.arange(lat.size) // 7) % 2 == 0, 1.0, 0.05)
    return lat, lon, h, rcs


@pytest.mark.parametrize("case", ["kurecik", "aegis-east-med", "deveselu", "redzikowo", "kurecik-4/3",
                                  "pole-sector", "antimeridian-sector"])
def test_fused_visibility_shortcuts_change_no_verdict(case):
    # The kernel's shortcuts (range and sector decided from the unit vector, range and
    # elevation from bounds on the Andoyer-Lambert distance, the minimum elevation failed
    # from the table's greatest correction) decide a point only where the full float32 test
    # must agree: the verdicts with and without them are identical, bit for bit, on points
    # sitting on every edge (range, horizon / elevation, sector) to float32 resolution, on
    # both RCS (boosting body, warhead), near a pole and across the antimeridian (radars
    # moved there, with a sector), and for the CRPL and 4/3 models.
    import dataclasses

    sc = load_scenario("epaa-phase3-2018")
    rid, _, model = case.partition("-4/")
    if case == "pole-sector":
        radar = dataclasses.replace(sc.radars["kurecik"], lat_deg=88.7, lon_deg=-30.0)
    elif case == "antimeridian-sector":
        radar = dataclasses.replace(sc.radars["kurecik"], lat_deg=52.0, lon_deg=179.6,
                                    boresight_azimuth_deg=265.0, half_width_deg=35.0)
    else:
        radar = sc.radars[rid]
    view = RadarView(radar, model="4/3" if model else "crpl")
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    lat, lon, h, rcs = _shortcut_cases(view, rng)
    lon = (lon + 180.0) % 360.0 - 180.0
    pts = PointSet(lat, lon)
    for rcs_arg in (rcs, None):
        fast = view._visible_fused(pts, h, rcs_arg)
        full = view._visible_fused(pts, h, rcs_arg, shortcuts=False)
        assert 0.05 < full.mean() < 0.95  # both verdicts, plenty of each: the comparison can fail
        np.testing.assert_array_equal(fast, full)
