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


def _merge(arch, traj: Trajectory, ft, t_new: np.ndarray, valid: np.ndarray, tail: Samples):
    """``ft`` with samples at ``t_new`` (n, k) added: positions, visibility of the new
    points (``valid``; the others are padding, copies of the last sample), then the
    track-and-cue rule over the merged, time-ordered samples.

    ``tail``: the :class:`Samples` of the padding position (:meth:`Trajectory.positions` at
    the last sample time, (n, 1)), so that only the valid new points are flown and measured
    (positions are element-wise, except that the Kepler solve of
    :meth:`Trajectory.positions` stops when its whole batch has converged; the extra steps a
    smaller batch skips moved nothing on every grid compared, benchmarks/README.md)."""
    from .footprint import FlightTracks

    sc = arch.scenario
    s = ft.samples
    n, k = t_new.shape
    rows_v = np.nonzero(valid)[0]
    t_v = t_new[valid]
    p = _take_traj(traj, rows_v).positions(t_v[:, None])
    v_lat, v_lon = np.ascontiguousarray(p.lat_deg[:, 0]), np.ascontiguousarray(p.lon_deg[:, 0])
    v_alt, v_boost = p.altitude_m[:, 0], p.boosting[:, 0]
    new_t = np.where(valid, t_new, np.clip(t_new, 0.0, np.atleast_1d(traj.flight_time_s)[:, None]))
    new_t[valid] = p.t_s[:, 0]

    def fill(tail_col, vals):
        out = np.repeat(tail_col, k, axis=1)
        out[valid] = vals
        return out

    new_lat, new_lon = fill(tail.lat_deg, v_lat), fill(tail.lon_deg, v_lon)
    new_alt, new_boost = fill(tail.altitude_m, v_alt), fill(tail.boosting, v_boost)
    pts_new = PointSet(v_lat, v_lon)
    v_rcs = np.where(v_boost, s.body_rcs_m2, s.warhead_rcs_m2)

    def seen(rid, view):
        out = np.repeat(ft.tracks.visible[rid][:, -1:], k, axis=1)
        out[valid] = view.visible_fast(v_lat, v_lon, v_alt, v_rcs, points=pts_new)
        return out
    m = ft.tracks.t_s.shape[1]
    t_all = np.concatenate([ft.tracks.t_s, new_t], axis=1)
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
        if a.dtype == bool:
            return np.concatenate([a, b], axis=1).reshape(-1)[flat].reshape(n, m + k)
        out = np.empty(n * (m + k), a.dtype)
        out[to_old] = a.reshape(-1)
        out[to_new] = b.reshape(-1)
        return out.reshape(n, m + k)

    t = merged(ft.tracks.t_s, new_t)
    lat, lon = merged(s.lat_deg, new_lat), merged(s.lon_deg, new_lon)
    alt, boosting = merged(s.altitude_m, new_alt), merged(s.boosting, new_boost)
    vis = {rid: merged(ft.tracks.visible[rid], seen(rid, v)) for rid, v in arch.views.items()}
    trk = track_and_cue(t, vis, {rid: sc.radars[rid].can_search for rid in vis}, sc.min_track_s,
                        links=arch.links)
    samples = Samples(t, lat, lon, alt, boosting, s.body_rcs_m2, s.warhead_rcs_m2)
    points = None  # the refined samples' flyout points compute their own trigonometry (opportunities)
    cache = {iid: merged(vals, np.full((n, k), -np.inf)) for iid, vals in ft.flyout_cache.items()}
    return FlightTracks(samples, points, trk, cache)


def _take_traj(traj: Trajectory, idx: np.ndarray) -> Trajectory:
    """Rows ``idx`` of ``traj`` (every per-trajectory array and Kepler element)."""
    import dataclasses

    n = traj.size
    kw = {}
    for f in dataclasses.fields(traj):
        val = getattr(traj, f.name)
        if f.name == "_elements":
            val = {k: (v[idx] if isinstance(v, np.ndarray) and v.shape[:1] == (n,) else v) for k, v in val.items()}
        elif isinstance(val, np.ndarray) and val.shape[:1] == (n,):
            val = val[idx]
        kw[f.name] = val
    return Trajectory(**kw)


