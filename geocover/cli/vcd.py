"""``geocover vcd``: vertical coverage diagram of a radar (altitude against range)."""

from __future__ import annotations

import click

from ..radar import RadarView
from .options import (
    QuantityType,
    announce_model,
    catalog_option,
    dpi_option,
    get_catalog,
    load_scenario_option,
    model_option,
    output_name,
    scenario_option,
    scenario_radar,
    target_rcs_m2,
)


@click.command("vcd")
@click.argument("radar_id", metavar="RADAR")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, callback=output_name,
              help="Figure file: .png, .svg or .pdf (the format comes from the name).")
@click.option("--rcs", "rcs_m2", type=QuantityType("area", minimum=0, strict_min=True), default=None,
              help="Target RCS (m2 or dBsm) [default: the smallest warhead RCS of the --scenario's threat set, "
                   "else the radar's reference RCS].")
@click.option("--max-range", "max_range_m", type=QuantityType("length", minimum=0, strict_min=True))
@click.option("--max-altitude", "max_altitude_m", type=QuantityType("length", minimum=0, strict_min=True))
@model_option
@scenario_option
@dpi_option
@catalog_option
def command(radar_id, output, rcs_m2, max_range_m, max_altitude_m, model, scenario_name, dpi, catalog_files) -> None:
    """Vertical coverage diagram (Blake-chart style) of RADAR on a smooth Earth: the region of
    altitude x ground range it sees, its horizon, elevation rays and range limit. With
    --scenario, RADAR may be one of the scenario's own sites and its overrides apply. A caption
    under the figure states the assumptions (scenario, missile class, refraction model, RCS)."""
    from ..plots import assumptions_caption, check_figure_path, plot_vertical_coverage, save_figure

    check_figure_path(output)
    cat = get_catalog(catalog_files)
    sc = load_scenario_option(scenario_name, cat)
    radar = scenario_radar(radar_id, cat, sc)
    rcs_m2 = target_rcs_m2(rcs_m2, radar, sc)
    announce_model(model)
    view = RadarView(radar, model=model, rcs_m2=rcs_m2)
    classes = " / ".join(c.missile.name for c in sc.threat_classes) if sc else None  # the threat set
    caption = assumptions_caption(scenario=sc.title if sc else None, missile=classes,
                                  refraction_model=view.model_name, rcs_m2=view.rcs_m2,
                                  extra=("smooth Earth (no terrain)", "altitudes above MSL"))
    fig = plot_vertical_coverage(view, max_range_m=max_range_m, max_altitude_m=max_altitude_m, caption=caption)
    save_figure(fig, output, dpi=dpi)
    click.echo(f"wrote {output}")
