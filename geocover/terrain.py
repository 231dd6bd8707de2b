"""DEM stacks and terrain horizon masks.

A :class:`DemStack` samples terrain heights (above mean sea level) from a list of rasters
read with rasterio: the user's GeoTIFFs first, then the bundled GLOBE 2', ETOPO5 5' and
ETOPO5 10' grids. Lat/lon rasters are sampled directly (no "reproject first"); rasters in
a projected CRS are sampled through pyproj. Bundled ETOPO5 relief includes the sea floor,
which is clipped to the sea surface (0 m MSL). A point that no raster covers gets a
warning and a smooth Earth (0 m MSL) there, never silence.

A :class:`TerrainMask` holds, for one site, the apparent elevation angle of the terrain
along geodesic rays every ``azimuth_step_deg`` out to ``max_distance_m``, computed with
Earth curvature and the refraction model's effective radius. DEM heights are converted
MSL -> ellipsoid through the EGM96 geoid; the reference sphere touches the geoid at the
site, so a sea-level ship sees a sea-level horizon. Masks are cached in memory and on disk
(``$GEOCOVER_CACHE_DIR``, else the platform cache folder) per (site, DEM stack, model).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
from pyproj import CRS, Transformer

from . import _kernels
from ._paths import cache_dir, data_dir, stale_cache_temporaries
from .earth import as_float64
from .errors import DataFileError, InputError
from .geodesy import GEOD
from .geoid import geoid_undulation, load_geoid
from .refraction import RefractionModel, effective_earth_radius, model_name

__all__ = ["BUNDLED_DEMS", "DemSource", "DemStack", "TerrainMask", "TerrainWarning",
           "terrain_mask"]

#: Bundled DEMs, finest first: (file name under data/dem, clip negative heights to 0).
BUNDLED_DEMS = (("dem_globe2m_max.tif", True), ("dem_etopo5_eurasia.tif", True),
                ("etopo5_global10.tif", True))
_M_PER_DEG = 111_320.0
#: Heights a DEM may hold (m above mean sea level), a little beyond the Earth's extremes: the
#: summit of Mount Everest, 8,848.86 m (Nepal-China joint survey, announced 8 December 2020)
#: and the floor of the Challenger Deep, 10,984 +/- 25 m below sea level (Gardner et al. 2014,
#: "So, How Deep Is the Mariana Trench?", Marine Geodesy 37(1):1-13), since bundled ETOPO5
#: relief includes the sea floor. A value outside is a unit mistake (feet, centimetres), an
#: undeclared void value (-32768, -9999) or a corrupt file, and is refused: 1e30 m covering a
#: radar was taken as the site's own cell and silently ignored.
MIN_DEM_HEIGHT_MSL_M = -11_100.0
MAX_DEM_HEIGHT_MSL_M = 9_000.0


class TerrainWarning(UserWarning):
    """Terrain was not available somewhere and a smooth Earth was used there."""


@dataclass(eq=False)
class DemSource:
    """One elevation raster (band 1, metres above mean sea level)."""

    path: Path
    clip_negative: bool = False
    _data: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        import rasterio

        self.path = Path(self.path)
        if self.path.is_dir():
            raise DataFileError(f"DEM file {self.path} is a folder, not a raster")
        if self.path.exists() and not self.path.is_file():
            raise DataFileError(f"DEM file {self.path} is not a regular file (a device or pipe)")
        if not self.path.is_file():
            raise DataFileError(f"DEM file not found: {self.path}")
        try:
            with rasterio.open(self.path) as ds:
                self.crs = ds.crs
                self.transform = ds.transform
                self.nodata = ds.nodata
                self.shape = (ds.height, ds.width)
                bounds = ds.bounds
                count, dtype = ds.count, np.dtype(ds.dtypes[0])
        except rasterio.errors.RasterioError as exc:
            raise DataFileError(f"DEM file {self.path} cannot be read: {exc}") from None
        if count != 1:  # an RGB picture or a stack: band 1 was read as heights without a word
            raise DataFileError(f"DEM file {self.path} has {count} bands; a DEM is one band of heights (m)")
        if dtype.kind not in "iuf":
            raise DataFileError(f"DEM file {self.path} holds {dtype} values; heights are real numbers (m)")
        if self.crs is None or self.transform.is_identity:
            raise DataFileError(f"DEM file {self.path} is not georeferenced (no CRS or geotransform)")
        if self.transform.b or self.transform.d:
            raise DataFileError(f"DEM file {self.path}: rotated rasters are not supported")
        crs = CRS.from_user_input(self.crs)
        self.geographic = crs.is_geographic
        self._to_dem = None if self.geographic else Transformer.from_crs(
            "EPSG:4326", crs, always_xy=True)
        self.bounds = bounds
        width_deg = bounds.right - bounds.left
        self.wraps = self.geographic and abs(width_deg - 360.0) < abs(self.transform.a) * 1.5
        if self.geographic:
            self.resolution_m = abs(self.transform.e) * _M_PER_DEG
        else:
            self.resolution_m = abs(self.transform.a) * crs.axis_info[0].unit_conversion_factor

    @property
    def key(self) -> tuple:
        st = self.path.stat()
        return (str(self.path.resolve()), st.st_size, st.st_mtime_ns, self.clip_negative)

    def _array(self) -> np.ndarray:
        if self._data is None:
            import rasterio

            try:
                with rasterio.open(self.path) as ds:
                    data = ds.read(1).astype(np.float32)
            except (rasterio.errors.RasterioError, OSError) as exc:  # e.g. a truncated file
                raise DataFileError(f"DEM file {self.path} cannot be read: {exc}") from None
            if self.nodata is not None:
                data[data == self.nodata] = np.nan
            self._check_heights(data)
            if self.clip_negative:
                np.maximum(data, 0.0, out=data)
            self._data = data
        return self._data

    def _check_heights(self, data: np.ndarray) -> None:
        """Refuse heights outside [MIN_DEM_HEIGHT_MSL_M, MAX_DEM_HEIGHT_MSL_M] (NaN and the
        declared nodata value are voids, not heights).

        Raises
        ------
        DataFileError
            Naming the file, the band, how many cells are out of bounds and the first one
            (row, column, value).
        """
        lo, hi = MIN_DEM_HEIGHT_MSL_M, MAX_DEM_HEIGHT_MSL_M
        with np.errstate(invalid="ignore"):
            bad = (data < lo) | (data > hi)  # False for NaN; True for +-inf (float32 overflow)
        if not bad.any():
            return
        row, col = (int(i) for i in np.argwhere(bad)[0])
        value = float(data[row, col])
        raise DataFileError(
            f"DEM file {self.path}: band 1 has {int(bad.sum()):,} cell(s) with heights outside "
            f"{lo:,.0f} .. {hi:,.0f} m above mean sea level (the first at row {row}, column {col}: {value:g} m); "
            "heights must be metres (not feet or centimetres), and void cells must be the band's "
            f"nodata value{f' (declared: {self.nodata:g})' if self.nodata is not None else ' (none declared)'}, "
            "e.g. gdal_edit.py -a_nodata -32768 FILE")

    def sample(self, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
        """Bilinear heights (m MSL) between cell centres; NaN where not covered."""
        lat, lon = np.broadcast_arrays(as_float64(lat_deg), as_float64(lon_deg))
        if self.geographic and _kernels.use_numba():  # the same arithmetic, point by point
            t, b = self.transform, self.bounds
            out = np.empty(lat.shape)
            _kernels.bilinear_geographic(np.ascontiguousarray(lat).reshape(-1), np.ascontiguousarray(lon).reshape(-1),
                                         self._array(), t.c, t.a, t.f, t.e, b.left, b.right, self.wraps,
                                         out.reshape(-1))
            return out
        if self.geographic:
            x = lon
            if self.wraps:
                x = (lon - self.bounds.left) % 360.0 + self.bounds.left
            else:
                x = np.where(x < self.bounds.left, x + 360.0, x)
                x = np.where(x > self.bounds.right, x - 360.0, x)
            y = lat
        else:
            x, y = self._to_dem.transform(lon, lat)
            x, y = np.asarray(x), np.asarray(y)
        t = self.transform
        col = (x - t.c) / t.a - 0.5
        row = (y - t.f) / t.e - 0.5
        nrow, ncol = self.shape
        inside = (row >= -0.5) & (row <= nrow - 0.5)
        if not self.wraps:
            inside &= (col >= -0.5) & (col <= ncol - 0.5)
        out = np.full(lat.shape, np.nan)
        if not inside.any():
            return out
        r, c = row[inside], col[inside]
        r = np.clip(r, 0.0, nrow - 1.0)
        r0 = np.minimum(np.floor(r).astype(np.intp), max(nrow - 2, 0))
        dr = r - r0
        if self.wraps:
            c0 = np.floor(c).astype(np.intp)
            dc = c - c0
            c0 %= ncol
            c1 = (c0 + 1) % ncol
        else:
            c = np.clip(c, 0.0, ncol - 1.0)
            c0 = np.minimum(np.floor(c).astype(np.intp), max(ncol - 2, 0))
            dc = c - c0
            c1 = np.minimum(c0 + 1, ncol - 1)
        r1 = np.minimum(r0 + 1, nrow - 1)
        a = self._array()
        top = a[r0, c0] * (1 - dc) + a[r0, c1] * dc
        bot = a[r1, c0] * (1 - dc) + a[r1, c1] * dc
        out[inside] = top * (1 - dr) + bot * dr
        return out


class DemStack:
    """Terrain heights from the first raster in the stack that covers each point."""

    def __init__(self, user_dems: list[str | Path] | tuple = (), *, bundled: bool = True):
        self.sources = [DemSource(Path(p)) for p in user_dems]
        if bundled:
            base = data_dir() / "dem"
            self.sources += [DemSource(base / name, clip_negative=clip)
                             for name, clip in BUNDLED_DEMS]
        if not self.sources:
            raise InputError("a DEM stack needs at least one raster")

    @staticmethod
    def bundled() -> DemStack:
        """The bundled GLOBE/ETOPO5 stack, opened and read once per process."""
        return _bundled_stack()

    @cached_property
    def key(self) -> tuple:
        return tuple(s.key for s in self.sources)

    def describe(self) -> str:
        return ", ".join(s.path.name for s in self.sources)

    def sample(self, lat_deg: ArrayLike, lon_deg: ArrayLike, *, warn: bool = True) -> np.ndarray:
        """Terrain heights (m above MSL) at points; 0 m (smooth Earth) where no DEM covers."""
        lat, lon = np.broadcast_arrays(as_float64(lat_deg), as_float64(lon_deg))
        out = np.full(lat.shape, np.nan)
        todo = np.ones(lat.shape, bool)
        for k, src in enumerate(self.sources):
            if k == 0:  # every point is still to do: no gather
                out = src.sample(lat, lon)
                todo = np.isnan(out)
                continue
            if not todo.any():
                break
            vals = src.sample(lat[todo], lon[todo])
            got = ~np.isnan(vals)
            idx = np.flatnonzero(todo)
            out.flat[idx[got]] = vals[got]
            todo.flat[idx[got]] = False
        if todo.any():
            if warn:
                warnings.warn(
                    f"{int(todo.sum())} of {todo.size} terrain samples lie outside every DEM "
                    f"({self.describe()}); a smooth Earth (0 m MSL) is used there",
                    TerrainWarning, stacklevel=2)
            out[todo] = 0.0
        return out

    def resolution_m_at(self, lat_deg: float, lon_deg: float) -> float:
        """Cell size (m) of the first raster that covers a point."""
        for src in self.sources:
            if not np.isnan(src.sample(np.array([lat_deg]), np.array([lon_deg]))[0]):
                return src.resolution_m
        return self.sources[-1].resolution_m


@lru_cache(maxsize=1)
def _bundled_stack() -> DemStack:
    return DemStack()


def apparent_elevation_deg(ground_range_m: ArrayLike, antenna_height_m: ArrayLike,
                           target_height_m: ArrayLike, re_m: float) -> np.ndarray:
    """Elevation (deg) of a point seen from an antenna on the effective-radius sphere.

    tan E = (c cos t - a) / (c sin t), a = R_e + h_a, c = R_e + h_t, t = s / R_e; the
    inverse of :func:`geocover.lowest_visible_altitude`. Heights above the smooth surface.
    """
    t = as_float64(ground_range_m) / re_m
    a = re_m + as_float64(antenna_height_m)
    c = re_m + as_float64(target_height_m)
    return np.degrees(np.arctan2(c * np.cos(t) - a, c * np.sin(t)))


@dataclass(frozen=True, eq=False)
class TerrainMask:
    """Apparent terrain elevation per azimuth, as a running maximum along each ray.

    ``elevation_deg[i, j]`` is the highest apparent elevation of any terrain sample at
    azimuth ``i * azimuth_step_deg`` and distance ``<= distances_m[j]``.
    """

    lat_deg: float
    lon_deg: float
    antenna_height_msl_m: float
    model: str
    azimuth_step_deg: float
    distances_m: np.ndarray
    elevation_deg: np.ndarray
    dem: str

    @property
    def azimuths_deg(self) -> np.ndarray:
        return np.arange(self.elevation_deg.shape[0]) * self.azimuth_step_deg

    @property
    def horizon_deg(self) -> np.ndarray:
        """Terrain horizon elevation (deg) per azimuth, out to the mask distance."""
        return self.elevation_deg[:, -1]

    @property
    def max_distance_m(self) -> float:
        return float(self.distances_m[-1])

    def mask_at(self, azimuth_deg: ArrayLike, ground_range_m: ArrayLike) -> np.ndarray:
        """Highest terrain elevation (deg) strictly closer than each point along its azimuth
        (nearest mask azimuth); -90 where no terrain sample lies in between."""
        az, s = np.broadcast_arrays(as_float64(azimuth_deg), as_float64(ground_range_m))
        n = self.elevation_deg.shape[0]
        i = np.rint(az / self.azimuth_step_deg).astype(np.intp) % n
        j = np.searchsorted(self.distances_m, s, side="left") - 1
        out = self.elevation_deg[i, np.maximum(j, 0)]
        return np.where(j >= 0, out, -90.0)


_MEMORY: dict[str, TerrainMask] = {}


def terrain_mask(lat_deg: float, lon_deg: float, antenna_height_msl_m: float, *,
                 dem: DemStack | None = None, model: RefractionModel = "4/3",
                 max_distance_m: float = 300_000.0, azimuth_step_deg: float = 0.1,
                 step_m: float | None = None, min_distance_m: float | None = None,
                 cache: bool = True) -> TerrainMask:
    """Terrain horizon mask of a site (cached per site, DEM stack and model).

    Rays are geodesics sampled every ``step_m`` (default: half the finest DEM cell at the
    site, between 30 m and 1,000 m) from ``min_distance_m`` (default: one DEM cell, the
    site's own cell is the site) out to ``max_distance_m``.
    """
    if not 0 < azimuth_step_deg <= 5:
        raise InputError(f"azimuth_step_deg must be in (0, 5], got {azimuth_step_deg}")
    if not max_distance_m > 0:
        raise InputError(f"max_distance_m must be > 0, got {max_distance_m}")
    dem = dem or DemStack.bundled()
    res = dem.resolution_m_at(lat_deg, lon_deg)
    step = float(step_m or min(max(res / 2.0, 30.0), 1000.0))
    start = float(min_distance_m if min_distance_m is not None else res)
    key_src = repr((round(lat_deg, 9), round(lon_deg, 9), round(antenna_height_msl_m, 4),
                    dem.key, model_name(model), max_distance_m, azimuth_step_deg, step, start))
    key = hashlib.sha1(key_src.encode()).hexdigest()
    if cache and key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / "masks" / f"{key}.npz"
    if cache and path.exists():
        arrays = _load_cached(path, round(360.0 / azimuth_step_deg))
        if arrays is not None:
            mask = TerrainMask(lat_deg, lon_deg, antenna_height_msl_m, model_name(model),
                               azimuth_step_deg, arrays[0], arrays[1], dem.describe())
            _MEMORY[key] = mask
            return mask
    mask = _compute_mask(lat_deg, lon_deg, antenna_height_msl_m, dem, model, max_distance_m,
                         azimuth_step_deg, step, start)
    if cache:
        _MEMORY[key] = mask
        _store_cached(path, mask)
    return mask


def _load_cached(path: Path, n_az: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The (distances, elevations) of a cached mask, or None. An entry that cannot be used
    (zero bytes, truncated, not a zip, wrong arrays or shapes, non-finite distances) is
    deleted, so it is recomputed once and not met again on every later run."""
    try:
        with np.load(path, allow_pickle=False) as z:
            dist = np.asarray(z["distances_m"], dtype=float)
            elev = np.asarray(z["elevation_deg"])
        ok = (dist.ndim == 1 and dist.size > 0 and bool(np.all(np.isfinite(dist)))
              and bool(np.all(np.diff(dist) > 0)) and elev.ndim == 2 and elev.shape == (n_az, dist.size)
              and elev.dtype.kind == "f" and not np.isinf(elev).any())
    except Exception:  # EOFError, zipfile.BadZipFile, zlib.error, OSError, KeyError, ValueError ...
        ok = False
    if ok:
        return dist, elev
    with contextlib.suppress(OSError):
        path.unlink()
    return None


def _store_cached(path: Path, mask: TerrainMask) -> None:
    """Write a mask to the cache through a temporary file and a rename; remove temporary
    files that killed runs left (``<key>.<pid>.tmp.npz`` whose process is gone)."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in stale_cache_temporaries(path.parent, ".tmp.npz"):
            with contextlib.suppress(OSError):
                old.unlink()
        np.savez(tmp, distances_m=mask.distances_m, elevation_deg=mask.elevation_deg)
        os.replace(tmp, path)
    except OSError:  # caching is an optimisation: a read-only or full disk is fine
        with contextlib.suppress(OSError):
            tmp.unlink()


#: Exact geodesic positions (pyproj) every RAY_NODE_STEP_M along rays every
#: RAY_NODE_AZIMUTH_DEG; the samples in between by cubic Hermite interpolation in distance
#: (on the nodes' positions and headings) after a 4-point Lagrange interpolation in azimuth:
#: within 3 mm of per-sample geodesics for rays that stay below 80 deg latitude (1 mm at
#: mid-latitudes; tests/test_speed_paths.py); rays reaching higher are computed per sample.
RAY_NODE_STEP_M = 20_000.0
RAY_NODE_AZIMUTH_DEG = 1.0


def _ray_nodes(lat0: float, lon0: float, n_az: int, az_step: float, n_node: int, node_step: float):
    """Per ray (azimuth ``i * az_step``): positions (deg, longitudes continuous along the ray)
    and their derivatives per metre of geodesic distance (deg/m) at ``k * node_step``."""
    if n_az <= round(360.0 / RAY_NODE_AZIMUTH_DEG):
        node_az, q = az_step * np.arange(n_az), None  # every ray is a node ray
    else:
        n_naz = round(360.0 / RAY_NODE_AZIMUTH_DEG)
        node_az = RAY_NODE_AZIMUTH_DEG * np.arange(n_naz)
        q = az_step * np.arange(n_az) / RAY_NODE_AZIMUTH_DEG
    m = node_az.size
    az = np.repeat(node_az, n_node)
    dist = np.tile(node_step * np.arange(n_node), m)
    lon2, lat2, baz = GEOD.fwd(np.full(az.size, lon0), np.full(az.size, lat0), az, dist)
    heading = np.where(dist > 0, np.asarray(baz) + 180.0, az)  # azimuth of travel at the node
    lat2, lon2, heading = (np.asarray(v, float).reshape(m, n_node) for v in (lat2, lon2, heading))
    lon_rel = (lon2 - lon0 + 180.0) % 360.0 - 180.0  # rays are short: no wrap along them
    phi, alpha = np.radians(lat2), np.radians(heading)
    w = 1.0 - GEOD.es * np.sin(phi) ** 2
    m_merid = GEOD.a * (1.0 - GEOD.es) / w**1.5  # meridian radius of curvature (m)
    n_prime = GEOD.a / np.sqrt(w)  # prime-vertical radius of curvature (m)
    dlat = np.degrees(np.cos(alpha) / m_merid)
    dlon = np.degrees(np.sin(alpha) / (n_prime * np.cos(phi)))
    nodes = [lat2, lon_rel, dlat, dlon]
    if q is not None:  # cubic Lagrange in azimuth over the 4 surrounding node rays (periodic)
        k = np.floor(q).astype(np.intp)
        u = (q - k)[:, None]
        wts = (-u * (u - 1.0) * (u - 2.0) / 6.0, (u + 1.0) * (u - 1.0) * (u - 2.0) / 2.0,
               -(u + 1.0) * u * (u - 2.0) / 2.0, (u + 1.0) * u * (u - 1.0) / 6.0)
        nodes = [sum(wt * v[(k + off) % m] for wt, off in zip(wts, (-1, 0, 1, 2), strict=True))
                 for v in nodes]
    nodes[1] = nodes[1] + lon0
    return tuple(np.ascontiguousarray(v) for v in nodes)


def _hermite_rays_np(node_lat, node_lon, node_dlat, node_dlon, node_step, distances):
    """numpy reference of ``_kernels.hermite_rays`` (same arithmetic)."""
    n_node = node_lat.shape[1]
    x = distances / node_step
    k = np.minimum(np.floor(x).astype(np.intp), n_node - 2)
    u = x - k
    u2 = u * u
    u3 = u2 * u
    h00, h10 = 2.0 * u3 - 3.0 * u2 + 1.0, u3 - 2.0 * u2 + u
    h01, h11 = -2.0 * u3 + 3.0 * u2, u3 - u2

    def interp(v, dv):
        return (h00 * v[:, k] + h10 * node_step * dv[:, k] + h01 * v[:, k + 1]
                + h11 * node_step * dv[:, k + 1])

    lat = interp(node_lat, node_dlat)
    lon = (interp(node_lon, node_dlon) + 180.0) % 360.0 - 180.0
    return lat, lon


def _exact_rays(lat0: float, lon0: float, az_deg: np.ndarray, distances: np.ndarray):
    """Latitudes and longitudes (deg) of every sample from pyproj's geodesic (the reference)."""
    lats = np.empty((az_deg.size, distances.size))
    lons = np.empty((az_deg.size, distances.size))
    for i, a in enumerate(az_deg):
        lo, la, _ = GEOD.fwd(np.full(distances.size, lon0), np.full(distances.size, lat0),
                             np.full(distances.size, a), distances)
        lons[i], lats[i] = lo, la
    return lats, lons


def _interpolated(lat0: float, distances: np.ndarray) -> bool:
    """Whether rays are interpolated between nodes: not if they may reach 80 deg latitude
    (longitude changes ever faster towards a pole, and latitude is not smooth along a ray
    over it)."""
    return distances.size > 0 and abs(lat0) + float(distances[-1]) / 110_000.0 <= 80.0


def _ray_positions(lat0: float, lon0: float, n_az: int, az_step: float, distances: np.ndarray):
    """Latitudes and longitudes (deg) at ``distances`` along the geodesics leaving a site at
    azimuths ``i * az_step`` (interpolated between exact nodes where :func:`_interpolated`)."""
    if not _interpolated(lat0, distances):
        return _exact_rays(lat0, lon0, az_step * np.arange(n_az), distances)
    n_node = max(int(np.ceil(float(distances[-1]) / RAY_NODE_STEP_M)) + 1, 2)
    nodes = _ray_nodes(lat0, lon0, n_az, az_step, n_node, RAY_NODE_STEP_M)
    if _kernels.use_numba():
        lats = np.empty((n_az, distances.size))
        lons = np.empty((n_az, distances.size))
        _kernels.hermite_rays(*nodes, RAY_NODE_STEP_M, np.ascontiguousarray(distances, float), lats, lons)
        return lats, lons
    return _hermite_rays_np(*nodes, RAY_NODE_STEP_M, distances)


def _mask_from_positions(lats, lons, distances, h_ant_msl, dem, n_site, re):
    """Running-maximum apparent elevation (float32) of the DEM along rays given by positions."""
    h_msl = dem.sample(lats, lons)
    if _kernels.use_numba():
        g = load_geoid()
        n_pts = np.empty(lats.shape)
        _kernels.geoid_bilinear(np.ascontiguousarray(lats).reshape(-1), np.ascontiguousarray(lons).reshape(-1),
                                g.n_m, g.lat0_deg, g.lon0_deg, g.step_deg, n_pts.reshape(-1))
    else:
        n_pts = geoid_undulation(lats, lons)
    h_rel = h_msl + n_pts - n_site  # heights above the geoid at the site
    el = apparent_elevation_deg(distances[None, :], h_ant_msl, h_rel, re)
    np.maximum.accumulate(el, axis=1, out=el)
    return el.astype(np.float32)


def _compute_mask(lat0: float, lon0: float, h_ant_msl: float, dem: DemStack,
                  model: RefractionModel, max_distance_m: float, az_step: float, step: float,
                  start: float) -> TerrainMask:
    n_az = round(360.0 / az_step)
    n_s = int(np.floor(max_distance_m / step + 1e-9))
    distances = step * np.arange(1, n_s + 1)
    distances = distances[distances >= start - 1e-6]
    n_site = float(geoid_undulation(lat0, lon0))
    re = float(effective_earth_radius(model))
    first = dem.sources[0]
    if _kernels.use_numba() and first.geographic and _interpolated(lat0, distances):
        # fused kernel over the first raster; rays that leave it are redone through the stack
        n_node = max(int(np.ceil(float(distances[-1]) / RAY_NODE_STEP_M)) + 1, 2)
        nodes = _ray_nodes(lat0, lon0, n_az, az_step, n_node, RAY_NODE_STEP_M)
        t_rad = distances / re
        el = np.empty((n_az, distances.size), np.float32)
        bad = np.zeros(n_az, bool)
        g, tr, b = load_geoid(), first.transform, first.bounds
        _kernels.mask_rays(*nodes, RAY_NODE_STEP_M, np.ascontiguousarray(distances), np.cos(t_rad), np.sin(t_rad),
                           first._array(), tr.c, tr.a, tr.f, tr.e, b.left, b.right, first.wraps,
                           g.n_m, g.lat0_deg, g.lon0_deg, g.step_deg, n_site, float(h_ant_msl), re, el, bad)
        if bad.any():
            rows = np.flatnonzero(bad)
            lats = np.empty((rows.size, distances.size))
            lons = np.empty((rows.size, distances.size))
            _kernels.hermite_rays(*(np.ascontiguousarray(v[rows]) for v in nodes), RAY_NODE_STEP_M,
                                  np.ascontiguousarray(distances), lats, lons)
            el[rows] = _mask_from_positions(lats, lons, distances, h_ant_msl, dem, n_site, re)
    else:
        lats, lons = _ray_positions(lat0, lon0, n_az, az_step, distances)
        el = _mask_from_positions(lats, lons, distances, h_ant_msl, dem, n_site, re)
    return TerrainMask(lat0, lon0, h_ant_msl, model_name(model), az_step, distances,
                       el, dem.describe())
