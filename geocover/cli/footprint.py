"""``geocover footprint``: defended footprints of a scenario over its target grid."""

from __future__ import annotations

import csv
import io
import json
import time

import click
import numpy as np

from ..engine import CITY_FIELDS, DEFENDED_RULE, PERFECT_TRACKING, ScenarioRun, footprint_metadata
from ..errors import InputError, quoted
from ..export import (
    atomic_write_text,
    check_output_dir,
    feature_collection,
    staged_output,
    write_geojson,
    write_geotiff,
)
from ..footprint import footprint_polygons
from ..scenario import check_bbox, load_scenario
from ..search import Executor
from .options import (
    SCHEDULER_WHY,
    SPEED_TYPE,
    QuantityType,
    announce_engagement_defaults,
    catalog_option,
    get_catalog,
    is_default,
    launch_ids_option,
    model_option,
    nonempty,
    note,
    out_dir_option,
    scheduler_options,
    warn,
)
from .progress import progress_callback


@click.command("footprint")
@click.argument("scenario_name", metavar="SCENARIO")
@click.option("--launch", "launch_ids", callback=nonempty,
              help="Launch sites, comma-separated [default: the scenario's].")
@click.option("--resolution", "resolution_deg", type=QuantityType("angle", minimum=0, strict_min=True),
              help="Grid cell size [default: the scenario's].")
@click.option("--bbox", callback=nonempty, help="Grid box west,south,east,north in degrees [default: the scenario's].")
@click.option("--interceptor-speed", "speed_mps", type=SPEED_TYPE,
              help="Set every interceptor's burnout speed (e.g. 7.7km/s).")
@click.option("--perfect-tracking", "perfect", is_flag=True,
              help="Assume every fire-control radar holds a track of the threat from the end of boost, cueing "
                   "instant: the kinematic footprint (stated in every output).")
@model_option
@click.option("--max-cells", type=click.IntRange(min=1), default=4_000_000, show_default=True,
              help="Refuse grids larger than this (memory and time guard).")
@click.option("--adaptive", is_flag=True,
              help="Refine adaptively: compute a coarse lattice of cells, then only the blocks where "
                   "reachability, verdict or battle-space band changes nearby or the battle space bends; "
                   "interpolate the rest (fine grids at a fraction of the cost; stated in every output).")
@click.option("--coarse-factor", type=click.Choice(["2", "4", "8", "16"]), default="4", show_default=True,
              help="With --adaptive: the first lattice's spacing in cells (4 at 0.025 deg: 0.1 deg).")
