#!/usr/bin/env python3
"""Re-apply the seven mutants that survived the issue-17 audit and check each is now killed.

Each mutant is a one-line edit of the committed sources (git archive REF, default HEAD)
in a scratch copy; the tests in tests/test_references.py run against it; the edit is
reverted before the next one. Exit status 1 if any mutant survives or no longer applies
(the code moved: update the pattern here). Usage:

    python scripts/audit_mutants.py [REF] [-- extra pytest args]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = [  # (audit's description, file, original text, mutated text)
    ("lat/lon swapped in the flight GeoJSON", "geocover/export.py",
     "np.column_stack([np.unwrap(lon, period=360.0), lat, h])",
     "np.column_stack([lat, np.unwrap(lon, period=360.0), h])"),
    ("RCS exponent in the bulk per-sample path (1/4 -> 1/2)", "geocover/radar.py", "np.sqrt(np.sqrt(",
     "np.sqrt(np.abs("),
    ("kill-assessment delay ignored", "geocover/footprint.py", "(t1 + sc.kill_assessment_s)", "(t1 + 0.0)"),
    ("GeoJSON rings clockwise", "geocover/export.py", "exterior_cw=False", "exterior_cw=True"),
    ("Earth rotation x1.25", "geocover/trajectory.py", "OMEGA_RAD_S = 7.2921159e-5",
     "OMEGA_RAD_S = 7.2921159e-5 * 1.25"),
    ("battle_space_any computes the minimum", "geocover/footprint.py", "else np.nanmax(stack, axis=0)",
     "else np.nanmin(stack, axis=0)"),
    ("dBsm with a factor 20", "geocover/units.py", "10.0 ** (value / 10.0)", "10.0 ** (value / 20.0)"),
]


def main() -> int:
    args = sys.argv[1:]
    extra = args[args.index("--") + 1:] if "--" in args else []
    ref = (args[: args.index("--")] if "--" in args else args or ["HEAD"])[0]
    bad = 0
    with tempfile.TemporaryDirectory(prefix="geocover-audit-") as tmp:
        base = Path(tmp)
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-xf", "-", "-C", str(base)], input=archive, check=True)
        env = dict(os.environ, PYTHONPATH=str(base), GEOCOVER_DATA_DIR=str(base / "data"))
        for name, rel, old, new in MUTANTS:
            path = base / rel
            src = path.read_text(encoding="utf-8")
            if src.count(old) != 1:
                print(f"MOVED    {name}: {old!r} occurs {src.count(old)} times in {rel}")
                bad += 1
                continue
            path.write_text(src.replace(old, new), encoding="utf-8")
            try:
                r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                                    "tests/test_references.py", *extra], cwd=base, env=env, capture_output=True,
                                   text=True)
            finally:
                path.write_text(src, encoding="utf-8")
            failed = [ln.split(" - ")[0] for ln in r.stdout.splitlines() if ln.startswith("FAILED")]
            if r.returncode == 1 and failed:
                print(f"KILLED   {name}: {failed[0].removeprefix('FAILED ')}")
            else:
                print(f"SURVIVED {name} (pytest exit {r.returncode})")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
