"""``geocover vcd``: vertical coverage diagram of a radar (altitude against range)."""

from __future__ import annotations

import click

from ..radar import RadarView
from .options import QuantityType, catalog_option, get_catalog, model_option


@click.command("vcd")
@click.argument("radar_id", metavar="RADAR")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="PNG or SVG file.")
@click.option("--rcs", "rcs_m2", type=QuantityType("area", minimum=0, strict_min=True), default=None,
              help="Target RCS (m2 or dBsm) [default: the radar's reference RCS].")
@click.option("--max-range", "max_range_m", type=QuantityType("length", minimum=0, strict_min=True))
@click.option("--max-altitude", "max_altitude_m", type=QuantityType("length", minimum=0, strict_min=True))
@model_option
@catalog_option
def command(radar_id, output, rcs_m2, max_range_m, max_altitude_m, model, catalog_files) -> None:
    """Vertical coverage diagram (Blake-chart style) of RADAR on a smooth Earth: the region of
    altitude x ground range it sees, its horizon, elevation rays and range limit."""
    from ..plots import check_figure_path, plot_vertical_coverage, save_figure

    check_figure_path(output)
    view = RadarView(get_catalog(catalog_files).radar(radar_id), model=model, rcs_m2=rcs_m2)
    fig = plot_vertical_coverage(view, max_range_m=max_range_m, max_altitude_m=max_altitude_m)
    save_figure(fig, output)
    click.echo(f"wrote {output}")
