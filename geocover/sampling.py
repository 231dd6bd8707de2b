"""Adaptive sampling of flights: samples added where the engagement's verdict changes.

The engagement rule (:mod:`geocover.footprint`, :mod:`geocover.tracking`) is evaluated at
trajectory samples; with the scenario's 80 samples a flight of 20-30 minutes is sampled every
~15-20 s, and the battle space (the seconds of intercept opportunity) moved by up to ~10 s
with the sample count (issue 12 §5). :func:`refine_tracks` keeps the rule and refines *where
it matters*: each interval between two samples at which an intercept opportunity begins or
ends, or at which a radar's counted visibility or track begins or ends (before the last
sample a battery could still use), gets ``split`` more samples, evenly spaced, evaluated with
the exact same rule (positions from :meth:`Trajectory.positions`, visibility per new point,
then the track-and-cue rule and the opportunities over the merged samples of each flight);
this repeats until no flagged interval is longer than :data:`MIN_STEP_S` (at most ``levels``
rounds), so an edge that moves (a track that forms earlier once the first detection is
refined, a cue that follows it, an interceptor launch that follows the track) is refined too.

Everything is vectorised over flights: the new samples of a flight are padded to the most
any flight of the block needs with copies of the impact time (zero weight, the same state as
the last sample), so results do not depend on which flights share a block.
"""

from __future__ import annotations

import numpy as np

from . import _kernels as _k
from ._kernels import use_numba
from .fastgeo import PointSet
from .tracking import track_and_cue
from .trajectory import Samples, Trajectory

__all__ = ["REFINE_LEVELS", "REFINE_SPLIT", "refine_tracks"]

#: At most this many refinement rounds, each with ``REFINE_SPLIT`` new samples per flagged
#: interval (module docstring).
REFINE_LEVELS = 8
REFINE_SPLIT = 3
#: Flagged intervals are split until they are no longer than this (s): each edge of a track
#: or an intercept window is then placed within 1 s, the trapezoid weights put it within
#: ~0.5 s, inside the 2 s the battle space may move with the sample count.
MIN_STEP_S = 1.0


def _edges(a: np.ndarray) -> np.ndarray:
    return a[:, 1:] != a[:, :-1]


def edge_intervals(arch, ft) -> np.ndarray:
    """(n, m - 1) intervals between samples where the verdict can change: an intercept
    opportunity of any battery begins or ends; or, before the last sample at which a battery
    holds a fire-control track inside its altitude window, a radar's counted visibility or
    track begins (these set track formation, cues and the interceptors' launch times; where a
    track ends inside the window, the opportunity ends there too)."""
    opp = arch.opportunities(ft)
    trk = ft.tracks
    n, m = trk.t_s.shape
    ok_any = np.zeros((n, m), bool)
    cand_any = np.zeros((n, m), bool)
    for ok, _tracking, cand, _t_fly in opp.values():
        ok_any |= ok
        cand_any |= cand
    flags = _edges(ok_any)
    state = np.zeros((n, m - 1), bool)
    for r in trk.counted:  # where a run of visibility or a track begins (detection, formation, cue)
        state |= (trk.counted[r][:, 1:] & ~trk.counted[r][:, :-1]) | (trk.in_track[r][:, 1:] & ~trk.in_track[r][:, :-1])
    last = np.where(cand_any.any(axis=1), m - 1 - np.argmax(cand_any[:, ::-1], axis=1), -1)
    relevant = np.arange(m - 1)[None, :] < last[:, None]
    return flags | (state & relevant)


