"""Interceptor flyout, the engagement rule on a hand-computable case, scenario files, and
the footprint/engage commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import geocover as gc
from geocover.cli.main import cli
from geocover.footprint import Architecture, footprint
from geocover.interceptor import flyout_table, kepler_time_to_point
from geocover.scenario import bundled_scenarios, load_scenario
from geocover.trajectory import fly

CAT = gc.default_catalog()
R_EARTH_M = 6_371_000.0  # IUGG mean radius: the sphere PHYSICS.md prescribes (typed, not imported)


@pytest.mark.parametrize("d,h,v", [(400e3, 150e3, 3000.0), (1500e3, 400e3, 6300.0), (50e3, 200e3, 4500.0)])
def test_fastest_arc_matches_brute_force(d, h, v):
    # Brute force: fly arcs from the surface at speed v for gamma on a fine grid (Kepler,
    # non-rotating), find where each crosses ground range d, keep the fastest at altitude h.
    best = np.inf
    for g in np.linspace(0.5, 89.5, 1800):
        tr = fly(0.0, 0.0, 90.0, v, g, rotating=False)
        s = tr.positions(np.linspace(0.0, tr.flight_time_s[0], 8001)[None, :])
        ang = np.radians(s.lon_deg[0]) * R_EARTH_M
        k = np.searchsorted(ang, d)
        if 0 < k < ang.size:
            f = (d - ang[k - 1]) / (ang[k] - ang[k - 1])
            alt = s.altitude_m[0][k - 1] + f * (s.altitude_m[0][k] - s.altitude_m[0][k - 1])
            if abs(alt - h) < 1_500.0:
                best = min(best, s.t_s[0][k - 1] + f * (s.t_s[0][k] - s.t_s[0][k - 1]))
    assert kepler_time_to_point(d, h, v) == pytest.approx(best, abs=1.0)


def test_vertical_flyout_closed_form():
    # Straight up from the surface at speed v (radial Kepler): energy gives the time to an
    # altitude through t = integral dr / sqrt(v^2 - 2 mu (1/R - 1/r)); midpoint rule here.
    v, h = 4000.0, 300e3
    r = np.linspace(R_EARTH_M, R_EARTH_M + h, 200_001)
    speed = np.sqrt(v * v - 2 * 398_600.4418e9 * (1 / R_EARTH_M - 1 / r))
    t_ref = np.sum(np.diff(r) / (0.5 * (speed[1:] + speed[:-1])))
    assert kepler_time_to_point(1.0, h, v) == pytest.approx(t_ref, rel=2e-3)


def test_flyout_table_window_and_range():
    gbi = CAT.interceptor("redzikowo-gbi")
    ft = flyout_table(gbi, model="pause")  # the boost model is checked in test_interceptor_boost.py
    assert np.isnan(ft.time_to(gbi.max_range_m * 1.1, 500e3))
    assert np.isnan(ft.time_to(1000e3, gbi.min_intercept_altitude_m * 0.5))
    t = ft.time_to(1000e3, 300e3)
    # Consistency check: the table against the function it tabulates (that function is
    # checked against a brute-force search of Kepler arcs above); rel 1e-3 admits the
    # bilinear interpolation between table nodes.
    assert t == pytest.approx(gbi.burn_time_s + kepler_time_to_point(1000e3, 300e3, gbi.burnout_speed_mps), rel=1e-3)


HAND = """
[scenario]
title = "hand case: a radar that sees everything and a fast interceptor at the target"

[[sites]]
id = "all-seeing"
kind = "radar"
name = "360 deg radar at Bucharest"
lat_deg = 44.427
lon_deg = 26.103
ground_height_msl_m = 80.0
band = "S"
boresight_azimuth_deg = 0.0
half_width_deg = 180.0
min_elevation_deg = -90.0
max_elevation_deg = 90.0
reference_range_m = 1.0e7
reference_rcs_m2 = 1.0
antenna_height_agl_m = 10.0
can_search = {can_search}
source = "test"
confidence = "notional"

[[sites]]
id = "fast-battery"
kind = "interceptor"
name = "very fast interceptor at Bucharest"
lat_deg = 44.427
lon_deg = 26.103
ground_height_msl_m = 80.0
interceptor_class = "test"
count = 1
burnout_speed_mps = 10000.0
burn_time_s = 0.0
min_intercept_altitude_m = 100000.0
max_intercept_altitude_m = 300000.0
max_range_m = 1000000.0
commit_delay_s = {commit}
source = "test"
confidence = "notional"

