"""Verdicts with their robustness: a scenario's footprint and city verdicts over many
parameter sets drawn from its ``[uncertain]`` table (:mod:`geocover.uncertainty`), with
Sobol' (or Morris) sensitivity indices saying which assumption decides each verdict.

Every parameter set is applied to the scenario (:func:`geocover.uncertainty.apply_sample`)
and engaged by the one engine (:class:`geocover.footprint.Architecture`, its
``engage_points``) on the scenario's grid and on the catalog's target cities; nothing here
re-implements the engagement rule.

Definitions (per cell or city, per launch site):

``p_reachable``
    share of the parameter sets in which the threat can reach it (the threat class may be
    uncertain);
``p_defended``
    share of the sets *in which it is reachable* in which it is defended (battle space > 0);
    NaN where no set reaches it. For ``_all``: defended against every launch site that
    reaches it, among the sets in which at least one does (the footprint's "all" rule).

Work is split into tasks of (block of parameter sets x grid chunk) plus one task per block
for the cities, run in one process, on a local Dask cluster or on an existing one
(:class:`geocover.search.Executor`: retries, progress bar). Tasks return integer counts per
cell and per-set areas; the client adds them in task order, so the result is the same
whichever scheduler runs them.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from dataclasses import dataclass, field

import numpy as np

from .catalog import Site
from .compare import cell_areas_km2, defended_over_pairs
from .errors import InputError
from .footprint import Architecture, checked_grid
from .geodesy import grid_centres
from .scenario import Scenario
from .uncertainty import Design, apply_sample, check_design, sample

__all__ = ["RobustnessResult", "analyse_output", "plot_tornado", "robustness", "sensitivity", "verdict_robustness"]

#: Cells per ``aim``/``engage`` call: Architecture.engage_points' default block.
ENGINE_BLOCK = 4096
#: Grid cells per task; a multiple of :data:`ENGINE_BLOCK` so a chunk is engaged in the same
#: blocks as the whole grid.
CHUNK_CELLS = 4 * ENGINE_BLOCK
#: Parameter sets per task (at most; fewer on a cluster when the run is small, so that every
#: worker gets tasks).
SETS_PER_TASK = 16
#: Quantiles of the battle space in cities.csv (%).
QUANTILES = (5, 50, 95)


@dataclass
class RobustnessResult:
    """Counts over the parameter sets and per-set city results.

    Grids are (rows, cols), row 0 the northern edge. City arrays are (sets, launches, cities).
    """

    scenario: Scenario
    design: Design
    launches: list[str]
    west_deg: float
    north_deg: float
    resolution_deg: float
    shape: tuple[int, int]
    defended_count: dict[str, np.ndarray]  # per launch and "all"
    reachable_count: dict[str, np.ndarray]
    defended_area_km2: np.ndarray  # per set: area defended against all launches that reach it
    cities: list[Site]
    city_reachable: np.ndarray
    city_defended: np.ndarray
    city_battle_space_s: np.ndarray
    indices: dict = field(default_factory=dict)

    @property
    def n_sets(self) -> int:
        return len(self.design)

    def p_reachable(self, name: str) -> np.ndarray:
        return (self.reachable_count[name] / self.n_sets).astype(np.float32)

    def p_defended(self, name: str) -> np.ndarray:
        """Share of the sets that reach a cell in which it is defended (NaN: never reached)."""
        r = self.reachable_count[name]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(r > 0, self.defended_count[name] / np.maximum(r, 1), np.nan).astype(np.float32)

    def city_defended_all(self) -> tuple[np.ndarray, np.ndarray]:
        """(sets, cities) arrays: reachable from some launch site, and defended against every
        launch site that reaches it (the footprint's "all" rule, as examples/claims.py counts)."""
        return defended_over_pairs(self.city_reachable, self.city_defended, axis=1)

    def city_rows(self) -> list[dict]:
        """Per city and launch: p_defended, p_reachable, battle-space quantiles (over the sets
        that reach it; 0 s where undefended) and the drivers (largest indices)."""
        rows = []
        for j, lid in enumerate(self.launches):
            for k, c in enumerate(self.cities):
                reach = self.city_reachable[:, j, k]
                n = int(reach.sum())
                bs = self.city_battle_space_s[reach, j, k]
                q = np.percentile(bs, QUANTILES) if n else [math.nan] * len(QUANTILES)
                ind = self.indices.get("cities", {}).get(c.id, {}).get(lid, {})
                rows.append({"target": c.id, "launch": lid, "sets": self.n_sets, "sets_reachable": n,
                             "p_reachable": n / self.n_sets,
                             "p_defended": float(self.city_defended[reach, j, k].mean()) if n else None,
                             **{f"battle_space_p{p}_s": (None if not n else float(v)) for p, v in zip(QUANTILES, q,
                                                                                                      strict=True)},
                             "drivers": " ".join(ind.get("drivers", [])),
                             "lat_deg": c.lat_deg, "lon_deg": c.lon_deg})
        return rows


# ------------------------------------------------------------------ tasks
_ARCH: dict[tuple, Architecture] = {}


def _architecture(job: dict, i: int) -> Architecture:
    """The engine for parameter set ``i`` (cached in the worker process: a set's engine is
    built once, whichever chunks of it the worker runs; its flyout tables come from
    :func:`_tables`)."""
    values = job["values"][i]
    key = (job["token"], tuple(sorted(values.items())))  # sets with equal values share one engine
    arch = _ARCH.get(key)
    if arch is None:
        if len(_ARCH) >= 64:
            _ARCH.pop(next(iter(_ARCH)))
        sc = apply_sample(job["scenario"], values)
        arch = Architecture(sc, model=job["model"], tables=_tables(sc))
        _ARCH[key] = arch
    return arch


_TABLES: dict = {}


def _tables(sc: Scenario) -> dict:
    """Flyout tables of the scenario's batteries, kept in the worker per interceptor record
    less its commit delay (which the flyout does not read: the launch waits for it, the
    flight does not; tests/test_robustness.py checks the tables are equal): a set that
    leaves a battery's flyout unchanged (most sets of a Sobol'/Saltelli or Morris design, and
    every set that draws only a commit delay) reuses its table, built by the same
    :func:`geocover.interceptor.flyout_table` from an equal record (0.1-0.8 s each)."""
    from .interceptor import flyout_table

    out = {}
    for iid, rec in sc.interceptors.items():
        key = dataclasses.replace(rec, commit_delay_s=0.0)
        t = _TABLES.get(key)
        if t is None:
            if len(_TABLES) >= 64:
                _TABLES.pop(next(iter(_TABLES)))
            t = _TABLES[key] = flyout_table(rec)
        out[iid] = t
    return out


_AIMED: dict[tuple, list] = {}


def aimed_blocks(job: dict, arch: Architecture, site, missile, lat: np.ndarray, lon: np.ndarray,
                 where: tuple, *, keep_all: bool) -> list:
    """Per engine block of ``lat``/``lon``: (trajectories, or None unless ``keep_all``; reachable;
    indices of the reachable targets; their trajectories alone), aimed once per worker, missile class, launch site and
    chunk: the aim depends on the threat only, not on the radars or batteries, so every
    parameter set with that class reuses it (the same ``aim`` calls, on the same blocks, as
    ``engage_points``). Without ``keep_all`` only the reachable flights are kept (half the
    memory of keeping both), for callers that engage those alone."""
    key = (job["token"], missile, site.id, where, keep_all)
    aimed = _AIMED.get(key)
    if aimed is None:
        if len(_AIMED) >= 256:
            _AIMED.pop(next(iter(_AIMED)))
        aimed = []
        for i in range(0, lat.size, ENGINE_BLOCK):
            traj, ok = arch.aim(site.lat_deg, site.lon_deg, lat[i:i + ENGINE_BLOCK], lon[i:i + ENGINE_BLOCK],
                                missile=missile)
            idx = np.flatnonzero(ok)
            sub = traj.subset(idx) if 0 < idx.size < ok.size else traj
            aimed.append((traj if keep_all else None, ok, idx, sub))
        _AIMED[key] = aimed
    return aimed


def forget_aimed(tokens) -> None:
    """Drop the aimed trajectories that :func:`aimed_blocks` keeps for the jobs (or searches)
    whose token is in ``tokens``."""
    for key in [k for k in _AIMED if k[0] in tokens]:
        del _AIMED[key]


def _engage(job: dict, arch: Architecture, site, missile, lat: np.ndarray, lon: np.ndarray, where: tuple, *,
            reachable_only: bool):
    """(reachable, defended, battle space s; NaN where unreachable) of ``arch.engage_points(site,
    lat, lon, missile=missile)``.

    ``reachable_only`` engages only the reachable flights of each block. A flight's
    verdict does not depend on the other flights of its block (:mod:`geocover.sampling` pads
    each flight's refinement with zero-weight copies of its impact) and an unreachable one is
    never defended, so ``reachable`` and ``defended`` are the same, bit for bit, at the cost
    of the reachable flights only (a third-site Shahab-3 reaches 2-10 % of the grid); the
    battle space may differ in its last bits (its trapezoid sum runs over as many samples
    as the block's most refined flight has), so the cities, whose battle spaces are
    reported, are engaged in whole blocks (tests/test_robustness.py,
    ``test_reachable_only_grid_is_exact``)."""
    reach = np.zeros(lat.size, bool)
    dfd = np.zeros(lat.size, bool)
    bs = np.full(lat.size, np.nan)
    start = 0
    blocks = aimed_blocks(job, arch, site, missile, lat, lon, where, keep_all=not reachable_only)
    for traj, ok, idx, sub in blocks:
        at = slice(start, start + ok.size)
        start += ok.size
        if not reachable_only:
            e = arch.engage(traj, ok)
            reach[at], dfd[at], bs[at] = e.reachable, e.defended, e.battle_space_s
        elif idx.size:
            e = arch.engage(sub, np.ones(idx.size, bool))
            at = at.start + idx
            reach[at], dfd[at], bs[at] = e.reachable, e.defended, e.battle_space_s
    return reach, dfd, bs


def _engage_launch(job: dict, arch: Architecture, site, lat: np.ndarray, lon: np.ndarray, where: tuple):
    """(reachable, defended, battle space s) against every missile class of the threat set
    launched from ``site``, combined as the footprint combines them (the engine's
    DEFENDED_RULE): reachable by some class, defended against every class that reaches,
    the least battle space over those classes (NaN where none reaches)."""
    r_all, d_all, bs_all = None, None, None
    for m in arch.scenario.missiles_for(site.id):
        r, d, bs = _engage(job, arch, site, m, lat, lon, where, reachable_only=where[0] == "grid")
        d = d & r
        bs = np.where(r, bs, np.nan)
        if r_all is None:
            r_all, d_all, bs_all = r, d | ~r, bs
        else:
            r_all, d_all, bs_all = r_all | r, d_all & (d | ~r), np.fmin(bs_all, bs)
    return r_all, d_all & r_all, bs_all


def _run_task(job: dict, item: tuple[int, int, int]):
    """One task: sets [lo, hi) against grid chunk ``c`` (and the cities with chunk 0)."""
    from ._heap import kept_heap

    lo, hi, c = item
    sc: Scenario = job["scenario"]
    sites = [sc.catalog.launch_site(lid) for lid in job["launches"]]
    # the sets' engagements reuse freed heap instead of faulting it afresh (third-site-2007, 16
    # sets at 0.5 deg, 1 thread: 6.4 -> 5.9 CPU-s, 300,000 -> 17,000 minor page faults)
    with kept_heap():
        return (_grid_part(job, sites, lo, hi, c) if job["chunks"] else None,
                _city_part(job, sites, lo, hi) if c == 0 else None)


def _city_part(job: dict, sites: list, lo: int, hi: int):
    """Reachable, defended and battle space (s) of the catalog's cities, (sets, launches, cities)."""
    lat, lon = job["city_lat"], job["city_lon"]
    shape = (hi - lo, len(sites), lat.size)
    reach, dfd, bs = np.zeros(shape, bool), np.zeros(shape, bool), np.full(shape, np.nan)
    for s in range(lo, hi):
        arch = _architecture(job, s)
        for j, site in enumerate(sites):
            reach[s - lo, j], dfd[s - lo, j], bs[s - lo, j] = _engage_launch(job, arch, site, lat, lon, ("cities",))
    return reach, dfd, bs


def _grid_part(job: dict, sites: list, lo: int, hi: int, c: int):
    """Per-cell defended and reachable counts (launches, then "all") over sets [lo, hi) in
    grid chunk ``c``, and each set's area (km²) defended against all launches there."""
    a, b = job["chunks"][c]
    lat, lon = job["lat"][a:b], job["lon"][a:b]
    areas = job["cell_area_km2"][a:b]
    n_l = len(sites)
    dcount = np.zeros((n_l + 1, b - a), np.int32)
    rcount = np.zeros((n_l + 1, b - a), np.int32)
    area = np.zeros(hi - lo)
    for s in range(lo, hi):
        arch = _architecture(job, s)
        any_reach = np.zeros(b - a, bool)
        all_ok = np.ones(b - a, bool)
        for j, site in enumerate(sites):
            r, d, _ = _engage_launch(job, arch, site, lat, lon, ("grid", c))
            rcount[j] += r
            dcount[j] += d
            any_reach |= r
            all_ok &= d | ~r
        d_all = any_reach & all_ok
        rcount[n_l] += any_reach
        dcount[n_l] += d_all
        area[s - lo] = float(areas[d_all].sum())
    return dcount, rcount, area


def overridden_uncertain(scenario: Scenario) -> list[tuple[str, str, str, object]]:
    """The radar and interceptor fields that the scenario sets in ``[overrides]`` and also
    draws in ``[uncertain]``.

    Such a file is valid (every other command uses the override; a refusal broke files that
    worked, see tests/test_robust_inputs.py), but in a robustness run the drawn value replaces
    the override in every parameter set (:func:`geocover.uncertainty.apply_sample` applies the
    draws to the scenario's records, which already hold the override), so the override has no
    effect there; the command line says so.

    Returns
    -------
    list of (kind, record id, field, override value)
        ``kind`` is ``"radars"`` or ``"interceptors"``; in the order of the ``[uncertain]``
        parameters. Empty when there is no ``[uncertain]`` table.
    """
    if scenario.uncertain is None or not len(scenario.uncertain):
        return []
    out = []
    for key in scenario.uncertain.names:
        kind, _, rest = key.partition(".")
        rid, _, name = rest.rpartition(".")
        record = scenario.overrides.get(kind, {}).get(rid, {})
        if name in record:
            out.append((kind, rid, name, record[name]))
    return out


def robustness(scenario: Scenario, n_sets: int, *, seed: int = 0, method: str = "auto",
               launches: list[str] | None = None, resolution_deg: float | None = None,
               bbox_deg=None, scheduler: str | None = "none", workers: int = 2, progress: bool | None = None,
               model=None, design: Design | None = None, executor=None, max_cells: int = 4_000_000,
               indices: bool = True, grid: bool = True) -> RobustnessResult:
    """Run the scenario's engagements over ``n_sets`` sampled parameter sets.

    Parameters
    ----------
    scenario : Scenario
        With an ``[uncertain]`` table (:attr:`Scenario.uncertain`).
    n_sets : int
        Parameter sets asked for (the design may use fewer: whole base samples).
    seed : int
        Seed of the design (same seed, same sets, same results on any scheduler).
    method : {"auto", "sobol", "morris"}
    launches : list of str, optional
        Launch-site ids [default: the scenario's].
    resolution_deg, bbox_deg : optional
        Grid [default: the scenario's].
    scheduler : str
        ``"none"`` (one process), ``"local"`` (a LocalCluster of ``workers``) or ``tcp://...``.
    design : Design, optional
        Use this design instead of sampling (tests).
    executor : geocover.search.Executor, optional
        An executor already started (its scheduler is used).
    grid : bool
        False: the cities only (no grid is engaged; the result's grid counts are empty and
        its per-set defended areas NaN): seconds instead of minutes, for claims and tests.

    Raises
    ------
    InputError, CatalogError
        No uncertain parameter, too few samples, a sampled set that fails validation, a
        grid too large.
    """
    from .refraction import DEFAULT_VISIBILITY_MODEL
    from .search import Executor

    space = scenario.uncertain
    if space is None or not len(space):
        raise InputError(f"{scenario.path}: the scenario has no [uncertain] table: nothing to sample "
                         "(docs/scenario-format.md, [uncertain])")
    design = design or sample(space, n_sets, seed=seed, method=method)
    check_design(scenario, design)
    launches = list(launches or scenario.launch_sites)
    bbox = tuple(bbox_deg or scenario.bbox_deg)
    res = float(resolution_deg or scenario.resolution_deg)
    checked = checked_grid(bbox, res, max_cells)
    nrow, ncol = checked.shape
    west, north = checked.west_deg, checked.north_deg
    lats, lons = grid_centres(west, north, nrow, ncol, res)
    cells = nrow * ncol
    cities = list(scenario.catalog.sites("target"))
    job = {"token": uuid.uuid4().hex, "scenario": scenario, "values": design.values, "launches": launches,
           "model": model or DEFAULT_VISIBILITY_MODEL, "lat": np.repeat(lats, ncol), "lon": np.tile(lons, nrow),
           "cell_area_km2": np.repeat(cell_areas_km2(north, nrow, res), ncol),
           "chunks": [(a, min(a + CHUNK_CELLS, cells)) for a in range(0, cells, CHUNK_CELLS)] if grid else [],
           "city_lat": np.array([c.lat_deg for c in cities]), "city_lon": np.array([c.lon_deg for c in cities])}
    n = len(design)
    own = executor is None
    ex = executor or Executor(scheduler, workers=workers, progress=progress)
    n_chunks = max(len(job["chunks"]), 1)
    per_task = SETS_PER_TASK
    if getattr(ex, "client", None) is not None:
        # at least 4 tasks per worker where the run allows (16 sets on one chunk would be one
        # task: one busy worker); the counts are integers and each set's area adds its chunks
        # in chunk order, so the result does not depend on the block size
        per_task = max(1, min(SETS_PER_TASK, n * n_chunks // (4 * max(ex.workers, 1))))
    blocks = [(lo, min(lo + per_task, n)) for lo in range(0, n, per_task)]
    items = [(lo, hi, c) for lo, hi in blocks for c in range(n_chunks)]
    try:
        out = ex.map(_run_task, items, job, desc="parameter sets x chunks")
    finally:
        if own:
            ex.close()
    n_l = len(launches)
    names = [*launches, "all"]
    dcount = np.zeros((n_l + 1, cells), np.int64)
    rcount = np.zeros((n_l + 1, cells), np.int64)
    area = np.zeros(n)
    shape3 = (n, n_l, len(cities))
    c_reach, c_def, c_bs = np.zeros(shape3, bool), np.zeros(shape3, bool), np.full(shape3, np.nan)
    for (lo, hi, c), (part, city) in zip(items, out, strict=True):
        if city is not None:
            c_reach[lo:hi], c_def[lo:hi], c_bs[lo:hi] = city
        if part is None:
            continue
        a, b = job["chunks"][c]
        dcount[:, a:b] += part[0]
        rcount[:, a:b] += part[1]
        area[lo:hi] += part[2]
    if not grid:
        area[:] = np.nan
    result = RobustnessResult(
        scenario, design, launches, west, north, res, (nrow, ncol),
        {k: dcount[i].reshape(nrow, ncol) for i, k in enumerate(names)} if grid else {},
        {k: rcount[i].reshape(nrow, ncol) for i, k in enumerate(names)} if grid else {},
        area, cities, c_reach, c_def & c_reach, np.where(c_reach, np.nan_to_num(c_bs, nan=0.0), np.nan))
    if indices:
        result.indices = sensitivity(result)
    return result


# ------------------------------------------------------------------ sensitivity
def analyse_output(design: Design, names: list[str], y: np.ndarray, problem: dict, *, top: int = 2) -> dict:
    """Indices of one output ``y`` (one value per set): Sobol' S1/ST with 95 % bootstrap
    confidence half-widths, or Morris mu*/sigma with mu*'s; ``drivers``: the ``top``
    parameters with the largest ST (mu*) above zero. A constant output has no indices
    (``variance`` 0: no parameter changes it)."""
    import warnings

    y = np.asarray(y, float)
    var = float(np.var(y))
    out: dict = {"mean": float(np.mean(y)), "variance": var}
    if var == 0.0 or design.method == "qmc":  # qmc: a plain design (uncertainty.sample_plain) has no indices
        out.update({"indices": {k: None for k in names}, "drivers": []})
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if design.method == "sobol":
            from SALib.analyze import sobol as sobol_analyze

            s = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=200, conf_level=0.95,
                                      seed=design.seed)
            idx = {k: {"S1": float(s["S1"][i]), "S1_conf": float(s["S1_conf"][i]), "ST": float(s["ST"][i]),
                       "ST_conf": float(s["ST_conf"][i])} for i, k in enumerate(names)}
            rank = "ST"
        else:
            from SALib.analyze import morris as morris_analyze

            s = morris_analyze.analyze(problem, design.unit, y, num_resamples=200, conf_level=0.95,
                                       num_levels=4, seed=design.seed)
            idx = {k: {"mu_star": float(s["mu_star"][i]), "mu_star_conf": float(s["mu_star_conf"][i]),
                       "sigma": float(s["sigma"][i])} for i, k in enumerate(names)}
            rank = "mu_star"
    order = sorted(names, key=lambda k: -(np.nan_to_num(idx[k][rank])))
    out.update({"indices": idx, "drivers": [k for k in order[:top] if np.nan_to_num(idx[k][rank]) > 0]})
    return out


def sensitivity(res: RobustnessResult) -> dict:
    """Sensitivity indices (see :func:`_analyse`) of the defended area (km², against all
    launches) and of each city's verdict (1 defended, 0 not; unreachable counts 0) per launch."""
    design = res.design
    space = res.scenario.uncertain
    names, problem = space.names, space.problem()
    out = {"method": design.method,
           "index_names": (["S1", "S1_conf", "ST", "ST_conf"] if design.method == "sobol"
                           else ["mu_star", "mu_star_conf", "sigma"] if design.method == "morris" else []),
           "note": design.note, "sets": len(design), "base_samples": design.base, "seed": design.seed,
           "confidence_level": 0.95,
           "parameters": [p.describe() for p in space.parameters],
           "defended_area_km2": (analyse_output(design, names, res.defended_area_km2, problem)
                                 if res.defended_count else None),  # None: cities only (grid=False)
           "cities": {}}
    for j, lid in enumerate(res.launches):
        for k, c in enumerate(res.cities):
            y = res.city_defended[:, j, k].astype(float)
            out["cities"].setdefault(c.id, {})[lid] = analyse_output(design, names, y, problem)
    return out


def plot_tornado(indices: dict, *, title: str = "", caption: str = "", ax=None):
    """A tornado chart of one output's indices: total (ST, bars) and first-order (S1, dots)
    Sobol' indices with their 95 % intervals, or Morris mu* with its interval, largest on
    top. ``indices``: one entry of :func:`sensitivity` (e.g. ``["cities"]["paris"]["tabriz"]``);
    ``ax`` drawn on if given, else a new figure (no pyplot, no backend change); returns the figure."""
    from .plots import finish_figure, new_figure, plain_text

    idx = {k: v for k, v in (indices.get("indices") or {}).items() if v is not None}
    sobol = any("ST" in v for v in idx.values())
    key = "ST" if sobol else "mu_star"
    names = sorted(idx, key=lambda k: np.nan_to_num(idx[k][key]))
    if ax is None:
        fig, ax = new_figure((6.4, 0.45 * max(len(names), 1) + 1.6))
    fig = ax.figure
    y = np.arange(len(names))
    vals = [np.nan_to_num(idx[k][key]) for k in names]
    conf = [np.nan_to_num(idx[k][f"{key}_conf"]) for k in names]
    ax.barh(y, vals, xerr=conf, color="#4477aa", alpha=0.8, label="total (ST)" if sobol else "mu*", capsize=3)
    if sobol:
        ax.errorbar([np.nan_to_num(idx[k]["S1"]) for k in names], y,
                    xerr=[np.nan_to_num(idx[k]["S1_conf"]) for k in names], fmt="o", color="#cc6677",
                    label="first order (S1)", capsize=3)
        ax.set_xlabel("Sobol' index (share of the verdict's variance), 95 % interval")
    else:
        ax.set_xlabel("Morris mu* (mean absolute elementary effect), 95 % interval")
    ax.set_yticks(y)
    ax.set_yticklabels([plain_text(n) for n in names], fontsize=8, parse_math=False, usetex=False)
    ax.axvline(0, color="k", lw=0.6)
    ax.grid(axis="x", alpha=0.3)
    if not names:
        ax.text(0.5, 0.5, "no parameter changes this verdict", ha="center", va="center", transform=ax.transAxes)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(plain_text(title), fontsize=10)
    finish_figure(fig, caption)
    return fig


def verdict_robustness(res: RobustnessResult, verdict) -> dict:
    """How robust a claim's verdict is: ``verdict(defended, reachable)`` is evaluated per
    parameter set on dicts city id -> bool (defended against every launch that reaches it;
    reachable from some launch) and returns True where the verdict holds. Returns the share
    of sets where it holds (``p``), the sets, and the parameters that decide it
    (:func:`analyse_output` of the 0/1 outcome)."""
    reach, ok = res.city_defended_all()
    ids = [c.id for c in res.cities]
    y = np.array([bool(verdict(dict(zip(ids, ok[i], strict=True)), dict(zip(ids, reach[i], strict=True))))
                  for i in range(res.n_sets)], float)
    space = res.scenario.uncertain
    ana = analyse_output(res.design, space.names, y, space.problem())
    return {"p": float(y.mean()), "sets": res.n_sets, "method": res.design.method, "drivers": ana["drivers"],
            "indices": ana["indices"]}
