"""Progress of the CLI's long jobs (footprint per launch, compare per scenario).

As :class:`geocover.search.Executor` decides for ``optimise``: a tqdm bar on stderr only when
stderr is a terminal (never into a log file or a pipe); otherwise the plain "ID: done" lines a
log keeps. ``-q`` (the ``geocover`` logger at ERROR) silences both.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import click

__all__ = ["progress_callback"]


def progress_callback(total: int, desc: str, unit: str,
                      line: Callable[[str], str] | None = None) -> Callable[[str], None]:
    """A ``progress(item_id)`` callback for a job of ``total`` items.

    Parameters
    ----------
    total : int
        Number of items (launches, scenarios) the job reports.
    desc, unit : str
        The bar's label and unit ("footprint", "launch").
    line : callable, optional
        ``item_id -> text`` of the line written per item when stderr is not a terminal
        (default ``"  ID: done"``).

    Returns
    -------
    callable
        Called once per finished item; the bar closes itself after ``total`` calls.
    """
    if logging.getLogger("geocover").getEffectiveLevel() >= logging.ERROR:  # -q
        return lambda _item: None
    if not sys.stderr.isatty():
        fmt = line or (lambda item: f"  {item}: done")
        return lambda item: click.echo(fmt(item), err=True)
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr)

    def step(item: str) -> None:
        bar.set_postfix_str(str(item)[:40], refresh=False)
        bar.update(1)
        if bar.n >= total:
            bar.close()

    return step
