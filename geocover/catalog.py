"""Site catalogs (radars, interceptors, launch sites, targets) and missile classes.

Sites are GeoJSON FeatureCollections (they open in QGIS) with one Point feature per site;
missile classes are TOML. Every record carries ``id``, ``name``, ``source`` and
``confidence`` (``high``, ``medium``, ``low``, ``notional``); units are in the field names;
heights are above mean sea level (``_msl_m``) or above ground (``_agl_m``).

Loading validates every record. A bad file raises one :class:`CatalogError` naming the
file, the record id and the field of every problem found. Users pass their own files in
the same format; a record whose id is already loaded replaces it (same kind only).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from ._paths import data_dir
from .errors import CatalogError, InputError, UnknownIdError, close_matches, quoted, shown, shown_key

__all__ = [
    "CONFIDENCE_LEVELS",
    "SITE_KINDS",
    "Catalog",
    "Interceptor",
    "LaunchSite",
    "Missile",
    "Radar",
    "Site",
    "Target",
    "check_record",
    "default_catalog",
    "load_catalog",
    "parse_latlon",
    "read_json",
    "read_toml",
]

CONFIDENCE_LEVELS = ("high", "medium", "low", "notional")
SITE_KINDS = ("radar", "interceptor", "launch", "target")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
#: Longest record id: ids name output files (``p_defended_<launch>.tif``), and most file
#: systems stop at 255 bytes a name.
MAX_ID_LENGTH = 100


#: Largest burnout speed a record, ``--interceptor-speed``, ``footprint --interceptor-speed``
#: or ``trajectory --speed`` takes (m/s): well above any published burnout speed (ICBMs ~7 km/s,
#: GBI ~7-8 km/s), under the escape speed at the surface (sqrt(2 GM / R) = 11.19 km/s).
MAX_BURNOUT_SPEED_MPS = 11_000.0


# ---------------------------------------------------------------------------- field checks
@dataclass(frozen=True)
class _Spec:
    kind: type | tuple[type, ...]
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] | None = None
    required: bool = True

    def check(self, value: Any) -> str | None:
        """Return a description of what is wrong with ``value``, or None.

        The type is checked first (a list or table where a string or number belongs is
        refused before anything compares or hashes it), then finiteness, then the bounds.
        """
        if self.kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"must be a number, got {_short(value)}"
            if _as_float(value) is None:
                return f"must be a finite number, got {_short(value)}"
            value = float(value)
        elif self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                return f"must be a whole number, got {_short(value)}"
            if _as_float(value) is None:
                return f"is out of range, got {_short(value)}"
        elif self.kind is bool:
            if not isinstance(value, bool):
                return f"must be true or false, got {_short(value)}"
        elif self.kind is str:
            if not isinstance(value, str) or not value.strip():
                return f"must be a non-empty string, got {_short(value)}"
            bad = text_problem(value)
            if bad:
                return bad
            if self.choices and value not in self.choices:
                return f"must be one of {', '.join(self.choices)}, got {_short(value)}"
        if self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo):
            return f"must be {'>' if self.lo_open else '>='} {self.lo:g}, got {_short(value)}"
        if self.hi is not None and value > self.hi:
            return f"must be <= {self.hi:g}, got {_short(value)}"
        return None


#: Deepest nesting of lists/objects accepted anywhere in a catalog or scenario document.
MAX_DEPTH = 32


def _short(value: Any, limit: int = 80) -> str:
    """``repr`` of a user value, shortened (a 400-digit integer or a long list stays readable):
    :func:`geocover.errors.quoted`, the one helper of every message that echoes user text."""
    return quoted(value, limit)


def _as_float(value: Any) -> float | None:
    """``float(value)`` when it is finite (an integer too large for a float gives None)."""
    try:
        out = float(value)
    except (OverflowError, ValueError, TypeError):
        return None
    return out if math.isfinite(out) else None


def text_problem(text: str) -> str | None:
    """What is wrong with a user string (lone surrogates, NUL, control characters other
    than tab and line breaks, bidirectional embeddings/overrides/isolates), or None.

    JSON allows ``"\\ud800"`` escapes that are not Unicode characters; they cannot be
    written to any UTF-8 output, so they are refused at load time.
    """
    for i, ch in enumerate(text):
        o = ord(ch)
        if 0xD800 <= o <= 0xDFFF:
            return (f"contains a lone surrogate U+{o:04X} at character {i + 1} (not a Unicode "
                    "character; the file was written by a broken encoder)")
        if o == 0:
            return f"contains a NUL character at character {i + 1}"
        if (o < 0x20 and ch not in "\t\n\r") or 0x7F <= o <= 0x9F:
            # ESC, BEL, CSI ...: printed by `sites`, `horizon` or an error message, a terminal runs
            # them as commands (retitle the window, write the clipboard, fake a prompt)
            return (f"contains the control character U+{o:04X} at character {i + 1} (a terminal would "
                    "act on it; only tab and line breaks are allowed)")
        if o in (0xFFFE, 0xFFFF):
            # noncharacters XML 1.0 forbids (its Char production stops at U+FFFD): a KML holding
            # one is not well-formed, and Google Earth and GDAL refuse the whole file
            return (f"contains the noncharacter U+{o:04X} at character {i + 1} (not allowed in XML, so "
                    "no KML could hold it)")
        if 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069:
            # bidirectional embeddings, overrides and isolates reorder the text around them in
            # terminals, tables and maps, so a name can display as something else ("Trojan
            # Source", CVE-2021-42574); the plain marks U+200E/U+200F stay allowed
            return (f"contains the bidirectional control U+{o:04X} at character {i + 1} (it would reorder how "
                    "the text around it is shown; remove it, or use U+200E/U+200F marks)")
    return None


def document_problem(doc: Any, max_depth: int = MAX_DEPTH) -> tuple[tuple, str] | None:
    """The first value of a parsed JSON/TOML document that no geocover reader can use.

    Returns ``(path, problem)`` where ``path`` is the tuple of keys/indices leading to it:
    nesting deeper than ``max_depth``, a string or key with a lone surrogate, an integer too
    large for a float, or NaN/infinity outside a numeric field. None when all is well.
    """
    stack: list[tuple[tuple, Any]] = [((), doc)]
    while stack:
        where, obj = stack.pop()
        if isinstance(obj, (dict, list)) and len(where) >= max_depth:
            return where, f"is nested more than {max_depth} levels deep"
        if isinstance(obj, dict):
            for k, v in obj.items():
                if isinstance(k, str) and text_problem(k):
                    return (*where, k), "name " + text_problem(k)
                stack.append(((*where, k), v))
        elif isinstance(obj, list):
            stack.extend(((*where, i), v) for i, v in enumerate(obj))
        elif isinstance(obj, str):
            bad = text_problem(obj)
            if bad:
                return where, bad
        elif isinstance(obj, int) and not isinstance(obj, bool):
            if _as_float(obj) is None:
                return where, (f"is a number too large for a float (about {int(obj.bit_length() * 0.30103)} "
                               "digits)")
        elif isinstance(obj, float) and not math.isfinite(obj):
            return where, f"must be a finite number, got {_short(obj)}"
    return None


def _nesting_position(text: str, max_depth: int = MAX_DEPTH) -> tuple[int, int]:
    """Line and column (1-based) where JSON ``text`` first nests deeper than ``max_depth``."""
    depth, in_str, esc, line, col = 0, False, False, 1, 0
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
        if in_str:
            esc, in_str = (False, True) if esc else (ch == "\\", ch != '"')
            continue
        if ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return line, col
        elif ch in "]}":
            depth -= 1
    return line, col


_NUM, _STR, _BOOL, _INT = float, str, bool, int
_COMMON = {
    "id": _Spec(_STR),
    "name": _Spec(_STR),
    "source": _Spec(_STR),
    "confidence": _Spec(_STR, choices=CONFIDENCE_LEVELS),
    "notes": _Spec(_STR, required=False),
}
_SITE = {
    **_COMMON,
    "kind": _Spec(_STR, choices=SITE_KINDS),
    "lat_deg": _Spec(_NUM, -90, 90, required=False),
    "lon_deg": _Spec(_NUM, -180, 180, required=False),
    "ground_height_msl_m": _Spec(_NUM, -500, 9000),
    "country": _Spec(_STR, required=False),
}


# ---------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Site:
    """A place on the Earth from a catalog. ``ground_height_msl_m`` is above mean sea level."""

    id: str
    name: str
    kind: str
    lat_deg: float
    lon_deg: float
    ground_height_msl_m: float
    source: str
    confidence: str
    notes: str = ""
    country: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    SPEC: ClassVar[dict[str, _Spec]] = _SITE

    def properties(self) -> dict[str, Any]:
        """GeoJSON properties of this record (the catalog file format)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out.update(self.extra)
        return {k: v for k, v in out.items() if v != "" or k in ("id", "name")}