def _merge(arch, traj: Trajectory, g: np.ndarray, ft, keep, t_new: np.ndarray, valid: np.ndarray,
           tail: Samples, ins=None):
    """Rows ``keep`` of ``ft`` (None: all) with samples at ``t_new`` (n, k) added: positions,
    visibility of the new points (``valid``; the others are padding, copies of the last
    sample), then the track-and-cue rule over the merged, time-ordered samples.

    ``traj``: the block's trajectories, of which the rows of ``ft`` kept here are rows ``g``;
    ``tail``: the :class:`Samples` of the padding position of every flight of the block
    (:meth:`Trajectory.positions` at the last sample time, (n_block, 1)), so that only the
    valid new points are flown and measured (positions are element-wise: a point's position
    does not depend on the other points flown with it, :meth:`Trajectory.positions`).

    The merged order is that of a stable argsort of each row's old then new times
    (:func:`_merge_index`; ``ins``: where each new sample was made, :func:`_new_samples`)."""
    from .footprint import FlightTracks

    sc = arch.scenario
    s, trk = ft.samples, ft.tracks
    n, k = t_new.shape
    rows = np.arange(n) if keep is None else keep
    rows_v = np.nonzero(valid)[0]
    t_v = t_new[valid]
    p = traj.positions(t_v[:, None], rows=g[rows_v])
    v_lat, v_lon = np.ascontiguousarray(p.lat_deg[:, 0]), np.ascontiguousarray(p.lon_deg[:, 0])
    v_alt, v_boost = p.altitude_m[:, 0], p.boosting[:, 0]
    new_t = np.where(valid, t_new, np.clip(t_new, 0.0, np.atleast_1d(traj.flight_time_s)[g][:, None]))
    new_t[valid] = p.t_s[:, 0]

    def fill(tail_col, vals):
        out = np.repeat(tail_col[g], k, axis=1)
        out[valid] = vals
        return out

    new_lat, new_lon = fill(tail.lat_deg, v_lat), fill(tail.lon_deg, v_lon)
    new_alt, new_boost = fill(tail.altitude_m, v_alt), fill(tail.boosting, v_boost)
    pts_new = PointSet(v_lat, v_lon)
    v_rcs = np.where(v_boost, s.body_rcs_m2, s.warhead_rcs_m2)

    def seen(rid, view):
        out = np.repeat(trk.visible[rid][rows, -1:], k, axis=1)
        out[valid] = view.visible_fast(v_lat, v_lon, v_alt, v_rcs, points=pts_new)
        return out
    merged = _merge_index(trk.t_s, keep, new_t, ins)
    t = merged(trk.t_s, new_t)
    lat, lon = merged(s.lat_deg, new_lat), merged(s.lon_deg, new_lon)
    alt, boosting = merged(s.altitude_m, new_alt), merged(s.boosting, new_boost)
    vis = {rid: merged(trk.visible[rid], seen(rid, v)) for rid, v in arch.views.items()}
    tracks = track_and_cue(t, vis, {rid: sc.radars[rid].can_search for rid in vis}, sc.min_track_s,
                           links=arch.links)
    samples = Samples(t, lat, lon, alt, boosting, s.body_rcs_m2, s.warhead_rcs_m2)
    points = None  # the refined samples' flyout points compute their own trigonometry (opportunities)
    cache = {iid: merged(vals, np.full((n, k), -np.inf)) for iid, vals in ft.flyout_cache.items()}
    return FlightTracks(samples, points, tracks, cache)


def _merge_index(t_old: np.ndarray, keep, t_new: np.ndarray, ins=None):
    """A function ``merged(a, b)``: rows ``keep`` (None: all) of ``a`` (shaped as ``t_old``)
    and the rows of ``b`` (shaped as ``t_new``, (n, k)) merged in the order of
    ``np.argsort(concatenate([t_old[keep], t_new], axis=1), kind="stable")`` per row.

    ``ins`` (n, k): the number of old samples before each new one where it was made
    (:func:`_new_samples`), or None. With it and numba, the order comes from
    :func:`geocover._kernels.merge_positions`, which checks row by row that it is the stable
    argsort's (both parts non-decreasing and NaN-free, each new time inside its interval;
    other rows are sorted here), and each array is merged by one row scatter
    (:func:`geocover._kernels.scatter_rows`); the numpy path is the reference
    (tests/test_refine_fast.py)."""
    n, k = t_new.shape
    m = t_old.shape[1]
    if ins is not None and _k.merge_positions is not None and use_numba():
        rows = np.arange(n) if keep is None else keep
        # the narrowest positions that hold m + k: every field's scatter reads them again, and the
        # merge is bound by memory traffic (int16 against int64: refinement of five 4096-flight benchmark
        # blocks 0.77-0.79 against 0.79-0.83 CPU-s, interleaved runs, best of 2 each)
        pos_dt = np.int16 if m + k <= np.iinfo(np.int16).max else np.int32 if m + k <= np.iinfo(np.int32).max \
            else np.int64
        pos_old, pos_new = np.empty((n, m), pos_dt), np.empty((n, k), pos_dt)
        ok = np.empty(n, bool)
        _k.merge_positions(t_old, rows, t_new, ins, pos_old, pos_new, ok)
        if not ok.all():  # a row out of order, with NaN, or a time moved off its interval: the stable argsort
            bad = np.flatnonzero(~ok)
            order = np.argsort(np.concatenate([t_old[rows[bad]], t_new[bad]], axis=1), axis=1, kind="stable")
            inv = np.empty_like(order)
            np.put_along_axis(inv, order, np.broadcast_to(np.arange(m + k), order.shape), axis=1)
            pos_old[bad], pos_new[bad] = inv[:, :m], inv[:, m:]

        def merged_nb(a, b):
            out = np.empty((n, m + k), a.dtype)
            _k.scatter_rows(a, rows, b, pos_old, pos_new, out)
            return out
        return merged_nb

    def take(a):
        return a if keep is None else a[keep]
    t_all = np.concatenate([take(t_old), t_new], axis=1)
    order = np.argsort(t_all, axis=1, kind="stable")
    row0 = (np.arange(n) * (m + k))[:, None]
    flat = (order + row0).reshape(-1)
    inv = np.empty_like(order)  # where each old and new sample goes in the merged row
    np.put_along_axis(inv, order, np.broadcast_to(np.arange(m + k), order.shape), axis=1)
    inv += row0
    to_old, to_new = inv[:, :m].reshape(-1), inv[:, m:].reshape(-1)

    def merged(a, b):
        """The same elements as take_along_axis(concatenate(a, b), order): one gather for
        booleans, two scatters into one new array otherwise (no large temporary)."""
        a = take(a)
        if a.dtype == bool:
            return np.concatenate([a, b], axis=1).reshape(-1)[flat].reshape(n, m + k)
        out = np.empty(n * (m + k), a.dtype)
        out[to_old] = a.reshape(-1)
        out[to_new] = b.reshape(-1)
        return out.reshape(n, m + k)
    return merged


