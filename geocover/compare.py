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

__all__ = ["Comparison", "area_km2", "cell_areas_km2", "compare_scenarios", "scenario_metrics"]


def area_km2(mask: np.ndarray, north_deg: float, resolution_deg: float) -> float:
    """Area (km^2, WGS84) of the cells of a north-up lat/lon grid where ``mask`` is true
    (:meth:`geocover.geodesy.LatLonGrid.area_km2`)."""
    return LatLonGrid(0.0, north_deg, resolution_deg, *np.asarray(mask).shape).area_km2(mask)


@dataclass
class Comparison:
    """Per-scenario metrics and per-city verdicts."""

    metrics: list[dict]
    cities: dict[str, dict[str, bool]] = field(default_factory=dict)


def scenario_metrics(sc: Scenario, launches: list[str], *, resolution_deg: float = 0.5,
                     weights: dict[str, float] | None = None, model=DEFAULT_VISIBILITY_MODEL,
                     arch: Architecture | None = None, bbox_deg=None,
                     run: ScenarioRun | None = None) -> tuple[dict, dict[str, bool]]:
    """Metrics of one scenario against a set of launch sites (see module docstring), from
    one :class:`~geocover.engine.ScenarioRun` (``run``, or one built from ``arch``/``model``)."""
    run = run or ScenarioRun(sc, model=model, architecture=arch, launches=launches)
    fp = run.footprint(launches, resolution_deg=resolution_deg, bbox_deg=bbox_deg)
    both = fp.combined("all")
    threatened = np.isfinite(both)
    defended = threatened & (both > 0)
    defended_km2 = area_km2(defended, fp.north_deg, fp.resolution_deg)
    threatened_km2 = area_km2(threatened, fp.north_deg, fp.resolution_deg)
    results = run.cities(launches)
    first_det = {}
    for lid in launches:
        fd = run.city_flights(lid).engagements.first_detection_t_s
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
    metrics, cities = [], {}
    for sc in scenarios:
        m, per_city = scenario_metrics(sc, launches, resolution_deg=resolution_deg, weights=weights,
                                       run=ScenarioRun(sc, model=model, launches=launches, executor=executor))
        metrics.append(m)
        for cid, d in per_city.items():
            cities.setdefault(cid, {})[sc.id] = d
        if progress:
            progress(sc.id)
    return Comparison(metrics, cities)
