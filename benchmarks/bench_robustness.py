"""Benchmark of ``geocover robustness`` (issue 15): parameter sets x the third-site grid x
its 4 launch areas, in one process and on LocalClusters of 1 and 2 workers (scaling measured
in one run; results checked identical across the runs).

    python benchmarks/bench_robustness.py --sets 256 --resolution 0.25   # the issue's goal
    python benchmarks/bench_robustness.py --sets 16 --resolution 0.25    # what fits a shared VM

The work of a run is sets x cells x launches engagements (plus the catalog's 20 cities per
set and launch); the figures printed are per-run wall clock, CPU seconds (this process
plus, for a LocalCluster, its worker processes, read with psutil before the cluster closes),
engagements per second and the load average of the machine before and after (the VM is
shared: other processes' load shows up as lost wall time, not as CPU time).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from geocover.footprint import grid_shape
from geocover.robustness import robustness
from geocover.scenario import load_scenario
from geocover.search import Executor
from geocover.uncertainty import sample


def _cpu_s(children: bool) -> float:
    """User + system CPU seconds of this process and (``children``) of its live child
    processes (a LocalCluster's nannies and workers)."""
    import psutil

    procs = [psutil.Process()]
    if children:
        procs += psutil.Process().children(recursive=True)
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="third-site-2007")
    ap.add_argument("--sets", type=int, default=256)
    ap.add_argument("--resolution", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", default="none,1,2", help="comma-separated: none (one process) and/or worker counts")
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    design = sample(sc.uncertain, args.sets, seed=args.seed)
    nrow, ncol = grid_shape(sc.bbox_deg, args.resolution)
    work = len(design) * nrow * ncol * len(sc.launch_sites)
    print(f"{sc.id}: {len(design)} sets ({design.method}), grid {nrow} x {ncol} = {nrow * ncol:,} cells at "
          f"{args.resolution:g} deg, {len(sc.launch_sites)} launches: {work:,} grid engagements "
          f"(+ {len(design) * len(sc.launch_sites) * 20} city engagements); {os.cpu_count()} CPUs")
    ref = None
    times, cpus = {}, {}
    for run in args.runs.split(","):
        load0 = os.getloadavg()[0]
        ex = Executor(None if run == "none" else "local", workers=1 if run == "none" else int(run), progress=False)
        try:
            cpu0 = _cpu_s(run != "none")
            t0 = time.perf_counter()
            res = robustness(sc, args.sets, design=design, resolution_deg=args.resolution, executor=ex,
                             progress=False, indices=False)
            dt = time.perf_counter() - t0
            cpu = _cpu_s(run != "none") - cpu0
        finally:
            ex.close()
        times[run], cpus[run] = dt, cpu
        same = ""
        if ref is None:
            ref = res
        else:
            ok = all(np.array_equal(ref.defended_count[k], res.defended_count[k]) for k in ref.defended_count) and \
                np.array_equal(ref.defended_area_km2, res.defended_area_km2) and \
                np.array_equal(ref.city_defended, res.city_defended)
            same = "identical to the first run" if ok else "DIFFERENT from the first run"
        print(f"  {'one process' if run == 'none' else run + ' worker(s)'}: {dt:.1f} s wall, {cpu:.1f} CPU-s, "
              f"{work / dt:,.0f} engagements/s, {dt / len(design):.2f} s per set, {cpu / work * 1e6:.1f} CPU-us per "
              f"grid engagement; load {load0:.1f} -> {os.getloadavg()[0]:.1f} {same}")
    if "1" in times and "2" in times:
        sp = times["1"] / times["2"]
        print(f"  scaling 1 -> 2 workers: {sp:.2f}x, efficiency {sp / 2:.2f}")
    base = times.get("2") or times.get("none")
    if base:
        print(f"  extrapolated to 256 sets: {base / len(design) * 256:.0f} s wall at this load")
    cpu = cpus.get("2") or cpus.get("none")
    if cpu:
        print(f"  extrapolated to 256 sets from CPU time: {cpu / len(design) * 256:.0f} CPU-s, "
              f"{cpu / len(design) * 256 / 2:.0f} s on 2 idle cores")


if __name__ == "__main__":
    main()
