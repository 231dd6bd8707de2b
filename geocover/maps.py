"""Interactive folium (Leaflet) maps of geocover results, online or fully offline.

* Every user-supplied string that reaches the HTML (names, ids, notes, titles) is escaped.
* ``offline=True`` writes one self-contained file that makes no network request: no tile
  layer, Leaflet's JS/CSS inlined from the ``xstatic-leaflet`` package at render time (its
  images as data: URIs), and none of folium's other CDN assets (no jQuery, Bootstrap or icon
  fonts are needed: sites are circle markers, and the measure and fullscreen tools are small
  inline Leaflet controls).
* ``window.geocover = {map, layers}`` is exposed for scripting and for the browser tests.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from . import __version__
from .catalog import Radar, Site
from .coverage import CoverageFeature
from .export import atomic_write_text, feature_collection

__all__ = ["coverage_map", "render_html", "save_map", "scenario_map"]

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")
BAND_COLOURS = ("#fee08b", "#a6d96a", "#66bd63", "#1a9850")  # battle-space bands, short to long
UNTRACKED = "#9e9e9e"


def E(text: object) -> str:
    """Escape text for HTML that folium may also place inside a JS template literal:
    HTML-escape, and neutralise backslash, backtick and ``$`` (``${...}`` interpolation)."""
    return (html.escape(str(text), quote=True).replace("\\", "&#92;").replace("`", "&#96;")
            .replace("$", "&#36;"))



def _table(rows: Iterable[tuple[str, object]]) -> str:
    body = "".join(f"<tr><th style='text-align:left;padding-right:8px'>{E(str(k))}</th><td>{E(str(v))}</td></tr>"
                   for k, v in rows)
    return f"<table>{body}</table>"


def _radar_popup(r: Radar, max_range_m: float | None = None) -> str:
    rows = [("id", r.id), ("band", r.band),
            ("sector", "360°" if r.full_circle else f"{r.boresight_azimuth_deg:g}° ± {r.half_width_deg:g}°"),
            ("elevation", f"{r.min_elevation_deg:g}° to {r.max_elevation_deg:g}°"),
            ("antenna", f"{r.antenna_height_msl_m:,.0f} m MSL"),
            ("range", f"{(max_range_m or r.reference_range_m) / 1000:,.0f} km"),
            ("searches on its own", "yes" if r.can_search else "no (needs a cue)"),
            ("confidence", r.confidence), ("source", r.source)]
    return f"<b>{E(r.name)}</b>{_table(rows)}"


def _base_map(title: str, *, offline: bool, location=(46.0, 25.0), zoom: int = 4):
    import folium

    m = folium.Map(location=list(location), zoom_start=zoom, tiles=None if offline else "OpenStreetMap",
                   control_scale=True, prefer_canvas=False)
    m.get_root().header.add_child(folium.Element(f"<title>{E(title)}</title>"))
    m.get_root().html.add_child(folium.Element(
        "<div style='position:fixed;top:10px;left:50px;z-index:1000;background:white;padding:4px 8px;"
        f"border-radius:4px;font:14px sans-serif;box-shadow:0 0 4px #888'>{E(title)}</div>"))
    return m


def _countries_layer(m, offline: bool):
    import folium

    from ._paths import data_path

    doc = json.loads(data_path("countries", "world_countries_ne110m.geojson").read_text())
    fg = folium.FeatureGroup(name="Countries", show=True)
    folium.GeoJson(doc, style_function=lambda _f: {"color": "#555", "weight": 0.6, "fill": offline,
                                                   "fillColor": "#f2efe9", "fillOpacity": 1.0 if offline else 0},
                   ).add_to(fg)
    fg.add_to(m)
    return fg


def _geojson(geom, props, style: dict, tooltip: str):
    import folium

    fc = feature_collection([(geom.simplify(0.02, preserve_topology=True), props)], precision=3)
    return folium.GeoJson(fc, style_function=lambda _f, s=style: s, tooltip=E(tooltip))


def _site_marker(site: Site, colour: str, popup_html: str, radius: int = 6):
    import folium

    return folium.CircleMarker([site.lat_deg, site.lon_deg], radius=radius, color="#000", weight=1,
                               fill=True, fill_color=colour, fill_opacity=0.9, tooltip=E(site.name),
                               popup=folium.Popup(popup_html, max_width=380))


def _legend(entries: list[tuple[str, str]], title: str):
    import folium

    items = "".join(f"<div><span style='display:inline-block;width:12px;height:12px;background:{c};"
                    f"margin-right:6px;border:1px solid #333'></span>{E(label)}</div>" for c, label in entries)
    return folium.Element(
        "<div id='geocover-legend' style='position:fixed;bottom:30px;right:10px;z-index:1000;background:white;"
        "padding:6px 10px;border-radius:4px;font:12px sans-serif;box-shadow:0 0 4px #888;max-width:260px'>"
        f"<b>{E(title)}</b>{items}<div style='color:#666;margin-top:4px'>geocover {E(__version__)}</div></div>")


_TOOLS_JS = """
document.addEventListener('DOMContentLoaded', function(){
  var map = %(map)s;
  var layers = %(layers)s;
  window.geocover = {map: map, layers: {}};
  Object.keys(layers).forEach(function(k){ window.geocover.layers[k] = window[layers[k]]; });
  var Full = L.Control.extend({options:{position:'topleft'}, onAdd:function(){
    var b = L.DomUtil.create('a','leaflet-bar geocover-fullscreen'); b.href='#'; b.title='Fullscreen';
    b.innerHTML='&#x25A1;'; b.style.cssText='display:block;width:30px;height:30px;line-height:30px;'
      + 'text-align:center;background:#fff;font-size:18px;text-decoration:none;color:#000';
    L.DomEvent.on(b,'click',function(e){ L.DomEvent.preventDefault(e); var c=map.getContainer();
      if(document.fullscreenElement){document.exitFullscreen();} else if(c.requestFullscreen){c.requestFullscreen();}});
    return b; }});
  var Measure = L.Control.extend({options:{position:'topleft'}, onAdd:function(){
    var b = L.DomUtil.create('a','leaflet-bar geocover-measure'); b.href='#'; b.title='Measure distance (great circle)';
    b.innerHTML='&#x2194;'; b.style.cssText='display:block;width:30px;height:30px;line-height:30px;'
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


def _finish(m, layers: dict[str, object], legend=None) -> None:
    import folium

    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().header.add_child(folium.Element(
        "<style>.leaflet-control-layers-expanded{max-height:55vh;overflow-y:auto;font:11px sans-serif}</style>"))
    if legend is not None:
        m.get_root().html.add_child(legend)
    js = _TOOLS_JS % {"map": m.get_name(), "layers": json.dumps({k: v.get_name() for k, v in layers.items()})}
    m.get_root().script.add_child(folium.Element(js))


def render_html(m, *, offline: bool = False) -> str:
    """The map as one HTML document; with ``offline`` every external asset is removed or
    inlined, so opening it makes no network request."""
    if offline:  # no tiles offline: drop any tile layer the map was built with
        from folium.raster_layers import TileLayer

        for key in [k for k, child in m._children.items() if isinstance(child, TileLayer)]:
            del m._children[key]
    text = m.get_root().render()
    if not offline:
        return text
    import xstatic.pkg.jquery as xjquery
    import xstatic.pkg.leaflet as xleaflet

    base = Path(xleaflet.BASE_DIR)
    jquery = (Path(xjquery.BASE_DIR) / "jquery.min.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    jquery = re.sub(r"//# sourceMappingURL=\S+", "", jquery)
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        img = base / match.group(1)
        return f"url(data:image/png;base64,{base64.b64encode(img.read_bytes()).decode()})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    js = (base / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if re.match(r"<script\s+src=\"https?://", stripped):
            if "leaflet.js" in stripped and "leaflet@" in stripped:
                out.append(f"<script>{js}</script>")
            elif re.search(r"jquery[-.\d]*(\.min)?\.js", stripped):
                out.append(f"<script>{jquery}</script>")  # folium's popups build their HTML with $()
            continue
        if re.match(r"<link\s+rel=\"stylesheet\"\s+href=\"https?://", stripped):
            if "leaflet.css" in stripped and "leaflet@" in stripped:
                out.append(f"<style>{css}</style>")
            continue
        out.append(line)
    text = "\n".join(out)
    leftover = re.findall(r"src=\"(https?://[^\"]+)\"", text) + re.findall(r"<link[^>]+href=\"(https?://[^\"]+)\"", text)
    if leftover:
        raise RuntimeError(f"offline map still references {leftover[:3]}")
    return text


def save_map(m, path: str | Path, *, offline: bool = False) -> Path:
    """Render a folium map to one HTML file, atomically."""
    return atomic_write_text(path, render_html(m, offline=offline))


def coverage_map(radars: Iterable[Radar], features: Iterable[CoverageFeature], *,
                 k_features: Iterable[tuple] = (), title: str = "geocover coverage", offline: bool = False):
    """Radar sites and coverage polygons per radar and altitude (one toggleable layer each),
    optional k-coverage layers."""
    import folium

    radars, features = list(radars), list(features)
    m = _base_map(title, offline=offline)
    layers = {"Countries": _countries_layer(m, offline)}
    colour = {r.id: COLOURS[i % len(COLOURS)] for i, r in enumerate(radars)}
    ranges = {f.properties["radar_id"]: f.properties.get("max_range_m") for f in features}
    for f in features:
        if f.geometry.is_empty:
            continue
        p = f.properties
        label = f"{p['radar_id']} — {p['altitude_m'] / 1000:g} km ({p['rcs_m2']:g} m²)"
        fg = folium.FeatureGroup(name=E(label), show=True)
        c = colour.get(p["radar_id"], "#333")
        _geojson(f.geometry, p, {"color": c, "weight": 1.5, "fillOpacity": 0.12}, label).add_to(fg)
        fg.add_to(m)
        layers[label] = fg
    for geom, props in k_features:
        if geom.is_empty:
            continue
        label = f"≥{props['k']} radars — {props['altitude_m'] / 1000:g} km"
        fg = folium.FeatureGroup(name=E(label), show=False)
        _geojson(geom, props, {"color": "#000", "weight": 1, "fillOpacity": 0.25, "dashArray": "4"}, label).add_to(fg)
        fg.add_to(m)
        layers[label] = fg
    sites = folium.FeatureGroup(name="Radar sites", show=True)
    for r in radars:
        _site_marker(r, colour[r.id], _radar_popup(r, ranges.get(r.id))).add_to(sites)
    sites.add_to(m)
    layers["Radar sites"] = sites
    _finish(m, layers, _legend([(colour[r.id], r.name) for r in radars], "Radars"))
    return m


def scenario_map(scenario, *, altitudes_m=(100e3, 300e3, 1000e3), launch_id: str | None = None,
                 terrain: bool = True, footprint_resolution_deg: float = 0.5, offline: bool = False,
                 model="4/3"):
    """The whole story of one scenario on one map: radars with sector wedges, coverage at
    each altitude and the terrain horizon; launch sites; target cities with their
    engagement results; trajectories coloured by the radar that tracks them; the defended
    footprint as bands of battle space; legend, layer control, scale bar, measure and
    fullscreen tools."""
    import folium

    from .coverage import coverage_at_altitudes
    from .footprint import BANDS_S, Architecture, footprint, footprint_polygons
    from .geodesy import geodesic_sector
    from .radar import RadarView
    from .trajectory import aim_missile

    sc = scenario
    arch = Architecture(sc, model=model)
    lid = launch_id or sc.launch_sites[0]
    launch = sc.catalog.launch_site(lid)
    m = _base_map(f"{sc.title} — threat from {launch.name}", offline=offline)
    layers = {"Countries": _countries_layer(m, offline)}
    radar_ids = list(sc.radars)
    colour = {rid: COLOURS[i % len(COLOURS)] for i, rid in enumerate(radar_ids)}

    # footprint bands (bottom-most data layer)
    fp = footprint(arch, [lid], resolution_deg=footprint_resolution_deg)
    polys = footprint_polygons(fp.battle_space_s[lid], fp.west_deg, fp.north_deg, fp.resolution_deg,
                               {"scenario": sc.id, "launch": lid})
    fg = folium.FeatureGroup(name=f"Defended footprint vs {E(launch.name)} (battle space)", show=True)
    for geom, props in polys:
        if props["layer"] != "battle_space_band" or geom.is_empty:
            continue
        i = [lo for lo, _ in BANDS_S].index(props["battle_space_min_s"])
        hi = props["battle_space_max_s"]
        label = f"battle space {props['battle_space_min_s']:.0f}–{hi:.0f} s" if hi else \
            f"battle space ≥ {props['battle_space_min_s']:.0f} s"
        _geojson(geom, props, {"color": BAND_COLOURS[i], "weight": 0, "fillColor": BAND_COLOURS[i],
                               "fillOpacity": 0.45}, label).add_to(fg)
    fg.add_to(m)
    layers["Footprint"] = fg

    # coverage at each altitude and sector wedges
    for rid in radar_ids:
        r = sc.radars[rid]
        view = arch.views[rid]
        wedge_fg = folium.FeatureGroup(name=f"{E(rid)}: sector", show=False)
        span = (0.0, 360.0) if r.full_circle else (r.boresight_azimuth_deg - r.half_width_deg,
                                                   r.boresight_azimuth_deg + r.half_width_deg)
        wedge = geodesic_sector(r.lat_deg, r.lon_deg, min(view.max_range_m, 9.0e6), *span, n=180)
        _geojson(wedge, {"radar_id": rid}, {"color": colour[rid], "weight": 1, "dashArray": "6",
                                            "fillOpacity": 0.03}, f"{rid} sector, {view.max_range_m / 1000:,.0f} km"
                 ).add_to(wedge_fg)
        wedge_fg.add_to(m)
        layers[f"{rid}: sector"] = wedge_fg
        for f in coverage_at_altitudes(view, altitudes_m):
            if f.geometry.is_empty:
                continue
            label = f"{rid}: coverage at {f.properties['altitude_m'] / 1000:g} km"
            cfg = folium.FeatureGroup(name=E(label), show=f.properties["altitude_m"] == altitudes_m[1 if len(
                altitudes_m) > 1 else 0])
            _geojson(f.geometry, f.properties, {"color": colour[rid], "weight": 1.5, "fillOpacity": 0.08},
                     label).add_to(cfg)
            cfg.add_to(m)
            layers[label] = cfg
        if terrain:
            tv = RadarView(r, model=model, terrain=True)
            low = r.antenna_height_msl_m + 1000.0
            feats = coverage_at_altitudes(tv, [low])
            if not feats[0].geometry.is_empty:
                label = f"{rid}: terrain horizon (targets at {low / 1000:.1f} km MSL)"
                tfg = folium.FeatureGroup(name=E(label), show=False)
                _geojson(feats[0].geometry, feats[0].properties, {"color": colour[rid], "weight": 2,
                                                                   "dashArray": "2 4", "fillOpacity": 0.0},
                         label).add_to(tfg)
                tfg.add_to(m)
                layers[label] = tfg

    # target cities: engagement results against the launch site
    cities = [c for c in sc.catalog.sites("target")
              if fp.west_deg <= c.lon_deg <= fp.west_deg + fp.battle_space_s[lid].shape[1] * fp.resolution_deg
              and fp.north_deg - fp.battle_space_s[lid].shape[0] * fp.resolution_deg <= c.lat_deg <= fp.north_deg]
    eng = arch.engage_points(launch.lat_deg, launch.lon_deg, [c.lat_deg for c in cities], [c.lon_deg for c in cities])
    tfg = folium.FeatureGroup(name="Targets", show=True)
    for i, c in enumerate(cities):
        r = eng.row(i)
        if not r["reachable"]:
            verdict, col = "out of reach", "#ffffff"
        elif r["defended"]:
            verdict, col = "defended", "#1a9850"
        else:
            verdict, col = "NOT defended", "#d73027"
        rows = [("threat", f"{sc.missile.name} from {launch.name}"), ("status", verdict)]
        if r["reachable"]:
            rows += [("battle space", f"{r['battle_space_s']:.0f} s"),
                     ("first detection", "never" if r["first_detection_t_s"] is None
                      else f"{r['first_detection_t_s']:.0f} s after launch"),
                     ("warning time", "none" if r["warning_time_s"] is None else f"{r['warning_time_s']:.0f} s"),
                     ("flight time", f"{r['flight_time_s']:.0f} s")]
            if r["defended"]:
                rows += [("first intercept", f"{r['earliest_t_s']:.0f} s, {r['earliest_altitude_m'] / 1000:.0f} km up"),
                         ("by", f"{r['interceptor']} guided by {r['radar']}"),
                         ("shoot-look-shoot", "yes" if r["shoot_look_shoot"] else "no")]
        _site_marker(c, col, f"<b>{E(c.name)}</b>{_table(rows)}", radius=5).add_to(tfg)
    tfg.add_to(m)
    layers["Targets"] = tfg

    # trajectories, coloured by the first radar of the scenario that tracks each stretch
    traj, ok = aim_missile(sc.missile, launch.lat_deg, launch.lon_deg, [c.lat_deg for c in cities],
                           [c.lon_deg for c in cities], errors="mask")
    s = traj.sample(60)
    trk_fg = folium.FeatureGroup(name=f"Trajectories from {E(launch.name)} (colour: tracking radar)", show=True)
    vis = {rid: arch.views[rid].visible_fast(s.lat_deg, s.lon_deg, s.altitude_m, s.rcs_m2) for rid in radar_ids}
    for i, c in enumerate(cities):
        if not ok[i]:
            continue
        owner = np.full(s.t_s.shape[1], "", dtype=object)
        for rid in radar_ids[::-1]:
            owner = np.where(vis[rid][i], rid, owner)
        lon = np.unwrap(s.lon_deg[i], period=360.0)
        start = 0
        for k in range(1, len(owner) + 1):
            if k == len(owner) or owner[k] != owner[start]:
                seg = list(zip(s.lat_deg[i][start:k + 1], lon[start:k + 1], strict=True))
                who = owner[start]
                col = colour.get(who, UNTRACKED)
                folium.PolyLine(seg, color=col, weight=3 if who else 2, opacity=0.9,
                                tooltip=E(f"{launch.name} → {c.name}: " + (f"tracked by {who}" if who else
                                                                         "not tracked"))).add_to(trk_fg)
                start = k
    trk_fg.add_to(m)
    layers["Trajectories"] = trk_fg

    sites = folium.FeatureGroup(name="Radar and interceptor sites", show=True)
    for rid in radar_ids:
        _site_marker(sc.radars[rid], colour[rid], _radar_popup(sc.radars[rid], arch.views[rid].max_range_m),
                     radius=8).add_to(sites)
    for it in sc.interceptors.values():
        rows = [("class", it.interceptor_class), ("count", it.count), ("burnout speed", f"{it.burnout_speed_mps:,.0f} m/s"),
                ("altitude window", f"{it.min_intercept_altitude_m / 1000:.0f}–{it.max_intercept_altitude_m / 1000:.0f} km"),
                ("max range", f"{it.max_range_m / 1000:,.0f} km"), ("commit delay", f"{it.commit_delay_s:.0f} s"),
                ("confidence", it.confidence), ("source", it.source)]
        _site_marker(it, "#000000", f"<b>{E(it.name)}</b>{_table(rows)}", radius=6).add_to(sites)
    folium.CircleMarker([launch.lat_deg, launch.lon_deg], radius=7, color="#000", fill=True, fill_color="#ff00ff",
                        fill_opacity=1, tooltip=E(f"launch: {launch.name}"),
                        popup=folium.Popup(f"<b>{E(launch.name)}</b>{_table([('kind', 'launch site'), ('source', launch.source)])}",
                                           max_width=300)).add_to(sites)
    sites.add_to(m)
    layers["Sites"] = sites
    entries = [(colour[rid], f"radar {rid}") for rid in radar_ids] + [(UNTRACKED, "trajectory not tracked")]
    entries += [(BAND_COLOURS[i], f"battle space {lo:.0f}–{hi:.0f} s" if np.isfinite(hi) else f"battle space ≥ {lo:.0f} s")
                for i, (lo, hi) in enumerate(BANDS_S)]
    entries += [("#1a9850", "city defended"), ("#d73027", "city not defended"), ("#ffffff", "city out of reach")]
    _finish(m, layers, _legend(entries, sc.title))
    return m
