"""``geocover timeline``: when each radar sees a missile, and how much warning is left."""

from __future__ import annotations

import click

from ..errors import InputError
from ..export import write_geojson
from ..radar import RadarView
from ..timeline import timeline
from ..trajectory import aim_missile, aim_profile, check_profile, missile_max_speed_mps
from .options import (
    QuantityType,
    catalog_option,
    dem_options,
    dpi_option,
    echo_json,
    get_catalog,
    id_list,
    is_default,
    load_scenario_option,
    model_option,
    nonempty,
    note,
    output_name,
    resolve_place,
    scenario_option,
    scenario_radar,
    terrain_from_options,
)
from .trajectory import profile_options


def _default_missile(cat, lat1, lon1, lat2, lon2):
    """The shortest-range catalog class that reaches the target (min-energy, rotating Earth)."""
    for m in sorted(cat.missiles.values(), key=lambda m: m.range_m):
        _, ok = aim_missile(m, lat1, lon1, lat2, lon2, errors="mask")
        if ok.all():
            return m
    raise InputError("no missile class in the catalog reaches that target")


def _scenario_missile(sc, launch, lat1, lon1, lat2, lon2, name1, name2):
    """The class a ``--scenario`` timeline flies without ``--missile`` (announced): of the
    scenario's threat set launched from LAUNCH (:meth:`~geocover.scenario.Scenario.missiles_for`)
    the classes that reach the target (min-energy, rotating Earth), the longest-range one
    among them (the set's main class where it reaches, as before threat sets); the note names
    the other classes that reach. Returns (the class or None when no class of the set
    reaches, the ids of the classes that reach)."""
    reaching = [m for m in sc.missiles_for(launch) if aim_missile(m, lat1, lon1, lat2, lon2, errors="mask")[1].all()]
    if not reaching:
        return None, []
    missile = max(reaching, key=lambda m: m.range_m)
    others = [m.id for m in reaching if m is not missile]
    also = (f"; {', '.join(others)} of the set also reach{'es' if len(others) == 1 else ''} {name2}: "
            f"--missile {others[0]} for its timeline" if others else "")
    note(f"missile class: {missile.name} ({missile.id}: the longest-range class of scenario {sc.id}'s threat "
         f"set from {name1} that reaches {name2}{also}; --missile)")
    return missile, [m.id for m in reaching]


@click.command("timeline")
@click.argument("launch", metavar="LAUNCH")
@click.argument("target", metavar="TARGET")
@click.option("--radars", "radar_ids", callback=nonempty,
              help="Comma-separated radar ids [default: the --scenario's radars; required without --scenario].")
@scenario_option
@click.option("--missile", "missile_id", callback=nonempty,
              help="Missile class [default: the longest-range class of the --scenario's threat set from LAUNCH "
                   "that reaches (the others are named on stderr), else the shortest-range class that reaches].")
@profile_options
@click.option("--step", "step_s", type=QuantityType("time", minimum=0, strict_min=True), default="2s",
              show_default=True, help="Sampling step along the flight.")
@click.option("--min-track", "min_track_s", type=QuantityType("time", minimum=0), default="10s",
              show_default=True, help="Continuous visibility that forms a track [default with --scenario: "
              "its engagement.min_track_s].")
@model_option
@dem_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), callback=output_name,
              help="Write a PNG/SVG/PDF plot (the format from the file name; see --dpi).")
@dpi_option
@click.option("--geojson", "geojson_path", type=click.Path(dir_okay=False), callback=output_name,
              help="Write the flight as GeoJSON.")
@click.option("--gpkg", "gpkg_path", type=click.Path(dir_okay=False), callback=output_name,
              help="Write the flight to a GeoPackage (3-D line and time-stamped points, QGIS styles).")
@click.option("--kml", "kml_path", type=click.Path(dir_okay=False), callback=output_name,
              help="Write the flight as a Google Earth track (.kml, or .kmz zipped): absolute altitudes, times.")
