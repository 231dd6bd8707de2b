"""Refraction and horizon: MathWorks' published examples, PHYSICS.md check values,
closed forms, and an independent geometric cross-check."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geocover import (
    Ellipsoid,
    InputError,
    effective_earth_radius,
    geodetic2aer,
    height_to_ground_range,
    height_to_range,
    horizon_range,
    lowest_visible_altitude,
    range_to_height,
)
from geocover.refraction import horizon_ground_range, model_name

# MathWorks Radar Toolbox documentation examples (default "Curved" method, default
# effective radius from effearthradius = dN/dh -39e-9/m). MATLAB prints 5 significant
# digits, so each is checked to half a unit in the last printed digit; the exact values
# are checked to 1 m against the closed form in the test below.
MATHWORKS = [
    # (function, args, printed value, half-unit of the last digit, page)
    (height_to_range, (1e3, 10, 2), 2.7125e4, 5.0, "radar/ref/height2range.html"),
    (height_to_ground_range, (1e3, 10, 2), 2.7106e4, 5.0, "radar/ref/height2grndrange.html"),
    (range_to_height, (300e3, 10, 0.5), 7.9325e3, 0.5, "radar/ref/range2height.html"),
    (horizon_range, (30,), 2.2553e4, 5.0, "phased/ref/horizonrange.html"),
]


@pytest.mark.parametrize("func,args,printed,tol,page", MATHWORKS)
def test_mathworks_examples(func, args, printed, tol, page):
    assert func(*args, model="gradient") == pytest.approx(printed, abs=tol), page


def test_mathworks_effearthradius():
    # effearthradius.html: re = effearthradius -> 8.4774e+06; re/physconst('EarthRadius') ->
    # 1.3306; effearthradius(-40e-9) -> 8.5498e+06 (k = 1/(1 + R dN/dh), R = 6371 km).
    re = effective_earth_radius("gradient")
    assert re == pytest.approx(8.4774e6, abs=50)
    assert re / 6_371_000 == pytest.approx(1.3306, abs=5e-5)
    assert re == pytest.approx(6_371_000 / (1 - 6_371_000 * 39e-9), abs=1e-6)
    # ISSUE text / PHYSICS.md: R_eff = 8,477.36 km.
    assert re == pytest.approx(8_477_360, abs=10)
    # A float k multiplies the radius; "none" is the true radius.
    assert effective_earth_radius(6_371_000 / (1 - 6_371_000 * 40e-9) / 6_371_000) == \
        pytest.approx(8.5498e6, abs=50)
    assert effective_earth_radius("none") == 6_371_000
    assert effective_earth_radius("4/3") == pytest.approx(8_494_666.667, abs=1e-3)


def test_exact_values_to_one_metre():
    # Closed forms of PHYSICS.md evaluated by hand with R_e = 8,477,361.5 m:
    # rho = -a sinE + sqrt(a^2 sin^2 E - a^2 + (R_e + h_t)^2), a = R_e + h_a.
    re = 6_371_000 / (1 - 6_371_000 * 39e-9)
    a, c, s = re + 10, re + 1000, np.sin(np.radians(2))
    rho = -a * s + np.sqrt(a * a * s * s - a * a + c * c)
    assert height_to_range(1e3, 10, 2, model="gradient") == pytest.approx(rho, abs=1.0)
    assert rho == pytest.approx(27125.34, abs=0.5)
    theta = np.arcsin(rho * np.cos(np.radians(2)) / c)
    assert height_to_ground_range(1e3, 10, 2, model="gradient") == pytest.approx(re * theta, abs=1)
    assert range_to_height(300e3, 10, 0.5, model="gradient") == pytest.approx(7932.51, abs=1.0)


@pytest.mark.parametrize("h,d_km", [(30, 22.6), (728.8, 111.3), (2085, 188.2)])
def test_physics_horizon_check_values(h, d_km):
    # PHYSICS.md: d = sqrt(2 k R h + h^2), k = 4/3, R = 6371 km.
    assert horizon_range(h) / 1000 == pytest.approx(d_km, abs=0.05)


def test_physics_lowest_visible_altitude():
    # PHYSICS.md: "an X-band radar on a 700 m hill sees nothing below ~60 km at 1,000 km".
    assert lowest_visible_altitude(1_000_000, 700) == pytest.approx(60_000, rel=0.01)
    # Closed form h_min = (R_e + h_a) cos E / cos(E + s/R_e) - R_e, E = 1 deg.
    re = 4 / 3 * 6_371_000
    want = (re + 700) * np.cos(np.radians(1)) / np.cos(np.radians(1) + 8e5 / re) - re
    assert lowest_visible_altitude(8e5, 700, min_elevation_deg=1.0) == pytest.approx(want, abs=1e-6)
    # Beyond a quarter of the effective circumference nothing comes back over the point.
    assert np.isinf(lowest_visible_altitude(0.6 * np.pi * re, 10))


def test_horizon_consistency():
    re = 4 / 3 * 6_371_000
    for h in (10.0, 728.8, 2085.0):
        s = horizon_ground_range(h)
        dip = -np.degrees(np.arccos(re / (re + h)))
        # A radar allowed to look down sees the surface out to its horizon, not beyond.
        assert lowest_visible_altitude(s, h, min_elevation_deg=-90) == pytest.approx(0, abs=1e-6)
        assert lowest_visible_altitude(0.5 * s, h, min_elevation_deg=-5) == 0.0
        assert lowest_visible_altitude(2 * s, h, min_elevation_deg=dip) > 0
        # With E = 0 the horizontal ray is (R_e + h)^2 / R_e - R_e = 2h + h^2/R_e up there.
        assert lowest_visible_altitude(s, h) == pytest.approx(2 * h + h * h / re, rel=1e-6)
        # The grazing ray reaches the surface at the horizon range.
        assert range_to_height(horizon_range(h), h, dip) == pytest.approx(0.0, abs=1e-3)
        assert height_to_range(0.0, h, dip) == pytest.approx(horizon_range(h), abs=1.0)  # tangent: ill-conditioned


def test_no_refraction_matches_true_geometry_on_a_sphere():
    # Independent check: with k = 1 on a spherical Earth, the lowest visible altitude at
    # elevation E must be the height at which geodetic2aer reports elevation E.
    sphere = Ellipsoid("sphere", 6_371_000.0, 0.0)
    s = 1_500_000.0
    h_a = 500.0
    for e_deg in (0.0, 2.0, 10.0):
        h_t = lowest_visible_altitude(s, h_a, min_elevation_deg=e_deg, model="none")
        lon = np.degrees(s / 6_371_000.0)
        _, el, rng = geodetic2aer(0.0, lon, h_t, 0.0, 0.0, h_a, ell=sphere)
        assert el == pytest.approx(e_deg, abs=1e-9)
        assert height_to_range(h_t, h_a, e_deg, model="none") == pytest.approx(rng, abs=1e-3)
        assert height_to_ground_range(h_t, h_a, e_deg, model="none") == pytest.approx(s, abs=1e-3)


@settings(max_examples=300, deadline=None)
@given(st.floats(0, 2_000_000), st.floats(-500, 5000), st.floats(-5, 89.9),
       st.sampled_from(["4/3", "gradient", "none", 1.2]))
def test_roundtrip_range_height(rho, h_a, e, model):
    h_t = range_to_height(rho, h_a, e, model=model)
    back = height_to_range(h_t, h_a, e, model=model)
    # Downward rays reach a lower height twice: either crossing must give h_t back.
    assert range_to_height(back, h_a, e, model=model) == pytest.approx(h_t, abs=1e-3)
    if e >= 0:
        assert back == pytest.approx(rho, abs=1e-3 + 1e-9 * rho)


def test_broadcast_and_scalars():
    out = lowest_visible_altitude(np.array([[1e5], [1e6]]), np.array([10.0, 700.0, 2000.0]))
    assert out.shape == (2, 3)
    assert isinstance(horizon_range(10.0), float)
    assert horizon_range([0, 10, 100]).shape == (3,)
    assert np.isnan(height_to_range(0.0, 1000.0, 45.0))  # upward ray never comes down


def test_model_names_and_errors():
    assert model_name("gradient") == "gradient"
    assert model_name(1.25) == "k=1.25"
    for bad in ("5/4x", -1.0, 0.0, True):
        with pytest.raises(InputError):
            effective_earth_radius(bad)
    with pytest.raises(InputError):
        horizon_range(-5.0)
    with pytest.raises(InputError):
        lowest_visible_altitude(-1.0, 10.0)
