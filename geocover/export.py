"""Writers for GeoJSON (RFC 7946), GeoTIFF and CSV — atomic, never half-written.

Every file is written to a temporary name in the destination folder and renamed into
place; :func:`staged_output` stages a whole set of files and moves them into the output
folder only when all of them were written.
"""

from __future__ import annotations

import contextlib
import errno
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
from ._paths import pid_alive as _pid_alive
from .errors import PATH_CHARS, DataFileError, output_path_problem, quoted, shown

__all__ = ["atomic_path", "atomic_write_text", "check_output_dir", "check_output_file", "feature_collection",
           "features_to_geodataframe", "staged_output", "write_geojson", "write_geotiff"]


def _umask() -> int:
    """This process's umask (read by setting it and setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _exists(path: Path) -> bool:
    """``path.exists()``, False also for a name too long to look up (ENAMETOOLONG raises there)."""
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def _existing_ancestor(path: Path) -> Path:
    """The nearest folder above ``path`` that exists (what must be writable to create it)."""
    p = Path(os.path.abspath(path)).parent
    while not _exists(p) and p != p.parent:
        p = p.parent
    return p


def _check_name(path: Path) -> None:
    """Refuse a path that is not UTF-8 text (bytes the shell passed undecoded: GDAL and the
    HTML/JSON writers cannot write such a name) or that holds a control, line-separator or
    bidirectional character (:func:`geocover.errors.output_path_problem`: a newline in a name
    breaks every log and manifest)."""
    try:
        os.fsdecode(path).encode("utf-8")
    except UnicodeEncodeError:
        raise DataFileError(f"output path {shown(os.fsdecode(path), PATH_CHARS)} is not valid UTF-8 text; "
                            "rename it") from None
    problem = output_path_problem(os.fsdecode(path))
    if problem:
        raise DataFileError(f"output path {shown(os.fsdecode(path), PATH_CHARS)} {problem}")


def _check_creatable(path: Path) -> None:
    """Refuse a path whose nearest existing folder is not a writable folder, or that would
    create a name longer than the file system takes (the name itself: :func:`_check_name`)."""
    anc = _existing_ancestor(path)
    if not anc.is_dir():
        raise DataFileError(f"cannot write to {shown(str(path), PATH_CHARS)}: {shown(str(anc), PATH_CHARS)} is not "
                            "a folder")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise DataFileError(f"cannot write to {shown(str(path), PATH_CHARS)}: folder {shown(str(anc), PATH_CHARS)} "
                            "is not writable")
    try:
        limit = os.pathconf(anc, "PC_NAME_MAX")  # 255 bytes on ext4, xfs, btrfs, tmpfs
    except (OSError, ValueError):
        limit = 255
    with contextlib.suppress(ValueError):
        for part in Path(os.path.abspath(path)).relative_to(anc).parts:  # the names this write creates
            size = len(os.fsencode(part))
            if size > limit:  # refused now, not after the computation ('File name too long')
                raise DataFileError(f"cannot write to {shown(str(path), PATH_CHARS)}: the name "
                                    f"{quoted(part)} is {size:,} bytes: File name too long (this file system takes "
                                    f"at most {limit} bytes a name)")


#: Most bytes of an output's name that its temporary or staging name repeats (for the reader of
#: a listing): the rest of that name (``.geocover-tmp.<pid>.<random>``) must fit too.
_NAME_IN_TEMP = 64


def _name_part(name: str) -> str:
    """The first :data:`_NAME_IN_TEMP` bytes of ``name`` (whole characters) for a temporary
    name: an output name near the file system's limit (255 bytes) stays writable."""
    raw = os.fsencode(name)[:_NAME_IN_TEMP]
    return os.fsdecode(raw.decode("utf-8", "ignore").encode("utf-8"))


def check_output_file(path: str | Path) -> Path:
    """Refuse, before any work is done, an output file name that cannot be written: empty,
    an existing folder, device or other non-regular file, a name with control characters, or
    a folder that cannot be made. Nothing is created here: a refused or failed command leaves
    no folder behind."""
    if str(path).strip() == "":
        raise DataFileError("output file name is empty")
    path = Path(path)
    _check_name(path)
    if _exists(path) and not path.is_file():
        raise DataFileError(f"output path {shown(str(path), PATH_CHARS)} exists and is not a regular file")
    _check_creatable(path)
    return path