@dataclass(frozen=True)
class Radar(Site):
    """A radar: sector, elevation limits, and range at a reference RCS.

    ``half_width_deg`` = 180 means 360-degree coverage. Detection range scales with the
    fourth root of RCS: R(sigma) = reference_range_m * (sigma / reference_rcs_m2) ** 0.25.
    """

    platform: str = "land"
    band: str = ""
    boresight_azimuth_deg: float = 0.0
    half_width_deg: float = 180.0
    min_elevation_deg: float = 0.0
    max_elevation_deg: float = 90.0
    reference_range_m: float = 1.0
    reference_rcs_m2: float = 1.0
    antenna_height_agl_m: float = 0.0
    can_search: bool = True

    SPEC: ClassVar[dict[str, _Spec]] = {
        **_SITE,
        "platform": _Spec(_STR, choices=("land", "ship", "air", "space"), required=False),
        "band": _Spec(_STR),
        "boresight_azimuth_deg": _Spec(_NUM, 0, 360),
        "half_width_deg": _Spec(_NUM, 0, 180, lo_open=True),
        "min_elevation_deg": _Spec(_NUM, -90, 90),
        "max_elevation_deg": _Spec(_NUM, -90, 90),
        # At most 50,000 km (beyond geostationary altitude): a bound that catches typos
        # such as 1e300 before the radar equation overflows.
        "reference_range_m": _Spec(_NUM, 0, 5.0e7, lo_open=True),
        # At most 1e6 m2 (+60 dBsm, above the largest ships), as units.LIMITS for --rcs.
        "reference_rcs_m2": _Spec(_NUM, 0, 1e6, lo_open=True),
        "antenna_height_agl_m": _Spec(_NUM, 0, 10_000),
        "can_search": _Spec(_BOOL),
    }

    @property
    def antenna_height_msl_m(self) -> float:
        """Antenna height above mean sea level: ground height plus mast."""
        return self.ground_height_msl_m + self.antenna_height_agl_m

    @property
    def full_circle(self) -> bool:
        return self.half_width_deg >= 180.0

    def range_for_rcs(self, rcs_m2: float) -> float:
        """Detection range (m) against a target of the given RCS (radar-equation scaling)."""
        if not rcs_m2 > 0:
            raise InputError(f"rcs_m2 must be > 0, got {rcs_m2}")
        return self.reference_range_m * (rcs_m2 / self.reference_rcs_m2) ** 0.25

    def range_for_rcs_array(self, rcs_m2) -> Any:
        """Vectorised :meth:`range_for_rcs` (numpy arrays of RCS in m^2)."""
        import numpy as np

        rcs = np.asarray(rcs_m2, dtype=float)
        if np.any(~(rcs > 0)):
            raise InputError("rcs_m2 must be > 0 everywhere")
        return self.reference_range_m * np.sqrt(np.sqrt(rcs / self.reference_rcs_m2))


