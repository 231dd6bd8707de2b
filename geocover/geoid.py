"""EGM96 geoid undulation N and MSL <-> ellipsoidal heights, offline.

Catalog and DEM heights are above mean sea level (orthometric H); geometry uses heights
above the WGS84 ellipsoid, h = H + N. The bundled grid ``data/geoid/us_nga_egm96_15.tif``
(NGA EGM96, 15 arc-minute nodes) is interpolated bilinearly here, exactly as PROJ does with
the same grid. If the grid cannot be read geocover raises :class:`GeoidError`; it never
takes N = 0 the way PROJ quietly does when a grid is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from ._paths import data_dir
from .earth import as_float64, scalar_or_array
from .errors import GeoidError, InputError

__all__ = ["Geoid", "ellipsoidal_to_msl", "geoid_undulation", "load_geoid", "msl_to_ellipsoidal"]

GEOID_FILE = "us_nga_egm96_15.tif"


@dataclass(frozen=True, eq=False)
class Geoid:
    """A global geoid grid: node values ``n_m[row, col]`` with row 0 at ``lat0_deg`` going
    south and col 0 at ``lon0_deg`` going east, ``step_deg`` apart, wrapping in longitude."""

    path: Path
    n_m: np.ndarray
    lat0_deg: float
    lon0_deg: float
    step_deg: float

    def undulation(self, lat_deg: ArrayLike, lon_deg: ArrayLike):
        """Geoid undulation N (m) at points, bilinear between grid nodes."""
        lat, lon = np.broadcast_arrays(as_float64(lat_deg), as_float64(lon_deg))
        if np.any(~np.isfinite(lat)) or np.any(np.abs(lat) > 90):
            raise InputError("latitude must be within [-90, 90] degrees")
        if np.any(~np.isfinite(lon)):
            raise InputError("longitude must be finite")
        nrow, ncol = self.n_m.shape
        fr = np.clip((self.lat0_deg - lat) / self.step_deg, 0.0, nrow - 1.0)
        fc = ((lon - self.lon0_deg) / self.step_deg) % ncol
        r0 = np.minimum(np.floor(fr).astype(np.intp), nrow - 2)
        c0 = np.floor(fc).astype(np.intp) % ncol
        c1 = (c0 + 1) % ncol
        dr, dc = fr - r0, fc - np.floor(fc)
        g = self.n_m
        top = g[r0, c0] * (1 - dc) + g[r0, c1] * dc
        bot = g[r0 + 1, c0] * (1 - dc) + g[r0 + 1, c1] * dc
        return scalar_or_array(top * (1 - dr) + bot * dr)


def load_geoid(path: str | Path | None = None) -> Geoid:
    """Read a global EPSG:4326 geoid GeoTIFF (pixel-is-area cells centred on the nodes)."""
    return _load_geoid(str(Path(path) if path else data_dir() / "geoid" / GEOID_FILE))


@lru_cache(maxsize=4)
def _load_geoid(path: str) -> Geoid:
    import rasterio

    p = Path(path)
    if not p.is_file():
        raise GeoidError(f"geoid grid not found: {p} (geocover will not assume N = 0)")
    try:
        with rasterio.open(p) as ds:
            if ds.crs is None or ds.crs.to_epsg() != 4326:
                raise GeoidError(f"geoid grid {p}: expected EPSG:4326, got {ds.crs}")
            t = ds.transform
            data = ds.read(1).astype(np.float64)
            nodata = ds.nodata
    except rasterio.errors.RasterioError as exc:
        raise GeoidError(f"geoid grid {p} cannot be read: {exc}") from exc
    step = t.a
    if not np.isclose(-t.e, step) or t.b or t.d:
        raise GeoidError(f"geoid grid {p}: needs square, north-up cells")
    if not np.isclose(data.shape[1] * step, 360.0):
        raise GeoidError(f"geoid grid {p}: must cover 360 degrees of longitude")
    if (nodata is not None and np.any(data == nodata)) or not np.all(np.isfinite(data)):
        raise GeoidError(f"geoid grid {p}: contains missing values")
    lat0 = t.f - step / 2.0
    if not np.isclose(lat0, 90.0) or not np.isclose(lat0 - (data.shape[0] - 1) * step, -90.0):
        raise GeoidError(f"geoid grid {p}: must have nodes from 90 N to 90 S")
    return Geoid(p, data, 90.0, t.c + step / 2.0, step)


def geoid_undulation(lat_deg: ArrayLike, lon_deg: ArrayLike, geoid: Geoid | None = None):
    """EGM96 undulation N (m): ellipsoidal height minus mean-sea-level height."""
    return (geoid or load_geoid()).undulation(lat_deg, lon_deg)


def msl_to_ellipsoidal(lat_deg: ArrayLike, lon_deg: ArrayLike, height_msl_m: ArrayLike,
                       geoid: Geoid | None = None):
    """Height above mean sea level (m) to height above the WGS84 ellipsoid (m): h = H + N."""
    return scalar_or_array(as_float64(height_msl_m) + as_float64(geoid_undulation(lat_deg, lon_deg, geoid)))


def ellipsoidal_to_msl(lat_deg: ArrayLike, lon_deg: ArrayLike, height_ellipsoidal_m: ArrayLike,
                       geoid: Geoid | None = None):
    """Height above the WGS84 ellipsoid (m) to height above mean sea level (m): H = h - N."""
    return scalar_or_array(as_float64(height_ellipsoidal_m) - as_float64(geoid_undulation(lat_deg, lon_deg, geoid)))
