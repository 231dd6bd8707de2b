"""Progress of footprint/compare (geocover.cli.progress): a bar only on a terminal, lines in a
log, nothing with -q."""

from __future__ import annotations

import io
import logging
import time

import pytest

from geocover.cli.progress import progress_callback


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def geocover_level():
    log = logging.getLogger("geocover")
    old = log.level
    yield log
    log.setLevel(old)


def test_log_file_gets_lines_not_a_bar(monkeypatch, capsys, geocover_level):
    geocover_level.setLevel(logging.WARNING)
    step = progress_callback(2, "footprint", "launch", lambda lid: f"  {lid}: done (1.0 s)")
    step("tabriz")
    step("tehran")
    err = capsys.readouterr().err
    assert err == "  tabriz: done (1.0 s)\n  tehran: done (1.0 s)\n"  # no \r, no bar characters


def test_terminal_gets_a_bar(monkeypatch, geocover_level):
    geocover_level.setLevel(logging.WARNING)
    tty = _Tty()
    monkeypatch.setattr("sys.stderr", tty)
    step = progress_callback(2, "compare", "scenario")
    assert "0/2" in tty.getvalue()  # drawn at once
    time.sleep(0.25)  # tqdm redraws at most every 0.1 s (its default mininterval)
    step("a")
    text = tty.getvalue()
    assert "compare" in text and "1/2" in text and "done" not in text
    time.sleep(0.25)
    step("b")
    assert "2/2" in tty.getvalue() and tty.getvalue().endswith("\r")  # the last state, then cleared


def test_quiet_silences_both(monkeypatch, capsys, geocover_level):
    geocover_level.setLevel(logging.ERROR)  # what -q sets (cli.main._configure_logging)
    tty = _Tty()
    monkeypatch.setattr("sys.stderr", tty)
    progress_callback(1, "compare", "scenario")("a")
    assert tty.getvalue() == "" and capsys.readouterr().err == ""
