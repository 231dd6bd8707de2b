"""Output safety (review of the last session, four defects fixed as kinds):

1. ``--out`` appears whole or not at all: a new folder is staged beside it and renamed into
   place in one ``rename``; an existing folder gets its files moved in after a commit point
   (a marker folder), and a run stopped during those moves is finished by the next one. A
   ``kill -9`` of a real run at several moments leaves ``--out`` absent or complete.
2. An output name with a control, line-separator or bidirectional character is refused with
   exit status 2, naming the option, for every option that names an output.
3. User text echoed in a message (a key, a value, an option, a file or city name) is escaped
   and cut to a readable length by one helper (:func:`geocover.errors.shown`).
4. A field set in both ``[overrides]`` and ``[uncertain]`` stays valid, and ``robustness``
   says on stderr that its draws replace the override.

No number here is a physical result; the checks are on files, exit statuses and messages.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from slow_mover import start_slow_mover

from geocover.cli.main import cli
from geocover.errors import DataFileError, output_path_problem, quoted, shown
from geocover.export import INCOMPLETE_MARK, STAGING_DIR, check_complete, check_output_file, staged_output
from geocover.scenario import bundled_scenarios

ESC_CLEAR = "\x1b[2J"  # ANSI "erase display": a terminal that receives it clears the screen
LONG = "x" * 5000  # the 5,000-character key/value of the review


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _geocover() -> list[str]:
    script = Path(sys.executable).with_name("geocover")
    return [str(script)] if script.exists() else [sys.executable, "-m", "geocover"]


# ------------------------------------------------------------------ 1. whole output folders

def test_new_output_folder_appears_in_one_rename(tmp_path, monkeypatch):
    """Inside the block the folder does not exist; leaving it moves no single file (os.replace
    fails here) but renames the staging folder: the folder appears with all its files, with
    the mode a plain mkdir gives under the umask, and no staging folder is left."""
    out = tmp_path / "new" / "out"
    with staged_output(out) as stage:
        (stage / "a.json").write_text("{}")
        (stage / "b.csv").write_text("x\n")
        assert not out.exists()
        assert stage.parent == tmp_path / "new" / STAGING_DIR  # same file system as --out

        def no_single_moves(*args, **kwargs):
            raise AssertionError("a file was moved on its own")

        monkeypatch.setattr(os, "replace", no_single_moves)
    monkeypatch.undo()
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.csv"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~_umask()
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["out"]


def test_existing_folder_is_written_in_place(tmp_path):
    """The user's folder keeps its identity (inode), mode and other files; same names are
    replaced; no marker or staging folder remains."""
    out = tmp_path / "mine"
    out.mkdir()
    os.chmod(out, 0o750)
    (out / "notes.txt").write_text("mine")
    (out / "a.json").write_text("old")
    inode = out.stat().st_ino
    with staged_output(out) as stage:
        assert stage.parent == out / STAGING_DIR  # inside the folder: same file system, even via a link
        (stage / "a.json").write_text("new")
        (stage / "b.csv").write_text("x\n")
        assert (out / "a.json").read_text() == "old"
    assert out.stat().st_ino == inode and stat.S_IMODE(out.stat().st_mode) == 0o750
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.csv", "notes.txt"]
    assert (out / "a.json").read_text() == "new" and (out / "notes.txt").read_text() == "mine"
    check_complete(out)


def test_kill_while_moving_into_an_existing_folder_is_finished_by_the_next_run(tmp_path):
    """SIGKILL after the first of two moves into an existing folder: the folder is marked
    incomplete (readers refuse it, naming it) and the next run into it first moves the rest
    of the killed run's complete files in, then writes its own."""
    out = tmp_path / "out"
    out.mkdir()
    for name in ("a.txt", "b.txt", "keep.txt"):
        (out / name).write_text(f"old {name[0]}")
    p = start_slow_mover(out, pause_s=60, label="new")
    try:
        assert p.stdout.readline().strip() == "moved"
    finally:
        p.kill()
        p.wait()
    marks = [x for x in out.iterdir() if x.name.startswith(INCOMPLETE_MARK)]
    assert len(marks) == 1 and [x.name for x in marks[0].iterdir()] == ["b.txt"]
    assert (out / "a.txt").read_text() == "new a" and (out / "b.txt").read_text() == "old b"  # a mix...
    with pytest.raises(DataFileError, match="stopped while moving"):  # ...that no reader takes
        check_complete(out)
    r = run("map", "third-site-2007", "--robustness", out, "-o", tmp_path / "m.html")
    assert r.exit_code == 2 and str(out) in r.output and "run that command again" in r.output, r.output
    assert not (tmp_path / "m.html").exists()
    with staged_output(out) as stage:  # the next run into the folder
        (stage / "c.txt").write_text("c")
    assert {x.name: x.read_text() for x in out.iterdir()} == {
        "a.txt": "new a", "b.txt": "new b", "c.txt": "c", "keep.txt": "old k"}
    check_complete(out)


