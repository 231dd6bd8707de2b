"""``geocover robustness``: a scenario's verdicts over its uncertain parameters, with the
sensitivity indices that say which assumption decides them."""

from __future__ import annotations

import csv
import io
import json
import os
import time

import click
import numpy as np

from ..errors import PATH_CHARS, InputError, quoted, shown
from ..export import atomic_write_text, check_output_dir, staged_output, write_geotiff
from ..scenario import load_scenario
from ..uncertainty import METHODS
from .options import (
    QuantityType,
    catalog_option,
    get_catalog,
    launch_ids_option,
    model_option,
    nonempty,
    note,
    out_dir_option,
    progress_bars,
)

#: Cities drawn in tornado.png when --city is not given: those whose verdict varies most.
TORNADO_CITIES = 4
CITY_COLUMNS = ("target", "launch", "sets", "sets_reachable", "p_reachable", "p_defended", "battle_space_p5_s",
                "battle_space_p50_s", "battle_space_p95_s", "drivers", "lat_deg", "lon_deg")


@click.command("robustness")
@click.argument("scenario_name", metavar="SCENARIO")
@click.option("--samples", "n_sets", type=click.IntRange(min=1, max=100_000), default=256, show_default=True,
              help="Parameter sets to draw (Sobol': N (D + 2); Morris: r (D + 1); rounded down).")
@click.option("--method", type=click.Choice(METHODS), default="auto", show_default=True,
              help="Sensitivity method; auto: Sobol' when --samples allows 8 base samples, else Morris.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the design.")
@click.option("--launch", "launch_ids", callback=nonempty,
              help="Launch sites, comma-separated [default: the scenario's].")
@click.option("--resolution", "resolution_deg", type=QuantityType("angle", minimum=0, strict_min=True),
              help="Grid cell size [default: the scenario's].")
@click.option("--city", "city_ids", callback=nonempty,
              help=f"Cities of interest for tornado.png, comma-separated [default: the {TORNADO_CITIES} "
                   "whose verdict varies most].")
@click.option("--scheduler", default="local", show_default=True, callback=nonempty,
              help="'local' (a Dask LocalCluster here), 'none' (one process) or tcp://HOST:8786.")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=2, show_default=True,
              help="Workers of the local cluster.")
