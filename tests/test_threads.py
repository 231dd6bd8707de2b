"""The engine's blocks on several threads (geocover._threads): the same engagements, bit for
bit, as one thread; the thread count's rules; a bad GEOCOVER_THREADS is a clear error.

Reference: the serial run (``threads=1``, the loop the engine ran before threads) on the
same targets and blocks. A flight's verdict does not depend on its block-mates
(geocover.sampling pads each flight), and the blocks are joined in order, so no tolerance:
every field of every flight must be the same bytes.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
import types

import numpy as np
import pytest
from click.testing import CliRunner

from geocover import _threads
from geocover.cli.main import cli
from geocover.engine import Architecture
from geocover.errors import InputError
from geocover.footprint import Engagements
from geocover.scenario import load_scenario


@pytest.fixture(scope="module")
def arch():
    return Architecture(load_scenario("epaa-phase3-2018"))


@pytest.fixture(scope="module")
def tabriz(arch):
    site = arch.scenario.catalog.launch_site("tabriz")  # the issue-13 benchmark's launch site
    return site.lat_deg, site.lon_deg


def _targets(n: int = 240):
    # spread over the issue-13 benchmark box (5 W-45 E x 35-75 N): reachable and not,
    # defended and not, several limiting constraints
    rng = np.random.default_rng(13)
    lat, lon = rng.uniform(35.0, 75.0, n), rng.uniform(-5.0, 45.0, n)
    lat[::12], lon[::12] = 40.0, -75.0  # and beyond the IRBM's reach (the US east coast, ~10,000 km)
    return lat, lon


def _same_bytes(a: Engagements, b: Engagements) -> None:
    for f in dataclasses.fields(Engagements):
        x, y = np.asarray(getattr(a, f.name)), np.asarray(getattr(b, f.name))
        assert x.dtype == y.dtype and x.shape == y.shape, f.name
        if x.dtype.kind in "fbiu":
            assert x.tobytes() == y.tobytes(), f.name  # bit for bit (NaN payloads, signed zeros)
        else:
            assert np.array_equal(x, y), f.name


@pytest.mark.parametrize("threads", [2, 3])
def test_threads_give_the_serial_engagements_bit_for_bit(arch, tabriz, monkeypatch, threads):
    lat, lon = _targets()
    chunk = 40  # 6 blocks: the first alone, then up to ``threads`` at a time
    serial = arch.engage_points(*tabriz, lat, lon, chunk=chunk, threads=1)
    # the case is not trivial: some flights unreachable, some defended, some reachable but not
    assert (~serial.reachable).any() and serial.defended.any() and (serial.reachable & ~serial.defended).any()

    names = []
    engage = Architecture.engage

    def recording(self, traj, reachable, **kw):
        names.append(threading.current_thread().name)
        return engage(self, traj, reachable, **kw)

    monkeypatch.setattr(Architecture, "engage", recording)
    threaded = arch.engage_points(*tabriz, lat, lon, chunk=chunk, threads=threads)
    _same_bytes(serial, threaded)
    assert len(names) == 6
    if _threads._numba_threadsafe():  # else (numba's workqueue layer) they run here, serially, by design
        assert sum(n.startswith("geocover-engine") for n in names) == 5  # all but the first, on the pool


def test_numpy_path_threads_give_the_serial_engagements(arch, tabriz, monkeypatch):
    # the fallback (GEOCOVER_NO_NUMBA=1) on threads too
    monkeypatch.setenv("GEOCOVER_NO_NUMBA", "1")
    lat, lon = _targets(90)
    _same_bytes(arch.engage_points(*tabriz, lat, lon, chunk=30, threads=1),
                arch.engage_points(*tabriz, lat, lon, chunk=30, threads=2))


def test_blocks_in_order_and_at_most_threads_in_flight():
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def block(i):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.002 * ((7 * i) % 5))  # blocks finish out of order
        with lock:
            state["now"] -= 1
        return i * i

    starts = list(range(0, 120, 10))
    assert _threads.run_blocks(block, starts, 3) == [s * s for s in starts]
    assert 1 <= state["most"] <= 3


def test_a_failing_block_raises_in_the_caller():
    def block(i):
        if i == 3:
            raise InputError("block 3")
        return i

    with pytest.raises(InputError, match="block 3"):
        _threads.run_blocks(block, range(8), 2)


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5", "+2", " ", "\u0663", "\u0968"])  # Arabic-Indic, Devanagari
def test_bad_geocover_threads_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("GEOCOVER_THREADS", value)
    if not value.strip():  # empty: unset, the default
        assert _threads.engine_threads() >= 1
        return
    with pytest.raises(InputError, match="GEOCOVER_THREADS") as exc:
        _threads.engine_threads()
    assert "positive integer" in str(exc.value)


def test_bad_geocover_threads_on_the_command_line(tmp_path):
    r = CliRunner().invoke(cli, ["footprint", "epaa-phase3-2018", "--launch", "tabriz", "--bbox", "10,40,11,41",
                                 "--resolution", "0.5", "--out", str(tmp_path / "fp")],
                           env={"GEOCOVER_THREADS": "many"})
    assert r.exit_code == 2, r.output
    assert "GEOCOVER_THREADS" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "fp").exists() or not any((tmp_path / "fp").iterdir())  # nothing half-written


def test_thread_count_rules(monkeypatch):
    monkeypatch.delenv("GEOCOVER_THREADS", raising=False)
    monkeypatch.setenv("GEOCOVER_THREADS", "3")
    assert _threads.engine_threads() == 3
    assert _threads.engine_threads(1) == 1  # the argument first
    with pytest.raises(InputError, match="threads"):
        _threads.engine_threads(0)
    # in a Dask worker (distributed.get_worker() finds one): one thread, whatever the variable
    fake = types.SimpleNamespace(get_worker=lambda: object())
    monkeypatch.setitem(sys.modules, "distributed", fake)
    assert _threads.engine_threads() == 1

    def no_worker():
        raise ValueError("No worker found")  # what distributed.get_worker raises outside a worker

    fake.get_worker = no_worker
    assert _threads.engine_threads() == 3


def test_default_thread_count_is_capped(monkeypatch):
    """Rule 4: the CPUs this process may use, at most 8 (each block in flight holds ~0.2 GB;
    the cap is the module's documented ceiling, typed here from its docstring), unless the
    variable asks for more."""
    monkeypatch.delenv("GEOCOVER_THREADS", raising=False)
    monkeypatch.setattr(_threads, "available_cpus", lambda: 64)
    assert _threads.engine_threads() == 8
    monkeypatch.setattr(_threads, "available_cpus", lambda: 2)
    assert _threads.engine_threads() == 2
    monkeypatch.setattr(_threads, "available_cpus", lambda: 64)
    monkeypatch.setenv("GEOCOVER_THREADS", "32")
    assert _threads.engine_threads() == 32


def test_bad_geocover_threads_refused_with_a_scheduler_too(tmp_path, monkeypatch):
    """Hostile test (session 4): with --scheduler the engine runs in Dask workers (one thread
    each, rule 2), and a bad GEOCOVER_THREADS used to be ignored silently; it is refused
    before any work starts, as without a scheduler."""
    r = CliRunner().invoke(cli, ["footprint", "epaa-phase2-2015", "--launch", "tabriz", "--resolution", "2",
                                 "--scheduler", "local", "--workers", "1", "--out", str(tmp_path / "fp")],
                           env={"GEOCOVER_THREADS": "abc"})
    assert r.exit_code == 2, r.output
    assert "GEOCOVER_THREADS" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "fp").exists()
    # inside a worker the variable is still checked first
    monkeypatch.setenv("GEOCOVER_THREADS", "abc")
    monkeypatch.setitem(sys.modules, "distributed", types.SimpleNamespace(get_worker=lambda: object()))
    with pytest.raises(InputError, match="GEOCOVER_THREADS"):
        _threads.engine_threads()


def test_no_targets_give_no_flights(arch):
    """Hostile test (session 4): zero targets raised numpy's 'need at least one array to
    concatenate'; now an empty result whose fields have the dtypes of a one-target run, and
    a block size that is not a positive integer is a clear error."""
    empty = arch.engage_points(38.08, 46.29, [], [], threads=2)
    one = arch.engage_points(38.08, 46.29, [48.86], [2.35], threads=1)  # Tabriz -> Paris
    assert len(empty) == 0
    for f in dataclasses.fields(Engagements):
        a, b = getattr(empty, f.name), getattr(one, f.name)
        assert a.shape == (0,) and a.dtype.kind == b.dtype.kind, f.name
    for bad in (0, -4, 2.5, True):
        with pytest.raises(ValueError, match="chunk"):
            arch.engage_points(38.08, 46.29, [48.86], [2.35], chunk=bad)


@pytest.mark.parametrize("lon", [float("nan"), float("inf"), -float("inf")])
def test_a_longitude_that_is_not_a_number_is_refused(arch, lon):
    """Hostile test (session 4): a NaN latitude was an InputError but a NaN or infinite
    longitude came back quietly as 'not_reachable'; both are refused now, by the engine and by
    the aim itself."""
    from geocover.trajectory import aim_missile

    with pytest.raises(InputError, match="longitudes"):
        arch.engage_points(38.08, 46.29, [50.0, 48.86], [lon, 2.35])
    with pytest.raises(InputError, match="longitudes"):
        aim_missile(arch.scenario.missile, 38.08, 46.29, 50.0, lon)
