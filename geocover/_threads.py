"""Threads of one engine run: how many, and running independent blocks on them.

:meth:`geocover.footprint.Architecture.engage_points` splits its targets into blocks that
do not depend on each other (:mod:`geocover.sampling` pads each flight's refinement, so a
flight's verdict does not depend on its block-mates) and runs them on a thread pool: numpy's
array operations and the numba kernels (compiled ``nogil=True``) release the GIL, so blocks
overlap on several cores. The blocks are joined in order, so the result is the same, bit
for bit, as one thread's.

How many threads (:func:`engine_threads`), first rule that applies:

1. a ``threads`` argument (``footprint(..., threads=)``, ``engage_points(..., threads=)``);
2. 1 inside a Dask worker (``geocover footprint --scheduler``, site searches, robustness
   sweeps: the work is already spread over processes, one per core, and more threads would
   only compete for the same cores);
3. the environment variable ``GEOCOVER_THREADS`` (a positive integer);
4. the CPUs this process may use (``os.sched_getaffinity``; ``os.cpu_count`` where that
   does not exist), at most :data:`DEFAULT_MAX_THREADS`: each block in flight holds ~0.2 GB
   of temporaries, so a 64-core machine would otherwise hold ~13 GB (set the variable to go
   beyond it).

Thread safety (:func:`run_blocks`): the first block runs alone in the calling thread, which
compiles or loads the numba kernels, starts numba's threading layer and builds what is
built on first use (a radar's CRPL correction bounds); then the rest run on the pool. The
numba kernels with ``parallel=True`` (trajectory sampling) may be called from several
threads only with a thread-safe threading layer (``omp`` or ``tbb``; numba aborts the
process when two threads enter its ``workqueue`` layer at once): with ``workqueue`` the
blocks run on one thread and a warning says why. Each pool thread runs numba's parallel
regions on one thread of its own (``numba.set_num_threads`` is per thread), so the pool's
threads are the only parallelism and the cores are not oversubscribed. At most ``threads``
blocks are in flight, so memory grows with the thread count, not with the number of blocks.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import TypeVar

from .errors import InputError

__all__ = ["DEFAULT_MAX_THREADS", "THREADS_ENV", "available_cpus", "engine_threads", "in_dask_worker", "run_blocks"]

#: Environment variable that sets the engine's thread count (a positive integer).
THREADS_ENV = "GEOCOVER_THREADS"
#: The default thread count's ceiling (rule 4 of the module docstring): ~0.2 GB per block in
#: flight keeps the default run under ~2 GB wherever it runs.
DEFAULT_MAX_THREADS = 8

T = TypeVar("T")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask; ``os.cpu_count()`` where the
    platform has no ``sched_getaffinity``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def in_dask_worker() -> bool:
    """Whether this code runs in a Dask worker (a task of ``distributed``). Looked up only
    when ``distributed`` is already imported (a worker process always has it), so a plain
    run does not pay for importing it."""
    dist = sys.modules.get("distributed")
    if dist is None:
        return False
    try:
        dist.get_worker()
    except (ValueError, AttributeError):  # not in a worker (ValueError: "No worker found")
        return False
    return True


def _check_count(value, where: str) -> int:
    """``value`` as a thread count (an integer >= 1), else :class:`InputError` naming ``where``."""
    text = str(value).strip()
    try:
        n = int(text)
    except ValueError:
        n = 0
    # ASCII digits only: int() also reads other scripts' digits ('\u0663' is 3), which a typo
    # or a copied value should not turn into a thread count
    if isinstance(value, bool) or n < 1 or (not isinstance(value, int) and not (text.isascii() and text.isdigit())):
        raise InputError(f"{where} = {value!r} is not a thread count; use a positive integer such as "
                         f"{available_cpus()} (the CPUs this process may use)")
    return n


def engine_threads(threads: int | None = None) -> int:
    """The number of threads an engine run uses (module docstring: argument, Dask worker,
    ``GEOCOVER_THREADS``, available CPUs).

    Parameters
    ----------
    threads : int, optional
        The caller's choice (>= 1); None: the rules of the module docstring.

    Returns
    -------
    int
        Threads to use, >= 1.

    Raises
    ------
    InputError
        ``threads`` or ``GEOCOVER_THREADS`` is not a positive integer.
    """
    if threads is not None:
        return _check_count(threads, "threads")
    env = os.environ.get(THREADS_ENV, "")
    n = _check_count(env, f"environment variable {THREADS_ENV}") if env.strip() else None
    if in_dask_worker():  # checked after the variable, so a bad value is refused everywhere
        return 1
    return n if n is not None else min(available_cpus(), DEFAULT_MAX_THREADS)


_warned_layer = False


def _numba_threadsafe() -> bool:
    """Whether the numba kernels may be called from several threads at once: numba unused
    (``GEOCOVER_NO_NUMBA``, not installed), or its threading layer is ``omp`` or ``tbb``.
    Starts the threading layer if no parallel kernel has yet (``numba.get_num_threads``)."""
    from . import _kernels

    if not _kernels.use_numba():
        return True
    import numba

    numba.get_num_threads()  # launches the threading layer (public API) if not yet running
    layer = numba.threading_layer()
    if layer in ("omp", "tbb"):
        return True
    global _warned_layer
    if not _warned_layer:
        _warned_layer = True
        warnings.warn(f"numba's threading layer {layer!r} is not thread-safe: the engine runs on one thread "
                      f"(install tbb, 'pip install tbb', or set NUMBA_THREADING_LAYER=omp where OpenMP is "
                      f"available)", RuntimeWarning, stacklevel=3)
    return False


def _one_numba_thread() -> None:
    """Pool thread initializer: this thread's numba parallel regions run on one thread."""
    from . import _kernels

    if _kernels.use_numba():
        import numba

        numba.set_num_threads(1)


def run_blocks(fn: Callable[[int], T], starts: Sequence[int], threads: int) -> list[T]:
    """``[fn(s) for s in starts]``, on up to ``threads`` threads.

    The first block runs in the calling thread first (it warms every lazily built state:
    numba compilation, the threading layer, per-radar caches); the others then run on a
    pool of ``threads`` threads with at most ``threads`` blocks in flight. The results are
    returned in the order of ``starts`` whatever order the blocks finish in. An exception
    in a block (or KeyboardInterrupt while waiting) cancels the blocks not yet started and
    is raised here; blocks already running finish in the background.

    Parameters
    ----------
    fn : callable
        ``fn(start)`` computes one block; blocks must not depend on each other.
    starts : sequence of int
        The blocks' first indices.
    threads : int
        Threads to use (:func:`engine_threads`); 1 runs every block here, in order.
    """
    starts = list(starts)
    if threads <= 1 or len(starts) <= 1:
        return [fn(s) for s in starts]
    out: list = [None] * len(starts)
    out[0] = fn(starts[0])
    if not _numba_threadsafe():
        return [out[0]] + [fn(s) for s in starts[1:]]
    pool = ThreadPoolExecutor(max_workers=min(threads, len(starts) - 1), thread_name_prefix="geocover-engine",
                              initializer=_one_numba_thread)
    try:
        pending = {}
        todo = iter(range(1, len(starts)))
        for k in todo:
            pending[pool.submit(fn, starts[k])] = k
            if len(pending) >= threads:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                out[pending.pop(f)] = f.result()
            for k in todo:  # refill: at most ``threads`` blocks in flight
                pending[pool.submit(fn, starts[k])] = k
                if len(pending) >= threads:
                    break
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return out
