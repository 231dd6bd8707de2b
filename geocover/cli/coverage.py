"""``geocover coverage``: coverage polygons, k-coverage, MDA rasters and a quick map."""

from __future__ import annotations

import math

import click
import numpy as np

from ..coverage import coverage_at_altitudes, k_coverage_features, min_detectable_altitude
from ..errors import InputError
from ..export import staged_output, write_geojson, write_geotiff
from ..geodesy import geodesic_circle
from ..maps import coverage_map, save_map
from ..radar import RadarView
from .map import map_style, map_style_options
from .options import (
    QuantityListType,
    QuantityType,
    announce_model,
    catalog_option,
    dem_options,
    get_catalog,
    is_default,
    load_scenario_option,
    model_option,
    note,
    out_dir_option,
    scenario_option,
    scenario_radar,
    scenario_target_rcs,
    terrain_from_options,
)


def _grid_bounds(views: list[RadarView], resolution_deg: float) -> tuple[float, float, float, float]:
    """Lon/lat box around every radar's farthest possible coverage (snapped to the grid)."""
    boxes = []
    for v in views:
        radius = min(v.max_range_m, 0.5 * math.pi * 6_371_000.0)
        boxes.append(geodesic_circle(v.radar.lat_deg, v.radar.lon_deg, radius, n=180).bounds)
    b = np.array(boxes)
    west, south = b[:, 0].min(), max(b[:, 1].min(), -90.0)
    east, north = b[:, 2].max(), min(b[:, 3].max(), 90.0)
    snap = lambda x, f: f(x / resolution_deg) * resolution_deg  # noqa: E731
    return snap(west, math.floor), snap(south, math.floor), snap(east, math.ceil), snap(north, math.ceil)


def _target_rcs(rcs_m2, reference_rcs: bool, radars, sc, cat) -> float | None:
    """The one target RCS (m^2) every radar is evaluated at, or None for each radar's own
    reference RCS (``--reference-rcs``); says on stderr what it picked."""
    if reference_rcs:
        if rcs_m2 is not None:
            raise InputError("--rcs and --reference-rcs contradict each other: give one")
        note("target RCS: each radar's own reference RCS (--reference-rcs): "
             + ", ".join(f"{r.id} {r.reference_rcs_m2:g} m²" for r in radars))
        return None
    if rcs_m2 is not None:
        return rcs_m2
    if sc is not None:
        rcs, why = scenario_target_rcs(sc)  # the smallest warhead RCS of the threat set
        note(f"target RCS: {rcs:g} m² ({why}; --rcs to change it)")
        return rcs
    if len(radars) == 1:
        note(f"target RCS: {radars[0].reference_rcs_m2:g} m² ({radars[0].id}'s reference RCS; --rcs to change it)")
        return None
    m = min(cat.missiles.values(), key=lambda m: (m.warhead_rcs_m2, m.id))
    note(f"target RCS: {m.warhead_rcs_m2:g} m² for every radar (the smallest warhead RCS of the catalog's "
         f"missile classes, {m.name}; --rcs to change it, --reference-rcs for each radar's own)")
    return m.warhead_rcs_m2


@click.command("coverage")
@click.argument("radar_ids", metavar="[RADAR]...", nargs=-1)
@click.option("--altitude", "altitudes", type=QuantityListType("length", minimum=0.0),
              default="100km,300km,1000km", show_default=True,
              help="Target altitudes above mean sea level, comma-separated.")
@click.option("--rcs", "rcs_m2", type=QuantityType("area", minimum=0.0, strict_min=True),
              default=None, help="Target RCS (m2 or dBsm), the same for every radar [default: the smallest warhead "
                                 "RCS of the --scenario's threat set; without a scenario, one radar's own reference "
                                 "RCS, several radars the smallest warhead RCS of the catalog's missile classes].")
@click.option("--reference-rcs", is_flag=True,
              help="Each radar at its own reference RCS (its published range), not at one common target RCS.")
@scenario_option
@model_option
@dem_options
@click.option("--k", "k", type=click.IntRange(min=1, max=1000), default=2, show_default=True,
              help="Also write where at least K radars overlap (with 2+ radars).")
