"""Scenario files: an architecture (radars with roles, interceptor batteries with their
fire-control radars), threats (launch sites x missile classes), a target grid and
parameter overrides, in TOML. Bundled scenarios live in ``data/scenarios/``; users write
their own. Schema errors name the file and the key, with close matches.

```toml
[scenario]
title = "..."            # required
year = 2007
description = "..."
sources = ["..."]        # where the architecture comes from
notional = ["..."]       # what is assumed

[radars]
early_warning = ["gabala"]            # searching radars whose tracks cue the others
fire_control = ["brdy-emr"]           # radars that can guide interceptors

[[interceptors]]
id = "redzikowo-gbi"                  # catalog interceptor battery
fire_control = ["brdy-emr"]           # optional: default all fire-control radars

[threats]
launch_sites = ["tabriz", "tehran"]
missile = "irbm"                      # one missile class ...

# ... or a threat set: several classes, each with its launch areas (instead of `missile`;
# `launch_sites` above is then the default of a class that does not list its own)
[[threats.classes]]
missile = "shahab-3"
launch_sites = ["tabriz"]
[[threats.classes]]
missile = "irbm"

[grid]
bbox_deg = [-12.0, 34.0, 45.0, 66.0] # west, south, east, north
resolution_deg = 0.25

[engagement]
min_track_s = 10.0
kill_assessment_s = 60.0
samples = 80

[overrides.radars.brdy-emr]           # any numeric catalog field
reference_range_m = 2.5e6
[overrides.interceptors.redzikowo-gbi]
burnout_speed_mps = 7700.0

[[sites]]                             # extra (e.g. notional) catalog records, same fields as the GeoJSON
id = "forward-radar"
kind = "radar"
...
```
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._paths import data_dir
from .catalog import (
    _KIND_CLASS,
    Catalog,
    Interceptor,
    Missile,
    Radar,
    _as_float,
    _short,
    check_record,
    load_catalog,
    read_toml,
    text_problem,
)
from .errors import PATH_CHARS, CatalogError, UnknownIdError, close_matches, quoted, shown, shown_key

if TYPE_CHECKING:
    from .uncertainty import ParameterSpace

__all__ = ["Scenario", "ThreatClass", "bundled_scenarios", "check_bbox", "load_scenario"]


def check_bbox(bbox) -> tuple[float, float, float, float]:
    """A [west, south, east, north] box in degrees: finite, south < north within [-90, 90],
    west < east, longitudes within [-180, 360] and at most 360 degrees wide."""
    if (not isinstance(bbox, (list, tuple)) or len(bbox) != 4
            or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bbox)):
        raise ValueError(f"must be [west, south, east, north] in degrees, got {_short(bbox)}")
    if any(_as_float(b) is None for b in bbox):
        raise ValueError(f"must be finite degrees, got {_short(list(bbox))}")
    w, s, e, n = (float(b) for b in bbox)
    if not (-90 <= s < n <= 90):
        raise ValueError(f"needs -90 <= south < north <= 90, got {quoted(list(bbox))}")
    if not (-180 <= w < e <= 360 and e - w <= 360):
        raise ValueError(f"needs -180 <= west < east <= 360 and at most 360 degrees wide, got {quoted(list(bbox))}")
    return w, s, e, n

#: Bounds (s) of a ``[[networks.links]]`` ``latency_s`` (also of its ``[uncertain]`` range).
LINK_LATENCY_S = (0.0, 3600.0)

_TOP = ("scenario", "radars", "interceptors", "threats", "grid", "engagement", "overrides", "sites", "sectors",
        "networks", "uncertain")


@dataclass
class Scenario:
    """A resolved scenario: catalog records with overrides applied."""

    id: str
    path: Path
    title: str
    year: int | None
    description: str
    sources: list[str]
    notional: list[str]
    radars: dict[str, Radar]
    early_warning: list[str]
    fire_control: list[str]
    interceptors: dict[str, Interceptor]
    interceptor_fire_control: dict[str, list[str]]
    launch_sites: list[str]
    missile: Missile
    bbox_deg: tuple[float, float, float, float]
    resolution_deg: float
    min_track_s: float = 10.0
    kill_assessment_s: float = 60.0
    samples: int = 80
    catalog: Catalog = field(repr=False, default_factory=Catalog)
    #: Sectoral defence (``[sectors]``): side -> ISO 3166 alpha-3 codes, and the rule
    #: (geocover.sectors.RULES) naming the responsible side.
    sectors: dict[str, list[str]] = field(default_factory=dict)
    sector_rule: str = "first"
    #: Uncertain parameters (``[uncertain]``, :mod:`geocover.uncertainty`); empty when none.
    uncertain: ParameterSpace | None = None
    #: The ``[overrides]`` applied to the records: ``"radars"``/``"interceptors"`` -> record
    #: id -> {field: value} (already in :attr:`radars` and :attr:`interceptors`).
    overrides: dict[str, dict[str, dict]] = field(default_factory=dict)
    #: Data fusion (``[networks]``): owner -> radar ids, and the links between owners
    #: (:class:`NetworkLink`); empty: every radar in one network (the default cue rule).
    networks: dict[str, list[str]] = field(default_factory=dict)
    network_links: list[NetworkLink] = field(default_factory=list)
    #: Threat set (``[[threats.classes]]``): missile classes with their launch areas; empty
    #: for the one-class form (``threats.missile``), see :attr:`threat_classes`.
    threat_set: list[ThreatClass] = field(default_factory=list)

    @property
    def threat_classes(self) -> list[ThreatClass]:
        """The threat set: every missile class with its launch areas. A scenario with one
        ``missile`` is the set of that class from every launch site."""
        return list(self.threat_set) or [ThreatClass(self.missile, tuple(self.launch_sites))]

    def missiles_for(self, launch_id: str) -> list[Missile]:
        """The missile classes launched from ``launch_id``: the classes of the threat set that
        list it; every class of the set for a launch site the scenario does not list (a
        ``--launch`` of the user's)."""
        classes = self.threat_classes
        return [c.missile for c in classes if launch_id in c.launch_sites] or [c.missile for c in classes]

    @property
    def threat_label(self) -> str:
        """Missile class ids of the threat set, comma-separated (the one class's id)."""
        return ",".join(c.missile.id for c in self.threat_classes)

    @property
    def links(self):
        """The radar-to-radar :class:`geocover.tracking.Link` list of the networks, or None
        (the default rule) for a scenario without ``[networks]``. Inside a network every
        searching radar cues every radar that cannot search, at once; a network link
        delivers every radar's track of the source network to every radar of the target
        network after ``latency_s``, as a cue or as early warning only."""
        if not self.networks:
            return None
        from .tracking import Link

        out = []
        for radars in self.networks.values():
            for a in radars:
                for b in radars:
                    if a != b and self.radars[a].can_search and not self.radars[b].can_search:
                        out.append(Link(a, b))
        for nl in self.network_links:
            for a in self.networks[nl.source]:
                for b in self.networks[nl.target]:
                    out.append(Link(a, b, nl.latency_s, nl.use))
        return out

    def with_interceptor_speed(self, speed_mps: float) -> Scenario:
        """The same scenario with every interceptor's burnout speed set (speed sweeps)."""
        new = {k: dataclasses.replace(v, burnout_speed_mps=float(speed_mps)) for k, v in self.interceptors.items()}
        return dataclasses.replace(self, interceptors=new)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary, written next to every footprint for reproducibility."""
        return {"id": self.id, "title": self.title, "year": self.year, "description": self.description,
                "sources": self.sources, "notional": self.notional, "file": str(self.path),
                "radars": {k: r.properties() for k, r in self.radars.items()},
                "early_warning": self.early_warning, "fire_control": self.fire_control,
                "interceptors": {k: i.properties() for k, i in self.interceptors.items()},
                "interceptor_fire_control": self.interceptor_fire_control,
                "launch_sites": self.launch_sites, "missile": dataclasses.asdict(self.missile),
                "threats": [{"missile": c.missile.id, "launch_sites": list(c.launch_sites)}
                            for c in self.threat_classes],
                "grid": {"bbox_deg": list(self.bbox_deg), "resolution_deg": self.resolution_deg},
                "engagement": {"min_track_s": self.min_track_s, "kill_assessment_s": self.kill_assessment_s,
                               "samples": self.samples},
                **({"sectors": {"rule": self.sector_rule, **self.sectors}} if self.sectors else {}),
                **({"networks": {**self.networks, "links": [dataclasses.asdict(x) for x in self.network_links]}}
                   if self.networks else {})}


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario ids and files."""
    return {p.stem: p for p in sorted((data_dir() / "scenarios").glob("*.toml"))}


def load_scenario(name_or_path: str | Path, catalog: Catalog | None = None) -> Scenario:
    """Load a bundled scenario by name (``"epaa-phase3-2018"``) or a TOML file by path."""
    text = str(name_or_path)
    bundled = bundled_scenarios()
    if text in bundled:
        path = bundled[text]
    else:
        if not text.strip():
            raise CatalogError("the scenario name is empty: give a bundled scenario ("
                               + ", ".join(bundled) + ") or a TOML file")
        path = Path(text)
        if path.is_dir():
            raise CatalogError(f"{shown(path, PATH_CHARS)}: is a folder, not a scenario file")
        if path.exists() and not path.is_file():
            raise CatalogError(f"{shown(path, PATH_CHARS)}: is not a regular file (a device or pipe), not a scenario "
                               "file")
        if not path.is_file():
            if path.suffix.lower() != ".toml" and "/" not in text:
                raise UnknownIdError("scenario", text, bundled)
            raise CatalogError(f"{shown(path, PATH_CHARS)}: scenario file not found")
    doc = read_toml(path, "scenario")
    return _resolve(path, doc, catalog or load_catalog())


class _Ctx:
    def __init__(self, path: Path, doc: dict):
        self.path, self.doc = path, doc

    def fail(self, key: str, msg: str) -> None:
        """Raise the error of ``key`` (file, then key path, then ``msg``); the key path may hold
        a user's key, so it is shown through :func:`geocover.errors.shown_key` (escaped, each
        part cut in the middle beyond 80 characters, keeping the tables and the field)."""
        raise CatalogError(f"{shown(self.path, PATH_CHARS)}: key '{shown_key(key)}': {msg}")

    def table(self, key: str, required: bool = True) -> dict:
        val = self.doc.get(key)
        if val is None:
            if required:
                self.fail(key, "is missing")
            return {}
        if not isinstance(val, dict):
            self.fail(key, "must be a table")
        return val

    def ids(self, key: str, value: Any, known, what: str) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"must be a list of {what} ids")
        for v in value:
            if v not in known:
                near = close_matches(v, known)
                hint = f"; did you mean {', '.join(quoted(m) for m in near)}?" if near else ""
                self.fail(key, f"unknown {what} {quoted(v)}{hint}")
        return list(dict.fromkeys(value))

    def number(self, key: str, value: Any, lo: float = 0.0, integer: bool = False,
               hi: float | None = None) -> float:
        if (isinstance(value, bool) or not isinstance(value, (int, float)) or _as_float(value) is None
                or value < lo or (hi is not None and value > hi)):
            rng = f"between {lo:g} and {hi:g}" if hi is not None else f">= {lo:g}"
            self.fail(key, f"must be a finite number {rng}, got {_short(value)}")
        if integer and int(value) != value:
            self.fail(key, f"must be a whole number, got {quoted(value)}")
        return float(value)

    def records(self, key: str, value: Any, allowed: tuple[str, ...]):
        """The tables of an array of tables (``[[key]]``): each checked to be a table with only
        ``allowed`` keys; yields (``key[i]``, table)."""
        if not isinstance(value, list):
            self.fail(key, f"must be a list of [[{key}]] tables ({', '.join(allowed)})")
        for i, rec in enumerate(value):
            rkey = f"{key}[{i}]"
            if not isinstance(rec, dict):
                self.fail(rkey, f"must be a table with {', '.join(allowed)}")
            self.keys(rkey, rec, allowed)
            yield rkey, rec

    def keys(self, key: str, table: dict, allowed: tuple[str, ...]) -> None:
        for k in table:
            if k not in allowed:
                near = close_matches(k, allowed)
                self.fail(f"{key}.{k}" if key else k, "unknown key" + (f"; did you mean {quoted(near[0])}?" if near
                                                                      else f"; use {', '.join(allowed)}"))

    def strings(self, key: str, value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"must be a list of strings, got {_short(value)}")
        return list(value)


