"""Optional numba kernels (``pip install numba`` or the ``fast`` extra); every caller keeps a
numpy path and uses it when numba is missing or ``GEOCOVER_NO_NUMBA=1`` is set. The tests
run both and compare them.

Threads. The parallel kernels (trajectory sampling, terrain masks) run on numba's OpenMP
layer; its worker threads spin between parallel regions by default, which on a loaded
machine costs CPU that other work needs (a footprint chunk: 2.75 CPU-s with spinning, 2.57
with ``OMP_WAIT_POLICY=PASSIVE``, 2.59 with one thread; load average 8 on 2 cores). Unless
the user set it, ``OMP_WAIT_POLICY`` is set to ``PASSIVE`` here, before any parallel region
starts. Kernels called per chunk on ~10^5 points are serial (``crpl_correction``,
``flyout_time``, ``visible``): parallelism comes from the chunks (``Executor.map_chunks``).
The kernels of the engine's blocks (these and the trajectory sampling ones) are compiled
``nogil=True``: the blocks run on threads (:mod:`geocover._threads`), each thread's parallel
regions on one numba thread.
"""

from __future__ import annotations

import math
import os

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:  # pragma: no cover - depends on the environment
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    numba = None
    HAVE_NUMBA = False

__all__ = ["HAVE_NUMBA", "bilinear_geographic", "boost_profile", "crpl_correction", "flyout_time",
           "free_flight_by_anomaly",
           "geoid_bilinear", "hermite_rays", "mask_rays", "use_numba", "visible"]


def use_numba() -> bool:
    """Whether the numba kernels are used now (installed and not disabled)."""
    return HAVE_NUMBA and os.environ.get("GEOCOVER_NO_NUMBA", "") not in ("1", "true", "yes")


def _jit(fn, **options):
    """``numba.njit(**options)(fn)`` where numba is installed, else ``fn`` itself (plain Python
    and numpy: the inlined helpers then run as they are, and the entry kernels are not called,
    since :func:`use_numba` is false)."""
    return numba.njit(**options)(fn) if HAVE_NUMBA else fn


def _free_flight_py(e0, ei, m0, mean_motion, ecc, a, pvec, qvec, tb, omega, t, lat, lon, h):
    """Free flight sampled uniformly in eccentric anomaly, one trajectory per column of the
    sample-major outputs t, lat (deg), lon (deg), h (m above the 6,371 km sphere)."""
    m, n = t.shape
    r_earth = 6_371_000.0
    # the semi-minor axis a sqrt(1 - e^2) of each trajectory, once (the same float64 product)
    semi_minor = np.empty(n)
    for j in range(n):
        semi_minor[j] = a[j] * math.sqrt(1.0 - ecc[j] * ecc[j])
    # rows (samples) outside, trajectories inside: every write is contiguous
    for i in numba.prange(m) if numba is not None else range(m):
        frac = i / (m - 1)
        for j in range(n):
            e = ecc[j]
            big_e = e0[j] + frac * (ei[j] - e0[j])
            se, ce = math.sin(big_e), math.cos(big_e)
            dt = (big_e - e * se - m0[j]) / mean_motion[j]
            px, py = a[j] * (ce - e), semi_minor[j] * se
            x = px * pvec[j, 0] + py * qvec[j, 0]
            y = px * pvec[j, 1] + py * qvec[j, 1]
            z = px * pvec[j, 2] + py * qvec[j, 2]
            r = a[j] * (1.0 - e * ce)
            lo = math.atan2(y, x) - omega * dt
            if lo < -math.pi:
                lo += 2.0 * math.pi
            zr = min(1.0, max(-1.0, z / r))
            t[i, j] = dt + tb[j]
            lat[i, j] = math.degrees(math.asin(zr))
            lon[i, j] = math.degrees(lo)
            h[i, j] = max(r - r_earth, 0.0)


def _boost_py(frac, tb, lat0, lon0, az, boost_range, h_b, q, t, lat, lon, h):
    """Boost positions at ``frac`` of the burn time (ground range s_b tau^3 along the launch
    great circle; altitude h_b times the climb profile of ``trajectory._climb`` with slope q
    at burnout), sample-major outputs."""
    m, n = t.shape
    r_earth = 6_371_000.0
    # each trajectory's launch latitude and azimuth trigonometry, once (the same values)
    trig = np.empty((n, 4))
    for j in range(n):
        trig[j, 0], trig[j, 1] = math.sin(lat0[j]), math.cos(lat0[j])
        trig[j, 2], trig[j, 3] = math.sin(az[j]), math.cos(az[j])
    for i in numba.prange(m) if numba is not None else range(m):
        tau = frac[i]
        tau3 = tau**3
        for j in range(n):
            ang = boost_range[j] * tau3 / r_earth
            sa, ca = math.sin(ang), math.cos(ang)
            sl0, cl0 = trig[j, 0], trig[j, 1]
            slat = min(1.0, max(-1.0, sl0 * ca + cl0 * sa * trig[j, 3]))
            lo = lon0[j] + math.atan2(trig[j, 2] * sa * cl0, ca - sl0 * slat)
            if lo > math.pi:
                lo -= 2.0 * math.pi
            elif lo < -math.pi:
                lo += 2.0 * math.pi
            t[i, j] = tau * tb[j]
            lat[i, j] = math.degrees(math.asin(slat))
            lon[i, j] = math.degrees(lo)
            qj = q[j]
            if qj <= 3.0:
                h[i, j] = h_b[j] * ((3.0 - qj) * tau * tau + (qj - 2.0) * tau**3)
            else:
                h[i, j] = h_b[j] * tau**qj



def _hermite_point_py(lat_n, lon_n, dlat_n, dlon_n, k, u, node_step):
    """Cubic Hermite between nodes k and k + 1 of one ray at fraction u (lat, lon in deg;
    the expression ``terrain._hermite_rays_np`` evaluates, in the same order)."""
    u2 = u * u
    u3 = u2 * u
    h00 = 2.0 * u3 - 3.0 * u2 + 1.0
    h10 = u3 - 2.0 * u2 + u
    h01 = -2.0 * u3 + 3.0 * u2
    h11 = u3 - u2
    lat = (h00 * lat_n[k] + h10 * node_step * dlat_n[k] + h01 * lat_n[k + 1]
           + h11 * node_step * dlat_n[k + 1])
    lo = (h00 * lon_n[k] + h10 * node_step * dlon_n[k] + h01 * lon_n[k + 1]
          + h11 * node_step * dlon_n[k + 1])
    return lat, (lo + 180.0) % 360.0 - 180.0


def _dem_point_py(lat, lon, grid, c0_deg, a_deg, f0_deg, e_deg, left, right, wraps):
    """``terrain.DemSource.sample`` at one point of a lat/lon raster (float32 grid): bilinear
    between cell centres, NaN outside."""
    nrow, ncol = grid.shape
    x = lon
    if wraps:
        x = (x - left) % 360.0 + left
    else:
        if x < left:
            x = x + 360.0
        if x > right:
            x = x - 360.0
    col = (x - c0_deg) / a_deg - 0.5
    row = (lat - f0_deg) / e_deg - 0.5
    inside = row >= -0.5 and row <= nrow - 0.5
    if not wraps:
        inside = inside and col >= -0.5 and col <= ncol - 0.5
    if not inside:
        return math.nan
    r = min(max(row, 0.0), nrow - 1.0)
    r0 = min(math.floor(r), max(nrow - 2, 0))
    dr = r - r0
    if wraps:
        fc = math.floor(col)
        dc = col - fc
        c0 = int(fc) % ncol
        c1 = (c0 + 1) % ncol
    else:
        c = min(max(col, 0.0), ncol - 1.0)
        c0 = min(math.floor(c), max(ncol - 2, 0))
        dc = c - c0
        c1 = min(c0 + 1, ncol - 1)
    r1 = min(r0 + 1, nrow - 1)
    top = float(grid[r0, c0]) * (1 - dc) + float(grid[r0, c1]) * dc
    bot = float(grid[r1, c0]) * (1 - dc) + float(grid[r1, c1]) * dc
    return top * (1 - dr) + bot * dr


def _geoid_point_py(lat, lon, grid, lat0_deg, lon0_deg, step_deg):
    """``geoid.Geoid.undulation`` at one point (no input checks: callers pass valid points)."""
    nrow, ncol = grid.shape
    fr = min(max((lat0_deg - lat) / step_deg, 0.0), nrow - 1.0)
    fc = ((lon - lon0_deg) / step_deg) % ncol
    r0 = min(math.floor(fr), nrow - 2)
    ffc = math.floor(fc)
    c0 = int(ffc) % ncol
    c1 = (c0 + 1) % ncol
    dr, dc = fr - r0, fc - ffc
    top = grid[r0, c0] * (1 - dc) + grid[r0, c1] * dc
    bot = grid[r0 + 1, c0] * (1 - dc) + grid[r0 + 1, c1] * dc
    return top * (1 - dr) + bot * dr


_hermite_point = _jit(_hermite_point_py, inline="always", cache=True)
_dem_point = _jit(_dem_point_py, inline="always", cache=True)
_geoid_point = _jit(_geoid_point_py, inline="always", cache=True)


def _hermite_rays_py(node_lat, node_lon, node_dlat, node_dlon, node_step, distances, lat, lon):
    """Positions along rays (rows) by cubic Hermite interpolation between nodes
    ``node_step`` apart (node k at distance k * node_step): values and derivatives per metre
    (deg), longitudes unwrapped along each ray."""
    n_ray, n_node = node_lat.shape
    n_s = distances.size
    for i in numba.prange(n_ray) if numba is not None else range(n_ray):
        for j in range(n_s):
            x = distances[j] / node_step
            k = min(math.floor(x), n_node - 2)
            lat[i, j], lon[i, j] = _hermite_point(node_lat[i], node_lon[i], node_dlat[i], node_dlon[i],
                                                  k, x - k, node_step)


def _bilinear_geographic_py(lat, lon, grid, c0_deg, a_deg, f0_deg, e_deg, left, right, wraps, out):
    """``terrain.DemSource.sample`` for a lat/lon raster, point by point (flat arrays)."""
    for p in numba.prange(lat.size) if numba is not None else range(lat.size):
        out[p] = _dem_point(lat[p], lon[p], grid, c0_deg, a_deg, f0_deg, e_deg, left, right, wraps)


def _geoid_bilinear_py(lat, lon, grid, lat0_deg, lon0_deg, step_deg, out):
    """``geoid.Geoid.undulation`` point by point (flat arrays)."""
    for p in numba.prange(lat.size) if numba is not None else range(lat.size):
        out[p] = _geoid_point(lat[p], lon[p], grid, lat0_deg, lon0_deg, step_deg)


def _mask_rays_py(node_lat, node_lon, node_dlat, node_dlon, node_step, distances, cos_t, sin_t,
                  dem, dem_c, dem_a, dem_f, dem_e, dem_left, dem_right, dem_wraps,
                  geoid, g_lat0, g_lon0, g_step, n_site, h_ant, re_m, out, bad):
    """The whole terrain mask of ``terrain._compute_mask`` ray by ray, fused: Hermite
    positions, the DEM (one lat/lon raster), the geoid, the apparent elevation (with
    ``cos_t``, ``sin_t`` of distance / R_e) and its running maximum (float32 ``out``). A ray
    that leaves the raster is flagged in ``bad`` (the caller redoes it through the stack)."""
    n_ray, n_node = node_lat.shape
    n_s = distances.size
    a = re_m + h_ant
    for i in numba.prange(n_ray) if numba is not None else range(n_ray):
        best = -math.inf
        best_tan = -math.inf  # tan of the best elevation: atan2 only where the maximum grows
        for j in range(n_s):
            x = distances[j] / node_step
            k = min(math.floor(x), n_node - 2)
            lat, lon = _hermite_point(node_lat[i], node_lon[i], node_dlat[i], node_dlon[i], k, x - k, node_step)
            h = _dem_point(lat, lon, dem, dem_c, dem_a, dem_f, dem_e, dem_left, dem_right, dem_wraps)
            if h != h:
                bad[i] = True
                break
            h_rel = h + _geoid_point(lat, lon, geoid, g_lat0, g_lon0, g_step) - n_site
            c = re_m + h_rel
            num, den = c * cos_t[j] - a, c * sin_t[j]  # den > 0: 0 < distance / R_e < pi
            tan_el = num / den
            if tan_el > best_tan:
                best_tan = tan_el
                el = math.degrees(math.atan2(num, den))
                if el > best:
                    best = el
            out[i, j] = best


def _crpl_correction_py(s, h, hs, ds, n_s, tab, out):
    """``refraction.CrplSite.correction_deg`` point by point (flat float32 ``s``, ``h``;
    float64 arithmetic, float32 ``out``): ``np.interp`` of the height on the node heights
    ``hs`` (its formula: slope (x - x_j) + j), ground range on nodes ``ds`` apart, bilinear
    in ``tab``."""
    n_h = hs.size
    n = s.size
    n_blk = (n + 1023) // 1024
    for b in numba.prange(n_blk) if numba is not None else range(n_blk):
        g = 0  # the previous point's height interval: consecutive points are neighbouring samples
        for p in range(b * 1024, min(n, b * 1024 + 1024)):
            fh, g = _height_index(float(h[p]), hs, g)
            out[p] = _crpl_value(fh, float(s[p]), ds, n_s, n_h, tab)


def _height_index_py(x, hs, g):
    """(fractional index of height ``x`` on the node heights ``hs`` as ``np.interp`` of the
    indices gives it: slope (x - x_j) + j, clamped at the ends; the interval found, to
    start the next search from)."""
    n_h = hs.size
    if x <= hs[0]:
        return 0.0, g
    if x >= hs[n_h - 1]:
        return float(n_h - 1), g
    if hs[g] <= x < hs[g + 1]:
        lo = g
    elif g + 2 < n_h and hs[g + 1] <= x < hs[g + 2]:
        lo = g + 1
    else:
        lo, hi = 0, n_h - 1  # hs[lo] <= x < hs[hi]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if hs[mid] <= x:
                lo = mid
            else:
                hi = mid
    return (1.0 / (hs[lo + 1] - hs[lo])) * (x - hs[lo]) + lo, lo


_height_index = _jit(_height_index_py, inline="always", cache=True)


