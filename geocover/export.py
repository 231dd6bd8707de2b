"""Writers for GeoJSON (RFC 7946), GeoTIFF and CSV — atomic, never half-written.

Every file is written to a temporary name in the destination folder and renamed into
place; :func:`staged_output` stages a whole set of files and moves them into the output
folder only when all of them were written.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from . import __version__
from .errors import DataFileError

__all__ = ["atomic_path", "atomic_write_text", "check_output_dir", "check_output_file", "feature_collection",
           "features_to_geodataframe", "staged_output", "write_geojson", "write_geotiff"]


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def check_output_file(path: str | Path) -> Path:
    """Refuse, before any work is done, an output file name that cannot be written: empty,
    an existing folder, device or other non-regular file, or a folder that cannot be made."""
    if str(path).strip() == "":
        raise DataFileError("output file name is empty")
    path = Path(path)
    if path.exists() and not path.is_file():
        raise DataFileError(f"output path {path} exists and is not a regular file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataFileError(f"cannot write to {path}: {exc.strerror or exc}") from None
    if not os.access(path.parent, os.W_OK):
        raise DataFileError(f"cannot write to {path}: folder {path.parent} is not writable")
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary file name beside ``path``; when the block succeeds the file is
    made readable (umask) and renamed onto ``path``, otherwise it is removed."""
    path = check_output_file(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix or ".tmp", dir=path.parent)
    except OSError as exc:
        raise DataFileError(f"cannot write to {path}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write text to ``path`` through a temporary file and a rename."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _clean(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if not np.isfinite(v) else v
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _rfc7946(geom: BaseGeometry, precision: int) -> dict | None:
    if geom is None or geom.is_empty:
        return None
    geom = shapely.orient_polygons(geom, exterior_cw=False)  # RFC 7946 3.1.6: right-hand rule
    geom = shapely.set_precision(geom, 10.0**-precision) if precision else geom
    return mapping(geom)


def feature_collection(features: Iterable[tuple[BaseGeometry, dict]], *, name: str | None = None,
                       precision: int = 6) -> dict:
    """An RFC 7946 FeatureCollection (lon/lat WGS84, CCW exteriors, no ``crs`` member)."""
    feats = [{"type": "Feature", "properties": _clean(props), "geometry": _rfc7946(geom, precision)}
             for geom, props in features]
    fc: dict[str, Any] = {"type": "FeatureCollection"}
    if name:
        fc["name"] = name
    fc["features"] = feats
    return fc


def write_geojson(path: str | Path, features: Iterable[tuple[BaseGeometry, dict]], *,
                  name: str | None = None, precision: int = 6) -> Path:
    """Write features as an RFC 7946 GeoJSON file (atomically)."""
    fc = feature_collection(features, name=name, precision=precision)
    return atomic_write_text(path, json.dumps(fc, ensure_ascii=False, allow_nan=False) + "\n")


def write_geotiff(path: str | Path, values: np.ndarray, *, west_deg: float, north_deg: float,
                  resolution_deg: float, description: str, units: str = "m", tags: dict | None = None) -> Path:
    """Write a float32 EPSG:4326 GeoTIFF (NaN nodata, deflate) atomically."""
    import rasterio
    from rasterio.transform import from_origin

    profile = {"driver": "GTiff", "height": values.shape[0], "width": values.shape[1],
               "count": 1, "dtype": "float32", "crs": "EPSG:4326", "nodata": np.nan,
               "transform": from_origin(west_deg, north_deg, resolution_deg, resolution_deg),
               "compress": "deflate", "predictor": 3, "tiled": values.shape[1] >= 256
               and values.shape[0] >= 256}
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as ds:
        ds.write(values.astype(np.float32), 1)
        ds.set_band_description(1, description)
        ds.update_tags(1, units=units)
        ds.update_tags(**{"geocover_version": __version__,
                          **{k: str(v) for k, v in (tags or {}).items()}})
    return Path(path)


def check_output_dir(out_dir: str | Path) -> Path:
    """Refuse, before any work is done, an output folder that cannot be written."""
    if str(out_dir).strip() == "":
        raise DataFileError("output folder name is empty")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataFileError(f"output path {out} exists and is not a folder")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataFileError(f"cannot write to {out}: {exc.strerror or exc}") from None
    if not os.access(out if out.exists() else parent, os.W_OK):
        raise DataFileError(f"cannot write to {out}: not writable")
    return out


@contextlib.contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Yield a staging folder; on success move its files into ``out_dir``, else delete it.

    Files already in ``out_dir`` with other names are left alone; same names are replaced.
    Every destination is checked before the first file moves, so a clash (a folder where a
    file goes) leaves the old output untouched.
    """
    out = check_output_dir(out_dir)
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging.", dir=out.resolve().parent))
    except OSError as exc:
        raise DataFileError(f"cannot write to {out}: {exc.strerror or exc}") from None
    try:
        yield stage
        out.mkdir(parents=True, exist_ok=True)
        items = sorted(stage.iterdir())
        for item in items:
            dest = out / item.name
            if dest.exists() and not dest.is_file():
                raise DataFileError(f"cannot write {dest}: it exists and is not a regular file")
        for item in items:
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def features_to_geodataframe(features: Iterable[tuple[BaseGeometry, dict]]):
    """A GeoDataFrame (EPSG:4326) of (geometry, properties) pairs, for QGIS-style work."""
    import geopandas as gpd

    feats = list(features)
    rows = [dict(props) for _, props in feats]
    return gpd.GeoDataFrame(rows, geometry=[g for g, _ in feats], crs="EPSG:4326")
