"""Detection timelines: cueing, boost detection, warning time, and the CLI outputs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

import geocover as gc
from geocover.cli.main import cli
from geocover.radar import RadarView
from geocover.timeline import timeline, visibility_runs
from geocover.trajectory import aim_missile

CAT = gc.default_catalog()


def _flight(launch="tabriz", target="paris", missile="irbm"):
    site, t = CAT.launch_site(launch), CAT.target(target)
    traj, _ = aim_missile(CAT.missile(missile), site.lat_deg, site.lon_deg, t.lat_deg, t.lon_deg)
    return traj


def test_visibility_runs():
    t = np.arange(10.0)
    vis = np.array([0, 1, 1, 0, 0, 1, 1, 1, 1, 0], bool)
    assert visibility_runs(t, vis) == [(1.0, 2.0), (5.0, 8.0)]
    assert visibility_runs(t, np.zeros(10, bool)) == []


def test_warning_time_and_boost():
    traj = _flight()
    tl = timeline(traj, [RadarView(CAT.radar("kurecik"))], step_s=1.0)
    tr = tl.tracks[0]
    # Kürecik is ~750 km from Tabriz and looks east: it sees the boosting missile.
    assert tr.boost_seen and tr.first_detection_t_s < tl.burn_time_s
    assert tl.warning_time_s == pytest.approx(tl.impact_t_s - tr.first_detection_t_s)
    # Every visible sample it reports is really visible to the radar (independent re-check).
    s = tl.samples
    vis = tl.visible["kurecik"]
    again = RadarView(CAT.radar("kurecik")).visibility(s.lat_deg[0], s.lon_deg[0], s.altitude_m[0],
                                                       rcs_m2=s.rcs_m2[0]).visible
    assert np.array_equal(vis, again)
    # The detection altitude and range are those of the first visible sample.
    i = int(np.argmax(vis))
    assert tr.first_detection_altitude_m == pytest.approx(s.altitude_m[0, i])


def test_radar_that_cannot_search_waits_for_a_cue():
    traj = _flight()
    brdy = CAT.radar("brdy-emr")  # can_search = false (SOURCES.md: needs cueing)
    alone = timeline(traj, [RadarView(brdy)])
    assert alone.tracks[0].first_detection_t_s is None and alone.tracks[0].blocked_mostly_by == "no cue"
    # The same radar allowed to search sees the flight at some time t0 ...
    free = timeline(traj, [RadarView(dataclasses.replace(brdy, can_search=True))])
    t0 = free.tracks[0].first_detection_t_s
    assert t0 is not None
    # ... and cued by a radar whose track forms later than t0, it acquires only at the cue.
    cued = timeline(traj, [RadarView(brdy), RadarView(CAT.radar("kurecik"))], min_track_s=10.0)
    k = cued.tracks[1]
    cue = k.track_formed_t_s
    assert cued.tracks[0].cue_t_s == pytest.approx(cue)
    assert cued.tracks[0].first_detection_t_s >= max(cue, t0) - 1e-9


def test_radar_out_of_range_reports_why():
    tl = timeline(_flight(), [RadarView(CAT.radar("aegis-north-sea"))])
    assert tl.tracks[0].first_detection_t_s is None
    assert tl.tracks[0].blocked_mostly_by in ("sector", "horizon", "range")
    assert tl.first_detection_t_s is None and tl.warning_time_s is None


def test_cli_trajectory_json_keys():
    r = CliRunner().invoke(cli, ["trajectory", "--from", "tabriz", "--to", "warsaw", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    for key in ("impact_lat_deg", "impact_lon_deg", "ground_range_m", "flight_time_s", "apogee_m",
                "burnout_speed_mps", "flight_path_angle_deg"):
        assert key in out
    assert out["impact_lat_deg"] == pytest.approx(52.230, abs=1e-4)
    assert out["ground_range_m"] / 1000 == pytest.approx(2512, abs=1)


def test_cli_burnout_state_matches_physics_table():
    # PHYSICS.md: 1,000 km at 3.016 km/s and 42.75 deg, 7.91 min, apogee 240 km (non-rotating).
    r = CliRunner().invoke(cli, ["trajectory", "--from", "0,0", "--azimuth", "90", "--speed", "3.01612km/s",
                                 "--angle", "42.7517", "--no-rotation", "--json"])
    out = json.loads(r.output)
    assert out["flight_time_s"] / 60 == pytest.approx(7.91, rel=1e-3)
    assert out["apogee_m"] / 1000 == pytest.approx(240, rel=1e-3)
    assert np.radians(out["impact_lon_deg"]) * 6371.0 == pytest.approx(1000, rel=1e-4)


@pytest.mark.parametrize("args,fragment", [
    (["trajectory", "--from", "tabriz", "--to", "warsaw", "--missile", "sejjil-2"], "maximum range 2,000 km"),
    (["trajectory", "--from", "tabriz", "--to", "tabriz"], "same place"),
    (["trajectory", "--from", "tabriz"], "give --to TARGET"),
    (["trajectory", "--from", "tabriz", "--to", "warsw"], "did you mean 'warsaw'"),
    # 11 km/s (the --speed bound since 40846ca; 12 km/s is refused by it) eastward at the equator: with the
    # Earth's 465 m/s the flight escapes (R2)
    (["trajectory", "--from", "0,0", "--azimuth", "90", "--speed", "11km/s", "--angle", "45"], "does not come back"),
    (["timeline", "tabriz", "paris", "--radars", "gabla"], "did you mean 'gabala'"),
])
def test_cli_bad_input(args, fragment):
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2 and fragment in r.output and "Traceback" not in r.output


def test_cli_timeline_outputs(tmp_path):
    png, gj = tmp_path / "t.png", tmp_path / "t.geojson"
    r = CliRunner().invoke(cli, ["timeline", "tabriz", "paris", "--radars", "gabala,kurecik,brdy-emr",
                                 "--missile", "irbm", "--no-terrain", "--json", "--plot", str(png),
                                 "--geojson", str(gj)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [x["radar_id"] for x in out["radars"]] == ["gabala", "kurecik", "brdy-emr"]
    assert out["first_detection_radar"] in ("gabala", "kurecik")
    assert out["warning_time_s"] == pytest.approx(out["impact_t_s"] - out["first_detection_t_s"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fc = json.loads(gj.read_text())
    geom = fc["features"][0]["geometry"]
    assert geom["type"] == "LineString" and len(geom["coordinates"][0]) == 3
    assert max(c[2] for c in geom["coordinates"]) > 500e3  # apogee, metres above the ellipsoid


@pytest.mark.parametrize("target", ["incirlik", "berlin"])  # 967 km and 2,999 km from Tabriz
def test_cli_timeline_default_missile_and_text_output(target):
    # Default missile: "the shortest-range class that reaches" (README). Reference: the
    # catalog's missiles.toml read with tomllib and the launch-target geodesic from
    # pyproj (WGS84 a, f typed: NIMA TR8350.2). Classes whose nominal range is within 10 %
    # of the distance would make the answer depend on rotation and burnout details, so the
    # test first checks there is none.
    import tomllib

    from pyproj import Geod

    from geocover._paths import data_dir

    launch = json.loads((data_dir() / "catalog" / "launch_sites.geojson").read_text(encoding="utf-8"))
    targets = json.loads((data_dir() / "catalog" / "targets.geojson").read_text(encoding="utf-8"))
    (lo1, la1), = [f["geometry"]["coordinates"] for f in launch["features"] if f["properties"]["id"] == "tabriz"]
    (lo2, la2), = [f["geometry"]["coordinates"] for f in targets["features"] if f["properties"]["id"] == target]
    *_, d = Geod(a=6378137.0, f=1 / 298.257223563).inv(lo1, la1, lo2, la2)
    classes = tomllib.loads((data_dir() / "catalog" / "missiles.toml").read_text(encoding="utf-8"))["missile"]
    assert not any(0.9 * d < m["range_m"] < 1.1 * d for m in classes.values())
    want = min((m["range_m"], mid) for mid, m in classes.items() if m["range_m"] >= 1.1 * d)[1]

    args = ["timeline", "tabriz", target, "--radars", "kurecik,deveselu", "--no-terrain"]
    js = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)
    assert js["missile"] == want
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()  # stderr carries the note of the default class
    # Text output carries the JSON's numbers, rounded as printed.
    assert lines[0].endswith(f"{js['ground_range_m'] / 1000:,.0f} km, flight {js['impact_t_s'] / 60:.1f} min, "
                             f"apogee {js['apogee_m'] / 1000:,.0f} km, boost {js['burn_time_s']:.0f} s")
    assert lines[1].split() == ["radar", "first", "seen", "alt", "km", "range", "km", "seen", "s", "boost",
                                "warning", "s"]
    for row, tr in zip(lines[2:4], js["radars"], strict=True):
        cells = row.split()
        assert cells[0] == tr["radar_id"]
        if tr["first_detection_t_s"] is None:
            assert cells[1] == "never"
            continue
        assert cells[1] == f"{tr['first_detection_t_s']:.0f}s"
        assert cells[2] == f"{tr['first_detection_altitude_m'] / 1000:.0f}"
        assert cells[3] == f"{tr['first_detection_range_m'] / 1000:,.0f}"
        assert cells[5] == ("yes" if tr["boost_seen"] else "no")
        assert cells[6] == f"{tr['warning_time_s']:.0f}"
    assert lines[-1] == (f"first detection: {js['first_detection_radar']} at {js['first_detection_t_s']:.0f} s; "
                         f"warning time {js['warning_time_s']:.0f} s")


def test_timeline_scenario_uses_its_radars_threat_and_cue_rule():
    # third-site-2007 defines its forward radar inline ([[sites]], not in the bundled catalog):
    # with --scenario the timeline takes the scenario's radars (forward radar, Brdy), its
    # missile class and minimum track time; Brdy (can_search = false, SOURCES.md) is cued by the
    # forward radar's track, i.e. its cue time equals the forward radar's track formation time
    # (the one track-and-cue rule, geocover.tracking).
    from geocover.scenario import load_scenario

    sc = load_scenario("third-site-2007")
    r = CliRunner().invoke(cli, ["timeline", "tabriz", "paris", "--scenario", "third-site-2007", "--no-terrain",
                                 "--json"])
    assert r.exit_code == 0, r.output
    js = json.loads(r.stdout)
    assert js["scenario"] == "third-site-2007" and js["missile"] == sc.missile.id
    assert js["min_track_s"] == sc.min_track_s
    by = {t["radar_id"]: t for t in js["radars"]}
    assert list(by) == list(sc.radars)
    assert not by["brdy-emr"]["can_search"] and by["forward-radar-2007"]["can_search"]
    assert by["brdy-emr"]["cue_t_s"] == by["forward-radar-2007"]["track_formed_t_s"]
    assert by["brdy-emr"]["first_detection_t_s"] >= by["brdy-emr"]["cue_t_s"]
    # the same radar without the scenario is unknown, with a hint naming the scenario
    r = CliRunner().invoke(cli, ["timeline", "tabriz", "paris", "--radars", "forward-radar-2007", "--no-terrain"])
    assert r.exit_code == 2 and "--scenario" in r.output
    # neither --radars nor --scenario: a clear error, exit 2
    r = CliRunner().invoke(cli, ["timeline", "tabriz", "paris", "--no-terrain"])
    assert r.exit_code == 2 and "--radars" in r.output and "--scenario" in r.output