def _site_vector_py(sb, cb, slon, clon, sb0, cb0, sl0, cl0):
    """The point (reduced latitude and longitude as float32 sines and cosines) as a unit
    vector in the radar's east, north, up frame on the auxiliary sphere (x east, y north,
    z = cos sigma), in float32 as ``fastgeo.PointSet.distance_azimuth``. One copy for both
    passes of ``_visible`` (inlined)."""
    sdl = slon * cl0 - clon * sl0
    cdl = clon * cl0 + slon * sl0
    cb_cdl = cb * cdl
    return cb * sdl, cb0 * sb - sb0 * cb_cdl, sb0 * sb + cb0 * cb_cdl


_site_vector = _jit(_site_vector_py, inline="always", cache=True)


def _distance_bounds_py(u, am_lo, am_hi, inv_2r_lo, inv_2r_hi):
    """Shortcut (3) of ``_visible``: bounds (s_lo, s_hi) on the Andoyer-Lambert distance from
    sin sigma = ``u`` (asin(u) in [u + u^3/6, u + u^3/6 + 0.093 u^5] for u^2 < 0.19; 1e-5 of
    relative slack for the float32 vector; ``am_lo``, ``am_hi``: a (1 - 0.005), a (1 + 1e-4)),
    and (sn_lo, sn_hi) on sin(s / 2R) (sin w >= w - w^3/6, <= w - w^3/6 + w^5/120; ``inv_2r_*``:
    1 / 2R with 1e-6 of slack). One copy for both passes (inlined)."""
    sixth, r120 = 1.0 / 6.0, 1.0 / 120.0
    ul, uh = u * (1.0 - 1e-5), u * (1.0 + 1e-5)
    uh2 = uh * uh
    s_lo = am_lo * ul * (1.0 + ul * ul * sixth)
    s_hi = am_hi * uh * (1.0 + uh2 * (sixth + 0.093 * uh2))
    w = s_lo * inv_2r_lo
    sn_lo = w * (1.0 - w * w * sixth)
    w = s_hi * inv_2r_hi
    w2 = w * w
    sn_hi = w * (1.0 - w2 * (sixth - w2 * r120))
    return s_lo, s_hi, sn_lo, sn_hi


def _elevation_bounds_py(s_lo, s_hi, hp, rad, h_ant, inv_rad_lo, inv_rad_hi):
    """Shortcut (3) of ``_visible``: bounds (n_lo, n_hi) on the elevation's numerator
    (h - h_ant) - 2 c sin^2(t / 2) and (d_lo, d_hi) on its denominator c sin t, c = ``rad`` +
    ``hp``, t = s / ``rad`` for s in [``s_lo``, ``s_hi``]: the numerator falls and the denominator
    grows with t while t < pi / 2 (the caller's condition, ``RadarView._visible_fused``); Taylor
    bounds of sin and 1e-5 of relative slack for the float32 arithmetic. One copy for both
    passes (inlined)."""
    sixth, r120 = 1.0 / 6.0, 1.0 / 120.0
    cd = float(rad + hp)
    dh = float(hp - h_ant)
    t_lo, t_hi = s_lo * inv_rad_lo, s_hi * inv_rad_hi
    v = 0.5 * t_lo
    sv_lo = v * (1.0 - v * v * sixth)
    v = 0.5 * t_hi
    v2 = v * v
    sv_hi = v * (1.0 - v2 * (sixth - v2 * r120))
    q_hi = 2.0 * cd * sv_hi * sv_hi
    e = 1e-5 * (abs(dh) + q_hi)
    n_hi = dh - 2.0 * cd * sv_lo * sv_lo + e
    n_lo = dh - q_hi - e
    d_lo = cd * t_lo * (1.0 - t_lo * t_lo * sixth) * (1.0 - 1e-5)
    t2 = t_hi * t_hi
    d_hi = cd * t_hi * (1.0 - t2 * (sixth - t2 * r120)) * (1.0 + 1e-5)
    return n_lo, n_hi, d_lo, d_hi


def _bounds_constants_py(a_m, two_r, rad, a2):
    """The float64 constants of shortcuts (1) and (3) of ``_visible`` (both passes): ``a_m``
    (1 - 0.005) and (1 + 1e-4) (:func:`_distance_bounds_py`), 1 / 2R and 1 / ``rad`` with 1e-6 of
    slack each way, and 2 x 0.97 ``a2`` (the range bound from ``z``). Inlined."""
    am_lo, am_hi = float(a_m) * (1.0 - 0.005), float(a_m) * (1.0 + 1e-4)
    inv_2r_lo, inv_2r_hi = (1.0 - 1e-6) / float(two_r), (1.0 + 1e-6) / float(two_r)
    inv_rad_lo, inv_rad_hi = (1.0 - 1e-6) / float(rad), (1.0 + 1e-6) / float(rad)
    return am_lo, am_hi, inv_2r_lo, inv_2r_hi, inv_rad_lo, inv_rad_hi, 2.0 * 0.97 * float(a2)


_bounds_constants = _jit(_bounds_constants_py, inline="always", cache=True)
_distance_bounds = _jit(_distance_bounds_py, inline="always", cache=True)
_elevation_bounds = _jit(_elevation_bounds_py, inline="always", cache=True)


def _visible_pass1_py(sb, cb, slon, clon, h, rcs, geo, radar, sure, full, code):
    """Pass 1 of ``_visible`` (per-point RCS): shortcuts (1) to (3) for every point, into
    ``code``: 0 (not visible), 1 (visible) or 2 (undecided: the full test decides). No
    branch on the point's data and no state carried from point to point, in a function of
    its own, so that LLVM can vectorise the loop (with the RCS cache or an index counter in
    it, the same loop ran ~5x slower; the benchmark footprint's visibility 0.87 -> 0.70
    CPU-s)."""
    f32 = np.float32
    sure_lo, sure_hi, fail_lo = sure[0], sure[1], sure[2]
    bx, by, cos_in, cos_out = sure[3], sure[4], sure[5], sure[6]
    sb0, cb0, sl0, cl0, a_m = geo[0], geo[1], geo[2], geo[3], geo[4]
    a2, c0, two_r, rad, h_ant = radar[0], radar[1], radar[2], radar[8], radar[9]
    am_lo, am_hi, inv_2r_lo, inv_2r_hi, inv_rad_lo, inv_rad_hi, k4 = _bounds_constants(a_m, two_r, rad, a2)
    ref_rng, ref_rcs = radar[4], radar[5]
    for p in range(h.size):
        mr = f32(ref_rng * math.sqrt(math.sqrt(f32(rcs[p]) / ref_rcs)))
        x, y, z = _site_vector(sb[p], cb[p], slon[p], clon[p], sb0, cb0, sl0, cl0)
        hp = f32(h[p])
        c2 = c0 + hp
        mm = float(mr * mr)
        c2d = float(c2)
        fail = (c2d > 0.0) & (k4 * c2d * ((1.0 - float(z)) - 1e-6) > float(mr) * float(mr))
        xd, yd = float(x), float(y)
        u2 = xd * xd + yd * yd
        u = math.sqrt(u2)
        sec_in = full
        if not full:
            dot = xd * bx + yd * by
            fail = fail | (dot < cos_out * u)
            sec_in = dot > cos_in * u
        s_lo, s_hi, sn_lo, sn_hi = _distance_bounds(u, am_lo, am_hi, inv_2r_lo, inv_2r_hi)
        d = float(c2 - a2)
        k = 4.0 * float(a2) * c2d
        n_lo, n_hi, d_lo, d_hi = _elevation_bounds(s_lo, s_hi, hp, rad, h_ant, inv_rad_lo, inv_rad_hi)
        dn_hi = d_hi if n_hi < 0.0 else d_lo
        dn_lo = d_lo if n_lo < 0.0 else d_hi
        ok = (z > f32(0.9)) & (u2 >= 1e-4) & (c2d > 0.0)
        fail = fail | (ok & (((d * d + k * sn_lo * sn_lo) * (1.0 - 1e-5) > mm) | (n_hi < fail_lo * dn_hi)))
        sure_in = (ok & sec_in & ((d * d + k * sn_hi * sn_hi) * (1.0 + 1e-5) < mm)
                   & (n_lo >= sure_lo * dn_lo) & (n_hi <= sure_hi * dn_hi))
        code[p] = 0 if fail else (1 if sure_in else 2)


_visible_pass1 = _jit(_visible_pass1_py, cache=True, nogil=True)


