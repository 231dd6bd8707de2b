"""Shared fixtures. Every number a test checks carries its source in the test."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_strict import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401  (CI: no silent skips)
from mutation_support import _fresh_geocover_caches_under_mutmut  # noqa: F401  (mutmut: no stale caches)

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


@pytest.fixture(autouse=True)
def _geojson_outputs_follow_rfc7946(monkeypatch):
    """Every GeoJSON file geocover writes during a test (all outputs land by os.replace,
    see geocover.export) is checked after the test by the independent RFC 7946 checker:
    winding, longitude range, validity, a named third coordinate, and GDAL's ogrinfo."""
    import os

    from rfc7946_check import check_file

    written: list[Path] = []
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        real_replace(src, dst, *args, **kwargs)
        if str(dst).lower().endswith((".geojson", ".geojsonl", ".json")):
            written.append(Path(dst))

    monkeypatch.setattr(os, "replace", replace)
    yield
    problems = []
    for p in dict.fromkeys(written):
        if p.is_file() and (p.suffix.lower() == ".geojson" or '"FeatureCollection"' in p.read_text(errors="ignore")):
            problems += check_file(p)
    assert not problems, "GeoJSON written by geocover breaks RFC 7946:\n" + "\n".join(problems)
