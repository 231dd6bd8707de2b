"""``geocover distance``: geodesic distance and azimuths between two places."""

from __future__ import annotations

import click

from ..geodesy import inverse
from .options import catalog_option, echo_json, get_catalog, json_option, resolve_place


@click.command("distance")
@click.argument("from_place", metavar="FROM")
@click.argument("to_place", metavar="TO")
@json_option
@catalog_option
def command(from_place: str, to_place: str, as_json: bool, catalog_files: tuple[str, ...]) -> None:
    """Geodesic distance and azimuths on WGS84 between FROM and TO (site ids or lat,lon).

    Put -- before coordinates that start with a minus sign: geocover distance -- -33.9,18.4 51.5,-0.1
    """
    cat = get_catalog(catalog_files)
    lat1, lon1, name1, _ = resolve_place(from_place, cat)
    lat2, lon2, name2, _ = resolve_place(to_place, cat)
    dist, az, back = inverse(lat1, lon1, lat2, lon2)
    out = {"from": name1, "to": name2, "from_lat_deg": lat1, "from_lon_deg": lon1,
           "to_lat_deg": lat2, "to_lon_deg": lon2, "distance_m": round(dist, 3),
           "azimuth_deg": round(az, 6), "back_azimuth_deg": round(back, 6),
           "ellipsoid": "WGS84"}
    if as_json:
        echo_json(out)
    else:
        click.echo(f"{name1} -> {name2}: {dist / 1000:,.1f} km (WGS84 geodesic), "
                   f"azimuth {az:.2f} deg, back azimuth {back:.2f} deg")
