"""A scenario run: trajectories, tracks, engagements, city results and grids, computed once.

Every command that engages — ``footprint``, ``engage``, ``compare``, ``optimise`` (one
:func:`geocover.search.run_task` per variant over every launch; a search engages only the
flights a candidate can change, through :meth:`ScenarioRun.engage`), ``map`` — and the Python
API go through a :class:`ScenarioRun`, which owns one :class:`~geocover.footprint.Architecture`
(radar views, flyout tables, cue links) and caches what it has computed:

* :meth:`ScenarioRun.footprint` — battle-space grids per launch site
  (:class:`~geocover.footprint.FootprintGrid`);
* :meth:`ScenarioRun.city_flights` — the catalog's target cities from one launch site: the
  aimed trajectories, their tracks (:class:`~geocover.footprint.FlightTracks`) and
  engagements, from which the CSV rows, the map's popups *and* the map's "tracked by"
  colouring all come;
* :meth:`ScenarioRun.cities` — typed per-(city, launch, missile class) results
  (:class:`CityResult`);
* first detection and warning time are the defender's (:meth:`ScenarioRun.defender_view`:
  for a scenario with ``[networks]``, its own network's radars and the linked networks' tracks
  after the links' latency);
* :meth:`ScenarioRun.city_verdicts` — one verdict per city over the threat set
  (:class:`CityVerdict`): a city is *defended* when it is defended against every
  (launch, class) pair that reaches it (:data:`DEFENDED_RULE`).

Results are dataclasses with named fields; outputs (CSV, JSON, maps, plots) only format
them. See ``docs/design.md`` for the data flow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .catalog import Missile, Site
from .footprint import Architecture, EngagementResult, Engagements, FlightTracks, FootprintGrid, footprint
from .refraction import DEFAULT_VISIBILITY_MODEL
from .scenario import Scenario
from .tracking import Link
from .trajectory import Trajectory

__all__ = ["CITY_FIELDS", "DEFENDED_AREA_RULE", "DEFENDED_RULE", "PERFECT_TRACKING", "CityFlights", "CityResult",
           "CityVerdict", "PerfectTrackingArchitecture", "ScenarioRun", "combine_pairs", "footprint_metadata"]

#: What "defended" means for a cell of a footprint (README "Defended footprints"), written
#: into the footprint's GeoTIFF tags and GeoJSON.
DEFENDED_AREA_RULE = ("a grid cell is defended when its battle space is > 0 s against every (launch, missile class) "
                      "pair of the threat set that reaches it (the least battle space over those pairs); cells no "
                      "pair reaches are not threatened (NaN) and count in neither area")

#: The assumption of ``--perfect-tracking`` (``engage``, ``footprint``), written into their outputs.
PERFECT_TRACKING = ("perfect tracking: every fire-control radar holds a track of the threat from the end of boost "
                    "on and cueing is instant; only commit delay, flyout, altitude window and interceptor range "
                    "limit the engagement (a kinematic upper bound, not what the scenario's sensors achieve)")

#: The rule behind a city's verdict against a threat set (README "Threat sets"), also written
#: into the JSON of :class:`CityVerdict`.
DEFENDED_RULE = ("a city is defended when it is defended against every (launch, missile class) pair of the "
                 "threat set that can reach it; null when no pair reaches it")

#: Columns of a per-city table (``cities.csv``), in order: one row per (city, launch, class).
CITY_FIELDS = ("target", "launch", "missile", "reachable", "defended", "battle_space_s", "limited_by", "earliest_t_s",
               "latest_t_s", "earliest_altitude_m", "interceptor", "radar", "first_detection_t_s", "warning_time_s",
               "flight_time_s", "shoot_look_shoot", "boost_seen", "lat_deg", "lon_deg", "launch_lat_deg",
               "launch_lon_deg")


@dataclass(frozen=True)
class CityResult:
    """One target city against one launch site.

    Attributes
    ----------
    target, launch : Site
        The catalog city and launch site.
    engagement : EngagementResult
        The engine's verdict (``limited_by``, battle space, first/last intercept, ...).
    """

    target: Site
    launch: Site
    engagement: EngagementResult
    #: Missile class id of the flight.
    missile: str = ""

    def to_row(self) -> dict:
        """A flat row with the keys of :data:`CITY_FIELDS` (None where undefined)."""
        e = self.engagement.to_dict()
        row = {"target": self.target.id, "launch": self.launch.id, "missile": self.missile, **e,
               "lat_deg": self.target.lat_deg, "lon_deg": self.target.lon_deg, "launch_lat_deg": self.launch.lat_deg,
               "launch_lon_deg": self.launch.lon_deg}
        return {k: row.get(k) for k in CITY_FIELDS}


@dataclass(frozen=True)
class CityVerdict:
    """One city against the whole threat set (:data:`DEFENDED_RULE`).

    Attributes
    ----------
    target : Site
    reachable_from, defended_against : list of (launch id, missile id)
        The (launch, class) pairs that reach the city, and those of them it is defended against.
    battle_space_s : float or None
        The least battle space over the pairs that reach it (s); None when none reaches.
    """

    target: Site
    reachable_from: list[tuple[str, str]]
    defended_against: list[tuple[str, str]]
    battle_space_s: float | None

    @property
    def defended(self) -> bool | None:
        """Defended against every pair that reaches it; None when no pair reaches it."""
        return (len(self.defended_against) == len(self.reachable_from)) if self.reachable_from else None

    def to_dict(self) -> dict:
        """JSON-ready: ``reachable_from``/``defended_against`` as lists of {launch, missile}."""
        return {"target": self.target.id, "defended": self.defended,
                "reachable_from": [{"launch": a, "missile": b} for a, b in self.reachable_from],
                "defended_against": [{"launch": a, "missile": b} for a, b in self.defended_against],
                "battle_space_s": self.battle_space_s, "lat_deg": self.target.lat_deg,
                "lon_deg": self.target.lon_deg}


@dataclass(frozen=True)
class CityFlights:
    """One missile class from one launch site at a list of cities: trajectories,
    reachability, tracks and engagements of the same flights."""

    launch: Site
    cities: list[Site]
    trajectories: Trajectory
    reachable: np.ndarray
    tracks: FlightTracks
    engagements: Engagements
    missile: str = ""

    def results(self) -> list[CityResult]:
        return [CityResult(c, self.launch, self.engagements.result(i), self.missile)
                for i, c in enumerate(self.cities)]


class PerfectTrackingArchitecture(Architecture):
    """An :class:`~geocover.footprint.Architecture` whose radars all hold a track of every
    flight from the end of boost on (:data:`PERFECT_TRACKING`; the tracks of
    :func:`geocover.raid.perfect_tracks` with ``after_boost=True``)."""

    def track(self, traj: Trajectory) -> FlightTracks:
        from .raid import perfect_tracks

        return perfect_tracks(super().track(traj), after_boost=True)


class ScenarioRun:
    """One scenario, made ready and computed once (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
    model : refraction model name or object [default: the visibility default, CRPL].
    terrain : bool or DemStack
        Terrain masks for the radar views [default: none].
    interceptor_speed_mps : float, optional
        Set every battery's burnout speed (m/s).
    links : list of Link, optional
        Cue links [default: the scenario's networks (``Scenario.links``), else
        :func:`geocover.tracking.default_links`].
    launches : list of str, optional
        Launch-site ids [default: the scenario's].
    architecture : Architecture, optional
        An architecture already built for ``scenario`` (the other options are then ignored).
    perfect_tracking : bool
        Engage on perfect tracks (:data:`PERFECT_TRACKING`, :class:`PerfectTrackingArchitecture`).
    executor : geocover.search.Executor, optional
        Split footprint grids into chunks on its Dask workers (results identical to one
        process; :func:`geocover.footprint.footprint`) [default: one process].
    """

    def __init__(self, scenario: Scenario, *, model=DEFAULT_VISIBILITY_MODEL, terrain=False,
                 interceptor_speed_mps: float | None = None, links: list[Link] | None = None,
                 launches: list[str] | None = None, architecture: Architecture | None = None,
                 perfect_tracking: bool = False, executor=None):
        self.executor = executor
        cls = PerfectTrackingArchitecture if perfect_tracking else Architecture
        self.arch = architecture or cls(scenario, model=model, terrain=terrain,
                                        interceptor_speed_mps=interceptor_speed_mps, links=links)
        self.perfect_tracking = isinstance(self.arch, PerfectTrackingArchitecture)
        self.scenario = self.arch.scenario
        self.launches = list(launches or self.scenario.launch_sites)
        self._grids: dict[tuple, tuple[FootprintGrid, dict]] = {}
        self._cities: dict[tuple[str, str], CityFlights] = {}

    @property
    def refraction_model(self) -> str:
        """Name of the refraction model of the radar views."""
        return next(iter(self.arch.views.values())).model_name if self.arch.views else ""

    def engage(self, traj: Trajectory, reachable: np.ndarray) -> Engagements:
        """Engage given trajectories (e.g. a lofted profile from ``engage``); the first
        detection and warning time are the defender's (:meth:`defender_view`)."""
        return self.engage_both(traj, reachable)[0]

    def engage_both(self, traj: Trajectory, reachable: np.ndarray, tracks: FlightTracks | None = None
                    ) -> tuple[Engagements, Engagements]:
        """Engage given trajectories: (the engagements with the defender's first detection and
        warning time, :meth:`defender_view`; the same with every radar of the scenario counted
        at once, the engine's raw values). Identical for a scenario without ``[networks]``."""
        ft = tracks or self.arch.track(traj)
        raw = self.arch.engage(traj, reachable, tracks=ft)
        return self.defender_view(traj, raw, ft), raw

    def defender_view(self, traj: Trajectory, eng: Engagements, tracks: FlightTracks) -> Engagements:
        """``eng`` with ``first_detection_t_s`` and ``warning_time_s`` as the defender knows
        them, for a scenario with ``[networks]``: the first sample a radar of the home network
        (the one holding the fire-control radars) counts, or a linked foreign network's track
        formation plus the link's latency, whichever is earlier
        (:func:`geocover.fusion.defender_warning`); warning = impact time − that (NaN when
        that comes after impact, or the flight does not reach). The engine's
        own values count every radar of every network at zero latency, which overstates the
        defender's warning. Unchanged without ``[networks]`` (every radar in one network), or
        when the fire-control radars belong to several networks (no single defender)."""
        sc = self.scenario
        if not sc.networks:
            return eng
        from .errors import InputError
        from .fusion import defender_warning, home_network

        try:
            home_network(sc)
        except InputError:
            return eng
        impact = np.asarray(traj.flight_time_s, float)
        alert = defender_warning(sc, tracks, impact)["alert_t_s"]
        # reachable flights only; an alert that would arrive after impact is no warning (NaN)
        alert = np.where(np.asarray(eng.reachable, bool) & (alert < impact), alert, np.nan)
        return dataclasses.replace(eng, first_detection_t_s=alert, warning_time_s=impact - alert)

    def footprint(self, launches: list[str] | None = None, *, bbox_deg=None, resolution_deg: float | None = None,
                  max_cells: int = 4_000_000, progress=None) -> FootprintGrid:
        """Battle-space grids against ``launches`` [default: the run's]; a launch already
        computed on the same grid is not computed again."""
        launches = list(launches or self.launches)
        key = (tuple(bbox_deg) if bbox_deg is not None else None, resolution_deg)
        have = self._grids.get(key)
        missing = [lid for lid in launches if have is None or lid not in have[1]]
        if missing or have is None:
            fp = footprint(self.arch, missing or launches, bbox_deg=bbox_deg, resolution_deg=resolution_deg,
                           max_cells=max_cells, progress=progress, executor=self.executor)
            grids = dict(have[1]) if have else {}
            grids.update({lid: (fp.battle_space_s[lid], fp.shoot_look_shoot[lid]) for lid in fp.battle_space_s})
            have = (fp, grids)
            self._grids[key] = have
        fp, grids = have
        by_threat = {k: v for k, v in fp.by_threat.items() if k[0] in launches}
        return dataclasses.replace(fp, battle_space_s={lid: grids[lid][0] for lid in launches},
                                   shoot_look_shoot={lid: grids[lid][1] for lid in launches}, by_threat=by_threat)

    def city_flights(self, launch_id: str, cities: list[Site] | None = None, *,
                     missile: Missile | None = None) -> CityFlights:
        """The scenario's missile (or ``missile``, a class of its threat set) from
        ``launch_id`` at ``cities`` [default: the catalog's target cities; that default is
        cached]: aimed, tracked and engaged once."""
        m = missile or self.scenario.missile
        key = (launch_id, m.id)
        if cities is None and key in self._cities:
            return self._cities[key]
        site = self.scenario.catalog.launch_site(launch_id)
        targets = list(self.scenario.catalog.sites("target") if cities is None else cities)
        traj, ok = self.arch.aim(site.lat_deg, site.lon_deg, [c.lat_deg for c in targets],
                                 [c.lon_deg for c in targets], missile=m)
        ft = self.arch.track(traj)
        eng = self.engage_both(traj, ok, tracks=ft)[0]
        out = CityFlights(site, targets, traj, ok, ft, eng, m.id)
        if cities is None:
            self._cities[key] = out
        return out

    def cities(self, launches: list[str] | None = None) -> list[CityResult]:
        """Every catalog target city against every (launch site, missile class) pair of the
        threat set (launch-major, then the set's class order)."""
        return [r for lid in (launches or self.launches) for m in self.scenario.missiles_for(lid)
                for r in self.city_flights(lid, missile=m).results()]

    def city_verdicts(self, launches: list[str] | None = None) -> list[CityVerdict]:
        """One verdict per catalog target city over the threat set (:data:`DEFENDED_RULE`),
        in catalog order."""
        by_city: dict[str, list[CityResult]] = {}
        for r in self.cities(launches):
            by_city.setdefault(r.target.id, []).append(r)
        return [CityVerdict(rows[0].target, *combine_pairs([(r.launch.id, r.missile, r.engagement) for r in rows]))
                for rows in by_city.values()]


def combine_pairs(pairs: list[tuple[str, str, EngagementResult]]
                  ) -> tuple[list[tuple[str, str]], list[tuple[str, str]], float | None]:
    """Apply :data:`DEFENDED_RULE` to one target's results against (launch, class) pairs.

    Parameters
    ----------
    pairs : list of (launch id, missile class id, EngagementResult)
        The target against each (launch, class) pair of the threat set.

    Returns
    -------
    reachable_from, defended_against : list of (launch id, missile id)
        The pairs that reach the target, and those of them it is defended against (in the
        order given); the target is defended when both lists are equal and not empty, and
        has no verdict (None) when ``reachable_from`` is empty.
    battle_space_s : float or None
        The least battle space (s) over the pairs that reach it; None when none reaches.
    """
    reach = [(lid, mid, e) for lid, mid, e in pairs if e.reachable]
    return ([(lid, mid) for lid, mid, _ in reach], [(lid, mid) for lid, mid, e in reach if e.defended],
            min((e.battle_space_s for _, _, e in reach), default=None))


def footprint_metadata(run: ScenarioRun, fp: FootprintGrid, launches: list[str]) -> dict:
    """Everything a defended-area export needs to explain itself, as flat JSON-ready values:
    the scenario (id, title, sources), every parameter as a number (per battery: burnout speed
    m/s, commit delay s, altitude window m, range m; per missile class: boost and warhead RCS
    m²; track formation, kill assessment, samples per flight), the refraction model, the
    grid's extent and resolution (deg), the geocover version, :data:`DEFENDED_AREA_RULE`, and
    the perfect-tracking assumption (:data:`PERFECT_TRACKING`) when it applies."""
    from . import __version__

    sc = run.scenario
    rows, cols = next(iter(fp.battle_space_s.values())).shape
    out: dict = {"scenario": sc.id, "title": sc.title, "sources": "; ".join(sc.sources),
                 "notional": "; ".join(sc.notional), "launches": ",".join(launches), "missile": sc.threat_label}
    for iid, itc in sc.interceptors.items():
        out[f"{iid}_burnout_speed_mps"] = itc.burnout_speed_mps
        out[f"{iid}_commit_delay_s"] = itc.commit_delay_s
        out[f"{iid}_min_intercept_altitude_m"] = itc.min_intercept_altitude_m
        out[f"{iid}_max_intercept_altitude_m"] = itc.max_intercept_altitude_m
        out[f"{iid}_max_range_m"] = itc.max_range_m
    for c in sc.threat_classes:
        out[f"{c.missile.id}_body_rcs_m2"] = c.missile.body_rcs_m2
        out[f"{c.missile.id}_warhead_rcs_m2"] = c.missile.warhead_rcs_m2
    out.update({"min_track_s": sc.min_track_s, "kill_assessment_s": sc.kill_assessment_s,
                "samples_per_flight": sc.samples, "refraction_model": run.refraction_model,
                "grid_west_deg": fp.west_deg, "grid_south_deg": fp.north_deg - rows * fp.resolution_deg,
                "grid_east_deg": fp.west_deg + cols * fp.resolution_deg, "grid_north_deg": fp.north_deg,
                "grid_resolution_deg": fp.resolution_deg, "grid_rows": rows, "grid_cols": cols,
                "geocover_version": __version__, "defended_rule": DEFENDED_AREA_RULE,
                "perfect_tracking": run.perfect_tracking})
    if run.perfect_tracking:
        out["assumption"] = PERFECT_TRACKING
    return out
