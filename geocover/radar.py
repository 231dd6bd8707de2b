"""Visibility of points from a radar: sector, elevation limits, radar horizon, terrain, range.

A :class:`RadarView` binds a catalog :class:`~geocover.catalog.Radar` to a refraction
model, a target RCS and (optionally) a terrain mask, and answers "can it see these
points, and if not, why" for any number of points at once.

Geometry. The refraction model is applied to the elevation / horizon test: apparent
elevations come from the effective-radius sphere (see :mod:`geocover.refraction`) with
heights measured from the geoid at the radar, and the ground range along the WGS84
geodesic. With the ray-traced ``"crpl"`` model they come from the site's tabulated CRPL
ray family instead (geometric elevation plus the traced rays' bending), the horizon is the
traced grazing ray, and terrain masks use the profile's first-kilometre effective radius.
Slant ranges are true 3-D distances between ellipsoidal positions (EGM96 for MSL heights).
Range limit from the radar equation: R = R_ref (rcs / rcs_ref)^(1/4).

Reasons, checked in this order, the first failing one reported:
``sector`` (azimuth outside boresight +- half-width), ``horizon`` (below the smooth-Earth
radar horizon: the ray would pass through the Earth), ``elevation`` (below the radar's
minimum or above its maximum elevation), ``terrain`` (below the terrain mask at that
azimuth, from terrain closer than the point), ``range`` (beyond R(rcs)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels
from .catalog import Radar
from .earth import WGS84, as_float64, gaussian_radius_m, geodetic2ecef
from .errors import InputError
from .fastgeo import PointSet, site_trig
from .geodesy import GEOD
from .geoid import geoid_undulation
from .refraction import (
    DEFAULT_VISIBILITY_MODEL,
    EARTH_RADIUS_M,
    RefractionModel,
    crpl_site,
    crpl_surface_refractivity_n,
    effective_earth_radius,
    model_name,
)
from .terrain import DemStack, TerrainMask, apparent_elevation_deg, terrain_mask

__all__ = ["REASONS", "RadarView", "Visibility"]

REASONS = ("sector", "horizon", "elevation", "terrain", "range")


@dataclass(frozen=True)
class Visibility:
    """Per-point result of :meth:`RadarView.visibility` (arrays, or scalars for one point)."""

    visible: np.ndarray
    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    slant_range_m: np.ndarray
    ground_range_m: np.ndarray
    blocked_by: np.ndarray  # str per point, "" when visible

    def to_dict(self, index: int | None = None) -> dict:
        """JSON-ready dict of one point (``blocked_by`` None when visible)."""

        def pick(a):
            a = np.asarray(a)
            return a.item() if a.ndim == 0 else a.reshape(-1)[index or 0].item()

        reason = pick(self.blocked_by)
        return {"visible": bool(pick(self.visible)), "azimuth_deg": pick(self.azimuth_deg),
                "elevation_deg": pick(self.elevation_deg), "slant_range_m": pick(self.slant_range_m),
                "ground_range_m": pick(self.ground_range_m), "blocked_by": reason or None}


def in_sector(az_deg: np.ndarray, boresight_deg: float, half_width_deg: float) -> np.ndarray:
    if half_width_deg >= 180.0:
        return np.ones(np.shape(az_deg), bool)
    off = (az_deg - boresight_deg + 180.0) % 360.0 - 180.0
    return np.abs(off) <= half_width_deg + 1e-9


#: The fused kernel's distance and elevation bounds need a refraction radius above this (m)
#: (:meth:`RadarView._visible_fused`).
_BOUNDS_MIN_RADIUS_M = 2.0e6
#: The sector is decided by a dot product only for half-widths in [this, 180 - this] deg
#: (:meth:`RadarView._fused_constants`).
_SECTOR_DOT_MIN_DEG = 1.0


class RadarView:
    """A radar with its refraction model, target RCS and terrain (None = smooth Earth).

    Parameters
    ----------
    radar : Radar
        Catalog record (position, antenna height above ground, sector, limits, range).
    model : str or float
        Refraction model (``"crpl"``, the default, ``"4/3"``, ``"gradient"``, ``"none"`` or k).
    rcs_m2 : float, optional
        Target radar cross-section; default the radar's reference RCS.
    terrain : bool, DemStack or TerrainMask
        ``False`` for a smooth Earth; ``True`` for the bundled DEM stack; a DemStack for
        the user's rasters first; or a ready TerrainMask.
    mask_distance_m, mask_azimuth_step_deg : float
        Extent and azimuth resolution of the terrain mask.
    """

    def __init__(self, radar: Radar, *, model: RefractionModel = DEFAULT_VISIBILITY_MODEL, rcs_m2: float | None = None,
                 terrain: bool | DemStack | TerrainMask = False, mask_distance_m: float = 300_000.0,
                 mask_azimuth_step_deg: float = 0.1):
        self.radar = radar
        self.model = model
        self.model_name = model_name(model)
        self.re_m = effective_earth_radius(model)
        self.rcs_m2 = float(radar.reference_rcs_m2 if rcs_m2 is None else rcs_m2)
        if not self.rcs_m2 > 0 or not np.isfinite(self.rcs_m2):
            raise InputError(f"rcs_m2 must be a positive number, got {rcs_m2!r}")
        self.max_range_m = radar.range_for_rcs(self.rcs_m2)
        self.n_site_m = float(geoid_undulation(radar.lat_deg, radar.lon_deg))
        self.antenna_height_msl_m = radar.antenna_height_msl_m
        self.antenna_height_ellipsoidal_m = self.antenna_height_msl_m + self.n_site_m
        self.ecef = np.array(geodetic2ecef(radar.lat_deg, radar.lon_deg,
                                           self.antenna_height_ellipsoidal_m))
        #: depression (rad) of the grazing ray at the smooth-Earth radar horizon
        self.dip_rad = float(np.arccos(min(self.re_m / (self.re_m + self.antenna_height_msl_m), 1.0)))
        #: ground range (m) of the grazing ray's tangent point (the radar horizon)
        self.horizon_ground_range_m = self.re_m * self.dip_rad
        ns = crpl_surface_refractivity_n(model)
        #: tabulated CRPL ray family for a ray-traced model, else None
        self.crpl = crpl_site(max(float(self.antenna_height_msl_m), 0.0), ns) if ns is not None else None
        if self.crpl is not None:
            self.dip_rad = -np.radians(self.crpl.grazing_elevation_deg)
            self.horizon_ground_range_m = self.crpl.horizon_ground_range_m
        #: radius (m) of the sphere osculating WGS84 at the radar, for bulk slant ranges
        self.osculating_radius_m = gaussian_radius_m(radar.lat_deg)
        self.dem: DemStack | None = None
        if isinstance(terrain, TerrainMask):
            self._check_mask(terrain)
            self.mask: TerrainMask | None = terrain  # its DEM is unknown: no ground clipping
        elif terrain is False or terrain is None:
            self.mask = None
        else:
            self.dem = terrain if isinstance(terrain, DemStack) else DemStack.bundled()
            self.mask = terrain_mask(radar.lat_deg, radar.lon_deg, self.antenna_height_msl_m,
                                     dem=self.dem, model=model, max_distance_m=mask_distance_m,
                                     azimuth_step_deg=mask_azimuth_step_deg)

    def _check_mask(self, mask: TerrainMask) -> None:
        r = self.radar
        if (abs(mask.lat_deg - r.lat_deg) > 1e-9 or abs(mask.lon_deg - r.lon_deg) > 1e-9
                or abs(mask.antenna_height_msl_m - self.antenna_height_msl_m) > 1e-6):
            raise InputError(f"terrain mask was computed for another site ({mask.lat_deg}, "
                             f"{mask.lon_deg}, {mask.antenna_height_msl_m} m), not radar {r.id!r}")
        if mask.model != self.model_name:
            raise InputError(f"terrain mask uses refraction model {mask.model!r}, the view "
                             f"{self.model_name!r}")

    @property
    def terrain(self) -> bool:
        return self.mask is not None

    # -- geometry helpers ------------------------------------------------------------------
    def ground(self, lat_deg: ArrayLike, lon_deg: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Geodesic azimuth (deg, [0, 360)) and ground range (m) from the radar."""
        lat, lon = np.broadcast_arrays(as_float64(lat_deg), as_float64(lon_deg))
        r = self.radar
        az, _, s = GEOD.inv(np.full(lat.shape, r.lon_deg), np.full(lat.shape, r.lat_deg), lon, lat)
        return np.asarray(az) % 360.0, np.asarray(s)

    def apparent_elevation(self, ground_range_m: ArrayLike, height_above_site_geoid_m: ArrayLike):
        """Refracted elevation (deg) of a point at ground range and height above the geoid
        at the radar (effective-radius sphere, or the traced CRPL rays)."""
        if self.crpl is not None:
            return self.crpl.elevation_deg(ground_range_m, height_above_site_geoid_m)
        return apparent_elevation_deg(ground_range_m, self.antenna_height_msl_m,
                                      height_above_site_geoid_m, self.re_m)

    def horizon_limit_deg(self, ground_range_m: ArrayLike) -> np.ndarray:
        """Elevation (deg) of the grazing ray's height at this range beyond the horizon,
        -90 before it: a point below that is below the radar horizon."""
        s = as_float64(ground_range_m)
        return np.where(s > self.horizon_ground_range_m, -np.degrees(self.dip_rad), -90.0)

    def sphere_slant_range(self, ground_range_m: ArrayLike, height_msl_m: ArrayLike) -> np.ndarray:
        """True slant range (m) to a point at ground range and height above MSL, on the
        sphere osculating WGS84 at the radar (within 0.01 % of the ellipsoid for ranges
        up to thousands of km; the geoid at the point is taken as the radar's)."""
        r = self.osculating_radius_m
        a = r + self.antenna_height_ellipsoidal_m
        c = r + self.n_site_m + as_float64(height_msl_m)
        # law of cosines, written without cancellation: (c - a)^2 + 4ac sin^2(theta/2)
        return np.sqrt((c - a) ** 2 + 4.0 * a * c * np.sin(as_float64(ground_range_m) / (2.0 * r)) ** 2)

    # -- the test ------------------------------------------------------------------------------
    def visibility(self, lat_deg: ArrayLike, lon_deg: ArrayLike, height_m: ArrayLike, *,
                   height_ref: str = "msl", rcs_m2: ArrayLike | None = None) -> Visibility:
        """Can the radar see these points, and if not, why.

        ``height_m`` is above mean sea level (``height_ref="msl"``, default) or above the
        WGS84 ellipsoid (``"ellipsoid"``). ``rcs_m2`` (broadcastable) overrides the view's
        target RCS per point.
        """
        if height_ref not in ("msl", "ellipsoid"):
            raise InputError(f"height_ref must be 'msl' or 'ellipsoid', got {height_ref!r}")
        lat, lon, h = np.broadcast_arrays(as_float64(lat_deg), as_float64(lon_deg), as_float64(height_m))
        if np.any(np.abs(lat) > 90) or not np.all(np.isfinite(h)):
            raise InputError("points need latitudes within [-90, 90] and finite heights")
        n_pt = geoid_undulation(lat, lon)
        h_ell = h + n_pt if height_ref == "msl" else h
        h_rel = h_ell - self.n_site_m  # height above the geoid at the radar
        az, s = self.ground(lat, lon)
        el = self.apparent_elevation(s, h_rel)
        x, y, z = geodetic2ecef(lat, lon, h_ell)
        rng = np.sqrt((x - self.ecef[0]) ** 2 + (y - self.ecef[1]) ** 2 + (z - self.ecef[2]) ** 2)
        r = self.radar
        max_range = self.max_range_m if rcs_m2 is None else r.range_for_rcs_array(rcs_m2)
        fails = [
            ~in_sector(az, r.boresight_azimuth_deg, r.half_width_deg),
            el < self.horizon_limit_deg(s) - 1e-9,
            (el < r.min_elevation_deg) | (el > r.max_elevation_deg),
            (el < self.mask.mask_at(az, s)) if self.mask is not None else np.zeros(el.shape, bool),
            rng > max_range,
        ]
        blocked = np.full(el.shape, "", dtype=object)
        for reason, fail in zip(REASONS[::-1], fails[::-1], strict=True):
            blocked[np.broadcast_to(fail, el.shape)] = reason
        visible = blocked == ""
        out = [visible, az, el, rng, s, blocked.astype(str)]
        if np.ndim(lat_deg) == 0 and np.ndim(lon_deg) == 0 and np.ndim(height_m) == 0:
            out = [np.asarray(a).reshape(()) for a in out]
        return Visibility(*out)

    # -- bulk test for footprints ------------------------------------------------------------
    def _crpl_correction_f32(self, s_m: np.ndarray, h_m: np.ndarray) -> np.ndarray:
        """The traced rays' elevation correction (deg, float32) at float32 ground ranges and
        heights: ``self.crpl.correction_deg`` (float64 arithmetic), in a numba kernel when
        available (the same operations, so the same values)."""
        if not _kernels.use_numba():
            return self.crpl.correction_deg(s_m, h_m).astype(np.float32)
        s_m, h_m = np.broadcast_arrays(s_m, np.asarray(h_m, np.float32))
        hs, ss, tab = self.crpl.correction_grid()
        out = np.empty(s_m.shape, np.float32)
        _kernels.crpl_correction(np.ascontiguousarray(s_m, np.float32).reshape(-1),
                                 np.ascontiguousarray(h_m).reshape(-1), hs, float(ss[1] - ss[0]), ss.size,
                                 tab, out.reshape(-1))
        return out

    def _visible_fused(self, points: PointSet, altitude_msl_m, rcs_m2, *, shortcuts: bool = True) -> np.ndarray | None:
        """:meth:`visible_fast` in one numba kernel per point (``_kernels.visible``), for
        points whose shape is the result's; None otherwise (the numpy path then runs). The
        same float32 operations; numba's libm ``sin``/``atan2`` may differ from numpy's SIMD
        ones by an ulp, so only points within ~1e-6 relative of a limit can differ.
        ``shortcuts=False`` turns off the kernel's bounds that decide points without the full
        test (the same verdicts, slower: for tests)."""
        f32 = np.float32
        r = self.radar

        def as_float(a):  # float32 or float64 as given (the kernel rounds to float32), else float32
            a = np.asarray(a)
            return a if a.dtype in (np.float32, np.float64) else a.astype(f32)

        h = as_float(altitude_msl_m)
        per_point = not (rcs_m2 is None or np.ndim(rcs_m2) == 0)
        shape = points.shape
        if h.shape != shape or (per_point and np.shape(rcs_m2) != shape):
            if np.broadcast_shapes(shape, h.shape, np.shape(rcs_m2) if per_point else ()) != shape:
                return None
            h = np.broadcast_to(h, shape)
        sb, cb, slon, clon = (np.ascontiguousarray(a).reshape(-1) for a in (points.sb, points.cb, points.slon,
                                                                            points.clon))
        h = np.ascontiguousarray(h).reshape(-1)
        geo, radar, hs, ds, n_s, tab, sure = self._fused_constants()
        if per_point:
            rcs = np.ascontiguousarray(np.broadcast_to(as_float(rcs_m2), shape)).reshape(-1)
        else:
            rcs = np.zeros(1, f32)
            radar = radar.copy()
            radar[3] = f32(self.max_range_m if rcs_m2 is None else r.range_for_rcs(float(rcs_m2)))
        if not shortcuts:  # the full test for every point (tests compare the two)
            sure = np.concatenate([sure[:2], [-np.inf, 0.0, 1.0, 2.0, -2.0]])
        # the kernel's distance and elevation bounds (its shortcut 3) hold where sin grows over
        # the central angle on the refraction sphere: t = s / radius < pi / 2 for every point
        # they take (cos sigma > 0.9: s < 2,880 km), so radius > 2,000 km (k > 0.31); a smaller
        # k-factor runs the full test (hostile review: k = 0.05 gave a visible point as hidden)
        radius = float(radar[8])
        bounds = shortcuts and radius > _BOUNDS_MIN_RADIUS_M
        out = np.empty(shape, bool)
        _kernels.visible(sb, cb, slon, clon, h, rcs, per_point, geo, radar, bool(r.full_circle),
                         self.crpl is not None, hs, ds, n_s, tab, sure, bounds, out.reshape(-1))
        return out

    def _fused_constants(self) -> tuple:
        """The fused kernel's per-radar arguments (``_kernels.visible``: ``geo``, ``radar`` with
        a zero maximum range, the CRPL table's ``hs``, ``ds``, ``n_s``, ``tab``, and ``sure``),
        computed once per view."""
        cached = self.__dict__.get("_fused")
        if cached is not None:
            return cached
        f32 = np.float32
        r = self.radar
        sb0, cb0, sl0, cl0 = site_trig(r.lat_deg, r.lon_deg)
        geo = np.array([sb0, cb0, sl0, cl0, f32(WGS84.semimajor_axis_m), f32(0.5 * WGS84.flattening)], f32)
        r_loc = self.osculating_radius_m
        radius = self.re_m if self.crpl is None else EARTH_RADIUS_M
        radar = np.array([r_loc + self.antenna_height_ellipsoidal_m, r_loc + self.n_site_m, 2.0 * r_loc, 0.0,
                          r.reference_range_m, r.reference_rcs_m2, r.boresight_azimuth_deg, r.half_width_deg + 1e-9,
                          radius, self.antenna_height_msl_m, r.min_elevation_deg, r.max_elevation_deg,
                          -np.degrees(self.dip_rad), self.horizon_ground_range_m], np.float64).astype(f32)
        if self.crpl is not None:
            hs, ss, tab = self.crpl.correction_grid()
            ds, n_s = float(ss[1] - ss[0]), ss.size
            c_lo, c_hi = self.crpl_correction_bounds_deg()
        else:
            hs, ds, n_s, tab = np.zeros(2), 1.0, 2, np.zeros((2, 2), f32)
            c_lo = c_hi = 0.0
        # geometric elevations that pass every elevation test whatever the correction, with
        # 1e-3 deg for float32 rounding (~1e-5 deg); only when passing the minimum elevation
        # implies passing the horizon (the grazing ray is not above the minimum elevation)
        lo_deg, hi_deg = r.min_elevation_deg - c_lo + 1e-3, min(r.max_elevation_deg - c_hi - 1e-3, 89.0)
        sure = [np.tan(np.radians(lo_deg)), np.tan(np.radians(hi_deg))]
        if not (lo_deg < hi_deg and -np.degrees(self.dip_rad) <= r.min_elevation_deg and lo_deg > -89.0):
            sure = [1.0, -1.0]  # no shortcut
        # geometric elevations that fail the minimum elevation whatever the correction (the same
        # 1e-3 deg), and the sector's cosines 0.01 deg inside and outside its half-width
        fail_deg = r.min_elevation_deg - c_hi - 1e-3
        sure.append(np.tan(np.radians(fail_deg)) if fail_deg > -89.0 else -np.inf)
        # (the dot product and |(x, y)| carry float32 rounding, ~5e-7 of cos(angle): an angle
        # error of ~5e-7 / sin(half-width) rad, inside the 0.01 deg margin only for half-widths
        # in [1, 179] deg; narrower or nearly full sectors take the exact azimuth: hostile
        # review, a 0.02 deg sector let a point 0.0216 deg off the boresight in)
        b_rad, hw_deg = np.radians(r.boresight_azimuth_deg), r.half_width_deg + 1e-9
        by_dot = _SECTOR_DOT_MIN_DEG <= hw_deg <= 180.0 - _SECTOR_DOT_MIN_DEG
        sure += [np.sin(b_rad), np.cos(b_rad), np.cos(np.radians(hw_deg - 0.01)) if by_dot else 2.0,
                 np.cos(np.radians(hw_deg + 0.01)) if by_dot else -2.0]
        cached = self.__dict__["_fused"] = (geo, radar, hs, ds, n_s, tab, np.array(sure, np.float64))
        return cached

    def crpl_correction_bounds_deg(self) -> tuple[float, float]:
        """Least and greatest elevation correction (deg) of the CRPL table (0, 0 without one)."""
        if self.crpl is None:
            return 0.0, 0.0
        cached = self.__dict__.get("_crpl_bounds")
        if cached is None:
            tab = self.crpl.correction_grid()[2]
            cached = self.__dict__["_crpl_bounds"] = (float(np.min(tab)), float(np.max(tab)))
        return cached

    def visible_fast(self, lat_deg: np.ndarray, lon_deg: np.ndarray, altitude_msl_m: np.ndarray,
                     rcs_m2: np.ndarray | float | None = None, *, points: PointSet | None = None) -> np.ndarray:
        """Visibility only, for millions of points: the same rules as :meth:`visibility`,
        with Andoyer-Lambert ground ranges (~20 m), auxiliary-sphere azimuths (~0.2 deg),
        heights taken above the geoid at the radar (no per-point geoid), slant ranges on
        the osculating sphere at the radar, float32 trigonometry. ``points`` reuses the
        trigonometry of the same points across radars.

        Without a terrain mask and with numba, one fused kernel per point
        (:meth:`_visible_fused`); the numpy path (``GEOCOVER_NO_NUMBA=1``) is the fallback and
        the reference: the two agree except for points within float32 rounding (an ulp of
        ``sin``/``atan2``, well under 1 m) of a limit (tests/test_visibility_fused.py)."""
        r = self.radar
        f32 = np.float32
        points = points or PointSet(lat_deg, lon_deg)
        if self.mask is None and _kernels.use_numba():
            fused = self._visible_fused(points, altitude_msl_m, rcs_m2)
            if fused is not None:
                return fused
        s, az = points.distance_azimuth(r.lat_deg, r.lon_deg, dtype=f32)
        h = np.asarray(altitude_msl_m, dtype=f32)
        # range and sector first (cheap): only the points that pass them need an elevation
        r_loc = self.osculating_radius_m  # sphere_slant_range's formula, in float32
        a2 = f32(r_loc + self.antenna_height_ellipsoidal_m)
        c2 = f32(r_loc + self.n_site_m) + h
        rho2 = (c2 - a2) ** 2 + f32(4.0) * a2 * c2 * np.sin(s / f32(2.0 * r_loc)) ** 2
        if rcs_m2 is None or np.ndim(rcs_m2) == 0:
            max_range = f32(self.max_range_m if rcs_m2 is None else r.range_for_rcs(float(rcs_m2)))
        else:  # R^2 = R_ref^2 sqrt(rcs / rcs_ref), in float32
            max_range = f32(r.reference_range_m) * np.sqrt(np.sqrt(
                np.asarray(rcs_m2, dtype=f32) / f32(r.reference_rcs_m2)))
        ok = rho2 <= max_range * max_range  # a new array, the shape of s and h together
        shape = np.broadcast_shapes(s.shape, h.shape)
        # C order and its own memory: ``flat`` below must be a view of it (trajectory samples
        # are often Fortran-ordered, and so is an element-wise result of them)
        ok = np.broadcast_to(ok, shape).copy() if ok.shape != shape else np.ascontiguousarray(ok)
        if not r.full_circle:
            ok &= in_sector(az, r.boresight_azimuth_deg, r.half_width_deg)
        flat = ok.reshape(-1)
        idx = np.flatnonzero(flat)
        if idx.size == 0:
            return ok
        s = np.broadcast_to(s, ok.shape).reshape(-1)[idx]
        h = np.broadcast_to(h, ok.shape).reshape(-1)[idx]
        # the ray-traced model: geometric elevation on the true sphere plus the traced bending
        radius = self.re_m if self.crpl is None else EARTH_RADIUS_M
        t = s / f32(radius)
        c = f32(radius) + h
        # tan E = (c cos t - a) / (c sin t), numerator without cancellation
        num = (h - f32(self.antenna_height_msl_m)) - f32(2.0) * c * np.sin(t / f32(2.0)) ** 2
        el = np.degrees(np.arctan2(num, c * np.sin(t)))
        if self.crpl is not None:
            el = el + self._crpl_correction_f32(s, h)
        sub = (el >= f32(r.min_elevation_deg)) & (el <= f32(r.max_elevation_deg))
        sub &= (el >= f32(-np.degrees(self.dip_rad))) | (s <= self.horizon_ground_range_m)
        if self.mask is not None:
            sub &= el >= self.mask.mask_at(np.broadcast_to(az, ok.shape).reshape(-1)[idx], s)
        flat[idx] = sub
        return ok

