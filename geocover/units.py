"""Quantities with units typed by users: ``300km``, ``1.5e6m``, ``2deg``, ``7.7km/s``.

Everything is converted to metres, degrees, seconds and m/s at the boundary. A bare
number takes the dimension's base unit.
"""

from __future__ import annotations

import math
import re
import unicodedata

from .errors import InputError

__all__ = ["LIMITS", "UNITS", "format_lat_lon", "non_ascii_digit", "parse_quantity", "parse_quantity_list"]

#: Unit factors to the base unit of each dimension.
UNITS: dict[str, dict[str, float]] = {
    "length": {"m": 1.0, "km": 1000.0, "nmi": 1852.0, "mi": 1609.344, "ft": 0.3048},
    "angle": {"deg": 1.0, "°": 1.0, "rad": math.degrees(1.0), "mrad": math.degrees(1e-3)},
    "time": {"s": 1.0, "min": 60.0, "h": 3600.0},
    "speed": {"m/s": 1.0, "mps": 1.0, "km/s": 1000.0, "kps": 1000.0},
    "area": {"m2": 1.0, "m^2": 1.0, "dbsm": math.nan},
}
BASE_UNITS = _BASE = {"length": "m", "angle": "deg", "time": "s", "speed": "m/s", "area": "m2"}
#: Largest magnitude accepted per dimension, in the base unit: beyond any sensible value
#: (a million km; 100 turns; a year; the speed of light; an RCS of 1e6 m2 = +60 dBsm, above
#: the largest ships' 40-50 dBsm) yet small enough that nothing downstream overflows.
#: Commands check their own, tighter, ranges.
LIMITS: dict[str, float] = {"length": 1.0e9, "angle": 36_000.0, "time": 3.2e7, "speed": 299_792_458.0,
                            "area": 1.0e6}
#: Smallest positive RCS accepted (-100 dBsm): 10 log10(sigma) below that underflows the radar
#: equation's fourth root to nothing.
MIN_AREA_M2 = 1.0e-10
_NUM_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\s\d].*?)?\s*$", re.ASCII)


def format_lat_lon(lat: float, lon: float) -> str:
    """A point as text, ``lat 50.25° N, lon 20.75° E`` (degrees, WGS84, 2 decimals); a
    longitude outside [-180, 180] (a grid that crosses the antimeridian counts on to 360) is
    named as the meridian it is: 182.5 is ``177.50° W``."""
    if not -180.0 <= lon <= 180.0 and math.isfinite(lon):
        lon = (lon + 180.0) % 360.0 - 180.0
    return (f"lat {abs(lat):.2f}° {'N' if lat >= 0 else 'S'}, "
            f"lon {abs(lon):.2f}° {'E' if lon >= 0 else 'W'}")


def non_ascii_digit(text: str) -> str | None:
    """What is wrong with a number typed with non-ASCII digits, or None.

    Python's ``float()`` and ``int()`` and the regular expression ``\\d`` accept every Unicode
    decimal digit (``'３００'`` from a Japanese keyboard, Arabic-Indic ``'٣٠٠'``) as 300. A
    number in a command line or file is read with the ASCII digits 0-9 only, so that what a
    reader of the command or file sees is what geocover uses.
    """
    for i, ch in enumerate(str(text)):
        if ch.isdecimal() and not ch.isascii():
            name = unicodedata.name(ch, "a non-ASCII digit")
            return (f"{text!r} has the non-ASCII digit {ch!r} (U+{ord(ch):04X} {name}) at character {i + 1}; "
                    "type numbers with the ASCII digits 0-9")
    return None


def parse_quantity(text: str | float, dimension: str = "length", *, name: str = "value") -> float:
    """Parse ``text`` into the base unit of ``dimension`` (m, deg, s, m/s or m2).

    ``dBsm`` is accepted for areas (RCS): 10 log10(sigma / 1 m2).
    """
    if dimension not in UNITS:
        raise InputError(f"unknown dimension {dimension!r}")
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        try:
            value = float(text)
        except OverflowError:
            raise InputError(f"{name}: {text!r} is too large") from None
        unit = ""
    else:
        bad = non_ascii_digit(str(text))
        if bad:
            raise InputError(f"{name}: {bad}")
        m = _NUM_RE.match(str(text))
        if not m:
            article = "an" if dimension[0] in "aeiou" else "a"
            raise InputError(f"{name}: cannot read {text!r} as {article} {dimension} "
                             f"(e.g. '300{'km' if dimension == 'length' else _BASE[dimension]}')")
        value = float(m.group(1))
        unit = (m.group(2) or "").strip()
    if not unit:
        factor = 1.0
    else:
        table = {k.lower(): v for k, v in UNITS[dimension].items()}
        if unit.lower() not in table:
            raise InputError(f"{name}: unknown {dimension} unit {unit!r} in {text!r} "
                             f"(use {', '.join(UNITS[dimension])})")
        if dimension == "area" and unit.lower() == "dbsm":
            if not -100.0 <= value <= 60.0:
                raise InputError(f"{name}: {text!r} is outside -100 .. +60 dBsm")
            value = 10.0 ** (value / 10.0)
            factor = 1.0
        else:
            factor = table[unit.lower()]
    out = value * factor
    if not math.isfinite(out):
        raise InputError(f"{name}: {text!r} is not a finite number")
    limit = LIMITS[dimension]
    if abs(out) > limit:
        raise InputError(f"{name}: {text!r} is out of range (at most {limit:g} {_BASE[dimension]} in magnitude)")
    if dimension == "area" and 0.0 < out < MIN_AREA_M2:
        raise InputError(f"{name}: {text!r} is below {MIN_AREA_M2:g} m2 (-100 dBsm)")
    return out


def parse_quantity_list(text: str, dimension: str = "length", *, name: str = "value",
                        max_items: int | None = None) -> list[float]:
    """Parse a comma-separated list such as ``"100km,300km,1000km"``.

    Raises
    ------
    InputError
        An empty item, a value that is not a quantity of ``dimension``, or more than
        ``max_items`` items (each item of a sweep is a whole run).
    """
    parts = str(text).split(",")
    if not str(text).strip() or any(not p.strip() for p in parts):
        raise InputError(f"{name}: expected a comma-separated list without empty items, got {text!r}")
    if max_items is not None and len(parts) > max_items:
        raise InputError(f"{name}: at most {max_items} values (each is a separate run), got {len(parts)}")
    return [parse_quantity(p, dimension, name=name) for p in parts]