def _resolve(path: Path, doc: dict, base: Catalog) -> Scenario:
    ctx = _Ctx(path, doc)
    for key in doc:
        if key not in _TOP:
            near = close_matches(key, _TOP)
            ctx.fail(key, "unknown section" + (f"; did you mean {quoted(near[0])}?" if near else ""))
    cat = Catalog({k: dict(v) for k, v in base.sites_by_kind.items()}, dict(base.missiles), list(base.files))
    sites = doc.get("sites", [])
    if not isinstance(sites, list):
        ctx.fail("sites", "must be a list of [[sites]] tables")
    for i, rec in enumerate(sites):
        _add_site(ctx, cat, i, rec)
    head = ctx.table("scenario")
    ctx.keys("scenario", head, ("title", "year", "description", "sources", "notional"))
    sources = ctx.strings("scenario.sources", head.get("sources", []))
    notional = ctx.strings("scenario.notional", head.get("notional", []))
    if "year" in head:
        ctx.number("scenario.year", head["year"], 1900, integer=True, hi=2200)
        if not isinstance(head["year"], int):
            ctx.fail("scenario.year", f"must be a whole number, got {_short(head['year'])}")
    title = head.get("title")
    if not isinstance(title, str) or not title.strip():
        ctx.fail("scenario.title", f"must be a non-empty string, got {_short(title)}")
    if not isinstance(head.get("description", ""), str):
        ctx.fail("scenario.description", f"must be a string, got {_short(head['description'])}")
    radars_t = ctx.table("radars")
    radar_ids = cat.sites_by_kind["radar"]
    ew = ctx.ids("radars.early_warning", radars_t.get("early_warning", []), radar_ids, "radar")
    fc = ctx.ids("radars.fire_control", radars_t.get("fire_control", []), radar_ids, "radar")
    for key in radars_t:
        if key not in ("early_warning", "fire_control"):
            ctx.fail(f"radars.{key}", "unknown key; use early_warning and fire_control")
    if not fc:
        ctx.fail("radars.fire_control", "needs at least one fire-control radar")
    ints = doc.get("interceptors")
    if not isinstance(ints, list) or not ints:
        ctx.fail("interceptors", "needs at least one [[interceptors]] table")
    int_ids = cat.sites_by_kind["interceptor"]
    interceptor_fc: dict[str, list[str]] = {}
    for j, it in enumerate(ints):
        key = f"interceptors[{j}]"
        if not isinstance(it, dict) or not isinstance(it.get("id"), str) or not it["id"]:
            ctx.fail(key, "needs an 'id' naming a catalog interceptor battery")
        ctx.keys(key, it, ("id", "fire_control"))
        iid = ctx.ids(f"{key}.id", it["id"], int_ids, "interceptor")[0]
        if iid in interceptor_fc:  # the second table would silently replace the first's fire_control
            first = next(k for k, t in enumerate(ints) if isinstance(t, dict) and t.get("id") == iid)
            ctx.fail(f"{key}.id", f"battery {quoted(iid)} is already listed in interceptors[{first}]; "
                                  "give it one [[interceptors]] table")
        its_fc = ctx.ids(f"{key}.fire_control", it.get("fire_control", fc), radar_ids, "radar")
        if not its_fc:
            ctx.fail(f"{key}.fire_control", "needs at least one fire-control radar")
        for r in its_fc:
            if r not in fc:
                ctx.fail(f"{key}.fire_control", f"radar {quoted(r)} is not listed in radars.fire_control")
        interceptor_fc[iid] = its_fc
    threats = ctx.table("threats")
    ctx.keys("threats", threats, ("launch_sites", "missile", "classes"))
    launches, mid, threat_set = _threats(ctx, threats, cat)
    grid = ctx.table("grid")
    ctx.keys("grid", grid, ("bbox_deg", "resolution_deg"))
    bbox = grid.get("bbox_deg")
    try:
        bbox = check_bbox(bbox)
    except ValueError as exc:
        ctx.fail("grid.bbox_deg", str(exc))
    res = ctx.number("grid.resolution_deg", grid.get("resolution_deg", 0.25), 1e-3, hi=10.0)
    eng = ctx.table("engagement", required=False)
    ctx.keys("engagement", eng, ("min_track_s", "kill_assessment_s", "samples"))
    radars = {r: cat.radar(r) for r in dict.fromkeys(ew + fc)}
    interceptors = {i: cat.interceptor(i) for i in interceptor_fc}
    overrides = ctx.table("overrides", required=False)
    applied: dict[str, dict[str, dict]] = {}
    for kind, pool in (("radars", radars), ("interceptors", interceptors)):
        table = overrides.get(kind) or {}
        if not isinstance(table, dict):
            ctx.fail(f"overrides.{kind}", "must be a table of [overrides.{kind}.ID] tables")
        for rid, values in table.items():
            key = f"overrides.{kind}.{rid}"
            if rid not in pool:
                near = close_matches(rid, pool)
                ctx.fail(key, f"{quoted(rid)} is not in this scenario"
                         + (f"; did you mean {quoted(near[0])}?" if near else ""))
            if not isinstance(values, dict):
                ctx.fail(key, "must be a table of field = value")
            rec = pool[rid]
            unknown = [k for k in values if k not in type(rec).SPEC]
            if unknown:
                near = close_matches(unknown[0], type(rec).SPEC)
                ctx.fail(f"{key}.{unknown[0]}", "unknown field"
                         + (f"; did you mean {quoted(near[0])}?" if near else ""))
            for fixed in ("id", "kind"):
                if fixed in values and values[fixed] != getattr(rec, fixed):
                    ctx.fail(f"{key}.{fixed}", f"an override cannot change a record's {fixed} "
                                               f"({quoted(getattr(rec, fixed))} -> {_short(values[fixed])}); "
                                               "add a [[sites]] record instead")
            # Validated exactly like a catalog record, after merging: types, bounds and the
            # cross-field checks (elevation limits, intercept altitude window, speed range,
            # each value within its own _min/_max range).
            props = {**rec.properties(), **values}
            problems: list[str] = []
            known, _extra = check_record(type(rec), props, f"{path}: key '{key}'", problems, own_ranges=True)
            if problems:
                raise CatalogError(_first(problems))
            applied.setdefault(kind, {})[rid] = {k: known[k] for k in values}
            pool[rid] = dataclasses.replace(rec, **applied[kind][rid])
    for key in overrides:
        if key not in ("radars", "interceptors"):
            ctx.fail(f"overrides.{key}", "unknown key; use overrides.radars and overrides.interceptors")
    sectors, rule = _sectors(ctx)
    networks, net_links = _networks(ctx, list(dict.fromkeys(ew + fc)))
    from .uncertainty import parse_uncertain

    uncertain = parse_uncertain(ctx, doc.get("uncertain"), radars, interceptors, cat)
    sid = path.stem
    year = head.get("year")
    return dataclasses.replace(Scenario(
        sid, path, title.strip(), int(year) if isinstance(year, int) else None, str(head.get("description", "")),
        sources, notional,
        radars, ew, fc, interceptors, interceptor_fc, launches, cat.missile(mid),
        tuple(float(b) for b in bbox), res,
        ctx.number("engagement.min_track_s", eng.get("min_track_s", 10.0), hi=3600.0),
        ctx.number("engagement.kill_assessment_s", eng.get("kill_assessment_s", 60.0), hi=3600.0),
        int(ctx.number("engagement.samples", eng.get("samples", 80), 10, integer=True, hi=2000)), cat),
        sectors=sectors, sector_rule=rule, networks=networks, network_links=net_links,
        uncertain=uncertain, threat_set=threat_set, overrides=applied)


