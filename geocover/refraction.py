"""Effective-Earth-radius refraction, radar horizon, and height <-> range on a smooth Earth.

The standard model replaces the Earth's radius R by k*R so that radio rays, which bend
down in the lower atmosphere, become straight lines. Models (``model=``):

``"4/3"`` (default)
    k = 4/3 exactly; R_eff = 8,494,666.7 m with R = 6,371,000 m.
``"gradient"``
    k = 1 / (1 + R dN/dh) with refractivity gradient dN/dh = -39e-9 per metre, the
    MATLAB Radar Toolbox default (``effearthradius``): R_eff = 8,477,361.5 m.
``"crpl"`` (or ``"crpl:Ns"``)
    The CRPL exponential reference atmosphere, N(h) = Ns exp(-c_e h) with Ns = 313 N-units
    and c_e from :func:`refraction_exponent_per_km` (MATLAB ``refractionexp``,
    ``height2range(..., Method="CRPL")``), evaluated by ray tracing over the curved Earth
    (Snell's law for a spherically stratified medium, n(r) r cos(theta) = const). Ray
    families are traced once per antenna height and tabulated (:func:`crpl_site`). Where a
    single radius is needed (terrain masks, short paths below the antenna) it stands in with
    the effective radius of its first-kilometre gradient (k = 1.365 for Ns = 313).
``"none"``
    k = 1, geometric (optical) line of sight.
a number
    k itself (e.g. ``1.2``).

Which to use. Over long paths the 4/3 sphere bends rays too much: a ray leaving a 729 m
hill at 0 deg is at 304 km (CRPL) rather than 242 km (4/3) at 2,000 km ground range, and
738 km rather than 560 km at 3,000 km (``test_refraction_crpl.py``). ``"crpl"`` is the
model for long-range visibility; 4/3 remains the default for compatibility (see the
README's refraction section for how the published claims move between them).

The effective-radius models are meant for the lower atmosphere. For targets hundreds of
kilometres up the bending happens near the radar, so geocover applies refraction to the
elevation / horizon test and keeps true geometry for slant ranges to real targets.

All lengths are metres, angles degrees; every function broadcasts over numpy arrays and
returns floats for scalar input. Heights are above the (smooth, spherical) surface,
i.e. above mean sea level when used with catalog heights.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import weakref
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from .earth import MEAN_EARTH_RADIUS_M, as_float64, scalar_or_array
from .errors import InputError

__all__ = [
    "CRPL_SURFACE_REFRACTIVITY_N",
    "DEFAULT_VISIBILITY_MODEL",
    "EARTH_RADIUS_M",
    "REFRACTIVITY_GRADIENT_PER_M",
    "CrplRays",
    "CrplSite",
    "RefractionModel",
    "crpl_refractivity",
    "crpl_site",
    "crpl_surface_refractivity_n",
    "effective_earth_radius",
    "height_to_ground_range",
    "height_to_range",
    "horizon_ground_range",
    "horizon_range",
    "is_ray_traced",
    "lowest_visible_altitude",
    "model_name",
    "range_to_height",
    "refraction_exponent_per_km",
    "trace_crpl_rays",
]

#: Mean Earth radius used by the refraction model (:data:`geocover.earth.MEAN_EARTH_RADIUS_M`).
EARTH_RADIUS_M = MEAN_EARTH_RADIUS_M
#: Default refraction model of radar visibility (RadarView, footprints, the CLI's --model):
#: the ray-traced CRPL atmosphere, which agrees with an independent ray trace to < 1 m of
#: height where 4/3 is 62 km low at 2,000 km and 178 km low at 3,000 km (Brdy, 0 deg).
#: The closed-form functions below keep 4/3 as their default (PHYSICS.md's formulas).
DEFAULT_VISIBILITY_MODEL = "crpl"
#: Standard-atmosphere refractivity gradient (per metre) of the ``"gradient"`` model.
REFRACTIVITY_GRADIENT_PER_M = -39e-9

RefractionModel = str | float


def k_factor(model: RefractionModel) -> float:
    if isinstance(model, bool):
        raise InputError(f"refraction model must be '4/3', 'gradient', 'crpl', 'none' or a k factor, got {model!r}")
    if isinstance(model, (int, float, np.floating, np.integer)):
        k = float(model)
    else:
        text = str(model).strip().lower()
        ns = crpl_surface_refractivity_n(text)
        if ns is not None:
            return _crpl_effective_radius(ns) / EARTH_RADIUS_M
        if text in ("4/3", "four-thirds", "fourthirds"):
            return 4.0 / 3.0
        if text in ("none", "geometric", "1"):
            return 1.0
        if text in ("gradient", "matlab"):
            return 1.0 / (1.0 + EARTH_RADIUS_M * REFRACTIVITY_GRADIENT_PER_M)
        try:
            k = float(text)
        except ValueError:
            raise InputError(
                f"unknown refraction model {model!r}: use '4/3', 'gradient', 'crpl', 'none' or a k factor"
            ) from None
    if not np.isfinite(k) or k <= 0:
        raise InputError(f"refraction k factor must be a positive number, got {model!r}")
    return k


def model_name(model: RefractionModel) -> str:
    """Canonical text of a model (``"4/3"``, ``"gradient"``, ``"crpl"``, ``"crpl:320"``,
    ``"none"`` or ``"k=1.2"``)."""
    if isinstance(model, str) and model.strip().lower() in ("4/3", "gradient", "none", "crpl"):
        return model.strip().lower()
    ns = crpl_surface_refractivity_n(model)
    if ns is not None:
        return f"crpl:{ns:g}"
    return f"k={k_factor(model):g}"


def effective_earth_radius(model: RefractionModel = "4/3", *,
                           earth_radius_m: float = EARTH_RADIUS_M) -> float:
    """Effective Earth radius R_eff = k * R in metres for a refraction model.

    >>> round(effective_earth_radius("gradient"))
    8477361
    """
    if not earth_radius_m > 0:
        raise InputError(f"earth_radius_m must be > 0, got {earth_radius_m}")
    if isinstance(model, str) and model.strip().lower() in ("gradient", "matlab"):
        return earth_radius_m / (1.0 + earth_radius_m * REFRACTIVITY_GRADIENT_PER_M)
    return k_factor(model) * earth_radius_m


def _unique_apply(func, *arrays):
    """Apply a scalar-parameter ray-tracing function over broadcast arrays, once per unique
    parameter tuple (ray tracing is per antenna height and elevation)."""
    b = np.broadcast_arrays(*(as_float64(a) for a in arrays))
    flat = [x.ravel() for x in b]
    out = np.empty(flat[0].shape)
    keys = np.stack(flat[1:], axis=-1) if len(flat) > 1 else np.zeros((flat[0].size, 0))
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    for k, params in enumerate(uniq):
        sel = inv.ravel() == k
        out[sel] = func(flat[0][sel], *params)
    return out.reshape(b[0].shape)


def _nonneg(name: str, value: np.ndarray, floor: float = 0.0) -> np.ndarray:
    if np.any(~np.isfinite(value)):
        raise InputError(f"{name} must be finite")
    if np.any(value < floor):
        raise InputError(f"{name} must be >= {floor:g} m, got {np.min(value):g}")
    return value


def horizon_range(antenna_height_m: ArrayLike, target_height_m: ArrayLike = 0.0, *,
                  model: RefractionModel = "4/3"):
    """Line-of-sight distance (m) from an antenna to a target on its radar horizon.

    d = sqrt(2 R_e h_a + h_a^2) + sqrt(2 R_e h_t + h_t^2), the tangent distances from each
    end to the grazing point (MATLAB ``horizonrange`` for ``target_height_m=0``). For
    ``"crpl"``: the apparent (optical) path lengths of the grazing rays from each end.
    """
    ns = crpl_surface_refractivity_n(model)
    if ns is not None:
        return scalar_or_array(_crpl_grazing("optical_path_m", antenna_height_m, ns)
                    + _crpl_grazing("optical_path_m", target_height_m, ns))
    re = effective_earth_radius(model)
    ha = _nonneg("antenna_height_m", as_float64(antenna_height_m))
    ht = _nonneg("target_height_m", as_float64(target_height_m))
    return scalar_or_array(np.sqrt(2 * re * ha + ha * ha) + np.sqrt(2 * re * ht + ht * ht))


def horizon_ground_range(antenna_height_m: ArrayLike, target_height_m: ArrayLike = 0.0, *,
                         model: RefractionModel = "4/3"):
    """Distance along the (effective) surface (m) to a target on the radar horizon (for
    ``"crpl"``, along the true surface under the traced grazing rays)."""
    ns = crpl_surface_refractivity_n(model)
    if ns is not None:
        return scalar_or_array(EARTH_RADIUS_M * (_crpl_grazing("phi_rad", antenna_height_m, ns)
                                      + _crpl_grazing("phi_rad", target_height_m, ns)))
    re = effective_earth_radius(model)
    ha = _nonneg("antenna_height_m", as_float64(antenna_height_m))
    ht = _nonneg("target_height_m", as_float64(target_height_m))
    return scalar_or_array(re * (np.arccos(re / (re + ha)) + np.arccos(re / (re + ht))))


def range_to_height(slant_range_m: ArrayLike, antenna_height_m: ArrayLike,
                    elevation_deg: ArrayLike, *, model: RefractionModel = "4/3"):
    """Target height (m) at slant range along a ray leaving at an elevation angle.

    h_t = sqrt(rho^2 + a^2 + 2 rho a sin E) - R_e, with a = R_e + h_a
    (MATLAB ``range2height``, curved-Earth method). For ``"crpl"`` the range is the
    propagated (optical) path length along the traced ray, as MATLAB's CRPL method.
    """
    ns = crpl_surface_refractivity_n(model)
    if ns is not None:
        _nonneg("slant_range_m", as_float64(slant_range_m))

        def one(rho, h_a, e):
            rays = trace_crpl_rays(h_a, [e], surface_refractivity_n=ns)
            p, hh = rays.optical_path_m[0], rays.height_m[0]
            # beyond the atmosphere's top the ray is straight (n = 1): r cos(theta) = c
            r_top = EARTH_RADIUS_M + hh[-1]
            c = rays.invariant_m[0]
            sin_top = np.sqrt(max(1.0 - (c / r_top) ** 2, 0.0))
            dl = np.maximum(rho - p[-1], 0.0)
            line = np.sqrt(r_top * r_top + 2.0 * r_top * dl * sin_top + dl * dl) - EARTH_RADIUS_M
            return np.where(rho <= p[-1], np.interp(rho, p, hh), line)

        return scalar_or_array(_unique_apply(one, slant_range_m, antenna_height_m, elevation_deg))
    re = effective_earth_radius(model)
    rho = _nonneg("slant_range_m", as_float64(slant_range_m))
    h_a = as_float64(antenna_height_m)
    a = re + h_a
    sin_e = np.sin(np.radians(as_float64(elevation_deg)))
    # sqrt(rho^2 + a^2 + 2 rho a sinE) - a, written without cancellation.
    num = rho * (rho + 2 * a * sin_e)
    return scalar_or_array(h_a + num / (np.sqrt(a * a + num) + a))


def height_to_range(target_height_m: ArrayLike, antenna_height_m: ArrayLike,
                    elevation_deg: ArrayLike, *, model: RefractionModel = "4/3"):
    """Slant range (m) at which a ray leaving at an elevation angle reaches a height.

    A root of rho^2 + 2 a sin(E) rho + a^2 - (R_e + h_t)^2 = 0: the first crossing of the
    height along the ray (the nearer root for a downward ray to a lower target). NaN where
    the ray never reaches that height. For ``"crpl"``: the propagated (optical) path length
    to where the traced ray first reaches the height climbing (MATLAB ``height2range`` with
    ``Method="CRPL"``).
    """
    ns = crpl_surface_refractivity_n(model)
    if ns is not None:
        return scalar_or_array(_unique_apply(
            lambda h, h_a, e: trace_crpl_rays(h_a, [e], surface_refractivity_n=ns).at_height(
            h, "optical_path_m")[0], target_height_m, antenna_height_m, elevation_deg))
    re = effective_earth_radius(model)
    h_a, h_t, sin_e = np.broadcast_arrays(as_float64(antenna_height_m), as_float64(target_height_m),
                                          np.sin(np.radians(as_float64(elevation_deg))))
    a, c = re + h_a, re + h_t
    # c^2 - a^2 cos^2 E, written so that small height differences keep their precision.
    disc = (h_t - h_a) * (c + a) + (a * sin_e) ** 2
    root = np.sqrt(np.maximum(disc, 0.0))
    near = (sin_e < 0) & (h_t < h_a)
    rho = -a * sin_e + np.where(near, -root, root)
    tol = 1e-9 * a
    rho = np.where((disc < -tol * a) | (rho < -tol), np.nan, np.maximum(rho, 0.0))
    return scalar_or_array(rho)


def height_to_ground_range(target_height_m: ArrayLike, antenna_height_m: ArrayLike,
                           elevation_deg: ArrayLike, *, model: RefractionModel = "4/3"):
    """Distance along the effective surface (m) to where a ray reaches a height.

    Arc length R_e * theta of the central angle between antenna and target (MATLAB
    ``height2grndrange``); for ``"crpl"`` R * phi on the true sphere along the traced ray.
    """
    ns = crpl_surface_refractivity_n(model)
    if ns is not None:
        return scalar_or_array(EARTH_RADIUS_M * _unique_apply(
            lambda h, h_a, e: trace_crpl_rays(h_a, [e], surface_refractivity_n=ns).at_height(h, "phi_rad")[0],
            target_height_m, antenna_height_m, elevation_deg))
    re = effective_earth_radius(model)
    rho = as_float64(height_to_range(target_height_m, antenna_height_m, elevation_deg, model=model))
    a = re + as_float64(antenna_height_m)
    e = np.radians(as_float64(elevation_deg))
    theta = np.arctan2(rho * np.cos(e), a + rho * np.sin(e))
    return scalar_or_array(re * theta)


def lowest_visible_altitude(ground_range_m: ArrayLike, antenna_height_m: ArrayLike, *,
                            min_elevation_deg: ArrayLike = 0.0,
                            model: RefractionModel = "4/3"):
    """Lowest target height (m) visible at a ground distance above a minimum elevation.

    h_min = (R_e + h_a) cos E / cos(E + theta) - R_e with theta = s / R_e (PHYSICS.md).
    An elevated antenna may look down: beyond the horizon E is never taken below the dip
    of the grazing ray, -arccos(R_e / (R_e + h_a)), and the result is never below the
    surface (0 m), so with a negative ``min_elevation_deg`` the surface is visible out to
    the horizon.
    ``inf`` where E + theta >= 90 deg (no ray from the radar comes back over that point).

    For ``"crpl"`` the height of the traced ray at elevation max(E, grazing) (beyond the
    horizon) from the site's tabulated ray family (:func:`crpl_site`); rays steeper down
    than the grazing one (they meet the ground before the horizon) use the
    first-kilometre effective radius.
    """
    ns = crpl_surface_refractivity_n(model)
    if ns is not None:
        s, e, h_a = np.broadcast_arrays(as_float64(ground_range_m), as_float64(min_elevation_deg),
                                        as_float64(antenna_height_m))
        out = np.empty(s.shape)
        for h in np.unique(h_a):  # one traced ray family per antenna height
            sel = h_a == h
            out[sel] = _crpl_lowest(s[sel], e[sel], float(h), ns)
        return scalar_or_array(out)
    re = effective_earth_radius(model)
    s = _nonneg("ground_range_m", as_float64(ground_range_m))
    e = np.radians(as_float64(min_elevation_deg))
    if np.any(np.abs(e) > np.pi / 2):
        raise InputError("min_elevation_deg must be within [-90, 90]")
    a = re + as_float64(antenna_height_m)
    dip = np.arccos(np.minimum(re / a, 1.0))
    # Beyond the horizon only rays above the grazing one arrive; before it, any ray that
    # would pass underground means the surface itself is in view (clipped to 0 below).
    e = np.where(s > re * dip, np.maximum(e, -dip), e)
    ang = e + s / re
    with np.errstate(divide="ignore"):
        h = np.where(ang < np.pi / 2, a * np.cos(e) / np.cos(np.minimum(ang, np.pi / 2)) - re,
                     np.inf)
    return scalar_or_array(np.maximum(h, 0.0))


# ------------------------------------------------------------------ CRPL ray tracing
#: CRPL exponential reference atmosphere: default surface refractivity (N-units), the
#: MATLAB Radar Toolbox default (``refractionexp``, ``height2range(..., Method="CRPL")``).
CRPL_SURFACE_REFRACTIVITY_N = 313.0
#: Height (m) above which the ray tracer treats the atmosphere as vacuum: the CRPL
#: refractivity there is below 2e-4 N-units (n - 1 < 2e-10), and rays are straight lines.
CRPL_TOP_M = 100_000.0
#: Rays at or below this elevation (deg) are integrated through their (possibly virtual)
#: tangent point, steeper ones directly in radius.
_LOW_RAY_DEG = 1.5
_N_NODES = 3000
#: Rays traced together (the temporaries of :func:`trace_crpl_rays` are block x nodes).
_TRACE_BLOCK = 64
#: Ground ranges of the CRPL correction grid (0 to the farthest ray crossing).
_GRID_RANGES = 3001
#: Ground-range columns of the CRPL correction grid computed together (temporaries are
#: heights x block).
_GRID_BLOCK = 128
#: The same for the numba kernels (their temporaries stay in the core's cache).
_GRID_BLOCK_NUMBA = 32


def refraction_exponent_per_km(surface_refractivity_n: ArrayLike = CRPL_SURFACE_REFRACTIVITY_N):
    """Decay constant c_e (1/km) of the CRPL exponential reference atmosphere.

    c_e = ln(Ns / (Ns - dN)), dN = 7.32 exp(0.005577 Ns), the refractivity drop over the
    first kilometre (Bean & Thayer, NBS Monograph 4, 1959; MATLAB ``refractionexp``:
    0.1184, 0.1439, 0.2233 per km for Ns = 200, 313, 450).
    """
    ns = as_float64(surface_refractivity_n)
    if np.any(~np.isfinite(ns)) or np.any(ns <= 0):
        raise InputError(f"surface refractivity must be > 0 N-units, got {surface_refractivity_n!r}")
    dn = 7.32 * np.exp(0.005577 * ns)
    if np.any(dn >= ns):
        raise InputError(f"surface refractivity {surface_refractivity_n!r} N-units is outside the CRPL model")
    return scalar_or_array(np.log(ns / (ns - dn)))


def crpl_refractivity(height_m: ArrayLike, surface_refractivity_n: float = CRPL_SURFACE_REFRACTIVITY_N):
    """CRPL refractivity N(h) = Ns exp(-c_e h) in N-units (n = 1 + N 1e-6), h above the surface."""
    ce = float(refraction_exponent_per_km(surface_refractivity_n)) / 1000.0
    return scalar_or_array(surface_refractivity_n * np.exp(-ce * as_float64(height_m)))


def _crpl_effective_radius(ns: float) -> float:
    """Effective radius (m) of the CRPL profile's first-kilometre gradient dN = N(1 km) - Ns."""
    dn_per_m = -7.32 * np.exp(0.005577 * ns) * 1e-9
    return EARTH_RADIUS_M / (1.0 + EARTH_RADIUS_M * dn_per_m)


