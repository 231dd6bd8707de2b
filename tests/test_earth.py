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


# --- found by mutation testing (docs/mutation.md): each test below kills named survivors ---------
def test_a_new_ellipsoid_derives_b_and_e2():
    # GRS80 (Moritz 2000, Bulletin Geodesique 54): a = 6378137 m, f = 1/298.257222101,
    # b = 6356752.314140 m, e^2 = 0.00669438002290. A fresh instance, because WGS84 itself
    # is built once at import (mutmut's forked workers never rebuild it). 1e-6 m / 1e-14
    # admit the published digits only.
    grs80 = Ellipsoid("GRS80", 6378137, 1 / 298.257222101)  # an int a is stored as float
    assert type(grs80.semimajor_axis_m) is float and grs80.semimajor_axis_m == 6378137.0
    assert type(grs80.flattening) is float and grs80.flattening == 1 / 298.257222101
    assert grs80.semiminor_axis_m == pytest.approx(6356752.314140, abs=1e-6)
    assert grs80.eccentricity_squared == pytest.approx(0.00669438002290, abs=1e-14)
    assert type(Ellipsoid("sphere", 6371000, 0).flattening) is float  # an int f too
    tiny = Ellipsoid("tiny", 0.5, 0.0)  # any positive size is an ellipsoid
    assert tiny.semiminor_axis_m == 0.5 and tiny.eccentricity_squared == 0.0


@pytest.mark.parametrize("a,f,field", [(0.0, 0.0, "semimajor_axis_m must be > 0"),
                                       (float("nan"), 0.0, "semimajor_axis_m must be > 0"),
                                       (6e6, 1.0, "flattening must be in [0, 1)"),
                                       (6e6, -0.1, "flattening must be in [0, 1)")])
def test_ellipsoid_errors_name_the_field(a, f, field):
    with pytest.raises(InputError) as info:
        Ellipsoid("bad", a, f)
    assert "ellipsoid 'bad'" in str(info.value) and field in str(info.value)


def test_gaussian_radius_closed_form():
    # sqrt(M N): at the equator M = a(1 - e^2), N = a, so sqrt(M N) = a sqrt(1 - e^2) = b;
    # at the poles M = N = a^2 / b, the polar radius of curvature c = 6,399,593.6258 m
    # (NIMA TR8350.2 table 3.3). WGS84 a and f typed in (TR8350.2 table 3.1).
    from geocover.earth import gaussian_radius_m

    a, f = 6378137.0, 1 / 298.257223563
    b = a * (1 - f)
    assert gaussian_radius_m(0.0) == pytest.approx(b, abs=1e-6)
    assert gaussian_radius_m(90.0) == pytest.approx(6_399_593.6258, abs=1e-4)
    assert gaussian_radius_m(-90.0) == pytest.approx(a * a / b, abs=1e-6)
    e2 = f * (2 - f)
    s2 = np.sin(np.radians(45.0)) ** 2
    m, n = a * (1 - e2) / (1 - e2 * s2) ** 1.5, a / np.sqrt(1 - e2 * s2)
    assert gaussian_radius_m(45.0) == pytest.approx(np.sqrt(m * n), rel=1e-15)
    sphere = Ellipsoid("sphere", 6_371_000.0, 0.0)
    assert gaussian_radius_m(30.0, sphere) == 6_371_000.0


def test_scalars_give_floats_and_defaults():
    out = geodetic2ecef(0.0, 0.0)  # h defaults to 0: the point (a, 0, 0)
    assert out == (6378137.0, 0.0, 0.0) and all(type(v) is float for v in out)
    assert all(type(v) is float for v in ecef2geodetic(6378137.0, 0.0, 0.0))
    assert all(type(v) is float for v in geodetic2aer(1.0, 1.0, 0.0, 0.0, 0.0, 0.0))


def test_float32_input_is_computed_in_double():
    # float32 ECEF coordinates (0.5 m steps at 6,000 km) are valid input; the arithmetic
    # must still be float64 (Vermeille's closed form loses metres in float32). Reference:
    # the same values converted to float64 first; 1e-6 m admits float64 rounding only.
    lat, lon, h = _points(2_000)
    x, y, z = (np.asarray(v, dtype=np.float32) for v in geodetic2ecef(lat, lon, h))
    got = ecef2geodetic(x, y, z)
    want = ecef2geodetic(x.astype(np.float64), y.astype(np.float64), z.astype(np.float64))
    assert got[2].dtype == np.float64
    assert np.max(np.abs(got[2] - want[2])) < 1e-6


def test_other_ellipsoids_are_passed_through():
    # aer2geodetic / enu2ecef on a sphere of radius R: looking north, level, at range rho
    # from (0, 0, 0) reaches ECEF (R, 0, rho): latitude atan(rho / R), height
    # sqrt(R^2 + rho^2) - R (closed form). WGS84 instead of the sphere is ~20 km off in h.
    R, rho = 6_371_000.0, 1_000_000.0
    sphere = Ellipsoid("sphere", R, 0.0)
    lat, lon, h = aer2geodetic(0.0, 0.0, rho, 0.0, 0.0, 0.0, ell=sphere)
    assert lat == pytest.approx(np.degrees(np.arctan2(rho, R)), abs=1e-12)
    assert lon == pytest.approx(0.0, abs=1e-12) and h == pytest.approx(np.hypot(R, rho) - R, abs=1e-6)
    assert enu2ecef(0.0, rho, 0.0, 0.0, 0.0, 0.0, ell=sphere) == pytest.approx((R, 0.0, rho), abs=1e-6)


def test_negative_slant_range_refused():
    from geocover.earth import aer2enu

    with pytest.raises(InputError, match=r"^slant range must be >= 0 m$"):
        aer2enu(0.0, 0.0, -1.0)
    assert aer2enu(90.0, 0.0, 0.0) == pytest.approx((0.0, 0.0, 0.0))