def _take_samples(s: Samples, idx: np.ndarray) -> Samples:
    return Samples(s.t_s[idx], s.lat_deg[idx], s.lon_deg[idx], s.altitude_m[idx], s.boosting[idx],
                   s.body_rcs_m2, s.warhead_rcs_m2)


def _take(ft, idx: np.ndarray):
    """Rows ``idx`` of a :class:`~geocover.footprint.FlightTracks`."""
    from .footprint import FlightTracks
    from .tracking import Tracks

    trk = ft.tracks
    samples = _take_samples(ft.samples, idx)
    tracks = Tracks(trk.t_s[idx], *({r: a[idx] for r, a in d.items()} for d in (
        trk.visible, trk.counted, trk.in_track, trk.formed_t_s, trk.cue_t_s)), trk.can_search)
    cache = {iid: vals[idx] for iid, vals in ft.flyout_cache.items()}
    return FlightTracks(samples, None if ft.points is None else ft.points.subset(idx), tracks, cache)


def _assemble(parts, n: int, width: int, tail: Samples):
    """One :class:`~geocover.footprint.FlightTracks` of ``n`` flights from ``parts`` (row
    indices, their FlightTracks), each padded to ``width`` samples the way a refinement round
    pads a flight that needs fewer new samples than others (:func:`_merge`): copies of the
    impact time at the position ``tail`` (:meth:`Trajectory.positions` at the last sample
    time), with the visibility and tracking state of the last sample."""
    from .footprint import FlightTracks
    from .tracking import Tracks

    if len(parts) == 1 and parts[0][1].tracks.t_s.shape[1] == width:
        return parts[0][1]
    first = parts[0][1]

    def full(get, dtype, tail_of=None):
        out = np.empty((n, width), dtype)
        for idx, ft in parts:
            a = get(ft)
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
            for idx, ft in parts:
                v[idx] = getattr(ft.tracks, name)[r]
            d[r] = v
        per_flight.append(d)
    samples = Samples(t, lat, lon, alt, boosting, s0.body_rcs_m2, s0.warhead_rcs_m2)
    tracks = Tracks(t, *per_radar, *per_flight, trk0.can_search)
    cache = {}
    for iid in set.intersection(*(set(ft.flyout_cache) for _, ft in parts)):
        vals = np.full((n, width), -np.inf)
        for idx, ft in parts:
            v = ft.flyout_cache[iid]
            vals[idx, :v.shape[1]] = v
        cache[iid] = vals
    return FlightTracks(samples, None, tracks, cache)


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
    rows = np.arange(n_all)
    parts = []
    cur, cur_traj = ft, traj
    tail = None
    for _ in range(levels):
        t = cur.tracks.t_s
        n = t.shape[0]
        if n == 0 or t.shape[1] < 2:
            break
        with np.errstate(invalid="ignore"):
            flags = edge_intervals(arch, cur) & ((t[:, 1:] - t[:, :-1]) > MIN_STEP_S)
        count = flags.sum(axis=1)
        busy = count > 0
        if not busy.any():
            break
        if tail is None:  # where a round's padding sits: the position at the last sample time
            tail = traj.positions(ft.tracks.t_s[:, -1:])
            cur_tail = tail
        if not busy.all():  # settled flights: no flagged interval now, none later
            done = np.flatnonzero(~busy)
            parts.append((rows[done], _take(cur, done)))
            keep = np.flatnonzero(busy)
            rows, cur, cur_traj = rows[keep], _take(cur, keep), _take_traj(cur_traj, keep)
            cur_tail = _take_samples(cur_tail, keep)
            flags, t, n = flags[keep], t[keep], keep.size
        f = int(count.max())
        idx = np.argsort(~flags, axis=1, kind="stable")[:, :f]  # flagged intervals first
        valid = np.take_along_axis(flags, idx, axis=1)
        t0 = np.take_along_axis(t, idx, axis=1)
        t1 = np.take_along_axis(t, idx + 1, axis=1)
        t_new = t0[:, :, None] + (t1 - t0)[:, :, None] * frac
        t_new = np.where(valid[:, :, None], t_new, t[:, -1:, None]).reshape(n, f * split)
        cur = _merge(arch, cur_traj, cur, t_new, np.repeat(valid, split, axis=1), cur_tail)
    parts.append((rows, cur))
    return _assemble(parts, n_all, cur.tracks.t_s.shape[1], tail)
