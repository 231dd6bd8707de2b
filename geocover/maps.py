"""Interactive folium (Leaflet) maps of geocover results that work where the user is.

Security: no user text is ever template source, HTML or JavaScript
    folium renders the output of every element (tooltips, popups, layer names, even the
    data of a ``GeoJson``) a second time as a Jinja2 template, so a catalog name such as
    ``{{ 7*7 }}`` would be evaluated. Here folium only ever receives geometry, numbers,
    colours and fixed strings. Every text that comes from a catalog, scenario, file name
    or argument (names, ids, sources, titles, layer names, legend entries, popups,
    tooltips, city labels) travels in one JSON document inside
    ``<script type="application/json" id="geocover-data">`` (``<``, ``>``, ``&``,
    braces, ``#``, U+2028/2029 and lone surrogates written as ``\\uXXXX`` escapes) that
    a fixed script reads with ``JSON.parse`` and puts on the page with ``textContent``
    only: nothing the user wrote is ever parsed as HTML, JavaScript or a template.

Offline by default
    Leaflet's JS/CSS are inlined from the ``xstatic-leaflet`` package (its images as
    data: URIs) and none of folium's other CDN assets are kept: the file makes no network
    request. ``cdn=True`` links Leaflet from its CDN instead (smaller file);
    ``tiles=True`` adds OpenStreetMap tiles under the map's own country outlines, which
    stay visible when the tiles cannot load.

Every map opens on its data's extent (data near the antimeridian is drawn on one side
of it), labels cities, and groups its layer control (per radar, per altitude).
``window.geocover = {map, layers}`` is exposed for scripting and for the browser tests.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from branca.element import Element

from . import __version__
from .catalog import Radar, Site
from .coverage import CoverageFeature
from .export import atomic_write_text
from .units import format_lat_lon

__all__ = ["add_p_defended_layer", "city_responsibility", "coverage_map", "p_defended_classes",
           "read_p_defended", "render_html", "ring_side", "save_map", "scenario_map"]

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")
BAND_COLOURS = ("#fee08b", "#a6d96a", "#66bd63", "#1a9850")  # battle-space bands, short to long
UNTRACKED = "#9e9e9e"
#: Leaflet dash patterns of the trajectories of a threat set's classes, in the set's order
#: (solid for the first class): fixed strings, never user text.
CLASS_DASHES = (None, "10 6", "2 5", "12 4 2 4")
DASH_NAMES = {None: "solid line", "10 6": "dashed line", "2 5": "dotted line", "12 4 2 4": "dash-dot line"}
_HEX = re.compile(r"#[0-9a-fA-F]{6}")

# every character that means something to HTML, a JS template literal or Jinja2
_ENTITIES = {ord(c): f"&#{ord(c)};" for c in "&<>\"'\\`${}#\u2028\u2029"}


def E(text: object) -> str:
    """Escape text for an HTML context that may also sit inside a JS template literal or a
    Jinja2 template: every one of ``& < > " ' \\ ` $ { } #`` and U+2028/2029 becomes a
    numeric character reference (one pass, so nothing is escaped twice); lone surrogates
    become U+FFFD.

    The maps of this module use it only for the static ``<title>`` (all other user text
    reaches them as JSON data); it is kept for callers that build HTML themselves.
    """
    return _SURROGATE.sub("\ufffd", str(text)).translate(_ENTITIES)


_SURROGATE = re.compile("[\ud800-\udfff]")


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def json_for_html(obj) -> str:
    """``obj`` as JSON that is safe inside an HTML ``<script>`` element and can never be read
    as template syntax: ASCII only (so U+2028/2029 and lone surrogates are ``\\u`` escapes),
    and inside strings ``< > & { } # ' `` and backtick as ``\\u`` escapes too."""
    text = json.dumps(obj, ensure_ascii=True, allow_nan=False, separators=(",", ":"))

    def esc(m: re.Match) -> str:
        return re.sub(r"[<>&{}#'`$]", lambda c: f"\\u{ord(c.group()):04x}", m.group())

    return _JSON_STRING.sub(esc, text)


class _Literal(Element):
    """A branca element whose HTML is emitted as is, never rendered as a Jinja2 template.
    Only fixed text and :func:`json_for_html` output go through it."""

    def __init__(self, text: str):
        super().__init__()
        self._literal = text

    def render(self, **kwargs) -> str:
        return self._literal


# ---------------------------------------------------------------------------------------
# longitudes: draw the data on one side of the antimeridian


def _circular_mean_lon(lons: Iterable[float]) -> float:
    a = np.radians(np.asarray(list(lons), float))
    if a.size == 0:
        return 0.0
    return float(np.degrees(np.arctan2(np.sin(a).mean(), np.cos(a).mean())))


def _shift(x: float, lon0: float) -> float:
    """The multiple of 360° that brings longitude ``x`` within 180° of ``lon0``."""
    return 360.0 * round((lon0 - x) / 360.0)


def _shift_geom(geom, lon0: float):
    """Each part of ``geom`` moved by a multiple of 360° so that it lies on the side of the
    antimeridian nearest ``lon0`` (parts stay whole; a cut polygon joins up again)."""
    import shapely
    from shapely.affinity import translate

    if geom is None or geom.is_empty:
        return geom
    parts = list(getattr(geom, "geoms", [geom]))
    moved = []
    for p in parts:
        if p.is_empty:
            continue
        w, _, e, _ = p.bounds
        if 180.0 < e - w < 359.0 and p.geom_type == "Polygon":  # a ring that jumps across the antimeridian
            p = _unwrap_polygon(p)
        c = p.centroid
        dx = _shift(c.x, lon0) if not c.is_empty else 0.0
        moved.append(translate(p, xoff=dx) if dx else p)
    if not moved:
        return geom
    if len(moved) == 1 and not hasattr(geom, "geoms"):
        return moved[0]
    if geom.geom_type == "MultiPolygon":  # pieces cut at the antimeridian join up again
        joined = shapely.union_all([shapely.make_valid(p) for p in moved])
        return joined if joined.geom_type in ("Polygon", "MultiPolygon") else type(geom)(moved)
    return shapely.geometrycollections(moved) if geom.geom_type == "GeometryCollection" else type(geom)(moved)


def _unwrap_polygon(p):
    from shapely.geometry import Polygon

    rings = []
    for ring in [p.exterior, *p.interiors]:
        c = np.asarray(ring.coords)
        x = np.unwrap(c[:, 0], period=360.0)
        if abs(x[-1] - x[0]) > 1e-9:  # goes round a pole: leave it as it is
            return p
        rings.append(np.column_stack([x, c[:, 1]]))
    return Polygon(rings[0], rings[1:])


def _geometry_json(geom, precision: int = 3) -> dict:
    """GeoJSON geometry, vertices rounded to ``precision`` decimals, polygon rings by the
    right-hand rule (RFC 7946 section 3.1.6: exteriors counterclockwise, holes clockwise)."""
    import shapely

    g = shapely.orient_polygons(shapely.transform(geom, lambda c: np.round(c, precision)))
    return json.loads(shapely.to_geojson(g))


class _MapData:
    """Everything user-visible of one map, kept out of folium: title, legend, grouped layer
    control, tooltips, popups and labels (bound in the browser by element name)."""

    def __init__(self, title: str, lon0: float):
        self.title = str(title)
        self.lon0 = lon0
        self.groups: dict[str, list[dict]] = {}
        self.collapsed: set[str] = set()  # groups shown folded in the layer control
        self.layers: dict[str, str] = {}
        self.bind: list[dict] = []
        self.legend: dict | None = None
        self.sections: list[dict] = []  # further legend blocks (sectors, P(defended)), each with a note
        self.overlays: list[dict] = []  # machine-readable data of the sector and P(defended) layers
        self.bounds: list[float] | None = None  # west, south, east, north (east may exceed 180)

    def extend(self, west, south, east, north) -> None:
        if not np.all(np.isfinite([west, south, east, north])):
            return
        b = [west, south, east, north] if self.bounds is None else [
            min(self.bounds[0], west), min(self.bounds[1], south), max(self.bounds[2], east),
            max(self.bounds[3], north)]
        self.bounds = [float(v) for v in b]

    def add_layer(self, m, fg, key: str, label: str, group: str, *, show: bool = True) -> None:
        """Add a feature group to the map (shown or not) and to the layer control."""
        fg.show = bool(show)  # folium adds a hidden layer's group to the map only when switched on
        fg.add_to(m)
        self.layers[str(key)] = fg.get_name()
        self.groups.setdefault(str(group), []).append({"label": str(label), "layers": [fg.get_name()],
                                                       "show": bool(show)})

    def add_toggle(self, label: str, group: str, keys: list[str]) -> None:
        """A control entry that switches several layers at once (e.g. one altitude, all radars)."""
        names = [self.layers[k] for k in keys if k in self.layers]
        if names:
            self.groups.setdefault(str(group), []).append({"label": str(label), "layers": names, "show": None})

    def tooltip(self, element, text: str) -> None:
        self.bind.append({"el": element.get_name(), "tooltip": str(text)})

    def popup(self, element, title: str, rows: Iterable[tuple[str, object]], *, tooltip: str | None = None,
              label: str | None = None) -> None:
        entry = {"el": element.get_name(), "popup": {"title": str(title), "rows": [[str(k), str(v)] for k, v in rows]}}
        if tooltip is not None:
            entry["tooltip"] = str(tooltip)
        if label is not None:
            entry["label"] = str(label)
        self.bind.append(entry)

    def document(self, map_name: str) -> dict:
        legend = self.legend
        if self.sections:
            legend = {**(legend or {"title": "", "entries": []}), "sections": self.sections}
        return {"map": map_name, "title": self.title, "version": __version__, "layers": self.layers,
                "groups": [{"name": g, "entries": e, "collapsed": g in self.collapsed} for g, e in sorted(
                    self.groups.items(), key=lambda ge: ge[0] == "Background") if e], "bind": self.bind,
                "legend": legend, "overlays": self.overlays}


