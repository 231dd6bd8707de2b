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
    r = run("horizon", "brdy-emr", "--json")
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
