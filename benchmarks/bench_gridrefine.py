"""Benchmark: adaptive grid refinement (geocover.gridrefine) vs the full footprint grid.

Issue 13, section 2: at 0.05 and 0.025 deg (4x and 16x the cells of 0.1 deg), refine
adaptively and keep verdicts identical to the full-resolution computation on >= 99.9 % of
cells with battle space within 2 s.

For each resolution: ``footprint(Architecture(load_scenario(SCENARIO)), [LAUNCH], bbox_deg=...,
resolution_deg=...)`` (every cell) and ``adaptive_footprint(...)`` with the same arguments
and ``coarse_factor`` (each of --factors), in this process, after a warm-up call (flyout
tables built, caches filled). Reported per run: CPU seconds (``time.process_time``; the
machine is shared, so wall time is not a measure), best of --repeat; the cells the engine
computed; and the agreement of the adaptive grid with the full one over every cell:
verdict (not reachable / undefended / defended) identical, class (verdict, shoot-look-shoot
and battle-space band of ``BANDS_S``) identical, battle space within 2 s where both are
defended (share of those cells, and the largest difference).

    python benchmarks/bench_gridrefine.py [--bbox -5 35 45 75] [--resolutions 0.1,0.05,0.025]
        [--factors 4,8] [--repeat 1] [--json out.json] [--full-cache DIR]

``--full-cache DIR`` keeps each full grid (and its CPU seconds) in DIR and reuses it on the
next run with the same box, so adaptive settings can be compared without recomputing the
full grids (the CPU seconds shown are those measured when the grid was computed).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time

import numpy as np
from machine import cpu_model, mem_total_gib

SCENARIO, LAUNCH = "epaa-phase3-2018", "tabriz"
DEFAULT_BBOX = (-5.0, 35.0, 45.0, 75.0)  # west, south, east, north (deg)
TOL_S = 2.0  # battle-space agreement asked by the issue (s)


def verdict(v: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(v), 0, np.where(np.nan_to_num(v) > 0, 2, 1))


def timed(fn, repeat: int):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bbox", type=float, nargs=4, default=DEFAULT_BBOX, metavar=("W", "S", "E", "N"))
    ap.add_argument("--resolutions", default="0.1,0.05,0.025")
    ap.add_argument("--factors", default="4,8")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", dest="json_path")
    ap.add_argument("--full-cache", dest="cache")
    ap.add_argument("--tolerance", type=float, help="refine_grid's tolerance_s [default: its default]")
    ap.add_argument("--verify", type=float, help="refine_grid's verify_s [default: its default]")
    args = ap.parse_args()

    import geocover as gc
    from geocover.footprint import Architecture, footprint
    from geocover.gridrefine import adaptive_footprint, cell_classes
    from geocover.scenario import load_scenario

    sc = load_scenario(SCENARIO, gc.default_catalog())
    arch = Architecture(sc)
    bbox = tuple(args.bbox)
    footprint(arch, [LAUNCH], bbox_deg=(20.0, 50.0, 21.0, 51.0), resolution_deg=0.1)  # warm-up
    tune = {k: v for k, v in (("tolerance_s", args.tolerance), ("verify_s", args.verify)) if v is not None}
    from geocover.gridrefine import DEFAULT_TOLERANCE_S, DEFAULT_VERIFY_S

    print(f"# adaptive: tolerance_s {tune.get('tolerance_s', DEFAULT_TOLERANCE_S):g}, "
          f"verify_s {tune.get('verify_s', DEFAULT_VERIFY_S):g}")
    print(f"# {SCENARIO}, launch {LAUNCH}, box {bbox} (W, S, E, N deg); {cpu_model()}, "
          f"{mem_total_gib():.0f} GiB, Python {platform.python_version()}, numpy {np.__version__}")
    print("| resolution (deg) | cells | method | CPU s | cells computed | speed-up | verdicts identical "
          "| class identical | battle space within 2 s | max diff (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for res in (float(x) for x in args.resolutions.split(",")):
        cached = None
        if args.cache:
            from pathlib import Path

            Path(args.cache).mkdir(parents=True, exist_ok=True)
            cached = Path(args.cache) / f"full_{'_'.join(f'{x:g}' for x in bbox)}_{res:g}.npz"
        if cached is not None and cached.exists():
            z = np.load(cached)
            cpu_full, a, sa = float(z["cpu_s"]), z["battle_space_s"], z["shoot_look_shoot"]
        else:
            cpu_full, full = timed(lambda res=res: footprint(arch, [LAUNCH], bbox_deg=bbox, resolution_deg=res),
                                   args.repeat)
            a, sa = full.battle_space_s[LAUNCH], full.shoot_look_shoot[LAUNCH]
            if cached is not None:
                np.savez(cached, cpu_s=cpu_full, battle_space_s=a, shoot_look_shoot=sa)
        n = a.size
        rows.append({"resolution_deg": res, "cells": n, "method": "full", "cpu_s": cpu_full, "computed": n})
        print(f"| {res:g} | {n:,} | full | {cpu_full:.1f} | {n:,} | 1 | | | | |", flush=True)
        for f in (int(x) for x in args.factors.split(",")):
            cpu, ad = timed(lambda res=res, f=f: adaptive_footprint(arch, [LAUNCH], bbox_deg=bbox, resolution_deg=res,
                                                                    coarse_factor=f, **tune), args.repeat)
            b, sb = ad.battle_space_s[LAUNCH], ad.shoot_look_shoot[LAUNCH]
            both = (np.nan_to_num(a) > 0) & (np.nan_to_num(b) > 0)
            d = np.abs(a[both].astype(float) - b[both])
            row = {"resolution_deg": res, "cells": n, "method": f"adaptive x{f} ({res * f:g} deg)", "cpu_s": cpu,
                   "computed": ad.cells_evaluated, "levels": next(iter(ad.stats.values())).evaluated_per_level,
                   "verdict_agreement": float(np.mean(verdict(a) == verdict(b))),
                   "class_agreement": float(np.mean(cell_classes(a, sa) == cell_classes(b, sb))),
                   "within_2s": float(np.mean(d <= TOL_S)) if d.size else 1.0,
                   "max_diff_s": float(d.max()) if d.size else 0.0}
            rows.append(row)
            print(f"| {res:g} | {n:,} | {row['method']} | {cpu:.1f} | {row['computed']:,} "
                  f"({row['computed'] / n:.1%}) | {cpu_full / cpu:.1f} | {100 * row['verdict_agreement']:.3f} % "
                  f"| {100 * row['class_agreement']:.3f} % | {100 * row['within_2s']:.3f} % "
                  f"| {row['max_diff_s']:.2f} |", flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"peak resident set {peak_mb:,.0f} MB (the whole run)")
    if args.json_path:
        with open(args.json_path, "w") as fh:
            json.dump({"scenario": SCENARIO, "launch": LAUNCH, "bbox_deg": bbox, "rows": rows,
                       "peak_rss_mb": peak_mb}, fh, indent=1)


if __name__ == "__main__":
    main()
