"""Hostile review of ``geocover robustness`` (issue 15): template payloads and markup in every
text field that reaches an output, malformed [uncertain] tables, and a run killed mid-way.

No number here is a physical result: the checks are that user text stays text (escaped in
map.html, verbatim in CSV/JSON/GeoTIFF tags), that bad input gets one message naming the file
and key with exit status 2 and nothing written, and that a killed run leaves no output folder.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from geocover.cli.main import cli
from geocover.scenario import bundled_scenarios

#: Text a hostile catalog/scenario author might write: Jinja2 expressions and blocks, a closing
#: </script> with a script, a JS template literal, both quotes, a backtick, markup and an entity.
PAYLOAD = "{{7*7}} {% raw %} </script><script>alert(1)</script> ${x} \"q' ` <b>x</b> &amp;"
#: A file name with the same kinds of text ('/' cannot be in a file name).
HOSTILE_STEM = "{{7*7}}<script>x<script>'$x"


def _toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string of BMP characters is a valid TOML basic string


def _scenario(tmp_path: Path, extra: str = "", *, stem: str = "rb", payload: str | None = None) -> Path:
    """third-site-2007 without its [uncertain] tables, plus ``extra``; with ``payload`` in its
    title, description, the forward radar's name and an uncertain range's source."""
    text = bundled_scenarios()["third-site-2007"].read_text(encoding="utf-8")
    text = text[:text.find("# Uncertain parameters")]
    if payload is not None:
        for field in ("title", "description", "name"):
            head = f'\n{field} = "'
            i = text.index(head) + len(head)
            text = text[:i] + _toml_str(payload)[1:-1] + " " + text[i:]
        city = (f'[[sites]]\nid = "evil-city"\nkind = "target"\nname = {_toml_str(payload)}\nlat_deg = 48.0\n'
                f'lon_deg = 10.0\nground_height_msl_m = 500.0\nsource = {_toml_str(payload)}\n'
                'confidence = "notional"\n\n')
        i = text.index("[radars]")
        text = text[:i] + city + text[i:]
    p = tmp_path / f"{stem}.toml"
    p.write_text(text + "\n" + extra, encoding="utf-8")
    return p


UNCERTAIN = ("[uncertain.interceptors.redzikowo-gbi]\n"
             f"burnout_speed_mps = {{low = 5400.0, high = 9000.0, source = {_toml_str(PAYLOAD)}}}\n")


def _invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_hostile_text_stays_text_in_every_output(tmp_path):
    p = _scenario(tmp_path, UNCERTAIN, stem=HOSTILE_STEM, payload=PAYLOAD)
    out = tmp_path / "out{{7*7}}<s>'$x"
    r = _invoke("robustness", p, "--samples", 8, "--launch", "tabriz", "--resolution", "10deg",
                "--scheduler", "none", "--city", "evil-city", "--out", out)
    assert r.exit_code == 0, r.output
    html = (out / "map.html").read_text(encoding="utf-8")
    # never executed markup: no payload script, no template evaluated, the text escaped
    assert "<script>alert(1)" not in html and "<script>x<script>" not in html and "<b>x</b>" not in html
    assert "alert(1)" in html  # the text itself is there (escaped), not dropped
    tags = [t.split(">")[0] for t in html.split("<script")[1:]]
    assert all(t.strip() in ("", 'type="application/json" id="geocover-data"') or "src=" in t for t in tags), tags
    # the scenario id (the file's stem) round-trips verbatim in JSON, GeoTIFF tags and CSV
    sens = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    assert sens["scenario"] == HOSTILE_STEM and sens["file"] == str(p)
    import rasterio

    with rasterio.open(out / "p_defended_all.tif") as ds:
        assert ds.tags()["scenario"] == HOSTILE_STEM
    rows = list(csv.DictReader((out / "cities.csv").open(encoding="utf-8", newline="")))
    assert rows and {r["launch"] for r in rows} == {"tabriz"}
    assert "evil-city" in {r["target"] for r in rows}
    assert (out / "tornado.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / ".geocover-staging").exists()


G = "[uncertain.interceptors.redzikowo-gbi]\n"
BAD = [  # (table, key named in the message, words in the message)
    (G + 'burnout_speed_mps = "fast"\n', "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps", "[low, high]"),
    (G + "burnout_speed_mps = [true, false]\n", "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps",
     "finite number"),
    (G + "burnout_speed_mps = [nan, 9000.0]\n", "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps[0]",
     "finite number"),
    (G + "burnout_speed_mps = [5400.0]\n", "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps", "two numbers"),
    (G + 'burnout_speed_mps = {dist = "{{7*7}}</script>", low = 5400.0, high = 9000.0}\n',
     "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps.dist", "uniform, triangular or normal"),
    (G + "burnout_speed_mps = {low = 5400.0, high = 9000.0, hgih = 1}\n",
     "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps.hgih", "did you mean 'high'"),
    ('[uncertain.interceptors."{{7*7}}</script><script>alert(1)</script>"]\nburnout_speed_mps = [5400.0, 9000.0]\n',
     "uncertain.interceptors.{{7*7}}</script><script>alert(1)</script>", "not in this scenario"),
    (G + '"${x}{% raw %}" = [5400.0, 9000.0]\n', "uncertain.interceptors.redzikowo-gbi.${x}{% raw %}",
     "names no catalog field"),
    ('[uncertain."{{7*7}}"]\nx = [1.0, 2.0]\n', "uncertain.{{7*7}}", "unknown key"),
    (G + 'burnout_speed_mps = {low = 5400.0, high = 9000.0, source = "a\\u0000b"}\n',
     "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps.source", "NUL"),
    (G + 'burnout_speed_mps = {low = 5400.0, high = 9000.0, source = "a\\u202eb"}\n',
     "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps.source", "U+202E"),
    ('[uncertain.radars.brdy-emr]\nid = ["a", "b"]\n', "uncertain.radars.brdy-emr.id", "only numeric fields"),
    (G + 'burnout_speed_mps = {dist = "triangular", low = 5400.0, mode = 9000.0, high = 5400.0}\n',
     "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps", "mode"),
    # a mean far outside [low, high]: scipy's truncnorm.ppf drew the far bound (9000) for a third
    # of the sets instead of values next to 5400 (found here; now refused)
    (G + 'burnout_speed_mps = {dist = "normal", mean = 1.0, sd = 100.0, low = 5400.0, high = 9000.0}\n',
     "uncertain.interceptors.redzikowo-gbi.burnout_speed_mps", "mean (1) must lie between"),
]


@pytest.mark.parametrize(("table", "key", "words"), BAD)
def test_bad_uncertain_table_names_file_and_key(tmp_path, table, key, words):
    p = _scenario(tmp_path, table)
    out = tmp_path / "out"
    r = _invoke("robustness", p, "--samples", 16, "--scheduler", "none", "--out", out)
    assert r.exit_code == 2, r.output
    assert str(p) in r.output and f"'{key}'" in r.output and words in r.output, r.output
    assert "Traceback" not in r.output and not out.exists() and not (tmp_path / ".geocover-staging").exists()


def test_toml_syntax_error_and_bidi_title(tmp_path):
    p = _scenario(tmp_path, G + "burnout_speed_mps = [5400.0, \n", stem="syntax")
    r = _invoke("robustness", p, "--scheduler", "none", "--out", tmp_path / "out")
    assert r.exit_code == 2 and str(p) in r.output and "not valid TOML" in r.output, r.output
    q = _scenario(tmp_path, UNCERTAIN, stem="bidi", payload="a\u202eb")
    r = _invoke("robustness", q, "--scheduler", "none", "--out", tmp_path / "out")
    assert r.exit_code == 2 and str(q) in r.output and "U+202E" in r.output, r.output
    assert "Traceback" not in r.output and not (tmp_path / "out").exists()
    ids = tmp_path / "ids.toml"  # a record id is a restricted name, so it never carries markup
    ids.write_text(_scenario(tmp_path).read_text(encoding="utf-8").replace("forward-radar-2007", "{{7*7}}</script>x"),
                   encoding="utf-8")
    r = _invoke("robustness", ids, "--scheduler", "none", "--out", tmp_path / "out")
    assert r.exit_code == 2 and str(ids) in r.output and "field 'id' must be lower-case" in r.output, r.output
    assert not (tmp_path / "out").exists()


def _geocover() -> list[str]:
    script = Path(sys.executable).with_name("geocover")
    return [str(script)] if script.exists() else [sys.executable, "-m", "geocover"]


def test_killed_run_leaves_nothing_and_the_next_run_works(tmp_path):
    """kill -9 the run once its staging folder exists (or after its imports, if the staging
    window is missed): no output folder, and a second run writes it and leaves no staging."""
    p = _scenario(tmp_path, UNCERTAIN)
    out = tmp_path / "out"
    cmd = [*_geocover(), "robustness", str(p), "--samples", "8", "--launch", "tabriz", "--resolution", "10deg",
           "--scheduler", "none", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    sig = signal.SIGKILL  # Ctrl-C: tests/test_robust_inputs.py
    staging = tmp_path / ".geocover-staging"
    t0 = time.monotonic()
    try:
        while proc.poll() is None and not staging.exists() and time.monotonic() - t0 < 3.0:
            time.sleep(0.005)
        signalled = proc.poll() is None
        if signalled:
            proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if signalled:
        assert proc.returncode in ((-9,) if sig == signal.SIGKILL else (130,)), (proc.returncode, err)
        assert not out.exists(), sorted(x.name for x in out.iterdir())
        if sig == signal.SIGINT:
            assert "Traceback" not in err and not staging.exists()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (out / "map.html").is_file() and (out / "cities.csv").is_file()
    assert not staging.exists()  # the killed run's staging removed by the next run
