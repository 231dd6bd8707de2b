"""Uncertain parameters of a scenario: the ``[uncertain]`` table, low-discrepancy designs
over it, and a sampled parameter set applied to the scenario.

The 2007-2011 debate was a dispute about parameters (GBI burnout speed, radar range
against an unstated RCS, commit times, the threat class). A scenario may declare which of
its parameters are uncertain, mirroring ``[overrides]``::

    [uncertain.interceptors.redzikowo-gbi]
    burnout_speed_mps = {low = 5400.0, high = 9000.0, source = "MDA 5.4 km/s; Postol up to ~9 km/s"}

    [uncertain.radars.brdy-emr]
    reference_range_m = {dist = "triangular", low = 1.5e6, mode = 2.0e6, high = 2.5e6}

    [uncertain.engagement]
    min_track_s = [5.0, 20.0]              # a bare [low, high] pair: uniform

    [uncertain.threats]
    missile = ["sejjil-2", "irbm"]         # categorical: one class per set, equally likely

    [uncertain.threats.classes.shahab-3]   # a threat set: its Shahab-3 class replaced by one of
    missile = ["shahab-3", "sejjil-2"]     # these per set, from the same launch sites

    [[uncertain.networks.links]]           # a [[networks.links]] link, named by its ends
    from = "russia"
    to = "nato"
    latency_s = {low = 0.0, high = 60.0, source = "notional"}

Distributions (``dist``): ``uniform`` (``low``, ``high``; the default, also as a bare
``[low, high]`` pair), ``triangular`` (``low``, ``mode``, ``high``), ``normal`` (``mean``,
``sd`` > 0, truncated to ``low`` < ``high``, both required) and ``choice`` (``choices``, a
list of missile-class ids; only ``threats.missile``). Every table may carry a ``source``
string (where the range comes from). ``low == high`` collapses a parameter to a point.

Every bound is validated like an override (the field's bounds, its type, the record's
cross-field checks with that value); every sampled set is validated again as a whole
(:func:`check_design`), before any engagement is run.

Designs (:func:`sample`) are drawn in the unit hypercube with SALib (Saltelli's scheme
over a scrambled Sobol' sequence for Sobol' indices, or Morris trajectories for elementary
effects when the sample count is small) and mapped through each parameter's inverse CDF
(scipy.stats); a categorical parameter takes class ``floor(u * k)``. The same seed gives
the same design.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import CatalogError, InputError, close_matches

if TYPE_CHECKING:
    from .scenario import Scenario

__all__ = ["DISTRIBUTIONS", "METHODS", "Design", "ParameterSpace", "UncertainParameter", "apply_sample",
           "check_design", "link_name", "min_samples", "parse_uncertain", "sample", "sample_plain"]

DISTRIBUTIONS = ("uniform", "triangular", "normal", "choice")
#: Design methods: Saltelli/Sobol' (first-order and total indices), Morris (mu*, sigma);
#: ``auto``: Sobol' when the sample count allows at least :data:`SOBOL_MIN_BASE` base samples.
METHODS = ("auto", "sobol", "morris")
#: Fewest base samples N of a Saltelli design (N (D + 2) sets): below 8 the bootstrap
#: confidence intervals of the indices are meaningless.
SOBOL_MIN_BASE = 8
#: Fewest Morris trajectories r (r (D + 1) sets): sigma and the bootstrap need several.
MORRIS_MIN_TRAJECTORIES = 4
#: Grid levels of the Morris design (SALib default; p = 4 with delta = p / (2 (p - 1))).
MORRIS_LEVELS = 4
_ENGAGEMENT_FIELDS = {"min_track_s": (0.0, 3600.0), "kill_assessment_s": (0.0, 3600.0)}
#: Parameter keys of a network link's latency: ``networks.links.<from>-><to>.latency_s``;
#: its bounds are those of ``[[networks.links]] latency_s`` (geocover.scenario.LINK_LATENCY_S).
LINK_PREFIX, LINK_SUFFIX = "networks.links.", ".latency_s"
#: Parameter keys of a threat-set class's choice: ``threats.classes.<class id>.missile``.
CLASS_PREFIX, CLASS_SUFFIX = "threats.classes.", ".missile"


def link_name(source: str, target: str) -> str:
    """The name of a network link in parameter keys: ``<from>-><to>``."""
    return f"{source}->{target}"


@dataclass(frozen=True)
class UncertainParameter:
    """One uncertain parameter.

    Attributes
    ----------
    key : str
        Dotted path: ``radars.<id>.<field>``, ``interceptors.<id>.<field>``,
        ``engagement.<field>``, ``threats.missile``, ``threats.classes.<class id>.missile`` or
        ``networks.links.<from>-><to>.latency_s``.
    dist : str
        One of :data:`DISTRIBUTIONS`.
    low, high, mode, mean, sd : float or None
        Distribution parameters, in the field's unit.
    choices : tuple of str
        Categorical classes (``dist == "choice"``).
    source : str
        Where the range comes from.
    """

    key: str
    dist: str
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    choices: tuple[str, ...] = ()
    source: str = ""

    @property
    def is_point(self) -> bool:
        """True when the parameter takes one value (a collapsed range or one choice)."""
        return len(self.choices) == 1 if self.dist == "choice" else self.low == self.high

    def ppf(self, u: np.ndarray) -> list:
        """Values at unit-interval quantiles ``u`` (inverse CDF; class ids for a choice)."""
        u = np.clip(np.asarray(u, float), 0.0, 1.0)
        if self.dist == "choice":
            k = len(self.choices)
            return [self.choices[i] for i in np.minimum((u * k).astype(int), k - 1)]
        lo, hi = float(self.low), float(self.high)
        if lo == hi:
            return [lo] * u.size
        if self.dist == "uniform":
            x = lo + u * (hi - lo)
        elif self.dist == "triangular":
            from scipy.stats import triang

            x = triang.ppf(u, (float(self.mode) - lo) / (hi - lo), loc=lo, scale=hi - lo)
        else:
            from scipy.stats import truncnorm

            a, b = (lo - self.mean) / self.sd, (hi - self.mean) / self.sd
            x = truncnorm.ppf(u, a, b, loc=self.mean, scale=self.sd)
        return [float(v) for v in np.clip(x, lo, hi)]

    def describe(self) -> dict:
        """JSON-ready description."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, (), "")} | (
            {"choices": list(self.choices)} if self.choices else {})


