"""Interceptor flyout: when can an interceptor reach a point of the sky.

Model (``model="boost"``, the default). After the commit the interceptor rises vertically
for ``VERTICAL_RISE_SHARE`` (5 %) of its burn, pitches over to a launch angle gamma_0 and
flies a gravity turn (thrust along the velocity) to burnout, at ``burn_time_s`` after
launch, with the catalog's burnout speed ``V``; then it coasts on the Kepler conic from its
burnout state. The thrust acceleration is constant during the burn and, for each launch
angle, set so that the speed at burnout is ``V`` (gravity losses differ between a steep
and a shallow boost). Equations of the boost (polar coordinates in the plane of flight,
non-rotating spherical Earth, mu/r^2 gravity, no drag):

    dr/dt = v sin g,  dtheta/dt = v cos g / r,  dv/dt = a_T - (mu / r^2) sin g,
    dg/dt = (v / r - mu / (r^2 v)) cos g,

integrated with RK4 (100 steps per burn; burnout positions agree with 1,600 steps to
0.5 m). Launch angles from 3 to 89.999 deg form a family of trajectories; those that
touch the ground are dropped (that is "what a boost can do": a shallow pitch-over at low
speed falls back). A point (ground range d, altitude h)
is reachable if a trajectory of the family passes through it after burnout (the kill
vehicle does not intercept during the burn); its time is the earliest such passage,
found between neighbouring launch angles. The burnout altitude is therefore an output
of the boost (up to 377 km for the GBI, lower for shallow launch angles), not a catalog
value.

``model="pause"`` is the earlier open-literature model: the burn is a pause at the site,
then the fastest Kepler arc from the surface at speed V through the point,

    A cos 2g + B sin 2g = 2K - A,   A = r1^2/r2 - r1 cos psi,  B = r1 sin psi,
    K = mu (1 - cos psi) / V^2,      psi = d / R, r1 = R, r2 = R + h,

keeping the faster root. It is pessimistic for the defence by tens of seconds at typical
intercept points (a real boost is already on its way up and downrange at burnout) and
optimistic for low, distant points that no real boost reaches.

Both ignore Earth rotation and the atmosphere for the interceptor; the README says how
much and which way each biases the verdicts. The result is tabulated once per interceptor
over ground range x altitude and interpolated bilinearly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels
from .catalog import MAX_BURNOUT_SPEED_MPS, Interceptor
from .earth import as_float64
from .errors import InputError
from .trajectory import MU_M3_S2, R_EARTH_M

__all__ = ["FLYOUT_MODELS", "VERTICAL_RISE_SHARE", "FlyoutTable", "boost_family", "flyout_table",
           "kepler_time_to_point"]

#: Flyout models: the gravity-turn boost then Kepler coast (default), or the burn as a pause.
FLYOUT_MODELS = ("boost", "pause")
#: Share of the burn flown vertically before the pitch-over (notional: a few seconds).
VERTICAL_RISE_SHARE = 0.05


def kepler_time_to_point(ground_range_m: ArrayLike, altitude_m: ArrayLike, speed_mps: float) -> np.ndarray:
    """Shortest coast time (s) from the surface at speed V to a point (d, h); NaN if no arc
    at that speed reaches it."""
    d, h = np.broadcast_arrays(as_float64(ground_range_m), as_float64(altitude_m))
    psi = np.maximum(d / R_EARTH_M, 1e-7)
    r1, r2 = R_EARTH_M, R_EARTH_M + h
    v = float(speed_mps)
    k = MU_M3_S2 * (1.0 - np.cos(psi)) / (v * v)
    a = r1 * r1 / r2 - r1 * np.cos(psi)
    b = r1 * np.sin(psi)
    amp = np.hypot(a, b)
    phi = np.arctan2(b, a)
    with np.errstate(invalid="ignore"):
        dlt = np.arccos((2 * k - a) / amp)
    best = np.full(d.shape, np.nan)
    for sign in (-1.0, 1.0):
        g = 0.5 * (phi + sign * dlt)
        t = _coast_time(psi, g, r1, v)
        ok = np.isfinite(t) & (g >= 0.0) & (g < np.pi / 2)
        best = np.where(ok & ~(best <= t), t, best)
    return best


def _coast_time(psi: np.ndarray, g: np.ndarray, r1: float, v: float) -> np.ndarray:
    h = r1 * v * np.cos(g)
    p = h * h / MU_M3_S2
    inv_a = 2.0 / r1 - v * v / MU_M3_S2
    ecos0, esin0 = p / r1 - 1.0, h * v * np.sin(g) / MU_M3_S2
    e = np.hypot(ecos0, esin0)
    nu0 = np.arctan2(esin0, ecos0)
    nu1 = nu0 + psi
    with np.errstate(invalid="ignore", divide="ignore"):
        def ecc(nu):
            return 2.0 * np.arctan2(np.sqrt(1 - e) * np.sin(nu / 2), np.sqrt(1 + e) * np.cos(nu / 2))

        e0, e1 = ecc(nu0), ecc(nu1)
        e1 = np.where(e1 < e0, e1 + 2 * np.pi, e1)
        n = np.sqrt(MU_M3_S2 * inv_a**3)
        t = ((e1 - e * np.sin(e1)) - (e0 - e * np.sin(e0))) / n
    return np.where((inv_a > 0) & (e < 1), t, np.nan)


@dataclass(frozen=True)
class FlyoutTable:
    """Time from commit to arrival (s) over ground range x altitude for one interceptor."""

    interceptor_id: str
    burnout_speed_mps: float
    burn_time_s: float
    ranges_m: np.ndarray
    altitudes_m: np.ndarray
    time_s: np.ndarray  # (n_range, n_alt), NaN where unreachable

    def time_to(self, ground_range_m: ArrayLike, altitude_m: ArrayLike) -> np.ndarray:
        """Arrival time after commit (s), bilinear in the table; NaN outside it or where
        unreachable (beyond max range, outside the altitude window)."""
        r, a = self.ranges_m, self.altitudes_m
        if _kernels.use_numba():  # the same float64 operations, point by point: the same values
            d, h = np.broadcast_arrays(np.asarray(ground_range_m), np.asarray(altitude_m))
            if d.dtype.kind == "f" and h.dtype.kind == "f":  # float32 distances are converted inside
                out = np.empty(d.shape)
                _kernels.flyout_time(np.ascontiguousarray(d).reshape(-1), np.ascontiguousarray(h).reshape(-1),
                                     float(r[0]), float(r[1] - r[0]), r.size, float(a[0]), float(a[1] - a[0]),
                                     a.size, self.time_s, out.reshape(-1))
                return out
        d, h = np.broadcast_arrays(np.asarray(ground_range_m, float), np.asarray(altitude_m, float))
        d, h = np.nan_to_num(d, nan=-1.0), np.nan_to_num(h, nan=-1.0)
        fr = (d - r[0]) / (r[1] - r[0])
        fa = (h - a[0]) / (a[1] - a[0])
        inside = (fr >= 0) & (fr <= r.size - 1) & (fa >= 0) & (fa <= a.size - 1)
        i = np.clip(np.floor(fr).astype(np.intp), 0, r.size - 2)
        j = np.clip(np.floor(fa).astype(np.intp), 0, a.size - 2)
        u, w = fr - i, fa - j
        t = self.time_s
        val = ((t[i, j] * (1 - w) + t[i, j + 1] * w) * (1 - u)
               + (t[i + 1, j] * (1 - w) + t[i + 1, j + 1] * w) * u)
        return np.where(inside, val, np.nan)


@dataclass(frozen=True)
class BoostFamily:
    """Burnout states of a family of gravity-turn boosts (one per launch angle), arrays of
    shape (n,): launch angle (deg), burnout radius (m), range angle (rad), flight-path angle
    (rad), constant thrust acceleration (m/s^2); and the minimum height (m) along each boost."""

    launch_angle_deg: np.ndarray
    burnout_radius_m: np.ndarray
    burnout_angle_rad: np.ndarray
    burnout_fpa_rad: np.ndarray
    thrust_accel_mps2: np.ndarray
    min_height_m: np.ndarray
    speed_mps: float
    burn_time_s: float


def _gravity_turn(a_t: np.ndarray, g0: np.ndarray, tb: float, n_steps: int, vertical_share: float):
    """RK4 of the boost for thrust accelerations a_t and launch angles g0 (rad); returns the
    final (r, theta, v, g) and the minimum height along the way."""
    n = g0.size
    r = np.full(n, R_EARTH_M)
    th = np.zeros(n)
    v = np.zeros(n)
    g = np.full(n, np.pi / 2)
    dt = tb / n_steps
    n_vert = max(1, round(vertical_share * n_steps))
    hmin = np.full(n, np.inf)

    def rhs(r, th, v, g, turn):
        mu_r2 = MU_M3_S2 / (r * r)
        sg, cg = np.sin(g), np.cos(g)
        with np.errstate(divide="ignore", invalid="ignore"):
            dg = np.where(turn & (v > 0), (v / r - mu_r2 / np.where(v > 0, v, 1.0)) * cg, 0.0)
        return v * sg, v * cg / r, a_t - mu_r2 * sg, dg

    for k in range(n_steps):
        if k == n_vert:
            g = g0.copy()  # the pitch-over
        turn = k >= n_vert
        k1 = rhs(r, th, v, g, turn)
        k2 = rhs(r + 0.5 * dt * k1[0], th + 0.5 * dt * k1[1], v + 0.5 * dt * k1[2], g + 0.5 * dt * k1[3], turn)
        k3 = rhs(r + 0.5 * dt * k2[0], th + 0.5 * dt * k2[1], v + 0.5 * dt * k2[2], g + 0.5 * dt * k2[3], turn)
        k4 = rhs(r + dt * k3[0], th + dt * k3[1], v + dt * k3[2], g + dt * k3[3], turn)
        r = r + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        th = th + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        v = v + dt / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2])
        g = g + dt / 6 * (k1[3] + 2 * k2[3] + 2 * k3[3] + k4[3])
        if k >= n_vert:
            hmin = np.minimum(hmin, r - R_EARTH_M)
    return r, th, v, g, hmin


def boost_family(speed_mps: float, burn_time_s: float, launch_angle_deg: ArrayLike | None = None, *,
                 n_steps: int = 100, vertical_share: float = VERTICAL_RISE_SHARE) -> BoostFamily:
    """Fly the gravity-turn boost for each launch angle (deg; default 3 to 89.999, dense near
    the vertical) with the thrust acceleration that gives burnout speed ``speed_mps`` after
    ``burn_time_s`` (Newton on a_T: d v_b / d a_T = t_b exactly for a gravity turn's thrust
    along the velocity, up to the change of path)."""
    v_b, tb = float(speed_mps), float(burn_time_s)
    if not tb > 0:
        raise InputError(f"the boost model needs a burn time > 0 s, got {burn_time_s}")
    if launch_angle_deg is None:
        u = np.linspace(0.0, 1.0, 241)
        launch_angle_deg = 89.999 - (89.999 - 3.0) * u**1.5
    g0 = np.radians(np.atleast_1d(as_float64(launch_angle_deg)))
    a_t = np.full(g0.shape, v_b / tb + 9.81)
    for _ in range(30):
        r, th, v, g, hmin = _gravity_turn(a_t, g0, tb, n_steps, vertical_share)
        miss = v_b - v
        a_t = np.where(np.isfinite(miss), a_t + miss / tb, a_t)
        if np.nanmax(np.abs(miss)) < 1e-6 * v_b:
            break
    r, th, v, g, hmin = _gravity_turn(a_t, g0, tb, n_steps, vertical_share)
    return BoostFamily(np.degrees(g0), r, th, g, a_t, hmin, v_b, tb)


def _boost_flyout_times(fam: BoostFamily, ranges_m: np.ndarray, alts_m: np.ndarray) -> np.ndarray:
    """Earliest arrival (s after launch) at each (range, altitude) node over the family's
    coast arcs; NaN where no arc passes after burnout."""
    ok = fam.min_height_m > 0.0
    r1, th_b, gb = fam.burnout_radius_m[ok], fam.burnout_angle_rad[ok], fam.burnout_fpa_rad[ok]
    v = fam.speed_mps
    # conic of each coast: p, e, true anomaly at burnout
    h_ang = r1 * v * np.cos(gb)
    p = h_ang * h_ang / MU_M3_S2
    ecos0, esin0 = p / r1 - 1.0, h_ang * v * np.sin(gb) / MU_M3_S2
    e = np.hypot(ecos0, esin0)
    nu0 = np.arctan2(esin0, ecos0)
    d = np.asarray(ranges_m, float).copy()
    if d[0] == 0.0:  # the site's own column: just off the vertical
        d[0] = min(100.0, 0.01 * d[1]) if d.size > 1 else 100.0
    psi = d[None, :] / R_EARTH_M - th_b[:, None]  # (n_k, n_d) coast angle
    after = psi >= 0.0
    nu = nu0[:, None] + np.maximum(psi, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rad = p[:, None] / (1.0 + e[:, None] * np.cos(nu))
    height = np.where(after & (rad > 0), rad - R_EARTH_M, np.nan)
    # once a coast has come down to the ground it is over
    down = after & ~(height > 0.0)
    grounded = np.logical_or.accumulate(down, axis=1)
    height = np.where(grounded, np.nan, height)
    t = fam.burn_time_s + _coast_time(np.maximum(psi, 1e-12), gb[:, None], r1[:, None], v)
    t = np.where(np.isfinite(height), t, np.nan)
    out = np.full((d.size, np.size(alts_m)), np.nan)
    if np.asarray(ranges_m, float)[0] == 0.0:  # straight up: the vertical boost, then radial
        out[0] = _vertical_times(fam.speed_mps, fam.burn_time_s, np.asarray(alts_m, float))
        height, t = height[:, 1:], t[:, 1:]
    h0, h1 = height[:-1], height[1:]
    t0, t1 = t[:-1], t[1:]
    if h0.shape[0] == 0:  # fewer than two boosts clear the ground: no coast arc reaches any node
        return out
    for j, alt in enumerate(np.asarray(alts_m, float)):
        a, b = h0 - alt, h1 - alt
        cross = np.isfinite(a) & np.isfinite(b) & (np.sign(a) != np.sign(b))
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(cross, a / (a - b), np.nan)
            tt = np.where(cross, t0 + w * (t1 - t0), np.nan)
        with np.errstate(invalid="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out[-t.shape[1]:, j] = np.nanmin(tt, axis=0)
    return out


def _vertical_times(speed_mps: float, burn_time_s: float, alts_m: np.ndarray) -> np.ndarray:
    """Arrival time (s after launch) straight above the site: a vertical boost to burnout
    (radius r_b, speed V), then a radial coast, t = t_b + integral dr / sqrt(V^2 - 2 mu
    (1/r_b - 1/r)) (trapezoid in the variable sqrt(r - r_b), smooth at burnout); NaN below
    the burnout height (passed during the burn) or above the apex."""
    fam = boost_family(speed_mps, burn_time_s, [90.0])
    r_b = float(fam.burnout_radius_m[0])
    v = float(speed_mps)
    r = R_EARTH_M + alts_m
    out = np.full(alts_m.shape, np.nan)
    inv_apex = 1.0 / r_b - v * v / (2.0 * MU_M3_S2)
    r_apex = 1.0 / inv_apex if inv_apex > 0 else np.inf
    for i, ri in enumerate(r):
        if not r_b <= ri < r_apex:
            continue
        u = np.linspace(0.0, np.sqrt(ri - r_b), 400)
        rr = r_b + u * u
        speed = np.sqrt(np.maximum(v * v - 2.0 * MU_M3_S2 * (1.0 / r_b - 1.0 / rr), 1e-9))
        f = 2.0 * u / speed
        out[i] = burn_time_s + float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(u)))
    return out


def flyout_table(interceptor: Interceptor, *, speed_mps: float | None = None, n_range: int = 241,
                 n_alt: int = 121, model: str = "boost") -> FlyoutTable:
    """Tabulate the flyout of an interceptor (optionally at another burnout speed) over
    0..max_range_m and its altitude window; ``model`` is ``"boost"`` (gravity-turn boost,
    then Kepler coast) or ``"pause"`` (the burn as a pause at the site)."""
    v = float(speed_mps if speed_mps is not None else interceptor.burnout_speed_mps)
    if not 0 < v <= MAX_BURNOUT_SPEED_MPS:  # the catalog's bound: a record that loads is flown
        raise InputError(f"interceptor burnout speed must be > 0 and <= {MAX_BURNOUT_SPEED_MPS:,.0f} m/s, got {v}")
    if model not in FLYOUT_MODELS:
        raise InputError(f"flyout model must be one of {', '.join(FLYOUT_MODELS)}, got {model!r}")
    ranges = np.linspace(0.0, interceptor.max_range_m, n_range)
    alts = np.linspace(interceptor.min_intercept_altitude_m, interceptor.max_intercept_altitude_m, n_alt)
    if model == "pause" or interceptor.burn_time_s <= 0:
        t = kepler_time_to_point(ranges[:, None], alts[None, :], v) + interceptor.burn_time_s
    else:
        t = _boost_flyout_times(_cached_family(v, float(interceptor.burn_time_s)), ranges, alts)
    return FlyoutTable(interceptor.id, v, interceptor.burn_time_s, ranges, alts, t)


@lru_cache(maxsize=32)
def _cached_family(speed_mps: float, burn_time_s: float) -> BoostFamily:
    return boost_family(speed_mps, burn_time_s)
