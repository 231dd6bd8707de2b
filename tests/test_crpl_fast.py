"""The numba kernels that build a CRPL site's tables (ray trace, first-crossing table,
elevation-correction grid) against the numpy code they replace (``GEOCOVER_NO_NUMBA=1``,
the fallback and the reference).

The kernels do the numpy code's arithmetic operation for operation (``np.interp``'s formula
and special cases, ``np.searchsorted`` on the same rounded keys, numpy's sequential cumsum)
and leave numpy the functions whose SIMD versions differ from libm by an ulp (exp, arccos,
arctan2), so the tolerance is zero: every array must be the same to the bit (NaN where the
reference has NaN). The independent checks of the CRPL model itself (MathWorks examples,
an independent scipy ray trace, PHYSICS.md) are tests/test_refraction_crpl.py and
tests/test_refraction_refs.py.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from geocover import _kernels, refraction
from geocover.refraction import trace_crpl_rays

pytestmark = pytest.mark.skipif(not _kernels.HAVE_NUMBA, reason="numba not installed")

#: (antenna height m, Ns N-units): the sea surface (grazing ray at 0 deg), a mast, a mountain
#: site (its grazing ray leaves 1.4 deg down), and another surface refractivity.
CASES = [(0.0, 313.0), (10.0, 313.0), (2090.0, 313.0), (812.3, 400.0)]


def _numpy(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setenv("GEOCOVER_NO_NUMBA", "1")
        return fn()


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


def _site_rays(h_a, ns):
    """The elevations of crpl_site's ray family (grazing ray to 90 deg)."""
    e_g = refraction._grazing_elevation_deg(h_a, ns)
    t = np.linspace(0.0, 1.0, refraction._SITE_RAYS)
    return e_g + (90.0 - e_g) * t**2


@pytest.mark.parametrize(("h_a", "ns"), CASES)
def test_site_tables_identical_to_numpy(monkeypatch, h_a, ns):
    monkeypatch.delenv("GEOCOVER_NO_NUMBA", raising=False)
    fast = refraction._trace_site(h_a, ns)
    ref = _numpy(monkeypatch, lambda: refraction._trace_site(h_a, ns))
    for name in ("elevation_deg", "invariant_m", "phi_rad", "height_m", "tangent_height_m"):
        assert _same(getattr(fast.rays, name), getattr(ref.rays, name)), name
    assert fast.rays.path_m is None and fast.rays.optical_path_m is None  # traced with paths=False
    # the grids first: their farthest range comes from the top height's crossings alone ...
    grid_fast = fast._build_correction_grid(numba_kernels=True)
    grid_ref = ref._build_correction_grid(numba_kernels=False)
    for a, b in zip(grid_fast, grid_ref, strict=True):
        assert _same(a, b)
    assert _same(fast.phi_table, _numpy(monkeypatch, lambda: ref.phi_table))
    # ... which is the whole first-crossing table's largest angle (as the grid was defined)
    assert grid_fast[1][-1] == float(np.nanmax(ref.phi_table)) * refraction.EARTH_RADIUS_M


@pytest.mark.parametrize(("h_a", "ns"), [(10.0, 313.0), (2090.0, 400.0)])
def test_traced_paths_and_first_crossings_identical_to_numpy(monkeypatch, h_a, ns):
    # paths=True (range_to_height, height_to_range use them), a few rays below and above the
    # low-ray limit (1.5 deg), and heights unsorted, repeated, NaN, below the tangent point,
    # on nodes, and above the atmosphere's top (the straight-line branch)
    monkeypatch.delenv("GEOCOVER_NO_NUMBA", raising=False)
    e = np.array([refraction._grazing_elevation_deg(h_a, ns), -0.01, 0.0, 0.3, 1.5, 1.6, 10.0, 45.0, 90.0])
    fast = trace_crpl_rays(h_a, e, surface_refractivity_n=ns)
    ref = _numpy(monkeypatch, lambda: trace_crpl_rays(h_a, e, surface_refractivity_n=ns))
    for name in ("phi_rad", "height_m", "path_m", "optical_path_m", "tangent_height_m"):
        assert _same(getattr(fast, name), getattr(ref, name)), name
    rng = np.random.default_rng(13)
    h = np.concatenate([rng.uniform(0.0, 3e5, 200), rng.uniform(0.0, 4e7, 50), [np.nan, 0.0, h_a, 1e5, 1e5],
                        fast.height_m[3, ::500], [5e4, 1e3, 2e7]])
    for q in ("phi_rad", "path_m", "optical_path_m"):
        got = fast.at_height(h, q)
        assert _same(got, _numpy(monkeypatch, lambda q=q: ref.at_height(h, q))), q
        assert np.isfinite(got).sum() > 0.5 * got.size  # the comparison is not between all-NaN tables
    assert fast.at_height(123.0).shape == (e.size,)  # scalar height: one value per ray