def _visible_py(sb, cb, slon, clon, h, rcs, per_point_rcs, geo, radar, full, crpl, hs, ds, n_s, tab, sure, bounds,
                out):
    """``radar.RadarView.visible_fast`` (no terrain mask) point by point, fused: the
    Andoyer-Lambert distance and azimuth of ``fastgeo.PointSet.distance_azimuth`` from the
    points' float32 trigonometry (``sb``, ``cb``, ``slon``, ``clon``), the slant range on the
    osculating sphere against the radar-equation range (per point when
    ``per_point_rcs``), the azimuth sector, the elevation on the refraction sphere plus the
    CRPL correction (``crpl``: bilinear in ``tab``, float64 arithmetic as
    ``_crpl_correction``), the elevation limits and the radar horizon. The same float32
    operations in the same order as the numpy path; only the float32 ``sin`` / ``atan2``
    differ (libm here, numpy's SIMD routines there, up to an ulp apart), so a point within an
    ulp of a limit may fall the other way (tests/test_speed_paths.py).

    ``h`` and ``rcs`` are float32 or float64 (rounded to float32 here, as numpy's
    ``astype(float32)`` does: the caller saves a conversion per radar).
    ``geo`` (float32): sb0, cb0, sl0, cl0 of the site (reduced latitude, longitude), the
    semi-major axis a, f / 2. ``radar`` (float32): a2 = R_osc + h_ell, R_osc + N_site,
    2 R_osc, the scalar maximum range, reference range, reference RCS, boresight (deg),
    half-width + 1e-9 (deg; unused when ``full``, a full circle), refraction radius, antenna
    height MSL, min and max elevation (deg), grazing elevation (deg), horizon ground range (m).
    ``sure`` (float64): tangents (lo, hi) of geometric elevations between which every point
    passes the elevation and horizon tests whatever its correction (the caller's margins:
    the table's extreme corrections and 1e-3 deg for float32 rounding; lo > hi disables it),
    the tangent of a geometric elevation below which every point fails the minimum elevation
    whatever its correction (-inf disables it), the boresight's east and north components,
    and the cosines of the half-width minus and plus 0.01 deg (2 and -2 disable them).

    Shortcuts, each decided only where the full test could not decide otherwise, so that the
    verdicts are those of the full float32 test to the bit (tests/test_visibility_fused.py
    runs the kernel with and without them): (1) the range bound from ``z`` below; (2) the
    sector from the dot product of the horizontal direction (x, y) with the boresight,
    against cosines 0.01 deg inside and outside the half-width (the float32 ``atan2`` and
    its degree arithmetic keep the azimuth to ~1e-4 deg), the exact azimuth only in between;
    (3) with ``bounds``, for points 64 to ~2,800 km from the radar (0.01 <= sin sigma and
    cos sigma > 0.9), bounds on sigma from sin sigma = |(x, y)| (asin's series, 1e-5 of
    relative slack for the float32 vector), on the Andoyer-Lambert distance (its correction
    is >= 0 and <= 2.27 sigma there: s in [0.995 a sigma, a sigma (1 + 1e-4)]), and from
    them on the slant range and on the elevation's numerator and denominator (Taylor bounds
    of sin, 1e-5 of relative slack for the float32 arithmetic): a point whose range or
    elevation is decided by the bounds skips the two arctangents and three sines; (4) there,
    with ``crpl``, a point the table's extreme corrections leave undecided is tried against
    the least and greatest correction of the table cells it can fall in (its two height rows,
    the columns its distance bounds span plus one each side). The full test runs for the rest
    (near a limit, near or far from the radar). With ``bounds`` and a per-point RCS (the
    engine's case), (1) to (3) first run for every point in :func:`_visible_pass1`, a loop
    without branches on the data, and the loop here only takes the points it leaves
    undecided."""
    f32 = np.float32
    sure_lo, sure_hi, fail_lo = sure[0], sure[1], sure[2]
    bx, by, cos_in, cos_out = sure[3], sure[4], sure[5], sure[6]
    sb0, cb0, sl0, cl0, a_m, half_f = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5]
    a2, c0, two_r, mr0, ref_rng, ref_rcs = radar[0], radar[1], radar[2], radar[3], radar[4], radar[5]
    bore, hw, rad, h_ant = radar[6], radar[7], radar[8], radar[9]
    el_min, el_max, el_graz, s_hor = radar[10], radar[11], radar[12], radar[13]
    one, half, two, four = f32(1.0), f32(0.5), f32(2.0), f32(4.0)
    to_deg = f32(180.0 / math.pi)
    # the bounds' constants (float64; each multiplication by a rounded 1/6 or 1/120 in
    # _distance_bounds and _elevation_bounds is far inside the 1e-5 slack)
    am_lo, am_hi, inv_2r_lo, inv_2r_hi, inv_rad_lo, inv_rad_hi, k4 = _bounds_constants(a_m, two_r, rad, a2)
    el_min_d, el_max_d = float(el_min), float(el_max)
    g = 0
    last_rcs = f32(math.nan)
    # pass 1 (with ``bounds``): shortcuts (1) to (3) for every point, without branches on its
    # data and without state carried from point to point (LLVM vectorises these loops, ~5x
    # faster): 0 false, 1 true, 2 undecided (pass 2 then runs the full test)
    pass1 = bounds and per_point_rcs
    code = np.empty(h.size if pass1 else 0, np.uint8)
    if pass1:
        _visible_pass1(sb, cb, slon, clon, h, rcs, geo, radar, sure, full, code)
    # pass 2: the points pass 1 left undecided (every point without ``bounds``)
    mr = mr0
    for p in range(h.size):
        if pass1:
            cp = code[p]
            if cp != 2:
                out[p] = cp == 1
                continue
        # distance and azimuth (fastgeo.PointSet.distance_azimuth)
        x, y, z = _site_vector(sb[p], cb[p], slon[p], clon[p], sb0, cb0, sl0, cl0)
        hp = f32(h[p])
        c2 = c0 + hp
        if per_point_rcs:
            rcs_p = f32(rcs[p])
            if not rcs_p == last_rcs:  # samples' RCS runs (boost, then warhead)
                last_rcs = rcs_p
                mr = f32(ref_rng * math.sqrt(math.sqrt(rcs_p / ref_rcs)))
        # cheap rejection, before any trigonometry: rho^2 >= 4 a2 c2 sin^2(s / 2R) and, with
        # z = cos(sigma) on the auxiliary sphere, s / R >= 0.99 sigma (|a / R - 1| < 0.4 %,
        # Andoyer's term < 0.5 %), so sin^2(s / 2R) >= 0.98 (1 - z) / 2; with 1e-6 of slack for
        # z's float32 rounding and another 1 % margin the point is certainly beyond the range
        if c2 > 0.0 and k4 * float(c2) * ((1.0 - float(z)) - 1e-6) > float(mr) * float(mr):
            out[p] = False
            continue
        if not full:  # the sector: outside, inside, or the exact azimuth near its edges
            xd, yd = float(x), float(y)
            dot = xd * bx + yd * by
            norm = math.sqrt(xd * xd + yd * yd)
            if dot < cos_out * norm:
                out[p] = False
                continue
            if not dot > cos_in * norm:
                az = math.atan2(x, y) * to_deg
                if az < f32(0.0):
                    az += f32(360.0)
                off = (az - bore + f32(180.0)) % f32(360.0) - f32(180.0)
                if not abs(off) <= hw:
                    out[p] = False
                    continue
        if bounds and z > f32(0.9):
            xd, yd = float(x), float(y)
            u2 = xd * xd + yd * yd
            if u2 >= 1e-4 and c2 > 0.0:
                u = math.sqrt(u2)
                s_lo, s_hi, sn_lo, sn_hi = _distance_bounds(u, am_lo, am_hi, inv_2r_lo, inv_2r_hi)
                d = float(c2 - a2)
                k = 4.0 * float(a2) * float(c2)
                mm = float(mr * mr)
                if (d * d + k * sn_lo * sn_lo) * (1.0 - 1e-5) > mm:
                    out[p] = False
                    continue
                n_lo, n_hi, d_lo, d_hi = _elevation_bounds(s_lo, s_hi, hp, rad, h_ant, inv_rad_lo, inv_rad_hi)
                # tan E <= n_hi / (d_hi if n_hi < 0 else d_lo), >= n_lo / (d_lo if n_lo < 0 else d_hi)
                if n_hi < fail_lo * (d_hi if n_hi < 0.0 else d_lo):
                    out[p] = False
                    continue
                r_pass = (d * d + k * sn_hi * sn_hi) * (1.0 + 1e-5) < mm
                if (r_pass and n_lo >= sure_lo * (d_lo if n_lo < 0.0 else d_hi)
                        and n_hi <= sure_hi * (d_hi if n_hi < 0.0 else d_lo)):
                    out[p] = True
                    continue
                if crpl:
                    # near the limits: the correction's least and greatest value on the table's
                    # cells the point can be in (its height rows; the columns of [s_lo, s_hi]
                    # and one more each side), against the geometric elevation's bounds (the
                    # float32 atan2, degrees and sum stay within 1e-4 deg of them)
                    fh, g = _height_index(float(hp), hs, g)
                    i = min(max(math.floor(fh), 0), hs.size - 2)
                    j_a = min(max(math.floor(s_lo / ds) - 1, 0), n_s - 2)
                    j_b = min(max(math.floor(s_hi / ds) + 1, 0), n_s - 2)
                    c_min, c_max = math.inf, -math.inf
                    for j in range(j_a, j_b + 2):
                        c_min = min(c_min, float(tab[i, j]), float(tab[i + 1, j]))
                        c_max = max(c_max, float(tab[i, j]), float(tab[i + 1, j]))
                    e_ub = math.degrees(math.atan(n_hi / (d_hi if n_hi < 0.0 else d_lo)))
                    if e_ub + c_max < el_min_d - 1e-3:
                        out[p] = False
                        continue
                    # passing the minimum elevation implies passing the horizon where sure_lo
                    # <= sure_hi (the caller's condition)
                    if r_pass and sure_lo <= sure_hi and e_ub + c_max <= el_max_d - 1e-3:
                        e_lb = math.degrees(math.atan(n_lo / (d_lo if n_lo < 0.0 else d_hi)))
                        if e_lb + c_min >= el_min_d + 1e-3:
                            out[p] = True
                            continue
        ssig = math.hypot(x, y)
        sig = math.atan2(ssig, z)
        cc, ss = cb0 * cb[p], sb0 * sb[p]
        sp2 = half * (one - (cc - ss))
        sq2 = half * (one - (cc + ss))
        sh = math.sin(half * sig)
        sh2 = sh * sh
        ch2 = one - sh2
        corr = f32(0.0)
        if sig > f32(1e-6):
            corr = (sig - ssig) * sp2 * (one - sq2) / ch2 + (sig + ssig) * (one - sp2) * sq2 / sh2
        s = a_m * (sig - half_f * corr)
        # slant range against the range limit
        sn = math.sin(s / two_r)
        rho2 = (c2 - a2) * (c2 - a2) + four * a2 * c2 * (sn * sn)
        if not rho2 <= mr * mr:
            out[p] = False
            continue
        # elevation on the refraction sphere, plus the traced rays' bending
        t = s / rad
        c = rad + hp
        st = math.sin(t / two)
        num = (hp - h_ant) - two * c * (st * st)
        den = c * math.sin(t)
        if den > f32(0.0):
            if float(num) >= sure_lo * float(den) and float(num) <= sure_hi * float(den):
                out[p] = True
                continue
            if float(num) < fail_lo * float(den):
                out[p] = False
                continue
        el = math.atan2(num, den) * to_deg
        if crpl:
            fh, g = _height_index(float(hp), hs, g)
            el = el + f32(_crpl_value(fh, float(s), ds, n_s, hs.size, tab))
        out[p] = (el >= el_min) and (el <= el_max) and ((el >= el_graz) or (s <= s_hor))


def _crpl_value_py(fh, s, ds, n_s, n_h, tab):
    """The CRPL correction bilinear in ``tab`` at fractional height index ``fh`` and ground
    range ``s`` (nodes ``ds`` apart)."""
    fs = min(max(s / ds, 0.0), n_s - 1.0)
    i = min(max(math.floor(fh), 0), n_h - 2)
    j = min(max(math.floor(fs), 0), n_s - 2)
    u, w = fh - i, fs - j
    return ((tab[i, j] * (1 - w) + tab[i, j + 1] * w) * (1 - u)
            + (tab[i + 1, j] * (1 - w) + tab[i + 1, j + 1] * w) * u)


_crpl_value = _jit(_crpl_value_py, inline="always", cache=True)


def _flyout_time_py(d, h, r0, dr, nr, a0, da, na, tab, out):
    """``interceptor.FlyoutTable.time_to`` point by point (flat arrays, float64 arithmetic in
    its order): bilinear in ``tab`` (ranges ``r0 + i dr``, altitudes ``a0 + j da``), NaN
    outside the table (NaN inputs included)."""
    for p in range(d.size):
        x, y = float(d[p]), float(h[p])
        fr = (x - r0) / dr
        fa = (y - a0) / da
        if not (fr >= 0 and fr <= nr - 1 and fa >= 0 and fa <= na - 1):  # NaN fails every test
            out[p] = math.nan
            continue
        i = min(math.floor(fr), nr - 2)
        j = min(math.floor(fa), na - 2)
        u, w = fr - i, fa - j
        out[p] = ((tab[i, j] * (1 - w) + tab[i, j + 1] * w) * (1 - u)
                  + (tab[i + 1, j] * (1 - w) + tab[i + 1, j + 1] * w) * u)


free_flight_by_anomaly = _jit(_free_flight_py, parallel=True, cache=True, nogil=True)
boost_profile = _jit(_boost_py, parallel=True, cache=True, nogil=True)
hermite_rays = _jit(_hermite_rays_py, parallel=True, cache=True)
bilinear_geographic = _jit(_bilinear_geographic_py, parallel=True, cache=True)
geoid_bilinear = _jit(_geoid_bilinear_py, parallel=True, cache=True)
mask_rays = _jit(_mask_rays_py, parallel=True, cache=True)
# serial: called per radar on a chunk's in-range samples (~10^5); threads cost more than they
# save there, and parallelism comes from the chunks (Executor.map_chunks)
crpl_correction = _jit(_crpl_correction_py, cache=True, nogil=True)
flyout_time = _jit(_flyout_time_py, cache=True, nogil=True)  # serial, as crpl_correction
visible = _jit(_visible_py, cache=True, nogil=True)  # serial, as crpl_correction


# ------------------------------------------------------------------ CRPL site tables (refraction.crpl_site)
# Kernels that build a CRPL site's tables (refraction._trace_site, CrplSite._correction_grid)
# with the numpy code's arithmetic, operation for operation, so that the tables are the same
# to the bit (tests/test_crpl_fast.py). They use only + - * / sqrt and libm's cos (the same
# as numpy's float64 cos here); numpy's SIMD exp / arccos / arctan2 (up to an ulp from libm)
# stay with the numpy callers. None of them runs in parallel: a site is built per candidate
# radar, and parallelism comes from the candidates.


def _interp_walk_py(x, xp, fp, p):
    """``np.interp(x, xp, fp)`` for one ``x`` (``xp`` non-decreasing): the interval found by
    walking up from index ``p`` (valid for an earlier, smaller ``x``), and numpy's formula and
    special cases (``x`` on a node, NaN from one side). Returns (value, interval)."""
    n = xp.size
    if x < xp[0]:
        return fp[0], p
    if x > xp[n - 1]:
        return fp[n - 1], p
    while p + 1 < n and xp[p + 1] <= x:
        p += 1
    if p == n - 1 or xp[p] == x:
        return fp[p], p
    slope = (fp[p + 1] - fp[p]) / (xp[p + 1] - xp[p])
    v = slope * (x - xp[p]) + fp[p]
    if math.isnan(v):
        v = slope * (x - xp[p + 1]) + fp[p + 1]
        if math.isnan(v) and fp[p] == fp[p + 1]:
            v = fp[p]
    return v, p


_interp_walk = _jit(_interp_walk_py, inline="always", cache=True)


def _crpl_grid_block_py(ph, hh, ph_last, c, acos_top, phi, j0, j1, hs, e, big, h_clip, radius, ptr, col, keys,
                        brk, el, h_g, a, sin2_half, sin_t, num, den):
    """Columns ``j0:j1`` of ``refraction.CrplSite._correction_grid`` before the geometric
    elevation is subtracted: at each ground range (central angle ``phi[j]``) the heights of the
    rays (``_ray_height``: ``np.interp`` on the ray's nodes ``ph``, ``hh`` up to its last node
    ``ph_last``, then the straight line ``c / cos(phi - ph_last + acos_top) - R``, inf past
    90 deg), clipped to ``h_clip`` and made non-decreasing over the rays, then inverted at the
    grid heights ``hs`` as ``np.searchsorted`` on the keys ``j * big + height`` does (the same
    rounded keys), into the interpolated elevation ``el[j - j0, i]`` and the grazing ray's
    (clipped) height ``h_g[j - j0]``. A column stops tracing rays at the first one whose key
    reaches the top grid height's (no later ray is looked at by the inversion). ``ptr``: each
    ray's node interval, carried from column to column; ``col``, ``keys`` (n_rays,) and
    ``brk`` (4, n_heights: the bracketing rays' heights and elevations): scratch.
    Also the arguments of ``_geometric_elevation_deg`` at (range, max(height, h_g)):
    ``num`` = (c - a) - 2 c sin^2(t / 2), ``den`` = c sin t with c = R + height, a = R + h_a
    (``sin2_half``, ``sin_t`` per column); the caller takes numpy's arctan2 of them."""
    n_r = ph.shape[0]
    n_h = hs.size
    half_pi = math.pi / 2
    for j in range(j0, j1):
        x = phi[j]
        base = j * big
        q_top = base + hs[n_h - 1]
        top = n_r - 1
        run = -math.inf
        for k in range(n_r):
            last = ph_last[k]
            if x <= last:
                v, ptr[k] = _interp_walk(x, ph[k], hh[k], ptr[k])
            else:
                arg = x - last + acos_top[k]
                v = c[k] / math.cos(arg) - radius if arg < half_pi else math.inf
            if not math.isfinite(v):
                v = h_clip
            v = min(v, h_clip)
            run = v if k == 0 else max(run, v)
            col[k] = run
            keys[k] = base + run
            if k >= 1 and keys[k] >= q_top:
                top = k
                break
        h_g[j - j0] = col[0]
        cnt = 0
        for i in range(n_h):  # the bracketing rays, walking up both sorted lists
            q = base + hs[i]
            while cnt <= top and keys[cnt] < q:
                cnt += 1
            k = min(max(cnt - 1, 0), n_r - 2)
            brk[0, i], brk[1, i], brk[2, i], brk[3, i] = col[k], col[k + 1], e[k], e[k + 1]
        hg, s2, st = col[0], sin2_half[j], sin_t[j]
        for i in range(n_h):  # contiguous loads, no branches: vectorised
            h0, h1, e0, e1 = brk[0, i], brk[1, i], brk[2, i], brk[3, i]
            w = min(max((hs[i] - h0) / (h1 - h0), 0.0), 1.0)
            w = w if h1 > h0 else 0.0
            el[j - j0, i] = e0 + w * (e1 - e0)
            cc = radius + max(hs[i], hg)
            num[j - j0, i] = (cc - a) - 2.0 * cc * s2
            den[j - j0, i] = cc * st


def _crpl_grid_finish_py(el, atan_rad, nb, tab, j0):
    """``tab[:, j0:j0 + nb] = float32(el - degrees(atan_rad)).T`` (numpy's degrees: x * (180 / pi);
    ``el``, ``atan_rad``: (columns, heights))."""
    to_deg = 180.0 / math.pi
    for i in range(el.shape[1]):
        for jj in range(nb):
            tab[i, j0 + jj] = np.float32(el[jj, i] - atan_rad[jj, i] * to_deg)


