"""Benchmark: the greedy site search in one process vs a local Dask cluster of 1 and 2 workers.

Goal (site-search issue): a benchmark of 1 vs 2 workers (scaling efficiency) and the time for
a 0.5 deg search over the Balkans and Turkey, on the project's 2-core machine.

Search: ``greedy_search(load_scenario("epaa-phase3-2018"), "radar", lat, lon, k=--k,
objective="area", launches=--launches, resolution_deg=--grid-resolution, executor=...)`` with
the default radar template (the Kürecik AN/TPY-2 copy). Candidates: ``candidate_sites(
read_region(--region), --step)``, land only; the default region "Balkans and Turkey" is the box
19-45 E x 36-46 N, which at 0.5 deg gives 718 land candidates (cell centres 19.25..44.75 E,
36.25..45.75 N). Each candidate is one evaluation = one task over every launch site (a
footprint grid per launch over the scenario's box, -12..45 E x 34..66 N, at --grid-resolution;
the area objective reads no city engagements), scored in the worker.

Runs, in this order, all in this process (progress bars off, ``progress=False``):

* scaling, on the first --scaling-n candidates: ``Executor("none")`` (in-process),
  ``Executor("local", workers=1)``, ``Executor("local", workers=2)``;
* diagnostic (``--no-diagnostic`` skips it): the same two local clusters with Dask's
  ``MALLOC_TRIM_THRESHOLD_=65536`` removed from ``distributed.nanny.pre-spawn-environ`` (Dask
  sets it in every worker; on this VM it makes each worker spend more time in the kernel than
  in numpy, see the report printed by the script);
* full (``--no-full`` skips it): all the candidates once with ``Executor("local", workers=2)``,
  the CLI's default (``geocover optimise --scheduler local --workers 2``).

Timed part: the ``greedy_search`` call only. Not timed, reported separately: the LocalCluster
start-up (``Executor(...)``) and a warm-up search on the last 2 x workers candidates in the
same executor (imports, DEM files, caches in each worker); the in-process run gets the same
warm-up. Worker CPU (user/sys) is read with ``resource.getrusage`` in each worker
(``Client.run``) before and after the timed call. Speed-up of 2 workers = T(1 worker) / T(2
workers); scaling efficiency = T(1 worker) / (2 x T(2 workers)). Results (``first_scores``,
``chosen``, base score; ``evaluations`` separately) are compared between all runs on the same candidates, and the
full run's first --scaling-n scores with the subset runs'.

Cost (2026-11-29, with the engine's refined sampling and CRPL refraction, and the search's
fast path: aim once per search, re-engage only the flights a candidate radar sees, reusing
their samples and the base radars' visibility at the scenario's samples): ~0.25 CPU-s per
candidate in-process on a shared machine (2 launch sites, 1 deg grid; ~0.07 of it the
candidate radar's CRPL tables, most of the rest the refinement of the ~70 % of flights it
sees), so the full 718-candidate search is ~3 CPU-min: ~1.5-2 min on 2 idle workers.
On a shared machine give --scaling-n small and --no-full. A single run each (no best-of).
The script also prints the share of flights re-engaged for a candidate
(``geocover.search.FAST_STATS``, summed over the processes that ran the timed call).

    python benchmarks/bench_search.py [--scaling-n 60] [--k 1] [--grid-resolution 1.0] \\
        [--launches tabriz,tehran] [--region 19,36,45,46] [--step 0.5] [--no-diagnostic] [--no-full]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from machine import cpu_model, mem_total_gib

SCENARIO = "epaa-phase3-2018"
DEFAULT_REGION = "19,36,45,46"  # west, south, east north (deg): the Balkans and Turkey
TRIM_KEY = "MALLOC_TRIM_THRESHOLD_"






def cpu_times() -> tuple[float, float, str | None, dict]:
    """(user, system) CPU seconds of the calling process, its MALLOC_TRIM_THRESHOLD_ and its
    ``geocover.search.FAST_STATS`` (flights scored, flights re-engaged for a candidate); run in workers too."""
    from geocover.search import FAST_STATS

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime, os.environ.get(TRIM_KEY), dict(FAST_STATS)


@dataclass
class Run:
    name: str
    group: str  # "scaling", "diagnostic" or "full"
    scheduler: str
    workers: int
    trim: bool  # Dask's MALLOC_TRIM_THRESHOLD_ in the workers (local runs)
    n: int = 0
    startup_s: float = 0.0
    warmup_s: float = 0.0
    wall_s: float = float("nan")
    main_cpu: tuple[float, float] = (0.0, 0.0)
    worker_cpu: tuple[float, float] = (0.0, 0.0)
    worker_env: list = field(default_factory=list)
    fast: dict = field(default_factory=dict)  # FAST_STATS counted during the timed call (all processes)
    warnings: dict = field(default_factory=dict)
    result: object = None


def run_search(run: Run, sc, lat, lon, kw: dict) -> Run:
    import dask
    import distributed  # noqa: F401  (registers the distributed.* config)

    from geocover.search import Executor, greedy_search

    ctx, saved = nullcontext(), None
    if run.scheduler == "local" and not run.trim:
        # None unsets a key; the nanny also copies the variables into this process's os.environ
        # (which the spawned workers inherit), so a previous cluster's value is removed there too.
        ctx = dask.config.set({f"distributed.nanny.pre-spawn-environ.{TRIM_KEY}": None})
        saved = os.environ.pop(TRIM_KEY, None)
    t0 = time.perf_counter()
    try:
        with ctx:
            ex = Executor(run.scheduler, workers=run.workers, progress=False)
    finally:
        if saved is not None:
            os.environ[TRIM_KEY] = saved
    run.startup_s = time.perf_counter() - t0
    try:
        m = 2 * run.workers
        t0 = time.perf_counter()
        greedy_search(sc, "radar", lat[-m:], lon[-m:], executor=ex, **{**kw, "k": 1})  # warm-up, not timed
        run.warmup_s = time.perf_counter() - t0
        w0 = ex.client.run(cpu_times) if ex.client is not None else {}
        m0 = cpu_times()
        with warnings.catch_warnings(record=True) as log:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            run.result = greedy_search(sc, "radar", lat, lon, executor=ex, **kw)
            run.wall_s = time.perf_counter() - t0
        m1 = cpu_times()
        w1 = ex.client.run(cpu_times) if ex.client is not None else {}
    finally:
        ex.close()
    run.n = lat.size
    run.main_cpu = (m1[0] - m0[0], m1[1] - m0[1])
    run.worker_cpu = (sum(w1[a][0] - w0[a][0] for a in w1), sum(w1[a][1] - w0[a][1] for a in w1))
    run.worker_env = sorted({str(w1[a][2]) for a in w1})
    pairs = [(w0[a][3], w1[a][3]) for a in w1] if w1 else [(m0[3], m1[3])]
    run.fast = {k: sum(b[k] - a[k] for a, b in pairs) for k in ("flights", "reengaged")}
    for w in log:
        key = f"{w.category.__name__}: {w.message} ({Path(w.filename).name}:{w.lineno})"
        run.warnings[key] = run.warnings.get(key, 0) + 1
    return run


def same_result(a, b) -> bool:
    """Same scores and picks. Not ``evaluations``: for k > 1 greedy_search re-evaluates stale bounds in batches of
    2 x workers, so the count may legitimately depend on the executor (it is compared and printed separately)."""
    return np.array_equal(a.first_scores, b.first_scores) and a.chosen == b.chosen and a.base_score == b.base_score


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region", default=DEFAULT_REGION, help="candidate region: west,south,east,north (deg)")
    ap.add_argument("--step", type=float, default=0.5, help="candidate grid step (deg)")
    ap.add_argument("--k", type=int, default=1, help="sites to choose")
    ap.add_argument("--launches", default="tabriz,tehran", help="launch sites, comma-separated")
    ap.add_argument("--grid-resolution", type=float, default=1.0, help="footprint grid that scores a candidate (deg)")
    ap.add_argument("--scaling-n", type=int, default=60,
                    help="candidates (the first N) for the scaling runs; 0 = all of them")
    ap.add_argument("--no-diagnostic", action="store_true", help="skip the runs without MALLOC_TRIM_THRESHOLD_")
    ap.add_argument("--no-full", action="store_true", help="skip the full search on 2 workers")
    args = ap.parse_args()

    import dask
    import distributed

    import geocover
    from geocover.scenario import load_scenario
    from geocover.search import candidate_sites, read_region

    t0 = time.perf_counter()
    sc = load_scenario(SCENARIO)
    region = read_region(args.region)
    lat, lon = candidate_sites(region, args.step)
    prep_s = time.perf_counter() - t0
    launches = [x.strip() for x in args.launches.split(",") if x.strip()]
    for lid in launches:
        sc.catalog.launch_site(lid)
    kw = dict(k=args.k, objective="area", launches=launches, resolution_deg=args.grid_resolution)
    n_all = lat.size
    n_sub = n_all if args.scaling_n <= 0 else min(args.scaling_n, n_all)
    w, s, e, n = region.bounds
    bw, bs, be, bn = sc.bbox_deg

    print(f"machine: {platform.platform()}; nproc {len(os.sched_getaffinity(0))} (cpu_count {os.cpu_count()}); "
          f"CPU {cpu_model()}; {mem_total_gib():.1f} GiB RAM")
    print(f"python {platform.python_version()}, numpy {np.__version__}, dask {dask.__version__}, "
          f"distributed {distributed.__version__}, geocover {geocover.__version__}")
    print(f"Dask worker environment (distributed.nanny.pre-spawn-environ): "
          f"{dask.config.get('distributed.nanny.pre-spawn-environ')}; this process: {TRIM_KEY}="
          f"{os.environ.get(TRIM_KEY)}")
    print(f"region 'Balkans and Turkey' box: {w:g}..{e:g} E x {s:g}..{n:g} N, step {args.step:g} deg, land only: "
          f"{n_all} candidates (centres {lon.min():g}..{lon.max():g} E, {lat.min():g}..{lat.max():g} N); "
          f"scaling runs on the first {n_sub}")
    print(f"scenario {SCENARIO}, add radar (template kurecik), objective area, k={args.k}, launches "
          f"{', '.join(launches)}; scoring grid {bw:g}..{be:g} E x {bs:g}..{bn:g} N at {args.grid_resolution:g} deg "
          f"(one task per evaluation, over the {len(launches)} launch sites); "
          f"scenario + candidates in {prep_s:.2f} s (not timed)", flush=True)

    plan = [Run("in-process", "scaling", "none", 1, True),
            Run("local", "scaling", "local", 1, True),
            Run("local", "scaling", "local", 2, True)]
    if not args.no_diagnostic:
        plan += [Run(f"local, no {TRIM_KEY}", "diagnostic", "local", 1, False),
                 Run(f"local, no {TRIM_KEY}", "diagnostic", "local", 2, False)]
    if not args.no_full and n_sub < n_all:
        plan.append(Run("local, full search", "full", "local", 2, True))
    runs: list[Run] = []
    for r in plan:
        sl = slice(None) if r.group == "full" else slice(0, n_sub)
        print(f"  {r.name}, {r.workers} worker(s), {len(lat[sl])} candidates ...", end=" ", flush=True)
        runs.append(run_search(r, sc, lat[sl], lon[sl], kw))
        print(f"{r.wall_s:.2f} s (start-up {r.startup_s:.2f} s, warm-up {r.warmup_s:.2f} s)", flush=True)

    ref = by_ip = runs[0]  # the in-process run
    by = {(r.group, r.workers): r for r in runs}
    l1, l2 = by[("scaling", 1)], by[("scaling", 2)]
    per_cand_ip = by_ip.wall_s / by_ip.n

    # ---- identical results?
    sub = [r for r in runs if r.group != "full"]
    same = all(same_result(ref.result, r.result) for r in sub)
    print()
    evals = sorted({r.result.evaluations for r in sub})
    print(f"results on the {n_sub} scaling candidates identical across the {len(sub)} runs (first_scores, chosen, "
          f"base score): {same}; evaluations {'identical' if len(evals) == 1 else 'differ'}: {evals}")
    if not same:
        for r in sub[1:]:
            a, b = ref.result, r.result
            print(f"  {r.name} x{r.workers}: first_scores equal {np.array_equal(a.first_scores, b.first_scores)} "
                  f"(max |diff| {np.max(np.abs(a.first_scores - b.first_scores)):.3g} km^2), chosen equal "
                  f"{a.chosen == b.chosen}, evaluations {a.evaluations} vs {b.evaluations}")
    for r in runs:
        if r.warnings:
            print(f"  warnings in {r.name} x{r.workers}: {r.warnings}")
    full = by.get(("full", 2))
    if full is not None:
        fr = full.result
        head = np.array_equal(fr.first_scores[:n_sub], ref.result.first_scores)
        print(f"full search: its first {n_sub} first_scores identical to the scaling runs': {head}; base score "
              f"{fr.base_score:,.0f} km^2 (identical: {fr.base_score == ref.result.base_score})")
    last = full or l2
    res = last.result
    fs = res.first_scores
    best = float(np.max(fs))
    n_best = int(np.count_nonzero(fs == best))
    print(f"search over {last.n} candidates: base (no new radar) {res.base_score:,.0f} km^2 defended; best single "
          f"candidate +{best - res.base_score:,.0f} km^2 ({n_best} candidate(s) tie at the top; "
          f"{np.unique(fs).size} distinct scores of {fs.size}); {res.evaluations} evaluations")
    for p in res.chosen:
        print(f"  pick {p['rank']}: {p['lat_deg']:g} N, {p['lon_deg']:g} E, gain {p['gain']:,.0f} km^2, "
              f"score {p['score']:,.0f} km^2")

    # ---- CPU and start-up
    print("CPU in the timed call (user / sys s): this process (client + scheduler for local runs); workers (sum); "
          f"{TRIM_KEY} seen by the workers")
    for r in runs:
        wk = "—" if r.scheduler == "none" else f"{r.worker_cpu[0]:7.2f} / {r.worker_cpu[1]:7.2f}"
        print(f"  {r.name:<36} x{r.workers}: main {r.main_cpu[0]:7.2f} / {r.main_cpu[1]:6.2f};  workers {wk};  "
              f"{', '.join(r.worker_env) or '—'}")
    print("flights re-engaged for a candidate (the others keep the engagement without it; "
          "geocover.search._fast_pair), in the timed call: " + "; ".join(
              f"{r.name} x{r.workers} {r.fast['reengaged']:,} of {r.fast['flights']:,} "
              f"({r.fast['reengaged'] / max(r.fast['flights'], 1):.1%})" for r in runs))
    print("LocalCluster start-up (Executor(...), not timed): " + "; ".join(
        f"{r.name} x{r.workers} {r.startup_s:.2f} s" for r in runs if r.scheduler == "local"))

    # ---- table
    def speed(r: Run) -> str:
        if r.scheduler == "none":
            return "reference (in-process)"
        vs_ip = f"{per_cand_ip * r.n / r.wall_s:.2f}× vs in-process"
        if r.workers == 1:
            return vs_ip
        one = by.get(("diagnostic" if r.group == "diagnostic" else "scaling", 1))
        if one is None:
            return vs_ip
        t1 = one.wall_s / one.n * r.n  # the 1-worker time on as many candidates
        return f"{t1 / r.wall_s:.2f}× vs 1 worker, efficiency {t1 / (2 * r.wall_s):.2f}; {vs_ip}"

    print()
    print("| run | workers | candidates | evaluations | time (s) | candidates/s | speed-up / efficiency |")
    print("|---|---|---|---|---|---|---|")
    for r in runs:
        extra = " (1-worker and in-process times extrapolated per candidate)" if r.group == "full" else ""
        print(f"| {r.name} | {r.workers} | {r.n:,} | {r.result.evaluations:,} | {r.wall_s:.2f} | "
              f"{r.n / r.wall_s:.2f} | {speed(r)}{extra} |")
    print()
    eff = l1.wall_s / (2 * l2.wall_s)
    print(f"scaling (Dask defaults, {n_sub} candidates): 1 worker {l1.wall_s:.2f} s, 2 workers {l2.wall_s:.2f} s, "
          f"speed-up {l1.wall_s / l2.wall_s:.2f}×, efficiency {eff:.2f}; in-process {by_ip.wall_s:.2f} s")
    if full is not None:
        print(f"0.5 deg search over the Balkans and Turkey ({full.n} candidates, 2 workers): {full.wall_s:.1f} s "
              f"(+ {full.startup_s:.2f} s cluster start-up); in-process extrapolated from the scaling run: "
              f"{per_cand_ip * full.n:.1f} s")


if __name__ == "__main__":
    main()
