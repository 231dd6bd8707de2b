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
    from ..errors import InputError
    from ..fusion import link_value
    from ..scenario import load_scenario
    from ..units import parse_quantity_list

    sc = load_scenario(scenario_name, get_catalog(catalog_files))
    if not sc.networks:
        raise InputError(f"{sc.path}: the scenario has no [networks]; nothing is shared")
    ids = launch_ids_option(launches, sc.catalog)
    lat = parse_quantity_list(latencies, "time", name="--latency")
    if any(not v >= 0 for v in lat):
        raise InputError(f"--latency: every latency must be >= 0 s, got {latencies!r}")
    v = link_value(sc, ids, latencies_s=lat, resolution_deg=resolution_deg, model=model)
    if as_json:
        echo_json(v)
        return
    click.echo(f"{sc.id}: defender network {v['home']!r}")
    for lid, per in v["launches"].items():
        for net, d in per.items():
            w1, w0 = d["mean_warning_time_s_with"], d["mean_warning_time_s_without"]
            gain = f"{w1 - w0:+.1f} s" if w1 is not None and w0 is not None else "n/a"
            sweep = ", ".join(f"{s['latency_s']:g} s: {s['mean_warning_gain_s'] or 0:.1f}" for s in d["latency_sweep"])
            click.echo(f"  {lid}, {net}: warning {gain} (mean over {d['cities_reached']} cities); cities defended "
                       f"{d['cities_defended_without']} -> {d['cities_defended_with']}; defended area "
                       f"{d['defended_area_km2_without']:,.0f} -> {d['defended_area_km2_with']:,.0f} km2; "
                       f"gain by latency [{sweep}]; gone at {d['gain_disappears_at_latency_s']} s")