crpl_grid_block = _jit(_crpl_grid_block_py, cache=True, nogil=True, error_model="numpy")
crpl_grid_finish = _jit(_crpl_grid_finish_py, cache=True, nogil=True, error_model="numpy")



def _trapezoid_into_py(dst, row, f, dx, n):
    """``dst[row] = [0, cumsum(0.5 * (f[1:] + f[:-1]) * dx)]`` (numpy's sequential cumsum)."""
    acc = 0.0
    dst[row, 0] = 0.0
    for i in range(n - 1):
        acc = acc + 0.5 * (f[i + 1] + f[i]) * dx[i]
        dst[row, i + 1] = acc


_trapezoid_into = _jit(_trapezoid_into_py, inline="always", cache=True)


def _crpl_trace_low_py(u, r, nn, cl, g_tangent, rows, phi, path, opt, paths, f1, f2, f3, dx):
    """``refraction.trace_crpl_rays`` for rays integrated in u through their tangent point
    (one block): from the nodes ``u``, radii ``r`` and refractive indices ``nn`` (n_block,
    n_nodes), g = (n r - c)(n r + c) / u^2 (``g_tangent`` = 2 c dq/dr where |u| < 1e-6),
    the integrands 2c / (r sqrt g) (and 2 n r / sqrt g, 2 n^2 r / sqrt g with ``paths``)
    summed by the trapezoid rule into rows ``rows`` of ``phi`` (``path``, ``opt``).
    ``f1``..``f3``, ``dx``: scratch (n_nodes,)."""
    n = u.shape[1]
    for b in range(rows.size):
        c = cl[b]
        for i in range(n):
            uu = u[b, i]
            nr = nn[b, i] * r[b, i]
            if abs(uu) < 1e-6:
                g = g_tangent[b]
            else:
                g = (nr - c) * (nr + c) / (uu * uu)
            sg = math.sqrt(1e-300 if g < 1e-300 else g)
            f1[i] = 2.0 * c / (r[b, i] * sg)
            if paths:
                f2[i] = 2.0 * nn[b, i] * r[b, i] / sg
                f3[i] = 2.0 * nn[b, i] * nn[b, i] * r[b, i] / sg
            if i + 1 < n:
                dx[i] = u[b, i + 1] - uu
        _trapezoid_into(phi, rows[b], f1, dx, n)
        if paths:
            _trapezoid_into(path, rows[b], f2, dx, n)
            _trapezoid_into(opt, rows[b], f3, dx, n)


def _crpl_trace_high_py(r, nn, ch, rows, phi, path, opt, paths, f1, f2, f3, dx):
    """``refraction.trace_crpl_rays`` for rays integrated directly in radius: the same radii
    ``r`` and refractive indices ``nn`` (n_nodes,) for every ray, w = sqrt((n r - c)(n r + c)),
    the integrands c / (r w) (and n r / w, n^2 r / w with ``paths``) summed by the trapezoid
    rule into rows ``rows`` of ``phi`` (``path``, ``opt``). ``f1``..``f3``, ``dx``: scratch."""
    n = r.size
    for i in range(n - 1):
        dx[i] = r[i + 1] - r[i]
    for b in range(rows.size):
        c = ch[b]
        for i in range(n):
            nr = nn[i] * r[i]
            w = math.sqrt((nr - c) * (nr + c))
            f1[i] = c / (r[i] * w)
            if paths:
                f2[i] = nn[i] * r[i] / w
                f3[i] = nn[i] * nn[i] * r[i] / w
        _trapezoid_into(phi, rows[b], f1, dx, n)
        if paths:
            _trapezoid_into(path, rows[b], f2, dx, n)
            _trapezoid_into(opt, rows[b], f3, dx, n)


def _crpl_at_height_py(hh, q, h, above, above_col, out):
    """``refraction.CrplRays.at_height``: for each ray i, ``q`` (its central angle or path
    along the nodes) where it first reaches each height ``h`` climbing: ``np.interp`` on
    the rising part of the ray (from its lowest node), ``q[-1] + above[i, above_col[j]]``
    past its last node (``above``: the straight line's increment, computed by the caller for
    the heights with ``above_col[j] >= 0``), NaN below the tangent point (and NaN heights)."""
    n_r, n = hh.shape
    m = h.size
    for i in range(n_r):
        k0 = 0
        for k in range(1, n):
            if hh[i, k] < hh[i, k0]:
                k0 = k
        lo, top = hh[i, k0], hh[i, n - 1]
        p = k0
        prev = -math.inf
        for j in range(m):
            x = h[j]
            if x >= lo and x <= top:
                if not x >= prev:  # unsorted heights: search the rising part again
                    p = k0
                v, p = _interp_walk(x, hh[i, k0:], q[i, k0:], p - k0)
                p += k0
                prev = x
                out[i, j] = v
            elif x > top:
                out[i, j] = q[i, n - 1] + above[i, above_col[j]]
            else:
                out[i, j] = math.nan


crpl_trace_low = _jit(_crpl_trace_low_py, cache=True, nogil=True, error_model="numpy")
crpl_trace_high = _jit(_crpl_trace_high_py, cache=True, nogil=True, error_model="numpy")
crpl_at_height = _jit(_crpl_at_height_py, cache=True, nogil=True, error_model="numpy")


# ------------------------------------------------------------------ minimum-energy aim
# (trajectory._min_energy_rotating): the rotating-Earth minimum-energy member of the family of
# trajectories through a target, solved target by target. Everything below is arithmetic,
# np.sqrt, np.minimum/np.maximum and comparisons (no sin/cos/atan2: those come as inputs or are
# written out here), so that the same code runs on float scalars (numba, one target at a time)
# and on arrays (the numpy fallback, trajectory._min_energy_rotating_np) and gives the same
# float64 results to the bit (IEEE +, -, *, /, sqrt; numba does not contract without fastmath).
def _me_sincos_small_py(x):
    """sin and cos of |x| <= 0.8 rad by their Taylor series to x^17 / x^18 (truncation < 3e-18;
    larger |x| is clamped to 0.8: the callers' angles, the boost's range angle, the Earth's
    turn during a free flight and the steps of the solve, stay below 0.1, 0.6 and 0.05 rad, and
    a solve whose turn reached the clamp is refused)."""
    x = np.minimum(np.maximum(x, -0.8), 0.8)
    x2 = x * x
    s = x + x * x2 * (-1.0 / 6 + x2 * (1.0 / 120 + x2 * (-1.0 / 5040 + x2 * (1.0 / 362880 + x2 * (
        -1.0 / 39916800 + x2 * (1.0 / 6227020800 + x2 * (-1.0 / 1307674368000 + x2 * (1.0 / 355687428096000))))))))
    c = 1.0 + x2 * (-0.5 + x2 * (1.0 / 24 + x2 * (-1.0 / 720 + x2 * (1.0 / 40320 + x2 * (-1.0 / 3628800 + x2 * (
        1.0 / 479001600 + x2 * (-1.0 / 87178291200 + x2 * (1.0 / 20922789888000 + x2 * (-1.0 / 6402373705728000)))))))))
    return s, c


def _me_atan2_py(y, x):
    """atan2(y, x) (rad, in (-pi, pi]) in arithmetic: the half angle atan(z), z = y / (r + |x|)
    (|z| <= 1), halved twice more by atan(z) = 2 atan(z / (1 + sqrt(1 + z^2))) to |u| <= 0.2,
    then atan's series to u^23 (truncation < 2e-17 relative). Agrees with libm to ~1e-16."""
    r = np.sqrt(x * x + y * y)
    z = y / (r + np.abs(x))
    z = z / (1.0 + np.sqrt(1.0 + z * z))
    u = z / (1.0 + np.sqrt(1.0 + z * z))
    u2 = u * u
    a = u * (1.0 - u2 * (1.0 / 3.0 - u2 * (1.0 / 5.0 - u2 * (1.0 / 7.0 - u2 * (1.0 / 9.0 - u2 * (1.0 / 11.0 - u2 * (
        1.0 / 13.0 - u2 * (1.0 / 15.0 - u2 * (1.0 / 17.0 - u2 * (1.0 / 19.0 - u2 * (1.0 / 21.0 - u2 / 23.0)))))))))))
    half = 4.0 * a  # atan(y / (r + |x|)), in [-pi/4, pi/4]
    right = 1.0 * (x >= 0.0)
    sign = 2.0 * (y >= 0.0) - 1.0
    return right * (2.0 * half) + (1.0 - right) * (sign * np.pi - 2.0 * half)


_me_sincos_small = _jit(_me_sincos_small_py, inline="always", cache=True, error_model="numpy")
_me_atan2 = _jit(_me_atan2_py, inline="always", cache=True, error_model="numpy")


def _me_pass_py(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, saz, caz, vr, sgr, t_all,
                tbf, hbf, vfull, kb, mu, r_e, omega):
    """One fixed-point pass of ``trajectory._rotating_member`` (see there) for a member labelled
    by its inertial flight-path angle (cosine ``cg``, sine ``sg``): from a launch azimuth (sine
    ``saz``, cosine ``caz``), ground-relative burnout speed ``vr`` (m/s), sine of the ground-
    relative flight-path angle ``sgr`` and time of flight ``t_all`` (s), the burnout point
    (boost with energy management: burn ``tbf f``, altitude ``hbf f^2``, f = vr / vfull clipped
    to [0, 1]; vfull 0 = always the full burn; ``kb`` 1 with a boost, 0 without), the conic from
    there to the target (unit vector t) turned by the Earth's rotation during the free flight,
    and the ground-relative state, azimuth and time it implies. Launch frame: unit vector u,
    east e, north n. NaN where no conic exists. Returns ``(saz, caz, vr, sgr, t_all)``."""
    imu, ire = 1.0 / mu, 1.0 / r_e  # reciprocals of constants (numba hoists them out of the loops)
    f = np.minimum(np.maximum(vr / vfull, 0.0), 1.0)
    tb, hb = tbf * f, hbf * f * f
    r1 = r_e + hb
    ir1 = 1.0 / r1
    cgr = np.sqrt(np.maximum(1.0 - sgr * sgr, 0.0))
    angb = kb * vr * cgr * tb * ir1 / 3.0  # boost ground range / R (trajectory._boost_range)
    dx, dy, dz = saz * ex + caz * nx, saz * ey + caz * ny, saz * ez + caz * nz
    sa, ca = _me_sincos_small(angb)
    bx, by, bz = ca * ux + sa * dx, ca * uy + sa * dy, ca * uz + sa * dz  # burnout point (unit)
    hx, hy, hz = ca * dx - sa * ux, ca * dy - sa * uy, ca * dz - sa * uz  # boost direction there
    sr, cr = _me_sincos_small(omega * (t_all - tb))
    px, py, pz = cr * tx - sr * ty, sr * tx + cr * ty, tz  # the target at impact, inertial axes
    cos_psi = bx * px + by * py + bz * pz
    qx, qy, qz = px - cos_psi * bx, py - cos_psi * by, pz - cos_psi * bz
    sin_psi = np.sqrt(qx * qx + qy * qy + qz * qz)
    den = r1 * cg * ((r1 * ire) * cg - (cg * cos_psi - sg * sin_psi))
    v_in = np.sqrt(mu * (1.0 - cos_psi) / den)  # trajectory._speed_for; NaN: no conic
    vh, vu = v_in * cg / sin_psi, v_in * sg
    wx = vh * qx + vu * bx + omega * r1 * by  # ground-relative velocity: inertial - omega z x r
    wy = vh * qy + vu * by - omega * r1 * bx
    wz = vh * qz + vu * bz
    vr_new = np.sqrt(wx * wx + wy * wy + wz * wz)
    sgr_new = np.minimum(np.maximum((wx * bx + wy * by + wz * bz) / vr_new, -1.0), 1.0)
    # turn the launch azimuth by the heading change wanted at burnout: from the boost's
    # direction h to the horizontal velocity, clockwise seen from above (cos, sin of the turn)
    cx, cy, cz = hy * wz - hz * wy, hz * wx - hx * wz, hx * wy - hy * wx
    yh, xh = -(cx * bx + cy * by + cz * bz), hx * wx + hy * wy + hz * wz
    rh = np.sqrt(xh * xh + yh * yh)
    irh = 1.0 / rh
    ch, sh = xh * irh, yh * irh
    # time along the conic (trajectory._conic_time): Kepler's equation, eccentric anomalies from
    # e cos(nu), e sin(nu) at burnout (0) and impact (i)
    hm = r1 * v_in * cg
    p = hm * hm * imu
    ec0, es0 = p * ir1 - 1.0, hm * v_in * sg * imu
    eci, esi = ec0 * cos_psi - es0 * sin_psi, es0 * cos_psi + ec0 * sin_psi
    e2 = ec0 * ec0 + es0 * es0
    sq = np.sqrt(1.0 - e2)
    # E_i - E_0 in [0, 2 pi) from one atan2: E = atan2(sqrt(1 - e^2) e sin(nu), e^2 + e cos(nu))
    x0, y0, xi, yi = e2 + ec0, sq * es0, e2 + eci, sq * esi
    d_e = _me_atan2(yi * x0 - xi * y0, xi * x0 + yi * y0)
    d_e = d_e + (2.0 * np.pi) * (d_e < 0.0)
    m = d_e - sq * esi / (1.0 + eci) + sq * es0 / (1.0 + ec0)
    a = p / (1.0 - e2)
    t_new = tb + m * np.sqrt(a * a * a * imu)
    return saz * ch + caz * sh, caz * ch - saz * sh, vr_new, sgr_new, t_new


