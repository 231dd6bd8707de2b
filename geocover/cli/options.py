"""Shared click options and parameter types for every subcommand."""

from __future__ import annotations

import json
from typing import Any

import click

from ..catalog import MAX_BURNOUT_SPEED_MPS, Catalog, Site, load_catalog, parse_latlon
from ..errors import PATH_CHARS, GeocoverError, InputError, output_path_problem, quoted, tidy_message
from ..refraction import DEFAULT_VISIBILITY_MODEL, k_factor
from ..units import BASE_UNITS, parse_quantity, parse_quantity_list


def _opt_name(param) -> str:
    if param is None:
        return "value"
    opts = getattr(param, "opts", None) or [param.human_readable_name]
    return max(opts, key=len)


def nonempty(ctx, param, value):
    """Click callback: an option given as an empty string is a mistake, not 'the default'."""
    if isinstance(value, str) and value.strip() == "":
        raise click.BadParameter("must not be empty", ctx=ctx, param=param)
    return value


def output_name(ctx, param, value):
    """Click callback of every option naming an output file or folder (``--out``, ``-o``,
    ``--geojson`` ...): not empty, and no control, line-separator or bidirectional character
    (:func:`geocover.errors.output_path_problem`), refused as a usage error (exit status 2)
    that names the option; the value itself is not echoed back raw."""
    value = nonempty(ctx, param, value)
    if isinstance(value, str):
        problem = output_path_problem(value)
        if problem:
            raise click.BadParameter(f"{quoted(value, PATH_CHARS)} {problem}", ctx=ctx, param=param)
    return value


def out_dir_option(help_text: str = "Output folder."):
    """The ``--out`` option of the commands that write a folder of outputs (``out_dir``):
    required, not a file, its name checked by :func:`output_name`."""
    return click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, callback=output_name,
                        help=help_text)


class QuantityType(click.ParamType):
    """A number with an optional unit, converted to the base unit (``300km`` -> 300000.0)."""

    def __init__(self, dimension: str = "length", *, minimum: float | None = None,
                 strict_min: bool = False, maximum: float | None = None):
        self.dimension = dimension
        self.minimum = minimum
        self.strict_min = strict_min
        self.maximum = maximum
        self.name = dimension

    def convert(self, value: Any, param, ctx) -> float:
        if isinstance(value, float):
            return value
        try:
            out = parse_quantity(value, self.dimension, name=_opt_name(param))
        except GeocoverError as exc:
            self.fail(str(exc), param, ctx)
        if self.minimum is not None and (out <= self.minimum if self.strict_min else out < self.minimum):
            self.fail(f"{quoted(value)} must be {'>' if self.strict_min else '>='} {self.minimum:g}", param, ctx)
        if self.maximum is not None and out > self.maximum:
            self.fail(f"{quoted(value)} must be <= {self.maximum:g} {BASE_UNITS[self.dimension]}", param, ctx)
        return out


#: A burnout speed option (``footprint --interceptor-speed``, ``trajectory --speed``): > 0 and at
#: most the catalog's bound (:data:`geocover.catalog.MAX_BURNOUT_SPEED_MPS`), as a record's.
SPEED_TYPE = QuantityType("speed", minimum=0, strict_min=True, maximum=MAX_BURNOUT_SPEED_MPS)


class QuantityListType(QuantityType):
    """A comma-separated list of quantities (``100km,300km``)."""

    def convert(self, value: Any, param, ctx) -> list[float]:
        if isinstance(value, list):
            return value
        try:
            out = parse_quantity_list(value, self.dimension, name=_opt_name(param))
        except GeocoverError as exc:
            self.fail(str(exc), param, ctx)
        if self.minimum is not None and any(v < self.minimum for v in out):
            self.fail(f"every value in {quoted(value)} must be >= {self.minimum:g}", param, ctx)
        return out


#: Accepted k factors. k = 1 / (1 + R dN/dh): k = 0.1 is a refractivity gradient of about
#: +1,400 N-units/km (far beyond observed sub-refraction), k = 100 is -155 N/km, just short
#: of the -157 N/km ducting threshold where a k factor stops describing the ray (ITU-R P.453).
K_FACTOR_RANGE = (0.1, 100.0)


