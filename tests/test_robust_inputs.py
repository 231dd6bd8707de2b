"""Robustness found by the hostile review of session 2: Ctrl-C at any point, non-physical DEM
heights, catalog values outside their own published range, and non-ASCII digits.

Each bad input gets one message naming the file, record and field, exit status 2 and no
traceback (the pattern of tests/test_bad_input.py); an interrupt gets one line and status 130.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from geocover.cli.main import cli

#: Exit status of a command stopped by SIGINT, as POSIX shells report it: 128 + signal 2.
EXIT_INTERRUPTED = 130


def run(*args):
    return CliRunner().invoke(cli, list(args))


# ---------------------------------------------------------------------------- 1. Ctrl-C
def _command() -> list[str]:
    script = Path(sys.executable).with_name("geocover")
    return [str(script)] if script.exists() else [sys.executable, "-m", "geocover"]


def _interrupt(cmd: list[str], cwd: Path, *, delay_s: float | None = None, when=None, limit_s: float = 120.0):
    """Start ``cmd``, send SIGINT after ``delay_s`` (or once ``when()`` is true), return
    (exit status, stderr, whether the signal was sent before the process ended)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # SIGINT back to its default in the child: a runner started in the background of a script
    # has it ignored, and Python (and geocover) keep an inherited SIG_IGN
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    t0 = time.monotonic()
    try:
        if delay_s is not None:
            time.sleep(delay_s)
        else:
            while not when() and proc.poll() is None and time.monotonic() - t0 < limit_s:
                time.sleep(0.01)
        sent = proc.poll() is None
        if sent:
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=limit_s)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err, sent


def _left_over(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# 0.2 s: inside the interpreter's start or the CLI's imports; 1 s: importing numpy, numba,
# GDAL and the subcommands (1-2 s); 3 s: late imports or the command's own work
@pytest.mark.parametrize("delay_s", [0.2, 1.0, 3.0])
def test_ctrl_c_at_any_time_prints_one_line_and_exits_130(tmp_path, delay_s):
    out = tmp_path / "maps"
    rc, err, sent = _interrupt([*_command(), "map", "--all", "--offline", "--out-dir", str(out)], tmp_path,
                               delay_s=delay_s)
    assert sent, "the command ended before the signal (it takes tens of seconds)"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert rc == EXIT_INTERRUPTED, (rc, err)
    assert err.strip().splitlines()[-1] == "geocover: interrupted", err
    assert _left_over(tmp_path) == [], (_left_over(tmp_path), err)


def test_ctrl_c_while_staging_removes_the_staged_files(tmp_path):
    """SIGINT sent once the staging folder exists (the command is writing): the staging folder
    and everything in it are removed, the output folder is not created."""
    out = tmp_path / "maps"
    staging = tmp_path / ".geocover-staging"
    rc, err, sent = _interrupt([sys.executable, "-m", "geocover", "map", "--all", "--offline", "--out-dir", str(out)],
                               tmp_path, when=lambda: staging.exists() and any(staging.iterdir()))
    assert sent
    assert "Traceback" not in err, err
    assert rc == EXIT_INTERRUPTED and err.strip().splitlines()[-1] == "geocover: interrupted", (rc, err)
    assert _left_over(tmp_path) == [], (_left_over(tmp_path), err)


def test_importing_the_cli_leaves_sigint_alone():
    """Only the command installs its handler: a program that imports geocover.cli.main (a test
    runner, a docs build) keeps Python's KeyboardInterrupt."""
    code = ("import signal; from geocover.cli.main import cli; "
            "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "True", r.stderr
