"""Hostile checks of the speed work (engine threads, the minimum-energy aim kernel, the CRPL
table kernels and disk cache, the site search's fast path): odd inputs a user can send, and
the guarantees the code states for them. Every test here is a regression guard for an attack
the code survived; attacks it did not survive are reported, not encoded as failing tests.

References, none of them geocover's own numbers:

* engine threads: the serial run of the same targets (``threads=1``, one block), compared
  field by field with no tolerance (the module docstring of ``geocover._threads``: blocks are
  independent and joined in order, so the same bytes whatever the thread count and block size);
* the aim: the numpy twin (``GEOCOVER_NO_NUMBA=1``; the kernel and its twin do the same
  float64 operations, so the same bits), scipy's DOP853 on the two-body equations from the
  returned burnout state (it must land on the target), and Newton-solved members of the same
  family at neighbouring flight-path angles (they must need more speed);
* CRPL: the numpy tables (bit for bit), and a freshly traced site (a corrupted cache entry
  must be rebuilt with the same values);
* the site search: a plain ``ScenarioRun`` of the scenario with the candidate added, scored by
  the same objective (tests/test_search_fast.py's reference).
"""

from __future__ import annotations

import dataclasses
import json
import threading

import numpy as np
import pytest
from reference_flight import R, impact, sphere_destination, unit_vector

from geocover import _kernels, _threads, refraction
from geocover.errors import InputError
from geocover.footprint import Architecture, Engagements
from geocover.scenario import load_scenario
from geocover.trajectory import aim_missile

# Constants typed here (and in tests/reference_flight.py), not imported from the code under test:
TABRIZ = (38.08, 46.292)  # data/catalog/launch_sites.geojson
# (burn time s, full burnout altitude m, full burnout speed m/s) of each catalog class
# (data/catalog/missiles.toml; the speed is the non-rotating minimum-energy speed to the
# class's nominal range that geocover derives, as tests/test_min_energy_rotating.py lists it:
# only an input here, it scales the managed burn of the independent boost model)
CLASSES = {
    "shahab-3": (110.0, 100_000.0, 3_138.6857),
    "sejjil-2": (120.0, 120_000.0, 3_845.5718),
    "irbm": (150.0, 180_000.0, 5_801.0297),
    "icbm": (180.0, 220_000.0, 7_227.1573),
    "topol-m": (180.0, 200_000.0, 7_107.6157),
}
TRAJ_FIELDS = ("azimuth_deg", "burnout_speed_mps", "flight_path_angle_deg", "burn_time_s", "burnout_altitude_m",
               "flight_time_s", "impact_lat_deg", "impact_lon_deg", "apogee_m")


def _same_bytes(a: Engagements, b: Engagements) -> None:
    for f in dataclasses.fields(Engagements):
        x, y = np.asarray(getattr(a, f.name)), np.asarray(getattr(b, f.name))
        assert x.dtype == y.dtype and x.shape == y.shape, f.name
        if x.dtype.kind in "fbiu":
            assert x.tobytes() == y.tobytes(), f.name  # no tolerance: NaN payloads and signed zeros too
        else:
            assert np.array_equal(x, y), f.name


# ---------------------------------------------------------------- engine threads


@pytest.fixture(scope="module")
def arch():
    return Architecture(load_scenario("epaa-phase2-2015"))


# The launch point itself and points 1 km from it (no aim: unreachable, not an error), its
# antipode, both poles and a point 0.1 deg from the north pole, both sides of the antimeridian
# and on it, longitudes outside [-180, 180], a target 55 km away (reachable, no track), and a
# few reachable European cities (Warsaw, Paris-ish, the Caspian shore).
ODD_LAT = np.array([38.08, -38.08, 38.09, 38.58, 89.9, 90.0, -90.0, 40.0, 40.0, 60.0, 52.23, 45.0, 0.0, 38.0,
                    38.0, 46.0])
ODD_LON = np.array([46.292, -133.708, 46.292, 46.292, 0.0, 0.0, 0.0, 179.999, -179.999, 180.0, 21.01, 0.0, 46.0,
                    406.0, -314.0, 26.0])


def test_odd_targets_same_whatever_the_threads_and_blocks(arch):
    ref = arch.engage_points(*TABRIZ, ODD_LAT, ODD_LON, threads=1)
    # the set is not trivial: unreachable (launch point, antipode, poles) and reachable cells
    assert not ref.reachable[[0, 1, 2, 5, 6]].any() and ref.reachable[[3, 10, 11]].all()
    for chunk, threads in ((1, 2), (3, 2), (7, 3), (5, 10_000)):
        _same_bytes(ref, arch.engage_points(*TABRIZ, ODD_LAT, ODD_LON, chunk=chunk, threads=threads))


