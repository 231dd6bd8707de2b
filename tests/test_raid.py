"""Raids, inventories and kill probabilities (geocover.raid, ``geocover raid``).

Closed forms are checked against numbers typed here from their formula; the allocation on
hand-built opportunities whose outcome is worked out in the comments; the engine-backed
raid against the full architecture's own engagement (a threat is engageable by some
battery exactly when the whole architecture defends it)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from geocover.cli.main import cli
from geocover.raid import (
    Doctrine,
    Opportunity,
    RaidGroup,
    RaidResult,
    ThreatOutcome,
    allocate,
    kill_probability,
    parse_doctrine,
    run_raid,
    sls_kill_probability,
)


def run(*args):
    return CliRunner().invoke(cli, list(args))


# ---------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize(("p", "k", "expected"), [
    # 1 - (1 - P)^K typed out: 1 - 0.3^3 = 1 - 0.027; 1 - 0.5^4 = 1 - 0.0625; K = 0 kills nothing
    (0.7, 3, 0.973), (0.5, 4, 0.9375), (0.5, 1, 0.5), (0.9, 0, 0.0), (1.0, 2, 1.0), (0.0, 5, 0.0),
])
def test_salvo_kill_probability(p, k, expected):
    # 1e-15: double rounding of a few products, nothing else
    assert kill_probability(p, k) == pytest.approx(expected, abs=1e-15)


def test_shoot_look_shoot_two_stages():
    # P + (1 - P) P: 0.6 + 0.4 * 0.6 = 0.84 (= 1 - 0.4^2); no second stage: P
    assert sls_kill_probability(0.6, True) == pytest.approx(0.84, abs=1e-15)
    assert sls_kill_probability(0.6, False) == 0.6


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_sspk_outside_unit_interval_is_refused(bad):
    with pytest.raises(ValueError, match="sspk"):
        kill_probability(bad, 1)


@pytest.mark.parametrize(("text", "kind", "shots"), [("salvo:3", "salvo", 3), ("sls", "sls", 1),
                                                     ("salvo", "salvo", 1)])
def test_parse_doctrine(text, kind, shots):
    assert parse_doctrine(text) == Doctrine(kind, shots)


@pytest.mark.parametrize("bad", ["salvo:0", "salvo:17", "volley", "salvo:-1", "sls:2"])
def test_bad_doctrine(bad):
    with pytest.raises(ValueError, match="--doctrine"):
        parse_doctrine(bad)


# ---------------------------------------------------------------------------- allocation
def _threat(i, target, opps, reachable=True):
    return ThreatOutcome(i, "l", target, "m", reachable, [Opportunity(*o) for o in opps])


def _hand_raid():
    # battery A: 3 interceptors; battery B: 2. Opportunities (battery, first, last, battle space, sls):
    return [
        _threat(0, "x", [("A", 100, 300, 200.0, True), ("B", 150, 250, 100.0, False)]),
        _threat(1, "x", [("A", 100, 150, 50.0, False)]),  # least battle space: served first
        _threat(2, "y", [("B", 100, 180, 80.0, True)]),
        _threat(3, "y", []),  # no opportunity: leaks
        _threat(4, "y", [("A", 100, 400, 300.0, True)], reachable=False),  # falls short: never a leaker
    ]


def test_greedy_least_battle_space_first_salvo():
    ts = _hand_raid()
    left = allocate(ts, {"A": 3, "B": 2}, {"A": 0.5, "B": 0.8}, Doctrine("salvo", 2), order=["A", "B"])
    # order by battle space: t1 (50) -> A (A 3 -> 1); t2 (80) -> B (B 2 -> 0);
    # t0 (200): A has 1 < 2, B has 0 -> not engaged; t3 has no opportunity; t4 does not arrive
    assert [t.battery for t in ts] == ["", "A", "B", "", ""]
    assert left == {"A": 1, "B": 0}
    r = RaidResult("hand", Doctrine("salvo", 2), {"A": 0.5, "B": 0.8}, {"A": 3, "B": 2}, left, ts).to_dict()
    # p_k: t1 = 1 - 0.5^2 = 0.75; t2 = 1 - 0.2^2 = 0.96; t0 and t3: 0 (all leak)
    assert r["threats_engaged"] == 2 and r["threats_reaching"] == 4 and r["threats_engageable"] == 3
    assert r["interceptors_used"] == {"A": 2, "B": 2}
    assert r["expected_leakers"] == pytest.approx(1 + 1 + 0.25 + 0.04, abs=1e-12)
    assert r["p_zero_leakers"] == 0.0  # a threat left without interceptors leaks for sure
    assert r["per_target"]["x"]["expected_leakers"] == pytest.approx(1.25, abs=1e-12)
    assert r["per_target"]["y"]["expected_leakers"] == pytest.approx(1.04, abs=1e-12)
    assert r["per_target"]["y"]["threats"] == 3 and r["per_target"]["y"]["threats_reaching"] == 2


def test_shoot_look_shoot_allocation_and_product():
    ts = [_threat(0, "x", [("A", 0, 100, 100.0, True)]), _threat(1, "x", [("A", 0, 100, 90.0, False)]),
          _threat(2, "x", [("A", 0, 100, 120.0, True)])]
    left = allocate(ts, {"A": 4}, {"A": 0.6}, Doctrine("sls", 1))
    # t1 (90 s, no second stage): 1 interceptor, p = 0.6; t0 (100 s): 2 reserved, p = 0.84;
    # t2 (120 s): 1 left, so one shot: p = 0.6
    assert [t.interceptors for t in ts] == [2, 1, 1] and left == {"A": 0}
    assert [t.p_kill for t in ts] == pytest.approx([0.84, 0.6, 0.6], abs=1e-15)
    # expected fired: 1 + 0.4 for the two-stage threat, 1 each for the others
    assert sum(t.expected_fired for t in ts) == pytest.approx(3.4, abs=1e-15)
    r = RaidResult("hand", Doctrine("sls", 1), {"A": 0.6}, {"A": 4}, left, ts).to_dict()
    # independent threats: P(no leaker) = 0.84 * 0.6 * 0.6 = 0.3024
    assert r["p_zero_leakers"] == pytest.approx(0.3024, abs=1e-15)


def test_battery_with_the_longest_battle_space_is_chosen():
    ts = [_threat(0, "x", [("A", 0, 100, 60.0, False), ("B", 0, 100, 200.0, False)])]
    allocate(ts, {"A": 5, "B": 5}, {"A": 0.5, "B": 0.5}, Doctrine("salvo", 1))
    assert ts[0].battery == "B"


def test_zero_inventory_engages_nothing():
    ts = _hand_raid()
    left = allocate(ts, {"A": 0, "B": 0}, {"A": 0.5, "B": 0.5}, Doctrine("salvo", 1))
    assert all(t.battery == "" and t.p_kill == 0 for t in ts) and left == {"A": 0, "B": 0}


# ---------------------------------------------------------------------------- against the engine
@pytest.fixture(scope="module")
def phase3():
    from geocover.scenario import load_scenario

    return load_scenario("epaa-phase3-2018")


def test_engageable_threats_are_those_the_architecture_defends(phase3):
    from geocover.footprint import Architecture
    from geocover.trajectory import aim_missile

    groups = [RaidGroup("tabriz", "london", "irbm", 2), RaidGroup("tabriz", "bucharest", "irbm", 1),
              RaidGroup("tehran", "madrid", "irbm", 1), RaidGroup("tabriz", "washington", "irbm", 1)]
    r = run_raid(phase3, groups, doctrine=Doctrine("salvo", 1))
    arch = Architecture(phase3)
    cat = phase3.catalog
    expected = []
    for g in groups:
        s, t = cat.launch_site(g.launch), cat.target(g.target)
        traj, ok = aim_missile(cat.missile(g.missile), s.lat_deg, s.lon_deg, np.array([t.lat_deg]),
                               np.array([t.lon_deg]), errors="mask")
        e = arch.engage(traj, ok)
        expected += [(bool(ok[0]), bool(e.defended[0]))] * g.count
    got = [(t.reachable, bool(t.opportunities)) for t in r.threats]
    assert got == expected
    # what the sensors allow is a subset of what perfect tracking allows; the engine says why not
    assert all(t.kinematic for t in r.threats if t.opportunities)
    assert all(t.limited_by for t in r.threats if t.reachable and not t.opportunities)
    k = run_raid(phase3, groups, doctrine=Doctrine("salvo", 1), perfect_tracking=True).to_dict()
    assert k["threats_engageable"] == k["threats_kinematically_engageable"] >= r.to_dict()["threats_engageable"]
    # the union battle space is at least the best single battery's (same samples, same rule)
    assert any(d for _, d in expected), "the case must hold at least one defended threat"


def test_inventory_runs_out(phase3, tmp_path):
    # 30 identical threats Tabriz -> Bucharest, salvo:1: each engaged one takes one interceptor
    # from a battery that has an opportunity; at most those batteries' inventories (24 each)
    # can be used, and no battery goes below 0
    res = run_raid(phase3, [RaidGroup("tabriz", "bucharest", "irbm", 30)], sspk=0.5)
    r = res.to_dict()
    able = {o.battery for t in res.threats for o in t.opportunities}
    assert able, "the case must have a battery able to engage"
    assert r["threats_engaged"] == min(r["threats_engageable"], 24 * len(able))
    assert set(r["interceptors_used"]) <= able
    assert all(v >= 0 for v in r["interceptors_left"].values())
    # each engaged threat: p = 0.5 exactly, so expected leakers = reaching - 0.5 * engaged
    assert r["expected_leakers"] == pytest.approx(r["threats_reaching"] - 0.5 * r["threats_engaged"], abs=1e-9)


# ---------------------------------------------------------------------------- the command
def test_raid_json(phase3):
    res = run("raid", "epaa-phase3-2018", "--launch", "tabriz", "--target", "bucharest", "--count", "3",
              "--sspk", "0.5", "--doctrine", "salvo:2", "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    for key in ("threats_engaged", "interceptors_used", "expected_leakers", "p_zero_leakers", "per_target"):
        assert key in d
    assert d["doctrine"] == "salvo:2" and d["threats"] == 3


def _raid_file(tmp_path, text):
    p = tmp_path / "raid.toml"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize(("text", "fragment"), [
    ('[[threat]]\nlaunch = "tabriz"\ntarget = "london"\nclass = "irbn"\n', "threat[0].class"),
    ('[[threat]]\nlaunch = "tabris"\ntarget = "london"\n', "threat[0].launch"),
    ('[[threat]]\nlaunch = "tabriz"\ntarget = "londn"\n', "threat[0].target"),
    ('[[threat]]\nlaunch = "tabriz"\ntarget = "london"\ncount = 2.5\n', "threat[0].count"),
    ('[[threat]]\nlaunch = "tabriz"\ntarget = "london"\ncount = 0\n', "threat[0].count"),
    ('[[threat]]\nlaunch = "tabriz"\ntarget = "london"\nsize = 3\n', "threat[0].size"),
    ('[[threats]]\nlaunch = "tabriz"\n', "threats"),
])
def test_bad_raid_file(tmp_path, text, fragment):
    path = _raid_file(tmp_path, text)
    res = run("raid", "epaa-phase3-2018", "--raid", path)
    assert res.exit_code == 2, res.output
    assert path in res.output and fragment in res.output
    assert "Traceback" not in res.output


_SCENARIO = """[scenario]
title = "raid test"
[radars]
early_warning = ["kurecik"]
fire_control = ["deveselu"]
[[interceptors]]
id = "deveselu-sm3-ib"
[threats]
launch_sites = ["tabriz"]
missile = "irbm"
[grid]
bbox_deg = [20.0, 40.0, 30.0, 48.0]
[overrides.interceptors.deveselu-sm3-ib]
"""


@pytest.mark.parametrize(("line", "fragment"), [
    ("sspk = 1.5", "'sspk' must be <= 1"), ("sspk = -0.2", "'sspk' must be >= 0"),
    ("inventory = 2.5", "'inventory' must be a whole number"), ("inventory = -1", "'inventory' must be >= 0"),
    ("sspk_min = 0.9\nsspk_max = 0.5", "'sspk_max' must be >= sspk_min"),
])
def test_bad_inventory_and_sspk_in_a_scenario(tmp_path, line, fragment):
    p = tmp_path / "s.toml"
    p.write_text(_SCENARIO + line + "\n")
    res = run("raid", str(p), "--launch", "tabriz", "--target", "bucharest")
    assert res.exit_code == 2, res.output
    assert str(p) in res.output and "overrides.interceptors.deveselu-sm3-ib" in res.output and fragment in res.output


def test_inventory_zero_is_allowed_and_engages_nothing(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(_SCENARIO + "inventory = 0\n")
    res = run("raid", str(p), "--launch", "tabriz", "--target", "bucharest", "--count", "2", "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["threats_engaged"] == 0 and d["expected_leakers"] == d["threats_reaching"]


@pytest.mark.parametrize(("args", "fragment"), [
    (["--sspk", "1.2"], "--sspk"), (["--doctrine", "salvo:0"], "--doctrine"),
    (["--target", "londn"], "londn"),
])
def test_bad_raid_options(args, fragment):
    base = {"--launch": "tabriz", "--target": "london"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    res = run("raid", "epaa-phase3-2018", *[x for kv in base.items() for x in kv])
    assert res.exit_code == 2, res.output
    assert fragment in res.output and "Traceback" not in res.output


# ---------------------------------------------------------------------------- README claims row
def test_readme_ten_interceptors_row():
    """README claims row "Ten interceptors ...": the 40-ICBM raid of docs/raids/russia-to-us.toml
    against third-site-2007: 0 engageable with its sensors; with perfect tracking 30 of 40 at
    5.4 km/s and 40 at 6.3 km/s kinematically engageable, 10 engaged (the inventory), 5.0
    expected removed at SSPK 0.5 (10 x 0.5: each engaged threat is removed with P)."""
    from pathlib import Path

    from geocover.raid import battery_architectures, load_raid
    from geocover.scenario import load_scenario

    sc0 = load_scenario("third-site-2007")
    groups = load_raid(Path(__file__).resolve().parents[1] / "docs" / "raids" / "russia-to-us.toml", sc0)
    for v, kin in ((5400.0, 30), (6300.0, 40)):
        sc = sc0.with_interceptor_speed(v)
        archs = battery_architectures(sc)
        real = run_raid(sc, groups, archs=archs).to_dict()
        assert real["threats"] == 40 and real["threats_reaching"] == 40
        assert real["threats_engageable"] == 0 and real["threats_kinematically_engageable"] == kin
        ideal = run_raid(sc, groups, archs=archs, perfect_tracking=True).to_dict()
        assert ideal["threats_engaged"] == 10 and ideal["interceptors_used"] == {"redzikowo-gbi": 10}
        assert ideal["expected_removed"] == pytest.approx(5.0, abs=1e-12)
