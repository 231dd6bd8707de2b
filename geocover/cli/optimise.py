"""``geocover optimise``: greedy search for the next radar or interceptor site."""

from __future__ import annotations

import json

import click
import numpy as np

from ..export import atomic_write_text, check_output_dir, staged_output, write_geojson, write_geotiff
from ..scenario import load_scenario
from ..search import OBJECTIVES, Executor, candidate_sites, greedy_search, on_region_edge, read_region
from ..units import format_lat_lon
from .map import map_style, map_style_options
from .options import (
    QuantityType,
    catalog_option,
    get_catalog,
    launch_ids_option,
    nonempty,
    note,
    out_dir_option,
    progress_bars,
    scheduler_options,
    warn,
)

#: How each objective is printed: a label, a unit, a scale from the objective's own unit and
#: the decimals (area in km², the cities share as a percentage, warning time in seconds).
OBJECTIVE_FORMAT = {"area": ("defended area", "km²", 1.0, 0),
                    "cities": ("cities defended", "%", 100.0, 1),
                    "warning": ("mean warning time", "s", 1.0, 1)}


def _fmt_objective(objective: str, value: float, *, signed: bool = False) -> str:
    """``value`` of ``objective`` with its unit, e.g. ``1,234 km²``, ``+3.5 %`` (points), ``812.0 s``."""
    _, unit, scale, nd = OBJECTIVE_FORMAT[objective]
    sign = "+" if signed else ""
    unit = "percentage points" if signed and unit == "%" else unit
    return f"{value * scale:{sign},.{nd}f} {unit}"


def _heat_raster(res, step: float):
    lats, lons = res.cand_lat, res.cand_lon
    west, north = lons.min() - step / 2, lats.max() + step / 2
    ncol = round((lons.max() - lons.min()) / step) + 1
    nrow = round((lats.max() - lats.min()) / step) + 1
    grid = np.full((nrow, ncol), np.nan, np.float32)
    rows = np.rint((north - step / 2 - lats) / step).astype(int)
    cols = np.rint((lons - west - step / 2) / step).astype(int)
    grid[rows, cols] = res.first_scores
    return grid, west, north


@click.command("optimise")
@click.option("--scenario", "scenario_name", required=True, help="Bundled scenario name or TOML path.")
@click.option("--add", "kind", type=click.Choice(["radar", "interceptor"]), required=True)
@click.option("--candidates", "region", required=True,
              help="Region: west,south,east,north or a polygon file (GeoJSON, GeoPackage, shapefile, "
                   "any vector format and CRS GDAL reads).")
@click.option("--step", "step_deg", type=QuantityType("angle", minimum=0, strict_min=True), default="0.5deg",
              show_default=True, help="Candidate grid step.")
@click.option("--k", "k", type=click.IntRange(min=1, max=1000), default=1, show_default=True, help="Sites to choose.")
@click.option("--objective", type=click.Choice(OBJECTIVES), default="area", show_default=True)
@click.option("--launch", "launch_ids", callback=nonempty,
              help="Launch sites, comma-separated [default: the scenario's].")
@click.option("--template", "template_id", callback=nonempty,
              help="Catalog record to copy [default: kurecik / deveselu-sm3-ib].")
@click.option("--grid-resolution", "resolution_deg", type=QuantityType("angle", minimum=0, strict_min=True),
              default="1deg", show_default=True, help="Footprint grid used to score each candidate.")
@click.option("--sea", is_flag=True, help="Allow candidates at sea (ship stations).")
@scheduler_options("local")
@out_dir_option()
@map_style_options
@catalog_option
def command(scenario_name, kind, region, step_deg, k, objective, launch_ids, template_id, resolution_deg, sea,
            scheduler, workers, out_dir, offline, cdn, tiles, catalog_files) -> None:
    """Where should the next radar or interceptor battery go? Scores every candidate site of
    REGION (heat layer), then picks K sites greedily with lazy re-evaluation, on a Dask
    cluster (local by default)."""
    check_output_dir(out_dir)
    style = map_style(offline, cdn, tiles)
    cat = get_catalog(catalog_files)
    sc = load_scenario(scenario_name, cat)
    launches = launch_ids_option(launch_ids, sc.catalog)
    template = None
    if template_id:
        template = sc.catalog.radar(template_id) if kind == "radar" else sc.catalog.interceptor(template_id)
    area = read_region(region)
    lat, lon = candidate_sites(area, step_deg, sea=sea)
    if k > lat.size:
        warn(f"--k {k} is more than the {lat.size} candidate sites; choosing at most {lat.size}")
    if template is None:
        note(f"template: {'kurecik' if kind == 'radar' else 'deveselu-sm3-ib'} (--template)")
    if launch_ids is None:
        note(f"launch sites: {', '.join(sc.launch_sites)} (the scenario's; --launch)")
    note(f"{lat.size} candidate sites every {step_deg:g} deg; scheduler {scheduler}")
    with Executor(scheduler, workers=workers, progress=progress_bars()) as ex:
        res = greedy_search(sc, kind, lat, lon, k=k, objective=objective, template=template, launches=launches,
                            resolution_deg=resolution_deg, executor=ex)
    for p in res.chosen:
        p["on_region_edge"] = on_region_edge(p["lat_deg"], p["lon_deg"], area, step_deg)
    label, unit, _, _ = OBJECTIVE_FORMAT[objective]
    props = {"scenario": sc.id, "add": kind, "objective": objective, "objective_label": label,
             "objective_unit": {"km²": "km2", "%": "share (0-1)", "s": "s"}[unit], "base_score": res.base_score}
    heat = [(_point(la, lo), {**props, "score": s, "gain": s - res.base_score})
            for la, lo, s in zip(res.cand_lat, res.cand_lon, res.first_scores, strict=True)]
    picks = [(_point(p["lat_deg"], p["lon_deg"]),
              {**props, **{k_: v for k_, v in p.items() if k_ != "tied_with"}, "ties": len(p["tied_with"]),
               "tied_with": "; ".join(f"{t['lat_deg']:g},{t['lon_deg']:g}" for t in p["tied_with"])})
             for p in res.chosen]
    grid, west, north = _heat_raster(res, step_deg)
    with staged_output(out_dir) as stage:
        write_geojson(stage / "candidates.geojson", heat, name="candidates")
        write_geojson(stage / "chosen.geojson", picks, name="chosen")
        write_geotiff(stage / "candidate_scores.tif", grid, west_deg=west, north_deg=north, resolution_deg=step_deg,
                      description=f"objective '{objective}' with one {kind} added at the cell",
                      units={"area": "km2", "cities": "share", "warning": "s"}[objective], tags=props)
        atomic_write_text(stage / "search.json", json.dumps(
            {**props, "chosen": res.chosen, "evaluations": res.evaluations, "candidates": int(lat.size),
             "candidate_step_deg": step_deg, "stopped": res.stopped, "note": res.note}, indent=1) + "\n")
        _search_map(sc, res, stage / "search.html", **style)
        from ..gis import search_outputs

        search_outputs(stage, sc, heat, picks)
    _print_result(sc, res, lat.size)
    click.echo(f"{res.evaluations} evaluations; wrote candidates.geojson, chosen.geojson, candidate_scores.tif, "
               f"search.json, search.html, search.gpkg to {out_dir}")


