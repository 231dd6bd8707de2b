"""``geocover horizon``: radar horizon and lowest visible altitude of a site (smooth Earth)."""

from __future__ import annotations

import math

import click

from ..catalog import Radar
from ..refraction import (
    effective_earth_radius,
    horizon_ground_range,
    horizon_range,
    is_ray_traced,
    lowest_visible_altitude,
    model_name,
)
from .options import (
    QuantityListType,
    QuantityType,
    catalog_option,
    echo_json,
    get_catalog,
    json_option,
    model_option,
)


@click.command("horizon")
@click.argument("site_id", metavar="SITE")
@model_option
@click.option("--ranges", type=QuantityListType("length", minimum=0.0),
              default="500km,1000km,2000km", show_default=True,
              help="Ground ranges at which to report the lowest visible altitude.")
@click.option("--min-elevation", "min_elevation_deg", type=QuantityType("angle"), default=None,
              help="Minimum elevation of the beam [default: the radar's catalog value, else 0].")
@json_option
@catalog_option
def command(site_id: str, model, ranges: list[float], min_elevation_deg: float | None,
            as_json: bool, catalog_files: tuple[str, ...]) -> None:
    """Radar horizon of SITE at its real antenna height (ground + mast, above MSL), and the
    lowest altitude (above MSL) visible at each range over a smooth Earth, no terrain."""
    from ..errors import InputError

    if max(ranges) > 20_000_000.0:
        raise InputError(f"--ranges: {max(ranges) / 1000:,.0f} km is more than half way round the Earth")
    if min_elevation_deg is not None and not -90.0 <= min_elevation_deg <= 90.0:
        raise InputError(f"--min-elevation must be within [-90, 90] deg, got {min_elevation_deg:g}")
    site = get_catalog(catalog_files).site(site_id)
    mast = site.antenna_height_agl_m if isinstance(site, Radar) else 0.0
    h_ant = site.ground_height_msl_m + mast
    if min_elevation_deg is None:
        min_elevation_deg = site.min_elevation_deg if isinstance(site, Radar) else 0.0
    h_ant_eff = max(h_ant, 0.0)
    out = {
        "site": site.id,
        "name": site.name,
        "model": model_name(model),
        "effective_earth_radius_m": round(effective_earth_radius(model), 3),
        "ground_height_msl_m": site.ground_height_msl_m,
        "antenna_height_agl_m": mast,
        "antenna_height_msl_m": h_ant,
        "horizon_range_m": round(horizon_range(h_ant_eff, model=model), 3),
        "horizon_ground_range_m": round(horizon_ground_range(h_ant_eff, model=model), 3),
        "min_elevation_deg": min_elevation_deg,
        # null where no altitude is visible: past a quarter of the way round the (effective)
        # Earth a ray at the minimum elevation never rises above the point (inf is not JSON)
        "ranges": [
            {"ground_range_m": r,
             "lowest_visible_altitude_m": _finite(lowest_visible_altitude(
                 r, h_ant, min_elevation_deg=min_elevation_deg, model=model))}
            for r in ranges
        ],
        "heights": "above mean sea level; smooth Earth, no terrain",
    }
    if as_json:
        echo_json(out)
        return
    click.echo(f"{site.name} ({site.id})")
    click.echo(f"  antenna {h_ant:,.1f} m MSL (ground {site.ground_height_msl_m:,.1f} m + mast "
               f"{mast:g} m); refraction {out['model']} ("
               + ("ray-traced; terrain masks use " if is_ray_traced(model) else "")
               + f"R_eff {out['effective_earth_radius_m'] / 1000:,.2f} km)")
    click.echo(f"  horizon (surface target): {out['horizon_range_m'] / 1000:,.1f} km line of sight, "
               f"{out['horizon_ground_range_m'] / 1000:,.1f} km along the ground")
    click.echo(f"  lowest visible altitude above MSL at elevation >= {min_elevation_deg:g} deg:")
    for row in out["ranges"]:
        h = row["lowest_visible_altitude_m"]
        click.echo(f"    {row['ground_range_m'] / 1000:>8,.0f} km: "
                   + (f"{h / 1000:>10,.1f} km" if h is not None else "      none (no ray at this elevation rises "
                                                                      "above that point)"))


def _finite(altitude_m: float) -> float | None:
    """The altitude (m) rounded to mm, or None where none is visible (inf)."""
    return round(altitude_m, 3) if math.isfinite(altitude_m) else None
