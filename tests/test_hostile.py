"""A hostile user's second round (issue 10): siblings of the reviewed cases that the first
fixes missed. Each test names the kind it pins; every one failed before its fix.

* Files other tools write: a UTF-8 byte-order mark (Windows Notepad) on a catalog or a
  scenario is read, as RFC 8259 section 8.1 allows (it was "not valid JSON/TOML").
* Valid jobs that aborted: an interceptor too slow to climb out of its boost (a user's
  ``--interceptor-speed 3``, or a slow catalog record) crashed the flyout table; now it
  reaches nothing. A ``--scheduler`` address that answers but is not a Dask scheduler (an
  HTTP server: the Dask dashboard's port) ended in a MemoryError traceback.
* Outputs of one command checked together before any is written: ``timeline --plot a.svg
  --kml /dev/null`` left a.svg behind; ``--gpkg x.txt`` wrote a GeoPackage GDAL calls non
  conformant; two options naming one file overwrote each other.
* compare: two scenario files with the same name (id) silently merged their columns; the
  Markdown table took file names as Markdown/HTML (``<img onerror>``, ``|``); a CSV text cell
  starting with ``=`` is a spreadsheet formula (CSV injection).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import geocover as gc
from geocover.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
SCEN = ROOT / "data" / "scenarios"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _refused(r, *fragments):
    assert r.exit_code == 2, r.output
    assert ("Traceback" not in r.output and r.exception is None) or isinstance(r.exception, SystemExit)
    for f in fragments:
        assert f in r.output, (f, r.output)


# --- files other tools write -------------------------------------------------------------------

def test_byte_order_mark_on_catalog_and_scenario(tmp_path):
    cat = tmp_path / "bom.geojson"
    cat.write_bytes(b"\xef\xbb\xbf" + (ROOT / "data" / "catalog" / "radars.geojson").read_bytes())
    r = run("sites", "--kind", "radar", "--catalog", cat)
    assert r.exit_code == 0 and "kurecik" in r.output, r.output
    toml = tmp_path / "bom.toml"
    toml.write_bytes(b"\xef\xbb\xbf" + (SCEN / "epaa-phase1-2011.toml").read_bytes())
    from geocover.scenario import load_scenario

    assert load_scenario(toml, gc.default_catalog()).title.startswith("EPAA phase 1")


# --- valid jobs that aborted -------------------------------------------------------------------

@pytest.mark.parametrize("speed_mps,burn_time_s", [(3.0, 40.0), (100.0, 40.0), (200.0, 120.0), (700.0, 300.0)])
def test_interceptor_too_slow_to_climb_reaches_nothing(speed_mps, burn_time_s):
    # Each pair crashed flyout_table (numpy: "zero-size array to reduction operation fmin"):
    # no boost of the family clears the ground, so no coast arc exists. A burnout speed below
    # the gravity loss of the burn, g * t_b (9.81 m/s2 * 40 s = 392 m/s), cannot climb.
    from geocover.interceptor import flyout_table

    rec = dataclasses.replace(gc.default_catalog().interceptor("redzikowo-gbi"), burnout_speed_mps=speed_mps,
                              burn_time_s=burn_time_s)
    table = flyout_table(rec)
    assert table.time_s.shape == (241, 121)  # flyout_table's default n_range x n_alt
    assert not np.isfinite(table.time_s[1:]).any()  # away from the site itself: nothing is reached


def test_engage_with_an_interceptor_that_cannot_climb():
    r = run("engage", "epaa-phase1-2011", "tehran", "bucharest", "--interceptor-speed", "3")
    assert r.exit_code == 0, r.output
    assert "NOT defended" in r.output


@pytest.fixture
def not_a_scheduler():
    """A TCP server that answers every connection with an HTTP error, as the Dask
    dashboard's port (8787) or any web server would."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            with c:
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    t.join(2)
    srv.close()


def test_scheduler_address_that_is_not_dask(tmp_path, not_a_scheduler):
    out = tmp_path / "o"
    r = run("optimise", "--scenario", "epaa-phase1-2011", "--add", "radar", "--candidates", "20,35,30,45",
            "--step", "5deg", "--scheduler", not_a_scheduler, "--out", out)
    _refused(r, "cannot reach the Dask scheduler at " + not_a_scheduler)
    assert not out.exists()


