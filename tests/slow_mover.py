"""A second geocover run caught in the middle of its moves, shared by tests/test_output_safety.py
and tests/test_hostile_output5.py: a child Python process whose ``staged_output`` moves its two
files (a.txt, b.txt) into an output folder with a pause after each move."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_SCRIPT = """
import os, sys, time
from geocover.export import staged_output
out, pause_s, label = sys.argv[1], float(sys.argv[2]), sys.argv[3]
real = os.replace
def slow(src, dst):
    real(src, dst)
    print("moved", flush=True)
    time.sleep(pause_s)
os.replace = slow
with staged_output(out) as s:
    (s / "a.txt").write_text(label + " a")
    (s / "b.txt").write_text(label + " b")
"""


def start_slow_mover(out: Path, pause_s: float, label: str) -> subprocess.Popen:
    """Start the child writing ``"<label> a"`` and ``"<label> b"`` into ``out``; it prints
    ``moved`` (to its piped stdout) after each move into ``out``, then sleeps ``pause_s`` (s)."""
    return subprocess.Popen([sys.executable, "-c", _SCRIPT, str(out), str(pause_s), label],
                            stdout=subprocess.PIPE, text=True)
