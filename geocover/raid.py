"""Raids, interceptor inventories and kill probabilities.

A *raid* is a list of threats, each a (launch site, target, missile class) flight. The
engagement engine (:class:`geocover.footprint.Architecture`) gives every threat its
*engagement opportunities*: for each battery of the scenario, the window of trajectory
time in which an interceptor from that battery can meet it (first and last opportunity,
battle space in seconds) and whether a second shot, launched ``kill_assessment_s`` after
the first opportunity, still has one (shoot-look-shoot fits).

The whole scenario's radars track each flight once (:meth:`Architecture.track`, the one
track-and-cue rule of :mod:`geocover.tracking`, with the scenario's links); every battery is
then engaged on its own on those tracks. A threat is *kinematically engageable* when some
battery could engage it with every radar holding a track from launch on (:func:`perfect_tracks`:
commit delay, flyout, altitude window and range are then the only limits), and *engageable*
when it can with the scenario's sensors; otherwise the engine's ``limited_by`` says why.

Allocation (documented rule, deterministic): threats with at least one opportunity are
served in order of **least battle space first** (the threat's battle space is its largest
per-battery battle space: a threat is engaged by one battery), ties broken by the earliest
last opportunity, then raid order. Each threat goes to the battery with the longest battle
space against it among those that still hold the interceptors the doctrine needs (ties:
more interceptors left, then scenario order). A threat for which no battery has them is
not engaged and leaks.

Doctrines and their closed forms (independent shots, single-shot kill probability P):

* ``salvo:K``: K interceptors fired together; the threat is killed with probability
  ``1 - (1 - P)**K``; K interceptors are used. A battery with fewer than K left does not
  fire a partial salvo.
* ``sls`` (shoot-look-shoot): one interceptor; if the kill assessment shows a miss and the
  second shot fits (``shoot_look_shoot`` of that battery), a second one. Kill probability
  ``1 - (1 - P)**2`` where the second stage fits and the battery holds two interceptors,
  else ``P``. Two interceptors are *reserved* (planning cannot know the outcome); the
  expected number fired is ``1 + (1 - P)``.

Results: per threat the kill probability p_k (0 when not engaged), ``expected_leakers``
= sum of (1 - p_k), ``p_zero_leakers`` = product of p_k (threats independent), per target
and overall. Threats that cannot reach their target are reported, never counted as leakers.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .catalog import read_toml
from .errors import CatalogError, InputError, close_matches
from .footprint import Architecture, FlightTracks
from .scenario import Scenario
from .tracking import Tracks, first_true_t
from .trajectory import aim_missile

__all__ = ["Doctrine", "RaidGroup", "RaidResult", "allocate", "default_class", "kill_probability", "load_raid",
           "parse_doctrine", "run_raid", "sls_kill_probability"]

#: Most threats one raid may hold (the allocation is O(threats x batteries)).
MAX_THREATS = 100_000


# ---------------------------------------------------------------------------- closed forms
def kill_probability(sspk: float, shots: int) -> float:
    """Probability that at least one of ``shots`` independent interceptors kills: 1 - (1 - P)^K."""
    if not 0.0 <= sspk <= 1.0:
        raise InputError(f"sspk must be within [0, 1], got {sspk!r}")
    if shots < 0 or int(shots) != shots:
        raise InputError(f"shots must be a whole number >= 0, got {shots!r}")
    return 1.0 - (1.0 - sspk) ** int(shots)


def sls_kill_probability(sspk: float, second_stage: bool) -> float:
    """Shoot-look-shoot: P, then a second independent shot on a miss when it fits:
    P + (1 - P) P = 1 - (1 - P)^2, or P alone."""
    p = kill_probability(sspk, 1)
    return p + (1.0 - p) * p if second_stage else p


@dataclass(frozen=True)
class Doctrine:
    """``kind`` "salvo" (``shots`` interceptors at once) or "sls" (shoot-look-shoot)."""

    kind: str = "salvo"
    shots: int = 1

    def __str__(self) -> str:
        return "sls" if self.kind == "sls" else f"salvo:{self.shots}"


def parse_doctrine(text: str) -> Doctrine:
    """``salvo:K`` (K = 1..16) or ``sls``."""
    t = str(text).strip().lower()
    if t == "sls":
        return Doctrine("sls", 1)
    m = re.fullmatch(r"salvo(?::([0-9]{1,3}))?", t)  # ASCII digits only (int() reads "２" as 2)
    if not m:
        raise InputError(f"--doctrine: expected salvo:K (K interceptors per threat) or sls (shoot-look-shoot), "
                         f"got {text!r}")
    k = int(m.group(1) or 1)
    if not 1 <= k <= 16:
        raise InputError(f"--doctrine: a salvo needs 1 to 16 interceptors, got {k}")
    return Doctrine("salvo", k)


# ---------------------------------------------------------------------------- raid files
@dataclass(frozen=True)
class RaidGroup:
    """``count`` identical threats: a missile class from a launch site to a target (ids)."""

    launch: str
    target: str
    missile: str
    count: int


def default_class(sc: Scenario, launch_id: str) -> str:
    """The missile class of a raid group that names none: the longest-range class of the
    scenario's threat set launched from ``launch_id`` (:meth:`Scenario.missiles_for`; the
    scenario's main class where it is launched there, its one class for a one-``missile``
    scenario)."""
    return max(sc.missiles_for(launch_id), key=lambda m: m.range_m).id


def check_groups(groups: list[RaidGroup], sc: Scenario, where: str = "raid") -> None:
    """Every id known to the scenario's catalog, counts whole and within :data:`MAX_THREATS`."""
    cat = sc.catalog
    for g in groups:
        cat.launch_site(g.launch)
        cat.target(g.target)
        cat.missile(g.missile)
    total = sum(g.count for g in groups)
    if total > MAX_THREATS:
        raise InputError(f"{where}: {total:,} threats is more than a raid may hold ({MAX_THREATS:,})")