def _base_map(title: str, *, lon0: float = 25.0, tiles: bool = False):
    import folium

    m = folium.Map(location=[46.0, lon0], zoom_start=4, tiles=None, control_scale=True, prefer_canvas=False,
                   world_copy_jump=False)
    if tiles:
        folium.TileLayer("OpenStreetMap").add_to(m)
    m._geocover = _MapData(title, lon0)
    m._geocover.tiles = bool(tiles)
    return m


@functools.lru_cache(maxsize=4)
def _country_features(lon0: float) -> str:
    """Natural Earth 110 m countries (geometry only) drawn around ``lon0``, as JSON text."""
    from shapely.geometry import shape

    from ._paths import data_path

    doc = json.loads(data_path("countries", "world_countries_ne110m.geojson").read_text(encoding="utf-8"))
    feats = []
    for f in doc["features"]:
        g = _shift_geom(shape(f["geometry"]), lon0)
        if g is not None and not g.is_empty:
            feats.append({"type": "Feature", "properties": {}, "geometry": _geometry_json(g, 3)})
    return json.dumps(feats)


def _countries_layer(m, offline: bool = True):
    """Natural Earth country outlines (always drawn, so a map without tiles, or whose tiles
    fail to load, still shows where it is); filled when there are no tiles."""
    import folium


    d = m._geocover
    filled = not d.tiles or offline
    doc = {"type": "FeatureCollection", "features": json.loads(_country_features(round(d.lon0, 1)))}
    fg = folium.FeatureGroup(name="layer", control=False)
    style = {"color": "#666", "weight": 0.6, "fill": filled, "fillColor": "#f2efe9", "fillOpacity": 1.0 if filled else 0}
    folium.GeoJson(doc, style_function=lambda _f, s=style: s,
                   smooth_factor=0.5).add_to(fg)
    d.add_layer(m, fg, "Countries", "Countries", "Background")
    return fg


def _geojson(m, geom, style: dict, *, fit: bool = True, tolerance_deg: float | None = 0.02, precision: int = 3):
    """A folium GeoJson of one geometry (no properties: no text reaches folium), drawn on
    the map's side of the antimeridian, simplified to ``tolerance_deg`` (None: not
    simplified, e.g. grid cells that keep their exact edges)."""
    import folium

    if tolerance_deg is not None:
        geom = geom.simplify(tolerance_deg, preserve_topology=True)
    g = _shift_geom(geom, m._geocover.lon0)
    if fit:
        m._geocover.extend(*g.bounds)
    return folium.GeoJson({"type": "Feature", "properties": {}, "geometry": _geometry_json(g, precision)},
                          style_function=lambda _f, s=style: s)


def _colour(c: str) -> str:
    return c if _HEX.fullmatch(str(c)) else "#333333"


def _site_marker(m, site: Site, colour: str, radius: int = 6, *, fit: bool = True):
    import folium

    lon = site.lon_deg + _shift(site.lon_deg, m._geocover.lon0)
    if fit:
        m._geocover.extend(lon, site.lat_deg, lon, site.lat_deg)
    return folium.CircleMarker([site.lat_deg, lon], radius=radius, color="#000", weight=1, fill=True,
                               fill_color=_colour(colour), fill_opacity=0.9)


def _radar_rows(r: Radar, max_range_m: float | None = None) -> list[tuple[str, object]]:
    return [("id", r.id), ("band", r.band),
            ("sector", "360°" if r.full_circle else f"{r.boresight_azimuth_deg:g}° ± {r.half_width_deg:g}°"),
            ("elevation", f"{r.min_elevation_deg:g}° to {r.max_elevation_deg:g}°"),
            ("antenna", f"{r.antenna_height_msl_m:,.0f} m MSL"),
            ("range", f"{(max_range_m or r.reference_range_m) / 1000:,.0f} km"),
            ("searches on its own", "yes" if r.can_search else "no (needs a cue)"),
            ("confidence", r.confidence), ("source", r.source)]


_STYLE = """
.folium-map{background:#dfe9f2}
.geocover-panel{background:#fff;padding:4px 8px;border-radius:4px;font:13px sans-serif;box-shadow:0 0 4px #888}
.geocover-title{position:fixed;top:10px;left:50px;z-index:1000;font-size:14px;max-width:60vw;overflow:hidden;
  white-space:nowrap;text-overflow:ellipsis}
.geocover-legend{position:fixed;bottom:30px;right:10px;z-index:1000;font-size:12px;max-width:260px;max-height:40vh;
  overflow-y:auto}
.geocover-legend .section{margin-top:6px}
.geocover-legend .note{color:#444;font-size:11px;margin:2px 0}
.geocover-legend .swatch{display:inline-block;width:12px;height:12px;margin-right:6px;border:1px solid #333;
  vertical-align:middle}
.geocover-legend .version{color:#666;margin-top:4px}
.geocover-layers{max-height:55vh;max-width:320px;overflow-y:auto;overflow-wrap:anywhere;font:11px sans-serif}
.geocover-layers .geocover-group{font-weight:bold;margin:4px 0 1px 0;cursor:pointer}
.geocover-layers label{display:block;margin-left:6px}
.geocover-popup th{text-align:left;padding-right:8px;vertical-align:top}
.leaflet-tooltip.geocover-label{background:rgba(255,255,255,.75);border:0;box-shadow:none;padding:0 3px;
  font:10px sans-serif;color:#222}
.leaflet-tooltip.geocover-label:before{display:none}
"""

