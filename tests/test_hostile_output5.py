"""Hostile review (R2) of this session's output-safety changes: ``export.staged_output``,
``errors.shown``/``tidy_message``, the ``output_name`` checks and the catalog/scenario
refusals, attacked with the paths, names and kills a user can produce.

No number here is a physical result; the checks are on files, exit statuses and messages.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from catalog_records import radar_fc
from click.testing import CliRunner
from slow_mover import start_slow_mover

from geocover.cli.main import cli
from geocover.export import STAGING_DIR, staged_output


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


# ------------------------------------------------------------------ 1. --out paths as a shell allows

def _stage_one(out) -> None:
    with staged_output(out) as stage:
        (stage / "a.txt").write_text("new")


def test_new_out_through_dotdot_after_a_missing_folder(tmp_path, monkeypatch):
    """``--out new/../x`` is the folder ``x`` (``mkdir -p new/../x`` makes it): the output was
    computed in full and then refused with 'No such file or directory' (the staging folder was
    made beside the lexically normalised path, the rename went to the kernel's path)."""
    monkeypatch.chdir(tmp_path)
    _stage_one("missing/../x")
    assert (tmp_path / "x" / "a.txt").read_text() == "new"
    assert not (tmp_path / STAGING_DIR).exists()


def test_new_out_through_a_dangling_link_writes_its_target(tmp_path, monkeypatch):
    """A link to a folder not made yet (``ln -s results/run1 latest``): the output was computed
    in full and then failed with 'Not a directory'; it is written where the link points, as an
    existing link's folder is."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    os.symlink("results/run1", "latest")
    _stage_one("latest")
    assert (tmp_path / "results" / "run1" / "a.txt").read_text() == "new"
    assert os.path.islink("latest")
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["run1"]


def test_new_out_through_dotdot_after_a_link_stays_on_the_links_side(tmp_path, monkeypatch):
    """``link/../x`` with ``link`` -> ``elsewhere/deep`` is ``elsewhere/x`` for the kernel: the
    staging folder goes beside that (the same file system), not beside the lexical ``./x``."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere" / "deep").mkdir(parents=True)
    os.symlink("elsewhere/deep", "link")
    _stage_one("link/../x")
    assert (tmp_path / "elsewhere" / "x" / "a.txt").read_text() == "new"
    assert not (tmp_path / "x").exists() and not (tmp_path / STAGING_DIR).exists()


def test_cli_out_through_dotdot(tmp_path, monkeypatch):
    """The same through a real command: exit 0 and the files in ``x``."""
    monkeypatch.chdir(tmp_path)
    r = run("coverage", "kurecik", "--no-terrain", "--no-map", "--altitude", "300km", "--azimuth-step", "2deg",
            "--resolution", "2deg", "--out", "missing/../x")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "x" / "coverage.geojson").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]


# ------------------------------------------------------------------ 2. messages: cut, never mangled

def test_a_long_problem_list_keeps_whole_lines(tmp_path):
    """A catalog with many problems, each line naming file, record and field: the message net
    (errors.tidy_message, 2,000 characters) cut the text in the middle, gluing the head of one
    line to the tail of another, so a line lost its field name. Every line printed is now a
    whole problem line, and one says how many were left out (the last line, often a hint, is
    kept: test_vector_inputs' shapefile message)."""
    f = tmp_path / "m.toml"
    long_id = "m" * 3000
    f.write_text(f'[missile.{long_id}]\nname = "x"\n', encoding="utf-8")
    r = run("sites", "--catalog", f)
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    lines = r.output.rstrip("\n").split("\n")
    problems = [ln for ln in lines[1:] if not ln.startswith("... and ")]
    assert len(problems) >= 3, r.output
    for ln in problems:  # each: '  <file>: record '<id cut>' (3,002 characters): field '<name>' ...'
        assert ln.count(str(f)) == 1 and ln.count("record ") == 1 and "field '" in ln, ln
    assert any(ln.startswith("... and ") and "more line" in ln for ln in lines), r.output


# ------------------------------------------------------------------ 3. users' files that worked keep working

