"""Catalogs and candidate regions in other vector formats and CRSs (GeoPackage, shapefile,
FlatGeobuf, KML, GeoJSON in EPSG:3035), read through GDAL and reprojected to WGS84.

The reference for every comparison is the same records as a plain (WGS84) GeoJSON file, whose
loader is tested on its own in test_catalog.py / test_bad_input.py. The files in other formats are
written here by geopandas/pyogrio (GDAL) with the projection done by geopandas ``to_crs``, an
independent path from the reader under test (which reprojects with its own pyproj Transformer).
"""

from __future__ import annotations

import json

import geopandas as gpd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from conftest import ROOT
from shapely.geometry import LineString, Point, box

from geocover.cli.main import cli
from geocover.search import candidate_sites, read_region

RADARS = json.loads((ROOT / "data" / "catalog" / "radars.geojson").read_text())
TARGETS = json.loads((ROOT / "data" / "catalog" / "targets.geojson").read_text())

# EPSG:3035 (ETRS89 LAEA Europe) forward then inverse through PROJ returns a point within ~1 mm
# (PROJ's LAEA is closed-form; the 1e-8 deg seen is float rounding of 4e6 m coordinates). 1e-7
# deg (~1 cm) admits that and nothing a user could see.
DEG_TOL = 1e-7


def _renamed(doc, prefix="u-"):
    """The records with new ids (so they add to the bundled catalog rather than replace it)."""
    doc = json.loads(json.dumps(doc))
    for f in doc["features"]:
        f["properties"]["id"] = prefix + f["properties"]["id"]
        f.pop("id", None)
    return doc


def _frame(doc):
    return gpd.GeoDataFrame.from_features(doc["features"], crs="EPSG:4326")


def _sites(*files, kind="radar"):
    args = ["sites", "--kind", kind, "--format", "json"]
    for f in files:
        args += ["--catalog", str(f)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    return {s["id"]: s for s in json.loads(r.stdout) if s["id"].startswith("u-")}


def _same(ref, got):
    assert set(ref) == set(got) and ref
    for rid, a in ref.items():
        b = got[rid]
        assert set(a) == set(b), rid
        for k, v in a.items():
            if k in ("lat_deg", "lon_deg"):
                assert b[k] == pytest.approx(v, abs=DEG_TOL), (rid, k)
            else:
                assert b[k] == v, (rid, k)


@pytest.fixture(scope="module")
def radar_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("vec")
    doc = _renamed(RADARS)
    ref = d / "radars.geojson"
    ref.write_text(json.dumps(doc))
    g = _frame(doc).to_crs(3035)
    files = {"gpkg": d / "r.gpkg", "fgb": d / "r.fgb", "geojson3035": d / "r3035.geojson"}
    g.to_file(files["gpkg"], layer="radars", driver="GPKG")
    g.to_file(files["fgb"], driver="FlatGeobuf")
    g.to_file(files["geojson3035"], driver="GeoJSON")
    return d, ref, files


@pytest.mark.parametrize("fmt", ["gpkg", "fgb", "geojson3035"])
def test_catalog_formats_match_geojson(radar_files, fmt):
    _d, ref, files = radar_files
    # the 3035 GeoJSON really is projected (old-style "crs" member, metres)
    if fmt == "geojson3035":
        assert "EPSG::3035" in json.loads(files[fmt].read_text())["crs"]["properties"]["name"]
    _same(_sites(ref), _sites(files[fmt]))


def test_multilayer_gpkg_kinds_from_layer_names(tmp_path):
    """Layers named radars/targets give their records that kind when they carry no 'kind'."""
    f = tmp_path / "cat.gpkg"
    for layer, doc in (("radars", RADARS), ("targets", TARGETS)):
        g = _frame(_renamed(doc)).drop(columns=["kind"]).to_crs(3035)
        g.to_file(f, layer=layer, driver="GPKG")
    ref_r, ref_t = tmp_path / "r.geojson", tmp_path / "t.geojson"
    ref_r.write_text(json.dumps(_renamed(RADARS)))
    ref_t.write_text(json.dumps(_renamed(TARGETS)))
    _same(_sites(ref_r), _sites(f))
    _same(_sites(ref_t, kind="target"), _sites(f, kind="target"))


def test_shapefile_catalog_says_why(radar_files):
    d, _ref, _files = radar_files
    g = _frame(_renamed(RADARS)).to_crs(3035)
    shp = d / "r.shp"
    with pytest.warns(RuntimeWarning):  # GDAL/pyogrio warn that the field names are truncated
        g.to_file(shp)
    r = CliRunner().invoke(cli, ["sites", "--catalog", str(shp)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "r.shp" in r.output and "layer 'r'" in r.output and "10 characters" in r.output


def test_3d_points_z_ignored_with_warning(tmp_path):
    doc = _renamed(RADARS)
    g = _frame(doc)
    # z = 9999 m: were it taken as a height, antenna heights would change
    g["geometry"] = [Point(p.x, p.y, 9999.0) for p in g.geometry]
    f = tmp_path / "r3d.gpkg"
    g.to_crs(3035).to_file(f, layer="radars")
    ref = tmp_path / "r.geojson"
    ref.write_text(json.dumps(doc))
    _same(_sites(ref), _sites(f))
    r = CliRunner().invoke(cli, ["sites", "--catalog", str(f)])
    assert r.exit_code == 0 and "z coordinate; it is ignored" in r.stderr and "layer 'radars'" in r.stderr


def _region_frame():
    # edges off the 3-degree candidate grid, so a millimetre of reprojection moves no candidate
    return gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(19.2, 37.3, 30.7, 44.6)], crs="EPSG:4326")


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "fgb", "geojson3035", "kml"])
def test_region_formats_match_geojson(tmp_path, fmt):
    g = _region_frame()
    ref = tmp_path / "reg.geojson"
    g.to_file(ref, driver="GeoJSON")
    f = tmp_path / f"reg.{fmt.replace('geojson3035', 'geojson')}"
    if fmt == "geojson3035":
        f = tmp_path / "reg3035.geojson"
    if fmt == "kml":
        g.to_file(f, driver="KML")  # KML is WGS84 by definition
    else:
        g.to_crs(3035).to_file(f, driver={"gpkg": "GPKG", "shp": "ESRI Shapefile", "fgb": "FlatGeobuf",
                                          "geojson3035": "GeoJSON"}[fmt])
    a, b = read_region(str(ref)), read_region(str(f))
    # same vertices within the reprojection round trip (see DEG_TOL)
    assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=DEG_TOL)
    for step in (3.0,):
        ca, cb = candidate_sites(a, step), candidate_sites(b, step)
        assert ca[0].tolist() == cb[0].tolist() and ca[1].tolist() == cb[1].tolist()