class ModelType(click.ParamType):
    """A refraction model: 4/3, gradient, crpl[:Ns], none, or a k factor within :data:`K_FACTOR_RANGE`."""

    name = "model"

    def convert(self, value: Any, param, ctx) -> str | float:
        try:
            k = k_factor(value)
        except GeocoverError as exc:
            self.fail(str(exc), param, ctx)
        lo, hi = K_FACTOR_RANGE
        if not lo <= k <= hi:
            self.fail(f"k factor {quoted(value)} is outside {lo:g} .. {hi:g} (beyond that the atmosphere "
                      "ducts and a k factor does not describe it)", param, ctx)
        text = str(value).strip().lower()
        return text if text in ("4/3", "gradient", "none") or text.startswith("crpl") else float(text)


catalog_option = click.option(
    "--catalog", "catalog_files", multiple=True, type=click.Path(dir_okay=False),
    help="Extra catalog file (.toml missiles; sites as .geojson or any vector file GDAL reads, any CRS: "
         "GeoPackage, FlatGeobuf, ...); repeatable. Records with a "
         "bundled id replace it.")
model_option = click.option(
    "--model", type=ModelType(), default=DEFAULT_VISIBILITY_MODEL, show_default=True,
    help="Refraction model: 4/3, gradient (dN/dh = -39e-9/m, MATLAB's default), crpl (CRPL exponential "
         "atmosphere, Ns = 313, ray-traced; crpl:NS for another Ns), none, or a k factor.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


#: Why ``footprint`` and ``compare`` run in one process unless told otherwise (their --help).
SCHEDULER_WHY = ("One process by default: a 200,000-cell grid is about 8 CPU-seconds for the engine "
                 "(benchmarks/README.md), and a local cluster takes seconds to start and load it in each "
                 "worker; a cluster pays off for finer grids, many launches or threat classes. The grid is split "
                 "into chunks on the engine's 4,096-cell blocks: results identical to one process.")


def scheduler_options(default: str = "none", why: str = ""):
    """``--scheduler none|local|tcp://HOST:8786`` and ``--workers N``, one definition for every
    command that can run on Dask (:class:`geocover.search.Executor`); ``default`` and a
    sentence ``why`` that default differ per command."""
    def deco(f):
        f = click.option("--workers", type=click.IntRange(min=1, max=64), default=2, show_default=True,
                         help="Workers of the local cluster (--scheduler local).")(f)
        return click.option(
            "--scheduler", default=default, show_default=True, callback=nonempty,
            help="'none' (one process), 'local' (a Dask LocalCluster of --workers processes here) or the "
                 "address of a running Dask scheduler, tcp://HOST:8786 (connection timeout 5 s)."
                 + (f" {why}" if why else ""))(f)
    return deco


def dem_options(f):
    """``--no-terrain`` and repeatable ``--dem FILE`` (user rasters first in the DEM stack)."""
    f = click.option("--dem", "dem_files", multiple=True, type=click.Path(dir_okay=False),
                     help="Your own DEM GeoTIFF (heights above MSL), used before the bundled "
                          "GLOBE/ETOPO5 grids; repeatable.")(f)
    return click.option("--no-terrain", is_flag=True, help="Smooth Earth: no terrain masking.")(f)


def terrain_from_options(no_terrain: bool, dem_files: tuple[str, ...]):
    """False (smooth Earth) or a DemStack with the user's rasters first."""
    if no_terrain:
        if dem_files:
            raise InputError("--no-terrain and --dem cannot be used together")
        return False
    from pathlib import Path

    from ..terrain import DemStack

    for f in dem_files:
        p = Path(f)
        if not str(f).strip():
            raise InputError("--dem: the DEM file name is empty")
        try:
            str(f).encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(f"--dem {quoted(f)}: the file name is not valid UTF-8 text (GDAL cannot open it); "
                             "rename it") from None
        if p.is_dir():
            raise InputError(f"--dem {f}: is a folder, not a DEM GeoTIFF")
        if p.exists() and not p.is_file():
            raise InputError(f"--dem {f}: is not a regular file (a device or pipe), not a DEM GeoTIFF")
        if not p.exists():
            raise InputError(f"--dem {f}: DEM file not found")

    return DemStack(list(dem_files))


def get_catalog(catalog_files: tuple[str, ...]) -> Catalog:
    return load_catalog(catalog_files)


def id_list(text: str | None, option: str, what: str = "id") -> list[str] | None:
    """The one parser of comma-separated id options (``--radars a,b``, ``--launch a,b``):
    items stripped, duplicates dropped in order; an empty list or an empty item (``a,,b``,
    a trailing comma) is refused. None when the option was not given."""
    if text is None:
        return None
    ids = [x.strip() for x in str(text).split(",")]
    if not str(text).strip() or any(not x for x in ids):
        raise InputError(f"{option} {quoted(text)}: give {what}s separated by commas, without empty items")
    return list(dict.fromkeys(ids))


def resolve_place(text: str, catalog: Catalog) -> tuple[float, float, str, Site | None]:
    """A site id or ``lat,lon`` -> (lat_deg, lon_deg, label, site or None)."""
    ll = parse_latlon(text)
    if ll is not None:
        return ll[0], ll[1], f"{ll[0]:g},{ll[1]:g}", None
    if "," in text or not text.strip():
        raise InputError(f"cannot read {quoted(text)} as a site id or as lat,lon in degrees (e.g. 38.08,46.29; "
                         "put -- before negative coordinates: geocover distance -- -33.9,18.4 51.5,-0.1)")
    site = catalog.site(text.strip())
    return site.lat_deg, site.lon_deg, site.id, site


def launch_ids_option(text: str | None, catalog: Catalog) -> list[str] | None:
    """``--launch a,b``: launch-site ids checked against the catalog, duplicates dropped;
    None when the option was not given (use the scenario's)."""
    ids = id_list(text, "--launch", "launch site id")
    for lid in ids or ():
        catalog.launch_site(lid)
    return ids


def echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False))


