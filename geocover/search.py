"""Where should the next radar or interceptor battery go? A greedy site search that runs
in one process, on a local Dask cluster, or on an existing one.

* Candidates: a lat/lon grid (``step_deg``) inside a region (a bbox or a GeoJSON polygon),
  on land only unless sea sites are allowed (ship stations). Land is the bundled Natural
  Earth 1:50m outline.
* A candidate is a copy of a template record (by default the Kürecik AN/TPY-2 for radars,
  facing the launch sites, and the Deveselu SM-3 IB battery for interceptors) placed there,
  with its ground height from the DEM stack. A new radar is a searching and fire-control
  radar for every battery; a new battery is guided by every fire-control radar.
* Objective: ``area`` (km^2 defended against all the launch sites), ``cities`` (share of
  target cities defended), or ``warning`` (mean warning time, s, over the flights of every
  (launch, missile class) pair that reach their city; a flight no radar detects counts as
  0 s).
* Greedy selection with lazy re-evaluation (CELF, Leskovec et al. 2007): after the first
  round every candidate keeps its last marginal gain as an upper bound; the best bound is
  re-evaluated against the current selection and taken if it still beats every other
  bound. This is exact greedy for submodular objectives (coverage-like ones nearly are);
  for others it is a heuristic, and says so in its output.
* Work is split into one task per evaluated variant (the base plus the added sites), over
  every launch site. Each process makes the base scenario ready once per search (radar
  views and their refraction tables, flyout tables) and a variant adds only its own site;
  the task scores the variant where it runs and returns one number, so the client holds
  no grids and the result is the same however the tasks are spread (a test checks it).
  Tasks are retried if a worker is lost.
* A task computes only what the candidate can change (:func:`_fast_task`): each process
  aims every (launch, missile class) at the grid cells or cities once per search, engages
  the variant of the sites already chosen once per round, and then, per candidate, engages
  again only the flights a candidate radar sees (:func:`_fast_pair`: the others cannot
  change, an argument given there), or every reachable flight for a candidate battery,
  reusing their samples and the other radars' visibility at the scenario's samples
  (:func:`_known`: only the candidate radar is measured there; the refinement's new samples
  are measured by every radar),
  skipping targets that some (launch, class) pair already reaches undefended (the ``area``
  and ``cities`` objectives cannot count them whatever the rest say). Scores and picks are
  those of the plain way (tests/test_search_fast.py).
"""

from __future__ import annotations

import copy
import dataclasses
import heapq
import math
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .catalog import Interceptor, Radar
from .compare import area_km2, defended_over_pairs
from .engine import ScenarioRun
from .errors import GeocoverError, InputError
from .fastgeo import PointSet
from .footprint import Architecture, checked_grid, combine_classes, combine_launches
from .geodesy import inverse
from .refraction import DEFAULT_VISIBILITY_MODEL
from .scenario import Scenario
from .trajectory import Samples

__all__ = ["Executor", "SearchResult", "candidate_sites", "greedy_search", "on_region_edge", "read_region",
           "with_candidate", "wrapped_lon"]

OBJECTIVES = ("area", "cities", "warning")
#: Largest candidate grid a search accepts (each candidate is a full footprint evaluation).
MAX_CANDIDATES = 20_000


# ------------------------------------------------------------------ candidates
def _land():
    import json

    import shapely
    from shapely.geometry import shape

    from ._paths import data_path

    doc = json.loads(data_path("countries", "world_countries_ne50m.geojson").read_text())
    geoms = [shape(f["geometry"]) for f in doc["features"] if f.get("geometry")]
    land = shapely.union_all(geoms)
    shapely.prepare(land)
    return land


def read_region(text: str):
    """A region: ``west,south,east,north`` in degrees, or a file of polygons: GeoJSON, or any
    vector format and CRS GDAL reads (GeoPackage, shapefile, FlatGeobuf, KML; all layers),
    reprojected to WGS84 (:mod:`geocover.vector_io`)."""
    import shapely
    from shapely.geometry import box, shape

    if not str(text).strip():
        raise InputError("the candidate region is empty: give west,south,east,north or a polygon file")
    p = Path(text)
    if p.is_dir():
        raise InputError(f"candidate region {p} is a folder, not a polygon file")
    if p.suffix.lower() in (".geojson", ".json") or p.exists():
        if not p.is_file():
            raise InputError(f"candidate region {p} is not a regular file (a device or pipe)" if p.exists()
                             else f"candidate region file not found: {p}")
        from .catalog import read_json
        from .vector_io import geojson_crs_is_wgs84, read_vector_layers, uses_gdal

        if uses_gdal(p):
            doc = None
        else:
            doc = read_json(p, "candidate region")  # one reader: encoding, JSON, nesting, huge numbers
        if doc is None or not geojson_crs_is_wgs84(doc):  # GDAL reads it, reprojected to WGS84
            doc = {"features": [f for lay in read_vector_layers(p, "candidate region",
                                                                 allowed=("Polygon", "MultiPolygon"))
                                for f in lay.features]}
        feats = doc.get("features", [doc]) if isinstance(doc, dict) else []
        geoms = []
        for i, f in enumerate(feats):
            g = f.get("geometry", f) if isinstance(f, dict) else None
            try:
                geoms.append(shape(g))
            except Exception:
                raise InputError(f"{p}: feature #{i} has no valid geometry") from None
        for i, g in enumerate(geoms):
            if not g.is_valid:
                raise InputError(f"{p}: feature #{i}: the candidate region is not a valid polygon "
                                 f"({shapely.is_valid_reason(g)})")
        region = shapely.union_all(geoms) if geoms else None
        if region is None or region.is_empty or region.area == 0:
            raise InputError(f"{p}: the candidate region is empty (no polygon with an area)")
        w, s, e, n = region.bounds
        if not (-90 <= s and n <= 90 and -180 <= w and e <= 360 and e - w <= 360):
            raise InputError(f"{p}: the candidate region {region.bounds} is not within the globe "
                             "(latitudes -90..90, longitudes -180..360)")
        return region
    from .scenario import check_bbox

    try:
        w, s, e, n = check_bbox([float(x) for x in text.split(",")])
    except ValueError as exc:
        msg = str(exc) if "degrees" in str(exc) or "needs" in str(exc) else "must be west,south,east,north"
        raise InputError(f"candidate region {text!r}: {msg} (or a polygon file: GeoJSON, GeoPackage, ...)") from None
    return box(w, s, e, n)


