"""``geocover footprint``: defended footprints of a scenario over its target grid."""

from __future__ import annotations

import csv
import io
import json
import time

import click
import numpy as np

from ..engine import CITY_FIELDS, DEFENDED_RULE, PERFECT_TRACKING, ScenarioRun, footprint_metadata
from ..errors import InputError
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
    QuantityType,
    announce_engagement_defaults,
    catalog_option,
    get_catalog,
    launch_ids_option,
    model_option,
    nonempty,
    note,
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
@click.option("--interceptor-speed", "speed_mps", type=QuantityType("speed", minimum=0, strict_min=True),
              help="Set every interceptor's burnout speed (e.g. 7.7km/s).")
@click.option("--perfect-tracking", "perfect", is_flag=True,
              help="Assume every fire-control radar holds a track of the threat from the end of boost, cueing "
                   "instant: the kinematic footprint (stated in every output).")
@model_option
@click.option("--max-cells", type=click.IntRange(min=1), default=4_000_000, show_default=True,
              help="Refuse grids larger than this (memory and time guard).")
@scheduler_options("none", SCHEDULER_WHY)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Output folder.")
@catalog_option
def command(scenario_name, launch_ids, resolution_deg, bbox, speed_mps, perfect, model, max_cells, scheduler,
            workers, out_dir, catalog_files) -> None:
    """Defended footprint of SCENARIO (bundled name or TOML path) against each launch site:
    battle-space GeoTIFFs (s), GeoJSON polygons (defended, bands of battle space), a CSV of
    the target cities per (launch, missile class) and cities.json with one verdict per city
    (defended against every (launch, class) pair that reaches it); with several launches also
    "defended against all" and "against any". With a threat set each launch's grid is the
    least battle space over the classes launched from it. Every GeoTIFF (tags) and the
    GeoJSON (top-level `metadata`, and each feature's properties) carry the scenario, its
    sources, every parameter as a number, the grid, the geocover version and the definition
    of "defended"."""
    check_output_dir(out_dir)
    sc = load_scenario(scenario_name, get_catalog(catalog_files))
    box = None
    if bbox:
        try:
            box = check_bbox([float(x) for x in bbox.split(",")])
        except ValueError as exc:
            raise InputError(f"--bbox {bbox!r}: {exc}" if "degrees" in str(exc) else
                             f"--bbox {bbox!r} must be west,south,east,north in degrees") from None
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
        fp = run.footprint(bbox_deg=box, resolution_deg=resolution_deg, max_cells=max_cells,
                           progress=progress_callback(len(launches), "footprint", "launch",
                                                      lambda lid: f"  {lid}: done ({time.perf_counter() - t0:.1f} s)"))
        run.executor = None  # closed below; the cities (a few hundred flights) run here
    props = {"scenario": sc.id, "title": sc.title, "missile": sc.threat_label, "refraction_model": run.refraction_model,
             "interceptor_speed_mps": speed_mps}
    meta = footprint_metadata(run, fp, launches)
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
    share = {k: float(np.mean(v[np.isfinite(v)] > 0)) if np.isfinite(v).any() else 0.0 for k, v in grids.items()}
    if not any(share.values()):
        warn("no cell of the grid is defended")
    if perfect:
        click.echo(f"assumption: {PERFECT_TRACKING}")
    click.echo(f"wrote {', '.join(written)} to {out_dir}")
    for k, v in share.items():
        click.echo(f"  {k}: {100 * v:.0f} % of threatened cells defended")
