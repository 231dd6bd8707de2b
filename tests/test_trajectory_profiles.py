"""Lofted and depressed flights by apogee or flight-path angle, checked against an
independent integration; boost kinematics continuous at burnout; energy management.

The reference integrates the two-body equations of motion with scipy's DOP853 from the
burnout state the trajectory reports, using only numpy and the constants typed below (no
geocover code): the launch-to-burnout great circle gives the heading at burnout, Earth
rotation enters as omega x r added to the ground-relative velocity, and the impact point is
turned back by omega * t.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.integrate import solve_ivp

import geocover as gc
from geocover.cli.main import cli
from geocover.trajectory import aim, aim_missile, fly

CAT = gc.default_catalog()

# Constants typed here, not imported from the code under test:
MU = 398_600.4418e9  # m^3/s^2, Earth's gravitational parameter (WGS84 / IERS; PHYSICS.md)
OMEGA = 7.2921159e-5  # rad/s, Earth's rotation rate (WGS84; PHYSICS.md)
R = 6_371_000.0  # m, the model's spherical Earth (PHYSICS.md: "R = 6,371 km sphere for the dynamics")
Z = np.array([0.0, 0.0, 1.0])


def _vec(lat_deg, lon_deg):
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    return np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _reference(traj, i=0):
    """Independent two-body integration from the reported burnout state: returns impact
    (lat, lon) in the Earth-fixed frame, free-flight time (s) and apogee (m above R)."""
    u0 = _vec(traj.launch_lat_deg[i], traj.launch_lon_deg[i])
    ub = _vec(traj.burnout_lat_deg[i], traj.burnout_lon_deg[i])
    if traj.boost_range_m[i] > 0:
        # heading at burnout: along the great circle from the launch point, away from it
        d = -(u0 - np.dot(u0, ub) * ub)
    else:  # burnout at the launch point: the launch azimuth
        east = np.cross(Z, ub)
        east /= np.linalg.norm(east)
        north = np.cross(ub, east)
        az = np.radians(traj.azimuth_deg[i])
        d = np.sin(az) * east + np.cos(az) * north
    d /= np.linalg.norm(d)
    g = np.radians(traj.flight_path_angle_deg[i])
    r0 = (R + traj.burnout_altitude_m[i]) * ub
    v0 = traj.burnout_speed_mps[i] * (np.cos(g) * d + np.sin(g) * ub)
    if traj.rotating:
        v0 = v0 + OMEGA * np.cross(Z, r0)

    def rhs(_t, y):
        r = y[:3]
        return np.concatenate([y[3:], -MU * r / np.linalg.norm(r) ** 3])

    def hit(_t, y):
        return np.linalg.norm(y[:3]) - R

    def top(_t, y):
        return np.dot(y[:3], y[3:])  # radial velocity * r: zero at apogee

    hit.terminal, hit.direction = True, -1
    top.direction = -1
    sol = solve_ivp(rhs, (0, 2e4), np.concatenate([r0, v0]), events=[hit, top], rtol=1e-11, atol=1e-5,
                    method="DOP853")
    t_ff = sol.t_events[0][0]
    r_in = sol.y_events[0][0][:3]
    apogee = (np.linalg.norm(sol.y_events[1][0][:3]) if len(sol.t_events[1]) else np.linalg.norm(r0)) - R
    ang = -OMEGA * t_ff if traj.rotating else 0.0
    r_ef = np.array([np.cos(ang) * r_in[0] - np.sin(ang) * r_in[1],
                     np.sin(ang) * r_in[0] + np.cos(ang) * r_in[1], r_in[2]])
    lat = np.degrees(np.arcsin(r_ef[2] / np.linalg.norm(r_ef)))
    lon = np.degrees(np.arctan2(r_ef[1], r_ef[0]))
    return lat, lon, t_ff, apogee


def _target(lat, lon, az_deg, dist_m):
    """A point dist_m from (lat, lon) along az_deg on the WGS84 ellipsoid (pyproj, not geocover)."""
    from pyproj import Geod

    lon2, lat2, _ = Geod(ellps="WGS84").fwd(lon, lat, az_deg, dist_m)
    return lat2, lon2


def _sphere_miss_m(lat1, lon1, lat2, lon2):
    return R * np.arccos(np.clip(np.dot(_vec(lat1, lon1), _vec(lat2, lon2)), -1, 1))


TABRIZ = (38.080, 46.292)  # SOURCES.md launch areas
# (class, share of the class's nominal range, launch azimuth): westward and eastward flights
GRID = [("shahab-3", 0.7, 290.0), ("sejjil-2", 0.6, 70.0), ("irbm", 0.5, 300.0), ("irbm", 0.8, 120.0),
        ("icbm", 0.55, 330.0), ("topol-m", 0.75, 20.0),
        # eastward beyond the class's non-rotating range: reachable only on the rotating Earth
        ("irbm", 1.03, 90.0)]


def _bounds(m, lat2, lon2, mode, rotating):
    # an apogee of 1 m is infeasible for every class and target: the answer carries the
    # branch's feasible interval
    t, ok = aim_missile(m, *TABRIZ, lat2, lon2, mode=mode, apogee_m=1.0, rotating=rotating, errors="mask")
    assert not ok[0]
    return t.apogee_bounds_m[0]


@pytest.mark.parametrize("rotating", [True, False], ids=["rotating", "still"])
@pytest.mark.parametrize("mid,share,az", GRID)
def test_apogee_requests_against_integration(mid, share, az, rotating):
    m = CAT.missile(mid)
    lat2, lon2 = _target(*TABRIZ, az, share * m.range_m)
    if share > 1 and not rotating:
        _, ok = aim_missile(m, *TABRIZ, lat2, lon2, rotating=False, errors="mask")
        assert not ok[0]  # beyond the nominal range on a still Earth
        return
    lo, me = _bounds(m, lat2, lon2, "depressed", rotating)
    me2, hi = _bounds(m, lat2, lon2, "lofted", rotating)
    assert me == pytest.approx(me2, abs=1.0)  # both branches meet at the minimum-energy flight
    assert lo < me < hi
    # below, at and above the minimum-energy apogee
    for mode, want in (("depressed", lo + 0.3 * (me - lo)), ("depressed", me), ("lofted", me + 0.6 * (hi - me))):
        t, ok = aim_missile(m, *TABRIZ, lat2, lon2, mode=mode, apogee_m=want, rotating=rotating)
        assert ok[0]
        lat, lon, t_ff, apo = _reference(t)
        # the request is met: the brief's 1 km, and in fact to metres (integration error
        # at rtol 1e-11 over <= 40 min is well below 1 m)
        assert abs(apo - want) < 1_000.0
        assert abs(apo - want) < 20.0
        # the flight lands on the target: the aim solver's 1 m tolerance plus integration
        # error; 50 m admits both
        assert _sphere_miss_m(lat, lon, lat2, lon2) < 50.0
        assert t.flight_time_s[0] - t.burn_time_s[0] == pytest.approx(t_ff, abs=0.05)
        assert t.burnout_speed_mps[0] <= gc.trajectory.missile_max_speed_mps(m) * (1 + 1e-9)
        g_lo, g_hi = t.fpa_bounds_deg[0]
        assert g_lo - 1e-9 <= t.flight_path_angle_deg[0] <= g_hi + 1e-9


@pytest.mark.parametrize("rotating", [True, False], ids=["rotating", "still"])
def test_angle_requests_against_integration(rotating):
    m = CAT.missile("irbm")
    lat2, lon2 = 52.230, 21.012  # Warsaw (SOURCES.md)
    for mode, g in (("depressed", 15.0), ("depressed", 25.0), ("lofted", 50.0)):
        t, ok = aim_missile(m, *TABRIZ, lat2, lon2, mode=mode, fpa_deg=g, rotating=rotating)
        assert ok[0] and t.flight_path_angle_deg[0] == pytest.approx(g, abs=1e-9)
        lat, lon, t_ff, apo = _reference(t)
        assert _sphere_miss_m(lat, lon, lat2, lon2) < 50.0  # as above
        assert apo == pytest.approx(t.apogee_m[0], abs=20.0)


def test_infeasible_apogee_names_the_interval():
    m = CAT.missile("irbm")
    lat2, lon2 = 52.230, 21.012  # Warsaw
    lo, me = _bounds(m, lat2, lon2, "depressed", True)
    with pytest.raises(gc.InputError, match=r"apogees from [\d,.]+ to [\d,.]+ km") as err:
        aim_missile(m, *TABRIZ, lat2, lon2, mode="depressed", apogee_m=lo - 5_000.0)
    # the ends are printed to 2 decimals rounded into the interval (lower end up, upper end down)
    msg = str(err.value)
    assert f"{math.ceil(lo / 10) / 100:,.2f}" in msg and f"{math.floor(me / 10) / 100:,.2f}" in msg
    # just inside the interval it flies, on either end
    for want in (lo + 1_000.0, me - 1_000.0):
        t, ok = aim_missile(m, *TABRIZ, lat2, lon2, mode="depressed", apogee_m=want)
        assert ok[0] and abs(t.apogee_m[0] - want) < 1_000.0
    # above the minimum-energy apogee is not depressed
    with pytest.raises(gc.InputError, match="apogees from"):
        aim_missile(m, *TABRIZ, lat2, lon2, mode="depressed", apogee_m=me + 50_000.0)
    # an unreachable target stays a reach error
    with pytest.raises(gc.InputError, match="beyond the reach"):
        aim_missile(CAT.missile("shahab-3"), *TABRIZ, lat2, lon2, mode="depressed", apogee_m=200e3)


def test_without_a_class_any_apogee_in_reach():
    # no class (burnout at the surface): the branches run to 1 deg / the last solvable angle
    t, ok = aim(*TABRIZ, 52.230, 21.012, mode="depressed", apogee_m=150e3)
    assert ok[0] and abs(t.apogee_m[0] - 150e3) < 1_000.0
    t, ok = aim(*TABRIZ, 52.230, 21.012, mode="lofted", apogee_m=3_000e3)
    assert ok[0] and abs(t.apogee_m[0] - 3_000e3) < 1_000.0


def test_cli_issue_example_and_shared_profile_options():
    # the issue: --apogee 300km returned a 631 km apogee
    r = CliRunner().invoke(cli, ["trajectory", "--from", "tabriz", "--to", "warsaw", "--missile", "irbm", "--mode",
                                 "depressed", "--apogee", "300km", "--json"])
    assert r.exit_code == 0, r.output
    assert abs(json.loads(r.output)["apogee_m"] - 300e3) < 1_000.0
    r = CliRunner().invoke(cli, ["trajectory", "--from", "tabriz", "--to", "warsaw", "--missile", "irbm", "--mode",
                                 "depressed", "--apogee", "100km"])
    assert r.exit_code == 2 and "apogees from" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["timeline", "tabriz", "warsaw", "--radars", "fylingdales", "--missile", "irbm",
                                 "--mode", "depressed", "--angle", "15", "--no-terrain", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["flight_path_angle_deg"] == pytest.approx(15.0)
    r = CliRunner().invoke(cli, ["engage", "third-site-2007", "tabriz", "warsaw", "--mode", "lofted", "--apogee",
                                 "1000km", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["reachable"] is True and out["mode"] == "lofted"


def test_engage_out_of_reach_is_not_an_error():
    # Tabriz-Washington (~9,706 km, SOURCES.md) is far beyond an IRBM
    r = CliRunner().invoke(cli, ["engage", "third-site-2007", "tabriz", "washington", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["reachable"] is False and out["defended"] is None


# ------------------------------------------------------------------ boost continuity
def _ecef(lat, lon, h):
    return (R + h)[:, None] * np.stack([_vec(a, b) for a, b in zip(lat, lon, strict=True)])


def _ground_velocity(traj, t_s):
    """Earth-fixed velocity at t_s by central differences of the sampled positions."""
    dt = 1e-3
    s = traj.positions(np.array([[t_s - dt, t_s + dt]]))
    p = _ecef(s.lat_deg[0], s.lon_deg[0], s.altitude_m[0])
    return (p[1] - p[0]) / (2 * dt), p


@pytest.mark.parametrize("kw", [dict(), dict(mode="depressed", fpa_deg=12.0), dict(mode="depressed", fpa_deg=20.0),
                                dict(mode="lofted", fpa_deg=60.0)])
def test_boost_velocity_matches_burnout_state(kw):
    # Before: the boost path's speed just before burnout was 6-12 km/s on depressed flights
    # while the burnout state said 4.4-4.7 km/s. Now the boost ends on the burnout state.
    m = CAT.missile("irbm")
    t, ok = aim_missile(m, *TABRIZ, 52.230, 21.012, **kw)
    assert ok[0]
    tb = t.burn_time_s[0]
    v_before, _ = _ground_velocity(t, tb - 0.01)
    v_after, _ = _ground_velocity(t, tb + 0.01)
    v = t.burnout_speed_mps[0]
    # 0.01 s from burnout, speeds change by a * 0.01 s (< 1 m/s for < 100 m/s^2)
    assert np.linalg.norm(v_before) == pytest.approx(v, abs=2.0)
    assert np.linalg.norm(v_after) == pytest.approx(v, abs=2.0)
    # the flight-path angle of the boost path at burnout
    s = t.positions(np.array([[tb - 0.01]]))
    up = _vec(s.lat_deg[0, 0], s.lon_deg[0, 0])
    g = np.degrees(np.arcsin(np.dot(v_before, up) / np.linalg.norm(v_before)))
    assert g == pytest.approx(t.flight_path_angle_deg[0], abs=0.05)
    # positions continuous across burnout
    a = t.positions(np.array([[tb - 1e-6, tb + 1e-6]]))
    pa = _ecef(a.lat_deg[0], a.lon_deg[0], a.altitude_m[0])
    assert np.linalg.norm(pa[1] - pa[0]) < 0.05  # metres in 2 microseconds at < 8 km/s
    # the boost climbs monotonically from rest
    s = t.positions(np.linspace(0, tb, 200)[None, :])
    assert np.all(np.diff(s.altitude_m[0]) >= -1e-6)


def test_energy_management_short_flights_burn_less():
    m = CAT.missile("irbm")
    lat2, lon2 = _target(*TABRIZ, 300.0, 500e3)
    t, ok = aim_missile(m, *TABRIZ, lat2, lon2)
    v_full = gc.trajectory.missile_max_speed_mps(m)
    f = t.burnout_speed_mps[0] / v_full
    assert ok[0] and f < 0.5
    # thrust termination at t_b f, h_b f^2 (trajectory._managed, constant mean acceleration)
    assert t.burn_time_s[0] == pytest.approx(m.burn_time_s * f, rel=1e-9)
    assert t.burnout_altitude_m[0] == pytest.approx(m.burnout_altitude_m * f * f, rel=1e-9)
    assert t.boost_range_m[0] < 0.25 * 500e3
    # at the class's full speed the full burn
    t, ok = aim_missile(m, *TABRIZ, 52.230, 21.012, fixed_speed=True)
    assert ok[0] and t.burn_time_s[0] == pytest.approx(m.burn_time_s)


def test_numba_and_numpy_boost_profiles_agree(monkeypatch):
    from geocover import _kernels

    if not _kernels.HAVE_NUMBA:
        pytest.skip("numba is not installed")
    # climb slopes q = v sin(g) t_b / h_b on both sides of 3 (the cubic and the power law)
    t = fly([38.0, 10.0, -20.0, 50.0], [46.0, 179.0, -179.0, 0.0], [300.0, 80.0, 200.0, 10.0],
            [4000.0, 7000.0, 2000.0, 6500.0], [40.0, 60.0, 10.0, 75.0], burn_time_s=120, burnout_altitude_m=150e3)
    assert (t._climb_q() < 3).any() and (t._climb_q() > 3).any()
    a = t.sample(64)
    monkeypatch.setenv("GEOCOVER_NO_NUMBA", "1")
    b = t.sample(64)
    assert np.max(np.abs(a.altitude_m - b.altitude_m)) < 1e-3
    assert np.max(np.abs(a.lat_deg - b.lat_deg)) < 1e-9
    assert np.max(np.abs(a.t_s - b.t_s)) < 1e-9


# ------------------------------------------------------------------ J2 on the WGS84 ellipsoid
A_WGS84 = 6_378_137.0  # m, WGS84 semi-major axis (NIMA TR8350.2)
F_WGS84 = 1 / 298.257223563  # WGS84 flattening (NIMA TR8350.2)
J2 = 1.08262668e-3  # WGS84/EGM96: J2 = -sqrt(5) * C20bar, C20bar = -4.84166774985e-4 (NIMA TR8350.2)


def _j2_reference(traj):
    """Bound the spherical model's error: the same burnout state (burnout latitude and
    longitude read as geodetic, burnout altitude above the WGS84 ellipsoid, speed and
    flight-path angle against the geodetic horizontal, heading along the launch geodesic)
    flown with J2 gravity to the ellipsoid's surface. Returns the impact (lat, lon) and the
    free-flight time (s). Geodetic conversions by pyproj (EPSG:4979 <-> 4978)."""
    from pyproj import Geod, Transformer

    e2 = F_WGS84 * (2 - F_WGS84)
    to_ecef = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    to_geo = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)
    geod = Geod(ellps="WGS84")
    lat, lon, h = traj.burnout_lat_deg[0], traj.burnout_lon_deg[0], traj.burnout_altitude_m[0]
    r0 = np.array(to_ecef.transform(lon, lat, h))
    back, _, _ = geod.inv(lon, lat, traj.launch_lon_deg[0], traj.launch_lat_deg[0])
    az = np.radians(back + 180.0)
    la, lo = np.radians(lat), np.radians(lon)
    east = np.array([-np.sin(lo), np.cos(lo), 0.0])
    north = np.array([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)])
    up = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    g = np.radians(traj.flight_path_angle_deg[0])
    v0 = traj.burnout_speed_mps[0] * (np.cos(g) * (np.sin(az) * east + np.cos(az) * north) + np.sin(g) * up)
    v0 = v0 + OMEGA * np.cross(Z, r0)

    def rhs(_t, y):
        r = y[:3]
        rn = np.linalg.norm(r)
        zz = 5 * r[2] ** 2 / rn**2
        k = 1.5 * J2 * MU * A_WGS84**2 / rn**5
        a = -MU * r / rn**3 + k * np.array([r[0] * (zz - 1), r[1] * (zz - 1), r[2] * (zz - 3)])
        return np.concatenate([y[3:], a])

    def height(_t, y):  # geodetic height by Bowring-style iteration
        x, yy, z = y[:3]
        p = np.hypot(x, yy)
        phi = np.arctan2(z, p * (1 - e2))
        for _ in range(4):
            n = A_WGS84 / np.sqrt(1 - e2 * np.sin(phi) ** 2)
            hh = p / np.cos(phi) - n
            phi = np.arctan2(z, p * (1 - e2 * n / (n + hh)))
        return p / np.cos(phi) - A_WGS84 / np.sqrt(1 - e2 * np.sin(phi) ** 2)

    height.terminal, height.direction = True, -1
    sol = solve_ivp(rhs, (0, 2e4), np.concatenate([r0, v0]), events=height, rtol=1e-10, atol=1e-4,
                    method="DOP853")
    t_ff = sol.t_events[0][0]
    ri = sol.y_events[0][0][:3]
    ang = -OMEGA * t_ff
    re = np.array([np.cos(ang) * ri[0] - np.sin(ang) * ri[1], np.sin(ang) * ri[0] + np.cos(ang) * ri[1], ri[2]])
    lon_i, lat_i, _ = to_geo.transform(*re)
    return lat_i, lon_i, t_ff


@pytest.mark.parametrize("mid,launch,target,bound_km", [
    # the issue: "impacts move 10-40 km" between the sphere and J2 on the ellipsoid; measured
    # (this reference): 2 km Tabriz-Warsaw, 13 km Shahrud-Madrid, 36 km Tehran-Washington,
    # 41 km Teykovo-Washington (re-measured 2026-11-29 after the minimum-energy aim was solved
    # to convergence: 34.2 and 40.3 km for the last two). Bounds: the first figures with ~25 %
    # headroom, so a model change that doubles the spherical error fails.
    ("irbm", "tabriz", "warsaw", 5.0), ("irbm", "shahrud", "madrid", 17.0),
    ("icbm", "tehran", "washington", 45.0), ("topol-m", "teykovo", "washington", 52.0)])
def test_spherical_model_error_bounded_by_j2_reference(mid, launch, target, bound_km):
    from pyproj import Geod

    s, t = CAT.launch_site(launch), CAT.target(target)
    traj, ok = aim_missile(CAT.missile(mid), s.lat_deg, s.lon_deg, t.lat_deg, t.lon_deg)
    lat, lon, t_ff = _j2_reference(traj)
    _, _, miss = Geod(ellps="WGS84").inv(t.lon_deg, t.lat_deg, lon, lat)
    assert ok[0] and miss / 1000 < bound_km
    # flight time: the sphere's is within 10 s of J2's (measured 0.2-6.8 s)
    assert abs(t_ff - (traj.flight_time_s[0] - traj.burn_time_s[0])) < 10.0