# --- outputs of one command, checked together --------------------------------------------------

TL = ("timeline", "tabriz", "london", "--radars", "kurecik", "--no-terrain")


@pytest.mark.parametrize("outputs,fragment", [
    (("--plot", "a.svg", "--kml", "/dev/null"), "not a regular file"),
    (("--plot", "a.svg", "--gpkg", "a.gpkg", "--kml", "sub/../a.gpkg"), "--kml"),
    (("--plot", "a.svg", "--geojson", "./a.svg"), "must end in .geojson or .json"),  # suffixes now tell them apart
    (("--geojson", "g.geojson", "--gpkg", "g.txt"), "must end in .gpkg"),
    (("--plot", "a.png", "--kml", "k.xml"), "must end in .kml or .kmz"),
])
def test_timeline_outputs_are_checked_before_any_is_written(tmp_path, monkeypatch, outputs, fragment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    r = run(*TL, *outputs)
    _refused(r, fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]  # nothing written


def test_trajectory_gpkg_and_kml_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for outputs, fragment in ((("--gpkg", "f.txt"), "must end in .gpkg"),
                              (("--gpkg", "f.gpkg", "--kml", "f.gpkg"), "must end in .kml or .kmz")):
        r = run("trajectory", "--from", "tabriz", "--to", "london", *outputs)
        _refused(r, fragment)
    assert list(tmp_path.iterdir()) == []
    r = run("trajectory", "--from", "tabriz", "--to", "london", "--gpkg", "f.GPKG", "--kml", "f.KMZ")
    assert r.exit_code == 0, r.output  # the suffix is compared case-insensitively
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.GPKG", "f.KMZ"]


# --- compare -----------------------------------------------------------------------------------

def test_compare_refuses_two_scenarios_with_one_id(tmp_path):
    twin = tmp_path / "epaa-phase1-2011.toml"
    shutil.copy(SCEN / "gabala-offer-2007.toml", twin)
    r = run("compare", "epaa-phase1-2011", twin, "--resolution", "5deg", "--out", tmp_path / "o")
    _refused(r, "have the same id 'epaa-phase1-2011'", "rename one of the files")
    assert not (tmp_path / "o").exists()


HOSTILE_STEM = "x|y<img src=x onerror=alert(1)>[l](javascript:alert(1)) *e* `c` \\ &amp;"
FORMULA_STEM = "=cmd|' calc'!A0"


@pytest.fixture(scope="module")
def hostile_comparison(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cmp")
    names = []
    for stem in (HOSTILE_STEM, FORMULA_STEM):
        p = tmp / f"{stem}.toml"
        shutil.copy(SCEN / "gabala-offer-2007.toml", p)
        names.append(p)
    out = tmp / "o"
    r = run("compare", *names, "--resolution", "5deg", "--launch", "tabriz", "--out", out)
    assert r.exit_code == 0, r.output
    return out


@pytest.mark.parametrize("renderer", ["markdown-it", "python-markdown"])
def test_compare_markdown_shows_file_names_literally(hostile_comparison, renderer):
    import html
    import re

    text = (hostile_comparison / "comparison.md").read_text(encoding="utf-8")
    if renderer == "markdown-it":
        mdit = pytest.importorskip("markdown_it")
        page = mdit.MarkdownIt("gfm-like").render(text)
    else:
        markdown = pytest.importorskip("markdown")
        page = markdown.markdown(text, extensions=["tables"])
    # no element came from the file names: only the tables' own and the paragraphs/code spans of
    # geocover's fixed text (the cells below must hold the stems literally, so a `c` or *e* of a
    # file name rendered as markup would fail there)
    tags = set(re.findall(r"<(\w+)", page))
    assert tags <= {"table", "thead", "tbody", "tr", "th", "td", "p", "code", "h1", "h2", "h3", "ul", "li"}, tags
    cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)]
    for stem in (HOSTILE_STEM, FORMULA_STEM):
        assert cells.count(stem) == 1, stem  # the metrics row's first cell, exactly as the file is named
    heads = [html.unescape(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", page, re.S)]
    assert HOSTILE_STEM in heads and FORMULA_STEM in heads  # the city table's columns
    n_cols = len(re.findall(r"<th[ >]", page.split("</table>")[0]))
    assert all(len(re.findall(r"<td[ >]", row)) == n_cols
               for row in re.findall(r"<tr>(.*?)</tr>", page.split("</table>")[0], re.S)[1:])


def test_compare_csv_text_cells_are_not_formulas(hostile_comparison):
    rows = list(csv.DictReader(io.StringIO((hostile_comparison / "comparison.csv").read_text(encoding="utf-8"))))
    by = {r["scenario"]: r for r in rows}
    # OWASP "CSV Injection": a text cell starting with = + - @ is prefixed with an apostrophe
    assert set(by) == {HOSTILE_STEM, "'" + FORMULA_STEM}
    for r in rows:
        for k, v in r.items():
            assert not v or (v[0] not in "=+@" and not (v[0] == "-" and not _is_number(v))), (k, v)
    # numbers are untouched: negative values stay numbers
    assert float(by[HOSTILE_STEM]["year"]) == 2007.0  # gabala-offer-2007.toml: year = 2007


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def test_compare_weights_all_zero_is_refused(tmp_path):
    from geocover.cli.compare import _weights

    targets = {t.id for t in gc.default_catalog().sites("target")}
    w = tmp_path / "w.csv"
    w.write_text("id,weight\n" + "".join(f"{t},0\n" for t in sorted(targets)), encoding="utf-8")
    r = run("compare", "epaa-phase1-2011", "--weights", w, "--resolution", "5deg", "--out", tmp_path / "o")
    _refused(r, str(w), "field 'weight' is 0 for every target city")
    assert not (tmp_path / "o").exists()
    # one city left out weighs 1 (geocover.compare: w.get(city, 1.0)): a valid file
    some = sorted(targets)[0]
    w.write_text("id,weight\n" + "".join(f"{t},0\n" for t in sorted(targets) if t != some), encoding="utf-8")
    assert set(_weights(str(w), targets).values()) == {0.0}


def test_coverage_prints_no_numpy_warning(tmp_path):
    # "RuntimeWarning: invalid value encountered in subtract" (a CRPL ray's infinite height in
    # the geometric elevation) reached the user's terminal on every coverage of Gabala
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = run("coverage", "gabala", "--altitude", "300km", "--no-terrain", "--no-map", "--resolution", "2deg",
                "--out", tmp_path / "o")
    assert r.exit_code == 0 and r.exception is None, (r.output, r.exception)


# --- terminal escapes: text that a terminal would act on ---------------------------------------

ESCAPES = ["\x1b]0;pwned\x07", "\x1b]52;c;cHduZWQ=\x07", "\x9b2J", "\x1b[2J", "\x07", "\x7f", "\x08\x08\x08ok"]


@pytest.mark.parametrize("seq", ESCAPES)
def test_control_characters_in_catalog_and_scenario_text_are_refused(tmp_path, seq):
    # `sites` and `horizon` print names to the terminal, which would run OSC 0 (title),
    # OSC 52 (clipboard write), CSI 2J (clear screen); click strips only CSI colours, only
    # when not a terminal
    import json

    doc = json.loads((ROOT / "data" / "catalog" / "radars.geojson").read_text(encoding="utf-8"))
    feat = doc["features"][0]
    feat["properties"]["name"] = f"Radar {seq} end"
    cat = tmp_path / "c.geojson"
    cat.write_text(json.dumps({"type": "FeatureCollection", "features": [feat]}), encoding="utf-8")
    r = run("sites", "--catalog", cat)
    _refused(r, str(cat), f"record '{feat['properties']['id']}'", "field 'name'", "control character")
    assert seq not in r.output
    scen = tmp_path / "s.toml"
    text = (SCEN / "epaa-phase1-2011.toml").read_text(encoding="utf-8")
    scen.write_text(text.replace('title = "EPAA', 'title = ' + json.dumps(seq)[:-1] + ' EPAA', 1), encoding="utf-8")
    r = run("engage", scen, "tehran", "bucharest")
    _refused(r, str(scen), "key 'scenario.title'", "control character")


def test_tab_and_line_breaks_in_notes_still_load(tmp_path):
    import json

    doc = json.loads((ROOT / "data" / "catalog" / "radars.geojson").read_text(encoding="utf-8"))
    feat = doc["features"][0]
    feat["properties"]["notes"] = "line one\n\tline two\r\n"
    cat = tmp_path / "c.geojson"
    cat.write_text(json.dumps({"type": "FeatureCollection", "features": [feat]}), encoding="utf-8")
    assert run("sites", "--catalog", cat).exit_code == 0


def test_error_message_never_sends_control_characters(tmp_path):
    name = tmp_path / "x\x1b]0;pwned\x07.toml"
    r = run("engage", name, "tehran", "bucharest")
    assert r.exit_code == 2 and "\x1b" not in r.output and "\x07" not in r.output
    assert "x\\x1b]0;pwned\\x07.toml" in r.output


@pytest.mark.parametrize("bands,dtype,fragment", [(3, "uint8", "has 3 bands"), (1, "complex64", "holds complex64")])
def test_dem_that_is_not_one_band_of_heights(tmp_path, bands, dtype, fragment):
    # an RGB picture (or a complex raster) georeferenced like a DEM: band 1 was read as heights
    import rasterio
    from rasterio.transform import from_origin

    dem = tmp_path / "dem.tif"
    with rasterio.open(dem, "w", driver="GTiff", height=50, width=50, count=bands, dtype=dtype, crs="EPSG:4326",
                       transform=from_origin(30, 45, 0.2, 0.2)) as ds:
        ds.write(np.zeros((bands, 50, 50), dtype))
    r = run("los", "kurecik", "40,40,300km", "--dem", dem)
    _refused(r, str(dem), fragment)


def test_a_killed_unreaped_process_owns_no_staging_folder():
    """kill -9 leaves a zombie until its parent reaps it; its staging folder is stale at once
    (found by the hostile wheel check: a re-run right after a kill kept the folder)."""
    import subprocess
    import time
    from pathlib import Path

    from geocover.export import _pid_alive

    if not Path("/proc/self/stat").exists():
        pytest.skip("no /proc: zombie state cannot be read")
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert _pid_alive(child.pid)
        child.kill()
        deadline = time.monotonic() + 10
        while "Z" not in Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert not _pid_alive(child.pid)  # killed, not yet reaped
    finally:
        child.wait()
    assert not _pid_alive(child.pid)


# --- issues 14-15: raids, networks, robustness folders (third hostile pass) -------------------

def test_raid_doctrine_takes_ascii_digits_only():
    # int("２") is 2: a full-width digit passed the salvo:K pattern (\d is any Unicode digit)
    r = run("raid", "third-site-2007", "--launch", "tehran", "--target", "warsaw", "--doctrine", "salvo:\uff12")
    _refused(r, "--doctrine", "salvo:\uff12")


def test_duplicate_network_link_is_refused(tmp_path):
    # two [[networks.links]] with the same ends and use: the tracking rule takes the shorter
    # latency (np.fmin), so the second table silently won or lost
    text = (SCEN / "fusion-centre-2011.toml").read_text(encoding="utf-8")
    dup = '\n[[networks.links]]\nfrom = "russia"\nto = "nato"\nlatency_s = 90.0\nuse = "cue"\n'
    head, sep, tail = text.partition("# Uncertain")
    f = tmp_path / "dup.toml"
    f.write_text(head + dup + sep + tail, encoding="utf-8")
    _refused(run("links", f), str(f), "networks.links[2]", "already given")
    # the same ends with another use (early warning now, a cue later) is a model, not a mistake
    f.write_text(head + dup.replace('"cue"', '"early_warning"') + sep + tail, encoding="utf-8")
    from geocover.scenario import load_scenario

    assert len(load_scenario(f, gc.default_catalog()).network_links) == 3


def test_map_robustness_refuses_a_raster_of_an_earlier_run(tmp_path):
    # robustness --launch tehran then --launch tabriz into one --out: p_defended_tehran.tif of
    # the first run stayed beside the second run's p_defended_all.tif (same grid, same set
    # count) and map --robustness drew it as if one run had made both
    from geocover.export import write_geotiff
    from geocover.maps import read_p_defended

    p = np.full((4, 6), 0.5, np.float32)
    common = {"scenario": "third-site-2007", "sets": 24, "method": "morris", "seed": 0}

    def write(name, run_id):
        tags = {**common, "launch": name, **({"run": run_id} if run_id else {})}
        write_geotiff(tmp_path / f"p_defended_{name}.tif", p, west_deg=0.0, north_deg=60.0, resolution_deg=4.0,
                      description="P(defended)", units="1", tags=tags)

    write("all", "b2"), write("tabriz", "b2"), write("tehran", "a1")
    with pytest.raises(gc.GeocoverError, match=r"p_defended_tehran\.tif: written by another robustness run"):
        read_p_defended(tmp_path)
    write("tehran", "b2")
    assert sorted(read_p_defended(tmp_path)["grids"]) == ["all", "tabriz", "tehran"]
    for name in ("all", "tabriz", "tehran"):  # a folder written before the run tag still reads
        write(name, None)
    assert sorted(read_p_defended(tmp_path)["grids"]) == ["all", "tabriz", "tehran"]


def test_site_search_radar_joins_the_defenders_network():
    # optimise --add radar --objective cities|warning on jdec-2000 / fusion-centre-2011 (scenarios
    # with [networks]) ended in KeyError 'candidate-radar-0': the candidate radar was a
    # fire-control radar of no network, and the defender's warning (fusion.home_network) looks
    # up the network of every fire-control radar
    from geocover.fusion import home_network
    from geocover.scenario import load_scenario
    from geocover.search import with_candidate

    sc = load_scenario("jdec-2000", gc.default_catalog())
    variant = with_candidate(sc, "radar", 45.0, 25.0, sc.catalog.radar("kurecik"), 0)
    home = home_network(sc)
    assert home_network(variant) == home
    assert variant.networks[home] == [*sc.networks[home], "candidate-radar-0"]
    assert {k: v for k, v in variant.networks.items() if k != home} == {
        k: v for k, v in sc.networks.items() if k != home}


@pytest.mark.parametrize("args", [("map", "{f}", "-o", "{f}"), ("timeline", "--scenario", "{f}", "tehran", "warsaw",
                                                                  "--geojson", "{f}")])
def test_an_output_named_like_the_input_scenario_is_refused(tmp_path, args):
    # `map x.toml -o x.toml` and `timeline --scenario x.toml ... --geojson x.toml` replaced the
    # user's scenario with the map / the flight; the outputs' suffixes are now checked first
    f = tmp_path / "mine.toml"
    text = (SCEN / "jdec-2000.toml").read_text(encoding="utf-8")
    f.write_text(text, encoding="utf-8")
    _refused(run(*[a.replace("{f}", str(f)) for a in args]), "must end in")
    assert f.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.toml"]


def test_raid_file_with_count_is_refused(tmp_path):
    # `raid S --raid f.toml --count 50` ran the file's one threat and said nothing of the 50
    f = tmp_path / "raid.toml"
    f.write_text('[[threat]]\nlaunch = "tehran"\ntarget = "warsaw"\n', encoding="utf-8")
    _refused(run("raid", "third-site-2007", "--raid", f, "--count", "50"), "--raid FILE", "--count")


def test_raid_note_does_not_claim_the_threat_set_launches_from_a_foreign_site():
    # `raid third-site-2007 --launch kozelsk ...` said "the set also launches shahab-3 there":
    # no class of the set launches from the Russian ICBM field
    r = CliRunner().invoke(cli, ["raid", "third-site-2007", "--launch", "kozelsk", "--target", "warsaw"])
    assert r.exit_code == 0, r.output
    assert "does not launch from kozelsk" in r.stderr and "launches shahab-3 there" not in r.stderr  # notes: stderr


def test_geopackage_on_a_full_disk_is_a_message(tmp_path, monkeypatch):
    # compare --out on a full disk (a 300 kB tmpfs) ended in a pyogrio FeatureError traceback
    # ("sqlite3_exec(CREATE TABLE ...) failed: database or disk is full"): GDAL's own errors
    # are not OSError, so the CLI's full-disk message never saw them
    import pyogrio
    from shapely.geometry import Point

    from geocover.gis import GpkgLayer, LayerStyle, write_gpkg

    def full(*args, **kw):
        raise pyogrio.errors.FeatureError('sqlite3_exec(CREATE TABLE "x" (...)) failed: database or disk is full')

    monkeypatch.setattr(pyogrio, "write_dataframe", full)
    out = tmp_path / "x.gpkg"
    layer = GpkgLayer("cities", [(Point(21.0, 52.2), {"id": "warsaw"})], LayerStyle("marker"))
    with pytest.raises(gc.GeocoverError, match=r"x\.gpkg: GDAL could not write the GeoPackage: database or disk"):
        write_gpkg(out, [layer])
    assert list(tmp_path.iterdir()) == []


def test_network_named_like_a_radar_left_out_is_refused(tmp_path):
    # [networks] armavir = ["gabala"] with the radar armavir in no network: armavir's own
    # network (named after it) replaced the user's, so gabala was in no network and the link
    # from 'armavir' carried the Armavir radar's tracks instead of Gabala's, silently
    text = (SCEN / "fusion-centre-2011.toml").read_text(encoding="utf-8")
    f = tmp_path / "collide.toml"
    text = text.replace('russia = ["armavir", "gabala"]', 'armavir = ["gabala"]')
    f.write_text(text.replace('"russia"', '"armavir"'), encoding="utf-8")
    _refused(run("links", f), str(f), "networks.armavir", "in no network")


@pytest.mark.parametrize("bbox, res", [((-12.0, 34.0, 45.0, 66.0), 60.0),  # one 60 deg cell for a 57 x 32 box
                                       ((0.0, 0.0, 10.0, 5.0), 6.0),      # coarser than the box's height
                                       ((0.0, -89.5, 10.0, 89.5), 2.5)])  # 179/2.5 rounds to 72 rows: 90.5 deg S
def test_grid_coarser_than_its_box_is_refused(bbox, res):
    # footprint fusion-centre-2011 --resolution 60 reported "34,380,000 km2 defended of
    # 34,380,000 (100 %)": one cell reaching 6 deg N, more than twice the box's area
    from geocover.footprint import checked_grid
    with pytest.raises(gc.InputError, match=r"coarser than the box|beyond a pole"):
        checked_grid(bbox, res, 10_000_000)


def test_footprint_resolution_coarser_than_box_exits_2(tmp_path):
    r = run("footprint", "fusion-centre-2011", "--resolution", "60", "--launch", "tehran", "--out", tmp_path / "o")
    _refused(r, "coarser than the box")
    assert not (tmp_path / "o").exists()


def test_bidirectional_override_in_a_title_is_refused(tmp_path):
    # U+202E (RIGHT-TO-LEFT OVERRIDE) makes "Brdy \u202etaerht on" display reversed in a
    # terminal, a table or a map legend (Trojan Source, CVE-2021-42574); C0/C1 controls were
    # already refused, these format characters were not
    text = (SCEN / "epaa-phase1-2011.toml").read_text(encoding="utf-8")
    f = tmp_path / "bidi.toml"
    f.write_text(text.replace('title = "', 'title = "\u202e', 1), encoding="utf-8")
    _refused(run("map", f, "-o", tmp_path / "m.html"), str(f), "U+202E")
    assert not (tmp_path / "m.html").exists()
    from geocover.catalog import text_problem
    assert text_problem("Tel Aviv \u200f") is None  # the plain right-to-left mark stays allowed


@pytest.mark.parametrize("latency", ["3601", "-1", "2h"])
def test_links_latency_outside_a_links_bound_is_refused(latency):
    # a scenario's [[networks.links]] latency_s is bounded to 0-3600 s; --latency 3601 was accepted
    _refused(run("links", "jdec-2000", "--launch", "tehran", "--latency", latency, "--resolution", "4"),
             "between 0 and 3600 s")


@pytest.mark.parametrize("cmd", [("engage", "third-site-2007", "tehran", "paris"),
                                 ("raid", "third-site-2007", "--launch", "tehran", "--target", "paris",
                                  "--count", "2")])
def test_interceptor_speed_sweep_is_bounded(cmd):
    # 2,000 speeds ran for more than 300 s (each is a whole engagement); 65 is refused at once
    speeds = ",".join(f"{5 + i / 100:.2f}km/s" for i in range(65))
    _refused(run(*cmd, "--interceptor-speed", speeds), "--interceptor-speed: at most 64 values")
