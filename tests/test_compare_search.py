"""Scenario comparison, the greedy site search, and its Dask scale-out (LocalCluster of 2)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod

import geocover as gc
from geocover.cli.main import cli
from geocover.compare import cell_areas_km2, compare_scenarios
from geocover.scenario import load_scenario
from geocover.search import Executor, candidate_sites, greedy_search, read_region

# The reference geodesic: pyproj on WGS84 with a and f typed in (NIMA TR8350.2), not geocover's.
GEOD = Geod(a=6378137.0, f=1 / 298.257223563)


def test_cell_areas_are_exact():
    # Whole globe = 4 pi R_q^2 with the authalic radius 6,371,007.18 m (WGS84).
    assert cell_areas_km2(90.0, 180, 1.0).sum() * 360 == pytest.approx(4 * np.pi * 6371.00718**2, rel=1e-8)
    # One 0.5 deg cell against pyproj (geodesic edges; parallels differ negligibly at this size).
    area, _ = GEOD.polygon_area_perimeter([10, 10.5, 10.5, 10], [50, 50, 50.5, 50.5])
    assert cell_areas_km2(50.5, 1, 0.5)[0] == pytest.approx(abs(area) / 1e6, rel=1e-4)


def test_compare_orders_the_debate():
    scs = [load_scenario(s) for s in ("third-site-2007", "gabala-offer-2007", "epaa-phase1-2011")]
    comp = compare_scenarios(scs, ["tehran"], resolution_deg=2.0)
    m = {x["scenario"]: x for x in comp.metrics}
    # Gabala faces south (107-217 deg): flights to Europe leave its sector, so alone it guides
    # no intercept; the 2007 plan defends most of the threatened area.
    assert m["gabala-offer-2007"]["defended_area_km2"] == 0.0
    assert m["third-site-2007"]["defended_area_share"] > 0.5
    assert m["third-site-2007"]["cities_defended"] > m["epaa-phase1-2011"]["cities_defended"]
    assert set(comp.cities["warsaw"]) == {s.id for s in scs}


def test_compare_command(tmp_path):
    out = tmp_path / "cmp"
    r = CliRunner().invoke(cli, ["compare", "epaa-phase1-2011", "epaa-phase2-2015", "--launch", "tabriz",
                                 "--resolution", "2deg", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "comparison.gpkg", "comparison.json",
                                                    "comparison.md", "comparison.png", "comparison_cities.csv"]
    doc = json.loads((out / "comparison.json").read_text())
    assert [m["scenario"] for m in doc["metrics"]] == ["epaa-phase1-2011", "epaa-phase2-2015"]
    assert "| bucharest |" in (out / "comparison.md").read_text()
    _gpkg_cities_equal_the_csv(out)


def _gpkg_cities_equal_the_csv(out):
    """comparison.gpkg's ``cities`` layer, read by GDAL (ogrinfo, pyogrio), is
    comparison_cities.csv row for row: same rows in the same order, every column, each point
    on its row's lat/lon; out-of-reach cities are there with reachable false and defended
    NULL; the layer's QGIS style (layer_styles) categorizes on a column of the layer."""
    import csv
    import shutil
    import sqlite3
    import subprocess
    import xml.etree.ElementTree as ET

    import pyogrio

    with open(out / "comparison_cities.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    assert {"defended", "battle_space_s", "limited_by", "launch", "missile", "lat_deg", "lon_deg"} <= set(header)
    gpkg = out / "comparison.gpkg"
    if shutil.which("ogrinfo"):  # GDAL's own reader: the layer and its feature count
        info = subprocess.run(["ogrinfo", "-ro", "-so", str(gpkg), "cities"], capture_output=True, text=True,
                              check=True).stdout
        assert f"Feature Count: {len(rows)}" in info
        assert "defended: Integer(Boolean)" in info and "reachable: Integer(Boolean)" in info
    layer = pyogrio.read_dataframe(gpkg, layer="cities")
    assert [c for c in layer.columns if c != "geometry"] == header
    assert len(layer) == len(rows)

    def as_csv(v) -> str:  # how the CSV writes a value: "" for NULL, True/False, repr of a float
        if v is None or (isinstance(v, float) and v != v):
            return ""
        return str(v)

    for (_, g), r in zip(layer.iterrows(), rows, strict=True):
        for k in header:
            v = g[k]
            if k in ("reachable", "defended") and as_csv(v):
                v = bool(v)  # a GeoPackage BOOLEAN reads back as 0/1
            assert as_csv(v) == r[k], (k, v, r)
        assert (g.geometry.x, g.geometry.y) == (float(r["lon_deg"]), float(r["lat_deg"]))
    far = [r for r in rows if r["reachable"] == "False"]
    assert far and all(r["defended"] == "" and r["limited_by"] == "not_reachable" for r in far)
    con = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        qml = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())["cities"]
    finally:
        con.close()
    renderer = ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2")
    assert renderer.get("attr") in header
    # GDAL gives QGIS a BOOLEAN column as true/false (test_gis_outputs); "" is QGIS's "all other values"
    assert sorted(c.get("value") for c in renderer.iter("category")) == ["", "false", "true"]


