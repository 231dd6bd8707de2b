"""Geodesics on the WGS84 ellipsoid (Karney's algorithm through ``pyproj.Geod``).

Distances and azimuths a user reads are always ellipsoidal, never spherical. Polygons
(geodesic circles, azimuth sectors) come back as valid shapely geometry in (lon, lat)
order, split at the antimeridian and closed over a pole when they contain one (RFC 7946).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from .earth import as_float64, scalar_or_array
from .errors import InputError

__all__ = [
    "GEOD",
    "MAX_RADIUS_M",
    "LatLonGrid",
    "cell_areas_km2",
    "destination",
    "fwd_ring",
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
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(as_float64(lat1_deg), as_float64(lon1_deg), as_float64(lat2_deg),
                                                 as_float64(lon2_deg))
    _check_latlon(lat1, lon1, "start ")
    _check_latlon(lat2, lon2, "end ")
    az12, az21, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return scalar_or_array(np.asarray(dist, float), np.asarray(az12, float) % 360.0,
                np.asarray(az21, float) % 360.0)


def destination(lat_deg: ArrayLike, lon_deg: ArrayLike, azimuth_deg: ArrayLike,
                distance_m: ArrayLike):
    """Point (lat, lon in deg, lon in [-180, 180]) reached from a start along a geodesic."""
    lat, lon, az, dist = np.broadcast_arrays(as_float64(lat_deg), as_float64(lon_deg), as_float64(azimuth_deg),
                                             as_float64(distance_m))
    _check_latlon(lat, lon)
    lon2, lat2, _ = GEOD.fwd(lon, lat, az, dist)
    return scalar_or_array(np.asarray(lat2, float), np.asarray(lon2, float))


def points_along(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float,
                 npts: int):
    """``npts`` points (lat, lon arrays, deg) along the geodesic, end points included."""
    if npts < 2:
        raise InputError(f"npts must be >= 2, got {npts}")
    _check_latlon(as_float64(lat1_deg), as_float64(lon1_deg))
    _check_latlon(as_float64(lat2_deg), as_float64(lon2_deg))
    r = GEOD.inv_intermediate(lon1_deg, lat1_deg, lon2_deg, lat2_deg, npts=npts,
                              initial_idx=0, terminus_idx=0,
                              return_back_azimuth=True)
    return np.asarray(r.lats, float), np.asarray(r.lons, float)


WORLD = box(-180.0, -90.0, 180.0, 90.0)

#: Longest radius of a geodesic circle: every geodesic no longer than pi * b (b, the WGS84
#: semi-minor axis) is a shortest path (Karney 2013, J. Geodesy 87, section 7), so up to this
#: radius the "circle" of geodesic radius r is the set of points at distance <= r. The
#: antipodal distance itself is 20,003.9 km (meridian) to 20,037.5 km; pi * b = 19,970.3 km.
MAX_RADIUS_M = np.pi * GEOD.b


def _covers_periodic(poly: BaseGeometry, lon: float, lat: float) -> bool:
    """Whether planar ``poly`` (unwrapped longitudes) covers (lon + 360 k, lat) for some k."""
    west, _, east, _ = poly.bounds
    ks = range(int(np.floor((west - lon) / 360.0)), int(np.ceil((east - lon) / 360.0)) + 1)
    return any(poly.covers(Point(lon + 360.0 * k, lat)) for k in ks)


def _cut_at_antimeridian(poly: BaseGeometry) -> BaseGeometry:
    """Planar lon/lat polygon with any longitudes to pieces in [-180, 180], shifted back."""
    west, _, east, _ = poly.bounds
    lo, hi = np.floor((west + 180.0) / 360.0), np.floor((east + 180.0) / 360.0)
    pieces = []
    for k in range(int(lo), int(hi) + 1):
        part = poly.intersection(box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0))
        if not part.is_empty:
            pieces.append(shapely.affinity.translate(part, xoff=-360.0 * k))
    return shapely.union_all(pieces) if len(pieces) > 1 else pieces[0] if pieces else Polygon()


def _polygons_only(geom: BaseGeometry) -> BaseGeometry:
    polys = [p for g in getattr(geom, "geoms", [geom]) for p in getattr(g, "geoms", [g])
             if isinstance(p, Polygon) and p.area > 0]
    return Polygon() if not polys else polys[0] if len(polys) == 1 else MultiPolygon(polys)


def ring_to_geometry(lons_deg: ArrayLike, lats_deg: ArrayLike,
                     inside_lonlat: tuple[float, float] | None = None) -> BaseGeometry:
    """A closed lon/lat ring on the ellipsoid to valid shapely geometry in [-180, 180].

    A ring on a closed surface bounds two regions; ``inside_lonlat`` (a point of the wanted
    one) says which. The ring is unwrapped to continuous longitudes (consecutive vertices are
    joined the short way round). If it winds once around the polar axis, exactly one pole is
    in each region: the region is closed along the pole on the side of ``inside_lonlat``.
    If it does not wind, the region is the ring's planar interior or, when that does not hold
    ``inside_lonlat``, its complement (which holds both poles: a circle of radius more than
    a quarter of the globe around a mid-latitude point). Without ``inside_lonlat`` the
    planar interior is taken, closed along the pole of the ring's hemisphere. Pieces beyond
    +-180 are cut and shifted back, so a polygon crossing the antimeridian becomes a
    MultiPolygon (RFC 7946 section 3.1.9).
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

    def closed_at(pole: float) -> BaseGeometry:
        ring = np.column_stack([np.concatenate([lons, [lons[-1], lons[0]]]),
                                np.concatenate([lats, [pole, pole]])])
        return shapely.make_valid(Polygon(ring))

    if abs(winding) > 180.0:  # encircles a pole
        if inside_lonlat is None:
            poly = closed_at(90.0 if np.mean(lats) > 0 else -90.0)
        else:
            north = closed_at(90.0)
            poly = north if _covers_periodic(north, *inside_lonlat) else closed_at(-90.0)
        return _polygons_only(_cut_at_antimeridian(poly))
    poly = shapely.make_valid(Polygon(np.column_stack([lons, lats])))
    region = _cut_at_antimeridian(poly)
    if inside_lonlat is not None and not _covers_periodic(poly, *inside_lonlat):
        region = WORLD.difference(region)
    return _polygons_only(region)


