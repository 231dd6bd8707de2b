"""Ballistic missile trajectories: a documented boost model, then Kepler free flight in the
inertial frame, on a rotating Earth by default; aim solvers; sampling.

Model (see the README's "Trajectories" section)
-----------------------------------------------
* Dynamics on a sphere of radius R = 6,371 km, mu = 398,600.4418 km^3/s^2, Earth rotation
  omega = 7.2921159e-5 rad/s about the z axis. Latitudes/longitudes are used as spherical
  coordinates on that sphere; altitudes are above it (reported as above mean sea level).
* Boost: from the launch point the missile climbs from rest along the launch azimuth to its
  burnout point at altitude h_b after burn time t_b, with ground range s_b * tau^3 and
  altitude h_b * c(tau) (tau = t / t_b): a vertical start that pitches over. It ends on the
  burnout state, position and velocity: s_b = v cos(gamma) t_b R / (3 (R + h_b)) (horizontal
  speed) and c(tau) = (3 - q) tau^2 + (q - 2) tau^3, or tau^q for q > 3, with
  q = v sin(gamma) t_b / h_b (vertical speed). The boost is flown relative to the rotating
  Earth. Energy management: a flight that needs burnout speed v below the class's full
  speed v_full burns for t_b f to h_b f^2, f = v / v_full (thrust termination at a constant
  mean acceleration), so short flights do not climb to the full burnout altitude.
* Lofted and depressed flights: the family of trajectories through the target, one per
  burnout flight-path angle, each aimed by Newton's method; an apogee request is a
  bracketed root on that family (see :func:`aim`).
* Burnout state: speed v relative to the ground, flight-path angle gamma, azimuth along the
  great circle. On a rotating Earth the inertial velocity is v + omega x r.
* Free flight: a Kepler conic from the burnout state to the surface (|r| = R), propagated
  in inertial space; positions are rotated back to the Earth-fixed frame by omega * t.
* Closed form on a non-rotating Earth (PHYSICS.md), generalised to burnout radius r1 and
  impact radius r2: v^2 = mu (1 - cos psi) / (r1 cos g [(r1/r2) cos g - cos(g + psi)]).

Everything is vectorised over trajectories: arrays of launch points and targets broadcast.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .earth import MEAN_EARTH_RADIUS_M, as_float64
from .errors import GeocoverError, InputError

__all__ = [
    "MU_M3_S2",
    "OMEGA_RAD_S",
    "R_EARTH_M",
    "Samples",
    "Trajectory",
    "aim",
    "aim_missile",
    "aim_profile",
    "check_profile",
    "fly",
    "min_energy_state",
    "missile_max_speed_mps",
    "range_for_state",
]

MU_M3_S2 = 398_600.4418e9
#: Share of a trajectory's samples spent on the boost phase by :meth:`Trajectory.sample`.
BOOST_SAMPLE_SHARE = 0.15
OMEGA_RAD_S = 7.2921159e-5
R_EARTH_M = MEAN_EARTH_RADIUS_M  # the one spherical Earth (geocover.earth)
_Z = np.array([0.0, 0.0, 1.0])


# ------------------------------------------------------------------ sphere helpers
# 3-vector products written out component by component: the same float64 operations, in the
# same order, as np.cross, np.sum(a * b, axis=-1) and np.linalg.norm(a, axis=-1) (numpy's
# reduction over a last axis of length 3 adds (x0 + x1) + x2; tests/test_speed_paths.py checks
# the helpers against numpy), without their per-call overhead on (n, 3) arrays.
def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.sum(a * b, axis=-1)`` of 3-vectors."""
    return (a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]) + a[..., 2] * b[..., 2]


def _norm(a: np.ndarray) -> np.ndarray:
    """``np.linalg.norm(a, axis=-1)`` of 3-vectors."""
    return np.sqrt(_dot(a, a))


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.cross(a, b)`` of 3-vectors (broadcast)."""
    a, b = np.asarray(a), np.asarray(b)
    out = np.empty(np.broadcast_shapes(a.shape, b.shape), np.result_type(a, b))
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    out[..., 0] = a1 * b2 - a2 * b1
    out[..., 1] = a2 * b0 - a0 * b2
    out[..., 2] = a0 * b1 - a1 * b0
    return out


def _cross_z(b: np.ndarray) -> np.ndarray:
    """``np.cross(_Z, b)``: the same operations with the constant axis (0, 0, 1)."""
    out = np.empty(np.shape(b))
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    out[..., 0] = 0.0 * b2 - 1.0 * b1
    out[..., 1] = 1.0 * b0 - 0.0 * b2
    out[..., 2] = 0.0 * b1 - 0.0 * b0
    return out


def _unit(lat_deg, lon_deg) -> np.ndarray:
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    out = np.empty(np.broadcast_shapes(np.shape(lat), np.shape(lon)) + (3,))
    c = np.cos(lat)
    np.multiply(c, np.cos(lon), out=out[..., 0])
    np.multiply(c, np.sin(lon), out=out[..., 1])
    out[..., 2] = np.sin(lat)
    return out


def _latlon(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = _norm(u)
    return (np.degrees(np.arcsin(np.clip(u[..., 2] / n, -1, 1))),
            np.degrees(np.arctan2(u[..., 1] / n, u[..., 0] / n)))


def _east_north(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local east and north unit vectors at unit position vectors u (..., 3)."""
    east = _cross_z(u)
    norm = _norm(east)[..., None]
    pole = norm[..., 0] < 1e-12
    east = np.where(pole[..., None], np.array([0.0, 1.0, 0.0]), east / np.where(norm == 0, 1, norm))
    north = _cross(u, east)
    return east, north


def _direction(u: np.ndarray, az_rad: np.ndarray) -> np.ndarray:
    east, north = _east_north(u)
    return np.sin(az_rad)[..., None] * east + np.cos(az_rad)[..., None] * north


def _great_circle(u0: np.ndarray, az_rad: np.ndarray, angle_rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point at central angle ``angle`` along azimuth from u0, and the direction of travel there."""
    d = _direction(u0, az_rad)
    ca, sa = np.cos(angle_rad)[..., None], np.sin(angle_rad)[..., None]
    return ca * u0 + sa * d, -sa * u0 + ca * d


def _azimuth_and_angle(u1: np.ndarray, u2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Initial azimuth (rad) and central angle (rad) of the great circle u1 -> u2."""
    east, north = _east_north(u1)
    cross = _norm(_cross(u1, u2))
    dot = _dot(u1, u2)
    ang = np.arctan2(cross, dot)
    t = u2 - dot[..., None] * u1
    az = np.arctan2(_dot(t, east), _dot(t, north))
    return az, ang


def _rot_z(v: np.ndarray, angle_rad: ArrayLike) -> np.ndarray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    v0, v1 = v[..., 0], v[..., 1]
    out = np.empty(np.broadcast_shapes(np.shape(c), v0.shape) + (3,))
    out[..., 0] = c * v0 - s * v1
    out[..., 1] = s * v0 + c * v1
    out[..., 2] = v[..., 2]
    return out


def _sincos_grid(start: np.ndarray, step: np.ndarray, m: int, out=None) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos of start + j * step (j = 0..m-1), shape (m, n), by the Chebyshev
    recurrence c_j = 2 cos(step) c_(j-1) - c_(j-2): two trig calls per trajectory instead
    of per sample (float64 sin/cos are scalar libm calls, ~20 ns each)."""
    n = start.shape[0]
    s_out, c_out = out if out is not None else (np.empty((m, n)), np.empty((m, n)))
    s_out[0], c_out[0] = np.sin(start), np.cos(start)
    if m > 1:
        s_out[1], c_out[1] = np.sin(start + step), np.cos(start + step)
    k = 2.0 * np.cos(step)
    for j in range(2, m):
        np.multiply(k, s_out[j - 1], out=s_out[j])
        s_out[j] -= s_out[j - 2]
        np.multiply(k, c_out[j - 1], out=c_out[j])
        c_out[j] -= c_out[j - 2]
    return s_out, c_out


def _sincos_small(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos by Taylor series, exact to < 1e-16 for |x| <= 0.5 rad (boost ranges are
    small angles); falls back to numpy beyond."""
    if np.nanmax(np.abs(x), initial=0.0) > 0.5:
        return np.sin(x), np.cos(x)
    x2 = x * x
    sin = x * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72 * (1 - x2 / 110 * (1 - x2 / 156))))))
    cos = 1 - x2 / 2 * (1 - x2 / 12 * (1 - x2 / 30 * (1 - x2 / 56 * (1 - x2 / 90 * (1 - x2 / 132 * (1 - x2 / 182))))))
    return sin, cos


