"""Folium (Leaflet) HTML maps of geocover results.

Every user-supplied string that reaches the HTML (names, ids, notes) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

from .catalog import Radar
from .coverage import CoverageFeature
from .export import atomic_write_text, feature_collection

__all__ = ["coverage_map", "save_map"]

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
            "#17becf", "#7f7f7f", "#bcbd22")


def _radar_popup(r: Radar, max_range_m: float | None) -> str:
    rows = [("id", r.id), ("band", r.band),
            ("sector", "360°" if r.full_circle else
             f"{r.boresight_azimuth_deg:g}° ± {r.half_width_deg:g}°"),
            ("elevation", f"{r.min_elevation_deg:g}° to {r.max_elevation_deg:g}°"),
            ("antenna", f"{r.antenna_height_msl_m:,.0f} m MSL"),
            ("range", f"{(max_range_m or r.reference_range_m) / 1000:,.0f} km"),
            ("confidence", r.confidence), ("source", r.source)]
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<b>{html.escape(r.name)}</b><table>{body}</table>"


def coverage_map(radars: Iterable[Radar], features: Iterable[CoverageFeature], *,
                 k_features: Iterable[tuple] = (), title: str = "geocover coverage"):
    """A folium map: radar sites, coverage polygons per radar and altitude (one toggleable
    layer each), optional k-coverage layers, layer control and scale bar."""
    import folium

    radars = list(radars)
    features = list(features)
    m = folium.Map(location=[45.0, 30.0], zoom_start=4, tiles="OpenStreetMap", control_scale=True)
    m.get_root().header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"))
    colour = {r.id: _COLOURS[i % len(_COLOURS)] for i, r in enumerate(radars)}
    ranges = {f.properties["radar_id"]: f.properties.get("max_range_m") for f in features}
    sites = folium.FeatureGroup(name="Radar sites", show=True)
    for r in radars:
        folium.Marker([r.lat_deg, r.lon_deg], tooltip=html.escape(r.name),
                      popup=folium.Popup(_radar_popup(r, ranges.get(r.id)), max_width=360),
                      icon=folium.Icon(color="black", icon="signal")).add_to(sites)
    for f in features:
        if f.geometry.is_empty:
            continue
        p = f.properties
        rid = p["radar_id"]
        label = f"{rid} — {p['altitude_m'] / 1000:g} km ({p['rcs_m2']:g} m²)"
        fc = feature_collection([(f.geometry.simplify(0.01, preserve_topology=True), p)], precision=4)
        c = colour.get(rid, "#333333")
        folium.GeoJson(fc, name=html.escape(label), tooltip=html.escape(label),
                       style_function=lambda _f, c=c: {"color": c, "weight": 1.5, "fillOpacity": 0.12}
                       ).add_to(m)
    for geom, props in k_features:
        if geom.is_empty:
            continue
        label = f"≥{props['k']} radars — {props['altitude_m'] / 1000:g} km"
        fc = feature_collection([(geom.simplify(0.01, preserve_topology=True), props)], precision=4)
        folium.GeoJson(fc, name=html.escape(label), tooltip=html.escape(label), show=False,
                       style_function=lambda _f: {"color": "#000", "weight": 1, "fillOpacity": 0.25,
                                                  "dashArray": "4"}).add_to(m)
    sites.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def save_map(m, path: str | Path) -> Path:
    """Render a folium map to one HTML file, atomically."""
    return atomic_write_text(path, m.get_root().render())