_TOOLS_JS = r"""
document.addEventListener('DOMContentLoaded', function(){
  var data = JSON.parse(document.getElementById('geocover-data').textContent);
  var map = window[data.map];
  function el(tag, cls, text){ var e = document.createElement(tag); if(cls){ e.className = cls; }
    if(text !== undefined && text !== null){ e.textContent = String(text); } return e; }
  window.geocover = {map: map, layers: {}};
  Object.keys(data.layers).forEach(function(k){ window.geocover.layers[k] = window[data.layers[k]]; });
  document.title = data.title;
  document.body.appendChild(el('div', 'geocover-panel geocover-title', data.title));
  // tooltips, popups and permanent labels, all as DOM nodes filled with textContent
  data.bind.forEach(function(b){
    var layer = window[b.el]; if(!layer){ return; }
    if(b.popup){
      var box = el('div', 'geocover-popup'); box.appendChild(el('b', null, b.popup.title));
      var table = el('table'); b.popup.rows.forEach(function(r){ var tr = el('tr');
        tr.appendChild(el('th', null, r[0])); tr.appendChild(el('td', null, r[1])); table.appendChild(tr); });
      box.appendChild(table); layer.bindPopup(box, {maxWidth: 380});
    }
    if(b.label){ layer.bindTooltip(el('span', null, b.label), {permanent: true, direction: 'right',
      offset: [6, 0], className: 'geocover-label'}); }
    else if(b.tooltip){ layer.bindTooltip(el('div', null, b.tooltip), {sticky: true}); }
  });
  // grouped layer control
  var Layers = L.Control.extend({options: {position: 'topright'}, onAdd: function(){
    var box = el('div', 'leaflet-control-layers leaflet-control-layers-expanded geocover-layers');
    var list = el('div', 'leaflet-control-layers-overlays'); box.appendChild(list);
    var inputs = [];
    data.groups.forEach(function(g){
      var head = el('div', 'geocover-group'), mark = el('span', 'geocover-fold', g.collapsed ? '\u25B8 ' : '\u25BE ');
      head.appendChild(mark); head.appendChild(el('span', null, g.name)); list.appendChild(head);
      var body = el('div', 'geocover-group-body'); list.appendChild(body);
      if(g.collapsed){ body.style.display = 'none'; }
      head.addEventListener('click', function(){ var open = body.style.display === 'none';
        body.style.display = open ? '' : 'none'; mark.textContent = open ? '\u25BE ' : '\u25B8 '; });
      g.entries.forEach(function(e){
        var label = el('label'), input = el('input'); input.type = 'checkbox'; input.className = 'leaflet-control-layers-selector';
        var layers = e.layers.map(function(n){ return window[n]; }).filter(function(x){ return !!x; });
        input.addEventListener('change', function(){ var on = input.checked;  // sync() runs on each add
          layers.forEach(function(l){ if(on){ map.addLayer(l); } else { map.removeLayer(l); } }); sync(); });
        label.appendChild(input); label.appendChild(el('span', null, ' ' + e.label)); body.appendChild(label);
        inputs.push([input, layers]);
      });
    });
    function sync(){ inputs.forEach(function(p){ p[0].checked = p[1].length > 0 && p[1].every(function(l){
      return map.hasLayer(l); }); }); }
    map.on('layeradd layerremove', sync); sync();
    L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
    return box; }});
  map.addControl(new Layers());
  if(data.legend){
    var lg = el('div', 'geocover-panel geocover-legend'); lg.id = 'geocover-legend';
    lg.appendChild(el('b', null, data.legend.title));
    data.legend.entries.forEach(function(e){ var row = el('div'), sw = el('span', 'swatch');
      sw.style.background = /^#[0-9a-fA-F]{6}$/.test(e[0]) ? e[0] : '#333'; row.appendChild(sw);
      row.appendChild(el('span', null, e[1])); lg.appendChild(row); });
    (data.legend.sections || []).forEach(function(s){ var sec = el('div', 'section');
      sec.appendChild(el('b', null, s.title)); if(s.note){ sec.appendChild(el('div', 'note', s.note)); }
      s.entries.forEach(function(e){ var row = el('div'), sw = el('span', 'swatch');
        sw.style.background = /^#[0-9a-fA-F]{6}$/.test(e[0]) ? e[0] : '#333'; row.appendChild(sw);
        row.appendChild(el('span', null, e[1])); sec.appendChild(row); });
      lg.appendChild(sec); });
    lg.appendChild(el('div', 'version', 'geocover ' + data.version)); document.body.appendChild(lg);
  }
  var Full = L.Control.extend({options:{position:'topleft'}, onAdd:function(){
    var b = L.DomUtil.create('a','leaflet-bar geocover-fullscreen'); b.href='#'; b.title='Fullscreen';
    b.textContent='\u25A1'; b.style.cssText='display:block;width:30px;height:30px;line-height:30px;'
      + 'text-align:center;background:#fff;font-size:18px;text-decoration:none;color:#000';
    L.DomEvent.on(b,'click',function(e){ L.DomEvent.preventDefault(e); var c=map.getContainer();
      if(document.fullscreenElement){document.exitFullscreen();} else if(c.requestFullscreen){c.requestFullscreen();}});
    return b; }});
  var Measure = L.Control.extend({options:{position:'topleft'}, onAdd:function(){
    var b = L.DomUtil.create('a','leaflet-bar geocover-measure'); b.href='#'; b.title='Measure distance (great circle)';
    b.textContent='\u2194'; b.style.cssText='display:block;width:30px;height:30px;line-height:30px;'
      + 'text-align:center;background:#fff;font-size:16px;text-decoration:none';
    var on=false, pts=[], line=null, label=null;
    function reset(){ pts=[]; if(line){map.removeLayer(line); line=null;} if(label){map.removeLayer(label); label=null;} }
    function click(e){ pts.push(e.latlng); if(line){map.removeLayer(line);} line=L.polyline(pts,{color:'#000',dashArray:'4'}).addTo(map);
      var d=0; for(var i=1;i<pts.length;i++){ d+=map.distance(pts[i-1],pts[i]); }
      if(label){map.removeLayer(label);} label=L.marker(e.latlng,{opacity:0}).bindTooltip((d/1000).toFixed(1)+' km',
        {permanent:true}).addTo(map); window.geocover.measured_m=d; }
    L.DomEvent.on(b,'click',function(e){ L.DomEvent.preventDefault(e); L.DomEvent.stopPropagation(e); on=!on;
      b.style.background = on ? '#ddd' : '#fff'; if(on){ map.on('click',click); } else { map.off('click',click); reset(); } });
    return b; }});
  map.addControl(new Full()); map.addControl(new Measure());
});
"""


def _legend(m, entries: list[tuple[str, str]], title: str) -> None:
    m._geocover.legend = {"title": str(title), "entries": [[_colour(c), str(label)] for c, label in entries]}


class _DataBlock(Element):
    """The map's JSON data element, written when the page is rendered (so layers added after
    :func:`_finish`, e.g. by :func:`add_p_defended_layer`, are in it). Its text is only
    :func:`json_for_html` output, never a template."""

    def __init__(self, m):
        super().__init__()
        self._map = m

    def render(self, **kwargs) -> str:
        doc = self._map._geocover.document(self._map.get_name())
        return f'<script type="application/json" id="geocover-data">{json_for_html(doc)}</script>'


def _finish(m) -> None:
    """Attach the map's data document, its style and the script that shows it; fit the view
    to the data's extent. Called again after more layers are added, it replaces what it added."""
    from folium.map import FitBounds

    d = m._geocover
    if d.bounds is not None:
        w, s, e, n = d.bounds
        s, n = max(s, -85.0), min(n, 85.0)
        if e - w < 0.5:
            w, e = w - 0.25, e + 0.25
        if n - s < 0.5:
            s, n = s - 0.25, n + 0.25
        m.add_child(FitBounds([[s, w], [n, e]], padding=(20, 20)), name="geocover_fit")
        m.location = [0.5 * (s + n), 0.5 * (w + e)]
    root = m.get_root()
    # a static <title> for tabs and file browsers, every special character as an entity
    root.header.add_child(_Literal(f"<title>{E(d.title)}</title>"), name="geocover_title")
    root.header.add_child(_Literal(f"<style>{_STYLE}</style>"), name="geocover_style")
    root.html.add_child(_DataBlock(m), name="geocover_data")
    root.script.add_child(_Literal(_TOOLS_JS), name="geocover_tools")


def render_html(m, *, offline: bool = False, cdn: bool = False) -> str:
    """The map as one HTML document.

    Parameters
    ----------
    m : folium.Map
        A map built by this module.
    offline : bool
        Also drop any tile layer (the file then makes no network request at all).
    cdn : bool
        Link Leaflet from its CDN instead of inlining it (a smaller file that needs the
        network). By default Leaflet is inlined and every other external asset removed.

    Raises
    ------
    ValueError
        ``offline`` together with ``cdn``.
    """
    if offline and cdn:
        raise ValueError("an offline map cannot load Leaflet from a CDN")
    if offline:  # no tiles offline: drop any tile layer the map was built with
        from folium.raster_layers import TileLayer

        for key in [k for k, child in m._children.items() if isinstance(child, TileLayer)]:
            del m._children[key]
    text = m.get_root().render()
    text = _SURROGATE.sub("\ufffd", text)  # none in our maps (user text is \u-escaped JSON); never crash writing
    if cdn:
        return text
    import xstatic.pkg.leaflet as xleaflet

    base = Path(xleaflet.BASE_DIR)
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        img = base / match.group(1)
        return f"url(data:image/png;base64,{base64.b64encode(img.read_bytes()).decode()})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    js = (base / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    out = []
    for line in text.split("\n"):  # not splitlines(): it would also split at U+2028/2029
        stripped = line.strip()
        if re.match(r"<script\s+src=\"https?://", stripped):
            if "leaflet.js" in stripped and "leaflet@" in stripped:
                out.append(f"<script>{js}</script>")
            continue  # jQuery, Bootstrap, icon fonts: not used by these maps
        if re.match(r"<link\s+rel=\"stylesheet\"\s+href=\"https?://", stripped):
            if "leaflet.css" in stripped and "leaflet@" in stripped:
                out.append(f"<style>{css}</style>")
            continue
        out.append(line)
    text = "\n".join(out)
    leftover = re.findall(r"src=\"(https?://[^\"]+)\"", text) + re.findall(r"<link[^>]+href=\"(https?://[^\"]+)\"", text)
    if leftover:
        raise RuntimeError(f"self-contained map still references {leftover[:3]}")
    return text


def save_map(m, path: str | Path, *, offline: bool = False, cdn: bool = False) -> Path:
    """Render a folium map to one HTML file, atomically (see :func:`render_html`)."""
    return atomic_write_text(path, render_html(m, offline=offline, cdn=cdn))


