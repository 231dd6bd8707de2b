"""Refraction: model names, input errors, boundary cases and the CRPL horizon against
references outside geocover. Written against the survivors of a mutation run on
geocover/refraction.py (docs/mutation.md); every expected value is a closed form or an
independent quadrature, with its constants typed here."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from geocover import InputError
from geocover.refraction import (
    crpl_refractivity,
    effective_earth_radius,
    height_to_range,
    horizon_ground_range,
    horizon_range,
    is_ray_traced,
    lowest_visible_altitude,
    model_name,
    range_to_height,
    refraction_exponent_per_km,
)

R_M = 6_371_000.0  # mean Earth radius of the Radar Toolbox functions (MATLAB physconst('EarthRadius'))
DNDH_PER_M = -39e-9  # MATLAB effearthradius default refractivity gradient (1/m)
NS = 313.0  # CRPL default surface refractivity, N-units (MATLAB refractionexp example)


def crpl_decay_per_m(ns: float) -> float:
    """CRPL decay constant c_e = ln(Ns / (Ns - 7.32 exp(0.005577 Ns))) per km (Bean & Thayer
    1959, NBS Monograph 4), in 1/m."""
    return np.log(ns / (ns - 7.32 * np.exp(0.005577 * ns))) / 1000.0


@pytest.mark.parametrize("name,k", [
    ("4/3", 4 / 3), ("four-thirds", 4 / 3), ("FourThirds", 4 / 3), (" 4/3 ", 4 / 3),
    ("none", 1.0), ("geometric", 1.0), ("1", 1.0), ("NONE", 1.0),
    ("gradient", 1 / (1 + R_M * DNDH_PER_M)), ("matlab", 1 / (1 + R_M * DNDH_PER_M)),
    ("Gradient", 1 / (1 + R_M * DNDH_PER_M)),
    (0.5, 0.5), (1.25, 1.25),  # any positive k, below 1 too (sub-refraction)
])
def test_model_names_and_k_factors(name, k):
    # k R with R = 6,371 km; gradient: k = 1 / (1 + R dN/dh), dN/dh = -39e-9 /m (MATLAB
    # effearthradius). rel=1e-12: float rounding only.
    assert effective_earth_radius(name) == pytest.approx(k * R_M, rel=1e-12)


def test_crpl_effective_radius_closed_form():
    # The CRPL profile's first-kilometre gradient: dN/dh = -7.32 exp(0.005577 Ns) 1e-9 /m
    # (Bean & Dutton 1966, the CRPL reference atmosphere's Delta N), R_e = R / (1 + R dN/dh).
    dn = -7.32 * np.exp(0.005577 * NS) * 1e-9
    assert effective_earth_radius("crpl") == pytest.approx(R_M / (1 + R_M * dn), rel=1e-12)
    assert is_ray_traced("crpl") and is_ray_traced("crpl:350") and not is_ray_traced("4/3")
    assert not is_ray_traced(1.2)


@pytest.mark.parametrize("name,want", [("NONE", "none"), (" Gradient ", "gradient"), ("4/3", "4/3"),
                                       ("CRPL", "crpl")])
def test_model_name_normalised(name, want):
    assert model_name(name) == want


@pytest.mark.parametrize("model,fragment", [
    ("5/4x", "unknown refraction model '5/4x'"), (0.0, "k factor must be a positive number, got 0.0"),
    (-1.0, "k factor must be a positive number, got -1.0"), (float("nan"), "k factor must be a positive number"),
])
def test_bad_models_named(model, fragment):
    with pytest.raises(InputError) as info:
        effective_earth_radius(model)
    assert fragment in str(info.value)


@pytest.mark.parametrize("call,fragment", [
    (lambda: horizon_range(float("nan")), "antenna_height_m must be finite"),
    (lambda: horizon_range(-1.0), "antenna_height_m must be >= 0 m, got -1"),
    (lambda: horizon_range(10.0, -5.0), "target_height_m must be >= 0 m, got -5"),
    (lambda: range_to_height(-1.0, 10.0, 0.0), "slant_range_m must be >= 0 m, got -1"),
    (lambda: range_to_height(-1.0, 10.0, 0.0, model="crpl"), "slant_range_m must be >= 0 m"),
    (lambda: lowest_visible_altitude(-1.0, 10.0), "ground_range_m must be >= 0 m, got -1"),
    (lambda: lowest_visible_altitude(1e5, 10.0, min_elevation_deg=91.0), "min_elevation_deg must be within"),
    (lambda: refraction_exponent_per_km(0.0), "surface refractivity must be > 0 N-units, got 0.0"),
    (lambda: refraction_exponent_per_km(float("nan")), "surface refractivity must be > 0 N-units"),
])
def test_input_errors_name_the_input(call, fragment):
    with pytest.raises(InputError) as info:
        call()
    assert fragment in str(info.value)


def test_downward_ray_crossings_closed_form():
    # A ray leaving an antenna at h_a downwards (E < 0) meets a lower height twice: the
    # first (near) crossing is rho = -a sin E - sqrt(a^2 sin^2 E - a^2 + c^2); a ray at its
    # own height comes back after the chord 2 a |sin E| (a = R_e + h_a, c = R_e + h_t).
    re = 4 / 3 * R_M
    h_a, e = 2_000.0, np.radians(-0.5)
    a, c = re + h_a, re + 1_800.0  # the ray bottoms out near 1,677 m: 1,800 m is crossed twice
    near = -a * np.sin(e) - np.sqrt(a * a * np.sin(e) ** 2 - a * a + c * c)
    assert height_to_range(1_800.0, h_a, -0.5) == pytest.approx(near, abs=1e-3)
    assert height_to_range(h_a, h_a, -0.5) == pytest.approx(2 * a * abs(np.sin(e)), abs=1e-3)
    assert np.isnan(height_to_range(0.0, h_a, 5.0))  # an upward ray never comes down


def test_lowest_visible_altitude_edges_closed_form():
    # h_min = (R_e + h_a) cos E / cos(E + s/R_e) - R_e while E + s/R_e < 90 deg (PHYSICS.md).
    re = 4 / 3 * R_M
    # far but still in range: E + s/R_e = 1.2 rad (between 60 and 90 deg)
    s = 1.2 * re
    assert lowest_visible_altitude(s, 10.0, min_elevation_deg=0.0) == pytest.approx(
        (re + 10.0) / np.cos(1.2) - re, rel=1e-9)
    # an antenna below sea level (Dead Sea shore, -400 m): no dip below the horizontal
    want = (re - 400.0) / np.cos(1e5 / re) - re
    assert lowest_visible_altitude(1e5, -400.0) == pytest.approx(want, rel=1e-9)


def _snell_integrals(h_top: float, ns: float = NS) -> tuple[float, float]:
    """Optical path and central angle of the CRPL ray that grazes the surface, from the
    surface up to h_top, by quadrature of Bouguer's invariant f = n r cos(E) = K = n_s R (a
    spherically stratified atmosphere): dP = n dr / sin E, dphi = K dr / (n r^2 sin E).
    With r = R + u^2 and sin E = sqrt((f - K)(f + K)) / f, f = n r, the integrands are
    smooth: (f - K) / u^2 = n_s + 1e-6 Ns r expm1(-c_e u^2) / u^2."""
    ce = crpl_decay_per_m(ns)
    n_s = 1.0 + 1e-6 * ns
    k = n_s * R_M

    def parts(u):
        r = R_M + u * u
        n = 1.0 + 1e-6 * ns * np.exp(-ce * u * u)
        f = n * r
        g = n_s + 1e-6 * ns * r * (np.expm1(-ce * u * u) / (u * u) if u > 0 else -ce)
        return r, n, f, np.sqrt(g * (f + k))

    def dp(u):  # n dr / sin E = n 2u du f / (u sqrt(g (f + K)))
        r, n, f, root = parts(u)
        return 2.0 * n * f / root

    def dphi(u):  # K dr / (n r^2 sin E) = 2 K du / (r sqrt(g (f + K)))
        r, n, f, root = parts(u)
        return 2.0 * k / (r * root)

    top = np.sqrt(h_top)
    p, _ = quad(dp, 0.0, top, epsabs=1e-8, epsrel=1e-13, limit=500)
    phi, _ = quad(dphi, 0.0, top, epsabs=1e-15, epsrel=1e-13, limit=500)
    return p, phi


@pytest.mark.parametrize("h_a,h_t", [(30.0, 0.0), (728.8, 0.0), (2_085.0, 10_000.0)])
def test_crpl_horizon_against_bouguer_quadrature(h_a, h_t):
    # The CRPL horizon: optical path and ground range of the grazing rays from each end.
    # geocover traces and tabulates rays; this integrates Snell's law for a spherically
    # stratified medium directly (scipy quad). They agree to 3e-8; rel 1e-6 admits the
    # ray family's tabulation and interpolation, while the 4/3-Earth value is 1-2.5 % off
    # and Ns wrong by 1 N-unit moves the horizon by ~1e-3.
    p_a, phi_a = _snell_integrals(h_a)
    p_t, phi_t = _snell_integrals(h_t) if h_t > 0 else (0.0, 0.0)
    assert horizon_range(h_a, h_t, model="crpl") == pytest.approx(p_a + p_t, rel=1e-6)
    assert horizon_ground_range(h_a, h_t, model="crpl") == pytest.approx(R_M * (phi_a + phi_t), rel=1e-6)
    assert horizon_range(h_a, h_t, model="crpl:350") > horizon_range(h_a, h_t, model="crpl")  # more bending


def test_crpl_refractivity_profile():
    # N(h) = Ns exp(-c_e h) (Bean & Thayer 1959): 313 N-units at the surface, ~0.05 at 100 km.
    h = np.array([0.0, 1_000.0, 10_000.0, 100_000.0])
    assert crpl_refractivity(h) == pytest.approx(NS * np.exp(-crpl_decay_per_m(NS) * h), rel=1e-12)
    assert crpl_refractivity(1_000.0, 350.0) == pytest.approx(350.0 * np.exp(-crpl_decay_per_m(350.0) * 1e3),
                                                              rel=1e-12)


def test_horizon_to_a_raised_target_closed_form():
    # Effective-radius sphere (4/3 x 6,371 km): the line-of-sight distance to a target on
    # the horizon is the sum of the tangent lengths from each end, sqrt(2 R_e h + h^2), and
    # the ground range the sum of the arcs R_e arccos(R_e / (R_e + h)) (PHYSICS.md).
    re = 4 / 3 * R_M
    h_a, h_t = 728.8, 10_000.0
    want = np.sqrt(2 * re * h_a + h_a**2) + np.sqrt(2 * re * h_t + h_t**2)
    assert horizon_range(h_a, h_t) == pytest.approx(want, rel=1e-12)
    arcs = re * (np.arccos(re / (re + h_a)) + np.arccos(re / (re + h_t)))
    assert horizon_ground_range(h_a, h_t) == pytest.approx(arcs, rel=1e-12)
    with pytest.raises(InputError, match="target_height_m must be >= 0 m"):
        horizon_ground_range(h_a, -1.0)
    with pytest.raises(InputError, match="antenna_height_m must be >= 0 m"):
        horizon_ground_range(-1.0, 0.0)


def test_effective_radius_of_another_sphere():
    # k R for a caller's own sphere radius; a radius must be positive (any size).
    assert effective_earth_radius("4/3", earth_radius_m=6_378_137.0) == pytest.approx(4 / 3 * 6_378_137.0)
    assert effective_earth_radius(2.0, earth_radius_m=0.5) == pytest.approx(1.0)
    with pytest.raises(InputError, match="earth_radius_m must be > 0, got 0"):
        effective_earth_radius("4/3", earth_radius_m=0.0)


@pytest.mark.parametrize("h_a", [30.0, 728.8])
@pytest.mark.parametrize("e_deg", [-1.0, 0.0, 2.0])
def test_crpl_lowest_visible_altitude_against_a_scipy_ray(h_a, e_deg):
    # The lowest altitude visible at ground range s is the height there of the lowest ray
    # the radar may use: its minimum elevation, or the grazing ray when that is higher
    # (Bouguer: cos E_g = n_s R / (n_a (R + h_a))). Reference: the independent scipy
    # integration of the ray equation in test_refraction_crpl.py (none of geocover's code).
    # 0.5 m admits the ray tables (they agree to 0.2 m at 1,000 km); the 4/3-Earth
    # approximation differs by tens to hundreds of metres here.
    from test_refraction_crpl import scipy_ray

    ce = crpl_decay_per_m(NS)
    n_s, n_a = 1 + 1e-6 * NS, 1 + 1e-6 * NS * np.exp(-ce * h_a)
    e_graze = -np.degrees(np.arccos(n_s * R_M / (n_a * (R_M + h_a))))
    e_ray = max(e_deg, e_graze)
    for s in (300e3, 1_000e3):  # beyond the radar horizon of both antennas
        want = scipy_ray(h_a, e_ray, s / R_M)[0]
        got = lowest_visible_altitude(s, h_a, min_elevation_deg=e_deg, model="crpl")
        assert got == pytest.approx(want, abs=0.5)


def test_crpl_arrays_of_mixed_rays_match_mathworks():
    # Array input with several (antenna height, elevation) rays, repeated: each element must
    # get its own ray. MathWorks height2range CRPL example: 1 km target, 10 m antenna,
    # 2 deg -> 2.7171e+04 m (printed to 5 digits: 5 m); height2grndrange -> 2.7143e+04 m.
    got = height_to_range([1e3, 1e3, 1e3, 5e3], [10.0, 10.0, 10.0, 100.0], [2.0, 1.0, 2.0, 2.0], model="crpl")
    assert got[0] == pytest.approx(2.7171e4, abs=5.0) and got[2] == got[0]
    assert got[1] > got[0] and got[3] > got[0]  # a lower ray, a higher target: longer paths
    from geocover.refraction import height_to_ground_range

    ground = height_to_ground_range([1e3, 1e3], [10.0, 10.0], [1.0, 2.0], model="crpl")
    assert ground[1] == pytest.approx(2.7143e4, abs=5.0) and ground[0] > ground[1]
