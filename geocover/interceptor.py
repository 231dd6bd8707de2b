"""Interceptor flyout: when can an interceptor reach a point of the sky.

Model (the standard open-literature approach, see PHYSICS.md "Interception"): after the
commit, the interceptor burns for ``burn_time_s`` at its site and then coasts along the
*fastest* Kepler arc that starts at the surface at its burnout speed V and passes through
the point (ground range d, altitude h). For a given V the arcs through a point are the two
roots of the conic equation in the flight-path angle gamma,

    A cos 2g + B sin 2g = 2K - A,   A = r1^2/r2 - r1 cos psi,  B = r1 sin psi,
    K = mu (1 - cos psi) / V^2,      psi = d / R, r1 = R, r2 = R + h,

and the faster root is kept. The time to reach the point is ``burn_time_s`` plus the
Kepler time along that arc. Earth rotation and the atmosphere are ignored for the
interceptor (its flight is short), and the boost is a pause at the site, not a climb: both
make the model slightly optimistic for the defence at short range. The result is tabulated
once per interceptor over ground range x altitude and interpolated bilinearly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .catalog import Interceptor
from .earth import _f
from .errors import InputError
from .trajectory import MU_M3_S2, R_EARTH_M

__all__ = ["FlyoutTable", "flyout_table", "kepler_time_to_point"]


def kepler_time_to_point(ground_range_m: ArrayLike, altitude_m: ArrayLike, speed_mps: float) -> np.ndarray:
    """Shortest coast time (s) from the surface at speed V to a point (d, h); NaN if no arc
    at that speed reaches it."""
    d, h = np.broadcast_arrays(_f(ground_range_m), _f(altitude_m))
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
        d, h = np.broadcast_arrays(np.asarray(ground_range_m, float), np.asarray(altitude_m, float))
        d, h = np.nan_to_num(d, nan=-1.0), np.nan_to_num(h, nan=-1.0)
        r, a = self.ranges_m, self.altitudes_m
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


def flyout_table(interceptor: Interceptor, *, speed_mps: float | None = None, n_range: int = 241,
                 n_alt: int = 121) -> FlyoutTable:
    """Tabulate the flyout of an interceptor (optionally at another burnout speed) over
    0..max_range_m and its altitude window."""
    v = float(speed_mps if speed_mps is not None else interceptor.burnout_speed_mps)
    if not 0 < v < 11_000:
        raise InputError(f"interceptor burnout speed must be in (0, 11,000) m/s, got {v}")
    ranges = np.linspace(0.0, interceptor.max_range_m, n_range)
    alts = np.linspace(interceptor.min_intercept_altitude_m, interceptor.max_intercept_altitude_m, n_alt)
    t = kepler_time_to_point(ranges[:, None], alts[None, :], v) + interceptor.burn_time_s
    return FlyoutTable(interceptor.id, v, interceptor.burn_time_s, ranges, alts, t)