def _radar_fc(**extra) -> dict:
    """The one valid radar record of tests/catalog_records.py, as 'my-radar' ("Mine")."""
    return radar_fc(**{"id": "my-radar", "name": "Mine", **extra})


def test_a_shapefile_style_upper_case_twin_field_loads_and_reaches_the_geopackage(tmp_path):
    """A catalog carrying a shapefile's upper-case ``NAME``/``ID`` beside geocover's ``name``/``id``
    ran ``sites``, ``engage`` and ``map`` before this session; the case-clash refusal added this
    session refused it for every command. It loads again; the GeoPackage (whose columns ignore
    case) keeps the second spelling as ``<name>_1``, as it keeps ``fid``."""
    import json
    import sqlite3

    cat = tmp_path / "c.geojson"
    cat.write_text(json.dumps(_radar_fc(NAME="MINE (shapefile)", ID=7)), encoding="utf-8")
    r = run("sites", "--catalog", cat, "--kind", "radar")
    assert r.exit_code == 0 and "my-radar" in r.output, r.output
    out = tmp_path / "out"
    r = run("coverage", "my-radar", "--catalog", cat, "--altitude", "100km", "--no-terrain", "--resolution", "2deg",
            "--azimuth-step", "2deg", "--no-map", "--out", out)
    assert r.exit_code == 0, r.output
    with sqlite3.connect(out / "coverage.gpkg") as db:
        assert db.execute("SELECT id, name, NAME_1, ID_1 FROM radars").fetchall() == [
            ("my-radar", "Mine", "MINE (shapefile)", 7)]


# ------------------------------------------------------------------ 4. a killed run's pid given to another process

def test_marker_of_a_killed_run_whose_pid_was_reused_is_finished(tmp_path):
    """A run killed while moving into an existing folder leaves ``.geocover-incomplete.<pid>.*``;
    after a reboot or a container restart that pid is soon another process's (a shell, a
    notebook server). The owner test only asked whether the pid is alive, so the folder stayed
    'stopped while moving' for ``map --robustness`` and the move was never finished (and the
    killed run's staging never removed) for as long as the stranger ran. The names now carry
    the owner's start time (``/proc/PID/stat`` field 22, clock ticks since boot): a process
    with that pid and another start time is not the owner. Here the killed run 'started' at
    tick 1, the stranger (a live process) later."""
    import subprocess
    import sys

    from geocover.export import INCOMPLETE_MARK, check_complete

    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old a")
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        mark = out / f"{INCOMPLETE_MARK}{stranger.pid}.1-abc123"
        mark.mkdir()
        (mark / "a.txt").write_text("killed run's a")
        stale = out / STAGING_DIR / f"out.{stranger.pid}.1-xyz789"
        stale.mkdir(parents=True)
        (stale / "half.tif").write_text("half")
        with staged_output(out) as stage:
            (stage / "b.txt").write_text("b")
            assert not stale.exists()  # removed before this run staged
        assert stranger.poll() is None  # the stranger still runs
        assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt"]
        assert (out / "a.txt").read_text() == "killed run's a"
        check_complete(out)
    finally:
        stranger.kill()
        stranger.wait()


def test_a_live_owner_with_its_start_time_is_left_alone(tmp_path):
    """The other side: a staging folder and a marker named with a live process's pid and its
    own start time are its, left alone (a run in progress)."""
    import subprocess
    import sys

    from geocover.export import INCOMPLETE_MARK, _start_ticks

    out = tmp_path / "out"
    out.mkdir()
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        ticks = _start_ticks(owner.pid)
        if ticks is None:
            pytest.skip("no /proc/PID/stat here")
        mark = out / f"{INCOMPLETE_MARK}{owner.pid}.{ticks}-abc123"
        mark.mkdir()
        (mark / "a.txt").write_text("live run's a")
        staging = out / STAGING_DIR / f"out.{owner.pid}.{ticks}-xyz789"
        staging.mkdir(parents=True)
        with staged_output(out) as stage:
            (stage / "b.txt").write_text("b")
        assert (mark / "a.txt").exists() and staging.is_dir() and not (out / "a.txt").exists()
    finally:
        owner.kill()
        owner.wait()


