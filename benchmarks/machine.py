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