@dataclass(frozen=True)
class ThreatClass:
    """One missile class of a scenario's threat set and the launch sites it flies from."""

    missile: Missile
    launch_sites: tuple[str, ...]


def _threats(ctx: _Ctx, threats: dict, cat: Catalog) -> tuple[list[str], str, list[ThreatClass]]:
    """``[threats]``: ``launch_sites`` and one ``missile`` (the one-class form), or a threat
    set of ``[[threats.classes]]`` tables (``missile``, optional ``launch_sites`` defaulting
    to ``threats.launch_sites``). Returns (every launch site, in order; the id of the
    scenario's main class: the one class, or the longest-range class of the set; the set,
    empty for the one-class form)."""
    known = cat.sites_by_kind["launch"]
    launches = ctx.ids("threats.launch_sites", threats.get("launch_sites", []), known, "launch site")
    classes = threats.get("classes")
    if classes is None:
        if not launches:
            ctx.fail("threats.launch_sites", "needs at least one launch site")
        mid = threats.get("missile")
        if not isinstance(mid, str):
            ctx.fail("threats.missile", "must name a missile class (or use [[threats.classes]])")
        ctx.ids("threats.missile", mid, cat.missiles, "missile class")
        return launches, mid, []
    if "missile" in threats:
        ctx.fail("threats.missile", "give either one missile or a threat set of [[threats.classes]], not both")
    if classes == []:
        ctx.fail("threats.classes", "must be a list of [[threats.classes]] tables (missile, launch_sites)")
    out: list[ThreatClass] = []
    for key, c in ctx.records("threats.classes", classes, ("missile", "launch_sites")):
        mid = c.get("missile")
        if not isinstance(mid, str):
            ctx.fail(f"{key}.missile", "must name a missile class")
        ctx.ids(f"{key}.missile", mid, cat.missiles, "missile class")
        if any(t.missile.id == mid for t in out):
            ctx.fail(f"{key}.missile", f"class {quoted(mid)} is already in the threat set; give it one table")
        sites = ctx.ids(f"{key}.launch_sites", c["launch_sites"], known, "launch site") if "launch_sites" in c \
            else launches
        if not sites:
            ctx.fail(f"{key}.launch_sites", "needs at least one launch site (here or in threats.launch_sites)")
        out.append(ThreatClass(cat.missile(mid), tuple(sites)))
    every = list(dict.fromkeys(launches + [s for t in out for s in t.launch_sites]))
    main = max(out, key=lambda t: t.missile.range_m).missile.id
    return every, main, out