def _print_result(sc, res, n_candidates: int) -> None:
    """The search result as a reader can take it: units, labelled coordinates, edge and tie flags."""
    label, _, _, _ = OBJECTIVE_FORMAT[res.objective]
    what = "an interceptor battery" if res.kind == "interceptor" else "a radar"
    click.echo(f"Where to add {what} to {sc.id} ({n_candidates} candidate sites), objective: {label}")
    click.echo(f"  without a new site: {_fmt_objective(res.objective, res.base_score)}")
    for p in res.chosen:
        click.echo(f"  #{p['rank']}: {format_lat_lon(p['lat_deg'], p['lon_deg'])}: gain "
                   f"{_fmt_objective(res.objective, p['gain'], signed=True)} -> "
                   f"{_fmt_objective(res.objective, p['score'])}")
        if p.get("on_region_edge"):
            click.echo("      on the edge of the candidate region: the optimum may lie outside the region")
        if p["tied_with"]:
            others = "; ".join(format_lat_lon(t["lat_deg"], t["lon_deg"]) for t in p["tied_with"][:5])
            more = f" and {len(p['tied_with']) - 5} more" if len(p["tied_with"]) > 5 else ""
            click.echo(f"      tie: {len(p['tied_with'])} other site(s) give exactly the same gain: {others}{more}")
    if not res.chosen:
        click.echo("  no site chosen")
    if res.stopped:
        click.echo(f"  {res.stopped}")


def _point(lat, lon):
    from shapely.geometry import Point

    return Point(float(lon), float(lat))


def _beside(lon_deg: float, near_deg: float) -> float:
    """``lon_deg`` plus whole turns, within half a turn of ``near_deg`` (a map draws a site that
    the search reports at -177.5 beside candidates gridded at 181-200 deg)."""
    return lon_deg + 360.0 * round((near_deg - lon_deg) / 360.0)


def _search_map(sc, res, path, *, offline: bool = False, cdn: bool = False, tiles: bool = False) -> None:
    """The candidate scores and chosen sites on a map (:func:`geocover.maps.search_map` draws;
    user text only as the map's JSON data)."""
    from ..maps import save_map, search_map

    cands = [(float(la), float(ln), float(s),
              f"{format_lat_lon(float(la), float(ln))}: {_fmt_objective(res.objective, s)} "
              f"(gain {_fmt_objective(res.objective, s - res.base_score, signed=True)})")
             for la, ln, s in zip(res.cand_lat, res.cand_lon, res.first_scores, strict=True)]
    chosen = []
    for p in res.chosen:
        flags = (" (on the edge of the candidate region: the optimum may lie outside it)"
                 if p.get("on_region_edge") else "") + (f" (tied with {len(p['tied_with'])} other site(s))"
                                                        if p.get("tied_with") else "")
        near = float(np.mean(res.cand_lon))  # drawn beside the candidates, as they were gridded
        chosen.append((float(p["lat_deg"]), _beside(float(p["lon_deg"]), near),
                       f"#{p['rank']}: {format_lat_lon(p['lat_deg'], p['lon_deg'])}: gain "
                       f"{_fmt_objective(res.objective, p['gain'], signed=True)}{flags}",
                       [(float(t["lat_deg"]), _beside(float(t["lon_deg"]), near)) for t in p.get("tied_with") or ()]))
    m = search_map(f"{sc.title}: where to add a {res.kind} ({res.objective})", cands, chosen,
                   OBJECTIVE_FORMAT[res.objective][0], offline=offline, tiles=tiles,
                   score_text=lambda v: _fmt_objective(res.objective, v))
    save_map(m, path, offline=offline, cdn=cdn)