def check_output_files(named: dict[str, str | Path | None],
                       suffixes: dict[str, tuple[str, ...]] | None = None) -> None:
    """Check every output file of one command before any is written (so that a bad last name
    cannot leave the first files behind): each as :func:`check_output_file`, each with one of
    its allowed ``suffixes`` (case-insensitive), and no two naming the same file (the second
    write would replace the first). ``named`` maps an option name (``--gpkg``) to a path or
    None (not asked for).

    Raises
    ------
    DataFileError
        A name that cannot be written, has the wrong suffix, or is given to two options.
    """
    seen: dict[str, str] = {}
    for opt, path in named.items():
        if path is None:
            continue
        p = check_output_file(path)
        allowed = (suffixes or {}).get(opt)
        if allowed and p.suffix.lower() not in allowed:
            raise DataFileError(f"{opt} {quoted(str(path), PATH_CHARS)}: the file name must end in "
                                f"{' or '.join(allowed)}")
        key = os.path.realpath(p)
        if key in seen:
            raise DataFileError(f"{seen[key]} and {opt} both name {shown(str(path), PATH_CHARS)}; give each output "
                                "its own file")
        seen[key] = opt


#: Marker in the names of temporary files: ``.<name>.geocover-tmp.<pid>.<random><suffix>``.
TMP_MARK = ".geocover-tmp."
#: Folder, beside an output folder, in which whole outputs are staged.
STAGING_DIR = ".geocover-staging"


def _owner_pid(name: str) -> int | None:
    """The process id recorded in a temporary or staging name, or None."""
    if TMP_MARK in name:  # .<stem>.geocover-tmp.<pid>.<random><suffix>
        field = name.split(TMP_MARK, 1)[1].split(".", 1)[0]
    else:  # <name>.<pid>.[<start ticks>-]<random> (mkdtemp's random part has no dot and no '-')
        parts = name.rsplit(".", 2)
        field = parts[1] if len(parts) == 3 else ""
    return int(field) if field.isdigit() else None


