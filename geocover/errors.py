"""Exceptions raised by geocover.

One root, :class:`GeocoverError`; each subclass is also the matching builtin so that
callers who catch ``ValueError`` or ``OSError`` keep working (the rasterio pattern).
Messages name the bad value and where it came from (file, record, field).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "CatalogError",
    "DataFileError",
    "GeocoverError",
    "GeoidError",
    "InputError",
    "UnknownIdError",
    "close_matches",
]


class GeocoverError(Exception):
    """Root of every error geocover raises on purpose."""


class InputError(GeocoverError, ValueError):
    """A value given by the user is out of range, malformed or inconsistent."""


class CatalogError(GeocoverError, ValueError):
    """A catalog file (sites, radars, missiles ...) is malformed.

    The message names the file, the record id and the field.
    """


class UnknownIdError(GeocoverError, KeyError):
    """An id that is in no loaded catalog; the message lists close matches."""

    def __init__(self, what: str, name: str, known: Iterable[str]):
        self.what = what
        self.name = name
        self.matches = close_matches(name, known)
        hint = f"; did you mean {', '.join(repr(m) for m in self.matches)}?" if self.matches else ""
        super().__init__(f"unknown {what} {name!r}{hint}")

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0])


class DataFileError(GeocoverError, OSError):
    """A data file (DEM, geoid grid, catalog) is missing or unreadable."""


class GeoidError(DataFileError):
    """The geoid grid cannot be used; geocover never falls back to N = 0."""


def close_matches(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` entries of ``known`` that look like ``name``."""
    known = list(known)
    matches = difflib.get_close_matches(name, known, n=n, cutoff=0.6)
    if not matches:
        low = name.lower()
        matches = [k for k in known if low and (low in k.lower() or k.lower() in low)][:n]
    return matches
