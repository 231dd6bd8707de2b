"""``geocover trajectory``: fly a missile from a launch point to a target, or a burnout state."""

from __future__ import annotations

import click
import numpy as np

from ..errors import InputError
from ..export import flight_geojson
from ..trajectory import MODES, aim, aim_profile, check_profile, fly, wrong_side
from .options import (
    SPEED_TYPE,
    QuantityType,
    catalog_option,
    echo_json,
    get_catalog,
    nonempty,
    output_name,
    resolve_place,
)


def profile_options(f):
    """``--mode``, ``--apogee`` and ``--angle``: the flight profile, shared by ``trajectory``,
    ``timeline`` and ``engage``."""
    f = click.option("--angle", "angle_deg", type=QuantityType("angle", minimum=0, strict_min=True),
                     help="Lofted/depressed by burnout flight-path angle (deg) (trajectory --azimuth: the "
                          "burnout state's angle).")(f)
    f = click.option("--apogee", "apogee_m", type=QuantityType("length", minimum=0, strict_min=True),
                     help="Lofted/depressed by apogee (e.g. 800km); an infeasible apogee is an error naming the "
                          "feasible interval for the class and target.")(f)
    return click.option("--mode", type=click.Choice(MODES), default="min-energy", show_default=True,
                        help="Flight profile: minimum-energy, or lofted/depressed (by --apogee, --angle, or "
                             "15 deg off the minimum-energy angle).")(f)


KEYS = ("impact_lat_deg", "impact_lon_deg", "ground_range_m", "flight_time_s", "apogee_m",
        "burnout_speed_mps", "flight_path_angle_deg")


#: The file names the flight writers accept (GeoPackage: OGC 12-128r18 requirement 3, ".gpkg";
#: KML 2.2: .kml text or .kmz zip).
FLIGHT_SUFFIXES = {"--gpkg": (".gpkg",), "--kml": (".kml", ".kmz")}


@click.command("trajectory")
@click.option("--from", "from_place", required=True, metavar="LAT,LON|SITE", help="Launch point.")
@click.option("--to", "to_place", metavar="LAT,LON|SITE", help="Target (aim mode).")
@click.option("--missile", "missile_id", callback=nonempty,
              help="Missile class from the catalog (burn time, burnout altitude, reach) [default: burnout at the "
                   "launch point on the surface, no reach limit].")
@profile_options
@click.option("--azimuth", "azimuth_deg", type=QuantityType("angle"), help="Launch azimuth (burnout-state mode).")
@click.option("--speed", "speed_mps", type=SPEED_TYPE,
              help="Burnout speed relative to the ground (m/s or km/s): a burnout state with --azimuth, or a "
                   "fixed speed with --to.")
@click.option("--no-rotation", is_flag=True, help="Non-rotating Earth.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--geojson", "as_geojson", is_flag=True, help="Print the flight as GeoJSON (LineString with heights).")
@click.option("--gpkg", "gpkg_path", type=click.Path(dir_okay=False), callback=output_name,
              help="Write the flight to a GeoPackage (3-D line and time-stamped points, QGIS styles).")
@click.option("--kml", "kml_path", type=click.Path(dir_okay=False), callback=output_name,
              help="Write the flight as a Google Earth track (.kml, or .kmz zipped): absolute altitudes, times.")
@catalog_option
def command(from_place, to_place, missile_id, mode, apogee_m, angle_deg, azimuth_deg, speed_mps, no_rotation,
            as_json, as_geojson, gpkg_path, kml_path, catalog_files) -> None:
    """Ballistic flight from a launch point: aimed at a target (--to), or free flight of a
    burnout state at the surface (--azimuth, --speed, --angle). Kepler free flight on a
    rotating Earth unless --no-rotation."""
    from ..export import check_output_files

    check_output_files({"--gpkg": gpkg_path, "--kml": kml_path}, FLIGHT_SUFFIXES)
    cat = get_catalog(catalog_files)
    lat1, lon1, name1, _ = resolve_place(from_place, cat)
    rotating = not no_rotation
    if to_place is None:
        if azimuth_deg is None or speed_mps is None or angle_deg is None:
            raise InputError("give --to TARGET, or a burnout state with --azimuth, --speed and --angle")
        if missile_id:
            raise InputError("--missile applies to aimed flights (--to); a burnout state starts at the surface")
        traj = fly(lat1, lon1, azimuth_deg, speed_mps, angle_deg, rotating=rotating)
        if not np.isfinite(traj.flight_time_s[0]):
            raise InputError(f"a burnout speed of {speed_mps:,.0f} m/s at {angle_deg:g} deg does not come back "
                             "down (escape or orbit)")
        target = None
    else:
        if azimuth_deg is not None:
            raise InputError("--azimuth is for burnout states; with --to the azimuth is solved for")
        lat2, lon2, target, _ = resolve_place(to_place, cat)
        check_profile(mode, angle_deg, apogee_m)
        if missile_id:
            missile = cat.missile(missile_id)
            if speed_mps is not None:
                raise InputError("--speed cannot be combined with --missile (the class sets the speed)")
            traj, _ = aim_profile(missile, lat1, lon1, lat2, lon2, mode, angle_deg, apogee_m, rotating=rotating)
        else:
            if speed_mps is not None and (apogee_m is not None or angle_deg is not None):
                raise InputError("--speed fixes the burnout speed: it cannot be combined with --apogee or --angle")
            traj, ok = aim(lat1, lon1, lat2, lon2, mode=mode, fpa_deg=angle_deg, apogee_m=apogee_m,
                           speed_mps=speed_mps, rotating=rotating)
            if not ok.all():
                bounds = ""
                if traj.apogee_bounds_m is not None and np.all(np.isfinite(traj.apogee_bounds_m[0])):
                    (a0, a1), (g0, g1) = traj.apogee_bounds_m[0], traj.fpa_bounds_deg[0]
                    bounds = (f"{wrong_side(mode, apogee_m, angle_deg, traj)}: its {mode} flights (burnout at the "
                              f"surface) have apogees {a0 / 1000:,.1f}-{a1 / 1000:,.1f} km, flight-path angles "
                              f"{g0:.2f}-{g1:.2f} deg")
                raise InputError(f"no {mode} trajectory from {name1} reaches {target}"
                                 + (f" at {speed_mps:,.0f} m/s" if speed_mps else "") + bounds)
    summary = traj.summary()
    out = {"from": name1, "to": target, "missile": missile_id, **{k: summary[k] for k in KEYS},
           **{k: v for k, v in summary.items() if k not in KEYS}}
    if gpkg_path or kml_path:
        from ..gis import write_flight

        write_flight(traj, cat, name1, target, missile_id, gpkg_path=gpkg_path, kml_path=kml_path)
    if as_geojson:
        echo_json(flight_geojson(traj, properties={"from": name1, "to": target, "missile": missile_id}))
    elif as_json:
        echo_json(out)
    else:
        click.echo(f"{name1} -> {target or 'burnout state'}{f' ({missile_id})' if missile_id else ''}, "
                   f"{'rotating' if rotating else 'non-rotating'} Earth:")
        click.echo(f"  impact {out['impact_lat_deg']:.4f}, {out['impact_lon_deg']:.4f}; ground range "
                   f"{out['ground_range_m'] / 1000:,.1f} km; flight time {out['flight_time_s'] / 60:.2f} min; "
                   f"apogee {out['apogee_m'] / 1000:,.0f} km")
        click.echo(f"  burnout {out['burnout_speed_mps']:,.0f} m/s at {out['flight_path_angle_deg']:.2f} deg, "
                   f"launch azimuth {out['azimuth_deg']:.2f} deg")
