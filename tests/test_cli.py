"""The geocover command: the issue's acceptance commands, units, and user errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from geocover.cli.main import cli


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_horizon_brdy_json():
    r = run("horizon", "brdy-emr", "--json", "--model", "4/3")  # PHYSICS.md's values are 4/3's
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    # PHYSICS.md check value: h = 728.8 m (718.8 m hill + 10 m antenna), k = 4/3 -> 111.3 km.
    assert out["antenna_height_msl_m"] == pytest.approx(728.8)
    assert out["horizon_range_m"] / 1000 == pytest.approx(111.3, abs=0.05)
    rows = {row["ground_range_m"]: row["lowest_visible_altitude_m"] for row in out["ranges"]}
    # PHYSICS.md: "an X-band radar on a 700 m hill sees nothing below ~60 km at 1,000 km";
    # closed form (R_e + h_a)/cos(s/R_e) - R_e with h_a = 728.8 m gives 59,936 m.
    assert rows[1_000_000.0] == pytest.approx(59_936.1, abs=1.0)


def test_horizon_models_and_ranges():
    out = json.loads(run("horizon", "kurecik", "--model", "gradient", "--ranges", "150km,1e6m",
                         "--json").output)
    assert out["model"] == "gradient"
    assert out["effective_earth_radius_m"] == pytest.approx(8_477_361.5, abs=1)
    assert [r["ground_range_m"] for r in out["ranges"]] == [150_000.0, 1_000_000.0]
    out = json.loads(run("horizon", "kurecik", "--model", "1.0", "--json").output)
    assert out["model"] == "k=1"
    assert "km" in run("horizon", "gabala").output


def test_distance_tabriz_warsaw_json():
    r = run("distance", "tabriz", "warsaw", "--json")
    out = json.loads(r.output)
    # SOURCES.md: Tabriz-Warsaw ~2,512 km; pyproj.Geod (Karney) is the authority.
    from pyproj import Geod

    az, baz, d = Geod(ellps="WGS84").inv(46.292, 38.080, 21.012, 52.230)
    assert out["distance_m"] == pytest.approx(d, abs=1e-3)
    assert out["distance_m"] / 1000 == pytest.approx(2512, abs=1)
    assert out["azimuth_deg"] == pytest.approx(az % 360, abs=1e-6)
    assert out["back_azimuth_deg"] == pytest.approx(baz % 360, abs=1e-6)


def test_distance_with_coordinates():
    out = json.loads(run("distance", "0,179.5", "0,-179.5", "--json").output)
    assert out["distance_m"] == pytest.approx(111_319.49, abs=0.01)  # 1 deg of equator, WGS84
    assert out["azimuth_deg"] == pytest.approx(90.0)


@pytest.mark.parametrize("fmt", ["table", "json", "geojson"])
def test_sites_formats(fmt):
    r = run("sites", "--kind", "radar", "--format", fmt)
    assert r.exit_code == 0
    if fmt == "geojson":
        doc = json.loads(r.output)
        assert doc["type"] == "FeatureCollection" and len(doc["features"]) >= 9
    elif fmt == "json":
        assert {"brdy-emr", "gabala"} <= {s["id"] for s in json.loads(r.output)}
    else:
        assert "brdy-emr" in r.output and "Qabala" in r.output


@pytest.mark.parametrize("args,fragment", [
    (["distance", "tabrz", "warsaw"], "did you mean 'tabriz'"),
    (["horizon", "brdy"], "did you mean 'brdy-emr'"),
    (["horizon", "gabala", "--ranges", "5parsecs"], "unknown length unit"),
    (["horizon", "gabala", "--ranges", "-5km"], "must be >= 0"),
    (["horizon", "gabala", "--model", "5/4x"], "unknown refraction model"),
    (["distance", "95,0", "warsaw"], "latitude 95"),
    (["sites", "--catalog", "/nonexistent/x.geojson"], "not found"),
])
def test_user_errors_exit_2_with_one_message(args, fragment):
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2
    assert fragment in r.output
    assert "Traceback" not in r.output


def test_installed_command_bad_catalog(tmp_path):
    exe = shutil.which("geocover") or None
    cmd = [exe] if exe else [sys.executable, "-m", "geocover.cli.main"]
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                   '"properties": {"id": "x", "kind": "target"}, "geometry": null}]}')
    p = subprocess.run([*cmd, "sites", "--catalog", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2
    assert "bad.geojson" in p.stderr and "record 'x'" in p.stderr and "'name'" in p.stderr
    assert "Traceback" not in p.stderr and p.stdout == ""
    ok = subprocess.run([*cmd, "distance", "tabriz", "warsaw", "--json"], capture_output=True,
                        text=True)
    assert ok.returncode == 0 and json.loads(ok.stdout)["distance_m"] > 2.5e6


def test_los_json_values_against_pyproj_and_closed_form():
    # los --json by value. References outside geocover: the radar read from the catalog
    # file as plain JSON; azimuth and ground range from pyproj's geodesic (Karney) on WGS84
    # with a and f typed in (NIMA TR8350.2); the geoid from PROJ with the same EGM96 grid
    # (test_geoid); ECEF from PROJ (EPSG:4979 -> 4978); the refracted elevation from the
    # effective-radius closed form tan E = (c cos t - a) / (c sin t), t = s / R_e,
    # R_e = 4/3 x 6,371 km (PHYSICS.md), a = R_e + h_antenna, c = R_e + h_point, heights
    # above the geoid at the radar.
    import numpy as np
    from pyproj import Geod, Transformer, datadir
    from pyproj.transformer import TransformerGroup

    from geocover._paths import data_dir

    fc = json.loads((data_dir() / "catalog" / "radars.geojson").read_text(encoding="utf-8"))
    (rad,) = [f["properties"] for f in fc["features"] if f["properties"]["id"] == "deveselu"]
    lat, lon, h = 45.5, 27.0, 100e3
    out = json.loads(run("los", "deveselu", f"{lat},{lon},{h / 1000:g}km", "--model", "4/3", "--no-terrain",
                         "--json").output)
    az, _, s = Geod(a=6378137.0, f=1 / 298.257223563).inv(rad["lon_deg"], rad["lat_deg"], lon, lat)
    datadir.append_data_dir(str(data_dir() / "geoid"))
    egm96 = TransformerGroup("EPSG:4979", "EPSG:4326+5773", always_xy=True).transformers[0]
    n_site = -egm96.transform(rad["lon_deg"], rad["lat_deg"], 0.0)[2]
    n_pt = -egm96.transform(lon, lat, 0.0)[2]
    h_a = rad["ground_height_msl_m"] + rad["antenna_height_agl_m"]
    to_ecef = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    p0 = np.array(to_ecef.transform(rad["lon_deg"], rad["lat_deg"], h_a + n_site))
    p1 = np.array(to_ecef.transform(lon, lat, h + n_pt))
    re = 4.0 / 3.0 * 6_371_000.0
    a, c, t = re + h_a, re + h + n_pt - n_site, s / re
    elev = np.degrees(np.arctan2(c * np.cos(t) - a, c * np.sin(t)))
    assert out["visible"] is True and out["blocked_by"] is None
    # Same geodesic algorithm: 1e-9 deg and 1 mm admit float rounding only.
    assert out["azimuth_deg"] == pytest.approx(az % 360.0, abs=1e-9)
    assert out["ground_range_m"] == pytest.approx(s, abs=1e-3)
    # Same EGM96 grid, bilinear in both: 1 cm admits interpolation rounding.
    assert out["slant_range_m"] == pytest.approx(float(np.linalg.norm(p1 - p0)), abs=1e-2)
    # A 1 cm height difference changes E by < 1e-7 deg here.
    assert out["elevation_deg"] == pytest.approx(elev, abs=1e-6)
    # R(sigma) at the catalog's reference RCS is the reference range (R = R_ref (s/s_ref)^(1/4)).
    assert out["max_range_m"] == pytest.approx(rad["reference_range_m"], rel=1e-12)
