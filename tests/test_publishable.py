"""Issue 16, the parts that do not depend on the engagement engine: figures ready for print
(names, caption, warning times, SVG/PDF text, PNG resolution), ``--scenario`` for los /
coverage / vcd, one common target RCS in ``coverage``, defaults announced (and silenced by
-q), site-search output a reader can trust, and the scenario-format reference page.

Expected values are read from the data files themselves (``data/catalog``,
``data/scenarios``) with json/tomllib, not through geocover, or computed by hand from the
radar equation R(sigma) = R_ref (sigma / sigma_ref)^(1/4) (PHYSICS.md).
"""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from geocover.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SVG = "{http://www.w3.org/2000/svg}"


def _records(kind: str) -> dict[str, dict]:
    doc = json.loads((DATA / "catalog" / f"{kind}.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["id"]: f["properties"] for f in doc["features"]}


RADARS = _records("radars")
MISSILES = tomllib.loads((DATA / "catalog" / "missiles.toml").read_text(encoding="utf-8"))["missile"]
THIRD_SITE = tomllib.loads((DATA / "scenarios" / "third-site-2007.toml").read_text(encoding="utf-8"))
# the scenario's main class: its one missile, or the longest-range class of its threat set
# (docs/scenario-format.md, [threats])
THREAT = THIRD_SITE["threats"].get("missile") or max(
    (c["missile"] for c in THIRD_SITE["threats"]["classes"]), key=lambda m: MISSILES[m]["range_m"])
FORWARD = THIRD_SITE["sites"][0]  # the 2007 plan's forward radar, defined only in the scenario file


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _squash(text: str) -> str:
    """Whitespace (line breaks of wrapped labels included) as single spaces."""
    return " ".join(text.split())


def _svg_text(path: Path) -> str:
    root = ET.parse(path).getroot()  # well-formed XML
    return _squash(" ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text")))


def _pdf_text(path: Path) -> str:
    pypdf = pytest.importorskip("pypdf")
    return _squash(" ".join(p.extract_text() for p in pypdf.PdfReader(path).pages))


# ------------------------------------------------------------------ §5 figures ready for print
@pytest.fixture(scope="module")
def timeline_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tl")
    args = ["timeline", "tabriz", "paris", "--radars", "gabala,brdy-emr", "--no-terrain", "--step", "4s"]
    js = json.loads(run(*args, "--json").stdout)
    r = run(*args, "--plot", str(tmp / "t.svg"))
    assert r.exit_code == 0, r.output
    r2 = run(*args, "--plot", str(tmp / "t.pdf"), "--dpi", "150")
    assert r2.exit_code == 0, r2.output
    r3 = run("-q", *args, "--plot", str(tmp / "t.png"), "--dpi", "150")
    assert r3.exit_code == 0, r3.output
    return js, tmp, r, r3


def test_timeline_figure_names_caption_and_warning_times(timeline_run):
    js, tmp, _, _ = timeline_run
    for text in (_svg_text(tmp / "t.svg"), _pdf_text(tmp / "t.pdf")):
        for rid in ("gabala", "brdy-emr"):
            assert _squash(RADARS[rid]["name"]) in text  # the catalog's human name ...
        for tr in js["radars"]:
            if tr["warning_time_s"] is not None:  # ... and each radar's warning time, as the JSON gives it
                assert f"(warning {tr['warning_time_s']:.0f} s)" in text
        caption = text[text.index("Assumptions:"):]
        assert _squash(MISSILES[js["missile"]]["name"]) in caption
        assert "refraction crpl" in caption  # the default model, named
        assert f"{MISSILES[js['missile']]['warhead_rcs_m2']:g} m²" in caption


def test_figure_resolution_and_default_note(timeline_run):
    from PIL import Image

    js, tmp, r, r_quiet = timeline_run
    with Image.open(tmp / "t.png") as im:
        # PNG pHYs stores whole pixels per metre: 150 dpi = 5905.5 px/m, rounded to 5906,
        # reads back as 150.01 dpi; 0.05 dpi admits that rounding and nothing else.
        assert im.info["dpi"] == pytest.approx((150.0, 150.0), abs=0.05)
    # the default missile class is announced on stderr, not silently used; -q silences it
    assert "missile class" in r.stderr and js["missile"] in r.stderr
    assert r_quiet.stderr == ""


def test_dpi_out_of_range_is_a_usage_error(tmp_path):
    r = run("vcd", "gabala", "-o", str(tmp_path / "v.png"), "--dpi", "5")
    assert r.exit_code == 2 and "--dpi" in r.output and not (tmp_path / "v.png").exists()


