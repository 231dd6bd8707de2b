"""Checks against references computed outside geocover (issue 17).

Every constant here is typed in with its source instead of being imported from the module
under test, and every expected value comes from an independent computation (scipy,
pyproj, shapely, a closed form, or the catalog file read as plain JSON). Each test names
the deliberate bug ("mutant") of the issue-17 audit that it exists to catch; each was
applied by hand and seen to fail the test (docs/mutation.md).
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod, Transformer
from scipy.integrate import solve_ivp

import geocover as gc
from geocover._paths import data_dir
from geocover.cli.main import cli
from geocover.footprint import Architecture, combine_launches
from geocover.radar import RadarView
from geocover.scenario import load_scenario
from geocover.trajectory import fly
from geocover.units import parse_quantity

# --- constants typed in, with their sources (never imported from geocover) -----------------
#: Earth's rotation rate, rad/s: IERS Conventions (2010) / NIMA TR8350.2 (WGS84) nominal
#: mean angular velocity, 7.292115e-5 rad/s; 7.2921159e-5 is the IERS value to one more digit.
OMEGA_RAD_S = 7.2921159e-5
#: Geocentric gravitational constant, m^3/s^2: NIMA TR8350.2 / IERS 2010 (EGM96 value).
MU_M3_S2 = 3.986004418e14
#: Mean Earth radius, m: IUGG (Moritz 2000), the sphere PHYSICS.md prescribes for flights.
R_EARTH_M = 6_371_000.0
#: WGS84 semi-major axis (m) and flattening: NIMA TR8350.2, table 3.1.
WGS84_A_M = 6_378_137.0
WGS84_F = 1.0 / 298.257223563

GEOD = Geod(a=WGS84_A_M, f=WGS84_F)  # pyproj's own geodesic (Karney), built from typed constants
LLH_TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)

CAT = gc.default_catalog()


def _catalog_point(file: str, site_id: str) -> tuple[float, float]:
    """(lon, lat) of a site read straight from the catalog GeoJSON file, not via geocover's parser."""
    fc = json.loads((data_dir() / "catalog" / file).read_text(encoding="utf-8"))
    (feat,) = [f for f in fc["features"] if f["properties"]["id"] == site_id]
    lon, lat = feat["geometry"]["coordinates"][:2]
    return float(lon), float(lat)


# ============================================================ writers: lon/lat order, orientation
def test_flight_geojson_is_lon_lat_from_the_catalog_site():
    # Mutant: lat and lon swapped in the flight GeoJSON. RFC 7946 3.1.1: [lon, lat, h].
    lon_t, lat_t = _catalog_point("launch_sites.geojson", "tehran")
    lon_b, lat_b = _catalog_point("targets.geojson", "bucharest")
    r = CliRunner().invoke(cli, ["trajectory", "--from", "tehran", "--to", "bucharest", "--missile", "irbm",
                                 "--geojson"])
    assert r.exit_code == 0, r.output
    fc = json.loads(r.output)
    geom = fc["features"][0]["geometry"]
    parts = [geom["coordinates"]] if geom["type"] == "LineString" else geom["coordinates"]  # cut at 180 deg
    coords = np.array([p for part in parts for p in part])
    # Launch point: written with 6 decimals (precision=6), so 1e-6 deg admits only rounding.
    assert coords[0, :2] == pytest.approx([lon_t, lat_t], abs=1.1e-6)
    # Impact: the aim solver lands within metres (test_trajectory); the last sample is the
    # impact, 0.01 deg (~1 km) admits that and rounding, while a swap is tens of degrees off.
    assert coords[-1, :2] == pytest.approx([lon_b, lat_b], abs=0.01)
    # Heights: ellipsoidal, ~0 at both ends (geoid -> ellipsoid within +-100 m), apogee
    # hundreds of km up.
    assert abs(coords[0, 2]) < 2_000 and abs(coords[-1, 2]) < 200 and coords[:, 2].max() > 200e3