@click.option("--resolution", "resolution_deg", type=QuantityType("angle", minimum=0.0, strict_min=True),
              default="0.1deg", show_default=True, help="Cell size of the MDA GeoTIFF.")
@click.option("--azimuth-step", "azimuth_step_deg", type=QuantityType("angle", minimum=0.0, strict_min=True),
              default="0.25deg", show_default=True, help="Azimuth step of the coverage polygons.")
@click.option("--no-map", is_flag=True, help="Skip the HTML map.")
@map_style_options
@out_dir_option("Output folder (created; files are replaced only when all are written).")
@catalog_option
def command(radar_ids, altitudes, rcs_m2, reference_rcs, scenario_name, model, no_terrain, dem_files, k,
            resolution_deg, azimuth_step_deg, no_map, offline, cdn, tiles, out_dir, catalog_files) -> None:
    """Coverage of RADAR(s) at target altitudes: GeoJSON polygons (RFC 7946), a
    minimum-detectable-altitude GeoTIFF per radar, k-coverage, and a quick HTML map.

    With --scenario, the radars default to the scenario's (its overrides applied, its own
    [[sites]] included) and the target RCS to its missile class's warhead. Several radars are
    compared at one target RCS unless --reference-rcs is given."""
    from ..export import check_output_dir

    check_output_dir(out_dir)
    map_style(offline, cdn, tiles)
    if azimuth_step_deg < 0.01:
        raise InputError(f"--azimuth-step must be at least 0.01 deg, got {azimuth_step_deg:g}")
    cat = get_catalog(catalog_files)
    sc = load_scenario_option(scenario_name, cat)
    if not radar_ids:
        if sc is None:
            raise InputError("give one or more RADAR ids, or --scenario for the scenario's radars")
        radar_ids = tuple(sc.radars)
        note(f"radars: {', '.join(radar_ids)} (scenario {sc.id})")
    radars = [scenario_radar(rid, cat, sc) for rid in dict.fromkeys(radar_ids)]
    rcs_m2 = _target_rcs(rcs_m2, reference_rcs, radars, sc, cat)
    announce_model(model)
    if is_default("azimuth_step_deg") or is_default("resolution_deg"):
        note(f"sampling: polygons every {azimuth_step_deg:g} deg of azimuth, MDA grid {resolution_deg:g} deg "
             "(--azimuth-step, --resolution)")
    terrain = terrain_from_options(no_terrain, dem_files)
    if resolution_deg > 10 or azimuth_step_deg > 10:
        raise InputError("--resolution and --azimuth-step must be at most 10 degrees")
    views = [RadarView(r, model=model, rcs_m2=rcs_m2, terrain=terrain) for r in radars]
    feats = []
    for v in views:
        feats += coverage_at_altitudes(v, altitudes, azimuth_step_deg=azimuth_step_deg)
    bounds = _grid_bounds(views, resolution_deg)
    with staged_output(out_dir) as stage:
        write_geojson(stage / "coverage.geojson", [(f.geometry, f.properties) for f in feats],
                      name="coverage")
        k_feats = []
        if len(views) > 1:
            k_feats = k_coverage_features(feats, altitudes, k, terrain=views[0].terrain)
            write_geojson(stage / "k_coverage.geojson", k_feats, name="k_coverage")
        for v in views:
            grid = min_detectable_altitude(v, bounds, resolution_deg)
            write_geotiff(stage / f"mda_{v.radar.id}.tif", grid.values_m, west_deg=bounds[0],
                          north_deg=bounds[3], resolution_deg=resolution_deg,
                          description="minimum detectable altitude (m above MSL, EGM96)",
                          tags=grid.properties)
        from ..gis import coverage_outputs

        coverage_outputs(stage, radars, [(f.geometry, f.properties) for f in feats], k_feats)
        if not no_map:
            kk = [(g, p) for g, p in k_feats if p["layer"] == f"at_least_{k}"]
            save_map(coverage_map(radars, feats, k_features=kk, offline=offline, tiles=tiles),
                     stage / "coverage.html", offline=offline, cdn=cdn)
        written = sorted(p.name for p in stage.iterdir())
    click.echo(f"wrote {', '.join(written)} to {out_dir}")
