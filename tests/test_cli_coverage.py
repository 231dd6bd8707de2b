"""`geocover coverage` and `geocover los`: outputs, JSON keys, and user errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from geocover.cli.main import cli

FAST = ["--resolution", "0.5deg", "--azimuth-step", "1deg"]


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_coverage_writes_geojson_geotiff_map(tmp_path):
    out = tmp_path / "out"
    r = run("coverage", "brdy-emr", "kurecik", "--altitude", "100km,300km", "--rcs", "0.01",
            "--k", "2", "--out", str(out), *FAST)
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["coverage.geojson", "coverage.gpkg", "coverage.html", "coverage.kmz", "k_coverage.geojson",
                     "mda_brdy-emr.tif",
                     "mda_kurecik.tif"]
    fc = json.loads((out / "coverage.geojson").read_text())
    assert fc["type"] == "FeatureCollection" and "crs" not in fc and len(fc["features"]) == 4
    props = fc["features"][0]["properties"]
    for key in ("radar_id", "altitude_m", "rcs_m2", "refraction_model", "terrain", "geocover_version"):
        assert key in props
    assert props["terrain"] is True
    k = json.loads((out / "k_coverage.geojson").read_text())
    layers = {f["properties"]["layer"] for f in k["features"]}
    assert {"union", "at_least_2", "piece"} <= layers
    with rasterio.open(out / "mda_brdy-emr.tif") as ds:
        assert ds.crs.to_epsg() == 4326 and np.isnan(ds.nodata)
        assert "MSL" in ds.descriptions[0]
        v = ds.read(1)
        assert np.isfinite(v).any() and np.isnan(v).any()
    html = (out / "coverage.html").read_text()
    assert "leaflet" in html.lower() and "brdy-emr" in html


@pytest.mark.parametrize("args,fragment", [
    (["coverage", "brdy", "--altitude", "100km"], "did you mean 'brdy-emr'"),
    (["coverage", "gabala", "--altitude", "-100km"], "must be >= 0"),
    (["coverage", "gabala", "--altitude", "tall"], "cannot read 'tall'"),
    (["coverage", "gabala", "--rcs", "0"], "must be > 0"),
    (["coverage", "gabala", "--dem", "/nonexistent/dem.tif"], "/nonexistent/dem.tif"),
])
def test_coverage_bad_input_leaves_nothing(tmp_path, args, fragment):
    out = tmp_path / "out"
    r = run(*args, "--out", str(out), *FAST)
    assert r.exit_code == 2, r.output
    assert fragment in r.output and "Traceback" not in r.output
    assert not out.exists()
    assert not list(tmp_path.iterdir())  # no staging folder left behind either


def test_coverage_failure_keeps_previous_output(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "coverage.geojson").write_text("previous")
    from geocover.cli import coverage as cov_cmd

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(cov_cmd, "write_geotiff", boom)
    r = run("coverage", "gabala", "--altitude", "300km", "--out", str(out), *FAST)
    assert r.exit_code != 0
    assert (out / "coverage.geojson").read_text() == "previous"
    assert [p.name for p in out.iterdir()] == ["coverage.geojson"]


def test_los_json_keys_and_units():
    r = run("los", "kurecik", "38.08,46.292,100km", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    for key in ("visible", "azimuth_deg", "elevation_deg", "slant_range_m", "blocked_by"):
        assert key in out
    assert out["visible"] is True and out["blocked_by"] is None
    assert out["altitude_m"] == 100_000.0
    blocked = json.loads(run("los", "brdy-emr", "35.689,51.389,300km", "--json").output)
    assert blocked["visible"] is False and blocked["blocked_by"] == "horizon"
    assert "NOT visible" in run("los", "brdy-emr", "35.689,51.389,300km").output


@pytest.mark.parametrize("point,fragment", [
    ("38.08,46.292", "LAT,LON,ALT"), ("95,46,100km", "latitude 95"), ("38,46,high", "cannot read"),
])
def test_los_bad_points(point, fragment):
    r = run("los", "kurecik", point)
    assert r.exit_code == 2 and fragment in r.output
