"""EGM96 geoid: our bilinear interpolation against PROJ with the same grid; no N = 0."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT
from pyproj import datadir
from pyproj.transformer import TransformerGroup

from geocover import (
    GeoidError,
    ellipsoidal_to_msl,
    geoid_undulation,
    load_geoid,
    msl_to_ellipsoidal,
)


def test_matches_proj_with_the_same_grid():
    datadir.append_data_dir(str(ROOT / "data" / "geoid"))
    group = TransformerGroup("EPSG:4979", "EPSG:4326+5773", always_xy=True)
    # PROJ must have found the grid: otherwise it would quietly use N = 0.
    assert group.best_available
    t = group.transformers[0]
    assert "EGM96" in t.description and "ballpark" not in t.description
    rng = np.random.default_rng(5)
    lat = np.concatenate([rng.uniform(-90, 90, 20_000), [90, -90, 0, 0]])
    lon = np.concatenate([rng.uniform(-180, 180, 20_000), [0, 0, 180, -180]])
    _, _, h_msl = t.transform(lon, lat, np.zeros_like(lat))
    assert np.max(np.abs(-h_msl - geoid_undulation(lat, lon))) < 1e-3


def test_check_values():
    # PHYSICS.md: Paris N ~ +44.6 m, Tehran N ~ +2.6 m.
    assert geoid_undulation(48.857, 2.352) == pytest.approx(44.6, abs=0.1)
    assert geoid_undulation(35.689, 51.389) == pytest.approx(2.6, abs=0.15)
    # EGM96 extremes: the Indian Ocean low (~ -106 m near 4.7 N, 78.8 E in the 15' grid).
    assert geoid_undulation(4.75, 78.75) < -100


def test_msl_ellipsoidal_roundtrip():
    h = msl_to_ellipsoidal(48.857, 2.352, 35.0)
    assert h == pytest.approx(35.0 + 44.6, abs=0.1)
    assert ellipsoidal_to_msl(48.857, 2.352, h) == pytest.approx(35.0, abs=1e-9)


def test_wraps_in_longitude():
    assert geoid_undulation(10.0, 190.0) == pytest.approx(geoid_undulation(10.0, -170.0), abs=1e-9)
    assert geoid_undulation(10.0, 179.9) == pytest.approx(geoid_undulation(10.0, -180.1), abs=1e-9)


def test_missing_grid_is_an_error_not_zero(tmp_path):
    with pytest.raises(GeoidError, match="not assume N = 0"):
        load_geoid(tmp_path / "nope.tif")
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(GeoidError, match=r"bad\.tif"):
        load_geoid(bad)


def test_missing_data_dir_is_an_error(monkeypatch, tmp_path):
    from geocover.geoid import _load_geoid

    _load_geoid.cache_clear()
    monkeypatch.setenv("GEOCOVER_DATA_DIR", str(tmp_path))
    try:
        with pytest.raises(GeoidError):
            geoid_undulation(0.0, 0.0)
    finally:
        _load_geoid.cache_clear()
