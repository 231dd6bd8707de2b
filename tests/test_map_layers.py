"""The sector and P(defended) layers of the scenario map, read back from the HTML and
compared with what they draw, computed independently:

* sectoral-2011: the responsible side and overflown countries per (launch, city) equal
  :func:`geocover.sectors.engage_keys` on each flight aimed alone as ``engage`` aims it (and
  ``geocover engage --json`` itself for two flights); each ring's colour is its side's; the
  territories hold the capitals of their own countries only.
* P(defended): the class polygons embedded in the page, rasterized back onto the GeoTIFF's
  grid, give exactly the classes of the GeoTIFF's values read with rasterio; a robustness run
  writes ``map.html`` whose layer equals its ``p_defended_*.tif``; ``map --robustness``
  refuses a folder with a missing or broken raster (exit 2, the file named, nothing written).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.features import rasterize
from rasterio.transform import from_origin
from shapely.geometry import Point, shape

import geocover as gc
from geocover.cli.main import cli
from geocover.coverage import coverage_at_altitudes
from geocover.maps import add_p_defended_layer, coverage_map, read_p_defended, render_html, scenario_map
from geocover.radar import RadarView
from geocover.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DATA = re.compile(r'<script type="application/json" id="geocover-data">(.*?)</script>', re.S)
EXTERNAL = re.compile(r"<script[^>]+src=\"https?://|<link[^>]+href=\"https?://")
# The classes the issue asks for (issue 15, "a map layer of P(defended)"): 0 exactly, then
# edges 0.05, 0.5 and 0.95 (lo <= p < hi), and 1 exactly; typed here, not imported.
EDGES = (0.05, 0.5, 0.95)
NONE = 255  # rasterize's fill: a cell no class polygon covers


def map_data(html: str) -> dict:
    (blob,) = DATA.findall(html)
    return json.loads(blob)


def embedded_geojson(html: str, el: str) -> dict:
    """The GeoJSON folium hands to Leaflet for element ``el`` (``<el>_add({...})``)."""
    i = html.rindex(f"{el}_add(") + len(f"{el}_add(")
    doc, _ = json.JSONDecoder().raw_decode(html, i)
    return doc


def marker_style(html: str, el: str) -> tuple[list[float], dict]:
    m = re.search(rf"var {el} = L\.circleMarker\(\s*\[([^\]]*)\],\s*(\{{.*?\}})\s*\)", html, re.S)
    assert m, el
    return [float(v) for v in m.group(1).split(",")], json.loads(m.group(2))


def classify(p: np.ndarray) -> np.ndarray:
    """Independent classification of P(defended) values (EDGES above); NaN -> NONE. The
    GeoTIFFs hold float32, so the edges are compared as float32 too: a share of exactly
    19/20 is stored as float32(0.95) and belongs with 0.95 in the 95 % class."""
    out = np.full(p.shape, NONE, np.uint8)
    for idx, v in np.ndenumerate(p):
        if not np.isfinite(v):
            continue
        if v == 0.0:
            out[idx] = 0
        elif v == 1.0:
            out[idx] = 5
        else:
            out[idx] = 1 + sum(v >= np.float32(e) for e in EDGES)
    return out


def layer_classes(html: str, name: str, tif: Path) -> np.ndarray:
    """The classes the page draws for grid ``name``, rasterized back onto ``tif``'s grid
    (cell centres; the polygons follow the cell edges, rounded to 1e-6 deg)."""
    (ov,) = [o for o in map_data(html)["overlays"] if o["kind"] == "p_defended"]
    (grid,) = [g for g in ov["grids"] if g["name"] == name]
    with rasterio.open(tif) as ds:
        shape_, transform = ds.shape, ds.transform
    pairs = [(embedded_geojson(html, c["el"])["features"][0]["geometry"], c["class"]) for c in grid["classes"]]
    if not pairs:
        return np.full(shape_, NONE, np.uint8)
    return rasterize(pairs, out_shape=shape_, transform=transform, fill=NONE, dtype="uint8")


def tif_values(tif: Path) -> np.ndarray:
    with rasterio.open(tif) as ds:
        assert ds.dtypes[0] == "float32"
        return ds.read(1)


# --- sectoral defence ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sectoral():
    sc = load_scenario("sectoral-2011")
    # a coarse footprint (4 deg) keeps this fast; the sector layers do not depend on it
    # except the hidden per-area layer, drawn on the footprint grid coarsened to >= 0.5 deg
    return sc, render_html(scenario_map(sc, terrain=False, footprint_resolution_deg=4.0))


def test_sector_layer_equals_engage_keys(sectoral):
    from geocover.sectors import engage_keys
    from geocover.trajectory import aim_profile

    sc, html = sectoral
    toml = tomllib.loads((ROOT / "data" / "scenarios" / "sectoral-2011.toml").read_text(encoding="utf-8"))
    (ov,) = [o for o in map_data(html)["overlays"] if o["kind"] == "responsibility"]
    sectors = {k: v for k, v in toml["sectors"].items() if k != "rule"}
    assert [s["side"] for s in ov["sides"]] == list(sectors)
    assert {s["side"]: s["countries"] for s in ov["sides"]} == sectors
    assert ov["rule"] == toml["sectors"]["rule"] == "first"
    # every target city inside the scenario's grid box, against every launch area of the file
    w, s, e, n = toml["grid"]["bbox_deg"]
    cities = [c for c in sc.catalog.sites("target") if w <= c.lon_deg <= e and s <= c.lat_deg <= n]
    got = {(r["launch"], r["target"]): r for r in ov["cities"]}
    assert set(got) == {(lid, c.id) for lid in toml["threats"]["launch_sites"] for c in cities}
    for (lid, cid), r in got.items():
        launch, city = sc.catalog.launch_site(lid), sc.catalog.site(cid)
        # the flight aimed alone, as `engage` aims it (minimum energy, rotating Earth)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            traj, _ = aim_profile(sc.missile, launch.lat_deg, launch.lon_deg, city.lat_deg, city.lon_deg,
                                  "min-energy", None, None, errors="mask")
        want = engage_keys(sc, traj)
        assert (r["overflown"], r["responsible_side"]) == (want["overflown"], want["responsible_side"]), (lid, cid)
    sides = {r["responsible_side"] for r in got.values()}
    assert sides == {"russia", "nato"}  # both sides answer for some city: the check is not vacuous
    # the ring round each city has its side's colour (the one the legend gives the side)
    colour = {sd["side"]: sd["colour"] for sd in ov["sides"]}
    section = next(sec for sec in map_data(html)["legend"]["sections"] if sec["title"].startswith("Sectoral"))
    assert {label: c for c, label in section["entries"]} == {**{f"sector {k}": v for k, v in colour.items()},
                                                             "no side": "#777777"}
    for r in ov["cities"]:
        if r["launch"] != ov["launch"]:
            continue
        (lat, lon), style = marker_style(html, r["el"])
        city = sc.catalog.site(r["target"])
        assert (lat, lon) == (city.lat_deg, city.lon_deg)
        assert style["color"] == (colour[r["responsible_side"]] if r["responsible_side"] else "#777777")
        assert style["fill"] is False  # a ring: the city's verdict colour stays visible inside it


def test_sector_layer_equals_engage_json(sectoral):
    sc, html = sectoral
    (ov,) = [o for o in map_data(html)["overlays"] if o["kind"] == "responsibility"]
    got = {(r["launch"], r["target"]): r for r in ov["cities"]}
    for lid, cid in (("tabriz", "london"), ("shahrud", "london")):
        res = CliRunner().invoke(cli, ["engage", "sectoral-2011", lid, cid, "--json"])
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout)
        assert got[(lid, cid)]["overflown"] == out["overflown"]
        assert got[(lid, cid)]["responsible_side"] == out["responsible_side"]


def test_sector_territories_hold_their_countries(sectoral):
    _, html = sectoral
    (ov,) = [o for o in map_data(html)["overlays"] if o["kind"] == "responsibility"]
    geom = {s["side"]: shape(embedded_geojson(html, s["el"])["features"][0]["geometry"]) for s in ov["sides"]}
    # capitals (lon, lat; Natural Earth populated places): Moscow in RUS, Paris and Ankara in
    # NATO states, Kyiv in UKR (in no sector of sectoral-2011). Far from any border, so the
    # map's 0.05 deg simplification cannot move them across one.
    assert geom["russia"].contains(Point(37.62, 55.75)) and not geom["nato"].contains(Point(37.62, 55.75))
    for lon, lat in ((2.35, 48.86), (32.85, 39.93)):
        assert geom["nato"].contains(Point(lon, lat)) and not geom["russia"].contains(Point(lon, lat))
    assert not any(g.contains(Point(30.52, 50.45)) for g in geom.values())


# --- P(defended) ---------------------------------------------------------------------------


def _write_tif(path: Path, values: np.ndarray, *, west: float, north: float, res: float, tags: dict) -> None:
    """A small float32 EPSG:4326 GeoTIFF with NaN nodata, written with rasterio alone."""
    with rasterio.open(path, "w", driver="GTiff", height=values.shape[0], width=values.shape[1], count=1,
                       dtype="float32", crs="EPSG:4326", nodata=np.nan,
                       transform=from_origin(west, north, res, res)) as ds:
        ds.write(values.astype(np.float32), 1)
        ds.update_tags(**tags)


def _synthetic(folder: Path, scenario: str = "gabala-offer-2007") -> dict[str, Path]:
    """p_defended_all.tif and p_defended_tabriz.tif: shares k/20 at random, the class edges
    (0, 0.05, 0.5, 0.95, 1 and their neighbours) in the first row, NaN cells."""
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in ("all", "tabriz"):
        v = rng.integers(0, 21, size=(9, 13)) / 20.0
        v[rng.random(v.shape) < 0.15] = np.nan
        v[0, :11] = [0.0, 0.01, 0.0499, 0.05, 0.4999, 0.5, 0.9499, 0.95, 0.999, 1.0, np.nan]
        path = folder / f"p_defended_{name}.tif"
        _write_tif(path, v, west=10.25, north=50.75, res=0.5,
                   tags={"sets": "20", "scenario": scenario, "method": "morris", "seed": "0", "launch": name})
        out[name] = path
    return out


def _small_map():
    r = gc.default_catalog().radar("gabala")
    return coverage_map([r], coverage_at_altitudes(RadarView(r), [300e3]))


def test_p_defended_layer_cells_equal_the_geotiff(tmp_path):
    files = _synthetic(tmp_path / "rob")
    p = read_p_defended(tmp_path / "rob")
    assert p["n_sets"] == 20 and list(p["grids"]) == ["all", "tabriz"]
    html = render_html(add_p_defended_layer(_small_map(), p["grids"], west_deg=p["west_deg"],
                                            north_deg=p["north_deg"], resolution_deg=p["resolution_deg"],
                                            n_sets=p["n_sets"]))
    assert not EXTERNAL.search(html)  # still one self-contained file
    (ov,) = [o for o in map_data(html)["overlays"] if o["kind"] == "p_defended"]
    for c in (c for g in ov["grids"] for c in g["classes"]):
        geom = shape(embedded_geojson(html, c["el"])["features"][0]["geometry"])
        assert geom.is_valid, c  # OGC-valid (GEOS), and RFC 7946 section 3.1.6's right-hand rule:
        for poly in getattr(geom, "geoms", [geom]):
            assert poly.exterior.is_ccw and not any(r.is_ccw for r in poly.interiors), c
    for name, tif in files.items():
        want = classify(tif_values(tif))
        # the first row, by hand: 0 | 0.01 0.0499 | 0.05 0.4999 | 0.5 0.9499 | 0.95 0.999 | 1 | NaN
        assert want[0, :11].tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, NONE]
        np.testing.assert_array_equal(layer_classes(html, name, tif), want)
    data = map_data(html)
    section = next(s for s in data["legend"]["sections"] if s["title"].startswith("P(defended)"))
    assert section["title"] == "P(defended) over 20 parameter sets"
    assert "share of the 20 parameter sets" in section["note"] and "reaches" in section["note"]
    assert len(section["entries"]) == 6
    # "all" shown, the launch's grid switchable, both in the control's Robustness group
    (group,) = [g for g in data["groups"] if g["name"] == "Robustness"]
    assert [e["show"] for e in group["entries"]] == [True, False]


def test_map_robustness_draws_the_folder(tmp_path):
    files = _synthetic(tmp_path / "rob")
    out = tmp_path / "m.html"
    r = CliRunner().invoke(cli, ["map", "gabala-offer-2007", "--robustness", str(tmp_path / "rob"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert not EXTERNAL.search(html)
    for name, tif in files.items():
        np.testing.assert_array_equal(layer_classes(html, name, tif), classify(tif_values(tif)))
    data = map_data(html)
    assert any(s["title"] == "P(defended) over 20 parameter sets" for s in data["legend"]["sections"])
    # the launch grid's entry is named after the catalog's launch site
    (group,) = [g for g in data["groups"] if g["name"] == "Robustness"]
    tabriz = gc.default_catalog().launch_site("tabriz").name
    assert [e["label"] for e in group["entries"]] == ["P(defended) vs all launch areas that reach the cell",
                                                      f"P(defended) vs {tabriz}"]


@pytest.mark.parametrize("damage", ["missing", "truncated", "not_a_tiff", "out_of_range", "no_sets"])
def test_map_robustness_refuses_a_bad_folder(tmp_path, damage):
    files = _synthetic(tmp_path / "rob")
    bad = files["all"] if damage in ("missing", "out_of_range") else files["tabriz"]
    if damage == "missing":
        bad.unlink()
    elif damage == "truncated":
        bad.write_bytes(bad.read_bytes()[:300])
    elif damage == "not_a_tiff":
        bad.write_text("not a raster\n")
    elif damage == "out_of_range":
        _write_tif(bad, np.full((9, 13), 1.5), west=10.25, north=50.75, res=0.5,
                   tags={"sets": "20", "scenario": "gabala-offer-2007"})
    elif damage == "no_sets":
        _write_tif(bad, np.full((9, 13), 0.5), west=10.25, north=50.75, res=0.5,
                   tags={"scenario": "gabala-offer-2007"})
    out = tmp_path / "m.html"
    r = CliRunner().invoke(cli, ["map", "gabala-offer-2007", "--robustness", str(tmp_path / "rob"), "-o", str(out)])
    assert r.exit_code == 2, r.output
    assert str(bad) in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_map_robustness_refuses_another_scenarios_rasters(tmp_path):
    _synthetic(tmp_path / "rob", scenario="third-site-2007")
    r = CliRunner().invoke(cli, ["map", "gabala-offer-2007", "--robustness", str(tmp_path / "rob"), "-o",
                                 str(tmp_path / "m.html")])
    assert r.exit_code == 2 and "third-site-2007" in r.output and "p_defended_all.tif" in r.output, r.output


def test_robustness_writes_map_html_equal_to_its_rasters(tmp_path):
    out = tmp_path / "rob"
    r = CliRunner().invoke(cli, ["robustness", "sectoral-2011", "--samples", "20", "--launch", "tabriz",
                                 "--resolution", "4deg", "--scheduler", "none", "--out", str(out)])
    assert r.exit_code == 0, r.output
    html = (out / "map.html").read_text(encoding="utf-8")
    assert not EXTERNAL.search(html)
    for name in ("all", "tabriz"):
        tif = out / f"p_defended_{name}.tif"
        np.testing.assert_array_equal(layer_classes(html, name, tif), classify(tif_values(tif)))
    data = map_data(html)
    with rasterio.open(out / "p_defended_all.tif") as ds:
        sets = int(ds.tags()["sets"])
    assert any(s["title"] == f"P(defended) over {sets} parameter sets" for s in data["legend"]["sections"])
    # a sectoral scenario: its sector layers, the drawn flights and the P(defended) layer
    assert {o["kind"] for o in data["overlays"]} == {"responsibility", "flights", "p_defended"}


# --- threat sets: trajectories and rings per (launch, class) ---------------------------------

MARKER = re.compile(r"var (circle_marker_\w+) = L\.circleMarker\(\s*\[([^\]]*)\],\s*(\{.*?\})\s*\)\.addTo\((\w+)\)",
                    re.S)
POLYLINE = re.compile(r"var (poly_line_\w+) = L\.polyline\(\s*(\[\[.*?\]\]),\s*(\{.*?\})\s*\)\.addTo\((\w+)\)", re.S)


def layer_markers(html: str, key: str) -> list[tuple[float, float]]:
    """(lat, lon) of the circle markers folium adds to the map's layer ``key``."""
    group = map_data(html)["layers"][key]
    return [tuple(float(v) for v in m.group(2).split(",")) for m in MARKER.finditer(html) if m.group(4) == group]