def test_a_live_owners_temporary_with_a_digit_dash_suffix_is_left_alone(tmp_path):
    """A temporary file records no start time: its last part is the output's suffix. An output
    named ``out.1-x`` gave ``.out.geocover-tmp.<pid>.<random>.1-x``, read as start time '1',
    and a live run's half-written file was deleted by the next write into the folder."""
    import subprocess
    import sys

    from geocover.export import TMP_MARK, remove_stale

    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        tmp = tmp_path / f".out{TMP_MARK}{owner.pid}.abc123.1-x"
        tmp.write_text("live run's half")
        assert remove_stale(tmp_path) == [] and tmp.exists()
    finally:
        owner.kill()
        owner.wait()
    assert remove_stale(tmp_path) == [tmp]  # gone once its owner is


# ------------------------------------------------------------------ 5. two runs into one --out at once

def test_two_runs_into_one_folder_at_once_do_not_mix(tmp_path):
    """Run 1 moves its two files into an existing --out slowly (1.5 s after each); run 2 commits
    meanwhile. Run 2 moved both its files during run 1's pause, then run 1 moved its second over
    run 2's: the folder held run 2's a.txt beside run 1's b.txt, each run having said it wrote
    the folder. Now run 2 waits for run 1's moves: the folder holds one run's whole set."""
    out = tmp_path / "out"
    out.mkdir()
    first = start_slow_mover(out, pause_s=1.5, label="first")
    try:
        assert first.stdout.readline().strip() == "moved"
        with staged_output(out) as stage:
            (stage / "a.txt").write_text("second a")
            (stage / "b.txt").write_text("second b")
    finally:
        first.wait(timeout=30)
    assert first.returncode == 0
    got = {p.name: p.read_text() for p in out.iterdir()}
    assert got in ({"a.txt": "second a", "b.txt": "second b"}, {"a.txt": "first a", "b.txt": "first b"}), got


# ------------------------------------------------------------------ 6. kill -9 of a real single-file writer

_TIMELINE = ["timeline", "tabriz", "paris", "--radars", "kurecik", "--no-terrain"]