def _me_start_py(sin_ang, cos_ang, tbf, hbf, vfull, kb, mu, r_e, iters):
    """Start of the minimum-energy solve (``trajectory.min_energy_state``'s fixed point, non-
    rotating Earth, a fixed number of passes) for total range angles with sine ``sin_ang`` and
    cosine ``cos_ang``: cosine and sine of the flight-path angle, burnout speed (m/s), burn
    time (s). The angle is half of atan2(sin psi, r1 / r2 - cos psi) (tan 2g = ...), its cosine
    and sine from that atan2's arguments."""
    r1 = r_e + hbf
    sp, cp = sin_ang, cos_ang
    v = 0.0 * sin_ang
    tb = tbf + v
    cg = sg = v
    for k in range(iters + 1):
        if k > 0:  # psi = total angle - boost angle
            f = np.minimum(np.maximum(v / vfull, 0.0), 1.0)
            tb, hb = tbf * f, hbf * f * f
            r1 = r_e + hb
            sb, cb = _me_sincos_small(kb * v * cg * tb / (3.0 * (r_e + hb)))
            sp, cp = sin_ang * cb - cos_ang * sb, cos_ang * cb + sin_ang * sb
        x2, y2 = r1 / r_e - cp, sp
        r2 = np.sqrt(x2 * x2 + y2 * y2)
        cg = np.sqrt(0.5 * (1.0 + x2 / r2))
        sg = y2 / r2 / (2.0 * cg)
        v = np.sqrt(mu * (1.0 - cp) / (r1 * cg * ((r1 / r_e) * cg - (cg * cp - sg * sp))))
    return cg, sg, v, tb


def _me_step_py(v0, vp, vm, h, smax):
    """Newton step (rad) towards the least speed from the speeds at g, g + h and g - h (the
    vertex of their parabola), clipped to +-smax; downhill by smax where the parabola does not
    open upwards."""
    curv = vp - 2.0 * v0 + vm
    return np.minimum(np.maximum(-0.5 * h * (vp - vm) / np.maximum(curv, 1e-300), -smax), smax)


_me_pass = _jit(_me_pass_py, inline="always", cache=True, error_model="numpy")
_me_start = _jit(_me_start_py, inline="always", cache=True, error_model="numpy")
_me_step = _jit(_me_step_py, inline="always", cache=True, error_model="numpy")


def _me_unit2_py(s, c):
    """(s, c) scaled to a unit 2-vector."""
    n = np.sqrt(s * s + c * c)
    return s / n, c / n


def _me_rotate_py(s, c, d):
    """(sin a, cos a) -> (sin(a + d), cos(a + d)) for a small angle d (rad)."""
    sd, cd = _me_sincos_small(d)
    return s * cd + c * sd, c * cd - s * sd


def _me_inverse4_py(m, inv):
    """``inv`` <- m^-1 by Gauss-Jordan elimination without pivoting (m = I - J with J the pass's
    Jacobian, spectral radius ~0.1: m is close to the identity); ``m`` is destroyed and ``inv``
    must hold the identity. m[i, j] are floats (numba) or arrays over targets (numpy)."""
    for k in range(4):
        piv = 1.0 * m[k, k]
        for j in range(4):
            m[k, j] = m[k, j] / piv
            inv[k, j] = inv[k, j] / piv
        for i in range(4):
            if i != k:
                f = 1.0 * m[i, k]
                for j in range(4):
                    m[i, j] = m[i, j] - f * m[k, j]
                    inv[i, j] = inv[i, j] - f * inv[k, j]


def _me_newton_py(mi, s, c, v, q, t, a, b, vn, qn, tn):
    """Newton-Picard update of a member's state (sin and cos of the azimuth, speed, sine of the
    angle, time) from its pass's output (a, b, vn, qn, tn): the residual in local coordinates
    (azimuth turn sin(az_n - az), speed, sine, time) times ``mi`` = (I - J)^-1, J the pass's
    Jacobian (plain passes contract by ~0.09 each; with mi the error left is the Jacobian's
    change since it was taken). Returns the new state and the azimuth, speed and time steps."""
    r0, r1, r2, r3 = a * c - b * s, vn - v, qn - q, tn - t
    d0 = mi[0, 0] * r0 + mi[0, 1] * r1 + mi[0, 2] * r2 + mi[0, 3] * r3
    d1 = mi[1, 0] * r0 + mi[1, 1] * r1 + mi[1, 2] * r2 + mi[1, 3] * r3
    d2 = mi[2, 0] * r0 + mi[2, 1] * r1 + mi[2, 2] * r2 + mi[2, 3] * r3
    d3 = mi[3, 0] * r0 + mi[3, 1] * r1 + mi[3, 2] * r2 + mi[3, 3] * r3
    s2, c2 = _me_rotate(s, c, d0)
    return s2, c2, v + d1, q + d2, t + d3, d0, d1, d3


def _me_family_step_py(step, h, s0, c0, v0, q0, t0, sp, cp, vp, qp, tp, sm, cm, vm, qm, tm):
    """How the states move along the family when the angle moves by ``step`` (rad): its slope
    and curvature from the three members at g, g + h and g - h (each a state: sin and cos of
    the azimuth, speed, sine of the angle, time), so the states' error after a step is third
    order. Returns the azimuth turn (rad) and the speed, sine and time changes, the same for
    the three members (the fast iteration, the careful solve and the numpy path share it)."""
    kk, k2 = step / (2.0 * h), 0.5 * step * step / (h * h)
    dpa, dam_ = sp * c0 - cp * s0, s0 * cm - c0 * sm  # sin(az_p - az_0), sin(az_0 - az_m)
    da = (dpa + dam_) * kk + (dpa - dam_) * k2
    dv = (vp - vm) * kk + (vp - 2.0 * v0 + vm) * k2
    dq = (qp - qm) * kk + (qp - 2.0 * q0 + qm) * k2
    dt = (tp - tm) * kk + (tp - 2.0 * t0 + tm) * k2
    return da, dv, dq, dt


def _me_move_py(step, h, s0, c0, v0, q0, t0, sp, cp, vp, qp, tp, sm, cm, vm, qm, tm, sg, cg):
    """The three members and the angle (sin, cos) moved by ``step`` (:func:`_me_family_step`):
    the kernels' scalar states, in the order given."""
    da, dv, dq, dt = _me_family_step(step, h, s0, c0, v0, q0, t0, sp, cp, vp, qp, tp, sm, cm, vm, qm, tm)
    s0, c0 = _me_rotate(s0, c0, da)
    sp, cp = _me_rotate(sp, cp, da)
    sm, cm = _me_rotate(sm, cm, da)
    sg, cg = _me_rotate(sg, cg, step)
    return (s0, c0, v0 + dv, q0 + dq, t0 + dt, sp, cp, vp + dv, qp + dq, tp + dt, sm, cm, vm + dv, qm + dq, tm + dt,
            sg, cg)


_me_family_step = _jit(_me_family_step_py, inline="always", cache=True, error_model="numpy")
_me_unit2 = _jit(_me_unit2_py, inline="always", cache=True, error_model="numpy")
_me_rotate = _jit(_me_rotate_py, inline="always", cache=True, error_model="numpy")
_me_inverse4 = _jit(_me_inverse4_py, inline="always", cache=True, error_model="numpy")
_me_newton = _jit(_me_newton_py, inline="always", cache=True, error_model="numpy")
_me_move = _jit(_me_move_py, inline="always", cache=True, error_model="numpy")

#: Forward-difference steps of the pass's Jacobian: azimuth (rad), speed (m/s), sine of the
#: angle, time (s).
ME_JAC_STEPS = (1e-7, 1e-4, 1e-7, 1e-4)


def _me_jacobian_py(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s, c, v, q, t, a, b, vn, qn, tn,
                    tbf, hbf, vfull, kb, mu, r_e, omega, m, inv):
    """``m`` <- I - J, J the Jacobian of :func:`_me_pass_py` in local coordinates at the state
    (s, c, v, q, t) whose pass gave (a, b, vn, qn, tn) (forward differences, steps
    ``ME_JAC_STEPS``), and ``inv`` <- (I - J)^-1."""
    for j in range(4):
        s1, c1, v1, q1, t1 = s, c, v, q, t
        if j == 0:
            s1, c1 = _me_rotate(s, c, ME_JAC_STEPS[0])
        elif j == 1:
            v1 = v + ME_JAC_STEPS[1]
        elif j == 2:
            q1 = q + ME_JAC_STEPS[2]
        else:
            t1 = t + ME_JAC_STEPS[3]
        a1, b1, v2, q2, t2 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s1, c1, v1, q1, t1,
                                      tbf, hbf, vfull, kb, mu, r_e, omega)
        e = ME_JAC_STEPS[j]
        m[0, j] = (1.0 if j == 0 else 0.0) - (a1 * b - b1 * a) / e
        m[1, j] = (1.0 if j == 1 else 0.0) - (v2 - vn) / e
        m[2, j] = (1.0 if j == 2 else 0.0) - (q2 - qn) / e
        m[3, j] = (1.0 if j == 3 else 0.0) - (t2 - tn) / e
    for i in range(4):
        for j in range(4):
            inv[i, j] = 1.0 if i == j else 0.0
    _me_inverse4(m, inv)


_me_jacobian = _jit(_me_jacobian_py, cache=True, error_model="numpy")

#: Convergence of the minimum-energy solve: every member's last Newton-Picard update moved the
#: azimuth by <= ME_TOL_AZ rad (6e-6 m on the ground per 1,000 km), the speed by
#: <= ME_TOL_V_MPS and (the centre member) the time of flight by <= ME_TOL_T_S (5e-6 m of the
#: Earth's turn), and the last Newton step on the inertial angle was <= ME_TOL_G_RAD.
ME_TOL_AZ, ME_TOL_V_MPS, ME_TOL_T_S, ME_TOL_G_RAD = 1e-12, 1e-8, 1e-8, 1e-10
#: Float64 resolution of a pass near the launch point: the pass takes the conic's speed from
#: 1 - cos(psi), whose rounding (~1e-16 absolute) is a relative error of ~eps / (1 - cos psi)
#: (4.7e-10 at 6 km): the speed, time and azimuth of a member cannot be resolved better than
#: ~v eps / (1 - cos psi), t eps / (1 - cos psi), eps / (1 - cos psi) rad (measured: updates
#: settle at 0.1-2.3 times these). The careful solve (:func:`_me_careful_py`) stops at 16 times
#: them (or the absolute ME_TOL_* where larger; beyond ~150 km those are larger).
ME_NOISE = 16.0 * 2.220446049250313e-16
#: The careful solve: Newton-Picard passes on the three members at one angle before a step.
ME_INNER_ITER = 30
#: The careful solve halves an angle step after which the members do not settle, at most down
#: to this fraction of it.
ME_MIN_SHRINK = 1.0 / 1024.0


def _me_careful_py(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, sin_ang, cos_ang, saz, caz, tbf, hbf, vfull, kb,
                   mu, r_e, omega, h, smax, max_iter, m, mi, mip, mim, ground_start):
    """The minimum-energy member of one target by the careful iteration, for the targets the fast
    one (:func:`_min_energy_aim_py`) leaves unconverged: near the launch point the family is flat
    (d2v/dg2 ~ 3e3 m/s per rad^2 at 6 km against ~1e6 at 1,000 km) and a pass resolves the speed
    only to ~v eps / (1 - cos psi) (``ME_NOISE``), so the fast iteration's angle steps, taken
    from members not yet converged, can oscillate, and its absolute tolerances cannot be met.
    Here each iteration takes the pass's Jacobian afresh at each of the three members (one
    Jacobian for all three diverges where the family is this flat: 6 km west of Tabriz), converges the
    three members (g, g +- h) at the current angle by Newton-Picard passes (at most
    ``ME_INNER_ITER``) to the absolute tolerances ``ME_TOL_*`` or the float64 resolution,
    whichever is larger, and only then steps the angle to the vertex of their parabola (a step
    after which they do not settle is halved, from the last settled angle); it stops
    when that step is below ``ME_TOL_G_RAD`` or the resolution of the vertex, h v eps' / curv
    (eps' = ``ME_NOISE`` / (1 - cos psi), curv = v(g + h) - 2 v(g) + v(g - h) > 0). Returns the
    centre member (sin and cos of the azimuth, speed, sine of the ground-relative angle, time),
    the iterations (-1: did not converge) and the slope of the sine of the ground-relative angle
    over the inertial label, (q(g + h) - q(g - h)) / 2h (:func:`_min_energy_aim_py`'s last row).
    ``m``, ``mi``, ``mip``, ``mim``: scratch (4, 4).
    ``ground_start``: start from the inertial angle of the non-rotating minimum's ground-relative
    state instead of that angle itself (the kernel tries both, in that order).
    Arithmetic only, as the rest of the section: the numpy path runs the same function on
    float64 scalars and agrees to the bit."""
    sh, ch = _me_sincos_small(h)
    rel = ME_NOISE / np.maximum(1.0 - cos_ang, 1e-14)
    tol_a = np.maximum(ME_TOL_AZ, rel)
    cg, sg, v, tb = _me_start(sin_ang, cos_ang, tbf, hbf, vfull, kb, mu, r_e, 3)
    s0, c0, v0, q0, t0 = saz, caz, v, sg, tb
    if ground_start:
        # start from the member whose ground-relative state is the non-rotating minimum (not the
        # one with that inertial angle: near the launch point the Earth's turn, omega r ~ 370 m/s
        # at Tabriz, is larger than the burnout speed and the two differ by up to ~40 deg)
        r1 = r_e + hbf
        wx = v * cg * (saz * ex + caz * nx) - omega * r1 * uy
        wy = v * cg * (saz * ey + caz * ny) + omega * r1 * ux
        wz = v * cg * (saz * ez + caz * nz)
        cg, sg = _me_unit2(np.sqrt(wx * wx + wy * wy + wz * wz), v * sg)
    for _ in range(2):
        s0, c0, v0, q0, t0 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s0, c0, v0, q0, t0,
                                      tbf, hbf, vfull, kb, mu, r_e, omega)
    sp, cp, vp, qp, tp = s0, c0, v0, q0, t0
    sm, cm, vm, qm, tm = s0, c0, v0, q0, t0
    done = -1
    have, shrink = False, 1.0
    saved = (s0, c0, v0, q0, t0, s0, c0, v0, q0, t0, s0, c0, v0, q0, t0, sg, cg, 0.0 * sg)
    for it in range(max_iter):
        a1, b1, v1, q1, t1 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s0, c0, v0, q0, t0,
                                      tbf, hbf, vfull, kb, mu, r_e, omega)
        cgp, sgp, cgm, sgm = cg * ch - sg * sh, sg * ch + cg * sh, cg * ch + sg * sh, sg * ch - cg * sh
        a2, b2, v2, q2, t2 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cgp, sgp, sp, cp, vp, qp, tp,
                                      tbf, hbf, vfull, kb, mu, r_e, omega)
        a3, b3, v3, q3, t3 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cgm, sgm, sm, cm, vm, qm, tm,
                                      tbf, hbf, vfull, kb, mu, r_e, omega)
        _me_jacobian(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s0, c0, v0, q0, t0, a1, b1, v1, q1, t1,
                     tbf, hbf, vfull, kb, mu, r_e, omega, m, mi)
        _me_jacobian(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cgp, sgp, sp, cp, vp, qp, tp, a2, b2, v2, q2, t2,
                     tbf, hbf, vfull, kb, mu, r_e, omega, m, mip)
        _me_jacobian(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cgm, sgm, sm, cm, vm, qm, tm, a3, b3, v3, q3, t3,
                     tbf, hbf, vfull, kb, mu, r_e, omega, m, mim)
        settled = False
        for k in range(ME_INNER_ITER):
            if k > 0:
                a1, b1, v1, q1, t1 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s0, c0, v0, q0,
                                              t0, tbf, hbf, vfull, kb, mu, r_e, omega)
                a2, b2, v2, q2, t2 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cgp, sgp, sp, cp, vp, qp,
                                              tp, tbf, hbf, vfull, kb, mu, r_e, omega)
                a3, b3, v3, q3, t3 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cgm, sgm, sm, cm, vm, qm,
                                              tm, tbf, hbf, vfull, kb, mu, r_e, omega)
            s0, c0, v0, q0, t0, da0, dv0, dt0 = _me_newton(mi, s0, c0, v0, q0, t0, a1, b1, v1, q1, t1)
            sp, cp, vp, qp, tp, dap, dvp, dtp = _me_newton(mip, sp, cp, vp, qp, tp, a2, b2, v2, q2, t2)
            sm, cm, vm, qm, tm, dam, dvm, dtm = _me_newton(mim, sm, cm, vm, qm, tm, a3, b3, v3, q3, t3)
            if not (np.isfinite(v0) and np.isfinite(vp) and np.isfinite(vm) and np.isfinite(t0) and np.isfinite(tp)
                    and np.isfinite(tm) and np.isfinite(s0) and np.isfinite(c0)):
                break
            tol_v, tol_t = np.maximum(ME_TOL_V_MPS, v0 * rel), np.maximum(ME_TOL_T_S, t0 * rel)
            if (np.abs(da0) <= tol_a and np.abs(dap) <= tol_a and np.abs(dam) <= tol_a and np.abs(dv0) <= tol_v
                    and np.abs(dvp) <= tol_v and np.abs(dvm) <= tol_v and np.abs(dt0) <= tol_t
                    and np.abs(dtp) <= tol_t and np.abs(dtm) <= tol_t):
                settled = True
                break
        if settled:
            curv = vp - 2.0 * v0 + vm
            step = _me_step(v0, vp, vm, h, smax)
            if curv > 0.0 and np.abs(step) <= np.maximum(ME_TOL_G_RAD, h * v0 * rel / curv):
                done = it + 1  # the centre member, converged at this angle
                break
            saved = (s0, c0, v0, q0, t0, sp, cp, vp, qp, tp, sm, cm, vm, qm, tm, sg, cg, step)
            have, shrink = True, 1.0
        else:  # the members did not settle after the step: half the step, from the last settled angle
            shrink = 0.5 * shrink
            if not have or shrink < ME_MIN_SHRINK:
                break
            s0, c0, v0, q0, t0, sp, cp, vp, qp, tp, sm, cm, vm, qm, tm, sg, cg, step = saved
            step = step * shrink
        # move the three members by the step, their states along the family (as the fast iteration)
        s0, c0, v0, q0, t0, sp, cp, vp, qp, tp, sm, cm, vm, qm, tm, sg, cg = _me_move(
            step, h, s0, c0, v0, q0, t0, sp, cp, vp, qp, tp, sm, cm, vm, qm, tm, sg, cg)
    return s0, c0, v0, q0, t0, done, (qp - qm) / (2.0 * h)