def polylines(html: str) -> dict[str, tuple[list, dict]]:
    """Every folium polyline of the page: element name -> (vertices [lat, lon], style)."""
    return {m.group(1): (json.loads(m.group(2)), json.loads(m.group(3))) for m in POLYLINE.finditer(html)}


@pytest.fixture(scope="module")
def third_site():
    sc = load_scenario("third-site-2007")  # threat set: Shahab-3 and IRBM from every launch area
    return sc, render_html(scenario_map(sc, launch_id="tabriz", terrain=False, footprint_resolution_deg=4.0))


def test_trajectories_fly_every_class_of_the_set(third_site):
    """The map draws one flight per (launch, class, city reached) of the cities it shows: the
    same set, and the same flights, as the GIS exports (gis.scenario_flights, aimed on their
    own without the map's ScenarioRun)."""
    from pyproj import Proj
    from shapely.geometry import LineString

    from geocover.gis import scenario_flights

    sc, html = third_site
    data = map_data(html)
    (ov,) = [o for o in data["overlays"] if o["kind"] == "flights"]
    assert ov["launch"] == "tabriz" and ov["missiles"] == ["shahab-3", "irbm"]  # the file's class order
    # the cities the map shows (its Targets markers), matched to the catalog by position
    cities = {(c.lat_deg, c.lon_deg): c.id for c in sc.catalog.sites("target")}
    shown = {cities[p] for p in layer_markers(html, "Targets")}
    assert len(shown) > 10
    tracks = {(p["launch"], p["missile"], p["target"]): (t, lon, lat) for _, t, lon, lat, _, p in
              scenario_flights(sc, ["tabriz"]) if p["target"] in shown}
    got = {(f["launch"], f["missile"], f["target"]): f for f in ov["flights"]}
    assert set(got) == set(tracks)
    # both classes fly, and the Shahab-3 (1,300 km) reaches fewer of the cities than the IRBM
    n = {mid: sum(k[1] == mid for k in got) for mid in ov["missiles"]}
    assert 0 < n["shahab-3"] < n["irbm"], n
    lines = polylines(html)
    radar_colour = {label[len("radar "):]: c for c, label in data["legend"]["entries"] if label.startswith("radar ")}
    (section,) = [s for s in data["legend"]["sections"] if s["title"] == "Trajectories by missile class"]
    dash_of = {"solid line": None, "dashed line": "10 6"}  # the two patterns the legend names, as Leaflet draws them
    for key, f in got.items():
        t, lon, lat = tracks[key]
        # the same flight: its flight time (the GIS track's last time is the impact's; the same
        # aim on the same inputs, so equal to rounding; the other class's differs by ~20 s) ...
        assert f["flight_time_s"] == pytest.approx(float(t[-1]), abs=1e-6), key
        verts = [v for el in f["segments"] for v in lines[el][0]]
        # ... launch and impact points equal (the map draws lon on its side of the antimeridian:
        # none here, all within 12 W-60 E) ...
        assert verts[0] == pytest.approx([lat[0], lon[0]], abs=1e-9) and \
            verts[-1] == pytest.approx([lat[-1], lon[-1]], abs=1e-9), key
        # ... and every vertex on the GIS ground track: distance in an azimuthal equidistant
        # projection about the launch (pyproj/PROJ), where ground tracks are near-straight lines.
        # 50 m admits the GIS track's straight chords between its 10 s samples against the
        # curved track (measured: at most 9 m here). The two classes' tracks to one city lie
        # only 30-90 m apart (rotation), so the flight time above is what tells them apart.
        proj = Proj(proj="aeqd", lat_0=float(lat[0]), lon_0=float(lon[0]), units="m")
        ref = LineString(np.column_stack(proj(np.asarray(lon), np.asarray(lat))))
        x, y = proj([v[1] for v in verts], [v[0] for v in verts])
        assert max(ref.distance(Point(a, b)) for a, b in zip(x, y, strict=True)) < 50.0, key
        # each stretch coloured by its tracking radar (legend colour) or grey, dashed by class
        label = next(e[1] for e in section["entries"] if e[1].startswith(f"{key[1]} ("))
        want_dash = dash_of[label.rsplit(": ", 1)[1]]
        for el, who in zip(f["segments"], f["tracked_by"], strict=True):
            style = lines[el][1]
            assert style["color"] == (radar_colour[sc.radars[who].name] if who else "#9e9e9e"), (key, who)
            assert style["dashArray"] == want_dash, key
    assert {label.rsplit(": ", 1)[1] for _, label in section["entries"]} == set(dash_of)