def fwd_ring(lat_deg: float, lon_deg: float, azimuth_distance, t: np.ndarray, *,
             max_step_deg: float = 0.5, max_points: int = 200_000):
    """Vertices (lon, lat arrays, deg) of a curve given in polar form about a centre,
    refined until consecutive vertices are at most ``max_step_deg`` apart in longitude and
    latitude, so that the straight lon/lat edges of GeoJSON (RFC 7946 section 3.1.1) follow
    the curve (near a pole a step in azimuth can sweep many degrees of longitude).

    ``azimuth_distance(t)`` maps a sorted curve parameter to (azimuth deg, geodesic distance
    m) from the centre; ``t`` holds the initial parameters (end points included).
    """
    t = np.asarray(t, float)
    for _ in range(16):
        az, dist = azimuth_distance(t)
        lon, lat, _ = GEOD.fwd(np.full(t.size, lon_deg, float), np.full(t.size, lat_deg, float), az, dist)
        lon, lat = np.asarray(lon, float), np.asarray(lat, float)
        step = np.maximum(np.abs(np.diff(np.unwrap(lon, period=360.0)) * np.cos(np.radians(
            np.minimum(np.abs(lat[1:]), np.abs(lat[:-1]))))), np.abs(np.diff(lat)))
        # Near a pole whole degrees of longitude are short: measure them along the parallel,
        # but never let a step sweep more than 10 degrees of longitude.
        big = (step > max_step_deg) | (np.abs(np.diff(np.unwrap(lon, period=360.0))) > 10.0)
        if not big.any() or t.size > max_points:
            break
        t = np.sort(np.concatenate([t, 0.5 * (t[:-1][big] + t[1:][big])]))
    return lon, lat


def geodesic_circle(lat_deg: float, lon_deg: float, radius_m: float, n: int = 360) -> BaseGeometry:
    """Points at geodesic distance <= ``radius_m`` from a centre, as a shapely polygon.

    Parameters
    ----------
    lat_deg, lon_deg : float
        Centre (deg, WGS84); poles and the antimeridian included.
    radius_m : float
        Geodesic radius (m), in (0, :data:`MAX_RADIUS_M`] (19,970 km). A circle larger than
        a quarter of the globe is the complement of a smaller ring around the antipode; it
        holds the centre, not the antipode.
    n : int
        Boundary points per full turn; more are added where the boundary sweeps quickly
        through longitude (near a pole), so that straight lon/lat edges follow it.

    Returns
    -------
    Polygon or MultiPolygon
        Valid, lon in [-180, 180], cut at the antimeridian, closed along a pole it contains.
        Its ellipsoidal area matches the geodesic cap's within 1e-4 (test_rfc7946.py, against
        Karney's polygon area of a 20,000-point boundary).

    Raises
    ------
    InputError
        Latitude outside [-90, 90], non-finite longitude, radius out of range.
    """
    return geodesic_sector(lat_deg, lon_deg, radius_m, 0.0, 360.0, n=n)