_me_careful = _jit(_me_careful_py, cache=True, nogil=True, error_model="numpy")


def _min_energy_aim_py(u1, e1, n1, ut, sin_ang, cos_ang, saz0, caz0, tbf, hbf, vfull, mu, r_e, omega, h, smax,
                       max_iter, out):
    """Minimum-energy members on the rotating Earth, target by target (see
    ``trajectory._min_energy_rotating``). Rows of ``out``: sine and cosine of the launch
    azimuth, ground-relative burnout speed (m/s), sine of the ground-relative flight-path angle,
    time of flight (s), iterations (-1: did not converge), and the slope d(sin gamma_r)/dg of
    the family at the solution (per rad of the inertial label g, from the members at g +- h):
    large where the inertial label degenerates (the caller then solves over the ground-relative
    angle instead)."""
    kb = 1.0 if (tbf > 0.0 and hbf > 0.0) else 0.0
    sh, ch = _me_sincos_small(h)
    m, mi = np.empty((4, 4)), np.empty((4, 4))
    mip, mim = np.empty((4, 4)), np.empty((4, 4))  # the careful solve's
    for i in range(sin_ang.size):
        ux, uy, uz = u1[i, 0], u1[i, 1], u1[i, 2]
        ex, ey, ez = e1[i, 0], e1[i, 1], e1[i, 2]
        nx, ny, nz = n1[i, 0], n1[i, 1], n1[i, 2]
        tx, ty, tz = ut[i, 0], ut[i, 1], ut[i, 2]
        cg, sg, v, tb = _me_start(sin_ang[i], cos_ang[i], tbf, hbf, vfull, kb, mu, r_e, 3)
        # centre member (0) and the members at +-h (p, m): (sin az, cos az, speed, sin gamma_r, time)
        s0, c0, v0, q0, t0 = saz0[i], caz0[i], v, sg, tb
        for _ in range(2):
            s0, c0, v0, q0, t0 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s0, c0, v0, q0, t0,
                                          tbf, hbf, vfull, kb, mu, r_e, omega)
        a1, b1, v1, q1, t1 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s0, c0, v0, q0, t0,
                                      tbf, hbf, vfull, kb, mu, r_e, omega)
        _me_jacobian(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s0, c0, v0, q0, t0, a1, b1, v1, q1, t1,
                     tbf, hbf, vfull, kb, mu, r_e, omega, m, mi)
        s0, c0, v0, q0, t0, _, _, _ = _me_newton(mi, s0, c0, v0, q0, t0, a1, b1, v1, q1, t1)
        sp, cp, vp, qp, tp = s0, c0, v0, q0, t0
        sm, cm, vm, qm, tm = s0, c0, v0, q0, t0
        done = -1
        for it in range(max_iter):
            a1, b1, v1, q1, t1 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s0, c0, v0, q0, t0,
                                          tbf, hbf, vfull, kb, mu, r_e, omega)
            a2, b2, v2, q2, t2 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg * ch - sg * sh,
                                          sg * ch + cg * sh, sp, cp, vp, qp, tp, tbf, hbf, vfull, kb, mu, r_e, omega)
            a3, b3, v3, q3, t3 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg * ch + sg * sh,
                                          sg * ch - cg * sh, sm, cm, vm, qm, tm, tbf, hbf, vfull, kb, mu, r_e, omega)
            s0, c0, v0, q0, t0, da0, dv0, dt0 = _me_newton(mi, s0, c0, v0, q0, t0, a1, b1, v1, q1, t1)
            sp, cp, vp, qp, tp, dap, dvp, _ = _me_newton(mi, sp, cp, vp, qp, tp, a2, b2, v2, q2, t2)
            sm, cm, vm, qm, tm, dam, dvm, _ = _me_newton(mi, sm, cm, vm, qm, tm, a3, b3, v3, q3, t3)
            step = _me_step(v0, vp, vm, h, smax)
            if not (np.isfinite(step) and np.isfinite(v0) and np.isfinite(vp) and np.isfinite(vm)
                    and np.isfinite(t0) and np.isfinite(s0) and np.isfinite(c0)):
                break
            small = (np.abs(da0) <= ME_TOL_AZ and np.abs(dap) <= ME_TOL_AZ and np.abs(dam) <= ME_TOL_AZ
                     and np.abs(dv0) <= ME_TOL_V_MPS and np.abs(dvp) <= ME_TOL_V_MPS and np.abs(dvm) <= ME_TOL_V_MPS
                     and np.abs(dt0) <= ME_TOL_T_S and vp - 2.0 * v0 + vm > 0.0)
            # move the three members by the step, their states along the family (its slope and
            # curvature from the three members: the states' error after a step is then third order)
            s0, c0, v0, q0, t0, sp, cp, vp, qp, tp, sm, cm, vm, qm, tm, sg, cg = _me_move(
                step, h, s0, c0, v0, q0, t0, sp, cp, vp, qp, tp, sm, cm, vm, qm, tm, sg, cg)
            if small and np.abs(step) <= ME_TOL_G_RAD:
                done = it + 1
                break
        if done > 0:  # the member at the final angle, from the moved state
            for _ in range(max_iter):
                a1, b1, v1, q1, t1 = _me_pass(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, cg, sg, s0, c0, v0, q0,
                                              t0, tbf, hbf, vfull, kb, mu, r_e, omega)
                s0, c0, v0, q0, t0, da0, dv0, dt0 = _me_newton(mi, s0, c0, v0, q0, t0, a1, b1, v1, q1, t1)
                if np.abs(da0) <= ME_TOL_AZ and np.abs(dv0) <= ME_TOL_V_MPS and np.abs(dt0) <= ME_TOL_T_S:
                    break
            else:
                done = -1
        slope = (qp - qm) / (2.0 * h)
        # the careful solve (float64-limited or oscillating targets, near the launch point), from
        # the non-rotating angle, then from its ground-relative state where that fails
        for ground_start in (False, True):
            if done >= 0:
                break
            s0, c0, v0, q0, t0, done, slope = _me_careful(ux, uy, uz, ex, ey, ez, nx, ny, nz, tx, ty, tz, sin_ang[i],
                                                          cos_ang[i], saz0[i], caz0[i], tbf, hbf, vfull, kb, mu, r_e,
                                                          omega, h, smax, max_iter, m, mi, mip, mim, ground_start)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3], out[i, 4], out[i, 5] = s0, c0, v0, q0, t0, done
        out[i, 6] = slope


min_energy_aim = _jit(_min_energy_aim_py, cache=True, nogil=True, error_model="numpy")


def _numpy_twins(names) -> dict:
    """The helpers ``name + "_py"`` for ``names`` as plain Python functions that call each other
    (their own globals name the numba versions when numba is installed), by ``name``: what the
    numpy paths (``trajectory._min_energy_rotating_np``, ``trajectory._positions_np``) run on
    arrays."""
    import types

    env = dict(globals())
    twins = {}
    for name in names:
        f = env[name + "_py"]
        twins[name] = types.FunctionType(f.__code__, env, f.__name__, f.__defaults__, f.__closure__)
    env.update(twins)
    return twins


#: Pure numpy versions of the minimum-energy helpers, by their kernel names (``_me_pass``, ...).
ME_NUMPY = _numpy_twins(("_me_sincos_small", "_me_atan2", "_me_pass", "_me_start", "_me_step", "_me_unit2",
                         "_me_rotate", "_me_inverse4", "_me_newton", "_me_jacobian", "_me_careful", "_me_family_step",
                         "_me_move"))
# (end of the minimum-energy aim section)


# --- Adaptive sampling bookkeeping (geocover.sampling, Architecture.opportunities) -------------
# Serial row loops over a block's (flights x samples) arrays, each the twin of a numpy
# expression kept in the caller as the reference (GEOCOVER_NO_NUMBA=1; tests/test_refine_fast.py
# compares them on random and adversarial rows). Plain IEEE float64 arithmetic in the numpy
# expression's order (numba does not contract a * b + c without fastmath), so the values are
# the same to the bit.


def _merge_positions_py(t_old, rows, t_new, ins, pos_old, pos_new, ok):
    """Where each sample goes when row ``rows[i]`` of ``t_old`` (n_old, m) and row ``i`` of
    ``t_new`` (n, k) are merged: ``pos_old[i, j]``, ``pos_new[i, j]`` in ``0 .. m + k - 1``,
    the order of ``np.argsort(concatenate(old, new), kind="stable")`` (ties: old samples first,
    each part in its own order), given where each new sample was made: ``ins[i, c]``, the
    number of old samples before new sample c (:func:`_new_times_py`).

    That is the stable argsort's order when both rows are non-decreasing and free of NaN and
    ``t_old[ins - 1] <= t_new < t_old[ins]`` (then exactly ``ins`` old samples are ``<=`` the
    new one, and those go first); the kernel checks all three, and ``ok[i]`` is False for a
    row where any fails (the caller sorts those rows itself). New sample c then lands at
    ``ins[c] + c``, old sample j at ``j`` plus the number of new samples with ``ins <= j``."""
    n, k = t_new.shape
    m = t_old.shape[1]
    for i in range(n):
        r = rows[i]
        bad = t_old[r, 0] != t_old[r, 0]
        for j in range(1, m):
            bad |= not (t_old[r, j] >= t_old[r, j - 1])  # out of order, or NaN
        for c in range(k):
            q = ins[i, c]
            x = t_new[i, c]
            if q < 0 or q > m:
                bad = True
                break
            lo = t_old[r, q - 1] if q > 0 else -math.inf
            hi = t_old[r, q] if q < m else math.inf
            bad |= not (lo <= x and x < hi)  # NaN fails too
            if c > 0:
                bad |= not (x >= t_new[i, c - 1])
        ok[i] = not bad
        if bad:
            continue
        for j in range(m):
            pos_old[i, j] = 0
        for c in range(k):
            q = ins[i, c]
            pos_new[i, c] = q + c
            if q < m:
                pos_old[i, q] += 1  # new samples inserted just before old sample q
        run = 0
        for j in range(m):
            run += pos_old[i, j]
            pos_old[i, j] = j + run


def _scatter_rows_py(a, rows, b, pos_old, pos_new, out):
    """``out[i]``: row ``rows[i]`` of ``a`` and row ``i`` of ``b`` put at ``pos_old[i]`` and
    ``pos_new[i]`` (:func:`_merge_positions_py`)."""
    n, k = b.shape
    m = a.shape[1]
    for i in range(n):
        r = rows[i]
        for j in range(m):
            out[i, pos_old[i, j]] = a[r, j]
        for j in range(k):
            out[i, pos_new[i, j]] = b[i, j]


