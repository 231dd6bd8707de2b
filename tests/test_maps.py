"""Maps without a browser: default maps reference nothing external, ``--cdn``/``--tiles``
do, user strings are data (never template source), the map command and the gallery."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from click.testing import CliRunner

import geocover as gc
from geocover.cli.main import cli
from geocover.coverage import coverage_at_altitudes
from geocover.maps import E, coverage_map, json_for_html, render_html
from geocover.radar import RadarView

EXTERNAL = re.compile(r"<script[^>]+src=\"https?://|<link[^>]+href=\"https?://")
DATA = re.compile(r'<script type="application/json" id="geocover-data">(.*?)</script>', re.S)


def _small_map(**kw):
    r = gc.default_catalog().radar("gabala")
    return coverage_map([r], coverage_at_altitudes(RadarView(r), [300e3]), **kw)


def map_data(html: str) -> dict:
    """The JSON document of a map (the only place user text goes)."""
    (blob,) = DATA.findall(html)
    return json.loads(blob)


def test_default_map_is_self_contained():
    default = render_html(_small_map())
    cdn = render_html(_small_map(), cdn=True)
    tiles = render_html(_small_map(tiles=True))
    assert not EXTERNAL.search(default) and "tile.openstreetmap.org" not in default
    assert "L.map(" in default and "Leaflet" in default  # Leaflet inlined from xstatic
    assert EXTERNAL.search(cdn) and "unpkg.com" not in default
    # tiles: Leaflet still inlined, the tile URL is the only network address
    assert not EXTERNAL.search(tiles) and "tile.openstreetmap.org" in tiles
    assert "tile.openstreetmap.org" not in render_html(_small_map(tiles=True), offline=True)
    with pytest.raises(ValueError):
        render_html(_small_map(), offline=True, cdn=True)


@pytest.mark.parametrize("text", ["<img src=x onerror=alert(1)>", "`${alert(1)}`", "a\\`b", "</script><b>",
                                  "{{ 7*7 }}", "{% raw %}", "{# x #}", "\udc80"])
def test_escape_neutralises_html_template_literals_and_jinja(text):
    out = E(text)
    for bad in ("<", "`", "${", "\\", "{{", "{%", "{#", "\udc80"):
        assert bad not in out
    assert html_unescape(out) == text.replace("\udc80", "\ufffd")


def html_unescape(s: str) -> str:
    import html

    return html.unescape(s)


def test_json_for_html_round_trips_and_hides_markup():
    text = "</script><!-- {{ 7*7 }} {% x %} {# y #} \u2028\u2029 ' ` ${z} \\ \" & \udc80"
    blob = json_for_html({"name": text, "n": [1, 2.5]})
    for bad in ("<", ">", "{{", "{%", "{#", "\u2028", "\u2029", "`", "'"):
        assert bad not in blob
    assert blob.isascii()
    assert json.loads(blob) == {"name": text, "n": [1, 2.5]}


def test_names_reach_the_map_only_as_data():
    r = dataclasses.replace(gc.default_catalog().radar("gabala"), name="Radar {{ 7*7 }} <b>x</b>")
    html = render_html(coverage_map([r], coverage_at_altitudes(RadarView(r), [300e3]), title="T {% if 1 %}"))
    data = map_data(html)
    assert data["title"] == "T {% if 1 %}"
    assert "Radar {{ 7*7 }} <b>x</b>" in [e[1] for e in data["legend"]["entries"]]
    assert "Radar 49" not in html and "<b>x</b>" not in html
    (title,) = re.findall(r"<title>(.*?)</title>", html)
    assert title == "T &#123;% if 1 %&#125;"  # the static title: every special character an entity
    outside = re.sub(r"<title>.*?</title>", "", DATA.sub("", html))  # folium's part: no user text at all
    assert "7*7" not in outside and "if 1" not in outside


def test_map_opens_on_the_data_near_the_dateline():
    # Shemya (Cobra Dane), 52.72 N 174.09 E: the radar and its coverage must be in the
    # initial view, on one side of the antimeridian
    r = dataclasses.replace(gc.default_catalog().radar("gabala"), id="shemya", name="Shemya", lat_deg=52.72,
                            lon_deg=174.09, boresight_azimuth_deg=319.0, half_width_deg=60.0)
    html = render_html(coverage_map([r], coverage_at_altitudes(RadarView(r, terrain=False), [300e3])))
    *_, fit = re.findall(r"fitBounds\(\s*\[\[([-\d.]+),\s*([-\d.]+)\],\s*\[([-\d.]+),\s*([-\d.]+)\]\]", html)
    s, w, n, e = map(float, fit)
    assert s < 52.72 < n and w < 174.09 < e
    assert e - w < 180  # one continuous view, not the whole world


def test_map_command(tmp_path):
    out = tmp_path / "m.html"
    r = CliRunner().invoke(cli, ["map", "epaa-phase1-2011", "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert out.stat().st_size < 5_000_000 and not EXTERNAL.search(text)
    data = map_data(text)
    assert any(g["name"].startswith("Radar ") for g in data["groups"])
    assert any("label" in b for b in data["bind"])  # cities carry permanent labels
    r = CliRunner().invoke(cli, ["map", "epaa-phase1-2011", "-o", str(out), "--offline", "--tiles"])
    assert r.exit_code == 2 and "--offline" in r.output
    r = CliRunner().invoke(cli, ["map", "epaa-phase9"])
    assert r.exit_code == 2 and "did you mean" in r.output
    r = CliRunner().invoke(cli, ["map"])
    assert r.exit_code == 2 and "--all" in r.output


def test_map_of_a_scenario_without_target_cities(tmp_path):
    # a user catalog that replaces every target city by one far outside the footprint grid
    cat = gc.default_catalog()
    path = tmp_path / "cities.geojson"
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-120.0, -45.0]},
              "properties": {"id": c.id, "kind": "target", "name": c.name, "ground_height_msl_m": 0.0,
                             "source": "test", "confidence": "notional"}} for c in cat.sites("target")]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    out = tmp_path / "m.html"
    r = CliRunner().invoke(cli, ["map", "gabala-offer-2007", "-o", str(out), "--catalog", str(path)])
    assert r.exit_code == 0, r.output
    data = map_data(out.read_text())
    assert not any("label" in b for b in data["bind"])


def test_map_all_names_its_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from geocover.cli import map as map_cli

    calls = []
    monkeypatch.setattr(map_cli, "build_gallery", lambda folder, **kw: calls.append(folder) or [folder / "x"])
    r = CliRunner().invoke(cli, ["map", "--all"])
    assert r.exit_code == 0, r.output
    assert "None" not in r.output and "to maps" in r.output


def test_plots_leave_the_backend_and_pyplot_alone():
    """geocover.plots draws on a figure of its own (or the caller's axes) and never switches
    the matplotlib backend: a notebook's plt.show() keeps working. Run in a fresh process
    whose backend is set to 'svg' (the old code switched every caller to Agg)."""
    import subprocess
    import sys

    code = """
import matplotlib, matplotlib.pyplot as plt
from geocover.plots import plot_comparison
m = [{"scenario": "a", "defended_area_km2": 1e6, "cities_defended_share": 0.5, "mean_battle_space_s": 1.0,
      "mean_warning_time_s": 2.0}]
fig = plot_comparison(m)
_, axes = plt.subplots(1, 4, sharey=True)
mine = plot_comparison(m, ax=axes)
print(matplotlib.get_backend(), plt.get_fignums(), fig is not mine, mine is axes[0].figure)
"""
    env = {**__import__("os").environ, "MPLBACKEND": "svg"}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["svg", "[1]", "True", "True"]  # only the caller's own pyplot figure
