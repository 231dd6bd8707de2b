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