def candidate_sites(region, step_deg: float, *, sea: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Candidate lat/lon (deg) on a grid of ``step_deg`` inside the region (on land unless
    ``sea``), cell centres aligned to multiples of the step."""
    import shapely

    if not step_deg > 0:
        raise InputError(f"--step must be > 0, got {step_deg}")
    region = _joined_at_antimeridian(region)
    w, s, e, n = region.bounds
    count = ((e - w) / step_deg + 1) * ((n - s) / step_deg + 1)
    if count > MAX_CANDIDATES:
        raise InputError(f"a {step_deg:g} deg step gives ~{count:,.0f} candidate sites in {region.bounds}; "
                         f"the limit is {MAX_CANDIDATES:,}: use a larger --step or a smaller region")
    lons = np.arange(math.floor(w / step_deg) * step_deg + step_deg / 2, e, step_deg)
    lats = np.arange(math.floor(s / step_deg) * step_deg + step_deg / 2, n, step_deg)
    lon2, lat2 = np.meshgrid(lons, lats)
    pts = shapely.points(lon2.ravel(), lat2.ravel())
    inside = shapely.contains(region, pts)
    if not inside.any():
        raise InputError(f"no candidate on a {step_deg:g} deg grid falls inside the region {region.bounds}")
    if not sea:  # the land outlines run from -180 to 180: a site gridded past 180 is looked up a turn back
        wrapped = shapely.points((lon2.ravel() + 180.0) % 360.0 - 180.0, lat2.ravel())
        on_land = shapely.contains(_land(), wrapped) & inside
        if not on_land.any():
            raise InputError("the candidate region crosses no land (use --sea for ship stations)")
        inside = on_land
    return lat2.ravel()[inside], lon2.ravel()[inside]


def wrapped_lon(lon_deg: float) -> float:
    """``lon_deg`` within [-180, 180] (deg): a candidate grid over a region that crosses the
    antimeridian counts its longitudes on past 180 (``170,40,206,64``); what the search
    reports (picks, ties: search.json, chosen.geojson, search.gpkg) says where the site is."""
    return float(lon_deg) if -180.0 <= lon_deg <= 180.0 else float((lon_deg + 180.0) % 360.0 - 180.0)


def _joined_at_antimeridian(region):
    """``region`` with the parts that an RFC 7946 file cuts at the antimeridian (section 3.1.9:
    one part ending at 180, one starting at -180) put back together past 180: the parts that
    start at -180 and lie west of Greenwich move a turn east when another part ends at 180.
    Other regions are returned as they are."""
    import shapely
    from shapely.affinity import translate

    w, _s, e, _n = region.bounds
    parts = list(getattr(region, "geoms", [region]))
    if not (w <= -180.0 + 1e-9 and e >= 180.0 - 1e-9) or len(parts) < 2:
        return region
    if not any(p.bounds[2] >= 180.0 - 1e-9 and p.bounds[0] >= 0.0 for p in parts):
        return region
    moved = [translate(p, xoff=360.0) if p.bounds[0] <= -180.0 + 1e-9 and p.bounds[2] <= 0.0 else p for p in parts]
    return shapely.union_all(moved)


def on_region_edge(lat_deg: float, lon_deg: float, region, step_deg: float) -> bool:
    """True when a candidate site lies on the edge of the candidate region: one of its eight
    grid neighbours (``step_deg`` away in latitude and/or longitude) is outside ``region``.
    A pick there may be the best only because the region stops: the optimum may lie outside.

    The land mask is not part of the region: a coastal candidate whose neighbours are at sea
    inside the region is not on its edge (sea sites are excluded, not unexplored).

    Parameters
    ----------
    lat_deg, lon_deg : float
        The candidate (degrees).
    region : shapely geometry
        The candidate region (:func:`read_region`).
    step_deg : float
        The candidate grid step (degrees).
    """
    import shapely

    d = float(step_deg)
    offs = [(a, b) for a in (-d, 0.0, d) for b in (-d, 0.0, d) if (a, b) != (0.0, 0.0)]
    covered = np.zeros(len(offs), bool)
    for turn in (0.0, -360.0, 360.0):  # a region written past 180 (or -180) holds the site a turn away
        pts = shapely.points([lon_deg + b + turn for _, b in offs], [lat_deg + a for a, _ in offs])
        covered |= shapely.covers(region, pts)
    return not bool(np.all(covered))


def with_candidate(sc: Scenario, kind: str, lat: float, lon: float, template, index: int) -> Scenario:
    """The scenario with one more radar or battery (a copy of ``template``) at (lat, lon)."""
    from .terrain import DemStack

    ground = float(max(DemStack.bundled().sample(lat, lon, warn=False), 0.0))
    if kind == "radar":
        lats = [sc.catalog.launch_site(lid).lat_deg for lid in sc.launch_sites]
        lons = [sc.catalog.launch_site(lid).lon_deg for lid in sc.launch_sites]
        _, az, _ = inverse(lat, lon, float(np.mean(lats)), float(np.mean(lons)))
        rid = f"candidate-radar-{index}"
        rec = dataclasses.replace(template, id=rid, name=f"candidate radar {index} ({template.id} copy)",
                                  lat_deg=lat, lon_deg=lon, ground_height_msl_m=ground,
                                  boresight_azimuth_deg=float(az) % 360.0, can_search=True, confidence="notional")
        radars = {**sc.radars, rid: rec}
        fc = {k: [*v, rid] for k, v in sc.interceptor_fire_control.items()}
        nets = sc.networks
        if nets:  # the defender's new radar joins its network (that of the fire-control radars)
            from .fusion import home_network

            home = home_network(sc)
            nets = {**nets, home: [*nets[home], rid]}
        return dataclasses.replace(sc, radars=radars, early_warning=[*sc.early_warning, rid],
                                   fire_control=[*sc.fire_control, rid], interceptor_fire_control=fc, networks=nets)
    iid = f"candidate-battery-{index}"
    rec = dataclasses.replace(template, id=iid, name=f"candidate battery {index} ({template.id} copy)",
                              lat_deg=lat, lon_deg=lon, ground_height_msl_m=ground, confidence="notional")
    return dataclasses.replace(sc, interceptors={**sc.interceptors, iid: rec},
                               interceptor_fire_control={**sc.interceptor_fire_control, iid: list(sc.fire_control)})


# ------------------------------------------------------------------ tasks
@dataclass(frozen=True)
class Task:
    """One unit of work: a scenario variant (the base plus some added sites) against every
    launch site of the search, scored in the worker (only the score travels back)."""

    key: tuple
    added: tuple[tuple[float, float], ...]
    launches: tuple[str, ...]


def _variant(sc: Scenario, kind: str, template, added) -> Scenario:
    for i, (lat, lon) in enumerate(added):
        sc = with_candidate(sc, kind, lat, lon, template, i)
    return sc


class TaskResult(NamedTuple):
    """A scenario variant against one (launch site, missile class) pair: its battle-space grid
    against the launch site (every class of it) and its engagements of the catalog's target
    cities by that class (arrays over the cities). :func:`_score` reads a list of them."""

    key: tuple
    launch: str
    battle_space_s: np.ndarray
    north_deg: float
    resolution_deg: float
    reachable: np.ndarray
    defended: np.ndarray
    warning_time_s: np.ndarray


#: The base scenario's Architecture in this process (worker), built on a search's first task
#: and reused by every variant of it: ``{search token: Architecture}``, one search at a time.
_BASE: dict = {}
#: What the variants of that search share besides it: the radar views of the sites already
#: chosen (``(radar id, lat, lon)`` -> RadarView) and the template battery's flyout table.
_SHARED: dict = {}
_BASE_LOCK = threading.Lock()
_ENGAGED_LOCK = threading.Lock()


def _base_architecture(token: str, sc: Scenario) -> Architecture:
    """The base scenario made ready once per process and search (radar views with their
    refraction tables, interceptor flyout tables): a variant adds only its own sites."""
    with _BASE_LOCK:
        arch = _BASE.get(token)
        if arch is None:
            _clear()  # a previous search's architecture: free its tables
            arch = _BASE[token] = Architecture(sc, model=DEFAULT_VISIBILITY_MODEL)
        return arch


def _clear() -> None:
    """Drop the cached search state: the base architecture, what its variants share, and the
    search's aimed trajectories (:func:`geocover.robustness.aimed_blocks`, keyed by its token)."""
    from .robustness import forget_aimed

    forget_aimed(set(_BASE))
    _BASE.clear()
    _SHARED.clear()


def _forget_base() -> None:
    """Drop the cached base architecture (end of a search; also run in every Dask worker)."""
    with _BASE_LOCK:
        _clear()


def _variant_architecture(base: Architecture, sc: Scenario, kind: str, template, added, *,
                          keep_all: bool = False) -> Architecture:
    """``base`` with the added sites: the same radar views and flyout tables (the base
    scenario's records are unchanged in a variant), new ones only for the added radars or
    batteries; identical to ``Architecture(variant)`` (tests/test_compare_search.py).

    The views of the sites already chosen (all added sites but the last, the candidate) are
    kept for the next variants of the search (``keep_all``: all of them, for a variant of the
    chosen sites only); a candidate battery's flyout table is the
    template's (the table depends only on the interceptor's speed, burn time, range and
    altitude window, which a copy keeps), under the candidate's id."""
    from . import refraction
    from .interceptor import flyout_table
    from .radar import RadarView

    variant = _variant(sc, kind, template, added)
    arch = copy.copy(base)
    arch.scenario = variant
    views = dict(base.views)
    new = [rid for rid in variant.radars if rid not in views]
    store, refraction.STORE_SITES_ON_DISK = refraction.STORE_SITES_ON_DISK, False  # one entry per candidate
    try:
        for j, rid in enumerate(new):
            r = variant.radars[rid]
            key = ("view", rid, r.lat_deg, r.lon_deg)
            views[rid] = _SHARED.get(key) or RadarView(r, model=DEFAULT_VISIBILITY_MODEL, terrain=False)
            if keep_all or j < len(new) - 1:  # a chosen site: every later variant has it too
                _SHARED[key] = views[rid]
    finally:
        refraction.STORE_SITES_ON_DISK = store
    arch.views = views
    tables = dict(base.tables)
    for iid, itc in variant.interceptors.items():
        if iid not in tables:
            if ("table", template.id) not in _SHARED:
                _SHARED[("table", template.id)] = flyout_table(template)
            tt = _SHARED[("table", template.id)]
            same = all(getattr(itc, f) == getattr(template, f) for f in (
                "burnout_speed_mps", "burn_time_s", "max_range_m", "min_intercept_altitude_m",
                "max_intercept_altitude_m"))
            tables[iid] = dataclasses.replace(tt, interceptor_id=iid) if same else flyout_table(itc)
    arch.tables = tables
    arch.links = variant.links
    return arch


def run_task(sc: Scenario, kind: str, template, resolution_deg: float, task: Task, token: str = "", *,
             objective: str | None = None) -> list[TaskResult]:
    """Battle-space grids and city engagements of one scenario variant against each launch
    site of ``task``: one :class:`TaskResult` per (launch, missile class) pair of the threat set.

    Without an ``objective`` (or a ``token``), everything is computed the plain way: one
    :class:`~geocover.engine.ScenarioRun` on the process's cached base architecture, the
    reference (tests/test_compare_search.py: bit for bit a ScenarioRun of the variant).
    With an ``objective`` and a search ``token``, only what the objective reads is computed
    (the grids for ``area``, whose city fields are then None; the city engagements for
    ``cities`` and ``warning``, whose grid fields are None), by :func:`_fast_engage`: aimed
    once per process and search, the variant without its candidate engaged once, and a
    candidate radar's flights re-engaged only where it sees them. Its reachability, verdicts
    and warning times are those of the plain way; its battle spaces are exact in what the
    objectives read (finite, > 0), not always in their last bits (:func:`_fast_engage`)."""
    base = _base_architecture(token, sc) if token else Architecture(sc, model=DEFAULT_VISIBILITY_MODEL)
    if objective is not None and token:
        return _fast_task(base, sc, kind, template, resolution_deg, task, token, objective)
    arch = _variant_architecture(base, sc, kind, template, task.added) if task.added else base
    run = ScenarioRun(arch.scenario, architecture=arch, launches=list(task.launches))
    out = []
    for lid in task.launches:
        fp = run.footprint([lid], resolution_deg=resolution_deg)
        for m in run.scenario.missiles_for(lid):
            eng = run.city_flights(lid, missile=m).engagements
            out.append(TaskResult(task.key, lid, fp.battle_space_s[lid], fp.north_deg, fp.resolution_deg,
                                  eng.reachable, eng.defended, eng.warning_time_s))
    return out


#: Flights engaged by :func:`_fast_engage` in this process: ``flights`` (reachable flights
#: scored), ``reengaged`` (of them, those engaged again for a candidate: all of them for a
#: battery, those a candidate radar sees for a radar); benchmarks read it.
FAST_STATS = {"flights": 0, "reengaged": 0}


@dataclass
class _Engaged:
    """One engine block (:data:`geocover.footprint.ENGAGE_BLOCK` targets) against one (launch,
    missile class), engaged by the variant without its candidate: the reachable flights
    ``traj`` (rows ``idx`` of the block), their final refined samples (:class:`~geocover.
    trajectory.Samples`, padding included; the tracks themselves are not kept: a third of the
    memory), their engagements (the defender's first detection and warning,
    :meth:`ScenarioRun.engage`), and what a variant re-engaging some of them reuses
    (:func:`_known`): their samples at the scenario's sample count and what each radar of that
    variant without its candidate sees there."""

    size: int
    idx: np.ndarray
    traj: object
    samples: object
    eng: object
    base: object = None
    seen: dict | None = None

    def known(self, rows: np.ndarray) -> tuple:
        """``(samples, visible)`` of flights ``rows`` at the scenario's samples, for
        :meth:`geocover.footprint.Architecture.track`'s ``known``: the stored arrays' rows."""
        if rows.size == self.idx.size:
            return self.base, self.seen
        s = self.base
        return (Samples(*(a[rows] for a in (s.t_s, s.lat_deg, s.lon_deg, s.altitude_m, s.boosting)),
                        s.body_rcs_m2, s.warhead_rcs_m2), {r: v[rows] for r, v in self.seen.items()})


def _known(arch: Architecture, traj) -> tuple:
    """``(samples, visible)`` of ``traj`` for :meth:`geocover.footprint.Architecture.track`'s
    ``known``: its samples and what each of ``arch``'s radars sees there, by the methods
    ``track`` itself calls (:meth:`~geocover.footprint.Architecture.sample`,
    :meth:`~geocover.footprint.Architecture.visible`).

    A variant that adds a radar to ``arch`` reuses both for any subset of the flights: a
    flight's samples do not depend on the other flights sampled with it (one missile class
    per block, :meth:`geocover.trajectory.Trajectory.sample`), a point's visibility does not
    depend on the other points (:meth:`geocover.radar.RadarView.visible_fast`), and the other
    radars' records are the same in the variant; so only the candidate's visibility is new
    (tests/test_search_fast.py checks the tracks equal, array for array)."""
    s = arch.sample(traj)
    return s, arch.visible(s, PointSet(s.lat_deg, s.lon_deg))


def _targets(sc: Scenario, where: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes (deg) of the targets of ``where``: ``("grid", resolution)``, the
    cells of the scenario's box as :func:`geocover.footprint.footprint` orders them, or
    ``("cities",)``, the catalog's target cities."""
    if where[0] == "grid":
        return checked_grid(sc.bbox_deg, where[1], 4_000_000).cell_centres()
    cities = sc.catalog.sites("target")
    return np.array([c.lat_deg for c in cities]), np.array([c.lon_deg for c in cities])


def _prefix_architecture(base: Architecture, sc: Scenario, kind: str, template, prefix: tuple) -> Architecture:
    """The variant of the sites already chosen (``prefix``), once per process and search."""
    if not prefix:
        return base
    key = ("prefix", prefix)
    if key not in _SHARED:
        _SHARED[key] = _variant_architecture(base, sc, kind, template, prefix, keep_all=True)
    return _SHARED[key]


def _engaged(token: str, prev: Architecture, prefix: tuple, site, missile, where: tuple) -> list[_Engaged]:
    """The targets of ``where`` from ``site`` engaged by ``prev`` (the variant of the chosen
    sites ``prefix``), per engine block, once per process, search and prefix; aimed by
    :func:`geocover.robustness.aimed_blocks` (once per process, search and threat: the aim does not
    depend on the sensors or batteries). Only the reachable flights are engaged: an
    unreachable one is never defended and has no battle space or warning time, whatever
    the architecture."""
    from .robustness import aimed_blocks

    with _ENGAGED_LOCK:  # threads of one worker: computed once (and no dict changes under a reader)
        for old in [k for k in _SHARED if k[0] in ("engaged", "prefix") and k[1] != prefix]:
            del _SHARED[old]  # an earlier round's: every task of a round has the same chosen sites
        store = _SHARED.setdefault(("engaged", prefix), {})
        key = (site.id, missile.id, where)
        if key not in store:
            lat, lon = _targets(prev.scenario, where)
            run = ScenarioRun(prev.scenario, architecture=prev)
            blocks = []
            aimed = aimed_blocks({"token": token}, prev, site, missile, lat, lon, where, keep_all=False)
            for _traj, ok, idx, sub in aimed:
                if not idx.size:
                    blocks.append(_Engaged(ok.size, idx, sub, None, None))
                    continue
                known = _known(prev, sub)
                ft = prev.track(sub, known=known)
                eng = run.engage_both(sub, np.ones(idx.size, bool), tracks=ft)[0]
                blocks.append(_Engaged(ok.size, idx, sub, ft.samples, eng, *known))
            store[key] = blocks
        return store[key]


@dataclass
class _Pair:
    """One (launch, missile class) pair of a variant in :func:`_fast_task`: per target
    (``where``'s order) reachable, defended, battle space (s) and warning time (s), filled
    with ``prev``'s values, and per engine block the rows of its reachable flights still to
    engage for the candidate (``todo``)."""

    blocks: list
    reach: np.ndarray
    defended: np.ndarray
    battle_space_s: np.ndarray
    warning_time_s: np.ndarray
    todo: list

    def settled(self) -> np.ndarray:
        """Targets whose values are the variant's already (nothing left to engage)."""
        out = np.ones(self.reach.size, bool)
        start = 0
        for b, rows in zip(self.blocks, self.todo, strict=True):
            out[start + b.idx[rows]] = False
            start += b.size
        return out


def _fast_pair(token: str, prev: Architecture, arch: Architecture, prefix: tuple, kind: str, site, missile,
               where: tuple) -> _Pair:
    """The targets of ``where`` from ``site`` for the variant ``arch`` = ``prev`` (the chosen
    sites, engaged once by :func:`_engaged`) plus one candidate (none when ``arch is prev``):
    ``prev``'s values, and the flights the candidate may change (:func:`_reengage` engages
    them).

    A candidate battery: its reachable flights engaged again by ``arch``. No shortcut of this
    kind is exact for it: guided by every fire-control radar, its candidate samples (tracked
    inside its altitude window) can reach past the base batteries' last one, which moves the
    end of the stretch where track and visibility edges are refined
    (:func:`geocover.sampling.edge_intervals`), so the samples change even for a flight it
    can never reach.

    A candidate radar: only the flights it sees at one of ``prev``'s final refined samples are
    engaged again; every other flight keeps ``prev``'s engagement, which is exactly the
    variant's. Why: the refinement (:mod:`geocover.sampling`) starts from the scenario's
    samples, which are among the final ones. Suppose the variant's samples of a flight equal
    ``prev``'s at the start of a round (true at the first). The candidate sees none of them
    (visibility is a function of the point alone: the same values in any batch), nor the
    padding copies of the impact point (they copy the last sample's state, and the impact
    point is a real sample too). A radar that sees nothing counts nothing, forms no track
    and delivers no cue (NaN formation: ``np.fmin`` leaves every cue as it was); it searches
    (:func:`with_candidate`), so it waits for no cue either; joining every battery's
    fire-control list and the home network adds an all-False track (``any_in_track``: the
    same tracking and formation time) and a NaN first detection (``defender_warning``). So
    the tracks, cues, opportunities and flagged intervals of the round are ``prev``'s, the
    next round's samples are ``prev``'s, and so is the result: the same reachability,
    verdict, battle space, first detection and warning time.

    Exact up to one thing the engine itself already accepts (a flight's positions do not
    depend on the other flights computed with it: :meth:`geocover.trajectory.Trajectory.
    positions`): the battle space of a flight engaged with fewer flights than its block is
    the same trapezoid sum over fewer padding columns (zero weight), so it may differ in its
    last bits (:func:`geocover.robustness._engage`). The search reads the battle space only
    as finite and > 0 (``area``) and the verdicts and warning times per flight, which do not
    change (tests/test_search_fast.py compares scores and picks with the plain way).
    """
    blocks = _engaged(token, prev, prefix, site, missile, where)
    n = sum(b.size for b in blocks)
    pair = _Pair(blocks, np.zeros(n, bool), np.zeros(n, bool), np.full(n, np.nan), np.full(n, np.nan), [])
    cand = None
    if arch is not prev and kind == "radar":
        cand = arch.views[next(r for r in arch.scenario.radars if r not in prev.views)]
    start = 0
    for b in blocks:
        at = start + b.idx
        start += b.size
        rows = np.arange(b.idx.size) if arch is not prev else np.zeros(0, np.intp)
        if b.idx.size:
            e = b.eng
            pair.reach[at], pair.defended[at] = True, e.defended
            pair.battle_space_s[at], pair.warning_time_s[at] = e.battle_space_s, e.warning_time_s
            if cand is not None:
                rows = np.flatnonzero(_sees(cand, b.samples))
        FAST_STATS["flights"] += b.idx.size
        pair.todo.append(rows)
    return pair


#: :func:`_sees` first tries every this-many-th sample of each flight.
SEES_STRIDE = 8


def _sees(view, smp) -> np.ndarray:
    """Per flight, whether ``view`` sees at least one of the samples ``smp`` (flights x
    samples): first every :data:`SEES_STRIDE`-th sample (most flights a candidate sees, it
    sees for minutes), then every sample of the flights not seen there. Visibility is a
    function of the point alone, so this is the same answer as testing every sample (the
    points are passed as contiguous arrays, as the engine passes them)."""
    def vis(rows, cols):
        return view.visible_fast(*(np.ascontiguousarray(a[rows][:, cols]) for a in (
            smp.lat_deg, smp.lon_deg, smp.altitude_m, smp.rcs_m2))).any(axis=1)

    n = smp.lat_deg.shape[0]
    seen = vis(slice(None), slice(SEES_STRIDE // 2, None, SEES_STRIDE))
    rest = np.flatnonzero(~seen)
    if rest.size:
        seen[rest] = vis(rest, slice(None))
    return seen if n else np.zeros(0, bool)


def _reengage(arch: Architecture, pair: _Pair, skip: np.ndarray | None = None) -> None:
    """Engage ``pair``'s flights still to engage with the variant ``arch`` (its values updated
    in place), except the targets in ``skip`` (the caller does not read them)."""

    run = ScenarioRun(arch.scenario, architecture=arch)
    start = 0
    for b, rows in zip(pair.blocks, pair.todo, strict=True):
        at = start + b.idx
        start += b.size
        if skip is not None:
            rows = rows[~skip[at[rows]]]
        if not rows.size:
            continue
        FAST_STATS["reengaged"] += rows.size
        sub = b.traj if rows.size == b.idx.size else b.traj.subset(rows)
        # the flights' samples and the other radars' visibility there as stored: only the
        # candidate's is measured (_known)
        ft = arch.track(sub, known=b.known(rows))
        e = run.engage_both(sub, np.ones(rows.size, bool), tracks=ft)[0]
        at = at[rows]
        pair.defended[at], pair.battle_space_s[at], pair.warning_time_s[at] = (e.defended, e.battle_space_s,
                                                                             e.warning_time_s)


def _fast_task(base: Architecture, sc: Scenario, kind: str, template, resolution_deg: float, task: Task,
               token: str, objective: str) -> list[TaskResult]:
    """:func:`run_task` with an objective: only what it reads (:func:`_fast_pair`, :func:`_reengage`).

    ``area`` and ``cities`` read, per cell or city, only whether it is defended against every
    (launch, class) pair that reaches it (:func:`_score`): once one pair reaches it undefended
    (battle space 0 s), no other pair's result can change that. So the flights the candidate
    cannot change are settled first, for every pair; then each pair's remaining flights are
    engaged, except at targets some pair already reaches undefended (those keep ``prev``'s
    values: the returned per-pair grids and arrays are exact only in what the objective
    reads). ``warning`` reads every flight."""
    prefix = task.added[:-1]
    prev = _prefix_architecture(base, sc, kind, template, prefix)
    arch = _variant_architecture(base, sc, kind, template, task.added) if task.added else base
    if not task.added:
        prev = arch
    variant = arch.scenario
    where = ("grid", float(resolution_deg)) if objective == "area" else ("cities",)
    pairs = [(lid, _fast_pair(token, prev, arch, prefix, kind, variant.catalog.launch_site(lid), m, where))
             for lid in task.launches for m in variant.missiles_for(lid)]
    dead = None  # reached undefended by some pair, in the variant (area, cities)
    if objective != "warning":
        dead = np.logical_or.reduce([p.reach & ~p.defended & p.settled() for _lid, p in pairs])
    for _lid, p in pairs:
        _reengage(arch, p, dead)
        if dead is not None:
            dead |= p.reach & ~p.defended
    out = []
    if objective == "area":
        g = checked_grid(variant.bbox_deg, float(resolution_deg), 4_000_000)
        for lid in task.launches:
            grids = [p.battle_space_s.reshape(g.shape).astype(np.float32) for pl, p in pairs if pl == lid]
            grid = combine_classes(grids, [np.zeros(g.shape, bool)] * len(grids))[0]
            out += [TaskResult(task.key, lid, grid, g.north_deg, g.resolution_deg, None, None, None) for _ in grids]
    else:
        out = [TaskResult(task.key, lid, None, None, None, p.reach, p.defended, p.warning_time_s) for lid, p in pairs]
    return out


def score_task(sc: Scenario, kind: str, template, resolution_deg: float, objective: str, token: str,
               task: Task) -> float:
    """The objective of one scenario variant (:func:`run_task`, then :func:`_score`): only
    this number leaves the worker, so a search holds one float per evaluation, not grids.

    A candidate radar's CRPL refraction tables (:func:`geocover.refraction.crpl_site`, tens
    of MB per antenna height) serve this task only: when the task added entries to that
    in-memory cache they are dropped again (the base scenario's radar views keep their own
    tables), so a worker's memory does not grow with the candidates it has scored."""
    from .refraction import crpl_site

    before = crpl_site.cache_info().currsize
    try:
        return _score(objective, run_task(sc, kind, template, resolution_deg, task, token, objective=objective))
    finally:
        if kind == "radar" and task.added and crpl_site.cache_info().currsize > before:
            crpl_site.cache_clear()


def _check_scheduler(address: str, timeout_s: float) -> None:
    """Ask ``address`` who it is (Dask's ``identity`` message) within ``timeout_s`` (s);
    :class:`~geocover.errors.GeocoverError` naming the address when nothing answers there,
    or something that is not a Dask scheduler does.

    ``Client(address, timeout=...)`` bounds only the TCP connect: a server that accepts the
    connection and then waits for a request of its own (an HTTP server, such as
    ``python -m http.server``) leaves Dask's handshake waiting for ever."""
    import asyncio

    async def identity():
        from distributed.comm import connect
        from distributed.security import Security

        # the connection arguments a Client takes from Dask's config (TLS certificates for tls://)
        comm = await connect(address, timeout=timeout_s, **Security().get_connection_args("client"))
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded():
        return await asyncio.wait_for(identity(), timeout_s)

    why = None
    try:
        reply = asyncio.run(bounded())
    except TimeoutError:
        why = f"no Dask answer within {timeout_s:g} s"
    except Exception as exc:  # refused, reset, or bytes that are not Dask's frames (MemoryError, ValueError ...)
        why = f"{exc.__class__.__name__}: {exc}"
    else:
        if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
            kind = reply.get("type") if isinstance(reply, dict) else type(reply).__name__
            why = f"it answers as {kind!r}, not as a Dask scheduler"
    if why:
        raise GeocoverError(f"cannot reach the Dask scheduler at {address} ({why}); start one with "
                            "`dask scheduler` and give its address (tcp://HOST:8786), or use --scheduler "
                            "local or none")


def _call_range(fn, *args):
    """``fn(*args[:-1], start, stop)`` for the ``(start, stop)`` range last in ``args``."""
    *rest, (start, stop) = args
    return fn(*rest, start, stop)


class Executor:
    """Runs tasks in-process (``scheduler="none"``), on a local Dask cluster (``"local"``,
    the default) or on an existing cluster (``"tcp://host:8786"``)."""

    def __init__(self, scheduler: str | None = "local", *, workers: int = 2, progress: bool | None = None,
                 connect_timeout_s: float = 5.0):
        self.scheduler = scheduler or "none"
        # None: a progress bar only when stderr is a terminal (a log file gets no bar lines)
        self.progress = progress
        self.workers = 1 if self.scheduler == "none" else workers
        self.client = self.cluster = None
        #: per-worker allocator state (geocover.scaleout.allocator_status); empty in-process
        self.allocator: dict = {}
        if self.scheduler == "none":
            return
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            if self.scheduler != "local":
                raise InputError("Dask is not installed: pip install 'dask[distributed]' "
                                 "(or use --scheduler none)") from None
            # the default scheduler of optimise and robustness on a plain install: the same
            # results in one process (results do not depend on the scheduler), said once
            import warnings

            warnings.warn("Dask is not installed, so this runs in one process (--scheduler none); "
                          "pip install 'geocover[cluster]' for a local cluster of workers", RuntimeWarning,
                          stacklevel=2)
            self.scheduler, self.workers = "none", 1
            return
        if self.scheduler == "local":
            import os

            import dask

            # Dask exports MALLOC_TRIM_THRESHOLD_=65536 to its workers (and to this process);
            # on this class of VM that makes numpy's large temporaries page-fault constantly
            # and a worker ~2.7x slower than plain Python (benchmarks/bench_search.py).
            environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
                       if k != "MALLOC_TRIM_THRESHOLD_"}
            saved = dict(os.environ)
            try:
                with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
                    self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                dashboard_address=":0", silence_logs=40)
            finally:
                os.environ.clear()
                os.environ.update(saved)
            self.client = Client(self.cluster)
            self.allocator = self._configure_workers()  # a no-op here: the variable is gone
        else:
            if not self.scheduler.startswith(("tcp://", "tls://", "inproc://")):
                raise InputError(f"scheduler {self.scheduler!r} must be 'none', 'local' or an address like "
                                 "tcp://host:8786")
            _check_scheduler(self.scheduler, connect_timeout_s)  # before the Client: it can wait forever
            try:
                self.client = Client(self.scheduler, timeout=f"{connect_timeout_s}s")
                self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
            except Exception as exc:  # refused, timed out, or not a Dask scheduler at all
                # (an HTTP server such as the dashboard's port answers bytes that distributed reads
                # as a 3 EiB frame length: MemoryError; other servers give ValueError, EOFError ...)
                raise GeocoverError(f"cannot reach the Dask scheduler at {self.scheduler} within "
                                    f"{connect_timeout_s:g} s ({exc.__class__.__name__}: {exc})") from None
            self.allocator = self._configure_workers()

    def _configure_workers(self) -> dict:
        """On a cluster someone else started: the allocator fix in every worker (now and
        later ones, :class:`geocover.scaleout.AllocatorPlugin`); a warning naming the fix where
        a worker keeps Dask's ``MALLOC_TRIM_THRESHOLD_`` and cannot be configured. Returns
        each worker's :func:`geocover.scaleout.allocator_status`."""
        import warnings

        from .scaleout import FIX_HINT, TRIM_ENV, AllocatorPlugin, allocator_status

        self.client.register_plugin(AllocatorPlugin())
        status = self.client.run(allocator_status)
        slow = sorted(w for w, st in status.items() if st["env"] is not None and not st["configured"])
        if slow:
            warnings.warn(f"{len(slow)} of {len(status)} Dask workers keep {TRIM_ENV}="
                          f"{status[slow[0]]['env']} and cannot change it here (no glibc mallopt), which "
                          f"made geocover 1.7-2.7x slower; {FIX_HINT}", RuntimeWarning, stacklevel=3)
        return status

    def map(self, fn: Callable, items: Sequence, *args, desc: str = "tasks") -> list:
        """``fn(*args, item)`` for every item, results in item order; a progress bar on stderr
        (with ``progress=None``, only when stderr is a terminal or in a Jupyter notebook)."""
        import sys

        from tqdm.auto import tqdm

        # None: a terminal, or a Jupyter kernel (tqdm.auto draws a widget there), never a log file
        show = (sys.stderr.isatty() or "ipykernel" in sys.modules) if self.progress is None else bool(self.progress)
        bar = tqdm(total=len(items), desc=desc, disable=not show, leave=False, file=sys.stderr)
        try:
            if self.client is None:
                out = []
                for it in items:
                    out.append(fn(*args, it))
                    bar.update(1)
                return out
            from dask.distributed import as_completed

            scattered = [self.client.scatter(a, broadcast=True, hash=False) for a in args]
            futures = [self.client.submit(fn, *scattered, it, retries=2, pure=False) for it in items]
            index = {f.key: i for i, f in enumerate(futures)}
            results: list = [None] * len(items)
            try:
                for fut in as_completed(futures):
                    results[index[fut.key]] = fut.result()
                    bar.update(1)
            except BaseException:
                self.client.cancel(futures)
                raise
            return results
        finally:
            bar.close()

    def map_chunks(self, fn: Callable, n: int, *args, chunks: int | None = None, align: int = 1,
                   desc: str = "chunks"):
        """``fn(*args, start, stop)`` over contiguous index ranges covering ``range(n)``, the
        results joined in order (:func:`geocover.scaleout.concat_chunks`: arrays, tuples, dicts,
        dataclasses). ``chunks`` defaults to 4 per worker (1 in-process), for balance; every
        boundary is a multiple of ``align``: give the block size of a computation whose
        results depend on its blocks (``engage_points``' ``chunk``: its samples per block) and
        the result equals ``fn(*args, 0, n)`` (tests/test_scaleout.py)."""
        from .scaleout import chunk_ranges, concat_chunks

        k = chunks or (1 if self.client is None else 4 * self.workers)
        ranges = chunk_ranges(int(n), k, align=align)
        if not ranges:
            raise InputError("nothing to compute: no indices")
        return concat_chunks(self.map(_call_range, ranges, fn, *args, desc=desc))

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------------ greedy search
@dataclass
class SearchResult:
    """Candidates, their first-round scores (the heat layer), and the chosen sites."""

    kind: str
    objective: str
    base_score: float
    cand_lat: np.ndarray
    cand_lon: np.ndarray
    first_scores: np.ndarray  # objective with each candidate added alone
    chosen: list[dict]
    evaluations: int
    note: str
    #: Why the search chose fewer than ``k`` sites ("" when it chose ``k``).
    stopped: str = ""


def _score(objective: str, parts: list[TaskResult]) -> float:
    """The objective of one scenario variant from its task results (one per (launch, missile
    class) pair; see the module docstring):

    ``area``
        km² of the cells defended against every launch that reaches them.
    ``cities``
        Share (0-1) of the threatened cities defended against every pair that reaches them.
    ``warning``
        Mean warning time (s) over the flights that reach their city, a flight that no radar
        detects counting as 0 s (it gives no warning; leaving it out would let an undetected
        threat raise the mean). 0 when no flight reaches a city.
    """
    parts = [TaskResult._make(p) for p in parts]
    if objective == "area":
        both = combine_launches([p.battle_space_s for p in parts], "all")
        return area_km2(np.isfinite(both) & (both > 0), parts[0].north_deg, parts[0].resolution_deg)
    reach = np.stack([np.asarray(p.reachable, bool) for p in parts])
    if objective == "cities":
        threatened, ok = defended_over_pairs(reach, np.stack([p.defended for p in parts]))
        return float(ok.sum() / max(threatened.sum(), 1))
    warn = np.stack([np.asarray(p.warning_time_s, float) for p in parts])[reach]
    return float(np.mean(np.where(np.isfinite(warn), warn, 0.0))) if warn.size else 0.0


def greedy_search(sc: Scenario, kind: str, cand_lat: np.ndarray, cand_lon: np.ndarray, *, k: int = 1,
                  objective: str = "area", template=None, launches: list[str] | None = None,
                  resolution_deg: float = 1.0, executor: Executor | None = None) -> SearchResult:
    """Greedy selection of ``k`` sites with lazy re-evaluation (see the module docstring).

    A pick whose marginal gain is not positive is not chosen: the search stops there and
    says why in :attr:`SearchResult.stopped` (a site that adds nothing is no answer to
    "where should the next one go"). Each pick lists in ``tied_with`` the other candidates
    whose marginal gain equals its own (within ``1e-9`` relative, the rounding of the
    objective's sums); the pick itself is the first of them in candidate order.
    Each pick is a dict: ``rank``, ``lat_deg``, ``lon_deg``, ``gain`` (marginal gain of the
    objective), ``score`` (objective after the pick), ``tied_with`` (list of
    ``{"lat_deg", "lon_deg"}``).
    """
    if kind not in ("radar", "interceptor"):
        raise InputError(f"--add must be radar or interceptor, got {kind!r}")
    if objective not in OBJECTIVES:
        raise InputError(f"--objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if k < 1:
        raise InputError("--k must be >= 1")
    if template is None:
        template = sc.catalog.radar("kurecik") if kind == "radar" else sc.catalog.interceptor("deveselu-sm3-ib")
    if (kind == "radar" and not isinstance(template, Radar)) or (kind == "interceptor" and not isinstance(
            template, Interceptor)):
        raise InputError(f"template {template.id!r} is not a {kind}")
    launches = list(launches or sc.launch_sites)
    sc = dataclasses.replace(sc, launch_sites=launches)
    ex = executor or Executor("none", progress=False)
    evaluations = 0
    token = uuid.uuid4().hex  # names this search's base architecture in each process

    def evaluate(selections: list[tuple], desc: str) -> list[float]:
        nonlocal evaluations
        tasks = [Task((i,), tuple(sel), tuple(launches)) for i, sel in enumerate(selections)]
        scores = ex.map(score_task, tasks, sc, kind, template, resolution_deg, objective, token, desc=desc)
        evaluations += len(selections)
        return [float(x) for x in scores]

    try:
        return _greedy(sc, cand_lat, cand_lon, k, kind, objective, ex, evaluate, lambda: evaluations)
    finally:
        _forget_base()
        if getattr(ex, "client", None) is not None:
            try:
                ex.client.run(_forget_base)
            except Exception:  # a worker gone: its memory went with it
                pass


def _greedy(sc, cand_lat, cand_lon, k, kind, objective, ex, evaluate, evaluations) -> SearchResult:
    """The CELF loop of :func:`greedy_search` over ``evaluate(selections, desc) -> scores``."""
    base = evaluate([()], "base")[0]
    cands = list(zip(cand_lat.tolist(), cand_lon.tolist(), strict=True))
    first = evaluate([(c,) for c in cands], f"{len(cands)} candidates")
    chosen: list[tuple[float, float]] = []
    picks = []
    current = base
    heap = [(-(s - base), i) for i, s in enumerate(first)]
    heapq.heapify(heap)
    fresh = {i: 0 for i in range(len(cands))}  # round in which each bound was computed
    batch = max(1, 2 * getattr(ex, "workers", 1))
    stopped = ""

    def tol(x: float) -> float:  # rounding of the objective's sums: equal gains compare within this
        return 1e-9 * max(1.0, abs(x), abs(current))

    def refresh_top(rnd: int) -> None:
        """Re-evaluate the best stale bounds together (as many as the workers can take)."""
        stale = []
        while heap and len(stale) < batch and fresh[heap[0][1]] != rnd:
            stale.append(heapq.heappop(heap)[1])
        scores = evaluate([(*chosen, cands[j]) for j in stale], f"round {rnd + 1}")
        for j, score in zip(stale, scores, strict=True):
            fresh[j] = rnd
            heapq.heappush(heap, (-(score - current), j))

    for rnd in range(k):
        while heap:
            if fresh[heap[0][1]] == rnd:  # the best bound is up to date: take it
                neg, i = heapq.heappop(heap)
                gain = -neg
                break
            refresh_top(rnd)
        else:
            stopped = f"stopped after {len(picks)} pick(s): every candidate has been chosen"
            break
        if not gain > tol(gain):
            heapq.heappush(heap, (-gain, i))
            stopped = (f"stopped after {len(picks)} pick(s): no remaining candidate adds anything to the "
                       f"'{objective}' objective (best marginal gain {gain:.6g})")
            break
        # exact ties: every other candidate whose gain (brought up to date) equals this one's
        tied = []
        while heap and -heap[0][0] >= gain - tol(gain):
            if fresh[heap[0][1]] == rnd:
                tied.append(heapq.heappop(heap))
            else:
                refresh_top(rnd)
        for entry in tied:
            heapq.heappush(heap, entry)
        ties = [{"lat_deg": cands[j][0], "lon_deg": wrapped_lon(cands[j][1])}
                for neg_j, j in sorted(tied, key=lambda e: e[1]) if abs(-neg_j - gain) <= tol(gain)]
        chosen.append(cands[i])
        current += gain
        picks.append({"rank": rnd + 1, "lat_deg": cands[i][0], "lon_deg": wrapped_lon(cands[i][1]), "gain": gain,
                      "score": current, "tied_with": ties})
    note = ("greedy with lazy re-evaluation (CELF): exact greedy if the objective is submodular; "
            "the 'warning' objective is not, so its later picks are a heuristic")
    return SearchResult(kind, objective, base, np.asarray(cand_lat), np.asarray(cand_lon), np.asarray(first),
                        picks, evaluations(), note, stopped)