def test_vcd_with_scenario_uses_its_inline_radar_and_threat_rcs(tmp_path):
    out = tmp_path / "v.pdf"
    r = run("vcd", "forward-radar-2007", "--scenario", "third-site-2007", "-o", str(out), "--dpi", "100")
    assert r.exit_code == 0, r.output
    text = _pdf_text(out)
    warhead = MISSILES[THREAT]["warhead_rcs_m2"]
    assert _squash(FORWARD["name"]) in text
    assert _squash(f"scenario {THIRD_SITE['scenario']['title']}") in text
    # range limit at the threat's warhead RCS: R = R_ref (sigma / sigma_ref)^(1/4)
    want_km = FORWARD["reference_range_m"] * (warhead / FORWARD["reference_rcs_m2"]) ** 0.25 / 1000
    assert f"range limit {want_km:,.0f} km at {warhead:g} m²" in text
    assert "target RCS" in r.stderr and "refraction model" in r.stderr
    # without the scenario the inline radar does not exist
    r = run("vcd", "forward-radar-2007", "-o", str(tmp_path / "w.png"))
    assert r.exit_code == 2 and "forward-radar-2007" in r.output


def test_comparison_figure_uses_titles_and_caption(tmp_path):
    from geocover.plots import assumptions_caption, plot_comparison, save_figure

    metrics = [{"scenario": "a-id", "title": "Alpha architecture: ten interceptors", "defended_area_km2": 2e6,
                "cities_defended_share": 0.25, "mean_battle_space_s": 120.0, "mean_warning_time_s": 640.0},
               {"scenario": "b-id", "title": "", "defended_area_km2": 1e6, "cities_defended_share": 0.5,
                "mean_battle_space_s": 60.0, "mean_warning_time_s": 900.0}]
    cap = assumptions_caption(scenario="both", missile="IRBM", refraction_model="4/3", rcs_m2=0.05,
                              interceptor_speed_mps=6300.0)
    assert cap == ("Assumptions: scenario both; missile IRBM; refraction 4/3; target RCS 0.05 m²; "
                   "interceptor burnout 6.3 km/s")
    fig = plot_comparison(metrics, caption=cap)
    save_figure(fig, tmp_path / "c.svg")
    save_figure(fig, tmp_path / "c.pdf")
    for text in (_svg_text(tmp_path / "c.svg"), _pdf_text(tmp_path / "c.pdf")):
        assert "Alpha architecture: ten interceptors" in text and "b-id" in text  # title, else the id
        assert "a-id" not in text
        assert "mean warning time (s)" in text and "640" in text and "900" in text
        assert cap in text


def test_compare_chart_name_checked_before_work(tmp_path):
    r = run("compare", "third-site-2007", "--out", str(tmp_path / "o"), "--chart", "sub/c.svg")
    assert r.exit_code == 2 and "file name" in r.output and not (tmp_path / "o").exists()
    r = run("compare", "third-site-2007", "--out", str(tmp_path / "o"), "--chart", "c.jpg")
    assert r.exit_code == 2 and ".pdf" in r.output and not (tmp_path / "o").exists()


# ------------------------------------------------------------------ §2 the scenario everywhere
def test_los_scenario_radar_and_overrides(tmp_path):
    warhead = MISSILES["irbm"]["warhead_rcs_m2"]
    js = json.loads(run("los", "forward-radar-2007", "38,50,300km", "--no-terrain", "--scenario", "third-site-2007",
                        "--json").stdout)
    assert js["radar"] == "forward-radar-2007" and js["scenario"] == "third-site-2007"
    assert js["rcs_m2"] == warhead
    # radar equation, R_ref = 1,500 km at 0.01 m2 (the scenario file) -> 2,243.0 km at 0.05 m2
    assert js["max_range_m"] == pytest.approx(1.5e6 * (warhead / 0.01) ** 0.25, rel=1e-12)
    r = run("los", "forward-radar-2007", "38,50,300km", "--no-terrain")
    # the way out, named (jdec-2000 defines the forward radar too)
    assert r.exit_code == 2 and "add --scenario " in r.output and "third-site-2007" in r.output
    # an override of the scenario applies: Brdy at 2,500 km against its 0.01 m2 reference
    text = (DATA / "scenarios" / "third-site-2007.toml").read_text(encoding="utf-8")
    mine = tmp_path / "mine.toml"
    mine.write_text(text + "\n[overrides.radars.brdy-emr]\nreference_range_m = 2.5e6\n", encoding="utf-8")
    js = json.loads(run("los", "brdy-emr", "50,15,300km", "--no-terrain", "--scenario", str(mine), "--rcs", "0.01",
                        "--json").stdout)
    assert js["max_range_m"] == pytest.approx(2.5e6, rel=1e-12)  # (0.01 / 0.01)^(1/4) = 1


COV = ["--altitude", "300km", "--no-terrain", "--no-map", "--resolution", "5deg", "--azimuth-step", "5deg"]