def _optimise(region, out, *extra):
    return CliRunner().invoke(cli, ["optimise", "--scenario", "epaa-phase1-2011", "--add", "interceptor",
                                    "--candidates", str(region), "--step", "3deg", "--objective", "area",
                                    "--launch", "tabriz", "--grid-resolution", "2deg", "--scheduler", "none",
                                    "--out", str(out), *extra])


def test_optimise_with_gpkg_region(tmp_path):
    f = tmp_path / "reg.gpkg"
    _region_frame().to_crs(3035).to_file(f, layer="region")
    r = _optimise(f, tmp_path / "o")
    assert r.exit_code == 0, r.output
    cands = json.loads((tmp_path / "o" / "candidates.geojson").read_text())["features"]
    lat, lon = candidate_sites(_region_frame().geometry[0], 3.0)  # the WGS84 box the GPKG was made from
    got = sorted((c["geometry"]["coordinates"][1], c["geometry"]["coordinates"][0]) for c in cands)
    want = sorted(zip(lat.tolist(), lon.tolist(), strict=True))
    # the same grid nodes; 1e-9 deg admits the GeoJSON writer's decimal rounding of coordinates
    assert len(got) == len(want) and [v for p in got for v in p] == pytest.approx([v for p in want for v in p],
                                                                                  abs=1e-9)


