"""``geocover engage``: one launch against one target, for a scenario (and speed sweeps)."""

from __future__ import annotations

import click

from ..engine import PERFECT_TRACKING, ScenarioRun
from ..footprint import LIMITED_BY_TEXT
from ..scenario import load_scenario
from ..trajectory import aim_profile
from ..units import parse_quantity_list
from .options import (
    announce_engagement_defaults,
    catalog_option,
    echo_json,
    get_catalog,
    model_option,
    nonempty,
    resolve_place,
)
from .trajectory import profile_options


@click.command("engage")
@click.argument("scenario_name", metavar="SCENARIO")
@click.argument("launch", metavar="LAUNCH")
@click.argument("target", metavar="TARGET")
@click.option("--missile", "missile_id", callback=nonempty, help="Missile class [default: the scenario's].")
@click.option("--interceptor-speed", "speeds", callback=nonempty, help="Burnout speed(s) to try for every interceptor, "
              "comma-separated (e.g. 5.4km/s,7.7km/s,9km/s) [default: the catalog's].")
@click.option("--perfect-tracking", "perfect", is_flag=True,
              help="Assume every fire-control radar holds a track of the threat from the end of boost, cueing "
                   "instant: the kinematic answer (commit delay, flyout, altitude window and range only). "
                   "Stated in the output (`assumptions`).")
@profile_options
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@catalog_option
def command(scenario_name, launch, target, missile_id, speeds, perfect, mode, apogee_m, angle_deg, model, as_json,
            catalog_files) -> None:
    """Can SCENARIO intercept a missile from LAUNCH to TARGET (catalog ids or lat,lon)? JSON keys
    include `reachable`, `defended`, `battle_space_s` and `limited_by` (why not defended:
    not_reachable, no_track, no_fire_control_track, no_cue, altitude_window,
    out_of_interceptor_range, too_late; null when defended); with several --interceptor-speed values,
    one result per speed. A target the missile cannot reach is not an error: `reachable` is
    false and `defended` null. A lofted/depressed profile the class cannot fly to a target it
    reaches is an error naming the feasible interval."""
    sc = load_scenario(scenario_name, get_catalog(catalog_files))
    if missile_id:
        import dataclasses

        sc = dataclasses.replace(sc, missile=sc.catalog.missile(missile_id))
    announce_engagement_defaults(sc, missile_given=bool(missile_id), missiles=[sc.missile])
    lat1, lon1, name1, _ = resolve_place(launch, sc.catalog)
    lat2, lon2, name2, _ = resolve_place(target, sc.catalog)
    speed_list = parse_quantity_list(speeds, "speed", name="--interceptor-speed") if speeds else [None]
    from ..errors import InputError

    for v in speed_list:
        if v is not None and not 0 < v < 11_000:
            raise InputError(f"--interceptor-speed must be between 0 and 11 km/s, got {v:g} m/s")
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        _, reach = aim_profile(sc.missile, lat1, lon1, lat2, lon2, "min-energy", None, None, errors="mask")
        # out of reach: not an error; a profile it cannot fly to a reachable target: an error
        traj, ok = aim_profile(sc.missile, lat1, lon1, lat2, lon2, mode, angle_deg, apogee_m,
                               errors="raise" if reach[0] else "mask")
    from ..sectors import engage_keys

    geo = engage_keys(sc, traj)  # overflown countries and the sectoral responsible side
    results = []
    for v in speed_list:
        run = ScenarioRun(sc, model=model, interceptor_speed_mps=v, perfect_tracking=perfect)
        r = run.engage(traj, ok).row(0)
        if not r["reachable"]:
            r["defended"] = None
        results.append({"scenario": sc.id, "launch": name1, "target": name2, "missile": sc.missile.id,
                        "mode": mode, "interceptor_speed_mps": v if v is not None else {
                            k: i.burnout_speed_mps for k, i in run.arch.interceptors.items()},
                        "perfect_tracking": perfect, "assumptions": [PERFECT_TRACKING] if perfect else [],
                        "refraction_model": run.refraction_model, "samples_per_flight": sc.samples, **r, **geo})
    if as_json:
        echo_json(results[0] if len(results) == 1 else results)
        return
    if perfect:
        click.echo(f"assumption: {PERFECT_TRACKING}")
    for r in results:
        speed = r["interceptor_speed_mps"]
        speed_txt = f"{speed:,.0f} m/s" if isinstance(speed, float) else "catalog speeds"
        verdict = (f"DEFENDED: {r['battle_space_s']:.0f} s of battle space, first intercept at "
                   f"{r['earliest_t_s']:.0f} s, {r['earliest_altitude_m'] / 1000:.0f} km up, last at "
                   f"{r['latest_t_s']:.0f} s, by {r['interceptor']} guided by {r['radar']}" if r["defended"] else
                   "out of the missile's reach (nothing to defend)" if not r["reachable"] else
                   f"NOT defended, limited by {r['limited_by']} ({LIMITED_BY_TEXT[r['limited_by']]})")
        click.echo(f"{sc.id}: {name1} -> {name2} ({sc.missile.id}), interceptors at {speed_txt}: {verdict}")
