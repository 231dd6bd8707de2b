"""Benchmark: a defended-footprint grid over Europe for one launch site, vs a per-target loop.

Goal (footprint issue): a 0.1 deg footprint grid over Europe (about 200,000 targets) for one
launch site and the ``epaa-phase3-2018`` architecture in <= 5 s on the project's 2-core
machine, peak memory <= 2 GB; report (targets x trajectory samples) per second, and compare
with a straightforward per-target loop measured in the same run.

geocover: ``footprint(Architecture(load_scenario("epaa-phase3-2018")), ["tabriz"],
bbox_deg=--bbox, resolution_deg=--resolution)`` (smooth Earth, 4/3 refraction: the defaults);
the default box, 5 W-45 E x 35-75 N at 0.1 deg, is 400 x 500 = 200,000 cells. Best and worst
of --repeat runs. Breakdown (one more run): ``engage_points``' own loop re-enacted with a timer
around each part: ``aim_missile(errors="mask")`` and ``Architecture.engage`` per 4,096-cell
chunk, plus ``Trajectory.sample(sc.samples)`` timed on its own (engage samples again inside).

Peer: the straightforward per-target loop, ``arch.engage_points(launch_lat, launch_lon, [lat],
[lon])`` one cell at a time (one aim + one engagement per call), on --peer-n cells drawn at
random (seed 0) from the same grid, best of --repeat; its cost is extrapolated to the grid.
Its battle space is compared with the grid's for those cells, and with one vectorised
``engage_points`` call on the same cells.

Memory: every measurement runs in a fresh subprocess of this script (imports, scenario and
``Architecture`` built before the timer starts), which reports its peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, the kernel's high-water mark: Python, numpy,
the scenario and every array, not only numpy's allocations) and its resident set just before
the timed call. MB = 10^6 bytes.

    python benchmarks/bench_footprint.py [--resolution 0.1] [--repeat 2] [--peer-n 300] [--bbox -5 35 45 75]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from machine import cpu_model, mem_total_gib

SCENARIO, LAUNCH = "epaa-phase3-2018", "tabriz"
DEFAULT_BBOX = (-5.0, 35.0, 45.0, 75.0)  # west, south, east, north (deg)
CHUNK = 4096  # engage_points' default chunk, which footprint uses
SEED = 0
NEAR_M = 1.0e6  # NaN cells nearer than this to the launch site are reported (the IRBM class reaches 4,000 km)






def rss_mb() -> float:
    """Current resident set size (MB)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return float("nan")


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def grid_cells(bbox, res: float):
    """The cell centres footprint() engages, in its order (row 0 = north edge, row-major)."""
    from geocover.footprint import grid_shape

    west, _south, _east, north = bbox
    nrow, ncol = grid_shape(bbox, res)
    lats = north - (np.arange(nrow) + 0.5) * res
    lons = west + (np.arange(ncol) + 0.5) * res
    return np.repeat(lats, ncol), np.tile(lons, nrow), (nrow, ncol)


def peer_indices(n_cells: int, k: int) -> np.ndarray:
    return np.sort(np.random.default_rng(SEED).choice(n_cells, size=min(k, n_cells), replace=False))


def stat(a: np.ndarray, f) -> float:
    return float(f(a)) if a.size else float("nan")


def fmt_rate(x: float) -> str:
    return f"{x / 1e6:,.2f} M" if x >= 1e6 else f"{x:,.0f}"


# ------------------------------------------------------------------ workers (subprocesses)
class Recorder:
    """Times a block (wall, user and system CPU) and records the warnings raised in it."""

    def __init__(self):
        self.warnings: dict[str, int] = {}

    def __enter__(self):
        self._w = warnings.catch_warnings(record=True)
        self._log = self._w.__enter__()
        warnings.simplefilter("always")
        self._r0, self._t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        self.user, self.sys = r1.ru_utime - self._r0.ru_utime, r1.ru_stime - self._r0.ru_stime
        self._w.__exit__(*exc)
        for w in self._log:
            key = f"{w.category.__name__}: {w.message} ({Path(w.filename).name}:{w.lineno})"
            self.warnings[key] = self.warnings.get(key, 0) + 1
        return False


