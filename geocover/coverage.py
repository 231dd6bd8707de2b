"""What a radar covers: polygons at altitude, minimum detectable altitude, k-coverage.

Coverage at altitude
    For each azimuth of a polar grid (``azimuth_step_deg``) and each ground range, a
    visibility margin (degrees) is evaluated for a target at the altitude: apparent
    elevation above max(minimum elevation, radar horizon, terrain mask) and below the
    maximum elevation, slant range within R(rcs). The zero contour of that margin
    (marching squares with linear interpolation, contourpy) bounds the covered region,
    holes included; its vertices (azimuth, ground range) are mapped to lon/lat along WGS84
    geodesics and split at the antimeridian. Sector edges are exact azimuth lines.
    Slant ranges here use the osculating sphere at the radar (Gaussian radius), within
    0.01 % of the ellipsoid for ranges up to thousands of km.

Minimum detectable altitude (MDA)
    For every cell centre of a lat/lon grid: the lowest altitude above mean sea level at
    which the radar sees a target there — the radar counterpart of
    ``gdal_viewshed -om GROUND`` — NaN (nodata) where it never does.
"""

from __future__ import annotations

from dataclasses import dataclass

import contourpy
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from . import __version__
from .earth import as_float64
from .errors import InputError
from .geodesy import GEOD, fwd_ring, grid_centres, ring_to_geometry
from .geoid import geoid_undulation
from .radar import RadarView, in_sector
from .refraction import lowest_visible_altitude

__all__ = [
    "CoverageFeature",
    "MdaGrid",
    "coverage_at_altitudes",
    "k_coverage",
    "k_coverage_features",
    "min_detectable_altitude",
]


@dataclass(frozen=True)
class CoverageFeature:
    """A polygon (lon/lat, WGS84) with the properties that say how it was computed."""

    geometry: BaseGeometry
    properties: dict


def _azimuth_grid(view: RadarView, step_deg: float) -> tuple[np.ndarray, bool]:
    r = view.radar
    if r.full_circle:
        n = int(np.ceil(360.0 / step_deg))
        return np.linspace(0.0, 360.0, n + 1), True
    width = 2.0 * r.half_width_deg
    n = int(np.ceil(width / step_deg))
    return r.boresight_azimuth_deg - r.half_width_deg + np.linspace(0.0, width, n + 1), False


def _max_ground_range(view: RadarView, h_rel: float) -> float:
    """Farthest ground range (m) at which a target at h_rel could be visible."""
    re = view.re_m
    a = re + view.antenna_height_msl_m
    c = re + h_rel
    e = max(np.radians(view.radar.min_elevation_deg), -view.dip_rad)
    s_hor = re * (np.arccos(min(a * np.cos(e) / c, 1.0)) - e) if c > 0 else 0.0
    r_loc = view.osculating_radius_m
    a2 = r_loc + view.antenna_height_ellipsoidal_m
    c2 = r_loc + h_rel + view.n_site_m
    cos_t = (a2 * a2 + c2 * c2 - view.max_range_m**2) / (2 * a2 * c2)
    s_rng = r_loc * np.arccos(np.clip(cos_t, -1.0, 1.0))
    return float(min(s_hor, s_rng, np.pi * r_loc))


def _margin(view: RadarView, az: np.ndarray, s: np.ndarray, h_rel: float):
    """Visibility margin (deg) on an (az, s) grid; > 0 where visible."""
    r = view.radar
    el = view.apparent_elevation(s[None, :], h_rel)
    low = np.maximum(r.min_elevation_deg, view.horizon_limit_deg(s))[None, :]
    if view.mask is not None:
        low = np.maximum(low, view.mask.mask_at(az[:, None] % 360.0, s[None, :]))
    m = np.minimum(el - low, r.max_elevation_deg - el)
    rho = view.sphere_slant_range(s, h_rel)
    m = np.minimum(m, np.degrees((view.max_range_m - rho) / view.max_range_m))
    return np.broadcast_to(m, (az.size, s.size))


def _range_grid(view: RadarView, s_max: float, n: int) -> np.ndarray:
    s = np.linspace(0.0, s_max, n)
    if view.mask is not None:
        d = view.mask.distances_m
        d = d[d < s_max]
        if d.size > 1500:
            d = d[:: int(np.ceil(d.size / 1500))]
        s = np.union1d(s, np.concatenate([d, d - 1.0]))
        s = s[s >= 0]
    return s


def _polar_plane(pts: np.ndarray, offsets: np.ndarray) -> BaseGeometry:
    """A contourpy polygon in (ground range, azimuth) as a planar polygon in the radar's
    azimuthal plane (x = s sin az, y = s cos az), where the s = 0 edge collapses to the
    origin and the 0/360 seam closes, then made valid."""
    rad = np.radians(pts[:, 1])
    xy = np.column_stack([pts[:, 0] * np.sin(rad), pts[:, 0] * np.cos(rad)])
    rings = [xy[offsets[k]:offsets[k + 1]] for k in range(len(offsets) - 1)]
    rings = [r for r in rings if len(r) >= 4]
    if not rings:
        return Polygon()
    return shapely.make_valid(Polygon(rings[0], rings[1:]))


