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

from .earth import WGS84
from .engine import ScenarioRun
from .footprint import Architecture
from .refraction import DEFAULT_VISIBILITY_MODEL
from .scenario import Scenario

__all__ = ["Comparison", "area_km2", "cell_areas_km2", "compare_scenarios", "scenario_metrics"]


def _zone(phi: np.ndarray) -> np.ndarray:
    """q(phi) such that the area of a graticule cell is a^2 (1 - e^2)/2 * dlon * (q2 - q1)."""
    e2 = WGS84.eccentricity_squared
    e = np.sqrt(e2)
    s = np.sin(phi)
    return s / (1 - e2 * s * s) + np.log((1 + e * s) / (1 - e * s)) / (2 * e)


def cell_areas_km2(north_deg: float, nrow: int, resolution_deg: float) -> np.ndarray:
    """Exact area (km^2) of one cell in each row of a lat/lon grid on WGS84 (graticule cells
    bounded by meridians and parallels)."""
    edges = np.radians(north_deg - np.arange(nrow + 1) * resolution_deg)
    a, e2 = WGS84.semimajor_axis_m, WGS84.eccentricity_squared
    q = _zone(edges)
    return a * a * (1 - e2) / 2 * np.radians(resolution_deg) * (q[:-1] - q[1:]) / 1e6


def area_km2(mask: np.ndarray, north_deg: float, resolution_deg: float) -> float:
    """Area (km^2, WGS84) of the cells of a north-up lat/lon grid where ``mask`` is true."""
    rows = cell_areas_km2(north_deg, mask.shape[0], resolution_deg)
    return float(np.sum(rows * mask.sum(axis=1)))


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
        "missile": sc.missile.id,
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
                      model=DEFAULT_VISIBILITY_MODEL, progress=None) -> Comparison:
    """Compare scenarios against the same launch sites (default: the first scenario's)."""
    launches = launches or list(scenarios[0].launch_sites)
    metrics, cities = [], {}
    for sc in scenarios:
        m, per_city = scenario_metrics(sc, launches, resolution_deg=resolution_deg, weights=weights, model=model)
        metrics.append(m)
        for cid, d in per_city.items():
            cities.setdefault(cid, {})[sc.id] = d
        if progress:
            progress(sc.id)
    return Comparison(metrics, cities)