def worker(args) -> dict:
    from geocover.footprint import Architecture, footprint
    from geocover.scenario import load_scenario
    from geocover.trajectory import aim_missile

    t0 = time.perf_counter()
    sc = load_scenario(SCENARIO)
    arch = Architecture(sc)
    build_s = time.perf_counter() - t0
    site = sc.catalog.launch_site(LAUNCH)
    bbox = tuple(args.bbox)
    lat, lon, shape = grid_cells(bbox, args.resolution)
    arch.engage_points(site.lat_deg, site.lon_deg, lat[:64], lon[:64])  # warm-up: lazy imports, caches
    out: dict = {"build_s": build_s, "rss_before_mb": rss_mb(), "samples": sc.samples,
                 "burn_time_s": sc.missile.burn_time_s, "missile": sc.missile.id,
                 "launch": [site.lat_deg, site.lon_deg]}
    if args.worker == "grid":
        with Recorder() as rec:
            fp = footprint(arch, [LAUNCH], bbox_deg=bbox, resolution_deg=args.resolution)
        if args.save:
            np.savez(args.save, battle=fp.battle_space_s[LAUNCH], sls=fp.shoot_look_shoot[LAUNCH])
        out["shape"] = list(fp.battle_space_s[LAUNCH].shape)
        recs = {"grid": rec}
    elif args.worker == "breakdown":
        ra, rs, re_ = Recorder(), Recorder(), Recorder()
        t_aim = t_smp = t_eng = 0.0
        n_boost, parts = [], []
        for i in range(0, lat.size, CHUNK):
            la, lo = lat[i:i + CHUNK], lon[i:i + CHUNK]
            with ra, np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                traj, ok = aim_missile(sc.missile, site.lat_deg, site.lon_deg, la, lo, errors="mask")
            t_aim += ra.wall
            with rs, np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                s = traj.sample(sc.samples)
            t_smp += rs.wall
            n_boost.append(int(s.boosting[0].sum()))
            del s
            with re_:
                parts.append(arch.engage(traj, ok).battle_space_s.astype(np.float32))
            t_eng += re_.wall
        if args.save:
            np.savez(args.save, battle=np.concatenate(parts).reshape(shape), n_boost=np.array(n_boost))
        out["times"] = {"aim": t_aim, "sample": t_smp, "engage": t_eng}
        out["warnings"] = {k: v for r in (ra, rs, re_) for k, v in r.warnings.items()}
        recs = {}
    else:  # peer
        idx = peer_indices(lat.size, args.peer_n)
        lo_, la_ = site.lon_deg, site.lat_deg
        times, per = [], None
        rec = Recorder()
        for _ in range(args.repeat):
            with rec:
                per = [arch.engage_points(la_, lo_, [lat[j]], [lon[j]]) for j in idx]
            times.append(rec.wall)
        with Recorder() as vrec:
            vec = arch.engage_points(la_, lo_, lat[idx], lon[idx])
        if args.save:
            np.savez(args.save, idx=idx, battle=np.array([p.battle_space_s[0] for p in per]),
                     sls=np.array([p.shoot_look_shoot[0] for p in per]),
                     tof=np.array([p.flight_time_s[0] for p in per]),
                     earliest=np.array([p.earliest_t_s[0] for p in per]),
                     vec_battle=vec.battle_space_s, vec_earliest=vec.earliest_t_s)
        out["peer_times"] = times
        recs = {"peer": rec, "vec": vrec}
    for name, r in recs.items():
        out[name] = {"wall": r.wall, "user": r.user, "sys": r.sys, "warnings": r.warnings}
    out["maxrss_mb"] = maxrss_mb()
    return out


def run_worker(kind: str, args, tmp: Path, tag: str, save: bool) -> dict:
    js, npz = tmp / f"{tag}.json", tmp / f"{tag}.npz"
    cmd = [sys.executable, __file__, "--worker", kind, "--json", str(js), "--resolution", str(args.resolution),
           "--repeat", str(args.repeat), "--peer-n", str(args.peer_n), "--bbox", *map(str, args.bbox)]
    if save:
        cmd += ["--save", str(npz)]
    subprocess.run(cmd, check=True)
    res = json.loads(js.read_text())
    if save:
        with np.load(npz) as z:
            res["arrays"] = {k: z[k] for k in z.files}
    return res