@dataclass(frozen=True, eq=False)
class CrplRays:
    """Rays traced through the CRPL atmosphere from one antenna height, one per elevation.

    Snell's law for a spherically stratified medium, n(r) r cos(theta) = c along a ray, gives
    the central angle phi, the geometric path length L and the optical (apparent) path P as
    integrals over radius,

        d phi = c dr / (r w),   dL = n r dr / w,   dP = n^2 r dr / w,   w = sqrt(n^2 r^2 - c^2),

    evaluated by the trapezoid rule; rays within ``_LOW_RAY_DEG`` of the horizontal are
    integrated in u with r = r_t + u^2 from their tangent radius r_t (n(r_t) r_t = c), which
    removes the integrable singularity there; a ray that leaves below the horizontal descends
    to r_t and climbs again. Above ``CRPL_TOP_M`` rays are straight lines (n = 1).
    Node arrays have shape (n_rays, n_nodes), ordered along each ray from the antenna.
    """

    antenna_height_m: float
    surface_refractivity_n: float
    elevation_deg: np.ndarray
    invariant_m: np.ndarray  # c = n r cos(theta) (m)
    phi_rad: np.ndarray
    height_m: np.ndarray
    path_m: np.ndarray | None  # None when traced with ``paths=False``
    optical_path_m: np.ndarray | None
    tangent_height_m: np.ndarray  # NaN for rays leaving upwards

    @property
    def grazing_elevation_deg(self) -> float:
        """Elevation (deg) of the ray that touches the surface: cos E = n_s R / (n_a (R + h_a))."""
        return _grazing_elevation_deg(self.antenna_height_m, self.surface_refractivity_n)

    def at_height(self, height_m: ArrayLike, quantity: str = "phi_rad") -> np.ndarray:
        """A quantity (``phi_rad``, ``path_m``, ``optical_path_m``) where each ray first
        reaches a height on its way up (shape (n_rays,) + shape of height); NaN where it
        never does on its rising part. Above ``CRPL_TOP_M`` along the straight line."""
        if getattr(self, quantity) is None:
            raise ValueError(f"these rays were traced without {quantity} (paths=False)")
        h0 = as_float64(height_m)
        h = np.atleast_1d(h0).ravel()
        r_top = EARTH_RADIUS_M + CRPL_TOP_M
        kern = _numba_kernels()
        out = np.empty((self.elevation_deg.size, h.size)) if kern is not None else \
            np.full((self.elevation_deg.size, h.size), np.nan)
        if kern is not None:
            # beyond the top: the straight line's increments, for the heights above the lowest
            # top node (numpy's arccos: its SIMD and scalar results may differ by an ulp)
            hh, q = np.ascontiguousarray(self.height_m), np.ascontiguousarray(getattr(self, quantity))
            above = h > np.min(hh[:, -1])
            col = np.where(above, np.cumsum(above) - 1, -1)
            c = np.asarray(self.invariant_m, float)[:, None]
            r = EARTH_RADIUS_M + h[above][None, :]
            if quantity == "phi_rad":
                inc = np.arccos(np.minimum(c / r, 1.0)) - _acos_top(c[:, 0])[:, None]
            else:
                inc = np.sqrt(np.maximum(r * r - c * c, 0.0)) - np.sqrt(np.maximum(r_top * r_top - c * c, 0.0))
            kern.crpl_at_height(hh, q, np.ascontiguousarray(h), np.ascontiguousarray(inc), col, out)
            return out.reshape((self.elevation_deg.size,) + np.shape(h0))
        for i in range(self.elevation_deg.size):
            hh, q = self.height_m[i], getattr(self, quantity)[i]
            k0 = int(np.argmin(hh))  # the rising part starts at the tangent point
            hh, q = hh[k0:], q[k0:]
            low = (h >= hh[0]) & (h <= hh[-1])
            out[i][low] = np.interp(h[low], hh, q)
            high = h > hh[-1]
            if high.any():
                c = self.invariant_m[i]
                r = EARTH_RADIUS_M + h[high]
                # straight line beyond the top: r cos(theta) = c
                if quantity == "phi_rad":
                    add = np.arccos(np.minimum(c / r, 1.0)) - np.arccos(min(c / r_top, 1.0))
                else:
                    add = np.sqrt(np.maximum(r * r - c * c, 0.0)) - np.sqrt(max(r_top * r_top - c * c, 0.0))
                out[i][high] = q[-1] + add
        return out.reshape((self.elevation_deg.size,) + np.shape(h0))


