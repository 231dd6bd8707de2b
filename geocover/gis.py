"""GIS deliverables: a styled GeoPackage for QGIS and KML/KMZ for Google Earth.

GeoPackage
    One layer per theme, written by GDAL (pyogrio), geometry in EPSG:4326 and cut at the
    antimeridian like the GeoJSON (:func:`geocover.export.feature_collection`), plus the
    ``layer_styles`` table that QGIS reads when it opens a layer (columns as QGIS creates
    them: ``f_table_catalog``, ``f_table_schema``, ``f_table_name``, ``f_geometry_column``,
    ``styleName``, ``styleQML``, ``styleSLD``, ``useAsDefault``, ``description``, ``owner``,
    ``ui``, ``update_time``), one default QML style per layer.

KML (OGC 07-147r2, KML 2.2) / KMZ
    Folders of placemarks: polygons clamped to the ground, sites as points at their ground
    height (``altitudeMode`` absolute: metres above mean sea level), flights as ``gx:Track``
    (Google's extension namespace ``http://www.google.com/kml/ext/2.2``) with absolute
    altitudes and ``<when>`` time stamps so the time slider animates them. All text is built
    with :mod:`xml.etree.ElementTree` (XML-escaped); descriptions, which Google Earth renders
    as HTML, are HTML-escaped first, so user text (names, notes) is shown literally.
"""

from __future__ import annotations

import datetime as _dt
import html
import itertools
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from . import __version__
from .export import atomic_path, rfc7946_geometry, rfc7946_parts

__all__ = ["GpkgLayer", "KmlFolder", "LayerStyle", "mask_polygons", "qml_style", "site_features", "write_gpkg",
           "write_kml"]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22")
KML_NS = "http://www.opengis.net/kml/2.2"
GX_NS = "http://www.google.com/kml/ext/2.2"
#: Nominal launch time of flights in KML: the model has no epoch, so tracks start here
#: (the time slider shows seconds after launch; the description says so).
DEFAULT_EPOCH = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)


def mask_polygons(mask: np.ndarray, transform) -> list[BaseGeometry]:
    """The cells of a 2-D boolean grid that are True, as polygons with cell edges
    (``rasterio.features.shapes``, 4-connected; one polygon per connected region) in the
    coordinates of the grid's affine ``transform`` (e.g. lon/lat degrees,
    ``rasterio.transform.from_origin``); empty for an all-False grid."""
    from rasterio.features import shapes

    mask = np.asarray(mask, bool)
    return [shape(g) for g, v in shapes(mask.astype(np.uint8), mask=mask, transform=transform) if v == 1]


@dataclass(frozen=True)
class LayerStyle:
    """How QGIS draws a layer.

    ``symbol`` is ``"fill"``, ``"line"`` or ``"marker"``. With ``by`` the layer is
    categorized on that field (one colour per distinct value); with ``ranges`` (a list of
    ``(low, high, colour, label)``) it is graduated on ``by``; otherwise one ``colour``.
    With ``by`` and ``show_first`` (a value of ``by``): a rule-based style, one named rule per
    value, only the ``show_first`` rule switched on (for layers whose features overlap, such
    as the defended area per launch site and against all of them); ``labels`` names the
    rules, as ``(value, label)`` pairs [default: ``by = value``].
    """

    symbol: str
    colour: str = "#1f77b4"
    by: str | None = None
    ranges: Sequence[tuple[float, float, str, str]] | None = None
    opacity: float = 0.35
    show_first: str | None = None
    labels: Sequence[tuple[str, str]] = ()


@dataclass
class GpkgLayer:
    """A layer: its name, (shapely geometry, properties) features, and its QGIS style."""

    name: str
    features: list[tuple[BaseGeometry | None, dict]]
    style: LayerStyle
    description: str = ""
    vertex_keys: tuple[str, ...] = ()  # per-vertex properties, cut with the line (export.feature_collection)


