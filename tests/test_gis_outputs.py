"""GIS deliverables checked with GDAL's own tools: Cloud Optimized GeoTIFFs (gdalinfo and
GDAL's validate_cloud_optimized_geotiff.py), GeoPackages (ogrinfo: layers and the QGIS
layer_styles table), KML/KMZ (an XML parser and ogrinfo) and CSVs with coordinates.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from geocover.cli.main import cli
from geocover.export import write_geotiff

GDALINFO = shutil.which("gdalinfo")
# GDAL's reference COG validator (Even Rouault), shipped with the GDAL Python utilities.
COG_VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py")


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def gdalinfo(path) -> str:
    return subprocess.run([GDALINFO, str(path)], capture_output=True, text=True, check=True).stdout


def assert_cog(path):
    """gdalinfo reports LAYOUT=COG (GDAL >= 3.1) and GDAL's validator accepts the file."""
    assert "LAYOUT=COG" in gdalinfo(path)
    if COG_VALIDATOR.exists() and Path("/usr/bin/python3").exists():
        r = subprocess.run(["/usr/bin/python3", str(COG_VALIDATOR), "--full-check=yes", str(path)],
                           capture_output=True, text=True)
        assert r.returncode == 0 and "is a valid cloud optimized GeoTIFF" in r.stdout, r.stdout + r.stderr


@pytest.mark.skipif(GDALINFO is None, reason="gdalinfo (GDAL) not installed")
def test_geotiff_is_a_tiled_cog_with_overviews_unit_and_nan_nodata(tmp_path):
    rng = np.random.default_rng(1)
    values = rng.random((700, 900)).astype(np.float32) * 1000.0
    values[:20] = np.nan
    p = write_geotiff(tmp_path / "x.tif", values, west_deg=10.0, north_deg=50.0, resolution_deg=0.01,
                      description="minimum detectable altitude (m above MSL, EGM96)", units="m")
    assert_cog(p)
    info = gdalinfo(p)
    assert "Block=256x256" in info and "Unit Type: m" in info and "NoData Value=nan" in info
    # Overviews halve the size down to one 256-pixel tile: 900x700 -> 450x350 -> 225x175.
    assert "Overviews: 450x350, 225x175" in info
    with rasterio.open(p) as ds:
        assert ds.units == ("m",) and ds.descriptions == ("minimum detectable altitude (m above MSL, EGM96)",)
        assert np.isnan(ds.nodata)
        # Cell edges in the geotransform, values at the cell centres (GDAL's Area registration).
        assert ds.tags()["AREA_OR_POINT"] == "Area"
        assert ds.transform.c == 10.0 and ds.transform.f == 50.0
        assert ds.xy(0, 0) == pytest.approx((10.005, 49.995))
        # Lossless: DEFLATE with the floating-point predictor gives back every value.
        assert np.array_equal(ds.read(1), values, equal_nan=True)


@pytest.mark.skipif(GDALINFO is None, reason="gdalinfo (GDAL) not installed")
def test_cli_geotiffs_are_cogs_with_units(tmp_path):
    out = tmp_path / "cov"
    r = run("coverage", "kurecik", "--altitude", "300km", "--resolution", "0.5deg", "--azimuth-step", "2deg",
            "--no-terrain", "--no-map", "--out", str(out))
    assert r.exit_code == 0, r.output
    tif = out / "mda_kurecik.tif"
    assert_cog(tif)
    info = gdalinfo(tif)
    assert "Unit Type: m" in info and "NoData Value=nan" in info
    assert "Description = minimum detectable altitude" in info


# ------------------------------------------------------------------------ GeoPackage / KML