def _n_of_h(h, ns, ce_per_m):
    return 1.0 + 1e-6 * ns * np.exp(-ce_per_m * h)


def _grazing_elevation_deg(antenna_height_m: float, ns: float) -> float:
    ce = float(refraction_exponent_per_km(ns)) / 1000.0
    n_a, n_s = _n_of_h(antenna_height_m, ns, ce), _n_of_h(0.0, ns, ce)
    cos_e = n_s * EARTH_RADIUS_M / (n_a * (EARTH_RADIUS_M + antenna_height_m))
    return -float(np.degrees(np.arccos(min(cos_e, 1.0))))


def trace_crpl_rays(antenna_height_m: float, elevation_deg: ArrayLike, *,
                    surface_refractivity_n: float = CRPL_SURFACE_REFRACTIVITY_N,
                    n_nodes: int = _N_NODES, paths: bool = True) -> CrplRays:
    """Trace rays from an antenna through the CRPL exponential atmosphere (see :class:`CrplRays`).

    Parameters
    ----------
    antenna_height_m : float
        Antenna height above the surface (m), >= 0.
    elevation_deg : array_like
        Elevation angles (deg) at the antenna, each >= the grazing ray's and <= 90.
    surface_refractivity_n : float
        Ns in N-units (313 by default).
    n_nodes : int
        Nodes per ray.
    paths : bool
        Also integrate the geometric and optical path lengths (``path_m``,
        ``optical_path_m``); ``False`` leaves them None (:func:`crpl_site`'s tables need
        only the central angle and the height).

    Raises
    ------
    InputError
        For a negative height, or an elevation below the grazing ray (that ray meets the ground).
    """
    h_a = float(antenna_height_m)
    if not np.isfinite(h_a) or h_a < 0 or h_a >= CRPL_TOP_M:
        raise InputError(f"antenna_height_m must be within [0, {CRPL_TOP_M:g}) m, got {antenna_height_m!r}")
    ns = float(surface_refractivity_n)
    ce = float(refraction_exponent_per_km(ns)) / 1000.0
    e_deg = np.atleast_1d(as_float64(elevation_deg)).astype(float)
    e_g = _grazing_elevation_deg(h_a, ns)
    if np.any(e_deg < e_g - 1e-9) or np.any(e_deg > 90) or np.any(~np.isfinite(e_deg)):
        raise InputError(f"ray elevations must be within [{e_g:.4f}, 90] deg (the grazing ray) "
                         f"for an antenna at {h_a:g} m")
    e = np.radians(np.maximum(e_deg, e_g))
    r_a = EARTH_RADIUS_M + h_a
    r_top = EARTH_RADIUS_M + CRPL_TOP_M
    n_a = _n_of_h(h_a, ns, ce)
    c = n_a * r_a * np.cos(e)
    m = e_deg.size
    phi = np.empty((m, n_nodes))
    hgt = np.empty((m, n_nodes))
    path = np.empty((m, n_nodes)) if paths else None
    opt = np.empty((m, n_nodes)) if paths else None
    r_t_all = np.full(m, np.nan)
    # numba kernels for the integrals (the numpy code's arithmetic; the exponentials stay in numpy)
    kern = _numba_kernels()
    scratch = tuple(np.empty(n_nodes) for _ in range(4)) if kern is not None else ()
    if kern is not None and not paths:
        path = opt = np.empty((0, 0))

    def integrate(rows, du, pairs):
        """Cumulative trapezoid of each (destination, integrand) pair along the nodes, into
        ``rows`` of the destinations (rows are independent: blocks give the same values)."""
        for dst, f in pairs:
            cum = np.concatenate([np.zeros((f.shape[0], 1)), np.cumsum(0.5 * (f[:, 1:] + f[:, :-1]) * du, axis=1)],
                                 axis=1)
            dst[rows] = cum

    low = e_deg <= _LOW_RAY_DEG
    if low.any():
        cl_all = c[low]
        # tangent radius: n(r) r = c, by Newton from the antenna (q increasing in r), all
        # low rays together (one convergence test for all: the same iterates in any block)
        rt_all = np.full(cl_all.shape, r_a)
        for _ in range(50):
            hh = rt_all - EARTH_RADIUS_M
            nn = _n_of_h(hh, ns, ce)
            dq = nn - rt_all * 1e-6 * ns * ce * np.exp(-ce * hh)
            step = (nn * rt_all - cl_all) / dq
            rt_all = rt_all - step
            if np.max(np.abs(step)) < 1e-9:
                break
        r_t_all[low] = rt_all
        frac = np.linspace(0.0, 1.0, n_nodes)
        low_rows = np.flatnonzero(low)
        # rays in blocks: every temporary is (block, n_nodes), not (rays, n_nodes)
        for b in range(0, low_rows.size, _TRACE_BLOCK):
            rows = low_rows[b:b + _TRACE_BLOCK]
            cl, rt = cl_all[b:b + _TRACE_BLOCK], rt_all[b:b + _TRACE_BLOCK]
            u_top = np.sqrt(r_top - rt)
            u_a = np.sqrt(np.maximum(r_a - rt, 0.0))
            down = e[rows] < 0
            # signed u: from -u_a (descending rays) or +u_a to u_top
            u0 = np.where(down, -u_a, u_a)
            u = u0[:, None] + (u_top - u0)[:, None] * frac[None, :]
            if down.any():  # put a node exactly on each tangent point (u = 0)
                k = np.clip(np.round(-u0 / (u_top - u0) * (n_nodes - 1)).astype(int), 1, n_nodes - 2)
                dn_rows = np.flatnonzero(down)
                u[dn_rows, k[dn_rows]] = 0.0
            r = rt[:, None] + u * u
            hh = r - EARTH_RADIUS_M
            nn = _n_of_h(hh, ns, ce)
            dq_t = _n_of_h(rt - EARTH_RADIUS_M, ns, ce) - rt * 1e-6 * ns * ce * np.exp(-ce * (rt - EARTH_RADIUS_M))
            if kern is not None:
                kern.crpl_trace_low(u, r, nn, cl, 2.0 * cl * dq_t, rows, phi, path, opt, paths, *scratch)
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    g = (nn * r - cl[:, None]) * (nn * r + cl[:, None]) / (u * u)
                g = np.where(np.abs(u) < 1e-6, (2.0 * cl * dq_t)[:, None], g)
                sg = np.sqrt(np.maximum(g, 1e-300))
                du = np.diff(u, axis=1)
                integrate(rows, du, ((phi, 2.0 * cl[:, None] / (r * sg)),))
                if paths:
                    integrate(rows, du, ((path, 2.0 * nn * r / sg), (opt, 2.0 * nn * nn * r / sg)))
            hgt[rows] = hh
    high = ~low
    if high.any() and kern is not None:  # every such ray has the same nodes in radius
        high_rows = np.flatnonzero(high)
        v = np.linspace(0.0, 1.0, n_nodes)
        r = r_a + (r_top - r_a) * v ** 2
        hh = r - EARTH_RADIUS_M
        kern.crpl_trace_high(r, _n_of_h(hh, ns, ce), c[high_rows], high_rows, phi, path, opt, paths, *scratch)
        hgt[high_rows] = hh
    elif high.any():
        v = np.linspace(0.0, 1.0, n_nodes)
        high_rows = np.flatnonzero(high)
        for b in range(0, high_rows.size, _TRACE_BLOCK):
            rows = high_rows[b:b + _TRACE_BLOCK]
            ch = c[rows]
            r = r_a + (r_top - r_a) * v[None, :] ** 2 + np.zeros((ch.size, 1))
            hh = r - EARTH_RADIUS_M
            nn = _n_of_h(hh, ns, ce)
            w = np.sqrt((nn * r - ch[:, None]) * (nn * r + ch[:, None]))
            dr = np.diff(r, axis=1)
            integrate(rows, dr, ((phi, ch[:, None] / (r * w)),))
            if paths:
                integrate(rows, dr, ((path, nn * r / w), (opt, nn * nn * r / w)))
            hgt[rows] = hh
    th = np.where(np.isfinite(r_t_all) & (e < 0), r_t_all - EARTH_RADIUS_M, np.nan)
    if not paths:
        path = opt = None
    return CrplRays(h_a, ns, e_deg, c, phi, hgt, path, opt, th)


