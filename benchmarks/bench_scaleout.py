"""Benchmark: a worker started the way ``dask worker`` starts it, before and after geocover's allocator fix.

Dask's nanny gives every worker ``MALLOC_TRIM_THRESHOLD_=65536`` (see geocover/scaleout.py). This
script starts a LocalCluster with Dask's *own* defaults (so the workers carry that setting, as on
a cluster someone else started), runs the same geocover task --repeat times on one worker (the
footprint of --cells cells from Tabriz against ``epaa-phase3-2018``, ``engage_points`` in
4,096-cell blocks), then connects ``geocover.search.Executor`` to that scheduler, which
registers ``AllocatorPlugin`` (``mallopt`` inside each worker), and runs the task again. For
each task: wall time, the worker's user and system CPU (``getrusage`` inside the worker), and
its minor page faults. The results must be identical before and after (the setting changes
speed only). A plain in-process run is the reference.

    python benchmarks/bench_scaleout.py [--cells 16384] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np
from machine import describe

SCENARIO, LAUNCH = "epaa-phase3-2018", "tabriz"


def task(n_cells: int):
    """The footprint of n cells over Europe (0.1 deg), with the worker's CPU and page faults."""
    from geocover.footprint import Architecture
    from geocover.scenario import load_scenario

    warnings.simplefilter("ignore")
    sc = load_scenario(SCENARIO)  # built each time, not timed
    arch, site = Architecture(sc), sc.catalog.launch_site(LAUNCH)
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(35, 75, n_cells), rng.uniform(-5, 45, n_cells)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    e = arch.engage_points(site.lat_deg, site.lon_deg, lat, lon)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return {"wall": wall, "user": r1.ru_utime - r0.ru_utime, "sys": r1.ru_stime - r0.ru_stime,
            "minflt": r1.ru_minflt - r0.ru_minflt, "battle": e.battle_space_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=16_384)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    from geocover.search import Executor

    print(describe())
    rows = []
    task(256)  # warm-up in this process
    ref = min((task(args.cells) for _ in range(args.repeat)), key=lambda r: r["wall"])
    rows.append(("in-process (plain Python: glibc's dynamic thresholds)", ref))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40) as cluster, Client(cluster) as client:
        env = client.run(lambda: __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_"))
        client.submit(task, 256, pure=False).result()  # warm-up in the worker
        runs = [client.submit(task, args.cells, pure=False).result() for _ in range(args.repeat)]
        rows.append((f"dask worker, Dask's defaults (MALLOC_TRIM_THRESHOLD_={next(iter(env.values()))})",
                     min(runs, key=lambda r: r["wall"])))
        with Executor(cluster.scheduler_address, progress=False) as ex:
            status = ex.allocator
            runs = [ex.client.submit(task, args.cells, pure=False).result() for _ in range(args.repeat)]
        rows.append(("same worker after Executor's AllocatorPlugin (mallopt)", min(runs, key=lambda r: r["wall"])))
    print(f"worker allocator status after the plugin: {status}")
    print()
    print(f"{args.cells:,} cells from {LAUNCH}, {SCENARIO}; best of {args.repeat}")
    print()
    print("| run | wall (s) | user CPU (s) | system CPU (s) | minor page faults | identical to in-process |")
    print("|---|---|---|---|---|---|")
    for name, r in rows:
        same = np.array_equal(r["battle"], ref["battle"], equal_nan=True)
        print(f"| {name} | {r['wall']:.2f} | {r['user']:.2f} | {r['sys']:.2f} | {r['minflt']:,} | {same} |")


if __name__ == "__main__":
    main()