def test_feature_collection_rings_follow_the_right_hand_rule():
    # Mutant: rings written clockwise. RFC 7946 3.1.6: exterior rings counter-clockwise,
    # holes clockwise. Input given the other way round must come out reoriented.
    from geocover.export import feature_collection

    cw_shell = [(20.0, 40.0), (20.0, 45.0), (25.0, 45.0), (25.0, 40.0), (20.0, 40.0)]
    ccw_hole = [(21.0, 41.0), (24.0, 41.0), (24.0, 44.0), (21.0, 44.0), (21.0, 41.0)]
    poly = shapely.Polygon(cw_shell, [ccw_hole])
    assert not shapely.LinearRing(cw_shell).is_ccw  # the input really is clockwise
    other = shapely.Polygon([(x + 10.0, y) for x, y in cw_shell])  # a second, disjoint part
    fc = feature_collection([(poly, {"k": 1}), (shapely.MultiPolygon([poly, other]), {"k": 2})])
    assert fc["features"][1]["geometry"]["type"] == "MultiPolygon"
    # 2 + 2 exterior rings, each CCW, each hole CW, lon first (lon 20-35, lat 40-45)
    assert _assert_rfc7946_polygons(fc, (20.0, 35.0), (40.0, 45.0)) == 3
    assert fc["features"][0]["geometry"]["coordinates"][1]  # the hole survived


