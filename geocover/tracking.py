"""The one track-and-cue rule, vectorised over (flights x samples).

Every verdict of geocover that depends on tracking — the detection timeline, the
engagement of one flight, a footprint grid, a site search, the map's colouring — goes
through :func:`track_and_cue`. The rule (README "Timelines" and "Footprints"):

* **Detection.** A radar *sees* the threat at a sample where it is inside the radar's sector,
  above its horizon and elevation limits, clear of terrain and within the detection range at
  the RCS of that moment (boosting body, then warhead); computed by
  :class:`geocover.radar.RadarView`.
* **Track.** A *track* is a run of consecutive seen samples; it is *formed* at the first
  sample of the run at which the run has lasted ``min_track_s`` (a sample time, so the rule
  is the same on a 2 s timeline grid and on a footprint's irregular sample grid). Samples of
  the run from then on are *in track*.
* **Cue.** A radar that cannot search on its own (``can_search = false``, e.g. the Brdy
  X-band radar) only counts what it sees from its *cue time* on: the earliest time any
  :class:`Link` into it delivers a track, i.e. the source radar's track formation time plus
  the link's ``latency_s``. Only links whose ``use`` is ``"cue"`` cue; ``"early_warning"``
  links carry warning (they are for networks that share alerts but cannot steer a
  fire-control radar). Links may start at a cued radar: the cue then propagates along the
  chain (resolved to a fixed point).
* **Default links** (:func:`default_links`): every radar that can search cues every radar
  that cannot, with no latency — the rule of every scenario so far.
* **Fire-control hand-over.** A battery may fire at a sample where one of its fire-control
  radars is *in track*; the engagement uses the earliest formation time among them as the
  moment its commit delay starts (:mod:`geocover.footprint`).
* **First detection** of a set is the earliest sample that any radar counts (after its
  cue); warning time = impact time - first detection.

All arrays are numpy ``(n, m)``: ``n`` flights, ``m`` samples each, times non-decreasing along
a row. NaN means "never".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._kernels import HAVE_NUMBA, numba, use_numba

__all__ = ["LINK_USES", "Link", "Tracks", "default_links", "first_true_t", "track_and_cue", "track_runs"]

#: What a link between radars (or networks) is good for.
LINK_USES = ("cue", "early_warning")


@dataclass(frozen=True)
class Link:
    """A track delivered from one radar to another.

    Attributes
    ----------
    source, target : str
        Radar ids.
    latency_s : float
        Seconds from the source's track formation to a usable track at the target (>= 0).
    use : str
        ``"cue"`` (the target may acquire from the delivered track) or ``"early_warning"``
        (the alert counts for warning only; the target is not cued).
    """

    source: str
    target: str
    latency_s: float = 0.0
    use: str = "cue"

    def __post_init__(self):
        if self.use not in LINK_USES:
            raise ValueError(f"link use must be one of {LINK_USES}, got {self.use!r}")
        if not self.latency_s >= 0:
            raise ValueError(f"link latency must be >= 0 s, got {self.latency_s!r}")


def default_links(can_search: Mapping[str, bool]) -> list[Link]:
    """Every searching radar cues every radar that cannot search, without latency."""
    return [Link(s, t) for s, ok in can_search.items() if ok for t, ok2 in can_search.items() if not ok2]


@dataclass
class Tracks:
    """The tracking state of a set of radars over ``n`` flights (see the module docstring).

    Attributes
    ----------
    t_s : ndarray (n, m)
        Sample times (s from launch).
    visible : dict of ndarray (n, m) bool
        What each radar sees (before cueing).
    counted : dict of ndarray (n, m) bool
        What each radar counts: ``visible``, from the cue time on for a radar that cannot search.
    in_track : dict of ndarray (n, m) bool
        Samples at which each radar holds a formed track.
    formed_t_s : dict of ndarray (n,)
        Each radar's first track formation time (NaN: never).
    cue_t_s : dict of ndarray (n,)
        Each radar's cue time (NaN: never cued; NaN too for radars that search on their own).
    can_search : dict of bool
    """

    t_s: np.ndarray
    visible: dict[str, np.ndarray]
    counted: dict[str, np.ndarray]
    in_track: dict[str, np.ndarray]
    formed_t_s: dict[str, np.ndarray]
    cue_t_s: dict[str, np.ndarray]
    can_search: dict[str, bool]

    @property
    def first_detection_t_s(self) -> np.ndarray:
        """Earliest counted sample of any radar, per flight (NaN: never)."""
        out = np.full(self.t_s.shape[0], np.nan)
        for c in self.counted.values():
            out = np.fmin(out, first_true_t(self.t_s, c))
        return out

    def any_in_track(self, radar_ids: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """(in_track, formed_t_s) of a group of radars: the union of their tracks and the
        earliest formation (the fire-control hand-over of a battery)."""
        tracking = np.zeros(self.t_s.shape, bool)
        formed = np.full(self.t_s.shape[0], np.nan)
        for r in radar_ids:
            tracking |= self.in_track[r]
            formed = np.fmin(formed, self.formed_t_s[r])
        return tracking, formed


def first_true_t(t: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Time of the first true sample of each row (NaN where none)."""
    return np.where(mask.any(axis=1), t[np.arange(t.shape[0]), np.argmax(mask, axis=1)], np.nan)


