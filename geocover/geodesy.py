"""Geodesics on the WGS84 ellipsoid (Karney's algorithm through ``pyproj.Geod``).

Distances and azimuths a user reads are always ellipsoidal, never spherical. Polygons
(geodesic circles, azimuth sectors) come back as valid shapely geometry in (lon, lat)
order, split at the antimeridian and closed over a pole when they contain one (RFC 7946).
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from .earth import _f, _out
from .errors import InputError

__all__ = [
    "GEOD",
    "destination",
    "geodesic_area_m2",
    "geodesic_circle",
    "geodesic_sector",
    "grid_centres",
    "inverse",
    "points_along",
    "ring_to_geometry",
]

GEOD = Geod(ellps="WGS84")


def _check_latlon(lat: np.ndarray, lon: np.ndarray, what: str = "") -> None:
    if np.any(~np.isfinite(lat)) or np.any(np.abs(lat) > 90):
        raise InputError(f"{what}latitude must be within [-90, 90] degrees")
    if np.any(~np.isfinite(lon)):
        raise InputError(f"{what}longitude must be finite")


def inverse(lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike):
    """Geodesic distance (m), forward azimuth at point 1 and back azimuth at point 2 (deg).

    Azimuths are in [0, 360) clockwise from north; the back azimuth points from point 2
    towards point 1.
    """
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(_f(lat1_deg), _f(lon1_deg), _f(lat2_deg),
                                                 _f(lon2_deg))
    _check_latlon(lat1, lon1, "start ")
    _check_latlon(lat2, lon2, "end ")
    az12, az21, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return _out(np.asarray(dist, float), np.asarray(az12, float) % 360.0,
                np.asarray(az21, float) % 360.0)


def destination(lat_deg: ArrayLike, lon_deg: ArrayLike, azimuth_deg: ArrayLike,
                distance_m: ArrayLike):
    """Point (lat, lon in deg, lon in [-180, 180]) reached from a start along a geodesic."""
    lat, lon, az, dist = np.broadcast_arrays(_f(lat_deg), _f(lon_deg), _f(azimuth_deg),
                                             _f(distance_m))
    _check_latlon(lat, lon)
    lon2, lat2, _ = GEOD.fwd(lon, lat, az, dist)
    return _out(np.asarray(lat2, float), np.asarray(lon2, float))


def points_along(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float,
                 npts: int):
    """``npts`` points (lat, lon arrays, deg) along the geodesic, end points included."""
    if npts < 2:
        raise InputError(f"npts must be >= 2, got {npts}")
    _check_latlon(_f(lat1_deg), _f(lon1_deg))
    _check_latlon(_f(lat2_deg), _f(lon2_deg))
    r = GEOD.inv_intermediate(lon1_deg, lat1_deg, lon2_deg, lat2_deg, npts=npts,
                              initial_idx=0, terminus_idx=0,
                              return_back_azimuth=True)
    return np.asarray(r.lats, float), np.asarray(r.lons, float)


def ring_to_geometry(lons_deg: ArrayLike, lats_deg: ArrayLike) -> BaseGeometry:
    """A closed lon/lat ring (any longitudes) to valid shapely geometry in [-180, 180].

    The ring is unwrapped to continuous longitudes. If it winds once around a pole it is
    closed along that pole; pieces beyond +-180 are cut and shifted back, so a polygon
    crossing the antimeridian becomes a MultiPolygon (RFC 7946 section 3.1.9).
    """
    lons = np.unwrap(np.asarray(lons_deg, float), period=360.0)
    lats = np.asarray(lats_deg, float)
    if lons.size < 3:
        raise InputError("a ring needs at least 3 points")
    closed = np.isclose(lons[0], lons[-1]) and np.isclose(lats[0], lats[-1])
    if not closed:
        lons = np.append(lons, lons[0] + np.round((lons[-1] - lons[0]) / 360.0) * 360.0)
        lats = np.append(lats, lats[0])
    winding = lons[-1] - lons[0]
    if abs(winding) > 180.0:  # encircles a pole
        pole = 90.0 if np.mean(lats) > 0 else -90.0
        lons = np.concatenate([lons, [lons[-1], lons[0]]])
        lats = np.concatenate([lats, [pole, pole]])
    poly = shapely.make_valid(Polygon(np.column_stack([lons, lats])))
    lo, hi = np.floor((np.min(lons) + 180.0) / 360.0), np.floor((np.max(lons) + 180.0) / 360.0)
    pieces = []
    for k in range(int(lo), int(hi) + 1):
        part = poly.intersection(box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0))
        if not part.is_empty:
            pieces.append(shapely.affinity.translate(part, xoff=-360.0 * k))
    out = shapely.union_all(pieces) if len(pieces) > 1 else pieces[0]
    polys = [g for g in getattr(out, "geoms", [out]) if isinstance(g, Polygon) and g.area > 0]
    if len(polys) == 1:
        return polys[0]
    return MultiPolygon(polys)


def geodesic_circle(lat_deg: float, lon_deg: float, radius_m: float, n: int = 360) -> BaseGeometry:
    """Points at geodesic distance <= ``radius_m`` from a centre, as a shapely polygon."""
    return geodesic_sector(lat_deg, lon_deg, radius_m, 0.0, 360.0, n=n)


def geodesic_sector(lat_deg: float, lon_deg: float, radius_m: float, azimuth_start_deg: float,
                    azimuth_end_deg: float, n: int = 360) -> BaseGeometry:
    """A geodesic azimuth sector (pie slice) clockwise from start to end azimuth.

    A full turn (end - start >= 360) gives a circle. ``n`` points are used per full turn.
    """
    _check_latlon(_f(lat_deg), _f(lon_deg))
    if not radius_m > 0:
        raise InputError(f"radius_m must be > 0, got {radius_m}")
    if radius_m > np.pi * 6_356_752.0:
        raise InputError(f"radius_m {radius_m:g} exceeds half the Earth's circumference")
    span = (azimuth_end_deg - azimuth_start_deg) % 360.0
    if azimuth_end_deg - azimuth_start_deg >= 360.0 or (span == 0.0 and azimuth_end_deg != azimuth_start_deg):
        span = 360.0
    if span <= 0:
        raise InputError("sector must have a non-zero width")
    full = span >= 360.0
    m = max(int(np.ceil(n * span / 360.0)), 8)
    az = azimuth_start_deg + np.linspace(0.0, span, m, endpoint=not full)
    lons, lats, _ = GEOD.fwd(np.full(m, lon_deg, float), np.full(m, lat_deg, float), az,
                             np.full(m, radius_m, float))
    lons, lats = np.asarray(lons, float), np.asarray(lats, float)
    if full:
        return ring_to_geometry(lons, lats)
    # Arc densified from the centre: a straight lon/lat edge would not follow the geodesic.
    k = 32
    frac = np.linspace(0.0, 1.0, k)[1:-1]
    out_lon, out_lat, _ = GEOD.fwd(np.full(k - 2, lon_deg), np.full(k - 2, lat_deg),
                                   np.full(k - 2, az[0]), frac * radius_m)
    back_lon, back_lat, _ = GEOD.fwd(np.full(k - 2, lon_deg), np.full(k - 2, lat_deg),
                                     np.full(k - 2, az[-1]), frac[::-1] * radius_m)
    ring_lon = np.concatenate([[lon_deg], out_lon, lons, back_lon])
    ring_lat = np.concatenate([[lat_deg], out_lat, lats, back_lat])
    return ring_to_geometry(ring_lon, ring_lat)


def grid_centres(west_deg: float, north_deg: float, nrow: int, ncol: int, resolution_deg: float):
    """Cell-centre latitudes (north to south) and longitudes (west to east) of a north-up
    lat/lon grid, as 1-D arrays."""
    lats = north_deg - (np.arange(nrow) + 0.5) * resolution_deg
    lons = west_deg + (np.arange(ncol) + 0.5) * resolution_deg
    return lats, lons


def geodesic_area_m2(geometry: BaseGeometry) -> float:
    """Area (m^2) of a lon/lat polygon on the WGS84 ellipsoid."""
    area, _ = GEOD.geometry_area_perimeter(geometry)
    return abs(float(area))
