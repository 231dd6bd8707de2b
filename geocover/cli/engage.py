"""``geocover engage``: one launch against one target, for a scenario (and speed sweeps)."""

from __future__ import annotations

import click

from ..engine import DEFENDED_RULE, PERFECT_TRACKING, ScenarioRun, combine_pairs
from ..footprint import LIMITED_BY_TEXT
from ..scenario import load_scenario
from ..trajectory import aim_profile
from .options import (
    announce_engagement_defaults,
    catalog_option,
    echo_json,
    get_catalog,
    interceptor_speed_sweep,
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
    lat2, lon2, name2, site2 = resolve_place(target, sc.catalog)
    # --missile: that catalog class alone (an explicit override, any class); else every class
    # of the scenario's threat set launched from LAUNCH (every class for a place the scenario
    # does not list as a launch site, Scenario.missiles_for)
    missiles = [explicit] if explicit else sc.missiles_for(site1.id if site1 else name1)
    announce_engagement_defaults(sc, missile_given=bool(missile_id), missiles=missiles)
    speed_list = interceptor_speed_sweep(speeds)
    import dataclasses

    import numpy as np

    from ..sectors import engage_keys

    flights = []
    for m in missiles:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            me, reach = aim_profile(m, lat1, lon1, lat2, lon2, "min-energy", None, None, errors="mask")
            # out of reach: not an error; a profile it cannot fly to a reachable target: an error.
            # The minimum-energy profile itself is that first flight (not aimed twice).
            traj, ok = (me, reach) if (mode, angle_deg, apogee_m) == ("min-energy", None, None) else \
                aim_profile(m, lat1, lon1, lat2, lon2, mode, angle_deg, apogee_m,
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
    launch_txt = site1.name if site1 else name1
    target_txt = site2.name if site2 else name2
    classes = ", ".join(m.short_name for m in missiles)
    click.echo(f"{sc.title} ({sc.id}): {launch_txt} → {target_txt}; missile class{'es' if len(missiles) > 1 else ''}: "
               f"{classes}; {mode} trajectory; refraction model: {results[0]['refraction_model']}"
               + ("; perfect tracking assumed" if perfect else ""))
    rows = [(r, c) for r in results for c in r.get("classes", [r])]
    if len(rows) == 1:
        r = results[0]
        click.echo(f"{sc.id}: {launch_txt} -> {target_txt} ({missiles[0].short_name}), interceptors at "
                   f"{_speed_text(r['interceptor_speed_mps'], sc)}: {_verdict(r, sc)}")
        return
    _echo_table(sc, results, several_classes=len(missiles) > 1)
    for r in results:
        if "classes" in r:
            speed_txt = _speed_text(r["interceptor_speed_mps"], sc)
            against = ", ".join(_missile_name(sc, d["missile"]) for d in r["defended_against"])
            overall = ("out of reach of every class (nothing to defend)" if r["defended"] is None else
                       f"DEFENDED against every class that reaches ({against}), least battle space "
                       f"{r['battle_space_s']:.0f} s" if r["defended"] else
                       f"NOT defended: not against {_missile_name(sc, r['deciding_missile'])} ({r['limited_by']})")
            click.echo(f"{sc.id}: {launch_txt} -> {target_txt} against the threat set, interceptors at "
                       f"{speed_txt}: {overall}")
    if any("classes" in r for r in results):
        click.echo(f"rule: {DEFENDED_RULE}")
    used = sorted({c["limited_by"] for _, c in rows if c.get("limited_by")})
    for key in used:
        click.echo(f"limited by {key}: {LIMITED_BY_TEXT[key]}")


def _missile_name(sc, missile_id: str) -> str:
    try:
        return sc.catalog.missile(missile_id).short_name
    except Exception:  # a class the catalog no longer has: its id
        return missile_id


def _site_name(table: dict, site_id: str) -> str:
    """The catalog ``name`` of a radar/interceptor of the scenario ("—" for none)."""
    if not site_id:
        return "—"
    site = table.get(site_id)
    return site.name if site is not None else site_id


def _speed_text(speed, sc) -> str:
    """An interceptor speed for the text output, in km/s: one swept value, or the catalog's
    burnout speed of each battery of the scenario (named)."""
    if isinstance(speed, (int, float)):
        return f"{speed / 1000:.1f} km/s"
    vals = sorted(set(speed.values()))
    if not vals:
        return "catalog speeds"
    if len(vals) == 1:
        return f"the catalog speed, {vals[0] / 1000:.1f} km/s"
    return f"catalog speeds, {vals[0] / 1000:.1f}-{vals[-1] / 1000:.1f} km/s"


def _speed_cell(speed, interceptor_id: str) -> str:
    """The table's interceptor-speed cell (km/s): the swept value; with catalog speeds, that of
    the battery that intercepts, else the range over the scenario's batteries."""
    if isinstance(speed, (int, float)):
        return f"{speed / 1000:.1f}"
    if interceptor_id and interceptor_id in speed:
        return f"{speed[interceptor_id] / 1000:.1f}"
    lo, hi = min(speed.values(), default=0.0), max(speed.values(), default=0.0)
    return f"{lo / 1000:.1f}" if lo == hi else f"{lo / 1000:.1f}–{hi / 1000:.1f}"


def _battery_speed(r: dict) -> str:
    """" (x.x km/s)": the burnout speed of the battery that intercepts, from the result."""
    speed = r.get("interceptor_speed_mps")
    v = speed.get(r.get("interceptor")) if isinstance(speed, dict) else speed
    return "" if v is None else f" ({v / 1000:.1f} km/s)"


def _num(v) -> str:
    return "—" if v is None else f"{v:,.0f}"


def _echo_table(sc, results: list[dict], *, several_classes: bool) -> None:
    """One row per (interceptor speed, missile class) (and, with several classes, one row for
    the threat set), a header with units, columns aligned."""
    head = ["interceptor speed (km/s)", *(["missile class"] if several_classes else []), "verdict", "limited by",
            "battle space (s)", "first intercept (s)", "last intercept (s)", "first intercept altitude (km)",
            "interceptor", "radar"]
    body = []
    for r in results:
        entries = [(c, _missile_name(sc, c["missile"])) for c in r.get("classes", [r])]
        if "classes" in r:
            entries.append((r, "threat set (rule below)"))
        for c, mname in entries:
            defended = c.get("defended")
            verdict = "out of reach" if not c.get("reachable") else "defended" if defended else "NOT defended"
            alt = c.get("earliest_altitude_m")
            body.append([_speed_cell(r["interceptor_speed_mps"], c.get("interceptor") or ""),
                         *([mname] if several_classes else []), verdict,
                         c.get("limited_by") or "—",
                         _num(c.get("battle_space_s")) if c.get("reachable") else "—",
                         _num(c.get("earliest_t_s")), _num(c.get("latest_t_s")),
                         "—" if alt is None else f"{alt / 1000:,.0f}",
                         _site_name(sc.interceptors, c.get("interceptor") or ""),
                         _site_name(sc.radars, c.get("radar") or "")])
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    numeric = {0, *range(len(head) - 6, len(head) - 2)}  # speed, times and altitude: right-aligned

    def line(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in
                         enumerate(zip(cells, widths, strict=True))).rstrip()

    click.echo(line(head))
    click.echo("  ".join("-" * w for w in widths))
    for row in body:
        click.echo(line(row))
    click.echo("intercept times in seconds after launch; battle space: seconds of the flight during which an "
               "intercept is possible (union over batteries)")


def _verdict(r: dict, sc) -> str:
    """One class's result as text."""
    return (f"DEFENDED: {r['battle_space_s']:.0f} s of battle space, first intercept at "
            f"{r['earliest_t_s']:.0f} s, {r['earliest_altitude_m'] / 1000:.0f} km up, last at "
            f"{r['latest_t_s']:.0f} s, by {_site_name(sc.interceptors, r['interceptor'])}"
            f"{_battery_speed(r)} guided by "
            f"{_site_name(sc.radars, r['radar'])}" if r["defended"] else
            "out of the missile's reach (nothing to defend)" if not r["reachable"] else
            f"NOT defended, limited by {r['limited_by']} ({LIMITED_BY_TEXT[r['limited_by']]})")
