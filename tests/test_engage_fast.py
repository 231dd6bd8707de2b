"""The engagement's per-battery pass in one kernel (geocover._kernels.engage_battery,
first_last) against the numpy lines it replaces (Architecture._battery_passes' numpy path:
_candidates, opportunities, first_true_t, the row reductions), element for element.

Reference: the numpy expressions themselves (kept in geocover.footprint and written out again
here from their definitions), on adversarial rows (NaN times, NaN and -inf flyouts, ties at
the window's bounds, rows without a candidate) and on real flights, where both paths must
agree to the bit: the kernel does the same IEEE comparisons and the one addition
``t_launch + t_fly`` in the same order.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from geocover import _kernels
from geocover.footprint import Architecture
from geocover.scenario import load_scenario
from geocover.tracking import first_true_t

needs_numba = pytest.mark.skipif(not _kernels.use_numba(), reason="numba not installed or GEOCOVER_NO_NUMBA=1")


def _numpy_pass(t, tracking, alt, lo, hi, vals, t_launch):
    """The numpy lines (footprint._candidates with every flyout known, opportunities, _engage)."""
    with np.errstate(invalid="ignore"):
        cand = tracking & (alt >= lo) & (alt <= hi)
        t_fly = np.where(cand, vals, np.nan)
        ok = tracking & (t >= t_launch[:, None] + t_fly)
    return cand, t_fly, ok


@needs_numba
@pytest.mark.parametrize("seed", range(4))
def test_kernel_equals_numpy_on_adversarial_rows(seed):
    rng = np.random.default_rng(seed)
    n, m = 300, 17
    t = np.sort(rng.integers(0, 12, (n, m)).astype(float), axis=1)  # ties
    t[rng.random((n, m)) < 0.03] = np.nan
    tracking = rng.random((n, m)) < 0.6
    tracking[:20] = False  # rows without any track
    lo, hi = 3.0, 7.0
    alt = rng.integers(0, 11, (n, m)).astype(float)  # on the bounds too
    vals = rng.integers(-3, 12, (n, m)).astype(float)
    vals[rng.random((n, m)) < 0.2] = np.nan  # out of reach
    vals[rng.random((n, m)) < 0.05] = np.inf
    t_launch = rng.integers(-2, 6, n).astype(float)
    t_launch[rng.random(n) < 0.1] = np.nan  # no fire-control track
    ok_any0 = rng.random((n, m)) < 0.1  # batteries before this one

    need = np.empty((n, m), bool)
    ok_any, first, row_any = ok_any0.copy(), np.empty(n), np.empty((n, 3), bool)
    found, found_need = _kernels.engage_battery(t, tracking, alt, lo, hi, vals, True, t_launch, need,
                                                ok_any, first, row_any)
    cand, t_fly_ref, ok = _numpy_pass(t, tracking, alt, lo, hi, vals, t_launch)
    assert found == cand.any() and cand.any() and not cand.all()
    assert not found_need and not need.any()  # every candidate's flyout known (none is -inf)
    np.testing.assert_array_equal(ok_any, ok_any0 | ok)
    np.testing.assert_array_equal(first, first_true_t(t, ok))
    np.testing.assert_array_equal(row_any, np.stack([tracking.any(axis=1), cand.any(axis=1),
                                                     np.isfinite(t_fly_ref).any(axis=1)], axis=1))
    assert ok.any() and (~ok.any(axis=1)).any()  # rows with and without an opportunity

    # flyouts missing (-inf: not computed yet) where a candidate needs one: need marks exactly those,
    # and they add no opportunity until computed
    missing = rng.random((n, m)) < 0.3
    vals2 = np.where(missing, -np.inf, vals)
    ok_any = ok_any0.copy()
    found, found_need = _kernels.engage_battery(t, tracking, alt, lo, hi, vals2, True, t_launch, need,
                                                ok_any, first, row_any)
    np.testing.assert_array_equal(need, cand & missing)
    assert found_need == (cand & missing).any() and found_need
    np.testing.assert_array_equal(ok_any, ok_any0 | (ok & ~missing))
    # no cache yet: every candidate is needed, the values unread
    found, found_need = _kernels.engage_battery(t, tracking, alt, lo, hi, np.empty((1, 1)), False, t_launch, need,
                                                ok_any0.copy(), first, row_any)
    np.testing.assert_array_equal(need, cand)

    # shoot-look-shoot: a second launch time per row, against the numpy line with t_fly
    t_second = t_launch + rng.integers(-2, 4, n)
    sls0 = rng.random(n) < 0.1  # rows already reached by an earlier battery
    sls = sls0.copy()
    _kernels.any_reach_window(t, tracking, alt, lo, hi, vals, t_second, sls)
    with np.errstate(invalid="ignore"):
        ref = sls0 | (tracking & (t >= t_second[:, None] + t_fly_ref)).any(axis=1)
    np.testing.assert_array_equal(sls, ref)
    assert (ref & ~sls0).any() and not ref.all()


@needs_numba
def test_first_last_is_argmax():
    rng = np.random.default_rng(7)
    mask = rng.random((500, 13)) < 0.1
    mask[:5] = False
    mask[5] = True
    any_row, k1, k2 = np.empty(500, bool), np.empty(500, np.intp), np.empty(500, np.intp)
    _kernels.first_last(mask, any_row, k1, k2)
    np.testing.assert_array_equal(any_row, mask.any(axis=1))
    np.testing.assert_array_equal(k1, np.argmax(mask, axis=1))
    np.testing.assert_array_equal(k2, 12 - np.argmax(mask[:, ::-1], axis=1))


@needs_numba
@pytest.mark.parametrize("refine", [False, True])
def test_engagements_identical_with_the_numpy_lines(refine, monkeypatch):
    """Every Engagements field and the flyout cache left behind, with the kernels and with the
    numpy lines; refine=False takes the kernel's second pass (no flyout computed before it)."""
    sc = load_scenario("epaa-phase3-2018")
    s = sc.catalog.launch_site("tabriz")
    # across the defended region and past its edges: defended, too late, out of range, outside
    # the altitude window (limited_by: the row reductions of every battery matter)
    lat = np.repeat(np.linspace(36.0, 62.0, 9), 7)
    lon = np.tile(np.linspace(0.0, 44.0, 7), 9)
    arch = Architecture(sc, refine=refine)
    traj, ok = arch.aim(s.lat_deg, s.lon_deg, lat, lon)
    ft, ft_ref = arch.track(traj), arch.track(traj)
    eng = arch.engage(traj, ok, tracks=ft)
    for name in ("engage_battery", "first_last", "any_reach_window"):
        monkeypatch.setattr(_kernels, name, None)
    eng_ref = arch.engage(traj, ok, tracks=ft_ref)
    assert 0 < eng_ref.defended.sum() < lat.size and eng_ref.shoot_look_shoot.any()
    assert len(set(eng_ref.limited_by)) >= 3  # several stages reached
    for f in dataclasses.fields(eng_ref):
        a, b = getattr(eng, f.name), getattr(eng_ref, f.name)
        assert a.dtype == b.dtype, f.name
        np.testing.assert_array_equal(a, b, err_msg=f.name)
    assert ft.flyout_cache.keys() == ft_ref.flyout_cache.keys()
    for iid, v in ft_ref.flyout_cache.items():
        np.testing.assert_array_equal(ft.flyout_cache[iid], v, err_msg=iid)
