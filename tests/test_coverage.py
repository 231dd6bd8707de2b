"""Radar visibility and coverage: smooth-Earth closed forms (< 0.1 %), reasons, MDA
rasters consistent with point visibility, k-coverage, and the sanity checks a user makes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

import geocover as gc
from geocover.coverage import coverage_at_altitudes, k_coverage, min_detectable_altitude
from geocover.radar import RadarView

CAT = gc.default_catalog()
RE43 = 4 / 3 * 6_371_000.0


def edge_distance(geom, lat0, lon0, az_deg, s_max):
    """Farthest geodesic distance (m) along an azimuth at which the ray meets the boundary."""
    s = np.linspace(0.0, s_max, 4001)
    lat, lon = gc.destination(np.full(s.size, lat0), np.full(s.size, lon0), az_deg, s)
    ray = LineString(np.column_stack([np.unwrap(lon, period=360.0), lat]))
    hits = shapely.intersection(ray, geom.boundary)
    pts = [p for g in getattr(hits, "geoms", [hits]) for p in getattr(g, "geoms", [g])
           if isinstance(p, Point)]
    assert pts, "ray does not meet the polygon boundary"
    d, _, _ = gc.inverse(lat0, lon0, np.array([p.y for p in pts]), np.array([p.x for p in pts]))
    return float(np.max(d))


def s_horizon(h_ant, h_t, e_deg=0.0, re=RE43):
    # PHYSICS.md: h_min = (R_e + h_a) cos E / cos(E + theta) - R_e, inverted for theta.
    e = np.radians(e_deg)
    return re * (np.arccos((re + h_ant) * np.cos(e) / (re + h_t)) - e)


@pytest.mark.parametrize("alt_m", [100e3, 300e3, 1000e3])
@pytest.mark.parametrize("az", [120.0, 162.0, 210.0])
def test_smooth_earth_horizon_edge_matches_closed_form(alt_m, az):
    gab = CAT.radar("gabala")  # 6,000 km at 1 m2: the horizon limits coverage at these altitudes
    view = RadarView(gab, model="4/3")  # the closed form is the 4/3 sphere's
    geom = coverage_at_altitudes(view, [alt_m])[0].geometry
    want = s_horizon(view.antenna_height_msl_m, alt_m)
    got = edge_distance(geom, gab.lat_deg, gab.lon_deg, az, 1.3 * want)
    # The edge lands within ~3e-7 of the closed form (polygon vertices and the ray's
    # sampling); rel=5e-5 admits that and rejects a wrong Earth radius: R = 6,378 km in
    # place of 6,371 km moves this edge by 5.5-6e-4 (issue 17 audit).
    assert got == pytest.approx(want, rel=5e-5)


def test_smooth_earth_range_edge_matches_closed_form():
    gab = CAT.radar("gabala")
    view = RadarView(gab, rcs_m2=0.01)  # R = 6,000 km x 0.01^(1/4) = 1,897.4 km (SOURCES.md rule)
    assert view.max_range_m == pytest.approx(6e6 * 0.01**0.25)
    alt = 1_000e3
    geom = coverage_at_altitudes(view, [alt])[0].geometry
    # Slant range on a 6,371 km sphere: rho^2 = a^2 + c^2 - 2ac cos(s/R), solved for s.
    r = 6_371_000.0
    a, c = r + view.antenna_height_ellipsoidal_m, r + alt + view.n_site_m
    want = r * np.arccos((a * a + c * c - view.max_range_m**2) / (2 * a * c))
    assert want < s_horizon(view.antenna_height_msl_m, alt)  # the range limit binds
    got = edge_distance(geom, gab.lat_deg, gab.lon_deg, 160.0, 1.3 * want)
    # rel=5e-5: as above; a range law off by 1 % in R moves this edge by >1 %.
    assert got == pytest.approx(want, rel=5e-5)


def test_min_elevation_and_cone_of_silence():
    base = CAT.radar("deveselu")
    radar = dataclasses.replace(base, min_elevation_deg=5.0, max_elevation_deg=60.0,
                                reference_range_m=5e6)
    view = RadarView(radar, model="4/3")  # the closed form is the 4/3 sphere's
    alt = 300e3
    geom = coverage_at_altitudes(view, [alt])[0].geometry
    outer = s_horizon(view.antenna_height_msl_m, alt, 5.0)
    # rel=5e-5: the closed form to the polygon's resolution; a 6,378 km Earth is off by ~6e-4.
    assert edge_distance(geom, radar.lat_deg, radar.lon_deg, 45.0, 1.3 * outer) == pytest.approx(outer, rel=5e-5)
    # Above 60 deg elevation nothing is seen: a hole around the radar of radius s(60 deg).
    inner = s_horizon(view.antenna_height_msl_m, alt, 60.0)
    assert len(geom.interiors) == 1
    hole = shapely.Polygon(geom.interiors[0])
    lat, lon = gc.destination(radar.lat_deg, radar.lon_deg, 200.0, 0.97 * inner)
    assert hole.contains(Point(lon, lat))
    lat, lon = gc.destination(radar.lat_deg, radar.lon_deg, 200.0, 1.03 * inner)
    assert geom.contains(Point(lon, lat))


def test_sector_edges_are_exact():
    brdy = CAT.radar("brdy-emr")
    geom = coverage_at_altitudes(RadarView(brdy), [300e3])[0].geometry
    for az, inside in ((42.7 + 0.3, True), (42.7 - 0.3, False), (162.7 - 0.3, True), (162.7 + 0.3, False)):
        lat, lon = gc.destination(brdy.lat_deg, brdy.lon_deg, az, 800e3)
        assert geom.contains(Point(lon, lat)) is inside


def test_polygons_valid_across_antimeridian_and_pole():
    ship = dataclasses.replace(CAT.radar("aegis-north-sea"), id="pacific", lat_deg=-10.0, lon_deg=179.5,
                               reference_range_m=3e6)
    geom = coverage_at_altitudes(RadarView(ship), [500e3])[0].geometry
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    assert geom.bounds[0] == pytest.approx(-180) and geom.bounds[2] == pytest.approx(180)
    polar = dataclasses.replace(CAT.radar("aegis-north-sea"), id="polar", lat_deg=88.0, lon_deg=10.0,
                                reference_range_m=3e6)
    geom = coverage_at_altitudes(RadarView(polar), [500e3])[0].geometry
    assert geom.is_valid and geom.covers(Point(0.0, 90.0))


def test_properties_on_every_feature():
    feats = coverage_at_altitudes(RadarView(CAT.radar("kurecik"), rcs_m2=0.1, model="4/3"), [100e3, 300e3])
    for f in feats:
        p = f.properties
        assert p["radar_id"] == "kurecik" and p["rcs_m2"] == 0.1
        assert p["refraction_model"] == "4/3" and p["terrain"] is False
        assert p["geocover_version"] == gc.__version__ and p["altitude_m"] in (100e3, 300e3)


def test_reasons():
    brdy = CAT.radar("brdy-emr")
    view = RadarView(brdy)
    # Behind the radar (Berlin bears ~10 deg, outside 42.7-162.7): sector.
    assert view.visibility(52.52, 13.405, 100e3).to_dict()["blocked_by"] == "sector"
    # Tehran at 100 km: below the radar horizon 3,405 km away (closed form: ~730 km needed).
    t = CAT.launch_site("tehran")
    assert view.visibility(t.lat_deg, t.lon_deg, 100e3).to_dict()["blocked_by"] == "horizon"
    # Up high near the radar but above the maximum elevation.
    tall = RadarView(dataclasses.replace(brdy, max_elevation_deg=45.0))
    lat, lon = gc.destination(brdy.lat_deg, brdy.lon_deg, 100.0, 50e3)
    assert tall.visibility(lat, lon, 500e3).to_dict()["blocked_by"] == "elevation"
    # Beyond R(rcs): 0.0001 m2 gives 2,000 km x 0.1^(1/2)... = 632 km.
    small = RadarView(brdy, rcs_m2=1e-4)
    lat, lon = gc.destination(brdy.lat_deg, brdy.lon_deg, 100.0, 900e3)
    assert small.visibility(lat, lon, 300e3).to_dict()["blocked_by"] == "range"
    assert view.visibility(lat, lon, 300e3).to_dict() == {**view.visibility(lat, lon, 300e3).to_dict(),
                                                           "visible": True, "blocked_by": None}


def test_terrain_blocks_low_targets_behind_mountains():
    kur = dataclasses.replace(CAT.radar("kurecik"), min_elevation_deg=-5.0)
    smooth, rough = RadarView(kur), RadarView(kur, terrain=True)
    azs = rough.mask.azimuths_deg
    h = np.where((azs > 35) & (azs < 145), rough.mask.horizon_deg, -90.0)
    az = float(azs[np.argmax(h)])  # the most obstructed azimuth inside the 30-150 deg sector
    assert h.max() > 0.0  # terrain rises above the horizontal there (0.49 deg on GLOBE 2' max)
    lat, lon = gc.destination(kur.lat_deg, kur.lon_deg, az, 290e3)
    assert smooth.visibility(lat, lon, 3_000.0).to_dict()["visible"]
    assert rough.visibility(lat, lon, 3_000.0).to_dict()["blocked_by"] == "terrain"


def test_mda_raster_is_consistent_with_point_visibility():
    view = RadarView(CAT.radar("kurecik"), rcs_m2=0.01, terrain=True)
    grid = min_detectable_altitude(view, (30.0, 30.0, 50.0, 45.0), 0.25)
    lats, lons = grid.cell_centres()
    lat2, lon2 = np.meshgrid(lats, lons, indexing="ij")
    v = grid.values_m
    ok = np.isfinite(v)
    assert 50 < ok.sum() < ok.size  # some visible and some never-visible cells
    above = view.visibility(lat2[ok], lon2[ok], v[ok] + 50.0)
    below = view.visibility(lat2[ok], lon2[ok], v[ok] - 50.0)
    assert above.visible.mean() > 0.99
    assert (~below.visible).mean() > 0.99
    # Never-visible cells stay invisible at any altitude up to 1,500 km.
    for alt in (1e3, 100e3, 500e3, 1500e3):
        assert not view.visibility(lat2[~ok], lon2[~ok], alt).visible.any()


def test_mda_smooth_earth_matches_closed_form():
    gab = CAT.radar("gabala")
    view = RadarView(gab, model="4/3")  # the closed form is the 4/3 sphere's
    grid = min_detectable_altitude(view, (44.0, 30.0, 52.0, 36.0), 0.5)
    lats, lons = grid.cell_centres()
    d, _, _ = gc.inverse(gab.lat_deg, gab.lon_deg, lats[3], lons[5])
    want = gc.lowest_visible_altitude(d, view.antenna_height_msl_m)
    n_site, n_cell = gc.geoid_undulation(gab.lat_deg, gab.lon_deg), gc.geoid_undulation(lats[3], lons[5])
    assert grid.values_m[3, 5] == pytest.approx(want + n_site - n_cell, abs=1.0)


def test_k_coverage_of_two_circles():
    a = gc.geodesic_circle(45.0, 10.0, 500e3)
    b = gc.geodesic_circle(45.0, 14.0, 500e3)
    union, two, pieces = k_coverage({"a": a, "b": b}, 2)
    assert two.area == pytest.approx(a.intersection(b).area, rel=1e-6)
    assert union.area == pytest.approx(a.union(b).area, rel=1e-6)
    ids = sorted(tuple(sorted(i)) for _, i in pieces)
    assert ids == [("a",), ("a", "b"), ("b",)]


def test_brdy_sees_nothing_over_iran_below_several_hundred_km():
    # Lewis & Postol / MDA: the Czech radar cannot see the early flight from Iran. With the
    # 4/3 closed form, the lowest visible altitude over Tabriz (2,430 km away) is ~330 km
    # and over Tehran (3,405 km) ~730 km.
    view = RadarView(CAT.radar("brdy-emr"), terrain=True)
    for site, floor_km in (("tabriz", 300), ("tehran", 600), ("isfahan", 600), ("shahrud", 600)):
        s = CAT.launch_site(site)
        for alt in (50e3, 150e3, floor_km * 1e3):
            assert not view.visibility(s.lat_deg, s.lon_deg, alt).visible, (site, alt)
    # ... while the Kürecik radar, 750 km from Tabriz, sees a missile there at 100 km.
    kur = RadarView(CAT.radar("kurecik"), terrain=True)
    t = CAT.launch_site("tabriz")
    assert kur.visibility(t.lat_deg, t.lon_deg, 100e3).visible


def test_bad_inputs():
    view = RadarView(CAT.radar("gabala"))
    with pytest.raises(gc.InputError):
        coverage_at_altitudes(view, [-5.0])
    with pytest.raises(gc.InputError):
        RadarView(CAT.radar("gabala"), rcs_m2=0.0)
    with pytest.raises(gc.InputError):
        min_detectable_altitude(view, (10, 10, 5, 20), 0.1)
