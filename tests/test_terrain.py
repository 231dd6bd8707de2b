"""DEM stack and terrain masks: sampling, stacking order, errors, caching, and an
independent geometric cross-check of the mask."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rasterio
from conftest import ROOT
from rasterio.transform import from_origin

import geocover as gc
from geocover.terrain import DemStack, TerrainWarning, terrain_mask

DEM = ROOT / "data" / "dem"


def _write_tif(path, data, *, west, north, res, crs="EPSG:4326"):
    profile = {"driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1,
               "dtype": "float32", "nodata": -9999.0}
    if crs:
        profile.update(crs=crs, transform=from_origin(west, north, res, res))
    else:
        profile.update(transform=rasterio.Affine.identity())
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data.astype(np.float32), 1)
    return path


def test_bilinear_equals_cell_values_at_centres():
    stack = DemStack()
    with rasterio.open(DEM / "dem_globe2m_max.tif") as ds:
        rows, cols = np.array([100, 400, 700]), np.array([300, 1000, 1700])
        xs, ys = rasterio.transform.xy(ds.transform, rows, cols)
        want = ds.read(1)[rows, cols]
    assert np.allclose(stack.sample(np.array(ys), np.array(xs)), np.maximum(want, 0))


def test_known_peaks_from_provenance():
    # data/README.md: GLOBE 2' max reads Elbrus 5,570 m and Damavand 5,401 m (cell maxima).
    stack = DemStack()
    elbrus = stack.sample(43.35, 42.4392)
    damavand = stack.sample(35.9556, 52.1097)
    assert 5000 < elbrus <= 5570 and 4800 < damavand <= 5401


def test_user_dem_goes_first_and_projected_crs_works(tmp_path):
    flat = _write_tif(tmp_path / "flat.tif", np.full((50, 50), 1234.0), west=37.0, north=39.0, res=0.04)
    stack = DemStack([flat])
    assert stack.sample(38.5, 37.5) == pytest.approx(1234.0)
    assert stack.sample(45.0, 10.0) != pytest.approx(1234.0)  # outside: bundled grids
    utm = _write_tif(tmp_path / "utm.tif", np.full((40, 40), 777.0), west=400_000, north=4_300_000,
                     res=1000.0, crs="EPSG:32637")
    lat, lon = 38.6, 37.9  # inside UTM zone 37N window (E ~ 420 km, N ~ 4,272 km)
    assert DemStack([utm]).sample(lat, lon) == pytest.approx(777.0)


def test_outside_every_dem_warns_and_uses_smooth_earth(tmp_path):
    small = _write_tif(tmp_path / "small.tif", np.full((10, 10), 500.0), west=10.0, north=50.0, res=0.1)
    stack = DemStack([small], bundled=False)
    with pytest.warns(TerrainWarning, match="outside every DEM"):
        h = stack.sample(np.array([49.5, 0.0]), np.array([10.5, 0.0]))
    assert h.tolist() == [500.0, 0.0]


def test_bad_dem_files_are_named(tmp_path):
    with pytest.raises(gc.DataFileError, match="nope.tif"):
        DemStack([tmp_path / "nope.tif"])
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"GIF89a not a raster")
    with pytest.raises(gc.DataFileError, match="junk.tif"):
        DemStack([junk])
    bare = _write_tif(tmp_path / "bare.tif", np.ones((5, 5)), west=0, north=0, res=1, crs=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(gc.DataFileError, match="bare.tif.*not georeferenced"):
            DemStack([bare])


def test_mask_against_independent_geometry():
    # With no refraction the apparent elevation is the geometric one: compare the mask of
    # one azimuth with elevations from geodetic2aer (ellipsoid, ECEF) to the same DEM
    # samples, heights made ellipsoidal through EGM96. Sphere vs ellipsoid: < 0.02 deg.
    kur = gc.default_catalog().radar("kurecik")
    h_ant = kur.antenna_height_msl_m
    mask = terrain_mask(kur.lat_deg, kur.lon_deg, h_ant, model="none", azimuth_step_deg=1.0,
                        cache=False)
    stack = DemStack()
    for az in (45.0, 90.0, 135.0, 300.0):
        d = mask.distances_m
        lat, lon = gc.destination(np.full(d.size, kur.lat_deg), np.full(d.size, kur.lon_deg), az, d)
        h = gc.msl_to_ellipsoidal(lat, lon, stack.sample(lat, lon))
        _, el, _ = gc.geodetic2aer(lat, lon, h, kur.lat_deg, kur.lon_deg,
                                   gc.msl_to_ellipsoidal(kur.lat_deg, kur.lon_deg, h_ant))
        want = np.maximum.accumulate(el)
        got = mask.elevation_deg[int(az), :]
        assert np.max(np.abs(got - want)) < 0.02


def test_refraction_raises_apparent_terrain():
    kur = gc.default_catalog().radar("kurecik")
    a = terrain_mask(kur.lat_deg, kur.lon_deg, kur.antenna_height_msl_m, model="none", cache=False)
    b = terrain_mask(kur.lat_deg, kur.lon_deg, kur.antenna_height_msl_m, model="4/3", cache=False)
    # Rays bend down, so distant terrain appears higher with k = 4/3 than without
    # refraction: tan E = (c cos t - a)/(c sin t) grows with R_e for points below the antenna.
    assert np.all(b.elevation_deg >= a.elevation_deg - 1e-5)
    assert np.all(b.horizon_deg > a.horizon_deg)


def test_mask_cache_memory_and_disk(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOCOVER_CACHE_DIR", str(tmp_path))
    brdy = gc.default_catalog().radar("brdy-emr")
    args = (brdy.lat_deg, brdy.lon_deg, brdy.antenna_height_msl_m)
    m1 = terrain_mask(*args, azimuth_step_deg=2.0, max_distance_m=50e3)
    assert list((tmp_path / "masks").glob("*.npz"))
    assert terrain_mask(*args, azimuth_step_deg=2.0, max_distance_m=50e3) is m1
    from geocover import terrain

    terrain._MEMORY.clear()
    m3 = terrain_mask(*args, azimuth_step_deg=2.0, max_distance_m=50e3)
    assert m3 is not m1 and np.array_equal(m3.elevation_deg, m1.elevation_deg)
    other = terrain_mask(*args, azimuth_step_deg=2.0, max_distance_m=50e3, model="gradient")
    assert not np.array_equal(other.elevation_deg, m1.elevation_deg)


def test_mda_uses_the_views_own_dem(tmp_path):
    # Found in review: the MDA raster once clipped to the bundled ground instead of the
    # user's DEM. A flat 500 m plateau must give MDAs near 500 m next to a radar on it.
    import dataclasses

    from geocover.coverage import min_detectable_altitude
    from geocover.radar import RadarView

    plateau = _write_tif(tmp_path / "plateau.tif", np.full((400, 400), 500.0), west=36.0, north=40.0,
                         res=0.01)
    r = dataclasses.replace(gc.default_catalog().radar("kurecik"), ground_height_msl_m=500.0,
                            antenna_height_agl_m=10.0, min_elevation_deg=-5.0)
    view = RadarView(r, terrain=DemStack([plateau]), mask_distance_m=100_000)
    g = min_detectable_altitude(view, (r.lon_deg - 0.2, r.lat_deg - 0.2, r.lon_deg + 0.2, r.lat_deg + 0.2),
                                0.01)
    assert np.nanmin(g.values_m) == pytest.approx(500.0, abs=1.0)
    lat, lon = gc.destination(r.lat_deg, r.lon_deg, 90.0, 5_000.0)
    assert view.visibility(lat, lon, 600.0).visible


def test_supplied_mask_must_match_the_view():
    from geocover.radar import RadarView

    cat = gc.default_catalog()
    kur = cat.radar("kurecik")
    m = terrain_mask(kur.lat_deg, kur.lon_deg, kur.antenna_height_msl_m, azimuth_step_deg=5.0,
                     max_distance_m=20e3)
    RadarView(kur, terrain=m, model="4/3")  # the mask's model (terrain_mask's default)
    with pytest.raises(gc.InputError, match="another site"):
        RadarView(cat.radar("armavir"), terrain=m)
    with pytest.raises(gc.InputError, match="refraction model"):
        RadarView(kur, terrain=m, model="none")
