"""Earth geometry against pyproj (PROJ) and pymap3d, to <= 1 mm."""

from __future__ import annotations

import dataclasses

import numpy as np
import pymap3d
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geocover import WGS84, Ellipsoid, InputError
from geocover.earth import (
    aer2geodetic,
    ecef2enu,
    ecef2geodetic,
    enu2ecef,
    geodetic2aer,
    geodetic2ecef,
)

TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


def _points(n=20_000, seed=7):
    """Random global points plus the poles, the antimeridian and the height extremes."""
    rng = np.random.default_rng(seed)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    h = rng.uniform(-500, 2_000_000, n)
    lat = np.concatenate([lat, [90, -90, 90, -90, 0, 0, 45, -45, 89.999999, -89.999999]])
    lon = np.concatenate([lon, [0, 0, 123, -77, 180, -180, 179.999999, -179.999999, 180, -180]])
    h = np.concatenate([h, [0, 0, 2e6, -500, -500, 2e6, 0, 10, 1e3, 1e5]])
    return lat, lon, h


def test_wgs84_constants():
    # NIMA TR8350.2: a = 6378137 m, 1/f = 298.257223563, b = 6356752.314245 m.
    assert WGS84.semimajor_axis_m == 6378137.0
    assert WGS84.semiminor_axis_m == pytest.approx(6356752.314245, abs=1e-6)
    assert WGS84.eccentricity_squared == pytest.approx(6.69437999014e-3, rel=1e-12)


def test_ellipsoid_is_immutable_and_validated():
    with pytest.raises(dataclasses.FrozenInstanceError):
        WGS84.semimajor_axis_m = 1.0  # type: ignore[misc]
    with pytest.raises(InputError):
        Ellipsoid("bad", -1.0, 0.0)
    with pytest.raises(InputError):
        Ellipsoid("bad", 6e6, 1.5)


def test_geodetic2ecef_matches_pyproj():
    lat, lon, h = _points()
    x, y, z = geodetic2ecef(lat, lon, h)
    xr, yr, zr = TO_ECEF.transform(lon, lat, h)
    assert np.max(np.abs(np.array([x - xr, y - yr, z - zr]))) < 1e-3


def test_ecef2geodetic_matches_pyproj():
    lat, lon, h = _points(seed=11)
    x, y, z = TO_ECEF.transform(lon, lat, h)
    lat2, lon2, h2 = ecef2geodetic(x, y, z)
    # Compare as positions: 1e-3 m on the ground is ~9e-9 deg of latitude.
    assert np.max(np.abs(h2 - h)) < 1e-3
    assert np.max(np.abs(lat2 - lat)) < 1e-8
    dlon = (lon2 - lon + 180) % 360 - 180
    not_pole = np.abs(lat) < 89.9999
    assert np.max(np.abs(dlon[not_pole] * np.cos(np.radians(lat[not_pole])))) < 1e-8


def test_aer_matches_pymap3d_and_pyproj_topocentric():
    lat, lon, h = _points(5_000, seed=3)
    lat0, lon0, h0 = 49.635222, 13.747944, 728.8 + 46.0
    az, el, rng = geodetic2aer(lat, lon, h, lat0, lon0, h0)
    az_p, el_p, rng_p = pymap3d.geodetic2aer(lat, lon, h, lat0, lon0, h0)
    assert np.max(np.abs(rng - rng_p)) < 1e-3
    # Angles as arc lengths at the target's range: 1 mm.
    assert np.max(np.abs(np.radians(el - el_p)) * rng) < 1e-3
    daz = (az - az_p + 180) % 360 - 180
    assert np.max(np.abs(np.radians(daz)) * rng * np.cos(np.radians(el))) < 1e-3
    # PROJ's topocentric conversion gives ENU independently of pymap3d.
    x0, y0, z0 = TO_ECEF.transform(lon0, lat0, h0)
    topo = Transformer.from_pipeline(
        f"+proj=pipeline +step +proj=cart +ellps=WGS84 "
        f"+step +proj=topocentric +ellps=WGS84 +X_0={x0!r} +Y_0={y0!r} +Z_0={z0!r}")
    e_r, n_r, u_r = topo.transform(np.radians(lon), np.radians(lat), h, radians=True)
    e, n, u = ecef2enu(*geodetic2ecef(lat, lon, h), lat0, lon0, h0)
    assert np.max(np.abs(np.array([e - e_r, n - n_r, u - u_r]))) < 1e-3


def test_aer_known_geometry():
    # A point straight above the observer: elevation 90 deg, range = height difference.
    az, el, rng = geodetic2aer(10.0, 20.0, 1000.0, 10.0, 20.0, 0.0)
    assert el == pytest.approx(90.0) and rng == pytest.approx(1000.0, abs=1e-6)
    # Due north on the meridian: azimuth 0; due east on the equator: azimuth 90.
    assert geodetic2aer(1.0, 0.0, 0.0, 0.0, 0.0, 0.0)[0] == pytest.approx(0.0, abs=1e-9)
    assert geodetic2aer(0.0, 1.0, 0.0, 0.0, 0.0, 0.0)[0] == pytest.approx(90.0, abs=1e-9)
    # Across the antimeridian: from 179.9 E, the point at 179.9 W lies due east.
    assert geodetic2aer(0.0, -179.9, 0.0, 0.0, 179.9, 0.0)[0] == pytest.approx(90.0, abs=1e-6)


def test_scalar_in_scalar_out(scalar_and_array):
    lat = scalar_and_array(45.0)
    x, y, z = geodetic2ecef(lat, 10.0, 100.0)
    if np.ndim(lat) == 0:
        assert all(isinstance(v, float) for v in (x, y, z))
    else:
        assert np.shape(x) == (2,)


def test_broadcasting():
    az, el, rng = geodetic2aer(np.zeros((3, 1)), np.linspace(0, 2, 4), 0.0,
                               np.array([0.0, 1.0, 2.0])[:, None], 0.0, 0.0)
    assert np.shape(az) == (3, 4)


heights = st.floats(-500.0, 2_000_000.0)
lats = st.one_of(st.floats(-90.0, 90.0), st.sampled_from([90.0, -90.0, 0.0]))
lons = st.one_of(st.floats(-180.0, 180.0), st.sampled_from([180.0, -180.0, 179.9999999]))


@settings(max_examples=300, deadline=None)
@given(lats, lons, heights)
def test_roundtrip_geodetic_ecef(lat, lon, h):
    lat2, lon2, h2 = ecef2geodetic(*geodetic2ecef(lat, lon, h))
    x1 = np.array(geodetic2ecef(lat, lon, h))
    x2 = np.array(geodetic2ecef(lat2, lon2, h2))
    assert np.linalg.norm(x1 - x2) < 1e-3
    assert abs(h2 - h) < 1e-3


@settings(max_examples=300, deadline=None)
@given(lats, lons, heights, st.floats(0, 360), st.floats(-90, 90), st.floats(0, 5e6))
def test_roundtrip_aer(lat0, lon0, h0, az, el, rng):
    lat, lon, h = aer2geodetic(az, el, rng, lat0, lon0, h0)
    x = np.array(geodetic2ecef(lat, lon, h))
    e, n, u = ecef2enu(*x, lat0, lon0, h0)
    assert np.isclose(np.hypot(np.hypot(e, n), u), rng, rtol=0, atol=1e-3)
    back = np.array(enu2ecef(e, n, u, lat0, lon0, h0))
    assert np.linalg.norm(back - x) < 1e-3