#: A real command writing several files (GeoJSON, GeoPackage, KMZ, COG) in about a second of
#: work after Python's start-up.
_COVERAGE = ["coverage", "kurecik", "--no-terrain", "--no-map", "--altitude", "300km", "--azimuth-step", "2deg",
             "--resolution", "2deg"]
_COVERAGE_FILES = ["coverage.geojson", "coverage.gpkg", "coverage.kmz", "mda_kurecik.tif"]


def _complete(out: Path) -> None:
    """Every file of the command, each whole: the GeoJSON parses, GDAL opens the GeoPackage
    and the GeoTIFF, the KMZ is a zip with its doc.kml."""
    import zipfile

    import pyogrio
    import rasterio

    assert sorted(p.name for p in out.iterdir()) == _COVERAGE_FILES
    assert json.loads((out / "coverage.geojson").read_text())["type"] == "FeatureCollection"
    assert pyogrio.list_layers(out / "coverage.gpkg").size
    with zipfile.ZipFile(out / "coverage.kmz") as z:
        assert "doc.kml" in z.namelist()
    with rasterio.open(out / "mda_kurecik.tif") as ds:
        assert ds.count == 1


def _staged(folder: Path) -> set[str]:
    """Names of the files (not temporaries) in the staging folders under ``folder``."""
    return {p.name for p in (folder / STAGING_DIR).glob("*/*") if not p.name.startswith(".")}


