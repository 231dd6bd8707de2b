"""Benchmark: geodetic -> azimuth/elevation/slant range for 1e6 points.

geocover.geodetic2aer against pymap3d.geodetic2aer (the peer), same inputs, same run,
best of N repeats. Also checks that both agree to < 1 mm.

    python benchmarks/bench_aer.py [--n 1000000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pymap3d

import geocover


def best_time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, args.n)))
    lon = rng.uniform(-180, 180, args.n)
    h = rng.uniform(-500, 2e6, args.n)
    obs = (49.635222, 13.747944, 774.8)

    ours = geocover.geodetic2aer(lat, lon, h, *obs)
    peer = pymap3d.geodetic2aer(lat, lon, h, *obs)
    diff_m = np.max(np.abs(ours[2] - peer[2]))
    t_ours = best_time(lambda: geocover.geodetic2aer(lat, lon, h, *obs), args.repeat)
    t_peer = best_time(lambda: pymap3d.geodetic2aer(lat, lon, h, *obs), args.repeat)
    print(f"machine: {platform.processor() or platform.machine()}, {platform.python_version()}, "
          f"numpy {np.__version__}, pymap3d {pymap3d.__version__}")
    print(f"points: {args.n:,}, best of {args.repeat}; max |range difference| {diff_m:.2e} m")
    print("| implementation | time (s) | points/s |")
    print("|---|---|---|")
    for name, t in (("geocover.geodetic2aer", t_ours), ("pymap3d.geodetic2aer", t_peer)):
        print(f"| {name} | {t:.3f} | {args.n / t:,.0f} |")
    print(f"speed-up over pymap3d: {t_peer / t_ours:.2f}x")


if __name__ == "__main__":
    main()