@dataclass(frozen=True)
class Interceptor(Site):
    """An interceptor battery: where it is and how fast and far its missiles fly."""

    interceptor_class: str = ""
    count: int = 1
    burnout_speed_mps: float = 1.0
    burnout_speed_min_mps: float | None = None
    burnout_speed_max_mps: float | None = None
    burn_time_s: float = 0.0
    min_intercept_altitude_m: float = 0.0
    max_intercept_altitude_m: float = 1.0
    max_range_m: float = 1.0
    commit_delay_s: float = 0.0
    #: Interceptors on hand for a raid (whole number >= 0); None: ``count``.
    inventory: int | None = None
    #: Single-shot kill probability against one warhead, and its published range.
    sspk: float | None = None
    sspk_min: float | None = None
    sspk_max: float | None = None

    SPEC: ClassVar[dict[str, _Spec]] = {
        **_SITE,
        "interceptor_class": _Spec(_STR),
        "count": _Spec(_INT, 1, 10_000),
        "burnout_speed_mps": _Spec(_NUM, 0, MAX_BURNOUT_SPEED_MPS, lo_open=True),
        "burnout_speed_min_mps": _Spec(_NUM, 0, MAX_BURNOUT_SPEED_MPS, lo_open=True, required=False),
        "burnout_speed_max_mps": _Spec(_NUM, 0, MAX_BURNOUT_SPEED_MPS, lo_open=True, required=False),
        "burn_time_s": _Spec(_NUM, 0, 1000),
        # Altitudes up to 5,000 km and ranges up to half the Earth's circumference.
        "min_intercept_altitude_m": _Spec(_NUM, 0, 5.0e6),
        "max_intercept_altitude_m": _Spec(_NUM, 0, 5.0e6, lo_open=True),
        "max_range_m": _Spec(_NUM, 0, 2.0e7, lo_open=True),
        "commit_delay_s": _Spec(_NUM, 0, 3600),
        "inventory": _Spec(_INT, 0, 10_000, required=False),
        "sspk": _Spec(_NUM, 0, 1, required=False),
        "sspk_min": _Spec(_NUM, 0, 1, required=False),
        "sspk_max": _Spec(_NUM, 0, 1, required=False),
    }

    @property
    def rounds(self) -> int:
        """Interceptors available to a raid: ``inventory`` if given, else ``count``."""
        return self.count if self.inventory is None else self.inventory


