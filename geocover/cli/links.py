"""``geocover links``: what each shared radar network is worth to the defender of a scenario
with ``[networks]`` (warning time, cities and area defended, latency sweep; geocover.fusion)."""

from __future__ import annotations

import click

from .options import catalog_option, echo_json, get_catalog, launch_ids_option, model_option, nonempty


@click.command("links")
@click.argument("scenario_name", metavar="SCENARIO")
@click.option("--launch", "launches", callback=nonempty, help="Launch-site ids, comma-separated [default: the "
              "scenario's].")
@click.option("--latency", "latencies", default="0,30,60,120,300,600", show_default=True, callback=nonempty,
              help="Latencies (s) of the sweep, comma-separated.")
@click.option("--resolution", "resolution_deg", type=click.FloatRange(0.1, 10.0), default=1.0, show_default=True,
              help="Footprint resolution (deg) for the defended areas.")
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@catalog_option
def command(scenario_name, launches, latencies, resolution_deg, model, as_json, catalog_files) -> None:
    """For each foreign network linked into the defender's (the network of the fire-control
    radars): mean warning time over the catalog's cities, cities and area defended, with and
    without it; the warning gain at each --latency, and the latency at which it disappears."""
    from ..errors import InputError, quoted
    from ..fusion import link_value
    from ..scenario import LINK_LATENCY_S, load_scenario
    from ..units import parse_quantity_list

    sc = load_scenario(scenario_name, get_catalog(catalog_files))
    if not sc.networks:
        raise InputError(f"{sc.path}: the scenario has no [networks]; nothing is shared")
    ids = launch_ids_option(launches, sc.catalog)
    lat = parse_quantity_list(latencies, "time", name="--latency")
    lo, hi = LINK_LATENCY_S  # the bounds of a scenario's [[networks.links]] latency_s
    if any(not lo <= v <= hi for v in lat):
        raise InputError(f"--latency: every latency must be between {lo:g} and {hi:g} s (a link's bound in a "
                         f"scenario), got {quoted(latencies)}")
    v = link_value(sc, ids, latencies_s=lat, resolution_deg=resolution_deg, model=model)
    if as_json:
        echo_json(v)
        return
    from ..fusion import link_summary

    click.echo(f"{sc.id}: defender network {v['home']!r}")
    for line in link_summary({sc.id: v}):
        click.echo("  " + line)
    for lid, per in v["launches"].items():
        for net, d in per.items():
            sweep = ", ".join(f"{s['latency_s']:g} s: {s['mean_warning_gain_s'] or 0:.1f} s"
                              for s in d["latency_sweep"])
            click.echo(f"  {lid}, {net}: warning gain by latency: {sweep}")
