"""``geocover engage``: one launch against one target, for a scenario (and speed sweeps)."""

from __future__ import annotations

import click

from ..footprint import Architecture
from ..scenario import load_scenario
from ..units import parse_quantity_list
from .options import catalog_option, echo_json, get_catalog, model_option, nonempty, resolve_place


@click.command("engage")
@click.argument("scenario_name", metavar="SCENARIO")
@click.argument("launch", metavar="LAUNCH")
@click.argument("target", metavar="TARGET")
@click.option("--missile", "missile_id", callback=nonempty, help="Missile class [default: the scenario's].")
@click.option("--interceptor-speed", "speeds", callback=nonempty, help="Burnout speed(s) to try for every interceptor, "
              "comma-separated (e.g. 5.4km/s,7.7km/s,9km/s) [default: the catalog's].")
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@catalog_option
def command(scenario_name, launch, target, missile_id, speeds, model, as_json, catalog_files) -> None:
    """Can SCENARIO intercept a missile from LAUNCH to TARGET (catalog ids or lat,lon)? JSON keys
    include `defended` and `battle_space_s`; with several --interceptor-speed values, one result
    per speed."""
    sc = load_scenario(scenario_name, get_catalog(catalog_files))
    if missile_id:
        import dataclasses

        sc = dataclasses.replace(sc, missile=sc.catalog.missile(missile_id))
    lat1, lon1, name1, _ = resolve_place(launch, sc.catalog)
    lat2, lon2, name2, _ = resolve_place(target, sc.catalog)
    speed_list = parse_quantity_list(speeds, "speed", name="--interceptor-speed") if speeds else [None]
    from ..errors import InputError

    for v in speed_list:
        if v is not None and not 0 < v < 11_000:
            raise InputError(f"--interceptor-speed must be between 0 and 11 km/s, got {v:g} m/s")
    results = []
    for v in speed_list:
        arch = Architecture(sc, model=model, interceptor_speed_mps=v)
        from ..trajectory import aim_missile

        aim_missile(sc.missile, lat1, lon1, lat2, lon2)  # a clear error if out of reach
        r = arch.engage_points(lat1, lon1, lat2, lon2).row(0)
        results.append({"scenario": sc.id, "launch": name1, "target": name2, "missile": sc.missile.id,
                        "interceptor_speed_mps": v if v is not None else {
                            k: i.burnout_speed_mps for k, i in arch.interceptors.items()}, **r})
    if as_json:
        echo_json(results[0] if len(results) == 1 else results)
        return
    for r in results:
        speed = r["interceptor_speed_mps"]
        speed_txt = f"{speed:,.0f} m/s" if isinstance(speed, float) else "catalog speeds"
        verdict = (f"DEFENDED: {r['battle_space_s']:.0f} s of battle space, first intercept at "
                   f"{r['earliest_t_s']:.0f} s, {r['earliest_altitude_m'] / 1000:.0f} km up, by {r['interceptor']} "
                   f"guided by {r['radar']}" if r["defended"] else "NOT defended")
        click.echo(f"{sc.id}: {name1} -> {name2} ({sc.missile.id}), interceptors at {speed_txt}: {verdict}")
