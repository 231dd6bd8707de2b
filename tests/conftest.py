"""Shared fixtures. Every number a test checks carries its source in the test."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_strict import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401  (CI: no silent skips)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["scalar", "array"])
def scalar_and_array(request):
    """Run a test with scalar input and with array input (pyproj's fixture pattern)."""
    if request.param == "scalar":
        return lambda x: x
    import numpy as np

    return lambda x: np.array([x, x])


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Terrain masks are cached per test session in a temporary folder, not in ~/.cache."""
    monkeypatch.setenv("GEOCOVER_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