def geodesic_sector(lat_deg: float, lon_deg: float, radius_m: float, azimuth_start_deg: float,
                    azimuth_end_deg: float, n: int = 360) -> BaseGeometry:
    """A geodesic azimuth sector (pie slice) clockwise from start to end azimuth.

    A full turn (end - start >= 360) gives a circle. ``n`` points are used per full turn,
    and more where the boundary sweeps quickly through longitude (near a pole).

    Raises
    ------
    InputError
        Latitude outside [-90, 90], radius not in (0, MAX_RADIUS_M], zero width.
    """
    _check_latlon(as_float64(lat_deg), as_float64(lon_deg))
    if not radius_m > 0:
        raise InputError(f"radius_m must be > 0, got {radius_m}")
    if radius_m > MAX_RADIUS_M:
        raise InputError(f"radius_m {radius_m:g} exceeds {MAX_RADIUS_M:,.0f} m (pi times the WGS84 semi-minor "
                         "axis, the longest radius at which every geodesic is a shortest path)")
    span = (azimuth_end_deg - azimuth_start_deg) % 360.0
    if azimuth_end_deg - azimuth_start_deg >= 360.0 or (span == 0.0 and azimuth_end_deg != azimuth_start_deg):
        span = 360.0
    if span <= 0:
        raise InputError("sector must have a non-zero width")
    a0 = float(azimuth_start_deg)
    m = max(int(np.ceil(n * span / 360.0)), 8)
    if span >= 360.0:
        lons, lats = fwd_ring(lat_deg, lon_deg, lambda t: (t, np.full(t.size, radius_m)),
                              a0 + np.linspace(0.0, 360.0, m + 1))
        return ring_to_geometry(lons, lats, inside_lonlat=(float(lon_deg), float(lat_deg)))
    # Radial edges and the arc, densified from the centre: a straight lon/lat edge would not
    # follow the geodesic. Parameter t: 0-1 out along a0, 1-2 the arc, 2-3 back along a1.
    knots_t = np.array([0.0, 1.0, 2.0, 3.0])
    knots_az = np.array([a0, a0, a0 + span, a0 + span])
    knots_d = np.array([0.0, radius_m, radius_m, 0.0])

    def polar(t):
        return np.interp(t, knots_t, knots_az), np.interp(t, knots_t, knots_d)

    t = np.unique(np.concatenate([np.linspace(0.0, 1.0, 32), np.linspace(1.0, 2.0, m), np.linspace(2.0, 3.0, 32)]))
    lons, lats = fwd_ring(lat_deg, lon_deg, polar, t)
    lo_in, la_in, _ = GEOD.fwd(lon_deg, lat_deg, a0 + span / 2.0, radius_m / 2.0)
    return ring_to_geometry(lons, lats, inside_lonlat=(float(lo_in), float(la_in)))


def grid_centres(west_deg: float, north_deg: float, nrow: int, ncol: int, resolution_deg: float):
    """Cell-centre latitudes (north to south) and longitudes (west to east) of a north-up
    lat/lon grid, as 1-D arrays."""
    lats = north_deg - (np.arange(nrow) + 0.5) * resolution_deg
    lons = west_deg + (np.arange(ncol) + 0.5) * resolution_deg
    return lats, lons


def cell_areas_km2(north_deg: float, nrow: int, resolution_deg: float) -> np.ndarray:
    """Exact area (km^2) of one cell in each row of a north-up lat/lon grid on WGS84
    (graticule cells bounded by meridians and parallels): a^2 (1 - e^2)/2 * dlon * (q1 - q2)
    with q the authalic function of each row edge (Snyder 1987, eq. 3-12)."""
    from .earth import WGS84

    e2 = WGS84.eccentricity_squared
    e = np.sqrt(e2)
    s = np.sin(np.radians(north_deg - np.arange(nrow + 1) * resolution_deg))
    q = s / (1 - e2 * s * s) + np.log((1 + e * s) / (1 - e * s)) / (2 * e)
    a = WGS84.semimajor_axis_m
    return a * a * (1 - e2) / 2 * np.radians(resolution_deg) * (q[:-1] - q[1:]) / 1e6


