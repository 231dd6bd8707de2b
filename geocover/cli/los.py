"""``geocover los``: can a radar see this point, and if not, why."""

from __future__ import annotations

import click

from ..errors import InputError, quoted
from ..radar import RadarView
from ..units import parse_quantity
from .options import (
    QuantityType,
    announce_model,
    catalog_option,
    dem_options,
    echo_json,
    get_catalog,
    json_option,
    load_scenario_option,
    model_option,
    scenario_option,
    scenario_radar,
    target_rcs_m2,
    terrain_from_options,
)


def _parse_point(text: str) -> tuple[float, float, float]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3:
        raise InputError(f"point {quoted(text)} must be LAT,LON,ALT (e.g. 35.7,51.4,300km)")
    lat = parse_quantity(parts[0], "angle", name="latitude")
    lon = parse_quantity(parts[1], "angle", name="longitude")
    alt = parse_quantity(parts[2], "length", name="altitude")
    if not -90 <= lat <= 90:
        raise InputError(f"latitude {lat:g} in {quoted(text)} must be within [-90, 90]")
    if alt < -500.0:
        raise InputError(f"altitude {alt:g} m in {quoted(text)} is below -500 m (the Dead Sea shore is -430 m)")
    return lat, (lon + 180.0) % 360.0 - 180.0 if abs(lon) > 180 else lon, alt


@click.command("los")
@click.argument("radar_id", metavar="RADAR")
@click.argument("point", metavar="LAT,LON,ALT")
@click.option("--rcs", "rcs_m2", type=QuantityType("area", minimum=0.0, strict_min=True), default=None,
              help="Target RCS (m2 or dBsm) [default: the smallest warhead RCS of the --scenario's threat set, "
                   "else the radar's reference RCS].")
@scenario_option
@click.option("--ellipsoidal", is_flag=True, help="ALT is above the WGS84 ellipsoid, not MSL.")
@model_option
@dem_options
@json_option
@catalog_option
def command(radar_id, point, rcs_m2, scenario_name, ellipsoidal, model, no_terrain, dem_files, as_json,
            catalog_files) -> None:
    """Line of sight from RADAR to a point at LAT,LON,ALT (ALT above MSL; accepts units,
    e.g. 300km): visible or not, and what blocks it (sector, horizon, elevation, terrain,
    range). Put -- before a point that starts with a minus sign: geocover los gabala -- -5,40,300km.
    With --scenario, RADAR may be one of the scenario's own sites and its overrides apply."""
    cat = get_catalog(catalog_files)
    sc = load_scenario_option(scenario_name, cat)
    radar = scenario_radar(radar_id, cat, sc)
    lat, lon, alt = _parse_point(point)
    rcs_m2 = target_rcs_m2(rcs_m2, radar, sc)
    announce_model(model)
    view = RadarView(radar, model=model, rcs_m2=rcs_m2,
                     terrain=terrain_from_options(no_terrain, dem_files))
    res = view.visibility(lat, lon, alt, height_ref="ellipsoid" if ellipsoidal else "msl").to_dict()
    out = {"radar": radar.id, "radar_name": radar.name, **({"scenario": sc.id} if sc else {}),
           "lat_deg": lat, "lon_deg": lon, "altitude_m": alt,
           "altitude_ref": "ellipsoid" if ellipsoidal else "msl", **res,
           "max_range_m": view.max_range_m, "rcs_m2": view.rcs_m2,
           "refraction_model": view.model_name, "terrain": view.terrain}
    if as_json:
        echo_json(out)
        return
    verdict = "VISIBLE" if out["visible"] else f"NOT visible (blocked by {out['blocked_by']})"
    click.echo(f"{radar.name} -> {lat:g},{lon:g} at {alt / 1000:g} km: {verdict}")
    click.echo(f"  azimuth {out['azimuth_deg']:.2f} deg, elevation {out['elevation_deg']:.2f} deg "
               f"(refracted, {out['refraction_model']}), slant range {out['slant_range_m'] / 1000:,.1f} km "
               f"(limit {view.max_range_m / 1000:,.0f} km at {view.rcs_m2:g} m2)")