def _new_times_py(t, flags, frac, t_new, valid, ins):
    """Per row, ``frac.size`` new times inside each flagged interval ``flags[i, j]``
    (``t[i, j] + (t[i, j + 1] - t[i, j]) * frac``), intervals in order, then padding with the
    row's last time (``valid`` False) up to the width of ``t_new``; ``ins``: the number of
    samples of ``t`` before each new one (``j + 1``; ``m`` for padding), checked by
    :func:`_merge_positions_py` against the times actually used."""
    n, m = t.shape
    width = t_new.shape[1]
    for i in range(n):
        c = 0
        for j in range(m - 1):
            if flags[i, j]:
                t0 = t[i, j]
                d = t[i, j + 1] - t0
                for s in range(frac.size):
                    t_new[i, c] = t0 + d * frac[s]
                    valid[i, c] = True
                    ins[i, c] = j + 1
                    c += 1
        last = t[i, m - 1]
        for c2 in range(c, width):
            t_new[i, c2] = last
            valid[i, c2] = False
            ins[i, c2] = m


def _window_need_py(tracking, alt, lo, hi, vals, has_vals, cand, need):
    """``cand = tracking & (alt >= lo) & (alt <= hi)`` and ``need = cand & (vals == -inf)``
    (flyouts not computed yet; every candidate when ``has_vals`` is False, ``vals`` unread);
    returns ``(cand.any(), need.any())``."""
    n, m = alt.shape
    any_cand = False
    any_need = False
    for i in range(n):
        for j in range(m):
            c = tracking[i, j] and alt[i, j] >= lo and alt[i, j] <= hi
            cand[i, j] = c
            nd = c and (not has_vals or vals[i, j] == -math.inf)
            need[i, j] = nd
            any_cand |= c
            any_need |= nd
    return any_cand, any_need


def _opportunity_py(t, tracking, cand, vals, t_launch, ok, t_fly):
    """``t_fly = where(cand, vals, nan)``; ``ok = tracking & (t >= t_launch[:, None] + t_fly)``."""
    n, m = t.shape
    for i in range(n):
        tl = t_launch[i]
        for j in range(m):
            f = vals[i, j] if cand[i, j] else math.nan
            t_fly[i, j] = f
            ok[i, j] = tracking[i, j] and t[i, j] >= tl + f


def _opportunity_any_py(t, cand, vals, t_launch, ok_any, cand_any):
    """``ok_any |= cand & (t >= t_launch[:, None] + vals)`` and ``cand_any |= cand``: the union
    over batteries of :func:`_opportunity_py`'s ``ok`` (where ``cand`` holds, ``t_fly`` is
    ``vals`` and ``tracking`` holds; elsewhere ``ok`` is False)."""
    n, m = t.shape
    for i in range(n):
        tl = t_launch[i]
        for j in range(m):
            if cand[i, j]:
                cand_any[i, j] = True
                if t[i, j] >= tl + vals[i, j]:
                    ok_any[i, j] = True


def _edge_flags_py(t, ok_any, cand_any, starts, min_step_s, flags):
    """:func:`geocover.sampling.edge_intervals` from the union of opportunities ``ok_any``, of
    candidates ``cand_any`` and ``starts`` (intervals where a run of some radar's counted
    visibility or track begins), limited to intervals longer than ``min_step_s``: ``flags[i,
    j] = (ok_any[i, j + 1] != ok_any[i, j] | starts[i, j] & j < last candidate of row i) &
    (t[i, j + 1] - t[i, j] > min_step_s)``; returns the number of flagged intervals per row."""
    n, m = t.shape
    count = np.zeros(n, np.int64)
    for i in range(n):
        last = -1
        for j in range(m - 1, -1, -1):
            if cand_any[i, j]:
                last = j
                break
        c = 0
        for j in range(m - 1):
            f = (ok_any[i, j + 1] != ok_any[i, j]) or (starts[i, j] and j < last)
            f = f and (t[i, j + 1] - t[i, j] > min_step_s)
            flags[i, j] = f
            c += f
        count[i] = c
    return count


def _place_rows_py(a, loc, idx, tail, use_tail, out):
    """``out[idx[i], :k] = a[loc[i]]`` (``k = a.shape[1]``), and the rest of that row
    ``tail[idx[i]]`` (``use_tail``) or ``a[loc[i], k - 1]``: a refinement part put into the
    block's padded arrays (:func:`geocover.sampling._assemble`)."""
    k = a.shape[1]
    width = out.shape[1]
    for i in range(idx.size):
        r = loc[i]
        o = idx[i]
        for j in range(k):
            out[o, j] = a[r, j]
        v = tail[o] if use_tail else a[r, k - 1]
        for j in range(k, width):
            out[o, j] = v


def _starts_py(counted, in_track, starts):
    """``starts |= (counted[:, 1:] & ~counted[:, :-1]) | (in_track[:, 1:] & ~in_track[:, :-1])``:
    intervals where a run of a radar's counted visibility or track begins."""
    n, m = counted.shape
    for i in range(n):
        for j in range(m - 1):
            if (counted[i, j + 1] and not counted[i, j]) or (in_track[i, j + 1] and not in_track[i, j]):
                starts[i, j] = True


def _engage_battery_py(t, tracking, alt, lo, hi, vals, has_vals, t_launch, need, ok_any, first_ok, row_any):
    """One battery's pass of :meth:`geocover.footprint.Architecture._engage`, the numpy lines
    of ``_candidates``, ``opportunities`` and ``_engage`` in one read of the samples:
    ``cand = tracking & (alt >= lo) & (alt <= hi)``, ``need = cand & (vals == -inf)`` (every
    candidate where ``has_vals`` is False, ``vals`` unread), ``t_fly = where(cand & ~need,
    vals, nan)``, ``ok = tracking & (t >= t_launch[:, None] + t_fly)``; ``ok_any |= ok``;
    ``first_ok`` = :func:`geocover.tracking.first_true_t` of ``ok``; ``row_any[:, 0..2]`` =
    ``tracking``, ``cand`` and ``isfinite(t_fly)`` ``.any(axis=1)``. Returns ``(cand.any(),
    need.any())``; where ``need`` holds, the caller computes the flyouts and runs the pass
    again (``ok`` is False at a needed sample meanwhile, as its NaN ``t_fly`` fails the
    comparison). ``t_fly`` is not written (:func:`_any_reach_window_py` reads ``vals``): the
    pass is bound by memory traffic, and each sample reads ``alt`` only where tracked,
    ``vals`` and ``t`` only where a candidate (captured benchmark calls: 2.8 -> 2.1 ns per
    sample against writing ``t_fly``)."""
    n, m = t.shape
    any_cand = False
    any_need = False
    for i in range(n):
        tl = t_launch[i]
        fo = math.nan
        got = False  # a first opportunity found in this row
        r_trk = False
        r_cand = False
        r_fin = False
        for j in range(m):
            nd = False
            if tracking[i, j]:
                r_trk = True
                a = alt[i, j]
                if a >= lo and a <= hi:
                    r_cand = True
                    if has_vals and vals[i, j] != -math.inf:
                        f = vals[i, j]
                        if f == f:  # not NaN (flyouts are never -inf here): isfinite unless +inf
                            r_fin |= f != math.inf
                            if t[i, j] >= tl + f:
                                ok_any[i, j] = True
                                if not got:
                                    fo = t[i, j]
                                    got = True
                    else:
                        nd = True
                        any_need = True
            need[i, j] = nd
        first_ok[i] = fo
        row_any[i, 0] = r_trk
        row_any[i, 1] = r_cand
        row_any[i, 2] = r_fin
        any_cand |= r_cand
    return any_cand, any_need


def _any_reach_window_py(t, tracking, alt, lo, hi, vals, t_launch, out):
    """``out |= (tracking & (t >= t_launch[:, None] + t_fly)).any(axis=1)`` with ``t_fly =
    where(tracking & (alt >= lo) & (alt <= hi), vals, nan)`` (the flyouts
    :func:`_engage_battery_py` leaves in ``vals``, every candidate's computed): an interceptor
    launched at ``t_launch`` reaches a tracked sample in time (shoot-look-shoot). A NaN
    ``t_launch`` (no first opportunity) fails every comparison: that row is left as it is."""
    n, m = t.shape
    for i in range(n):
        tl = t_launch[i]
        if out[i] or tl != tl:
            continue
        for j in range(m):
            if tracking[i, j] and alt[i, j] >= lo and alt[i, j] <= hi and t[i, j] >= tl + vals[i, j]:
                out[i] = True
                break


def _first_last_py(mask, any_row, first, last):
    """Per row of ``mask``: ``any_row = mask.any(axis=1)``, ``first = np.argmax(mask, axis=1)``
    and ``last = m - 1 - np.argmax(mask[:, ::-1], axis=1)`` (0 and ``m - 1`` in a row without
    a True, as argmax gives)."""
    n, m = mask.shape
    for i in range(n):
        a = -1
        b = m - 1
        for j in range(m):
            if mask[i, j]:
                a = j
                break
        if a >= 0:
            for j in range(m - 1, -1, -1):
                if mask[i, j]:
                    b = j
                    break
        any_row[i] = a >= 0
        first[i] = a if a >= 0 else 0
        last[i] = b


def _flight_major_py(a, out):
    """``out[...] = a``: a (flights, samples) array stored sample-major (Fortran order, as
    :meth:`geocover.trajectory.Trajectory.sample` returns it) copied into the flight-major
    ``out``, in tiles of 32 flights (numpy's ``ascontiguousarray`` walks ``out`` row by row and
    reads ``a`` a sample apart each step: 0.95 ms for a 4096 x 80 float64 block against
    0.22 ms in tiles, best of 20, this VM). The same elements: a copy."""
    n, m = a.shape
    for i0 in range(0, n, 32):
        i1 = min(i0 + 32, n)
        for j in range(m):
            for i in range(i0, i1):
                out[i, j] = a[i, j]


flight_major = _jit(_flight_major_py, cache=True, nogil=True)
merge_positions = _jit(_merge_positions_py, cache=True, nogil=True)
scatter_rows = _jit(_scatter_rows_py, cache=True, nogil=True)
new_times = _jit(_new_times_py, cache=True, nogil=True)
window_need = _jit(_window_need_py, cache=True, nogil=True)
opportunity = _jit(_opportunity_py, cache=True, nogil=True)
opportunity_any = _jit(_opportunity_any_py, cache=True, nogil=True)
edge_flags = _jit(_edge_flags_py, cache=True, nogil=True)
place_rows = _jit(_place_rows_py, cache=True, nogil=True)
starts = _jit(_starts_py, cache=True, nogil=True)
engage_battery = _jit(_engage_battery_py, cache=True, nogil=True)
any_reach_window = _jit(_any_reach_window_py, cache=True, nogil=True)
first_last = _jit(_first_last_py, cache=True, nogil=True)
# --- end of the adaptive sampling bookkeeping section ---


# ------------------------------------------------------------------ Trajectory.positions
# Positions at given times (trajectory.Trajectory.positions): the boost profile before burnout,
# Kepler's equation solved by Newton's method after it, one point at a time. Each point is
# iterated until its own step is below 1e-13 rad, then left alone, so a point's position does
# not depend on the other points computed with it. The helpers below are arithmetic, np.floor,
# np.sqrt, np.minimum/np.maximum and comparisons only (sines, cosines and arctangents written
# out: libm's and numpy's SIMD ones need not agree in the last bit), so that the same code runs on
# float scalars (the numba kernel, point by point: its loops over the points LLVM vectorises,
# lane by lane the same operations) and on arrays (the numpy path, POS_NUMPY) and
# gives the same float64 results to the bit (IEEE +, -, *, /, sqrt; no contraction without
# fastmath).
_POS_2_OVER_PI = 0.6366197723675814
_POS_PIO2_HI = 1.57079632673412561417e+00  # pi/2 to 33 bits: k * _POS_PIO2_HI is exact for |k| < 2^20
_POS_PIO2_LO = 6.07710050650619224932e-11  # pi/2 - _POS_PIO2_HI (fdlibm's pio2_1 and pio2_1t)
_POS_DEG = 57.29577951308232  # 180 / pi
_POS_RAD = 0.017453292519943295  # pi / 180
_POS_TWO_PI = 6.283185307179586


def _pos_sincos_py(x):
    """sin and cos of x (rad, |x| < 1e6): x reduced by k pi/2 (Cody-Waite, two-part pi/2) to
    |r| <= pi/4, the Taylor series of sin r and cos r to r^17 / r^18 (truncation < 1e-19), then
    the quadrant k mod 4 picked by multiplying by 0, 1 or -1 (exact). ~1 ulp of libm."""
    k = np.floor(x * _POS_2_OVER_PI + 0.5)
    r = (x - k * _POS_PIO2_HI) - k * _POS_PIO2_LO
    r2 = r * r
    s = r + r * r2 * (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 + r2 * (1.0 / 362880 + r2 * (
        -1.0 / 39916800 + r2 * (1.0 / 6227020800 + r2 * (-1.0 / 1307674368000 + r2 * (1.0 / 355687428096000))))))))
    c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24 + r2 * (-1.0 / 720 + r2 * (1.0 / 40320 + r2 * (-1.0 / 3628800 + r2 * (
        1.0 / 479001600 + r2 * (-1.0 / 87178291200 + r2 * (1.0 / 20922789888000 + r2 * (-1.0 / 6402373705728000)))))))))
    q = k - 4.0 * np.floor(k * 0.25)
    a = 1.0 * (q == 0.0) - 1.0 * (q == 2.0)
    b = 1.0 * (q == 1.0) - 1.0 * (q == 3.0)
    return a * s + b * c, a * c - b * s


_POS_ATAN_C = 0.2
_POS_ATAN_OF_C = 0.19739555984988078  # atan(0.2), correctly rounded
_POS_PIO2 = 1.5707963267948966
_POS_PI = 3.141592653589793