@dataclass(frozen=True)
class LatLonGrid:
    """A north-up lat/lon grid of square cells (degrees): row 0 is the northern edge.

    The one description of the grids of footprints, coverage rasters and searches: cell
    centres, the bounding box, the GeoTIFF affine transform, WGS84 cell areas.
    """

    west_deg: float
    north_deg: float
    resolution_deg: float
    nrow: int
    ncol: int

    @classmethod
    def from_bbox(cls, bbox_deg, resolution_deg: float) -> LatLonGrid:
        """The grid covering ``bbox_deg`` (west, south, east, north) at ``resolution_deg``
        (rows and columns rounded to whole cells)."""
        west, south, east, north = (float(v) for v in bbox_deg)
        res = float(resolution_deg)
        return cls(west, north, res, round((north - south) / res), round((east - west) / res))

    @property
    def shape(self) -> tuple[int, int]:
        return self.nrow, self.ncol

    @property
    def bbox_deg(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the cell edges."""
        return (self.west_deg, self.north_deg - self.nrow * self.resolution_deg,
                self.west_deg + self.ncol * self.resolution_deg, self.north_deg)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre latitudes (north to south) and longitudes (west to east), 1-D."""
        return grid_centres(self.west_deg, self.north_deg, self.nrow, self.ncol, self.resolution_deg)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of every cell centre, row-major, 1-D of length nrow * ncol."""
        lats, lons = self.centres()
        return np.repeat(lats, self.ncol), np.tile(lons, self.nrow)

    def contains(self, lat_deg, lon_deg) -> np.ndarray:
        """True for points inside the grid's edges (edges included)."""
        w, s, e, n = self.bbox_deg
        lat, lon = np.asarray(lat_deg, float), np.asarray(lon_deg, float)
        return (w <= lon) & (lon <= e) & (s <= lat) & (lat <= n)

    def cell_areas_km2(self) -> np.ndarray:
        """Area (km^2, WGS84) of one cell of each row."""
        return cell_areas_km2(self.north_deg, self.nrow, self.resolution_deg)

    def area_km2(self, mask: np.ndarray) -> float:
        """Area (km^2, WGS84) of the cells where ``mask`` (nrow, ncol) is true."""
        return float(np.sum(self.cell_areas_km2() * np.asarray(mask).sum(axis=1)))

    @property
    def transform(self):
        """The rasterio/GDAL affine transform of the grid (pixel-is-area)."""
        from rasterio.transform import from_origin

        return from_origin(self.west_deg, self.north_deg, self.resolution_deg, self.resolution_deg)


def geodesic_area_m2(geometry: BaseGeometry) -> float:
    """Area (m^2) of a lon/lat polygon on the WGS84 ellipsoid, of any size.

    Karney's polygon area (geographiclib through ``pyproj.Geod``) of each ring, edges as
    geodesics. That area is only known modulo the ellipsoid's area, and pyproj reduces it to
    (-A/2, A/2]: a polygon larger than half the Earth (a long-range radar's coverage, a
    geodesic circle of radius up to pi b) came back as its complement, and one spanning all
    360 deg of longitude (edges along the poles and the antimeridian: degenerate as
    geodesics) as 0. So the polygon is measured in pieces at most 90 deg of longitude wide
    (cut along meridians, which are geodesics): no piece exceeds A/4, where the reduced
    area is the area.

    Parameters
    ----------
    geometry : shapely Polygon or MultiPolygon
        Longitude, latitude in degrees (longitudes may run past 180, as grids that cross the
        antimeridian do).

    Returns
    -------
    float
        Area in m^2 (holes excluded).
    """
    if geometry.is_empty:
        return 0.0
    west, _s, east, _n = geometry.bounds
    if east - west <= 90.0:
        pieces = [geometry]
    else:
        pieces = [geometry.intersection(box(x0, -90.0, x0 + 90.0, 90.0))
                  for x0 in np.arange(np.floor(west / 90.0) * 90.0, east, 90.0)]
    total = 0.0
    for piece in pieces:
        polys = _polygons_only(piece)
        for poly in getattr(polys, "geoms", [polys]):
            if poly.is_empty:
                continue
            ring_areas = [abs(float(GEOD.polygon_area_perimeter(*np.asarray(r.coords).T[:2])[0]))
                          for r in (poly.exterior, *poly.interiors)]
            total += ring_areas[0] - sum(ring_areas[1:])
    return total