def test_kill_9_while_a_single_file_is_written_leaves_the_old_file_and_is_tidied(tmp_path):
    """``geocover timeline --gpkg/--kml/--geojson`` into a folder of the user's holding an older
    t.gpkg: SIGKILL the moment a temporary ``.t.geocover-tmp.<pid>.*`` appears (GDAL is writing
    it). Every t.* is then the old file or a whole new one (GDAL opens it), the user's other
    file is untouched, and the next run writes all three and removes the killed run's
    temporaries. (One real run, ~2.5 CPU-s, and one in-process run.)"""
    import json
    import subprocess
    import sys
    import time

    import pyogrio

    from geocover.export import TMP_MARK

    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "t.gpkg").write_text("the user's old file")  # not a GeoPackage: tells old from new
    files = {"--gpkg": out / "t.gpkg", "--kml": out / "t.kml", "--geojson": out / "t.geojson"}
    args = [*_TIMELINE, *(x for kv in files.items() for x in (kv[0], str(kv[1])))]
    script = Path(sys.executable).with_name("geocover")
    p = subprocess.Popen([str(script), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = []
    try:
        t0 = time.monotonic()
        while p.poll() is None and time.monotonic() - t0 < 120 and not seen:
            seen = [e.name for e in os.scandir(out) if TMP_MARK in e.name]
            time.sleep(0.0005)
    finally:
        p.kill()
        p.wait()
    assert seen, "the run ended before a temporary file was seen"
    assert (out / "notes.txt").read_text() == "mine"
    gpkg = out / "t.gpkg"
    if gpkg.read_bytes() != b"the user's old file":
        assert pyogrio.list_layers(gpkg).size  # a whole new GeoPackage
    if (out / "t.geojson").exists():
        assert json.loads((out / "t.geojson").read_text())["type"] == "FeatureCollection"
    r = run(*args)
    assert r.exit_code == 0, r.output
    assert sorted(e.name for e in os.scandir(out)) == ["notes.txt", "t.geojson", "t.gpkg", "t.kml"]
    assert pyogrio.list_layers(gpkg).size


# ------------------------------------------------------------------ 7. long but legal output names

#: Longest file name most Linux file systems take (ext4, xfs, btrfs, tmpfs: NAME_MAX = 255
#: bytes, <limits.h>); the test asks the file system rather than trusting the constant.
def _name_max(folder) -> int:
    return os.pathconf(folder, "PC_NAME_MAX")


@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_an_out_folder_name_near_the_limit_is_written(tmp_path, existing):
    """A folder name of NAME_MAX - 5 bytes is legal (``mkdir`` makes it), but the staging folder
    was named ``<name>.<pid>.<random>`` beside or inside it: the run computed everything and
    then failed 'File name too long'."""
    out = tmp_path / ("o" * (_name_max(tmp_path) - 5))
    if existing:
        out.mkdir()
    _stage_one(out)
    assert (out / "a.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_an_output_file_name_near_the_limit_is_written(tmp_path):
    """The same for one file: its temporary ``.<stem>.geocover-tmp.<pid>.<random><suffix>`` was
    longer than the name (accented names: 2 bytes a letter)."""
    from geocover.export import atomic_write_text

    n = (_name_max(tmp_path) - 10) // 2
    path = tmp_path / ("é" * n + ".json")
    atomic_write_text(path, "{}")
    assert path.read_text() == "{}" and sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_an_output_name_past_the_limit_is_refused_before_any_work(tmp_path):
    """A name the file system cannot hold is refused by the up-front check (exit 2, naming the
    limit), not after the computation."""
    from geocover.errors import DataFileError
    from geocover.export import check_output_dir, check_output_file

    long = "o" * (_name_max(tmp_path) + 1)
    for check in (check_output_dir, check_output_file):
        with pytest.raises(DataFileError, match="bytes"):
            check(tmp_path / long)
    r = run("coverage", "kurecik", "--out", tmp_path / long)
    assert r.exit_code == 2 and "bytes" in r.output and "target RCS" not in r.output, r.output


# ------------------------------------------------------------------ 8. an input inside --out

def test_an_input_named_like_an_output_in_the_out_folder_is_not_replaced(tmp_path):
    """A user keeps their catalog, named ``coverage.geojson``, in the folder they give as
    ``--out`` (or a region file ``candidates.geojson`` for ``optimise --candidates``): the
    run replaced it with its output of the same name, silently. Now the run is refused before
    its commit, naming the input, and the folder is as it was."""
    import json

    out = tmp_path / "work"
    out.mkdir()
    cat = out / "coverage.geojson"
    text = json.dumps(_radar_fc())
    cat.write_text(text, encoding="utf-8")
    r = run("coverage", "my-radar", "--catalog", cat, "--altitude", "100km", "--no-terrain", "--resolution", "2deg",
            "--azimuth-step", "2deg", "--no-map", "--out", out)
    assert r.exit_code == 2 and "an input of this run" in r.output and "coverage.geojson" in r.output, r.output
    assert cat.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in out.iterdir()) == ["coverage.geojson"]
    # the same catalog elsewhere: the run writes its folder
    other = tmp_path / "mine.geojson"
    other.write_text(text, encoding="utf-8")
    r = run("coverage", "my-radar", "--catalog", other, "--altitude", "100km", "--no-terrain", "--resolution",
            "2deg", "--azimuth-step", "2deg", "--no-map", "--out", out)
    assert r.exit_code == 0, r.output


def test_library_writes_are_not_tracked(tmp_path):
    """Outside a command nothing is tracked: a notebook may read a file and write over it."""
    from geocover.catalog import read_json
    from geocover.export import atomic_write_text

    f = tmp_path / "x.json"
    f.write_text("{}")
    read_json(f)
    atomic_write_text(f, "[]")
    assert f.read_text() == "[]"