@dataclass(frozen=True)
class ParameterSpace:
    """The uncertain parameters of a scenario file, in file order."""

    path: Path
    parameters: tuple[UncertainParameter, ...] = ()

    def __len__(self) -> int:
        return len(self.parameters)

    @property
    def names(self) -> list[str]:
        return [p.key for p in self.parameters]

    def problem(self) -> dict:
        """The SALib problem: every parameter on the unit interval (mapped by :meth:`UncertainParameter.ppf`)."""
        return {"num_vars": len(self), "names": self.names, "bounds": [[0.0, 1.0]] * len(self)}

    def collapsed(self, values: dict[str, Any] | None = None) -> ParameterSpace:
        """The same parameters collapsed to points: ``values[key]`` or the range's low end
        (the first choice)."""
        values = values or {}
        out = []
        for p in self.parameters:
            v = values.get(p.key, p.choices[0] if p.dist == "choice" else p.low)
            out.append(dataclasses.replace(p, choices=(v,)) if p.dist == "choice" else
                       dataclasses.replace(p, dist="uniform", low=float(v), high=float(v), mode=None, mean=None,
                                           sd=None))
        return dataclasses.replace(self, parameters=tuple(out))

    def replace(self, key: str, **changes) -> ParameterSpace:
        """The space with one parameter's fields changed (e.g. a narrower range)."""
        if key not in self.names:
            raise InputError(f"no uncertain parameter {key!r}; have {', '.join(self.names)}")
        return dataclasses.replace(self, parameters=tuple(
            dataclasses.replace(p, **changes) if p.key == key else p for p in self.parameters))


@dataclass(frozen=True)
class Design:
    """Parameter sets drawn for a sensitivity method.

    Attributes
    ----------
    method : str
        ``"sobol"`` (Saltelli design, N (D + 2) sets), ``"morris"`` (r (D + 1) sets) or
        ``"qmc"`` (:func:`sample_plain`: no indices).
    unit : ndarray, shape (n, D)
        The design in the unit hypercube (what SALib analyses).
    values : list of dict
        Parameter key -> value for each set.
    base : int
        N (Sobol') or r (Morris).
    seed : int
    note : str
        Why this method, and any rounding of the sample count.
    """

    method: str
    unit: np.ndarray
    values: list[dict[str, Any]] = field(repr=False)
    base: int
    seed: int
    note: str = ""

    def __len__(self) -> int:
        return len(self.values)