def warn(message: str) -> None:
    """A warning on stderr; user text in it is made harmless (:func:`geocover.errors.tidy_message`)."""
    click.echo(f"geocover: warning: {tidy_message(message)}", err=True)



def dpi_option(f):
    """``--dpi``: print resolution of a written figure (the format comes from the file name)."""
    from ..plots import DEFAULT_DPI, DPI_RANGE

    return click.option("--dpi", "dpi", type=click.IntRange(*DPI_RANGE), default=DEFAULT_DPI, show_default=True,
                        help="Resolution of a written figure in dots per inch (PNG pixels; rasterised parts "
                             "of SVG/PDF). The format comes from the file name: .png, .svg or .pdf.")(f)


scenario_option = click.option(
    "--scenario", "scenario_name", callback=nonempty,
    help="Bundled scenario name or TOML file: its radars (with its overrides), its own [[sites]] records "
         "(e.g. the 2007 forward radar) and its threat (missile class, hence the target RCS).")


def note(message: str) -> None:
    """Tell the user on stderr what a command chose for them (a default, a derived value);
    silenced by ``geocover -q`` (the ``geocover`` logger at ERROR) and by ``--json`` (the
    JSON itself carries every value used: RCS, refraction model, missile class)."""
    import logging

    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.params.get("as_json"):
        return
    if logging.getLogger("geocover").isEnabledFor(logging.WARNING):
        click.echo(f"geocover: note: {tidy_message(message)}", err=True)


def is_default(name: str) -> bool:
    """True when the current command's parameter ``name`` was not given by the user
    (click's default, not the command line or an environment variable)."""
    from click.core import ParameterSource

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False
    return ctx.get_parameter_source(name) in (ParameterSource.DEFAULT, None)


def model_label(model) -> str:
    """The refraction model's name as the outputs write it (e.g. 'crpl (Ns=313, ray-traced)')."""
    from ..refraction import model_name

    return model_name(model)


def scenario_target_rcs(scenario) -> tuple[float, str]:
    """The target RCS (m²) a scenario implies for a radar-only command, and why: the smallest
    warhead RCS of the classes of its threat set (the hardest to see; the one class's warhead
    for a one-``missile`` scenario), ties broken by class id."""
    classes = [c.missile for c in scenario.threat_classes]
    m = min(classes, key=lambda m: (m.warhead_rcs_m2, m.id))
    if len(classes) == 1:
        return m.warhead_rcs_m2, f"warhead of {m.name}, the threat of scenario {scenario.id}"
    every = ", ".join(f"{c.id} {c.warhead_rcs_m2:g} m²" for c in classes)
    return m.warhead_rcs_m2, (f"warhead of {m.name}, the smallest warhead RCS of scenario {scenario.id}'s threat "
                              f"set ({every}): the hardest to see")


def target_rcs_m2(rcs_m2: float | None, radar, scenario) -> float:
    """The target RCS (m²) a one-radar command uses: ``--rcs`` if given, else the smallest
    warhead RCS of the scenario's threat set (:func:`scenario_target_rcs`), else the radar's
    own reference RCS; a default is announced."""
    if rcs_m2 is not None:
        return rcs_m2
    if scenario is not None:
        rcs_m2, why = scenario_target_rcs(scenario)
        note(f"target RCS: {rcs_m2:g} m² ({why}; --rcs to change it)")
        return rcs_m2
    note(f"target RCS: {radar.reference_rcs_m2:g} m² ({radar.name}'s reference RCS; --rcs to change it)")
    return radar.reference_rcs_m2


