"""An independent reference flight for the aim tests: the documented boost, then scipy's DOP853
on the two-body equations, on the rotating spherical Earth (PHYSICS.md).

Shared by tests/test_aim_fast.py, tests/test_aim_westward.py, tests/test_hostile_speed.py and
tests/test_min_energy_rotating.py; nothing here comes from geocover (constants typed with their
source)."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

MU = 398_600.4418e9  # m^3/s^2, Earth's gravitational parameter (WGS84 / IERS; PHYSICS.md)
OMEGA = 7.2921159e-5  # rad/s, Earth's rotation rate (PHYSICS.md)
R = 6_371_000.0  # m, the model's spherical Earth for the dynamics (PHYSICS.md)
Z = np.array([0.0, 0.0, 1.0])


def unit_vector(lat_deg: float, lon_deg: float) -> np.ndarray:
    """Earth-fixed unit vector of a point on the sphere."""
    la, lo = np.radians(lat_deg), np.radians(lon_deg)
    return np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def east_north(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit east and north vectors at ``u``."""
    e = np.cross(Z, u)
    e /= np.linalg.norm(e)
    return e, np.cross(u, e)


def sphere_destination(lat_deg, lon_deg, az_deg, dist_m):
    """Great-circle destination (deg) on the model sphere (R above) of ``dist_m`` (m) along
    azimuth ``az_deg`` from a point: the standard spherical formula (e.g. Williams, Aviation
    Formulary, "lat/lon given radial and distance"). Longitude is not wrapped to +-180."""
    p1, l1, a, d = np.radians(lat_deg), np.radians(lon_deg), np.radians(az_deg), np.asarray(dist_m) / R
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(a))
    l2 = l1 + np.arctan2(np.sin(a) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), np.degrees(l2)


def _hit_ground(t, y):
    return np.linalg.norm(y[:3]) - R


_hit_ground.terminal, _hit_ground.direction = True, -1


def impact(launch: tuple[float, float], az_deg: float, v: float, g_deg: float, cls: tuple[float, float, float], *,
           t_max_s: float = 3e4, rtol: float = 1e-12, atol: float = 1e-5) -> tuple[np.ndarray, float]:
    """Impact (Earth-fixed unit vector) and flight time (s) of the ground-relative burnout state
    (speed ``v`` m/s, flight-path angle ``g_deg``, launch azimuth ``az_deg``) of a class
    ``cls`` = (full burn time s, full burnout altitude m, full burnout speed m/s): the documented
    boost (README "Trajectories": a great circle along the azimuth to ground range
    s_b = v cos(g) t_b R / (3 (R + h_b)), burn t_b f and altitude h_b f^2, f = v / v_full), then
    DOP853 on the two-body equations (inertial velocity = ground-relative + omega x r), the
    impact turned back by omega t."""
    tb_full, hb_full, v_full = cls
    f = min(v / v_full, 1.0)
    tb, hb = tb_full * f, hb_full * f * f
    g = np.radians(g_deg)
    sb = v * np.cos(g) * tb * R / (3.0 * (R + hb))
    u0 = unit_vector(*launch)
    e, n = east_north(u0)
    d0 = np.sin(np.radians(az_deg)) * e + np.cos(np.radians(az_deg)) * n
    ub = np.cos(sb / R) * u0 + np.sin(sb / R) * d0
    d = np.cos(sb / R) * d0 - np.sin(sb / R) * u0
    rb = (R + hb) * ub
    v_in = v * (np.cos(g) * d + np.sin(g) * ub) + OMEGA * np.cross(Z, rb)
    sol = solve_ivp(lambda t, y: np.concatenate([y[3:], -MU * y[:3] / np.linalg.norm(y[:3]) ** 3]),
                    (0.0, t_max_s), np.concatenate([rb, v_in]), events=_hit_ground, method="DOP853", rtol=rtol,
                    atol=atol)
    t_c, r = sol.t_events[0][0], sol.y_events[0][0][:3]
    c, s = np.cos(-OMEGA * t_c), np.sin(-OMEGA * t_c)
    r = np.array([c * r[0] - s * r[1], s * r[0] + c * r[1], r[2]])
    return r / np.linalg.norm(r), tb + t_c