# ------------------------------------------------------------------ driver
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=float, default=0.1, help="grid spacing (deg)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--peer-n", type=int, default=300, help="cells engaged one at a time by the peer loop")
    ap.add_argument("--bbox", type=float, nargs=4, default=list(DEFAULT_BBOX), metavar=("W", "S", "E", "N"),
                    help="grid box in degrees: west south east north")
    ap.add_argument("--worker", choices=("grid", "breakdown", "peer"), help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    ap.add_argument("--save", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        Path(args.json).write_text(json.dumps(worker(args)))
        return

    import geocover
    from geocover.fastgeo import distance_azimuth

    lat, lon, (nrow, ncol) = grid_cells(tuple(args.bbox), args.resolution)
    n = lat.size
    w, s, e, nn = args.bbox
    print(f"grid: bbox {w:g}..{e:g} E x {s:g}..{nn:g} N at {args.resolution:g} deg = {nrow} x {ncol} = {n:,} cells; "
          f"launch {LAUNCH}; scenario {SCENARIO}; best of {args.repeat}", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as td:
        tmp = Path(td)
        grids = [run_worker("grid", args, tmp, f"grid{k}", save=k == 0) for k in range(args.repeat)]
        brk = run_worker("breakdown", args, tmp, "breakdown", save=True)
        peer = run_worker("peer", args, tmp, "peer", save=True)

    m = grids[0]["samples"]
    tb = grids[0]["burn_time_s"]
    la0, lo0 = grids[0]["launch"]
    bs, sls = grids[0]["arrays"]["battle"], grids[0]["arrays"]["sls"]
    flat = bs.ravel()
    t_grid = [g["grid"]["wall"] for g in grids]
    best, worst = min(t_grid), max(t_grid)
    peak = max(g["maxrss_mb"] for g in grids)
    base = grids[0]["rss_before_mb"]

    # ---- the grid: shares, NaNs
    finite = np.isfinite(flat)
    n_fin, n_def = int(finite.sum()), int(np.count_nonzero(flat > 0))
    d_m, _ = distance_azimuth(la0, lo0, lat, lon)
    near = ~finite & (d_m < NEAR_M)  # well inside the class's range: aim found no solution there
    far_fin = stat(d_m[finite], np.max)

    # ---- breakdown: same cells, the same chunks; its values must be the grid's
    bt = brk["times"]
    brk_same = np.array_equal(brk["arrays"]["battle"], bs, equal_nan=True)
    n_boost_chunk = brk["arrays"]["n_boost"]

    # ---- peer: per-target loop
    pa = peer["arrays"]
    idx, pb = pa["idx"], pa["battle"]
    k = idx.size
    t_peer = min(peer["peer_times"])
    per_target = t_peer / k
    g_at = flat[idx].astype(np.float64)
    nan_agree = np.array_equal(np.isnan(pb), np.isnan(g_at))
    both = np.isfinite(pb) & np.isfinite(g_at)
    diff = np.abs(pb - g_at)[both]
    vdiff = np.abs(pb - pa["vec_battle"])[both]
    def_agree = int(np.count_nonzero((pb > 0) == (g_at > 0)))
    sls_agree = int(np.count_nonzero(pa["sls"] == sls.ravel()[idx]))
    # boost samples each target got: alone, its own share; in the grid, its chunk's mean share
    with np.errstate(invalid="ignore"):
        nb_alone = np.where(np.isfinite(pa["tof"]), np.clip(np.round(m * tb / pa["tof"]), 2, m - 2), -1).astype(int)
    nb_grid = n_boost_chunk[idx // CHUNK]
    same_nb = both & (nb_alone == nb_grid)
    diff_same_nb = np.abs(pb - g_at)[same_nb]

    # ---- report
    print(f"machine: {platform.platform()}; nproc {len(os.sched_getaffinity(0))} (cpu_count {os.cpu_count()}); "
          f"CPU {cpu_model()}; {mem_total_gib():.1f} GiB RAM")
    print(f"python {platform.python_version()}, numpy {np.__version__}, geocover {geocover.__version__}")
    print(f"scenario {SCENARIO}: Architecture built in {grids[0]['build_s']:.3f} s (not in the timings); "
          f"missile {grids[0]['missile']}, {m} samples per trajectory (sc.samples), launch {LAUNCH} "
          f"({la0:.3f} N, {lo0:.3f} E)")
    print(f"cells: {n:,}; threatened (finite battle space) {n_fin:,} ({n_fin / n:.1%}); defended (> 0) {n_def:,} "
          f"({n_def / n:.1%} of all, {n_def / max(n_fin, 1):.1%} of threatened); shoot-look-shoot "
          f"{int(sls.sum()):,} ({sls.sum() / n:.1%})")
    print(f"  NaN cells: {n - n_fin:,}; farthest threatened cell {far_fin / 1e3:,.0f} km from {LAUNCH}; NaN cells "
          f"within {NEAR_M / 1e3:,.0f} km of the launch site: {int(near.sum()):,} "
          f"({stat(d_m[near], np.min) / 1e3:,.0f}-{stat(d_m[near], np.max) / 1e3:,.0f} km)")
    print("grid runs, one subprocess each (wall / user / sys s; RSS before the call -> peak):")
    for g in grids:
        r = g["grid"]
        print(f"  {r['wall']:7.3f} / {r['user']:7.3f} / {r['sys']:6.3f}   {g['rss_before_mb']:6.0f} MB -> "
              f"{g['maxrss_mb']:6.0f} MB   warnings: {r['warnings'] or 'none'}")
    print(f"breakdown run: aim {bt['aim']:.3f} s, engage {bt['engage']:.3f} s (incl. its own sample), "
          f"sample alone {bt['sample']:.3f} s; peak {brk['maxrss_mb']:.0f} MB; values identical to the grid's: "
          f"{brk_same}; warnings: {brk['warnings'] or 'none'}")
    print(f"  boost samples per trajectory (of {m}) chosen per {CHUNK}-cell chunk: "
          f"{sorted(set(n_boost_chunk.tolist()))}")
    print(f"peer loop on {k} random cells (seed {SEED}): {', '.join(f'{x:.3f}' for x in peer['peer_times'])} s; "
          f"{per_target * 1e3:.2f} ms per target; peak {peer['maxrss_mb']:.0f} MB; warnings per loop: "
          f"{ {w: c // args.repeat for w, c in peer['peer']['warnings'].items()} or 'none'}")
    print(f"peer vs grid on {k} cells: NaN pattern equal {nan_agree}; both finite {int(both.sum())}; "
          f"max |battle space difference| {stat(diff, np.max):.3f} s "
          f"(mean {stat(diff, np.mean):.3f} s, > 0.01 s in {int(np.count_nonzero(diff > 0.01))}); "
          f"defended agrees in {def_agree}/{k}; shoot-look-shoot agrees in {sls_agree}/{k}")
    print(f"  vs one vectorised engage_points call on the same {k} cells: max |difference| "
          f"{stat(vdiff, np.max):.3f} s")
    print(f"  cells whose boost-sample count alone equals their grid chunk's ({int(same_nb.sum())}): max |difference| "
          f"{stat(diff_same_nb, np.max):.2e} s (grid stored as float32)")

    rows = [
        ("geocover `footprint` (vectorised, 4,096-cell chunks; the goal)", f"{n:,} × {m}", best, n,
         f"{peak:,.0f} MB ({peak - base:+,.0f} over {base:,.0f})"),
        ("  ↳ `aim_missile(errors=\"mask\")`, breakdown run", f"{n:,} targets", bt["aim"], n, ""),
        ("  ↳ `Architecture.engage` (incl. its `sample`), breakdown run", f"{n:,} × {m}", bt["engage"], n, ""),
        (f"  ↳ `Trajectory.sample({m})` alone, breakdown run", f"{n:,} × {m}", bt["sample"], n,
         f"{brk['maxrss_mb']:,.0f} MB (breakdown run)"),
        (f"geocover `engage_points`, one vectorised call on the peer's {k} cells", f"{k:,} × {m}",
         peer["vec"]["wall"], k, ""),
        ("per-target loop, `engage_points` one cell per call (peer, measured)", f"{k:,} × {m}", t_peer, k,
         f"{peer['maxrss_mb']:,.0f} MB"),
        ("per-target loop (peer, extrapolated)", f"{n:,} × {m}", per_target * n, n, "—"),
    ]
    print()
    print("| implementation | work | time (s) | targets/s | (targets × samples)/s | peak memory (RSS) |")
    print("|---|---|---|---|---|---|")
    for name, work, t, cnt, mem in rows:
        print(f"| {name} | {work} | {t:.3f} | {fmt_rate(cnt / t)} | {fmt_rate(cnt * m / t)} | {mem} |")
    print()
    print(f"grid: best {best:.3f} s, worst {worst:.3f} s; vectorised vs per-target loop: "
          f"{per_target * n / best:,.0f}x faster")
    if n < 180_000:
        verdict = f"not measured ({n:,} cells, the goal is about 200,000)"
    else:
        ok_t, ok_m = best <= 5.0, peak <= 2000.0
        verdict = (f"time {'met' if ok_t else 'NOT met'} ({best:.2f} s best, {worst:.2f} s worst, goal <= 5 s); "
                   f"memory {'met' if ok_m else 'NOT met'} ({peak:,.0f} MB peak RSS, goal <= 2 GB)")
    print(f"goal: {verdict}")


if __name__ == "__main__":
    main()
