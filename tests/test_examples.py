"""The runnable examples run (they are documentation that must not rot)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, tmp_path):
    # run from an empty folder so examples write their default outputs there, not in the repo
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip()
    if script.name in ("scenario_map.py", "gallery.py"):
        html = list((tmp_path / "maps").glob("*.html"))
        assert html and all(f.stat().st_size < 5_000_000 for f in html)  # the 5 MB budget
        if script.name == "gallery.py":
            assert (tmp_path / "maps" / "index.html").exists() and len(html) >= 7