def load_raid(path: str | Path, sc: Scenario) -> list[RaidGroup]:
    """Read a raid file: ``[[threat]]`` tables with ``launch``, ``target``, ``class`` (a missile
    class id; default :func:`default_class`: the longest-range class of the scenario's threat
    set launched from the row's ``launch``) and ``count`` (whole number >= 1; default 1).

    Errors name the file and the key (``threat[2].class``) with close matches.
    """
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"{path}: raid file not found" if not path.exists() else f"{path}: not a regular file")
    doc = read_toml(path, "raid file")
    for k in doc:
        if k != "threat":
            near = close_matches(k, ["threat"])
            raise CatalogError(f"{path}: key {k!r}: unknown key; a raid file holds [[threat]] tables"
                               + (f" (did you mean {near[0]!r}?)" if near else ""))
    rows = doc.get("threat")
    if not isinstance(rows, list) or not rows:
        raise CatalogError(f"{path}: key 'threat': needs at least one [[threat]] table")
    cat = sc.catalog
    out: list[RaidGroup] = []
    pools = {"launch": cat.sites_by_kind["launch"], "target": cat.sites_by_kind["target"], "class": cat.missiles}
    for i, row in enumerate(rows):
        key = f"threat[{i}]"
        if not isinstance(row, dict):
            raise CatalogError(f"{path}: key {key!r}: must be a table")
        for k in row:
            if k not in ("launch", "target", "class", "count"):
                near = close_matches(k, ("launch", "target", "class", "count"))
                raise CatalogError(f"{path}: key '{key}.{k}': unknown key"
                                   + (f"; did you mean {near[0]!r}?" if near else "; use launch, target, class, count"))
        vals = {}
        for k in ("launch", "target", "class"):
            v = row.get(k, default_class(sc, vals["launch"]) if k == "class" and "launch" in vals else None)
            what = {"launch": "launch site", "target": "target", "class": "missile class"}[k]
            if not isinstance(v, str) or not v:
                raise CatalogError(f"{path}: key '{key}.{k}': must name a {what} id, got {v!r}"[:300])
            if v not in pools[k]:
                near = close_matches(v, pools[k])
                raise CatalogError(f"{path}: key '{key}.{k}': unknown {what} {v!r}"[:300]
                                   + (f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""))
            vals[k] = v
        n = row.get("count", 1)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_THREATS:
            raise CatalogError(f"{path}: key '{key}.count': must be a whole number from 1 to {MAX_THREATS:,}, "
                               f"got {n!r}"[:300])
        out.append(RaidGroup(vals["launch"], vals["target"], vals["class"], n))
    check_groups(out, sc, str(path))
    return out


