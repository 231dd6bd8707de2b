"""Maps without a browser: offline files reference nothing external, user strings are
escaped, the map command and the gallery."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

import geocover as gc
from geocover.cli.main import cli
from geocover.coverage import coverage_at_altitudes
from geocover.maps import E, coverage_map, render_html
from geocover.radar import RadarView

EXTERNAL = re.compile(r"<script[^>]+src=\"https?://|<link[^>]+href=\"https?://")


def _small_map(offline):
    cat = gc.default_catalog()
    r = cat.radar("gabala")
    return coverage_map([r], coverage_at_altitudes(RadarView(r), [300e3]), offline=offline)


def test_offline_has_no_external_assets():
    online = render_html(_small_map(False))
    offline = render_html(_small_map(True), offline=True)
    assert EXTERNAL.search(online) and "tile.openstreetmap.org" in online
    assert not EXTERNAL.search(offline) and "tile.openstreetmap.org" not in offline
    assert "L.map(" in offline and "jQuery" in offline  # Leaflet and jQuery inlined from xstatic


@pytest.mark.parametrize("text", ["<img src=x onerror=alert(1)>", "`${alert(1)}`", "a\\`b", "</script><b>"])
def test_escape_neutralises_html_and_template_literals(text):
    out = E(text)
    assert "<" not in out and "`" not in out and "${" not in out and "\\" not in out


def test_hostile_radar_name_is_escaped(tmp_path):
    import dataclasses

    r = dataclasses.replace(gc.default_catalog().radar("gabala"), name="<script>alert(1)</script>`${x}`")
    html = render_html(coverage_map([r], coverage_at_altitudes(RadarView(r), [300e3])), offline=False)
    assert "<script>alert(1)</script>" not in html and "${x}" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_map_command(tmp_path):
    out = tmp_path / "m.html"
    r = CliRunner().invoke(cli, ["map", "epaa-phase1-2011", "-o", str(out), "--offline"])
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert out.stat().st_size < 5_000_000 and not EXTERNAL.search(text)
    r = CliRunner().invoke(cli, ["map", "epaa-phase9"])
    assert r.exit_code == 2 and "did you mean" in r.output
    r = CliRunner().invoke(cli, ["map"])
    assert r.exit_code == 2 and "--all" in r.output
