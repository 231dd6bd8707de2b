"""geocover robustness (issue 15): uncertain parameters, designs, exactness when every range
collapses to a point, monotonicity when a range narrows towards the defence, equality across
Dask schedulers, and bad input (file and key named, exit 2, nothing written)."""

from __future__ import annotations

import csv
import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from geocover.cli.main import cli
from geocover.scenario import bundled_scenarios, load_scenario


def _scenario(tmp_path: Path, extra: str, name: str = "rb.toml", base: str = "third-site-2007") -> Path:
    """A bundled scenario (third-site-2007: a threat set of Shahab-3 and IRBM classes) without
    its own [uncertain] tables, plus ``extra``."""
    text = bundled_scenarios()[base].read_text(encoding="utf-8")
    cut = text.find("# Uncertain parameters")
    p = tmp_path / name
    p.write_text((text[:cut] if cut >= 0 else text) + "\n" + extra, encoding="utf-8")
    return p


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# Point values for the collapse test, typed here with their source: 6.3 km/s is the GBI
# speed MDA also quoted (docs/sources.md, interceptors), 90 s a commit delay inside the
# 60-120 s of open analyses, 2,000 km the Brdy radar's briefed range (docs/sources.md, radars).
POINT = {"burnout_speed_mps": 6300.0, "commit_delay_s": 90.0, "reference_range_m": 2_000_000.0}