def test_candidates_on_land_and_region_errors(tmp_path):
    lat, lon = candidate_sites(read_region("20,38,32,46"), 2.0)
    assert lat.size > 5 and np.all((lat > 38) & (lat < 46))
    with pytest.raises(gc.InputError, match="crosses no land"):
        candidate_sites(read_region("-40,30,-30,40"), 1.0)  # mid-Atlantic
    assert candidate_sites(read_region("-40,30,-30,40"), 5.0, sea=True)[0].size == 4
    with pytest.raises(gc.InputError, match="west < east"):
        read_region("30,40,20,45")
    bad = tmp_path / "r.geojson"
    bad.write_text('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}')
    with pytest.raises(gc.InputError, match="not a valid polygon"):
        read_region(str(bad))
    empty = tmp_path / "e.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(gc.InputError, match="empty"):
        read_region(str(empty))


SEARCH = dict(k=2, objective="area", launches=["tabriz"], resolution_deg=2.0)


@pytest.fixture(scope="module")
def small_search():
    sc = load_scenario("epaa-phase2-2015")
    lat, lon = candidate_sites(shapely.box(20, 38, 32, 46), 2.0)
    return sc, lat, lon, greedy_search(sc, "radar", lat, lon, **SEARCH)


def test_greedy_matches_brute_force(small_search):
    sc, lat, lon, res = small_search
    # The first pick is the best single candidate (the heat layer's maximum) ...
    best = int(np.argmax(res.first_scores))
    assert (res.chosen[0]["lat_deg"], res.chosen[0]["lon_deg"]) == (lat[best], lon[best])
    assert res.chosen[0]["gain"] == pytest.approx(res.first_scores[best] - res.base_score)
    # ... and the lazy second pick equals an exhaustive second round.
    first = (lat[best], lon[best])
    ex = [greedy_search(sc, "radar", np.array([first[0], la]), np.array([first[1], lo]), **{**SEARCH, "k": 2})
          for la, lo in zip(lat, lon, strict=True) if (la, lo) != first]
    exhaustive = max(e.chosen[1]["score"] if len(e.chosen) > 1 else e.chosen[0]["score"] for e in ex)
    if exhaustive > res.chosen[0]["score"] * (1 + 1e-9):
        assert res.chosen[1]["score"] == pytest.approx(exhaustive, rel=1e-9)
    else:  # no second site adds anything: the search stops instead of "choosing" one (issue 16)
        assert len(res.chosen) == 1 and "adds anything" in res.stopped


def test_local_cluster_gives_identical_results(small_search):
    sc, lat, lon, res = small_search
    with Executor("local", workers=2, progress=False) as ex:
        dist = greedy_search(sc, "radar", lat, lon, executor=ex, **SEARCH)
    assert np.array_equal(dist.first_scores, res.first_scores)
    assert dist.chosen == res.chosen


