"""Threat sets (issue 12 §2): a scenario names several missile classes, each with its launch
areas; a city is reported per (launch, class) and is *defended* only when it is defended
against every (launch, class) pair that reaches it. A scenario with one ``missile`` (users'
own files) keeps giving exactly what it gave before.

The expected verdicts come from the one-class path, which predates threat sets: each class
run alone through a legacy single-``missile`` file, then combined by the rule by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from pyproj import Geod

from geocover.cli.main import cli
from geocover.engine import DEFENDED_RULE, ScenarioRun
from geocover.errors import CatalogError
from geocover.footprint import Architecture
from geocover.scenario import load_scenario

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"
BASE = (DATA / "third-site-2007.toml").read_text(encoding="utf-8")
BASE = BASE[:BASE.index("# Uncertain parameters")]  # [uncertain] is not what these tests are about
ONE_CLASS = BASE[BASE.index("[threats]\n") + len("[threats]\n"):BASE.index("[grid]")]  # the bundled set

# An inline target on the Black Sea coast east of the Bosporus (41.25 N 29.30 E), within
# reach of the 2,000 km Sejjil-2 class from Tabriz (great circle ~1,500 km, pyproj below),
# where the GBIs have ~22 s against the Sejjil-2 flight and none against the faster IRBM
# flight (rotating-Earth minimum-energy flights of least ground-relative speed; with the
# older inertial-angle flights, 41.25 N 28.25 E gave ~16-25 s and none).
ISTANBUL = '''
[[sites]]
id = "istanbul-test"
kind = "target"
name = "Black Sea coast east of the Bosporus (test target)"
lat_deg = 41.25
lon_deg = 29.30
ground_height_msl_m = 40.0
source = "test"
confidence = "high"
'''
#: Small box and coarse cells: the test is about the combination rule, not resolution.
GRID = '[grid]\nbbox_deg = [-12.0, 34.0, 45.0, 66.0]\nresolution_deg = 0.25'
SMALL_GRID = dict(bbox_deg=(-2.0, 36.0, 34.0, 54.0), resolution_deg=2.0)


def _write(tmp_path: Path, name: str, threats: str) -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(BASE.replace(ONE_CLASS, threats + "\n\n") + ISTANBUL, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("threats")
    return {
        "set": _write(d, "set", 'launch_sites = ["tabriz"]\n[[threats.classes]]\nmissile = "sejjil-2"\n'
                                '[[threats.classes]]\nmissile = "irbm"'),
        "sejjil": _write(d, "sejjil", 'launch_sites = ["tabriz"]\nmissile = "sejjil-2"'),
        "irbm": _write(d, "irbm", 'launch_sites = ["tabriz"]\nmissile = "irbm"'),
        "irbm-as-set": _write(d, "irbm-as-set", 'launch_sites = ["tabriz"]\n[[threats.classes]]\nmissile = "irbm"'),
        # classes from different launch areas: the Sejjil-2 from Tabriz, the IRBM from Isfahan only
        "split": _write(d, "split", 'launch_sites = ["tabriz"]\n[[threats.classes]]\nmissile = "sejjil-2"\n'
                                    '[[threats.classes]]\nmissile = "irbm"\nlaunch_sites = ["isfahan"]'),
    }


@pytest.fixture(scope="module")
def runs(files):
    return {k: ScenarioRun(load_scenario(str(p))) for k, p in files.items()}


def test_scenario_reads_a_threat_set(files):
    sc = load_scenario(str(files["set"]))
    assert [(c.missile.id, c.launch_sites) for c in sc.threat_classes] == [("sejjil-2", ("tabriz",)),
                                                                            ("irbm", ("tabriz",))]
    assert sc.missile.id == "irbm"  # the main class: the longest-range one of the set
    assert [m.id for m in sc.missiles_for("tabriz")] == ["sejjil-2", "irbm"]
    assert sc.to_dict()["threats"] == [{"missile": "sejjil-2", "launch_sites": ["tabriz"]},
                                       {"missile": "irbm", "launch_sites": ["tabriz"]}]
    legacy = load_scenario("third-site-2007")
    assert [(c.missile.id, c.launch_sites) for c in legacy.threat_classes] == [
        ("shahab-3", ("tabriz", "tehran", "isfahan", "shahrud")), ("irbm", ("tabriz", "tehran", "isfahan", "shahrud"))]


def test_defended_means_against_every_pair_that_reaches(runs):
    # London: Tabriz-London is ~3,890 km on the WGS84 ellipsoid (pyproj), beyond the 2,000 km
    # Sejjil-2 class (catalog range; ~2 % more is lost flying west): only the IRBM reaches it.
    geod = Geod(ellps="WGS84")
    _, _, d_london = geod.inv(46.2919, 38.0800, -0.128, 51.507)
    _, _, d_ist = geod.inv(46.2919, 38.0800, 29.30, 41.25)
    assert d_london > 3.8e6 and d_ist < 1.7e6
    one = {k: {r.target.id: r.engagement for r in runs[k].cities()} for k in ("sejjil", "irbm")}
    verdicts = {v.target.id: v for v in runs["set"].city_verdicts()}
    assert not one["sejjil"]["london"].reachable and one["irbm"]["london"].reachable
    assert verdicts["london"].reachable_from == [("tabriz", "irbm")]
    assert verdicts["london"].defended is one["irbm"]["london"].defended is True
    # The Black Sea target: both classes reach it; the slower Sejjil-2 flight is defended, the IRBM one is
    # not (too late): defended against the set = False, though one class alone says True.
    assert one["sejjil"]["istanbul-test"].defended and one["irbm"]["istanbul-test"].reachable
    assert not one["irbm"]["istanbul-test"].defended
    ist = verdicts["istanbul-test"]
    assert ist.reachable_from == [("tabriz", "sejjil-2"), ("tabriz", "irbm")]
    assert ist.defended_against == [("tabriz", "sejjil-2")] and ist.defended is False
    # Every city: the rule applied by hand to the one-class runs.
    for cid, v in verdicts.items():
        reach = [(m, e) for m in ("sejjil", "irbm") if (e := one[m][cid]).reachable]
        assert v.defended == (all(e.defended for _, e in reach) if reach else None), cid
        assert len(v.reachable_from) == len(reach)
    # Rows per (launch, class), each the one-class row with its class named.
    rows = runs["set"].cities()
    assert {(r.target.id, r.missile) for r in rows} == {(c, m) for c in verdicts for m in ("sejjil-2", "irbm")}
    for r in rows:
        assert r.engagement == one["sejjil" if r.missile == "sejjil-2" else "irbm"][r.target.id]


def test_all_grid_combines_every_pair(runs):
    fp = runs["set"].footprint(["tabriz"], **SMALL_GRID)
    ref = {k: runs[k].footprint(["tabriz"], **SMALL_GRID).battle_space_s["tabriz"] for k in ("sejjil", "irbm")}
    assert set(fp.by_threat) == {("tabriz", "sejjil-2"), ("tabriz", "irbm")}
    np.testing.assert_array_equal(fp.by_threat[("tabriz", "sejjil-2")], ref["sejjil"])
    np.testing.assert_array_equal(fp.by_threat[("tabriz", "irbm")], ref["irbm"])
    # the least battle space over the classes that reach a cell; NaN only where none reaches
    with np.errstate(invalid="ignore"):
        expect = np.where(np.isnan(ref["sejjil"]), ref["irbm"],
                          np.where(np.isnan(ref["irbm"]), ref["sejjil"], np.minimum(ref["sejjil"], ref["irbm"])))
    np.testing.assert_array_equal(fp.battle_space_s["tabriz"], expect)
    np.testing.assert_array_equal(fp.combined("all"), expect)
    only_irbm = np.isnan(ref["sejjil"]) & np.isfinite(ref["irbm"])
    both = np.isfinite(ref["sejjil"]) & np.isfinite(ref["irbm"])
    assert only_irbm.any() and both.any()  # the box holds both kinds of cell


def test_legacy_file_unchanged(runs, files):
    """A one-``missile`` file is the set of that one class, and gives exactly what the
    one-class engine path gave before threat sets (``Architecture.engage_points`` with the
    scenario's missile, bit for bit)."""
    a, b = runs["irbm"], runs["irbm-as-set"]
    fa, fb = a.footprint(**SMALL_GRID), b.footprint(**SMALL_GRID)
    np.testing.assert_array_equal(fa.battle_space_s["tabriz"], fb.battle_space_s["tabriz"])
    np.testing.assert_array_equal(fa.shoot_look_shoot["tabriz"], fb.shoot_look_shoot["tabriz"])
    assert [r.to_row() for r in a.cities()] == [r.to_row() for r in b.cities()]
    sc = a.scenario
    site = sc.catalog.launch_site("tabriz")
    lat2, lon2 = fa.grid.cell_centres()
    old = Architecture(sc).engage_points(site.lat_deg, site.lon_deg, lat2, lon2)
    grid = fa.battle_space_s["tabriz"]
    np.testing.assert_array_equal(grid, old.battle_space_s.reshape(grid.shape).astype(np.float32))


def test_footprint_command_writes_the_rule(files, tmp_path):
    out = tmp_path / "fp"
    r = CliRunner().invoke(cli, ["footprint", str(files["set"]), "--resolution", "4", "--bbox", "20,36,32,54",
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    js = json.loads((out / "cities.json").read_text())
    assert js["rule"] == DEFENDED_RULE
    assert js["threats"] == [{"launch": "tabriz", "missile": "sejjil-2"}, {"launch": "tabriz", "missile": "irbm"}]
    ist = next(c for c in js["cities"] if c["target"] == "istanbul-test")
    assert ist["defended"] is False
    assert ist["reachable_from"] == [{"launch": "tabriz", "missile": "sejjil-2"},
                                     {"launch": "tabriz", "missile": "irbm"}]
    assert ist["defended_against"] == [{"launch": "tabriz", "missile": "sejjil-2"}]
    header = (out / "cities.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["target", "launch", "missile", "reachable"]


@pytest.mark.parametrize("threats, key", [
    ('launch_sites = ["tabriz"]\nmissile = "irbm"\n[[threats.classes]]\nmissile = "irbm"', "threats.missile"),
    ('launch_sites = ["tabriz"]\n[[threats.classes]]\nmissile = "irbm"\n[[threats.classes]]\nmissile = "irbm"',
     "threats.classes[1].missile"),
    ('[[threats.classes]]\nmissile = "irbm"', "threats.classes[0].launch_sites"),
    ('launch_sites = ["tabriz"]\n[[threats.classes]]\nmissile = "irbn"', "threats.classes[0].missile"),
    ('launch_sites = ["tabriz"]\n[[threats.classes]]\nmissile = "irbm"\nlaunch_site = ["tabriz"]',
     "threats.classes[0].launch_site"),
])
def test_bad_threat_sets_name_the_key(tmp_path, threats, key):
    p = _write(tmp_path, "bad", threats)
    with pytest.raises(CatalogError, match=f"key '{key.replace('[', '.').replace(']', '.')}'"):
        load_scenario(str(p))


# ------------------------------------------------------------------ engage (issue 12 §2)
def _engage(*args):
    r = CliRunner().invoke(cli, ["-q", "engage", *args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_engage_flies_every_class_of_the_set(files):
    """``engage`` without --missile on a threat set: one result per class, each the
    ``--missile X`` result of that class, and the verdict over the set by the rule applied by
    hand to them."""
    f = str(files["set"])
    out = _engage(f, "tabriz", "istanbul-test")
    one = {m: _engage(f, "tabriz", "istanbul-test", "--missile", m) for m in ("sejjil-2", "irbm")}
    assert out["missile"] == "sejjil-2,irbm" and out["rule"] == DEFENDED_RULE
    assert [c["missile"] for c in out["classes"]] == ["sejjil-2", "irbm"]
    for c in out["classes"]:
        ref = {k: v for k, v in one[c["missile"]].items() if k not in ("reachable_from", "defended_against", "rule")}
        assert c == ref
    # by hand: both classes reach (Tabriz-target ~1,500 km < 2,000 km, pyproj in the test above);
    # the Sejjil-2 flight is defended, the IRBM one is not -> not defended, decided by the IRBM
    assert one["sejjil-2"]["reachable"] and one["sejjil-2"]["defended"] is True
    assert one["irbm"]["reachable"] and one["irbm"]["defended"] is False
    assert out["reachable"] is True and out["defended"] is False
    assert out["reachable_from"] == [{"launch": "tabriz", "missile": "sejjil-2"},
                                     {"launch": "tabriz", "missile": "irbm"}]
    assert out["defended_against"] == [{"launch": "tabriz", "missile": "sejjil-2"}]
    assert out["deciding_missile"] == "irbm" and out["limited_by"] == one["irbm"]["limited_by"]
    assert out["battle_space_s"] == min(one[m]["battle_space_s"] for m in one)
    # London: only the IRBM reaches it (~3,890 km, pyproj above): the set's verdict is the IRBM's
    ldn = _engage(f, "tabriz", "london")
    ldn_irbm = _engage(f, "tabriz", "london", "--missile", "irbm")
    assert [c["reachable"] for c in ldn["classes"]] == [False, True]
    assert ldn["reachable_from"] == [{"launch": "tabriz", "missile": "irbm"}]
    assert ldn["defended"] is ldn_irbm["defended"] and ldn["battle_space_s"] == ldn_irbm["battle_space_s"]
    # Washington (~9,700 km from Tabriz, SOURCES.md): no class reaches; not an error
    far = _engage(f, "tabriz", "washington")
    assert far["reachable"] is False and far["defended"] is None and far["reachable_from"] == []
    assert far["limited_by"] == "not_reachable" and far["battle_space_s"] is None


def test_engage_one_class_keeps_its_keys(files):
    """A one-``missile`` scenario (and --missile) gives the keys it gave before threat sets,
    plus the rule's: no ``classes``."""
    out = _engage(str(files["irbm"]), "tabriz", "istanbul-test")
    assert out["missile"] == "irbm" and "classes" not in out
    for k in ("reachable", "defended", "battle_space_s", "limited_by", "earliest_t_s", "first_detection_t_s",
              "warning_time_s", "overflown", "responsible_side", "interceptor", "radar"):
        assert k in out
    assert out["reachable_from"] == [{"launch": "tabriz", "missile": "irbm"}]
    assert out["defended_against"] == ([{"launch": "tabriz", "missile": "irbm"}] if out["defended"] else [])
    r = CliRunner().invoke(cli, ["engage", str(files["set"]), "tabriz", "istanbul-test"])
    assert r.exit_code == 0, r.output
    # text: a table, one row per class (catalog names) and one for the set, then the verdict line
    rows = [ln for ln in r.output.splitlines() if ln.strip()[:1].isdigit()]
    assert "Sejjil-2" in rows[0] and "IRBM class" in rows[1] and "threat set" in rows[2]
    assert "NOT defended: not against IRBM class" in r.output and "against the threat set" in r.output


def test_engage_only_the_classes_of_that_launch_area(files):
    """In the "split" set the IRBM is launched from Isfahan only: from Tabriz, ``engage`` flies
    the Sejjil-2 alone (the one-class result), from Isfahan the IRBM alone."""
    f = str(files["split"])
    tab = _engage(f, "tabriz", "istanbul-test")
    assert tab["missile"] == "sejjil-2" and "classes" not in tab
    assert tab["reachable_from"] == [{"launch": "tabriz", "missile": "sejjil-2"}]
    assert _engage(f, "isfahan", "istanbul-test")["missile"] == "irbm"


# ------------------------------------------------------------------ timeline (issue 12 §2)
def _timeline(*args):
    r = CliRunner().invoke(cli, ["timeline", *args, "--no-terrain", "--step", "10s", "--json"])
    assert r.exit_code == 0, r.output
    r2 = CliRunner().invoke(cli, ["timeline", *args, "--no-terrain", "--step", "10s"])  # the notes (stderr)
    assert r2.exit_code == 0, r2.output
    return json.loads(r.stdout), [ln for ln in r2.stderr.splitlines() if "missile class" in ln]


def test_timeline_defaults_to_the_sets_class_that_reaches(files):
    # Both classes reach the Black Sea target from Tabriz (~1,500 km, pyproj above): the
    # longest-range one (IRBM, 5,500 km vs 2,000 km catalog range) is flown, the Sejjil-2 named.
    out, notes = _timeline("tabriz", "istanbul-test", "--scenario", str(files["set"]))
    assert out["missile"] == "irbm" and out["threat_set_reaching"] == ["sejjil-2", "irbm"]
    assert "--missile sejjil-2" in notes[0]
    # London (~3,890 km): the Sejjil-2 cannot reach it, so only the IRBM; nothing else named
    out, notes = _timeline("tabriz", "london", "--scenario", str(files["set"]))
    assert out["missile"] == "irbm" and out["threat_set_reaching"] == ["irbm"] and "also" not in notes[0]
    # The split set from Tabriz launches the Sejjil-2 only: it is flown to the Black Sea target
    # although the IRBM (launched from Isfahan) is the set's main class ...
    out, notes = _timeline("tabriz", "istanbul-test", "--scenario", str(files["split"]))
    assert out["missile"] == "sejjil-2" and out["threat_set_reaching"] == ["sejjil-2"]
    # ... and London, out of the Sejjil-2's reach, gets the shortest-range catalog class that reaches
    out, notes = _timeline("tabriz", "london", "--scenario", str(files["split"]))
    assert out["threat_set_reaching"] == [] and "no class of scenario" in notes[0]
    # --missile is the user's choice, not announced, no threat_set_reaching
    out, notes = _timeline("tabriz", "istanbul-test", "--scenario", str(files["set"]), "--missile", "sejjil-2")
    assert out["missile"] == "sejjil-2" and "threat_set_reaching" not in out and not notes


# ------------------------------------------------------------------ GIS flights (issue 12 §2)
def test_gis_flights_one_per_launch_class_city(files, runs):
    """``gis.scenario_flights``: one flight per (launch, class, city the class reaches), with
    its class in ``missile``; the reaching cities of each class are those of the one-class
    files (which predate threat sets), aimed again or reused from the run."""
    from geocover.gis import scenario_flights

    sc = runs["set"].scenario
    want = {(t.id, m) for m, k in (("sejjil-2", "sejjil"), ("irbm", "irbm"))
            for t, e in ((r.target, r.engagement) for r in runs[k].cities()) if e.reachable}
    # independent anchors (pyproj distances above): London by the IRBM only, the Black Sea target by both
    assert ("london", "irbm") in want and ("london", "sejjil-2") not in want
    assert {("istanbul-test", "sejjil-2"), ("istanbul-test", "irbm")} <= want
    for run in (None, runs["set"]):
        tracks = scenario_flights(sc, ["tabriz"], step_s=60.0, run=run)
        got = {(p["target"], p["missile"]) for *_, p in tracks}
        assert got == want and len(tracks) == len(want)
        assert {p["launch"] for *_, p in tracks} == {"tabriz"}
        names = {name for name, *_ in tracks}
        assert "tabriz -> london (irbm)" in names and "tabriz -> istanbul-test (sejjil-2)" in names
    # a one-class scenario keeps its names
    one = scenario_flights(runs["irbm"].scenario, ["tabriz"], step_s=60.0)
    assert "tabriz -> london" in {name for name, *_ in one}


# ------------------------------------------------------------------ map popups (issue 12 §2)
def test_map_popups_name_every_class(runs):
    """The scenario map's city popups: rows per class of the set launched from the site, and
    the marker's verdict over the set (the one-class results combined by the rule by hand)."""
    import re

    from geocover.maps import render_html, scenario_map

    html = render_html(scenario_map(runs["set"].scenario, launch_id="tabriz", altitudes_m=(300e3,), terrain=False,
                                    footprint_resolution_deg=2.0, run=runs["set"]))
    (blob,) = re.findall(r'<script type="application/json" id="geocover-data">(.*?)</script>', html, re.S)
    pops = {b["popup"]["title"]: b["popup"]["rows"] for b in json.loads(blob)["bind"] if "popup" in b}
    one = {k: {r.target.id: r.engagement for r in runs[k].cities()} for k in ("sejjil", "irbm")}
    sc = runs["set"].scenario
    names = {m: sc.catalog.missile(m).name for m in ("sejjil-2", "irbm")}
    for cid in ("istanbul-test", "london"):
        rows = pops[sc.catalog.site(cid).name]
        threats = [v for k, v in rows if k == "threat"]
        tabriz = sc.catalog.launch_site("tabriz").name
        assert threats == [f"{names['sejjil-2']} from {tabriz}", f"{names['irbm']} from {tabriz}"]
        status = [v for k, v in rows if k == "status"]
        want = ["out of reach" if not e.reachable else "defended" if e.defended else "NOT defended"
                for e in (one["sejjil"][cid], one["irbm"][cid])]
        assert status == want
    # by the rule: the Black Sea target is not defended against the set (the IRBM), London is
    # defended against the one class that reaches it (the IRBM)
    assert dict(pops[sc.catalog.site("istanbul-test").name])["against the set"].startswith("NOT defended (1 of 2")
    assert dict(pops[sc.catalog.site("london").name])["against the set"] == \
        ("defended against every class that reaches (1)" if one["irbm"]["london"].defended
         else "NOT defended (1 of 1 classes)")


# ------------------------------------------------------------------ RCS defaults (issue 12 §2)
#: A user's class (--catalog) with the longest range of the set but a large warhead: the set's
#: main class, and not the hardest to see.
BIG_RCS = '''[missile.big-rcs]
name = "Test class with a large warhead"
stages = 2
range_m = 6_000_000.0
burn_time_s = 180.0
burnout_altitude_m = 200_000.0
body_rcs_m2 = 10.0
warhead_rcs_m2 = 1.0
source = "test"
confidence = "notional"
'''


def test_rcs_default_is_the_sets_smallest_warhead(tmp_path):
    """``los``/``coverage``/``vcd --scenario`` default to the smallest warhead RCS of the
    threat set (the hardest to see), not the main class's; the note names the class."""
    import tomllib

    cat = tmp_path / "user-missiles.toml"
    cat.write_text(BIG_RCS, encoding="utf-8")
    p = _write(tmp_path, "big", 'launch_sites = ["tabriz"]\n[[threats.classes]]\nmissile = "sejjil-2"\n'
                                '[[threats.classes]]\nmissile = "big-rcs"')
    # the catalog's own numbers, read as plain TOML: Sejjil-2 0.05 m² < big-rcs 1.0 m²
    bundled = tomllib.loads((DATA.parent / "catalog" / "missiles.toml").read_text(encoding="utf-8"))
    sejjil_rcs = bundled["missile"]["sejjil-2"]["warhead_rcs_m2"]
    assert sejjil_rcs < 1.0
    r = CliRunner().invoke(cli, ["los", "gabala", "45,45,300km", "--scenario", str(p), "--catalog", str(cat),
                                 "--no-terrain", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["rcs_m2"] == sejjil_rcs
    r = CliRunner().invoke(cli, ["los", "gabala", "45,45,300km", "--scenario", str(p), "--catalog", str(cat),
                                 "--no-terrain"])
    (line,) = [ln for ln in r.stderr.splitlines() if "target RCS" in ln]
    assert f"{sejjil_rcs:g} m²" in line and "Sejjil-2" in line and "big-rcs 1 m²" in line
    r = CliRunner().invoke(cli, ["coverage", "gabala", "--scenario", str(p), "--catalog", str(cat),
                                 "--altitude", "300km", "--no-terrain", "--resolution", "1", "--no-map",
                                 "--azimuth-step", "5", "--out", str(tmp_path / "cov")])
    assert r.exit_code == 0, r.output
    (line,) = [ln for ln in r.stderr.splitlines() if "target RCS" in ln]
    assert line.startswith(f"geocover: note: target RCS: {sejjil_rcs:g} m² (warhead of Sejjil-2")


def test_comparison_caption_lists_every_class():
    from geocover.plots import comparison_caption

    cap = comparison_caption([load_scenario("third-site-2007")], None, "crpl")
    # the bundled set (data/scenarios/third-site-2007.toml): Shahab-3 and the IRBM class
    assert "Shahab-3" in cap and "IRBM class" in cap


# ------------------------------------------------------------------ fusion (issue 12 §2)
_FUSION = """[scenario]
title = "fusion threat-set test"
[radars]
early_warning = ["gabala"]
fire_control = ["brdy-emr"]
[[interceptors]]
id = "redzikowo-gbi"
[threats]
launch_sites = ["tabriz"]
{threats}
[grid]
bbox_deg = [-12.0, 34.0, 45.0, 66.0]
[networks]
us = ["brdy-emr"]
russia = ["gabala"]
[[networks.links]]
from = "russia"
to = "us"
latency_s = 30.0
use = "cue"
"""


def test_link_value_over_the_threat_set(tmp_path):
    """``fusion.link_value`` counts every (class, city) flight of the classes launched from the
    area, and a city as defended when it is defended against every class that reaches it: the
    one-class link values (and the one-class engine runs, with and without the linked
    network) combined by hand."""
    from geocover.fusion import link_value, without_network

    def load(name, threats):
        p = tmp_path / f"{name}.toml"
        p.write_text(_FUSION.format(threats=threats), encoding="utf-8")
        return load_scenario(str(p))

    sset = load("set", '[[threats.classes]]\nmissile = "sejjil-2"\n[[threats.classes]]\nmissile = "irbm"')
    one = {m: load(m, f'missile = "{m}"') for m in ("sejjil-2", "irbm")}
    kw = dict(latencies_s=(0.0, 60.0), resolution_deg=6.0)
    d = link_value(sset, ["tabriz"], **kw)["launches"]["tabriz"]["russia"]
    e = {m: link_value(sc, ["tabriz"], **kw)["launches"]["tabriz"]["russia"] for m, sc in one.items()}
    assert d["missiles"] == ["sejjil-2", "irbm"] and e["irbm"]["missiles"] == ["irbm"]
    assert d["flights_reached"] == sum(x["cities_reached"] for x in e.values())
    for k, s in enumerate(d["latency_sweep"]):
        assert s["flights_gaining"] == sum(x["latency_sweep"][k]["flights_gaining"] for x in e.values())
    assert d["gain_disappears_at_latency_s"] == max(x["gain_disappears_at_latency_s"] for x in e.values())
    lo, hi = sorted(x["mean_warning_time_s_with"] for x in e.values())  # a mean over both classes' flights
    assert lo <= d["mean_warning_time_s_with"] <= hi
    # cities: the rule by hand on the one-class engine runs, with and without the network
    for key, variant in (("with", lambda sc: sc), ("without", lambda sc: without_network(sc, "russia"))):
        rows = {m: {r.target.id: r.engagement for r in ScenarioRun(variant(sc)).cities()} for m, sc in one.items()}
        reached = {c for m in rows for c, eg in rows[m].items() if eg.reachable}
        defended = {c for c in reached if all(rows[m][c].defended for m in rows if rows[m][c].reachable)}
        assert d["cities_reached"] == len(reached)
        assert d[f"cities_defended_{key}"] == len(defended), key


# ------------------------------------------------------------------ sectors (issue 12 §2)
def test_responsibility_per_launch_and_class(tmp_path):
    """``sectors.responsibility_features``: one set of polygons per (launch, class) of the set,
    each class's exactly those of the one-class scenario (which predates threat sets)."""
    from shapely.geometry import Point

    from geocover.sectors import responsibility_features

    text = (DATA / "sectoral-2011.toml").read_text(encoding="utf-8")
    text = text[:text.index("[uncertain")]
    old = 'launch_sites = ["tabriz", "tehran", "isfahan", "shahrud"]\nmissile = "irbm"'
    assert old in text

    def load(name, threats):
        p = tmp_path / f"{name}.toml"
        p.write_text(text.replace(old, 'launch_sites = ["tabriz"]\n' + threats), encoding="utf-8")
        return load_scenario(str(p))

    sset = load("set", '[[threats.classes]]\nmissile = "sejjil-2"\n[[threats.classes]]\nmissile = "irbm"')
    grid = ("tabriz", -12.0, 66.0, 2.0, (16, 29))  # 2° cells over 12 W-46 E, 34-66 N
    feats = responsibility_features(sset, [grid[0]], *grid[1:])
    assert {p["missile"] for _, p in feats} == {"sejjil-2", "irbm"} and {p["launch"] for _, p in feats} == {"tabriz"}
    for m in ("sejjil-2", "irbm"):
        ref = responsibility_features(load(m, f'missile = "{m}"'), [grid[0]], *grid[1:])
        got = [(g, {k: v for k, v in p.items() if k != "scenario"}) for g, p in feats if p["missile"] == m]
        assert [p for _, p in got] == [{k: v for k, v in p.items() if k != "scenario"} for _, p in ref]
        assert all(a.equals(b) for (a, _), (b, _) in zip(got, ref, strict=True))
    # London (~3,890 km from Tabriz, pyproj above): in the IRBM's area only, beyond the 2,000 km Sejjil-2
    london = Point(-0.128, 51.507)
    assert any(g.contains(london) for g, p in feats if p["missile"] == "irbm")
    assert not any(g.contains(london) for g, p in feats if p["missile"] == "sejjil-2")


# ------------------------------------------------------------------ raid (issue 12 §2)
def _raid(*args, notes=True):
    r = CliRunner().invoke(cli, ["raid", *args, "--json", "--threats"])
    assert r.exit_code == 0, r.output
    if not notes:
        return json.loads(r.stdout), None
    r2 = CliRunner().invoke(cli, ["raid", *args])  # the notes (stderr; --json silences them)
    assert r2.exit_code == 0, r2.output
    return json.loads(r.stdout), [ln for ln in r2.stderr.splitlines() if "missile class" in ln]


def test_raid_default_class_is_the_sets_from_that_launch(files, tmp_path):
    """``raid`` without --class: the longest-range class of the set launched from --launch,
    announced with the others; the result is that of ``--class`` that class. Raid-file rows
    without ``class`` follow the same rule per row."""
    f = str(files["split"])
    # the split set launches only the Sejjil-2 from Tabriz (and only the IRBM from Isfahan)
    got, notes = _raid(f, "--launch", "tabriz", "--target", "istanbul-test", "--count", "2")
    ref, ref_notes = _raid(f, "--launch", "tabriz", "--target", "istanbul-test", "--count", "2", "--class", "sejjil-2")
    assert got == ref and {t["missile"] for t in got["threat_results"]} == {"sejjil-2"}
    assert "(sejjil-2:" in notes[0] and not ref_notes
    got, _ = _raid(f, "--launch", "isfahan", "--target", "istanbul-test", notes=False)
    assert {t["missile"] for t in got["threat_results"]} == {"irbm"}
    # both classes from Tabriz: the IRBM (5,500 km against 2,000 km, catalog), the Sejjil-2 named
    got, notes = _raid(str(files["set"]), "--launch", "tabriz", "--target", "istanbul-test")
    assert {t["missile"] for t in got["threat_results"]} == {"irbm"} and "--class sejjil-2" in notes[0]
    raid = tmp_path / "raid.toml"
    raid.write_text('[[threat]]\nlaunch = "tabriz"\ntarget = "istanbul-test"\n'
                    '[[threat]]\nlaunch = "isfahan"\ntarget = "istanbul-test"\n', encoding="utf-8")
    got, _ = _raid(f, "--raid", str(raid), notes=False)
    assert [t["missile"] for t in got["threat_results"]] == ["sejjil-2", "irbm"]


# ------------------------------------------------------------------ defender's warning (issue 14)
def test_engage_warning_is_the_defenders(tmp_path):
    """With ``[networks]``, ``engage``'s first detection and warning are the defender's: the
    Russian network's Gabala reaches the US network (Brdy, which cannot search and is never
    cued over an early-warning link) only as a track, after the link's latency. Hand check:
    the latency is added exactly (100 s later first detection, 100 s less warning), the
    all-radar values do not move, the track forms no sooner than ``min_track_s`` (10 s) after
    the first detection, and a latency longer than the flight leaves no warning."""
    def engage(latency_s):
        text = _FUSION.format(threats='missile = "irbm"').replace("latency_s = 30.0", f"latency_s = {latency_s}")
        p = tmp_path / f"l{latency_s:g}.toml"
        p.write_text(text.replace('use = "cue"', 'use = "early_warning"'), encoding="utf-8")
        return _engage(str(p), "tabriz", "warsaw")

    a, b, never = engage(0.0), engage(100.0), engage(3600.0)  # 3,600 s: the largest latency a scenario takes
    assert a["first_detection_any_radar_t_s"] == b["first_detection_any_radar_t_s"] == \
        never["first_detection_any_radar_t_s"]
    assert a["first_detection_any_radar_t_s"] > 0 and a["flight_time_s"] < 3600.0
    assert b["first_detection_t_s"] - a["first_detection_t_s"] == pytest.approx(100.0, abs=1e-9)
    assert a["warning_time_s"] - b["warning_time_s"] == pytest.approx(100.0, abs=1e-9)
    assert a["warning_time_s"] == pytest.approx(a["flight_time_s"] - a["first_detection_t_s"], abs=1e-9)
    assert a["first_detection_t_s"] >= a["first_detection_any_radar_t_s"] + 10.0
    assert never["first_detection_t_s"] is None and never["warning_time_s"] is None
    # without [networks] the two are the same (every radar in one network)
    one = _engage(str(DATA / "third-site-2007.toml"), "tabriz", "warsaw", "--missile", "irbm")
    assert one["first_detection_t_s"] == one["first_detection_any_radar_t_s"]


# ------------------------------------------------------------------ compare (issue 12 §2)
def test_compare_first_detection_over_every_class(runs):
    """``compare``'s ``first_detection_s_<launch>``: the mean over every (class, city) flight
    of the classes launched there (the one-class runs' first detections pooled by hand);
    its cities verdicts follow the rule (the test above)."""
    from geocover.compare import scenario_metrics

    met, per_city = scenario_metrics(runs["set"].scenario, ["tabriz"], resolution_deg=SMALL_GRID["resolution_deg"],
                                     bbox_deg=SMALL_GRID["bbox_deg"], run=runs["set"])
    pooled = [r.engagement.first_detection_t_s for k in ("sejjil", "irbm") for r in runs[k].cities()
              if r.engagement.first_detection_t_s is not None]
    assert met["first_detection_s_tabriz"] == pytest.approx(float(np.mean(pooled)), rel=1e-12)
    assert met["missile"] == "sejjil-2,irbm"
    verdicts = {v.target.id: v.defended for v in runs["set"].city_verdicts() if v.defended is not None}
    assert per_city == verdicts