@catalog_option
def command(launch, target, radar_ids, scenario_name, missile_id, mode, apogee_m, angle_deg, step_s, min_track_s,
            model, no_terrain, dem_files, as_json, plot_path, dpi, geojson_path, gpkg_path, kml_path,
            catalog_files) -> None:
    """Detection timeline of a missile from LAUNCH to TARGET (ids or lat,lon) for a set of radars:
    first detection (time, altitude, range), track intervals, whether the boost is seen, warning
    time; radars that cannot search wait for a cue from one that can (the engine's
    track-and-cue rule). With --scenario (bundled name or TOML file): its radars (overrides and
    own [[sites]], e.g. the 2007 forward radar), minimum track time and cue links are the
    defaults, and the missile class is the longest-range class of its threat set from LAUNCH
    that reaches TARGET (the others that reach are named on stderr and listed in the JSON's
    `threat_set_reaching`; --missile flies one of them)."""
    from ..export import check_output_files
    from ..plots import check_figure_path
    from .trajectory import FLIGHT_SUFFIXES

    if plot_path:
        check_figure_path(plot_path)
    # all four names before any file is written: a bad --kml must not leave the --plot behind;
    # suffixes too (`--geojson x.toml` replaced the scenario it had read)
    check_output_files({"--plot": plot_path, "--geojson": geojson_path, "--gpkg": gpkg_path, "--kml": kml_path},
                       {**FLIGHT_SUFFIXES, "--geojson": (".geojson", ".json")})
    check_profile(mode, angle_deg, apogee_m)
    if not 0.01 <= step_s <= 60.0:
        raise InputError(f"--step must be between 0.01 s and 60 s, got {step_s:g} s")
    cat = get_catalog(catalog_files)
    sc = load_scenario_option(scenario_name, cat)
    if sc is not None:
        cat = sc.catalog  # the scenario's own [[sites]] resolve too
    if radar_ids is None and sc is None:
        raise InputError("give --radars (comma-separated radar ids) or --scenario (its radars)")
    lat1, lon1, name1, site1 = resolve_place(launch, cat)
    lat2, lon2, name2, site2 = resolve_place(target, cat)
    if radar_ids is None:
        radars = list(sc.radars.values())
        note(f"radars: {', '.join(r.id for r in radars)} (scenario {sc.id}; --radars)")
    else:
        radars = [scenario_radar(r, cat, sc) for r in id_list(radar_ids, "--radars", "radar id")]
    if sc is not None and is_default("min_track_s"):
        min_track_s = sc.min_track_s
    missile = cat.missile(missile_id) if missile_id else None
    reaching = None
    if missile is None and sc is not None:
        missile, reaching = _scenario_missile(sc, launch, lat1, lon1, lat2, lon2, name1, name2)
        if missile is None:
            missile = _default_missile(cat, lat1, lon1, lat2, lon2)
            set_ids = ", ".join(m.id for m in sc.missiles_for(launch))
            note(f"missile class: {missile.name} ({missile.id}): no class of scenario {sc.id}'s threat set "
                 f"from {name1} ({set_ids}) reaches {name2}; the shortest-range class that reaches instead "
                 "(--missile)")
    elif missile is None:
        missile = _default_missile(cat, lat1, lon1, lat2, lon2)
        note(f"missile class: {missile.name} ({missile.id}: the shortest-range class that reaches; --missile)")
    traj, _ = aim_profile(missile, lat1, lon1, lat2, lon2, mode, angle_deg, apogee_m)
    terrain = terrain_from_options(no_terrain, dem_files)
    views = [RadarView(r, model=model, terrain=terrain) for r in radars]
    # the scenario's cue links when its radars are the set (links to radars outside it are ignored)
    tl = timeline(traj, views, step_s=step_s, min_track_s=min_track_s, links=sc.links if sc is not None else None)
    out = {**({"scenario": sc.id} if sc is not None else {}), "min_track_s": min_track_s,
           "launch": name1, "target": name2, "missile": missile.id,
           # without --missile: the scenario's threat-set classes from LAUNCH that reach the target
           **({"threat_set_reaching": reaching} if reaching is not None else {}),
           "missile_burnout_speed_max_mps": missile_max_speed_mps(missile), "mode": mode,
           "refraction_model": views[0].model_name, "terrain": views[0].terrain, **tl.to_dict()}
    if plot_path:
        from ..plots import assumptions_caption, plot_timeline, save_figure

        cap = assumptions_caption(scenario=f"{sc.title} ({sc.id})" if sc is not None else None,
                                  missile=f"{missile.name} ({mode})", refraction_model=views[0].model_name,
                                  rcs_m2=f"{missile.body_rcs_m2:g} m² in boost, {missile.warhead_rcs_m2:g} m² after",
                                  extra=(f"track after {min_track_s:g} s of visibility",))
        # catalog names (the ids for lat,lon places)
        place1, place2 = site1.name if site1 else name1, site2.name if site2 else name2
        fig = plot_timeline(tl, title=f"{missile.name}: {place1} → {place2}", names={r.id: r.name for r in radars},
                            caption=cap)
        save_figure(fig, plot_path, dpi=dpi)
    if geojson_path:
        from ..export import flight_features

        write_geojson(geojson_path, flight_features(traj, properties={"from": name1, "to": name2,
                                                                      "missile": missile.id}),
                      name="trajectory", vertex_keys=("t_s",))
    if gpkg_path or kml_path:
        from ..gis import write_flight

        write_flight(traj, cat, name1, name2, missile.id, gpkg_path=gpkg_path, kml_path=kml_path)
    if as_json:
        echo_json(out)
        return
    click.echo(f"{missile.name}: {name1} -> {name2}, {out['ground_range_m'] / 1000:,.0f} km, flight "
               f"{tl.impact_t_s / 60:.1f} min, apogee {out['apogee_m'] / 1000:,.0f} km, boost {tl.burn_time_s:.0f} s")
    w = max([16] + [len(tr.radar_id) + 2 for tr in tl.tracks])
    header = f"{'radar':<{w}}{'first seen':>11}{'alt km':>8}{'range km':>10}{'seen s':>9}{'boost':>7}{'warning s':>11}"
    click.echo(header)
    for tr in tl.tracks:
        if tr.first_detection_t_s is None:
            click.echo(f"{tr.radar_id:<{w}}{'never':>11}   ({tr.blocked_mostly_by})")
            continue
        boost = "yes" if tr.boost_seen else "no"
        click.echo(f"{tr.radar_id:<{w}}{tr.first_detection_t_s:>10.0f}s{tr.first_detection_altitude_m / 1000:>8.0f}"
                   f"{tr.first_detection_range_m / 1000:>10,.0f}{tr.visible_s:>9.0f}{boost:>7}"
                   f"{tr.warning_time_s:>11.0f}" + ("" if tr.can_search else f"   (cued at {tr.cue_t_s:.0f} s)"))
    if tl.first_detection_t_s is None:
        click.echo("no radar of the set sees this flight")
    else:
        click.echo(f"first detection: {tl.first_detection_radar} at {tl.first_detection_t_s:.0f} s; "
                   f"warning time {tl.warning_time_s:.0f} s")
