"""Exceptions raised by geocover.

One root, :class:`GeocoverError`; each subclass is also the matching builtin so that
callers who catch ``ValueError`` or ``OSError`` keep working (the rasterio pattern).
Messages name the bad value and where it came from (file, record, field).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "CatalogError",
    "DataFileError",
    "GeocoverError",
    "GeoidError",
    "InputError",
    "UnknownIdError",
    "close_matches",
    "output_path_problem",
    "quoted",
    "shown",
    "shown_key",
    "tidy_message",
]

#: Most characters of one piece of user text (a key, id, value, option value) that a message
#: echoes: a message must stay readable when a file holds a 5,000-character key.
SHOWN_CHARS = 80
#: Most characters of a whole dotted key path (``overrides.radars.<id>.<field>``) that a
#: message echoes, once each part is cut to :data:`SHOWN_CHARS` (:func:`shown_key`).
KEY_CHARS = 240
#: Most characters of a file or folder name that a message echoes (paths are longer than
#: keys; the cut keeps the end, where the file name is).
PATH_CHARS = 160
#: Most characters of any one word (a run without spaces) and of a whole message that the
#: command line prints (the net under :func:`shown`, for text no message shortened itself).
WORD_CHARS = 240
MESSAGE_CHARS = 2000


def _escaped(ch: str, keep: str = "") -> str:
    """``ch`` as a message shows it: a character a terminal or a log would act on (C0 and
    C1 controls, DEL, line and paragraph separators, bidirectional embeddings, overrides and
    isolates, lone surrogates) as ``\\xNN``/``\\uNNNN``; other characters (names in any
    script, emoji, the U+200C/U+200D joiners and U+200E/U+200F marks) unchanged."""
    o = ord(ch)
    if ch in keep:
        return ch
    if o < 0x20 or 0x7F <= o <= 0x9F:
        return f"\\x{o:02x}"
    if o in (0x2028, 0x2029) or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069 or 0xD800 <= o <= 0xDFFF:
        return f"\\u{o:04x}"
    return ch


def shown(text: Any, limit: int = SHOWN_CHARS) -> str:
    """User text as every message echoes it: on one line, harmless to a terminal, short.

    Parameters
    ----------
    text : str
        A key, id, value, option value or file name from the user (converted with ``str``).
    limit : int
        Most characters kept (:data:`SHOWN_CHARS` for keys and values, :data:`PATH_CHARS`
        for file names).

    Returns
    -------
    str
        ``text`` with control characters, line breaks, line/paragraph separators, bidirectional
        controls and lone surrogates written as ``\\xNN``/``\\uNNNN`` (a key holding
        ``"\\x1b[2J"`` cannot clear the terminal, a newline cannot forge a second log line);
        longer than ``limit`` it is cut in the middle, keeping the first two thirds and the last
        third (for ``overrides.radars.<id>.<field>`` or a path, the field or file name):
        ``head...tail (5,012 characters)``.
    """
    text = str(text)
    if len(text) > limit:
        head, tail = text[: max(1, limit * 2 // 3)], text[-max(1, limit // 3):]
        return (f"{''.join(map(_escaped, head))}...{''.join(map(_escaped, tail))} "
                f"({len(text):,} characters)")
    return "".join(map(_escaped, text))


def shown_key(key: str) -> str:
    """A dotted key path (``overrides.radars.<id>.<field>[0]``) as messages show it: each
    part through :func:`shown` (so a long user key is cut while the tables around it and the
    field after it stay whole), the whole path cut beyond :data:`KEY_CHARS`."""
    text = ".".join(shown(part) for part in str(key).split("."))
    return text if len(text) <= KEY_CHARS else shown(text, KEY_CHARS)


def quoted(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` shortened like :func:`shown` (``'abc'``, ``5``, ``[1, 2]``): the form
    messages use for a value from a file or an option."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an int too long for repr, or nesting too deep
        text = f"<{type(value).__name__}>"
    return shown(text, limit)


_LONG_WORD = re.compile(rf"\S{{{WORD_CHARS + 1},}}")


def tidy_message(message: str) -> str:
    """A whole message as the command line prints it (the net under :func:`shown`): control
    characters escaped except tab and line breaks, every word (run without whitespace) longer
    than :data:`WORD_CHARS` cut in the middle; a message of several lines longer than
    :data:`MESSAGE_CHARS` keeps whole lines (its first ones and its last) and says how many it
    left out; one long line is cut in the middle."""
    text = "".join(_escaped(c, keep="\t\n") for c in str(message))
    text = _LONG_WORD.sub(lambda m: shown(m.group(0), WORD_CHARS), text)
    lines = text.split("\n")
    if len(text) > MESSAGE_CHARS and len(lines) > 2:
        # a list of problems (one per line, each naming file, record and field) keeps whole lines:
        # its last line (often the hint: 'a shapefile cuts field names ...') and as many from the
        # top as fit; a cut in the middle of the text glued one line's head to another's tail
        budget = MESSAGE_CHARS - 80  # room for the line saying what was left out
        tail = [lines[-1]] if len(lines[-1]) <= MESSAGE_CHARS // 3 else []
        size = sum(len(x) + 1 for x in tail)
        head = [lines[0]]
        size += len(lines[0])
        for line in lines[1:len(lines) - len(tail)]:
            if size + 1 + len(line) > budget:
                break
            head.append(line)
            size += 1 + len(line)
        left = len(lines) - len(head) - len(tail)
        if left:
            text = "\n".join([*head, f"... and {left:,} more line{'s' if left > 1 else ''} ({len(text):,} "
                                     "characters in all)", *tail])
    if len(text) > MESSAGE_CHARS:  # one long line: cut like shown()
        text = (f"{text[: MESSAGE_CHARS * 2 // 3]}...{text[-(MESSAGE_CHARS // 3):]} "
                f"({len(text):,} characters)")
    return text


def output_path_problem(text: str) -> str | None:
    """What makes ``text`` unusable as an output file or folder name, or None.

    Refused: control characters (a newline or tab in a name breaks every log, manifest and
    ``ls`` listing line by line; ESC would be run by a terminal that lists the folder), the
    line/paragraph separators U+2028/U+2029 (Python's ``splitlines`` and many editors break
    lines there) and bidirectional embeddings/overrides/isolates (they make a name display as
    another, "Trojan Source", CVE-2021-42574). Allowed: spaces, quotes, non-ASCII names and the
    U+200C/U+200D joiners and U+200E/U+200F marks that Persian or Arabic names need.
    """
    for i, ch in enumerate(str(text)):
        if _escaped(ch) != ch and not 0xD800 <= ord(ch) <= 0xDFFF:  # undecodable bytes: export._check_name
            kind = "control character" if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F else "character"
            return (f"holds the {kind} U+{ord(ch):04X} at character {i + 1}; use a name without control, "
                    "line-separator or bidirectional characters")
    return None


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
        hint = f"; did you mean {', '.join(quoted(m) for m in self.matches)}?" if self.matches else ""
        super().__init__(f"unknown {what} {quoted(name)}{hint}")

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
