"""Benchmark: a 100-threat mixed raid against a three-battery architecture.

Goal (issue 14, "Speed"): ``run_raid`` on a 100-threat mixed raid (IRBM and Sejjil-2 class
threats from five Iranian launch areas toward ten NATO cities) against ``epaa-phase3-2018``
(three batteries: Aegis east Mediterranean, Deveselu, Redzikowo) in <= 2 s.

Measured: ``run_raid(sc, groups, doctrine=salvo:2, archs=archs)`` with the architectures built
before the timer (as ``geocover raid`` builds them once per speed), best and worst of --repeat,
after one warm-up call (numba kernels, refraction tables and flyout tables are built once per
process); and the first ("cold") call in the same process, architectures included, for
reference. Peer: a straightforward per-threat loop, one ``Architecture.engage`` of the whole
scenario per threat (no grouping of identical flights), timed on the same raid, to show what
grouping by (launch, class) and sharing the tracks buys.

    python benchmarks/bench_raid.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from geocover.footprint import Architecture
    from geocover.raid import RaidGroup, battery_architectures, parse_doctrine, run_raid
    from geocover.scenario import load_scenario
    from geocover.trajectory import aim_missile

    sc = load_scenario("epaa-phase3-2018")
    launches = ["tabriz", "tehran", "isfahan", "shahrud", "kermanshah"]
    targets = ["london", "paris", "berlin", "warsaw", "rome", "bucharest", "athens", "ankara", "sofia", "budapest"]
    groups = [RaidGroup(launches[i % 5], targets[i % 10], "irbm" if i % 3 else "sejjil-2", 2) for i in range(50)]
    assert sum(g.count for g in groups) == 100 and len(sc.interceptors) == 3
    doc = parse_doctrine("salvo:2")
    t0 = time.perf_counter()
    archs = battery_architectures(sc)
    r = run_raid(sc, groups, doctrine=doc, archs=archs)
    cold = time.perf_counter() - t0
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        r = run_raid(sc, groups, doctrine=doc, archs=archs)
        times.append(time.perf_counter() - t0)
    d = r.to_dict()
    arch = Architecture(sc)
    cat = sc.catalog
    t0 = time.perf_counter()
    defended = 0
    for g in groups:
        s, t = cat.launch_site(g.launch), cat.target(g.target)
        for _ in range(g.count):
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                traj, ok = aim_missile(cat.missile(g.missile), s.lat_deg, s.lon_deg, np.array([t.lat_deg]),
                                       np.array([t.lon_deg]), errors="mask")
            defended += bool(arch.engage(traj, ok).defended[0])
    peer = time.perf_counter() - t0
    assert defended == d["threats_engageable"], (defended, d["threats_engageable"])
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"numpy {np.__version__}")
    print(f"raid: 100 threats in {len(groups)} groups, 3 batteries, salvo:2; engageable {d['threats_engageable']}, "
          f"engaged {d['threats_engaged']}, expected leakers {d['expected_leakers']:.2f}")
    print("| measurement | time (s) |")
    print("|---|---|")
    print(f"| run_raid, architectures built, best of {args.repeat} | {min(times):.3f} |")
    print(f"| run_raid, worst of {args.repeat} | {max(times):.3f} |")
    print(f"| first call in the process (architectures, tables, kernels) | {cold:.3f} |")
    print(f"| peer: one engagement per threat (whole architecture) | {peer:.3f} |")
    print(f"goal <= 2 s: {'met' if min(times) <= 2.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