def _assemble(parts, n: int, width: int, tail: Samples):
    """One :class:`~geocover.footprint.FlightTracks` of ``n`` flights from ``parts`` (block
    rows, a FlightTracks, its rows that they are (None: all)), each padded to ``width``
    samples the way a refinement round pads a flight that needs fewer new samples than others
    (:func:`_merge`): copies of the impact time at the position ``tail``
    (:meth:`Trajectory.positions` at the last sample time), with the visibility and tracking
    state of the last sample."""
    from .footprint import FlightTracks
    from .tracking import Tracks

    if len(parts) == 1 and parts[0][2] is None and parts[0][1].tracks.t_s.shape[1] == width:
        return parts[0][1]
    first = parts[0][1]

    def rows_of(a, loc):
        return a if loc is None else a[loc]

    fast = _k.place_rows is not None and use_numba()

    def full(get, dtype, tail_of=None):
        out = np.empty((n, width), dtype)
        for idx, ft, loc in parts:
            if fast:  # one pass per part (the numpy lines below are the reference)
                a = get(ft)
                lc = np.arange(a.shape[0]) if loc is None else loc
                tl = np.empty(0, a.dtype) if tail_of is None else np.ascontiguousarray(tail_of[:, 0])
                _k.place_rows(a, lc, idx, tl, tail_of is not None, out)
                continue
            a = rows_of(get(ft), loc)
            k = a.shape[1]
            out[idx, :k] = a
            if k < width:
                out[idx, k:] = (tail_of[idx] if tail_of is not None else a[:, -1:])
        return out

    s0, trk0 = first.samples, first.tracks
    t = full(lambda ft: ft.tracks.t_s, float)
    lat = full(lambda ft: ft.samples.lat_deg, float, tail.lat_deg)
    lon = full(lambda ft: ft.samples.lon_deg, float, tail.lon_deg)
    alt = full(lambda ft: ft.samples.altitude_m, float, tail.altitude_m)
    boosting = full(lambda ft: ft.samples.boosting, bool, tail.boosting)
    per_radar = []
    for name in ("visible", "counted", "in_track"):
        per_radar.append({r: full(lambda ft, r=r, name=name: getattr(ft.tracks, name)[r], bool)
                          for r in getattr(trk0, name)})
    per_flight = []
    for name in ("formed_t_s", "cue_t_s"):
        d = {}
        for r in getattr(trk0, name):
            v = np.empty(n)
            for idx, ft, loc in parts:
                v[idx] = rows_of(getattr(ft.tracks, name)[r], loc)
            d[r] = v
        per_flight.append(d)
    samples = Samples(t, lat, lon, alt, boosting, s0.body_rcs_m2, s0.warhead_rcs_m2)
    tracks = Tracks(t, *per_radar, *per_flight, trk0.can_search)
    cache = {}
    not_yet = np.full((n, 1), -np.inf)  # padding: flyouts not computed yet
    for iid in set.intersection(*(set(ft.flyout_cache) for _, ft, _ in parts)):
        cache[iid] = full(lambda ft, iid=iid: ft.flyout_cache[iid], float, not_yet)
    return FlightTracks(samples, None, tracks, cache)