def _start_ticks(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (``/proc/PID/stat`` field 22,
    proc(5)), as text; None where there is no /proc or no such process. With the pid it names
    one process: a pid is reused (after a reboot, in a restarted container, after wrapping), a
    start time under the same boot is not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # fields 3.. (the name in parentheses may hold spaces)
    return fields[19] if len(fields) > 19 and fields[19].isdigit() else None


#: This process's start time (:func:`_start_ticks`), written into its staging and marker names.
_OWN_START = _start_ticks(os.getpid())


def _owner_ticks(name: str) -> str | None:
    """The start time recorded in a staging or marker name (``<name>.<pid>.<ticks>-<random>``),
    or None (a name written before it was recorded, a system without /proc, or a temporary
    file's name, which records none: its last part is the output's suffix, ``.1-x`` is not a
    start time)."""
    if TMP_MARK in name:
        return None
    last = name.rsplit(".", 1)[-1]
    ticks = last.split("-", 1)[0] if "-" in last else ""
    return ticks if ticks.isdigit() else None


def _owner_alive(name: str) -> bool:
    """Whether the run that named ``name`` (a temporary, staging or marker name) may still run:
    its pid (:func:`_owner_pid`; True when the name records none: not ours to remove) is alive
    and, where the name records its start time, the live process started then (not a later
    process given the same pid, this one included)."""
    pid = _owner_pid(name)
    if pid is None:
        return True
    if not _pid_alive(pid):
        return False
    recorded = _owner_ticks(name)
    if recorded is None:
        return True
    now = _start_ticks(pid)
    return now is None or now == recorded


def remove_stale(folder: Path) -> list[Path]:
    """Remove what killed geocover runs left in ``folder``: temporary files
    (``.*.geocover-tmp.<pid>.*``) and, in a ``.geocover-staging`` folder, staging folders
    ``<name>.<pid>.<start>-<random>``, whose process is gone (or whose pid is now another
    process's: :func:`_owner_alive`). Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        staged = folder.name == STAGING_DIR
        if not staged and not (e.name.startswith(".") and TMP_MARK in e.name):
            continue
        if _owner_alive(e.name):
            continue
        p = Path(e.path)
        if e.is_dir(follow_symlinks=False):
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()
        removed.append(p)
    return removed


def _renamed_error(exc: OSError, path: Path, stage: Path | None = None) -> OSError:
    """The same OS error, naming the output the user asked for instead of a temporary name
    (a file in the staging folder ``stage`` is named by its place in ``path``)."""
    if isinstance(exc, DataFileError) or not exc.errno:
        return exc
    name = path
    if stage is not None and exc.filename:
        with contextlib.suppress(ValueError, TypeError):
            name = path / Path(os.fsdecode(exc.filename)).relative_to(stage)
    return OSError(exc.errno, exc.strerror or str(exc), str(name))


def _missing_folders(folder: Path) -> list[Path]:
    """The folders that making ``folder`` creates (it and its missing parents), outermost
    first: what a failed write removes again."""
    return [p for p in (*reversed(folder.parents), folder) if not p.exists()]


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary file name beside ``path``; when the block succeeds the file is
    made readable (umask) and renamed onto ``path``, otherwise it is removed.

    The temporary name is ``.<stem>.geocover-tmp.<pid>.<random><suffix>``: one left by a
    killed run is removed by the next write into the same folder.
    """
    path = check_output_file(path)
    _refuse_input(str(path), path)
    made = _missing_folders(path.parent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path.parent)
        suffix = path.suffix if 0 < len(os.fsencode(path.suffix)) <= 16 else ".tmp"  # GDAL reads the format from it
        fd, tmp = tempfile.mkstemp(prefix=f".{_name_part(path.stem)}{TMP_MARK}{os.getpid()}.", suffix=suffix,
                                   dir=path.parent)
    except OSError as exc:
        raise DataFileError(f"cannot write to {shown(str(path), PATH_CHARS)}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        for folder in reversed(made):  # a failed write leaves no new folder behind
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            raise _renamed_error(exc, path) from None
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


def _cut_line(coords: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cut a lon/lat(/z) polyline at the antimeridian (RFC 7946 section 3.1.9).

    Consecutive vertices are joined the short way round (a step of more than 180 degrees
    of longitude crosses the antimeridian), so longitudes are first unwrapped. Returns
    ``(coords, u)`` pieces with every longitude in [-180, 180]; ``u`` is the fractional
    index of each output vertex in the input (to interpolate per-vertex values such as
    times). Crossing points are interpolated linearly in lon/lat/z along the segment; a
    vertex exactly on +-180 between two sides is where the line is cut.
    """
    c = np.array(coords, dtype=float)
    c[:, 0] = np.unwrap(c[:, 0], period=360.0)

    def cell(lon: float) -> int:
        return int(np.floor((lon + 180.0) / 360.0))

    pieces: list[tuple[int, list, list]] = []  # (cell, points, u)
    for i in range(len(c) - 1):
        a, b = c[i], c[i + 1]
        la, lb = a[0], b[0]
        cuts = [(0.0, a)]
        if la != lb:
            lo, hi = min(la, lb), max(la, lb)
            ks = np.arange(np.ceil((lo - 180.0) / 360.0), np.floor((hi - 180.0) / 360.0) + 1)
            bounds = 180.0 + 360.0 * ks
            bounds = bounds[(bounds > lo) & (bounds < hi)]
            for bnd in (bounds if lb > la else bounds[::-1]):
                t = (bnd - la) / (lb - la)
                pt = a + t * (b - a)
                pt[0] = bnd
                cuts.append((t, pt))
        cuts.append((1.0, b))
        for j in range(len(cuts) - 1):
            (t0, p0), (t1, p1) = cuts[j], cuts[j + 1]
            if p0[0] != p1[0]:
                k = cell(0.5 * (p0[0] + p1[0]))
            elif pieces and -180.0 + 360.0 * pieces[-1][0] <= p0[0] <= 180.0 + 360.0 * pieces[-1][0]:
                k = pieces[-1][0]  # a north-south step on a cell's edge stays with the line
            else:
                k = cell(p0[0])
            if not pieces or pieces[-1][0] != k:
                pieces.append((k, [p0.copy()], [i + t0]))
            pieces[-1][1].append(p1.copy())
            pieces[-1][2].append(i + t1)
    if not pieces:  # a single vertex
        pieces = [(cell(c[0, 0]), [c[0]], [0.0])]
    out = []
    for k, pts, u in pieces:
        pc = np.array(pts)
        pc[:, 0] = np.clip(pc[:, 0] - 360.0 * k, -180.0, 180.0)
        out.append((pc, np.array(u)))
    return out


def _wrap_lon(lon: np.ndarray) -> np.ndarray:
    lon = np.asarray(lon, float)
    w = (lon + 180.0) % 360.0 - 180.0
    return np.where((w == -180.0) & (lon > 0), 180.0, w)


def _round_line(pc: np.ndarray, u: np.ndarray, precision: int) -> tuple[np.ndarray, np.ndarray]:
    """Round lon/lat to ``precision`` decimals (z to cm) and drop repeated vertices."""
    r = pc.copy()
    if precision:
        r[:, :2] = np.round(r[:, :2], precision)
        if r.shape[1] > 2:
            r[:, 2] = np.round(r[:, 2], 2)
    keep = np.ones(len(r), bool)
    keep[1:] = np.any(r[1:] != r[:-1], axis=1)
    return r[keep], u[keep]


def _polygons_in_range(geom: BaseGeometry) -> BaseGeometry:
    """Polygonal geometry with longitudes beyond [-180, 180] cut and shifted back."""
    from shapely.geometry import box

    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    west, _, east, _ = geom.bounds
    if west >= -180.0 and east <= 180.0:
        return geom
    pieces = []
    for k in range(int(np.floor((west + 180.0) / 360.0)), int(np.floor((east + 180.0) / 360.0)) + 1):
        part = geom.intersection(box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0))
        if not part.is_empty:
            pieces.append(shapely.affinity.translate(part, xoff=-360.0 * k))
    return shapely.union_all(pieces)


def _only_polygons(geom: BaseGeometry) -> BaseGeometry:
    from shapely.geometry import MultiPolygon, Polygon

    polys = [p for g in getattr(geom, "geoms", [geom]) for p in getattr(g, "geoms", [g])
             if isinstance(p, Polygon) and not p.is_empty]
    return Polygon() if not polys else polys[0] if len(polys) == 1 else MultiPolygon(polys)


def rfc7946_parts(geom: BaseGeometry, precision: int, per_vertex: dict[str, np.ndarray]):
    """RFC 7946 form of one geometry: (geojson geometry dict or None, per-vertex values
    reshaped to its coordinates)."""
    from shapely.geometry import GeometryCollection, LineString, MultiLineString, MultiPoint, Point

    if geom is None or geom.is_empty:
        return None, {k: [] for k in per_vertex}
    if isinstance(geom, (Point, MultiPoint)):
        c = shapely.get_coordinates(geom, include_z=geom.has_z)
        c[:, 0] = _wrap_lon(c[:, 0])
        if precision:
            c[:, :2] = np.round(c[:, :2], precision)
            if c.shape[1] > 2:
                c[:, 2] = np.round(c[:, 2], 2)
        coords = c.tolist()
        if isinstance(geom, Point):
            return {"type": "Point", "coordinates": coords[0]}, {k: v.tolist()[0] for k, v in per_vertex.items()}
        return {"type": "MultiPoint", "coordinates": coords}, {k: v.tolist() for k, v in per_vertex.items()}
    if isinstance(geom, (LineString, MultiLineString)):
        lines, vals = [], {k: [] for k in per_vertex}
        offset = 0
        for line in getattr(geom, "geoms", [geom]):
            c = shapely.get_coordinates(line, include_z=line.has_z)
            for pc, u in _cut_line(c):
                pc, u = _round_line(pc, u, precision)
                if len(pc) >= 2:
                    lines.append(pc.tolist())
                    for k, v in per_vertex.items():
                        vals[k].append(np.interp(u + offset, np.arange(v.size), v).tolist())
            offset += len(c)
        if not lines:
            return None, {k: [] for k in per_vertex}
        if len(lines) == 1:
            return {"type": "LineString", "coordinates": lines[0]}, {k: v[0] for k, v in vals.items()}
        return {"type": "MultiLineString", "coordinates": lines}, vals
    if isinstance(geom, GeometryCollection):
        parts = [rfc7946_parts(g, precision, {})[0] for g in geom.geoms]
        return {"type": "GeometryCollection", "geometries": [p for p in parts if p]}, {}
    # Polygonal: cut into [-180, 180], round on a grid that keeps the result valid, and
    # orient last (rounding rewrites rings clockwise): CCW exteriors, CW holes (3.1.6).
    geom = _polygons_in_range(geom)
    if precision:
        with np.errstate(divide="ignore", invalid="ignore"):  # GEOS on degenerate pieces
            geom = shapely.set_precision(geom, 10.0**-precision, mode="valid_output")
    geom = _only_polygons(geom)
    if geom.is_empty:
        return None, {}
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    if not geom.is_valid:  # pragma: no cover - set_precision(valid_output) guarantees validity
        raise ValueError(f"invalid geometry after rounding: {shapely.is_valid_reason(geom)}")
    return mapping(geom), {}


def rfc7946_geometry(geom: BaseGeometry, precision: int) -> dict | None:
    """The RFC 7946 GeoJSON geometry of a lon/lat shapely geometry (see :func:`feature_collection`)."""
    return rfc7946_parts(geom, precision, {})[0]


def feature_collection(features: Iterable[tuple[BaseGeometry, dict]], *, name: str | None = None,
                       precision: int = 6, z: str | None = None, vertex_keys: Iterable[str] = ()) -> dict:
    """An RFC 7946 FeatureCollection: the one GeoJSON writer of every command.

    Parameters
    ----------
    features : iterable of (shapely geometry, dict)
        Geometries in longitude/latitude (deg, WGS84), longitudes unwrapped or not;
        properties (NumPy scalars and NaN are converted; NaN becomes null).
    name : str, optional
        The collection's ``name`` member (GDAL uses it as the layer name).
    precision : int
        Decimal places of longitude and latitude (6: about 0.1 m); heights keep 2 (cm).
    z : str, optional
        What the third coordinate is (e.g. ``"height above the WGS84 ellipsoid, m"``),
        written as the ``z`` property of every 3-D feature. A 3-D geometry whose feature has
        neither ``z`` here nor a ``z`` property is refused (RFC 7946 section 3.1.1 leaves the
        third element's meaning to the producer).
    vertex_keys : iterable of str
        Property names holding one value per vertex of a line (e.g. times ``t_s``): they are
        interpolated at the antimeridian cuts and reshaped like the output coordinates.

    Returns
    -------
    dict
        The FeatureCollection (no ``crs`` member). Every longitude is in [-180, 180]: lines,
        multi-lines, points and polygons are cut at the antimeridian (section 3.1.9; lines
        join consecutive vertices the short way round); polygons are valid, exteriors
        counter-clockwise and holes clockwise after rounding (section 3.1.6).

    Raises
    ------
    ValueError
        3-D coordinates without a description of the third one.
    """
    vkeys = tuple(vertex_keys)
    feats = []
    for geom, props in features:
        props = dict(props or {})
        if geom is not None and not geom.is_empty and geom.has_z:
            if z is not None:
                props.setdefault("z", z)
            if not props.get("z"):
                raise ValueError("3-D coordinates need a 'z' property saying what the third coordinate is")
        per_vertex = {k: np.asarray(props[k], float) for k in vkeys if k in props}
        g, vals = rfc7946_parts(geom, precision, per_vertex)
        props.update(vals)
        feats.append({"type": "Feature", "properties": _clean(props), "geometry": g})
    fc: dict[str, Any] = {"type": "FeatureCollection"}
    if name:
        fc["name"] = name
    fc["features"] = feats
    return fc


def write_geojson(path: str | Path, features: Iterable[tuple[BaseGeometry, dict]], *,
                  name: str | None = None, precision: int = 6, z: str | None = None,
                  vertex_keys: Iterable[str] = ()) -> Path:
    """Write features as an RFC 7946 GeoJSON file (atomically); see :func:`feature_collection`."""
    fc = feature_collection(features, name=name, precision=precision, z=z, vertex_keys=vertex_keys)
    return atomic_write_text(path, json.dumps(fc, ensure_ascii=False, allow_nan=False) + "\n")


def write_geotiff(path: str | Path, values: np.ndarray, *, west_deg: float, north_deg: float,
                  resolution_deg: float, description: str, units: str = "m", tags: dict | None = None) -> Path:
    """Write a float32 EPSG:4326 Cloud Optimized GeoTIFF atomically.

    Parameters
    ----------
    path : str or Path
        Destination (written to a temporary name beside it, then renamed).
    values : ndarray, shape (rows, cols)
        Row 0 is the northern edge; NaN is nodata.
    west_deg, north_deg, resolution_deg : float
        Outer edges of the grid and its square cell size (deg): each value is the cell's
        centre sample, and the file uses GDAL's default ``AREA_OR_POINT=Area`` registration
        (the geotransform gives cell edges).
    description : str
        Band description.
    units : str
        Unit of the values, written as the band's unit type (``gdalinfo``: ``Unit Type``)
        and as a ``units`` band tag.
    tags : dict, optional
        Dataset metadata (values converted to text), with ``geocover_version``.

    Notes
    -----
    GDAL's COG driver (GDAL >= 3.1): 256-pixel tiles, DEFLATE with the floating-point
    predictor, internal overviews (nearest neighbour: every overview pixel is a computed
    value, never a blend of values or of data and nodata) down to one tile, IFDs first;
    ``gdalinfo`` reports ``LAYOUT=COG``.
    """
    import rasterio
    import rasterio.shutil
    from rasterio.io import MemoryFile
    from rasterio.transform import from_origin

    profile = {"driver": "GTiff", "height": values.shape[0], "width": values.shape[1],
               "count": 1, "dtype": "float32", "crs": "EPSG:4326", "nodata": np.nan,
               "transform": from_origin(west_deg, north_deg, resolution_deg, resolution_deg)}
    with MemoryFile() as mem:
        with mem.open(**profile) as ds:
            ds.write(values.astype(np.float32), 1)
            ds.set_band_description(1, description)
            ds.set_band_unit(1, units)
            ds.update_tags(1, units=units)
            ds.update_tags(**{"geocover_version": __version__,
                              **{k: str(v) for k, v in (tags or {}).items()}})
        with mem.open() as src, atomic_path(path) as tmp:
            rasterio.shutil.copy(src, tmp, driver="COG", COMPRESS="DEFLATE", PREDICTOR="YES", BLOCKSIZE=256,
                                 OVERVIEWS="AUTO", OVERVIEW_RESAMPLING="NEAREST", RESAMPLING="NEAREST")
    return Path(path)


def check_output_dir(out_dir: str | Path) -> Path:
    """Refuse, before any work is done, an output folder that cannot be written or whose name
    holds control characters (nothing is created here)."""
    if str(out_dir).strip() == "":
        raise DataFileError("output folder name is empty")
    out = Path(out_dir)
    _check_name(out)
    if _exists(out) and not out.is_dir():
        raise DataFileError(f"output path {shown(str(out), PATH_CHARS)} exists and is not a folder")
    if _exists(out):
        if not os.access(out, os.W_OK | os.X_OK):
            raise DataFileError(f"cannot write to {shown(str(out), PATH_CHARS)}: not writable")
    else:
        _check_creatable(out)
    return out


#: Name, inside an existing output folder, of the folder from which a run moves its complete
#: staged files into place: ``.geocover-incomplete.<pid>.<random>``. Renaming the staging
#: folder to this name is the run's commit point; while it exists the output folder is a mix
#: of old and new files, and a run stopped there is finished by the next run into the folder
#: (:func:`finish_interrupted`).
INCOMPLETE_MARK = ".geocover-incomplete."


def incomplete_moves(folder: str | Path) -> list[Path]:
    """The ``.geocover-incomplete.*`` folders in ``folder``: runs that were moving their files
    into it and have not finished (stopped, or still at it). Empty when ``folder`` is
    complete."""
    try:
        return sorted(Path(e.path) for e in os.scandir(folder)
                      if e.name.startswith(INCOMPLETE_MARK) and e.is_dir(follow_symlinks=False))
    except OSError:
        return []


def check_complete(folder: str | Path) -> None:
    """Refuse to read an output folder that a stopped run left half-moved.

    Raises
    ------
    DataFileError
        ``folder`` holds a ``.geocover-incomplete.*`` folder (see :data:`INCOMPLETE_MARK`).
    """
    if incomplete_moves(folder):
        raise DataFileError(f"{shown(str(folder), PATH_CHARS)}: a geocover run was stopped while moving its "
                            "files into this folder, so it mixes old and new files; run that command again with "
                            "the same --out (it finishes the move first)")


def finish_interrupted(folder: Path) -> list[Path]:
    """Finish the moves that stopped runs left in ``folder`` (roll forward).

    Every file in a ``.geocover-incomplete.<pid>.<start>-<random>`` folder whose process is gone
    (:func:`_owner_alive`) was
    completely written before the move began, so it is moved into place now (oldest move
    first) and the empty folder removed. A file whose place is taken by a folder stays, and so
    does its marker folder. Returns the files moved.
    """
    moved: list[Path] = []
    marks = [m for m in incomplete_moves(folder) if not _owner_alive(m.name)]
    with contextlib.suppress(OSError):
        marks.sort(key=lambda m: m.stat().st_ctime_ns)
    for mark in marks:
        moved += _move_into(mark, folder)
    return moved


def _move_into(mark: Path, folder: Path) -> list[Path]:
    """Move every file of ``mark`` into ``folder`` (replacing same names; a file whose place
    is taken by a folder stays) and remove ``mark`` when empty. Returns the files moved."""
    moved = []
    for item in sorted(mark.iterdir()):
        dest = folder / item.name
        if dest.exists() and not dest.is_file():
            continue
        os.replace(item, dest)
        moved.append(dest)
    with contextlib.suppress(OSError):
        mark.rmdir()
    return moved


def _lock(folder: Path) -> int | None:
    """Take the exclusive ``flock`` of ``folder`` (waiting for another run that holds it); the
    file descriptor to close to release it, or None where there is no flock (Windows, some
    network file systems): then runs are not serialised, as before."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        os.close(fd)
        return None
    return fd


#: Files the running command read as input, by (device, inode, modification time) -> the name
#: it was read by (:func:`note_input`); None outside a command (library use: nothing tracked).
_INPUTS: dict[tuple[int, int, int], str] | None = None


def track_inputs(on: bool = True) -> None:
    """Start a command: from now on the files it reads are remembered (:func:`note_input`) and
    :func:`staged_output` and :func:`atomic_path` refuse to replace one; ``on=False`` at its
    end forgets them (library use after a command in the same process is not tracked)."""
    global _INPUTS
    _INPUTS = {} if on else None


def note_input(path: str | Path) -> None:
    """Remember that this command reads ``path`` (a scenario, catalog or region file), so that
    no output replaces it: a region file named ``candidates.geojson`` or a catalog named
    ``coverage.geojson`` kept in the folder given as ``--out`` was silently overwritten by the
    output of the same name. Does nothing unless :func:`track_inputs` was called."""
    if _INPUTS is None:
        return
    with contextlib.suppress(OSError, ValueError):
        st = os.stat(path)
        _INPUTS[(st.st_dev, st.st_ino, st.st_mtime_ns)] = str(path)


def _input_at(path: Path) -> str | None:
    """The name of the input file that ``path`` is (same device, inode and time), or None."""
    if not _INPUTS:
        return None
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return _INPUTS.get((st.st_dev, st.st_ino, st.st_mtime_ns))


def _refuse_input(dest_shown: str, path: Path) -> None:
    src = _input_at(path)
    if src is not None:
        raise DataFileError(f"cannot write {shown(dest_shown, PATH_CHARS)}: it is {shown(src, PATH_CHARS)}, an input "
                            "of this run; give another output folder or rename the input (nothing was changed)")


@contextlib.contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Yield a staging folder; on success put its files in ``out_dir``, else delete it.

    A new ``out_dir`` appears in one step, complete: the files are staged in
    ``<parent of out_dir>/.geocover-staging/<name>.<pid>.<start>-<random>`` (the same file system) and
    that folder is renamed to ``out_dir`` (an atomic ``rename``). A process killed at any
    moment leaves ``out_dir`` absent or complete.

    An existing ``out_dir`` (the user's folder: its permissions, owner, links and whatever
    else it holds are kept) is written in place. The files are staged in
    ``out_dir/.geocover-staging/``; once all are written the staging folder is renamed to
    ``out_dir/.geocover-incomplete.<pid>.<random>`` (the commit point) and its files are
    moved into place one by one (``os.replace``, each atomic), then the folder is removed.
    A process killed during those few renames leaves that marker folder: readers refuse the
    folder (:func:`check_complete`) and the next run into it first finishes the move
    (:func:`finish_interrupted`). Files already in ``out_dir`` with other names are left
    alone; same names are replaced. Every destination is checked before the commit, so a
    clash (a folder where a file goes) leaves the old output untouched.

    Staging folders left by a killed run (their process is gone) are removed by the next run
    that stages there; ``.geocover-staging`` is removed when empty.
    """
    asked = check_output_dir(out_dir)
    # The folder the kernel writes: ``missing/../x`` is ``x`` (as ``mkdir -p`` makes it), a link
    # not yet pointing at a folder is its target, ``link/../x`` is beside the link's target (the
    # lexical ``abspath`` staged elsewhere, and the rename failed after all the work). Messages
    # name ``asked``, the user's spelling.
    out = Path(os.path.realpath(asked))
    existed = out.is_dir()
    if existed:
        base = out / STAGING_DIR
        made: list[Path] = []
    else:
        base = out.parent / STAGING_DIR
        made = _missing_folders(base.parent)
    beside = out.parent / STAGING_DIR  # where a new folder was staged
    ok = committed = False
    lock_fd: int | None = None
    try:
        if existed:
            finish_interrupted(out)
        base.mkdir(parents=True, exist_ok=True)
        for folder in (base, base.parent, out, beside):
            remove_stale(folder)
        if beside != base:
            with contextlib.suppress(OSError):
                beside.rmdir()  # only when empty
        stage = Path(tempfile.mkdtemp(  # <name>.<pid>.<start ticks>-<random>: the owner, even once the pid is reused
            prefix=f"{_name_part(out.name) or 'out'}.{os.getpid()}.{_OWN_START + '-' if _OWN_START else ''}", dir=base))
    except OSError as exc:
        raise DataFileError(f"cannot write to {shown(str(asked), PATH_CHARS)}: {exc.strerror or exc}") from None
    try:
        yield stage
        if not existed:
            os.chmod(stage, 0o777 & ~_umask())  # mkdtemp made it private; a new folder gets the umask's mode
            try:
                os.rename(stage, out)  # the whole output appears at once
                ok = True
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY) or not out.is_dir():
                    raise
                # another process made the folder meanwhile: write into it as into an existing one
        if not ok:
            # one run at a time moves into a folder (flock): two runs into the same --out at once left
            # it mixing their files (the first run's a.tif beside the second's b.json); now it holds
            # the last run's whole set
            lock_fd = _lock(out)
            for item in stage.iterdir():
                dest = out / item.name
                if dest.exists() and not dest.is_file():
                    raise DataFileError(f"cannot write {shown(str(asked / item.name), PATH_CHARS)}: it exists "
                                        "and is not a regular file")
                _refuse_input(str(asked / item.name), dest)
            mark = out / f"{INCOMPLETE_MARK}{os.getpid()}.{stage.name.rsplit('.', 1)[-1]}"
            os.rename(stage, mark)  # the commit point: from here on the move is finished, by this run or the next
            committed = True
            _move_into(mark, out)
            ok = True
    except OSError as exc:
        raise _renamed_error(exc, asked, stage) from None
    finally:
        if committed and not ok:  # stopped (Ctrl-C) or failed while moving complete files: finish
            with contextlib.suppress(OSError):
                _move_into(mark, out)  # what cannot move stays in the marker folder for the next run
        elif not ok:
            shutil.rmtree(stage, ignore_errors=True)
        with contextlib.suppress(OSError):
            base.rmdir()  # only when empty: another run may be staging there
        for folder in [] if ok else reversed(made):  # a failed run leaves no new parent folders
            with contextlib.suppress(OSError):
                folder.rmdir()
        if lock_fd is not None:
            os.close(lock_fd)  # releases the flock


def features_to_geodataframe(features: Iterable[tuple[BaseGeometry, dict]]):
    """A GeoDataFrame (EPSG:4326) of (geometry, properties) pairs, for QGIS-style work."""
    import geopandas as gpd

    feats = list(features)
    rows = [dict(props) for _, props in feats]
    return gpd.GeoDataFrame(rows, geometry=[g for g, _ in feats], crs="EPSG:4326")


#: The z coordinate of flight lines (:func:`flight_features`).
Z_ELLIPSOID = "height above the WGS84 ellipsoid, m"


def flight_features(traj, *, step_s: float = 5.0, properties: dict | None = None) -> list[tuple]:
    """The flight (trajectory 0 of ``traj``) as one (LineString [lon, lat, height above the
    WGS84 ellipsoid (m)], properties) pair, sampled every ``step_s`` seconds; ``t_s`` holds
    the time (s after launch) of every vertex."""
    from shapely.geometry import LineString

    from .geoid import msl_to_ellipsoidal

    s = traj.sample(step_s=step_s)
    lat, lon, alt = s.lat_deg[0], s.lon_deg[0], s.altitude_m[0]
    h = msl_to_ellipsoidal(lat, lon, alt)
    line = LineString(np.column_stack([np.unwrap(lon, period=360.0), lat, h]))
    props = {**traj.summary(), **(properties or {}), "z": Z_ELLIPSOID,
             "t_s": [round(float(x), 3) for x in s.t_s[0]]}
    return [(line, props)]


def flight_geojson(traj, *, step_s: float = 5.0, properties: dict | None = None) -> dict:
    """The flight as an RFC 7946 FeatureCollection (one writer: :func:`feature_collection`),
    cut at the antimeridian, with per-vertex times ``t_s``."""
    return feature_collection(flight_features(traj, step_s=step_s, properties=properties), name="trajectory",
                              precision=6, vertex_keys=("t_s",))