def test_cities_alone_equal_the_same_points_inside_threaded_blocks():
    # what `geocover engage` and cities.csv compute (ScenarioRun.city_flights: the 20 catalog
    # cities aimed and engaged together) against the same points scattered among 480 other
    # targets in blocks of 100 on two threads: every field the same bytes (a flight's aim and
    # refinement depend on that flight alone; epaa-phase2-2015 has no [networks], so the
    # defender's warning is the engine's)
    from geocover.engine import ScenarioRun

    run = ScenarioRun(load_scenario("epaa-phase2-2015"))
    cf = run.city_flights("tabriz")
    lat = np.array([c.lat_deg for c in cf.cities])
    lon = np.array([c.lon_deg for c in cf.cities])
    rng = np.random.default_rng(5)
    blat, blon = rng.uniform(35.0, 65.0, 500), rng.uniform(-5.0, 45.0, 500)
    idx = rng.choice(500, lat.size, replace=False)
    blat[idx], blon[idx] = lat, lon
    blocks = run.arch.engage_points(*TABRIZ, blat, blon, chunk=100, threads=2)
    assert 0 < cf.engagements.defended.sum() < lat.size  # defended and undefended cities
    _same_bytes(cf.engagements, Engagements(**{f.name: np.asarray(getattr(blocks, f.name))[idx]
                                               for f in dataclasses.fields(Engagements)}))


def test_bad_latitude_in_a_pool_block_is_an_input_error(arch):
    # the fourth block (run on the pool, not the first block in the calling thread) holds a
    # latitude outside [-90, 90]: the aim's InputError comes back to the caller, no hang
    lat, lon = ODD_LAT[10:14].repeat(3), ODD_LON[10:14].repeat(3)
    lat[10] = 95.0
    with pytest.raises(InputError, match="latitude"):
        arch.engage_points(*TABRIZ, lat, lon, chunk=3, threads=2)


def test_interrupt_in_a_pool_block_reaches_the_caller_and_cancels_the_rest():
    started = []
    lock = threading.Lock()

    def block(i):
        with lock:
            started.append(i)
        if i == 2:
            raise KeyboardInterrupt
        return i

    with pytest.raises(KeyboardInterrupt):
        _threads.run_blocks(block, range(50), 2)
    # at most ``threads`` blocks in flight when block 2 fails: the rest never start
    assert len(started) < 10


@pytest.mark.parametrize(("value", "count"), [("10000", 10_000), ("  3 ", 3), ("\t2\n", 2), ("0004", 4)])
def test_geocover_threads_accepts_plain_digits_with_spaces(monkeypatch, value, count):
    monkeypatch.setenv("GEOCOVER_THREADS", value)
    assert _threads.engine_threads() == count


@pytest.mark.parametrize("value", ["1e3", "4_0", "2.0", "0x4", "\u00b2"])
def test_geocover_threads_refuses_other_number_forms(monkeypatch, value):
    # scientific, underscored, decimal, hexadecimal and superscript forms are not thread counts
    monkeypatch.setenv("GEOCOVER_THREADS", value)
    with pytest.raises(InputError, match="GEOCOVER_THREADS"):
        _threads.engine_threads()


# ---------------------------------------------------------------- the minimum-energy aim

def _dest(lat_deg, lon_deg, az_deg, dist_m):
    """Great-circle destination on the R sphere (tests/reference_flight.py), longitude wrapped to +-180."""
    lat, lon = sphere_destination(lat_deg, lon_deg, az_deg, dist_m)
    return lat, (lon + 180.0) % 360.0 - 180.0


# launch points: Tabriz, near the antimeridian, near the north pole, in Antarctica
LAUNCHES = {"tabriz": TABRIZ, "antimeridian": (60.0, 179.5), "polar": (88.0, 30.0), "south": (-70.0, -10.0)}


def _odd_targets(launch, range_m):
    # 6 km (just beyond the aim's 5 km limit), 40 and 99 km, half the class's range east and
    # west (across the antimeridian from 179.5 E, over the pole from 88 N), and 98 % of it east
    d = np.array([6e3, 6e3, 40e3, 99e3, 0.5 * range_m, 0.5 * range_m, 0.98 * range_m])
    az = np.array([0.0, 270.0, 45.0, 90.0, 90.0, 270.0, 90.0])
    return _dest(launch[0], launch[1], az, d)