def _flagged(arch, ft) -> tuple[np.ndarray, np.ndarray]:
    """(flags, count): :func:`edge_intervals` limited to intervals longer than
    :data:`MIN_STEP_S`, and the number of flagged intervals of each flight.

    With numba, one pass per battery (:func:`geocover._kernels.opportunity_any`: the union of
    :meth:`Architecture.opportunities`' ``ok`` and ``cand`` without building each battery's
    arrays) and one for the flags (:func:`geocover._kernels.edge_flags`); the numpy path,
    :func:`edge_intervals`, is the reference (tests/test_refine_fast.py)."""
    trk = ft.tracks
    t = trk.t_s
    if _k.edge_flags is None or _k.starts is None or not use_numba():
        with np.errstate(invalid="ignore"):
            flags = edge_intervals(arch, ft) & ((t[:, 1:] - t[:, :-1]) > MIN_STEP_S)
        return flags, flags.sum(axis=1)
    n, m = t.shape
    ok_any = np.zeros((n, m), bool)
    cand_any = np.zeros((n, m), bool)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for _iid, _tracking, t_launch, cand, vals in arch._candidates(ft):
            if vals is not None:  # some candidate (else no opportunity either)
                _k.opportunity_any(t, cand, vals, t_launch, ok_any, cand_any)
    starts = np.zeros((n, m - 1), bool)
    for r in trk.counted:  # where a run of visibility or a track begins (as edge_intervals)
        _k.starts(trk.counted[r], trk.in_track[r], starts)
    flags = np.empty((n, m - 1), bool)
    count = _k.edge_flags(t, ok_any, cand_any, starts, MIN_STEP_S, flags)
    return flags, count


def _new_samples(t: np.ndarray, flags: np.ndarray, count: np.ndarray, frac: np.ndarray):
    """(t_new, valid, ins) (n, f * split): ``split = frac.size`` times inside each flagged
    interval, evenly spaced at ``frac``, flagged intervals in time order, then padding
    (``valid`` False) with each row's last time up to the most any row needs (f intervals);
    ``ins``: the number of samples of ``t`` before each new one (None on the numpy path)."""
    n = t.shape[0]
    split = frac.size
    f = int(count.max())
    if _k.new_times is not None and use_numba():
        t_new = np.empty((n, f * split))
        valid = np.empty((n, f * split), bool)
        ins = np.empty((n, f * split), np.int64)
        _k.new_times(t, flags, frac, t_new, valid, ins)
        return t_new, valid, ins
    idx = np.argsort(~flags, axis=1, kind="stable")[:, :f]  # flagged intervals first
    valid = np.take_along_axis(flags, idx, axis=1)
    t0 = np.take_along_axis(t, idx, axis=1)
    t1 = np.take_along_axis(t, idx + 1, axis=1)
    t_new = t0[:, :, None] + (t1 - t0)[:, :, None] * frac
    t_new = np.where(valid[:, :, None], t_new, t[:, -1:, None]).reshape(n, f * split)
    return t_new, np.repeat(valid, split, axis=1), None


def refine_tracks(arch, traj: Trajectory, ft, *, levels: int = REFINE_LEVELS, split: int = REFINE_SPLIT):
    """Refine the samples of ``ft`` (:class:`geocover.footprint.FlightTracks` of ``traj``)
    around the edges of tracks and intercept windows (module docstring).

    Only the flights that still have a flagged interval are carried into the next round (a
    flight without one has none in later rounds either: padding adds no edge); at the end
    the flights are padded to the block's common sample count exactly as if every round had
    been applied to the whole block (so the result is the same array, element for element).

    Parameters
    ----------
    arch : geocover.footprint.Architecture
    traj : Trajectory
        The sampled trajectories.
    ft : FlightTracks
        Their tracks at the scenario's samples.
    levels, split : int
        Rounds of refinement, and new samples per flagged interval and round.

    Returns
    -------
    FlightTracks
        The same flights with the added samples (per flight, time-ordered; padded with
        copies of the impact time).
    """
    frac = np.arange(1, split + 1) / (split + 1)
    n_all = ft.tracks.t_s.shape[0]
    g = np.arange(n_all)  # the block rows of cur's flights
    parts = []  # settled flights: (block rows, the FlightTracks they are rows of, those rows)
    cur = ft
    tail = None
    for _ in range(levels):
        t = cur.tracks.t_s
        if t.shape[0] == 0 or t.shape[1] < 2:
            break
        flags, count = _flagged(arch, cur)
        busy = count > 0
        if not busy.any():
            break
        if tail is None:  # where a round's padding sits: the position at the last sample time
            tail = traj.positions(ft.tracks.t_s[:, -1:])
        keep = None
        if not busy.all():  # settled flights: no flagged interval now, none later
            done = np.flatnonzero(~busy)
            parts.append((g[done], cur, done))
            keep = np.flatnonzero(busy)
            g, flags, t, count = g[keep], flags[keep], t[keep], count[keep]
        t_new, valid, ins = _new_samples(t, flags, count, frac)
        cur = _merge(arch, traj, g, cur, keep, t_new, valid, tail, ins)
    parts.append((g, cur, None))
    return _assemble(parts, n_all, cur.tracks.t_s.shape[1], tail)