def _coverage_rcs(out: Path) -> dict[str, float]:
    doc = json.loads((out / "coverage.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["radar_id"]: f["properties"]["rcs_m2"] for f in doc["features"]}


def test_coverage_compares_radars_at_one_rcs(tmp_path):
    # gabala's reference RCS is 1 m2, brdy-emr's 0.01 m2 (radars.geojson): comparing their
    # published ranges would compare different targets
    assert RADARS["gabala"]["reference_rcs_m2"] != RADARS["brdy-emr"]["reference_rcs_m2"]
    r = run("coverage", "gabala", "brdy-emr", *COV, "--out", str(tmp_path / "a"))
    assert r.exit_code == 0, r.output
    smallest = min(m["warhead_rcs_m2"] for m in MISSILES.values())  # 0.05 m2 in missiles.toml
    assert _coverage_rcs(tmp_path / "a") == {"gabala": smallest, "brdy-emr": smallest}
    assert "target RCS" in r.stderr and f"{smallest:g} m²" in r.stderr
    r = run("coverage", "gabala", "brdy-emr", *COV, "--reference-rcs", "--out", str(tmp_path / "b"))
    assert r.exit_code == 0, r.output
    assert _coverage_rcs(tmp_path / "b") == {rid: RADARS[rid]["reference_rcs_m2"] for rid in ("gabala", "brdy-emr")}
    r = run("coverage", "gabala", *COV, "--rcs", "1", "--reference-rcs", "--out", str(tmp_path / "c"))
    assert r.exit_code == 2 and "contradict" in r.output


def test_coverage_scenario_radars_by_default_and_quiet(tmp_path):
    r = run("-q", "coverage", "--scenario", "third-site-2007", *COV, "--out", str(tmp_path / "a"))
    assert r.exit_code == 0, r.output
    assert r.stderr == ""  # -q: no notes
    want = set(THIRD_SITE["radars"]["early_warning"]) | set(THIRD_SITE["radars"]["fire_control"])
    warhead = MISSILES[THREAT]["warhead_rcs_m2"]
    assert _coverage_rcs(tmp_path / "a") == dict.fromkeys(want, warhead)
    r = run("coverage", *COV, "--out", str(tmp_path / "b"))
    assert r.exit_code == 2 and "--scenario" in r.output


def test_defaults_announced_only_when_defaulted():
    r = run("los", "gabala", "45,45,300km", "--no-terrain")
    assert "refraction model" in r.stderr and "target RCS" in r.stderr
    r = run("los", "gabala", "45,45,300km", "--no-terrain", "--model", "4/3", "--rcs", "1")
    assert r.stderr == ""
    r = run("los", "gabala", "45,45,300km", "--no-terrain", "--json")  # the JSON carries the values used
    assert r.stderr == "" and json.loads(r.stdout)["refraction_model"]


# ------------------------------------------------------------------ §4 site search
class _FakeExecutor:
    """Scores each variant from hand-made city sets instead of footprints: candidate
    (lat, lon) -> the cities it defends, so every marginal gain is known by hand."""

    workers = 1

    def __init__(self, defends: dict[tuple[float, float], set[int]], n_cities: int):
        self.defends, self.n = defends, n_cities

    def map(self, fn, items, *args, desc=""):
        # greedy_search maps search.score_task: one score per variant, here the 'cities'
        # objective by hand (every city threatened: the share of the n cities defended)
        out = []
        for task in items:
            covered = set().union(*(self.defends[c] for c in task.added)) if task.added else set()
            out.append(len(covered) / self.n)
        return out


def test_greedy_stops_at_zero_gain_and_reports_ties():
    from geocover.catalog import load_catalog
    from geocover.scenario import load_scenario
    from geocover.search import greedy_search

    sc = load_scenario("epaa-phase1-2011")
    a, b, c, d = (40.0, 20.0), (41.0, 21.0), (42.0, 22.0), (43.0, 23.0)
    # 6 cities: A defends 0-2 (gain 3/6), B and C both 3-4 (a tie, 2/6 each after A),
    # D only city 0 (nothing once A is chosen)
    ex = _FakeExecutor({a: {0, 1, 2}, b: {3, 4}, c: {3, 4}, d: {0}}, 6)
    lat = np.array([p[0] for p in (a, b, c, d)])
    lon = np.array([p[1] for p in (a, b, c, d)])
    res = greedy_search(sc, "radar", lat, lon, k=4, objective="cities", launches=["tabriz"],
                        template=load_catalog().radar("kurecik"), executor=ex)
    assert [(p["lat_deg"], p["lon_deg"]) for p in res.chosen] == [a, b]
    assert [p["gain"] for p in res.chosen] == pytest.approx([3 / 6, 2 / 6], abs=1e-15)
    assert res.chosen[0]["tied_with"] == []
    assert res.chosen[1]["tied_with"] == [{"lat_deg": c[0], "lon_deg": c[1]}]
    assert "stopped after 2 pick(s)" in res.stopped and "adds anything" in res.stopped


def test_region_edge():
    import shapely

    from geocover.search import on_region_edge

    box = shapely.box(0.0, 0.0, 4.0, 4.0)  # 1-degree candidates at 0.5 .. 3.5
    assert on_region_edge(0.5, 0.5, box, 1.0)  # neighbour at -0.5: outside
    assert on_region_edge(1.5, 3.5, box, 1.0)  # neighbour at lon 4.5: outside
    assert not on_region_edge(1.5, 2.5, box, 1.0)  # all eight neighbours inside


def test_search_printout_units_labels_edge_and_ties(capsys):
    from geocover.cli.optimise import _print_result
    from geocover.search import SearchResult

    class Sc:
        id = "demo"

    picks = [{"rank": 1, "lat_deg": 40.5, "lon_deg": -3.25, "gain": 39_511.4, "score": 991_475.2,
              "tied_with": [{"lat_deg": 41.5, "lon_deg": -3.25}], "on_region_edge": True}]
    res = SearchResult("radar", "area", 951_963.8, np.zeros(1), np.zeros(1), np.zeros(1), picks, 3, "",
                       "stopped after 1 pick(s): no remaining candidate adds anything to the 'area' objective")
    _print_result(Sc, res, 4)
    out = capsys.readouterr().out
    assert "without a new site: 951,964 km²" in out
    assert "#1: lat 40.50° N, lon 3.25° W: gain +39,511 km² -> 991,475 km²" in out
    assert "the optimum may lie outside the region" in out
    assert "tie: 1 other site(s) give exactly the same gain: lat 41.50° N, lon 3.25° W" in out
    assert "stopped after 1 pick(s)" in out
    res = SearchResult("interceptor", "cities", 0.25, np.zeros(1), np.zeros(1), np.zeros(1),
                       [{"rank": 1, "lat_deg": -10.0, "lon_deg": 30.0, "gain": 0.125, "score": 0.375,
                         "tied_with": []}], 3, "")
    _print_result(Sc, res, 1)
    out = capsys.readouterr().out
    assert "25.0 %" in out and "+12.5 percentage points -> 37.5 %" in out and "lat 10.00° S, lon 30.00° E" in out


def test_progress_bars_only_on_a_terminal(monkeypatch, capsys):
    import logging
    import sys

    from geocover.cli.options import progress, progress_bars
    from geocover.search import Executor

    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)  # not a notebook either
    Executor("none").map(lambda x: x, list(range(5)), desc="bars")
    assert "bars" not in capsys.readouterr().err  # stderr is not a terminal here: no bar lines
    assert not progress_bars()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    log = logging.getLogger("geocover")
    old = log.level
    try:
        log.setLevel(logging.WARNING)
        assert progress_bars()
        list(progress(range(3), "maps"))
        assert "maps" in capsys.readouterr().err  # a terminal: one bar
        log.setLevel(logging.ERROR)  # geocover -q
        assert not progress_bars()
    finally:
        log.setLevel(old)


# ------------------------------------------------------------------ the scenario file format page
def test_scenario_format_page_is_complete_and_its_example_loads(tmp_path):
    from geocover.catalog import Interceptor, Missile, Radar
    from geocover.scenario import load_scenario

    page = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    # every section and key the loader accepts (geocover/scenario.py), typed here
    keys = {"scenario": ["title", "year", "description", "sources", "notional"],
            "radars": ["early_warning", "fire_control"], "interceptors": ["id", "fire_control"],
            "threats": ["launch_sites", "missile", "classes"], "grid": ["bbox_deg", "resolution_deg"],
            "engagement": ["min_track_s", "kill_assessment_s", "samples"], "overrides": [], "sites": []}
    from geocover.scenario import _TOP

    # a section added to the loader and not to the page fails here
    assert set(keys) | {"sectors", "networks", "uncertain"} == set(_TOP)
    keys["sectors"] = ["rule"]
    keys["networks"] = ["latency_s", "use"]
    keys["uncertain"] = ["dist", "low", "high", "mode", "mean", "sd", "choices", "source"]
    for section, names in keys.items():
        assert re.search(rf"`\[+{section}\]+`", page), section
        for k in names:
            assert f"`{k}`" in page, f"{section}.{k}"
    for cls in (Radar, Interceptor, Missile):  # every record field a [[sites]] table or override may set
        for field in cls.SPEC:
            assert f"`{field}`" in page or f"`{field}`," in page or field in page, f"{cls.__name__}.{field}"
    assert "scenario-format.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    example = re.findall(r"```toml\n(.*?)```", page, re.S)[-1]
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    sc = load_scenario(path)
    assert "forward-radar-example" in sc.radars and sc.radars["brdy-emr"].reference_range_m == 2.5e6
    assert sc.samples == 120
