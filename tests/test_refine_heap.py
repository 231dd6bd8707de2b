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

import os
import sys
import threading

import pytest

from geocover import _heap

glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or _heap._mallopt() is None,
                           reason="glibc mallopt only")


_MEASURE = """
import resource, sys
import numpy as np
from geocover import _heap

def faults(passes=5):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(passes):
        arrays = [np.ones(1_000_000) for _ in range(20)]  # 20 x 8 MB, written
        del arrays
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

with _heap.kept_heap():
    faults(1)  # the first pass may fault the pages in
    inside = faults()
outside = faults()
print(inside, outside)
"""


@glibc
def test_kept_heap_reuses_pages():
    # in a fresh process: in the suite's own, whatever earlier tests left live at the top of the
    # heap keeps glibc from trimming at all (CI: 90 faults outside), so "outside" measures nothing
    import subprocess

    out = subprocess.run([sys.executable, "-c", _MEASURE], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    inside, outside = (int(v) for v in out.stdout.split())
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


class _Recorder:
    """A stand-in for glibc's ``mallopt`` that records (parameter, value) and reports success
    (``mallopt`` returns 1 on success, mallopt(3))."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, param, value):
        with self.lock:
            self.calls.append((param, value))
        return 1

    def trim(self):
        """The trim threshold last set (None before any)."""
        values = [v for p, v in self.calls if p == M_TRIM_THRESHOLD]
        return values[-1] if values else None


# glibc <malloc.h>: M_TRIM_THRESHOLD -1, M_MMAP_THRESHOLD -3; the run's value and the ceiling the
# exit sets back are _heap's documented choices (512 MiB; 64 MiB = 2 x DEFAULT_MMAP_THRESHOLD_MAX,
# 32 MiB on 64-bit, glibc manual "Memory Allocation Tunables")
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
RUN_B, CEILING_B = 512 * 2**20, 64 * 2**20


@pytest.fixture
def recorder(monkeypatch):
    rec = _Recorder()
    monkeypatch.setitem(_heap._STATE, "fn", rec)  # no real allocator change in these tests
    monkeypatch.setitem(_heap._STATE, "depth", 0)
    return rec


def test_two_threads_restore_once_when_the_last_leaves(recorder):
    # thread A enters, B enters, A leaves while B is inside: the threshold stays raised until B leaves
    a_in, b_in, a_out, b_go = (threading.Event() for _ in range(4))
    seen = {}

    def a():
        with _heap.kept_heap():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with _heap.kept_heap():
            b_in.set()
            a_out.wait(5)
            seen["trim while B inside after A left"] = recorder.trim()
            b_go.wait(5)

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start(), tb.start()
    a_out.wait(5)
    assert seen.get("trim while B inside after A left", RUN_B) == RUN_B
    b_go.set()
    ta.join(5), tb.join(5)
    assert seen["trim while B inside after A left"] == RUN_B
    # one raise (mmap then trim) when the first entered, one setting back when the last left
    assert recorder.calls == [(M_MMAP_THRESHOLD, 32 * 2**20), (M_TRIM_THRESHOLD, RUN_B),
                              (M_TRIM_THRESHOLD, CEILING_B)]
    assert _heap._STATE["depth"] == 0


def test_many_threads_never_see_the_threshold_restored_inside(recorder):
    # 8 threads entering and leaving (some nested) 200 times each: inside, the last trim value set
    # is always the run's; at the end it is the ceiling and the count is zero
    bad = []

    def work(k):
        for i in range(200):
            with _heap.kept_heap():
                if (i + k) % 3 == 0:
                    with _heap.kept_heap():
                        if recorder.trim() != RUN_B:
                            bad.append(recorder.trim())
                if recorder.trim() != RUN_B:
                    bad.append(recorder.trim())

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert bad == []
    assert _heap._STATE["depth"] == 0 and recorder.trim() == CEILING_B
    raises = [c for c in recorder.calls if c == (M_TRIM_THRESHOLD, RUN_B)]
    restores = [c for c in recorder.calls if c == (M_TRIM_THRESHOLD, CEILING_B)]
    assert len(raises) == len(restores) >= 1  # paired


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_forked_child_starts_with_none_open(recorder):
    # a fork inside a context: the child counts none open and sets the ceiling back; the context
    # the forking thread had open closes in the child without driving the count below zero, and in
    # the parent as usual
    pid = -1
    try:
        with _heap.kept_heap():
            pid = os.fork()
            if pid == 0:  # child: report by exit status (no pytest machinery here)
                inside = _heap._STATE["depth"] == 0 and recorder.trim() == CEILING_B
        if pid == 0:
            os._exit(0 if inside and _heap._STATE["depth"] == 0 else 1)
    finally:
        if pid == 0:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _heap._STATE["depth"] == 0 and recorder.trim() == CEILING_B
    # the parent raised once and set back once, unaffected by the child
    assert recorder.calls == [(M_MMAP_THRESHOLD, 32 * 2**20), (M_TRIM_THRESHOLD, RUN_B),
                              (M_TRIM_THRESHOLD, CEILING_B)]
