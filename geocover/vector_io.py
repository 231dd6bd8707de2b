"""Vector inputs in any format and CRS that GDAL reads (GeoPackage, shapefile, FlatGeobuf, KML,
GeoJSON with a projected ``crs`` member, ...), reprojected to WGS84 longitude/latitude.

Files are read through GDAL with :mod:`pyogrio` and reprojected with :mod:`pyproj`
(``always_xy=True``: x is longitude/easting, y latitude/northing, whatever axis order the CRS
declares). Each layer becomes the same in-memory GeoJSON-like records (``{"type": "Feature",
"properties": {...}, "geometry": {...}}``, Python ``int``/``float``/``bool``/``str`` values) that
the GeoJSON readers build, so the catalog and region readers validate them with their own
checks, unchanged.

Errors (:class:`geocover.errors.CatalogError`, exit status 2 in the CLI) name what was read: the
file, the layer, its CRS and geometry type, then the record and field at fault.

What is done with a point's z: catalog heights are read from their fields (metres above mean
sea level or above ground, as each field's name says), never from a 3-D point's z. A 3-D point
whose z is not 0 is logged as a warning once per layer and the z is ignored.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CatalogError, quoted

__all__ = ["KIND_LAYERS", "VectorLayer", "geojson_crs_is_wgs84", "read_vector_layers", "uses_gdal"]

log = logging.getLogger(__name__)

#: Layer names of a multi-layer catalog file (GeoPackage) and the record kind each holds.
KIND_LAYERS = {"radars": "radar", "interceptors": "interceptor", "launch_sites": "launch",
               "targets": "target"}

_WGS84_NAMES = ("urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "urn:ogc:def:crs:epsg::4326",
                "epsg:4326", "crs84", "ogc:crs84")


@dataclass
class VectorLayer:
    """One layer read through GDAL, reprojected to WGS84.

    Attributes
    ----------
    label : str
        ``"<file>, layer '<name>' (<driver>, CRS <crs>, <geometry type>)"``: the prefix of every
        error about this layer.
    name : str
        Layer name.
    features : list of dict
        GeoJSON-like features; coordinates in degrees (longitude, latitude[, z as read]).
    """

    label: str
    name: str
    driver: str
    crs: str
    geometry_type: str
    features: list[dict[str, Any]]


def geojson_crs_is_wgs84(doc: Any) -> bool:
    """False only when a parsed GeoJSON document's ``crs`` member (the 2008 GeoJSON form GDAL
    writes) names a CRS pyproj knows other than WGS84; without one (RFC 7946: WGS84 lon/lat),
    or with one that is WGS84 or not understood, the file is read as it always was."""
    crs = doc.get("crs") if isinstance(doc, dict) else None
    if crs is None:
        return True
    props = crs.get("properties") if isinstance(crs, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(name, str):
        return True  # not a named CRS: ignored as it always was (RFC 7946 has no crs member)
    if name.strip().lower() in _WGS84_NAMES:
        return True
    import pyproj

    try:  # other spellings of WGS84 (urn:ogc:def:crs:EPSG:6.6:4326, ...)
        return pyproj.CRS.from_user_input(name).equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True)
    except pyproj.exceptions.CRSError:
        return True  # a name nobody knows: ignored as it always was


def uses_gdal(path: Path) -> bool:
    """Whether a file is read through GDAL: not ``.geojson``/``.json``/``.toml``, and not JSON
    text under another name (a GeoJSON file named ``sites.txt`` is read by the JSON reader, as
    it always was)."""
    p = Path(path)
    if p.suffix.lower() in (".geojson", ".json", ".toml"):
        return False
    try:
        with p.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False  # the JSON reader says what is wrong with the file
    return not head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith((b"{", b"["))


def _python(value: Any) -> Any:
    """A numpy scalar as the Python value json.loads would give (NaN: a null field)."""
    import numpy as np

    if value is None:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return None if math.isnan(v) else v
    if isinstance(value, bytes):
        return value  # a binary field: refused by _field_problem
    return value


def _field_problem(props: dict[str, Any]) -> tuple[str, str] | None:
    """``(field, problem)`` for the first value of a record read through GDAL that a JSON
    catalog could not hold either, or None: a binary (BLOB) field, an infinite number (GDAL
    Real fields hold them; JSON and every output refuse them), or text with a lone surrogate,
    a NUL, a control character or a bidirectional override (as
    :func:`geocover.catalog.document_problem` refuses them in JSON and TOML)."""
    from .catalog import text_problem

    for name, value in props.items():
        if isinstance(value, bytes):
            return name, "is a binary (BLOB) field; catalog fields are text, numbers or true/false"
        if isinstance(value, float) and not math.isfinite(value):
            return name, f"must be a finite number, got {value!r}"
        if isinstance(value, str) and (problem := text_problem(value)):
            return name, problem
        if isinstance(name, str) and (problem := text_problem(name)):
            return name, "name " + problem
    return None


def _crs_text(crs: str | None) -> str:
    import pyproj

    try:
        c = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        return str(crs)[:60]
    auth = c.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else (c.name or str(crs)[:60])


def read_vector_layers(path: str | Path, what: str, *, allowed: tuple[str, ...],
                       layers: list[str] | None = None) -> list[VectorLayer]:
    """Read every layer (or ``layers``) of a vector file through GDAL, reprojected to WGS84.

    Parameters
    ----------
    path : str or Path
        Any vector file GDAL reads.
    what : str
        What the file is, for messages ("catalog file", "candidate region").
    allowed : tuple of str
        Accepted geometry types (GeoJSON names: ``"Point"``, ``"Polygon"``, ``"MultiPolygon"``);
        a 3-D type (``"Point Z"``) is accepted as its 2-D type.
    layers : list of str, optional
        Layers to read; default all.

    Returns
    -------
    list of VectorLayer

    Raises
    ------
    CatalogError
        File unreadable by GDAL, a layer without a CRS or with one pyproj does not know, a
        geometry of another type, no layer with features (an empty layer beside others that
        have features is skipped, with a warning); each message names file, layer, CRS and
        geometry type, and the feature at fault.
    """
    import numpy as np
    import pyogrio
    import pyproj
    import shapely
    from shapely.geometry import mapping

    from .export import note_input

    p = Path(path)
    note_input(p)  # no output of this run may replace it
    try:
        names = [str(n) for n in pyogrio.list_layers(p)[:, 0]]
    except Exception as exc:  # pyogrio.errors.DataSourceError and GDAL's own messages
        raise CatalogError(f"{p}: GDAL cannot read this {what} as a vector file "
                           f"({str(exc).splitlines()[0][:200]})") from None
    if not names:
        raise CatalogError(f"{p}: the {what} has no layer")
    out = []
    empty: list[str] = []
    for name in layers if layers is not None else names:
        try:
            meta, _fids, geoms, fields = pyogrio.raw.read(p, layer=name, datetime_as_string=True)
        except Exception as exc:
            raise CatalogError(f"{p}, layer {name!r}: GDAL cannot read it "
                               f"({str(exc).splitlines()[0][:200]})") from None
        driver = str(pyogrio.read_info(p, layer=name).get("driver") or "unknown driver")
        gtype = str(meta.get("geometry_type") or "no geometry")
        crs_in = meta.get("crs")
        base = f"{p}, layer {name!r} ({driver}"
        if not crs_in:
            raise CatalogError(f"{base}, {gtype}): no CRS (coordinate reference system) is declared "
                               "(a shapefile without its .prj?); the coordinates cannot be placed on the Earth")
        try:
            src = pyproj.CRS.from_user_input(crs_in)
        except pyproj.exceptions.CRSError:
            raise CatalogError(f"{base}, {gtype}): unknown CRS {str(crs_in)[:80]!r}") from None
        label = f"{base}, CRS {_crs_text(crs_in)}, {gtype})"
        if geoms is None or len(geoms) == 0:
            # a GeoPackage with the four kind layers and one left empty (a template filled in
            # part), a KML with an empty folder: skipped while another layer has features
            empty.append(f"{label}: the layer is empty (no features)")
            continue
        shp = shapely.from_wkb(geoms)
        # a 3-D point's z (before the 2-D reprojection drops it): warned about, never a height
        pts = shp[(shapely.get_type_id(shp) == 0) & shapely.has_z(shp)]
        zs = shapely.get_coordinates(pts, include_z=True)[:, 2] if len(pts) else np.zeros(0)
        z_seen = bool(np.any(np.isfinite(zs) & (zs != 0)))
        tr = pyproj.Transformer.from_crs(src, pyproj.CRS.from_epsg(4326), always_xy=True)
        if not (src.is_geographic and src.equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True)):
            shp = shapely.transform(shp, lambda xy, tr=tr: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
        cols = list(meta.get("fields", []))
        feats = []
        for i, g in enumerate(shp):
            # a null in a table column is a field this record does not have (as absent in GeoJSON)
            props = {c: v for j, c in enumerate(cols) if (v := _python(fields[j][i])) is not None}
            rid = props.get("id")
            where = f"{label}: feature #{i}" + (f" (record {rid!r})" if isinstance(rid, str) else "")
            bad = _field_problem(props)
            if bad:
                raise CatalogError(f"{where}: field {quoted(bad[0])} {bad[1]}")
            if g is None or g.is_empty:
                raise CatalogError(f"{where}: field 'geometry' is missing or empty")
            if g.geom_type not in allowed:
                raise CatalogError(f"{where}: field 'geometry' is a {g.geom_type}, the {what} needs "
                                   f"{' or '.join(allowed)}")
            if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_valid:  # after reprojection
                raise CatalogError(f"{where}: field 'geometry' is not a valid polygon "
                                   f"({shapely.is_valid_reason(g)})")
            geom = mapping(g)
            if geom["type"] == "Point":  # lon, lat (the z is dropped: see the module note)
                geom = {"type": "Point", "coordinates": [float(v) for v in geom["coordinates"][:2]]}
            feats.append({"type": "Feature", "properties": props, "geometry": geom})
        if z_seen:
            log.warning("%s: the points have a z coordinate; it is ignored (heights come from the "
                        "catalog fields, metres above mean sea level or ground as named)", label)
        out.append(VectorLayer(label, name, driver, _crs_text(crs_in), gtype, feats))
    if empty and not out:
        raise CatalogError(empty[0])
    for msg in empty:
        log.warning("%s; skipped", msg)
    return out