@dataclass(frozen=True)
class LaunchSite(Site):
    """A missile launch point or launch area (city centres stand in for bases)."""


@dataclass(frozen=True)
class Target(Site):
    """A defended city or base."""


@dataclass(frozen=True)
class Missile:
    """A threat missile class (TOML ``[missile.<id>]`` table)."""

    id: str
    name: str
    stages: int
    range_m: float
    burn_time_s: float
    burnout_altitude_m: float
    body_rcs_m2: float
    warhead_rcs_m2: float
    source: str
    confidence: str
    burnout_speed_mps: float | None = None
    notes: str = ""

    SPEC: ClassVar[dict[str, _Spec]] = {
        **_COMMON,
        "stages": _Spec(_INT, 1, 5),
        "range_m": _Spec(_NUM, 0, 20_000_000, lo_open=True),
        "burn_time_s": _Spec(_NUM, 0, 1000, lo_open=True),
        "burnout_altitude_m": _Spec(_NUM, 0, 1_000_000, lo_open=True),
        "body_rcs_m2": _Spec(_NUM, 0, 1e6, lo_open=True),
        "warhead_rcs_m2": _Spec(_NUM, 0, 1e6, lo_open=True),
        "burnout_speed_mps": _Spec(_NUM, 0, MAX_BURNOUT_SPEED_MPS, lo_open=True, required=False),
    }

    @property
    def short_name(self) -> str:
        """The name without its parenthesised gloss ("Russian ICBM, Topol-M class (three-stage
        solid; ...)" -> "Russian ICBM, Topol-M class"), for table cells and captions."""
        return self.name.split(" (", 1)[0].strip() or self.name


_KIND_CLASS: dict[str, type[Site]] = {
    "radar": Radar, "interceptor": Interceptor, "launch": LaunchSite, "target": Target,
}


# ---------------------------------------------------------------------------- validation
def _extra_name_problem(name: str) -> str | None:
    """What makes ``name`` unusable as an extra field of a record; None when it is fine.

    Extra fields are written as columns of the GeoPackage layers (QGIS): an empty name is no
    column at all. A name differing from another only in case (a shapefile's ``NAME`` or ``ID``
    beside ``name``/``id``: such catalogs ran ``sites``, ``engage`` and ``map``) is kept: the
    GeoPackage, whose columns ignore case, writes the second spelling as ``<name>_1``, as it
    does the names it keeps for itself (``fid``, ``geom``; :func:`geocover.gis.column_names`).
    """
    if not isinstance(name, str) or not name.strip():
        return "has an empty name (outputs write each field as a named column)"
    return None