@scheduler_options("none", SCHEDULER_WHY)
@out_dir_option()
@catalog_option
def command(scenario_name, launch_ids, resolution_deg, bbox, speed_mps, perfect, model, max_cells, adaptive,
            coarse_factor, scheduler, workers, out_dir, catalog_files) -> None:
    """Defended footprint of SCENARIO (bundled name or TOML path) against each launch site:
    battle-space GeoTIFFs (s), GeoJSON polygons (defended, bands of battle space), a CSV of
    the target cities per (launch, missile class) and cities.json with one verdict per city
    (defended against every (launch, class) pair that reaches it); with several launches also
    "defended against all" and "against any". With a threat set each launch's grid is the
    least battle space over the classes launched from it. Every GeoTIFF (tags) and the
    GeoJSON (top-level `metadata`, and each feature's properties) carry the scenario, its
    sources, every parameter as a number, the grid, the geocover version and the definition
    of "defended". With --adaptive they also say the grid was refined adaptively and from
    which coarse step. Prints each grid's defended area (km², WGS84) of the threatened area,
    and the land part of both (inside the bundled country outlines), as compare does."""
    check_output_dir(out_dir)
    if adaptive and scheduler != "none":
        raise InputError("--adaptive runs in one process: drop --scheduler, or --adaptive")
    if not adaptive and not is_default("coarse_factor"):
        raise InputError("--coarse-factor applies to --adaptive grids only: add --adaptive")
    sc = load_scenario(scenario_name, get_catalog(catalog_files))
    box = None
    if bbox:
        try:
            box = check_bbox([float(x) for x in bbox.split(",")])
        except ValueError as exc:
            raise InputError(f"--bbox {quoted(bbox)}: {exc}" if "degrees" in str(exc) else
                             f"--bbox {quoted(bbox)} must be west,south,east,north in degrees") from None
    launches = launch_ids_option(launch_ids, sc.catalog) or list(sc.launch_sites)
    announce_engagement_defaults(sc, launches_given=bool(launch_ids), missile_hint="its threat set")
    if resolution_deg is None:
        note(f"grid: {sc.resolution_deg:g} deg cells (scenario {sc.id}'s; --resolution to change it)")
    with Executor(scheduler, workers=workers, progress=False) as ex:
        if scheduler != "none":
            note(f"footprint grid in chunks on {ex.workers} Dask worker(s) ({scheduler})")
        run = ScenarioRun(sc, model=model, interceptor_speed_mps=speed_mps, launches=launches,
                          perfect_tracking=perfect, executor=ex)
        t0 = time.perf_counter()
        progress = progress_callback(len(launches), "footprint", "launch",
                                     lambda lid: f"  {lid}: done ({time.perf_counter() - t0:.1f} s)")
        if adaptive:
            from ..gridrefine import adaptive_footprint

            fp = adaptive_footprint(run.arch, launches, bbox_deg=box, resolution_deg=resolution_deg,
                                    max_cells=max_cells, coarse_factor=int(coarse_factor), progress=progress)
            note(f"adaptive grid: {fp.cells_evaluated:,} of {sum(s.cells for s in fp.stats.values()):,} cells "
                 f"computed (coarse step {fp.coarse_step_deg:g} deg), the rest interpolated")
        else:
            fp = run.footprint(bbox_deg=box, resolution_deg=resolution_deg, max_cells=max_cells,
                               progress=progress)
        run.executor = None  # closed below; the cities (a few hundred flights) run here
    props = {"scenario": sc.id, "title": sc.title, "missile": sc.threat_label, "refraction_model": run.refraction_model,
             "interceptor_speed_mps": speed_mps}
    meta = footprint_metadata(run, fp, launches)
    meta.update(fp.metadata() if adaptive else {"grid_refinement": "none"})
    rows = [c.to_row() for c in run.cities()]
    verdicts = [v.to_dict() for v in run.city_verdicts()]
    with staged_output(out_dir) as stage:
        feats = []
        grids = dict(fp.battle_space_s)
        if len(launches) > 1:
            grids["all"] = fp.combined("all")
            grids["any"] = fp.combined("any")
        for name, v in grids.items():
            write_geotiff(stage / f"battle_space_{name}.tif", v, west_deg=fp.west_deg, north_deg=fp.north_deg,
                          resolution_deg=fp.resolution_deg,
                          description=f"battle space (s) against {name}; NaN where the threat cannot reach",
                          units="s",
                          tags={**meta, **{k: x for k, x in props.items() if x is not None}, "launch": name})
            feats += footprint_polygons(v, fp.west_deg, fp.north_deg, fp.resolution_deg,
                                        {**meta, **props, "launch": name})
        fc = feature_collection(feats, name="footprint")
        fc["metadata"] = meta  # a foreign member (RFC 7946 section 6.1): the export explains itself
        atomic_write_text(stage / "footprint.geojson", json.dumps(fc, ensure_ascii=False, allow_nan=False) + "\n")
        if sc.sectors:  # a sectoral scenario: the side responsible for each target cell (geocover.sectors)
            from ..sectors import responsibility_features

            write_geojson(stage / "responsibility.geojson", responsibility_features(
                sc, launches, fp.west_deg, fp.north_deg, fp.resolution_deg,
                next(iter(fp.battle_space_s.values())).shape), name="responsibility")
        from ..gis import footprint_outputs

        footprint_outputs(stage, sc, launches, feats, rows, run=run)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(CITY_FIELDS), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in CITY_FIELDS})
        atomic_write_text(stage / "cities.csv", buf.getvalue())
        atomic_write_text(stage / "cities.json", json.dumps(
            {"scenario": sc.id, "rule": DEFENDED_RULE, "launches": launches,
             "threats": [{"launch": lid, "missile": m.id} for lid in launches for m in sc.missiles_for(lid)],
             "cities": verdicts}, indent=1) + "\n")
        atomic_write_text(stage / "scenario.json", json.dumps(
            {**sc.to_dict(), "interceptor_speed_mps": speed_mps, "launches": launches}, indent=1, default=str) + "\n")
        written = sorted(p.name for p in stage.iterdir())
    areas = {k: grid_areas_km2(v, fp) for k, v in grids.items()}
    if not any(a["defended_area_km2"] for a in areas.values()):
        warn("no cell of the grid is defended")
    if perfect:
        click.echo(f"assumption: {PERFECT_TRACKING}")
    click.echo(f"wrote {', '.join(written)} to {out_dir}")
    k_land = next(iter(areas.values()))["land_subsamples"]
    click.echo(f"defended area (km² on the WGS84 ellipsoid; land: inside the bundled country outlines, "
               f"{k_land} x {k_land} points per cell):")
    for k, a in areas.items():
        click.echo(f"  {k}: {_km2(a['defended_area_km2'])} km² defended of {_km2(a['threatened_area_km2'])} km² "
                   f"threatened ({_pct(a['defended_area_km2'], a['threatened_area_km2'])}); land: "
                   f"{_km2(a['defended_land_area_km2'])} of {_km2(a['threatened_land_area_km2'])} km² "
                   f"({_pct(a['defended_land_area_km2'], a['threatened_land_area_km2'])})")


#: Most land sub-points per summary (time guard): :func:`geocover.compare.land_fraction`'s
#: k x k points per cell (compare's default k) while the grid has at most this many / k²
#: cells, fewer per cell beyond (at least 1; land shares differ by ~0.02 % between k = 5
#: and k = 1 at 0.1 deg over Europe, measured).
LAND_POINTS = 1_000_000


def grid_areas_km2(values_s: np.ndarray, fp) -> dict:
    """Defended and threatened area (km², WGS84 cell areas) of a battle-space grid and their
    land part, computed as ``compare`` does (:func:`geocover.compare.area_km2`,
    :func:`geocover.compare.land_fraction`, :func:`geocover.geodesy.cell_areas_km2`): the
    same numbers for the same grid."""
    from ..compare import LAND_SUBSAMPLES
    from ..compare import grid_areas_km2 as areas

    nrow, ncol = values_s.shape
    k = LAND_SUBSAMPLES
    if nrow * ncol * k * k > LAND_POINTS:
        k = max(1, int(np.sqrt(LAND_POINTS / (nrow * ncol))))
    return {**areas(values_s, fp.north_deg, fp.west_deg, fp.resolution_deg, k=k), "land_subsamples": k}


def _km2(v: float) -> str:
    """An area rounded to 4 significant figures with thousands separators (0.05 % at most)."""
    return f"{float(f'{v:.4g}'):,.0f}" if v >= 1000 else f"{v:.4g}"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "—"
