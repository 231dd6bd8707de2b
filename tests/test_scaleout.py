"""Scale-out on Dask: grids in chunks identical to one process, and workers started with Dask's
allocator setting (as ``dask worker`` starts them) made fast from inside (geocover.scaleout)."""

from __future__ import annotations

import itertools
import resource
import sys
import warnings

import numpy as np
import pytest

from geocover.scaleout import chunk_ranges, concat_chunks

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")
# the task functions below travel by value (the workers cannot import this test module)
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_chunk_ranges_cover_in_order():
    for n, k, align in [(10, 3, 1), (7, 7, 1), (5, 9, 1), (1, 4, 1), (200_000, 8, 1), (200_000, 8, 4096),
                        (10_000, 16, 4096), (4096, 2, 4096)]:
        r = chunk_ranges(n, k, align=align)
        assert r[0][0] == 0 and r[-1][1] == n
        assert all(a[1] == b[0] for a, b in itertools.pairwise(r))  # contiguous
        assert all(a % align == 0 for a, _ in r)  # every start on a block boundary
        blocks = -(-n // align)
        sizes = [-(-(b - a) // align) for a, b in r]  # in blocks (the last may be partial)
        assert len(r) == min(blocks, k) and min(sizes) >= 1 and max(sizes) - min(sizes) <= 1
    assert chunk_ranges(0, 4) == []


def test_concat_chunks_joins_each_kind():
    from geocover.footprint import Engagements

    a, b = np.arange(3.0), np.arange(3.0, 5.0)
    np.testing.assert_array_equal(concat_chunks([a, b]), np.arange(5.0))
    t = concat_chunks([(a, a > 1), (b, b > 1)])
    np.testing.assert_array_equal(t[1], np.arange(5.0) > 1)
    d = concat_chunks([{"x": a}, {"x": b}])
    np.testing.assert_array_equal(d["x"], np.arange(5.0))
    import dataclasses

    fields = [f.name for f in dataclasses.fields(Engagements)]
    e1 = Engagements(*[a.copy() for _ in fields])
    e2 = Engagements(*[b.copy() for _ in fields])
    np.testing.assert_array_equal(concat_chunks([e1, e2]).battle_space_s, np.arange(5.0))
    with pytest.raises(TypeError):
        concat_chunks([object(), object()])


BLOCK = 200  # engage_points' chunk here; its boost sampling is chosen per chunk


def _grid_chunk(arch, launch_lat, launch_lon, lat, lon, start, stop):
    """The footprint of grid cells start..stop: battle space and shoot-look-shoot."""
    e = arch.engage_points(launch_lat, launch_lon, lat[start:stop], lon[start:stop], chunk=BLOCK)
    return e.battle_space_s, e.shoot_look_shoot, e.interceptor


@pytest.fixture(scope="module")
def small_grid():
    from geocover.footprint import Architecture
    from geocover.scenario import load_scenario

    sc = load_scenario("epaa-phase3-2018")
    arch = Architecture(sc)
    site = sc.catalog.launch_site("tabriz")
    lats = 66.5 - np.arange(32)  # 1 deg cells over 35-67 N x 5 W-45 E: 1,600 targets
    lons = -4.5 + np.arange(50)
    return arch, site.lat_deg, site.lon_deg, np.repeat(lats, 50), np.tile(lons, 32)


def test_map_chunks_on_two_workers_equals_one_process(small_grid):
    from geocover.search import Executor

    arch, la0, lo0, lat, lon = small_grid
    # one process, one call over every cell (the reference: what footprint computes today)
    ref = _grid_chunk(arch, la0, lo0, lat, lon, 0, lat.size)
    with Executor("none", progress=False) as ex:
        inproc = ex.map_chunks(_grid_chunk, lat.size, arch, la0, lo0, lat, lon, chunks=3, align=BLOCK)
    with Executor("local", workers=2, progress=False) as ex:
        # 8 chunks of one 200-cell block each on 2 workers
        dist = ex.map_chunks(_grid_chunk, lat.size, arch, la0, lo0, lat, lon, align=BLOCK)
        assert len(ex.client.scheduler_info()["workers"]) == 2
    assert np.isfinite(ref[0]).any() and (ref[0] > 0).any() and (ref[0] == 0).any()  # a real mix
    for got in (inproc, dist):
        np.testing.assert_array_equal(got[0], ref[0])  # identical, NaN where unreachable
        np.testing.assert_array_equal(got[1], ref[1])
        np.testing.assert_array_equal(got[2], ref[2])


def _page_faults_of_temporaries() -> int:
    """Minor page faults while allocating, touching and freeing a 4 MB array 50 times."""
    r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(50):
        a = np.ones(500_000)  # 4 MB: 977 pages of 4 KiB
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt")
def test_workers_started_with_dasks_trim_threshold_are_fixed_from_inside():
    from distributed import Client, LocalCluster

    from geocover.search import Executor

    # a cluster with Dask's own defaults, like `dask worker`: MALLOC_TRIM_THRESHOLD_=65536 in
    # every worker (distributed.nanny.pre-spawn-environ)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40) as cluster, Client(cluster) as plain:
        env = plain.run(lambda: __import__("os").environ.get("MALLOC_TRIM_THRESHOLD_"))
        assert set(env.values()) == {"65536"}
        # with it, each 4 MB temporary is mmap-ed afresh: >= 977 faults each, ~48,850 for 50
        before = plain.run(_page_faults_of_temporaries)
        assert min(before.values()) > 40_000
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no "cannot fix" warning on glibc
            ex = Executor(cluster.scheduler_address, progress=False)
        try:
            assert {w: st["configured"] for w, st in ex.allocator.items()} == dict.fromkeys(env, True)
            # after mallopt: the heap keeps the freed block, so only the first array faults in
            # (977 pages) and the rest reuse it; 5,000 leaves room for numpy's own small blocks
            after = ex.client.run(_page_faults_of_temporaries)
            assert max(after.values()) < 5_000
        finally:
            ex.close()


def test_configure_allocator_paths(monkeypatch):
    from geocover import scaleout

    monkeypatch.setitem(scaleout._STATE, "configured", False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert scaleout.configure_allocator() == "not needed"  # plain Python: glibc's dynamic thresholds
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", str(128 * 2**20))
    assert scaleout.configure_allocator() == "not needed"  # already above the dynamic trim value
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")  # Dask's value
    monkeypatch.setattr(scaleout, "_libc", lambda: None)  # e.g. musl or macOS: no mallopt
    assert scaleout.configure_allocator() == "unavailable"
    assert "MALLOC_TRIM_THRESHOLD_: null" in scaleout.FIX_HINT


def test_the_fix_hint_removes_the_variable(tmp_path, monkeypatch):
    # the hint's config file, read the way a nanny reads its settings, leaves the variable out
    import dask
    from distributed.nanny import _get_env_variables

    from geocover import scaleout

    assert f"'{scaleout.FIX_CONFIG_YAML}'" in scaleout.FIX_HINT
    (tmp_path / "geocover.yaml").write_text(scaleout.FIX_CONFIG_YAML + "\n")
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    try:
        dask.config.refresh(paths=[str(tmp_path)])
        env = _get_env_variables("distributed.nanny.pre-spawn-environ")
        assert "MALLOC_TRIM_THRESHOLD_" not in env and env["OMP_NUM_THREADS"] == "1"  # the rest kept
    finally:
        dask.config.refresh()