def _validate(spec: dict[str, _Spec], props: Mapping[str, Any], where: str,
              problems: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check ``props`` against ``spec``; return (known fields, extra fields)."""
    known, extra = {}, {}
    for name, s in spec.items():
        if name not in props or props[name] is None:
            if s.required:
                problems.append(f"{where}: field {_short(name)} is missing")
            continue
        err = s.check(props[name])
        if err:
            problems.append(f"{where}: field {_short(name)} {err}")
        else:
            known[name] = float(props[name]) if s.kind is float else props[name]
    for name, value in props.items():
        if name in spec:
            continue
        near = close_matches(name, spec, n=1)
        bad_name = _extra_name_problem(name)
        if near and near[0] not in props:
            problems.append(f"{where}: unknown field {_short(name)} (did you mean {_short(near[0])}?)")
        elif bad_name:
            problems.append(f"{where}: field {_short(name)} {bad_name}")
        else:
            extra[name] = value
    rid = props.get("id")
    if isinstance(rid, str) and rid and not _ID_RE.fullmatch(rid):
        problems.append(f"{where}: field 'id' must be lower-case letters, digits, '-', '.', '_', "
                        f"got {_short(rid)}")
    elif isinstance(rid, str) and len(rid) > MAX_ID_LENGTH:
        # ids name output files (mda_<radar>.tif, battle_space_<launch>.tif): a longer one failed
        # with "File name too long" only once everything was computed
        problems.append(f"{where}: field 'id' must be at most {MAX_ID_LENGTH} characters (it names output "
                        f"files), got {len(rid):,}")
    return known, extra


def _record_where(path: Path, index: int, props: Any) -> str:
    rid = props.get("id") if isinstance(props, Mapping) else None
    return f"{path}: record {_short(rid)} (feature #{index})" if rid else f"{path}: feature #{index}"


def check_record(cls: type, props: Mapping[str, Any], where: str,
                 problems: list[str], *, own_ranges: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate one record of class ``cls`` (types, bounds, then cross-field checks).

    The one check every reader uses: catalog files, scenario ``[[sites]]`` and scenario
    overrides (after merging) all go through here.

    Parameters
    ----------
    own_ranges : bool
        Also require every value that has ``_min``/``_max`` siblings (``sspk`` and
        ``sspk_min``/``sspk_max``, ``burnout_speed_mps`` and ``burnout_speed_min_mps``/
        ``burnout_speed_max_mps``) to lie within them (:func:`own_range_checks`). Catalog files,
        scenario ``[[sites]]`` and ``[overrides]`` ask for it; scenario ``[uncertain]`` ranges
        do not, as they may deliberately reach beyond a record's published range.
    """
    known, extra = _validate(cls.SPEC, props, where, problems)
    _cross_checks(known, where, problems)
    if own_ranges:
        own_range_checks(known, where, problems)
    return known, extra


#: A range field: ``<base>_min<unit>`` or ``<base>_max<unit>`` (``sspk_min``; ``burnout_speed_max_mps``),
#: bounding the value ``<base><unit>`` of the same record.
_RANGE_FIELD_RE = re.compile(r"^(?P<base>[a-z][a-z0-9_]*?)_(?:min|max)(?P<unit>_(?:m|mps|s|deg|m2))?$")


def own_range_checks(rec: Mapping[str, Any], where: str, problems: list[str]) -> None:
    """Append a problem for each value outside its own ``_min``/``_max`` fields.

    A record that gives ``burnout_speed_mps`` = 9,500 with ``burnout_speed_min_mps`` = 5,400
    and ``burnout_speed_max_mps`` = 9,000 contradicts itself: the range is the published
    spread and the value the one used. Either bound may be absent (the other is checked).
    """
    done = set()
    for name in rec:
        m = _RANGE_FIELD_RE.match(name)
        if not m or (m.group("base"), m.group("unit")) in done:
            continue
        done.add((m.group("base"), m.group("unit")))
        unit = m.group("unit") or ""
        value_name = f"{m.group('base')}{unit}"
        lo_name, hi_name = f"{m.group('base')}_min{unit}", f"{m.group('base')}_max{unit}"
        value, lo, hi = (rec.get(k) for k in (value_name, lo_name, hi_name))
        if not isinstance(value, (int, float)):
            continue
        lo = lo if isinstance(lo, (int, float)) else None
        hi = hi if isinstance(hi, (int, float)) else None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            span = " .. ".join("(none)" if v is None else f"{v:g}" for v in (lo, hi))
            problems.append(f"{where}: field {_short(value_name)} ({value:g}) is outside its own range "
                            f"{lo_name} .. {hi_name} ({span}); change the value or the range")


def _cross_checks(rec: dict[str, Any], where: str, problems: list[str]) -> None:
    lo, hi = rec.get("min_elevation_deg"), rec.get("max_elevation_deg")
    if lo is not None and hi is not None and hi <= lo:
        problems.append(f"{where}: field 'max_elevation_deg' ({hi:g}) must exceed "
                        f"min_elevation_deg ({lo:g})")
    lo, hi = rec.get("min_intercept_altitude_m"), rec.get("max_intercept_altitude_m")
    if lo is not None and hi is not None and hi <= lo:
        problems.append(f"{where}: field 'max_intercept_altitude_m' ({hi:g}) must exceed "
                        f"min_intercept_altitude_m ({lo:g})")
    lo, hi = rec.get("burnout_speed_min_mps"), rec.get("burnout_speed_max_mps")
    if lo is not None and hi is not None and hi < lo:
        problems.append(f"{where}: field 'burnout_speed_max_mps' must be >= burnout_speed_min_mps")
    lo, hi = rec.get("sspk_min"), rec.get("sspk_max")
    if lo is not None and hi is not None and hi < lo:
        problems.append(f"{where}: field 'sspk_max' must be >= sspk_min")


def _read_text(path: Path, what: str) -> str:
    from .export import note_input

    note_input(path)  # no output of this run may replace it
    try:
        # utf-8-sig: a byte-order mark (Windows Notepad's "UTF-8 with BOM") is dropped, as
        # RFC 8259 section 8.1 allows a JSON parser to do; TOML files get the same courtesy
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None


def read_json(path: str | Path, what: str = "file") -> Any:
    """Parse a JSON file for a reader: every failure is a :class:`CatalogError` naming the
    file (and line, column); lone surrogates, integers too large for a float, NaN/Infinity and
    nesting deeper than :data:`MAX_DEPTH` are refused with the key path where they occur."""
    path = Path(path)
    text = _read_text(path, what)
    try:
        doc = json.loads(text)  # NaN/Infinity parse, then are refused with their key path below
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno}, column {exc.colno}"  # json's own messages may end in "at"
        raise CatalogError(f"{path}: not valid JSON: {exc.msg}{' ' if exc.msg.endswith(' at') else ' at '}"
                           f"{at}") from None
    except RecursionError:
        line, col = _nesting_position(text)
        raise CatalogError(f"{path}: nested more than {MAX_DEPTH} levels deep (line {line}, "
                           f"column {col})") from None
    bad = document_problem(doc)
    if bad:
        raise CatalogError(f"{path}: {_where_in_doc(path, doc, bad[0])}: {bad[1]}")
    return doc


