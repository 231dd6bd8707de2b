"""Detection timelines: when each radar first sees a missile, how long it tracks it, how
much warning is left, and cueing between radars.

Rules (documented in the README):

* A radar *detects* the missile at the first sample it sees it (sector, horizon, elevation,
  terrain and range at the RCS of that moment: the boosting body, then the warhead).
* A *track* is a run of continuous visibility at least ``min_track_s`` long; the track is
  formed at the first sample at which the run has lasted ``min_track_s`` (the engine's rule,
  :mod:`geocover.tracking`; with the default 2 s step and 10 s, exactly 10 s after the run starts).
* A radar that cannot search on its own (``can_search = false``, e.g. the Brdy X-band
  radar) only acquires once some searching radar of the set holds a track (the cue); its
  visibility before the cue does not count.
* Warning time = impact time - first detection time (by any radar of the set, counting cues).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .radar import RadarView
from .tracking import Link, track_and_cue
from .trajectory import Samples, Trajectory

__all__ = ["RadarTrack", "Timeline", "timeline", "visibility_runs"]


@dataclass
class RadarTrack:
    """What one radar sees of one flight. Times in seconds from launch."""

    radar_id: str
    can_search: bool
    first_detection_t_s: float | None = None
    first_detection_altitude_m: float | None = None
    first_detection_range_m: float | None = None
    track_formed_t_s: float | None = None
    last_visible_t_s: float | None = None
    track_intervals_s: list[tuple[float, float]] = field(default_factory=list)
    visible_s: float = 0.0
    boost_seen: bool = False
    cue_t_s: float | None = None
    warning_time_s: float | None = None
    blocked_mostly_by: str | None = None


@dataclass
class Timeline:
    """Per-radar tracks of one flight, plus the set's first detection and warning time."""

    summary: dict
    tracks: list[RadarTrack]
    first_detection_t_s: float | None
    first_detection_radar: str | None
    warning_time_s: float | None
    impact_t_s: float
    burn_time_s: float
    samples: Samples
    visible: dict[str, np.ndarray]

    def to_dict(self) -> dict:
        return {**self.summary, "impact_t_s": self.impact_t_s, "burn_time_s": self.burn_time_s,
                "first_detection_t_s": self.first_detection_t_s,
                "first_detection_radar": self.first_detection_radar,
                "warning_time_s": self.warning_time_s,
                "radars": [asdict(t) for t in self.tracks]}


def visibility_runs(t: np.ndarray, vis: np.ndarray) -> list[tuple[float, float]]:
    """Intervals [t_start, t_end] of consecutive visible samples."""
    if not vis.any():
        return []
    v = np.concatenate([[False], vis, [False]]).astype(np.int8)
    starts = np.flatnonzero(np.diff(v) == 1)
    ends = np.flatnonzero(np.diff(v) == -1) - 1
    return [(float(t[a]), float(t[b])) for a, b in zip(starts, ends, strict=True)]


def timeline(traj: Trajectory, views: list[RadarView], *, step_s: float = 2.0,
             min_track_s: float = 10.0, index: int = 0, links: list[Link] | None = None) -> Timeline:
    """Detection timeline of trajectory ``index`` of ``traj`` for a set of radars.

    Visibility is the exact :meth:`RadarView.visibility` at ``step_s``; tracks and cues
    follow :func:`geocover.tracking.track_and_cue` (``links`` [default: every searching radar
    cues every radar that cannot search]), the rule the engagements use."""
    one = _pick(traj, index)
    s = one.sample(step_s=step_s)
    t, lat, lon, alt = s.t_s[0], s.lat_deg[0], s.lon_deg[0], s.altitude_m[0]
    rcs, boosting = s.rcs_m2[0], s.boosting[0]
    raw: dict[str, np.ndarray] = {}
    ranges: dict[str, np.ndarray] = {}
    reasons: dict[str, str | None] = {}
    for v in views:
        res = v.visibility(lat, lon, alt, rcs_m2=rcs)
        raw[v.radar.id] = np.asarray(res.visible)
        ranges[v.radar.id] = np.asarray(res.slant_range_m)
        blocked = np.asarray(res.blocked_by)[~raw[v.radar.id]]
        if blocked.size:
            vals, counts = np.unique(blocked, return_counts=True)
            reasons[v.radar.id] = str(vals[np.argmax(counts)])
        else:
            reasons[v.radar.id] = None
    # the one track-and-cue rule (geocover.tracking), on this flight's samples
    trk = track_and_cue(t[None, :], {k: v[None, :] for k, v in raw.items()},
                        {v.radar.id: v.radar.can_search for v in views}, min_track_s, links=links)
    impact = float(one.flight_time_s[0])
    tracks, effective = [], {}
    for v in views:
        rid = v.radar.id
        vis = trk.counted[rid][0]
        effective[rid] = vis
        cue = None if v.radar.can_search or not np.isfinite(trk.cue_t_s[rid][0]) else float(trk.cue_t_s[rid][0])
        formed = trk.formed_t_s[rid][0]
        tracks.append(_track(v, t, alt, ranges[rid], vis, boosting, min_track_s, impact, cue, reasons[rid],
                             None if not np.isfinite(formed) else float(formed)))
    firsts = [(tr.first_detection_t_s, tr.radar_id) for tr in tracks if tr.first_detection_t_s is not None]
    first_t, first_r = min(firsts) if firsts else (None, None)
    return Timeline(one.summary(), tracks, first_t, first_r,
                    None if first_t is None else impact - first_t, impact,
                    float(one.burn_time_s[0]), s, effective)


def _pick(traj: Trajectory, i: int) -> Trajectory:
    if traj.size == 1:
        return traj
    fields = {k: (np.atleast_1d(v)[i:i + 1] if isinstance(v, np.ndarray) else v)
              for k, v in traj.__dict__.items() if k != "_elements"}
    el = {k: (v[i:i + 1] if isinstance(v, np.ndarray) else v) for k, v in traj._elements.items()}
    return Trajectory(**fields, _elements=el)


def _track(v: RadarView, t, alt, slant_m, vis, boosting, min_track_s, impact, cue, reason, formed) -> RadarTrack:
    tr = RadarTrack(v.radar.id, v.radar.can_search, cue_t_s=None if v.radar.can_search else cue)
    if not vis.any():
        # a radar that cannot search and saw nothing after the cue (or had none) waits for it
        uncued = not v.radar.can_search and (cue is None or reason is None)
        tr.blocked_mostly_by = "no cue" if uncued else reason
        return tr
    i = int(np.argmax(vis))
    tr.first_detection_t_s = float(t[i])
    tr.first_detection_altitude_m = float(alt[i])
    tr.first_detection_range_m = float(slant_m[i])
    tr.last_visible_t_s = float(t[np.flatnonzero(vis)[-1]])
    runs = visibility_runs(t, vis)
    tr.track_intervals_s = [(a, b) for a, b in runs if b - a >= min_track_s]
    tr.track_formed_t_s = formed
    tr.visible_s = float(sum(b - a for a, b in runs))
    tr.boost_seen = bool((vis & boosting).any())
    tr.warning_time_s = impact - tr.first_detection_t_s
    tr.blocked_mostly_by = reason
    return tr