def _climb(tau: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Boost altitude as a share of the burnout altitude at tau = t / t_b: starts at rest
    (zero height and climb rate), ends at 1 with slope q = v sin(gamma) t_b / h_b, so that
    the climb rate at burnout is the burnout state's vertical speed. q <= 3: the cubic
    (3 - q) tau^2 + (q - 2) tau^3 (monotone for 0 < q <= 3); q > 3: tau^q."""
    with np.errstate(invalid="ignore", over="ignore"):
        cubic = (3.0 - q) * tau * tau + (q - 2.0) * tau ** 3
        return np.where(q <= 3.0, cubic, tau ** np.maximum(q, 3.0))


# ------------------------------------------------------------------ closed forms
def range_for_state(speed_mps: ArrayLike, fpa_deg: ArrayLike, r1_m: ArrayLike = R_EARTH_M,
                    r2_m: ArrayLike = R_EARTH_M) -> np.ndarray:
    """Free-flight range angle (rad) from radius r1 with (v, gamma) down to radius r2,
    non-rotating Earth. NaN if the conic never comes down to r2."""
    v, g = as_float64(speed_mps), np.radians(as_float64(fpa_deg))
    r1, r2 = as_float64(r1_m), as_float64(r2_m)
    h = r1 * v * np.cos(g)
    p = h * h / MU_M3_S2
    ecos0 = p / r1 - 1.0
    esin0 = h * v * np.sin(g) / MU_M3_S2
    e = np.hypot(ecos0, esin0)
    nu0 = np.arctan2(esin0, ecos0)
    nu_i, hits = _descent_anomaly(p, e, nu0, r2)
    return np.where(hits, nu_i - nu0, np.nan)


def _descent_anomaly(p, e, nu0, r2):
    """True anomaly where the conic (semi-latus rectum p, eccentricity e) next reaches
    radius r2 after nu0 on the way down, and whether it does at all."""
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (p / r2 - 1.0) / e
        nu_i = -np.arccos(c)
    nu_i = np.where(nu_i <= nu0, nu_i + 2 * np.pi, nu_i)
    return nu_i, (np.abs(c) <= 1.0) & (e < 1.0)


def _speed_for(psi: np.ndarray, g: np.ndarray, r1: np.ndarray, r2: float) -> np.ndarray:
    """Burnout speed (m/s) reaching range angle psi at flight-path angle g (rad)."""
    den = r1 * np.cos(g) * ((r1 / r2) * np.cos(g) - np.cos(g + psi))
    with np.errstate(invalid="ignore", divide="ignore"):
        v2 = MU_M3_S2 * (1.0 - np.cos(psi)) / den
    return np.where((den > 0) & (v2 > 0), np.sqrt(np.abs(v2)), np.inf)


def _boost_range(v: np.ndarray, g: np.ndarray, tb: np.ndarray, hb: np.ndarray) -> np.ndarray:
    """Ground range (m) flown during boost. The boost's ground track is s_b tau^3, so its
    ground speed at burnout is 3 s_b / t_b; at altitude h_b that is a horizontal speed
    (R + h_b) / R * 3 s_b / t_b, set equal to the burnout state's v cos(gamma):
    s_b = v cos(gamma) t_b R / (3 (R + h_b)). Zero without a boost."""
    with np.errstate(invalid="ignore"):
        return np.where((tb > 0) & (hb > 0), v * np.cos(g) * tb * R_EARTH_M / (3.0 * (R_EARTH_M + hb)), 0.0)


def _managed(v, tb_full, hb_full, v_full):
    """Burn time and burnout altitude of a flight at burnout speed ``v`` (energy management
    by thrust termination): a flight that needs less than the class's full burnout speed
    ``v_full`` cuts the engine at t_b f, h_b f^2 with f = v / v_full (constant mean
    acceleration along the path). ``v_full`` None: always the full burn."""
    if v_full is None:
        return np.broadcast_to(tb_full, np.shape(v)), np.broadcast_to(hb_full, np.shape(v))
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.clip(np.nan_to_num(v / v_full, nan=1.0, posinf=1.0), 0.0, 1.0)
    return tb_full * f, hb_full * f * f


def _speed_for_total(total_angle: np.ndarray, g: np.ndarray, tb_full, hb_full, v_full=None,
                     iters: int = 60, v0: np.ndarray | None = None):
    """Burnout speed (m/s) that reaches the total range angle (launch to impact, boost
    included) at flight-path angle g (rad), with the burn time and burnout altitude that
    speed implies; returns ``(v, t_b, h_b, s_b)``, v = inf where none exists.

    v solves v = F(v), F(v) = free-flight speed over the range left after the boost, which
    decreases with v (a faster boost covers more ground, and climbs higher under energy
    management): a unique root in (0, F(0)], found by Newton's method safeguarded by
    bisection on that bracket (started from ``v0`` when given, e.g. a nearby solution)."""
    ang, g = np.broadcast_arrays(np.asarray(total_angle, float), np.asarray(g, float))
    tbf = np.broadcast_to(np.asarray(tb_full, float), ang.shape)
    hbf = np.broadcast_to(np.asarray(hb_full, float), ang.shape)

    def big_f(v, idx=slice(None)):
        tb, hb = _managed(v, tbf[idx], hbf[idx], v_full)
        psi = ang[idx] - _boost_range(v, g[idx], tb, hb) / R_EARTH_M
        return np.where(psi > 0, _speed_for(np.maximum(psi, 1e-12), g[idx], R_EARTH_M + hb, R_EARTH_M), 0.0)

    f0 = big_f(np.zeros(ang.shape))
    ok = np.isfinite(f0)
    lo = np.zeros(ang.shape)
    hi = np.where(ok, f0, 1.0)
    v = hi.copy()
    if v0 is not None:
        v0 = np.broadcast_to(np.asarray(v0, float), ang.shape)
        v = np.where(np.isfinite(v0) & (v0 > 0) & (v0 < hi), v0, v)
    idx = np.flatnonzero(ok)
    for _ in range(iters):
        if idx.size == 0:
            break
        vi = v[idx]
        h = big_f(vi, idx) - vi
        lo[idx] = np.where(h > 0, vi, lo[idx])
        hi[idx] = np.where(h <= 0, vi, hi[idx])
        dv = np.maximum(1e-6 * np.maximum(vi, 1.0), 1e-6)
        dh = (big_f(vi + dv, idx) - (vi + dv)) - h
        with np.errstate(invalid="ignore", divide="ignore"):
            cand = vi - h * dv / dh
        inside = np.isfinite(cand) & (cand >= lo[idx]) & (cand <= hi[idx])
        root = np.abs(h) <= 1e-9 * np.maximum(vi, 1.0)
        v_new = np.where(root, vi, np.where(inside, cand, 0.5 * (lo[idx] + hi[idx])))
        v[idx] = v_new
        idx = idx[~(root | (np.abs(v_new - vi) <= 1e-9 * np.maximum(vi, 1.0)))]
    tb, hb = _managed(v, tbf, hbf, v_full)
    sb = _boost_range(v, g, tb, hb)
    resid = np.abs(big_f(v) - v)
    good = ok & (v > 0) & (resid <= 1e-6 * np.maximum(v, 1.0)) & (ang - sb / R_EARTH_M > 0)
    return np.where(good, v, np.inf), tb, hb, sb


def _bisect(f, lo: np.ndarray, hi: np.ndarray, iters: int = 60) -> np.ndarray:
    """Vectorised bisection for f(x) = 0 with f(lo), f(hi) of opposite signs."""
    a, b = lo.copy(), hi.copy()
    fa = f(a)
    for _ in range(iters):
        m = 0.5 * (a + b)
        fm = f(m)
        same = np.sign(fm) == np.sign(fa)
        a = np.where(same, m, a)
        fa = np.where(same, fm, fa)
        b = np.where(same, b, m)
    return 0.5 * (a + b)


def _min_energy_gamma(psi: np.ndarray, r1: np.ndarray, r2: float) -> np.ndarray:
    """Flight-path angle (rad) of the minimum-speed conic from radius r1 to r2 over range
    angle psi: tan(2 gamma) = sin(psi) / (r1/r2 - cos(psi)) (d v / d gamma = 0 in the
    closed form; gamma = (pi - psi)/4 when r1 = r2)."""
    return 0.5 * np.arctan2(np.sin(psi), r1 / r2 - np.cos(psi))


def min_energy_state(total_angle_rad: ArrayLike, burnout_altitude_m: ArrayLike = 0.0,
                     burn_time_s: ArrayLike = 0.0, full_speed_mps: float | None = None):
    """Minimum-energy flight-path angle (deg) and burnout speed (m/s) for a total ground
    range angle (launch to impact, boost included), non-rotating Earth.

    The free flight from the burnout point is the minimum-energy conic; because the boost
    (its range, and under energy management its burnout altitude) depends on the angle and
    speed, they are solved together by fixed-point iteration; where that does not settle,
    the slowest angle between 5 and 89.5 deg is searched directly. ``full_speed_mps``: the
    class's full burnout speed (energy management, see :func:`_managed`); None: full burn.
    With burnout at the surface this is PHYSICS.md's closed form gamma = (pi - psi)/4,
    v^2 = (mu/R) 2 sin(psi/2) / (1 + sin(psi/2)).
    """
    ang, h_b, t_b = np.broadcast_arrays(np.atleast_1d(as_float64(total_angle_rad)),
                                        np.atleast_1d(as_float64(burnout_altitude_m)),
                                        np.atleast_1d(as_float64(burn_time_s)))
    scalar = all(np.ndim(x) == 0 for x in (total_angle_rad, burnout_altitude_m, burn_time_s))
    has_boost = (t_b > 0) & (h_b > 0)
    r1 = R_EARTH_M + h_b
    g = _min_energy_gamma(ang, r1, R_EARTH_M)
    v = _speed_for(ang, g, r1, R_EARTH_M)
    if has_boost.any():
        for _ in range(80):
            tb, hb = _managed(v, t_b, h_b, full_speed_mps)
            psi = ang - _boost_range(v, g, tb, hb) / R_EARTH_M
            psi_ok = np.maximum(psi, 1e-9)
            g_new = _min_energy_gamma(psi_ok, R_EARTH_M + hb, R_EARTH_M)
            v_new = _speed_for(psi_ok, g_new, R_EARTH_M + hb, R_EARTH_M)
            with np.errstate(invalid="ignore"):
                done = np.all(~np.isfinite(v_new) | ((np.abs(g_new - g) < 1e-11) & (np.abs(v_new - v) < 1e-6)))
            g, v = g_new, v_new
            if done:
                break
        v, *_ = _speed_for_total(ang, g, t_b, h_b, full_speed_mps, v0=v)
    bad = ~np.isfinite(v) | (g < np.radians(1.0))
    if bad.any():
        def speed(x):
            return _speed_for_total(ang[bad], x, t_b[bad], h_b[bad], full_speed_mps)[0]

        nb = int(bad.sum())
        g = g.copy()
        g[bad] = _golden_min(speed, np.full(nb, np.radians(5.0)), np.full(nb, np.radians(89.5)))
        v, *_ = _speed_for_total(ang, g, t_b, h_b, full_speed_mps)
    if scalar:
        return float(np.degrees(g[0])), float(v[0])
    return np.degrees(g), v


def _golden_min(f, lo: np.ndarray, hi: np.ndarray, iters: int = 50) -> np.ndarray:
    """Vectorised golden-section search for the minimiser of a unimodal f on [lo, hi]."""
    invphi = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = lo.copy(), hi.copy()
    for _ in range(iters):
        c, d = b - invphi * (b - a), a + invphi * (b - a)
        left = f(c) < f(d)
        a, b = np.where(left, a, c), np.where(left, d, b)
    return 0.5 * (a + b)

# ------------------------------------------------------------------ trajectories
@dataclass
class Trajectory:
    """Arrays (one entry per trajectory) describing boost, burnout and free flight.

    Times in seconds from launch; positions in degrees; heights in metres above the
    6,371 km sphere (read as above MSL); speeds relative to the ground at burnout.
    """

    launch_lat_deg: np.ndarray
    launch_lon_deg: np.ndarray
    azimuth_deg: np.ndarray
    burnout_lat_deg: np.ndarray
    burnout_lon_deg: np.ndarray
    burnout_altitude_m: np.ndarray
    burnout_speed_mps: np.ndarray
    flight_path_angle_deg: np.ndarray
    burn_time_s: np.ndarray
    boost_range_m: np.ndarray
    impact_lat_deg: np.ndarray
    impact_lon_deg: np.ndarray
    flight_time_s: np.ndarray
    apogee_m: np.ndarray
    rotating: bool
    body_rcs_m2: float = 1.0
    warhead_rcs_m2: float = 0.01
    #: (n, 2) apogees (m) and flight-path angles (deg) of the lofted or depressed branch the
    #: request was solved on (None for other requests): the feasible interval.
    apogee_bounds_m: np.ndarray | None = None
    fpa_bounds_deg: np.ndarray | None = None
    _elements: dict = field(default_factory=dict, repr=False)

    def _nan_rows(self, bad: np.ndarray) -> Trajectory:
        """NaN every result of the rows ``bad`` (in place); returns self."""
        bad = np.asarray(bad, bool)
        if bad.any():
            for name in ("impact_lat_deg", "impact_lon_deg", "flight_time_s", "apogee_m", "burnout_speed_mps",
                         "flight_path_angle_deg", "azimuth_deg"):
                setattr(self, name, np.where(bad, np.nan, getattr(self, name)))
        return self

    @property
    def size(self) -> int:
        return int(np.size(self.flight_time_s))

    def subset(self, idx) -> Trajectory:
        """Trajectories ``idx`` (an index array or boolean mask over the ``size`` flights): every
        per-flight array and Kepler element taken at ``idx``; fields shared by every flight
        (e.g. a scalar burn time) kept as they are."""
        n = self.size

        def pick(v):
            return v[idx] if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == n else v

        kw = {f.name: pick(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "_elements"}
        return Trajectory(**kw, _elements={k: pick(v) for k, v in self._elements.items()})

    @property
    def ground_range_m(self) -> np.ndarray:
        """WGS84 geodesic distance (m) from launch to impact."""
        from .geodesy import inverse

        d, _, _ = inverse(self.launch_lat_deg, self.launch_lon_deg, self.impact_lat_deg,
                          self.impact_lon_deg)
        return np.asarray(d)

    def summary(self, i: int = 0) -> dict:
        """JSON-ready key numbers of trajectory ``i``."""

        def g(a):
            return float(np.asarray(a).reshape(-1)[i])

        return {"impact_lat_deg": g(self.impact_lat_deg), "impact_lon_deg": g(self.impact_lon_deg),
                "ground_range_m": g(self.ground_range_m), "flight_time_s": g(self.flight_time_s),
                "apogee_m": g(self.apogee_m), "burnout_speed_mps": g(self.burnout_speed_mps),
                "flight_path_angle_deg": g(self.flight_path_angle_deg),
                "azimuth_deg": g(self.azimuth_deg) % 360.0, "burn_time_s": g(self.burn_time_s),
                "burnout_altitude_m": g(self.burnout_altitude_m), "rotating_earth": self.rotating}

    def sample(self, n: int | None = None, *, step_s: float | None = None) -> Samples:
        """Positions along every trajectory.

        ``n`` samples per trajectory: the boost phase gets a fixed share of them
        (``BOOST_SAMPLE_SHARE``, 15 %), uniform in time; the free flight is sampled uniformly in eccentric
        anomaly (explicit Kepler: no equation to solve, denser in time where the missile is
        fast), so times are not evenly spaced. ``step_s`` gives evenly spaced times instead
        (Kepler's equation solved by Newton), as many as the longest flight needs.
        """
        tof = np.atleast_1d(self.flight_time_s)
        if step_s is not None:
            if not step_s > 0:
                raise InputError(f"step_s must be > 0, got {step_s}")
            m = int(np.ceil(np.nanmax(tof) / step_s)) + 1
            return self.positions(np.minimum(np.arange(m)[None, :] * step_s, tof[:, None]))
        if n is None or n < 4:
            raise InputError("n must be >= 4")
        tb = np.atleast_1d(self.burn_time_s)
        # a fixed share of the samples for the boost, so that every trajectory is sampled the
        # same way whatever else is in the batch
        n_b = int(np.clip(round(n * BOOST_SAMPLE_SHARE), 2, n - 2)) if np.any(tb > 0) else 0
        out = [np.empty((n, tof.size)) for _ in range(4)]  # t, lat, lon, h; sample-major
        boosting = np.zeros((n, tof.size), bool)
        if n_b:
            boosting[:n_b] = True
            frac = np.linspace(0.0, 1.0, n_b, endpoint=False)
            from ._kernels import boost_profile, use_numba

            if use_numba():
                size = tof.size
                cols = [np.ascontiguousarray(np.broadcast_to(np.atleast_1d(v), (size,)), dtype=float) for v in (
                    self.burn_time_s, np.radians(self.launch_lat_deg), np.radians(self.launch_lon_deg),
                    np.radians(self.azimuth_deg), self.boost_range_m, self.burnout_altitude_m,
                    self._climb_q())]
                boost_profile(frac, *cols, *(o[:n_b] for o in out))
            else:
                self._boost_into(frac[:, None] * tb, [o[:n_b] for o in out])
        self._free_flight_into([o[n_b:] for o in out])
        return Samples(*(o.T for o in out), boosting.T, self.body_rcs_m2, self.warhead_rcs_m2)

    def _free_flight_into(self, out: list[np.ndarray], chunk: int = 8192) -> None:
        """Free flight sampled uniformly in eccentric anomaly into sample-major (m, n)
        arrays t, lat, lon, h (explicit Kepler: no equation to solve). Works through the
        trajectories in chunks with two reused scratch buffers: on this class of machine a
        fresh large array costs more in page faults than the arithmetic on it."""
        m = out[0].shape[0]
        n = self.size
        el = self._elements
        from ._kernels import free_flight_by_anomaly, use_numba

        if use_numba():
            tb = np.ascontiguousarray(np.broadcast_to(np.atleast_1d(self.burn_time_s), (n,)), dtype=float)
            args = [np.ascontiguousarray(el[k], dtype=float) for k in ("e0", "ei", "m0", "n", "e", "a",
                                                                        "pvec", "qvec")]
            free_flight_by_anomaly(*args, tb, OMEGA_RAD_S if self.rotating else 0.0, *out)
            return
        scratch = (np.empty((m, min(chunk, n))), np.empty((m, min(chunk, n))))
        for i0 in range(0, n, chunk):
            sl = slice(i0, min(i0 + chunk, n))
            k = sl.stop - sl.start
            sub = {key: (val[sl] if isinstance(val, np.ndarray) and val.shape[:1] == (n,) else val)
                   for key, val in el.items()}
            tb = np.atleast_1d(self.burn_time_s)[sl]
            self._free_flight_chunk(sub, tb, [o[:, sl] for o in out], (scratch[0][:, :k], scratch[1][:, :k]))

    def _free_flight_chunk(self, el: dict, tb: np.ndarray, out: list[np.ndarray], scratch) -> None:
        t, lat, lon, h = out
        sin_e, cos_e = scratch
        m = t.shape[0]
        e, a = el["e"], el["a"]
        step = (el["ei"] - el["e0"]) / (m - 1)
        _sincos_grid(el["e0"], step, m, out=(sin_e, cos_e))
        # time from launch by Kepler's equation, explicit in E
        np.multiply(np.arange(m)[:, None], step, out=t)
        t += el["e0"] - el["m0"]
        np.multiply(sin_e, e, out=h)
        t -= h
        t /= el["n"]
        # perifocal coordinates (a (cos E - e), b sin E) -> inertial x, y, z
        cos_e -= e
        cos_e *= a
        sin_e *= a * np.sqrt(1.0 - e * e)
        pv, qv = el["pvec"], el["qvec"]
        np.multiply(cos_e, pv[:, 0], out=h)  # h holds x
        np.multiply(sin_e, qv[:, 0], out=lon)
        h += lon
        np.multiply(cos_e, pv[:, 1], out=lat)  # lat holds y
        np.multiply(sin_e, qv[:, 1], out=lon)
        lat += lon
        np.arctan2(lat, h, out=lon)
        np.multiply(cos_e, pv[:, 2], out=lat)  # lat holds z
        np.multiply(sin_e, qv[:, 2], out=h)
        lat += h
        # radius a (1 - e cos E) = a (1 - e^2) - e * a (cos E - e)
        np.multiply(cos_e, -e, out=h)
        h += a * (1.0 - e * e)
        lat /= h
        np.clip(lat, -1.0, 1.0, out=lat)
        np.arcsin(lat, out=lat)
        np.degrees(lat, out=lat)
        if self.rotating:
            np.multiply(t, OMEGA_RAD_S, out=cos_e)
            lon -= cos_e
            lon[lon < -np.pi] += 2 * np.pi
        np.degrees(lon, out=lon)
        h -= R_EARTH_M
        np.maximum(h, 0.0, out=h)
        t += tb

    def _boost_into(self, t: np.ndarray, out: list[np.ndarray]) -> None:
        """Boost positions at times t (m, n), sample-major, into t, lat, lon, h arrays."""
        s = self._boost(t.T)
        for dst, src in zip(out, (s.t_s, s.lat_deg, s.lon_deg, s.altitude_m), strict=True):
            dst[...] = src.T

    def _climb_q(self) -> np.ndarray:
        """Climb-profile exponent q = v sin(gamma) t_b / h_b of every trajectory (see
        :func:`_climb`); 2 where there is no boost."""
        v, g, tb, hb = np.broadcast_arrays(*(np.atleast_1d(x) for x in (
            self.burnout_speed_mps, np.radians(self.flight_path_angle_deg), self.burn_time_s,
            self.burnout_altitude_m)))
        with np.errstate(invalid="ignore", divide="ignore"):
            q = v * np.sin(g) * tb / hb
        return np.where((hb > 0) & (tb > 0) & np.isfinite(q) & (q > 0), q, 2.0)

    def _boost(self, t: np.ndarray) -> Samples:
        """Boost-phase positions at times t (n, m) <= burn time (Earth-fixed profile)."""
        tb = np.atleast_1d(self.burn_time_s)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            tau = np.where(tb > 0, np.clip(t / tb, 0.0, 1.0), 1.0)
        lat0 = np.radians(np.atleast_1d(self.launch_lat_deg))[:, None]
        lon0 = np.radians(np.atleast_1d(self.launch_lon_deg))[:, None]
        az = np.radians(np.atleast_1d(self.azimuth_deg))[:, None]
        ang = (np.atleast_1d(self.boost_range_m)[:, None] * tau**3) / R_EARTH_M
        sin_a, cos_a = _sincos_small(ang)
        # great-circle destination on the sphere
        slat = np.sin(lat0) * cos_a + np.cos(lat0) * sin_a * np.cos(az)
        lat = np.arcsin(np.clip(slat, -1.0, 1.0))
        lon = lon0 + np.arctan2(np.sin(az) * sin_a * np.cos(lat0), cos_a - np.sin(lat0) * slat)
        h = np.atleast_1d(self.burnout_altitude_m)[:, None] * _climb(tau, self._climb_q()[:, None])
        lon[lon > np.pi] -= 2 * np.pi
        lon[lon < -np.pi] += 2 * np.pi
        return Samples(t, np.degrees(lat), np.degrees(lon), h, np.ones(t.shape, bool),
                       self.body_rcs_m2, self.warhead_rcs_m2)

    def positions(self, t_s: ArrayLike, rows: np.ndarray | None = None) -> Samples:
        """Positions at times ``t_s`` (s from launch), shape (n_traj, m) or broadcastable.

        Before burnout the boost profile (see :func:`_climb`); after it the Kepler conic,
        Kepler's equation solved by Newton's method point by point: each point is iterated
        until its own step is below ``_kernels.POS_KEPLER_TOL`` (1e-13 rad), so its position
        does not depend on the other points or flights in the call. The numba kernel
        (``_kernels.positions``) and the numpy path run the same arithmetic (``_kernels``'s
        "Trajectory.positions" section) and agree to the bit.

        ``rows`` (an index array, repeats allowed): row i of ``t_s`` and of the result is flight
        ``rows[i]``; the same values as ``self.subset(rows).positions(t_s)`` without gathering
        every field of the flights (the refinement's new points, one row per point)."""
        from . import _kernels

        el = self._elements
        n_all = np.size(self.flight_time_s)
        idx = np.arange(n_all) if rows is None else np.asarray(rows, np.intp)
        n = idx.size
        tb_all = np.broadcast_to(np.atleast_1d(self.burn_time_s), (n_all,)).astype(float)
        tb = tb_all if rows is None else tb_all[idx]
        t = np.broadcast_to(as_float64(t_s), (n, np.shape(t_s)[-1] if np.ndim(t_s) else 1)).astype(float)
        tof = np.broadcast_to(np.atleast_1d(self.flight_time_s), (n_all,))
        np.clip(t, 0.0, (tof if rows is None else tof[idx])[:, None], out=t)
        boosting = t < tb[:, None]
        cols = [np.ascontiguousarray(np.broadcast_to(np.atleast_1d(v), (n_all,)), dtype=float) for v in (
            self.launch_lat_deg, self.launch_lon_deg, self.azimuth_deg, self.boost_range_m,
            self.burnout_altitude_m, self.burnout_speed_mps, self.flight_path_angle_deg)]
        els = [np.ascontiguousarray(el[k], dtype=float) for k in ("e", "a", "m0", "n", "e0", "ei", "pvec", "qvec")]
        hb = cols[4] if rows is None else cols[4][idx]
        omega = OMEGA_RAD_S if self.rotating else 0.0
        q, lat, lon, h = np.empty(n), np.empty(t.shape), np.empty(t.shape), np.empty(t.shape)
        if _kernels.use_numba():
            _kernels.positions(t, idx, tb_all, *els, *cols, omega, R_EARTH_M, q, lat, lon, h)
        else:
            if rows is not None:
                els, cols = [x[idx] for x in els], [x[idx] for x in cols]
            _positions_np(t, tb, *els, *cols, omega, boosting, q, lat, lon, h)
        high = boosting & (q > 3.0)[:, None]
        if high.any():  # the climb h_b tau^q for q > 3 (a power: numpy's, for both paths)
            ii, jj = np.nonzero(high)
            h[ii, jj] = hb[ii] * (t[ii, jj] / tb[ii]) ** q[ii]
        return Samples(t, lat, lon, h, boosting, self.body_rcs_m2, self.warhead_rcs_m2)


@dataclass
class Samples:
    """Sampled positions, arrays of shape (n_trajectories, n_samples) (possibly views of
    sample-major arrays). Heights are above the 6,371 km sphere (read as MSL)."""

    t_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    altitude_m: np.ndarray
    boosting: np.ndarray
    body_rcs_m2: float = 1.0
    warhead_rcs_m2: float = 0.01

    @property
    def rcs_m2(self) -> np.ndarray:
        """RCS at each sample: the boosting body, then the warhead."""
        return np.where(self.boosting, self.body_rcs_m2, self.warhead_rcs_m2)


def _elements(r0: np.ndarray, v0: np.ndarray) -> dict:
    """Kepler elements for propagation from inertial state (n, 3) to the surface."""
    r = _norm(r0)
    v2 = _dot(v0, v0)
    hv = _cross(r0, v0)
    h = _norm(hv)
    p = h * h / MU_M3_S2
    a = 1.0 / (2.0 / r - v2 / MU_M3_S2)
    vr = _dot(r0, v0) / r
    ecos0, esin0 = p / r - 1.0, h * vr / MU_M3_S2
    e = np.hypot(ecos0, esin0)
    nu0 = np.arctan2(esin0, ecos0)
    nu_i, hits = _descent_anomaly(p, e, nu0, R_EARTH_M)
    ok = hits & (a > 0)
    rhat = r0 / r[:, None]
    what = hv / h[:, None]
    qhat = _cross(what, rhat)
    # perifocal axes: P towards perigee, Q = W x P
    pvec = np.cos(nu0)[:, None] * rhat - np.sin(nu0)[:, None] * qhat
    qvec = _cross(what, pvec)

    def ecc_anom(nu):
        with np.errstate(invalid="ignore"):
            return 2.0 * np.arctan2(np.sqrt(1 - e) * np.sin(nu / 2), np.sqrt(1 + e) * np.cos(nu / 2))

    e0, ei = ecc_anom(nu0), ecc_anom(nu_i)
    ei = np.where(ei < e0, ei + 2 * np.pi, ei)
    m0, mi = e0 - e * np.sin(e0), ei - e * np.sin(ei)
    n = np.sqrt(MU_M3_S2 / np.abs(a) ** 3)
    tof = np.where(ok, (mi - m0) / n, np.nan)
    apo = np.where(nu0 < np.pi, a * (1 + e), r)
    apo = np.where(nu_i > np.pi, apo, np.maximum(r, R_EARTH_M))
    return {"a": a, "e": e, "p": p, "nu0": nu0, "m0": m0, "n": n, "rhat": rhat, "qhat": qhat,
            "pvec": pvec, "qvec": qvec, "e0": e0, "ei": ei,
            "tof": tof, "dnu": np.where(ok, nu_i - nu0, np.nan), "apogee_r": np.where(ok, apo, np.nan)}


def _positions_np(t, tb, ecc, a, m0, mean_motion, e0, ei, pvec, qvec, lat0_deg, lon0_deg, az_deg, boost_range, h_b,
                  v_b, fpa_deg, omega, boosting, q, lat, lon, h) -> None:
    """The numpy path of :meth:`Trajectory.positions`: ``_kernels._positions_py``'s arithmetic
    on the arrays of the boosting points, then on those of the free-flight points (the numpy
    twins of the kernel's helpers, ``_kernels.POS_NUMPY``); each point's Newton iteration stops
    at its own convergence."""
    from ._kernels import POS_KEPLER_ITERS, POS_KEPLER_TOL, POS_NUMPY

    f = POS_NUMPY
    q[:] = 2.0
    bi, bj = np.nonzero(boosting)
    if bi.size:  # the boost profile, only where t < t_b
        rows, at = np.unique(bi, return_inverse=True)  # each boosting flight once; bi = rows[at]
        with np.errstate(invalid="ignore", divide="ignore"):
            sl0, cl0, saz, caz, qr = f["_pos_launch"](lat0_deg[rows], az_deg[rows], v_b[rows], fpa_deg[rows], tb[rows],
                                                      h_b[rows])
        q[rows] = np.where((h_b[rows] > 0.0) & (qr > 0.0) & (qr < np.inf), qr, 2.0)
        lat[bi, bj], lon[bi, bj], h[bi, bj] = f["_pos_boost"](t[bi, bj] / tb[bi], sl0[at], cl0[at], saz[at], caz[at],
                                                              lon0_deg[bi], boost_range[bi], h_b[bi], q[bi], R_EARTH_M)
    fi, fj = np.nonzero(~boosting)
    if fi.size:
        e = ecc[fi]
        dt = np.maximum(t[fi, fj] - tb[fi], 0.0)
        mean = m0[fi] + mean_motion[fi] * dt
        with np.errstate(invalid="ignore", divide="ignore"):
            span, d0, d1 = f["_pos_kepler_start"](e0, ei, m0, ecc)
            start = f["_pos_hermite"](mean, m0[fi], e0[fi], ei[fi], span[fi], d0[fi], d1[fi])
        big_e = np.where(span[fi] > 0.0, start, mean)
        act = np.arange(fi.size)
        for _ in range(POS_KEPLER_ITERS):
            step = f["_pos_kepler_step"](big_e[act], e[act], mean[act])
            big_e[act] = big_e[act] - step
            act = act[np.abs(step) >= POS_KEPLER_TOL]  # the others have converged: frozen
            if not act.size:
                break
        big_e = np.where(dt > 0.0, np.maximum(big_e, e0[fi]), e0[fi])
        with np.errstate(invalid="ignore"):  # NaN where the flight escapes (e > 1), as in the kernel
            b = a * np.sqrt(1.0 - ecc * ecc)
        p, qv = pvec[fi], qvec[fi]
        lat[fi, fj], lon[fi, fj], h[fi, fj] = f["_pos_free"](big_e, dt, e, a[fi], b[fi], p[:, 0], p[:, 1], p[:, 2],
                                                             qv[:, 0], qv[:, 1], qv[:, 2], omega, R_EARTH_M)


def fly(lat_deg: ArrayLike, lon_deg: ArrayLike, azimuth_deg: ArrayLike, speed_mps: ArrayLike,
        fpa_deg: ArrayLike, *, burn_time_s: ArrayLike = 0.0, burnout_altitude_m: ArrayLike = 0.0,
        rotating: bool = True, body_rcs_m2: float = 1.0, warhead_rcs_m2: float = 0.01,
        validate: bool = True) -> Trajectory:
    """Fly burnout states (ground-relative speed, flight-path angle, azimuth at launch) to
    impact. With ``burn_time_s = 0`` and ``burnout_altitude_m = 0`` the burnout is at the
    launch point, on the surface."""
    lat, lon, az, v, g, tb, hb = np.broadcast_arrays(
        *(np.atleast_1d(as_float64(x)) for x in (lat_deg, lon_deg, azimuth_deg, speed_mps, fpa_deg,
                                          burn_time_s, burnout_altitude_m)))
    if validate:
        if np.any(np.abs(lat) > 90) or np.any(~(v > 0)) or np.any(~np.isfinite(v)):
            raise InputError("launch latitude must be within [-90, 90] and speed > 0 m/s")
        if np.any(~((g > 0) & (g < 90))):
            raise InputError("flight-path angle must be between 0 and 90 degrees")
        if np.any((tb < 0) | (hb < 0)):
            raise InputError("burn time and burnout altitude must be >= 0")
    grad = np.radians(g)
    sb = _boost_range(v, grad, tb, hb)
    u0 = _unit(lat, lon)
    ub, dirb = _great_circle(u0, np.radians(az), sb / R_EARTH_M)
    rb = (R_EARTH_M + hb)[:, None] * ub
    v_rel = v[:, None] * (np.cos(grad)[:, None] * dirb + np.sin(grad)[:, None] * ub)
    v_in = v_rel + (OMEGA_RAD_S * _cross_z(rb) if rotating else 0.0)
    el = _elements(rb, v_in)
    r_imp_in = R_EARTH_M * (np.cos(el["dnu"])[:, None] * el["rhat"] + np.sin(el["dnu"])[:, None] * el["qhat"])
    r_imp = _rot_z(r_imp_in, -OMEGA_RAD_S * el["tof"]) if rotating else r_imp_in
    ilat, ilon = _latlon(r_imp)
    blat, blon = _latlon(ub)
    return Trajectory(lat, lon, az, blat, blon, hb, v, g, tb, sb, ilat, ilon, tb + el["tof"],
                      el["apogee_r"] - R_EARTH_M, rotating, body_rcs_m2, warhead_rcs_m2, _elements=el)


MODES = ("min-energy", "lofted", "depressed")
#: Tolerance (m) within which a returned trajectory's apogee must meet a requested apogee.
APOGEE_TOL_M = 1_000.0


class SolverError(GeocoverError, RuntimeError):
    """A solver produced a trajectory that does not meet the request (a bug, not bad input)."""


@dataclass(frozen=True)
class _Boost:
    """A class's boost: full burn time (s), full burnout altitude (m), full burnout speed
    (m/s, None: every flight burns fully) — see :func:`_managed`."""

    tb: float
    hb: float
    v_full: float | None


def _shoot(lat1, lon1, az, v, g, spec: _Boost, rotating: bool, rcs: dict) -> Trajectory:
    """Fly ground-relative burnout states with the burn the speed implies (energy management)."""
    tb, hb = _managed(np.asarray(v, float), spec.tb, spec.hb, spec.v_full)
    return fly(lat1, lon1, az, v, g, burn_time_s=tb, burnout_altitude_m=hb, rotating=rotating,
               validate=False, **rcs)


def aim(launch_lat_deg: ArrayLike, launch_lon_deg: ArrayLike, target_lat_deg: ArrayLike,
        target_lon_deg: ArrayLike, *, burn_time_s: float = 0.0, burnout_altitude_m: float = 0.0,
        mode: str = "min-energy", fpa_deg: float | None = None, apogee_m: float | None = None,
        speed_mps: float | None = None, max_speed_mps: float | None = None, rotating: bool = True,
        body_rcs_m2: float = 1.0, warhead_rcs_m2: float = 0.01, tol_m: float = 1.0,
        max_iter: int = 30, full_speed_mps: float | None = None) -> tuple[Trajectory, np.ndarray]:
    """Aim trajectories at targets; returns ``(trajectory, reachable)``.

    ``mode``: ``"min-energy"``; ``"lofted"``/``"depressed"`` with ``fpa_deg`` (flight-path
    angle), ``apogee_m``, or neither (min-energy angle +- 15 deg); or a fixed burnout speed
    ``speed_mps`` (depressed root by default, lofted if ``mode="lofted"``).

    Lofted and depressed flights are members of the family of trajectories through the
    target, parametrised by the burnout flight-path angle: for each angle, launch azimuth
    and speed are solved (Newton's method on the rotating Earth) so that the impact is the
    target. A requested apogee is a bracketed root (Illinois regula falsi) of apogee(angle)
    - A on that family, between the minimum-energy member and the family's end (the
    member flown at ``max_speed_mps``, or 1 deg / 10 km/s without a cap). ``full_speed_mps``
    turns on energy management (a flight that needs less than that speed burns for less
    time; :func:`_managed`).

    ``reachable`` is False where the required burnout speed exceeds ``max_speed_mps``, the
    requested apogee or angle is outside the family's interval (``Trajectory.apogee_bounds_m``
    and ``fpa_bounds_deg`` give it), or no solution exists; those entries are NaN except
    the speed they would need.

    Raises
    ------
    InputError
        Bad mode, latitudes, coincident or antipodal points.
    SolverError
        A trajectory reported reachable misses the requested apogee by more than
        ``APOGEE_TOL_M`` (checked on every call).
    """
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(*(np.atleast_1d(as_float64(x)) for x in (
        launch_lat_deg, launch_lon_deg, target_lat_deg, target_lon_deg)))
    for la in (lat1, lat2):
        if np.any(np.abs(la) > 90) or np.any(~np.isfinite(la)):
            raise InputError("latitudes must be within [-90, 90]")
    for lo in (lon1, lon2):
        if np.any(~np.isfinite(lo)):  # a NaN or infinite longitude was flown as "not reachable"
            raise InputError("longitudes must be finite numbers (degrees)")
    u1, ut = _unit(lat1, lon1), _unit(lat2, lon2)
    az_rad, ang = _azimuth_and_angle(u1, ut)
    if np.any(ang < np.radians(0.05)):
        raise InputError("launch point and target are the same place (closer than 5 km)")
    if np.any(ang > np.pi - np.radians(0.5)):
        raise InputError("launch point and target are (nearly) antipodal: every azimuth reaches "
                         "the target; the aim is undefined")
    spec = _Boost(float(burn_time_s), float(burnout_altitude_m), full_speed_mps)
    rcs = dict(body_rcs_m2=body_rcs_m2, warhead_rcs_m2=warhead_rcs_m2)
    fam = _Family(lat1, lon1, ut, np.degrees(az_rad), ang, spec, rotating, rcs, tol_m, max_iter)
    if rotating and mode == "min-energy" and speed_mps is None:
        g_me = v_me = None  # the rotating solve starts on its own (computed where it falls back)
    else:
        g_me, v_me = min_energy_state(ang, spec.hb, spec.tb, full_speed_mps)
    apo_bounds = fpa_bounds = None
    if speed_mps is not None:
        _, _, _, traj = fam.speed_root(float(speed_mps), g_me, "lofted" if mode == "lofted" else "depressed")
    elif mode == "min-energy":
        _, _, _, traj = fam.min_energy(g_me, v_me)
    else:
        me = fam.min_energy(g_me, v_me)
        end = fam.branch_end(me, mode, max_speed_mps)
        apo_bounds = np.sort(np.stack([me[3].apogee_m, end[3].apogee_m], axis=-1), axis=-1)
        fpa_bounds = np.sort(np.stack([me[1], end[1]], axis=-1), axis=-1)
        if apogee_m is not None:
            _, _, _, traj = fam.apogee_root(float(apogee_m), me, end)
        else:
            if fpa_deg is not None:
                g = np.full(ang.shape, float(fpa_deg))
            else:
                g = np.clip(me[1] + (15.0 if mode == "lofted" else -15.0), 1.0, 89.0)
                g = np.clip(g, fpa_bounds[:, 0], fpa_bounds[:, 1])
            with np.errstate(invalid="ignore"):
                inside = (g >= fpa_bounds[:, 0] - 1e-9) & (g <= fpa_bounds[:, 1] + 1e-9)
            _, _, _, traj = fam.at_gamma(g, me[0])
            traj.flight_path_angle_deg = np.where(inside, traj.flight_path_angle_deg, np.nan)
    reach = np.isfinite(traj.flight_time_s) & np.isfinite(traj.burnout_speed_mps) & np.isfinite(
        traj.flight_path_angle_deg)
    if rotating:
        miss_m = _norm(_unit(traj.impact_lat_deg, traj.impact_lon_deg) - ut) * R_EARTH_M
        reach &= miss_m <= max(tol_m, 1.0) * 10
    else:
        reach &= _miss_m(traj, ut) <= max(tol_m, 1.0) * 10
    _mask_rows(traj, reach)
    if apogee_m is not None and mode != "min-energy" and speed_mps is None:
        off = np.abs(traj.apogee_m - float(apogee_m))
        bad = reach & ~(off <= APOGEE_TOL_M)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SolverError(f"the {mode} solver returned an apogee of {traj.apogee_m[i] / 1000:,.3f} km for a "
                              f"requested {apogee_m / 1000:,.3f} km (trajectory {i}): refusing to return it")
    if max_speed_mps is not None:
        reach &= traj.burnout_speed_mps <= max_speed_mps * (1 + 1e-9)
    traj.apogee_bounds_m, traj.fpa_bounds_deg = apo_bounds, fpa_bounds
    return traj, reach


def _miss_m(traj: Trajectory, ut: np.ndarray) -> np.ndarray:
    return _norm(_unit(traj.impact_lat_deg, traj.impact_lon_deg) - ut) * R_EARTH_M


def _mask_rows(traj: Trajectory, solved: np.ndarray) -> None:
    """NaN the results of trajectories for which no solution was found (those over a
    class's speed cap keep their values, so messages can quote the speed they need)."""
    if solved.all():
        return
    for name in ("impact_lat_deg", "impact_lon_deg", "flight_time_s", "apogee_m", "burnout_speed_mps",
                 "flight_path_angle_deg", "azimuth_deg"):
        setattr(traj, name, np.where(solved, getattr(traj, name), np.nan))


class _Family:
    """The trajectories from each launch point through its target, one per burnout
    flight-path angle; every method returns ``(azimuth_deg, fpa_deg, speed_mps, Trajectory)``
    with arrays over all trajectories."""

    def __init__(self, lat1, lon1, ut, az0, ang, spec, rotating, rcs, tol_m, max_iter):
        self.lat1, self.lon1, self.ut, self.az0, self.ang = lat1, lon1, ut, az0, ang
        self.spec, self.rotating, self.rcs, self.tol_m, self.max_iter = spec, rotating, rcs, tol_m, max_iter

    def _sub(self, idx):
        return _Family(self.lat1[idx], self.lon1[idx], self.ut[idx], self.az0[idx], self.ang[idx], self.spec,
                       self.rotating, self.rcs, self.tol_m, self.max_iter)

    def closed_speed(self, g_deg):
        """Speed on the non-rotating Earth at angle g (deg): a start for the rotating one."""
        return _speed_for_total(self.ang, np.radians(g_deg), self.spec.tb, self.spec.hb, self.spec.v_full)[0]

    def at_gamma(self, g_deg, az_start=None):
        g = np.broadcast_to(np.asarray(g_deg, float), self.ang.shape).copy()
        v = self.closed_speed(g)
        v = np.where(np.isfinite(v), v, np.nan)
        az = self.az0 if az_start is None else np.where(np.isfinite(az_start), az_start, self.az0)
        if not self.rotating:
            return self.az0, g, v, _shoot(self.lat1, self.lon1, self.az0, np.where(np.isfinite(v), v, 1.0), g,
                                          self.spec, False, self.rcs)._nan_rows(~np.isfinite(v))
        return self._newton(az, g, np.where(np.isfinite(v), v, 1.0), fixed_speed=False)

    def min_energy(self, g_me, v_me):
        """The minimum-energy member. ``g_me``, ``v_me``: :func:`min_energy_state`'s angle (deg)
        and speed (m/s), or None (computed where needed)."""
        az = self.az0
        if self.rotating:
            return self._min_energy_rotating(g_me, v_me)
        if g_me is None:
            g_me, v_me = min_energy_state(self.ang, self.spec.hb, self.spec.tb, self.spec.v_full)
        g_me, v_me = self._least_speed(g_me, v_me)
        return az, g_me, v_me, _shoot(self.lat1, self.lon1, az, v_me, g_me, self.spec, False, self.rcs)

    def _min_energy_rotating(self, g_me, v_me):
        """Rotating Earth: :func:`_min_energy_rotating` target by target, flown once; where it
        does not converge, finds the inertial label degenerate (``ME_LABEL_GAIN_MAX``), or does
        not land within ``ME_MISS_M`` of the target or give an angle within 1-89 deg, the search
        over the ground-relative angle (:meth:`_ground_least_speed`, from the start of
        :func:`_rotating_min_energy`) instead, one target at a time: of the catalog classes'
        targets at 5.6-150 km from Tabriz and Isfahan, those 5-55 km west (within ~55 deg of
        due west; tests/test_aim_fast.py, tests/test_aim_westward.py)."""
        u1 = _unit(self.lat1, self.lon1)
        az, g, v, ok = _min_energy_rotating(u1, *_east_north(u1), self.ut, self.ang, np.radians(self.az0), self.spec)
        with np.errstate(invalid="ignore"):
            ok &= (g > 1.0) & (g < 89.0) & (v > 0)
            traj = _shoot(self.lat1, self.lon1, np.where(ok, az, self.az0), np.where(ok, v, 1.0),
                          np.where(ok, g, 45.0), self.spec, True, self.rcs)
            ok &= _miss_m(traj, self.ut) <= ME_MISS_M
        out = (az, g, v, traj)
        # the fallback target by target (its parabolic steps and Newton iterations run on whole
        # blocks, with block-wide stopping tests): a target alone gets the same flight as in a block
        for b in np.flatnonzero(~ok):
            one = np.array([b])
            sub = self._sub(one)
            if g_me is None:
                g_b, v_b = min_energy_state(sub.ang, self.spec.hb, self.spec.tb, self.spec.v_full)
            else:
                g_b, v_b = np.asarray(g_me)[one], np.asarray(v_me)[one]
            a_b, g_b, v_b = _rotating_min_energy(sub, sub.az0, g_b, v_b)
            out = _merge(out, sub._ground_least_speed(a_b, g_b, v_b), one)
        return out

    def _ground_least_speed(self, az, g, v):
        """The member of least ground-relative burnout speed, labelled by its ground-relative
        flight-path angle (deg): parabolic steps on v(g), each member landed on the target by
        Newton's method on shot trajectories (:func:`_newton_hit`, azimuth and speed for the
        angle, to ``ME_FALLBACK_TOL_M``), half-widths ``ME_FALLBACK_H_DEG`` in turn, each until
        its step is no larger than itself (the last: until <= ``ME_FALLBACK_STEP_DEG``), at
        most ``ME_FALLBACK_ITER`` steps each. The
        fallback of :meth:`_min_energy_rotating`, for one target at a time (``self`` of size 1).

        The ground-relative angle labels the family one to one everywhere: the inertial angle
        the kernel iterates on does not where the Earth carries the target back over the launch
        point during the flight (targets ~7-55 km west of Tabriz: the inertial range nearly
        vanishes and two members share one inertial angle; the member of least speed lies near
        where they meet). Starts from ``(az, g, v)`` (deg, deg, m/s); returns
        ``(azimuth_deg, fpa_deg, speed_mps, Trajectory)`` as :meth:`_newton`."""

        def member(g_deg, az_deg, v_mps):
            a, _, s, t = _newton_hit(self.lat1, self.lon1, self.ut, az_deg, np.atleast_1d(float(g_deg)), v_mps,
                                     fixed_speed=False, spec=self.spec, rcs=self.rcs, tol_m=ME_FALLBACK_TOL_M,
                                     max_iter=ME_FALLBACK_NEWTON_ITER)
            landed = _miss_m(t, self.ut) <= ME_FALLBACK_LAND_M
            return a, s, t, bool(landed[0] and np.isfinite(s[0]))

        az, v = np.array(az, float), np.array(v, float)
        g0 = float(np.asarray(g, float)[0])
        az, v, t, ok = member(g0, az, v)
        for k, h in enumerate(ME_FALLBACK_H_DEG):
            last = k == len(ME_FALLBACK_H_DEG) - 1
            for _ in range(ME_FALLBACK_ITER):
                if not ok:
                    break
                ap, vp, _, okp = member(min(g0 + h, 89.0), az, v)
                am, vm, _, okm = member(max(g0 - h, 1.0), az, v)
                if not (okp and okm):
                    ok = False
                    break
                curv = float(vp[0] - 2.0 * v[0] + vm[0])
                if curv > 0.0:  # the vertex of the parabola, at most 4 h away
                    step = float(np.clip(-0.5 * h * float(vp[0] - vm[0]) / curv, -4.0 * h, 4.0 * h))
                else:  # not convex here: downhill by 4 h
                    step = 4.0 * h * (1.0 if vp[0] < vm[0] else -1.0)
                g0 = float(np.clip(g0 + step, 1.0, 89.0))
                az, v, t, ok = member(g0, ap if step > 0 else am, vp if step > 0 else vm)
                if abs(step) <= (ME_FALLBACK_STEP_DEG if last else h):
                    break
        if not ok:
            t._nan_rows(np.array([True]))
        return az, np.array([g0]), v, t

    def _least_speed(self, g_me, v_me):
        """The non-rotating member with the least burnout speed (deg, m/s), from
        :func:`min_energy_state`'s angle: that is the free flight's minimum for its boost, but
        the boost's range (and altitude, energy management) change with the angle too, which
        moves the least total speed by up to ~1 deg (shahab-3 1,200 km: 40.13 -> 39.14 deg,
        0.68 m/s less). Two parabolic steps on the closed-form speed."""
        sp = self.spec
        g, v = np.array(g_me, float), np.array(v_me, float)
        for h in (0.5, 0.1):
            vm = _speed_for_total(self.ang, np.radians(g - h), sp.tb, sp.hb, sp.v_full, v0=v)[0]
            vp = _speed_for_total(self.ang, np.radians(g + h), sp.tb, sp.hb, sp.v_full, v0=v)[0]
            curv = vp - 2.0 * v + vm
            with np.errstate(invalid="ignore", divide="ignore"):
                step = np.where(curv > 0, -0.5 * h * (vp - vm) / curv, 0.0)
            g_new = g + np.clip(np.where(np.isfinite(step), step, 0.0), -4 * h, 4 * h)
            v_new = _speed_for_total(self.ang, np.radians(g_new), sp.tb, sp.hb, sp.v_full, v0=v)[0]
            better = np.isfinite(v_new) & (v_new < v)
            g, v = np.where(better, g_new, g), np.where(better, v_new, v)
        return g, v

    def speed_root(self, v, g_me, branch):
        """The depressed (or lofted) member flown at burnout speed v."""
        spec = self.spec

        def miss(gdeg):
            return _speed_for_total(self.ang, np.radians(gdeg), spec.tb, spec.hb, spec.v_full)[0] - v

        lo_g, hi_g = np.full(self.ang.shape, 0.5), np.full(self.ang.shape, 89.5)
        g = _bisect(miss, g_me, hi_g) if branch == "lofted" else _bisect(miss, lo_g, g_me)
        v_me = _speed_for_total(self.ang, np.radians(g_me), spec.tb, spec.hb, spec.v_full)[0]
        vv = np.full(self.ang.shape, v)
        if not self.rotating:
            # no member flies at v where the whole branch, to its far end (0.5 or 89.5 deg),
            # needs less (short ranges: a class's full speed overshoots at every angle), or where
            # the branch ends (the boost alone overshoots: no speed at all) before reaching v;
            # the bisection then ends on no member (it missed the target, and its apogee made
            # the feasible interval wrong: shahab-3 300 km depressed "79.4 to 351.3 km", 50 km
            # from the pole "13.3 to 100.1 km"): keep only angles whose speed is v
            with np.errstate(invalid="ignore"):
                none = ~(np.abs(miss(g)) <= 1e-6 * max(abs(v), 1.0))
            g = np.where(v_me <= v, g, g_me)  # too slow: fly the minimum-energy angle (it will miss)
            t = _shoot(self.lat1, self.lon1, self.az0, vv, g, spec, False, self.rcs)
            return self.az0, g, vv, t._nan_rows((v_me > v) | none)
        # on the rotating Earth the speed needed differs (flying east, a class may reach
        # beyond its non-rotating range): start inside the branch, away from the minimum-
        # energy angle, where the range does not change with the angle (singular Newton step)
        side = 1.0 if branch == "lofted" else -1.0
        g = np.where(v_me <= v, g, g_me + 3.0 * side)
        az, g, vv, t = self._newton(self.az0, g, vv, fixed_speed=True)
        with np.errstate(invalid="ignore"):
            t._nan_rows(~((g - g_me) * side > 0))  # converged onto the other branch
        return az, g, vv, t

    def branch_end(self, me, mode, max_speed_mps):
        """The far end of the lofted or depressed branch: the member flown at the speed cap,
        or without one the member at 1 deg (depressed) or 89 deg (lofted). Where that member
        cannot be solved (no conic comes back down to the target: escape, grazing orbits),
        the last member that can is found by bisection on the angle."""
        g_me = me[1]
        far = 1.0 if mode == "depressed" else 89.0
        if max_speed_mps is not None:
            out = self.speed_root(max_speed_mps, g_me, mode)
            g = np.where(np.isfinite(out[3].apogee_m), out[1], far)
        else:
            g = np.full(g_me.shape, far)
            out = self.at_gamma(g, me[0])
        cap = np.inf if max_speed_mps is None else max_speed_mps * (1 + 1e-9)
        idx = np.flatnonzero(~np.isfinite(out[3].apogee_m) & np.isfinite(g_me))
        if idx.size:
            # the last member that can be solved (within the speed cap): bisect between the
            # minimum-energy angle (solved) and the end (not), 12 halvings
            fam = self._sub(idx)
            g_ok, g_bad = g_me[idx].copy(), g[idx].copy()
            for _ in range(12):
                mid = 0.5 * (g_ok + g_bad)
                r = fam.at_gamma(mid, me[0][idx])
                ok = np.isfinite(r[3].apogee_m) & (r[2] <= cap)
                g_ok, g_bad = np.where(ok, mid, g_ok), np.where(ok, g_bad, mid)
            out = _merge(out, fam.at_gamma(g_ok, me[0][idx]), idx)
        return out

    def apogee_root(self, apogee_m, me, end):
        """Illinois regula falsi on f(gamma) = apogee(gamma) - A over [gamma_me, gamma_end]."""
        a_g, b_g = me[1].copy(), end[1].copy()
        fa = me[3].apogee_m - apogee_m
        fb = end[3].apogee_m - apogee_m
        az_a, az_b = me[0].copy(), end[0].copy()
        n = a_g.size
        with np.errstate(invalid="ignore"):
            feasible = np.isfinite(fa) & np.isfinite(fb) & (np.sign(fa) != np.sign(fb)) | (fa == 0) | (fb == 0)
        g = np.where(np.abs(fa) <= np.abs(fb), a_g, b_g)
        az = np.where(np.abs(fa) <= np.abs(fb), az_a, az_b)
        fg = np.where(np.abs(fa) <= np.abs(fb), fa, fb)
        active = feasible & ~(np.abs(fg) <= 0.1)
        side = np.zeros(n)
        for _ in range(100):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            with np.errstate(invalid="ignore", divide="ignore"):
                c = (a_g[idx] * fb[idx] - b_g[idx] * fa[idx]) / (fb[idx] - fa[idx])
            lo, hi = np.minimum(a_g[idx], b_g[idx]), np.maximum(a_g[idx], b_g[idx])
            c = np.where(np.isfinite(c) & (c > lo) & (c < hi), c, 0.5 * (a_g[idx] + b_g[idx]))
            az_c = 0.5 * (az_a[idx] + az_b[idx])
            r = self._sub(idx).at_gamma(c, az_c)
            fc = r[3].apogee_m - apogee_m
            failed = ~np.isfinite(fc)
            g[idx], az[idx], fg[idx] = c, r[0], fc
            same_b = np.sign(fc) == np.sign(fb[idx])
            # Illinois: when the same end is kept twice, halve its function value
            keep_a = same_b
            fa_new = np.where(keep_a & (side[idx] == -1), fa[idx] / 2, fa[idx])
            fb_new = np.where(~keep_a & (side[idx] == 1), fb[idx] / 2, fb[idx])
            b_g[idx] = np.where(same_b, c, b_g[idx])
            az_b[idx] = np.where(same_b, r[0], az_b[idx])
            fb_new = np.where(same_b, fc, fb_new)
            a_g[idx] = np.where(~same_b, c, a_g[idx])
            az_a[idx] = np.where(~same_b, r[0], az_a[idx])
            fa_new = np.where(~same_b, fc, fa_new)
            fa[idx], fb[idx] = fa_new, fb_new
            side[idx] = np.where(same_b, -1, 1)
            converged = (np.abs(fc) <= 0.1) | (np.abs(a_g[idx] - b_g[idx]) < 1e-11)
            active[idx] = ~(converged | failed)
        g = np.where(feasible, g, np.nan)
        az, g, v, t = self.at_gamma(np.where(feasible, g, me[1]), np.where(feasible, az, me[0]))
        t = t._nan_rows(~feasible)
        out = (az, np.where(feasible, g, np.nan), v, t)
        return self._across_fold(apogee_m, me, end, out) if self.rotating else out

    def _across_fold(self, apogee_m, me, end, out):
        """On the rotating Earth a steep branch to a near target folds back in angle: beyond
        ~87 deg one ground-relative angle is flown at two speeds (irbm 100 km east of Tabriz:
        87.30 deg at 3,890 m/s, 984 km apogee, and 87.32 deg at 5,801 m/s, 2,697 km; the fold
        at 87.52 deg), so the root on the angle stops at the fold (it returned 1,002 km for
        1,500 km, refused by the apogee check). Along the branch the speed and the apogee grow
        together: bisect on the speed, between the member found and the branch's end, with
        :meth:`speed_root` (one member per speed on a branch)."""
        t = out[3]
        with np.errstate(invalid="ignore"):
            fa_all, fb_all = t.apogee_m - apogee_m, end[3].apogee_m - apogee_m
            idx = np.flatnonzero(np.isfinite(fa_all) & np.isfinite(fb_all) & (np.abs(fa_all) > 100.0)
                                 & (np.sign(fa_all) != np.sign(fb_all)))
        for i in idx:
            sub = self._sub(np.array([i]))
            branch = "lofted" if end[1][i] > me[1][i] else "depressed"
            lo, hi = float(out[2][i]), float(end[2][i])
            f_lo = float(fa_all[i])
            best = None
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                r = sub.speed_root(mid, me[1][[i]], branch)
                f = float(r[3].apogee_m[0]) - apogee_m
                if not np.isfinite(f):
                    break
                best = r
                if abs(f) <= 100.0:
                    break
                if np.sign(f) == np.sign(f_lo):
                    lo, f_lo = mid, f
                else:
                    hi = mid
            if best is not None and abs(float(best[3].apogee_m[0]) - apogee_m) <= 100.0:
                out = _merge(out, best, np.array([i]))
        return out

    def _newton(self, az, g, v, *, fixed_speed):
        """Solve on the rotating Earth; members that do not land within 10 tol_m are NaN."""
        az, g, v, t = _newton_hit(self.lat1, self.lon1, self.ut, az, g, v, fixed_speed=fixed_speed, spec=self.spec,
                                  rcs=self.rcs, tol_m=self.tol_m, max_iter=self.max_iter)
        with np.errstate(invalid="ignore"):
            t._nan_rows(~(_miss_m(t, self.ut) <= max(self.tol_m, 1.0) * 10))
        return az, g, v, t


def _merge(out, sub, idx):
    """Rows ``idx`` of family results ``out`` replaced by ``sub``."""
    az, g, v = (np.array(x, float, copy=True) for x in out[:3])
    az[idx], g[idx], v[idx] = sub[0], sub[1], sub[2]
    t = out[3]
    for name in ("launch_lat_deg", "launch_lon_deg", "azimuth_deg", "burnout_lat_deg", "burnout_lon_deg",
                 "burnout_altitude_m", "burnout_speed_mps", "flight_path_angle_deg", "burn_time_s", "boost_range_m",
                 "impact_lat_deg", "impact_lon_deg", "flight_time_s", "apogee_m"):
        col = np.array(np.broadcast_to(getattr(t, name), az.shape), float, copy=True)
        col[idx] = getattr(sub[3], name)
        setattr(t, name, col)
    for k, val in t._elements.items():
        if isinstance(val, np.ndarray) and val.shape[:1] == az.shape:
            val = val.copy()
            val[idx] = sub[3]._elements[k]
            t._elements[k] = val
    return az, g, v, t


def _conic_time(r1, v, cos_g, sin_g, cos_psi, sin_psi) -> np.ndarray:
    """Time (s) along the Kepler conic from radius r1 (m) at inertial speed v (m/s) and
    flight-path angle g through range angle psi (cosines and sines given); NaN where the
    conic is not an ellipse. Kepler's equation, with the eccentric anomaly from the true one,
    tan E = sqrt(1 - e^2) sin nu / (e + cos nu) (all in e sin nu, e cos nu: no division by e)."""
    h = r1 * v * cos_g
    p = h * h / MU_M3_S2
    ec0, es0 = p / r1 - 1.0, h * v * sin_g / MU_M3_S2  # e cos(nu), e sin(nu) at burnout
    eci, esi = ec0 * cos_psi - es0 * sin_psi, es0 * cos_psi + ec0 * sin_psi  # ... at impact
    e2 = ec0 * ec0 + es0 * es0
    with np.errstate(invalid="ignore", divide="ignore"):
        sq = np.sqrt(1.0 - e2)
        e0 = np.arctan2(sq * es0, e2 + ec0)
        ei = np.arctan2(sq * esi, e2 + eci)
        ei = np.where(ei < e0, ei + 2 * np.pi, ei)
        # e sin E = sqrt(1 - e^2) e sin(nu) / (1 + e cos(nu))
        m = (ei - sq * esi / (1.0 + eci)) - (e0 - sq * es0 / (1.0 + ec0))
        a = p / (1.0 - e2)
        return m * np.sqrt(a * a * a / MU_M3_S2)


def _rotating_member(frame, ut, spec: _Boost, g_in, az, vr, gr, t_all, passes: int = 3):
    """Closed-form member of the family through the target on the rotating Earth, labelled by
    its inertial flight-path angle at burnout ``g_in`` (rad): the Kepler conic (speed
    :func:`_speed_for`, time :func:`_conic_time`) from the burnout point to where the target
    will be at impact, with the burnout point, burn and launch azimuth that the resulting
    ground-relative state implies. Those depend on that state, so ``passes`` fixed-point
    passes update them from a start (launch azimuth ``az`` rad, ground-relative speed ``vr``
    m/s and angle ``gr`` rad, time of flight ``t_all`` s). ``frame``: the launch points' unit
    vectors, east and north. Returns the updated ``(az, vr, gr, t_all)``; ``vr`` is inf or
    NaN where no conic exists."""
    u1, east1, north1 = frame
    for _ in range(passes):
        tb, hb = _managed(vr, spec.tb, spec.hb, spec.v_full)
        # burnout point and direction along the launch azimuth (as _great_circle)
        ang = _boost_range(vr, gr, tb, hb) / R_EARTH_M
        d0 = np.sin(az)[:, None] * east1 + np.cos(az)[:, None] * north1
        ca, sa = np.cos(ang)[:, None], np.sin(ang)[:, None]
        ub, dirb = ca * u1 + sa * d0, ca * d0 - sa * u1
        r1 = R_EARTH_M + hb
        # inertial axes = Earth-fixed axes at burnout; the target turns by omega (T - t_b)
        u_t = _rot_z(ut, OMEGA_RAD_S * (t_all - tb))
        cos_psi = _dot(ub, u_t)
        tang = u_t - cos_psi[:, None] * ub  # towards the target along the great circle, |tang| = sin psi
        sin_psi = _norm(tang)
        psi = np.arctan2(sin_psi, cos_psi)
        v_in = _speed_for(psi, g_in, r1, R_EARTH_M)
        cos_g, sin_g = np.cos(g_in), np.sin(g_in)
        with np.errstate(invalid="ignore", divide="ignore"):
            vh, vu = v_in * cos_g / sin_psi, v_in * sin_g
            v_rel = vh[:, None] * tang + vu[:, None] * ub
            v_rel[:, 0] += OMEGA_RAD_S * r1 * ub[:, 1]  # - omega z x r
            v_rel[:, 1] -= OMEGA_RAD_S * r1 * ub[:, 0]
            vr = _norm(v_rel)
            gr = np.arcsin(np.clip(_dot(v_rel, ub) / vr, -1, 1))
            # turn the launch azimuth by the change of heading wanted at burnout: the angle from
            # the boost's direction dirb to the horizontal velocity, clockwise seen from above
            dhead = np.arctan2(-_dot(_cross(dirb, v_rel), ub), _dot(dirb, v_rel))
        az = az + np.where(np.isfinite(dhead), dhead, 0.0)
        t_all = tb + _conic_time(r1, v_in, cos_g, sin_g, cos_psi, sin_psi)
    return az, vr, gr, t_all


def _rotating_min_energy(fam: _Family, az, g, v):
    """Start for the rotating Earth: the member of the family through the target with the
    least ground-relative burnout speed (what a class's burnout speed limits: the motor's
    delta-v acts on a state that co-rotates with the Earth), returned as the ground-relative
    launch azimuth, flight-path angle and speed (deg, deg, m/s).

    The inertial minimum-energy conic (tan 2g = sin psi / (r1/r2 - cos psi)) is not that
    member: adding the Earth's velocity omega x r moves the minimum of |v_inertial - omega x r|
    by up to a few degrees (flying west it needs a steeper angle, east a shallower one),
    and the impact time, burnout point and burn move with the angle. The angle is found by
    parabolic steps on the closed-form member (:func:`_rotating_member`), no trajectory
    shooting; the caller lands it on the target at that ground-relative angle."""
    u1, ut, spec = _unit(fam.lat1, fam.lon1), fam.ut, fam.spec
    frame = (u1, *_east_north(u1))
    g0, v0, az0 = g.copy(), v.copy(), az.copy()
    gr, vr, azr = np.radians(g), v.copy(), np.radians(az)
    tb, hb = _managed(v, spec.tb, spec.hb, spec.v_full)
    psi0 = np.maximum(fam.ang - _boost_range(v, gr, tb, hb) / R_EARTH_M, 1e-9)
    t_all = tb + _conic_time(R_EARTH_M + hb, v, np.cos(gr), np.sin(gr), np.cos(psi0), np.sin(psi0))
    t_all = np.where(np.isfinite(t_all), t_all, tb + 1800.0)
    # start: the inertial minimum-energy angle of the rotating problem (two passes)
    g_in = gr
    for _ in range(2):
        tb, hb = _managed(vr, spec.tb, spec.hb, spec.v_full)
        ub, _ = _great_circle(u1, azr, _boost_range(vr, gr, tb, hb) / R_EARTH_M)
        _, psi = _azimuth_and_angle(ub, _rot_z(ut, OMEGA_RAD_S * (t_all - tb)))
        g_in = _min_energy_gamma(psi, R_EARTH_M + hb, R_EARTH_M)
        azr, vr, gr, t_all = _rotating_member(frame, ut, spec, g_in, azr, vr, gr, t_all, passes=1)
    # parabolic steps on the ground-relative speed over the inertial angle: the three members
    # of a step are solved from the same start, so that their errors (the fixed point not
    # fully converged) are alike and cancel in the vertex
    # Coarse (1 deg) steps are repeated, on the members whose step was clipped, while the
    # minimum is still far away: at short ranges flown east the Earth's ~360 m/s moves it by
    # ~9 deg from the start (Tabriz +300 km east, shahab-3: 1,562 m/s at 45.5 deg after one
    # clipped step, 1,552 m/s at 40.4 deg), then one fine (0.25 deg) step on every member.
    state = [np.array(x, float) for x in (azr, vr, gr, t_all)]
    g_in = np.array(g_in, float)
    coarse, fine = np.radians(1.0), np.radians(0.25)
    rows = np.arange(g_in.size)
    for h in (coarse,) * 4 + (fine,):
        if h == fine:
            rows = np.arange(g_in.size)
        if rows.size == 0:
            continue
        fr, ur, st, gi = tuple(x[rows] for x in frame), ut[rows], [x[rows] for x in state], g_in[rows]
        f0 = _rotating_member(fr, ur, spec, gi, *st)
        fm = _rotating_member(fr, ur, spec, gi - h, *st)[1]
        fp = _rotating_member(fr, ur, spec, gi + h, *st)[1]
        curv = fp - 2.0 * f0[1] + fm
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(curv > 0, -0.5 * h * (fp - fm) / curv, 0.0)
        step = np.where(np.isfinite(step), step, 0.0)
        g_in[rows] = gi + np.clip(step, -4 * h, 4 * h)
        new = _rotating_member(fr, ur, spec, g_in[rows], *f0)
        for x, y in zip(state, new, strict=True):
            x[rows] = y
        rows = rows[np.abs(step) > 4 * h]  # clipped: the minimum is further, another coarse step
    azr, vr, gr, _ = state
    az, g, v = np.degrees(azr), np.degrees(gr), vr
    # rotation moves the minimum-energy angle by a few degrees at most; anything more is a
    # different branch (short ranges), where the non-rotating state is the better start
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(v) & np.isfinite(g) & (g > 1.0) & (np.abs(g - g0) <= 10.0)
    return np.where(keep, az, az0), np.where(keep, g, g0), np.where(keep, v, v0)


#: Minimum-energy solve on the rotating Earth (:func:`_min_energy_rotating`): half-width (rad)
#: of the three members whose speeds give each Newton step on the inertial angle, the largest
#: step (rad), and the iteration cap.
ME_H_RAD, ME_MAX_STEP_RAD, ME_MAX_ITER = 1e-3, 0.05, 40
#: The inertial label is taken as degenerate (the target falls back to the ground-relative
#: search, :meth:`_Family._ground_least_speed`) where the ground-relative angle moves by more
#: than this many times the inertial one along the family at the solution. Measured (catalog
#: classes, Tabriz and Isfahan, every 5 deg of azimuth): <= 1.4 from 100 km on, 1.5-3 within
#: 5.6-60 km in every direction (the kernel's answer there is the minimum), 3-17 only 5-55 km
#: and within ~55 deg of due west, where the kernel's vertex on the label can miss the minimum.
ME_LABEL_GAIN_MAX = 3.0
#: A converged minimum-energy solve must land this close (m) to its target when flown
#: (:func:`fly`); it lands within ~1e-6 m (float64 rounding of positions on a 6,371 km sphere).
ME_MISS_M = 1e-3
#: The fallback's search over the ground-relative angle (:meth:`_Family._ground_least_speed`):
#: half-widths (deg) of its parabolic steps in turn, the last step it accepts as converged (deg),
#: how close (m) a member must land (aim's reach test: 10 x its 1 m default tol_m), the Newton
#: tolerance (m) and iterations of each member (:func:`_newton_hit`), and the cap on the steps
#: per half-width. Near the launch point the shot flight's conic is nearly radial (e ~ 1 - 1e-7
#: 30 km west of Tabriz) and its impact jitters by ~0.01 m (float64: the descent anomaly's
#: arccos near -1), the speed by ~1e-4 m/s; with half-width 0.1 deg that puts the vertex within
#: ~3e-3 deg of the minimum (v(g) curves by >= 0.3 m/s per deg^2), ~3e-6 m/s of speed.
ME_FALLBACK_H_DEG, ME_FALLBACK_STEP_DEG, ME_FALLBACK_LAND_M = (1.0, 0.1), 0.01, 10.0
ME_FALLBACK_TOL_M, ME_FALLBACK_NEWTON_ITER, ME_FALLBACK_ITER = 1e-4, 12, 10


def _min_energy_rotating(u1, east1, north1, ut, ang, az0, spec: _Boost):
    """The minimum-energy member of the family through each target on the rotating Earth,
    solved target by target to convergence: ``(azimuth_deg, fpa_deg, speed_mps, converged)``
    (ground-relative burnout state: launch azimuth, flight-path angle, speed).

    The member with the least ground-relative burnout speed (the motor's delta-v acts on a
    state co-rotating with the Earth; :func:`_rotating_min_energy` explains why that is not the
    inertial minimum-energy conic). A member is labelled by its inertial flight-path angle g
    at burnout; its state (launch azimuth, ground-relative speed and angle, time of flight) is
    the fixed point of :func:`geocover._kernels._me_pass_py` (:func:`_rotating_member`'s pass).
    Plain passes contract by only ~0.09 each, so the members are updated by Newton-Picard
    steps: the pass's 4 x 4 Jacobian J (azimuth, speed, angle, time) is taken once per target
    by forward differences, and each update adds (I - J)^-1 times the pass's residual. Each
    iteration updates the members at g, g + h and g - h (h = ``ME_H_RAD``) once and moves g to
    the vertex of the parabola through their speeds (Newton's step on dv/dg = 0), the three
    states along the family (slope and curvature from the three members); it stops when the
    last updates moved no azimuth by more than 1e-12 rad, no speed by 1e-8 m/s, the time of
    flight by 1e-8 s (``_kernels.ME_TOL_*``: < 1e-4 m at impact) and the step was <= 1e-10
    rad, then the member at the final angle is converged alone (about 7 iterations, 30 passes
    on the issue-13 benchmark grid). The vertex condition v(g + h) = v(g - h) puts the
    angle within ~(d3v/dg3) h^2 / (6 d2v/dg2) (< 1e-8 rad) of the exact minimum, the same for
    every start.

    Near the launch point (within ~140 km of Tabriz) those absolute tolerances are below what
    float64 resolves (a pass's speed carries a relative rounding of ~eps / (1 - cos psi)) and
    the family is flat enough for the angle steps to oscillate; where the iteration above does
    not converge, :func:`geocover._kernels._me_careful_py` solves the target again (members
    settled with fresh Jacobians before each angle step, halved steps, stopping at the float64
    resolution), from the non-rotating angle and then from its ground-relative state. Westward
    targets ~5-55 km from the launch point are refused (``converged`` False) where the solution's
    ground-relative angle moves by more than ``ME_LABEL_GAIN_MAX`` times its inertial label
    along the family (the kernel's last output row): the Earth carries the target back over the
    launch point during the flight, the inertial range nearly vanishes and two members share one
    inertial angle, so the label's vertex is not the least speed (Isfahan, icbm, 8 km west:
    0.05 deg off, 1.9e-4 m/s too fast; elsewhere it does not converge). The caller solves those
    over the ground-relative angle (:meth:`_Family._ground_least_speed`).

    Every target's iteration depends on that target alone (its own stopping test), so a
    target aimed alone gets the same flight as inside any block. numba kernel
    (:func:`geocover._kernels.min_energy_aim`) or the same iteration in numpy
    (``GEOCOVER_NO_NUMBA=1``): both only add, multiply, divide and take square roots (the
    trigonometric inputs are computed here), so they agree to the bit (tests/test_aim_fast.py).
    """
    from . import _kernels as k

    n = ang.size
    args = [np.ascontiguousarray(np.broadcast_to(x, (n, 3)), dtype=float) for x in (u1, east1, north1, ut)]
    args += [np.ascontiguousarray(x, dtype=float) for x in (np.sin(ang), np.cos(ang), np.sin(az0), np.cos(az0))]
    vfull = 0.0 if spec.v_full is None else float(spec.v_full)  # 0: always the full burn
    consts = (float(spec.tb), float(spec.hb), vfull, MU_M3_S2, R_EARTH_M, OMEGA_RAD_S, ME_H_RAD, ME_MAX_STEP_RAD,
              ME_MAX_ITER)
    if k.use_numba():
        out = np.empty((n, 7))
        k.min_energy_aim(*args, *consts, out)
        saz, caz, v, sgr, t, it, slope = out.T
    else:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            saz, caz, v, sgr, t, it, slope = _min_energy_rotating_np(*args, *consts)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the Earth's turn during the free flight within the small-angle series' range, and the
        # inertial label not degenerate (d gamma_r / dg = slope / cos gamma_r, ME_LABEL_GAIN_MAX)
        ok = (it > 0) & np.isfinite(saz) & np.isfinite(caz) & np.isfinite(v) & np.isfinite(sgr) & (
            np.abs(OMEGA_RAD_S * t) < 0.75) & (np.abs(slope) <= ME_LABEL_GAIN_MAX * np.sqrt(1.0 - sgr * sgr))
        # (unconverged rows may hold NaN or |sin| > 1: their angle is NaN, and they are not ok)
        return np.degrees(np.arctan2(saz, caz)), np.degrees(np.arcsin(sgr)), v, ok


def _min_energy_rotating_np(u1, e1, n1, ut, sin_ang, cos_ang, saz0, caz0, tbf, hbf, vfull, mu, r_e, omega, h, smax,
                            max_iter):
    """numpy twin of :func:`geocover._kernels._min_energy_aim_py`: the same float64 operations
    on all targets at once, each frozen when its own stopping test passes (so its result does
    not depend on the others). Returns sine and cosine of the launch azimuth, speed, sine of the
    ground-relative angle, time of flight, iterations (-1: not converged), slope of the sine of
    the ground-relative angle over the inertial label."""
    from . import _kernels as kn

    tol_az, tol_v, tol_t, tol_g = kn.ME_TOL_AZ, kn.ME_TOL_V_MPS, kn.ME_TOL_T_S, kn.ME_TOL_G_RAD
    f = kn.ME_NUMPY  # the helpers as plain numpy code (not their numba versions)
    p_, newton = f["_me_pass"], f["_me_newton"]
    n = sin_ang.size
    kb = 1.0 if (tbf > 0.0 and hbf > 0.0) else 0.0
    sh, ch = f["_me_sincos_small"](h)
    fr = tuple(np.ascontiguousarray(x[:, j]) for x in (u1, e1, n1, ut) for j in range(3))
    k = (tbf, hbf, vfull, kb, mu, r_e, omega)
    cg, sg, v, tb = f["_me_start"](sin_ang, cos_ang, tbf, hbf, vfull, kb, mu, r_e, 3)
    x = (saz0, caz0, v, sg, tb)
    for _ in range(2):
        x = p_(*fr, cg, sg, *x, *k)
    y = p_(*fr, cg, sg, *x, *k)
    m, mi = np.empty((4, 4, n)), np.empty((4, 4, n))
    f["_me_jacobian"](*fr, cg, sg, *x, *y, *k, m, mi)
    st = [np.array(z, float) for z in newton(mi, *x, *y)[:5]]  # centre member
    sp, sm = [z.copy() for z in st], [z.copy() for z in st]
    cg, sg = np.array(cg, float), np.array(sg, float)
    done = np.full(n, -1.0)
    idx = np.arange(n)
    for it in range(max_iter):
        if idx.size == 0:
            break
        c = tuple(z[idx] for z in fr)
        cgi, sgi, mii = cg[idx], sg[idx], mi[:, :, idx]
        old = [[z[idx] for z in s] for s in (st, sp, sm)]
        out = [p_(*c, cgi, sgi, *old[0], *k), p_(*c, cgi * ch - sgi * sh, sgi * ch + cgi * sh, *old[1], *k),
               p_(*c, cgi * ch + sgi * sh, sgi * ch - cgi * sh, *old[2], *k)]
        new = [newton(mii, *o, *w) for o, w in zip(old, out, strict=True)]
        (s0, c0, v0, q0, t0, da0, dv0, dt0), (s1, c1, v1, q1, t1, da1, dv1, _), (s2, c2, v2, q2, t2, da2, dv2, _) = new
        step = f["_me_step"](v0, v1, v2, h, smax)
        finite = (np.isfinite(step) & np.isfinite(v0) & np.isfinite(v1) & np.isfinite(v2) & np.isfinite(t0)
                  & np.isfinite(s0) & np.isfinite(c0))
        small = ((np.abs(da0) <= tol_az) & (np.abs(da1) <= tol_az) & (np.abs(da2) <= tol_az)
                 & (np.abs(dv0) <= tol_v) & (np.abs(dv1) <= tol_v) & (np.abs(dv2) <= tol_v)
                 & (np.abs(dt0) <= tol_t) & (v1 - 2.0 * v0 + v2 > 0.0))
        moved = f["_me_move"](step, h, s0, c0, v0, q0, t0, s1, c1, v1, q1, t1, s2, c2, v2, q2, t2, sgi, cgi)
        for j, s in enumerate((st, sp, sm)):
            for m_, z in enumerate(moved[5 * j:5 * j + 5]):
                s[m_][idx] = z
        sg[idx], cg[idx] = moved[15], moved[16]
        conv = finite & small & (np.abs(step) <= tol_g)
        done[idx[conv]] = it + 1
        idx = idx[finite & ~conv]
    # the member at the final angle, from the moved state
    idx = np.flatnonzero(done > 0)
    for _ in range(max_iter):
        if idx.size == 0:
            break
        old = [z[idx] for z in st]
        nw = newton(mi[:, :, idx], *old, *p_(*(z[idx] for z in fr), cg[idx], sg[idx], *old, *k))
        for z, w in zip(st, nw[:5], strict=True):
            z[idx] = w
        idx = idx[~((np.abs(nw[5]) <= tol_az) & (np.abs(nw[6]) <= tol_v) & (np.abs(nw[7]) <= tol_t))]
    done[idx] = -1.0
    slope = (sp[3] - sm[3]) / (2.0 * h)
    # the careful solve (``_kernels._me_careful_py``) target by target where this did not converge,
    # on float64 scalars: the same operations as the kernel's
    careful = f["_me_careful"]
    for i in np.flatnonzero(done < 0):
        sc = [np.empty((4, 4)) for _ in range(4)]
        for ground_start in (False, True):  # as the kernel: the second start where the first fails
            res = careful(*(z[i] for z in fr), sin_ang[i], cos_ang[i], saz0[i], caz0[i], tbf, hbf, vfull, kb, mu,
                          r_e, omega, h, smax, max_iter, *sc, ground_start)
            if res[5] > 0:
                break
        for z, w in zip((*st, done, slope), res, strict=True):
            z[i] = w
    return (*st, done, slope)


def _newton_hit(lat1, lon1, ut, az, g, v, *, fixed_speed: bool, spec: _Boost, rcs: dict, tol_m: float,
                max_iter: int):
    """Newton's method on (launch azimuth, speed) — or (azimuth, flight-path angle) for a
    fixed burnout speed — so that the impact on the rotating Earth is the target. Only the
    trajectories not yet within ``tol_m`` are flown again at each iteration."""
    e_t, n_t = _east_north(ut)
    q = (g if fixed_speed else v).astype(float).copy()
    az = np.asarray(az, float).copy()
    g, v = np.asarray(g, float), np.asarray(v, float)
    dq_fd, dq_max = (1e-4, 3.0) if fixed_speed else (0.05, 400.0)

    def shoot(idx, az_, q_):
        gg, vv = (q_, v[idx]) if fixed_speed else (g[idx], q_)
        return _shoot(lat1[idx], lon1[idx], az_, vv, gg, spec, True, rcs)

    def miss(idx, tr):
        d = _unit(tr.impact_lat_deg, tr.impact_lon_deg) - ut[idx]
        return np.stack([_dot(d, e_t[idx]), _dot(d, n_t[idx])], axis=-1)

    every = np.arange(az.size)
    f = miss(every, shoot(every, az, q))
    for _ in range(max_iter):
        err = np.linalg.norm(f, axis=-1) * R_EARTH_M
        idx = np.flatnonzero(np.isfinite(err) & (err >= tol_m))
        if idx.size == 0:
            break
        fi = f[idx]
        ja = (miss(idx, shoot(idx, az[idx] + 1e-4, q[idx])) - fi) / 1e-4
        jq = (miss(idx, shoot(idx, az[idx], q[idx] + dq_fd)) - fi) / dq_fd
        det = ja[:, 0] * jq[:, 1] - jq[:, 0] * ja[:, 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            d_az = (-fi[:, 0] * jq[:, 1] + jq[:, 0] * fi[:, 1]) / det
            d_q = (-ja[:, 0] * fi[:, 1] + fi[:, 0] * ja[:, 1]) / det
        d_az = np.clip(np.where(np.isfinite(d_az), d_az, 0.0), -5.0, 5.0)
        d_q = np.clip(np.where(np.isfinite(d_q), d_q, 0.0), -dq_max, dq_max)
        az[idx] += d_az
        q[idx] = np.clip(q[idx] + d_q, 0.5, 89.5) if fixed_speed else np.maximum(q[idx] + d_q, 100.0)
        f[idx] = miss(idx, shoot(idx, az[idx], q[idx]))
    g_out, v_out = (q, v) if fixed_speed else (g, q)
    return az, g_out, v_out, shoot(every, az, q)


# ------------------------------------------------------------------ missile classes
def missile_max_speed_mps(missile) -> float:
    """Burnout speed (m/s) of a missile class: the minimum-energy speed that reaches its
    nominal range (``range_m``) on a non-rotating Earth with its full burn time and
    burnout altitude."""
    if missile.burnout_speed_mps:
        return float(missile.burnout_speed_mps)
    return _full_speed_mps(float(missile.range_m), float(missile.burnout_altitude_m), float(missile.burn_time_s))


@functools.lru_cache(maxsize=256)
def _full_speed_mps(range_m: float, burnout_altitude_m: float, burn_time_s: float) -> float:
    """:func:`missile_max_speed_mps` of a class without a catalogued speed, computed once per
    (range, burnout altitude, burn time): every aim asks for it (2 ms each)."""
    _, v = min_energy_state(range_m / R_EARTH_M, burnout_altitude_m, burn_time_s)
    return float(v)


def wrong_side(mode: str, apogee_m: float | None, fpa_deg: float | None, traj: Trajectory, i: int = 0) -> str:
    """' (a depressed trajectory needs an apogee below the minimum-energy ... km)' when a
    lofted/depressed request lies on the wrong side of the minimum-energy flight, else ''."""
    if traj.apogee_bounds_m is None or mode == "min-energy":
        return ""
    me_apo = traj.apogee_bounds_m[i][1 if mode == "depressed" else 0]
    me_g = traj.fpa_bounds_deg[i][1 if mode == "depressed" else 0]
    side = "below" if mode == "depressed" else "above"
    if apogee_m is not None and (apogee_m > me_apo if mode == "depressed" else apogee_m < me_apo):
        return (f" (a {mode} trajectory needs an apogee {side} the minimum-energy {me_apo / 1000:,.0f} km for "
                "this range)")
    if fpa_deg is not None and (fpa_deg > me_g if mode == "depressed" else fpa_deg < me_g):
        return (f" (a {mode} trajectory needs a flight-path angle {side} the minimum-energy {me_g:.1f} deg for "
                "this range)")
    return ""


def aim_missile(missile, launch_lat_deg, launch_lon_deg, target_lat_deg, target_lon_deg, *,
                mode: str = "min-energy", fpa_deg: float | None = None, apogee_m: float | None = None,
                rotating: bool = True, errors: str = "raise", fixed_speed: bool = False,
                tol_m: float = 1.0) -> tuple[Trajectory, np.ndarray]:
    """Aim a catalog missile class (burn time, burnout altitude, RCS, reach) at targets.

    Flights that need less than the class's full burnout speed burn for less time (energy
    management, :func:`_managed`). ``fixed_speed=True`` flies at the class's full burnout
    speed (depressed root, or lofted with ``mode="lofted"``) instead of the speed the
    chosen profile needs. Targets the class cannot reach raise :class:`InputError` naming
    the maximum range, and lofted/depressed requests outside what the class can fly to that
    target raise one naming the feasible apogee (or angle) interval (``errors="raise"``);
    with ``errors="mask"`` they come back NaN with ``reachable`` False.
    """
    if errors not in ("raise", "mask"):
        raise InputError("errors must be 'raise' or 'mask'")
    v_max = missile_max_speed_mps(missile)
    kw = dict(burn_time_s=missile.burn_time_s, burnout_altitude_m=missile.burnout_altitude_m, rotating=rotating,
              body_rcs_m2=missile.body_rcs_m2, warhead_rcs_m2=missile.warhead_rcs_m2, tol_m=tol_m,
              full_speed_mps=v_max)
    traj, reach = aim(launch_lat_deg, launch_lon_deg, target_lat_deg, target_lon_deg, mode=mode, fpa_deg=fpa_deg,
                      apogee_m=apogee_m, speed_mps=v_max if fixed_speed else None, max_speed_mps=v_max, **kw)
    if errors == "raise" and not np.all(reach):
        from .geodesy import inverse

        bad = int(np.flatnonzero(~reach)[0])
        la1, lo1, la2, lo2 = (float(np.broadcast_to(np.atleast_1d(as_float64(x)), reach.shape)[bad]) for x in (
            launch_lat_deg, launch_lon_deg, target_lat_deg, target_lon_deg))
        d, _, _ = inverse(la1, lo1, la2, lo2)
        earth = "rotating" if rotating else "non-rotating"
        me, me_ok = (traj, reach) if mode == "min-energy" else aim(la1, lo1, la2, lo2, max_speed_mps=v_max, **kw)
        if mode != "min-energy" and not fixed_speed and bool(np.atleast_1d(me_ok)[0]):
            lo_a, hi_a = traj.apogee_bounds_m[bad]
            lo_g, hi_g = traj.fpa_bounds_deg[bad]
            asked = (f"an apogee of {_length_text(apogee_m)}" if apogee_m is not None else
                     f"a flight-path angle of {fpa_deg:g} deg" if fpa_deg is not None else "that profile")
            raise InputError(
                f"no {mode} trajectory of missile class {missile.id!r} to the target at {d / 1000:,.0f} km has "
                f"{asked}{wrong_side(mode, apogee_m, fpa_deg, traj, bad)}: on the {earth} Earth its {mode} flights "
                f"to that target have apogees from {_inward(lo_a / 1000, 1)} to {_inward(hi_a / 1000, -1)} km "
                f"(flight-path angles {_inward(lo_g, 1)}-{_inward(hi_g, -1)} deg), from the minimum-energy flight "
                f"to the {'steepest' if mode == 'lofted' else 'flattest'} one the solver flies within the class's "
                f"full {v_max:,.0f} m/s (between 1 and 89 deg)")
        need = float(np.atleast_1d(me.burnout_speed_mps)[0 if me is not traj else bad])
        why = (f"it would need a burnout speed of {need:,.0f} m/s on the {earth} Earth"
               if np.isfinite(need) else "no trajectory of that profile reaches it")
        raise InputError(
            f"target at {d / 1000:,.0f} km is beyond the reach of missile class {missile.id!r} "
            f"({mode}{', fixed speed' if fixed_speed else ''}): {why}; the class has {v_max:,.0f} m/s "
            f"(maximum range {missile.range_m / 1000:,.0f} km, minimum-energy, non-rotating Earth)")
    return traj, reach


def _length_text(m: float) -> str:
    """'1,500 km', '201.8 km' (as typed, not rounded to '202 km' beside an interval that starts
    at 201.83), or '300 m' below 10 km (an --apogee given without a unit is metres: '0 km'
    would hide that)."""
    return f"{m / 1000:,g} km" if abs(m) >= 10e3 else f"{m:,.0f} m"


def _inward(x: float, side: int) -> str:
    """An interval end to 2 decimals rounded into the interval (``side`` 1: a lower end, up;
    -1: an upper end, down), so that a request at the printed end is feasible (201.825 km
    printed as 201.8 refused --apogee 201.8km)."""
    y = math.ceil(x * 100 - 1e-9) / 100 if side > 0 else math.floor(x * 100 + 1e-9) / 100
    return f"{y:,.2f}"


def check_profile(mode: str, angle_deg: float | None, apogee_m: float | None) -> None:
    """Refuse contradictory profile options before flying: an apogee or angle without a
    lofted/depressed ``mode``, or both at once (:class:`InputError`, worded for the
    ``--apogee``/``--angle``/``--mode`` options). Whether the profile can be flown to the
    target (an apogee or angle on the right side of the minimum-energy flight, within the
    class's speed) is decided by the solver, which names the feasible interval."""
    if (apogee_m is not None or angle_deg is not None) and mode == "min-energy":
        raise InputError("--apogee and --angle shape a lofted or depressed trajectory: add --mode lofted "
                         "or --mode depressed")
    if apogee_m is not None and angle_deg is not None:
        raise InputError("give --apogee or --angle, not both")


def aim_profile(missile, lat1, lon1, lat2, lon2, mode, angle_deg, apogee_m, *, rotating: bool = True,
                errors: str = "raise"):
    """Aim a catalog class with a flight profile (``mode``, burnout ``angle_deg`` or
    ``apogee_m``; checked first by :func:`check_profile`): :func:`aim_missile`'s
    (trajectory, reachable)."""
    check_profile(mode, angle_deg, apogee_m)
    return aim_missile(missile, lat1, lon1, lat2, lon2, mode=mode, fpa_deg=angle_deg, apogee_m=apogee_m,
                       rotating=rotating, errors=errors)
