"""User mistakes found in review: each gets one clear message, exit status 2, and no output
written or destroyed."""

from __future__ import annotations

import os
import stat

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
