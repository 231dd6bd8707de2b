"""The vertical coverage diagram's data (geocover vcd), by value (issue 17).

The figure's own artists are read back and compared with closed forms on the
effective-radius sphere (PHYSICS.md): the radar horizon at the minimum elevation
h_min(s) = (R_e + h_a) cos E / cos(E + s / R_e) - R_e, R_e = 4/3 x 6,371 km, and the range
limit R = R_ref (sigma / sigma_ref)^(1/4) as a slant range on the 6,371 km sphere.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from click.testing import CliRunner

import geocover as gc
from geocover.cli.main import cli
from geocover.radar import RadarView

CAT = gc.default_catalog()
R_M = 6_371_000.0  # IUGG mean radius (PHYSICS.md's sphere)
RE_M = 4.0 / 3.0 * R_M  # 4/3 effective Earth radius (PHYSICS.md)


@pytest.fixture(scope="module")
def vcd():
    import matplotlib

    matplotlib.use("Agg")
    from geocover.plots import plot_vertical_coverage

    radar = dataclasses.replace(CAT.radar("kurecik"), min_elevation_deg=2.0, max_elevation_deg=60.0,
                                reference_range_m=1_000_000.0, reference_rcs_m2=1.0)
    view = RadarView(radar, model="4/3", rcs_m2=0.0625)  # R = 1,000 km x 0.0625^(1/4) = 500 km
    fig = plot_vertical_coverage(view, max_range_m=1_500_000.0, max_altitude_m=800_000.0)
    yield radar, view, fig
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_horizon_line_is_the_closed_form(vcd):
    radar, view, fig = vcd
    ax = fig.axes[0]
    (horizon,) = [ln for ln in ax.lines if ln.get_label().startswith("radar horizon")]
    s_km, h_km = (np.asarray(v, float) for v in horizon.get_data())
    e = np.radians(2.0)
    h_a = radar.ground_height_msl_m + radar.antenna_height_agl_m
    want = (RE_M + h_a) * np.cos(e) / np.cos(e + s_km * 1e3 / RE_M) - RE_M
    assert s_km[-1] == pytest.approx(1_500.0)  # --max-range, in km on the axis
    # 1 mm: the same closed form evaluated twice (float rounding only); a wrong E or R_e
    # (6,378 km x 4/3) moves h_min by metres to kilometres over this range.
    assert np.max(np.abs(h_km * 1e3 - want)) < 1e-3


def test_range_limit_contour_is_the_slant_range(vcd):
    radar, view, fig = vcd
    assert view.max_range_m == pytest.approx(500_000.0, rel=1e-12)  # 1,000 km x (1/16)^(1/4)
    ax = fig.axes[0]
    assert any("range limit 500 km at 0.0625 m²" in t.get_text() for t in ax.get_legend().get_texts())
    red = [c for c in ax.collections if c.get_paths() and len(c.get_edgecolor())
           and np.allclose(c.get_edgecolor()[0][:3], (0.839, 0.153, 0.157), atol=1e-2)]
    verts = np.concatenate([p.vertices for c in red for p in c.get_paths()])
    s, h = verts[:, 0] * 1e3, verts[:, 1] * 1e3
    h_a = radar.ground_height_msl_m + radar.antenna_height_agl_m
    a, c = R_M + h_a, R_M + h
    rho = np.sqrt(a * a + c * c - 2 * a * c * np.cos(s / R_M))
    # The contour is traced on a 600 x 400 grid (2.5 km x 2 km cells): linear interpolation
    # puts it within ~0.1 km of the true circle; 1 km admits that and rejects a range law
    # off by more than 0.2 % (a wrong RCS exponent moves it by tens of km).
    assert verts.shape[0] > 50 and np.max(np.abs(rho - 500_000.0)) < 1_000.0


def test_cli_vcd_writes_the_figure(tmp_path):
    out = tmp_path / "vcd.svg"
    r = CliRunner().invoke(cli, ["vcd", "kurecik", "-o", str(out), "--rcs", "-12dBsm", "--max-range", "1500km"])
    assert r.exit_code == 0, r.output
    text = out.read_text()
    # Kurecik 1 m2 reference -> -12 dBsm = 10^-1.2 m2 scales the range by 10^-0.3 (x0.501).
    ref = CAT.radar("kurecik")
    want_km = ref.reference_range_m * (10 ** -1.2 / ref.reference_rcs_m2) ** 0.25 / 1000
    assert f"range limit {want_km:,.0f} km" in text