def _plane_to_lonlat(view: RadarView, geom: BaseGeometry) -> BaseGeometry:
    """Map planar (x, y) polygons back through (azimuth, ground range) along geodesics.

    Each ring is refined (:func:`geodesy.fwd_ring`) where it sweeps quickly through
    longitude, and a point inside it in the plane, mapped the same way, says which of the two
    regions the ring bounds on the ellipsoid (a radar whose coverage reaches beyond a quarter
    of the globe, or over a pole)."""
    lat0, lon0 = view.radar.lat_deg, view.radar.lon_deg

    def polar(xy: np.ndarray):
        return np.degrees(np.arctan2(xy[:, 0], xy[:, 1])) % 360.0, np.hypot(xy[:, 0], xy[:, 1])

    def ring(coords) -> BaseGeometry:
        c = np.asarray(coords)[:, :2]
        idx = np.arange(len(c), dtype=float)

        def along(t):
            return polar(np.column_stack([np.interp(t, idx, c[:, 0]), np.interp(t, idx, c[:, 1])]))

        lon, lat = fwd_ring(lat0, lon0, along, idx)
        inner = Polygon(c).representative_point()
        az_in, d_in = polar(np.array([[inner.x, inner.y]]))
        lo_in, la_in, _ = GEOD.fwd(lon0, lat0, float(az_in[0]), float(d_in[0]))
        return ring_to_geometry(lon, lat, inside_lonlat=(float(lo_in), float(la_in)))

    out = []
    for poly in getattr(geom, "geoms", [geom]):
        if not isinstance(poly, Polygon) or poly.is_empty or poly.area <= 1.0:
            continue
        g = ring(poly.exterior.coords)
        for hole in poly.interiors:
            if Polygon(hole).area > 1.0:
                g = g.difference(ring(hole.coords))
        out.append(g)
    return _polygonal(shapely.union_all(out)) if out else Polygon()


def coverage_at_altitudes(view: RadarView, altitudes_m, *, azimuth_step_deg: float = 0.25,
                          range_samples: int = 600) -> list[CoverageFeature]:
    """Polygons of ground points above which a target at each altitude (m above MSL) is
    visible to the radar. One feature per altitude (possibly empty geometry)."""
    alts = np.atleast_1d(as_float64(altitudes_m))
    if np.any(~np.isfinite(alts)) or np.any(alts < 0):
        raise InputError(f"altitudes must be finite and >= 0 m, got {alts.tolist()}")
    if not 0 < azimuth_step_deg <= 10:
        raise InputError(f"azimuth_step_deg must be in (0, 10], got {azimuth_step_deg}")
    az, _full = _azimuth_grid(view, azimuth_step_deg)
    out = []
    for alt in alts:
        h_rel = float(alt)  # MSL altitude; heights are taken above the geoid at the radar
        s_max = _max_ground_range(view, h_rel)
        geom: BaseGeometry = Polygon()
        if s_max > 0:
            s = _range_grid(view, s_max * 1.01 + 1000.0, range_samples)
            m = np.ascontiguousarray(_margin(view, az, s, h_rel), dtype=np.float64)
            gen = contourpy.contour_generator(s, az, m, fill_type=contourpy.FillType.OuterOffset)
            polys, offs = gen.filled(0.0, np.inf)
            plane = [_polar_plane(p, o) for p, o in zip(polys, offs, strict=True)]
            plane = [g for g in plane if not g.is_empty]
            if plane:
                geom = _plane_to_lonlat(view, _polygonal(shapely.union_all(plane)))
        out.append(CoverageFeature(geom, _props(view, alt)))
    return out


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, (Polygon, MultiPolygon))]
    flat = [p for g in polys for p in getattr(g, "geoms", [g]) if p.area > 0]
    if not flat:
        return Polygon()
    return flat[0] if len(flat) == 1 else MultiPolygon(flat)


def _props(view: RadarView, alt: float) -> dict:
    return {"radar_id": view.radar.id, "altitude_m": float(alt), "altitude_ref": "msl",
            "rcs_m2": view.rcs_m2, "max_range_m": round(view.max_range_m, 3),
            "refraction_model": view.model_name, "terrain": view.terrain,
            "dem": view.mask.dem if view.mask is not None else None,
            "geocover_version": __version__}


def k_coverage(geoms_by_radar: dict[str, BaseGeometry], k: int = 2):
    """Overlay of several radars' polygons (same altitude).

    Returns ``(union, at_least_k, pieces)`` where ``pieces`` is a list of
    ``(geometry, [radar ids])``: the faces of the overlay with the radars covering each.
    """
    if k < 1:
        raise InputError(f"k must be >= 1, got {k}")
    items = [(rid, g) for rid, g in geoms_by_radar.items() if g is not None and not g.is_empty]
    if not items:
        return Polygon(), Polygon(), []
    union = shapely.union_all([g for _, g in items])
    edges = shapely.union_all([shapely.boundary(g) for _, g in items])
    faces = list(shapely.polygonize([edges]).geoms)
    pieces: dict[tuple[str, ...], list] = {}
    for face in faces:
        pt = face.representative_point()
        ids = tuple(rid for rid, g in items if g.covers(pt))
        if ids:
            pieces.setdefault(ids, []).append(face)
    merged = [(shapely.union_all(fs), list(ids)) for ids, fs in pieces.items()]
    kk = [g for g, ids in merged if len(ids) >= k]
    at_least_k = _polygonal(shapely.union_all(kk)) if kk else Polygon()
    return _polygonal(union), at_least_k, merged