# ---------------------------------------------------------------------------- opportunities
@dataclass
class Opportunity:
    """One battery's chance at one threat (times in s after the threat's launch)."""

    battery: str
    first_t_s: float
    last_t_s: float
    battle_space_s: float
    shoot_look_shoot: bool


def battery_architectures(sc: Scenario, **kw) -> dict[str, Architecture]:
    """The whole architecture (key ``""``) and one single-battery architecture per battery
    (same radars, links, tracking rule and timings): the engine's opportunities of each
    battery on its own, from the tracks of the whole scenario."""
    out = {"": Architecture(sc, **kw)}
    for iid in sc.interceptors:
        one = dataclasses.replace(sc, interceptors={iid: sc.interceptors[iid]},
                                  interceptor_fire_control={iid: sc.interceptor_fire_control[iid]})
        out[iid] = Architecture(one, **kw)
    return out


def perfect_tracks(ft: FlightTracks, *, after_boost: bool = False) -> FlightTracks:
    """The same flights with every radar holding a track from launch on (or, with
    ``after_boost``, from the end of boost on: the first sample after burnout), cueing
    instant: what the interceptors could do kinematically (commit delay from the track's
    start, flyout, altitude window, range) if sensors were no limit. ``engage`` and
    ``footprint --perfect-tracking`` use ``after_boost=True`` (README "Perfect tracking");
    ``raid --perfect-tracking`` tracks from launch."""
    t = ft.tracks.t_s
    if after_boost:
        yes = ~np.asarray(ft.samples.boosting, bool)
        start = first_true_t(t, yes)
    else:
        yes = np.ones(t.shape, bool)
        start = t[:, 0].copy()
    ids = list(ft.tracks.visible)
    tr = Tracks(t, {r: yes for r in ids}, {r: yes for r in ids}, {r: yes for r in ids},
                {r: start for r in ids}, {r: np.full(t.shape[0], np.nan) for r in ids},
                {r: True for r in ids})
    return FlightTracks(ft.samples, ft.points, tr)


@dataclass
class _GroupEngagement:
    reachable: bool
    opportunities: list[Opportunity]
    kinematic: bool  # some battery could engage it with perfect tracking
    limited_by: str | None  # the engine's reason when the whole architecture cannot


def group_opportunities(archs: dict[str, Architecture], sc: Scenario, groups: list[RaidGroup], *,
                        perfect: bool = False) -> list[_GroupEngagement]:
    """Every group's engagement: one aim per (launch, class), one track-and-cue pass per
    flight set, then each battery engaged on those tracks (on perfect tracks if ``perfect``)."""
    res: list = [None] * len(groups)
    pairs: dict[tuple[str, str], list[int]] = {}
    for gi, g in enumerate(groups):
        pairs.setdefault((g.launch, g.missile), []).append(gi)
    cat = sc.catalog
    whole = archs[""]
    for (lid, mid), idx in pairs.items():
        site = cat.launch_site(lid)
        tgts = [cat.target(groups[i].target) for i in idx]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            traj, ok = aim_missile(cat.missile(mid), site.lat_deg, site.lon_deg,
                                   np.array([t.lat_deg for t in tgts]), np.array([t.lon_deg for t in tgts]),
                                   errors="mask")
        ft = whole.track(traj)
        pt = perfect_tracks(ft)
        all_e = whole.engage(traj, ok, tracks=ft)
        kin = whole.engage(traj, ok, tracks=pt)
        per = {iid: arch.engage(traj, ok, tracks=pt if perfect else ft) for iid, arch in archs.items() if iid}
        for j, gi in enumerate(idx):
            opps = [Opportunity(iid, float(e.earliest_t_s[j]), float(e.latest_t_s[j]), float(e.battle_space_s[j]),
                                bool(e.shoot_look_shoot[j])) for iid, e in per.items() if bool(e.defended[j])]
            res[gi] = _GroupEngagement(bool(ok[j]), opps, bool(kin.defended[j]),
                                       str(all_e.limited_by[j]) or None)
    return res