def _where_in_doc(path: Path, doc: Any, keys: tuple) -> str:
    """'record 'x' (feature #3): field 'name'' for a key path into a FeatureCollection,
    else the dotted key path."""
    if (len(keys) >= 2 and keys[0] == "features" and isinstance(doc, dict)
            and isinstance(keys[1], int)):
        feat = doc["features"][keys[1]]
        props = feat.get("properties") if isinstance(feat, dict) else None
        where = _record_where(path, keys[1], props)[len(str(path)) + 2:]
        rest = keys[3:] if len(keys) > 3 and keys[2] == "properties" else keys[2:]
        if len(rest) > 1:
            return f"{where}: field '{shown_key(_dotted(rest[:1]))}' (at {shown(_dotted(rest), 60)})"
        if rest:
            return f"{where}: field '{shown_key(_dotted(rest))}'"
        return where
    return f"key '{shown_key(_dotted(keys))}'" if keys else "the document"


def _dotted(keys: tuple) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (("." if out else "") + (
            k.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(k, str) else str(k)))
    return out


def _read_gdal_sites(path: Path) -> list[Site]:
    """Sites from any vector file GDAL reads (:mod:`geocover.vector_io`): each layer's features,
    reprojected to WGS84, are checked by :func:`_read_sites` exactly as a GeoJSON file's; a layer
    named like a kind (``radars``, ``interceptors``, ``launch_sites``, ``targets``) gives its
    records that kind when they have no ``kind`` field."""
    from .vector_io import KIND_LAYERS, read_vector_layers

    out: list[Site] = []
    for layer in read_vector_layers(path, "catalog file", allowed=("Point",)):
        doc = {"type": "FeatureCollection", "features": layer.features}
        try:
            out += _read_sites(layer.label, KIND_LAYERS.get(layer.name), doc=doc)
        except CatalogError as exc:
            if layer.driver == "ESRI Shapefile":
                raise CatalogError(f"{exc}\n(a shapefile cuts field names to 10 characters: write the "
                                   "catalog as GeoPackage, FlatGeobuf or GeoJSON)") from None
            raise
    return out