def test_correction_grid_built_once_across_threads(monkeypatch):
    # a site shared by threads: one builds the grid, the others wait for it and get the same
    # arrays (the lock of CrplSite.correction_grid)
    site = refraction._trace_site(321.0, 313.0)
    calls = []
    build = refraction.CrplSite._build_correction_grid

    def counting(self, numba_kernels):
        calls.append(1)
        return build(self, numba_kernels)

    monkeypatch.setattr(refraction.CrplSite, "_build_correction_grid", counting)
    out = [None] * 4
    start = threading.Barrier(4)

    def run(i):
        start.wait()
        out[i] = site.correction_grid()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(o is out[0] for o in out)


def test_sites_built_on_threads_equal_serial_builds():
    # the kernels release the GIL (nogil) and keep no state between calls: two sites traced
    # and gridded at once on two threads are the same as each built alone
    heights = (57.0, 1402.5)
    serial = [refraction._trace_site(h, 313.0) for h in heights]
    for s in serial:
        s.correction_grid()
    out = [None, None]

    def run(i):
        site = refraction._trace_site(heights[i], 313.0)
        site.correction_grid()
        out[i] = site

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(out, serial, strict=True):
        assert _same(a.rays.phi_rad, b.rays.phi_rad) and _same(a.rays.height_m, b.rays.height_m)
        for x, y in zip(a.correction_grid(), b.correction_grid(), strict=True):
            assert _same(x, y)


def test_site_from_disk_cache_rebuilds_its_first_crossing_table(tmp_path, monkeypatch):
    # the disk cache keeps the rays and the grid, not the first-crossing table: a site read
    # back builds it on first use, from the memory-mapped rays, the same as the traced site's
    monkeypatch.setenv("GEOCOVER_CACHE_DIR", str(tmp_path))
    build = refraction.crpl_site.__wrapped__  # past the in-memory cache
    traced = build(64.0)
    loaded = build(64.0)
    assert isinstance(loaded.rays.height_m, np.memmap)  # read from the cache, not traced
    assert loaded.__dict__.get("_phi_table") is None
    assert _same(loaded.phi_table, traced.phi_table)


def test_two_threads_storing_one_site_leave_a_usable_entry(tmp_path, monkeypatch):
    # hostile test (session 4): the staging folder was <key>.<pid>.tmp, shared by the threads
    # of one process, so two threads storing the same site removed or overwrote each other's
    # files and left an entry that failed its checks in 2 of 6 trials. With the thread in the
    # name each thread stages its own folder; the first rename wins, the other is dropped.
    import threading

    monkeypatch.setenv("GEOCOVER_CACHE_DIR", str(tmp_path))
    build = refraction.crpl_site.__wrapped__
    for h in (201.0, 202.0, 203.0):
        barrier = threading.Barrier(2)

        def run(h=h, barrier=barrier):
            barrier.wait()
            build(h)

        ts = [threading.Thread(target=run) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        path = refraction._site_cache_path(h, refraction.CRPL_SURFACE_REFRACTIVITY_N)
        assert refraction._load_site(path, h, refraction.CRPL_SURFACE_REFRACTIVITY_N) is not None
        assert not list(tmp_path.rglob("*.tmp"))  # no staging folder left behind
