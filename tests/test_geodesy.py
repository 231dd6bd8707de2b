"""Geodesics and geodesic polygons: distances from SOURCES.md, GeographicLib identities,
validity across the antimeridian and around the poles."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from geocover import (
    InputError,
    destination,
    geodesic_area_m2,
    geodesic_circle,
    geodesic_sector,
    inverse,
    points_along,
)
from geocover.geodesy import GEOD


@pytest.mark.parametrize("a,b,km", [
    # SOURCES.md: Tabriz-Warsaw ~2,512 km, Tabriz-Bucharest ~1,827 km, Tabriz-London ~3,886 km,
    # Tehran-Washington ~10,198 km.
    ((38.080, 46.292), (52.230, 21.012), 2512),
    ((38.080, 46.292), (44.427, 26.103), 1827),
    ((38.080, 46.292), (51.507, -0.128), 3886),
    ((35.689, 51.389), (38.907, -77.037), 10198),
])
def test_published_distances(a, b, km):
    d, _, _ = inverse(*a, *b)
    assert d / 1000 == pytest.approx(km, abs=1.0)


def test_brdy_to_tehran_bearing():
    # SOURCES.md: from the Brdy site, Tehran bears ~102.7 deg.
    _, az, _ = inverse(49.635222, 13.747944, 35.689, 51.389)
    assert az == pytest.approx(102.7, abs=0.1)


def test_geographiclib_documented_examples():
    # GeographicLib documentation (geographiclib-geodesic README): Wellington (41.32S,
    # 174.81E) to Salamanca (40.96N, 5.50W) "The distance is 19959679.267 m."; 20000 km SW
    # of Perth (32.06S, 115.74E) "The position is (32.11195529, -63.95925278)."
    d, az, _ = inverse(-41.32, 174.81, 40.96, -5.50)
    assert d == pytest.approx(19_959_679.267, abs=1e-3)
    lat2, lon2 = destination(-32.06, 115.74, 225.0, 20_000e3)
    assert lat2 == pytest.approx(32.11195529, abs=5e-9)
    assert lon2 == pytest.approx(-63.95925278, abs=5e-9)
    lat3, lon3 = destination(-41.32, 174.81, az, d)
    assert (lat3, lon3) == pytest.approx((40.96, -5.50), abs=1e-9)


def test_inverse_vectorised_and_azimuth_ranges():
    lat = np.array([0.0, 89.0, -89.0, 10.0])
    lon = np.array([179.9, 0.0, 170.0, -179.9])
    d, az, back = inverse(lat, lon, -lat[::-1], lon[::-1])
    assert d.shape == (4,)
    assert np.all((az >= 0) & (az < 360)) and np.all((back >= 0) & (back < 360))
    with pytest.raises(InputError):
        inverse(95.0, 0.0, 0.0, 0.0)


def test_points_along_ends_and_spacing():
    lats, lons = points_along(38.080, 46.292, 52.230, 21.012, 11)
    assert (lats[0], lons[0]) == pytest.approx((38.080, 46.292))
    assert (lats[-1], lons[-1]) == pytest.approx((52.230, 21.012))
    steps, _, _ = inverse(lats[:-1], lons[:-1], lats[1:], lons[1:])
    assert np.allclose(steps, 2_512_132.85 / 10, rtol=1e-6)


def _cap_area(r_m: float) -> float:
    # Area of a spherical cap with geodesic radius r on the authalic sphere (R_q = 6371007.2).
    rq = 6_371_007.181
    return 2 * np.pi * rq**2 * (1 - np.cos(r_m / rq))


@pytest.mark.parametrize("lat,lon,r", [
    (49.6, 13.7, 2_000_000), (0.0, 179.5, 500_000), (60.0, -179.9, 2_000_000),
    (89.0, 0.0, 500_000), (-89.0, 170.0, 500_000), (-60.0, 180.0, 3_000_000),
])
def test_geodesic_circles_valid_everywhere(lat, lon, r):
    g = geodesic_circle(lat, lon, r, n=720)
    assert g.is_valid and not g.is_empty
    assert g.bounds[0] >= -180 and g.bounds[2] <= 180
    # Area on the ellipsoid within 0.5 % of the spherical cap (flattening effects).
    assert geodesic_area_m2(g) == pytest.approx(_cap_area(r), rel=5e-3)
    # The centre is inside; points just inside/outside the radius are classified right.
    centre = Point(lon, lat)
    assert g.buffer(1e-9).contains(centre)
    for az in (0, 77, 180, 260):
        la_in, lo_in = destination(lat, lon, az, 0.98 * r)
        la_out, lo_out = destination(lat, lon, az, 1.02 * r)
        # covers(): a point on the antimeridian lies on the split polygons' boundary.
        assert g.covers(Point(lo_in, la_in))
        assert not g.covers(Point(lo_out, la_out))


def test_circle_across_antimeridian_is_split():
    g = geodesic_circle(0.0, 179.5, 200_000)
    assert g.geom_type == "MultiPolygon" and len(g.geoms) == 2
    assert {round(p.bounds[0]) for p in g.geoms} | {round(p.bounds[2]) for p in g.geoms} >= {-180, 180}


def test_polar_circle_contains_pole():
    g = geodesic_circle(88.0, 45.0, 400_000)
    assert g.covers(Point(0.0, 90.0)) and g.covers(Point(-170.0, 89.9))


def test_sector_shape():
    # Brdy's +-60 deg sector about 102.7 deg, 2,000 km: Tehran-ward points inside, Berlin out.
    g = geodesic_sector(49.635222, 13.747944, 2_000_000, 42.7, 162.7)
    assert g.is_valid
    la, lo = destination(49.635222, 13.747944, 102.7, 1_500_000)
    assert g.contains(Point(lo, la))
    assert not g.contains(Point(13.405, 52.520))  # Berlin bears ~10 deg
    full = geodesic_circle(49.635222, 13.747944, 2_000_000)
    assert geodesic_area_m2(g) == pytest.approx(geodesic_area_m2(full) / 3, rel=5e-3)
    with pytest.raises(InputError):
        geodesic_sector(0, 0, -5, 0, 90)


@settings(max_examples=60, deadline=None)
@given(st.floats(-89.5, 89.5), st.floats(-180, 180), st.floats(10_000, 5_000_000),
       st.floats(0, 360), st.floats(5, 355))
def test_sectors_always_valid(lat, lon, r, start, width):
    g = geodesic_sector(lat, lon, r, start, start + width, n=180)
    assert g.is_valid and shapely.area(g) > 0
    assert -180 <= g.bounds[0] and g.bounds[2] <= 180


def test_geod_is_wgs84():
    assert GEOD.a == 6378137.0 and GEOD.f == pytest.approx(1 / 298.257223563)
