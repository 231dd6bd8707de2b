"""RFC 7946 GeoJSON from the one writer (geocover.export.feature_collection), and geodesic
circles/sectors of any radius (issue 10, section 2).

Every GeoJSON file the CLI writes anywhere in the suite is also checked by the autouse
fixture in conftest.py (tests/rfc7946_check.py); these are the targeted cases.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from rfc7946_check import check_feature_collection, check_file
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box

from geocover.cli.main import cli
from geocover.export import feature_collection, write_geojson
from geocover.geodesy import geodesic_circle, geodesic_sector

# WGS84 (NIMA TR8350.2 table 3.1), typed here rather than imported from the code under test.
WGS84 = Geod(a=6378137.0, f=1 / 298.257223563)
B_M = 6378137.0 * (1 - 1 / 298.257223563)  # semi-minor axis
# Total area of the WGS84 ellipsoid: 4 pi R_q^2 with the authalic radius R_q = 6,371,007.1809 m
# (Moritz 1980, Geodetic Reference System 1980, table; WGS84 differs in the 4th decimal of m).
TOTAL_M2 = 4 * np.pi * 6_371_007.1809**2
# EASE-Grid 2.0 global, a cylindrical equal-area projection of the WGS84 ellipsoid: planar
# areas there are ellipsoidal areas (Brodzik et al. 2012, ISPRS IJGI 1, 32-45).
TO_EQUAL_AREA = Transformer.from_crs("EPSG:4326", "EPSG:6933", always_xy=True)


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def equal_area_m2(geom) -> float:
    """Area (m2) of lon/lat geometry read as RFC 7946 does (straight lon/lat edges),
    densified to 0.05 deg and measured in the equal-area projection."""
    dense = shapely.segmentize(geom, 0.05)
    return shapely.transform(dense, lambda xy: np.column_stack(TO_EQUAL_AREA.transform(xy[:, 0], xy[:, 1]))).area


def cap_area_m2(lat, lon, r, n=20_000):
    """Area of the geodesic cap, independently: Karney's exact polygon area (geographiclib
    through pyproj) of its boundary sampled at n azimuths, traversed counter-clockwise and
    taken modulo the ellipsoid's area. The n-gon with geodesic edges misses the cap by about
    (2 pi^2 / 3) / n^2 ~ 2e-8 of its area."""
    az = np.linspace(360.0, 0.0, n, endpoint=False)
    lo, la, _ = WGS84.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, r))
    area, _ = WGS84.polygon_area_perimeter(lo, la)
    return area % TOTAL_M2


# --------------------------------------------------------------------------- the writer


def test_rings_are_ccw_and_holes_cw_after_rounding():
    # A clockwise exterior with a counter-clockwise hole, rounded to 3 decimals: the output
    # is flipped to the right-hand rule (RFC 7946 3.1.6) after rounding, not before.
    ext = [(0, 0), (0, 10), (10, 10), (10, 0), (0, 0)]
    hole = [(2, 2), (4, 2), (4, 4), (2, 4), (2, 2)]
    poly = Polygon(ext, [hole])
    assert not poly.exterior.is_ccw
    fc = feature_collection([(poly, {"name": "x"})], precision=3)
    assert check_feature_collection(fc) == []
    rings = fc["features"][0]["geometry"]["coordinates"]
    assert shapely.LinearRing(rings[0]).is_ccw and not shapely.LinearRing(rings[1]).is_ccw


def test_rounding_cannot_make_invalid_geometry():
    # A sliver hole 1e-5 deg from the exterior: rounded to 3 decimals it would touch or cross
    # it; the writer rounds on a grid that keeps the result valid (GEOS precision reducer).
    poly = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)], [[(0.00001, 0.2), (0.5, 0.2), (0.5, 0.8), (0.00001, 0.8)]])
    fc = feature_collection([(poly, {})], precision=3)
    assert check_feature_collection(fc) == []
    assert shapely.geometry.shape(fc["features"][0]["geometry"]).is_valid


def test_polygon_beyond_180_is_cut_and_keeps_its_area():
    # A box from 170 to 190 deg east: two pieces, [170, 180] and [-180, -170], same area.
    fc = feature_collection([(box(170, -10, 190, 10), {})])
    g = fc["features"][0]["geometry"]
    assert g["type"] == "MultiPolygon" and check_feature_collection(fc) == []
    # 20 x 20 deg of planar area in, 20 x 20 out (a cut moves area, it does not make any).
    assert shapely.geometry.shape(g).area == pytest.approx(400.0)


def test_points_and_multipoints_wrap_into_range():
    fc = feature_collection([(Point(190.0, 1.0), {}), (MultiPoint([(-190.0, 2.0), (540.0, 3.0)]), {})])
    assert fc["features"][0]["geometry"]["coordinates"] == [-170.0, 1.0]
    # -190 = 170 and 540 = 180 (mod 360); +180 is kept as +180.
    assert fc["features"][1]["geometry"]["coordinates"] == [[170.0, 2.0], [180.0, 3.0]]


def test_line_is_cut_with_per_vertex_values_interpolated():
    # 170E -> 170W (= 190E) -> 160W: crosses 180 halfway along the first segment, so the
    # cut vertex is at lat 45, z 150, t 5 (linear interpolation along the segment).
    line = LineString([(170, 40, 100), (-170, 50, 200), (-160, 50, 300)])
    fc = feature_collection([(line, {"z": "height above the WGS84 ellipsoid, m", "t_s": [0, 10, 20]})],
                            vertex_keys=("t_s",))
    assert check_feature_collection(fc) == []
    f = fc["features"][0]
    assert f["geometry"]["type"] == "MultiLineString"
    assert f["geometry"]["coordinates"] == [[[170.0, 40.0, 100.0], [180.0, 45.0, 150.0]],
                                            [[-180.0, 45.0, 150.0], [-170.0, 50.0, 200.0], [-160.0, 50.0, 300.0]]]
    assert f["properties"]["t_s"] == [[0.0, 5.0], [5.0, 10.0, 20.0]]


def test_third_coordinate_must_be_named():
    with pytest.raises(ValueError, match="z"):
        feature_collection([(LineString([(0, 0, 1), (1, 1, 2)]), {})])
    fc = feature_collection([(Point(0, 0, 5), {})], z="height above mean sea level (EGM96), m")
    assert fc["features"][0]["properties"]["z"].startswith("height")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-540, 540), st.floats(-89, 89)), min_size=2, max_size=30))
@example(pts=[(181.0, 0.0), (540.0, 0.0), (0.0, 0.0)])  # a vertex exactly on 180 between two sides
def test_any_line_is_written_in_range_and_uncut_length_preserved(pts):
    line = LineString(pts)
    fc = feature_collection([(line, {})], precision=9)
    assert check_feature_collection(fc) == []
    g = fc["features"][0]["geometry"]
    if g is None:
        return
    # Joined the short way round: total |dlon| equals that of the unwrapped input.
    lon = np.unwrap(np.array([p[0] for p in pts]), period=360.0)
    parts = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
    out = sum(np.abs(np.diff([p[0] for p in part])).sum() for part in parts)
    assert out == pytest.approx(np.abs(np.diff(lon)).sum(), abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.floats(-400, 400), st.floats(-80, 70), st.floats(0.001, 300), st.floats(0.001, 20))
def test_any_box_is_written_valid_and_in_range(west, south, width, height):
    g = box(west, south, west + width, south + height)
    fc = feature_collection([(g, {})])
    assert check_feature_collection(fc) == []


def test_write_geojson_file_passes_the_checker_and_ogr(tmp_path):
    p = write_geojson(tmp_path / "x.geojson", [(box(170, 0, 200, 5), {"k": 1}), (Point(181, 0), {})], name="x")
    assert check_file(p) == []


# ------------------------------------------------------------------- CLI trajectories


def test_trajectory_kamchatka_to_hawaii_is_cut_at_the_antimeridian():
    # Petropavlovsk-Kamchatsky (53.02 N, 158.65 E) to Honolulu (21.31 N, 157.86 W): the
    # flight crosses 180 deg; written unwrapped it had longitudes up to 202 deg.
    r = run("trajectory", "--from", "53.02,158.65", "--to", "21.31,-157.86", "--geojson")
    assert r.exit_code == 0, r.output
    fc = json.loads(r.output)
    assert check_feature_collection(fc, "trajectory") == []
    f = fc["features"][0]
    assert f["geometry"]["type"] == "MultiLineString"
    parts = f["geometry"]["coordinates"]
    lons = [p[0] for part in parts for p in part]
    assert min(lons) >= -180 and max(lons) <= 180
    assert f["properties"]["z"] == "height above the WGS84 ellipsoid, m"
    # One time per vertex, nested like the coordinates; increasing from 0.
    assert [len(t) for t in f["properties"]["t_s"]] == [len(p) for p in parts]
    t = np.concatenate(f["properties"]["t_s"])
    assert t[0] == 0.0 and np.all(np.diff(t) >= 0)


def test_timeline_geojson_across_the_antimeridian(tmp_path):
    # The file goes through the one writer too; the conftest fixture checks it again.
    out = tmp_path / "flight.geojson"
    r = run("timeline", "53.02,158.65", "21.31,-157.86", "--radars", "gabala", "--geojson", str(out))
    assert r.exit_code == 0, r.output
    assert check_file(out) == []
    assert json.loads(out.read_text())["features"][0]["geometry"]["type"] == "MultiLineString"


# ---------------------------------------------------------------- geodesic circles


def test_london_12070_km_circle_holds_london_not_its_antipode():
    g = geodesic_circle(51.5074, -0.1278, 12_070_000)
    assert g.covers(Point(-0.1278, 51.5074))
    assert not g.covers(Point(179.8722, -51.5074))  # the antipode, 20,000 km away
    assert equal_area_m2(g) == pytest.approx(cap_area_m2(51.5074, -0.1278, 12_070_000), rel=5e-3)
    assert check_feature_collection(feature_collection([(g, {})])) == []


# Centres anywhere (poles and the antimeridian included, plus explicit near-pole and
# near-antimeridian draws) and radii from 1 km to pi * b (beyond it geodesics stop being
# shortest paths, Karney 2013 section 7).
LATS = st.one_of(st.floats(-90, 90), st.sampled_from([90.0, -90.0, 89.999, -89.99]), st.floats(89, 90))
LONS = st.one_of(st.floats(-180, 180), st.sampled_from([180.0, -180.0, 179.999, -179.9]))
RADII = st.one_of(st.floats(1_000, np.pi * B_M), st.floats(1.9e7, np.pi * B_M), st.floats(9.9e6, 1.01e7))


@settings(max_examples=80, deadline=None)
@given(LATS, LONS, RADII)
def test_circles_of_any_radius(lat, lon, r):
    g = geodesic_circle(lat, lon, r)
    assert g.is_valid and not g.is_empty
    assert g.covers(Point(lon, lat)) or g.buffer(1e-9).covers(Point(lon, lat))
    # Within 0.5 % of the exact cap area: the polygon's own error is the 360-gon's
    # (2 pi^2/3)/360^2 = 5e-5 plus the straight lon/lat edges, refined to 0.5 deg steps
    # (measured below 1e-4); 0.5 % is the bound.
    assert equal_area_m2(g) == pytest.approx(cap_area_m2(lat, lon, r), rel=5e-3)
    assert check_feature_collection(feature_collection([(g, {})])) == []


@settings(max_examples=40, deadline=None)
@given(LATS, LONS, RADII, st.floats(0, 360), st.floats(5, 355))
def test_sectors_of_any_radius(lat, lon, r, start, width):
    g = geodesic_sector(lat, lon, r, start, start + width)
    assert g.is_valid and not g.is_empty
    lo_in, la_in, _ = WGS84.fwd(lon, lat, start + width / 2, r / 2)
    assert g.buffer(1e-9).covers(Point(lo_in, la_in))
    # A sector is width/360 of the cap only on a sphere; on the ellipsoid measure the
    # sector's own boundary with Karney's algorithm (geodesic radial edges + dense arc).
    n = 4000
    arc = np.linspace(start + width, start, n)  # counter-clockwise: back along the arc
    alo, ala, _ = WGS84.fwd(np.full(n, lon), np.full(n, lat), arc, np.full(n, r))
    area, _ = WGS84.polygon_area_perimeter(np.r_[lon, alo], np.r_[lat, ala])
    assert equal_area_m2(g) == pytest.approx(area % TOTAL_M2, rel=5e-3)
    assert check_feature_collection(feature_collection([(g, {})])) == []


def test_coverage_of_a_very_long_range_radar_holds_the_radar():
    # A 360-degree radar 5 deg south of the equator that sees a target 100,000 km up: the
    # covered ring encloses the south pole (85 deg away); with the ring's mean latitude the
    # old code closed it over the wrong pole and covered the antipode instead of the radar.
    import dataclasses

    from geocover.catalog import load_catalog
    from geocover.coverage import coverage_at_altitudes
    from geocover.radar import RadarView

    base = load_catalog().radar("kurecik")
    radar = dataclasses.replace(base, id="far", lat_deg=-5.0, lon_deg=20.0, reference_range_m=2.0e8,
                                half_width_deg=180.0, boresight_azimuth_deg=0.0, min_elevation_deg=0.0)
    g = coverage_at_altitudes(RadarView(radar, terrain=False), [1.0e8], azimuth_step_deg=1.0)[0].geometry
    assert g.is_valid and g.covers(Point(20.0, -5.0)) and not g.covers(Point(-160.0, 5.0))
    assert g.covers(Point(0.0, -89.99))
    # Geometric horizon of a target at h from the surface at 0 deg elevation: central angle
    # arccos(R / (R + h)) = 86.35 deg for R = 6,371 km (refraction only bends rays further);
    # the coverage is at least that cap and, holding the radar not its antipode, less than
    # a hemisphere.
    cap = 2 * np.pi * 6_371_007.1809**2 * (1 - 6_371e3 / (6_371e3 + 1.0e8))
    assert 0.99 * cap <= equal_area_m2(g) < TOTAL_M2 / 2
    assert check_feature_collection(feature_collection([(g, {})])) == []
