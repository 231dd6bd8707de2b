"""The refinement's bookkeeping kernels (geocover._kernels, adaptive sampling section) against
their numpy references, to the bit.

References: the numpy expressions the kernels replace, kept in geocover.sampling and
Architecture.opportunities as the fallback (used when numba is missing or
GEOCOVER_NO_NUMBA=1): ``np.argsort(..., kind="stable")`` for the merge order, fancy-index
scatters for the merge, and the boolean/float array expressions of edge_intervals and
opportunities. Nothing here is approximate: every comparison is exact equality (same IEEE
float64 operations in the same order), NaN where NaN.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from geocover import _kernels
from geocover import sampling as smp
from geocover.footprint import Architecture
from geocover.scenario import load_scenario

# the kernels against their numpy references: nothing to compare with GEOCOVER_NO_NUMBA=1 (there
# the callers take the numpy path, and _new_samples returns no insertion counts)
needs_numba = pytest.mark.skipif(not _kernels.use_numba(), reason="numba not installed or GEOCOVER_NO_NUMBA=1")

#: the kernels of the refinement's bookkeeping; None switches each caller to its numpy path
OWN_KERNELS = ("merge_positions", "scatter_rows", "new_times", "window_need", "opportunity",
               "opportunity_any", "edge_flags", "place_rows", "starts", "flight_major",
               "engage_battery", "first_last", "any_reach_window")


def _stable_positions(t_old, t_new):
    """Positions of old and new samples in np.argsort(concatenate, kind="stable") order."""
    m, k = t_old.shape[1], t_new.shape[1]
    order = np.argsort(np.concatenate([t_old, t_new], axis=1), axis=1, kind="stable")
    inv = np.empty_like(order)
    np.put_along_axis(inv, order, np.broadcast_to(np.arange(m + k), order.shape), axis=1)
    return inv[:, :m], inv[:, m:]


def _rows(rng, n, m, sort=True):
    """Rows with many ties: integer times 0..9, padding runs (repeated last values)."""
    t = rng.integers(0, 10, (n, m)).astype(float)
    if sort:
        t = np.sort(t, axis=1)
    pad = rng.integers(0, m, n)  # a run of copies of a row's last time, as refinement pads
    for i in range(n):
        t[i, m - pad[i]:] = t[i, -1]
    return t


def _hints(t_old, t_new):
    """The number of old samples <= each new one (searchsorted, side="right"), row by row: the
    insertion counts the refinement knows where it makes each new sample."""
    return np.array([np.searchsorted(o, x, side="right") for o, x in zip(t_old, t_new, strict=True)], np.int64)


def _merge_positions(t_old, rows, t_new, ins):
    n, m, k = rows.size, t_old.shape[1], t_new.shape[1]
    po, pn, ok = np.empty((n, m), np.int64), np.empty((n, k), np.int64), np.empty(n, bool)
    _kernels.merge_positions(t_old, rows, t_new, ins, po, pn, ok)
    return po, pn, ok


@needs_numba
@pytest.mark.parametrize("seed", range(6))
def test_merge_positions_is_the_stable_argsort_order(seed):
    rng = np.random.default_rng(seed)
    n_old, m, k = 60, int(rng.integers(2, 30)), int(rng.integers(1, 12))
    t_old = _rows(rng, n_old, m)
    rows = np.sort(rng.choice(n_old, 40, replace=False))  # a subset of the old rows, as refinement carries
    t_new = _rows(rng, rows.size, k)
    t_new[:5] = t_old[rows[:5], :1]  # new times equal to old ones
    t_new[5:10] = t_old[rows[5:10], -1:]  # all padding: the last old time
    po, pn, ok = _merge_positions(t_old, rows, t_new, _hints(t_old[rows], t_new))
    ref_o, ref_n = _stable_positions(t_old[rows], t_new)
    assert ok.all()
    np.testing.assert_array_equal(po, ref_o)
    np.testing.assert_array_equal(pn, ref_n)


@needs_numba
def test_merge_positions_flags_rows_it_cannot_merge():
    """Unsorted rows, rows with NaN and new times off their stated interval are left to the
    caller (ok False); the others merged."""
    t_old = np.array([[0.0, 1.0, 2.0], [0.0, np.nan, 2.0], [2.0, 1.0, 3.0], [0.0, 1.0, 2.0], [0.0, 1.0, 2.0],
                      [0.0, 1.0, 2.0]])
    t_new = np.array([[0.5, 2.0], [0.5, 1.0], [0.5, 1.0], [1.5, 0.5], [0.5, 1.5], [0.5, 1.0]])
    ins = np.array([[1, 3], [1, 2], [1, 1], [2, 1], [1, 1], [1, 1]])  # row 4: 1.5 is not before old 1.0
    po, pn, ok = _merge_positions(t_old, np.arange(6), t_new, ins)  # row 5: new 1.0 ties old 1.0: after it
    np.testing.assert_array_equal(ok, [True, False, False, False, False, False])
    # row 0 by hand: 0, 0.5 (new), 1, 2, 2.0 (new, after the equal old 2.0)
    np.testing.assert_array_equal(po[0], [0, 2, 3])
    np.testing.assert_array_equal(pn[0], [1, 4])


@needs_numba
@pytest.mark.parametrize("seed", range(4))
def test_merge_index_equals_the_argsort_merge(seed, monkeypatch):
    """sampling._merge_index with the kernels vs its numpy path, every dtype merged, on rows
    that include NaN and unsorted ones (sorted by the fallback inside the numba path)."""
    rng = np.random.default_rng(100 + seed)
    n_old, m, k = 50, 17, 6
    t_old = _rows(rng, n_old, m)
    t_old[3, 5] = np.nan
    t_old[7] = t_old[7, ::-1]
    keep = np.sort(rng.choice(n_old, 30, replace=False))
    keep[:2] = [3, 7]
    keep = np.unique(keep)
    t_new = _rows(rng, keep.size, k)
    t_new[1, 2] = np.nan
    a_f, b_f = rng.normal(size=(n_old, m)), rng.normal(size=(keep.size, k))
    a_b, b_b = rng.random((n_old, m)) < 0.5, rng.random((keep.size, k)) < 0.5
    for kp, tn, bf, bb in ((keep, t_new, b_f, b_b), (None, _rows(rng, n_old, k), rng.normal(size=(n_old, k)),
                                                      rng.random((n_old, k)) < 0.5)):
        ins = _hints(t_old if kp is None else t_old[kp], tn)
        ins[-3:] = np.maximum(ins[-3:] - 1, 0)  # some wrong hints: those rows must fall back to the argsort
        fast = smp._merge_index(t_old, kp, tn, ins)
        got = [fast(t_old, tn), fast(a_f, bf), fast(a_b, bb), fast(np.asfortranarray(a_f), bf)]
        monkeypatch.setattr(_kernels, "merge_positions", None)
        ref_m = smp._merge_index(t_old, kp, tn)
        ref = [ref_m(t_old, tn), ref_m(a_f, bf), ref_m(a_b, bb), ref_m(a_f, bf)]
        monkeypatch.undo()
        for g, r in zip(got, ref, strict=True):
            assert g.dtype == r.dtype
            np.testing.assert_array_equal(g, r)


@needs_numba
def test_new_times_kernel_equals_numpy():
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 1500, (40, 25)), axis=1)
    flags = rng.random((40, 24)) < 0.2
    flags[0] = False
    flags[1] = True
    count = flags.sum(axis=1)
    frac = np.arange(1, 4) / 4
    *fast, ins = smp._new_samples(t, flags, count, frac)
    saved = _kernels.new_times
    try:
        _kernels.new_times = None
        *ref, ins_ref = smp._new_samples(t, flags, count, frac)
    finally:
        _kernels.new_times = saved
    assert ins_ref is None
    # where each new sample was made: after old sample j of its interval (j + 1 before it), padding at the end
    np.testing.assert_array_equal(ins, np.where(fast[1], _hints(t, fast[0]), t.shape[1]))
    for g, r in zip(fast, ref, strict=True):
        assert g.dtype == r.dtype
        np.testing.assert_array_equal(g, r)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, bool])
def test_flight_major_is_ascontiguousarray(dtype):
    """The tiled copy of a sample-major (Fortran-order) array equals np.ascontiguousarray's
    copy element for element, with flight counts that are not multiples of the 32-row tile."""
    rng = np.random.default_rng(11)
    for n, m in ((1, 1), (31, 5), (33, 80), (100, 3), (4096, 80)):
        a = np.asfortranarray(rng.normal(size=(n, m)) > 0 if dtype is bool else rng.normal(size=(n, m)))
        a[0, 0] = True if dtype is bool else np.nan
        out = np.empty(a.shape, a.dtype)
        _kernels.flight_major(a, out)
        ref = np.ascontiguousarray(a)
        assert out.dtype == ref.dtype
        np.testing.assert_array_equal(out, ref)


def _block():
    """A strip across the edge of epaa-phase3-2018's defended region against Tabriz (as
    test_sampling's block test): defended and undefended flights, settling in different rounds."""
    sc = load_scenario("epaa-phase3-2018")
    s = sc.catalog.launch_site("tabriz")
    lat = np.repeat(np.linspace(40.0, 56.0, 12), 6)
    lon = np.tile(np.linspace(8.0, 28.0, 6), 12)
    return sc, s, lat, lon


