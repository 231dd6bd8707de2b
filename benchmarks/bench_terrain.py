"""Benchmark: terrain mask, coverage polygons and MDA raster, with gdal_viewshed side by side.

For one site (default: Kürecik) on the bundled DEM stack, best of N wall-clock repeats:

(a) ``terrain_mask``: 3,600 azimuths (0.1 deg) x 300 km, recomputed (``cache=False``);
(b) ``coverage_at_altitudes`` for 4 altitudes once the mask exists;
(c) ``min_detectable_altitude`` on a 1,000 x 1,000 grid once the mask exists;
(d) the peer, in the same run: ``gdal_viewshed`` (a subprocess, so its start-up is
    included) on the equivalent DEM window, the bundled 2' DEM reprojected by ``gdalwarp``
    to an azimuthal-equidistant grid centred on the site, 300 km radius; only the viewshed
    call is timed (the ``gdalwarp`` time is reported on its own row).

Targets of the terrain issue: mask < 1 s; coverage polygons for 4 altitudes < 1 s once the
mask exists; 1,000 x 1,000 MDA raster < 2 s.

    python benchmarks/bench_terrain.py [--site kurecik] [--repeat 3] [--cell-m 1000]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import cpu_model

import geocover
from geocover.coverage import coverage_at_altitudes, min_detectable_altitude
from geocover.radar import RadarView
from geocover.terrain import DemStack, terrain_mask

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DEM = ROOT / "data" / "dem" / "dem_globe2m_max.tif"
#: Above the antenna of high sites (Kürecik: 2,090 m MSL): with a 0 deg minimum elevation a target
#: below the antenna is never seen, and its polygon would be empty (and free to compute).
ALTITUDES_M = (3_000.0, 5_000.0, 10_000.0, 20_000.0)
RADIUS_M = 300_000


def best_time(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out




def gdal_version() -> str:
    try:
        return subprocess.run(["gdalinfo", "--version"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "GDAL not found"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", default="kurecik", help="radar id from the bundled catalog")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cell-m", type=float, default=1000.0, help="AEQD cell size for gdal_viewshed (m)")
    args = ap.parse_args()
    os.environ.setdefault("GEOCOVER_CACHE_DIR", tempfile.mkdtemp(prefix="geocover-bench-"))

    radar = geocover.default_catalog().radar(args.site)
    lat0, lon0, h_ant = radar.lat_deg, radar.lon_deg, radar.antenna_height_msl_m
    rows: list[tuple[str, float, str]] = []

    # (a) terrain mask, recomputed every time; the DEM stack is built once (rasters read on first use).
    stack = DemStack()
    t0 = time.perf_counter()
    terrain_mask(lat0, lon0, h_ant, dem=stack, cache=False)
    cold = time.perf_counter() - t0
    t_mask, mask = best_time(lambda: terrain_mask(lat0, lon0, h_ant, dem=stack, cache=False), args.repeat)
    n_az, n_s = mask.elevation_deg.shape
    rows.append(("geocover `terrain_mask`", t_mask,
                 f"{n_az:,} azimuths x {mask.max_distance_m / 1e3:.0f} km, {n_s} samples/ray "
                 f"({mask.distances_m[1] - mask.distances_m[0]:.0f} m step), {stack.describe()}; "
                 f"first call incl. reading the rasters {cold:.2f} s; target < 1 s"))

    # (b) coverage polygons for 4 altitudes with that mask: the catalog sector and 360 degrees.
    view = RadarView(radar, terrain=mask)
    t_cov, feats = best_time(lambda: coverage_at_altitudes(view, ALTITUDES_M), args.repeat)
    rows.append(("geocover `coverage_at_altitudes`, catalog sector", t_cov,
                 f"{len(feats)} altitudes {', '.join(f'{a:g}' for a in ALTITUDES_M)} m, "
                 f"+-{radar.half_width_deg:g} deg; target < 1 s"))
    view360 = RadarView(dataclasses.replace(radar, half_width_deg=180.0), terrain=mask)
    t_cov360, _ = best_time(lambda: coverage_at_altitudes(view360, ALTITUDES_M), args.repeat)
    rows.append(("geocover `coverage_at_altitudes`, 360 deg", t_cov360, "same, full circle"))

    # (c) MDA raster, 1,000 x 1,000 cells over +-3 deg around the site.
    res = 0.006
    bounds = (lon0 - 3.0, lat0 - 3.0, lon0 + 3.0, lat0 + 3.0)
    t_mda, grid = best_time(lambda: min_detectable_altitude(view, bounds, res), args.repeat)
    rows.append(("geocover `min_detectable_altitude`", t_mda,
                 f"{grid.shape[0]:,} x {grid.shape[1]:,} cells of {res} deg, "
                 f"{np.isfinite(grid.values_m).mean():.0%} with a value; target < 2 s"))
    t_mda360, grid360 = best_time(lambda: min_detectable_altitude(view360, bounds, res), args.repeat)
    rows.append(("geocover `min_detectable_altitude`, 360 deg", t_mda360,
                 f"same grid, full circle, {np.isfinite(grid360.values_m).mean():.0%} with a value"))

    # (d) the peer: gdal_viewshed on the equivalent DEM window.
    if shutil.which("gdal_viewshed") and shutil.which("gdalwarp"):
        with tempfile.TemporaryDirectory() as tmp:
            dem = Path(tmp) / "aeqd.tif"
            half = RADIUS_M + args.cell_m / 2
            proj = f"+proj=aeqd +lat_0={lat0!r} +lon_0={lon0!r} +datum=WGS84 +units=m +no_defs"
            t0 = time.perf_counter()
            subprocess.run(["gdalwarp", "-q", "-overwrite", "-t_srs", proj, "-te", str(-half), str(-half),
                            str(half), str(half), "-tr", str(args.cell_m), str(args.cell_m), "-r", "bilinear",
                            "-ot", "Float32", str(SOURCE_DEM), str(dem)], check=True)
            t_warp = time.perf_counter() - t0
            import rasterio

            with rasterio.open(dem) as ds:
                z0 = float(ds.read(1)[ds.height // 2, ds.width // 2])
                shape = (ds.height, ds.width)
            oz = h_ant - z0
            cc = 6_378_137.0 / geocover.effective_earth_radius("4/3")  # see tests/test_viewshed_gdal.py
            cmd = ["gdal_viewshed", "-q", "-ox", "0", "-oy", "0", "-oz", f"{oz:.4f}", "-tz", "0",
                   "-md", str(RADIUS_M), "-cc", f"{cc:.6f}", str(dem), str(Path(tmp) / "vs.tif")]
            t_vs, _ = best_time(lambda: subprocess.run(cmd, check=True), args.repeat)
        rows.append(("`gdal_viewshed` (peer)", t_vs,
                     f"{shape[0]} x {shape[1]} AEQD cells of {args.cell_m:g} m, radius "
                     f"{RADIUS_M / 1e3:.0f} km, -tz 0, -cc {cc:.4f}; process start-up included"))
        rows.append(("`gdalwarp` to AEQD (peer's input, not in the row above)", t_warp,
                     "bilinear, once"))
    else:
        rows.append(("`gdal_viewshed` (peer)", float("nan"), "gdal-bin not installed"))

    try:
        ncpu = len(os.sched_getaffinity(0))
    except AttributeError:
        ncpu = os.cpu_count() or 0
    print(f"machine: {platform.platform()}, {ncpu} CPUs (nproc), {cpu_model()}; "
          f"Python {platform.python_version()}, numpy {np.__version__}, {gdal_version()}")
    print(f"site: {radar.id} ({lat0:.4f}, {lon0:.4f}), antenna {h_ant:g} m MSL; best of {args.repeat}")
    print()
    print("| operation | time (s) | notes |")
    print("|---|---|---|")
    for name, t, note in rows:
        print(f"| {name} | {t:.3f} | {note} |")


if __name__ == "__main__":
    main()
