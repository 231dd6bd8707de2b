"""User mistakes found in review: each gets one clear message, exit status 2, and no output
written or destroyed."""

from __future__ import annotations

import copy
import json
import os
import re
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import ROOT

from geocover.cli.main import cli


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_device_and_folder_targets_are_refused(tmp_path):
    dev = "/dev/null"
    before = os.stat(dev).st_mode
    for args in (["vcd", "kurecik", "-o", dev], ["map", "epaa-phase1-2011", "-o", dev],
                 ["timeline", "tabriz", "paris", "--radars", "kurecik", "--no-terrain", "--plot", dev]):
        r = run(*args)
        assert r.exit_code == 2 and "not a regular file" in r.output, args
    assert stat.S_ISCHR(os.stat(dev).st_mode) and os.stat(dev).st_mode == before
    (tmp_path / "x.png").mkdir()
    r = run("vcd", "kurecik", "-o", str(tmp_path / "x.png"))
    assert r.exit_code == 2 and "is a directory" in r.output


def test_clash_inside_out_folder_leaves_old_output(tmp_path):
    out = tmp_path / "cov"
    out.mkdir()
    (out / "coverage.geojson").write_text("old")
    (out / "coverage.html").mkdir()  # a folder where a file must go
    r = run("coverage", "kurecik", "--altitude", "300km", "--resolution", "2deg", "--azimuth-step", "2deg",
            "--no-terrain", "--out", str(out))
    assert r.exit_code == 2 and "not a regular file" in r.output
    assert (out / "coverage.geojson").read_text() == "old"