def _bad_files(d):
    g = _region_frame()
    noprj = d / "noprj.shp"
    g.to_crs(3035).to_file(noprj)
    (d / "noprj.prj").unlink()
    lines = d / "lines.gpkg"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[LineString([(20, 40), (25, 41)])], crs=4326).to_file(
        lines, layer="roads")
    empty = d / "empty.gpkg"
    gpd.GeoDataFrame({"name": []}, geometry=[], crs=3035).to_file(empty, layer="nothing")
    badfield = d / "badfield.gpkg"
    doc = _renamed(RADARS)
    gb = _frame(doc)
    gb["reference_range_m"] = gb["reference_range_m"].astype(str)  # a TEXT column where a number belongs
    gb.loc[0, "reference_range_m"] = "far"
    gb.to_crs(3035).to_file(badfield, layer="radars")
    bowtie = d / "bowtie.gpkg"  # a self-intersecting ring (GEOS: "Self-intersection")
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Polygon([(20, 38), (30, 44), (30, 38), (20, 44)])],
                     crs=4326).to_crs(3035).to_file(bowtie, layer="zone")
    return noprj, lines, empty, badfield, bowtie


def test_bad_vector_inputs(tmp_path):
    noprj, lines, empty, badfield, bowtie = _bad_files(tmp_path)
    cases = [
        (["--candidates", bowtie], ["bowtie.gpkg", "layer 'zone'", "EPSG:3035", "feature #0", "not a valid polygon",
                                    "Self-intersection"]),
        (["--candidates", noprj], ["noprj.shp", "layer 'noprj'", "no CRS"]),
        (["--candidates", lines], ["lines.gpkg", "layer 'roads'", "EPSG:4326", "LineString", "feature #0"]),
        (["--candidates", empty], ["empty.gpkg", "layer 'nothing'", "EPSG:3035", "empty"]),
        (["--candidates", "20,38,30,44", "--catalog", badfield],
         ["badfield.gpkg", "layer 'radars'", "EPSG:3035", "record 'u-brdy-emr'", "'reference_range_m'",
          "must be a number", "'far'"]),
        (["--candidates", "20,38,30,44", "--catalog", empty], ["empty.gpkg", "layer 'nothing'", "empty"]),
        (["--candidates", "20,38,30,44", "--catalog", noprj], ["noprj.shp", "no CRS"]),
    ]
    for i, (args, fragments) in enumerate(cases):
        out = tmp_path / f"out{i}"
        r = _optimise(args[1], out, *[str(a) for a in args[2:]])
        assert r.exit_code == 2, (args, r.output)
        assert "Traceback" not in r.output
        for frag in fragments:
            assert frag in r.output, (frag, r.output)
        assert not out.exists()


def test_pyogrio_sees_our_written_layers(radar_files):
    """The test files are what they claim (GDAL's own view of them)."""
    _d, _ref, files = radar_files
    assert pyogrio.read_info(files["gpkg"], layer="radars")["crs"] == "EPSG:3035"
    assert pyogrio.read_info(files["fgb"])["driver"] == "FlatGeobuf"


def test_geojson_under_another_name_is_read_as_before(tmp_path):
    """A GeoJSON catalog named .txt went through the JSON reader before GDAL inputs existed and
    still does: the same records, and the same message for a bad one as under .geojson."""
    doc = _renamed(RADARS)
    ref, txt = tmp_path / "r.geojson", tmp_path / "r.txt"
    ref.write_text(json.dumps(doc))
    txt.write_text(json.dumps(doc))
    assert _sites(txt) == _sites(ref)
    doc["features"][0]["properties"]["reference_range_m"] = "far"
    ref.write_text(json.dumps(doc))
    txt.write_text(json.dumps(doc))
    a = CliRunner().invoke(cli, ["sites", "--catalog", str(ref)])
    b = CliRunner().invoke(cli, ["sites", "--catalog", str(txt)])
    assert a.exit_code == b.exit_code == 2
    assert a.output.replace("r.geojson", "r.txt") == b.output


@pytest.mark.parametrize("crs_name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG:6.6:4326", "no-such-crs"])
def test_geojson_crs_member_wgs84_or_unknown_read_as_before(tmp_path, crs_name):
    """A 'crs' member naming WGS84, or a name nobody knows, was ignored before and still is."""
    doc = _renamed(RADARS)
    ref = tmp_path / "r.geojson"
    ref.write_text(json.dumps(doc))
    doc["crs"] = {"type": "name", "properties": {"name": crs_name}}
    f = tmp_path / "rc.geojson"
    f.write_text(json.dumps(doc))
    assert _sites(f) == _sites(ref)  # exactly equal: no reprojection happened