def test_unreachable_scheduler_fails_fast():
    t0 = time.perf_counter()
    with pytest.raises(gc.GeocoverError, match="cannot reach the Dask scheduler"):
        Executor("tcp://127.0.0.1:1", connect_timeout_s=2.0)
    assert time.perf_counter() - t0 < 10


def test_optimise_command(tmp_path):
    out = tmp_path / "opt"
    r = CliRunner().invoke(cli, ["optimise", "--scenario", "epaa-phase1-2011", "--add", "interceptor",
                                 "--candidates", "20,38,30,44", "--step", "3deg", "--k", "1", "--objective", "area",
                                 "--launch", "tabriz", "--grid-resolution", "2deg", "--scheduler", "none",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["candidate_scores.tif", "candidates.geojson",
                                                    "chosen.geojson", "search.gpkg", "search.html",
                                                    "search.json"]
    assert len(json.loads((out / "chosen.geojson").read_text())["features"]) == 1
    r = CliRunner().invoke(cli, ["optimise", "--scenario", "epaa-phase1-2011", "--add", "radar", "--candidates",
                                 "-40,30,-30,40", "--out", str(tmp_path / "sea"), "--scheduler", "none"])
    assert r.exit_code == 2 and "crosses no land" in r.output and not (tmp_path / "sea").exists()
    r = CliRunner().invoke(cli, ["optimise", "--scenario", "epaa-phase1-2011", "--add", "radar", "--candidates",
                                 "20,38,30,44", "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "cannot reach" in r.output and not (tmp_path / "x").exists()


def _parts(reach, defended, warning):
    """Per-launch task results as run_task returns them (grid fields unused by these objectives)."""
    return [((0,), f"launch{i}", None, None, None, np.array(r), np.array(d), np.array(w, float))
            for i, (r, d, w) in enumerate(zip(reach, defended, warning, strict=True))]


def test_cities_and_warning_objectives_by_hand():
    from geocover.search import _score

    # Two launches x four cities. City 0: both launches reach it, both defended -> counts.
    # City 1: launch 0 reaches it undefended -> not defended. City 2: nobody reaches it ->
    # not in the denominator. City 3: launch 1 reaches it undefended -> not defended.
    reach = [[True, True, False, True], [True, False, False, True]]
    defended = [[True, False, False, True], [True, False, False, False]]
    warning = [[100.0, 200.0, np.nan, 50.0], [300.0, np.nan, np.nan, 70.0]]
    parts = _parts(reach, defended, warning)
    assert _score("cities", parts) == pytest.approx(1 / 3, rel=1e-12)  # 1 of 3 threatened cities
    # warning: mean over the (launch, city) flights that reach their city: (100+200+50+300+70)/5
    assert _score("warning", parts) == pytest.approx(144.0, rel=1e-12)
    nobody = _parts([[False] * 4], [[False] * 4], [[np.nan] * 4])
    assert _score("cities", nobody) == 0.0 and _score("warning", nobody) == 0.0


def test_warning_objective_counts_an_undetected_reachable_threat_as_zero():
    from geocover.search import _score

    # Launch 1 now also reaches city 1, and no radar detects that flight (warning NaN). It
    # gives no warning: it counts as 0 s, (100+200+50+300+0+70)/6 = 120 s, below the 144 s
    # without it (a NaN-mean would ignore it and still say 144 s).
    reach = [[True, True, False, True], [True, True, False, True]]
    defended = [[True, False, False, True], [True, False, False, False]]
    warning = [[100.0, 200.0, np.nan, 50.0], [300.0, np.nan, np.nan, 70.0]]
    score = _score("warning", _parts(reach, defended, warning))
    assert score == pytest.approx(120.0, rel=1e-12)
    assert score < 144.0
    # a flight that does not reach its city is no threat: its NaN is not a 0
    unreached = [[True, True, False, True], [True, False, False, True]]
    assert _score("warning", _parts(unreached, defended, warning)) == pytest.approx(144.0, rel=1e-12)


def test_search_variant_equals_the_scenario_with_the_site_added(monkeypatch, tmp_path):
    # A search task reuses the base scenario's radar views and flyout tables and adds only
    # the candidate's; its grids and city engagements must be those of a ScenarioRun of the
    # scenario with the candidate added (search.with_candidate), bit for bit. The candidate's
    # refraction tables are not left in the disk cache nor in crpl_site's memory cache.
    from geocover.engine import ScenarioRun
    from geocover.refraction import crpl_site
    from geocover.search import Task, _variant, run_task, score_task

    monkeypatch.setenv("GEOCOVER_CACHE_DIR", str(tmp_path / "cache"))
    sc = load_scenario("epaa-phase1-2011")
    for kind, template in (("radar", sc.catalog.radar("kurecik")),
                           ("interceptor", sc.catalog.interceptor("deveselu-sm3-ib"))):
        task = Task((0,), ((44.25, 26.75),), ("tabriz",))
        got = run_task(sc, kind, template, 4.0, task, "t")
        ref = ScenarioRun(_variant(sc, kind, template, task.added), launches=["tabriz"])
        fp = ref.footprint(["tabriz"], resolution_deg=4.0)
        eng = ref.city_flights("tabriz").engagements
        assert len(got) == 1 and got[0].launch == "tabriz"
        np.testing.assert_array_equal(got[0].battle_space_s, fp.battle_space_s["tabriz"])
        for name in ("reachable", "defended", "warning_time_s"):
            np.testing.assert_array_equal(getattr(got[0], name), getattr(eng, name))
    crpl_site.cache_clear()
    score_task(sc, "radar", sc.catalog.radar("kurecik"), 4.0, "area", "t2", Task((1,), ((43.25, 25.75),), ("tabriz",)))
    base_heights = {r.antenna_height_msl_m for r in sc.radars.values()}
    # only the base radars' tables are stored (one folder per antenna height), none are left in memory
    assert len(list((tmp_path / "cache" / "crpl").iterdir())) == len(base_heights)
    assert crpl_site.cache_info().currsize == 0


@pytest.mark.parametrize("objective", ["cities", "warning"])
def test_optimise_objectives_by_value(tmp_path, objective):
    # The base score in search.json, recomputed here from the engagements of the catalog's
    # cities (Architecture.engage_points, tested by hand in test_footprint/test_references)
    # and the objective's definition (README "Site search"): share of threatened cities
    # defended against every launch that reaches them; mean warning time in seconds.
    from geocover.footprint import Architecture

    out = tmp_path / "opt"
    r = CliRunner().invoke(cli, ["optimise", "--scenario", "epaa-phase1-2011", "--add", "radar",
                                 "--candidates", "26,44,27,45", "--step", "1deg", "--k", "1", "--objective", objective,
                                 "--launch", "tabriz", "--grid-resolution", "4deg", "--scheduler", "none",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "search.json").read_text())
    sc = load_scenario("epaa-phase1-2011")
    cities = sc.catalog.sites("target")
    site = sc.catalog.launch_site("tabriz")
    eng = Architecture(sc).engage_points(site.lat_deg, site.lon_deg, [c.lat_deg for c in cities],
                                         [c.lon_deg for c in cities])
    if objective == "cities":
        want = eng.defended[eng.reachable].sum() / eng.reachable.sum()
    else:  # over the flights that reach their city, an undetected one counting as 0 s
        want = np.nan_to_num(eng.warning_time_s[eng.reachable], nan=0.0).mean()
    assert doc["objective"] == objective and doc["base_score"] == pytest.approx(want, rel=1e-9)
    # adding a radar never hurts these objectives; a pick that adds nothing is not reported (issue 16)
    assert all(p["score"] > doc["base_score"] for p in doc["chosen"])
    assert doc["chosen"] or "adds anything" in doc["stopped"]
