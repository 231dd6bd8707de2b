"""Machine facts printed by every benchmark (CPU model, memory), shared by the scripts."""

from __future__ import annotations

import platform
from pathlib import Path


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or what platform knows)."""
    return _proc_field("/proc/cpuinfo", "model name") or platform.processor() or platform.machine()


def mem_total_gib() -> float:
    """Total memory in GiB from /proc/meminfo (NaN if unknown)."""
    value = _proc_field("/proc/meminfo", "MemTotal")
    return int(value.split()[0]) / 2**20 if value else float("nan")


def describe() -> str:
    """One line of machine facts: CPU model, CPUs usable, memory, load, Python and numpy/numba."""
    import os

    try:
        ncpu = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        ncpu = os.cpu_count() or 0
    try:
        import numpy

        np_v = numpy.__version__
    except ImportError:
        np_v = "-"
    try:
        import numba

        nb_v = numba.__version__
    except ImportError:
        nb_v = "not installed"
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return (f"machine: {platform.platform()}; {ncpu} CPUs usable ({os.cpu_count()} online); {cpu_model()}; "
            f"{mem_total_gib():.1f} GiB RAM; load average {', '.join(f'{x:.2f}' for x in load)}; "
            f"Python {platform.python_version()}, numpy {np_v}, numba {nb_v}")
