"""The CI switch of tests/ci_strict.py: with CI set, a skip for a missing tool fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

SAMPLE = '''
import pytest


def test_needs_chromium():
    pytest.skip("Debian's chromium is not installed")


@pytest.mark.skipif(True, reason="gdal_viewshed not found on PATH")
def test_needs_gdal():
    pass


def test_platform_skip_stays_a_skip():
    pytest.skip("XDG_CACHE_HOME is the Linux convention")


def test_passes():
    assert True
'''

SAMPLE_MODULE = '''
import pytest

numba = pytest.importorskip("a_module_that_does_not_exist_numba")


def test_never_runs():
    pass
'''


def _run(tmp_path, text, ci):
    (tmp_path / "test_sample.py").write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "ci_strict", "-p", "no:cacheprovider", "-q",
                           "-rfEs", "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path / "test_sample.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_ci_turns_missing_tool_skips_into_failures(tmp_path):
    r = _run(tmp_path, SAMPLE, "true")
    assert r.returncode == 1, r.stdout + r.stderr
    # the runtime skip fails; the skipif mark (applied at setup) errors: both are red
    assert "1 failed, 1 passed, 1 skipped, 1 error" in r.stdout, r.stdout
    assert "must install it" in r.stdout


@pytest.mark.parametrize("ci", [None, "0"])  # unset, or set to a false value (each run ~2 s)
def test_without_ci_skips_stay_skips(tmp_path, ci):
    r = _run(tmp_path, SAMPLE, ci)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed, 3 skipped" in r.stdout, r.stdout


def test_ci_fails_a_module_level_importorskip(tmp_path):
    r = _run(tmp_path, SAMPLE_MODULE, "true")
    assert r.returncode != 0 and "must install it" in r.stdout, r.stdout