def min_samples(n_parameters: int, method: str) -> int:
    """Fewest parameter sets a method accepts for D parameters."""
    d = max(n_parameters, 1)
    return SOBOL_MIN_BASE * (d + 2) if method == "sobol" else MORRIS_MIN_TRAJECTORIES * (d + 1)


def sample(space: ParameterSpace, n_sets: int, *, seed: int = 0, method: str = "auto") -> Design:
    """Draw at most ``n_sets`` parameter sets (reproducible for a seed).

    Parameters
    ----------
    space : ParameterSpace
    n_sets : int
        Parameter sets wanted; the design uses the largest whole number of base samples
        that fits (Sobol': N = n // (D + 2); Morris: r = n // (D + 1)).
    seed : int
        Seed of the scrambled Sobol' sequence / Morris trajectories.
    method : str
        One of :data:`METHODS`.

    Raises
    ------
    InputError
        No uncertain parameter, an unknown method, or fewer sets than the method needs
        (:func:`min_samples`).
    """
    if method not in METHODS:
        raise InputError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    d = len(space)
    if d == 0:
        raise InputError(f"{space.path}: the scenario has no [uncertain] table: nothing to sample")
    if method == "auto":
        method = "sobol" if n_sets >= min_samples(d, "sobol") else "morris"
        why = (f"Sobol' indices (Saltelli design: {n_sets} >= {min_samples(d, 'sobol')} sets for {d} parameters)"
               if method == "sobol" else
               f"Morris elementary effects (mu*, sigma): {n_sets} sets are fewer than the "
               f"{min_samples(d, 'sobol')} Sobol' indices need for {d} parameters")
    else:
        why = f"{method} chosen with --method"
    need = min_samples(d, method)
    if n_sets < need:
        raise InputError(f"--samples {n_sets} is too few for {method} with {d} uncertain parameter"
                         f"{'s' if d > 1 else ''} in {space.path}: at least {need}")
    import warnings

    problem = space.problem()
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        base = n_sets // (d + 2)
        with warnings.catch_warnings():
            # SALib warns when N is not a power of 2 (the Sobol' sequence's balance): stated in the note
            warnings.simplefilter("ignore")
            unit = sobol_sample.sample(problem, base, calc_second_order=False, scramble=True, seed=seed)
        if base & (base - 1):
            why += f"; N = {base} is not a power of 2 (the Sobol' sequence is balanced only for powers of 2)"
    else:
        from SALib.sample import morris as morris_sample

        base = n_sets // (d + 1)
        unit = morris_sample.sample(problem, base, num_levels=MORRIS_LEVELS, seed=seed)
    unit = np.asarray(unit, float)
    if len(unit) != n_sets:
        why += f"; {len(unit)} of the {n_sets} sets asked for (whole base samples)"
    cols = [p.ppf(unit[:, j]) for j, p in enumerate(space.parameters)]
    values = [{p.key: cols[j][i] for j, p in enumerate(space.parameters)} for i in range(len(unit))]
    return Design(method, unit, values, base, int(seed), why)


