"""Sectoral defence: ground-track overflights and the responsibility rules (geocover.sectors)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from geocover.cli.main import cli
from geocover.sectors import Overflight, country_codes, overflights, responsible_side


def run(*args):
    return CliRunner().invoke(cli, list(args))


def _p(code, t0, dur):
    return Overflight(code, code, t0, t0 + dur, dur)


SECTORS = {"east": ["RUS", "BLR"], "west": ["POL", "DEU", "TUR"]}


@pytest.mark.parametrize(("passes", "rule", "side"), [
    # first sector country after boost: IRN is in no sector, TUR (west) comes first
    ([_p("IRN", 0, 30), _p("TUR", 30, 90), _p("RUS", 120, 300)], "first", "west"),
    # longest: RUS 300 s against TUR 90 s
    ([_p("IRN", 0, 30), _p("TUR", 30, 90), _p("RUS", 120, 300)], "longest", "east"),
    # longest sums a side's countries: POL 100 + DEU 100 = 200 > RUS 150
    ([_p("RUS", 0, 150), _p("POL", 150, 100), _p("DEU", 250, 100)], "longest", "west"),
    # a tie goes to the side reached first
    ([_p("BLR", 0, 100), _p("POL", 100, 100)], "longest", "east"),
    ([_p("IRN", 0, 30), _p("GEO", 30, 30)], "first", None),
    ([], "longest", None),
])
def test_responsibility_rules(passes, rule, side):
    assert responsible_side(passes, SECTORS, rule) == side


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="rule"):
        responsible_side([], SECTORS, "nearest")


def test_country_codes_are_iso_alpha3():
    codes = country_codes()
    # ISO 3166-1: 276 = DEU (Germany), 643 = RUS, 792 = TUR; Kosovo has none (XKX, user-assigned)
    assert codes["DEU"] == "Germany" and "RUS" in codes and "TUR" in codes and "XKX" in codes
    assert all(len(c) == 3 and c.isupper() for c in codes)


def test_ground_track_countries_contain_the_track():
    """Every listed country holds a point of the trajectory's own (rotating-Earth) samples,
    checked with shapely on the outline read here with its ISO numeric code, and the order is
    the order of first overflight."""
    import pycountry
    import shapely
    from shapely.geometry import shape

    from geocover._paths import data_dir
    from geocover.catalog import default_catalog
    from geocover.trajectory import aim_missile

    cat = default_catalog()
    s, t = cat.launch_site("tabriz"), cat.target("london")
    traj, ok = aim_missile(cat.missile("irbm"), s.lat_deg, s.lon_deg, np.array([t.lat_deg]), np.array([t.lon_deg]))
    passes = overflights(traj)[0]
    assert [p.code for p in passes][-1] == "GBR"  # the warhead comes down in London
    assert "RUS" not in [p.code for p in passes]  # Tabriz-London stays south-west of Russia
    doc = json.loads((data_dir() / "countries" / "world_countries_ne50m.geojson").read_text())
    outline = {pycountry.countries.get(numeric=f["properties"]["iso_n3"]).alpha_3: shape(f["geometry"])
               for f in doc["features"] if f["properties"]["iso_n3"]}
    smp = traj.sample(step_s=5.0)
    free = ~smp.boosting[0] & np.isfinite(smp.lat_deg[0])
    pts = shapely.points(smp.lon_deg[0][free], smp.lat_deg[0][free])
    tt = smp.t_s[0][free]
    firsts = []
    for p in passes:
        inside = shapely.intersects(outline[p.code], pts)
        assert inside.any(), p.code
        firsts.append(tt[inside].min())
        assert firsts[-1] == pytest.approx(p.first_t_s, abs=1e-9)
    assert firsts == sorted(firsts)


def test_rotating_earth_track_is_not_the_non_rotating_one():
    from geocover.catalog import default_catalog
    from geocover.trajectory import aim_missile

    cat = default_catalog()
    s, t = cat.launch_site("teykovo"), cat.target("washington")
    rot, _ = aim_missile(cat.missile("topol-m"), s.lat_deg, s.lon_deg, np.array([t.lat_deg]), np.array([t.lon_deg]))
    # the samples the overflights use are those of the rotating-Earth trajectory
    assert rot.rotating
    assert [p.code for p in overflights(rot)[0]][-1] == "USA"


def test_engage_json_keys():
    res = run("engage", "sectoral-2011", "tabriz", "london", "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["overflown"][-1] == "GBR" and d["responsible_side"] == "nato"
    res = run("engage", "epaa-phase1-2011", "tabriz", "london", "--json")
    d = json.loads(res.output)
    assert d["overflown"][-1] == "GBR" and d["responsible_side"] is None  # no [sectors]


_SC = """[scenario]
title = "t"
[radars]
early_warning = ["kurecik"]
fire_control = ["aegis-east-med", "kurecik"]
[[interceptors]]
id = "aegis-east-med-sm3-ia"
[threats]
launch_sites = ["tabriz"]
missile = "irbm"
[grid]
bbox_deg = [-12.0, 34.0, 45.0, 66.0]
[sectors]
"""


@pytest.mark.parametrize(("body", "fragment"), [
    ('east = ["RUX"]', "sectors.east"), ('rule = "nearest"\neast = ["RUS"]', "sectors.rule"),
    ('east = ["RUS"]\nwest = ["RUS"]', "already in sector"), ('east = []', "sectors.east"),
    ('east = "RUS"\nwest = [1]', "sectors.west"),
])
def test_bad_sectors(tmp_path, body, fragment):
    p = tmp_path / "s.toml"
    p.write_text(_SC + body + "\n")
    res = run("engage", str(p), "tabriz", "london")
    assert res.exit_code == 2, res.output
    assert str(p) in res.output and fragment in res.output and "Traceback" not in res.output


def test_readme_sectoral_row():
    """README claims row "Russia's 2011 sectoral proposal": of the 128 IRBM flights from the 8
    Iranian launch areas to the 16 NATO cities in the catalog, 18 are Russia's by first
    overflight (Warsaw 4, Oslo 5, Berlin 3, six others 1 each) and 9 by longest (Warsaw 4, Oslo 5)."""
    from geocover.scenario import load_scenario
    from geocover.trajectory import aim_missile

    sc = load_scenario("sectoral-2011")
    cat = sc.catalog
    nato_names = {"United Kingdom", "France", "Germany", "Poland", "Czech Republic", "Italy", "Spain", "Belgium",
                  "Greece", "Turkey", "Romania", "Bulgaria", "Hungary", "Norway", "United States"}  # NATO 2011
    tg = [t for t in cat.sites("target") if t.country in nato_names]
    iran = [s for s in cat.sites("launch") if s.country == "Iran"]
    assert len(iran) == 8
    counts = {"first": {}, "longest": {}}
    total = 0
    for s in iran:
        traj, ok = aim_missile(cat.missile("irbm"), s.lat_deg, s.lon_deg, np.array([t.lat_deg for t in tg]),
                               np.array([t.lon_deg for t in tg]), errors="mask")
        for t, passes, k in zip(tg, overflights(traj), ok, strict=True):
            if not k:
                continue
            total += 1
            for rule in counts:
                if responsible_side(passes, sc.sectors, rule) == "russia":
                    counts[rule][t.id] = counts[rule].get(t.id, 0) + 1
    assert total == 128
    assert sum(counts["first"].values()) == 18
    assert counts["first"]["warsaw"] == 4 and counts["first"]["oslo"] == 5 and counts["first"]["berlin"] == 3
    assert counts["longest"] == {"warsaw": 4, "oslo": 5}


def test_vectorised_sides_equal_the_per_flight_rule():
    """responsible_sides (grids: a raster lookup, exact at borders) gives the same side as
    overflights + responsible_side (one flight at a time) for every catalog city, both rules."""
    from geocover.scenario import load_scenario
    from geocover.sectors import responsible_sides
    from geocover.trajectory import aim_missile

    sc = load_scenario("sectoral-2011")
    cat = sc.catalog
    tg = cat.sites("target")
    for lid in ("tabriz", "tehran", "shahrud"):
        s = cat.launch_site(lid)
        traj, _ = aim_missile(sc.missile, s.lat_deg, s.lon_deg, np.array([t.lat_deg for t in tg]),
                              np.array([t.lon_deg for t in tg]), errors="mask")
        per = overflights(traj)
        for rule in ("first", "longest"):
            got = list(responsible_sides(traj, sc.sectors, rule, step_s=5.0))
            assert got == [responsible_side(p, sc.sectors, rule) or "" for p in per], (lid, rule)


def test_locate_agrees_with_shapely_everywhere():
    """The lookup raster + exact border test gives the outline shapely's STRtree gives, on
    20,000 random points over the globe."""
    import shapely

    from geocover.sectors import locate, sector_outlines

    _, _, _, tree = sector_outlines()
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-180, 180, 20_000), rng.uniform(-89, 89, 20_000)
    pi, gi = tree.query(shapely.points(lon, lat), predicate="intersects")
    order = np.lexsort((gi, pi))
    ref = np.full(lon.size, -1)
    ref[pi[order]] = gi[order]
    np.testing.assert_array_equal(locate(lon, lat), ref)


def test_russia_outline_does_not_wrap_over_scandinavia():
    from geocover.sectors import locate, sector_outlines

    codes = sector_outlines()[0]
    # Iceland, Finland (Lapland), Norway (Kautokeino), Greenland, Alaska; Chukotka is Russian
    got = [codes[i] if i >= 0 else None for i in locate([-20.1, 25.7, 23.04, -40.0, -150.0, -175.0],
                                                        [65.66, 67.0, 69.0, 70.0, 66.5, 66.0])]
    assert got == ["ISL", "FIN", "NOR", "GRL", "USA", "RUS"]


def test_footprint_writes_a_responsibility_layer(tmp_path):
    out = tmp_path / "fp"
    r = run("footprint", "sectoral-2011", "--launch", "tabriz", "--resolution", "2deg", "--out", str(out))
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "responsibility.geojson").read_text())
    sides = {f["properties"]["side"] for f in doc["features"]}
    assert sides <= {"russia", "nato"} and "nato" in sides
    assert all(f["properties"]["layer"] == "responsibility" for f in doc["features"])
