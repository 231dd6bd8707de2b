"""GIS deliverables checked with GDAL's own tools: Cloud Optimized GeoTIFFs (gdalinfo and
GDAL's validate_cloud_optimized_geotiff.py), GeoPackages (ogrinfo: layers and the QGIS
layer_styles table), KML/KMZ (an XML parser and ogrinfo) and CSVs with coordinates.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

from geocover.cli.main import cli
from geocover.export import write_geotiff

GDALINFO = shutil.which("gdalinfo")
# GDAL's reference COG validator (Even Rouault), shipped with the GDAL Python utilities.
COG_VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_cloud_optimized_geotiff.py")


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def gdalinfo(path) -> str:
    return subprocess.run([GDALINFO, str(path)], capture_output=True, text=True, check=True).stdout


def assert_cog(path):
    """gdalinfo reports LAYOUT=COG (GDAL >= 3.1) and GDAL's validator accepts the file."""
    assert "LAYOUT=COG" in gdalinfo(path)
    if COG_VALIDATOR.exists() and Path("/usr/bin/python3").exists():
        r = subprocess.run(["/usr/bin/python3", str(COG_VALIDATOR), "--full-check=yes", str(path)],
                           capture_output=True, text=True)
        assert r.returncode == 0 and "is a valid cloud optimized GeoTIFF" in r.stdout, r.stdout + r.stderr


@pytest.mark.skipif(GDALINFO is None, reason="gdalinfo (GDAL) not installed")
def test_geotiff_is_a_tiled_cog_with_overviews_unit_and_nan_nodata(tmp_path):
    rng = np.random.default_rng(1)
    values = rng.random((700, 900)).astype(np.float32) * 1000.0
    values[:20] = np.nan
    p = write_geotiff(tmp_path / "x.tif", values, west_deg=10.0, north_deg=50.0, resolution_deg=0.01,
                      description="minimum detectable altitude (m above MSL, EGM96)", units="m")
    assert_cog(p)
    info = gdalinfo(p)
    assert "Block=256x256" in info and "Unit Type: m" in info and "NoData Value=nan" in info
    # Overviews halve the size down to one 256-pixel tile: 900x700 -> 450x350 -> 225x175.
    assert "Overviews: 450x350, 225x175" in info
    with rasterio.open(p) as ds:
        assert ds.units == ("m",) and ds.descriptions == ("minimum detectable altitude (m above MSL, EGM96)",)
        assert np.isnan(ds.nodata)
        # Cell edges in the geotransform, values at the cell centres (GDAL's Area registration).
        assert ds.tags()["AREA_OR_POINT"] == "Area"
        assert ds.transform.c == 10.0 and ds.transform.f == 50.0
        assert ds.xy(0, 0) == pytest.approx((10.005, 49.995))
        # Lossless: DEFLATE with the floating-point predictor gives back every value.
        assert np.array_equal(ds.read(1), values, equal_nan=True)


@pytest.mark.skipif(GDALINFO is None, reason="gdalinfo (GDAL) not installed")
def test_cli_geotiffs_are_cogs_with_units(tmp_path):
    out = tmp_path / "cov"
    r = run("coverage", "kurecik", "--altitude", "300km", "--resolution", "0.5deg", "--azimuth-step", "2deg",
            "--no-terrain", "--no-map", "--out", str(out))
    assert r.exit_code == 0, r.output
    tif = out / "mda_kurecik.tif"
    assert_cog(tif)
    info = gdalinfo(tif)
    assert "Unit Type: m" in info and "NoData Value=nan" in info
    assert "Description = minimum detectable altitude" in info
