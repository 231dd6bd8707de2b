"""``footprint`` and ``compare`` on Dask (``--scheduler``): the grid split into chunks on the
engine's blocks gives the same grids as one process; an address that is not a Dask scheduler
fails within the connection timeout, naming the address (exit 2)."""

from __future__ import annotations

import http.server
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40) as c:
        yield c


def test_footprint_on_two_workers_equals_one_process(cluster):
    from geocover.footprint import Architecture, footprint
    from geocover.scenario import load_scenario
    from geocover.search import Executor

    sc = load_scenario("epaa-phase3-2018")
    arch = Architecture(sc)
    # 1 deg over 5 W-45 E x 35-75 N: 40 x 50 = 2,000 cells in blocks of 256 (the CLI's 4,096
    # would need a grid twice that size to split: too slow for this suite), 8 blocks, so the
    # grid really is split: 8 chunks (4 per worker), each on block boundaries
    box, res, block = (-5.0, 35.0, 45.0, 75.0), 1.0, 256
    ref = footprint(arch, ["tabriz"], bbox_deg=box, resolution_deg=res, block=block)
    with Executor(cluster.scheduler_address, progress=False) as ex:
        assert ex.workers == 2
        got = footprint(arch, ["tabriz"], bbox_deg=box, resolution_deg=res, executor=ex, block=block)
    a, b = ref.battle_space_s["tabriz"], got.battle_space_s["tabriz"]
    assert a.shape == (40, 50)
    assert (a == 0).any() and (a > 0).any()  # a real mix of undefended (0) and defended (> 0) cells
    np.testing.assert_array_equal(b, a)  # identical, NaN where unreachable
    np.testing.assert_array_equal(got.shoot_look_shoot["tabriz"], ref.shoot_look_shoot["tabriz"])


def test_footprint_cli_on_a_cluster_writes_the_same_grid(cluster, tmp_path):
    import rasterio

    from geocover.cli.main import cli

    runner = CliRunner()
    args = ["footprint", "epaa-phase1-2011", "--launch", "tabriz", "--resolution", "2deg"]
    one = runner.invoke(cli, [*args, "--out", str(tmp_path / "one")])
    assert one.exit_code == 0, one.output
    many = runner.invoke(cli, [*args, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "many")])
    assert many.exit_code == 0, many.output
    with rasterio.open(tmp_path / "one" / "battle_space_tabriz.tif") as r1, \
            rasterio.open(tmp_path / "many" / "battle_space_tabriz.tif") as r2:
        np.testing.assert_array_equal(r2.read(1), r1.read(1))


def test_compare_takes_the_executor(cluster):
    from geocover.compare import compare_scenarios
    from geocover.scenario import load_scenario
    from geocover.search import Executor

    scs = [load_scenario("epaa-phase1-2011"), load_scenario("epaa-phase3-2018")]
    ref = compare_scenarios(scs, ["tabriz"], resolution_deg=2.0)
    with Executor(cluster.scheduler_address, progress=False) as ex:
        got = compare_scenarios(scs, ["tabriz"], resolution_deg=2.0, executor=ex)
    assert got.metrics == ref.metrics and got.cities == ref.cities


@pytest.fixture()
def http_server():
    """A plain HTTP server on a free loopback port: accepts connections, then waits for a
    request line, as ``python -m http.server`` does."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_not_a_scheduler_fails_within_the_timeout(http_server):
    from geocover.errors import GeocoverError
    from geocover.search import Executor

    t0 = time.monotonic()
    with pytest.raises(GeocoverError, match="cannot reach the Dask scheduler at " + http_server.replace(".", r"\.")):
        Executor(http_server, progress=False, connect_timeout_s=1.0)
    # 1 s timeout; 4 s more admits starting the event loop and importing distributed.comm on a
    # loaded 2-core machine (the bug waited for ever)
    assert time.monotonic() - t0 < 5.0


def test_cli_exits_2_naming_the_address(http_server, tmp_path):
    from geocover.cli.main import cli

    t0 = time.monotonic()
    r = CliRunner().invoke(cli, ["footprint", "epaa-phase1-2011", "--resolution", "5deg", "--scheduler", http_server,
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert f"cannot reach the Dask scheduler at {http_server}" in r.output and "Traceback" not in r.output
    assert time.monotonic() - t0 < 30.0  # the 5 s default timeout plus loading the scenario
    assert not (tmp_path / "o").exists()  # nothing half-written