def announce_model(model) -> None:
    """Say which refraction model is used when ``--model`` was not given."""
    if is_default("model"):
        note(f"refraction model: {model_label(model)} (the default; --model to change it)")


def announce_engagement_defaults(sc, *, missile_given: bool = False, launches_given: bool = True,
                                 missiles=None, missile_hint: str = "--missile to change it",
                                 refraction: bool = True) -> None:
    """Say what an engaging command (engage, footprint, map, compare) took from the scenario:
    the missile classes and their RCS, the launch sites, the samples per flight; and the
    refraction model when ``--model`` was not given (stderr notes, see :func:`note`)."""
    classes = {m.id: m for m in (missiles or [c.missile for c in sc.threat_classes])}
    if not missile_given:
        for m in classes.values():
            note(f"missile class: {m.name} ({m.id}; scenario {sc.id}'s; {missile_hint}), target RCS "
                 f"{m.body_rcs_m2:g} m² in boost, {m.warhead_rcs_m2:g} m² after (its catalog record)")
    if not launches_given:
        note(f"launch sites: {', '.join(sc.launch_sites)} (scenario {sc.id}'s; --launch to change them)")
    note(f"sample step: {sc.samples} samples per flight (scenario {sc.id}'s [engagement] samples), refined around "
         f"the edges of tracks and intercept windows")
    if refraction and is_default("model"):
        announce_model(click.get_current_context().params.get("model"))


def load_scenario_option(scenario_name: str | None, catalog: Catalog):
    """The scenario of ``--scenario`` (None when not given), loaded against ``catalog``."""
    if scenario_name is None:
        return None
    from ..scenario import load_scenario

    return load_scenario(scenario_name, catalog)


def scenario_radar(radar_id: str, catalog: Catalog, scenario) -> Any:
    """A radar record: the scenario's own (its overrides applied) when it has one of that
    id, else one of the scenario's catalog (bundled, --catalog, and its [[sites]])."""
    from ..errors import UnknownIdError

    if scenario is not None:
        if radar_id in scenario.radars:
            return scenario.radars[radar_id]
        return scenario.catalog.radar(radar_id)
    try:
        return catalog.radar(radar_id)
    except UnknownIdError as exc:
        owners = _scenarios_defining(radar_id)
        if owners:
            raise InputError(f"{exc}: it is a site of scenario {', '.join(owners)}; add --scenario "
                             f"{owners[0]}") from None
        raise


def _scenarios_defining(site_id: str) -> list[str]:
    """Bundled scenarios whose own ``[[sites]]`` define ``site_id`` (read as plain TOML)."""
    import tomllib

    from ..scenario import bundled_scenarios

    out = []
    for sid, path in bundled_scenarios().items():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            continue
        sites = doc.get("sites", [])
        if isinstance(sites, list) and any(isinstance(r, dict) and r.get("id") == site_id for r in sites):
            out.append(sid)
    return out


def progress_bars() -> bool:
    """Whether to draw progress bars: only when stderr is a terminal (a log file or a pipe
    gets no bar lines) and not with ``geocover -q``."""
    import logging
    import sys

    return sys.stderr.isatty() and logging.getLogger("geocover").isEnabledFor(logging.WARNING)


def progress(items, desc: str):
    """``items`` with a tqdm progress bar on stderr when :func:`progress_bars` allows one."""
    import sys

    from tqdm import tqdm

    return tqdm(items, desc=desc, disable=not progress_bars(), leave=False, file=sys.stderr)


def interceptor_speed_sweep(speeds: str | None) -> list[float | None]:
    """The ``--interceptor-speed`` sweep of ``engage`` and ``raid``: burnout speeds (m/s), at
    most 64 (each is a whole run), each in (0, 11 km/s] (the catalog's bound,
    :data:`geocover.catalog.MAX_BURNOUT_SPEED_MPS`); ``[None]`` (catalog speeds) when not given.

    Raises
    ------
    InputError
        An item that is not a speed, more than 64 items, or a speed outside (0, 11 km/s].
    """
    if not speeds:
        return [None]
    out = parse_quantity_list(speeds, "speed", name="--interceptor-speed", max_items=64)
    for v in out:
        if not 0 < v <= MAX_BURNOUT_SPEED_MPS:
            raise InputError(f"--interceptor-speed must be between 0 and {MAX_BURNOUT_SPEED_MPS / 1000:g} km/s "
                             f"(above 0, at most the catalog's bound), got {v:g} m/s")
    return out