def coverage_map(radars: Iterable[Radar], features: Iterable[CoverageFeature], *,
                 k_features: Iterable[tuple] = (), title: str = "geocover coverage", offline: bool = False,
                 tiles: bool = False):
    """Radar sites and coverage polygons per radar and altitude (one toggleable layer each,
    grouped per radar, with one switch per altitude for all radars), optional k-coverage.

    ``tiles`` adds an OpenStreetMap basemap (ignored with ``offline``)."""
    import folium

    radars, features = list(radars), list(features)
    m = _base_map(title, lon0=_circular_mean_lon(r.lon_deg for r in radars), tiles=tiles and not offline)
    d = m._geocover
    _countries_layer(m, offline)
    colour = {r.id: COLOURS[i % len(COLOURS)] for i, r in enumerate(radars)}
    name = {r.id: r.name for r in radars}
    ranges = {f.properties["radar_id"]: f.properties.get("max_range_m") for f in features}
    by_alt: dict[float, list[str]] = {}
    for f in features:
        if f.geometry.is_empty:
            continue
        p = f.properties
        rid = p["radar_id"]
        alt = f"{p['altitude_m'] / 1000:g} km"
        label = f"{rid} — {alt} ({p['rcs_m2']:g} m²)"
        fg = folium.FeatureGroup(name="layer", control=False)
        gj = _geojson(m, f.geometry, {"color": colour.get(rid, "#333333"), "weight": 1.5, "fillOpacity": 0.12})
        gj.add_to(fg)
        d.tooltip(gj, f"{name.get(rid, rid)}: coverage at {alt} ({p['rcs_m2']:g} m²)")
        d.add_layer(m, fg, label, f"coverage at {alt} ({p['rcs_m2']:g} m²)", f"Radar {name.get(rid, rid)}")
        if len(radars) > 3:
            d.collapsed.add(f"Radar {name.get(rid, rid)}")
        by_alt.setdefault(alt, []).append(label)
    if len(radars) > 1:
        for alt, keys in by_alt.items():
            d.add_toggle(f"all radars at {alt}", "Altitudes", keys)
    for geom, props in k_features:
        if geom.is_empty:
            continue
        label = f"≥{props['k']} radars — {props['altitude_m'] / 1000:g} km"
        fg = folium.FeatureGroup(name="layer", control=False)
        gj = _geojson(m, geom, {"color": "#000", "weight": 1, "fillOpacity": 0.25, "dashArray": "4"}, fit=False)
        gj.add_to(fg)
        d.tooltip(gj, label)
        d.add_layer(m, fg, label, label, "Overlap", show=False)
    sites = folium.FeatureGroup(name="layer", control=False)
    for r in radars:
        mk = _site_marker(m, r, colour[r.id])
        mk.add_to(sites)
        d.popup(mk, r.name, _radar_rows(r, ranges.get(r.id)), label=r.name)
    d.add_layer(m, sites, "Radar sites", "Radar sites", "Sites")
    _legend(m, [(colour[r.id], r.name) for r in radars], "Radars")
    _finish(m)
    return m


def search_map(title: str, candidates: Iterable[tuple[float, float, float, str]],
               chosen: Iterable[tuple], score_label: str, *, offline: bool = False,
               tiles: bool = False, score_text=None):
    """A site search on a map: every candidate as a dot coloured by its score (blue low, orange
    high) with its tooltip, the chosen sites in yellow numbered in the order chosen (1, 2, ...),
    the sites tied with a pick as hollow rings, a legend and the country outlines.

    Every text reaches the page only through the map's JSON data block (never as HTML or
    script); folium gets geometry, numbers, colours and fixed strings.

    Parameters
    ----------
    title : str
        The map's title.
    candidates : iterable of (lat_deg, lon_deg, score, tooltip text)
    chosen : iterable of (lat_deg, lon_deg, tooltip text) or (lat_deg, lon_deg, tooltip text, ties)
        In the order chosen; ``ties``: the (lat_deg, lon_deg) of the other sites that give
        exactly the same gain (a tie; the pick's label says "tie", each tied site is a ring).
    score_label : str
        The score's name in the legend (e.g. "defended area").
    score_text : callable, optional
        Score -> text with its unit (e.g. ``12,300 km²``) for the legend's colour scale
        [default: the number, 4 significant figures].
    """
    import folium

    candidates, chosen = list(candidates), list(chosen)
    score_text = score_text or (lambda v: f"{v:,.4g}")
    m = _base_map(title, lon0=_circular_mean_lon([c[1] for c in candidates]), tiles=tiles and not offline)
    d = m._geocover
    _countries_layer(m, offline)
    scores = [float(c[2]) for c in candidates]
    lo, hi = (min(scores), max(scores)) if scores else (0.0, 0.0)

    def colour(f: float) -> str:  # 0 (lowest score: blue) .. 1 (highest: orange)
        return f"#{int(255 * f):02x}{int(80 + 100 * (1 - f)):02x}{int(255 * (1 - f)):02x}"

    heat = folium.FeatureGroup(name="layer", control=False)
    for la, ln, sc, tip in candidates:
        f = 0.0 if hi == lo else (float(sc) - lo) / (hi - lo)
        x = float(ln) + _shift(float(ln), d.lon0)
        d.extend(x, float(la), x, float(la))
        mk = folium.CircleMarker([float(la), x], radius=5, weight=0, fill=True, fill_color=colour(f),
                                 fill_opacity=0.85)
        mk.add_to(heat)
        d.tooltip(mk, tip)
    d.add_layer(m, heat, "Candidate scores", "Candidate scores", "Search")
    picks = folium.FeatureGroup(name="layer", control=False)
    tie_rings = folium.FeatureGroup(name="layer", control=False)
    any_tie = False
    for rank, pick in enumerate(chosen, start=1):
        la, ln, tip = pick[:3]
        ties = list(pick[3]) if len(pick) > 3 and pick[3] else []
        any_tie = any_tie or bool(ties)
        for tla, tln in ties:
            tx = float(tln) + _shift(float(tln), d.lon0)
            ring = folium.CircleMarker([float(tla), tx], radius=8, color="#000", weight=2, dash_array="3 3",
                                       fill=False)
            ring.add_to(tie_rings)
            d.tooltip(ring, f"tied with pick {rank}: the same gain, {format_lat_lon(float(tla), float(tln))}")
        x = float(ln) + _shift(float(ln), d.lon0)
        mk = folium.CircleMarker([float(la), x], radius=9, color="#000", weight=2, fill=True,
                                 fill_color="#ffff00", fill_opacity=1)
        mk.add_to(picks)
        # the pick's number as a permanent label (text via the data block); details in its popup
        d.popup(mk, f"pick {rank}" + (f" (tied with {len(ties)} other site(s))" if ties else ""), [("", tip)],
                label=f"{rank} (tie)" if ties else str(rank))
    d.add_layer(m, picks, "Chosen sites", "Chosen sites (numbered in the order chosen)", "Search")
    if any_tie:
        d.add_layer(m, tie_rings, "Tied sites", "Sites tied with a pick (same gain)", "Search")
    mid = 0.5 * (lo + hi)
    entries = [("#0050ff", f"{score_label}: {score_text(lo)} (lowest)"),
               (colour(0.5), f"{score_label}: {score_text(mid)}"),
               ("#ff5000", f"{score_label}: {score_text(hi)} (highest)"),
               ("#ffff00", "chosen site, numbered in the order chosen")]
    if any_tie:
        entries.append(("#000000", "dashed ring: a site tied with the pick (the same gain); '(tie)' on the pick"))
    _legend(m, entries, "Site search: candidate score if the site is added")
    _finish(m)
    return m


