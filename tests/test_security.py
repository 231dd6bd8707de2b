"""No user text is ever code: hostile strings from a catalog, a scenario file or the API are
shown literally in maps, figures and the CSV/GeoJSON outputs, and run nothing in a browser.

* Property tests (hypothesis) push generated hostile strings — Jinja2 syntax (``{{ }}``,
  ``{% %}``, ``{# #}``), ``</script>``, markup with event handlers, backticks and ``${}``,
  quotes, backslashes, U+2028/2029, lone surrogates, mathtext ``$...$``, very long
  strings — through every text field of a map (title, legend, layer control, popups,
  tooltips, labels) and of a figure, and check that the output carries each one literally
  and that folium's part of the page holds none of it.
* CLI tests read hostile names from catalog and scenario files on disk (``--catalog``, a
  scenario TOML) and check the HTML map, the SVG figure, the GeoJSON and the CSV.
* Browser tests (Debian's Chromium via Playwright, network blocked) open a few of those
  maps: no dialog, no script run (the payloads set ``window.__pwned``), no error, and the
  page text shows the strings as written (``Radar {{ 7*7 }}``, never ``Radar 49``).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import html as html_lib
import io
import json
import re
import shutil
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geocover as gc
from geocover.cli.main import cli
from geocover.coverage import coverage_at_altitudes
from geocover.maps import coverage_map, render_html
from geocover.radar import RadarView

ROOT = Path(__file__).resolve().parents[1]
DATA = re.compile(r'<script type="application/json" id="geocover-data">(.*?)</script>', re.S)
MARK = "QXJ"  # prefix of every hostile string: must never appear outside the map's JSON data

FRAGMENTS = [
    "{{ 7*7 }}", "{{", "}}", "{%", "%}", "{% if 1 %}x{% endif %}", "{# c #}", "{#", "#}",
    "{{ self.__init__.__globals__ }}", "{{ cycler.__init__.__globals__.os }}",
    "</script>", "<script>window.__pwned=1</script>", "<img src=x onerror=window.__pwned=1>",
    "<svg onload=window.__pwned=1>", "`", "${window.__pwned=1}", "${", "'", '"', "\\", "\\u003c", "\\n",
    "\u2028", "\u2029", "\ud800", "\udfff", "&amp;", "&lt;", "<!--", "-->", "]]>", "$x^2$", "$\\frac{1}{0}$",
    "%s", "%(x)s", "=cmd|' /C calc'!A0", "\u202e", "\ufeff",
]
hostile = st.one_of(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), min_size=1, max_size=8).map("".join),
    st.sampled_from(FRAGMENTS).map(lambda f: f * (20_000 // len(f))),  # very long strings
)
# figures: a 20,000-character title is drawn (literally) on a canvas ~100,000 px wide, which
# takes seconds per figure: long strings of 500 characters are enough to show the same
hostile_for_figures = st.one_of(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), min_size=1, max_size=8).map("".join),
    st.sampled_from(FRAGMENTS).map(lambda f: f * (500 // len(f))),
)


def _nosur(s: str) -> str:
    """What a writer that cannot store lone surrogates must show instead: U+FFFD."""
    return re.sub("[\ud800-\udfff]", "\ufffd", s)


def _drawable(s: str) -> str:
    """What a figure must show: lone surrogates and the control characters XML 1.0 forbids
    (an SVG must stay readable) as U+FFFD."""
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "\ufffd", s)


@functools.lru_cache(maxsize=1)
def _gabala_feature():
    r = gc.default_catalog().radar("gabala")
    return coverage_at_altitudes(RadarView(r, terrain=False), [300e3])[0]


def _map_with(title: str, name: str, source: str, band: str):
    base = gc.default_catalog().radar("gabala")
    r = dataclasses.replace(base, name=name, source=source, band=band, confidence=source)
    other = gc.default_catalog().radar("kurecik")
    f = _gabala_feature()
    return coverage_map([r, other], [f], k_features=[(f.geometry, {"k": 2, "altitude_m": 300e3})], title=title)


def _split(html: str) -> tuple[dict, str]:
    """The map's JSON data and the rest of the page, less the static <title> (checked here:
    every character that HTML, a template literal or Jinja2 would read is an entity)."""
    (blob,) = DATA.findall(html)
    (title,) = re.findall(r"<title>(.*?)</title>", html, flags=re.S)
    assert not re.search(r"[<>`$\\{}'\"]|&(?!#\d+;)|(?<!&)#", title), title[:200]
    assert html_lib.unescape(title) == _nosur(json.loads(blob)["title"])
    return json.loads(blob), re.sub(r"<title>.*?</title>", "", DATA.sub("", html), flags=re.S)


def _texts(data: dict) -> list[str]:
    out = [data["title"], data["legend"]["title"]] + [e[1] for e in data["legend"]["entries"]]
    for sec in data["legend"].get("sections", []):  # sectors, P(defended): title, note, entries
        out += [sec["title"], sec.get("note", "")] + [e[1] for e in sec["entries"]]
    out += [g["name"] for g in data["groups"]] + [e["label"] for g in data["groups"] for e in g["entries"]]
    for b in data["bind"]:
        out += [b.get("tooltip", ""), b.get("label", "")]
        if "popup" in b:
            out += [b["popup"]["title"]] + [v for row in b["popup"]["rows"] for v in row]
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile, name=hostile, source=hostile, band=hostile)
def test_map_shows_hostile_text_literally(title, name, source, band):
    title, name, source, band = (MARK + s for s in (title, name, source, band))
    html = render_html(_map_with(title, name, source, band))
    html.encode("utf-8")  # writable: no lone surrogate anywhere
    data, outside = _split(html)
    assert MARK not in outside  # folium (a Jinja2 renderer) never saw the text
    texts = _texts(data)
    assert data["title"] == title  # JSON round trip: exactly the string given, nothing evaluated
    for s in (name, source, band):
        assert s in texts or any(s in t for t in texts)
    assert f"Radar {name}" in [g["name"] for g in data["groups"]]  # the layer control's group
    # the page's own markup is intact: one data element, one closing tag each
    assert html.count('id="geocover-data"') == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile_for_figures, names=st.lists(hostile_for_figures, min_size=1, max_size=3))
def test_figure_shows_hostile_text_literally(title, names, tmp_path_factory):
    import matplotlib

    from geocover.plots import plot_comparison, save_figure

    # one line each: a newline in a label is a line break, drawn as two text elements
    title, names = MARK + title.replace("\n", " "), [MARK + n.replace("\n", " ") for n in names]
    metrics = [{"scenario": n, "defended_area_km2": 1e6, "cities_defended_share": 0.5, "mean_battle_space_s": 100.0,
                "mean_warning_time_s": 200.0} for n in names]
    tmp = tmp_path_factory.mktemp("fig")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs missing from DejaVu Sans
        fig = plot_comparison(metrics, title=title)
        save_figure(fig, tmp / "f.png")
        with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as <text>, to read it back
            save_figure(fig, tmp / "f.svg")
    root = ET.parse(tmp / "f.svg").getroot()  # well-formed XML
    assert not root.findall(".//{http://www.w3.org/2000/svg}script")
    drawn = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for s in [title, *names]:
        want = _drawable(s).replace("\r", "\n").strip()
        assert any(want in d.replace("\r", "\n") for d in drawn), s[:80]


# --- files on disk, through the command line -------------------------------------------------

EVIL = ("Radar {{ 7*7 }} {% if 1 %}x{% endif %} {# c #} </script><img src=x onerror=window.__pwned=1> "
        "`${window.__pwned=2}` $\\frac{1}{2}$ \\ ' \" \u2028\u2029 {{ cycler.__init__.__globals__.os.popen('id') }}")


def _evil_catalog(tmp: Path) -> Path:
    """A user catalog on disk: the bundled Gabala radar, Berlin and Tabriz with hostile
    names and sources (same ids, so they replace the bundled records)."""
    feats = []
    for kind, rid in (("radars", "gabala"), ("targets", "berlin"), ("launch_sites", "tabriz")):
        doc = json.loads((ROOT / "data" / "catalog" / f"{kind}.geojson").read_text(encoding="utf-8"))
        (f,) = [f for f in doc["features"] if f["properties"]["id"] == rid]
        f["properties"].update(name=f"{EVIL} [{rid}]", source=EVIL)
        feats.append(f)
    path = tmp / "evil catalog {{ 7*7 }}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def _evil_scenario(tmp: Path) -> Path:
    src = (ROOT / "data" / "scenarios" / "gabala-offer-2007.toml").read_text(encoding="utf-8")
    src = re.sub(r"^title = .*$", lambda _m: "title = " + json.dumps(EVIL), src, count=1, flags=re.M)
    path = tmp / "evil-scenario.toml"
    path.write_text(src, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def evil_files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evil")
    return _evil_catalog(tmp), _evil_scenario(tmp), tmp


@pytest.fixture(scope="module")
def evil_map(evil_files):
    """``geocover map`` (default flags) of a scenario file with a hostile title, reading a
    catalog file with hostile radar, city and launch-site names."""
    cat, scen, tmp = evil_files
    out = tmp / "evil.html"
    r = CliRunner().invoke(cli, ["map", str(scen), "--catalog", str(cat), "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_cli_map_from_hostile_files(evil_map):
    html = evil_map.read_text(encoding="utf-8")
    data, outside = _split(html)
    assert "7*7" not in outside and "__pwned" not in outside and "Radar 49" not in html
    texts = _texts(data)
    assert data["title"].startswith(EVIL)  # "<title> — threat from <launch site>"
    for rid in ("gabala", "berlin", "tabriz"):
        assert any(f"{EVIL} [{rid}]" in t for t in texts), rid
    assert EVIL in texts  # sources in popups
    assert any(b.get("label") == f"{EVIL} [berlin]" for b in data["bind"])  # the city label


def test_cli_figure_geojson_and_csv_from_hostile_files(evil_files):
    cat, scen, tmp = evil_files
    runner = CliRunner()
    # vertical coverage diagram: the radar's name is the title
    svg = tmp / "vcd.svg"
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none"}):
        r = runner.invoke(cli, ["vcd", "gabala", "--catalog", str(cat), "-o", str(svg)])
    assert r.exit_code == 0, r.output
    drawn = ["".join(t.itertext()) for t in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert any(f"{EVIL} [gabala]" in d for d in drawn)
    # footprint: the scenario title is a property of every GeoJSON feature
    out = tmp / "fp"
    r = runner.invoke(cli, ["footprint", str(scen), "--catalog", str(cat), "--resolution", "2deg", "--launch",
                            "tabriz", "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "footprint.geojson").read_text(encoding="utf-8"))
    assert doc["features"] and all(f["properties"]["title"] == EVIL for f in doc["features"])
    # compare: the scenario title is a CSV column, read back by the csv module
    out = tmp / "cmp"
    r = runner.invoke(cli, ["compare", str(scen), "gabala-offer-2007", "--catalog", str(cat), "--resolution",
                            "2deg", "--launch", "tabriz", "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO((out / "comparison.csv").read_text(encoding="utf-8"))))
    assert rows[0]["title"] == EVIL


def test_cli_coverage_map_from_hostile_catalog(evil_files):
    cat, _, tmp = evil_files
    out = tmp / "cov"
    r = CliRunner().invoke(cli, ["coverage", "gabala", "--catalog", str(cat), "--altitude", "300km", "--no-terrain",
                                 "--resolution", "2deg", "--out", str(out)])
    assert r.exit_code == 0, r.output
    data, outside = _split((out / "coverage.html").read_text(encoding="utf-8"))
    assert "7*7" not in outside and f"{EVIL} [gabala]" in [e[1] for e in data["legend"]["entries"]]
    # the KMZ for Google Earth: a description is HTML (Google Earth renders it), so the
    # name must arrive HTML-escaped inside the XML and read back literally
    import zipfile

    with zipfile.ZipFile(out / "coverage.kmz") as z:
        root = ET.fromstring(z.read("doc.kml"))
    descriptions = [d.text or "" for d in root.iter("{http://www.opengis.net/kml/2.2}description")]
    hits = [d for d in descriptions if "7*7" in d]
    assert hits and all("<img" not in d and "<script" not in d for d in hits)
    assert any(f"{EVIL} [gabala]" in html_lib.unescape(d) for d in hits)


# --- in a browser ------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
browser_only = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")

BROWSER_STRINGS = [
    "Radar {{ 7*7 }}",
    "</script><script>window.__pwned=1</script>",
    "<img src=x onerror=\"window.__pwned=1;alert(1)\">",
    "`${window.__pwned=1}` ${alert(1)}",
    "{% for x in range(3) %}X{% endfor %} {# hidden #}",
    "quote ' \" back \\ line\u2028sep\u2029 end",
    "lone \udc80 surrogate",
]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield b
        b.close()


def _open(browser, path: Path):
    ctx = browser.new_context(viewport={"width": 1400, "height": 950})
    pg = ctx.new_page()
    pg.errors, pg.dialogs = [], []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
             else route.abort())
    pg.goto(path.as_uri())
    pg.wait_for_function("window.geocover && window.geocover.map")
    pg.wait_for_timeout(300)
    return ctx, pg


def _open_every_popup(pg) -> str:
    """Open each popup in turn through Leaflet and collect their text."""
    return pg.evaluate("""() => { const out = []; const map = window.geocover.map;
      map.eachLayer(l => { if (l.getPopup && l.getPopup()) { l.openPopup();
        const c = l.getPopup().getElement().querySelector('.leaflet-popup-content'); out.push(c.textContent); } });
      map.closePopup(); return out.join('\\n'); }""")


@browser_only
def test_browser_runs_nothing_and_shows_text(browser, tmp_path):
    from geocover.maps import save_map

    cat = gc.default_catalog()
    radars = [dataclasses.replace(cat.radar("gabala"), id=f"r{i}", name=s, source=s, lat_deg=40.0 + i,
                                  lon_deg=30.0 + 3 * i) for i, s in enumerate(BROWSER_STRINGS)]
    f = _gabala_feature()
    feats = [dataclasses.replace(f, properties={**f.properties, "radar_id": "r0"})]
    path = save_map(coverage_map(radars, feats, title=BROWSER_STRINGS[0]), tmp_path / "m.html")
    ctx, pg = _open(browser, path)
    try:
        assert pg.evaluate("document.title") == "Radar {{ 7*7 }}"
        body = pg.evaluate("document.body.innerText")
        popups = _open_every_popup(pg)
        for s in BROWSER_STRINGS:
            # JavaScript strings hold lone surrogates as they are (drawn as U+FFFD)
            norm = lambda t: re.sub(r"\s+", " ", t.replace("\u2028", " ").replace("\u2029", " "))  # noqa: E731
            assert norm(s) in norm(body), s  # legend, layer control, labels
            assert norm(s) in norm(popups), s
        assert "Radar 49" not in body and "XXX" not in body
        assert pg.evaluate("window.__pwned === undefined")
        assert pg.dialogs == [] and pg.errors == []
        assert pg.locator("img").count() == 0  # only Leaflet's own images would be <img>: none here
        pg.screenshot(path=str(tmp_path / "hostile.png"))
    finally:
        ctx.close()


@browser_only
def test_browser_cli_map_of_hostile_files(browser, evil_map):
    ctx, pg = _open(browser, evil_map)
    try:
        body = pg.evaluate("document.body.innerText")
        popups = _open_every_popup(pg)
        norm = lambda t: re.sub(r"\s+", " ", t.replace("\u2028", " ").replace("\u2029", " "))  # noqa: E731
        assert norm(f"{EVIL} [berlin]") in norm(body)  # the permanent city label
        assert norm(f"{EVIL} [gabala]") in norm(popups)
        assert "Radar 49" not in body + popups
        assert pg.evaluate("window.__pwned === undefined")
        assert pg.dialogs == [] and pg.errors == []
    finally:
        ctx.close()


# --- the sector and P(defended) layers ---------------------------------------------------------

SIDE = EVIL + " [side]"


@pytest.fixture(scope="module")
def evil_layers_map(tmp_path_factory):
    """The robustness map (scenario map + P(defended) layer) of sectoral-2011 with a hostile
    title and a hostile name for the side holding Russia, and a P(defended) grid under a
    hostile name (as a file name p_defended_<launch>.tif would give it)."""
    import numpy as np

    from geocover.maps import p_defended_map, save_map
    from geocover.scenario import load_scenario

    tmp = tmp_path_factory.mktemp("evil-layers")
    src = (ROOT / "data" / "scenarios" / "sectoral-2011.toml").read_text(encoding="utf-8")
    src = re.sub(r"^title = .*$", lambda _m: "title = " + json.dumps(EVIL), src, count=1, flags=re.M)
    src, n = re.subn(r"^russia = ", lambda _m: json.dumps(SIDE) + " = ", src, count=1, flags=re.M)
    assert n == 1
    (tmp / "evil-sectoral.toml").write_text(src, encoding="utf-8")
    sc = load_scenario(tmp / "evil-sectoral.toml")
    assert SIDE in sc.sectors
    grid = np.linspace(0.0, 1.0, 16 * 29, dtype=np.float32).reshape(16, 29)
    p = {"grids": {"all": grid, EVIL: grid[::-1].copy()}, "west_deg": -12.0, "north_deg": 66.0,
         "resolution_deg": 2.0, "n_sets": 20, "method": EVIL, "seed": 0}
    m = p_defended_map(sc, p, terrain=False, footprint_resolution_deg=4.0)
    return save_map(m, tmp / "evil-layers.html")


def test_sector_and_p_defended_layers_keep_hostile_text_as_data(evil_layers_map):
    html = evil_layers_map.read_text(encoding="utf-8")
    data, outside = _split(html)
    assert "7*7" not in outside and "__pwned" not in outside and "Radar 49" not in html
    texts = _texts(data)
    assert data["title"].startswith(EVIL)
    assert f"sector {SIDE}" in texts  # the legend's sector section
    assert any(t.startswith(f"{SIDE} (overflies ") for t in texts)  # a city's popup: this side responsible
    assert any(t.startswith(f"sector {SIDE}: ") for t in texts)  # the territory's tooltip
    assert f"P(defended) vs {EVIL}" in texts  # the hostile grid's entry in the layer control
    assert any(EVIL in t for t in texts if t.startswith("share of the 20 parameter sets"))  # the legend's note


@browser_only
def test_browser_sector_and_p_defended_layers_run_nothing(browser, evil_layers_map):
    ctx, pg = _open(browser, evil_layers_map)
    try:
        body = pg.evaluate("document.body.innerText")
        popups = _open_every_popup(pg)
        norm = lambda t: re.sub(r"\s+", " ", t.replace("\u2028", " ").replace("\u2029", " "))  # noqa: E731
        assert norm(f"sector {SIDE}") in norm(body)  # legend
        assert norm(f"{SIDE} (overflies ") in norm(popups)  # a ring's popup
        assert "Radar 49" not in body + popups
        assert pg.evaluate("window.__pwned === undefined")
        assert pg.dialogs == [] and pg.errors == []
    finally:
        ctx.close()
