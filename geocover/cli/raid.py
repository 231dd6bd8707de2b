"""``geocover raid``: a raid of threats against a scenario's batteries, their inventories
and single-shot kill probabilities (allocation and closed forms in :mod:`geocover.raid`)."""

from __future__ import annotations

import click

from .options import catalog_option, echo_json, get_catalog, interceptor_speed_sweep, model_option, nonempty, note


@click.command("raid")
@click.argument("scenario_name", metavar="SCENARIO")
@click.option("--launch", "launch", callback=nonempty, help="Launch-site id (with --target and --count).")
@click.option("--target", "target", callback=nonempty, help="Target id.")
@click.option("--count", "count", type=click.IntRange(1, 100_000), default=1, show_default=True,
              help="Threats from --launch to --target.")
@click.option("--class", "missile_id", callback=nonempty,
              help="Missile class [default: the longest-range class of the scenario's threat set launched from "
                   "--launch].")
@click.option("--raid", "raid_file", type=click.Path(dir_okay=False, path_type=str), callback=nonempty,
              help="TOML raid file: [[threat]] tables with launch, target, class, count.")
@click.option("--sspk", "sspk", type=float, help="Single-shot kill probability for every battery, in [0, 1] "
              "[default: each battery's catalog sspk].")
@click.option("--doctrine", "doctrine", default="salvo:1", show_default=True, callback=nonempty,
              help="salvo:K (K interceptors per threat) or sls (shoot-look-shoot).")
@click.option("--interceptor-speed", "speeds", callback=nonempty, help="Burnout speed(s) to try for every "
              "interceptor, comma-separated (e.g. 5.4km/s,7.7km/s) [default: the catalog's].")
@click.option("--perfect-tracking", "perfect", is_flag=True, help="Allocate as if every radar tracked every threat "
              "from launch (kinematic upper bound: sensors out of the question).")
@click.option("--threats", "per_threat", is_flag=True, help="With --json: every threat's opportunities and outcome.")
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@catalog_option
def command(scenario_name, launch, target, count, missile_id, raid_file, sspk, doctrine, speeds, perfect, per_threat,
            model, as_json, catalog_files) -> None:
    """Allocate SCENARIO's interceptors to a raid and score it: `threats_engaged`,
    `interceptors_used` per battery, `expected_leakers` and `p_zero_leakers`, overall and
    per target. Give --launch/--target/--count, or --raid FILE for a mixed raid."""
    from ..errors import InputError, quoted
    from ..raid import (
        RaidGroup,
        battery_architectures,
        check_groups,
        default_class,
        load_raid,
        parse_doctrine,
        run_raid,
    )
    from ..scenario import load_scenario

    sc = load_scenario(scenario_name, get_catalog(catalog_files))
    doc = parse_doctrine(doctrine)
    if sspk is not None and not 0.0 <= sspk <= 1.0:
        raise InputError(f"--sspk must be within [0, 1], got {quoted(sspk)}")
    # --count given with --raid was ignored silently (the file's counts were used)
    count_given = click.get_current_context().get_parameter_source("count") != click.core.ParameterSource.DEFAULT
    if raid_file and (launch or target or missile_id or count_given):
        raise InputError("give either --raid FILE (its [[threat]] tables carry the counts) or "
                         "--launch/--target/--class/--count, not both")
    if raid_file:
        groups = load_raid(raid_file, sc)
    else:
        if not (launch and target):
            raise InputError("give --launch and --target (and --count), or --raid FILE")
        if not missile_id:  # the longest-range class of the threat set from that launch site, announced
            sc.catalog.launch_site(launch)
            missile_id = default_class(sc, launch)
            others = [m.id for m in sc.missiles_for(launch) if m.id != missile_id]
            listed = any(launch in c.launch_sites for c in sc.threat_classes)  # else every class of the set
            note(f"missile class: {sc.catalog.missile(missile_id).name} ({missile_id}: the longest-range class of "
                 f"scenario {sc.id}'s threat set" + (f" from {launch}" if listed else
                                                     f", which does not launch from {launch}")
                 + (f"; the set also {'launches' if listed else 'holds'} {', '.join(others)}"
                    f"{' there' if listed else ''}: --class {others[0]} for a raid of it, "
                    "--raid FILE for a mixed raid" if others else "") + "; --class)")
        groups = [RaidGroup(launch, target, missile_id, count)]
        check_groups(groups, sc)
    speed_list = interceptor_speed_sweep(speeds)
    results = []
    for v in speed_list:
        run_sc = sc if v is None else sc.with_interceptor_speed(v)
        r = run_raid(run_sc, groups, sspk=sspk, doctrine=doc, archs=battery_architectures(run_sc, model=model),
                     perfect_tracking=perfect)
        d = r.to_dict(threats=per_threat)
        d["interceptor_speed_mps"] = v if v is not None else {k: i.burnout_speed_mps
                                                               for k, i in sc.interceptors.items()}
        results.append(d)
    if as_json:
        echo_json(results[0] if len(results) == 1 else results)
        return
    for d in results:
        v = d["interceptor_speed_mps"]
        speed = f"{v:,.0f} m/s" if isinstance(v, float) else "catalog speeds"
        used = ", ".join(f"{k} {n}" for k, n in d["interceptors_used"].items()) or "none"
        how = ", perfect tracking" if d["perfect_tracking"] else ""
        click.echo(f"{d['scenario']} ({d['doctrine']}{how}, interceptors at {speed}): {d['threats']} threats, "
                   f"{d['threats_reaching']} reach their targets, {d['threats_kinematically_engageable']} "
                   f"kinematically engageable, {d['threats_engageable']} engageable "
                   f"{'(perfect tracking)' if d['perfect_tracking'] else 'with the sensors'}, "
                   f"{d['threats_engaged']} engaged; interceptors used: {used}; expected removed "
                   f"{d['expected_removed']:.2f}, expected leakers {d['expected_leakers']:.2f}, "
                   f"P(no leaker) {d['p_zero_leakers']:.3g}")
        for tid, s in d["per_target"].items():
            click.echo(f"  {tid}: {s['threats_reaching']}/{s['threats']} reach, {s['threats_engaged']} engaged, "
                       f"expected leakers {s['expected_leakers']:.2f}, P(no leaker) {s['p_zero_leakers']:.3g}")