def scenario_map(scenario, *, altitudes_m=(100e3, 300e3, 1000e3), launch_id: str | None = None,
                 terrain: bool = True, footprint_resolution_deg: float = 0.5, offline: bool = False,
                 model="crpl", tiles: bool = False, run=None):
    """The whole story of one scenario on one map: radars with sector wedges, coverage at
    each altitude and the terrain horizon; launch sites; target cities (labelled) with their
    engagement results; trajectories coloured by the radar that tracks them; the defended
    footprint as bands of battle space; legend, grouped layer control, scale bar, measure
    and fullscreen tools. Opens on the extent of the footprint, sites and cities.

    ``tiles`` adds an OpenStreetMap basemap under the country outlines (ignored with
    ``offline``). A scenario whose footprint grid holds no target city gets a map without
    cities and trajectories.

    Every verdict comes from one :class:`geocover.engine.ScenarioRun` (``run``, or one built
    with ``model``): the footprint, the cities' popups (with ``limited_by``) and the colour of
    each stretch of a flight (the first radar of the scenario *holding a track* there, after
    cueing and the minimum track time: the engagement's own tracks). This map only draws.

    With a threat set, every class launched from the map's launch site is flown: the
    trajectories layer holds one flight per (class, city it reaches), told apart by the
    line's dash pattern (:data:`CLASS_DASHES`, named in a legend section), and each city's
    popup and sector ring (:func:`ring_side`) report every class. The data block's
    ``flights`` overlay lists each drawn flight (``launch``, ``missile``, ``target``,
    ``flight_time_s``, its ``segments`` and who tracks each)."""
    import folium

    from .coverage import coverage_at_altitudes
    from .engine import ScenarioRun
    from .footprint import BANDS_S, LIMITED_BY_TEXT, footprint_polygons
    from .geodesy import geodesic_sector
    from .radar import RadarView

    sc = scenario
    run = run or ScenarioRun(sc, model=model)
    arch = run.arch
    lid = launch_id or sc.launch_sites[0]
    launch = sc.catalog.launch_site(lid)
    radar_ids = list(sc.radars)
    lon0 = _circular_mean_lon([sc.radars[r].lon_deg for r in radar_ids] + [launch.lon_deg])
    m = _base_map(f"{sc.title} — threat from {launch.name}", lon0=lon0, tiles=tiles and not offline)
    d = m._geocover
    d.groups["Threat"] = []  # first in the layer control
    _countries_layer(m, offline)
    colour = {rid: COLOURS[i % len(COLOURS)] for i, rid in enumerate(radar_ids)}

    # footprint bands (bottom-most data layer): without --launch and with several launch areas,
    # the footprint against all of them first (shown), then the one against the launch drawn
    launches = list(sc.launch_sites) if launch_id is None and len(sc.launch_sites) > 1 else [lid]
    fp = run.footprint(launches, resolution_deg=footprint_resolution_deg)

    def bands(values, key: str, label: str, show: bool) -> None:
        polys = footprint_polygons(values, fp.west_deg, fp.north_deg, fp.resolution_deg, {})
        fg = folium.FeatureGroup(name="layer", control=False)
        for geom, props in polys:
            if props["layer"] != "battle_space_band" or geom.is_empty:
                continue
            i = [lo for lo, _ in BANDS_S].index(props["battle_space_min_s"])
            hi = props["battle_space_max_s"]
            text = f"battle space {props['battle_space_min_s']:.0f}–{hi:.0f} s" if hi else \
                f"battle space ≥ {props['battle_space_min_s']:.0f} s"
            gj = _geojson(m, geom, {"color": BAND_COLOURS[i], "weight": 0, "fillColor": BAND_COLOURS[i],
                                    "fillOpacity": 0.45}, fit=show)
            gj.add_to(fg)
            d.tooltip(gj, text)
        d.add_layer(m, fg, key, label, "Threat", show=show)

    if len(launches) > 1:
        bands(fp.combined("all"), "Footprint", "Defended footprint vs all launch areas (battle space)", True)
        bands(fp.battle_space_s[lid], f"Footprint {lid}", f"Defended footprint vs {launch.name} (battle space)",
              False)
    else:
        bands(fp.battle_space_s[lid], "Footprint", f"Defended footprint vs {launch.name} (battle space)", True)
    # the edge of the computed grid: a footprint's straight edges along it are the grid's, not physics
    import shapely

    nrow, ncol = fp.battle_space_s[lid].shape
    edge = shapely.segmentize(shapely.box(fp.west_deg, fp.north_deg - nrow * fp.resolution_deg,
                                          fp.west_deg + ncol * fp.resolution_deg, fp.north_deg).exterior, 1.0)
    edge = shapely.LineString(edge.coords)
    efg = folium.FeatureGroup(name="layer", control=False)
    egj = _geojson(m, edge, {"color": "#444444", "weight": 1.5, "dashArray": "6 4", "fill": False}, fit=False)
    egj.add_to(efg)
    d.tooltip(egj, "edge of the computed area: footprint edges along this line are where the grid stops, "
                   "not where the defence does")
    d.add_layer(m, efg, "Grid edge", "Edge of the computed area (dashed)", "Threat")

    # coverage at each altitude and sector wedges, one group per radar
    shown_alt = altitudes_m[1 if len(altitudes_m) > 1 else 0]
    by_alt: dict[str, list[str]] = {}
    for rid in radar_ids:
        r = sc.radars[rid]
        view = arch.views[rid]
        group = f"Radar {r.name}"
        if len(radar_ids) > 2:  # folded: the threat layers and the per-altitude switches stay in view
            d.collapsed.add(group)
        for f in coverage_at_altitudes(view, altitudes_m):
            if f.geometry.is_empty:
                continue
            alt = f"{f.properties['altitude_m'] / 1000:g} km"
            key = f"{rid}: coverage at {alt}"
            show = f.properties["altitude_m"] == shown_alt
            cfg = folium.FeatureGroup(name="layer", control=False)
            gj = _geojson(m, f.geometry, {"color": colour[rid], "weight": 1.5, "fillOpacity": 0.08}, fit=show)
            gj.add_to(cfg)
            d.tooltip(gj, f"{r.name}: coverage at {alt}")
            d.add_layer(m, cfg, key, f"coverage at {alt}", group, show=show)
            by_alt.setdefault(alt, []).append(key)
        wedge_fg = folium.FeatureGroup(name="layer", control=False)
        span = (0.0, 360.0) if r.full_circle else (r.boresight_azimuth_deg - r.half_width_deg,
                                                   r.boresight_azimuth_deg + r.half_width_deg)
        wedge = geodesic_sector(r.lat_deg, r.lon_deg, min(view.max_range_m, 9.0e6), *span, n=180)
        gj = _geojson(m, wedge, {"color": colour[rid], "weight": 1, "dashArray": "6", "fillOpacity": 0.03}, fit=False)
        gj.add_to(wedge_fg)
        d.tooltip(gj, f"{r.name} sector, {view.max_range_m / 1000:,.0f} km")
        d.add_layer(m, wedge_fg, f"{rid}: sector", "sector", group, show=False)
        if terrain:
            tv = RadarView(r, model=model, terrain=True)
            low = r.antenna_height_msl_m + 1000.0
            feats = coverage_at_altitudes(tv, [low])
            if not feats[0].geometry.is_empty:
                label = f"terrain horizon (targets at {low / 1000:.1f} km MSL)"
                tfg = folium.FeatureGroup(name="layer", control=False)
                gj = _geojson(m, feats[0].geometry, {"color": colour[rid], "weight": 2, "dashArray": "2 4",
                                                     "fillOpacity": 0.0}, fit=False)
                gj.add_to(tfg)
                d.tooltip(gj, f"{r.name}: {label}")
                d.add_layer(m, tfg, f"{rid}: terrain horizon", label, group, show=False)

    # target cities within the footprint grid: engagement results against each class of the
    # threat set launched from the site (popup rows per class; colour: the verdict over the set,
    # engine.DEFENDED_RULE); trajectories: every class of the set launched there
    missiles = sc.missiles_for(lid)
    per_class = [(mm, run.city_flights(lid, missile=mm)) for mm in missiles]
    flights = per_class[0][1]  # every class is flown at the same catalog target cities
    inside = [i for i, c in enumerate(flights.cities) if fp.grid.contains(c.lat_deg, c.lon_deg)]
    tfg = folium.FeatureGroup(name="layer", control=False)
    trk_fg = folium.FeatureGroup(name="layer", control=False)
    for i in inside:
        c = flights.cities[i]
        rows, reach = [], []
        for mm, fl in per_class:
            e = fl.engagements.result(i)
            reach += [e] if e.reachable else []
            verdict = "out of reach" if not e.reachable else "defended" if e.defended else "NOT defended"
            rows += [("threat", f"{mm.name} from {launch.name}"), ("status", verdict)]
            if e.limited_by:
                rows.append(("limited by", f"{e.limited_by} ({LIMITED_BY_TEXT[e.limited_by]})"))
            if e.reachable:
                rows += [("battle space", f"{e.battle_space_s:.0f} s"),
                         ("first detection", "never" if e.first_detection_t_s is None
                          else f"{e.first_detection_t_s:.0f} s after launch"),
                         ("warning time", "none" if e.warning_time_s is None else f"{e.warning_time_s:.0f} s"),
                         ("flight time", f"{e.flight_time_s:.0f} s")]
                if e.defended:
                    rows += [("first intercept",
                              f"{e.earliest_t_s:.0f} s, {e.earliest_altitude_m / 1000:.0f} km up"),
                             ("last intercept", f"{e.latest_t_s:.0f} s, {e.latest_altitude_m / 1000:.0f} km up"),
                             ("by", f"{e.interceptor} guided by {e.radar}"),
                             ("shoot-look-shoot", "yes" if e.shoot_look_shoot else "no")]
        col = "#ffffff" if not reach else "#1a9850" if all(e.defended for e in reach) else "#d73027"
        if len(per_class) > 1:  # the verdict over the set first (engine.DEFENDED_RULE)
            rows.insert(0, ("against the set", "out of reach" if not reach else
                            f"defended against every class that reaches ({len(reach)})" if col == "#1a9850" else
                            f"NOT defended ({sum(not e.defended for e in reach)} of {len(reach)} classes)"))
        mk = _site_marker(m, c, col, radius=5)
        mk.add_to(tfg)
        d.popup(mk, c.name, rows, label=c.name)

    # trajectories: one flight per (launch, class, city it reaches), each stretch coloured by the
    # first radar of the scenario holding a track there; the class by the line's dash pattern
    dashes = {mm.id: CLASS_DASHES[k % len(CLASS_DASHES)] for k, (mm, _) in enumerate(per_class)}
    drawn = []
    for mm, fl in per_class:
        s = fl.tracks.samples
        owners = fl.tracks.tracked_by(radar_ids)
        tag = f", {mm.id}" if len(per_class) > 1 else ""  # the legend section names each class
        for i in inside:
            c = fl.cities[i]
            if not fl.reachable[i]:
                continue
            owner = owners[i]
            lon = np.unwrap(s.lon_deg[i], period=360.0)
            lon = lon + _shift(float(lon[0]), lon0)
            start, els, by = 0, [], []
            for k in range(1, len(owner) + 1):
                if k == len(owner) or owner[k] != owner[start]:
                    seg = [[float(a), float(b)] for a, b in zip(s.lat_deg[i][start:k + 1], lon[start:k + 1],
                                                                strict=True)]
                    who = owner[start]
                    line = folium.PolyLine(seg, color=colour.get(who, UNTRACKED), weight=3 if who else 2, opacity=0.9,
                                           dash_array=dashes[mm.id])
                    line.add_to(trk_fg)
                    d.tooltip(line, f"{launch.name} → {c.name}{tag}: " + (
                        f"tracked by {sc.radars[who].name}" if who else "not tracked"))
                    els.append(line.get_name())
                    by.append(who or None)
                    start = k
            drawn.append({"launch": lid, "missile": mm.id, "target": c.id,
                          "flight_time_s": float(np.atleast_1d(fl.trajectories.flight_time_s)[i]),
                          "segments": els, "tracked_by": by})
    d.overlays.append({"kind": "flights", "launch": lid, "missiles": [mm.id for mm, _ in per_class],
                       "dash": dashes, "flights": drawn})
    d.add_layer(m, tfg, "Targets", "Targets", "Threat")
    d.add_layer(m, trk_fg, "Trajectories", f"Trajectories from {launch.name} (colour: tracking radar"
                + ("; line: missile class" if len(per_class) > 1 else "") + ")", "Threat")
    if len(per_class) > 1:
        d.sections.append({"title": "Trajectories by missile class",
                           "note": f"one flight per class of the threat set launched from {launch.name} and per "
                                   "city it reaches; colour: the radar tracking each stretch",
                           "entries": [["#444444", f"{mm.id} ({mm.name}): {DASH_NAMES[dashes[mm.id]]}"]
                                       for mm, _ in per_class]})

    sites = folium.FeatureGroup(name="layer", control=False)
    for rid in radar_ids:
        mk = _site_marker(m, sc.radars[rid], colour[rid], radius=8)
        mk.add_to(sites)
        d.popup(mk, sc.radars[rid].name, _radar_rows(sc.radars[rid], arch.views[rid].max_range_m),
                tooltip=sc.radars[rid].name)
    for it in sc.interceptors.values():
        rows = [("class", it.interceptor_class), ("count", it.count),
                ("burnout speed", f"{it.burnout_speed_mps:,.0f} m/s"),
                ("altitude window",
                 f"{it.min_intercept_altitude_m / 1000:.0f}–{it.max_intercept_altitude_m / 1000:.0f} km"),
                ("max range", f"{it.max_range_m / 1000:,.0f} km"), ("commit delay", f"{it.commit_delay_s:.0f} s"),
                ("confidence", it.confidence), ("source", it.source)]
        mk = _site_marker(m, it, "#000000", radius=6)
        mk.add_to(sites)
        d.popup(mk, it.name, rows, tooltip=it.name)
    mk = _site_marker(m, launch, "#ff00ff", radius=7)
    mk.add_to(sites)
    d.popup(mk, launch.name, [("kind", "launch site"), ("source", launch.source)], tooltip=f"launch: {launch.name}")
    d.add_layer(m, sites, "Sites", "Radar and interceptor sites", "Threat")
    for alt, keys in by_alt.items() if len(radar_ids) > 1 else ():
        d.add_toggle(f"all radars at {alt}", "Coverage by altitude", keys)

    entries = [(colour[rid], f"radar {sc.radars[rid].name}") for rid in radar_ids]
    entries += [(UNTRACKED, "trajectory not tracked")]
    entries += [(BAND_COLOURS[i], f"battle space {lo:.0f}–{hi:.0f} s" if np.isfinite(hi) else f"battle space ≥ {lo:.0f} s")
                for i, (lo, hi) in enumerate(BANDS_S)]
    entries += [("#1a9850", "city defended"), ("#d73027", "city not defended"), ("#ffffff", "city out of reach")]
    if getattr(sc, "sectors", None):  # sectoral defence: territories and the responsible side per city
        _sector_layers(m, sc, lid, list(sc.launch_sites) + ([lid] if lid not in sc.launch_sites else []),
                       [flights.cities[i] for i in inside], fp)
    _legend(m, entries, sc.title)
    _finish(m)
    return m


