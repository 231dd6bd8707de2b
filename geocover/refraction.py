"""Effective-Earth-radius refraction, radar horizon, and height <-> range on a smooth Earth.

The standard model replaces the Earth's radius R by k*R so that radio rays, which bend
down in the lower atmosphere, become straight lines. Models (``model=``):

``"4/3"`` (default)
    k = 4/3 exactly; R_eff = 8,494,666.7 m with R = 6,371,000 m.
``"gradient"``
    k = 1 / (1 + R dN/dh) with refractivity gradient dN/dh = -39e-9 per metre, the
    MATLAB Radar Toolbox default (``effearthradius``): R_eff = 8,477,361.5 m.
``"none"``
    k = 1, geometric (optical) line of sight.
a number
    k itself (e.g. ``1.2``).

The model is meant for the lower atmosphere. For targets hundreds of kilometres up the
bending happens near the radar, so geocover applies it to the elevation / horizon test
and keeps true geometry for slant ranges to real targets.

All lengths are metres, angles degrees; every function broadcasts over numpy arrays and
returns floats for scalar input. Heights are above the (smooth, spherical) surface,
i.e. above mean sea level when used with catalog heights.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .earth import _f, _out
from .errors import InputError

__all__ = [
    "EARTH_RADIUS_M",
    "REFRACTIVITY_GRADIENT_PER_M",
    "RefractionModel",
    "effective_earth_radius",
    "height_to_ground_range",
    "height_to_range",
    "horizon_ground_range",
    "horizon_range",
    "lowest_visible_altitude",
    "model_name",
    "range_to_height",
]

#: Mean Earth radius used by the refraction model (MATLAB's ``physconst('EarthRadius')``).
EARTH_RADIUS_M = 6_371_000.0
#: Standard-atmosphere refractivity gradient (per metre) of the ``"gradient"`` model.
REFRACTIVITY_GRADIENT_PER_M = -39e-9

RefractionModel = str | float


def _k_factor(model: RefractionModel) -> float:
    if isinstance(model, bool):
        raise InputError(f"refraction model must be '4/3', 'gradient', 'none' or a k factor, got {model!r}")
    if isinstance(model, (int, float, np.floating, np.integer)):
        k = float(model)
    else:
        text = str(model).strip().lower()
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
                f"unknown refraction model {model!r}: use '4/3', 'gradient', 'none' or a k factor"
            ) from None
    if not np.isfinite(k) or k <= 0:
        raise InputError(f"refraction k factor must be a positive number, got {model!r}")
    return k


def model_name(model: RefractionModel) -> str:
    """Canonical text of a model (``"4/3"``, ``"gradient"``, ``"none"`` or ``"k=1.2"``)."""
    if isinstance(model, str) and model.strip().lower() in ("4/3", "gradient", "none"):
        return model.strip().lower()
    return f"k={_k_factor(model):g}"


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
    return _k_factor(model) * earth_radius_m


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
    end to the grazing point (MATLAB ``horizonrange`` for ``target_height_m=0``).
    """
    re = effective_earth_radius(model)
    ha = _nonneg("antenna_height_m", _f(antenna_height_m))
    ht = _nonneg("target_height_m", _f(target_height_m))
    return _out(np.sqrt(2 * re * ha + ha * ha) + np.sqrt(2 * re * ht + ht * ht))


def horizon_ground_range(antenna_height_m: ArrayLike, target_height_m: ArrayLike = 0.0, *,
                         model: RefractionModel = "4/3"):
    """Distance along the (effective) surface (m) to a target on the radar horizon."""
    re = effective_earth_radius(model)
    ha = _nonneg("antenna_height_m", _f(antenna_height_m))
    ht = _nonneg("target_height_m", _f(target_height_m))
    return _out(re * (np.arccos(re / (re + ha)) + np.arccos(re / (re + ht))))


def range_to_height(slant_range_m: ArrayLike, antenna_height_m: ArrayLike,
                    elevation_deg: ArrayLike, *, model: RefractionModel = "4/3"):
    """Target height (m) at slant range along a ray leaving at an elevation angle.

    h_t = sqrt(rho^2 + a^2 + 2 rho a sin E) - R_e, with a = R_e + h_a
    (MATLAB ``range2height``, curved-Earth method).
    """
    re = effective_earth_radius(model)
    rho = _nonneg("slant_range_m", _f(slant_range_m))
    h_a = _f(antenna_height_m)
    a = re + h_a
    sin_e = np.sin(np.radians(_f(elevation_deg)))
    # sqrt(rho^2 + a^2 + 2 rho a sinE) - a, written without cancellation.
    num = rho * (rho + 2 * a * sin_e)
    return _out(h_a + num / (np.sqrt(a * a + num) + a))


def height_to_range(target_height_m: ArrayLike, antenna_height_m: ArrayLike,
                    elevation_deg: ArrayLike, *, model: RefractionModel = "4/3"):
    """Slant range (m) at which a ray leaving at an elevation angle reaches a height.

    A root of rho^2 + 2 a sin(E) rho + a^2 - (R_e + h_t)^2 = 0: the first crossing of the
    height along the ray (the nearer root for a downward ray to a lower target). NaN where
    the ray never reaches that height.
    """
    re = effective_earth_radius(model)
    h_a, h_t, sin_e = np.broadcast_arrays(_f(antenna_height_m), _f(target_height_m),
                                          np.sin(np.radians(_f(elevation_deg))))
    a, c = re + h_a, re + h_t
    # c^2 - a^2 cos^2 E, written so that small height differences keep their precision.
    disc = (h_t - h_a) * (c + a) + (a * sin_e) ** 2
    root = np.sqrt(np.maximum(disc, 0.0))
    near = (sin_e < 0) & (h_t < h_a)
    rho = -a * sin_e + np.where(near, -root, root)
    tol = 1e-9 * a
    rho = np.where((disc < -tol * a) | (rho < -tol), np.nan, np.maximum(rho, 0.0))
    return _out(rho)


def height_to_ground_range(target_height_m: ArrayLike, antenna_height_m: ArrayLike,
                           elevation_deg: ArrayLike, *, model: RefractionModel = "4/3"):
    """Distance along the effective surface (m) to where a ray reaches a height.

    Arc length R_e * theta of the central angle between antenna and target (MATLAB
    ``height2grndrange``).
    """
    re = effective_earth_radius(model)
    rho = _f(height_to_range(target_height_m, antenna_height_m, elevation_deg, model=model))
    a = re + _f(antenna_height_m)
    e = np.radians(_f(elevation_deg))
    theta = np.arctan2(rho * np.cos(e), a + rho * np.sin(e))
    return _out(re * theta)


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
    """
    re = effective_earth_radius(model)
    s = _nonneg("ground_range_m", _f(ground_range_m))
    e = np.radians(_f(min_elevation_deg))
    if np.any(np.abs(e) > np.pi / 2):
        raise InputError("min_elevation_deg must be within [-90, 90]")
    a = re + _f(antenna_height_m)
    dip = np.arccos(np.minimum(re / a, 1.0))
    # Beyond the horizon only rays above the grazing one arrive; before it, any ray that
    # would pass underground means the surface itself is in view (clipped to 0 below).
    e = np.where(s > re * dip, np.maximum(e, -dip), e)
    ang = e + s / re
    with np.errstate(divide="ignore"):
        h = np.where(ang < np.pi / 2, a * np.cos(e) / np.cos(np.minimum(ang, np.pi / 2)) - re,
                     np.inf)
    return _out(np.maximum(h, 0.0))