[radars]
early_warning = []
fire_control = ["all-seeing"]

[[interceptors]]
id = "fast-battery"

[threats]
launch_sites = ["tehran"]
missile = "irbm"

[grid]
bbox_deg = [20.0, 40.0, 32.0, 48.0]
resolution_deg = 1.0

[engagement]
min_track_s = 10.0
samples = 600
"""


def _hand(tmp_path, commit=0.0, can_search="true"):
    p = tmp_path / "hand.toml"
    p.write_text(HAND.format(commit=commit, can_search=can_search))
    return load_scenario(p)


def test_hand_computable_engagement(tmp_path):
    sc = _hand(tmp_path)
    arch = Architecture(sc)
    t, b = CAT.launch_site("tehran"), CAT.target("bucharest")
    eng = arch.engage_points(t.lat_deg, t.lon_deg, b.lat_deg, b.lon_deg).row(0)
    # By hand: the radar tracks from launch, the interceptor (10 km/s, no commit delay) is
    # at the target, so every point of the descent between 300 and 100 km altitude within
    # 1,000 km of Bucharest is an opportunity, and nothing on the way up (1,700+ km away).
    # Battle space = time the warhead spends descending from 300 to 100 km, measured here
    # on the trajectory sampled every 0.05 s (Kepler's equation by Newton). A consistency
    # check: the trajectory is geocover's own; the engagement timing (detection, commit
    # delay, flyout, kill assessment) is computed outside the engagement code in
    # test_references.py, and the trajectory against scipy in test_trajectory.py.
    traj, _ = gc.trajectory.aim_missile(sc.missile, t.lat_deg, t.lon_deg, b.lat_deg, b.lon_deg)
    tt = np.arange(0.0, traj.flight_time_s[0], 0.05)
    alt = traj.positions(tt[None, :]).altitude_m[0]
    apo = int(np.argmax(alt))
    down = tt[apo:][(alt[apo:] <= 300e3) & (alt[apo:] >= 100e3)]
    want = down[-1] - down[0]
    assert eng["defended"] and eng["battle_space_s"] == pytest.approx(want, abs=4.0)
    assert eng["earliest_altitude_m"] == pytest.approx(300e3, abs=3e3)
    assert eng["latest_altitude_m"] == pytest.approx(100e3, abs=3e3)
    assert eng["interceptor"] == "fast-battery" and eng["radar"] == "all-seeing"
    assert eng["shoot_look_shoot"]  # ~70 s of descent > 60 s kill assessment + a short flyout


def test_commit_delay_and_cueing_remove_the_defence(tmp_path):
    t, b = CAT.launch_site("tehran"), CAT.target("bucharest")
    # The flight lasts ~859 s (test_references): a 900 s commit delay launches after impact.
    # Intermediate delays, with the battle space computed by hand: test_references.py.
    late = Architecture(_hand(tmp_path, commit=900.0))
    assert not late.engage_points(t.lat_deg, t.lon_deg, b.lat_deg, b.lon_deg).row(0)["defended"]
    blind = Architecture(_hand(tmp_path, can_search="false"))  # nobody cues it
    r = blind.engage_points(t.lat_deg, t.lon_deg, b.lat_deg, b.lon_deg).row(0)
    assert not r["defended"] and r["battle_space_s"] == 0.0


def test_out_of_reach_is_nan_not_undefended(tmp_path):
    arch = Architecture(_hand(tmp_path))
    t = CAT.launch_site("tehran")
    eng = arch.engage_points(t.lat_deg, t.lon_deg, [38.907], [-77.037])  # Washington: beyond the IRBM from Tehran
    assert not eng.reachable[0] and np.isnan(eng.battle_space_s[0])


def test_bundled_scenarios_load():
    names = set(bundled_scenarios())
    assert {"third-site-2007", "gabala-offer-2007", "turkey-radar-2008", "epaa-phase1-2011",
            "epaa-phase2-2015", "epaa-phase3-2018"} <= names
    for n in names:
        sc = load_scenario(n)
        assert sc.sources and sc.notional and sc.fire_control and sc.interceptors


@pytest.mark.parametrize("edit,fragment", [
    (("[threats]", "[threat]"), "key 'threat': unknown section; did you mean 'threats'"),
    (('fire_control = ["all-seeing"]', 'fire_control = ["all-seing"]'), "did you mean 'all-seeing'"),
    (('missile = "irbm"', 'missile = "irbn"'), "key 'threats.missile': unknown missile class 'irbn'"),
    (("bbox_deg = [20.0, 40.0, 32.0, 48.0]", "bbox_deg = [32.0, 40.0, 20.0, 48.0]"), "key 'grid.bbox_deg'"),
    (("samples = 600", "samples = 600\nsample = 3"), "key 'engagement.sample'"),
])
def test_scenario_errors_name_file_and_key(tmp_path, edit, fragment):
    p = tmp_path / "bad.toml"
    p.write_text(HAND.format(commit=0.0, can_search="true").replace(*edit))
    with pytest.raises(gc.CatalogError) as info:
        load_scenario(p)
    assert str(p) in str(info.value) and fragment in str(info.value)


def test_overrides(tmp_path):
    p = tmp_path / "o.toml"
    p.write_text(HAND.format(commit=0.0, can_search="true")
                 + "\n[overrides.interceptors.fast-battery]\nburnout_speed_mps = 5000.0\n")
    assert load_scenario(p).interceptors["fast-battery"].burnout_speed_mps == 5000.0
    p.write_text(HAND.format(commit=0.0, can_search="true")
                 + "\n[overrides.interceptors.fast-battery]\nburnout_sped_mps = 5000.0\n")
    with pytest.raises(gc.CatalogError, match="did you mean 'burnout_speed_mps'"):
        load_scenario(p)


def test_footprint_grid_and_combinations(tmp_path):
    arch = Architecture(load_scenario("epaa-phase3-2018"))
    fp = footprint(arch, ["tabriz", "tehran"], bbox_deg=(18.0, 40.0, 30.0, 56.0), resolution_deg=1.0)
    a, b = fp.battle_space_s["tabriz"], fp.battle_space_s["tehran"]
    assert a.shape == (16, 12) and np.isfinite(a).any() and (a > 0).any()
    both = fp.combined("all")
    ok = np.isfinite(a) & np.isfinite(b)
    assert np.allclose(both[ok], np.minimum(a, b)[ok])
    with pytest.raises(gc.InputError, match="cells"):
        footprint(arch, ["tabriz"], resolution_deg=0.001, max_cells=1000)


def test_cli_footprint_outputs(tmp_path):
    out = tmp_path / "fp"
    r = CliRunner().invoke(cli, ["footprint", "epaa-phase2-2015", "--launch", "tabriz,tehran", "--resolution", "1deg",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["battle_space_all.tif", "battle_space_any.tif", "battle_space_tabriz.tif",
                     "battle_space_tehran.tif", "cities.csv", "cities.json", "footprint.geojson", "footprint.gpkg",
                     "footprint.kmz", "scenario.json"]
    fc = json.loads((out / "footprint.geojson").read_text())
    layers = {f["properties"]["layer"] for f in fc["features"]}
    assert {"defended", "threatened"} <= layers
    text = (out / "cities.csv").read_text().splitlines()
    assert text[0].startswith("target,launch,missile,reachable,defended,battle_space_s")
    assert any(line.startswith("bucharest,tabriz,irbm,True,True") for line in text)


@pytest.mark.parametrize("args,fragment", [
    (["footprint", "epaa-phase9"], "did you mean"),
    (["footprint", "epaa-phase3-2018", "--launch", "tabrz"], "did you mean 'tabriz'"),
    (["footprint", "epaa-phase3-2018", "--resolution", "0.001deg"], "cells"),
    (["footprint", "epaa-phase3-2018", "--bbox", "1,2,3"], "--bbox"),
])
def test_cli_footprint_bad_input_leaves_nothing(tmp_path, args, fragment):
    out = tmp_path / "fp"
    r = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert r.exit_code == 2 and fragment in r.output and not out.exists()


def test_cli_engage_json_and_speed_sweep():
    r = CliRunner().invoke(cli, ["engage", "epaa-phase3-2018", "tehran", "bucharest", "--json"])
    out = json.loads(r.output)
    assert out["defended"] is True and out["battle_space_s"] > 0
    r = CliRunner().invoke(cli, ["engage", "third-site-2007", "teykovo", "washington", "--missile", "topol-m",
                                 "--interceptor-speed", "5.4km/s,9km/s", "--json"])
    sweep = json.loads(r.output)
    assert [x["interceptor_speed_mps"] for x in sweep] == [5400.0, 9000.0]
    assert all("defended" in x for x in sweep)
