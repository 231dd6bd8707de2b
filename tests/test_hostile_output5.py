"""Hostile review (R2) of this session's output-safety changes: ``export.staged_output``,
``errors.shown``/``tidy_message``, the ``output_name`` checks and the catalog/scenario
refusals, attacked with the paths, names and kills a user can produce.

No number here is a physical result; the checks are on files, exit statuses and messages.
"""

from __future__ import annotations

import os

from click.testing import CliRunner

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
