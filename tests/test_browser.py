"""The maps in a real browser: Debian's Chromium driven by Playwright (no browser download).

Checks that a default map (no flags) initialises with the network blocked, as does a map
with online tiles (its country outlines still drawn), that every layer exists with the
expected number of features, that the grouped layer control toggles layers, that a city
popup opens with the right text, that no JavaScript error occurs, that nothing is fetched
from the network, and that hostile catalog names are shown as text and run nothing (more
hostile strings in test_security.py). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from geocover import load_catalog
from geocover.maps import save_map, scenario_map
from geocover.scenario import load_scenario

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
ARTIFACTS = Path(__file__).parent / "artifacts"
EVIL = "<img src=x onerror=alert(1)>`${alert(2)}`\\"


@pytest.fixture(scope="module")
def offline_map(tmp_path_factory):
    """The EPAA phase 3 map as ``geocover map`` writes it by default, with a hostile target
    name in a user catalog."""
    tmp = tmp_path_factory.mktemp("map")
    evil = tmp / "evil.geojson"
    evil.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [26.103, 44.427]},
        "properties": {"id": "bucharest", "kind": "target", "name": EVIL, "ground_height_msl_m": 80.0,
                       "source": "a test of escaping", "confidence": "notional"}}]}))
    sc = load_scenario("epaa-phase3-2018", load_catalog([evil]))
    path = save_map(scenario_map(sc), tmp / "epaa3.html")
    return path, sc


def block_network(pg) -> None:
    """Abort every request that is not for a local file or a data: URI (no network)."""
    pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
             else route.abort())


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


@pytest.fixture
def page(browser, offline_map):
    ctx = browser.new_context(viewport={"width": 1400, "height": 950})
    pg = ctx.new_page()
    pg.errors, pg.requests, pg.dialogs = [], [], []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: m.type == "error" and pg.errors.append(m.text))
    pg.on("request", lambda r: pg.requests.append(r.url))
    block_network(pg)
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.goto(offline_map[0].as_uri())
    pg.wait_for_function("window.geocover && window.geocover.map")
    pg.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length > 0")  # layers drawn
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    ctx.close()


COUNT = """(name) => { const l = window.geocover.layers[name]; let n = 0;
  const walk = (x) => { if (x.getLayers) { x.getLayers().forEach(walk); } else { n += 1; } };
  walk(l); return n; }"""


def test_map_initialises_offline_without_errors(page, offline_map):
    _, sc = offline_map
    # the map opens on its data: every radar of the scenario is inside the initial view
    for r in sc.radars.values():
        assert page.evaluate(f"window.geocover.map.getBounds().contains([{r.lat_deg}, {r.lon_deg}])"), r.id
    assert page.evaluate("document.querySelectorAll('.leaflet-overlay-pane path').length") > 100
    page.screenshot(path=str(ARTIFACTS / "epaa3_offline.png"))
    assert page.errors == []
    assert [u for u in page.requests if not u.startswith(("file:", "data:"))] == []


def test_layers_and_feature_counts(page, offline_map):
    _, sc = offline_map
    names = page.evaluate("Object.keys(window.geocover.layers)")
    for want in ("Countries", "Footprint", "Targets", "Trajectories", "Sites"):
        assert want in names
    n_radars, n_int = len(sc.radars), len(sc.interceptors)
    assert page.evaluate(COUNT, "Sites") == n_radars + n_int + 1  # + the launch site
    cities = [c for c in sc.catalog.sites("target") if -12 <= c.lon_deg <= 45 and 34 <= c.lat_deg <= 66]
    assert page.evaluate(COUNT, "Targets") == len(cities)
    assert page.evaluate(COUNT, "Countries") >= 150  # Natural Earth 110m features (with parts)
    for rid in sc.radars:
        assert f"{rid}: coverage at 300 km" in names
    assert page.evaluate(COUNT, "Trajectories") >= len(cities) // 2


def test_layer_control_toggles(page):
    label = page.locator(".leaflet-control-layers-overlays label", has_text=re.compile(r"^\s*Targets\s*$"))
    on = "() => window.geocover.map.hasLayer(window.geocover.layers['Targets'])"
    assert page.evaluate(on)
    label.click()
    assert not page.evaluate(on)
    label.click()
    assert page.evaluate(on)


def test_city_popup_by_click(page):
    # hide the layers drawn above the cities, then click Berlin where Leaflet draws it
    for name in ("Trajectories", "Radar and interceptor sites"):
        page.locator(".leaflet-control-layers-overlays label", has_text=name).first.click()
    xy = page.evaluate("() => { const p = window.geocover.map.latLngToContainerPoint([52.52, 13.405]);"
                       " const r = window.geocover.map.getContainer().getBoundingClientRect();"
                       " return [p.x + r.left, p.y + r.top]; }")
    page.mouse.click(*xy)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Berlin" in text and "status" in text and ("defended" in text or "out of reach" in text)
    assert "battle space" in text
    page.wait_for_function("() => { const p = document.querySelector('.leaflet-popup');"
                           " return p && getComputedStyle(p).opacity === '1'; }")  # popup faded in
    page.screenshot(path=str(ARTIFACTS / "epaa3_popup_berlin.png"))


def test_hostile_names_are_text(page):
    # open the hostile city's popup through Leaflet and read it back as text
    page.evaluate("""() => { window.geocover.layers['Targets'].eachLayer(l => {
        const ll = l.getLatLng(); if (Math.abs(ll.lat - 44.427) < 1e-6) { l.openPopup(); } }); }""")
    page.locator(".leaflet-popup-content").wait_for()
    text = page.locator(".leaflet-popup-content").inner_text()
    assert "<img src=x onerror=alert(1)>" in text and "${alert(2)}" in text
    assert page.dialogs == [] and page.errors == []
    assert page.locator(".leaflet-popup-content img").count() == 0


def test_map_with_tiles_degrades_without_network(browser, tmp_path):
    """--tiles with no network: the tiles fail, the map and its own country outlines do not."""
    from geocover.coverage import coverage_at_altitudes
    from geocover.maps import coverage_map
    from geocover.radar import RadarView

    r = load_catalog().radar("gabala")
    path = save_map(coverage_map([r], coverage_at_altitudes(RadarView(r), [300e3]), tiles=True), tmp_path / "t.html")
    ctx = browser.new_context(viewport={"width": 1000, "height": 700})
    pg = ctx.new_page()
    errors, blocked = [], []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
             else (blocked.append(route.request.url), route.abort()))
    pg.goto(path.as_uri())
    pg.wait_for_function("window.geocover && window.geocover.map")
    pg.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length > 0")  # layers drawn
    assert errors == []
    assert any("tile.openstreetmap.org" in u for u in blocked)  # it did try the tiles
    assert pg.evaluate(COUNT, "Countries") >= 150
    assert pg.evaluate("window.geocover.map.hasLayer(window.geocover.layers['Countries'])")
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "tiles_no_network.png"))
    ctx.close()


def test_layer_control_is_grouped_and_folds(page, offline_map):
    """Four radars: one folded group per radar (their five layers hidden until opened), a
    group of per-altitude switches, and the threat layers in view."""
    _, sc = offline_map
    groups = page.locator(".geocover-group")
    names = [t.strip("▸▾ \n") for t in groups.all_inner_texts()]
    assert names[0] == "Threat" and names[-1] == "Background" and "Coverage by altitude" in names
    assert sum(n.startswith("Radar ") for n in names) == len(sc.radars) == 4
    visible = page.locator(".leaflet-control-layers-overlays label:visible")
    assert visible.count() <= 12  # not 4 x 5 radar layers + the rest
    head = groups.filter(has_text=sc.radars["deveselu"].name)
    head.click()
    label = page.locator(".leaflet-control-layers-overlays label:visible", has_text="sector")
    assert label.count() == 1  # only the opened group shows its entries
    on = "() => window.geocover.map.hasLayer(window.geocover.layers['deveselu: sector'])"
    assert not page.evaluate(on)
    label.click()
    assert page.evaluate(on)
    # one switch per altitude for every radar at once
    alt = page.locator("label", has_text="all radars at 100 km").locator("input")
    assert not alt.is_checked()
    alt.click()
    assert page.evaluate("""() => ['kurecik', 'aegis-east-med', 'deveselu', 'redzikowo'].every(r =>
        window.geocover.map.hasLayer(window.geocover.layers[r + ': coverage at 100 km']))""")


def test_sector_and_p_defended_layers_render(browser, tmp_path):
    """sectoral-2011 with a P(defended) layer on top (a synthetic 0-1 grid on the scenario's
    box at 2 deg): the territories, the rings and the six classes are drawn, the legend has
    both sections, a ring's popup opens; no JavaScript error and no request off the file."""
    import numpy as np

    from geocover.maps import add_p_defended_layer

    sc = load_scenario("sectoral-2011")
    m = scenario_map(sc, terrain=False, footprint_resolution_deg=4.0)
    p = np.linspace(0.0, 1.0, 16 * 29).reshape(16, 29)  # every class, 0 and 1 included
    p[5, 5] = np.nan
    add_p_defended_layer(m, {"all": p}, west_deg=-12.0, north_deg=66.0, resolution_deg=2.0, n_sets=20)
    path = save_map(m, tmp_path / "layers.html")
    ctx = browser.new_context(viewport={"width": 1400, "height": 950})
    pg = ctx.new_page()
    errors, requests = [], []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    pg.on("request", lambda r: requests.append(r.url))
    block_network(pg)
    try:
        pg.goto(path.as_uri())
        pg.wait_for_function("window.geocover && window.geocover.map")
        pg.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length > 0")
        assert pg.evaluate(COUNT, "Sector territories") == len(sc.sectors) == 2
        cities = [c for c in sc.catalog.sites("target") if -12 <= c.lon_deg <= 45 and 34 <= c.lat_deg <= 66]
        assert pg.evaluate(COUNT, "Responsibility") == len(cities)
        assert pg.evaluate(COUNT, "P(defended) all") == 6
        on = "(k) => window.geocover.map.hasLayer(window.geocover.layers[k])"
        assert pg.evaluate(on, "P(defended) all") and not pg.evaluate(on, "Footprint")  # drawn over, not under
        legend = pg.locator("#geocover-legend").inner_text()
        assert "P(defended) over 20 parameter sets" in legend and "sector nato" in legend
        pg.evaluate("() => { let done = false; window.geocover.layers['Responsibility'].eachLayer(l => {"
                    " if (!done) { l.openPopup(); done = true; } }); }")
        text = pg.locator(".leaflet-popup-content").inner_text()
        assert "responsible side" in text and "from Tabriz" in text
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / "sectoral_p_defended.png"))
        assert errors == []
        assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    finally:
        ctx.close()