def test_kill_9_of_real_runs_leaves_no_output_or_a_complete_one(tmp_path):
    """``kill -9`` two real ``geocover coverage`` runs (side by side, each into its own folder):
    one as soon as its staging folder appears, one as soon as all four of its files are staged
    (the moment the old code moved them into --out one by one). Each ``--out`` does not exist
    or holds all four files, whole. The next run writes its folder completely and removes the
    killed run's staging. (About 1.5 CPU seconds per run, most of it Python's start-up.)"""
    moments = (lambda d: (d / STAGING_DIR).exists(), lambda d: _staged(d) >= set(_COVERAGE_FILES))
    runs = []
    for i in range(len(moments)):
        (tmp_path / str(i)).mkdir()
        out = tmp_path / str(i) / "out"
        cmd = [*_geocover(), *_COVERAGE, "--out", str(out)]
        runs.append((out, subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    try:
        t0 = time.monotonic()
        while any(p.poll() is None for _, p in runs) and time.monotonic() - t0 < 120:
            for (out, p), now in zip(runs, moments, strict=True):
                if p.poll() is None and now(out.parent):
                    p.kill()
            time.sleep(0.001)
    finally:
        for _, p in runs:
            p.kill()
            p.wait()
    for out, _ in runs:
        if out.exists():
            _complete(out)
        left = sorted(p.name for p in out.parent.iterdir())
        assert set(left) <= {"out", STAGING_DIR}, left
    out = runs[0][0]
    r = run(*_COVERAGE, "--out", out)  # the next run (in this process: the same code, no start-up)
    assert r.exit_code == 0, r.output
    _complete(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # the killed run's staging removed


# ------------------------------------------------------------------ 2. odd output names

#: Every option that names an output file or folder, with the least a command needs around it.
#: BAD goes first: click checks the options in the order they are typed.
OUTPUT_OPTIONS = [
    (["coverage", "--out", "BAD", "kurecik"], "--out"),
    (["footprint", "--out", "BAD", "epaa-phase1-2011"], "--out"),
    (["compare", "--out", "BAD", "epaa-phase1-2011"], "--out"),
    (["compare", "--chart", "BAD", "--out", "OK", "epaa-phase1-2011"], "--chart"),
    (["optimise", "--out", "BAD", "--scenario", "epaa-phase1-2011"], "--out"),
    (["robustness", "--out", "BAD", "third-site-2007"], "--out"),
    (["map", "-o", "BAD", "epaa-phase1-2011"], "--output"),
    (["map", "--out-dir", "BAD", "--all"], "--out-dir"),
    (["vcd", "-o", "BAD", "kurecik"], "--output"),
    (["timeline", "--plot", "BAD", "tabriz", "paris"], "--plot"),
    (["timeline", "--geojson", "BAD", "tabriz", "paris"], "--geojson"),
    (["timeline", "--gpkg", "BAD", "tabriz", "paris"], "--gpkg"),
    (["timeline", "--kml", "BAD", "tabriz", "paris"], "--kml"),
    (["trajectory", "--gpkg", "BAD", "--from", "tabriz", "--to", "london"], "--gpkg"),
    (["trajectory", "--kml", "BAD", "--from", "tabriz", "--to", "london"], "--kml"),
]
#: A newline (breaks every log and manifest line), a tab, ESC (a terminal listing the folder
#: would run it), the line separator U+2028 and the right-to-left override U+202E.
ODD = ["a\nb", "a\tb", f"a{ESC_CLEAR}b", "a\u2028b", "a\u202eb"]


@pytest.mark.parametrize("args,option", OUTPUT_OPTIONS)
@pytest.mark.parametrize("odd", ODD, ids=["newline", "tab", "esc", "u2028", "rlo"])
def test_output_name_with_control_characters_is_refused(tmp_path, monkeypatch, args, option, odd):
    monkeypatch.chdir(tmp_path)
    r = run(*[f"{odd}.out" if a == "BAD" else (tmp_path / "ok") if a == "OK" else a for a in args])
    assert r.exit_code == 2 and option in r.output and f"U+{ord(odd[1]):04X}" in r.output, r.output
    assert odd not in r.output and "Traceback" not in r.output, r.output  # shown escaped, never raw
    assert list(tmp_path.iterdir()) == []


def test_every_output_option_refuses_odd_names():
    """An option added later that names an output (its name says so) must use the same check
    (the callback geocover.cli.options.output_name) and be in OUTPUT_OPTIONS above."""
    from geocover.cli.options import output_name

    named = {(cmd.name, max(p.opts, key=len)) for cmd in cli.commands.values() for p in cmd.params
             if isinstance(p, click.Option) and any(w in p.name for w in ("out", "plot", "geojson_path", "gpkg",
                                                                         "kml", "chart"))}
    checked = {(cmd.name, max(p.opts, key=len)) for cmd in cli.commands.values() for p in cmd.params
               if p.callback is output_name}
    assert named == checked, named ^ checked
    assert checked == {(args[0], opt) for args, opt in OUTPUT_OPTIONS}


def test_library_writers_refuse_odd_names_and_take_ordinary_ones(tmp_path):
    with pytest.raises(DataFileError, match="U\\+000A"):
        check_output_file(tmp_path / "a\nb.geojson")
    with pytest.raises(DataFileError, match="U\\+001B"):
        with staged_output(tmp_path / f"o{ESC_CLEAR}"):
            pass
    assert list(tmp_path.iterdir()) == []
    # spaces, quotes, other scripts and the zero-width non-joiner of Persian words are names
    for name in ("my results 'v2'.geojson", "نقشه\u200cها.geojson", "Kürecik 東京.tif"):
        assert output_path_problem(name) is None
        check_output_file(tmp_path / name)


# ------------------------------------------------------------------ 3. user text in messages

def test_shown_escapes_and_cuts_in_the_middle():
    s = shown("overrides.radars." + LONG + ".peak_power_w")
    assert s.startswith("overrides.radars.xxx") and s.endswith(".peak_power_w (5,030 characters)")
    assert len(s) < 120
    assert shown(f"a{ESC_CLEAR}\n\u202e\u2028\x85b") == "a\\x1b[2J\\x0a\\u202e\\u2028\\x85b"
    assert quoted("ok") == "'ok'" and quoted(10**5000) == "<int>"


def _assert_tidy(r, *fragments, longest: int = 600):
    out = r.output
    assert r.exit_code == 2 and "Traceback" not in out, out
    assert "\x1b" not in out and len(out) < longest, (len(out), out[:800])
    for f in fragments:
        assert f in out, (f, out)


def test_long_unknown_key_in_a_scenario_is_cut(tmp_path):
    """The review's case: a 5,000-character key. The message keeps the file, the table and the
    'unknown key' hint, and says how long the key was."""
    text = bundled_scenarios()["epaa-phase1-2011"].read_text(encoding="utf-8")
    f = tmp_path / "s.toml"
    f.write_text(text.replace("[scenario]", f"[scenario]\n{LONG} = 1\n", 1), encoding="utf-8")
    _assert_tidy(run("links", f), str(f), "key 'scenario.xxx", "characters)", "unknown key")
    f.write_text(text + f"\n[overrides.radars.{LONG}]\npeak_power_w = 1.0\n", encoding="utf-8")
    _assert_tidy(run("links", f), str(f), "overrides.radars", "is not in this scenario")


def test_long_unknown_key_in_a_catalog_is_cut(tmp_path):
    f = tmp_path / "m.toml"
    f.write_text(f'[missile.{LONG}]\nname = "x"\n', encoding="utf-8")
    r = run("sites", "--catalog", f)  # one line per missing field, each naming the record
    _assert_tidy(r, str(f), "problems in catalog", "characters)", longest=2200)
    # each line: the file (~75 characters under pytest's tmp_path), the record cut to 80 (+ its
    # length) and one problem (the id-length one ~80): whole lines, none near the 5,000 (R2)
    assert max(len(line) for line in r.output.splitlines()) < 300, r.output


@pytest.mark.parametrize("args", [
    ["distance", LONG, "warsaw"],
    ["distance", ESC_CLEAR, "warsaw"],
    ["coverage", "kurecik", "--altitude", LONG, "--out", "o"],
    ["coverage", "kurecik", "--altitude", ESC_CLEAR, "--out", "o"],
    ["los", "kurecik", f"40,40,{LONG}"],
    ["footprint", "epaa-phase1-2011", "--launch", LONG, "--out", "o"],
    ["coverage", "kurecik", "--out", "o", f"--{LONG}"],
    ["links", f"{ESC_CLEAR}{LONG}.toml"],
    [f"{ESC_CLEAR}{LONG}"],
], ids=["long-city", "esc-city", "long-quantity", "esc-quantity", "long-point", "long-launch", "long-option",
        "esc-file", "esc-command"])
def test_long_or_escaping_option_values_are_cut_and_escaped(tmp_path, monkeypatch, args):
    """Geocover's own messages and click's usage errors alike (the command line's net)."""
    monkeypatch.chdir(tmp_path)
    _assert_tidy(run(*args), longest=900)
    assert list(tmp_path.iterdir()) == []


def test_key_with_an_escape_sequence_is_shown_escaped(tmp_path):
    text = bundled_scenarios()["epaa-phase1-2011"].read_text(encoding="utf-8")
    f = tmp_path / "s.toml"
    f.write_text(text.replace("[scenario]", '[scenario]\n"a\\u001b[2Jb" = 1\n', 1), encoding="utf-8")
    _assert_tidy(run("links", f), "a\\x1b[2Jb", "U+001B")


# ------------------------------------------------------------------ 4. [overrides] and [uncertain]

def _override_and_range(tmp_path: Path) -> Path:
    """third-site-2007 (its [uncertain] draws the GBI's burnout speed) with the same field in
    [overrides]: the file tests/test_robust_inputs.py keeps valid."""
    path = tmp_path / "s.toml"
    path.write_text(bundled_scenarios()["third-site-2007"].read_text(encoding="utf-8")
                    + "\n[overrides.interceptors.redzikowo-gbi]\nburnout_speed_mps = 8000.0\n", encoding="utf-8")
    return path


def _stop_before_the_work(monkeypatch):
    """The note comes before the engine runs; the engine is replaced by a stop so that the
    test takes no minutes (it checks a message, not a result)."""
    from geocover import robustness as rb
    from geocover.errors import InputError

    def stop(*args, **kwargs):
        raise InputError("stopped by the test")

    monkeypatch.setattr(rb, "robustness", stop)


def test_robustness_notes_that_its_draws_replace_an_override(tmp_path, monkeypatch):
    from geocover.robustness import overridden_uncertain
    from geocover.scenario import load_scenario

    path = _override_and_range(tmp_path)
    sc = load_scenario(path)
    assert sc.interceptors["redzikowo-gbi"].burnout_speed_mps == 8000.0  # other commands: the override
    assert overridden_uncertain(sc) == [("interceptors", "redzikowo-gbi", "burnout_speed_mps", 8000.0)]
    _stop_before_the_work(monkeypatch)
    r = run("robustness", path, "--samples", "16", "--scheduler", "none", "--out", tmp_path / "out")
    notes = [line for line in r.output.splitlines() if line.startswith("geocover: note:")]
    assert len(notes) == 1, r.output
    for fragment in ("[overrides.interceptors.redzikowo-gbi]", "[uncertain.interceptors.redzikowo-gbi]",
                     "burnout_speed_mps", "replace the override in every parameter set",
                     "other commands use the override", str(path)):
        assert fragment in notes[0], (fragment, notes[0])
    assert "stopped by the test" in r.output and not (tmp_path / "out").exists()


def test_robustness_has_no_note_without_the_overlap(tmp_path, monkeypatch):
    from geocover.robustness import overridden_uncertain
    from geocover.scenario import load_scenario

    path = tmp_path / "s.toml"  # an override of another field of the same record: nothing replaced
    path.write_text(bundled_scenarios()["third-site-2007"].read_text(encoding="utf-8")
                    + "\n[overrides.interceptors.redzikowo-gbi]\nburnout_speed_max_mps = 10000.0\n", encoding="utf-8")
    assert overridden_uncertain(load_scenario(path)) == []
    _stop_before_the_work(monkeypatch)
    r = run("robustness", path, "--samples", "16", "--scheduler", "none", "--out", tmp_path / "out")
    assert "geocover: note:" not in r.output and "stopped by the test" in r.output, r.output


def test_notes_naming_a_user_file_are_escaped(tmp_path):
    """A scenario's id is its file's name: the notes that name it (stderr, before any work)
    show an escape sequence in it as text, like errors do."""
    f = tmp_path / f"a{ESC_CLEAR}b.toml"
    f.write_text(bundled_scenarios()["third-site-2007"].read_text(encoding="utf-8"), encoding="utf-8")
    r = run("map", f, "-o", tmp_path / "m.txt")  # refused after the notes: the map is an HTML page
    assert r.exit_code == 2 and "geocover: note:" in r.output and "a\\x1b[2Jb" in r.output, r.output
    assert "\x1b" not in r.output, r.output


def test_gitignore_covers_the_incomplete_marker():
    root = Path(__file__).resolve().parents[1]
    assert f"{INCOMPLETE_MARK}*/" in (root / ".gitignore").read_text().splitlines()