# ---------------------------------------------------------------------------- allocation
@dataclass
class ThreatOutcome:
    """One threat of the raid after allocation."""

    index: int
    launch: str
    target: str
    missile: str
    reachable: bool
    opportunities: list[Opportunity]
    kinematic: bool = False
    limited_by: str | None = None
    battery: str = ""
    interceptors: int = 0  # reserved for it
    expected_fired: float = 0.0
    second_stage: bool = False
    p_kill: float = 0.0

    @property
    def battle_space_s(self) -> float:
        return max((o.battle_space_s for o in self.opportunities), default=0.0)


def allocate(threats: list[ThreatOutcome], inventory: dict[str, int], sspk: dict[str, float],
             doctrine: Doctrine, order: list[str] | None = None) -> dict[str, int]:
    """Assign interceptors to threats in place (rule in the module docstring); returns the
    interceptors left per battery. ``order`` is the batteries' tie-break order."""
    left = dict(inventory)
    rank = {b: i for i, b in enumerate(order or list(inventory))}
    queue = sorted((t for t in threats if t.reachable and t.opportunities),
                   key=lambda t: (t.battle_space_s, min(o.last_t_s for o in t.opportunities), t.index))
    for t in queue:
        best = None
        for o in t.opportunities:
            need = doctrine.shots if doctrine.kind == "salvo" else 1
            if left.get(o.battery, 0) < need:
                continue
            key = (-o.battle_space_s, -left[o.battery], rank.get(o.battery, 0))
            if best is None or key < best[0]:
                best = (key, o)
        if best is None:
            continue
        o = best[1]
        p = sspk[o.battery]
        t.battery = o.battery
        if doctrine.kind == "salvo":
            t.interceptors = doctrine.shots
            t.expected_fired = float(doctrine.shots)
            t.p_kill = kill_probability(p, doctrine.shots)
        else:
            t.second_stage = o.shoot_look_shoot and left[o.battery] >= 2
            t.interceptors = 2 if t.second_stage else 1
            t.expected_fired = 1.0 + ((1.0 - p) if t.second_stage else 0.0)
            t.p_kill = sls_kill_probability(p, t.second_stage)
        left[o.battery] -= t.interceptors
    return left