def _pos_atan2_py(y, x):
    """atan2(y, x) (rad, in [-pi, pi]) in arithmetic: z = min(|x|, |y|) / max(|x|, |y|) in
    [0, 1]; atan(z) = 2 atan(w), w = z / (1 + sqrt(1 + z^2)) in [0, tan(pi/8)]; for w > 0.1,
    atan(w) = atan(0.2) + atan((w - 0.2) / (1 + 0.2 w)); what is left, |v| <= 0.2015, by atan's
    series to v^23 (truncation < 3e-19 relative), evaluated by Estrin's scheme (a shorter chain
    of dependent operations than Horner's); then the octant: pi/2 - a where |y| > |x|,
    pi - a where x < 0, the sign of y. Selections multiply by 0 or 1 (exact). Within 4e-16 rad
    of libm's (tests/test_positions_fast.py); NaN at (0, 0)."""
    ax = np.abs(x)
    ay = np.abs(y)
    swap = 1.0 * (ay > ax)
    z = np.minimum(ax, ay) / np.maximum(ax, ay)
    w = z / (1.0 + np.sqrt(1.0 + z * z))
    far = 1.0 * (w > 0.1)
    c = far * _POS_ATAN_C
    v = (w - c) / (1.0 + w * c)
    s = v * v
    s2 = s * s
    s4 = s2 * s2
    p = ((1.0 - s * (1.0 / 3.0)) + s2 * (1.0 / 5.0 - s * (1.0 / 7.0))) + s4 * (
        (1.0 / 9.0 - s * (1.0 / 11.0)) + s2 * (1.0 / 13.0 - s * (1.0 / 15.0))) + (s4 * s4) * (
        (1.0 / 17.0 - s * (1.0 / 19.0)) + s2 * (1.0 / 21.0 - s * (1.0 / 23.0)))
    a = 2.0 * (far * _POS_ATAN_OF_C + v * p)  # atan(z), in [0, pi/4]
    a = swap * (_POS_PIO2 - a) + (1.0 - swap) * a
    left = 1.0 * (x < 0.0)
    a = left * (_POS_PI - a) + (1.0 - left) * a
    return a - 2.0 * a * (y < 0.0)


def _pos_kepler_step_py(big_e, ecc, mean):
    """Newton's step for Kepler's equation E - e sin E = M at E."""
    s, c = _pos_sincos(big_e)
    return (big_e - ecc * s - mean) / (1.0 - ecc * c)


def _pos_kepler_start_py(e0, ei, m0, ecc):
    """What the starting guess of Newton's method for Kepler's equation needs on a flight from
    eccentric anomaly E0 (mean anomaly M0) to Ei: the mean-anomaly span h = Mi - M0 and the
    slopes dE/dM = 1 / (1 - e cos E) at both ends, times h."""
    _, c0 = _pos_sincos(e0)
    si, ci = _pos_sincos(ei)
    h = (ei - ecc * si) - m0
    return h, h / (1.0 - ecc * c0), h / (1.0 - ecc * ci)


def _pos_hermite_py(mean, m0, e0, ei, h, d0, d1):
    """The starting guess: E(M) on the flight as the cubic Hermite interpolant between (M0, E0)
    and (Mi, Ei) with the slopes d0 / h, d1 / h there (2.8 Newton steps on average on the
    benchmark's 4.3 million points instead of 4.8 from E = M)."""
    x = (mean - m0) / h
    x2 = x * x
    x3 = x2 * x
    return (2.0 * x3 - 3.0 * x2 + 1.0) * e0 + (x3 - 2.0 * x2 + x) * d0 + (3.0 * x2 - 2.0 * x3) * ei + (x3 - x2) * d1


def _pos_free_py(big_e, dt, ecc, a, b, p0, p1, p2, q0, q1, q2, omega, r_e):
    """Latitude (deg), longitude (deg) and height (m above the sphere of radius r_e) at eccentric
    anomaly E, dt seconds after burnout: the perifocal position a (cos E - e), b sin E on the
    axes P, Q (inertial, aligned with the Earth-fixed axes at burnout), turned back by the
    Earth's rotation omega dt."""
    s, c = _pos_sincos(big_e)
    px = a * (c - ecc)
    py = b * s
    x = px * p0 + py * q0
    y = px * p1 + py * q1
    z = px * p2 + py * q2
    sw, cw = _pos_sincos(-omega * dt)
    xr = cw * x - sw * y
    yr = sw * x + cw * y
    rxy2 = xr * xr + yr * yr
    rad = np.sqrt(rxy2 + z * z)
    return (_pos_atan2(z, np.sqrt(rxy2)) * _POS_DEG, _pos_atan2(yr, xr) * _POS_DEG,
            np.maximum(rad - r_e, 0.0))


def _pos_launch_py(lat0_deg, az_deg, v, fpa_deg, tb, h_b):
    """sin and cos of the launch latitude and of the launch azimuth (degrees in), and the climb
    slope q = v sin(gamma) t_b / h_b (``Trajectory._climb_q``; the caller takes 2 where it is
    not finite and > 0 or h_b is not > 0)."""
    sl0, cl0 = _pos_sincos(lat0_deg * _POS_RAD)
    saz, caz = _pos_sincos(az_deg * _POS_RAD)
    sg, _ = _pos_sincos(fpa_deg * _POS_RAD)
    return sl0, cl0, saz, caz, v * sg * tb / h_b


def _pos_boost_py(tau, sl0, cl0, saz, caz, lon0_deg, boost_range, h_b, q, r_e):
    """Boost latitude (deg), longitude (deg) and the cubic climb profile's height (m) at
    tau = t / t_b: ground range s_b tau^3 along the launch great circle (see
    ``trajectory._climb``; the caller takes h_b tau^q instead where q > 3)."""
    tau3 = tau * tau * tau
    sa, ca = _pos_sincos(boost_range * tau3 / r_e)
    slat = np.minimum(np.maximum(sl0 * ca + cl0 * sa * caz, -1.0), 1.0)
    lat = _pos_atan2(slat, np.sqrt((1.0 - slat) * (1.0 + slat)))
    lo = lon0_deg * _POS_RAD + _pos_atan2(saz * sa * cl0, ca - sl0 * slat)
    lo = lo - _POS_TWO_PI * (lo > np.pi) + _POS_TWO_PI * (lo < -np.pi)
    return lat * _POS_DEG, lo * _POS_DEG, h_b * ((3.0 - q) * tau * tau + (q - 2.0) * tau3)


_pos_sincos = _jit(_pos_sincos_py, inline="always", cache=True, error_model="numpy")
_pos_atan2 = _jit(_pos_atan2_py, inline="always", cache=True, error_model="numpy")
_pos_kepler_step = _jit(_pos_kepler_step_py, inline="always", cache=True, error_model="numpy")
_pos_kepler_start = _jit(_pos_kepler_start_py, inline="always", cache=True, error_model="numpy")
_pos_hermite = _jit(_pos_hermite_py, inline="always", cache=True, error_model="numpy")
_pos_free = _jit(_pos_free_py, inline="always", cache=True, error_model="numpy")
_pos_launch = _jit(_pos_launch_py, inline="always", cache=True, error_model="numpy")
_pos_boost = _jit(_pos_boost_py, inline="always", cache=True, error_model="numpy")

#: Newton's steps at most, and the step (rad) below which a point has converged.
POS_KEPLER_ITERS = 30
POS_KEPLER_TOL = 1e-13


def _positions_py(t, rows, tb, ecc, a, m0, mean_motion, e0, ei, pvec, qvec, lat0_deg, lon0_deg, az_deg,
                  boost_range, h_b, v_b, fpa_deg, omega, r_e, q, lat, lon, h):
    """Positions at times t (n, m) (s from launch, already clipped to [0, flight time]) of n
    trajectories into lat, lon (deg) and h (m), and each flight's climb slope into q (2 where no
    point is boosting): the boost profile where t < t_b (the cubic climb; the caller replaces
    the heights by h_b tau^q where q > 3: a power, numpy's), else the Kepler conic (elements of
    ``trajectory._elements``), Kepler's equation solved point by point from the cubic Hermite
    guess of ``_pos_hermite`` (E = M where the flight's mean-anomaly span is not > 0).
    Row k of t, lat, lon, h and q is flight ``rows[k]`` of the per-flight inputs (a flight may
    be asked for on several rows: the refinement's new points, without gathering the flights'
    fields first)."""
    n, m = t.shape
    # per-flight invariants, computed the first time a flight is asked for (the refinement asks
    # for one point per row, many rows per flight) and kept: the same expressions on the same
    # inputs, so the same float64 values as computing them for every row
    n_all = tb.size
    have = np.zeros(n_all, np.int8)  # bit 1: Kepler start and semi-minor axis; bit 2: launch trigonometry
    semi = np.empty(n_all)
    kep = np.empty((n_all, 3))  # span, d0, d1
    lau = np.empty((n_all, 5))  # sl0, cl0, saz, caz, climb slope q
    # The free-flight points are gathered into the rows of one scratch array, field by field
    # (point p in column p), so that the loops over them below run on contiguous rows and LLVM
    # vectorises them: the same IEEE operations on each point, lane by lane, hence the same bits.
    # Rows: 0 E, 1 dt, 2 e, 3 a, 4 b, 5-7 P, 8-10 Q, 11 E0, 12-14 lat, lon, h; 15-18 the Newton
    # iteration's points not yet converged (E, e, M, last step), 19 their point (as a float).
    ws = np.empty((20, n * m))
    kk, jj = np.empty(n * m, np.intp), np.empty(n * m, np.intp)
    nf = 0
    # the boosting points likewise (rows: 0 tau, 1-4 sin, cos of the launch latitude and azimuth,
    # 5 launch longitude, 6 boost range, 7 burnout altitude, 8 climb slope, 9-11 lat, lon, h)
    wb = np.empty((12, n * m))
    kb, jb = np.empty(n * m, np.intp), np.empty(n * m, np.intp)
    nb = 0
    for k in range(n):
        i = rows[k]
        e = ecc[i]
        q[k] = 2.0
        for j in range(m):
            tt = t[k, j]
            if tt < tb[i]:
                if not have[i] & 2:
                    lau[i, 0], lau[i, 1], lau[i, 2], lau[i, 3], qi = _pos_launch(
                        lat0_deg[i], az_deg[i], v_b[i], fpa_deg[i], tb[i], h_b[i])
                    lau[i, 4] = qi if h_b[i] > 0.0 and qi > 0.0 and qi < np.inf else 2.0
                    have[i] |= 2
                q[k] = lau[i, 4]
                wb[0, nb] = tt / tb[i]
                wb[1, nb], wb[2, nb], wb[3, nb], wb[4, nb] = lau[i, 0], lau[i, 1], lau[i, 2], lau[i, 3]
                wb[5, nb], wb[6, nb], wb[7, nb], wb[8, nb] = lon0_deg[i], boost_range[i], h_b[i], lau[i, 4]
                kb[nb], jb[nb] = k, j
                nb += 1
                continue
            if not have[i] & 1:
                semi[i] = a[i] * np.sqrt(1.0 - e * e)
                kep[i, 0], kep[i, 1], kep[i, 2] = _pos_kepler_start(e0[i], ei[i], m0[i], e)
                have[i] |= 1
            span = kep[i, 0]
            dt = np.maximum(tt - tb[i], 0.0)
            mean = m0[i] + mean_motion[i] * dt
            big_e = _pos_hermite(mean, m0[i], e0[i], ei[i], span, kep[i, 1], kep[i, 2]) if span > 0.0 else mean
            ws[1, nf], ws[2, nf], ws[3, nf], ws[4, nf] = dt, e, a[i], semi[i]
            ws[5, nf], ws[6, nf], ws[7, nf] = pvec[i, 0], pvec[i, 1], pvec[i, 2]
            ws[8, nf], ws[9, nf], ws[10, nf] = qvec[i, 0], qvec[i, 1], qvec[i, 2]
            ws[11, nf] = e0[i]
            ws[15, nf], ws[16, nf], ws[17, nf], ws[19, nf] = big_e, e, mean, nf
            kk[nf], jj[nf] = k, j
            nf += 1
    # Newton's method on Kepler's equation, each point until its own step is below the tolerance
    # (then it is left alone: its E goes to row 0): sweeps over the points not yet converged,
    # kept at the front of rows 15-19
    na = nf
    for it in range(POS_KEPLER_ITERS):
        if na == 0:
            break
        for p in range(na):
            step = _pos_kepler_step(ws[15, p], ws[16, p], ws[17, p])
            ws[15, p] = ws[15, p] - step
            ws[18, p] = step
        last = it == POS_KEPLER_ITERS - 1
        w = 0
        for p in range(na):
            if not last and np.abs(ws[18, p]) >= POS_KEPLER_TOL:
                ws[15, w], ws[16, w], ws[17, w], ws[19, w] = ws[15, p], ws[16, p], ws[17, p], ws[19, p]
                w += 1
            else:
                ws[0, int(ws[19, p])] = ws[15, p]
        na = w
    for p in range(nf):
        big_e = np.maximum(ws[0, p], ws[11, p]) if ws[1, p] > 0.0 else ws[11, p]
        ws[12, p], ws[13, p], ws[14, p] = _pos_free(big_e, ws[1, p], ws[2, p], ws[3, p], ws[4, p], ws[5, p],
                                                    ws[6, p], ws[7, p], ws[8, p], ws[9, p], ws[10, p], omega, r_e)
    for p in range(nf):
        lat[kk[p], jj[p]], lon[kk[p], jj[p]], h[kk[p], jj[p]] = ws[12, p], ws[13, p], ws[14, p]
    for p in range(nb):
        wb[9, p], wb[10, p], wb[11, p] = _pos_boost(wb[0, p], wb[1, p], wb[2, p], wb[3, p], wb[4, p], wb[5, p],
                                                    wb[6, p], wb[7, p], wb[8, p], r_e)
    for p in range(nb):
        lat[kb[p], jb[p]], lon[kb[p], jb[p]], h[kb[p], jb[p]] = wb[9, p], wb[10, p], wb[11, p]


positions = _jit(_positions_py, cache=True, nogil=True, error_model="numpy")


#: Pure numpy versions of the positions helpers, by their kernel names (``_pos_sincos``, ...).
POS_NUMPY = _numpy_twins(("_pos_sincos", "_pos_atan2", "_pos_kepler_step", "_pos_kepler_start", "_pos_hermite",
                          "_pos_free", "_pos_launch", "_pos_boost"))
# (end of the Trajectory.positions section)
