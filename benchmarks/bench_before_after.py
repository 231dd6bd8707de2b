"""Benchmark: the same measurements on several source trees in one run (before / after), with the peers.

Issue 13 asks for "before (the last commit before this issue) and after, in the same run, plus the
per-target loop peer, and how time splits between aim, sampling, visibility, flyout and
tracking". This script measures, for each tree given with ``--tree LABEL=PATH`` (a git worktree:
``git worktree add /tmp/gc-before 0586861``), in a fresh subprocess with ``PYTHONPATH=PATH`` and
``GEOCOVER_DATA_DIR=PATH/data`` (the tree's own code and data; checked: the worker prints the
``geocover`` it imported):

* **footprint**: ``footprint(Architecture(load_scenario("epaa-phase3-2018")), ["tabriz"], bbox_deg=
  (-5, 35, 45, 75), resolution_deg=0.1)``: 400 x 500 = 200,000 cells, 80 samples per
  trajectory, the tree's default refraction model; one warm-up call on a small box, then
  ``--repeat`` timed calls in the same process (best and worst wall time, the CPU time of the
  best, the peak RSS of the process). Then one more call under ``cProfile`` (on one thread,
  ``GEOCOVER_THREADS=1``, where a tree has the threaded engine), whose cumulative
  CPU times (``time.process_time``, all threads) split the call into phases by function: aim (``aim_missile``), sampling
  (``Trajectory.sample`` and ``Trajectory.positions``, the refined samples), visibility
  (``RadarView.visible_fast``), flyout
  (``FlyoutTable.time_to`` plus the flyout distances, ``PointSet.distance_azimuth`` called from
  ``footprint.py``), tracking (``_tracks``/``_first_true_t`` before, ``tracking.track_and_cue``
  and ``first_true_t`` after), other (the rest: engagement bookkeeping, chunking); and, overlapping
  those, the adaptive refinement's own share (``sampling.refine_tracks``, where a tree has it). cProfile
  adds ~0.1 us per Python call; the engine makes few calls per chunk, so the split is close.
  The battle-space grids of every tree are compared cell by cell (defended verdicts and the
  largest battle-space difference), since the physics changed between trees.
* **peer (footprint)**: the per-target loop, ``Architecture.engage_points`` on one cell per call,
  on ``--peer-n`` random cells (seed 0), extrapolated to the grid (the last tree only).
* **terrain**: ``terrain_mask`` of Kürecik (3,600 azimuths x 300 km, recomputed with
  ``cache=False``), best of ``--repeat``; the peer, ``gdal_viewshed`` on a 601 x 601 AEQD
  raster of 1 km cells (300 km radius) made by ``gdalwarp`` from the same 2' DEM, timed as a
  subprocess (start-up included) with its CPU time from ``RUSAGE_CHILDREN``.

The machine is shared: the load average is printed before and after, and each timing reports
CPU seconds (user + system of the process, all threads) beside the wall time; on a loaded
machine the CPU time is the steadier figure.

    python benchmarks/bench_before_after.py --tree before=/tmp/gc-before --tree after=/tmp/gc-head \\
        [--repeat 3] [--peer-n 100] [--skip footprint|terrain]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SCENARIO, LAUNCH = "epaa-phase3-2018", "tabriz"
BBOX = (-5.0, 35.0, 45.0, 75.0)
RES = 0.1
SITE = "kurecik"
RADIUS_M = 300_000
CELL_M = 1000.0


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def timed(fn):
    c0, t0 = cpu_s(), time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, cpu_s() - c0, out


# ------------------------------------------------------------------ worker side (one tree)
def phases_from_profile(stats) -> dict:
    """Cumulative seconds per phase from a pstats.Stats of one footprint call."""
    st = stats.stats  # {(file, line, name): (cc, nc, tt, ct, callers)}

    def cum(pred) -> float:
        return sum(v[3] for k, v in st.items() if pred(k))

    def fname(k):
        return Path(k[0]).name, k[2]

    phases = {
        "aim": cum(lambda k: fname(k) == ("trajectory.py", "aim_missile")),
        "sampling": cum(lambda k: fname(k) in {("trajectory.py", "sample"), ("trajectory.py", "positions")}),
        "visibility": cum(lambda k: fname(k) == ("radar.py", "visible_fast")),
        "flyout": cum(lambda k: fname(k) == ("interceptor.py", "time_to")),
        "tracking": cum(lambda k: fname(k) in {("footprint.py", "_tracks"), ("footprint.py", "_first_true_t"),
                                               ("tracking.py", "track_and_cue")}),
    }
    # flyout distances: PointSet.distance_azimuth called from footprint.py (visibility calls it too)
    for k, v in st.items():
        if fname(k) == ("fastgeo.py", "distance_azimuth"):
            phases["flyout"] += sum(c[3] for ck, c in v[4].items() if Path(ck[0]).name == "footprint.py")
        if fname(k) == ("tracking.py", "first_true_t"):  # calls outside track_and_cue
            phases["tracking"] += sum(c[3] for ck, c in v[4].items() if Path(ck[0]).name != "tracking.py")
    # the adaptive refinement around window edges (geocover.sampling.refine_tracks): its own
    # share, which overlaps the phases above (its positions, visibility, flyout and tracking)
    phases["refinement"] = cum(lambda k: fname(k) == ("sampling.py", "refine_tracks"))
    return phases


#: Phases that partition the profiled call (the rest is "other"); "refinement" overlaps them.
PARTITION = ("aim", "sampling", "visibility", "flyout", "tracking")


def worker_footprint(args) -> dict:
    import cProfile
    import pstats
    import warnings

    import geocover
    from geocover.footprint import Architecture, footprint
    from geocover.scenario import load_scenario

    warnings.simplefilter("ignore")
    sc = load_scenario(SCENARIO)
    model = os.environ.get("BENCH_MODEL")  # a tree option (see --tree): the same physics across trees
    arch = Architecture(sc, model=model) if model else Architecture(sc)
    footprint(arch, [LAUNCH], bbox_deg=(30.0, 35.0, 35.0, 40.0), resolution_deg=0.5)  # warm-up: imports, kernels
    runs = []
    grid = None
    for _ in range(args.repeat):
        wall, cpu, fp = timed(lambda: footprint(arch, [LAUNCH], bbox_deg=BBOX, resolution_deg=RES))
        runs.append((wall, cpu))
        grid = fp.battle_space_s[LAUNCH]
    prof = cProfile.Profile(time.process_time)  # CPU seconds (all threads): steadier on a shared machine
    # the profiled call on one thread (cProfile sees only the thread that enables it; trees
    # without the threaded engine ignore the variable)
    threads_env = os.environ.get("GEOCOVER_THREADS")
    os.environ["GEOCOVER_THREADS"] = "1"
    t0 = time.process_time()
    prof.enable()
    footprint(arch, [LAUNCH], bbox_deg=BBOX, resolution_deg=RES)
    prof.disable()
    if threads_env is None:
        del os.environ["GEOCOVER_THREADS"]
    else:
        os.environ["GEOCOVER_THREADS"] = threads_env
    prof_wall = time.process_time() - t0  # CPU seconds of the profiled call
    phases = phases_from_profile(pstats.Stats(prof))
    np.save(args.save, grid)
    out = {"geocover": geocover.__file__, "model": getattr(arch.views[next(iter(arch.views))], "model_name", "?"),
           "samples": sc.samples, "runs": runs, "profiled_wall": prof_wall, "phases": phases,
           "maxrss_mb": maxrss_mb(), "shape": list(grid.shape)}
    return out


def worker_peer(args) -> dict:
    import warnings

    from geocover.footprint import Architecture
    from geocover.scenario import load_scenario

    warnings.simplefilter("ignore")
    sc = load_scenario(SCENARIO)
    arch = Architecture(sc)
    site = sc.catalog.launch_site(LAUNCH)
    nrow, ncol = round((BBOX[3] - BBOX[1]) / RES), round((BBOX[2] - BBOX[0]) / RES)
    lats = BBOX[3] - (np.arange(nrow) + 0.5) * RES
    lons = BBOX[0] + (np.arange(ncol) + 0.5) * RES
    lat, lon = np.repeat(lats, ncol), np.tile(lons, nrow)
    idx = np.sort(np.random.default_rng(0).choice(lat.size, size=args.peer_n, replace=False))
    arch.engage_points(site.lat_deg, site.lon_deg, lat[idx[:2]], lon[idx[:2]])  # warm-up
    best = None
    for _ in range(args.repeat):
        wall, cpu, per = timed(lambda: [arch.engage_points(site.lat_deg, site.lon_deg, [lat[j]], [lon[j]])
                                        for j in idx])
        if best is None or wall < best[0]:
            best = (wall, cpu)
    battle = np.array([p.battle_space_s[0] for p in per])
    np.save(args.save, np.stack([idx.astype(float), battle]))
    return {"wall": best[0], "cpu": best[1], "n": int(idx.size), "cells": int(lat.size), "maxrss_mb": maxrss_mb()}


def worker_terrain(args) -> dict:
    import geocover
    from geocover.terrain import DemStack, terrain_mask

    radar = geocover.default_catalog().radar(SITE)
    stack = DemStack()
    terrain_mask(radar.lat_deg, radar.lon_deg, radar.antenna_height_msl_m, dem=stack, cache=False)  # rasters, jit
    runs = []
    for _ in range(args.repeat):
        wall, cpu, m = timed(lambda: terrain_mask(radar.lat_deg, radar.lon_deg, radar.antenna_height_msl_m,
                                                  dem=stack, cache=False))
        runs.append((wall, cpu))
    np.save(args.save, m.elevation_deg)
    return {"runs": runs, "shape": list(m.elevation_deg.shape), "geocover": geocover.__file__,
            "lat": radar.lat_deg, "lon": radar.lon_deg, "h_ant": radar.antenna_height_msl_m}


# ------------------------------------------------------------------ driver
def run_worker(kind: str, tree: Path, args, tmp: Path, tag: str, extra_env: dict | None = None) -> dict:
    tag = tag.replace("/", "_")
    js, npy = tmp / f"{tag}.json", tmp / f"{tag}.npy"
    env = dict(os.environ, PYTHONPATH=str(tree), GEOCOVER_DATA_DIR=str(tree / "data"),
               GEOCOVER_CACHE_DIR=str(tmp / f"cache-{tag}"), **(extra_env or {}))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--json", str(js), "--save", str(npy),
           "--repeat", str(args.repeat), "--peer-n", str(args.peer_n)]
    subprocess.run(cmd, check=True, env=env, cwd=tmp)
    res = json.loads(js.read_text())
    res["array"] = np.load(npy)
    return res


def gdal_peer(lat0: float, lon0: float, h_ant: float, dem_path: Path, repeat: int, tmp: Path) -> dict:
    import rasterio

    dem = tmp / "aeqd.tif"
    half = RADIUS_M + CELL_M / 2
    proj = f"+proj=aeqd +lat_0={lat0!r} +lon_0={lon0!r} +datum=WGS84 +units=m +no_defs"
    subprocess.run(["gdalwarp", "-q", "-overwrite", "-t_srs", proj, "-te", str(-half), str(-half), str(half),
                    str(half), "-tr", str(CELL_M), str(CELL_M), "-r", "bilinear", "-ot", "Float32", str(dem_path),
                    str(dem)], check=True)
    with rasterio.open(dem) as ds:
        z0 = float(ds.read(1)[ds.height // 2, ds.width // 2])
        shape = (ds.height, ds.width)
    cc = 6_378_137.0 / (4.0 / 3.0 * 6_371_000.0)  # k = 4/3, see tests/test_viewshed_gdal.py
    cmd = ["gdal_viewshed", "-q", "-ox", "0", "-oy", "0", "-oz", f"{h_ant - z0:.4f}", "-tz", "0", "-md",
           str(RADIUS_M), "-cc", f"{cc:.6f}", str(dem), str(tmp / "vs.tif")]
    runs = []
    for _ in range(repeat):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append((wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)))
    return {"runs": runs, "shape": list(shape)}


def best(runs) -> tuple[float, float, float]:
    """(best wall, CPU of that run, worst wall)."""
    w = min(runs, key=lambda r: r[0])
    return w[0], w[1], max(r[0] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", action="append", default=[], metavar="LABEL=PATH[,model=M][,nonumba][,threads=N]",
                    help="a source tree to measure (repeatable), e.g. before=/tmp/gc-before; options: the "
                         "refraction model of the footprint's Architecture, GEOCOVER_NO_NUMBA=1")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-n", type=int, default=100, help="cells of the per-target loop peer (last tree)")
    ap.add_argument("--skip", action="append", default=[], choices=("footprint", "terrain", "peer"))
    ap.add_argument("--worker", choices=("footprint", "terrain", "peer"), help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    ap.add_argument("--save", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        fn = {"footprint": worker_footprint, "terrain": worker_terrain, "peer": worker_peer}[args.worker]
        Path(args.json).write_text(json.dumps(fn(args)))
        return

    sys.path.insert(0, str(HERE))
    from machine import describe

    trees, tree_env = [], {}
    for spec in args.tree:
        lab, rest = spec.split("=", 1)
        path, *opts = rest.split(",")
        trees.append((lab, Path(path).resolve()))
        tree_env[lab] = {}
        for o in opts:
            if o == "nonumba":
                tree_env[lab]["GEOCOVER_NO_NUMBA"] = "1"
            elif o.startswith("model="):
                tree_env[lab]["BENCH_MODEL"] = o.split("=", 1)[1]
            elif o.startswith("threads="):  # trees with the threaded engine (GEOCOVER_THREADS); others ignore it
                tree_env[lab]["GEOCOVER_THREADS"] = o.split("=", 1)[1]
            else:
                ap.error(f"unknown tree option {o!r}")
    if not trees:
        ap.error("give at least one --tree LABEL=PATH")
    print(describe())
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-ba-") as td:
        tmp = Path(td)
        fps, ters = {}, {}
        for lab, tree in trees:
            if "footprint" not in args.skip:
                fps[lab] = run_worker("footprint", tree, args, tmp, f"fp-{lab}", tree_env[lab])
            if "terrain" not in args.skip:
                ters[lab] = run_worker("terrain", tree, args, tmp, f"ter-{lab}", tree_env[lab])
        peer = None
        if "peer" not in args.skip and args.peer_n:
            peer = run_worker("peer", trees[-1][1], args, tmp, "peer")
        gdal = None
        if ters:
            last = ters[trees[-1][0]]
            gdal = gdal_peer(last["lat"], last["lon"], last["h_ant"], trees[-1][1] / "data" / "dem" /
                             "dem_globe2m_max.tif", args.repeat, tmp)
    print(f"load average after: {os.getloadavg()}")
    print("trees: " + "; ".join(f"{lab} = {tree} (imported {(fps.get(lab) or ters.get(lab))['geocover']})"
                                  for lab, tree in trees))
    if fps:
        n_cells = int(np.prod(next(iter(fps.values()))["shape"]))
        print()
        print(f"## Footprint: {n_cells:,} cells, {SCENARIO}, launch {LAUNCH}, best of {args.repeat} "
              f"(wall s; CPU s of that run, all threads)")
        print()
        print("| tree | model | best wall (s) | CPU (s) | worst wall (s) | peak RSS (MB) | CPU s: aim | sampling "
              "| visibility | flyout | tracking | other | profiled total | of which refinement |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for lab, r in fps.items():
            w, c, worst = best(r["runs"])
            ph = r["phases"]
            other = r["profiled_wall"] - sum(ph[k] for k in PARTITION)
            cells = " | ".join(f"{ph[k]:.2f}" for k in PARTITION)
            print(f"| {lab} | {r['model']} | **{w:.2f}** | {c:.2f} | {worst:.2f} | {r['maxrss_mb']:.0f} | {cells} | "
                  f"{other:.2f} | {r['profiled_wall']:.2f} | {ph.get('refinement', 0.0):.2f} |")
        if peer:
            per = peer["wall"] / peer["n"]
            print(f"| per-target loop peer ({trees[-1][0]}, {peer['n']} cells, extrapolated) | | "
                  f"{per * n_cells:,.0f} | {peer['cpu'] / peer['n'] * n_cells:,.0f} | | {peer['maxrss_mb']:.0f} | "
                  f"| | | | | | | |")
        labs = list(fps)
        for a, b in itertools.pairwise(labs):
            ga, gb = fps[a]["array"].astype(float), fps[b]["array"].astype(float)
            both = np.isfinite(ga) & np.isfinite(gb)
            same_reach = np.mean(np.isfinite(ga) == np.isfinite(gb))
            same_def = np.mean((ga > 0) == (gb > 0))
            print(f"\n{a} vs {b}: reachable agrees on {same_reach:.2%} of cells, defended on {same_def:.2%}; "
                  f"battle space |diff| max {np.max(np.abs(ga - gb)[both]) if both.any() else float('nan'):.1f} s, "
                  f"median {np.median(np.abs(ga - gb)[both]) if both.any() else float('nan'):.2f} s; "
                  f"identical (float32, NaN = NaN) on {np.mean((ga == gb) | (np.isnan(ga) & np.isnan(gb))):.4%}")
        if peer:
            g = fps[labs[-1]]["array"].ravel().astype(float)
            idx, pb = peer["array"][0].astype(int), peer["array"][1]
            ok = np.isfinite(pb) & np.isfinite(g[idx])
            print(f"peer vs {labs[-1]} grid on its {idx.size} cells: NaN pattern equal "
                  f"{np.array_equal(np.isnan(pb), np.isnan(g[idx]))}; defended agrees "
                  f"{np.sum((pb > 0) == (g[idx] > 0))}/{idx.size}; max |diff| "
                  f"{np.max(np.abs(pb - g[idx])[ok]) if ok.any() else float('nan'):.3f} s")
    if ters:
        print()
        print(f"## Terrain mask: {SITE}, 3,600 azimuths x 300 km, best of {args.repeat}")
        print()
        print("| implementation | best wall (s) | CPU (s) | worst wall (s) | notes |")
        print("|---|---|---|---|---|")
        ref = None
        for lab, r in ters.items():
            w, c, worst = best(r["runs"])
            note = f"{r['shape'][0]} x {r['shape'][1]} samples"
            if ref is not None:
                d = np.abs(r["array"].astype(float) - ref)
                note += f"; vs {next(iter(ters))}: max |diff| {d.max():.2e} deg, {np.mean(d == 0):.2%} identical"
            else:
                ref = r["array"].astype(float)
            print(f"| geocover `terrain_mask` ({lab}) | **{w:.3f}** | {c:.3f} | {worst:.3f} | {note} |")
        if gdal:
            w, c, worst = best(gdal["runs"])
            print(f"| `gdal_viewshed` (peer) | **{w:.3f}** | {c:.3f} | {worst:.3f} | {gdal['shape'][0]} x "
                  f"{gdal['shape'][1]} AEQD cells of {CELL_M:g} m, process start-up included |")


if __name__ == "__main__":
    main()
