"""Side-by-side comparison of architectures (scenarios), and the cell areas behind it.

For each scenario and launch site: the battle-space grid and the engagements against the
catalog's target cities. Metrics per scenario: defended area (km^2 on the WGS84 ellipsoid,
"defended against all" the chosen launches), share of target cities defended (optionally
weighted), mean and minimum battle space over the defended cities, mean warning time,
first detection time per launch site (mean over the cities' trajectories), share of
flights whose boost phase is seen; and per city, which scenarios defend it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine import ScenarioRun
from .footprint import Architecture
from .geodesy import LatLonGrid, cell_areas_km2
from .refraction import DEFAULT_VISIBILITY_MODEL
from .scenario import Scenario

__all__ = ["CITY_TABLE_FIELDS", "Comparison", "area_km2", "cell_areas_km2", "city_table", "compare_scenarios",
           "defended_over_pairs", "grid_areas_km2", "land_fraction", "scenario_metrics"]

#: Columns of ``compare``'s city x scenario table (``comparison_cities.csv``, the ``cities``
#: layer of ``comparison.gpkg``), one row per (city, scenario): every catalog target city,
#: out-of-reach ones included (``reachable`` false, ``defended`` empty, ``limited_by``
#: ``not_reachable``). ``launch`` and ``missile``: the (launch site, missile class) pair the
#: verdict comes from (the first pair the city is not defended against, else the pair with
#: the least battle space; empty when no pair reaches the city).
CITY_TABLE_FIELDS = ("target", "name", "lat_deg", "lon_deg", "scenario", "reachable", "defended", "battle_space_s",
                     "limited_by", "launch", "missile")

#: Sub-points per cell side for :func:`land_fraction`.
LAND_SUBSAMPLES = 5


def area_km2(mask: np.ndarray, north_deg: float, resolution_deg: float) -> float:
    """Area (km^2, WGS84) of the cells of a north-up lat/lon grid where ``mask`` is true
    (:meth:`geocover.geodesy.LatLonGrid.area_km2`)."""
    return LatLonGrid(0.0, north_deg, resolution_deg, *np.asarray(mask).shape).area_km2(mask)


def defended_over_pairs(reachable, defended, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """:data:`geocover.engine.DEFENDED_RULE` over ``axis`` (the (launch, class) pairs): (reached
    by some pair; defended against every pair that reaches it)."""
    reach = np.asarray(reachable, bool)
    threatened = reach.any(axis=axis)
    return threatened, np.all(np.asarray(defended, bool) | ~reach, axis=axis) & threatened


def land_fraction(north_deg: float, west_deg: float, resolution_deg: float, shape: tuple[int, int], *,
                  k: int = LAND_SUBSAMPLES) -> np.ndarray:
    """Share of each cell of a north-up lat/lon grid that is land: the fraction of its k x k
    evenly spaced sub-points (cell-centred) inside a bundled country outline (Natural Earth
    1:50m, ``data/countries``; :func:`geocover.sectors.locate`). Coastal cells are resolved
    to 1/k² of a cell."""
    from .sectors import locate

    nrow, ncol = shape
    off = (np.arange(k) + 0.5) / k * resolution_deg
    lat = (north_deg - np.arange(nrow)[:, None] * resolution_deg - off[None, :]).ravel()  # (nrow*k,)
    lon = (west_deg + np.arange(ncol)[:, None] * resolution_deg + off[None, :]).ravel()  # (ncol*k,)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    land = (locate(lo.ravel(), la.ravel()) >= 0).reshape(nrow, k, ncol, k)
    return land.mean(axis=(1, 3))


def grid_areas_km2(values_s: np.ndarray, north_deg: float, west_deg: float, resolution_deg: float, *,
                   k: int = LAND_SUBSAMPLES) -> dict:
    """Defended (battle space > 0) and threatened (finite) area (km², WGS84 cell areas,
    :func:`area_km2`) of a north-up battle-space grid, and their land part
    (:func:`land_fraction` with ``k`` x ``k`` sub-points per cell): ``defended_area_km2``,
    ``threatened_area_km2``, ``defended_land_area_km2``, ``threatened_land_area_km2``."""
    threatened = np.isfinite(values_s)
    defended = threatened & (np.nan_to_num(values_s) > 0)
    land = land_fraction(north_deg, west_deg, resolution_deg, values_s.shape, k=k)
    cell_km2 = cell_areas_km2(north_deg, values_s.shape[0], resolution_deg)[:, None]
    return {"defended_area_km2": area_km2(defended, north_deg, resolution_deg),
            "threatened_area_km2": area_km2(threatened, north_deg, resolution_deg),
            "defended_land_area_km2": float(np.sum(cell_km2 * land * defended)),
            "threatened_land_area_km2": float(np.sum(cell_km2 * land * threatened))}


def city_table(run: ScenarioRun, launches: list[str]) -> list[dict]:
    """One row per catalog target city (keys :data:`CITY_TABLE_FIELDS`) over the threat set
    of ``launches`` (:data:`geocover.engine.DEFENDED_RULE`): ``battle_space_s`` the least over
    the (launch, class) pairs that reach the city; ``limited_by`` the engine's reason for the
    first pair it is not defended against (``not_reachable`` when none reaches; empty when
    defended); ``launch``/``missile`` that pair, or for a defended city the pair with the
    least battle space (empty when none reaches)."""
    by_city: dict[str, list] = {}
    for r in run.cities(launches):
        by_city.setdefault(r.target.id, []).append(r)
    out = []
    for v in run.city_verdicts(launches):
        rows = by_city[v.target.id]
        reach = [r for r in rows if r.engagement.reachable]
        bad = [r for r in reach if not r.engagement.defended]
        # the pair the verdict comes from: the first undefended one, else the least battle space
        key = bad[0] if bad else min(reach, key=lambda r: r.engagement.battle_space_s, default=None)
        out.append({"target": v.target.id, "name": v.target.name, "lat_deg": v.target.lat_deg,
                    "lon_deg": v.target.lon_deg, "scenario": run.scenario.id, "reachable": bool(reach),
                    "defended": v.defended, "battle_space_s": v.battle_space_s,
                    "limited_by": "not_reachable" if not reach else (bad[0].engagement.limited_by if bad else None),
                    "launch": key.launch.id if key else None, "missile": key.missile if key else None})
    return out


@dataclass
class Comparison:
    """Per-scenario metrics and per-city verdicts; ``city_rows``: the city x scenario table
    (:func:`city_table`, every scenario's rows in turn)."""

    metrics: list[dict]
    cities: dict[str, dict[str, bool]] = field(default_factory=dict)
    city_rows: list[dict] = field(default_factory=list)


def scenario_metrics(sc: Scenario, launches: list[str], *, resolution_deg: float = 0.5,
                     weights: dict[str, float] | None = None, model=DEFAULT_VISIBILITY_MODEL,
                     arch: Architecture | None = None, bbox_deg=None,
                     run: ScenarioRun | None = None) -> tuple[dict, dict[str, bool]]:
    """Metrics of one scenario against a set of launch sites (see module docstring), from
    one :class:`~geocover.engine.ScenarioRun` (``run``, or one built from ``arch``/``model``)."""
    run = run or ScenarioRun(sc, model=model, architecture=arch, launches=launches)
    fp = run.footprint(launches, resolution_deg=resolution_deg, bbox_deg=bbox_deg)
    both = fp.combined("all")
    a = grid_areas_km2(both, fp.north_deg, fp.west_deg, fp.resolution_deg)
    defended_km2, threatened_km2 = a["defended_area_km2"], a["threatened_area_km2"]
    defended_land_km2, threatened_land_km2 = a["defended_land_area_km2"], a["threatened_land_area_km2"]
    results = run.cities(launches)
    first_det = {}
    for lid in launches:
        # over every class of the threat set launched there (the defender's first detection)
        fd = np.concatenate([run.city_flights(lid, missile=m).engagements.first_detection_t_s
                             for m in sc.missiles_for(lid)])
        first_det[lid] = float(np.nanmean(fd)) if np.isfinite(fd).any() else None
    per_city: dict[str, bool] = {}
    for cid in {r.target.id for r in results}:
        reach = [r.engagement for r in results if r.target.id == cid and r.engagement.reachable]
        if reach:  # defended against every launch that can reach it
            per_city[cid] = all(e.defended for e in reach)
    w = weights or {}
    total_w = sum(w.get(c, 1.0) for c in per_city)
    def_w = sum(w.get(c, 1.0) for c, d in per_city.items() if d)
    reach_rows = [r.engagement for r in results if r.engagement.reachable]
    def_rows = [e for e in reach_rows if e.defended]
    warn = [e.warning_time_s for e in reach_rows if e.warning_time_s is not None]

    def stat(vals, fn):
        return float(fn(vals)) if vals else None

    metrics = {
        "scenario": sc.id, "title": sc.title, "year": sc.year, "launches": ",".join(launches),
        "missile": sc.threat_label,
        "defended_area_km2": defended_km2,
        "threatened_area_km2": threatened_km2,
        "defended_area_share": defended_km2 / threatened_km2 if threatened_km2 else 0.0,
        "defended_land_area_km2": defended_land_km2,
        "threatened_land_area_km2": threatened_land_km2,
        "defended_land_area_share": defended_land_km2 / threatened_land_km2 if threatened_land_km2 else 0.0,
        "cities_threatened": len(per_city),
        "cities_defended": sum(per_city.values()),
        "cities_defended_share": def_w / total_w if total_w else 0.0,
        "mean_battle_space_s": stat([e.battle_space_s for e in def_rows], np.mean),
        "min_battle_space_s": stat([e.battle_space_s for e in def_rows], np.min),
        "mean_warning_time_s": stat(warn, np.mean),
        "boost_seen_share": stat([float(e.boost_seen) for e in reach_rows], np.mean),
        **{f"first_detection_s_{lid}": first_det[lid] for lid in launches},
        "grid_resolution_deg": fp.resolution_deg,
    }
    return metrics, per_city


def compare_scenarios(scenarios: list[Scenario], launches: list[str] | None = None, *,
                      resolution_deg: float = 0.5, weights: dict[str, float] | None = None,
                      model=DEFAULT_VISIBILITY_MODEL, progress=None, executor=None) -> Comparison:
    """Compare scenarios against the same launch sites (default: the first scenario's);
    ``executor`` (:class:`geocover.search.Executor`) splits each footprint grid into chunks on
    its workers (results identical to one process)."""
    launches = launches or list(scenarios[0].launch_sites)
    metrics, cities, rows = [], {}, []
    for sc in scenarios:
        run = ScenarioRun(sc, model=model, launches=launches, executor=executor)
        m, per_city = scenario_metrics(sc, launches, resolution_deg=resolution_deg, weights=weights, run=run)
        metrics.append(m)
        rows += city_table(run, launches)
        for cid, d in per_city.items():
            cities.setdefault(cid, {})[sc.id] = d
        if progress:
            progress(sc.id)
    return Comparison(metrics, cities, rows)
