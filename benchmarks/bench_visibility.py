"""Benchmark: the visibility and flyout kernels of a footprint, numba against the numpy path,
and the CRPL tables' cost (traced vs read from the disk cache).

Inputs: the flights of a footprint chunk, ``epaa-phase3-2018`` from Tabriz to ``--cells``
cells of the 0.1 deg grid over 5 W-45 E x 35-75 N (evenly spread), sampled at the
scenario's 80 samples: every radar's ``RadarView.visible_fast`` over (flights x samples),
with the samples' RCS per point, and every battery's ``FlyoutTable.time_to`` over the same
samples (float32 distances, as the footprint passes them). Each is timed ``--repeat`` times
with numba (the default) and with ``GEOCOVER_NO_NUMBA=1`` (the numpy fallback), best of N,
in CPU seconds (``time.process_time``: the machine is shared) with the wall time beside; the
verdicts of the two paths are compared (the fused kernel may differ only within an ulp of a
limit: tests/test_visibility_fused.py).

CRPL tables: ``crpl_site`` for the scenario's antenna heights in a fresh subprocess, once
with an empty cache folder (traced, then stored) and once with that folder (read back),
each with its CPU time and peak RSS (``ru_maxrss``).

    python benchmarks/bench_visibility.py [--cells 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

SCENARIO, LAUNCH = "epaa-phase3-2018", "tabriz"
BBOX = (-5.0, 35.0, 45.0, 75.0)

SITE_SNIPPET = """
import resource, time
from geocover.scenario import load_scenario
from geocover.radar import RadarView
from geocover.refraction import crpl_site
sc = load_scenario({scenario!r})
heights = sorted({{max(float(RadarView(r, model="4/3").antenna_height_msl_m), 0.0) for r in sc.radars.values()}})
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
c0 = time.process_time()
for h in heights:
    crpl_site(h).correction_grid()
cpu = time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(heights), cpu, r0 / 1024, peak / 1024)
"""


def best_of(fn, repeat: int):
    best = (np.inf, np.inf)
    out = None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        best = min(best, (time.process_time() - c0, time.perf_counter() - t0))
    return best, out


def with_numpy(fn):
    os.environ["GEOCOVER_NO_NUMBA"] = "1"
    try:
        return fn()
    finally:
        del os.environ["GEOCOVER_NO_NUMBA"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from geocover.fastgeo import PointSet
    from geocover.footprint import Architecture
    from geocover.geodesy import LatLonGrid
    from geocover.scenario import load_scenario

    print(f"load average before: {os.getloadavg()}")
    # CRPL tables: cold (traced) and warm (disk cache), each in a fresh process
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "GEOCOVER_CACHE_DIR": cache}
        for label in ("traced (empty cache)", "read from the disk cache"):
            res = subprocess.run([sys.executable, "-c", SITE_SNIPPET.format(scenario=SCENARIO)], env=env,
                                 capture_output=True, text=True, check=True)
            n, cpu, rss0, peak = res.stdout.split()
            print(f"CRPL tables, {n} antenna heights, {label}: {float(cpu):.2f} CPU-s, "
                  f"peak RSS {float(rss0):.0f} -> {float(peak):.0f} MB")

    sc = load_scenario(SCENARIO)
    arch = Architecture(sc)
    site = sc.catalog.launch_site(LAUNCH)
    lat, lon = LatLonGrid.from_bbox(BBOX, 0.1).cell_centres()
    pick = np.linspace(0, lat.size - 1, args.cells).astype(int)
    traj, _ok = arch.aim(site.lat_deg, site.lon_deg, lat.ravel()[pick], lon.ravel()[pick])
    s = traj.sample(sc.samples)
    la, lo, alt = (np.ascontiguousarray(a) for a in (s.lat_deg, s.lon_deg, s.altitude_m))
    pts = PointSet(la, lo)
    print(f"{args.cells} flights x {sc.samples} samples = {la.size:,} points per radar")

    def vis():
        return {rid: v.visible_fast(la, lo, alt, s.rcs_m2, points=pts) for rid, v in arch.views.items()}

    vis()
    (c_nb, w_nb), v_nb = best_of(vis, args.repeat)
    (c_np, w_np), v_np = with_numpy(lambda: best_of(vis, args.repeat))
    differ = sum(int((v_nb[r] != v_np[r]).sum()) for r in v_nb)
    print(f"visibility, {len(arch.views)} radars: numba {c_nb:.3f} CPU-s ({w_nb:.3f} s wall), "
          f"numpy {c_np:.3f} CPU-s ({w_np:.3f} s wall); verdicts differing: {differ} of {la.size * len(v_nb):,}")

    dists = {iid: pts.distance_azimuth(itc.lat_deg, itc.lon_deg, dtype=np.float32)[0]
             for iid, itc in arch.interceptors.items()}

    def fly():
        return {iid: arch.tables[iid].time_to(dists[iid], alt) for iid in dists}

    fly()
    (c_nb, w_nb), f_nb = best_of(fly, args.repeat)
    (c_np, w_np), f_np = with_numpy(lambda: best_of(fly, args.repeat))
    same = all(np.array_equal(f_nb[i], f_np[i], equal_nan=True) for i in f_nb)
    print(f"flyout time_to, {len(dists)} batteries: numba {c_nb:.3f} CPU-s ({w_nb:.3f} s wall), "
          f"numpy {c_np:.3f} CPU-s ({w_np:.3f} s wall); identical: {same}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