def _assert_rfc7946_polygons(fc: dict, lon_range, lat_range) -> int:
    """Every polygon ring of a FeatureCollection: right-hand rule and lon/lat inside the box."""
    n = 0
    for f in fc["features"]:
        g = f["geometry"]
        if g is None or g["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        for shell, *holes in polys:
            n += 1
            assert shapely.LinearRing(shell).is_ccw
            assert all(not shapely.LinearRing(h).is_ccw for h in holes)
            xy = np.array(shell)
            assert lon_range[0] <= xy[:, 0].min() and xy[:, 0].max() <= lon_range[1]
            assert lat_range[0] <= xy[:, 1].min() and xy[:, 1].max() <= lat_range[1]
    return n


def test_footprint_files_by_value(tmp_path):
    # Mutants: battle_space_any computing the minimum; rings clockwise; lon/lat order in the
    # footprint polygons. The GeoTIFFs are read back with rasterio (GDAL) and combined here
    # with numpy: "any" = max over launches that reach a cell, "all" = min.
    import rasterio

    out = tmp_path / "fp"
    box = "18,40,30,56"  # west,south,east,north
    r = CliRunner().invoke(cli, ["footprint", "epaa-phase2-2015", "--launch", "tabriz,tehran", "--resolution",
                                 "1deg", "--bbox", box, "--out", str(out)])
    assert r.exit_code == 0, r.output

    def read(name):
        with rasterio.open(out / f"battle_space_{name}.tif") as ds:
            assert ds.crs.to_epsg() == 4326 and ds.bounds == (18.0, 40.0, 30.0, 56.0)
            return ds.read(1)

    a, b, any_, all_ = read("tabriz"), read("tehran"), read("any"), read("all")
    assert np.isfinite(a).any() and (a > 0).any()
    differ = np.isfinite(a) & np.isfinite(b) & (a != b)
    assert differ.sum() >= 3  # the grids really differ somewhere, or min = max would pass
    np.testing.assert_array_equal(any_, np.fmax(a, b))  # exact: a float32 copy of one of them
    np.testing.assert_array_equal(all_, np.fmin(a, b))
    fc = json.loads((out / "footprint.geojson").read_text())
    assert "crs" not in fc  # RFC 7946 4: no crs member
    assert _assert_rfc7946_polygons(fc, (18.0, 30.0), (40.0, 56.0)) >= 2


def test_combine_launches_hand_values():
    # Hand table: NaN = that launch cannot reach the cell; 0 = reachable, undefended.
    a = np.array([[0.0, 120.0, np.nan, np.nan]])
    b = np.array([[45.0, 30.0, 10.0, np.nan]])
    np.testing.assert_array_equal(combine_launches([a, b], "any"), [[45.0, 120.0, 10.0, np.nan]])
    np.testing.assert_array_equal(combine_launches([a, b], "all"), [[0.0, 30.0, 10.0, np.nan]])


def test_features_to_geodataframe():
    from geocover.export import features_to_geodataframe

    g = shapely.Point(26.103, 44.427)  # lon, lat of Bucharest
    gdf = features_to_geodataframe([(g, {"id": "bucharest", "battle_space_s": 12.5})])
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry.iloc[0].x == 26.103 and gdf.geometry.iloc[0].y == 44.427
    assert gdf.loc[0, "id"] == "bucharest" and gdf.loc[0, "battle_space_s"] == 12.5


# ============================================================ dBsm
@pytest.mark.parametrize("text,m2", [("0dBsm", 1.0), ("-10dBsm", 0.1), ("20dBsm", 100.0), ("-13dbsm", 10 ** -1.3),
                                     ("3 dBsm", 1.9952623149688795)])
def test_dbsm_is_ten_log10(text, m2):
    # Mutant: dBsm with a factor 20. sigma_dBsm = 10 log10(sigma / 1 m^2) (IEEE Std 686-2017);
    # 3 dBsm = 10^0.3 m^2. rel=1e-12 admits float rounding only.
    assert parse_quantity(text, "area") == pytest.approx(m2, rel=1e-12)


def test_dbsm_reaches_the_radar_range_through_the_cli():
    # The same RCS typed in m2 and in dBsm gives the same detection range; the range
    # follows R = R_ref (sigma/sigma_ref)^(1/4) with R_ref, sigma_ref from the catalog file.
    r1 = CliRunner().invoke(cli, ["los", "deveselu", "45,26,100km", "--rcs", "-10dBsm", "--json"])
    r2 = CliRunner().invoke(cli, ["los", "deveselu", "45,26,100km", "--rcs", "0.1", "--json"])
    assert r1.exit_code == 0, r1.output
    assert json.loads(r1.output) == json.loads(r2.output)


# ============================================================ radar range law, both paths
def _radar_for_range_test():
    """A 360-degree radar at Deveselu with no elevation limits: only the range test bites."""
    base = CAT.radar("deveselu")
    return dataclasses.replace(base, half_width_deg=180.0, min_elevation_deg=-90.0, max_elevation_deg=90.0,
                               reference_range_m=1_000_000.0, reference_rcs_m2=1.0)


def _slant_range_pyproj(radar, lat, lon, h_msl, n_site, n_pt):
    """Straight-line distance (m) with pyproj's geodetic->ECEF (EPSG:4979 -> 4978)."""
    x0 = np.array(LLH_TO_ECEF.transform(radar.lon_deg, radar.lat_deg, radar.antenna_height_msl_m + n_site))
    x1 = np.array(LLH_TO_ECEF.transform(lon, lat, h_msl + n_pt))
    return float(np.linalg.norm(x1 - x0))


@pytest.mark.parametrize("az,s_m,h_m", [(45.0, 250e3, 150e3), (200.0, 120e3, 30e3)])
def test_rcs_range_law_in_exact_and_bulk_paths(az, s_m, h_m):
    # Mutant: the RCS exponent changed in the bulk per-sample path. Radar range law
    # (Skolnik, Introduction to Radar Systems, eq. 1.12): R = R_ref (sigma/sigma_ref)^(1/4),
    # so the RCS that puts the range edge at a distance rho is sigma_ref (rho / R_ref)^4.
    from geocover.geoid import geoid_undulation

    radar = _radar_for_range_test()
    view = RadarView(radar, model="4/3")
    lon, lat, _ = GEOD.fwd(radar.lon_deg, radar.lat_deg, az, s_m)
    rho = _slant_range_pyproj(radar, lat, lon, h_m, float(geoid_undulation(radar.lat_deg, radar.lon_deg)),
                              float(geoid_undulation(lat, lon)))
    # +-1 % of rho (1.2-3 km) is the margin: the bulk path's slant range is within ~0.01 % +
    # float32 (~1 m) of the true one; a wrong exponent (1/2 or 1/3 instead of 1/4) moves the
    # edge by 30-70 % at these RCS.
    sig_in, sig_out = (rho * 1.01 / 1e6) ** 4, (rho * 0.99 / 1e6) ** 4
    assert sig_in < 0.1  # far from sigma_ref, where every exponent would agree
    lat3, lon3, h3 = np.full(3, lat), np.full(3, lon), np.full(3, h_m)
    rcs = np.array([sig_in, sig_out, sig_in])
    # exact path, per-point RCS array and per-view scalar RCS
    assert view.visibility(lat3, lon3, h3, rcs_m2=rcs).visible.tolist() == [True, False, True]
    assert view.visibility(lat3, lon3, h3, rcs_m2=rcs).blocked_by.tolist()[1] == "range"
    assert bool(RadarView(radar, rcs_m2=sig_in).visibility(lat, lon, h_m).visible)
    assert not bool(RadarView(radar, rcs_m2=sig_out).visibility(lat, lon, h_m).visible)
    # bulk path, per-sample RCS array (the footprint's path) and scalar RCS
    assert view.visible_fast(lat3, lon3, h3, rcs).tolist() == [True, False, True]
    assert view.visible_fast(lat3, lon3, h3, sig_in).all() and not view.visible_fast(lat3, lon3, h3, sig_out).any()
    assert radar.range_for_rcs_array(rcs) == pytest.approx(1e6 * rcs**0.25, rel=1e-12)
    assert radar.range_for_rcs(sig_in) == pytest.approx(rho * 1.01, rel=1e-12)


# ============================================================ rotating Earth vs scipy
def _scipy_impact(lat_deg, lon_deg, az_deg, v_mps, fpa_deg):
    """Impact (lat, lon) and time of flight of a surface burnout state on a rotating
    spherical Earth: two-body motion integrated in inertial space with scipy (DOP853), the
    ground-relative velocity plus omega x r at burnout, the impact point rotated back by
    -omega t into the Earth-fixed frame. Only the typed constants above are used."""
    lat, lon, az, g = (math.radians(x) for x in (lat_deg, lon_deg, az_deg, fpa_deg))
    up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    north = np.cross(up, east)
    r0 = R_EARTH_M * up
    v0 = v_mps * (math.cos(g) * (math.sin(az) * east + math.cos(az) * north) + math.sin(g) * up)
    v0 = v0 + np.cross([0.0, 0.0, OMEGA_RAD_S], r0)

    def rhs(_t, y):
        r = y[:3]
        return np.concatenate([y[3:], -MU_M3_S2 * r / np.linalg.norm(r) ** 3])

    def hit(t, y):
        return np.linalg.norm(y[:3]) - R_EARTH_M if t > 1.0 else 1.0

    hit.terminal, hit.direction = True, -1
    sol = solve_ivp(rhs, (0.0, 2e4), np.concatenate([r0, v0]), events=hit, method="DOP853", rtol=1e-11,
                    atol=1e-4)
    t = float(sol.t_events[0][0])
    x, y, z = sol.y_events[0][0][:3]
    c, s = math.cos(-OMEGA_RAD_S * t), math.sin(-OMEGA_RAD_S * t)
    xe, ye = c * x - s * y, s * x + c * y
    return math.degrees(math.atan2(z, math.hypot(xe, ye))), math.degrees(math.atan2(ye, xe)), t


@pytest.mark.parametrize("lat,lon,az", [(35.7, 51.4, 315.0), (0.0, 0.0, 90.0), (55.0, 37.6, 10.0)])
def test_rotating_earth_impact_matches_scipy(lat, lon, az):
    # Mutant: Earth rotation x1.25 (a 10,000 km shot lands 495 km away). A ~10,000 km
    # minimum-energy-like shot (7.2 km/s at 22.5 deg, PHYSICS.md's table): the Earth turns
    # ~8 deg under it, so 1 % error in omega moves the impact ~20 km. The two solutions
    # agree to ~3 cm and 1e-5 s (integrator at rtol 1e-11 vs closed-form Kepler); the 50 m
    # miss and 0.01 s tolerances admit that with margin and reject any omega (or mu) more
    # than ~0.005 % off.
    v, g = 7198.0, 22.52
    lat_ref, lon_ref, t_ref = _scipy_impact(lat, lon, az, v, g)
    t = fly(lat, lon, az, v, g, rotating=True)
    *_, miss = GEOD.inv(lon_ref, lat_ref, t.impact_lon_deg[0], t.impact_lat_deg[0])
    # Both are on the sphere: compare angles (geocentric lat = the sphere's lat here).
    assert abs(miss) < 50.0
    assert t.flight_time_s[0] == pytest.approx(t_ref, abs=0.01)
    # The rotation really matters here: the non-rotating impact is hundreds of km away.
    still = fly(lat, lon, az, v, g, rotating=False)
    *_, far = GEOD.inv(lon_ref, lat_ref, still.impact_lon_deg[0], still.impact_lat_deg[0])
    assert abs(far) > 100e3


def test_range_for_state_closed_form():
    # Free-flight range angle for launch and impact at the same radius (Bate, Mueller &
    # White 1971, eq. 6.2-7 rearranged): tan(psi/2) = nu sin g cos g / (1 - nu cos^2 g),
    # nu = v^2 R / mu. rel=1e-9 admits float rounding of two different formulas.
    from geocover.trajectory import range_for_state

    v = np.array([3016.0, 4865.0, 7198.0])
    g = np.array([42.75, 38.26, 22.52])
    nu = v * v * R_EARTH_M / MU_M3_S2
    gr = np.radians(g)
    psi = 2 * np.arctan2(nu * np.sin(gr) * np.cos(gr), 1 - nu * np.cos(gr) ** 2)
    assert range_for_state(v, g) == pytest.approx(psi, rel=1e-9)
    # PHYSICS.md table: these states fly 1,000 / 3,000 / 10,000 km (to its 4 digits).
    assert psi * R_EARTH_M / 1e3 == pytest.approx([1000, 3000, 10000], rel=2e-3)
    assert np.isnan(range_for_state(12_000.0, 10.0))  # escape speed: never comes down


# ============================================================ engagement timing by hand
HAND_PATH = None


def _hand_scenario(tmp_path, commit_s=0.0, kill_s=60.0):
    from test_footprint import HAND

    p = tmp_path / f"hand_{commit_s}_{kill_s}.toml"
    text = HAND.format(commit=commit_s, can_search="true")
    p.write_text(text.replace("samples = 600", f"samples = 600\nkill_assessment_s = {kill_s}"))
    return load_scenario(p)


def _hand_reference():
    """The hand case of test_footprint (360-degree radar and a 10 km/s interceptor, both at
    Bucharest, threat from Tehran) computed outside the engagement code:

    * detection: the first time the warhead is above the grazing ray of the 4/3-Earth
      horizon (R_e = 4/3 * 6,371 km, antenna 80 + 10 m): a point at ground angle theta
      beyond the horizon angle theta_h = arccos(R_e / (R_e + h_a)) is visible when its
      height is above R_e / cos(theta - theta_h) - R_e (tangent line);
    * track formed 10 s later (min_track_s), launch after the commit delay;
    * flyout time from kepler_time_to_point (checked against a brute-force search of
      Kepler arcs in test_footprint) - the engagement code only reads its table;
    * window: altitude 100-300 km, ground range <= 1,000 km from the battery.
    """
    from geocover.interceptor import kepler_time_to_point

    t_site, b_site = CAT.launch_site("tehran"), CAT.target("bucharest")
    traj, _ = gc.trajectory.aim_missile(CAT.missile("irbm"), t_site.lat_deg, t_site.lon_deg, b_site.lat_deg,
                                        b_site.lon_deg)
    tt = np.arange(0.0, traj.flight_time_s[0], 0.05)
    pos = traj.positions(tt[None, :])
    lat, lon, alt = pos.lat_deg[0], pos.lon_deg[0], pos.altitude_m[0]
    _, _, s = GEOD.inv(np.full(tt.size, b_site.lon_deg), np.full(tt.size, b_site.lat_deg), lon, lat)
    re, h_a = 4.0 / 3.0 * R_EARTH_M, 90.0
    th_h = math.acos(re / (re + h_a))
    th = s / re
    with np.errstate(over="ignore", invalid="ignore"):
        need = np.where(th > th_h, re / np.cos(np.minimum(th - th_h, 1.5)) - re, -np.inf)
    t_det = tt[np.argmax(alt >= need)]
    window = (alt >= 100e3) & (alt <= 300e3) & (s <= 1_000e3)
    t_fly = np.where(window, kepler_time_to_point(s, alt, 10_000.0), np.nan)
    return tt, window, t_fly, t_det, traj.flight_time_s[0]


@pytest.fixture(scope="module")
def hand_ref():
    return _hand_reference()


def _engage_hand(sc):
    t, b = CAT.launch_site("tehran"), CAT.target("bucharest")
    # the reference is the 4/3-Earth horizon (the default visibility model is the ray-traced CRPL)
    return Architecture(sc, model="4/3").engage_points(t.lat_deg, t.lon_deg, b.lat_deg, b.lon_deg).row(0)


def test_hand_detection_time(tmp_path, hand_ref):
    # Sampling: 600 samples over ~860 s (~1.5 s apart, finer in boost): 3 s admits one
    # sample either way; the 4/3-Earth horizon is ~4,000 km of ground at this height, so
    # R = 6,378 km in place of 6,371 km moves the edge ~20-40 s here (checked by hand).
    tt, window, t_fly, t_det, tof = hand_ref
    row = _engage_hand(_hand_scenario(tmp_path))
    assert row["first_detection_t_s"] == pytest.approx(t_det, abs=3.0)
    assert row["warning_time_s"] == pytest.approx(tof - t_det, abs=3.0)


@pytest.mark.parametrize("commit_s", [0.0, 510.0, 560.0, 600.0, 640.0])
def test_commit_delay_shrinks_the_battle_space_by_hand(tmp_path, hand_ref, commit_s):
    # Battle space = time the warhead spends in the window at or after the earliest time an
    # interceptor launched at t_det + 10 s + commit can be there: t >= t_launch + t_fly(t).
    # Tolerance 4 s: the engine integrates on ~1.5 s samples with trapezoid weights (one
    # sample at each edge) and a bilinear flyout table; a commit delay mis-applied by 10 s
    # or more fails.
    tt, window, t_fly, t_det, _ = hand_ref
    t_launch = t_det + 10.0 + commit_s
    ok = window & (tt >= t_launch + t_fly)
    want = ok.sum() * 0.05
    row = _engage_hand(_hand_scenario(tmp_path, commit_s=commit_s))
    assert row["battle_space_s"] == pytest.approx(want, abs=4.0)
    if 0 < want:
        assert row["earliest_t_s"] == pytest.approx(tt[ok][0], abs=3.0)


def test_commit_delays_pick_intermediate_values(hand_ref):
    # The commit delays above must cut into the window, not only switch the defence on/off:
    # the hand reference gives full, partial and zero battle space among them.
    tt, window, t_fly, t_det, _ = hand_ref
    spaces = [(window & (tt >= t_det + 10.0 + c + t_fly)).sum() * 0.05 for c in (0.0, 510.0, 560.0, 600.0, 640.0)]
    full = spaces[0]
    assert full > 60 and any(10 < x < full - 10 for x in spaces) and spaces[-1] == 0


def test_shoot_look_shoot_by_hand(tmp_path, hand_ref):
    # Mutant: kill-assessment delay ignored. A second shot is possible when some point of
    # the window satisfies t >= t1 + kill_assessment + t_fly(t), t1 = first opportunity.
    # The critical kill-assessment time is max(t - t1 - t_fly(t)) over the window; 8 s on
    # either side admits the sampling (~1.5 s) and table interpolation of the engine.
    tt, window, t_fly, t_det, _ = hand_ref
    ok = window & (tt >= t_det + 10.0 + t_fly)
    t1 = tt[ok][0]
    critical = np.nanmax(np.where(window, tt - t1 - t_fly, np.nan))
    assert 20.0 < critical < 200.0  # a real window for both cases
    yes = _engage_hand(_hand_scenario(tmp_path, kill_s=critical - 8.0))
    no = _engage_hand(_hand_scenario(tmp_path, kill_s=critical + 8.0))
    assert yes["defended"] and yes["shoot_look_shoot"]
    assert no["defended"] and not no["shoot_look_shoot"]
    assert no["battle_space_s"] == yes["battle_space_s"]  # the assessment time changes only SLS