def crpl_surface_refractivity_n(model: RefractionModel) -> float | None:
    """Ns (N-units) of a CRPL model text (``"crpl"`` or ``"crpl:320"``), else None."""
    if not isinstance(model, str):
        return None
    text = model.strip().lower()
    if text == "crpl":
        return CRPL_SURFACE_REFRACTIVITY_N
    if text.startswith("crpl:"):
        try:
            ns = float(text[5:])
        except ValueError:
            raise InputError(f"CRPL surface refractivity must be a number of N-units, got {model!r}") from None
        refraction_exponent_per_km(ns)  # validates
        return ns
    return None


def is_ray_traced(model: RefractionModel) -> bool:
    """True for models evaluated by ray tracing (CRPL) rather than an effective radius."""
    return crpl_surface_refractivity_n(model) is not None


@dataclass(frozen=True, eq=False)
class CrplSite:
    """CRPL ray family from one antenna height, tabulated for fast look-ups.

    ``phi_table[i, j]`` is the central angle (rad) at which ray i (elevation
    ``elevation_deg[i]``, from the grazing ray to 90 deg, dense near the horizon) first
    reaches ``heights_m[j]`` climbing; NaN where it does not (below its tangent point).
    Computed on first use when not given (the correction grid needs only its last column).
    """

    rays: CrplRays
    heights_m: np.ndarray
    _phi_table: np.ndarray | None = None

    @property
    def phi_table(self) -> np.ndarray:
        table = self.__dict__.get("_phi_table")
        if table is None:
            with _site_lock(self):
                table = self.__dict__.get("_phi_table")
                if table is None:
                    table = self.rays.at_height(self.heights_m)
                    object.__setattr__(self, "_phi_table", table)
        return table

    def _max_phi_rad(self) -> float:
        """The largest central angle of the first-crossing table (rad): that of its top
        height (each ray's angle grows with the height), without building the whole table."""
        if self.__dict__.get("_phi_table") is not None:
            return float(np.nanmax(self._phi_table))
        return float(np.nanmax(self.rays.at_height(self.heights_m[-1:])))

    @property
    def grazing_elevation_deg(self) -> float:
        return self.rays.grazing_elevation_deg

    @property
    def horizon_ground_range_m(self) -> float:
        """Ground range (m) of the grazing ray's tangent point with the surface."""
        i = int(np.argmin(self.rays.height_m[0]))
        return float(self.rays.phi_rad[0, i] * EARTH_RADIUS_M)

    def elevation_deg(self, ground_range_m: ArrayLike, height_m: ArrayLike) -> np.ndarray:
        """Apparent elevation (deg) of points at ground range and height >= the lowest of
        the table's rays, from the ray through them; points under the grazing ray keep
        the grazing ray's refraction correction at their range (so they stay below it)."""
        s, h = np.broadcast_arrays(as_float64(ground_range_m), as_float64(height_m))
        return _geometric_elevation_deg(s, self.rays.antenna_height_m, h) + self.correction_deg(s, h)

    def correction_deg(self, ground_range_m: ArrayLike, height_m: ArrayLike) -> np.ndarray:
        """Apparent minus geometric elevation (deg) at ground range and height (bilinear in a
        grid built on first use)."""
        s, h = np.broadcast_arrays(np.asarray(ground_range_m, float), np.asarray(height_m, float))
        hs, ss, tab = self.correction_grid()
        fh = np.interp(h, hs, np.arange(hs.size, dtype=float))
        fs = np.clip(s / (ss[1] - ss[0]), 0.0, ss.size - 1.0)
        i = np.clip(np.floor(fh).astype(np.intp), 0, hs.size - 2)
        j = np.clip(np.floor(fs).astype(np.intp), 0, ss.size - 2)
        u, w = fh - i, fs - j
        return ((tab[i, j] * (1 - w) + tab[i, j + 1] * w) * (1 - u)
                + (tab[i + 1, j] * (1 - w) + tab[i + 1, j + 1] * w) * u)

    def correction_grid(self):
        """Corrections on (height, ground range) nodes, from the rays' heights at each
        ground range (rays do not cross in a standard atmosphere, so at a fixed range the
        height grows with the elevation and can be inverted, descending parts included).
        Under the grazing ray: before its tangent point (rays steeper down than it, short
        paths near the radar) the first-kilometre effective radius's correction; beyond it
        the grazing ray's correction at that range, so those points stay below it.

        Built on first use, once (a lock: threads sharing a site wait for the one building
        it). The ray heights and their inversion run in a numba kernel when available
        (``_kernels.crpl_grid_block``, the numpy code's arithmetic: the same table to the
        bit, tests/test_crpl_fast.py), else in numpy (:meth:`_correction_grid_numpy`)."""
        cached = self.__dict__.get("_grid")
        if cached is not None:
            return cached
        with _site_lock(self):
            cached = self.__dict__.get("_grid")
            if cached is None:
                cached = self._build_correction_grid(numba_kernels=_numba_kernels() is not None)
                object.__setattr__(self, "_grid", cached)
        return cached

    def _grid_axes(self):
        """Node heights (m) and ground ranges (m) of the correction grid."""
        h_a = self.rays.antenna_height_m
        hs = np.unique(np.concatenate([_CORRECTION_HEIGHTS_M, [h_a]]))
        s_max = self._max_phi_rad() * EARTH_RADIUS_M
        return hs, np.linspace(0.0, s_max, _GRID_RANGES)

    def _build_correction_grid(self, numba_kernels: bool):
        """The correction grid (heights, ground ranges, float32 corrections), not cached."""
        if not numba_kernels:
            return self._correction_grid_numpy()
        from . import _kernels

        h_a = self.rays.antenna_height_m
        hs, ss = self._grid_axes()
        phi = ss / EARTH_RADIUS_M
        e = self.rays.elevation_deg
        ph = np.ascontiguousarray(self.rays.phi_rad)
        hh = np.ascontiguousarray(self.rays.height_m)
        c = np.ascontiguousarray(self.rays.invariant_m, dtype=float)
        acos_top = _acos_top(c)
        re = _crpl_effective_radius(self.rays.surface_refractivity_n)
        m = int(np.searchsorted(ss, self.horizon_ground_range_m, side="right"))
        tab32 = np.empty((hs.size, ss.size), np.float32)
        # _geometric_elevation_deg's per-column sines (the kernel does its arithmetic, numpy
        # its arctan2: numpy's SIMD arctan2 and libm's may differ by an ulp)
        t = ss / EARTH_RADIUS_M
        sin2_half, sin_t = np.sin(t / 2.0) ** 2, np.sin(t)
        ph_last = np.ascontiguousarray(ph[:, -1])
        ptr = np.zeros(e.size, np.intp)
        col, keys, brk = np.empty(e.size), np.empty(e.size), np.empty((4, hs.size))
        el, num, den = (np.zeros((_GRID_BLOCK_NUMBA, hs.size)) for _ in range(3))  # (columns, heights)
        h_gb = np.empty(_GRID_BLOCK_NUMBA)
        for j0 in range(0, ss.size, _GRID_BLOCK_NUMBA):
            j1 = min(j0 + _GRID_BLOCK_NUMBA, ss.size)
            nb = j1 - j0
            _kernels.crpl_grid_block(ph, hh, ph_last, c, acos_top, phi, j0, j1, hs, e, 1e8, 9.9e7, EARTH_RADIUS_M,
                                     ptr, col, keys, brk, el, h_gb, EARTH_RADIUS_M + h_a, sin2_half, sin_t, num, den)
            atan = np.arctan2(num, den, out=num)
            _kernels.crpl_grid_finish(el, atan, nb, tab32, j0)  # corrections < 1 deg: float32 keeps 1e-7 deg
            mb = min(max(m - j0, 0), nb)  # columns of this block before the horizon
            if mb:
                under = hs[:, None] < h_gb[None, :mb]
                s2, h2 = np.broadcast_arrays(ss[None, j0:j0 + mb], hs[:, None])
                fix = (_geometric_elevation_deg(s2, h_a, h2, re) - _geometric_elevation_deg(s2, h_a, h2))[under]
                tab32[:, j0:j0 + mb][under] = fix
        return hs, ss, tab32

    def _correction_grid_numpy(self):
        """:meth:`correction_grid` in numpy (the reference of the numba kernel)."""
        h_a = self.rays.antenna_height_m
        hs, ss = self._grid_axes()
        phi = ss / EARTH_RADIUS_M
        e = self.rays.elevation_deg
        n_r = e.size
        hgt = np.empty((n_r, ss.size))  # (n_rays, n_s)
        for k in range(n_r):
            hgt[k] = _ray_height(self.rays, k, phi)
        # all columns inverted at once: each column's heights increase with the ray, so keys
        # column * BIG + height are sorted overall (heights beyond 9.9e7 m clipped)
        big = 1e8
        hcol = np.minimum(np.where(np.isfinite(hgt), hgt, 9.9e7), 9.9e7, out=hgt)
        hcol = np.maximum.accumulate(hcol, axis=0, out=hcol)  # guard against round-off non-monotonicity
        re = _crpl_effective_radius(self.rays.surface_refractivity_n)
        m = int(np.searchsorted(ss, self.horizon_ground_range_m, side="right"))
        tab32 = np.empty((hs.size, ss.size), np.float32)
        # in blocks of columns (each column is inverted on its own; the keys keep their
        # absolute column numbers, so every block gives the values the whole grid would)
        for j0 in range(0, ss.size, _GRID_BLOCK):
            j1 = min(j0 + _GRID_BLOCK, ss.size)
            col_no = np.arange(j0, j1)
            hb = hcol[:, j0:j1]
            keys = (col_no[None, :] * big + hb).T.ravel()
            q = (col_no[None, :] * big + hs[:, None])  # (n_h, block)
            k = np.searchsorted(keys, q.ravel()).reshape(q.shape) - np.arange(j1 - j0)[None, :] * n_r - 1
            k = np.clip(k, 0, n_r - 2)
            cols = np.arange(j1 - j0)[None, :]
            h0, h1 = hb[k, cols], hb[k + 1, cols]
            with np.errstate(invalid="ignore", divide="ignore"):
                w = np.clip(np.where(h1 > h0, (hs[:, None] - h0) / (h1 - h0), 0.0), 0.0, 1.0)
            el = e[k] + w * (e[k + 1] - e[k])
            h_g = hb[0][None, :]
            hh = np.maximum(hs[:, None], h_g)
            tab = el - _geometric_elevation_deg(ss[None, j0:j1], h_a, hh)
            under = hs[:, None] < h_g
            mb = min(max(m - j0, 0), j1 - j0)  # columns of this block before the horizon
            if mb:
                s2, h2 = np.broadcast_arrays(ss[None, j0:j0 + mb], hs[:, None])
                tab[:, :mb] = np.where(under[:, :mb], _geometric_elevation_deg(s2, h_a, h2, re)
                                       - _geometric_elevation_deg(s2, h_a, h2), tab[:, :mb])
            tab32[:, j0:j1] = tab  # corrections < 1 deg: float32 keeps 1e-7 deg
        return hs, ss, tab32

    def lowest_visible_altitude(self, ground_range_m: ArrayLike, elevation_deg: ArrayLike) -> np.ndarray:
        """Height (m) at a ground range of the ray leaving at an elevation (clipped to the
        grazing ray's): linear between the two neighbouring traced rays, each followed
        node by node (descending part included); inf once the ray has left for space."""
        s, e = np.broadcast_arrays(as_float64(ground_range_m), as_float64(elevation_deg))
        eg = self.rays.elevation_deg
        fi = np.interp(e, eg, np.arange(eg.size, dtype=float))
        i = np.clip(np.floor(fi).astype(np.intp), 0, eg.size - 2)
        w = fi - i
        phi = s / EARTH_RADIUS_M
        out = np.zeros(s.shape)
        for k in np.unique(i):
            sel = i == k
            h0 = _ray_height(self.rays, k, phi[sel])
            h1 = _ray_height(self.rays, k + 1, phi[sel])
            ws = w[sel]
            with np.errstate(invalid="ignore"):
                out[sel] = np.where(ws == 0, h0, np.where(ws == 1, h1, h0 * (1 - ws) + h1 * ws))
        return out


