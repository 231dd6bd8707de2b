"""``geocover engage``: one launch against one target, for a scenario (and speed sweeps)."""

from __future__ import annotations

import click

from ..engine import DEFENDED_RULE, PERFECT_TRACKING, ScenarioRun, combine_pairs
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
@click.option("--missile", "missile_id", callback=nonempty,
              help="Missile class, any of the catalog's [default: every class of the scenario's threat set "
                   "launched from LAUNCH].")
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
    reaches is an error naming the feasible interval.

    Without --missile, every class of the scenario's threat set launched from LAUNCH is flown:
    with several, one line (JSON: one entry of `classes`) per class, and the verdict over the
    set by the rule in `rule`: defended against every (launch, class) pair that reaches the
    target (`reachable_from`, `defended_against`; `battle_space_s` the least over them,
    `limited_by` and `deciding_missile` those of the class that decides).

    `first_detection_t_s` and `warning_time_s` are the defender's: with `[networks]`, what its
    own network sees or a linked network delivers after the link's latency;
    `first_detection_any_radar_t_s` and `warning_time_any_radar_s` count every radar of the
    scenario at once (equal without `[networks]`)."""
    sc = load_scenario(scenario_name, get_catalog(catalog_files))
    explicit = sc.catalog.missile(missile_id) if missile_id else None
    lat1, lon1, name1, site1 = resolve_place(launch, sc.catalog)
    lat2, lon2, name2, _ = resolve_place(target, sc.catalog)
    # --missile: that catalog class alone (an explicit override, any class); else every class
    # of the scenario's threat set launched from LAUNCH (every class for a place the scenario
    # does not list as a launch site, Scenario.missiles_for)
    missiles = [explicit] if explicit else sc.missiles_for(site1.id if site1 else name1)
    announce_engagement_defaults(sc, missile_given=bool(missile_id), missiles=missiles)
    speed_list = parse_quantity_list(speeds, "speed", name="--interceptor-speed") if speeds else [None]
    from ..errors import InputError

    for v in speed_list:
        if v is not None and not 0 < v < 11_000:
            raise InputError(f"--interceptor-speed must be between 0 and 11 km/s, got {v:g} m/s")
    import dataclasses

    import numpy as np

    from ..sectors import engage_keys

    flights = []
    for m in missiles:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            _, reach = aim_profile(m, lat1, lon1, lat2, lon2, "min-energy", None, None, errors="mask")
            # out of reach: not an error; a profile it cannot fly to a reachable target: an error
            traj, ok = aim_profile(m, lat1, lon1, lat2, lon2, mode, angle_deg, apogee_m,
                                   errors="raise" if reach[0] else "mask")
        # overflown countries and the sectoral responsible side of this class's flight
        flights.append((m, traj, ok, engage_keys(sc, traj)))
    # the scenario with the first class as its missile: a one-class scenario (or --missile) is
    # exactly what it was before threat sets
    sc = dataclasses.replace(sc, missile=missiles[0]) if len(missiles) == 1 else sc
    results = []
    for v in speed_list:
        run = ScenarioRun(sc, model=model, interceptor_speed_mps=v, perfect_tracking=perfect)
        common = {"scenario": sc.id, "launch": name1, "target": name2, "missile": None,
                  "mode": mode, "interceptor_speed_mps": v if v is not None else {
                      k: i.burnout_speed_mps for k, i in run.arch.interceptors.items()},
                  "perfect_tracking": perfect, "assumptions": [PERFECT_TRACKING] if perfect else [],
                  "refraction_model": run.refraction_model, "samples_per_flight": sc.samples}
        per_class = []
        for m, traj, ok, geo in flights:
            eng, raw = run.engage_both(traj, ok)
            r = eng.row(0)  # first detection and warning: the defender's (ScenarioRun.defender_view)
            if not r["reachable"]:
                r["defended"] = None
            # the engine's raw values: every radar of every network at once, at zero latency
            raw_row = raw.row(0)
            r["first_detection_any_radar_t_s"] = raw_row["first_detection_t_s"]
            r["warning_time_any_radar_s"] = raw_row["warning_time_s"]
            per_class.append((m, eng.result(0), {**common, "missile": m.id, **r, **geo}))
        reach_from, defended_against, least = combine_pairs([(name1, m.id, e) for m, e, _ in per_class])
        verdict = {"reachable_from": [{"launch": a, "missile": b} for a, b in reach_from],
                   "defended_against": [{"launch": a, "missile": b} for a, b in defended_against],
                   "rule": DEFENDED_RULE}
        if len(per_class) == 1:
            results.append({**per_class[0][2], **verdict})
            continue
        # several classes: the verdict over the set, and the class that decides it (the first
        # class not defended against, else the one with the least battle space)
        reaching = [(m, e, d) for m, e, d in per_class if e.reachable]
        deciding = next(((m, d) for m, e, d in reaching if not e.defended), None) or \
            (min(((m, d) for m, e, d in reaching), key=lambda md: md[1]["battle_space_s"]) if reaching else None)
        results.append({**common, "missile": ",".join(m.id for m, _, _ in per_class),
                        "reachable": bool(reach_from),
                        "defended": (len(defended_against) == len(reach_from)) if reach_from else None,
                        "battle_space_s": least,
                        "limited_by": deciding[1]["limited_by"] if deciding else "not_reachable",
                        "deciding_missile": deciding[0].id if deciding else None,
                        **verdict, "classes": [d for _, _, d in per_class]})
    if as_json:
        echo_json(results[0] if len(results) == 1 else results)
        return
    if perfect:
        click.echo(f"assumption: {PERFECT_TRACKING}")
    for r in results:
        speed = r["interceptor_speed_mps"]
        speed_txt = f"{speed:,.0f} m/s" if isinstance(speed, float) else "catalog speeds"
        for c in r.get("classes", [r]):
            click.echo(f"{sc.id}: {name1} -> {name2} ({c['missile']}), interceptors at {speed_txt}: {_verdict(c)}")
        if "classes" in r:
            against = ", ".join(d["missile"] for d in r["defended_against"])
            overall = ("out of reach of every class (nothing to defend)" if r["defended"] is None else
                       f"DEFENDED against every class that reaches ({against}), least battle space "
                       f"{r['battle_space_s']:.0f} s" if r["defended"] else
                       f"NOT defended: not against {r['deciding_missile']} ({r['limited_by']})")
            click.echo(f"{sc.id}: {name1} -> {name2} against the threat set ({r['missile']}), interceptors at "
                       f"{speed_txt}: {overall}; rule: {DEFENDED_RULE}")


def _verdict(r: dict) -> str:
    """One class's result as text."""
    return (f"DEFENDED: {r['battle_space_s']:.0f} s of battle space, first intercept at "
            f"{r['earliest_t_s']:.0f} s, {r['earliest_altitude_m'] / 1000:.0f} km up, last at "
            f"{r['latest_t_s']:.0f} s, by {r['interceptor']} guided by {r['radar']}" if r["defended"] else
            "out of the missile's reach (nothing to defend)" if not r["reachable"] else
            f"NOT defended, limited by {r['limited_by']} ({LIMITED_BY_TEXT[r['limited_by']]})")