def _track_runs_py(t, seen, threshold_s, in_track, formed):
    """One pass per row of :func:`track_runs`' numpy rule (the same comparisons and the same
    NaN propagation as ``np.maximum.accumulate``), into ``in_track`` and ``formed``.

    Only the first sample of a run can move the accumulated run start (elsewhere the numpy
    rule takes the maximum with -inf, which leaves it, NaN included), and an unseen sample is
    never in track; so unseen samples are written False without reading their time."""
    n, m = seen.shape
    for i in range(n):
        run_start = -np.inf
        formed[i] = np.nan
        found = False
        prev = False  # seen[i, j - 1]
        for j in range(m):
            if not seen[i, j]:
                in_track[i, j] = False
                prev = False
                continue
            tj = t[i, j]
            if not prev:  # a run begins here
                if run_start != run_start or tj != tj:  # NaN propagates, as in np.maximum
                    run_start = np.nan
                elif tj > run_start:
                    run_start = tj
            prev = True
            ok = tj - run_start >= threshold_s
            in_track[i, j] = ok
            if ok and not found:
                formed[i] = tj
                found = True


_track_runs_nb = numba.njit(cache=True, nogil=True)(_track_runs_py) if HAVE_NUMBA else None


def track_runs(t: np.ndarray, seen: np.ndarray, min_track_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(in_track, formed_t_s): samples of runs of ``seen`` that have lasted ``min_track_s``
    (1e-9 s slack for float sample times), and each row's first formation time (NaN: never).

    A numba kernel (one pass per row) when available and not switched off
    (``GEOCOVER_NO_NUMBA=1``); the numpy code below is the reference (tests/test_speed_paths.py
    checks them identical)."""
    if _track_runs_nb is not None and use_numba() and seen.ndim == 2:
        t2 = np.asarray(t, float)
        t2 = np.broadcast_to(t2, seen.shape)
        in_track = np.empty(seen.shape, bool)
        formed = np.empty(seen.shape[0])
        _track_runs_nb(t2, np.asarray(seen, bool), float(min_track_s - 1e-9), in_track, formed)
        return in_track, formed
    start = np.zeros(seen.shape, bool)
    start[:, 0] = seen[:, 0]
    start[:, 1:] = seen[:, 1:] & ~seen[:, :-1]
    run_start = np.where(start, t, -np.inf)
    np.maximum.accumulate(run_start, axis=1, out=run_start)
    in_track = seen & (t - run_start >= min_track_s - 1e-9)
    return in_track, first_true_t(t, in_track)


def track_and_cue(t: np.ndarray, visible: Mapping[str, np.ndarray], can_search: Mapping[str, bool],
                  min_track_s: float, links: Sequence[Link] | None = None) -> Tracks:
    """Apply the track-and-cue rule (module docstring) to what each radar sees.

    Parameters
    ----------
    t : ndarray (n, m)
        Sample times, s.
    visible : mapping radar id -> ndarray (n, m) bool
        Visibility of each sample to each radar.
    can_search : mapping radar id -> bool
    min_track_s : float
        Continuous visibility that forms a track, s.
    links : sequence of Link, optional
        Track deliveries between radars [default: :func:`default_links`]. Links naming
        radars outside ``visible`` are ignored (a scenario's network may reach beyond the set).

    Returns
    -------
    Tracks
    """
    t = np.asarray(t, float)
    n = t.shape[0]
    ids = list(visible)
    cs = {r: bool(can_search[r]) for r in ids}
    links = default_links(cs) if links is None else [lk for lk in links if lk.source in cs and lk.target in cs]
    counted: dict[str, np.ndarray] = {}
    in_track: dict[str, np.ndarray] = {}
    formed: dict[str, np.ndarray] = {}
    cue = {r: np.full(n, np.nan) for r in ids}
    for r in ids:
        if cs[r]:
            counted[r] = np.asarray(visible[r], bool)
            in_track[r], formed[r] = track_runs(t, counted[r], min_track_s)
    pending = [r for r in ids if not cs[r]]
    for r in pending:
        formed[r] = np.full(n, np.nan)
    # cued radars: the cue is the earliest delivery over links (chains resolved to a fixed point)
    for _ in range(len(pending) + 1):
        changed = False
        for r in pending:
            c = np.full(n, np.nan)
            for lk in links:
                if lk.target == r and lk.use == "cue":
                    c = np.fmin(c, formed[lk.source] + lk.latency_s)
            if r in counted and np.array_equal(c, cue[r], equal_nan=True):
                continue
            cue[r] = c
            with np.errstate(invalid="ignore"):
                counted[r] = np.asarray(visible[r], bool) & (t >= c[:, None])
            in_track[r], f = track_runs(t, counted[r], min_track_s)
            changed |= not np.array_equal(f, formed[r], equal_nan=True)
            formed[r] = f
        if not changed:
            break
    return Tracks(t, {r: np.asarray(visible[r], bool) for r in ids}, {r: counted[r] for r in ids},
                  {r: in_track[r] for r in ids}, {r: formed[r] for r in ids}, cue, cs)