@dataclass(frozen=True)
class NetworkLink:
    """Tracks shared from one network (owner) to another: ``latency_s`` from the source's
    track to a usable track on the other side, and ``use`` ("cue" or "early_warning")."""

    source: str
    target: str
    latency_s: float = 0.0
    use: str = "cue"


def _networks(ctx: _Ctx, scenario_radars: list[str]) -> tuple[dict[str, list[str]], list[NetworkLink]]:
    """``[networks]``: owner = [radar ids of this scenario] (each radar in one network; radars
    left out form a network of their own, named after the radar) and ``[[networks.links]]``
    tables with ``from``, ``to`` (network names), ``latency_s`` (>= 0) and ``use``."""
    table = ctx.table("networks", required=False)
    if not table:
        return {}, []
    from .tracking import LINK_USES

    out: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for name, radars in table.items():
        if name == "links":
            continue
        key = f"networks.{name}"
        ids = ctx.ids(key, radars, scenario_radars, "radar of this scenario")
        if not ids:
            ctx.fail(key, "needs at least one radar")
        for r in ids:
            if r in owner:
                ctx.fail(key, f"radar {quoted(r)} is already in network {quoted(owner[r])}")
            owner[r] = name
        out[name] = ids
    if not out:
        ctx.fail("networks", "needs at least one network: owner = [\"radar-id\", ...]")
    for r in scenario_radars:
        if r not in owner:
            if r in out:  # the radar's own network would replace the one named like it, silently
                ctx.fail(f"networks.{r}", f"radar {quoted(r)} is in no network, and a radar left out forms a network "
                                          f"of its own named after it: put {quoted(r)} in a network or rename this one")
            out[r] = [r]
    links: list[NetworkLink] = []
    for key, lk in ctx.records("networks.links", table.get("links", []), ("from", "to", "latency_s", "use")):
        ends = []
        for end in ("from", "to"):
            v = lk.get(end)
            if not isinstance(v, str) or v not in out:
                near = close_matches(v, out) if isinstance(v, str) else []
                ctx.fail(f"{key}.{end}", f"unknown network {_short(v)}"
                         + (f"; did you mean {quoted(near[0])}?" if near else f"; use one of {', '.join(out)}"))
            ends.append(v)
        if ends[0] == ends[1]:
            ctx.fail(f"{key}.to", "a network shares its tracks with itself already")
        lat = ctx.number(f"{key}.latency_s", lk.get("latency_s", 0.0), LINK_LATENCY_S[0], hi=LINK_LATENCY_S[1])
        use = lk.get("use", "cue")
        if use not in LINK_USES:
            ctx.fail(f"{key}.use", f"must be one of {', '.join(LINK_USES)}, got {_short(use)}")
        if any((nl.source, nl.target, nl.use) == (ends[0], ends[1], use) for nl in links):
            ctx.fail(key, f"a link from {quoted(ends[0])} to {quoted(ends[1])} with use {quoted(use)} is already given "
                          "(only the shorter latency would count, silently); give one")
        links.append(NetworkLink(ends[0], ends[1], lat, use))
    return out, links


