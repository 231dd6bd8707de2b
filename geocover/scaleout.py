"""Running geocover on Dask workers: the allocator setting that makes them slow, and grids in chunks.

Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (the
``distributed.nanny.pre-spawn-environ`` setting). Setting a glibc malloc threshold by
environment or ``mallopt`` switches off glibc's *dynamic* mmap threshold (glibc manual,
"Memory Allocation Tunables": setting ``M_TRIM_THRESHOLD``/``M_MMAP_THRESHOLD`` disables the
dynamic adjustment), so every array above 128 KiB is ``mmap``-ed and returned to the kernel
when freed, and numpy's short-lived megabyte temporaries page-fault afresh on every
operation. On the project's VM that made a worker 1.7-2.7x slower than plain Python
(benchmarks/README.md). :class:`geocover.search.Executor` removes the variable for the local
cluster it starts; on a cluster someone else started (``dask worker``), it registers
:class:`AllocatorPlugin`, which calls ``mallopt`` inside each worker (now and in workers that
join later) to the values glibc's dynamic threshold settles at after large frees: mmap
threshold 32 MiB (``DEFAULT_MMAP_THRESHOLD_MAX`` on 64-bit) and trim threshold twice that.
Where ``mallopt`` is unavailable (not glibc) the plugin reports it and the executor warns,
naming the fix.
"""

from __future__ import annotations

import dataclasses
import itertools
import os

import numpy as np

from ._heap import M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, MMAP_THRESHOLD_B, TRIM_THRESHOLD_B
from ._heap import _mallopt as _libc_mallopt

__all__ = ["AllocatorPlugin", "allocator_status", "chunk_ranges", "concat_chunks", "configure_allocator"]

TRIM_ENV = "MALLOC_TRIM_THRESHOLD_"
# M_TRIM_THRESHOLD, M_MMAP_THRESHOLD (glibc <malloc.h>), MMAP_THRESHOLD_B (glibc's
# DEFAULT_MMAP_THRESHOLD_MAX on 64-bit, the dynamic mmap threshold's ceiling) and TRIM_THRESHOLD_B
# (twice it, the dynamic trim threshold's ceiling) come from geocover._heap: one copy
#: Dask drops a pre-spawn variable whose configured value is None (distributed/nanny.py,
#: ``_get_env_variables``); Dask's DASK_* environment variables cannot say it (their keys are
#: lower-cased), a config file can
FIX_CONFIG_YAML = "distributed: {nanny: {pre-spawn-environ: {MALLOC_TRIM_THRESHOLD_: null}}}"
FIX_HINT = (f"start the workers without Dask's allocator setting: a Dask config file such as "
            f"~/.config/dask/geocover.yaml holding '{FIX_CONFIG_YAML}', or dask worker --no-nanny")

_STATE = {"configured": False}


def _libc():
    """glibc's ``mallopt`` (None where missing: not Linux, or musl), found once by
    :func:`geocover._heap._mallopt`; a function of its own so tests can take it away."""
    return _libc_mallopt()


def configure_allocator(*, force: bool = False) -> str:
    """In this process: if ``MALLOC_TRIM_THRESHOLD_`` is set below glibc's dynamic values (or
    ``force``), set the mmap and trim thresholds with ``mallopt`` to the values the dynamic
    threshold reaches (see the module docstring).

    Returns
    -------
    str
        ``"configured"`` (mallopt accepted both values, now or earlier in this process),
        ``"not needed"`` (no small trim threshold in the environment) or ``"unavailable"``
        (no glibc ``mallopt``: the setting stays, see :data:`FIX_HINT`).
    """
    if _STATE["configured"]:
        return "configured"
    value = os.environ.get(TRIM_ENV)
    try:
        small = value is not None and int(value) < TRIM_THRESHOLD_B
    except ValueError:
        small = True
    if not (small or force):
        return "not needed"
    mallopt = _libc()
    if mallopt is None:
        return "unavailable"
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_B) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_B) == 1
    if ok:
        _STATE["configured"] = True
        return "configured"
    return "unavailable"


def allocator_status() -> dict:
    """This process's allocator state (run in workers by ``Client.run``): the environment
    value, whether :func:`configure_allocator` set the thresholds, and the process id."""
    return {"env": os.environ.get(TRIM_ENV), "configured": _STATE["configured"], "pid": os.getpid()}


try:  # a real WorkerPlugin where distributed is installed (the plugin only exists there)
    from distributed.diagnostics.plugin import WorkerPlugin as _Base
except ImportError:  # pragma: no cover
    _Base = object


class AllocatorPlugin(_Base):
    """Dask worker plugin: :func:`configure_allocator` in every worker, now and on (re)start."""

    name = "geocover-allocator"
    idempotent = True

    def setup(self, worker) -> None:
        result = configure_allocator()
        if result == "unavailable":
            import logging

            logging.getLogger("distributed.worker").warning(
                "geocover: %s=%s slows numpy work here and mallopt is unavailable; %s", TRIM_ENV,
                os.environ.get(TRIM_ENV), FIX_HINT)


def chunk_ranges(n: int, n_chunks: int, *, align: int = 1) -> list[tuple[int, int]]:
    """At most ``n_chunks`` contiguous ``(start, stop)`` ranges covering ``range(n)``, every
    boundary a multiple of ``align`` (so a computation that works in blocks of ``align``
    meets the same blocks as in one call), sizes in blocks differing by at most one."""
    if n < 0 or n_chunks < 1 or align < 1:
        raise ValueError(f"need n >= 0, n_chunks >= 1 and align >= 1, got {n}, {n_chunks}, {align}")
    blocks = -(-n // align)
    k = min(n_chunks, blocks)
    edges = [min(n, align * (blocks * i // k)) for i in range(k + 1)] if k else []
    return list(itertools.pairwise(edges))


def concat_chunks(parts: list):
    """Results of consecutive chunks joined along their first axis: numpy arrays; tuples and
    lists element by element; dicts key by key; dataclasses field by field (a class with a
    ``concat`` static method uses it); ``None`` stays ``None``."""
    if not parts:
        raise ValueError("no chunks to join")
    first = parts[0]
    if first is None:
        return None
    if isinstance(first, np.ndarray) or np.isscalar(first):
        return np.concatenate([np.atleast_1d(p) for p in parts])
    if isinstance(first, dict):
        return {k: concat_chunks([p[k] for p in parts]) for k in first}
    if isinstance(first, tuple | list):
        joined = [concat_chunks([p[i] for p in parts]) for i in range(len(first))]
        return type(first)(joined) if not hasattr(first, "_fields") else type(first)(*joined)
    concat = getattr(type(first), "concat", None)
    if callable(concat):
        return concat(parts)
    if dataclasses.is_dataclass(first):
        return type(first)(**{f.name: concat_chunks([getattr(p, f.name) for p in parts])
                              for f in dataclasses.fields(first)})
    raise TypeError(f"cannot join chunk results of type {type(first).__name__}")