# ---------------------------------------------------------------------------------------
# sectoral defence: the sides' territories and the side responsible for each city

#: Colours of the sides of a sectoral scenario, in the order of its ``[sectors]`` table.
SIDE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02")
#: A city whose flight overflies no sector country (after boost).
NO_SIDE = "#777777"


def city_responsibility(scenario, launches: Iterable[str], cities) -> list[dict]:
    """Which countries each class of the scenario's threat set overflies on its way to each
    city, and which side of its ``[sectors]`` is responsible: the ``overflown`` and
    ``responsible_side`` keys of ``geocover engage --json`` (per entry of its ``classes``;
    :func:`geocover.sectors.engage_keys`), for many cities.

    Every class launched from each launch site (:meth:`~geocover.scenario.Scenario.missiles_for`)
    is aimed as ``engage`` aims it (minimum energy on the rotating Earth,
    :func:`geocover.trajectory.aim_missile`); its ground track after boost is tested against
    the country outlines (:func:`geocover.sectors.overflights`) and the scenario's rule picks
    the side (:func:`geocover.sectors.responsible_side`).

    Returns
    -------
    list of dict
        Launch-major, then the set's class order, then ``cities``: ``launch``, ``missile``
        (class id), ``target`` (ids), ``reachable``, ``overflown`` (ISO 3166 alpha-3 codes
        in order of first overflight; empty where the flight does not exist) and
        ``responsible_side`` (None without ``[sectors]`` or when no sector country is
        overflown).
    """
    from .sectors import overflights, responsible_side
    from .trajectory import aim_missile

    cities = list(cities)
    if not cities:
        return []
    lat = np.array([c.lat_deg for c in cities], float)
    lon = np.array([c.lon_deg for c in cities], float)
    out = []
    for lid in launches:
        site = scenario.catalog.launch_site(lid)
        for missile in scenario.missiles_for(lid):
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                traj, ok = aim_missile(missile, site.lat_deg, site.lon_deg, lat, lon, errors="mask")
            passes = overflights(traj)  # empty for a flight that does not exist (NaN flight time)
            for i, c in enumerate(cities):
                side = (responsible_side(passes[i], scenario.sectors, scenario.sector_rule)
                        if scenario.sectors and passes[i] else None)
                out.append({"launch": lid, "missile": missile.id, "target": c.id, "reachable": bool(ok[i]),
                            "overflown": [p.code for p in passes[i]], "responsible_side": side})
    return out


def ring_side(rows: list[dict]) -> tuple[str | None, bool]:
    """The side a city's ring shows for one launch site (:data:`RING_RULE`): ``rows`` are
    :func:`city_responsibility`'s rows of that (launch, city), one per class. Returns
    (side or None, mixed): ``mixed`` when the classes counted name different sides (no side
    counting as one)."""
    counted = [r for r in rows if r["reachable"]] or list(rows)
    sides = list(dict.fromkeys(r["responsible_side"] for r in counted))
    return (sides[0] if len(sides) == 1 else None), len(sides) > 1


#: How a city's ring is coloured when the classes of a threat set disagree.
RING_RULE = ("the side responsible for every class of the threat set launched from the site that reaches the city "
             "(every class when none reaches it); where those classes make different sides responsible (or some "
             "no side), the ring is black and dashed ('sides differ by class'), and its popup lists each class")
#: Colour of the ring of a city for which the classes of the set make different sides responsible.
MIXED_SIDE = "#000000"


def _sector_territory(codes: Iterable[str]):
    """Union of the bundled 1:50m country outlines with these ISO alpha-3 codes."""
    import shapely

    from .sectors import sector_outlines

    all_codes, _, geoms, _ = sector_outlines()
    want = set(codes)
    parts = [g for c, g in zip(all_codes, geoms, strict=True) if c in want]
    return shapely.union_all([shapely.make_valid(g) for g in parts]) if parts else None