def _sectors(ctx: _Ctx) -> tuple[dict[str, list[str]], str]:
    """``[sectors]``: ``rule = "first"|"longest"`` and one list of ISO 3166 alpha-3 codes per
    side; a code must name a bundled country outline and belong to one side only."""
    table = ctx.table("sectors", required=False)
    if not table:
        return {}, "first"
    from .sectors import RULES, country_codes

    rule = table.get("rule", "first")
    if rule not in RULES:
        ctx.fail("sectors.rule", f"must be one of {', '.join(RULES)}, got {_short(rule)}")
    known = country_codes()
    out: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for side, codes in table.items():
        if side == "rule":
            continue
        key = f"sectors.{side}"
        if not side.strip():  # a side is shown by its name (engage's responsible_side, map labels)
            ctx.fail(key, "a side needs a name: write e.g. nato = [\"POL\", ...]")
        if (problem := text_problem(side)) is not None:
            ctx.fail(key, f"side name {problem}")
        codes = ctx.strings(key, codes)
        if not codes:
            ctx.fail(key, "needs at least one ISO 3166 alpha-3 country code")
        for c in codes:
            if c not in known:
                near = close_matches(c, known)
                ctx.fail(key, f"unknown country code {quoted(c)} (ISO 3166 alpha-3 of a bundled outline)"
                         + (f"; did you mean {', '.join(quoted(m) for m in near)}?" if near else ""))
            if c in owner:
                ctx.fail(key, f"country {quoted(c)} is already in sector {quoted(owner[c])}")
            owner[c] = side
        out[side] = list(dict.fromkeys(codes))
    if not out:
        ctx.fail("sectors", "needs at least one side: side = [\"ISO\", ...]")
    return out, rule


