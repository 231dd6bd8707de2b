#!/usr/bin/env bash
# Mutation testing of geocover's numeric core with mutmut 3, one module at a time.
#
#   scripts/mutation.sh [--time-box SECONDS] [--jobs N] [--ref REF|--worktree] [--changed BASE] [MODULE ...]
#
# MODULE is a file name under geocover/ without .py (earth, refraction, ...); default: the
# numeric core and writers listed in CORE below. --changed BASE picks the core modules that
# `git diff BASE` touches (the CI-style pass: scripts/mutation.sh --time-box 240 --changed
# origin/main). For each module the script
#   1. copies the sources (git archive of REF, default HEAD; --worktree: the working tree's
#      tracked and untracked-but-not-ignored files) to $MUTATION_DIR/<module> (default
#      /tmp/geocover-mutation), so the checkout is never touched and runs can go in parallel;
#   2. writes a [tool.mutmut] table there that mutates only geocover/<module>.py and runs
#      only the test files that exercise it (TESTS below);
#   3. runs `nice -n 19 mutmut run` under `timeout` (the time box; mutmut keeps the verdicts
#      reached so far), then prints `mutmut results` and the score, and appends one line to
#      $MUTATION_DIR/summary.tsv: module, killed, survived, no-tests, timeout, judged, mutants,
#      score %, commit.
#
# The score is (killed + timeout) / (killed + timeout + survived), as mutmut reports it;
# "no tests" mutants (code no selected test reaches) are listed separately, and a time box
# leaves the rest "not checked". docs/mutation.md explains the survivors.
# Needs: the test extra (pip install -e '.[test]' installs mutmut).
set -euo pipefail

# The body is one function, parsed whole before it runs: editing this file during a long
# run cannot derail it.
main() {
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BOX=0
JOBS=1
REF=HEAD
WORKTREE=0
CHANGED=""
MODULES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time-box) BOX="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --ref) REF="$2"; shift 2 ;;
    --worktree) WORKTREE=1; shift ;;
    --changed) CHANGED="$2"; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    -*) echo "mutation.sh: unknown option $1" >&2; exit 2 ;;
    *) MODULES+=("$1"); shift ;;
  esac
done

CORE=(earth refraction geodesy geoid terrain radar trajectory interceptor footprint timeline coverage export units)
if [ -n "$CHANGED" ]; then
  for m in "${CORE[@]}"; do
    if (cd "$ROOT" && ! git diff --quiet "$CHANGED" -- "geocover/$m.py"); then MODULES+=("$m"); fi
  done
  if [ ${#MODULES[@]} -eq 0 ]; then echo "mutation.sh: no core module changed since $CHANGED"; exit 0; fi
fi
[ ${#MODULES[@]} -eq 0 ] && MODULES=("${CORE[@]}")

# Test files that exercise each module (mutmut then picks, per mutant, the tests that
# actually call the mutated function).
tests_for() {
  case "$1" in
    earth) echo tests/test_earth.py tests/test_refraction.py ;;
    refraction) echo tests/test_refraction.py tests/test_refraction_crpl.py tests/test_refraction_refs.py \
      tests/test_coverage.py ;;
    geodesy) echo tests/test_geodesy.py ;;
    geoid) echo tests/test_geoid.py ;;
    terrain) echo tests/test_terrain.py ;;
    radar) echo tests/test_coverage.py tests/test_references.py tests/test_terrain.py ;;
    trajectory) echo tests/test_trajectory.py tests/test_trajectory_profiles.py tests/test_references.py ;;
    interceptor) echo tests/test_footprint.py tests/test_interceptor_boost.py tests/test_references.py ;;
    footprint) echo tests/test_footprint.py tests/test_references.py ;;
    timeline) echo tests/test_timeline.py ;;
    coverage) echo tests/test_coverage.py tests/test_cli_coverage.py ;;
    export) echo tests/test_references.py tests/test_cli_coverage.py ;;
    units) echo tests/test_references.py tests/test_cli.py ;;
    *) echo "mutation.sh: no test list for module '$1' (edit tests_for in $0)" >&2; return 2 ;;
  esac
}