def _sector_layers(m, sc, launch_id: str, launches: list[str], cities, fp) -> None:
    """The sectors of a sectoral scenario on its map: each side's territory (coloured), a
    ring round each city in the side's colour (responsibility for the threat set's classes
    from ``launch_id``, :func:`ring_side`: black and dashed where the classes disagree; the
    popup lists every (launch site of ``launches``, class) pair), the area each side would
    answer for against each class from ``launch_id`` (hidden;
    :func:`geocover.sectors.responsibility_features` on the footprint's grid) and a legend
    section. Every text goes through the data block."""
    import folium

    from .sectors import responsibility_features

    d = m._geocover
    sides = list(sc.sectors)
    colour = {s: SIDE_COLOURS[i % len(SIDE_COLOURS)] for i, s in enumerate(sides)}
    names = {lid: sc.catalog.launch_site(lid).name for lid in launches}
    rule = "first country overflown after boost" if sc.sector_rule == "first" else \
        "country overflown longest after boost"
    overlay = {"kind": "responsibility", "rule": sc.sector_rule, "missile": sc.missile.id,
               "missiles": [mm.id for mm in sc.missiles_for(launch_id)], "launch": launch_id,
               "ring_rule": RING_RULE, "sides": [], "cities": [], "rings": []}
    terr = folium.FeatureGroup(name="layer", control=False)
    for s in sides:
        geom = _sector_territory(sc.sectors[s])
        entry = {"side": s, "countries": list(sc.sectors[s]), "colour": colour[s], "el": None}
        if geom is not None and not geom.is_empty:
            gj = _geojson(m, geom, {"color": colour[s], "weight": 1.5, "fillColor": colour[s], "fillOpacity": 0.12},
                          fit=False, tolerance_deg=0.05, precision=2)  # 1:50m outlines of whole continents: ~5 km
            gj.add_to(terr)
            d.tooltip(gj, f"sector {s}: {len(sc.sectors[s])} countries")
            entry["el"] = gj.get_name()
        overlay["sides"].append(entry)
    d.add_layer(m, terr, "Sector territories", "Sector territories (each side's countries)", "Sectors")

    rows = city_responsibility(sc, launches, cities)
    by_city: dict[str, list[dict]] = {}
    for r in rows:
        by_city.setdefault(r["target"], []).append(r)
    several = any(len(sc.missiles_for(lid)) > 1 for lid in launches)
    mname = {mm.id: mm.name for lid in launches for mm in sc.missiles_for(lid)}
    rings = folium.FeatureGroup(name="layer", control=False)
    for c in cities:
        mine = by_city[c.id]
        shown = [r for r in mine if r["launch"] == launch_id]
        side, mixed = ring_side(shown)
        lon = c.lon_deg + _shift(c.lon_deg, d.lon0)
        ring = folium.CircleMarker([c.lat_deg, lon], radius=10, weight=3, fill=False, opacity=0.95,
                                   color=MIXED_SIDE if mixed else colour[side] if side else NO_SIDE,
                                   dash_array="6 3" if mixed else None if side else "3 3")
        ring.add_to(rings)
        popup = [("rule", rule), ("threat" if len(mname) == 1 else "threat set", ", ".join(mname.values()))]
        if several:
            popup.append(("ring", "sides differ by missile class" if mixed else
                          f"{side} responsible for every class that counts" if side else
                          "no side for any class that counts"))
        for r in mine:
            where = " → ".join(r["overflown"]) or "no country"
            what = ("out of reach" if not r["reachable"] else
                    f"{r['responsible_side']} (overflies {where})" if r["responsible_side"] else
                    f"no side (overflies {where})")
            popup.append((f"from {names[r['launch']]}" + (f", {mname[r['missile']]}" if several else ""), what))
        d.popup(ring, f"{c.name}: responsible side", popup,
                tooltip=f"{c.name}: " + ("sides differ by missile class" if mixed else
                                         f"{side or 'no side'} responsible") + f" vs {names[launch_id]}")
        overlay["cities"] += [{**r, "el": ring.get_name()} for r in mine]
        overlay["rings"].append({"target": c.id, "launch": launch_id, "el": ring.get_name(), "side": side,
                                 "mixed": mixed})
    d.add_layer(m, rings, "Responsibility", f"Responsible side per city vs {names[launch_id]} (ring)", "Sectors")

    nrow, ncol = fp.battle_space_s[next(iter(fp.battle_space_s))].shape
    area = folium.FeatureGroup(name="layer", control=False)
    for geom, props in responsibility_features(sc, [launch_id], fp.west_deg, fp.north_deg, fp.resolution_deg,
                                               (nrow, ncol)):
        gj = _geojson(m, geom, {"color": colour[props["side"]], "weight": 0, "fillColor": colour[props["side"]],
                                "fillOpacity": 0.35}, fit=False)
        gj.add_to(area)
        d.tooltip(gj, f"targets here: {props['side']} responsible vs {names[launch_id]}"
                      + (f", {mname[props['missile']]}" if several else "") + f" ({props['resolution_deg']:g}° cells)")
    d.add_layer(m, area, "Responsibility area", f"Responsible side per target area vs {names[launch_id]}", "Sectors",
                show=False)
    d.overlays.append(overlay)
    set_note = ("; with several missile classes: the side responsible for every class launched there that "
                "reaches the city (every class when none does), dashed black where the classes make different "
                "sides responsible (the popup lists each class)") if several else ""
    d.sections.append({"title": f"Sectoral defence (rule: {rule})",
                       "note": f"ring round a city: the side responsible for a threat from {names[launch_id]} to "
                               f"it; dashed grey: its flight overflies no sector country{set_note}",
                       "entries": [[colour[s], f"sector {s}"] for s in sides] + [[NO_SIDE, "no side"]]
                       + ([[MIXED_SIDE, "sides differ by missile class"]] if several else [])})


# ---------------------------------------------------------------------------------------
# P(defended) over the parameter sets of a robustness run

#: Class edges of the P(defended) layer: 0 and 1 exactly, and ``lo <= p < hi`` between them.
P_DEFENDED_EDGES = (0.05, 0.5, 0.95)
#: Colours of its six classes, never to always defended (ColorBrewer RdYlGn, 6 classes).
P_DEFENDED_COLOURS = ("#d73027", "#fc8d59", "#fee08b", "#d9ef8b", "#91cf60", "#1a9850")
P_DEFENDED_LABELS = ("0 % (never defended)", "0–5 %", "5–50 %", "50–95 %", "95–<100 %",
                     "100 % (defended in every set)")
#: Class value of a cell no parameter set reaches (NaN): not drawn.
P_NONE = 255


def p_defended_classes(p) -> np.ndarray:
    """The class (0-5, :data:`P_DEFENDED_LABELS`) of each P(defended) value: 0 for p = 0, 5
    for p = 1, else the interval of :data:`P_DEFENDED_EDGES` (``lo <= p < hi``) it is in;
    :data:`P_NONE` for NaN.

    The edges are compared at the values' own precision: in a float32 raster (the
    GeoTIFFs of ``geocover robustness``) 19/20 is stored as float32(0.95) = 0.94999999, and
    is in the 95 % class as the exact share is (a share below an edge rounds to it only
    with millions of sets)."""
    p = np.asarray(p)
    if p.dtype not in (np.float32, np.float64):
        p = p.astype(np.float64)
    out = np.full(p.shape, P_NONE, np.uint8)
    ok = np.isfinite(p)
    out[ok] = 1 + np.searchsorted(np.asarray(P_DEFENDED_EDGES, dtype=p.dtype), p[ok], side="right")
    out[ok & (p <= 0.0)] = 0
    out[ok & (p >= 1.0)] = 5
    return out