def test_collapsed_ranges_reproduce_engage_exactly(tmp_path):
    fixed = _scenario(tmp_path, f"""
[overrides.interceptors.redzikowo-gbi]
burnout_speed_mps = {POINT['burnout_speed_mps']}
commit_delay_s = {POINT['commit_delay_s']}
[overrides.radars.brdy-emr]
reference_range_m = {POINT['reference_range_m']}
""", "fixed.toml")
    collapsed = _scenario(tmp_path, f"""
[uncertain.interceptors.redzikowo-gbi]
burnout_speed_mps = [{POINT['burnout_speed_mps']}, {POINT['burnout_speed_mps']}]
commit_delay_s = {{dist = "triangular", low = {POINT['commit_delay_s']}, mode = {POINT['commit_delay_s']}, \
high = {POINT['commit_delay_s']}}}
[uncertain.radars.brdy-emr]
reference_range_m = [{POINT['reference_range_m']}, {POINT['reference_range_m']}]
""", "collapsed.toml")
    out = tmp_path / "out"
    r = _run("robustness", collapsed, "--samples", 16, "--launch", "tabriz,shahrud", "--resolution", "4deg",
             "--scheduler", "none", "--out", out)
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader((out / "cities.csv").open()))
    assert {row["sets"] for row in rows} == {"16"}  # Morris: r = 16 // (3 + 1) = 4 trajectories of 4 sets
    # every verdict is certain (p in {0, 1}) and equals the engine's verdict on the fixed
    # scenario (ScenarioRun.city_verdicts: its threat set of Shahab-3 and IRBM from every launch
    # area, defended against every class that reaches, the least battle space over them)
    from geocover.engine import ScenarioRun

    by = {(row["target"], row["launch"]): row for row in rows}
    run = ScenarioRun(load_scenario(fixed))
    verdicts = 0
    for lid in ("tabriz", "shahrud"):
        for v in run.city_verdicts([lid]):
            row = by[(v.target.id, lid)]
            if not v.reachable_from:
                assert row["p_reachable"] == "0.0" and row["p_defended"] == "", row
                continue
            assert row["p_reachable"] == "1.0"
            assert float(row["p_defended"]) == float(len(v.defended_against) == len(v.reachable_from)), row
            assert row["drivers"] == ""  # nothing varies, nothing drives
            # a collapsed range gives every set the same battle space: every quantile is the engine's
            for q in ("5", "50", "95"):
                assert float(row[f"battle_space_p{q}_s"]) == pytest.approx(v.battle_space_s, rel=0, abs=1e-9)
            verdicts += float(row["p_defended"])
    assert 0 < verdicts < 40  # some defended, some not: the comparison can fail both ways
    # and the command a user runs: `geocover engage` London from Tabriz (only the IRBM class
    # reaches London, 3,886 km; docs/sources.md)
    e = json.loads(_run("engage", fixed, "tabriz", "london", "--missile", "irbm", "--json").output)
    assert e["reachable"] and float(by[("london", "tabriz")]["p_defended"]) == float(e["defended"])
    # the grid: p_defended is exactly 1 where `footprint` has battle space > 0, 0 where it is
    # reachable but undefended, NaN where unreachable (same grid, the deterministic command)
    fp = tmp_path / "fp"
    r = _run("footprint", fixed, "--launch", "tabriz,shahrud", "--resolution", "4deg", "--out", fp)
    assert r.exit_code == 0, r.output
    import rasterio

    for name in ("tabriz", "shahrud", "all"):
        with rasterio.open(out / f"p_defended_{name}.tif") as a, rasterio.open(fp / f"battle_space_{name}.tif") as b:
            p, bs = a.read(1), b.read(1)
            assert a.transform == b.transform
        assert np.array_equal(np.isnan(p), np.isnan(bs))
        assert np.array_equal(p[~np.isnan(p)], (bs[~np.isnan(bs)] > 0).astype(np.float32))
    info = subprocess.run(["gdalinfo", str(out / "p_defended_all.tif")], capture_output=True, text=True).stdout
    assert "LAYOUT=COG" in info
    sens = json.loads((out / "sensitivity.json").read_text())
    assert sens["method"] == "morris" and sens["defended_area_km2"]["variance"] == 0.0
    assert (out / "tornado.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _p_defended(res) -> np.ndarray:
    reach = res.city_reachable
    with np.errstate(invalid="ignore"):
        return np.where(reach.any(0), res.city_defended.sum(0) / np.maximum(reach.sum(0), 1), np.nan)


def test_narrowing_towards_faster_interceptors_never_lowers_p_defended(tmp_path):
    from geocover.robustness import robustness

    # GBI burnout speed over a deliberately wide range, from 2 km/s (below an SM-3 IA's ~3 km/s)
    # to Postol's ~9 km/s (docs/sources.md, interceptors): the slow end loses cities
    wide = load_scenario(_scenario(tmp_path, """
[uncertain.interceptors.redzikowo-gbi]
burnout_speed_mps = [2000.0, 9000.0]
""", "wide.toml"))
    # narrowed towards the defence: the published GBI spread, MDA's 5.4 km/s and up
    narrow = load_scenario(_scenario(tmp_path, """
[uncertain.interceptors.redzikowo-gbi]
burnout_speed_mps = [5400.0, 9000.0]
""", "narrow.toml"))
    kw = {"launches": ["tabriz"], "resolution_deg": 10.0, "seed": 3, "scheduler": "none", "progress": False}
    a = robustness(wide, 12, **kw)
    b = robustness(narrow, 12, **kw)
    n = len(a.design)
    assert n == len(b.design) == 12  # Morris, r = 6 trajectories of 2 sets
    pa, pb = _p_defended(a), _p_defended(b)
    # The two designs share their unit points (same seed), so every set's speed only rises;
    # sampling noise is then at most one set of n flipping (1/n), plus float rounding.
    tol = 1.0 / n + 1e-12
    assert np.all(np.isnan(pa) == np.isnan(pb))
    ok = ~np.isnan(pa)
    assert np.all(pb[ok] >= pa[ok] - tol), (pa, pb)
    # the test can fail: some verdict is uncertain over the wide range and improves
    assert np.any((pa[ok] > 0) & (pa[ok] < 1)) and np.nansum(pb) > np.nansum(pa)
    assert b.defended_area_km2.mean() >= a.defended_area_km2.mean()


def test_same_results_on_a_local_cluster_of_two(tmp_path):
    pytest.importorskip("dask.distributed")
    from geocover.robustness import robustness

    sc = load_scenario(_scenario(tmp_path, """
[uncertain.interceptors.redzikowo-gbi]
burnout_speed_mps = [5400.0, 9000.0]
"""))
    kw = {"launches": ["tabriz"], "resolution_deg": 8.0, "seed": 11, "progress": False}
    one = robustness(sc, 8, scheduler="none", **kw)
    two = robustness(sc, 8, scheduler="local", workers=2, **kw)
    assert len(one.design) == 8  # Morris: r = 4 trajectories of D + 1 = 2 sets
    for k in one.defended_count:
        assert np.array_equal(one.defended_count[k], two.defended_count[k])
        assert np.array_equal(one.reachable_count[k], two.reachable_count[k])
    assert np.array_equal(one.defended_area_km2, two.defended_area_km2)
    assert np.array_equal(one.city_defended, two.city_defended)
    assert np.array_equal(one.city_battle_space_s, two.city_battle_space_s, equal_nan=True)
    assert json.dumps(one.indices, sort_keys=True) == json.dumps(two.indices, sort_keys=True)


def test_design_reproducible_and_distributions():
    from geocover.uncertainty import ParameterSpace, UncertainParameter, sample

    p = UncertainParameter("interceptors.x.burnout_speed_mps", "triangular", low=1.0, mode=2.0, high=5.0)
    # median of a triangular(a=1, c=2, b=5): (c-a)/(b-a) = 0.25 < 0.5, so
    # b - sqrt(0.5 (b-a)(b-c)) = 5 - sqrt(6) (closed form of the triangular inverse CDF)
    assert p.ppf(np.array([0.5]))[0] == pytest.approx(5 - math.sqrt(6), rel=1e-12)
    n = UncertainParameter("engagement.min_track_s", "normal", mean=10.0, sd=2.0, low=6.0, high=14.0)
    assert n.ppf(np.array([0.5]))[0] == pytest.approx(10.0, abs=1e-12)  # symmetric truncation: median = mean
    c = UncertainParameter("threats.missile", "choice", choices=("a", "b", "c"))
    assert c.ppf(np.array([0.0, 0.34, 0.99, 1.0])) == ["a", "b", "c", "c"]  # class floor(3 u), u = 1 -> last
    space = ParameterSpace(Path("x.toml"), (p, n, c))
    d1, d2, d3 = sample(space, 40, seed=5), sample(space, 40, seed=5), sample(space, 40, seed=6)
    assert d1.method == "sobol" and len(d1) == 40  # 40 = 8 (3 + 2): Saltelli without second order
    assert np.array_equal(d1.unit, d2.unit) and not np.array_equal(d1.unit, d3.unit)
    assert all(1.0 <= v["interceptors.x.burnout_speed_mps"] <= 5.0 for v in d1.values)


BAD = [
    ("[uncertain.interceptors.redzikowo-gbi]\nburnout_sped_mps = [5400.0, 9000.0]\n",
     "uncertain.interceptors.redzikowo-gbi.burnout_sped_mps", "burnout_speed_mps"),
    ("[uncertain.interceptors.redzikowo-gbi]\nburnout_speed_mps = [9000.0, 5400.0]\n",
     "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps", "greater than high"),
    ("[uncertain.interceptors.redzikowo-gbi]\nburnout_speed_mps = [5400.0, 20000.0]\n",
     "uncertain.interceptors.redzikowo-gbi", "burnout_speed_mps"),
    ("[uncertain.radars.brdy-emr]\nreference_range_m = {dist = \"triangular\", low = 1.5e6, mode = 3e6, "
     "high = 2.5e6}\n", "uncertain.radars.brdy-emr.reference_range_m", "mode"),
    ("[uncertain.engagement]\nmin_track_s = {dist = \"normal\", mean = 10.0, sd = 0.0, low = 5.0, high = 20.0}\n",
     "uncertain.engagement.min_track_s", "sd must be > 0"),
    ("[uncertain.threats]\nmissile = [\"irbm\", \"sejil-2\"]\n", "uncertain.threats.missile", "sejjil-2"),
    ("[uncertain.radars.gabala]\nreference_range_m = [1.0, 2.0]\n", "uncertain.radars.gabala", "not in this scenario"),
]


def test_uncertain_class_refused_with_a_threat_set(tmp_path):
    p = _scenario(tmp_path, "[uncertain.threats]\nmissile = [\"shahab-3\", \"irbm\"]\n")
    r = CliRunner().invoke(cli, ["robustness", str(p), "--samples", "16", "--scheduler", "none",
                                 "--out", str(tmp_path / "out")])
    assert r.exit_code == 2 and "'uncertain.threats.missile'" in r.output and "threat set" in r.output, r.output
    assert not (tmp_path / "out").exists()


def test_uncertain_threat_class_changes_reach(tmp_path):
    from geocover.robustness import robustness

    # EPAA phase 1 (one IRBM class) with the class uncertain: Shahab-3 (~1,300 km) or IRBM
    # (docs/sources.md, threat missiles). Tabriz-London is 3,886 km (docs/sources.md): only
    # the IRBM class reaches it, so London is reachable in exactly the IRBM sets.
    sc = load_scenario(_scenario(tmp_path, "[uncertain.threats]\nmissile = [\"shahab-3\", \"irbm\"]\n",
                                 base="epaa-phase1-2011"))
    res = robustness(sc, 8, launches=["tabriz"], resolution_deg=10.0, scheduler="none", progress=False)
    irbm = np.array([v["threats.missile"] == "irbm" for v in res.design.values])
    assert 0 < irbm.sum() < len(irbm)
    k = [c.id for c in res.cities].index("london")
    assert np.array_equal(res.city_reachable[:, 0, k], irbm)


@pytest.mark.parametrize(("table", "key", "words"), BAD)
def test_bad_uncertain_tables(tmp_path, table, key, words):
    # the threat class can be uncertain in a one-class scenario (EPAA phase 1 flies one IRBM class)
    p = _scenario(tmp_path, table, base="epaa-phase1-2011" if "threats" in key else "third-site-2007")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["robustness", str(p), "--samples", "16", "--scheduler", "none", "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert str(p) in r.output and f"'{key}" in r.output and words in r.output, r.output
    assert "Traceback" not in r.output and not out.exists()


def test_too_few_samples_and_no_table(tmp_path):
    p = _scenario(tmp_path, "[uncertain.interceptors.redzikowo-gbi]\nburnout_speed_mps = [5400.0, 9000.0]\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["robustness", str(p), "--samples", "3", "--scheduler", "none", "--out", str(out)])
    # Morris needs r >= 4 trajectories of D + 1 = 2 sets: 8
    assert r.exit_code == 2 and "--samples 3" in r.output and str(p) in r.output and "at least 8" in r.output
    r = CliRunner().invoke(cli, ["robustness", str(p), "--samples", "20", "--method", "sobol", "--scheduler", "none",
                                 "--out", str(out)])
    # Sobol' needs N >= 8 base samples of D + 2 = 3 sets: 24
    assert r.exit_code == 2 and "at least 24" in r.output
    q = _scenario(tmp_path, "", "plain.toml")
    r = CliRunner().invoke(cli, ["robustness", str(q), "--scheduler", "none", "--out", str(out)])
    assert r.exit_code == 2 and "no [uncertain] table" in r.output and str(q) in r.output
    assert not out.exists()


def test_bundled_uncertain_tables_load_and_cite_sources():
    for name, path in bundled_scenarios().items():
        sc = load_scenario(path)
        if "[uncertain" not in path.read_text(encoding="utf-8"):
            continue
        assert len(sc.uncertain) >= 1, name
        for p in sc.uncertain.parameters:
            assert "sources.md" in p.source, (name, p.key)


def test_reachable_only_grid_is_exact():
    """The robustness grid engages only the reachable flights of each block, the aim kept
    across the sets: its counts, per-set areas and city results must equal, bit for bit,
    each set engaged on its own by ``Architecture.engage_points`` (the engine's whole-block
    path; the reference below combines classes and launches as the footprint does)."""
    from geocover.footprint import Architecture
    from geocover.geodesy import grid_centres
    from geocover.robustness import robustness
    from geocover.uncertainty import Design, apply_sample

    sc = load_scenario("third-site-2007")  # a threat set: Shahab-3 (reaches 2-10 % of the grid) and IRBM
    keys = sc.uncertain.names
    # four sets over the bundled ranges (docs/sources.md): slow and fast GBIs, short and long
    # commit delays, the Brdy radar short and long; one repeated (the cache must not leak)
    pts = [(5400.0, 60.0, 1.5e6), (9000.0, 120.0, 2.5e6), (6300.0, 90.0, 2.0e6), (5400.0, 60.0, 1.5e6)]
    by_name = {"burnout_speed_mps": 0, "commit_delay_s": 1, "reference_range_m": 2}
    values = [{k: p[by_name[k.rsplit(".", 1)[1]]] for k in keys} for p in pts]
    design = Design("morris", np.zeros((len(values), len(keys))), values, 1, 0)
    launches = ["tabriz", "shahrud"]
    res = robustness(sc, len(values), design=design, launches=launches, resolution_deg=3.0, scheduler="none",
                     progress=False, indices=False)
    lats, lons = grid_centres(res.west_deg, res.north_deg, *res.shape, res.resolution_deg)
    lat, lon = np.repeat(lats, res.shape[1]), np.tile(lons, res.shape[0])
    c_lat = np.array([c.lat_deg for c in res.cities])
    c_lon = np.array([c.lon_deg for c in res.cities])
    counts = {k: np.zeros(lat.size, np.int64) for k in [*launches, "all"]}
    for s, v in enumerate(values):
        arch = Architecture(apply_sample(sc, v))
        any_r, all_ok = np.zeros(lat.size, bool), np.ones(lat.size, bool)
        for j, lid in enumerate(launches):
            site = sc.catalog.launch_site(lid)
            grid = [arch.engage_points(site.lat_deg, site.lon_deg, lat, lon, missile=m) for m in sc.missiles_for(lid)]
            r = np.logical_or.reduce([e.reachable for e in grid])
            d = np.logical_and.reduce([e.defended | ~e.reachable for e in grid]) & r
            counts[lid] += d
            any_r |= r
            all_ok &= d | ~r
            city = [arch.engage_points(site.lat_deg, site.lon_deg, c_lat, c_lon, missile=m)
                    for m in sc.missiles_for(lid)]
            cr = np.logical_or.reduce([e.reachable for e in city])
            cbs = np.fmin.reduce([np.where(e.reachable, e.battle_space_s, np.nan) for e in city])
            assert np.array_equal(res.city_reachable[s, j], cr)
            assert np.array_equal(res.city_defended[s, j],
                                  np.logical_and.reduce([e.defended | ~e.reachable for e in city]) & cr)
            assert np.array_equal(res.city_battle_space_s[s, j], cbs, equal_nan=True)  # bit for bit
        counts["all"] += any_r & all_ok
    for k, c in counts.items():
        assert np.array_equal(res.defended_count[k].ravel(), c), k
    # the comparison can fail: the sets disagree somewhere (slow GBIs lose cells fast ones hold)
    assert 0 < counts["all"].sum() and np.any((counts["all"] > 0) & (counts["all"] < len(values)))


# Brdy cannot search; only Gabala's track, shared from Russia's network through a link, can
# cue it (tests/test_fusion.py: defended from Tabriz at London with a 0 s link, not with a
# link slower than the flight)
_LINKED = """[scenario]
title = "uncertain link latency"
[radars]
early_warning = ["gabala"]
fire_control = ["brdy-emr"]
[[interceptors]]
id = "redzikowo-gbi"
[threats]
launch_sites = ["tabriz"]
missile = "irbm"
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
[[networks.links]]
from = "us"
to = "russia"
latency_s = 30.0
use = "cue"
[[uncertain.networks.links]]
from = "russia"
to = "us"
latency_s = {low = 0.0, high = 3600.0, source = "test: an ideal link to one slower than any flight"}
"""


def test_uncertain_link_latency(tmp_path):
    """[[uncertain.networks.links]]: the sampled latency replaces that link's (only that
    link's) and the cities' results equal, bit for bit, the engine on the scenario with that
    latency written in; an ideal link cues Brdy in time for London, one slower than the
    flight cues nothing (tests/test_fusion.py's engage results)."""
    import dataclasses

    from geocover.footprint import Architecture
    from geocover.robustness import robustness
    from geocover.uncertainty import Design, apply_sample

    p = tmp_path / "link.toml"
    p.write_text(_LINKED, encoding="utf-8")
    sc = load_scenario(p)
    key = "networks.links.russia->us.latency_s"
    assert sc.uncertain.names == [key]
    lat_s = [0.0, 3600.0, 30.0]
    for v in lat_s:
        a = apply_sample(sc, {key: v})
        assert [(nl.source, nl.target, nl.latency_s) for nl in a.network_links] == [("russia", "us", v),
                                                                                     ("us", "russia", 30.0)]
    design = Design("morris", np.zeros((3, 1)), [{key: v} for v in lat_s], 1, 0)
    res = robustness(sc, 3, design=design, scheduler="none", progress=False, indices=False, grid=False)
    assert res.defended_count == {} and np.isnan(res.defended_area_km2).all()  # cities only
    cities = res.cities
    site = sc.catalog.launch_site("tabriz")
    for s, v in enumerate(lat_s):
        fixed = dataclasses.replace(sc, network_links=[dataclasses.replace(sc.network_links[0], latency_s=v),
                                                       sc.network_links[1]])
        e = Architecture(fixed).engage_points(site.lat_deg, site.lon_deg, [c.lat_deg for c in cities],
                                              [c.lon_deg for c in cities])
        assert np.array_equal(res.city_reachable[s, 0], e.reachable)
        assert np.array_equal(res.city_defended[s, 0], e.defended & e.reachable)
        assert np.array_equal(res.city_battle_space_s[s, 0], np.where(e.reachable, e.battle_space_s, np.nan),
                              equal_nan=True)
    k = [c.id for c in cities].index("london")
    assert res.city_defended[0, 0, k] and not res.city_defended[1, 0, k]


LINK_BAD = [
    ('[[uncertain.networks.links]]\nfrom = "nato"\nto = "natto"\nlatency_s = [0.0, 60.0]\n',
     "uncertain.networks.links[0]", "no [[networks.links]] from 'nato' to 'natto'"),
    ('[[uncertain.networks.links]]\nfrom = "russia"\nto = "nato"\nlatency_s = [60.0, 0.0]\n',
     "uncertain.networks.links[0].latency_s", "greater than high"),
    ('[[uncertain.networks.links]]\nfrom = "russia"\nto = "nato"\nlatency_s = [-5.0, 60.0]\n',
     "uncertain.networks.links[0].latency_s", "outside 0..3600 s"),
    ('[[uncertain.networks.links]]\nfrom = "russia"\nto = "nato"\nlatency_s = [0.0, 60.0]\nuse = "cue"\n',
     "uncertain.networks.links[0].use", "unknown key"),
    ('[uncertain.networks.nato]\nlatency_s = [0.0, 60.0]\n', "uncertain.networks.nato", "only link latencies"),
    ('[[uncertain.networks.links]]\nfrom = "russia"\nto = "nato"\n', "uncertain.networks.links[0]",
     "needs latency_s"),
]


@pytest.mark.parametrize(("table", "key", "words"), LINK_BAD)
def test_bad_uncertain_links(tmp_path, table, key, words):
    p = _scenario(tmp_path, table, base="fusion-centre-2011")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["robustness", str(p), "--samples", "16", "--scheduler", "none", "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert str(p) in r.output and f"'{key}" in r.output and words in r.output, r.output
    assert "Traceback" not in r.output and not out.exists()


def _set_scenario(tmp_path: Path, extra: str, name: str = "set.toml") -> Path:
    """third-site-2007's threat set with each class from its own launch area: Shahab-3 from
    Tabriz, IRBM from Shahrud (so a class replaced from Tabriz shows in Tabriz's verdicts)."""
    p = _scenario(tmp_path, extra, name)
    text = p.read_text(encoding="utf-8")
    for mid, site in (("shahab-3", "tabriz"), ("irbm", "shahrud")):
        old = f'[[threats.classes]]\nmissile = "{mid}"\n'
        assert old in text
        text = text.replace(old, f'{old}launch_sites = ["{site}"]\n')
    p.write_text(text, encoding="utf-8")
    return p


def test_uncertain_class_of_a_threat_set(tmp_path):
    """[uncertain.threats.classes.shahab-3] missile = [...]: per set that class of the set is
    replaced by the chosen one, from the class's own launch sites; every city result equals,
    bit for bit, the engine on the scenario with the chosen class written in. Tabriz-Bucharest
    is ~1,827 km (docs/sources.md, threat classes): the Sejjil-2 class (2,000 km) reaches it,
    the Shahab-3 class (1,300 km) does not, so Bucharest is reachable from Tabriz exactly in
    the Sejjil-2 sets."""
    from geocover.footprint import Architecture
    from geocover.robustness import robustness
    from geocover.uncertainty import Design

    sc = load_scenario(_set_scenario(tmp_path, '[uncertain.threats.classes.shahab-3]\n'
                                               'missile = ["shahab-3", "sejjil-2"]\n'))
    key = "threats.classes.shahab-3.missile"
    assert sc.uncertain.names == [key]
    picks = ["sejjil-2", "shahab-3"]
    design = Design("morris", np.zeros((2, 1)), [{key: v} for v in picks], 1, 0)
    launches = ["tabriz", "shahrud"]
    res = robustness(sc, 2, design=design, launches=launches, scheduler="none", progress=False, indices=False,
                     grid=False)
    cities = res.cities
    for s, pick in enumerate(picks):
        text = _set_scenario(tmp_path, "", f"fixed{s}.toml").read_text(encoding="utf-8")
        fixed = tmp_path / f"fixed{s}.toml"
        fixed.write_text(text.replace('missile = "shahab-3"', f'missile = "{pick}"'), encoding="utf-8")
        fsc = load_scenario(fixed)
        assert [(c.missile.id, c.launch_sites) for c in fsc.threat_classes] == [(pick, ("tabriz",)),
                                                                               ("irbm", ("shahrud",))]
        arch = Architecture(fsc)
        for j, lid in enumerate(launches):
            site = fsc.catalog.launch_site(lid)
            (e,) = [arch.engage_points(site.lat_deg, site.lon_deg, [c.lat_deg for c in cities],
                                       [c.lon_deg for c in cities], missile=m) for m in fsc.missiles_for(lid)]
            assert np.array_equal(res.city_reachable[s, j], e.reachable)
            assert np.array_equal(res.city_defended[s, j], e.defended & e.reachable)
            assert np.array_equal(res.city_battle_space_s[s, j], np.where(e.reachable, e.battle_space_s, np.nan),
                                  equal_nan=True)
    k = [c.id for c in cities].index("bucharest")
    assert res.city_reachable[:, 0, k].tolist() == [True, False]  # from Tabriz: Sejjil-2 yes, Shahab-3 no
    assert res.city_reachable[:, 1, k].tolist() == [True, True]  # from Shahrud the IRBM class, unchanged


CLASS_BAD = [
    ('[uncertain.threats.classes.sejjil-2]\nmissile = ["sejjil-2", "irbm"]\n', "uncertain.threats.classes.sejjil-2",
     "not a class of this scenario's threat set"),
    ('[uncertain.threats.classes.shahab-3]\nmissile = ["shahab-3", "sejil-2"]\n',
     "uncertain.threats.classes.shahab-3.missile", "sejjil-2"),
    ('[uncertain.threats.classes.shahab-3]\nmissile = ["shahab-3"]\nsource = "x"\n',
     "uncertain.threats.classes.shahab-3.source", "unknown key"),
    ('[uncertain.threats.classes.shahab-3]\nmissile = []\n', "uncertain.threats.classes.shahab-3.missile",
     "non-empty list"),
]


@pytest.mark.parametrize(("table", "key", "words"), CLASS_BAD)
def test_bad_uncertain_class_of_a_set(tmp_path, table, key, words):
    p = _scenario(tmp_path, table)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["robustness", str(p), "--samples", "16", "--scheduler", "none", "--out", str(out)])
    assert r.exit_code == 2, r.output
    assert str(p) in r.output and f"'{key}" in r.output and words in r.output, r.output
    assert "Traceback" not in r.output and not out.exists()


def test_class_of_a_set_refused_without_a_set(tmp_path):
    p = _scenario(tmp_path, '[uncertain.threats.classes.irbm]\nmissile = ["irbm", "sejjil-2"]\n',
                  base="epaa-phase1-2011")
    r = CliRunner().invoke(cli, ["robustness", str(p), "--samples", "16", "--scheduler", "none",
                                 "--out", str(tmp_path / "out")])
    assert r.exit_code == 2 and "'uncertain.threats.classes'" in r.output and "no threat set" in r.output, r.output


def test_flyout_tables_kept_across_sets_ignore_only_the_commit_delay():
    """robustness keeps each battery's flyout table across parameter sets, keyed by the
    record less its commit delay: the table must not depend on it (a table rebuilt with
    another delay is equal, array for array), and must depend on the burnout speed."""
    import dataclasses

    from geocover.interceptor import flyout_table
    from geocover.robustness import _tables

    sc = load_scenario("third-site-2007")
    rec = sc.interceptors["redzikowo-gbi"]
    a, b = flyout_table(rec), flyout_table(dataclasses.replace(rec, commit_delay_s=rec.commit_delay_s + 45.0))
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert np.array_equal(x, y, equal_nan=True) if isinstance(x, np.ndarray) else x == y, f.name
    slow = dataclasses.replace(sc, interceptors={"redzikowo-gbi": dataclasses.replace(rec, commit_delay_s=1.0)})
    t1 = _tables(slow)["redzikowo-gbi"]
    assert _tables(dataclasses.replace(slow, interceptors={"redzikowo-gbi": dataclasses.replace(
        rec, commit_delay_s=2.0)}))["redzikowo-gbi"] is t1
    fast = dataclasses.replace(rec, burnout_speed_mps=rec.burnout_speed_mps + 500.0)
    t2 = _tables(dataclasses.replace(sc, interceptors={"redzikowo-gbi": fast}))["redzikowo-gbi"]
    assert t2 is not t1 and not np.array_equal(t2.time_s, t1.time_s, equal_nan=True)