@model_option
@out_dir_option()
@catalog_option
def command(scenario_name, n_sets, method, seed, launch_ids, resolution_deg, city_ids, scheduler, workers, model,
            out_dir, catalog_files) -> None:
    """How robust are SCENARIO's verdicts over its [uncertain] parameters? Draws parameter
    sets (Sobol'/Saltelli or Morris design, reproducible with --seed), engages each on the
    scenario's grid and the catalog's cities, and writes p_defended_<launch>.tif and
    p_defended_all.tif (share of the sets that reach a cell in which it is defended),
    p_reachable_*.tif, cities.csv (p_defended, p_reachable, battle-space 5/50/95 % and the
    drivers), sensitivity.json (indices with 95 % intervals), tornado.png and map.html (the
    scenario map with a P(defended) layer; `geocover map SCENARIO --robustness DIR` redraws it)."""
    check_output_dir(out_dir)
    sc = load_scenario(scenario_name, get_catalog(catalog_files))
    launches = launch_ids_option(launch_ids, sc.catalog) or list(sc.launch_sites)
    cities = None
    if city_ids:
        from .options import id_list

        cities = id_list(city_ids, "--city", "city id")
        for c in cities:
            site = sc.catalog.site(c)
            if site.kind != "target":
                raise InputError(f"--city {quoted(c)} is a {site.kind} site, not a target city")
    from ..robustness import overridden_uncertain, plot_tornado, robustness
    from ..uncertainty import check_design, sample

    space = sc.uncertain
    if space is None or not len(space):
        raise InputError(f"{sc.path}: the scenario has no [uncertain] table: nothing to sample "
                         "(docs/scenario-format.md, [uncertain])")
    design = sample(space, n_sets, seed=seed, method=method)  # bad input fails here, before any work
    check_design(sc, design)
    for kind, rid, name, value in overridden_uncertain(sc):
        note(f"{shown(sc.path, PATH_CHARS)}: {name} of {kind[:-1]} {rid} is set in [overrides.{kind}.{rid}] "
             f"({name} = {quoted(value)}) and drawn in [uncertain.{kind}.{rid}]: the robustness draws replace the "
             "override in every parameter set (other commands use the override)")
    click.echo(f"{sc.id}: {len(design)} parameter sets ({design.note}) x {len(launches)} launch sites; "
               f"scheduler {scheduler}", err=True)
    t0 = time.perf_counter()
    res = robustness(sc, n_sets, design=design, launches=launches, resolution_deg=resolution_deg,
                     scheduler=scheduler, workers=workers, progress=progress_bars(), model=model)
    elapsed = time.perf_counter() - t0
    rows = res.city_rows()
    ind = res.indices
    if cities is None:  # the verdicts that vary most (p nearest 1/2), then the first launch
        spread = {}
        for r in rows:
            if r["p_defended"] is not None:
                spread[r["target"]] = max(spread.get(r["target"], 0.0), r["p_defended"] * (1 - r["p_defended"]))
        cities = [c for c, v in sorted(spread.items(), key=lambda kv: -kv[1]) if v > 0][:TORNADO_CITIES]
    # run: one token per run, so that a raster left in --out by an earlier run (another --launch
    # list) is told apart by `map --robustness` (geocover.maps.read_p_defended)
    props = {"scenario": sc.id, "sets": len(design), "method": design.method, "seed": seed,
             "run": os.urandom(8).hex()}
    with staged_output(out_dir) as stage:
        for name in [*launches, "all"]:
            what = "every launch site that reaches it" if name == "all" else name
            write_geotiff(stage / f"p_defended_{name}.tif", res.p_defended(name), west_deg=res.west_deg,
                          north_deg=res.north_deg, resolution_deg=res.resolution_deg,
                          description=f"share of parameter sets in which the cell is defended against {what}, "
                                      "among the sets in which it is reachable; NaN: never reachable",
                          units="1", tags={**props, "launch": name})
            write_geotiff(stage / f"p_reachable_{name}.tif", res.p_reachable(name), west_deg=res.west_deg,
                          north_deg=res.north_deg, resolution_deg=res.resolution_deg,
                          description=f"share of parameter sets in which {'some launch' if name == 'all' else name}"
                                      " reaches the cell", units="1", tags={**props, "launch": name})
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(CITY_COLUMNS), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if r.get(k) is None else r.get(k) for k in CITY_COLUMNS})
        atomic_write_text(stage / "cities.csv", buf.getvalue())
        atomic_write_text(stage / "sensitivity.json", json.dumps(
            {"scenario": sc.id, "file": str(sc.path), "launches": launches, "resolution_deg": res.resolution_deg,
             **ind}, indent=1, allow_nan=False, default=_json_default) + "\n")
        _tornado(stage / "tornado.png", ind, cities, launches, sc.id, plot_tornado)
        _map(stage / "map.html", sc, res, launches, seed, model)
        written = sorted(p.name for p in stage.iterdir())
    click.echo(f"wrote {', '.join(written)} to {out_dir} ({elapsed:.1f} s)")
    area = ind["defended_area_km2"]
    click.echo(f"  defended area (all launches): mean {area['mean'] / 1e6:.2f} million km2; "
               f"drivers: {', '.join(area['drivers']) or 'none (constant)'}")
    for c in cities:
        for r in rows:
            if r["target"] == c and r["p_defended"] is not None:
                click.echo(f"  {c} vs {r['launch']}: defended in {100 * r['p_defended']:.0f} % of the sets that "
                           f"reach it; drivers: {r['drivers'] or 'none'}")


def _json_default(v):
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    raise TypeError(type(v))


def _map(path, sc, res, launches: list[str], seed: int, model) -> None:
    """map.html: the scenario map with the P(defended) grids written to the .tif files
    (geocover.maps.p_defended_map). Its deterministic footprint, hidden at first under the
    P(defended) layer, is drawn at the run's resolution but no finer than 1 deg (a few
    CPU-seconds, not a second run of the grid)."""
    from ..maps import p_defended_map, save_map

    p = {"grids": {n: res.p_defended(n) for n in ["all", *launches]},
         "west_deg": res.west_deg, "north_deg": res.north_deg, "resolution_deg": res.resolution_deg,
         "n_sets": res.n_sets, "method": res.design.method, "seed": seed}
    save_map(p_defended_map(sc, p, footprint_resolution_deg=max(res.resolution_deg, 1.0),
                            **({"model": model} if model else {})), path)


def _tornado(path, ind: dict, cities: list[str], launches: list[str], scenario_id: str, plot_tornado) -> None:
    """tornado.png: one panel per city of interest (its first launch with a varying verdict,
    else the first launch), or the defended area when no city verdict varies."""
    from ..plots import new_figure, save_figure

    panels = []
    for c in cities:
        per = ind["cities"].get(c, {})
        lid = next((lid for lid in launches if per.get(lid, {}).get("variance")), launches[0])
        panels.append((f"{scenario_id}: {c} vs {lid}, defended (1) or not (0)", per.get(lid, {})))
    if not panels:
        panels = [(f"{scenario_id}: defended area (km², all launches)", ind["defended_area_km2"])]
    fig, axes = new_figure((6.4, 2.4 * len(panels) + 0.6), len(panels), 1)
    axes = np.atleast_1d(axes)
    for ax, (title, entry) in zip(axes, panels, strict=True):
        plot_tornado(entry, title=title, ax=ax)
    save_figure(fig, path)
