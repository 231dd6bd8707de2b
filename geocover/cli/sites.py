"""``geocover sites``: list the bundled (and user) catalog records."""

from __future__ import annotations

import click

from ..catalog import SITE_KINDS
from .options import catalog_option, echo_json, get_catalog


@click.command("sites")
@click.option("--kind", type=click.Choice(SITE_KINDS), help="Only sites of this kind.")
@click.option("--format", "fmt", type=click.Choice(["table", "geojson", "json"]), default="table",
              show_default=True, help="Table for people, GeoJSON for QGIS, JSON records.")
@catalog_option
def command(kind: str | None, fmt: str, catalog_files: tuple[str, ...]) -> None:
    """List catalog sites: radars, interceptors, launch sites and targets."""
    cat = get_catalog(catalog_files)
    sites = cat.sites(kind)
    if fmt == "geojson":
        echo_json(cat.to_geojson(kind))
        return
    if fmt == "json":
        echo_json([s.properties() for s in sites])
        return
    rows = [("id", "kind", "lat_deg", "lon_deg", "ground_msl_m", "confidence", "name")]
    rows += [(s.id, s.kind, f"{s.lat_deg:.4f}", f"{s.lon_deg:.4f}", f"{s.ground_height_msl_m:.0f}",
              s.confidence, s.name) for s in sites]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1])