OGRINFO = shutil.which("ogrinfo")
KML = "{http://www.opengis.net/kml/2.2}"
GX = "{http://www.google.com/kml/ext/2.2}"
CATALOG = Path(__file__).resolve().parents[1] / "data" / "catalog"
# The columns QGIS creates for layer_styles (QgsOgrProviderUtils / qgsogrprovider.cpp, saveStyle).
QGIS_STYLE_COLUMNS = {"f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                      "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"}


def catalog_records(name: str) -> dict[str, dict]:
    """Records of a bundled catalog file read with the json module (not geocover's loader)."""
    import json

    doc = json.loads((CATALOG / name).read_text(encoding="utf-8"))
    return {f["properties"]["id"]: {**f["properties"], "lon": f["geometry"]["coordinates"][0],
                                    "lat": f["geometry"]["coordinates"][1]} for f in doc["features"]}


def ogr_layers(path) -> list[str]:
    r = subprocess.run([OGRINFO, "-ro", "-q", str(path)], capture_output=True, text=True, check=True)
    return [line.split(": ", 1)[1].split(" (")[0] for line in r.stdout.splitlines() if ": " in line]


def check_gpkg(path, layers: set[str]) -> None:
    """ogrinfo lists the layers and layer_styles; every layer has one default QGIS style
    whose QML parses, with QGIS's column names."""
    import sqlite3
    import xml.etree.ElementTree as ET

    listed = ogr_layers(path)
    assert layers | {"layer_styles"} <= set(listed), listed
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cols = {r[1] for r in con.execute("PRAGMA table_info(layer_styles)")}
        assert QGIS_STYLE_COLUMNS <= cols
        rows = con.execute("SELECT f_table_name, f_geometry_column, styleQML, useAsDefault "
                           "FROM layer_styles").fetchall()
        geom_cols = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
    finally:
        con.close()
    styled = {r[0] for r in rows}
    assert set(listed) - {"layer_styles"} == styled
    for table, gcol, qml, default in rows:
        assert gcol == geom_cols[table] and default == 1
        root = ET.fromstring(qml.split("\n", 1)[1])
        assert root.tag == "qgis" and root.find("renderer-v2") is not None


def kml_root(path):
    import xml.etree.ElementTree as ET
    import zipfile

    if str(path).endswith(".kmz"):
        with zipfile.ZipFile(path) as z:
            return ET.fromstring(z.read("doc.kml"))
    return ET.parse(path).getroot()


@pytest.mark.skipif(OGRINFO is None, reason="ogrinfo (GDAL) not installed")
def test_footprint_gpkg_kmz_and_cities_csv(tmp_path):
    import csv

    out = tmp_path / "fp"
    r = run("footprint", "epaa-phase2-2015", "--launch", "tabriz", "--resolution", "2deg", "--out", str(out))
    assert r.exit_code == 0, r.output
    check_gpkg(out / "footprint.gpkg", {"defended", "battle_space_bands", "threatened", "cities", "launch_sites",
                                        "radars", "interceptors", "trajectory", "trajectory_points"})
    r = subprocess.run([OGRINFO, "-ro", "-al", "-so", str(out / "footprint.gpkg"), "trajectory"], capture_output=True,
                       text=True, check=True)
    assert "3D Line String" in r.stdout or "3D Multi Line String" in r.stdout
    # KMZ: ogrinfo opens it, and each flight is a gx:Track with absolute altitudes and times.
    assert {"Flights", "Launch sites", "Defended"} <= set(ogr_layers(out / "footprint.kmz"))
    root = kml_root(out / "footprint.kmz")
    tabriz = catalog_records("launch_sites.geojson")["tabriz"]  # ground_height_msl_m 1643 in the catalog file
    tracks = root.findall(f".//{GX}Track")
    assert tracks
    for tr in tracks:
        assert tr.find(f"{KML}altitudeMode").text == "absolute"
        whens = [w.text for w in tr.findall(f"{KML}when")]
        coords = [c.text.split() for c in tr.findall(f"{GX}coord")]
        assert len(whens) == len(coords) > 10 and whens == sorted(whens) and len(set(whens)) == len(whens)
        # The track leaves the launch point at its ground height (m above MSL).
        lon0, lat0, h0 = map(float, coords[0])
        assert (lon0, lat0) == pytest.approx((tabriz["lon"], tabriz["lat"]), abs=1e-6)
        assert h0 == pytest.approx(tabriz["ground_height_msl_m"], abs=0.1)
        assert max(float(c[2]) for c in coords) > 100_000  # an IRBM's apogee is hundreds of km up
    # The launch placemark sits at its ground height, absolute, with source and confidence.
    pm = next(p for p in root.iter(f"{KML}Placemark")
              if p.findtext(f"{KML}name") == "tabriz" and p.find(f".//{KML}Point") is not None)
    pt = pm.find(f".//{KML}Point")
    assert pt.findtext(f"{KML}altitudeMode") == "absolute"
    assert [float(x) for x in pt.findtext(f"{KML}coordinates").split(",")] == pytest.approx(
        [tabriz["lon"], tabriz["lat"], tabriz["ground_height_msl_m"]])
    desc = pm.findtext(f"{KML}description")
    assert "source" in desc and "confidence" in desc and tabriz["confidence"] in desc
    # cities.csv carries the city's and the launch site's coordinates from the catalog.
    targets = catalog_records("targets.geojson")
    rows = list(csv.DictReader((out / "cities.csv").open(encoding="utf-8")))
    assert rows
    for row in rows:
        assert float(row["lat_deg"]) == targets[row["target"]]["lat"]
        assert float(row["lon_deg"]) == targets[row["target"]]["lon"]
        assert (float(row["launch_lat_deg"]), float(row["launch_lon_deg"])) == (tabriz["lat"], tabriz["lon"])


@pytest.mark.skipif(OGRINFO is None, reason="ogrinfo (GDAL) not installed")
def test_coverage_gpkg_and_kmz(tmp_path):
    out = tmp_path / "cov"
    r = run("coverage", "kurecik", "gabala", "--altitude", "300km", "--resolution", "1deg", "--azimuth-step", "2deg",
            "--no-terrain", "--no-map", "--out", str(out))
    assert r.exit_code == 0, r.output
    check_gpkg(out / "coverage.gpkg", {"coverage", "k_coverage", "radars"})
    root = kml_root(out / "coverage.kmz")
    names = [p.findtext(f"{KML}name") for p in root.iter(f"{KML}Placemark")]
    assert {"kurecik", "gabala"} <= set(names)
    assert root.findall(f".//{KML}Polygon")
    assert {"Coverage at 300 km", "Radars"} <= set(ogr_layers(out / "coverage.kmz"))


@pytest.mark.skipif(OGRINFO is None, reason="ogrinfo (GDAL) not installed")
def test_flight_across_the_antimeridian_as_kml_and_gpkg(tmp_path):
    kml, gpkg = tmp_path / "f.kml", tmp_path / "f.gpkg"
    r = run("trajectory", "--from", "53.02,158.65", "--to", "21.31,-157.86", "--kml", str(kml), "--gpkg", str(gpkg))
    assert r.exit_code == 0, r.output
    check_gpkg(gpkg, {"trajectory", "trajectory_points"})
    import json

    import pyogrio

    line = pyogrio.read_dataframe(gpkg, layer="trajectory").iloc[0]
    parts = list(getattr(line.geometry, "geoms", [line.geometry]))
    assert len(parts) == 2 and line.geometry.has_z  # cut once at 180 deg, heights kept
    times = json.loads(line["t_s"])
    assert [len(t) for t in times] == [len(p.coords) for p in parts]
    assert times[0][-1] == times[1][0]  # the cut vertex has one time, interpolated
    pts = pyogrio.read_dataframe(gpkg, layer="trajectory_points")
    assert pts["t_s"].is_monotonic_increasing and pts.geometry.has_z.all()
    tr = kml_root(kml).find(f".//{GX}Track")
    lons = [float(c.text.split()[0]) for c in tr.findall(f"{GX}coord")]
    assert min(lons) < -150 and max(lons) > 150 and all(-180 <= x <= 180 for x in lons)
    assert "Flight" in ogr_layers(kml)


def test_user_text_is_literal_in_kml_and_qml(tmp_path):
    import xml.etree.ElementTree as ET

    from shapely.geometry import Point, box

    from geocover.gis import GpkgLayer, KmlFolder, LayerStyle, qml_style, write_kml

    hostile = "<script>alert(1)</script> & {{ 7*7 }} \"q\" 'a' ]]> <![CDATA[x]]>"
    p = write_kml(tmp_path / "h.kml", [KmlFolder(hostile, [(box(0, 0, 1, 1), {"id": hostile, "notes": hostile}),
                                                          (Point(1, 1), {"id": "p"})])], name=hostile)
    root = kml_root(p)
    assert root.find(f"{KML}Document/{KML}name").text == hostile
    pm = root.find(f".//{KML}Placemark")
    assert pm.findtext(f"{KML}name") == hostile
    # Google Earth renders descriptions as HTML: the text must arrive HTML-escaped.
    desc = pm.findtext(f"{KML}description")
    assert "<script>" not in desc and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; {{ 7*7 }}" in desc
    qml = qml_style(LayerStyle("fill", by="radar_id"), [hostile])
    cat = ET.fromstring(qml.split("\n", 1)[1]).find(".//category")
    assert cat.get("value") == hostile and cat.get("label") == hostile
    assert GpkgLayer  # the GeoPackage path is covered by the CLI tests above


def test_boolean_categories_match_how_qgis_reads_a_geopackage_boolean():
    import xml.etree.ElementTree as ET

    from geocover.gis import LayerStyle, qml_style

    # GDAL gives a GeoPackage BOOLEAN column to QGIS as a bool, whose text (QVariant::toString,
    # Qt documentation) is "true"/"false"; "" is QGIS's "all other values" category (NULL too).
    qml = qml_style(LayerStyle("marker", by="defended"), [True, False, None, True])
    cats = ET.fromstring(qml.split("\n", 1)[1]).findall(".//category")
    assert [c.get("value") for c in cats] == ["true", "false", ""]


@pytest.mark.skipif(OGRINFO is None, reason="ogrinfo (GDAL) not installed")
def test_compare_writes_its_city_table_as_a_point_layer(tmp_path):
    import json

    import pyogrio

    out = tmp_path / "cmp"
    r = run("compare", "epaa-phase1-2011", "epaa-phase2-2015", "--launch", "tabriz", "--resolution", "2deg",
            "--out", str(out))
    assert r.exit_code == 0, r.output
    check_gpkg(out / "comparison.gpkg", {"cities", "city_summary"})
    cities = pyogrio.read_dataframe(out / "comparison.gpkg", layer="city_summary")
    table = json.loads((out / "comparison.json").read_text())["cities"]
    targets = catalog_records("targets.geojson")
    # every catalog city, threatened (in the JSON's table) or out of reach
    assert sorted(cities["target"]) == sorted(targets) and set(table) <= set(targets)
    for _, row in cities.iterrows():
        # Each point sits on the catalog's city; one column per scenario repeats the JSON table.
        assert (row.geometry.x, row.geometry.y) == (targets[row["target"]]["lon"], targets[row["target"]]["lat"])
        for sid in ("epaa-phase1-2011", "epaa-phase2-2015"):
            v = table.get(row["target"], {}).get(sid)  # out of reach: not in the JSON's table, NULL here
            got = row[f"defended_{sid}"]
            assert (got is None or got != got) if v is None else bool(got) == v