MUTMUT="${MUTMUT:-$(command -v mutmut || true)}"
[ -z "$MUTMUT" ] && [ -x "$ROOT/.venv/bin/mutmut" ] && MUTMUT="$ROOT/.venv/bin/mutmut"
if [ -z "$MUTMUT" ]; then
  echo "mutation.sh: mutmut not found: activate the environment (pip install -e '.[test]') or set MUTMUT" >&2
  exit 2
fi

WORK="${MUTATION_DIR:-/tmp/geocover-mutation}"
mkdir -p "$WORK"
SUMMARY="$WORK/summary.tsv"
[ -f "$SUMMARY" ] || printf 'module\tkilled\tsurvived\tno_tests\ttimeout\tjudged\tmutants\tscore_pct\tref\n' > "$SUMMARY"

for mod in "${MODULES[@]}"; do
  [ -f "$ROOT/geocover/$mod.py" ] || { echo "mutation.sh: geocover/$mod.py does not exist" >&2; exit 2; }
  tests="$(tests_for "$mod")"
  dir="$WORK/$mod"
  rm -rf "$dir" && mkdir -p "$dir"
  if [ "$WORKTREE" = 1 ]; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$dir"
    label="worktree"
  else
    (cd "$ROOT" && git archive "$REF") | tar -xf - -C "$dir"
    label="$(cd "$ROOT" && git rev-parse --short "$REF")"
  fi
  python3 - "$dir/pyproject.toml" "$mod" $tests <<'PY'
import re, sys
path, mod, tests = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(path, encoding="utf-8").read()
text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)  # the repo's default table
text += ("\n[tool.mutmut]\n"
         'source_paths = ["geocover/"]\n'
         f'only_mutate = ["geocover/{mod}.py"]\n'
         f"pytest_add_cli_args_test_selection = {tests!r}\n".replace("'", '"')
         + 'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q", "-p", "no:randomly"]\n')
open(path, "w", encoding="utf-8").write(text)
PY
  echo "== $mod ($label): tests $tests"
  start=$(date +%s)
  set +e
  if [ "$BOX" -gt 0 ]; then
    (cd "$dir" && GEOCOVER_DATA_DIR="$dir/data" timeout --signal=INT --kill-after=60 "$BOX" nice -n 19 "$MUTMUT" run --max-children "$JOBS" \
      > "$dir/mutmut-run.log" 2>&1)
  else
    (cd "$dir" && GEOCOVER_DATA_DIR="$dir/data" nice -n 19 "$MUTMUT" run --max-children "$JOBS" > "$dir/mutmut-run.log" 2>&1)
  fi
  rc=$?
  set -e
  [ $rc -eq 124 ] && echo "   time box of ${BOX}s reached: the counts below are the mutants judged so far"
  (cd "$dir" && GEOCOVER_DATA_DIR="$dir/data" "$MUTMUT" results --all true > "$dir/results.txt" 2>&1 || true)
  python3 - "$dir/results.txt" "$mod" "$label" "$(( $(date +%s) - start ))" >> "$SUMMARY" <<'PY'
import collections, sys
path, mod, label, secs = sys.argv[1:]
c = collections.Counter(line.rsplit(": ", 1)[1].strip() for line in open(path, encoding="utf-8")
                        if line.startswith("    geocover.") and ": " in line)
k, s, t = c["killed"], c["survived"], c["timeout"]
judged = k + s + t + c["no tests"]
score = 100.0 * (k + t) / (k + t + s) if k + t + s else float("nan")  # mutmut's: timeouts count as killed
sys.stderr.write(f"   {mod}: {k} killed, {t} timeout, {s} survived, {c['no tests']} no tests; {judged} judged of "
                 f"{sum(c.values())} ({c['not checked']} not checked); score {score:.1f} % ({secs} s)\n")
print(f"{mod}\t{k}\t{s}\t{c['no tests']}\t{t}\t{judged}\t{sum(c.values())}\t{score:.1f}\t{label}")
PY
  grep -E ": (survived|no tests|timeout)$" "$dir/results.txt" | sed 's/^/   /' || true
  echo "   details: cd $dir && mutmut show <name>"
done
echo "summary: $SUMMARY"
}

main "$@"