def _ray_height(rays: CrplRays, k: int, phi: np.ndarray) -> np.ndarray:
    """Height (m) of ray k at central angles phi; inf once it has left for space."""
    ph, hh = rays.phi_rad[k], rays.height_m[k]
    r_top = EARTH_RADIUS_M + CRPL_TOP_M
    c = rays.invariant_m[k]
    arg = phi - ph[-1] + np.arccos(min(c / r_top, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        line = np.where(arg < np.pi / 2, c / np.cos(np.minimum(arg, np.pi / 2)) - EARTH_RADIUS_M, np.inf)
    return np.where(phi <= ph[-1], np.interp(phi, ph, hh), line)


def _acos_top(c: np.ndarray) -> np.ndarray:
    """arccos(min(c / r_top, 1)) per ray invariant c, as :func:`_ray_height` computes it one
    ray at a time (numpy's arccos gives a scalar what it gives the same value in an array;
    its values may differ from libm's by an ulp, so it stays numpy's)."""
    return np.arccos(np.minimum(c / (EARTH_RADIUS_M + CRPL_TOP_M), 1.0))


def _numba_kernels():
    """The :mod:`geocover._kernels` module when its numba kernels are in use, else None."""
    from . import _kernels

    return _kernels if _kernels.use_numba() else None


_SITE_LOCKS_GUARD = threading.Lock()
_SITE_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _site_lock(site) -> threading.Lock:
    """The lock of one site's lazily built tables (one per site object)."""
    with _SITE_LOCKS_GUARD:
        lock = _SITE_LOCKS.get(site)
        if lock is None:
            lock = _SITE_LOCKS[site] = threading.Lock()
        return lock


def _geometric_elevation_deg(s, h_a, h, radius_m: float = EARTH_RADIUS_M):
    t = np.asarray(s, float) / radius_m
    a = radius_m + h_a
    c = radius_m + np.asarray(h, float)
    with np.errstate(invalid="ignore"):  # h = inf (a CRPL ray gone to space): inf - inf is NaN, as meant
        return np.degrees(np.arctan2((c - a) - 2.0 * c * np.sin(t / 2.0) ** 2, c * np.sin(t)))


#: Heights (m) of the CRPL look-up tables: dense near the ground, up to 40,000 km.
_TABLE_HEIGHTS_M = np.unique(np.concatenate([
    np.linspace(0.0, 1.0, 121) ** 2 * 100_000.0, np.linspace(100_000.0, 6_000_000.0, 591),
    np.geomspace(6_000_000.0, 40_000_000.0, 41)]))


#: Heights (m) of the elevation-correction grid: 50 m steps to 5 km, 250 m to 100 km, 2 km
#: to 1,000 km, then coarser (the correction varies fastest low down and near the horizon).
_CORRECTION_HEIGHTS_M = np.unique(np.concatenate([
    np.arange(0.0, 5_000.0, 50.0), np.arange(5_000.0, 100_000.0, 250.0),
    np.arange(100_000.0, 1_000_000.0, 2_000.0), np.arange(1_000_000.0, 6_000_000.0, 20_000.0),
    np.geomspace(6_000_000.0, 40_000_000.0, 31)]))


#: Rays of a :func:`crpl_site` family.
_SITE_RAYS = 801
#: Layout of the CRPL tables cached on disk (bump it when the stored arrays change meaning;
#: the key also holds a digest of this module's source, so a code change never reads old tables).
_SITE_CACHE_FORMAT = 2  # 2: without the first-crossing table (rebuilt on first use in ~0.01 s)
#: Whether :func:`crpl_site` writes the tables of a site it traces to the disk cache (it reads
#: the cache either way). ``geocover.search`` turns it off while it makes a candidate radar
#: ready: one ~53 MB entry per candidate antenna height would fill the disk.
STORE_SITES_ON_DISK = True
#: At most this many sites (~53 MB each) stay in the disk cache; the least recently used go.
SITE_CACHE_MAX_ENTRIES = 24
#: Arrays of a cached site: name -> (shape as a function of (n_heights, n_grid_heights), dtype,
#: loaded memory-mapped). The ray nodes are mapped (a footprint reads only the correction
#: grid); the grid is read whole (every look-up touches it). The first-crossing table is not
#: stored: it is rebuilt on first use (the stored grid does not need it).
_SITE_ARRAYS = {
    "elevation_deg": (lambda nh, ng: (_SITE_RAYS,), "<f8", False),
    "invariant_m": (lambda nh, ng: (_SITE_RAYS,), "<f8", False),
    "tangent_height_m": (lambda nh, ng: (_SITE_RAYS,), "<f8", False),
    "phi_rad": (lambda nh, ng: (_SITE_RAYS, _N_NODES), "<f8", True),
    "height_m": (lambda nh, ng: (_SITE_RAYS, _N_NODES), "<f8", True),
    "heights_m": (lambda nh, ng: (nh,), "<f8", False),
    "grid_heights_m": (lambda nh, ng: (ng,), "<f8", False),
    "grid_ground_range_m": (lambda nh, ng: (_GRID_RANGES,), "<f8", False),
    "grid_correction_deg": (lambda nh, ng: (ng, _GRID_RANGES), "<f4", False),
}


@lru_cache(maxsize=64)
def crpl_site(antenna_height_m: float, surface_refractivity_n: float = CRPL_SURFACE_REFRACTIVITY_N) -> CrplSite:
    """The tabulated CRPL ray family for one antenna height (cached): 801 rays from the
    grazing ray to 90 deg, spaced as the square of a uniform variable (0.0001 deg apart at
    the horizon, 0.23 deg at the zenith), with its elevation-correction grid.

    Cached in memory and on disk (``crpl/`` under :func:`geocover._paths.cache_dir`), so
    that a new process maps the tables instead of tracing them again (~0.08 CPU-s per site
    with the numba kernels, ~0.4 with numpy; a load is ~0.02, most of it the checksums).
    Each cached entry carries a CRC-32 per array; one that
    cannot be used (missing or zero-byte files, truncated, wrong shapes, a checksum that
    does not match) is deleted and recomputed. A read-only or full disk only loses the cache.
    """
    h_a, ns = float(antenna_height_m), float(surface_refractivity_n)
    path = _site_cache_path(h_a, ns)
    site = _load_site(path, h_a, ns)
    if site is None:
        site = _trace_site(h_a, ns)
        site.correction_grid()
        if STORE_SITES_ON_DISK:
            _store_site(path, site)
    return site


def _trace_site(h_a: float, ns: float) -> CrplSite:
    e_g = _grazing_elevation_deg(h_a, ns)
    t = np.linspace(0.0, 1.0, _SITE_RAYS)
    e = e_g + (90.0 - e_g) * t**2
    rays = trace_crpl_rays(h_a, e, surface_refractivity_n=ns, paths=False)
    hs = np.unique(np.concatenate([_TABLE_HEIGHTS_M, [h_a]]))
    return CrplSite(rays, hs)


@lru_cache(maxsize=1)
def _source_digest() -> str:
    from pathlib import Path

    return hashlib.sha1(Path(__file__).read_bytes()).hexdigest()


def _site_cache_path(h_a: float, ns: float):
    from ._paths import cache_dir

    key_src = repr((_SITE_CACHE_FORMAT, h_a.hex(), ns.hex(), _SITE_RAYS, _N_NODES, _GRID_RANGES, _source_digest()))
    return cache_dir() / "crpl" / hashlib.sha1(key_src.encode()).hexdigest()


def _crc32(path) -> int:
    """CRC-32 of a file, over a read-only memory map of it (zlib reads the page cache
    directly: 15 ms for a 58 MB site where reading it in 1 MB chunks took 21)."""
    import mmap
    import os

    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return zlib.crc32(b"")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return zlib.crc32(mm)


def _site_arrays(site: CrplSite) -> dict[str, np.ndarray]:
    hs, ss, tab = site.correction_grid()
    r = site.rays
    return {"elevation_deg": r.elevation_deg, "invariant_m": r.invariant_m, "tangent_height_m": r.tangent_height_m,
            "phi_rad": r.phi_rad, "height_m": r.height_m, "heights_m": site.heights_m,
            "grid_heights_m": hs, "grid_ground_range_m": ss, "grid_correction_deg": tab}


def _load_site(path, h_a: float, ns: float) -> CrplSite | None:
    """The cached site in folder ``path``, or None (nothing there, or an entry that cannot be
    used: it is then deleted, so it is recomputed once and not met again)."""
    import json
    import os
    import shutil

    meta_path = path / "meta.json"
    if not path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        files = meta["files"]
        nh, ng = int(meta["n_heights"]), int(meta["n_grid_heights"])
        if meta["format"] != _SITE_CACHE_FORMAT or set(files) != set(_SITE_ARRAYS):
            raise ValueError("other layout")
        arrays = {}
        for name, (shape_of, dtype, mapped) in _SITE_ARRAYS.items():
            f = path / f"{name}.npy"
            if f.stat().st_size != int(files[name]["bytes"]) or _crc32(f) != int(files[name]["crc32"]):
                raise ValueError(f"{name}: size or checksum")
            a = np.load(f, mmap_mode="r" if mapped else None, allow_pickle=False)
            if a.shape != shape_of(nh, ng) or a.dtype != np.dtype(dtype):
                raise ValueError(f"{name}: shape or type")
            arrays[name] = a
    except Exception:  # OSError, ValueError, KeyError, TypeError, json errors ...
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        return None
    with contextlib.suppress(OSError):  # recently used: the last to be evicted
        os.utime(meta_path)
    a = arrays
    rays = CrplRays(h_a, ns, a["elevation_deg"], a["invariant_m"], a["phi_rad"], a["height_m"], None, None,
                    a["tangent_height_m"])
    site = CrplSite(rays, a["heights_m"])
    object.__setattr__(site, "_grid", (a["grid_heights_m"], a["grid_ground_range_m"], a["grid_correction_deg"]))
    return site


def _store_site(path, site: CrplSite) -> None:
    """Write a site's tables to folder ``path`` through a temporary folder and a rename
    (another process or thread that got there first wins); remove temporary folders that
    killed runs left (``<key>.<thread>.<pid>.tmp`` whose process is gone). The thread's id is
    in the name so that two threads of one process storing the same site (a Dask worker with
    several threads) do not write into, or remove, each other's folder."""
    import json
    import os
    import shutil

    from ._paths import stale_cache_temporaries

    tmp = path.with_name(f"{path.name}.{threading.get_ident()}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in stale_cache_temporaries(path.parent, ".tmp"):
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        files = {}
        arrays = _site_arrays(site)
        for name, (_shape, dtype, _mapped) in _SITE_ARRAYS.items():
            f = tmp / f"{name}.npy"
            np.save(f, np.ascontiguousarray(arrays[name], dtype=dtype), allow_pickle=False)
            files[name] = {"bytes": f.stat().st_size, "crc32": _crc32(f)}
        meta = {"format": _SITE_CACHE_FORMAT, "antenna_height_m": site.rays.antenna_height_m,
                "surface_refractivity_n": site.rays.surface_refractivity_n, "n_heights": int(site.heights_m.size),
                "n_grid_heights": int(arrays["grid_heights_m"].size), "files": files}
        (tmp / "meta.json").write_text(json.dumps(meta))
        os.replace(tmp, path)
    except OSError:  # caching is an optimisation: a read-only or full disk, or a race lost, is fine
        shutil.rmtree(tmp, ignore_errors=True)
        return
    _evict_sites(path.parent, keep=path)


def _evict_sites(folder, keep) -> None:
    """Delete the least recently used cached sites beyond :data:`SITE_CACHE_MAX_ENTRIES`
    (use: the time of ``meta.json``, touched on every load). A process that has an entry's
    arrays mapped keeps reading them (POSIX unlink); where a file cannot go, it stays."""
    import shutil

    try:
        entries = []
        for e in folder.iterdir():
            if e.is_dir() and not e.name.endswith(".tmp") and e != keep:
                with contextlib.suppress(OSError):
                    entries.append(((e / "meta.json").stat().st_mtime_ns, e))
    except OSError:
        return
    entries.sort()
    for _t, e in entries[:max(len(entries) + 1 - SITE_CACHE_MAX_ENTRIES, 0)]:
        shutil.rmtree(e, ignore_errors=True)


def _crpl_grazing(quantity: str, height_m: ArrayLike, ns: float) -> np.ndarray:
    """Ground angle / path from a height down to the tangent point of its grazing ray."""
    def one(_h, h):
        if h <= 0:
            return np.zeros(_h.shape)
        rays = trace_crpl_rays(h, [_grazing_elevation_deg(h, ns)], surface_refractivity_n=ns)
        k = int(np.argmin(rays.height_m[0]))
        return np.full(_h.shape, getattr(rays, quantity)[0, k])

    h = _nonneg("height_m", as_float64(height_m))
    return _unique_apply(one, h, h)


def _crpl_lowest(s: np.ndarray, e_deg: np.ndarray, h_a: float, ns: float) -> np.ndarray:
    s = _nonneg("ground_range_m", s)
    if np.any(~np.isfinite(e_deg)) or np.any(np.abs(e_deg) > 90):
        raise InputError("min_elevation_deg must be within [-90, 90]")
    site = crpl_site(float(h_a), ns)
    e_g = site.grazing_elevation_deg
    s_g = site.horizon_ground_range_m
    out = np.empty(s.shape)
    steep = (e_deg < e_g) & (s <= s_g)
    if steep.any():  # a ray that meets the ground before the horizon: short, low path
        out[steep] = lowest_visible_altitude(s[steep], h_a, min_elevation_deg=e_deg[steep],
                                             model=_crpl_effective_radius(ns) / EARTH_RADIUS_M)
    rest = ~steep
    out[rest] = site.lowest_visible_altitude(s[rest], np.maximum(e_deg[rest], e_g))
    return np.maximum(out, 0.0)