def _tracks_fields(ft):
    out = {f"s.{k}": getattr(ft.samples, k) for k in ("t_s", "lat_deg", "lon_deg", "altitude_m", "boosting")}
    for d in ("visible", "counted", "in_track", "formed_t_s", "cue_t_s"):
        out |= {f"{d}.{r}": a for r, a in getattr(ft.tracks, d).items()}
    out |= {f"cache.{i}": a for i, a in ft.flyout_cache.items()}
    return out


@needs_numba
def test_refinement_and_engagement_identical_without_the_bookkeeping_kernels(monkeypatch):
    """The whole refinement (FlightTracks: every array) and every field of Engagements, with
    the bookkeeping kernels and with their numpy references (the other kernels used by both)."""
    sc, s, lat, lon = _block()
    arch = Architecture(sc)
    traj, ok = arch.aim(s.lat_deg, s.lon_deg, lat, lon)
    ft = arch.track(traj)
    eng = arch.engage(traj, ok, tracks=ft)
    opp = arch.opportunities(ft)
    for name in OWN_KERNELS:
        monkeypatch.setattr(_kernels, name, None)
    ft_ref = arch.track(traj)
    eng_ref = arch.engage(traj, ok, tracks=ft_ref)
    opp_ref = arch.opportunities(ft_ref)
    assert 0 < eng_ref.defended.sum() < lat.size  # both verdicts: the comparison has content
    got, ref = _tracks_fields(ft), _tracks_fields(ft_ref)
    assert got.keys() == ref.keys()
    for k in ref:
        assert got[k].dtype == ref[k].dtype, k
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)
    for f in dataclasses.fields(eng_ref):
        a, b = getattr(eng, f.name), getattr(eng_ref, f.name)
        assert a.dtype == b.dtype, f.name
        np.testing.assert_array_equal(a, b, err_msg=f.name)
    assert opp.keys() == opp_ref.keys()
    for iid in opp_ref:
        for a, b in zip(opp[iid], opp_ref[iid], strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b, err_msg=iid)


@needs_numba
def test_flagged_equals_edge_intervals():
    """_flagged (kernels) against the numpy reference edge_intervals & long intervals, at the
    plain samples and after a refinement (where carried flyouts and padding occur)."""
    sc, s, lat, lon = _block()
    arch = Architecture(sc, refine=False)
    traj, _ = arch.aim(s.lat_deg, s.lon_deg, lat, lon)
    ft0 = arch.track(traj)
    ft1 = smp.refine_tracks(arch, traj, arch.track(traj), levels=2)
    for ft in (ft0, ft1):
        t = ft.tracks.t_s
        flags, count = smp._flagged(arch, ft)
        with np.errstate(invalid="ignore"):
            ref = smp.edge_intervals(arch, ft) & ((t[:, 1:] - t[:, :-1]) > smp.MIN_STEP_S)
        assert ref.any() and not ref.all()
        np.testing.assert_array_equal(flags, ref)
        np.testing.assert_array_equal(count, ref.sum(axis=1))