@pytest.mark.skipif(not _kernels.HAVE_NUMBA, reason="numba not installed")
@pytest.mark.parametrize("mid", list(CLASSES))
def test_aim_numba_equals_numpy_on_odd_targets(monkeypatch, mid):
    # every class, near-launch targets (where the kernel gives way to the parabolic search and
    # Newton on shot trajectories), near the maximum range, across the antimeridian and the pole
    import geocover as gc

    m = gc.default_catalog().missile(mid)
    for launch in LAUNCHES.values():
        lat, lon = _odd_targets(launch, m.range_m)
        monkeypatch.setenv("GEOCOVER_NO_NUMBA", "0")
        a, ok_a = aim_missile(m, *launch, lat, lon, errors="mask")
        monkeypatch.setenv("GEOCOVER_NO_NUMBA", "1")
        b, ok_b = aim_missile(m, *launch, lat, lon, errors="mask")
        assert ok_a[:6].all() and np.array_equal(ok_a, ok_b)
        for name in TRAJ_FIELDS:  # the same float64 operations: the same bits, NaN included
            assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), (mid, launch, name)


FAR = [("icbm", "polar", 180.0, 3.0e6), ("irbm", "antimeridian", 270.0, 2.0e6), ("topol-m", "antimeridian", 90.0,
       5.0e6), ("sejjil-2", "south", 0.0, 1.0e6), ("irbm", "tabriz", 90.0, 0.98 * 5.5e6)]


@pytest.mark.parametrize(("mid", "where", "az", "dist_m"), FAR)
def test_far_odd_targets_land_and_are_the_least_speed(mid, where, az, dist_m):
    import geocover as gc
    from geocover.trajectory import _Boost, _miss_m, _newton_hit, _unit

    launch = LAUNCHES[where]
    lat, lon = _dest(launch[0], launch[1], np.array([az]), np.array([dist_m]))
    m = gc.default_catalog().missile(mid)
    traj, ok = aim_missile(m, *launch, lat, lon)
    assert ok[0]
    # impact (unit vector, Earth-fixed) and flight time of the ground-relative burnout state
    # (tests/reference_flight.py: the documented boost, then DOP853 two-body)
    u, t_flight = impact(launch, traj.azimuth_deg[0], traj.burnout_speed_mps[0], traj.flight_path_angle_deg[0],
                         CLASSES[mid])
    # 0.01 m admits DOP853's error at rtol 1e-12 over 10-40 min of flight (measured misses
    # 1e-5 to 4e-4 m on these targets; the kernel's conic lands within ~1e-8 m)
    assert np.linalg.norm(u - unit_vector(lat[0], lon[0])) * R < 0.01
    assert t_flight == pytest.approx(traj.flight_time_s[0], abs=1e-4)  # measured within 1e-6 s
    # the members at +-0.005 and +-0.05 deg of flight-path angle (azimuth and speed solved by
    # Newton's method on shot trajectories to 1e-7 m) need more speed: v(gamma) curves by
    # ~0.3-2.5 m/s per deg^2, so +-0.005 deg costs >= ~7e-6 m/s; 1e-9 m/s is the rounding
    spec = _Boost(*CLASSES[mid])
    ut = _unit(lat, lon)
    for dg in (-0.05, -0.005, 0.005, 0.05):
        _, _, v, t = _newton_hit(np.array([launch[0]]), np.array([launch[1]]), ut, traj.azimuth_deg,
                                 traj.flight_path_angle_deg + dg, traj.burnout_speed_mps, fixed_speed=False, spec=spec,
                                 rcs={}, tol_m=1e-7, max_iter=40)
        assert _miss_m(t, ut)[0] < 1e-3
        assert v[0] > traj.burnout_speed_mps[0] + 1e-9, dg


# ---------------------------------------------------------------- CRPL tables and cache

def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


@pytest.mark.skipif(not _kernels.HAVE_NUMBA, reason="numba not installed")
@pytest.mark.parametrize(("h_a", "ns"), [(5000.0, 313.0), (0.0, 840.0), (10.0, 8.0)])
def test_crpl_extremes_numba_equals_numpy(monkeypatch, h_a, ns):
    # a 5,000 m mountain site (its grazing ray leaves ~2 deg down), and Ns near both ends of the
    # CRPL model's domain: dN = 7.32 exp(0.005577 Ns) < Ns holds for ~7.7 < Ns < ~855 N-units
    # (Bean & Thayer 1959, NBS Monograph 4; refraction_exponent_per_km's docstring)
    monkeypatch.setenv("GEOCOVER_NO_NUMBA", "0")
    fast = refraction._trace_site(h_a, ns)
    grid_fast = fast._build_correction_grid(numba_kernels=True)
    monkeypatch.setenv("GEOCOVER_NO_NUMBA", "1")
    ref = refraction._trace_site(h_a, ns)
    grid_ref = ref._build_correction_grid(numba_kernels=False)
    for name in ("elevation_deg", "invariant_m", "phi_rad", "height_m", "tangent_height_m"):
        assert _same(getattr(fast.rays, name), getattr(ref.rays, name)), name
    for a, b in zip(grid_fast, grid_ref, strict=True):
        assert _same(a, b)
    assert np.isfinite(grid_fast[2]).all()  # the comparison is not between NaN tables


