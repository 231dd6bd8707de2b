"""Outputs that explain themselves (issue 16): the perfect-tracking assumption of engage and
footprint, the defaults they announce, the metadata of defended-area exports, and the
defended area of ``compare`` against the geodesic area of the exported polygon."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

import geocover as gc
from geocover.cli.main import cli
from geocover.compare import area_km2
from geocover.engine import ScenarioRun
from geocover.footprint import footprint_polygons
from geocover.scenario import load_scenario

CAT = gc.default_catalog()
# third-site-2007's GBI commit delay (docs/sources.md, "commit delay 90 s": the scenario's notional list)
COMMIT_DELAY_S = 90.0


def _flight(sc, launch: str, target: str):
    site, tgt = CAT.launch_site(launch), CAT.target(target)
    run = ScenarioRun(sc)
    return run.arch.aim(site.lat_deg, site.lon_deg, [tgt.lat_deg], [tgt.lon_deg], missile=CAT.missile("topol-m"))


def test_perfect_tracking_tracks_from_end_of_boost_and_changes_the_verdict():
    # The README's MDA-vs-Postol row: no radar of the 2007 plan tracks a polar flight from
    # Teykovo to Washington (no_track at any speed), but kinematically a 7.7 km/s GBI gets there.
    sc = load_scenario("third-site-2007", CAT).with_interceptor_speed(7700.0)
    traj, ok = _flight(sc, "teykovo", "washington")
    real = ScenarioRun(sc).engage(traj, ok).result(0)
    assert real.reachable and not real.defended and real.limited_by == "no_track"
    perfect = ScenarioRun(sc, perfect_tracking=True)
    ft = perfect.arch.track(traj)
    boosting = ft.samples.boosting[0]
    t = ft.tracks.t_s[0]
    t_bo = t[~boosting][0]  # first sample after burnout
    for rid in sc.radars:  # every radar tracks from the end of boost on, not before
        assert ft.tracks.formed_t_s[rid][0] == t_bo
        assert not ft.tracks.in_track[rid][0][boosting].any() and ft.tracks.in_track[rid][0][~boosting].all()
    e = perfect.engage(traj, ok).result(0)
    assert e.defended and e.limited_by is None and e.battle_space_s > 0
    # no intercept before the track + commit delay + a flyout (> 0 s): the rule the
    # assumption leaves in place
    assert e.earliest_t_s > t_bo + COMMIT_DELAY_S


def test_engage_perfect_tracking_json_and_text_say_so():
    args = ["engage", "third-site-2007", "teykovo", "washington", "--missile", "topol-m",
            "--interceptor-speed", "5.4km/s,7.7km/s", "--perfect-tracking"]
    r = CliRunner().invoke(cli, [*args, "--json"])
    assert r.exit_code == 0, r.output
    assert "geocover: note:" not in r.stderr  # --json: the JSON carries the values
    res = json.loads(r.stdout)
    assert [x["perfect_tracking"] for x in res] == [True, True]
    assert all("end of boost" in x["assumptions"][0] for x in res)
    # 5.4 km/s (MDA's figure): the GBI reaches the path only after the ICBM has passed, even
    # with a track from burnout (the README's latest launch, 95-207 s, is before burnout + 90 s)
    assert res[0]["limited_by"] == "too_late" and res[1]["defended"] is True
    t = CliRunner().invoke(cli, args)
    assert t.exit_code == 0, t.output
    assert t.stdout.startswith("assumption: perfect tracking")
    assert "geocover: note: missile class" not in t.stderr  # --missile given: nothing to announce
    assert "geocover: note: refraction model" in t.stderr and "samples per flight" in t.stderr
    q = CliRunner().invoke(cli, ["-q", *args])
    assert q.exit_code == 0 and "note:" not in q.stderr


def test_footprint_polygon_area_agrees_with_cell_areas():
    # Independent area: pyproj's geodesic area of the polygon (edges as geodesics) against
    # the grid's cell-area sum (area_km2, exact WGS84 band areas): with a vertex at every
    # cell corner the two differ by the bowing of 0.5 deg geodesic segments (< 1e-5 here);
    # 0.1 % is the bound.
    from pyproj import Geod

    rng = np.random.default_rng(16)
    v = np.where(rng.random((40, 60)) > 0.3, 120.0, 0.0)
    v[:4] = np.nan
    feats = footprint_polygons(v, 10.0, 62.0, 0.5, {})
    geom = feats[0][0]
    geod_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(geom)[0]) / 1e6
    cells_km2 = area_km2(np.isfinite(v) & (v > 0), 62.0, 0.5)
    assert geod_km2 == pytest.approx(cells_km2, rel=1e-3)


def test_footprint_exports_carry_metadata_and_agree_with_compare_area(tmp_path):
    out = tmp_path / "fp"
    r = CliRunner().invoke(cli, ["footprint", "third-site-2007", "--launch", "tehran", "--resolution", "1deg",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "geocover: note: missile class: Shahab-3" in r.stderr and "geocover: note: refraction model" in r.stderr
    # GeoTIFF tags, read with GDAL's own tool
    info = json.loads(subprocess.run(["gdalinfo", "-json", str(out / "battle_space_tehran.tif")],
                                     capture_output=True, text=True, check=True).stdout)
    md = info["metadata"][""]
    assert md["scenario"] == "third-site-2007" and "docs/sources.md" in md["sources"]
    assert float(md["redzikowo-gbi_burnout_speed_mps"]) == 6300.0  # the scenario's override (scenario TOML)
    assert float(md["redzikowo-gbi_commit_delay_s"]) == COMMIT_DELAY_S
    assert float(md["grid_resolution_deg"]) == 1.0 and "every (launch, missile class)" in md["defended_rule"]
    assert md["refraction_model"].startswith("crpl") and md["perfect_tracking"] == "False"
    assert float(md["shahab-3_warhead_rcs_m2"]) > 0 and md["geocover_version"] == gc.__version__
    fc = json.loads((out / "footprint.geojson").read_text())
    assert fc["metadata"]["grid_west_deg"] == float(md["grid_west_deg"])
    defended = [f for f in fc["features"] if f["properties"]["layer"] == "defended"]
    assert defended[0]["properties"]["redzikowo-gbi_burnout_speed_mps"] == 6300.0
    # compare's area rule (cell areas of the defended cells) on the GeoTIFF vs the geodesic
    # area of the exported polygon: the 0.1 %
    import rasterio
    import shapely
    from pyproj import Geod

    with rasterio.open(out / "battle_space_tehran.tif") as ds:
        v = ds.read(1)
        north = ds.bounds.top
    cells_km2 = area_km2(np.isfinite(v) & (v > 0), north, 1.0)
    geom = shapely.geometry.shape(defended[0]["geometry"])
    geod_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(geom)[0]) / 1e6
    assert cells_km2 > 0
    assert geod_km2 == pytest.approx(cells_km2, rel=1e-3)


def test_land_fraction_against_the_outlines_clipped_by_shapely():
    # Independent land area: the bundled outlines (read here with shapely) clipped to a box
    # over Poland and the southern Baltic, measured geodesically with pyproj, against the
    # cell areas weighted by land_fraction (5 x 5 sub-points per 0.5 deg cell). The
    # sub-sampling misjudges coastal cells by up to a few 1/25ths each, partly cancelling
    # along a coast: 1 % admits it on this box (~25 % sea).
    import shapely
    from pyproj import Geod
    from shapely.geometry import box, shape

    from geocover._paths import data_dir
    from geocover.compare import cell_areas_km2, land_fraction

    doc = json.loads((data_dir() / "countries" / "world_countries_ne50m.geojson").read_text(encoding="utf-8"))
    b = box(14.0, 49.0, 24.0, 56.0)
    land = shapely.union_all([shape(f["geometry"]).intersection(b) for f in doc["features"]
                              if shape(f["geometry"]).intersects(b)])
    ref_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(shapely.segmentize(land, 0.1))[0]) / 1e6
    frac = land_fraction(56.0, 14.0, 0.5, (14, 20))
    got_km2 = float(np.sum(cell_areas_km2(56.0, 14, 0.5)[:, None] * frac))
    assert 0.5 < frac.mean() < 0.95  # the box holds both land and sea
    assert got_km2 == pytest.approx(ref_km2, rel=0.01)


def test_compare_city_table_keeps_out_of_reach_cities():
    from geocover.compare import CITY_TABLE_FIELDS, compare_scenarios

    sc = load_scenario("third-site-2007", CAT)
    comp = compare_scenarios([sc], ["tehran"], resolution_deg=4.0)
    rows = {r["target"]: r for r in comp.city_rows}
    assert set(rows) == {t.id for t in CAT.sites("target")}  # every catalog city, reachable or not
    assert all(set(r) == set(CITY_TABLE_FIELDS) for r in rows.values())
    # Washington is ~10,000 km from Tehran, beyond the IRBM's 5,500 km (catalog's IRBM band)
    w = rows["washington"]
    assert (w["reachable"], w["defended"], w["limited_by"]) == (False, None, "not_reachable")
    assert w["lat_deg"] == pytest.approx(38.9, abs=0.1) and w["lon_deg"] == pytest.approx(-77.0, abs=0.1)
    # the README's Ankara: too close to Iran for a GBI from Poland (limited_by too_late)
    assert rows["ankara"]["defended"] is False and rows["ankara"]["limited_by"] == "too_late"
    assert rows["warsaw"]["defended"] is True and rows["warsaw"]["battle_space_s"] > 0
    m = comp.metrics[0]
    assert 0 < m["defended_land_area_km2"] < m["defended_area_km2"]


def test_map_shows_the_all_launches_footprint_first_and_the_grid_edge():
    from geocover.maps import scenario_map

    sc = load_scenario("gabala-offer-2007", CAT)  # four launch areas (scenario file)
    m = scenario_map(sc, altitudes_m=(300e3,), terrain=False, footprint_resolution_deg=3.0)
    threat = m._geocover.groups["Threat"]
    labels = [e["label"] for e in threat]
    assert labels[0] == "Defended footprint vs all launch areas (battle space)" and threat[0]["show"] is True
    assert any(e["label"].startswith("Defended footprint vs") and e["show"] is False for e in threat[1:])
    assert "Edge of the computed area (dashed)" in labels
    html = m.get_root().render()
    assert '"dashArray": "6 4"' in html or '"dashArray":"6 4"' in html