def sample_plain(space: ParameterSpace, n_sets: int, *, seed: int = 0) -> Design:
    """``n_sets`` parameter sets that only estimate how often a verdict holds (no
    sensitivity indices: method ``"qmc"``): a scrambled Sobol' sequence
    (:class:`scipy.stats.qmc.Sobol`, reproducible for a seed) mapped through each
    parameter's inverse CDF. Any ``n_sets`` >= 1 (the sequence is balanced for powers of 2):
    a handful of sets for a quick check where Saltelli's N (D + 2) or Morris's r (D + 1)
    would be too many.

    Raises
    ------
    InputError
        No uncertain parameter, or ``n_sets`` < 1.
    """
    import warnings

    from scipy.stats import qmc

    d = len(space)
    if d == 0:
        raise InputError(f"{space.path}: the scenario has no [uncertain] table: nothing to sample")
    if n_sets < 1:
        raise InputError(f"--samples must be >= 1, got {n_sets}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns when n is not a power of 2: stated in the note
        unit = qmc.Sobol(d, scramble=True, seed=seed).random(n_sets)
    cols = [p.ppf(unit[:, j]) for j, p in enumerate(space.parameters)]
    values = [{p.key: cols[j][i] for j, p in enumerate(space.parameters)} for i in range(n_sets)]
    return Design("qmc", unit, values, n_sets, int(seed),
                  "scrambled Sobol' points (scipy.stats.qmc): shares of sets only, no sensitivity indices")


# ------------------------------------------------------------------ applying a set
def apply_sample(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """The scenario with one parameter set applied (records replaced, validated).

    Raises
    ------
    CatalogError
        A value (or the record with it) fails the catalog's checks; the message names the
        scenario file and the ``uncertain`` key.
    """
    from .catalog import check_record

    radars, interceptors = dict(scenario.radars), dict(scenario.interceptors)
    per_record: dict[tuple[str, str], dict[str, float]] = {}
    changes: dict[str, Any] = {}
    for key, v in values.items():
        parts = key.split(".")
        if parts[0] in ("radars", "interceptors"):
            per_record.setdefault((parts[0], parts[1]), {})[parts[2]] = float(v)
        elif parts[0] == "engagement":
            changes[parts[1]] = float(v)
        elif key == "threats.missile":
            changes["missile"] = scenario.catalog.missile(v)
        elif key.startswith(CLASS_PREFIX) and key.endswith(CLASS_SUFFIX):
            cid = key[len(CLASS_PREFIX):-len(CLASS_SUFFIX)]
            tset = changes.get("threat_set", list(scenario.threat_set))
            hit = [i for i, tc in enumerate(scenario.threat_set) if tc.missile.id == cid]  # by the file's ids
            if not hit:
                raise InputError(f"{scenario.path}: uncertain key {key!r}: the threat set has no class {cid!r}")
            for i in hit:
                tset[i] = dataclasses.replace(tset[i], missile=scenario.catalog.missile(v))
            changes["threat_set"] = tset
            # the scenario's main class: the longest-ranged of the set, as the reader picks it
            changes["missile"] = max(tset, key=lambda tc: tc.missile.range_m).missile
        elif key.startswith(LINK_PREFIX) and key.endswith(LINK_SUFFIX):
            ends = key[len(LINK_PREFIX):-len(LINK_SUFFIX)]
            links = changes.get("network_links", list(scenario.network_links))
            hit = [i for i, nl in enumerate(links) if link_name(nl.source, nl.target) == ends]
            if not hit:
                raise InputError(f"{scenario.path}: uncertain key {key!r}: the scenario has no such link")
            for i in hit:
                links[i] = dataclasses.replace(links[i], latency_s=float(v))
            changes["network_links"] = links
        else:
            raise InputError(f"unknown uncertain key {key!r}")
    for (kind, rid), fields_ in per_record.items():
        pool = radars if kind == "radars" else interceptors
        rec = pool[rid]
        problems: list[str] = []
        where = f"{scenario.path}: key 'uncertain.{kind}.{rid}' (sampled {_fmt(fields_)})"
        known, _ = check_record(type(rec), {**rec.properties(), **fields_}, where, problems)
        if problems:
            raise CatalogError(problems[0])
        pool[rid] = dataclasses.replace(rec, **{k: known[k] for k in fields_})
    return dataclasses.replace(scenario, radars=radars, interceptors=interceptors, **changes)


#: Most uncertain fields of one record whose ranges are checked together, corner by corner
#: (2^n records to check).
MAX_CORNER_FIELDS = 12


def _check_corners(ctx, key: str, rec, rec_params: list[tuple[str, Any]]) -> None:
    """Refuse ranges of one record's fields that allow an invalid record together (e.g.
    ``min_elevation_deg`` 0-50 beside ``max_elevation_deg`` 40-90): every combination of
    their low and high ends goes through the record's cross-field checks, which compare
    fields pairwise, so a combination inside the ranges breaks one only if a corner does.
    Without this the file was refused or run depending on which sets --samples and --seed
    happened to draw."""
    from .catalog import check_record

    if not 2 <= len(rec_params) <= MAX_CORNER_FIELDS:
        return
    names = [n for n, _ in rec_params]
    for corner in itertools.product(*[(p.low, p.high) for _, p in rec_params]):
        values = dict(zip(names, corner, strict=True))
        problems: list[str] = []
        check_record(type(rec), {**rec.properties(), **values}, f"{ctx.path}: key '{key}'", problems)
        if problems:
            raise CatalogError(f"{problems[0]}: the ranges allow {_fmt(values)} together; narrow them so that "
                               "every combination is a valid record")


def check_design(scenario: Scenario, design: Design) -> None:
    """Apply every set of the design once (cheap): a set that breaks a cross-field check
    (e.g. a sampled minimum intercept altitude above the maximum) fails before any work."""
    for values in design.values:
        apply_sample(scenario, values)


def _fmt(values: dict) -> str:
    return ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in values.items())


# ------------------------------------------------------------------ parsing
def parse_uncertain(ctx, table: Any, radars: dict, interceptors: dict, catalog) -> ParameterSpace:
    """Validate a scenario's ``[uncertain]`` table (``ctx``: the scenario reader's context,
    whose ``fail(key, message)`` raises a :class:`CatalogError` naming the file and key)."""
    from .catalog import check_record

    if table is None:
        return ParameterSpace(ctx.path)
    if not isinstance(table, dict):
        ctx.fail("uncertain", "must be a table of [uncertain.radars.ID], [uncertain.interceptors.ID], "
                              "[uncertain.engagement], [uncertain.threats] and [[uncertain.networks.links]] tables")
    params: list[UncertainParameter] = []
    allowed = ("radars", "interceptors", "engagement", "threats", "networks")
    for top, sub in table.items():
        if top not in allowed:
            near = close_matches(top, allowed)
            ctx.fail(f"uncertain.{top}", "unknown key" + (f"; did you mean {near[0]!r}?" if near else
                                                         f"; use {', '.join(allowed)}"))
        if not isinstance(sub, dict):
            ctx.fail(f"uncertain.{top}", "must be a table")
        if top == "networks":
            params.extend(_links(ctx, sub))
            continue
        if top in ("radars", "interceptors"):
            pool = radars if top == "radars" else interceptors
            for rid, fields_ in sub.items():
                key = f"uncertain.{top}.{rid}"
                if rid not in pool:
                    near = close_matches(rid, pool)
                    ctx.fail(key, f"{rid!r} is not in this scenario" + (f"; did you mean {near[0]!r}?" if near
                                                                       else ""))
                if not isinstance(fields_, dict) or not fields_:
                    ctx.fail(key, "must be a table of field = range or distribution")
                rec = pool[rid]
                spec = type(rec).SPEC
                rec_params: list[tuple[str, Any]] = []
                for name, value in fields_.items():
                    fkey = f"{key}.{name}"
                    if name not in spec:
                        near = close_matches(name, spec)
                        ctx.fail(fkey, "names no catalog field" + (f"; did you mean {near[0]!r}?" if near else ""))
                    if spec[name].kind is not float:
                        ctx.fail(fkey, f"field {name!r} is not a real number: only numeric fields can be uncertain")
                    p = _numeric(ctx, fkey, value, f"{top}.{rid}.{name}")

                    def check(v, p=p, rec=rec, name=name, fkey=fkey):
                        problems: list[str] = []
                        check_record(type(rec), {**rec.properties(), name: v}, f"{ctx.path}: key '{fkey}'", problems)
                        return problems[0] if problems else None

                    for bound in ("low", "mode", "high"):
                        v = getattr(p, bound)
                        if v is not None:
                            err = check(v)
                            if err:
                                raise CatalogError(f"{err} ({bound} = {v:g})")
                    params.append(p)
                    rec_params.append((name, p))
                _check_corners(ctx, key, rec, rec_params)
        elif top == "engagement":
            for name, value in sub.items():
                fkey = f"uncertain.engagement.{name}"
                if name not in _ENGAGEMENT_FIELDS:
                    near = close_matches(name, _ENGAGEMENT_FIELDS)
                    ctx.fail(fkey, "unknown key" + (f"; did you mean {near[0]!r}?" if near else
                                                   f"; use {', '.join(_ENGAGEMENT_FIELDS)}"))
                p = _numeric(ctx, fkey, value, f"engagement.{name}")
                lo, hi = _ENGAGEMENT_FIELDS[name]
                for bound in ("low", "mode", "high"):
                    v = getattr(p, bound)
                    if v is not None and not lo <= v <= hi:
                        ctx.fail(fkey, f"{bound} = {v:g} is outside {lo:g}..{hi:g} s")
                params.append(p)
        else:
            threats = ctx.doc.get("threats")
            set_ids = ([c.get("missile") for c in threats["classes"] if isinstance(c, dict)]
                       if isinstance(threats, dict) and isinstance(threats.get("classes"), list) else [])
            for name, value in sub.items():
                fkey = f"uncertain.threats.{name}"
                if name == "classes":
                    params.extend(_class_choices(ctx, value, set_ids, catalog))
                    continue
                if name != "missile":
                    ctx.fail(fkey, "unknown key; only the threat class (missile, or a class of a threat set: "
                                   "[uncertain.threats.classes.ID]) can be uncertain")
                if set_ids:
                    ctx.fail(fkey, "the scenario has a threat set ([[threats.classes]]): every class is "
                                   "already engaged; to make one class of the set uncertain, use "
                                   f"[uncertain.threats.classes.{set_ids[0]}] missile = [...] (that class "
                                   "replaced by one of the choices, from its own launch sites)")
                params.append(_choice(ctx, fkey, value, catalog))
    return ParameterSpace(ctx.path, tuple(params))


def _class_choices(ctx, table: Any, set_ids: list, catalog) -> list[UncertainParameter]:
    """``[uncertain.threats.classes.<class id>]`` with ``missile`` = choices: per set, that
    class of the scenario's threat set is replaced by one of the choices (equally likely),
    flying from the class's own launch sites."""
    key = "uncertain.threats.classes"
    if not set_ids:
        ctx.fail(key, "the scenario has no threat set ([[threats.classes]]); use [uncertain.threats] "
                      "missile = [...] for its one class")
    if not isinstance(table, dict) or not table:
        ctx.fail(key, "must be tables [uncertain.threats.classes.ID] with missile = [...]")
    out = []
    for cid, sub in table.items():
        ckey = f"{key}.{cid}"
        if cid not in set_ids:
            ctx.fail(ckey, f"{cid!r} is not a class of this scenario's threat set (its classes: "
                           f"{', '.join(map(str, set_ids))})")
        if not isinstance(sub, dict) or set(sub) != {"missile"}:
            extra = [k for k in sub if k != "missile"] if isinstance(sub, dict) else []
            ctx.fail(f"{ckey}.{extra[0]}" if extra else ckey,
                     "unknown key; use missile = [...]" if extra else "must be a table with missile = [...]")
        p = _choice(ctx, f"{ckey}.missile", sub["missile"], catalog)
        out.append(dataclasses.replace(p, key=f"{CLASS_PREFIX}{cid}{CLASS_SUFFIX}"))
    return out


def _links(ctx, table: dict) -> list[UncertainParameter]:
    """``[[uncertain.networks.links]]``: tables with ``from`` and ``to`` naming a link of the
    scenario's ``[[networks.links]]`` (checked before this table) and ``latency_s`` as a range
    or distribution within the link's bounds (0-3600 s)."""
    from .scenario import LINK_LATENCY_S

    for k in table:
        if k != "links":
            ctx.fail(f"uncertain.networks.{k}", "unknown key; only link latencies can be uncertain: "
                                                "[[uncertain.networks.links]] with from, to and latency_s")
    if "links" not in table:
        ctx.fail("uncertain.networks", "needs [[uncertain.networks.links]] tables (from, to, latency_s)")
    raw = ctx.doc.get("networks")
    have = [(lk.get("from"), lk.get("to")) for lk in (raw.get("links", []) if isinstance(raw, dict) else [])
            if isinstance(lk, dict)]
    out: list[UncertainParameter] = []
    seen: set[tuple] = set()
    for key, lk in ctx.records("uncertain.networks.links", table["links"], ("from", "to", "latency_s")):
        ends = tuple(lk.get(e) for e in ("from", "to"))
        for e, v in zip(("from", "to"), ends, strict=True):
            if not isinstance(v, str):
                ctx.fail(f"{key}.{e}", "must be the name of a network (as in [[networks.links]])")
        if ends not in have:
            listed = ", ".join(f"from {a!r} to {b!r}" for a, b in have) or "none"
            ctx.fail(key, f"the scenario has no [[networks.links]] from {ends[0]!r} to {ends[1]!r} "
                          f"(its links: {listed})")
        if ends in seen:
            ctx.fail(key, f"lists the link from {ends[0]!r} to {ends[1]!r} twice")
        seen.add(ends)
        if "latency_s" not in lk:
            ctx.fail(key, "needs latency_s (a range or distribution, s)")
        fkey = f"{key}.latency_s"
        p = _numeric(ctx, fkey, lk["latency_s"], f"{LINK_PREFIX}{link_name(*ends)}{LINK_SUFFIX}")
        lo, hi = LINK_LATENCY_S
        for bound in ("low", "mode", "high"):
            v = getattr(p, bound)
            if v is not None and not lo <= v <= hi:
                ctx.fail(fkey, f"{bound} = {v:g} is outside {lo:g}..{hi:g} s")
        out.append(p)
    return out


_NUMERIC_KEYS = {"dist", "low", "high", "mode", "mean", "sd", "source"}


def _real(ctx, key: str, name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        ctx.fail(key, f"{name} must be a finite number, got {v!r}")
    return float(v)


def _numeric(ctx, key: str, value: Any, pkey: str) -> UncertainParameter:
    if isinstance(value, list):
        if len(value) != 2:
            ctx.fail(key, f"a range is [low, high] (two numbers), got {len(value)} values")
        value = {"dist": "uniform", "low": value[0], "high": value[1]}
    if not isinstance(value, dict):
        ctx.fail(key, "must be [low, high] or a table {dist = ..., ...}")
    for k in value:
        if k not in _NUMERIC_KEYS:
            near = close_matches(k, _NUMERIC_KEYS)
            ctx.fail(f"{key}.{k}", "unknown key" + (f"; did you mean {near[0]!r}?" if near else ""))
    dist = value.get("dist", "uniform")
    if dist not in DISTRIBUTIONS or dist == "choice":
        ctx.fail(f"{key}.dist", f"must be uniform, triangular or normal for a number, got {dist!r}")
    source = value.get("source", "")
    if not isinstance(source, str):
        ctx.fail(f"{key}.source", "must be a string")
    need = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
            "normal": ("mean", "sd", "low", "high")}[dist]
    for k in need:
        if k not in value:
            ctx.fail(key, f"a {dist} distribution needs {', '.join(need)}; {k} is missing")
    extra = [k for k in value if k not in (*need, "dist", "source")]
    if extra:
        ctx.fail(f"{key}.{extra[0]}", f"is not a parameter of a {dist} distribution (use {', '.join(need)})")
    v = {k: _real(ctx, key, k, value[k]) for k in need}
    if v["low"] > v["high"]:
        ctx.fail(key, f"low ({v['low']:g}) is greater than high ({v['high']:g})")
    if dist == "triangular" and not v["low"] <= v["mode"] <= v["high"]:
        ctx.fail(key, f"mode ({v['mode']:g}) must lie between low ({v['low']:g}) and high ({v['high']:g})")
    if dist == "normal":
        if not v["sd"] > 0:
            ctx.fail(key, f"sd must be > 0, got {v['sd']:g}")
        if not v["low"] < v["high"]:
            ctx.fail(key, f"a truncated normal needs low < high, got {v['low']:g} and {v['high']:g}")
        if not v["low"] <= v["mean"] <= v["high"]:
            # scipy's truncnorm.ppf loses the tail far from the mean: mean 1, sd 100 on
            # [5400, 9000] drew 9000 for a third of the sets instead of ~5400 (hostile review)
            ctx.fail(key, f"mean ({v['mean']:g}) must lie between low ({v['low']:g}) and high ({v['high']:g})")
    return UncertainParameter(pkey, dist, low=v["low"], high=v["high"], mode=v.get("mode"), mean=v.get("mean"),
                              sd=v.get("sd"), source=source)


def _choice(ctx, key: str, value: Any, catalog) -> UncertainParameter:
    source = ""
    if isinstance(value, dict):
        for k in value:
            if k not in ("dist", "choices", "source"):
                ctx.fail(f"{key}.{k}", "unknown key; use dist = \"choice\", choices and source")
        if value.get("dist", "choice") != "choice":
            ctx.fail(f"{key}.dist", f"the threat class is categorical: dist must be \"choice\", got "
                                    f"{value.get('dist')!r}")
        source = value.get("source", "")
        if not isinstance(source, str):
            ctx.fail(f"{key}.source", "must be a string")
        value = value.get("choices")
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        ctx.fail(key, "must be a non-empty list of missile-class ids")
    for c in value:
        if c not in catalog.missiles:
            near = close_matches(c, catalog.missiles)
            ctx.fail(key, f"unknown missile class {c!r}" + (f"; did you mean {', '.join(map(repr, near))}?" if near
                                                           else ""))
    if len(set(value)) != len(value):
        ctx.fail(key, "lists a missile class twice")
    return UncertainParameter("threats.missile", "choice", choices=tuple(value), source=source)
