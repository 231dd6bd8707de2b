"""Issue 16, section 5 and "Done when", second pass (a fresh-venv walkthrough): the ``engage``
speed sweep as a table with units and catalog names, the timeline and comparison figures'
titles and captions, the site-search map's legend, and the GeoPackage's default style for
the overlapping ``defended`` layer.

Expected names, titles and speeds are read from the data files themselves (``data/catalog``,
``data/scenarios``) with json/tomllib, not through geocover.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from click.testing import CliRunner

from geocover.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def _records(kind: str) -> dict[str, dict]:
    doc = json.loads((DATA / "catalog" / f"{kind}.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["id"]: f["properties"] for f in doc["features"]}


def _scenario(name: str) -> dict:
    return tomllib.loads((DATA / "scenarios" / f"{name}.toml").read_text(encoding="utf-8"))


RADARS = _records("radars")
INTERCEPTORS = _records("interceptors")
TARGETS = _records("targets")
LAUNCH = _records("launch_sites")
MISSILES = tomllib.loads((DATA / "catalog" / "missiles.toml").read_text(encoding="utf-8"))["missile"]

SWEEP = ["engage", "third-site-2007", "teykovo", "washington", "--missile", "topol-m",
         "--interceptor-speed", "5.4km/s,9km/s", "--perfect-tracking"]


def _invoke(args):
    r = CliRunner().invoke(cli, ["-q", *args])
    assert r.exit_code == 0, r.output
    return r.stdout


def test_engage_speed_sweep_is_a_table_with_units_and_names():
    text = _invoke(SWEEP)
    res = json.loads(_invoke([*SWEEP, "--json"]))
    lines = text.splitlines()
    # the caption: the scenario's title, the class's catalog name, the refraction model and
    # the perfect-tracking assumption
    caption = next(ln for ln in lines if _scenario("third-site-2007")["scenario"]["title"] in ln)
    assert MISSILES["topol-m"]["name"].split(" (")[0] in caption
    assert "refraction model: crpl" in caption and "perfect tracking" in caption
    assert LAUNCH["teykovo"]["name"] in caption and TARGETS["washington"]["name"] in caption
    # a header with units, a rule line, one row per speed (km/s, as given on the command line)
    head = next(i for i, ln in enumerate(lines) if ln.startswith("interceptor speed (km/s)"))
    for col in ("verdict", "limited by", "battle space (s)", "first intercept (s)", "last intercept (s)",
                "interceptor", "radar"):
        assert col in lines[head]
    assert set(lines[head + 1].replace(" ", "")) == {"-"}
    rows = lines[head + 2:head + 4]
    assert [r.split()[0] for r in rows] == ["5.4", "9.0"]
    # the cells are the JSON's values (whole seconds) and catalog names, never ids
    slow, fast = res
    assert slow["limited_by"] == "too_late" and "too_late" in rows[0] and "NOT defended" in rows[0]
    assert fast["defended"] is True and " defended " in rows[1]
    for key in ("battle_space_s", "earliest_t_s", "latest_t_s"):
        assert f"{fast[key]:,.0f}" in rows[1]
    assert INTERCEPTORS["redzikowo-gbi"]["name"] in rows[1] and RADARS["brdy-emr"]["name"] in rows[1]
    assert "redzikowo-gbi" not in text and "brdy-emr" not in text
    assert fast["interceptor"] == "redzikowo-gbi"  # --json keeps the ids
    # every limited_by value shown is explained under the table
    assert any(ln.startswith("limited by too_late:") for ln in lines)


def test_engage_single_result_gives_the_battery_speed_in_km_s():
    # the bundled third site flies its GBI at the catalog's burnout_speed_mps (6,300 m/s)
    speed_kms = INTERCEPTORS["redzikowo-gbi"]["burnout_speed_mps"] / 1000
    text = _invoke(["engage", "third-site-2007", "tehran", "paris", "--missile", "irbm"])
    verdict = text.splitlines()[-1]
    assert f"{speed_kms:.1f} km/s" in verdict and "catalog speeds:" not in verdict
    assert "Tehran" in verdict and "Paris" in verdict and "irbm" not in verdict


def _svg_lines(path: Path) -> list[str]:
    """Every drawn line of text of an SVG written by matplotlib (one <text> per line)."""
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()  # well-formed XML
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_timeline_figure_names_scenario_and_unbroken_units(tmp_path):
    out = tmp_path / "t.svg"
    _invoke(["timeline", "--scenario", "third-site-2007", "tehran", "paris", "--no-terrain", "--step", "4s",
             "--plot", str(out)])
    lines = _svg_lines(out)
    text = " ".join(" ".join(lines).split())
    # the title: catalog names of the launch site and the target, not their ids
    assert f"{LAUNCH['tehran']['name']} → {TARGETS['paris']['name']}" in text
    assert "tehran → paris" not in text
    # the caption names the scenario by its title
    caption = text[text.index("Assumptions:"):]
    assert " ".join(_scenario("third-site-2007")["scenario"]["title"].split()) in caption
    # every warning time keeps its unit on its line: "<n> s" joined by a no-break space (U+00A0),
    # and no line of a label starts with the unit alone (the "883⏎s" of the walkthrough)
    warnings = [ln for ln in lines if "warning" in ln]
    assert len(warnings) >= 3  # the arrow's label and one per radar of the scenario (two)
    assert all(re.search(r"warning \d+\u00a0s", ln) for ln in warnings), warnings
    assert not [ln for ln in lines if re.match(r"\s*s\)?$", ln)]


def _class_names(scenario: dict, launch_ids: list[str]) -> set[str]:
    """The catalog names (before their parenthesised gloss) of the classes a scenario file's
    threat set launches from ``launch_ids`` (docs/scenario-format.md, [threats]: a class
    without its own launch_sites uses the scenario's; one ``missile`` is a one-class set)."""
    th = scenario["threats"]
    classes = th.get("classes") or [{"missile": th["missile"]}]
    ids = {c["missile"] for c in classes if set(c.get("launch_sites", th["launch_sites"])) & set(launch_ids)}
    return {MISSILES[i]["name"].split(" (")[0] for i in ids}


def test_comparison_caption_per_scenario_titles_whole_and_no_bar_for_none(tmp_path):
    from geocover.plots import comparison_caption, plot_comparison, save_figure
    from geocover.scenario import load_scenario

    names = ["third-site-2007", "epaa-phase1-2011"]
    scenarios = [load_scenario(n) for n in names]
    launches = ["tabriz", "tehran"]
    cap = comparison_caption(scenarios, launches, "crpl")
    # each scenario's own classes, in its own part of the caption (Shahab-3 only for the third site)
    parts = {n: next(p for p in cap.split("; ") if p.startswith(_scenario(n)["scenario"]["title"].split(": ")[0]))
             for n in names}
    for n in names:
        own = _class_names(_scenario(n), launches)
        assert own and all(c in parts[n] for c in own), (n, parts[n])
        others = set().union(*(_class_names(_scenario(o), launches) for o in names)) - own
        assert not [c for c in others if c in parts[n]], (n, parts[n])
    assert "every (launch site, missile class) pair" in cap and "every launch site that" not in cap
    # a long title wrapped whole, never cut with an ellipsis; a metric the table shows as "—"
    # (None) gets no bar: only the bars of the numbers are drawn
    long_title = "A scenario with a very long title: radars, interceptors and ships in many places of Europe"
    metrics = [{"scenario": "a", "title": long_title, "defended_area_km2": 0.0, "cities_defended_share": 0.0,
                "mean_battle_space_s": None, "mean_warning_time_s": 700.0},
               {"scenario": "b", "title": "B", "defended_area_km2": 1e6, "cities_defended_share": 0.5,
                "mean_battle_space_s": 60.0, "mean_warning_time_s": 900.0}]
    fig = plot_comparison(metrics, caption=cap)
    bars = [len(ax.patches) for ax in fig.axes]
    assert bars == [2, 2, 1, 2]  # the battle-space panel: b's bar only
    bs_texts = [t.get_text().strip() for t in fig.axes[2].texts]
    assert bs_texts == ["—", "60.0"]
    save_figure(fig, tmp_path / "c.svg")
    lines = _svg_lines(tmp_path / "c.svg")
    text = " ".join(" ".join(lines).split())
    assert long_title in text and "…" not in text


def _map_data(path: Path) -> dict:
    """The map's JSON data block (every user-visible text of a geocover map)."""
    html = path.read_text(encoding="utf-8")
    start = html.index('<script type="application/json" id="geocover-data">')
    block = html[html.index(">", start) + 1:html.index("</script>", start)]
    return json.loads(block)


def test_search_map_legend_has_numbers_with_units_picks_numbered_and_ties_marked(tmp_path):
    from types import SimpleNamespace

    from geocover.cli.optimise import _search_map
    from geocover.scenario import load_scenario

    sc = load_scenario("epaa-phase1-2011")
    # a search result as geocover.search returns it: first-round scores (km²) of four candidates,
    # two picks; the first tied with one other site (the same gain)
    res = SimpleNamespace(
        objective="area", kind="radar", base_score=1.0e6,
        cand_lat=[40.0, 41.0, 42.0, 43.0], cand_lon=[30.0, 31.0, 32.0, 33.0],
        first_scores=[1.0e6, 1.25e6, 1.5e6, 2.0e6],
        chosen=[{"rank": 1, "lat_deg": 43.0, "lon_deg": 33.0, "gain": 1.0e6, "score": 2.0e6,
                 "tied_with": [{"lat_deg": 42.5, "lon_deg": 32.5}]},
                {"rank": 2, "lat_deg": 40.0, "lon_deg": 30.0, "gain": 2.0e5, "score": 2.2e6, "tied_with": []}])
    out = tmp_path / "search.html"
    _search_map(sc, res, out, offline=True)
    data = _map_data(out)
    legend = [label for _, label in data["legend"]["entries"]]
    # the colour scale's ends as numbers with their unit: 1,000,000 and 2,000,000 km² (the
    # lowest and highest first-round score above)
    assert any("1,000,000 km²" in x and "lowest" in x for x in legend), legend
    assert any("2,000,000 km²" in x and "highest" in x for x in legend), legend
    assert any("numbered in the order chosen" in x for x in legend)
    assert any("tied" in x for x in legend)
    # the picks carry their number (1, 2, in the order chosen) as permanent labels, the tie said
    labels = [b["label"] for b in data["bind"] if "label" in b]
    assert labels == ["1 (tie)", "2"]
    ties = [b["tooltip"] for b in data["bind"] if "tied with pick" in b.get("tooltip", "")]
    assert ties == ["tied with pick 1: the same gain, lat 42.50° N, lon 32.50° E"]
    assert any(g["label"].startswith("Sites tied with a pick") for grp in data["groups"] for g in grp["entries"])


def test_footprint_gpkg_defended_layer_shows_the_all_launch_area_first(tmp_path):
    """The ``defended`` layer holds overlapping polygons (each launch site, 'all', 'any'); its
    default QGIS style is rule-based (QgsRuleBasedRenderer's QML: renderer-v2 type
    "RuleRenderer", <rules>/<rule filter label checkstate>) with only ``"launch" = 'all'``
    switched on, the other values named rules left unchecked (checkstate="0")."""
    import sqlite3
    import xml.etree.ElementTree as ET

    out = tmp_path / "fp"
    _invoke(["footprint", "third-site-2007", "--launch", "tabriz,tehran", "--resolution", "2deg", "--out", str(out)])
    con = sqlite3.connect(f"file:{out / 'footprint.gpkg'}?mode=ro", uri=True)
    try:
        (qml,) = con.execute("SELECT styleQML FROM layer_styles WHERE f_table_name = 'defended' "
                             "AND useAsDefault = 1").fetchone()
        launches = {r[0] for r in con.execute("SELECT DISTINCT launch FROM defended")}
    finally:
        con.close()
    assert launches == {"all", "any", "tabriz", "tehran"}  # the overlapping polygons
    renderer = ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2")
    assert renderer.get("type") == "RuleRenderer"
    rules = renderer.find("rules").findall("rule")
    by_filter = {r.get("filter"): r for r in rules}
    assert set(by_filter) == {f"\"launch\" = '{v}'" for v in launches}  # one rule per value, QGIS quoting
    on = [r.get("filter") for r in rules if r.get("checkstate", "1") != "0"]
    assert on == ["\"launch\" = 'all'"]
    assert by_filter["\"launch\" = 'all'"].get("label") == "defended against all launch sites"
    assert by_filter["\"launch\" = 'tabriz'"].get("label") == f"defended against {LAUNCH['tabriz']['name']}"
    # every rule's symbol is in the symbols list
    names = {s.get("name") for s in renderer.find("symbols").findall("symbol")}
    assert {r.get("symbol") for r in rules} <= names