def _add_site(ctx: _Ctx, cat: Catalog, i: int, rec: Any) -> None:
    key = f"sites[{i}]"
    if not isinstance(rec, dict):
        ctx.fail(key, "must be a table")
    kind = rec.get("kind")
    if not isinstance(kind, str) or kind not in _KIND_CLASS:
        ctx.fail(f"{key}.kind", f"must be one of {', '.join(_KIND_CLASS)}, got {_short(kind)}")
    cls = _KIND_CLASS[kind]
    problems: list[str] = []
    rid = rec.get("id")
    where = f"{shown(ctx.path, PATH_CHARS)}: key '{shown_key(key)}'" + (
        f" (record {quoted(rid)})" if isinstance(rid, str) and rid else "")
    known, extra = check_record(cls, rec, where, problems, own_ranges=True)
    for name in ("lat_deg", "lon_deg"):
        if name not in rec:
            problems.append(f"{where}: field {quoted(name)} is missing")
    if problems:
        raise CatalogError(_first(problems))
    if cat.kind_of(known["id"]):
        ctx.fail(f"{key}.id", f"{quoted(known['id'])} is already in the catalog")
    cat.sites_by_kind[kind][known["id"]] = cls(**known, extra=extra)


def _first(problems: list[str]) -> str:
    """The first problem, with a count of the others."""
    more = len(problems) - 1
    return problems[0] + (f" (and {more} more problem{'s' if more > 1 else ''} in this table)" if more else "")
