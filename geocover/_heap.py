"""The engine's blocks keep their freed heap: glibc's trim threshold raised while they run.

glibc returns freed memory at the top of the heap to the kernel once more than the trim
threshold is free (dynamically at most 64 MiB: twice ``DEFAULT_MMAP_THRESHOLD_MAX``, 32 MiB
on 64-bit; glibc manual, "Memory Allocation Tunables"), and the next allocation faults the
pages in again, zero-filled. A 4096-cell block of :meth:`geocover.footprint.Architecture.
engage_points` (adaptive sampling: every round's merged arrays, the tracks, the flyouts)
allocates and frees far more than that, so every block page-faulted its memory afresh.
Measured on the issue-13 benchmark footprint (epaa-phase3-2018, Tabriz, 0.1 deg, 200,000 cells,
``GEOCOVER_THREADS=1``, ``/usr/bin/time -v``): 826,000 minor page faults, 1.9 s system time,
9.4 CPU-s; with the threshold at :data:`RUN_TRIM_THRESHOLD_B`: 85,000, 0.3 s, 7.8 CPU-s; peak
RSS 0.51 / 0.52 GB, the grid bit-identical (allocation does not change any value).

:func:`kept_heap` raises the threshold while the blocks run and sets it back to the dynamic
ceiling when the last run ends (the surplus is then returned at the next free), so memory
kept is memory the run had in use. One count for the whole process (under a lock): nested
contexts and contexts entered by several threads at once (the engine's thread pool, a notebook
running footprints from threads) raise the threshold once and set it back when the last one
closes, never while another is still open; a forked child starts with none open. Setting it
back cannot restore a value set elsewhere (glibc has no getter): it sets the ceiling values
that :mod:`geocover.scaleout` also sets in Dask workers (its module docstring: why Dask's own
setting is slow), and which it imports from here (not the other way: it imports
``distributed``, ~0.5 s).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
import threading

__all__ = ["RUN_TRIM_THRESHOLD_B", "kept_heap"]

#: glibc <malloc.h> parameter numbers for ``mallopt``
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
#: glibc's ``DEFAULT_MMAP_THRESHOLD_MAX`` on 64-bit, and the dynamic trim threshold's ceiling (twice it)
MMAP_THRESHOLD_B = 32 * 1024 * 1024
TRIM_THRESHOLD_B = 2 * MMAP_THRESHOLD_B
#: freed heap kept while blocks run (module docstring)
RUN_TRIM_THRESHOLD_B = 512 * 1024 * 1024

#: ``depth``: contexts open in this process (all threads); ``fork``: forks survived (a context
#: entered before a fork does not count in the child, :func:`_after_fork_in_child`)
_STATE: dict = {"depth": 0, "fork": 0}
_LOCK = threading.Lock()


def _mallopt():
    """glibc's ``mallopt`` (None elsewhere: not Linux, or a libc without it, e.g. musl)."""
    if "fn" not in _STATE:  # once: find_library may run ldconfig
        fn = None
        if sys.platform.startswith("linux"):
            try:
                fn = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
            except (OSError, AttributeError):
                fn = None
        _STATE["fn"] = fn
    return _STATE["fn"]


@contextlib.contextmanager
def kept_heap():
    """While inside (re-entrant, from any thread): glibc keeps up to
    :data:`RUN_TRIM_THRESHOLD_B` of freed heap and serves allocations up to
    :data:`MMAP_THRESHOLD_B` from it; leaving the outermost one sets the trim threshold back to
    :data:`TRIM_THRESHOLD_B`. Nothing where ``mallopt`` is missing. Setting a threshold ends
    glibc's dynamic adjustment; the values left behind are the ceilings it adjusts to."""
    mallopt = _mallopt()
    if mallopt is None:
        yield
        return
    with _LOCK:  # one count for all threads: the settings are the process's
        if _STATE["depth"] == 0:
            mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_B)
            mallopt(M_TRIM_THRESHOLD, RUN_TRIM_THRESHOLD_B)
        _STATE["depth"] += 1
        fork = _STATE["fork"]
    try:
        yield
    finally:
        with _LOCK:
            if _STATE["fork"] == fork:  # entered in this process (else the child reset the count)
                _STATE["depth"] -= 1
                if _STATE["depth"] == 0:
                    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_B)


def _after_fork_in_child() -> None:
    """A forked child has one thread and the parent's heap settings: contexts other threads had
    open never close here, so the child starts with none open (its own lock, the trim
    threshold back at :data:`TRIM_THRESHOLD_B` if the parent had it raised), and a context the
    forking thread had open leaves the count alone when it closes in the child."""
    global _LOCK
    _LOCK = threading.Lock()  # the parent's may have been held by a thread the child lacks
    if _STATE["depth"] and _STATE.get("fn") is not None:
        _STATE["fn"](M_TRIM_THRESHOLD, TRIM_THRESHOLD_B)
    _STATE["depth"] = 0
    _STATE["fork"] += 1


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