def test_crpl_below_sea_level_antenna_is_a_clear_error():
    # a Dead Sea antenna (-400 m MSL): crpl_site refuses it by name (RadarView passes
    # max(height, 0), the sea surface, so a radar there still works)
    with pytest.raises(InputError, match="antenna_height_m"):
        refraction.crpl_site.__wrapped__(-400.0)


def _truncate(p):
    f = p / "grid_correction_deg.npy"
    f.write_bytes(f.read_bytes()[:1000])


def _flip_mapped_byte(p):  # a byte of the memory-mapped ray nodes: only the checksum sees it
    f = p / "phi_rad.npy"
    b = bytearray(f.read_bytes())
    b[5000] ^= 0x01
    f.write_bytes(bytes(b))


def _garbage_meta(p):
    (p / "meta.json").write_bytes(b"\xff\xfe{not json")


def _old_format(p):
    meta = json.loads((p / "meta.json").read_text())
    meta["format"] = 1
    (p / "meta.json").write_text(json.dumps(meta))


def _entry_is_a_file(p):
    import shutil

    shutil.rmtree(p)
    p.write_text("x")


def _other_dtype_consistent_checksum(p):  # size and CRC updated: the dtype check must catch it
    f = p / "grid_correction_deg.npy"
    np.save(f, np.load(f).astype("<f8"))
    meta = json.loads((p / "meta.json").read_text())
    meta["files"]["grid_correction_deg"] = {"bytes": f.stat().st_size, "crc32": refraction._crc32(f)}
    (p / "meta.json").write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def traced_64m():
    site = refraction._trace_site(64.0, 313.0)
    return [np.array(x) for x in site.correction_grid()], np.array(site.rays.phi_rad)


@pytest.mark.parametrize("damage", [_truncate, _flip_mapped_byte, _garbage_meta, _old_format, _entry_is_a_file,
                                    _other_dtype_consistent_checksum])
def test_damaged_crpl_cache_entry_is_rebuilt(tmp_path, monkeypatch, traced_64m, damage):
    monkeypatch.setenv("GEOCOVER_CACHE_DIR", str(tmp_path))
    build = refraction.crpl_site.__wrapped__  # past the in-memory cache
    build(64.0)
    path = refraction._site_cache_path(64.0, 313.0)
    assert path.is_dir()
    damage(path)
    site = build(64.0)
    assert not isinstance(site.rays.height_m, np.memmap)  # traced again, not read from the damaged entry
    grid, phi = traced_64m
    assert all(_same(a, b) for a, b in zip(site.correction_grid(), grid, strict=True))
    assert _same(site.rays.phi_rad, phi)
    again = build(64.0)  # and the rebuilt entry is read back
    assert isinstance(again.rays.height_m, np.memmap)
    assert all(_same(a, b) for a, b in zip(again.correction_grid(), grid, strict=True))


def test_cache_dir_that_is_a_file_only_loses_the_cache(tmp_path, monkeypatch, traced_64m):
    (tmp_path / "f").write_text("x")
    monkeypatch.setenv("GEOCOVER_CACHE_DIR", str(tmp_path / "f"))
    site = refraction.crpl_site.__wrapped__(64.0)
    assert all(_same(a, b) for a, b in zip(site.correction_grid(), traced_64m[0], strict=True))


# ---------------------------------------------------------------- the site search's fast path

def test_fast_search_two_classes_and_a_co_located_candidate():
    # third-site-2007: a threat set of two classes (shahab-3 and irbm), the Brdy radar that
    # cannot search; candidates co-located with the scenario's forward radar (41.6 N 44.9 E,
    # data/scenarios/third-site-2007.toml) and in Bulgaria (adds defended area). Every score
    # equals the plain way's (a ScenarioRun of the variant), exactly.
    from search_plain import plain_parts

    from geocover import search
    from geocover.search import _score, greedy_search

    sc = load_scenario("third-site-2007")
    tmpl = sc.catalog.radar("kurecik")
    launches, res_deg = ["tabriz"], 4.0
    sites = [(41.6, 44.9), (42.0, 27.0)]

    def plain(added):
        return _score("area", plain_parts(sc, "radar", tmpl, added, launches, res_deg))

    search.FAST_STATS.update(flights=0, reengaged=0)
    res = greedy_search(sc, "radar", np.array([s[0] for s in sites]), np.array([s[1] for s in sites]), k=1,
                        objective="area", launches=launches, resolution_deg=res_deg)
    assert res.base_score == plain(())
    for i, s in enumerate(sites):
        assert res.first_scores[i] == plain((s,)), s
    assert res.first_scores[1] > res.base_score  # the Bulgarian site changes the answer
    stats = dict(search.FAST_STATS)
    assert 0 < stats["reengaged"] < stats["flights"], stats  # the shortcut is taken, both ways