def test_non_utf8_catalog_and_weights(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_bytes(b"\xff\xfe\x83garbage")
    r = run("sites", "--catalog", str(bad))
    assert r.exit_code == 2 and "not UTF-8" in r.output and "Traceback" not in r.output


SCEN = (ROOT / "data" / "scenarios" / "epaa-phase1-2011.toml").read_text()


@pytest.mark.parametrize("edit,fragment", [
    (("[scenario]", "sites = 5\n[scenario]"), "key 'sites': must be a list"),
    (('id = "aegis-east-med-sm3-ia"', "id = []"), "needs an 'id'"),
    (("title = ", "titel = 'x'\ntitle = "), "key 'scenario.titel': unknown key"),
    (("resolution_deg = 0.25", "resolution_deg = nan"), "key 'grid.resolution_deg'"),
    (("bbox_deg = [-12.0, 34.0, 45.0, 66.0]", "bbox_deg = [-1000.0, 34.0, 1000.0, 66.0]"), "key 'grid.bbox_deg'"),
    (('missile = "irbm"', 'missile = "irbm"\nmisile = "icbm"'), "key 'threats.misile': unknown key"),
    (("resolution_deg = 0.25", "resolution_deg = 0.25\nresolutoin_deg = 2.0"), "did you mean 'resolution_deg'"),
    (("[threats]", "[engagement]\nsamples = 100000000\n[threats]"), "key 'engagement.samples'"),
    (("[threats]", "[overrides]\nradars = \"kurecik\"\n[threats]"), "key 'overrides.radars'"),
    # the same battery in two [[interceptors]] tables: the second silently replaced the first
    (('id = "aegis-east-med-sm3-ia"', 'id = "aegis-east-med-sm3-ia"\n[[interceptors]]\nid = "aegis-east-med-sm3-ia"\n'
      'fire_control = ["kurecik"]'), "key 'interceptors[1].id': battery 'aegis-east-med-sm3-ia' is already listed"),
])
def test_scenario_type_errors(tmp_path, edit, fragment):
    p = tmp_path / "s.toml"
    text = SCEN.replace(*edit, 1)
    assert text != SCEN
    p.write_text(text)
    r = run("engage", str(p), "tehran", "bucharest")
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and str(p) in r.output and fragment in r.output


@pytest.mark.parametrize("args,fragment", [
    (["trajectory", "--from", "tabriz", "--to", "london", "--mode", "depressed", "--apogee", "5000km"],
     "apogee below the minimum-energy"),
    (["trajectory", "--from", "tabriz", "--to", "london", "--apogee", "800km"], "add --mode lofted"),
    (["trajectory", "--from", "tabriz", "--to", "london", "--mode", "depressed", "--angle", "60deg"],
     "flight-path angle below"),
    (["trajectory", "--from", "tabriz", "--to", "london", "--missile", ""], "must not be empty"),
    (["timeline", "tabriz", "london", "--radars", "kurecik", "--step", "1e-6s"], "--step must be between"),
    (["vcd", "kurecik", "-o", "x.txt"], "use a .png, .svg or .pdf"),
    (["distance", "1,2,3", "0,0"], "cannot read '1,2,3'"),
    (["horizon", "kurecik", "--ranges", "1,,2"], "without empty items"),
    (["horizon", "kurecik", "--min-elevation", "91deg"], "--min-elevation must be within"),
    (["los", "kurecik", "40,40,-10000km"], "below -500 m"),
    (["footprint", "epaa-phase1-2011", "--bbox=-inf,34,inf,66", "--out", "o"], "finite"),
    (["optimise", "--scenario", "epaa-phase1-2011", "--add", "radar", "--candidates", "20,35,30,45",
      "--step", "1e-9deg", "--out", "o"], "the limit is"),
    (["coverage", "kurecik", "--azimuth-step", "1e-9deg", "--out", "o"], "at least 0.01 deg"),
    (["map", "epaa-phase1-2011", "--out-dir", "z"], "--out-dir goes with --all"),
    (["engage", "epaa-phase1-2011", "tehran", "bucharest", "--interceptor-speed", "0"], "between 0 and 11 km/s"),
])
def test_contradictions_and_nonsense_are_refused(tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert fragment in r.output and "Traceback" not in r.output
    assert not (tmp_path / "o").exists()


def test_compare_weights_are_validated(tmp_path):
    w = tmp_path / "w.csv"
    for body, fragment in (("id,weight\nlondon,nan\n", "finite"), ("id,weight\nnosuch,1\n", "not a target city"),
                           ("id,weight\nlondon,1\nlondon,2\n", "appears twice"), ("", "header")):
        w.write_text(body)
        r = run("compare", "epaa-phase1-2011", "--weights", str(w), "--resolution", "2deg", "--out",
                str(tmp_path / "o"))
        assert r.exit_code == 2 and fragment in r.output, body
    w.write_text("\ufeffid,weight\nlondon,9\n", encoding="utf-8")  # Excel's "CSV UTF-8" has a BOM
    from geocover.cli.compare import _weights

    assert _weights(str(w), {"london"}) == {"london": 9.0}


# ----------------------------------------------------------------------------------------------
# The bad-input table (issue 10, section 3): every case is a user mistake that must end in exit
# status 2, one message naming what is wrong (file, record, field or option), no traceback and
# nothing written in the output location. Cases rotate over every subcommand.

DATA = ROOT / "data"
RADAR = json.loads((DATA / "catalog" / "radars.geojson").read_text())["features"][0]
INTERCEPTOR = json.loads((DATA / "catalog" / "interceptors.geojson").read_text())["features"][0]
BIG_INT = "1" + "0" * 400  # an integer literal too large for a float (1e400)
MISSILES_TEXT = (DATA / "catalog" / "missiles.toml").read_text()


def _first_missile(key: str, raw: str) -> str:
    """The bundled missile classes with ``key`` of the first class set to the TOML text ``raw``."""
    text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {raw}".replace("\\", "\\\\"), MISSILES_TEXT, count=1)
    assert n == 1, key
    return text


def _base_args(cmd: str, out) -> list[str]:
    """Valid arguments of each subcommand; OUT is the output location that must stay empty."""
    return {
        "sites": ["sites"],
        "horizon": ["horizon", "kurecik"],
        "distance": ["distance", "tabriz", "london"],
        "los": ["los", "kurecik", "40,40,300km", "--no-terrain"],
        "coverage": ["coverage", "kurecik", "--no-terrain", "--no-map", "--resolution", "2deg",
                     "--azimuth-step", "2deg", "--out", str(out)],
        "trajectory": ["trajectory", "--from", "tabriz", "--to", "london"],
        "timeline": ["timeline", "tabriz", "london", "--radars", "kurecik", "--no-terrain"],
        "footprint": ["footprint", "epaa-phase1-2011", "--resolution", "5deg", "--out", str(out)],
        "engage": ["engage", "epaa-phase1-2011", "tehran", "bucharest"],
        "map": ["map", "epaa-phase1-2011", "-o", str(out / "m.html")],
        "vcd": ["vcd", "kurecik", "-o", str(out / "v.png")],
        "compare": ["compare", "epaa-phase1-2011", "--resolution", "5deg", "--out", str(out)],
        "optimise": ["optimise", "--scenario", "epaa-phase1-2011", "--add", "radar", "--candidates",
                     "20,35,30,45", "--scheduler", "none", "--out", str(out)],
    }[cmd]


CATALOG_COMMANDS = ("sites", "horizon", "distance", "los", "coverage", "trajectory", "timeline", "footprint",
                    "engage", "map", "vcd", "compare", "optimise")
SCENARIO_COMMANDS = ("footprint", "engage", "map", "compare", "optimise")


def _feature(template: dict, **props) -> dict:
    f = copy.deepcopy(template)
    f["id"] = "zz-bad"
    f["properties"]["id"] = "zz-bad"
    for k, v in props.items():
        if v is _DROP:
            f["properties"].pop(k, None)
        else:
            f["properties"][k] = v
    return f


_DROP = object()

# (case id, template, field, JSON text of the bad value) -> the message names the file,
# record 'zz-bad' and the field. The JSON text is spliced in raw, so that values json.dumps
# would never write (a 400-digit integer, NaN, a lone surrogate) reach the reader as typed.
_STR_FIELDS_RADAR = ("name", "source", "confidence", "kind", "band", "platform", "notes", "country")
_NUM_FIELDS_RADAR = ("ground_height_msl_m", "boresight_azimuth_deg", "half_width_deg", "min_elevation_deg",
                     "max_elevation_deg", "reference_range_m", "reference_rcs_m2", "antenna_height_agl_m")
_NUM_FIELDS_INTERCEPTOR = ("count", "burnout_speed_mps", "burn_time_s", "min_intercept_altitude_m",
                           "max_intercept_altitude_m", "max_range_m", "commit_delay_s")
CATALOG_FIELD_CASES = (
    [("radar", f, '["radar"]') for f in _STR_FIELDS_RADAR]
    + [("radar", f, '{"a": 1}') for f in ("name", "kind", "confidence", "band")]
    + [("radar", f, '"12"') for f in _NUM_FIELDS_RADAR]
    + [("radar", f, "[1]") for f in _NUM_FIELDS_RADAR]
    + [("radar", f, BIG_INT) for f in _NUM_FIELDS_RADAR]
    + [("radar", f, "NaN") for f in ("reference_range_m", "half_width_deg", "notes_extra")]
    + [("radar", f, "-Infinity") for f in ("ground_height_msl_m", "antenna_height_agl_m")]
    + [("radar", "reference_range_m", "1e300"), ("radar", "reference_rcs_m2", "1e300"),
       ("radar", "antenna_height_agl_m", "1e9"), ("radar", "half_width_deg", "0"),
       ("radar", "can_search", '"yes"'), ("radar", "can_search", "1"),
       ("radar", "name", '"Radar \\ud800"'), ("radar", "notes", '"x\\udfff"'), ("radar", "my_note", '"\\udc00"'),
       ("radar", "my_list", "[" * 40 + "]" * 40), ("radar", "my_big", BIG_INT)]
    + [("interceptor", f, '"1"') for f in _NUM_FIELDS_INTERCEPTOR]
    + [("interceptor", f, BIG_INT) for f in _NUM_FIELDS_INTERCEPTOR]
    + [("interceptor", "interceptor_class", '["sm3"]'), ("interceptor", "count", "1.5"),
       ("interceptor", "count", "1000000"), ("interceptor", "max_range_m", "1e300"),
       ("interceptor", "burn_time_s", "1e6"), ("interceptor", "commit_delay_s", "1e9"),
       ("interceptor", "max_intercept_altitude_m", "1e12"), ("interceptor", "burnout_speed_mps", "1e5")]
)


def _catalog_text(kind: str, field: str, raw: str) -> str:
    template = RADAR if kind == "radar" else INTERCEPTOR
    f = _feature(template, **{field: "@@BAD@@"})
    return json.dumps({"type": "FeatureCollection", "features": [f]}).replace('"@@BAD@@"', raw)


# Cross-field and geometry problems of one record (no single wrong type).
CATALOG_RECORD_CASES = [
    ("radar", {"min_elevation_deg": 30.0, "max_elevation_deg": 10.0}, "max_elevation_deg"),
    ("interceptor", {"min_intercept_altitude_m": 900_000.0, "max_intercept_altitude_m": 100_000.0},
     "max_intercept_altitude_m"),
    ("interceptor", {"burnout_speed_min_mps": 5000.0, "burnout_speed_max_mps": 3000.0}, "burnout_speed_max_mps"),
    ("radar", {"id": "Bad Id"}, "id"),
    ("radar", {"id": "ok\n"}, "id"),
    ("radar", {"lat_deg": 12.0}, "lat_deg"),
    ("radar", {"band": _DROP}, "band"),
    ("radar", {"kind": _DROP}, "kind"),
]


def _geometry_text(geometry_json: str) -> str:
    f = _feature(RADAR)
    f["geometry"] = "@@GEOM@@"
    return json.dumps({"type": "FeatureCollection", "features": [f]}).replace('"@@GEOM@@"', geometry_json)


GEOMETRY_CASES = ['{"type": "Point", "coordinates": [' + BIG_INT + ', 10]}',
                  '{"type": "Point", "coordinates": [NaN, 10]}',
                  '{"type": "Point", "coordinates": ["10", 10]}',
                  '{"type": "Point", "coordinates": [10]}',
                  '{"type": "Point", "coordinates": [200, 10]}',
                  '{"type": "LineString", "coordinates": [[1, 2], [3, 4]]}',
                  '[1, 2]', 'null']

# Whole-file problems: the message names the file (and where it could be found, the line).
FILE_CASES = [
    ("deep.geojson", '{"type": "FeatureCollection", "features": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "nested more than"),
    ("trunc.geojson", '{"type": "FeatureCollection", "features": [', "not valid JSON"),
    ("list.geojson", "[]", "FeatureCollection"),
    ("feats.geojson", '{"type": "FeatureCollection", "features": {}}', "'features' must be a list"),
    ("nulls.geojson", '{"type": "FeatureCollection", "features": [null]}', "feature #0"),
    ("deepkey.geojson", '{"type": "FeatureCollection", "x": ' + "[" * 50 + "]" * 50 + ', "features": []}',
     "nested more than"),
    ("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000, "nested more than"),
    ("bad.toml", "[missile.x\nname = 1", "not valid TOML"),
    ("big.toml", _first_missile("stages", BIG_INT), "field 'stages'"),
    ("nan.toml", _first_missile("range_m", "nan"), "field 'range_m'"),
    ("rcs.toml", _first_missile("warhead_rcs_m2", "1e300"), "field 'warhead_rcs_m2'"),
    ("type.toml", _first_missile("confidence", '["notional"]'), "field 'confidence'"),
    ("typo.toml", MISSILES_TEXT + '\n[missle.x]\nname = "y"\n', "key 'missle' (did you mean 'missile'?)"),
    ("name.toml", _first_missile("name", "{a = 1}"), "field 'name'"),
    ("burn.toml", _first_missile("burn_time_s", "-inf"), "field 'burn_time_s'"),
    ("deepval.toml", MISSILES_TEXT + "\n[missile.zz]\nname = " + "[" * 40 + "]" * 40 + "\n", "nested more than"),
    ("empty.geojson", "", "not valid JSON"),
    ("unterminated.geojson", '{"type": "FeatureCollection", "features": [{"a": "x', "line 1, column"),
]


def _catalog_cases():
    cases = []
    for i, (kind, fld, raw) in enumerate(CATALOG_FIELD_CASES):
        cmd = CATALOG_COMMANDS[i % len(CATALOG_COMMANDS)]
        cases.append(pytest.param(cmd, "c.geojson", _catalog_text(kind, fld, raw),
                                  ["'zz-bad'", f"'{fld}'"], id=f"catalog-{cmd}-{kind}-{fld}-{raw[:12]}"))
    for i, (kind, props, fld) in enumerate(CATALOG_RECORD_CASES):
        cmd = CATALOG_COMMANDS[(i + 5) % len(CATALOG_COMMANDS)]
        f = _feature(RADAR if kind == "radar" else INTERCEPTOR, **props)
        text = json.dumps({"type": "FeatureCollection", "features": [f]})
        cases.append(pytest.param(cmd, "c.geojson", text, [f"'{fld}'"], id=f"record-{cmd}-{fld}-{i}"))
    for i, geom in enumerate(GEOMETRY_CASES):
        cmd = CATALOG_COMMANDS[(i + 3) % len(CATALOG_COMMANDS)]
        cases.append(pytest.param(cmd, "c.geojson", _geometry_text(geom), ["'zz-bad'", "geometry"],
                                  id=f"geometry-{cmd}-{i}"))
    for i, (name, text, frag) in enumerate(FILE_CASES):
        cmd = CATALOG_COMMANDS[(i + 7) % len(CATALOG_COMMANDS)]
        cases.append(pytest.param(cmd, name, text, [frag], id=f"file-{cmd}-{name}"))
    return cases



@pytest.mark.parametrize("cmd,name,text,fragments", _catalog_cases())
def test_bad_catalog_table(tmp_path, monkeypatch, cmd, name, text, fragments):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = tmp_path / "out"
    _assert_refused(tmp_path, out, [*_base_args(cmd, out), "--catalog", str(path)], [str(path), *fragments])


# ---------------------------------------------------------------------------- scenarios
SCEN1 = (DATA / "scenarios" / "epaa-phase1-2011.toml").read_text()
TITLE = next(line for line in SCEN1.splitlines() if line.startswith("title = "))
DESCRIPTION = next(line for line in SCEN1.splitlines() if line.startswith("description = "))
INTERCEPTORS = '[[interceptors]]\nid = "aegis-east-med-sm3-ia"\n'

# (edit of the bundled epaa-phase1-2011 scenario, fragments the message must hold)
SCENARIO_CASES = [
    # wrong types where a string, list, table or number belongs
    ((TITLE, "title = ['x']"), ["scenario.title"]),
    ((TITLE, 'title = "  "'), ["scenario.title"]),
    (("year = 2011", "year = [2011]"), ["scenario.year"]),
    (("year = 2011", "year = " + BIG_INT), ["scenario.year"]),
    (("year = 2011", "year = 99999"), ["scenario.year"]),
    (("year = 2011", "year = 2011.5"), ["scenario.year"]),
    ((DESCRIPTION, "description = 5"), ["scenario.description"]),
    ((DESCRIPTION, "description = ['x']"), ["scenario.description"]),
    (('sources = ["', 'sources = [1, "'), ["scenario.sources"]),
    (('notional = ["', 'notional = [["x"], "'), ["scenario.notional"]),
    (('early_warning = ["kurecik"]', 'early_warning = [["kurecik"]]'), ["radars.early_warning"]),
    (('early_warning = ["kurecik"]', 'early_warning = {a = "kurecik"}'), ["radars.early_warning"]),
    (('early_warning = ["kurecik"]', 'early_warning = 7'), ["radars.early_warning"]),
    (('fire_control = ["aegis-east-med", "kurecik"]', "fire_control = []"), ["radars.fire_control"]),
    (('fire_control = ["aegis-east-med", "kurecik"]', 'fire_control = ["aegis-east-med", "kurecikk"]'),
     ["radars.fire_control", "kurecik"]),
    (('id = "aegis-east-med-sm3-ia"', 'id = {x = 1}'), ["interceptors[0]"]),
    (('id = "aegis-east-med-sm3-ia"', 'id = "aegis-east-med-sm3-ia"\nfire_control = 5'),
     ["interceptors[0].fire_control"]),
    (('id = "aegis-east-med-sm3-ia"', 'id = "aegis-east-med-sm3-ia"\nfire_control = ["gabala"]'),
     ["interceptors[0].fire_control"]),
    ([("[scenario]", "interceptors = 5\n[scenario]"), (INTERCEPTORS, "")], ["key 'interceptors'"]),
    ([("[scenario]", "interceptors = [5]\n[scenario]"), (INTERCEPTORS, "")], ["key 'interceptors[0]'"]),
    (('launch_sites = ["tabriz"', 'launch_sites = [["tabriz"]'), ["threats.launch_sites"]),
    (('launch_sites = ["tabriz", "tehran", "isfahan", "shahrud"]', "launch_sites = []"),
     ["threats.launch_sites"]),
    (('missile = "irbm"', 'missile = ["irbm"]'), ["threats.missile"]),
    (('missile = "irbm"', "missile = 3"), ["threats.missile"]),
    (('missile = "irbm"', 'missile = "irbmm"'), ["threats.missile", "irbm"]),
    (("bbox_deg = [-12.0, 34.0, 45.0, 66.0]", "bbox_deg = [-12.0, 34.0, 45.0, " + BIG_INT + "]"),
     ["grid.bbox_deg"]),
    (("bbox_deg = [-12.0, 34.0, 45.0, 66.0]", "bbox_deg = [-12.0, 34.0, 45.0, nan]"), ["grid.bbox_deg"]),
    (("bbox_deg = [-12.0, 34.0, 45.0, 66.0]", 'bbox_deg = "-12,34,45,66"'), ["grid.bbox_deg"]),
    (("bbox_deg = [-12.0, 34.0, 45.0, 66.0]", "bbox_deg = [45.0, 34.0, -12.0, 66.0]"), ["grid.bbox_deg"]),
    (("bbox_deg = [-12.0, 34.0, 45.0, 66.0]", "bbox_deg = [[-12.0], 34.0, 45.0, 66.0]"), ["grid.bbox_deg"]),
    (("resolution_deg = 0.25", "resolution_deg = " + BIG_INT), ["grid.resolution_deg"]),
    (("resolution_deg = 0.25", "resolution_deg = inf"), ["grid.resolution_deg"]),
    (("resolution_deg = 0.25", 'resolution_deg = "0.25"'), ["grid.resolution_deg"]),
    (("[grid]", "[engagement]\nsamples = " + BIG_INT + "\n[grid]"), ["engagement.samples"]),
    (("[grid]", "[engagement]\nsamples = 80.5\n[grid]"), ["engagement.samples"]),
    (("[grid]", "[engagement]\nmin_track_s = -inf\n[grid]"), ["engagement.min_track_s"]),
    (("[grid]", "[engagement]\nkill_assessment_s = 1e300\n[grid]"), ["engagement.kill_assessment_s"]),
    (("[grid]", "[engagement]\nkill_assessment_s = [60]\n[grid]"), ["engagement.kill_assessment_s"]),
    (("[grid]", "[engagment]\nsamples = 80\n[grid]"), ["engagment", "did you mean 'engagement'"]),
    (("[scenario]", "engagement = 5\n[scenario]"), ["key 'engagement'"]),
    (("[scenario]", "x = " + "[" * 100_000 + "]" * 100_000 + "\n[scenario]"), ["nested more than"]),
    (("[scenario]", "x = " + "[" * 40 + "]" * 40 + "\n[scenario]"), ["nested more than"]),
    (("[scenario]", 'x = "\\ud800"\n[scenario]'), ["not valid TOML"]),
    (("[scenario]", "[scenario"), ["not valid TOML"]),
]

# Overrides and inline [[sites]]: validated exactly like catalog records, after merging.
_OVR = "\n[overrides.radars.kurecik]\n"
_OVI = "\n[overrides.interceptors.aegis-east-med-sm3-ia]\n"
_SITE = ('\n[[sites]]\nid = "zz-site"\nkind = "radar"\nname = "x"\nsource = "x"\nconfidence = "notional"\n'
         'lat_deg = 40.0\nlon_deg = 30.0\nground_height_msl_m = 0.0\nband = "X"\nboresight_azimuth_deg = 0.0\n'
         'half_width_deg = 60.0\nmin_elevation_deg = 0.0\nmax_elevation_deg = 90.0\nreference_range_m = 1e6\n'
         'reference_rcs_m2 = 1.0\nantenna_height_agl_m = 10.0\ncan_search = true\n')
APPEND_CASES = [
    (_OVR + "min_elevation_deg = 95.0\n", ["overrides.radars.kurecik", "min_elevation_deg"]),
    (_OVR + "min_elevation_deg = 91.0\nmax_elevation_deg = 10.0\n", ["overrides.radars.kurecik"]),
    (_OVR + "min_elevation_deg = 60.0\nmax_elevation_deg = 30.0\n", ["overrides.radars.kurecik",
                                                                      "max_elevation_deg"]),
    (_OVR + "min_elevation_deg = 90.0\n", ["overrides.radars.kurecik", "max_elevation_deg"]),
    (_OVR + "reference_range_m = 1e300\n", ["overrides.radars.kurecik", "reference_range_m"]),
    (_OVR + "reference_range_m = " + BIG_INT + "\n", ["overrides.radars.kurecik", "reference_range_m"]),
    (_OVR + "reference_range_m = nan\n", ["overrides.radars.kurecik", "reference_range_m"]),
    (_OVR + 'reference_range_m = "2000km"\n', ["overrides.radars.kurecik", "reference_range_m"]),
    (_OVR + 'kind = "interceptor"\n', ["overrides.radars.kurecik.kind"]),
    (_OVR + 'id = "gabala"\n', ["overrides.radars.kurecik.id"]),
    (_OVR + 'band = ["X"]\n', ["overrides.radars.kurecik", "band"]),
    (_OVR + "can_search = 1\n", ["overrides.radars.kurecik", "can_search"]),
    (_OVR + "refrence_range_m = 1e6\n", ["overrides.radars.kurecik.refrence_range_m", "reference_range_m"]),
    (_OVI + "min_intercept_altitude_m = 3000000.0\n", ["overrides.interceptors.aegis-east-med-sm3-ia",
                                                       "max_intercept_altitude_m"]),
    (_OVI + "burnout_speed_mps = 1e9\n", ["overrides.interceptors.aegis-east-med-sm3-ia", "burnout_speed_mps"]),
    (_OVI + "count = 0\n", ["overrides.interceptors.aegis-east-med-sm3-ia", "count"]),
    (_OVI + "count = 2.5\n", ["overrides.interceptors.aegis-east-med-sm3-ia", "count"]),
    (_OVI + 'kind = "radar"\n', ["overrides.interceptors.aegis-east-med-sm3-ia.kind"]),
    (_OVI + "max_range_m = -1.0\n", ["overrides.interceptors.aegis-east-med-sm3-ia", "max_range_m"]),
    ("\n[overrides.radars.gabala]\nreference_range_m = 1e6\n", ["overrides.radars.gabala", "not in this scenario"]),
    ("\n[overrides.radars]\nkurecik = 5\n", ["overrides.radars.kurecik"]),
    ("\n[overrides]\nships = {}\n", ["overrides.ships"]),
    (_SITE.replace("min_elevation_deg = 0.0", "min_elevation_deg = 80.0").replace(
        "max_elevation_deg = 90.0", "max_elevation_deg = 20.0"), ["sites[0]", "zz-site", "max_elevation_deg"]),
    (_SITE.replace('kind = "radar"', 'kind = ["radar"]'), ["sites[0].kind"]),
    (_SITE.replace('kind = "radar"', "kind = {a = 1}"), ["sites[0].kind"]),
    (_SITE.replace('band = "X"', "band = 5"), ["sites[0]", "band"]),
    (_SITE.replace("reference_range_m = 1e6", "reference_range_m = 1e300"), ["sites[0]", "reference_range_m"]),
    (_SITE.replace("reference_range_m = 1e6", "reference_range_m = " + BIG_INT), ["sites[0]",
                                                                                  "reference_range_m"]),
    (_SITE.replace("lat_deg = 40.0\n", ""), ["sites[0]", "lat_deg"]),
    (_SITE.replace("lat_deg = 40.0", "lat_deg = 91.0"), ["sites[0]", "lat_deg"]),
    (_SITE.replace('id = "zz-site"', 'id = "kurecik"'), ["sites[0].id", "kurecik"]),
    (_SITE.replace('id = "zz-site"', "id = [1]"), ["sites[0]", "'id'"]),
    (_SITE.replace("can_search = true", "can_search = true\nextra = " + "[" * 40 + "]" * 40),
     ["nested more than"]),
    ("\nsites = 5\n", ["sites"]),
    ("\nsites = [5]\n", ["sites[0]"]),
]


def _scenario_cases():
    cases = []
    for i, (edits, frags) in enumerate(SCENARIO_CASES):
        text = SCEN1
        for old, new in edits if isinstance(edits, list) else [edits]:
            assert old in text, old
            text = text.replace(old, new, 1)
        cmd = SCENARIO_COMMANDS[i % len(SCENARIO_COMMANDS)]
        cases.append(pytest.param(cmd, text, frags, id=f"scenario-{cmd}-{i}-{frags[0][:24]}"))
    for i, (extra, frags) in enumerate(APPEND_CASES):
        cmd = SCENARIO_COMMANDS[(i + 2) % len(SCENARIO_COMMANDS)]
        text = extra + SCEN1 if extra.startswith("\nsites") else SCEN1 + extra
        cases.append(pytest.param(cmd, text, frags, id=f"merged-{cmd}-{i}-{frags[0][:28]}"))
    return cases


def _scenario_args(cmd: str, path, out) -> list[str]:
    args = _base_args(cmd, out)
    return [str(path) if a == "epaa-phase1-2011" else a for a in args]


@pytest.mark.parametrize("cmd,text,fragments", _scenario_cases())
def test_bad_scenario_table(tmp_path, monkeypatch, cmd, text, fragments):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    _assert_refused(tmp_path, out, _scenario_args(cmd, path, out), [str(path), *fragments])


# ---------------------------------------------------------------------------- options
def _option_cases():
    c = []

    def add(cmd, extra, frags, replace=None):
        c.append((cmd, extra, frags, replace))

    # quantities that overflow or are physically meaningless: refused at parse time, value named
    for cmd in ("coverage", "los", "vcd"):
        add(cmd, ["--rcs", "4000dBsm"], ["--rcs", "4000dBsm"])
        add(cmd, ["--rcs", "-4000dBsm"], ["--rcs", "-4000dBsm"])
        add(cmd, ["--rcs", "1e400"], ["--rcs", "1e400"])
        add(cmd, ["--rcs", "nan"], ["--rcs"])
    add("coverage", ["--rcs", "61dBsm"], ["--rcs", "61dBsm"])  # above +60 dBsm: no such target
    add("los", ["--rcs", "1e7"], ["--rcs", "1e7"])
    add("vcd", ["--rcs", "1e-11"], ["--rcs", "1e-11"])  # below -100 dBsm
    add("coverage", ["--altitude", "1e300km"], ["--altitude", "1e300km"])
    add("coverage", ["--altitude", "100km,,300km"], ["--altitude", "empty"])
    add("coverage", ["--altitude", "inf"], ["--altitude"])
    add("horizon", ["--ranges", "1e30km"], ["--ranges"])
    add("horizon", ["--ranges", "500km,"], ["--ranges", "empty"])
    add("horizon", ["--min-elevation", "1e400deg"], ["--min-elevation"])
    add("vcd", ["--max-range", "1e20m"], ["--max-range", "1e20m"])
    add("vcd", ["--max-altitude", "-5km"], ["--max-altitude"])
    add("trajectory", ["--speed", "1e12km/s"], ["--speed"])
    add("trajectory", ["--apogee", "1e400km", "--mode", "lofted"], ["--apogee"])
    add("timeline", ["--step", "1e300s"], ["--step"])
    add("timeline", ["--min-track", "nan"], ["--min-track"])
    add("footprint", ["--interceptor-speed", "1e300km/s"], ["--interceptor-speed"])
    add("footprint", ["--resolution", "1e-400deg"], ["--resolution"])
    add("engage", ["--interceptor-speed", "1e400"], ["--interceptor-speed"])
    add("engage", ["--interceptor-speed", "5km/s,,7km/s"], ["--interceptor-speed", "empty"])
    add("compare", ["--resolution", "nan"], ["--resolution"])
    add("optimise", ["--step", "inf"], ["--step"])
    # k factors: bounded, finite, positive
    for i, k in enumerate(("1e308", "1e-300", "0.01", "1000", "-1", "0", "nan", "inf", "", "4/3x", "k=2")):
        cmd = ("horizon", "los", "coverage", "timeline", "footprint", "engage", "vcd", "compare", "horizon", "los",
               "vcd")[i]
        add(cmd, ["--model", k], ["--model"])
    # comma lists: one parser, empty items refused everywhere
    for radars in ("kurecik,,gabala", ",kurecik", "kurecik,", " , ", ""):
        add("timeline", ["--radars", radars], ["--radars"])
    for launch in ("tehran,,tabriz", "tehran,", ","):
        for cmd in ("footprint", "compare", "optimise"):
            add(cmd, ["--launch", launch], ["--launch"])
    add("footprint", ["--launch", "tehrann"], ["tehran"])
    add("footprint", ["--bbox", "1,2,3"], ["--bbox"])
    add("footprint", ["--bbox", "1," * 3 + BIG_INT], ["--bbox"])
    add("footprint", ["--bbox", "-10,30,10,1e400"], ["--bbox"])
    # files named by options
    for cmd in ("sites", "horizon", "distance", "engage", "footprint"):
        add(cmd, ["--catalog", ""], ["--catalog", "empty"])
    for cmd in ("sites", "map", "timeline"):
        add(cmd, ["--catalog", "/dev/null"], ["/dev/null", "not a regular file"])
    add("sites", ["--catalog", "@TMP@"], ["--catalog", "directory"])
    add("vcd", ["--catalog", "@TMP@/nope.geojson"], ["nope.geojson", "not found"])
    add("sites", ["--catalog", "x" * 5000 + ".geojson"], ["File name too long"])
    add("engage", [], ["File name too long"], replace=["engage", "y" * 5000 + ".toml", "tehran", "bucharest"])
    add("footprint", [], ["File name too long"], replace=["footprint", "epaa-phase1-2011", "--out", "z" * 5000])
    for cmd in ("los", "coverage", "timeline"):
        add(cmd, ["--dem", "/dev/null"], ["/dev/null", "not a regular file"])
    add("los", ["--dem", "@TMP@"], ["--dem", "directory"])
    add("coverage", ["--dem", "@TMP@/nope.tif"], ["nope.tif", "not found"])
    add("los", ["--dem", "@TMP@/bad.tif"], ["bad.tif"])
    add("los", ["--dem", "@TMP@/trunc.tif"], ["trunc.tif", "cannot be read"])
    # ids
    add("horizon", [], ["kurecikk"], replace=["horizon", "kurecikk"])
    add("los", [], ["gabal"], replace=["los", "gabal", "40,40,300km"])
    add("vcd", [], ["'nope'"], replace=["vcd", "nope", "-o", "@OUT@/v.png"])
    add("distance", [], ["91,0"], replace=["distance", "91,0", "london"])
    add("distance", [], ["1,2,3"], replace=["distance", "1,2,3", "london"])
    add("engage", ["--missile", "nope"], ["'nope'"])
    add("trajectory", ["--missile", "irbmm"], ["irbm"])
    add("engage", [], ["scenario"], replace=["engage", "no-such-scenario", "tehran", "bucharest"])
    add("engage", [], ["scenario name is empty"], replace=["engage", "", "tehran", "bucharest"])
    add("map", [], ["is a folder"], replace=["map", "@TMP@", "-o", "@OUT@/m.html"])
    add("footprint", [], ["/dev/null"], replace=["footprint", "/dev/null", "--out", "@OUT@"])
    add("compare", [], ["s.toml", "not found"], replace=["compare", "@TMP@/s.toml", "--out", "@OUT@"])
    # output locations
    add("coverage", [], ["--out", "is a file"], replace=["coverage", "kurecik", "--out", "@TMP@/file.txt"])
    add("footprint", [], ["empty"], replace=["footprint", "epaa-phase1-2011", "--out", ""])
    add("compare", [], ["not a folder"], replace=["compare", "epaa-phase1-2011", "--out", "@TMP@/file.txt/sub"])
    add("map", [], ["not a regular file"], replace=["map", "epaa-phase1-2011", "-o", "/dev/null"])
    add("map", ["--all"], ["--all"])
    add("timeline", ["--geojson", "/dev/null"], ["not a regular file"])
    # names the shell passed as undecodable bytes (Python sees lone surrogates): refused up front
    add("coverage", [], ["not valid UTF-8"], replace=["coverage", "kurecik", "--out", "@TMP@/\udcffout"])
    add("vcd", [], ["not valid UTF-8"], replace=["vcd", "kurecik", "-o", "@TMP@/\udcff.png"])
    add("map", [], ["not valid UTF-8"], replace=["map", "epaa-phase1-2011", "-o", "@TMP@/\udcff.html"])
    add("timeline", ["--plot", "@TMP@/\udcff.png"], ["not valid UTF-8"])
    add("los", ["--dem", "@TMP@/\udcff.tif"], ["--dem", "not valid UTF-8"])
    add("horizon", [], ["unknown site"], replace=["horizon", "\udcff"])
    add("optimise", ["--k", "0"], ["--k"])
    add("optimise", ["--k", BIG_INT], ["--k"])
    add("coverage", ["--k", BIG_INT], ["--k"])
    # compare --weights, a CSV reader
    for body, frags in (("id,weight\nlondon," + "1" * 200_000 + "\n", ["w.csv", "not valid CSV"]),
                        ("id,weight\nlondon,1e400\n", ["w.csv", "'weight'"]),
                        ("id,weight\nlondon,1\x00\n", ["w.csv", "'weight'"]),
                        ("name,value\n", ["w.csv", "id,weight"])):
        add("compare", ["--weights", "@TMP@/w.csv"], frags, replace=body)
    # the candidate region of optimise: a second GeoJSON reader, the same checks
    for region, frags in ((["@TMP@/deep.geojson"], ["deep.geojson", "nested more than"]),
                          (["@TMP@/big.geojson"], ["big.geojson", "too large for a float"]),
                          (["@TMP@/surrogate.geojson"], ["surrogate.geojson", "lone surrogate"]),
                          (["/dev/null"], ["/dev/null", "not a regular file"]),
                          (["@TMP@/nope.geojson"], ["nope.geojson", "not found"]),
                          (["1,2,3"], ["candidate region"]), ([""], ["candidate region"]),
                          (["10,30,20," + BIG_INT], ["File name too long"])):
        add("optimise", ["--candidates", *region], frags)
    return [pytest.param(cmd, extra, frags, rep, id=f"option-{cmd}-{i}-{' '.join(extra)[:20] or 'args'}")
            for i, (cmd, extra, frags, rep) in enumerate(c)]


@pytest.mark.parametrize("cmd,extra,fragments,replace", _option_cases())
def test_bad_option_table(tmp_path, monkeypatch, cmd, extra, fragments, replace):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("not a folder")
    (tmp_path / "bad.tif").write_bytes(b"II*\x00garbage")
    if any("trunc.tif" in a for a in extra):
        _truncated_dem(tmp_path / "trunc.tif")
    (tmp_path / "deep.geojson").write_text('{"type": "FeatureCollection", "features": ' + "[" * 50_000
                                           + "]" * 50_000 + "}")
    (tmp_path / "big.geojson").write_text('{"type": "Polygon", "coordinates": [[[0, 0], [' + BIG_INT
                                          + ', 0], [1, 1], [0, 0]]]}')
    (tmp_path / "surrogate.geojson").write_text('{"type": "Feature", "properties": {"name": "\\ud800"}, '
                                                '"geometry": null}')
    out = tmp_path / "out"
    if isinstance(replace, str):  # the body of the file named by the option
        (tmp_path / "w.csv").write_text(replace)
    if isinstance(replace, list):
        args = [a.replace("@OUT@", str(out)).replace("@TMP@", str(tmp_path)) for a in replace]
    else:
        args = _base_args(cmd, out)
        if "--dem" in extra and "--no-terrain" in args:
            args.remove("--no-terrain")
        if "--candidates" in extra:
            i = args.index("--candidates")
            args = args[:i] + args[i + 2:]
        if "--radars" in extra:
            i = args.index("--radars")
            args = args[:i] + args[i + 2:]
    args += [a.replace("@TMP@", str(tmp_path)) for a in extra]
    _assert_refused(tmp_path, out, args, fragments)


def _truncated_dem(path) -> None:
    """A GeoTIFF whose header opens but whose pixels were cut off (an interrupted download)
    over 39-41 N, 39-41 E, which the line of sight from Kurecik to 40 N 40 E crosses."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", height=200, width=200, count=1, dtype="float32", crs="EPSG:4326",
                       transform=from_origin(39.0, 41.0, 0.01, 0.01)) as ds:
        ds.write(np.full((200, 200), 500.0, np.float32), 1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _assert_refused(tmp_path, out, args, fragments):
    before = _listing(tmp_path)
    r = CliRunner().invoke(cli, args)
    text = r.output
    assert "Traceback" not in text, text
    assert " at at " not in text, text
    assert r.exception is None or isinstance(r.exception, SystemExit), (args, repr(r.exception))
    assert r.exit_code == 2, (args, text)
    for frag in fragments:
        assert frag in text, (frag, text)
    assert not out.exists(), f"output left in {out}"
    assert _listing(tmp_path) == before, "files left behind"


def _listing(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---------------------------------------------------------------------------- the environment
_COVERAGE = ["coverage", "kurecik", "--no-terrain", "--no-map", "--altitude", "300km", "--azimuth-step", "2deg",
             "--resolution", "2deg"]


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_full_disk_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    """ENOSPC while writing: one message naming the output, non-zero status, nothing left."""
    import errno
    import pathlib

    real = pathlib.Path.write_text

    def full(self, *args, **kwargs):
        if "geocover-tmp" in self.name:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", full)
    out = tmp_path / "new" / "cov"  # its parent is made for the staging folder, then removed
    r = CliRunner().invoke(cli, [*_COVERAGE, "--out", str(out)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "No space left on device" in r.output and "disk is full" in r.output
    assert "coverage.geojson" in r.output  # the file the user asked for, not the temporary name
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no staging or parent folder


def test_killed_run_leaves_staging_that_the_next_run_removes(tmp_path):
    """A run killed with SIGKILL while staging leaves its folder only inside
    ``.geocover-staging`` beside the output; the next run there removes it (the process is
    gone) and removes ``.geocover-staging`` once empty. Stale temporary files likewise."""
    import signal

    out = tmp_path / "cov"
    code = ("import sys, time\nfrom geocover.export import staged_output\n"
            "with staged_output(sys.argv[1]) as s:\n    (s / 'coverage.geojson').write_text('partial')\n"
            "    print('ready', flush=True)\n    time.sleep(60)\n")
    p = subprocess.Popen([sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    left = sorted(str(x.relative_to(tmp_path)) for x in tmp_path.rglob("*"))
    assert not out.exists() and left[0] == ".geocover-staging", left
    assert all(x.startswith(".geocover-staging") for x in left), left
    stale_tmp = tmp_path / f".old{'.geocover-tmp.'}{_dead_pid()}.abc.html"
    stale_tmp.write_text("partial")
    r = CliRunner().invoke(cli, [*_COVERAGE, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cov"]
    names = sorted(p.name for p in out.iterdir())
    assert "coverage.geojson" in names and "mda_kurecik.tif" in names
    assert not any(n.startswith(".") for n in names), names


def test_gitignore_covers_staging_leftovers():
    text = (ROOT / ".gitignore").read_text().splitlines()
    assert ".geocover-staging/" in text and ".*.geocover-tmp.*" in text


@pytest.mark.parametrize("corrupt", [b"", b"PK\x03\x04 not a zip", "truncated", "wrong-arrays"])
def test_corrupt_mask_cache_entry_is_discarded_and_recomputed(tmp_path, monkeypatch, corrupt):
    import numpy as np

    from geocover import terrain

    monkeypatch.setenv("GEOCOVER_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(terrain, "_MEMORY", {})
    kw = dict(max_distance_m=20_000.0, azimuth_step_deg=2.0)
    first = terrain.terrain_mask(40.0, 30.0, 100.0, **kw)
    (entry,) = (tmp_path / "masks").glob("*.npz")
    good = entry.read_bytes()
    if corrupt == "truncated":
        corrupt = good[: len(good) // 2]
    elif corrupt == "wrong-arrays":
        np.savez(entry, distances_m=np.arange(3.0), elevation_deg=np.zeros((2, 2)))
        corrupt = entry.read_bytes()
    entry.write_bytes(corrupt)
    stale = tmp_path / "masks" / f"abc.{_dead_pid()}.tmp.npz"
    stale.write_bytes(b"half")
    for _ in range(2):  # recomputed once, then read from the rewritten entry
        monkeypatch.setattr(terrain, "_MEMORY", {})
        again = terrain.terrain_mask(40.0, 30.0, 100.0, **kw)
        np.testing.assert_array_equal(again.elevation_deg, first.elevation_deg)
        np.testing.assert_array_equal(again.distances_m, first.distances_m)
    assert entry.read_bytes() != corrupt and not stale.exists()


def test_footprint_over_the_antipode_marks_cells_unreachable(tmp_path):
    """Tehran (catalog: 35.69 N, 51.39 E) has its antipode near 35.7 S, 128.6 W; a grid around
    it is a valid job: those cells are NaN (no aim is defined there), the job completes."""
    import numpy as np
    import rasterio

    out = tmp_path / "fp"
    r = CliRunner().invoke(cli, ["footprint", "epaa-phase1-2011", "--launch", "tehran",
                                 "--bbox=-131,-38,-126,-33", "--resolution", "1deg", "--out", str(out)])
    assert r.exit_code == 0, r.output
    with rasterio.open(out / "battle_space_tehran.tif") as ds:
        assert np.isnan(ds.read(1)).all()


@pytest.mark.parametrize("args,fragment", [
    (["sites", "--catalog", "@TMP@/c.geojson"], "field 'kind'"),
    (["coverage", "kurecik", "--rcs", "4000dBsm", "--out", "@TMP@/o"], "4000dBsm"),
    (["timeline", "tabriz", "london", "--radars", "kurecik,,gabala", "--no-terrain"], "--radars"),
])
def test_real_process_exit_status_and_stderr(tmp_path, args, fragment):
    """A few cases through a real process: exit status 2, the message on stderr, no traceback."""
    (tmp_path / "c.geojson").write_text(_catalog_text("radar", "kind", '["radar"]'))
    args = [a.replace("@TMP@", str(tmp_path)) for a in args]
    r = subprocess.run([sys.executable, "-c", "from geocover.cli.main import main; main()", *args],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert fragment in r.stderr and "Traceback" not in r.stderr + r.stdout
    assert not (tmp_path / "o").exists()