def _two_class_sectoral(tmp_path: Path) -> Path:
    """sectoral-2011 with a threat set (Shahab-3 and IRBM from Tabriz and Shahrud), Iraq as a
    third side, and a target near the Iraq-Turkey border: the Shahab-3 from Tabriz crosses a
    corner of Turkey after its boost, the IRBM (longer boost) does not (so the classes may
    make different sides responsible: the ring's rule for that is checked if it happens)."""
    src = (ROOT / "data" / "scenarios" / "sectoral-2011.toml").read_text(encoding="utf-8")
    old = 'launch_sites = ["tabriz", "tehran", "isfahan", "shahrud"]\nmissile = "irbm"'
    assert old in src
    src = src.replace(old, 'launch_sites = ["tabriz", "shahrud"]\n\n[[threats.classes]]\nmissile = "shahab-3"\n\n'
                           '[[threats.classes]]\nmissile = "irbm"')
    src = src.replace('[sectors]\nrule = "first"\n', '[sectors]\nrule = "first"\niraq = ["IRQ"]\n')
    src = src.replace("[radars]", '[[sites]]\nid = "border-point"\nkind = "target"\nname = "Near the Iraq-Turkey '
                      'border"\nlat_deg = 36.25\nlon_deg = 43.25\nground_height_msl_m = 500.0\nsource = "a test point"'
                      '\nconfidence = "notional"\n\n[radars]', 1)
    path = tmp_path / "two-class-sectoral.toml"
    path.write_text(src, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_class(tmp_path_factory):
    path = _two_class_sectoral(tmp_path_factory.mktemp("two-class"))
    sc = load_scenario(path)
    return path, sc, render_html(scenario_map(sc, launch_id="tabriz", terrain=False, footprint_resolution_deg=4.0))


def test_rings_per_class_equal_engage(two_class):
    """The ring data per (launch, class, city) equals engage_keys on each class's flight aimed
    as `engage` aims it, and `geocover engage --json`'s entry for the class; each ring's
    colour follows the documented rule over the classes that reach the city."""
    from geocover.sectors import engage_keys
    from geocover.trajectory import aim_profile

    path, sc, html = two_class
    data = map_data(html)
    (ov,) = [o for o in data["overlays"] if o["kind"] == "responsibility"]
    assert ov["missiles"] == ["shahab-3", "irbm"] and "reaches" in ov["ring_rule"]
    cities = {(c.lat_deg, c.lon_deg): c for c in sc.catalog.sites("target")}
    shown = [cities[p] for p in layer_markers(html, "Targets")]
    got = {(r["launch"], r["missile"], r["target"]): r for r in ov["cities"]}
    assert set(got) == {(lid, mid, c.id) for lid in ("tabriz", "shahrud") for mid in ("shahab-3", "irbm")
                        for c in shown}
    for (lid, mid, cid), r in got.items():
        launch, city = sc.catalog.launch_site(lid), sc.catalog.site(cid)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            traj, ok = aim_profile(sc.catalog.missile(mid), launch.lat_deg, launch.lon_deg, city.lat_deg,
                                   city.lon_deg, "min-energy", None, None, errors="mask")
        want = engage_keys(sc, traj)
        assert (r["overflown"], r["responsible_side"], r["reachable"]) == (
            want["overflown"], want["responsible_side"], bool(ok[0])), (lid, mid, cid)
    # geocover engage --json itself, per class: reached by both, by the IRBM only, the border point
    for cid in ("ankara", "london", "border-point"):
        res = CliRunner().invoke(cli, ["engage", str(path), "tabriz", cid, "--json"])
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout)
        assert [c["missile"] for c in out["classes"]] == ["shahab-3", "irbm"]
        for c in out["classes"]:
            r = got[("tabriz", c["missile"], cid)]
            assert (r["overflown"], r["responsible_side"], r["reachable"]) == (
                c["overflown"], c["responsible_side"], c["reachable"]), (cid, c["missile"])
    assert not got[("tabriz", "shahab-3", "london")]["reachable"] and got[("tabriz", "irbm", "london")]["reachable"]
    # ring colour: the side of the classes from Tabriz that reach the city (all if none does);
    # "sides differ by missile class" (the legend's colour, dashed) where they disagree
    section = next(s for s in data["legend"]["sections"] if s["title"].startswith("Sectoral"))
    legend = {label: c for c, label in section["entries"]}
    for ring in ov["rings"]:
        rows = [got[("tabriz", mid, ring["target"])] for mid in ("shahab-3", "irbm")]
        counted = [r for r in rows if r["reachable"]] or rows
        sides = {r["responsible_side"] for r in counted}
        (lat, lon), style = marker_style(html, ring["el"])
        if len(sides) > 1:
            assert ring["mixed"] and style["color"] == legend["sides differ by missile class"], ring
            assert style["dashArray"] == "6 3"
        else:
            (side,) = sides
            assert not ring["mixed"] and ring["side"] == side
            assert style["color"] == (legend[f"sector {side}"] if side else legend["no side"]), ring
    assert len(ov["rings"]) == len(shown)
    # the popups name the class of every (launch, class) row
    popups = {b["el"]: b["popup"] for b in data["bind"] if "popup" in b}
    ankara = next(r for r in ov["rings"] if r["target"] == "ankara")
    labels = [k for k, _ in popups[ankara["el"]]["rows"]]
    for lid in ("tabriz", "shahrud"):
        for mid in ("shahab-3", "irbm"):
            assert f"from {sc.catalog.launch_site(lid).name}, {sc.catalog.missile(mid).name}" in labels
    # One mixed ring when this was written (the border point: the Shahab-3 from Tabriz over a
    # corner of Turkey for one 5 s sample, nato; the IRBM not, iraq). Not asserted: it hangs on
    # one ground-track sample; the rule itself is checked above and in test_ring_side_rule.


def test_ring_side_rule():
    """maps.ring_side on hand-made rows: reaching classes only (all if none reaches); a
    disagreement, no side included, is mixed."""
    from geocover.maps import ring_side

    def row(side, reach=True):
        return {"responsible_side": side, "reachable": reach}

    assert ring_side([row("a"), row("a")]) == ("a", False)
    assert ring_side([row("a"), row("b", reach=False)]) == ("a", False)  # b's class does not reach
    assert ring_side([row("a"), row("b")]) == (None, True)
    assert ring_side([row("a"), row(None)]) == (None, True)
    assert ring_side([row(None), row(None)]) == (None, False)
    assert ring_side([row("a", False), row("b", False)]) == (None, True)  # none reaches: every class
    assert ring_side([row("a", False)]) == ("a", False)  # one class, as before threat sets