def _rgba(colour: str, alpha: float = 1.0) -> str:
    c = colour.lstrip("#")
    r, g, b = (int(c[i:i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(255 * alpha)}"


def _symbol(parent: ET.Element, name: str, kind: str, colour: str, opacity: float) -> None:
    cls = {"fill": "SimpleFill", "line": "SimpleLine", "marker": "SimpleMarker"}[kind]
    sym = ET.SubElement(parent, "symbol", {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1",
                                           "force_rhr": "0"})
    layer = ET.SubElement(sym, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    opts = ET.SubElement(layer, "Option", {"type": "Map"})

    def opt(k: str, v: str) -> None:
        ET.SubElement(opts, "Option", {"name": k, "type": "QString", "value": v})

    if kind == "fill":
        opt("color", _rgba(colour, opacity))
        opt("outline_color", _rgba(colour))
        opt("outline_width", "0.4")
        opt("style", "solid")
    elif kind == "line":
        opt("line_color", _rgba(colour))
        opt("line_width", "0.6")
    else:
        opt("color", _rgba(colour))
        opt("outline_color", "0,0,0,255")
        opt("name", "circle")
        opt("size", "2.4")


def qml_style(style: LayerStyle, values: Iterable[Any] = ()) -> str:
    """A QGIS QML document (renderer only) for ``style``; ``values`` are the distinct values
    of the categorized field."""
    values = list(values)
    root = ET.Element("qgis", {"version": "3.28.0", "styleCategories": "Symbology"})
    if style.ranges and style.by:
        r = ET.SubElement(root, "renderer-v2", {"type": "graduatedSymbol", "attr": style.by,
                                                "graduatedMethod": "GraduatedColor", "symbollevels": "0",
                                                "forceraster": "0", "enableorderby": "0"})
        ranges = ET.SubElement(r, "ranges")
        syms = ET.SubElement(r, "symbols")
        for i, (lo, hi, colour, label) in enumerate(style.ranges):
            ET.SubElement(ranges, "range", {"lower": f"{lo:g}", "upper": f"{hi:g}", "symbol": str(i),
                                            "label": label, "render": "true"})
            _symbol(syms, str(i), style.symbol, colour, max(style.opacity, 0.6))
    elif style.by and style.show_first is not None and style.show_first in {str(v) for v in values}:
        _rule_renderer(root, style, values)  # (without the show_first value: categorized, below)
    elif style.by:
        r = ET.SubElement(root, "renderer-v2", {"type": "categorizedSymbol", "attr": style.by, "symbollevels": "0",
                                                "forceraster": "0", "enableorderby": "0"})
        cats = ET.SubElement(r, "categories")
        syms = ET.SubElement(r, "symbols")
        # QGIS matches a category on the field value as text (a GeoPackage boolean reads as
        # true/false); an empty value is its "all other values" category (NULL included).
        texts = [("true" if v else "false") if isinstance(v, (bool, np.bool_)) else str(v)
                 for v in values if v is not None]
        for i, v in enumerate([*dict.fromkeys(texts), ""]):
            ET.SubElement(cats, "category", {"value": v, "label": v or "other", "symbol": str(i), "render": "true"})
            _symbol(syms, str(i), style.symbol, PALETTE[i % len(PALETTE)] if v else "#bbbbbb", style.opacity)
    else:
        r = ET.SubElement(root, "renderer-v2", {"type": "singleSymbol", "symbollevels": "0", "forceraster": "0",
                                                "enableorderby": "0"})
        syms = ET.SubElement(r, "symbols")
        _symbol(syms, "0", style.symbol, style.colour, style.opacity)
    ET.SubElement(root, "layerGeometryType").text = {"marker": "0", "line": "1", "fill": "2"}[style.symbol]
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + xml_chars(ET.tostring(root, encoding="unicode")))


def _rule_renderer(root: ET.Element, style: LayerStyle, values: Iterable[Any]) -> None:
    """A QGIS rule-based renderer (``RuleRenderer``, as QgsRuleBasedRenderer::save writes it):
    one rule per distinct value of ``style.by`` with the filter ``"by" = 'value'`` (QGIS
    expression quoting: a double quote doubled inside the column name, a single quote inside
    the value), the ``show_first`` value's rule first and switched on, the others present
    but unchecked (``checkstate="0"``), so that overlapping features are not drawn all at once."""
    import uuid

    column = '"' + str(style.by).replace('"', '""') + '"'
    texts = list(dict.fromkeys(str(v) for v in values if v is not None))
    ordered = [style.show_first, *[v for v in texts if v != style.show_first]]
    names = dict(style.labels)
    r = ET.SubElement(root, "renderer-v2", {"type": "RuleRenderer", "symbollevels": "0", "forceraster": "0",
                                            "enableorderby": "0"})
    rules = ET.SubElement(r, "rules", {"key": "{" + str(uuid.uuid4()) + "}"})
    syms = ET.SubElement(r, "symbols")
    for i, v in enumerate(ordered):
        attrs = {"key": "{" + str(uuid.uuid4()) + "}", "symbol": str(i),
                 "filter": f"{column} = '" + v.replace("'", "''") + "'",
                 "label": names.get(v, f"{style.by} = {v}")}
        if v != style.show_first:
            attrs["checkstate"] = "0"
        ET.SubElement(rules, "rule", attrs)
        _symbol(syms, str(i), style.symbol, PALETTE[i % len(PALETTE)], style.opacity)


def _cut(geom: BaseGeometry | None, props: dict, vertex_keys: Sequence[str] = ()) -> tuple:
    """The geometry as the GeoJSON writer cuts it (antimeridian, [-180, 180]), with its
    per-vertex properties interpolated at the cuts."""
    if geom is None or geom.is_empty:
        return None, props
    per_vertex = {k: np.asarray(props[k], float) for k in vertex_keys if k in props}
    g, vals = rfc7946_parts(geom, 9, per_vertex)
    return (shape(g) if g else None), {**props, **vals}


#: Column names a GeoPackage layer keeps for itself (``fid``: the feature id, ``geom``: the
#: geometry column) or geopandas does (``geometry``), compared without case as SQLite does.
_OWN_COLUMNS = ("fid", "geom", "geometry")


def column_name(key: str) -> str:
    """The GeoPackage column of property ``key``: the key itself, or ``<key>_1`` for a name the
    GeoPackage or geopandas keeps for itself (a catalog exported from QGIS carries ``fid``; as
    a column it would be taken for the feature id, and fail where records from several files
    meet)."""
    return f"{key}_1" if str(key).casefold() in _OWN_COLUMNS else key


def column_names(keys: Iterable[str]) -> dict[str, str]:
    """The GeoPackage column of each property key of one layer: :func:`column_name`, and a key
    that differs from an earlier one only in case (``NAME`` after ``name``: SQLite compares
    column names without case, so GDAL cannot add both) ``<key>_1`` (``_2`` ... if taken)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for key in keys:
        col, n = column_name(key), 1
        while col.casefold() in taken:
            col, n = f"{key}_{n}", n + 1
        taken.add(col.casefold())
        out[key] = col
    return out


def _column(values: list) -> list:
    """GeoPackage columns hold scalars: lists/dicts become JSON text."""
    return [json.dumps(v) if isinstance(v, (list, tuple, dict)) else v for v in values]


def write_gpkg(path: str | Path, layers: Sequence[GpkgLayer]) -> Path:
    """Write layers and their QGIS styles to a GeoPackage (atomically).

    Parameters
    ----------
    path : str or Path
        Destination ``.gpkg`` (written under a temporary name, then renamed).
    layers : sequence of GpkgLayer
        Features in lon/lat (deg, WGS84), 2-D or 3-D (z: metres, see each layer's
        description); empty layers are written with their fields and no rows.

    Returns
    -------
    Path
        ``path``.
    """
    import geopandas as gpd
    import pandas as pd

    styles = []
    with atomic_path(path) as tmp:
        tmp.unlink()  # GDAL creates the file; an empty file is not a GeoPackage
        for i, layer in enumerate(layers):
            feats = [_cut(g, p, layer.vertex_keys) for g, p in layer.features]
            keys = list(dict.fromkeys(k for _, p in feats for k in p))
            names = column_names(keys)
            cols = {names[k]: _column([p.get(k) for _, p in feats]) for k in keys}
            gdf = gpd.GeoDataFrame(cols, geometry=[g for g, _ in feats], crs="EPSG:4326")
            for k in names.values():  # a column of only None has no type GDAL can write: make it text
                if gdf[k].isna().all():
                    gdf[k] = gdf[k].astype("string")
                elif gdf[k].dtype == object and all(isinstance(v, (bool, np.bool_)) for v in gdf[k] if not pd.isna(v)):
                    # booleans with gaps: a GeoPackage BOOLEAN with NULLs (as an object column GDAL
                    # would write the text "True"/"False", which QGIS's true/false categories miss)
                    gdf[k] = gdf[k].astype("boolean")
            # GeoPackage 1.2 (OGC 12-128r15): what GDAL < 3.7 and older QGIS read without a warning.
            _write_layer(path, gdf, tmp, layer=layer.name, driver="GPKG",
                         dataset_options={"VERSION": "1.2"} if i == 0 else None,
                         layer_options={"DESCRIPTION": layer.description} if layer.description else None)
            values = [p.get(layer.style.by) for _, p in feats] if layer.style.by else []
            styles.append({"f_table_catalog": "", "f_table_schema": "", "f_table_name": layer.name,
                           "f_geometry_column": "geom", "styleName": layer.name,
                           "styleQML": qml_style(layer.style, values), "styleSLD": "", "useAsDefault": True,
                           "description": f"geocover {__version__}", "owner": "", "ui": "",
                           "update_time": pd.Timestamp.now(tz="UTC").floor("s").tz_localize(None)})
        _write_layer(path, pd.DataFrame(styles), tmp, layer="layer_styles", driver="GPKG")
    return Path(path)


def _write_layer(path, *args, **kw) -> None:
    """pyogrio.write_dataframe, with GDAL's failures (a full disk: 'database or disk is full')
    as a message naming ``path`` instead of a pyogrio traceback."""
    import pyogrio

    try:
        pyogrio.write_dataframe(*args, **kw)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        from .errors import DataFileError

        msg = str(exc)
        raise DataFileError(f"{path}: GDAL could not write the GeoPackage: {msg.rsplit(' failed: ', 1)[-1][:300]}"
                            ) from None


def site_features(sites: Iterable[Any], **extra) -> list[tuple[BaseGeometry, dict]]:
    """Catalog sites as 3-D points (lon, lat, ground height above MSL, m) with their record
    (id, name, kind, source, confidence, ...)."""
    from shapely.geometry import Point

    out = []
    for s in sites:
        # a record's own 'z' (any case) is kept as 'z_1': 'z' says what the third coordinate is
        props = {(f"{k}_1" if k.casefold() == "z" else k): v for k, v in s.properties().items()
                 if not isinstance(v, (dict, list))}
        out.append((Point(s.lon_deg, s.lat_deg, s.ground_height_msl_m),
                    {**props, **extra, "z": "ground height above mean sea level (EGM96), m"}))
    return out


# --------------------------------------------------------------------------------- KML


@dataclass
class KmlFolder:
    """A KML folder: polygons/lines/points from (geometry, properties) pairs, and flights.

    ``name_key`` picks the placemark name from the properties; ``describe`` lists the
    properties shown in the description balloon (all of them when None). ``tracks`` are
    ``(name, t_s, lon_deg, lat_deg, altitude_msl_m, properties)`` tuples.
    """

    name: str
    features: list[tuple[BaseGeometry | None, dict]] = field(default_factory=list)
    colour: str = "#1f77b4"
    name_key: str = "id"
    describe: Sequence[str] | None = None
    tracks: list[tuple] = field(default_factory=list)
    altitude_mode: str = "clampToGround"


#: What XML 1.0 does not allow in a document (its ``Char`` production: tab, line breaks, and
#: U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF): ElementTree writes these as they are.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_chars(text: str) -> str:
    """``text`` with every character XML 1.0 forbids (C0 controls, lone surrogates, U+FFFE,
    U+FFFF) as U+FFFD, so that a KML or QML document stays well-formed whatever text reached
    it (the loaders refuse such text in catalogs and scenarios; this covers the rest: file
    names, arguments)."""
    return _NOT_XML.sub("\ufffd", text)


def _kml_colour(colour: str, alpha: float) -> str:
    c = colour.lstrip("#")
    return f"{round(255 * alpha):02x}{c[4:6]}{c[2:4]}{c[0:2]}"  # KML is aabbggrr


def _description(props: dict, keys: Sequence[str] | None) -> str:
    keys = list(props) if keys is None else [k for k in keys if k in props]
    lines = [f"<b>{html.escape(str(k))}</b>: {html.escape(str(props[k]))}" for k in keys
             if props[k] is not None and props[k] != ""]
    return "<br/>".join(lines)


def _fmt(x: float) -> str:
    return f"{x:.7f}".rstrip("0").rstrip(".")


def _coords(seq, with_z: bool) -> str:
    return " ".join(",".join([_fmt(p[0]), _fmt(p[1])] + ([f"{p[2]:.1f}"] if with_z and len(p) > 2 else []))
                    for p in seq)


def _kml_geometry(parent: ET.Element, g: dict, mode: str) -> None:
    t = g["type"]
    if t.startswith("Multi") or t == "GeometryCollection":
        multi = ET.SubElement(parent, "MultiGeometry")
        subs = g["geometries"] if t == "GeometryCollection" else [{"type": t[5:], "coordinates": c}
                                                                  for c in g["coordinates"]]
        for s in subs:
            _kml_geometry(multi, s, mode)
        return
    # Child order of the KML 2.2 schema (OGC 07-147r2): extrude, tessellate, altitudeMode, ...
    el = ET.SubElement(parent, t)
    if t != "Point":
        ET.SubElement(el, "tessellate").text = "1"
    ET.SubElement(el, "altitudeMode").text = mode
    with_z = mode != "clampToGround"
    if t == "Point":
        ET.SubElement(el, "coordinates").text = _coords([g["coordinates"]], with_z)
    elif t == "LineString":
        ET.SubElement(el, "coordinates").text = _coords(g["coordinates"], with_z)
    elif t == "Polygon":
        for i, ring in enumerate(g["coordinates"]):
            b = ET.SubElement(el, "outerBoundaryIs" if i == 0 else "innerBoundaryIs")
            ET.SubElement(ET.SubElement(b, "LinearRing"), "coordinates").text = _coords(ring, with_z)


def write_kml(path: str | Path, folders: Sequence[KmlFolder], *, name: str,
              epoch: _dt.datetime = DEFAULT_EPOCH) -> Path:
    """Write a KML document (``.kml``) or a KMZ (``.kmz``: the KML zipped as ``doc.kml``).

    Parameters
    ----------
    path : str or Path
        Destination; the suffix chooses KML or KMZ.
    folders : sequence of KmlFolder
        Geometries in lon/lat (deg, WGS84), cut at the antimeridian like the GeoJSON.
        Points and tracks with ``altitude_mode`` absolute carry metres above mean sea level.
    name : str
        Document name (user text is escaped).
    epoch : datetime
        Time of t = 0 for flights (``gx:Track`` ``<when>``).
    """
    ET.register_namespace("", KML_NS)
    ET.register_namespace("gx", GX_NS)
    k = f"{{{KML_NS}}}"
    root = ET.Element(f"{k}kml")
    doc = ET.SubElement(root, f"{k}Document")
    ET.SubElement(doc, f"{k}name").text = name
    ET.SubElement(doc, f"{k}description").text = html.escape(f"geocover {__version__}")
    for i, folder in enumerate(folders):  # styles first: the schema puts them before features
        st = ET.SubElement(doc, f"{k}Style", {"id": f"s{i}"})
        icon = ET.SubElement(st, f"{k}IconStyle")
        ET.SubElement(icon, f"{k}color").text = _kml_colour(folder.colour, 1.0)
        ET.SubElement(ET.SubElement(st, f"{k}LineStyle"), f"{k}color").text = _kml_colour(folder.colour, 1.0)
        ET.SubElement(ET.SubElement(st, f"{k}PolyStyle"), f"{k}color").text = _kml_colour(folder.colour, 0.35)
    for i, folder in enumerate(folders):
        sid = f"s{i}"
        fe = ET.SubElement(doc, f"{k}Folder")
        ET.SubElement(fe, f"{k}name").text = folder.name
        for geom, props in folder.features:
            g = rfc7946_geometry(geom, 7) if geom is not None else None
            if g is None:
                continue
            pm = ET.SubElement(fe, f"{k}Placemark")
            ET.SubElement(pm, f"{k}name").text = str(props.get(folder.name_key, folder.name))
            ET.SubElement(pm, f"{k}description").text = _description(props, folder.describe)
            ET.SubElement(pm, f"{k}styleUrl").text = f"#{sid}"
            _kml_geometry(pm, g, folder.altitude_mode)
        for tname, t_s, lon, lat, alt, props in folder.tracks:
            pm = ET.SubElement(fe, f"{k}Placemark")
            ET.SubElement(pm, f"{k}name").text = str(tname)
            ET.SubElement(pm, f"{k}description").text = _description(
                {**props, "time": f"t = 0 s at {epoch.isoformat()} (nominal launch time)",
                 "altitude": "above mean sea level, m"}, None)
            ET.SubElement(pm, f"{k}styleUrl").text = f"#{sid}"
            track = ET.SubElement(pm, f"{{{GX_NS}}}Track")
            ET.SubElement(track, f"{k}altitudeMode").text = "absolute"
            times = [(epoch + _dt.timedelta(seconds=float(t))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
                     for t in t_s]
            for w in times:
                ET.SubElement(track, f"{k}when").text = w
            lon = (np.asarray(lon, float) + 180.0) % 360.0 - 180.0
            for x, y, z in zip(lon, lat, alt, strict=True):
                ET.SubElement(track, f"{{{GX_NS}}}coord").text = f"{_fmt(x)} {_fmt(y)} {float(z):.1f}"
    ET.indent(root)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + xml_chars(ET.tostring(root, encoding="unicode")) + "\n"
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".kmz":
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("doc.kml", text.encode("utf-8"))
        else:
            tmp.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ per-command deliverables

BAND_RANGES = ((0.0, 60.0, "#fee08b", "0-60 s"), (60.0, 180.0, "#a6d96a", "60-180 s"),
               (180.0, 300.0, "#66bd63", "180-300 s"), (300.0, 1e9, "#1a9850", "300 s and more"))
SITE_DESCRIPTION = ("name", "kind", "country", "ground_height_msl_m", "source", "confidence", "notes")


def _ground_msl_m(lat_deg, lon_deg) -> np.ndarray:
    """Ground height above MSL (m) from the bundled DEM stack, sea (and sea floor) as 0."""
    from .terrain import DemStack

    h = DemStack.bundled().sample(np.atleast_1d(lat_deg), np.atleast_1d(lon_deg), warn=False)
    return np.maximum(np.nan_to_num(np.asarray(h, float), nan=0.0), 0.0)


def flight_tracks(traj, *, step_s: float = 10.0, names: Sequence[str] | None = None,
                  properties: Sequence[dict] | None = None, ok: np.ndarray | None = None,
                  launch_ground_m: float | None = None, target_ground_m: Sequence[float] | None = None) -> list[tuple]:
    """Flights as KML tracks ``(name, t_s, lon, lat, altitude_msl_m, properties)``.

    The model's heights are above a 6,371 km sphere, zero at launch and impact; Google Earth
    places ``absolute`` altitudes above its terrain datum (MSL). So that a track leaves the
    launch point and meets the target on the ground, the display height adds the ground
    heights of launch and impact points (given, e.g. the catalog's, else the bundled DEM's),
    interpolated linearly in time: at most
    a few km against apogees of hundreds of km. The t_s are the model's times.
    """
    s = traj.sample(step_s=step_s)
    out = []
    for i in range(s.t_s.shape[0]):
        if ok is not None and not ok[i]:
            continue
        t = np.asarray(s.t_s[i], float)
        keep = np.isfinite(t) & np.isfinite(s.lat_deg[i]) & np.isfinite(s.altitude_m[i])
        keep[1:] &= np.diff(t) > 0  # samples after impact repeat the impact time
        t, lat, lon, alt = t[keep], s.lat_deg[i][keep], s.lon_deg[i][keep], s.altitude_m[i][keep]
        if t.size < 2:
            continue
        g0, g1 = _ground_msl_m([lat[0], lat[-1]], [lon[0], lon[-1]])
        g0 = g0 if launch_ground_m is None else float(launch_ground_m)
        g1 = g1 if target_ground_m is None else float(target_ground_m[i])
        frac = (t - t[0]) / (t[-1] - t[0])
        out.append((names[i] if names else f"flight {i + 1}", t, lon, lat, alt + g0 + (g1 - g0) * frac,
                    dict(properties[i]) if properties else {}))
    return out


def track_layers(tracks: Sequence[tuple], prefix: str = "trajectory") -> list[GpkgLayer]:
    """Flights as a 3-D line layer and a 3-D point layer with the time of each point."""
    from shapely.geometry import LineString, Point

    lines, points = [], []
    for name, t, lon, lat, alt, props in tracks:
        lon_u = np.unwrap(np.asarray(lon, float), period=360.0)
        lines.append((LineString(np.column_stack([lon_u, lat, alt])),
                      {"name": name, **props, "flight_time_s": float(t[-1]), "t_s": [round(float(x), 3) for x in t],
                       "z": "display height above mean sea level, m"}))
        for k in range(t.size):
            points.append((Point(float(lon[k]), float(lat[k]), float(alt[k])),
                           {"name": name, "t_s": float(t[k]), "altitude_msl_m": float(alt[k])}))
    return [GpkgLayer(prefix, lines, LayerStyle("line", colour="#d62728"),
                      "3-D flight paths (z: m above MSL); t_s lists each vertex's time after launch (s), "
                      "nested per part where the path is cut at the antimeridian", vertex_keys=("t_s",)),
            GpkgLayer(f"{prefix}_points", points, LayerStyle("marker", colour="#d62728"),
                      "flight samples with their time after launch t_s (s) and height above MSL (m)")]


def sites_layers(sites_by_layer: dict[str, Iterable[Any]]) -> list[GpkgLayer]:
    colours = {"radars": "#1f77b4", "interceptors": "#2ca02c", "launch_sites": "#d62728", "targets": "#000000"}
    return [GpkgLayer(name, site_features(sites), LayerStyle("marker", colour=colours.get(name, "#7f7f7f")),
                      f"{name.replace('_', ' ')} (catalog records; z: ground height above MSL, m)")
            for name, sites in sites_by_layer.items()]


def sites_folders(sites_by_layer: dict[str, Iterable[Any]]) -> list[KmlFolder]:
    colours = {"radars": "#1f77b4", "interceptors": "#2ca02c", "launch_sites": "#d62728", "targets": "#000000"}
    return [KmlFolder(name.replace("_", " ").capitalize(), site_features(sites), colours.get(name, "#7f7f7f"),
                      describe=SITE_DESCRIPTION, altitude_mode="absolute")
            for name, sites in sites_by_layer.items()]


def scenario_flights(sc, launches: Sequence[str], *, step_s: float = 10.0, run=None) -> list[tuple]:
    """Min-energy flights of every (launch site, missile class) pair of the scenario's threat
    set (:meth:`~geocover.scenario.Scenario.missiles_for`) to each target city the class
    reaches, as KML tracks (:func:`flight_tracks`) with ``launch``, ``target`` and ``missile``
    properties (names ``launch -> target``, with `` (class)`` when a launch has several
    classes). With ``run`` (a :class:`geocover.engine.ScenarioRun` that has engaged the cities
    already) its flights are reused rather than aimed again."""
    from .trajectory import aim_missile

    cities = sc.catalog.sites("target")
    out = []
    for lid in launches:
        site = sc.catalog.launch_site(lid)
        missiles = sc.missiles_for(lid)
        for m in missiles:
            if run is not None:
                flights = run.city_flights(lid, missile=m)
                traj, ok = flights.trajectories, flights.reachable
            else:
                with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                    traj, ok = aim_missile(m, site.lat_deg, site.lon_deg, [c.lat_deg for c in cities],
                                           [c.lon_deg for c in cities], errors="mask")
            tag = f" ({m.id})" if len(missiles) > 1 else ""
            out += flight_tracks(traj, step_s=step_s, names=[f"{lid} -> {c.id}{tag}" for c in cities],
                                 properties=[{"launch": lid, "target": c.id, "missile": m.id} for c in cities],
                                 ok=np.asarray(ok, bool), launch_ground_m=site.ground_height_msl_m,
                                 target_ground_m=[c.ground_height_msl_m for c in cities])
    return out


def footprint_outputs(stage: Path, sc, launches: Sequence[str], feats: Sequence[tuple], rows: Sequence[dict], *,
                      run=None) -> None:
    """``footprint.gpkg`` and ``footprint.kmz`` of a footprint run into ``stage`` (the flights
    of ``run``, the footprint's :class:`~geocover.engine.ScenarioRun`, when given)."""
    from shapely.geometry import Point

    def of(layer):
        return [(g, p) for g, p in feats if p.get("layer") == layer]

    cities = [(Point(r["lon_deg"], r["lat_deg"]), dict(r)) for r in rows]
    sites = {"launch_sites": [sc.catalog.launch_site(lid) for lid in launches],
             "radars": list(sc.radars.values()), "interceptors": list(sc.interceptors.values())}
    tracks = scenario_flights(sc, launches, run=run)
    write_gpkg(stage / "footprint.gpkg", [
        # overlapping polygons (each launch site, 'all', 'any'): QGIS shows the area defended
        # against all launch sites; the others are rules to switch on
        GpkgLayer("defended", of("defended"), LayerStyle(
            "fill", by="launch", show_first="all",
            labels=(("all", "defended against all launch sites"), ("any", "defended against any launch site"),
                    *((lid, f"defended against {sc.catalog.launch_site(lid).name}") for lid in launches))),
                  "cells where battle space > 0 s, per launch site ('all'/'any': against all/any of them)"),
        GpkgLayer("battle_space_bands", of("battle_space_band"),
                  LayerStyle("fill", by="battle_space_min_s", ranges=BAND_RANGES), "bands of battle space (s)"),
        GpkgLayer("threatened", of("threatened"), LayerStyle("fill", by="launch", opacity=0.05),
                  "cells the missile reaches from the launch site"),
        GpkgLayer("cities", cities, LayerStyle("marker", by="defended"), "target cities with their results"),
        *sites_layers(sites), *track_layers(tracks)])
    write_kml(stage / "footprint.kmz", [
        KmlFolder("Defended", of("defended"), "#1a9850", name_key="launch"),
        KmlFolder("Battle space bands", of("battle_space_band"), "#66bd63", name_key="battle_space_min_s"),
        KmlFolder("Threatened", of("threatened"), "#d62728", name_key="launch"),
        KmlFolder("Cities", [(g, p) for g, p in cities], "#000000", name_key="target"),
        *sites_folders(sites), KmlFolder("Flights", tracks=tracks, colour="#d62728")], name=sc.title)


def coverage_outputs(stage: Path, radars: Sequence[Any], feats: Sequence[tuple], k_feats: Sequence[tuple]) -> None:
    """``coverage.gpkg`` and ``coverage.kmz`` of a coverage run into ``stage``."""
    layers = [GpkgLayer("coverage", list(feats), LayerStyle("fill", by="radar_id"),
                        "coverage per radar and target altitude (altitude_m above MSL)")]
    if k_feats:
        layers.append(GpkgLayer("k_coverage", list(k_feats), LayerStyle("fill", by="layer"),
                                "union, at-least-k and overlay pieces of the radars' coverage"))
    layers += sites_layers({"radars": radars})
    write_gpkg(stage / "coverage.gpkg", layers)
    folders = [KmlFolder(f"Coverage at {alt / 1000:g} km", [(g, p) for g, p in feats if p.get("altitude_m") == alt],
                         PALETTE[i % len(PALETTE)], name_key="radar_id")
               for i, alt in enumerate(dict.fromkeys(p.get("altitude_m") for _, p in feats))]
    write_kml(stage / "coverage.kmz", [*folders, *sites_folders({"radars": radars})],
              name="geocover coverage: " + ", ".join(r.id for r in radars))


def search_outputs(stage: Path, sc, heat: Sequence[tuple], picks: Sequence[tuple]) -> None:
    """``search.gpkg`` of an optimise run: candidate scores, chosen sites, the scenario's sites."""
    scores = np.array([p["score"] for _, p in heat], float)
    edges = np.unique(np.nanquantile(scores, np.linspace(0, 1, 5))) if scores.size else np.array([0.0, 1.0])
    ramp = ("#2c7bb6", "#abd9e9", "#fdae61", "#d7191c")
    ranges = [(float(lo), float(hi), ramp[i % 4], f"{lo:,.2f} - {hi:,.2f}")
              for i, (lo, hi) in enumerate(itertools.pairwise(edges))]
    write_gpkg(stage / "search.gpkg", [
        GpkgLayer("candidates", list(heat), LayerStyle("marker", by="score", ranges=ranges or None),
                  "objective with one site added at each candidate"),
        GpkgLayer("chosen", list(picks), LayerStyle("marker", colour="#ffff00"), "sites chosen, in order (rank)"),
        *sites_layers({"radars": list(sc.radars.values()), "interceptors": list(sc.interceptors.values())})])


def comparison_outputs(stage: Path, scenarios: Sequence[Any], comp, catalog) -> None:
    """``comparison.gpkg`` of a compare run, two point layers of every catalog target city
    (out-of-reach ones included):

    ``cities``
        The city x scenario table row for row (``comparison_cities.csv``, columns
        :data:`geocover.compare.CITY_TABLE_FIELDS`): one point per city and scenario with
        ``defended`` (empty where no (launch, class) pair reaches it), ``battle_space_s``,
        ``limited_by``, the ``launch`` and ``missile`` the verdict comes from, lat/lon.
    ``city_summary``
        One point per city: ``defended_<scenario>`` per scenario (empty where not
        threatened) and ``scenarios_defending``.
    """
    from shapely.geometry import Point

    from .compare import CITY_TABLE_FIELDS

    rows = [(Point(r["lon_deg"], r["lat_deg"]), {k: r.get(k) for k in CITY_TABLE_FIELDS}) for r in comp.city_rows]
    by_city: dict[str, dict[str, Any]] = {}
    for r in comp.city_rows:
        by_city.setdefault(r["target"], {})[r["scenario"]] = r["defended"]
    feats = []
    for cid in sorted(by_city):
        c = catalog.target(cid)
        row = {"target": cid, "name": c.name, "lat_deg": c.lat_deg, "lon_deg": c.lon_deg}
        for s in scenarios:
            v = by_city[cid].get(s.id)
            row[f"defended_{s.id}"] = None if v is None else bool(v)
        row["scenarios_defending"] = sum(1 for s in scenarios if by_city[cid].get(s.id))
        feats.append((Point(c.lon_deg, c.lat_deg), row))
    write_gpkg(stage / "comparison.gpkg", [
        GpkgLayer("cities", rows, LayerStyle("marker", by="defended"),
                  "target cities x scenarios as comparison_cities.csv: defended (empty where out of reach), "
                  "battle space (s), limited_by, the launch and missile class of the verdict"),
        GpkgLayer("city_summary", feats, LayerStyle("marker", by="scenarios_defending"),
                  "target cities: defended (true/false, empty where not threatened) in each scenario")])


def write_flight(traj, catalog, launch: str, target: str | None, missile: str | None, *,
                 gpkg_path: str | Path | None = None, kml_path: str | Path | None = None,
                 step_s: float = 5.0) -> None:
    """One flight (``trajectory``/``timeline``) as a GeoPackage (3-D line with per-vertex
    times, time-stamped points, the launch/target sites) and/or a KML/KMZ ``gx:Track``.
    ``launch``/``target`` are catalog ids (their catalog ground heights are used) or labels."""
    def site(text):
        try:
            return catalog.site(text) if text else None
        except Exception:  # a lat,lon label, not a catalog id
            return None

    from .export import check_output_file

    for out in (gpkg_path, kml_path):  # both writable, or neither file is written
        if out:
            check_output_file(out)
    s1, s2 = site(launch), site(target)
    props = {"from": launch, "to": target, "missile": missile}
    tracks = flight_tracks(traj, step_s=step_s, names=[f"{launch} -> {target or 'burnout state'}"],
                           properties=[props], launch_ground_m=s1.ground_height_msl_m if s1 else None,
                           target_ground_m=[s2.ground_height_msl_m] if s2 else None)
    sites = {"launch_sites": [s1] if s1 else [], "targets": [s2] if s2 else []}
    sites = {k: v for k, v in sites.items() if v}
    if gpkg_path:
        write_gpkg(gpkg_path, [*track_layers(tracks), *sites_layers(sites)])
    if kml_path:
        write_kml(kml_path, [KmlFolder("Flight", tracks=tracks, colour="#d62728"), *sites_folders(sites)],
                  name=f"{launch} -> {target or 'burnout state'}")