def _read_sites(path: Path | str, kind_hint: str | None = None, doc: Any = None) -> list[Site]:
    if doc is None:
        path = Path(path)
        doc = read_json(path, "catalog file")
        from .vector_io import geojson_crs_is_wgs84

        if not geojson_crs_is_wgs84(doc):  # a GeoJSON in another CRS: GDAL reprojects it
            return _read_gdal_sites(path)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise CatalogError(f"{path}: must be a GeoJSON FeatureCollection")
    feats = doc.get("features")
    if not isinstance(feats, list):
        raise CatalogError(f"{path}: 'features' must be a list")
    problems: list[str] = []
    out: list[Site] = []
    seen: set[str] = set()
    for i, feat in enumerate(feats):
        props = feat.get("properties") if isinstance(feat, dict) else None
        where = _record_where(path, i, props)
        if not isinstance(props, dict):
            problems.append(f"{where}: feature has no 'properties' object")
            continue
        props = dict(props)
        if kind_hint and "kind" not in props:
            props["kind"] = kind_hint
        kind = props.get("kind")
        if not isinstance(kind, str) or kind not in _KIND_CLASS:
            err = _SITE["kind"].check(kind) if kind is not None else "is missing"
            problems.append(f"{where}: field 'kind' {err}")
            continue
        cls = _KIND_CLASS[kind]
        known, extra = _validate(cls.SPEC, props, where, problems)
        geom = feat.get("geometry")
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        if (not isinstance(geom, dict) or geom.get("type") != "Point"
                or not isinstance(coords, list) or len(coords) < 2
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool)
                           and _as_float(c) is not None for c in coords[:2])):
            problems.append(f"{where}: field 'geometry' must be a GeoJSON Point [lon, lat] of "
                            "finite numbers")
            continue
        lon, lat = float(coords[0]), float(coords[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(f"{where}: field 'geometry' coordinates [{lon}, {lat}] are not a "
                            "valid [lon, lat] in degrees")
            continue
        for name, val in (("lat_deg", lat), ("lon_deg", lon)):
            if name in known and abs(known[name] - val) > 1e-6:
                problems.append(f"{where}: field {_short(name)} ({known[name]}) disagrees with the "
                                f"geometry ({val})")
        known["lat_deg"], known["lon_deg"] = lat, lon
        _cross_checks(known, where, problems)  # as check_record, once the geometry is in
        own_range_checks(known, where, problems)
        rid = known.get("id")
        if rid in seen:
            problems.append(f"{where}: field 'id' {_short(rid)} is used twice in this file")
        seen.add(rid)
        if not any(p.startswith(where) for p in problems):
            out.append(cls(**known, extra=extra))
    if problems:
        raise CatalogError(_summarise(path, problems))
    return out


def read_toml(path: str | Path, what: str = "file") -> dict[str, Any]:
    """Parse a TOML file for a reader: every failure is a :class:`CatalogError` naming the
    file; deep nesting, integers too large for a float and NaN/inf are refused with the key."""
    path = Path(path)
    text = _read_text(path, what)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise CatalogError(f"{path}: nested more than {MAX_DEPTH} levels deep") from None
    bad = document_problem(doc)
    if bad:
        keys = bad[0]
        if len(keys) >= 2 and keys[0] == "missile":
            where = f"record {_short(keys[1])}" + (
                f": field '{shown_key(_dotted(keys[2:3]))}'" if len(keys) > 2 else "")
            where += f" (at {_dotted(keys[2:])[:60]})" if len(keys) > 3 else ""
        else:
            where = f"key '{shown_key(_dotted(keys))}'"
        raise CatalogError(f"{path}: {where}: {bad[1]}")
    return doc


def _read_missiles(path: Path) -> list[Missile]:
    doc = read_toml(path, "catalog file")
    table = doc.get("missile")
    if not isinstance(table, dict) or not table:
        raise CatalogError(f"{path}: needs [missile.<id>] tables")
    problems: list[str] = []
    for key in doc:  # a misspelt [missle.x] table was dropped without a word (other keys: the
        # user's own notes, kept working)
        if key != "missile" and (close_matches(key, ["missile"], n=1) or key.lower().startswith("missile")):
            problems.append(f"{path}: unknown top-level key {_short(key)} (did you mean 'missile'?); its "
                            "tables would be ignored")
    out = []
    for rid, props in table.items():
        where = f"{path}: record {_short(rid)}"
        if not isinstance(props, dict):
            problems.append(f"{where}: must be a table")
            continue
        props = {"id": rid, **props}
        known, extra = check_record(Missile, props, where, problems)
        for name in extra:
            problems.append(f"{where}: unknown field {_short(name)}")
        if not any(p.startswith(where + ":") for p in problems):
            out.append(Missile(**known))
    if problems:
        raise CatalogError(_summarise(path, problems))
    return out


def _summarise(path: Path, problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    head = f"{path}: {len(problems)} problems in catalog:"
    listed = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
    return "\n".join([head, *("  " + p for p in listed)])


# ---------------------------------------------------------------------------- the catalog
@dataclass
class Catalog:
    """All loaded records, by kind and id."""

    sites_by_kind: dict[str, dict[str, Site]] = field(
        default_factory=lambda: {k: {} for k in SITE_KINDS})
    missiles: dict[str, Missile] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def add_file(self, path: str | Path) -> None:
        """Load a user's catalog file: ``.toml`` missiles, ``.geojson``/``.json`` sites, or sites in
        any other vector format GDAL reads (GeoPackage, FlatGeobuf, shapefile, KML; any CRS),
        reprojected to WGS84 (:mod:`geocover.vector_io`)."""
        if not str(path).strip():
            raise CatalogError("--catalog: the catalog file name is empty")
        p = Path(path)
        if not p.exists():
            raise CatalogError(f"{p}: catalog file not found")
        if p.is_dir():
            raise CatalogError(f"{p}: is a folder, not a catalog file")
        if not p.is_file():
            raise CatalogError(f"{p}: is not a regular file (a device or pipe), not a catalog file")
        if p.suffix.lower() == ".toml":
            for m in _read_missiles(p):
                self.missiles[m.id] = m
        else:
            from .vector_io import uses_gdal

            for s in (_read_gdal_sites(p) if uses_gdal(p) else _read_sites(p)):
                other = self.kind_of(s.id)
                if other and other != s.kind:
                    raise CatalogError(f"{p}: record {_short(s.id)}: field 'id' is already a {other} "
                                       f"in {', '.join(map(str, self.files)) or 'the catalog'}; ids are unique "
                                       "across kinds")
                self.sites_by_kind[s.kind][s.id] = s
        self.files.append(p)

    def kind_of(self, site_id: str) -> str | None:
        for kind, d in self.sites_by_kind.items():
            if site_id in d:
                return kind
        return None

    def all_ids(self) -> list[str]:
        return [i for d in self.sites_by_kind.values() for i in d]

    def sites(self, kind: str | None = None) -> list[Site]:
        """Records of one kind (or all), in catalog order."""
        if kind is None:
            return [s for d in self.sites_by_kind.values() for s in d.values()]
        if kind not in self.sites_by_kind:
            raise InputError(f"unknown site kind {_short(kind)}: use one of {', '.join(SITE_KINDS)}")
        return list(self.sites_by_kind[kind].values())

    def site(self, site_id: str, kind: str | None = None) -> Site:
        """The record with this id (of a given kind, or any); close matches on a miss."""
        pool = self.sites_by_kind[kind] if kind else {s.id: s for s in self.sites()}
        try:
            return pool[site_id]
        except KeyError:
            raise UnknownIdError(f"{kind} site" if kind else "site", site_id, pool) from None

    def radar(self, radar_id: str) -> Radar:
        return self.site(radar_id, "radar")  # type: ignore[return-value]

    def interceptor(self, interceptor_id: str) -> Interceptor:
        return self.site(interceptor_id, "interceptor")  # type: ignore[return-value]

    def launch_site(self, launch_id: str) -> LaunchSite:
        return self.site(launch_id, "launch")  # type: ignore[return-value]

    def target(self, target_id: str) -> Target:
        return self.site(target_id, "target")  # type: ignore[return-value]

    def missile(self, missile_id: str) -> Missile:
        try:
            return self.missiles[missile_id]
        except KeyError:
            raise UnknownIdError("missile class", missile_id, self.missiles) from None

    def to_geojson(self, kind: str | None = None) -> dict[str, Any]:
        """A FeatureCollection of sites (RFC 7946), the same format as the catalog files."""
        feats = [{"type": "Feature", "id": s.id, "properties": s.properties(),
                  "geometry": {"type": "Point", "coordinates": [s.lon_deg, s.lat_deg]}}
                 for s in self.sites(kind)]
        return {"type": "FeatureCollection", "features": feats}


DEFAULT_FILES = ("radars.geojson", "interceptors.geojson", "launch_sites.geojson",
                 "targets.geojson", "missiles.toml")


def load_catalog(paths: Iterable[str | Path] = (), *, defaults: bool = True) -> Catalog:
    """Load the bundled catalog (unless ``defaults=False``) and then the user's files."""
    cat = Catalog()
    if defaults:
        base = data_dir() / "catalog"
        for name in DEFAULT_FILES:
            cat.add_file(base / name)
    for p in paths:
        cat.add_file(p)
    return cat


_DEFAULT: Catalog | None = None


def default_catalog() -> Catalog:
    """The bundled catalog, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_catalog()
    return _DEFAULT


_LATLON_RE = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*,\s*"
                        r"([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$", re.ASCII)
#: What "lat,lon" looks like with any Unicode digits (refused with a message, not looked up as an id).
_LATLON_ANY_DIGITS_RE = re.compile(r"^\s*[-+]?\d[\d.eE+-]*\s*,\s*[-+]?\d[\d.eE+-]*\s*$")


def parse_latlon(text: str) -> tuple[float, float] | None:
    """Parse ``"lat,lon"`` in degrees; None if ``text`` does not look like coordinates."""
    m = _LATLON_RE.match(text)
    if not m:
        if _LATLON_ANY_DIGITS_RE.match(text):
            from .units import non_ascii_digit

            bad = non_ascii_digit(text)
            if bad:
                raise InputError(f"coordinates {bad}")
        return None
    lat, lon = float(m.group(1)), float(m.group(2))
    if not -90 <= lat <= 90:
        raise InputError(f"latitude {lat} in {_short(text)} must be within [-90, 90]")
    if not -180 <= lon <= 360:
        raise InputError(f"longitude {lon} in {_short(text)} must be within [-180, 360]")
    return lat, (lon + 180.0) % 360.0 - 180.0 if lon > 180 else lon