# ---------------------------------------------------------------------------- the raid
@dataclass
class RaidResult:
    scenario: str
    doctrine: Doctrine
    sspk: dict[str, float]
    inventory: dict[str, int]
    left: dict[str, int]
    threats: list[ThreatOutcome] = field(repr=False)
    perfect_tracking: bool = False

    @staticmethod
    def _summary(ts: list[ThreatOutcome]) -> dict:
        arriving = [t for t in ts if t.reachable]
        used: dict[str, int] = {}
        for t in arriving:
            if t.battery:
                used[t.battery] = used.get(t.battery, 0) + t.interceptors
        limits: dict[str, int] = {}
        for t in arriving:
            if not t.opportunities and t.limited_by:
                limits[t.limited_by] = limits.get(t.limited_by, 0) + 1
        return {"threats": len(ts), "threats_reaching": len(arriving),
                "threats_kinematically_engageable": sum(1 for t in arriving if t.kinematic),
                "threats_engageable": sum(1 for t in arriving if t.opportunities),
                "not_engageable_because": limits,
                "threats_engaged": sum(1 for t in arriving if t.battery),
                "interceptors_used": used,
                "expected_interceptors_fired": math.fsum(t.expected_fired for t in arriving),
                "expected_removed": math.fsum(t.p_kill for t in arriving),
                "expected_leakers": math.fsum(1.0 - t.p_kill for t in arriving),
                "p_zero_leakers": float(np.prod([t.p_kill for t in arriving])) if arriving else 1.0}

    def to_dict(self, threats: bool = False) -> dict:
        by_target: dict[str, list[ThreatOutcome]] = {}
        for t in self.threats:
            by_target.setdefault(t.target, []).append(t)
        out = {"scenario": self.scenario, "doctrine": str(self.doctrine), "perfect_tracking": self.perfect_tracking,
               "sspk": self.sspk,
               "inventory": self.inventory, "interceptors_left": self.left,
               "allocation_rule": "least battle space first; battery with the longest battle space that holds "
                                  "the doctrine's interceptors",
               **self._summary(self.threats),
               "per_target": {k: self._summary(v) for k, v in by_target.items()}}
        if threats:
            out["threat_results"] = [{
                "index": t.index, "launch": t.launch, "target": t.target, "missile": t.missile,
                "reachable": t.reachable, "kinematically_engageable": t.kinematic, "limited_by": t.limited_by,
                "battle_space_s": t.battle_space_s, "battery": t.battery or None,
                "interceptors": t.interceptors, "second_stage": t.second_stage, "p_kill": t.p_kill,
                "opportunities": [dataclasses.asdict(o) for o in t.opportunities]} for t in self.threats]
        return out


def run_raid(sc: Scenario, groups: list[RaidGroup], *, sspk: float | None = None,
             doctrine: Doctrine = Doctrine(), archs: dict[str, Architecture] | None = None,
             perfect_tracking: bool = False, **arch_kw) -> RaidResult:
    """Engage every threat of a raid, allocate the scenario's inventories, score the outcome.

    Parameters
    ----------
    sc : Scenario
        Architecture; each battery's ``inventory`` (else ``count``) and ``sspk``.
    groups : list of RaidGroup
        The raid.
    sspk : float, optional
        Single-shot kill probability for every battery (overrides the catalog's), in [0, 1].
    doctrine : Doctrine
        Salvo size or shoot-look-shoot.
    archs : dict, optional
        Pre-built :func:`battery_architectures`.
    perfect_tracking : bool
        Allocate on the kinematic opportunities (:func:`perfect_tracks`): an upper bound that
        takes sensors out of the question.

    Raises
    ------
    InputError
        SSPK outside [0, 1], or a battery without an SSPK (catalog or ``sspk``).
    """
    if sspk is not None and (isinstance(sspk, bool) or not 0.0 <= float(sspk) <= 1.0):
        raise InputError(f"--sspk must be within [0, 1], got {sspk!r}")
    check_groups(groups, sc)
    probs: dict[str, float] = {}
    for iid, itc in sc.interceptors.items():
        p = sspk if sspk is not None else itc.sspk
        if p is None:
            raise InputError(f"battery {iid!r} has no sspk in the catalog: give --sspk or set "
                             f"[overrides.interceptors.{iid}] sspk")
        probs[iid] = float(p)
    inventory = {iid: itc.rounds for iid, itc in sc.interceptors.items()}
    archs = archs or battery_architectures(sc, **arch_kw)
    opp = group_opportunities(archs, sc, groups, perfect=perfect_tracking)
    threats: list[ThreatOutcome] = []
    for g, ge in zip(groups, opp, strict=True):
        for _ in range(g.count):
            threats.append(ThreatOutcome(len(threats), g.launch, g.target, g.missile, ge.reachable,
                                         list(ge.opportunities), ge.kinematic, ge.limited_by))
    left = allocate(threats, inventory, probs, doctrine, order=list(sc.interceptors))
    return RaidResult(sc.id, doctrine, probs, inventory, left, threats, perfect_tracking)