def add_p_defended_layer(m, grids, *, west_deg: float, north_deg: float, resolution_deg: float, n_sets: int,
                         labels=None, shown: str | None = None, note: str = "", hide_footprint: bool = True):
    """Add P(defended) rasters of a robustness run to a map of this module, as polygons of
    six graded classes (0, under 5 %, 5-50 %, 50-95 %, 95 % to under 100 %, 100 %) with a
    legend section saying what the share means and over how many parameter sets.

    Parameters
    ----------
    m : folium.Map
        A map built by this module (e.g. :func:`scenario_map`).
    grids : mapping of str to ndarray
        Per launch id (and ``"all"``), the (rows, cols) share 0-1 of the parameter sets in
        which each cell is defended, among those that reach it; NaN where none reaches it
        (not drawn). Row 0 is the northern edge (``p_defended_<launch>.tif`` of
        ``geocover robustness``).
    west_deg, north_deg, resolution_deg : float
        The grid's north-west corner and cell size, degrees.
    n_sets : int
        Parameter sets of the run (for the legend).
    labels : mapping of str to str, optional
        Text for each grid in the layer control [default: the key].
    shown : str, optional
        The grid shown at first [default: ``"all"`` if given, else the first]; the others
        can be switched on in the layer control (group "Robustness").
    note : str
        Appended to the legend's note (e.g. the method and seed).
    hide_footprint : bool
        Hide the map's deterministic footprint layers at first (they sit under this one).

    Returns
    -------
    folium.Map
        ``m``, finished again (its data block and view include the new layers).

    Raises
    ------
    ValueError
        An empty ``grids``, a grid that is not 2-D, values outside [0, 1], or ``n_sets`` < 1.
    """
    import shapely
    from folium import FeatureGroup
    from rasterio.transform import from_origin

    from .gis import mask_polygons

    grids = dict(grids)
    if not grids:
        raise ValueError("no P(defended) grid to draw")
    if int(n_sets) < 1:
        raise ValueError(f"n_sets must be at least 1, got {n_sets}")
    labels = dict(labels or {})
    shown = shown if shown is not None else ("all" if "all" in grids else next(iter(grids)))
    d = m._geocover
    transform = from_origin(float(west_deg), float(north_deg), float(resolution_deg), float(resolution_deg))
    overlay = {"kind": "p_defended", "sets": int(n_sets), "west_deg": float(west_deg), "north_deg": float(north_deg),
               "resolution_deg": float(resolution_deg), "edges": list(P_DEFENDED_EDGES), "grids": []}
    for name, values in grids.items():
        p = np.asarray(values)
        if p.ndim != 2:
            raise ValueError(f"P(defended) grid {name!r} must be 2-D, got shape {p.shape}")
        if np.any(np.isfinite(p) & ((p < 0) | (p > 1))):
            raise ValueError(f"P(defended) grid {name!r} has values outside [0, 1]")
        cls = p_defended_classes(p)
        fg = FeatureGroup(name="layer", control=False)
        entry = {"name": str(name), "layer": f"P(defended) {name}", "classes": []}
        for k in range(len(P_DEFENDED_LABELS)):
            mask = cls == k
            if not mask.any():
                continue
            polys = mask_polygons(mask, transform)
            geom = shapely.union_all(polys)
            gj = _geojson(m, geom, {"color": P_DEFENDED_COLOURS[k], "weight": 0, "fillColor": P_DEFENDED_COLOURS[k],
                                    "fillOpacity": 0.6}, fit=False, tolerance_deg=None, precision=6)
            gj.add_to(fg)
            d.tooltip(gj, f"P(defended) {P_DEFENDED_LABELS[k]}: share of the {int(n_sets)} parameter sets in "
                          f"which a target here is defended, among those that reach it (vs {labels.get(name, name)})")
            entry["classes"].append({"class": k, "label": P_DEFENDED_LABELS[k], "el": gj.get_name(),
                                     "cells": int(mask.sum())})
        if name == shown:
            d.extend(*_shift_geom(shapely.box(west_deg, north_deg - p.shape[0] * resolution_deg,
                                              west_deg + p.shape[1] * resolution_deg, north_deg), d.lon0).bounds)
        d.add_layer(m, fg, f"P(defended) {name}", f"P(defended) vs {labels.get(name, name)}", "Robustness",
                    show=name == shown)
        overlay["grids"].append(entry)
    if hide_footprint:
        for key, el in d.layers.items():
            if key == "Footprint" or key.startswith("Footprint "):
                m._children[el].show = False
                for g in d.groups.values():
                    for e in g:
                        if e["layers"] == [el]:
                            e["show"] = False
    d.overlays.append(overlay)
    d.groups = {"Robustness": d.groups.pop("Robustness"), **d.groups}  # first in the layer control
    d.sections.append({
        "title": f"P(defended) over {int(n_sets)} parameter sets",
        "note": (f"share of the {int(n_sets)} parameter sets drawn from the scenario's uncertain ranges in which a "
                 "target in the cell is defended, among the sets in which the threat reaches it; blank: no set "
                 "reaches it" + (f"; {note}" if note else "")),
        "entries": [[c, t] for c, t in zip(P_DEFENDED_COLOURS, P_DEFENDED_LABELS, strict=True)]})
    _finish(m)
    return m


def read_p_defended(folder, *, scenario_id: str | None = None) -> dict:
    """Read and check the ``p_defended_*.tif`` rasters of a ``geocover robustness --out``
    folder, for :func:`add_p_defended_layer`.

    Parameters
    ----------
    folder : str or Path
        The output folder of an earlier robustness run.
    scenario_id : str, optional
        Refuse rasters computed for another scenario (their ``scenario`` tag).

    Returns
    -------
    dict
        ``grids`` (name -> float array, ``"all"`` first, then each launch id in file-name
        order), ``west_deg``, ``north_deg``, ``resolution_deg``, ``n_sets`` (the ``sets``
        tag), ``method``, ``seed``, ``scenario``, ``files`` (name -> path).

    Raises
    ------
    InputError
        Not a folder; ``p_defended_all.tif`` missing; a raster that GDAL cannot read, that is
        not one band on a north-up EPSG:4326 grid, holds values outside [0, 1], lacks the
        ``sets`` tag, is on another grid or has another ``sets``/``scenario`` than
        ``p_defended_all.tif``, or was computed for another scenario. Each message names
        the file.
    """
    import rasterio
    from rasterio.errors import RasterioError

    from .errors import InputError

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder (give the --out folder of an earlier geocover robustness run)")
    first = folder / "p_defended_all.tif"
    if not first.is_file():
        raise InputError(f"{first}: missing: {folder} is not the output folder of geocover robustness "
                         "(it writes p_defended_all.tif and p_defended_<launch>.tif)")
    paths = [first] + sorted(p for p in folder.glob("p_defended_*.tif") if p != first)
    out: dict = {"grids": {}, "files": {}}
    ref = None
    for path in paths:
        name = path.name[len("p_defended_"):-len(".tif")]
        try:
            with rasterio.open(path) as ds:
                if ds.count != 1:
                    raise InputError(f"{path}: has {ds.count} bands, a P(defended) raster has one")
                if ds.crs is None or ds.crs.to_epsg() != 4326:
                    raise InputError(f"{path}: not on EPSG:4326 longitude/latitude (CRS {ds.crs})")
                t = ds.transform
                if t.b != 0 or t.d != 0 or t.a <= 0 or not np.isclose(t.a, -t.e, rtol=1e-9, atol=0):
                    raise InputError(f"{path}: not a north-up grid of square cells (geotransform {tuple(t)[:6]})")
                values = ds.read(1, masked=False)  # float32 as written (p_defended_classes: its precision)
                values = values.astype(values.dtype if values.dtype in (np.float32, np.float64) else np.float64)
                if ds.nodata is not None and np.isfinite(ds.nodata):
                    values[values == ds.nodata] = np.nan
                tags = ds.tags()
                grid = (ds.shape, tuple(round(v, 9) for v in tuple(t)[:6]))
        except RasterioError as e:
            raise InputError(f"{path}: not a readable GeoTIFF ({e})") from None
        bad = np.isfinite(values) & ((values < 0) | (values > 1))
        if bad.any():
            raise InputError(f"{path}: {int(bad.sum())} cells outside [0, 1]: not a P(defended) raster")
        try:
            n_sets = int(tags["sets"])
            if n_sets < 1:
                raise ValueError
        except (KeyError, ValueError):
            raise InputError(f"{path}: tag 'sets' (number of parameter sets) missing or not a positive whole "
                             f"number ({tags.get('sets')!r}): not written by geocover robustness") from None
        if ref is None:
            ref = {"grid": grid, "sets": n_sets, "scenario": tags.get("scenario"), "run": tags.get("run")}
            if scenario_id is not None and ref["scenario"] != scenario_id:
                raise InputError(f"{path}: computed for scenario {ref['scenario']!r}, not {scenario_id!r}")
            out.update(west_deg=float(t.c), north_deg=float(t.f), resolution_deg=float(t.a), n_sets=n_sets,
                       method=tags.get("method", ""), seed=tags.get("seed", ""), scenario=ref["scenario"])
        elif grid != ref["grid"] or n_sets != ref["sets"] or tags.get("scenario") != ref["scenario"]:
            raise InputError(f"{path}: another grid, set count or scenario than {first.name} (a mixed folder)")
        elif tags.get("run") != ref["run"]:  # same grid and sets: a launch raster of an earlier run
            raise InputError(f"{path}: written by another robustness run than {first.name} (an earlier run "
                             "with other launch sites, into the same folder): remove it or use a fresh --out")
        out["grids"][name] = values
        out["files"][name] = path
    return out


def p_defended_map(scenario, p: dict, *, launch_id: str | None = None, offline: bool = False, tiles: bool = False,
                   footprint_resolution_deg: float = 0.5, terrain: bool = True, model="crpl", run=None):
    """The scenario's map (:func:`scenario_map`) with the P(defended) layers of a robustness
    run on top (:func:`add_p_defended_layer`): ``p`` as :func:`read_p_defended` returns it
    (``grids``, ``west_deg``, ``north_deg``, ``resolution_deg``, ``n_sets``, optionally
    ``method`` and ``seed``). The deterministic layers beneath use the scenario's catalog
    values; the P(defended) layer is over the run's parameter sets."""
    from .errors import GeocoverError

    m = scenario_map(scenario, launch_id=launch_id, offline=offline, tiles=tiles, terrain=terrain, model=model,
                     footprint_resolution_deg=footprint_resolution_deg, run=run)
    labels = {}
    for name in p["grids"]:
        if name == "all":
            labels[name] = "all launch areas that reach the cell"
            continue
        try:
            labels[name] = scenario.catalog.launch_site(name).name
        except GeocoverError:  # a launch id the catalog does not know: its id is its label
            labels[name] = name
    note = ", ".join(f"{k} {p[k]}" for k in ("method", "seed") if p.get(k) not in (None, ""))
    return add_p_defended_layer(m, p["grids"], west_deg=p["west_deg"], north_deg=p["north_deg"],
                                resolution_deg=p["resolution_deg"], n_sets=p["n_sets"], labels=labels, note=note)