def k_coverage_features(features, altitudes_m, k: int = 2, *, terrain=False) -> list[tuple]:
    """The k-coverage layers of several radars' coverage features (:func:`coverage_at_altitudes`),
    per altitude: ``union`` (k = 1), ``at_least_<k>``, and every ``piece`` of the overlay with
    the radars covering it (``radar_count``, ``radar_ids``). Returns (geometry, properties)
    pairs; properties carry the altitude, refraction model, terrain flag and version."""
    features = list(features)
    out = []
    for alt in altitudes_m:
        by_radar = {f.properties["radar_id"]: f.geometry for f in features if f.properties["altitude_m"] == alt}
        union, at_least, pieces = k_coverage(by_radar, k)
        common = {"altitude_m": alt, "refraction_model": features[0].properties["refraction_model"],
                  "terrain": terrain, "geocover_version": features[0].properties["geocover_version"]}
        out.append((union, {**common, "layer": "union", "k": 1}))
        out.append((at_least, {**common, "layer": f"at_least_{k}", "k": k}))
        for geom, ids in pieces:
            out.append((geom, {**common, "layer": "piece", "k": len(ids), "radar_count": len(ids),
                               "radar_ids": ",".join(ids)}))
    return out


@dataclass(frozen=True)
class MdaGrid:
    """A minimum-detectable-altitude raster: ``values_m[row, col]`` above MSL, NaN where
    never visible; row 0 is the northern edge (north-up GeoTIFF layout)."""

    values_m: np.ndarray
    west_deg: float
    north_deg: float
    resolution_deg: float
    properties: dict

    @property
    def shape(self) -> tuple[int, int]:
        return self.values_m.shape

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        return grid_centres(self.west_deg, self.north_deg, *self.values_m.shape, self.resolution_deg)


def min_detectable_altitude(view: RadarView, bounds: tuple[float, float, float, float],
                            resolution_deg: float) -> MdaGrid:
    """Minimum detectable altitude (m above MSL) over a lat/lon grid.

    ``bounds`` is (west, south, east, north) in degrees; cells are ``resolution_deg``
    square. A cell is nodata (NaN) outside the sector, where even the lowest visible
    target is beyond R(rcs), or where it would be above the maximum elevation.
    """
    west, south, east, north = (float(b) for b in bounds)
    if not (resolution_deg > 0 and east > west and north > south and -90 <= south and north <= 90):
        raise InputError(f"bad grid: bounds {bounds}, resolution {resolution_deg}")
    ncol = round((east - west) / resolution_deg)
    nrow = round((north - south) / resolution_deg)
    if nrow * ncol > 50_000_000:
        raise InputError(f"grid of {nrow} x {ncol} cells is too large; use a coarser resolution")
    lats, lons = grid_centres(west, north, nrow, ncol, resolution_deg)
    lat2 = np.repeat(lats, ncol)
    lon2 = np.tile((lons + 180.0) % 360.0 - 180.0, nrow)
    az, s = view.ground(lat2, lon2)
    r = view.radar
    e_req = np.full(s.shape, float(r.min_elevation_deg))
    if view.mask is not None:
        e_req = np.maximum(e_req, view.mask.mask_at(az, s))
    h_rel = lowest_visible_altitude(s, view.antenna_height_msl_m, min_elevation_deg=e_req,
                                    model=view.model)
    h_rel = np.asarray(h_rel, dtype=float)
    n_cell = geoid_undulation(lat2, lon2)
    h_msl = h_rel + view.n_site_m - n_cell
    if view.dem is not None:  # a target cannot fly below the ground of the view's DEM stack
        h_msl = np.maximum(h_msl, view.dem.sample(lat2, lon2, warn=False))
    h_rel = h_msl - view.n_site_m + n_cell
    el = view.apparent_elevation(s, h_rel)
    rho = view.sphere_slant_range(s, h_msl + n_cell - view.n_site_m)
    ok = (in_sector(az, r.boresight_azimuth_deg, r.half_width_deg) & np.isfinite(h_msl)
          & (rho <= view.max_range_m) & (el <= r.max_elevation_deg + 1e-9))
    values = np.where(ok, h_msl, np.nan).reshape(nrow, ncol).astype(np.float32)
    props = _props(view, np.nan)
    props.pop("altitude_m")
    props.update({"quantity": "minimum detectable altitude", "units": "m above mean sea level (EGM96)"})
    return MdaGrid(values, west, north, float(resolution_deg), props)
