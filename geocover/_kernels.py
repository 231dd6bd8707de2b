"""Optional numba kernels (``pip install numba`` or the ``fast`` extra); every caller keeps a
numpy path and uses it when numba is missing or ``GEOCOVER_NO_NUMBA=1`` is set. The tests
run both and compare them.
"""

from __future__ import annotations

import math
import os

try:  # pragma: no cover - depends on the environment
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    numba = None
    HAVE_NUMBA = False

__all__ = ["HAVE_NUMBA", "boost_profile", "free_flight_by_anomaly", "use_numba"]


def use_numba() -> bool:
    """Whether the numba kernels are used now (installed and not disabled)."""
    return HAVE_NUMBA and os.environ.get("GEOCOVER_NO_NUMBA", "") not in ("1", "true", "yes")


def _free_flight_py(e0, ei, m0, mean_motion, ecc, a, pvec, qvec, tb, omega, t, lat, lon, h):
    """Free flight sampled uniformly in eccentric anomaly, one trajectory per column of the
    sample-major outputs t, lat (deg), lon (deg), h (m above the 6,371 km sphere)."""
    m, n = t.shape
    r_earth = 6_371_000.0
    # rows (samples) outside, trajectories inside: every write is contiguous
    for i in numba.prange(m) if numba is not None else range(m):
        frac = i / (m - 1)
        for j in range(n):
            e = ecc[j]
            big_e = e0[j] + frac * (ei[j] - e0[j])
            se, ce = math.sin(big_e), math.cos(big_e)
            dt = (big_e - e * se - m0[j]) / mean_motion[j]
            px, py = a[j] * (ce - e), a[j] * math.sqrt(1.0 - e * e) * se
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
    for i in numba.prange(m) if numba is not None else range(m):
        tau = frac[i]
        for j in range(n):
            ang = boost_range[j] * tau**3 / r_earth
            sa, ca = math.sin(ang), math.cos(ang)
            sl0, cl0 = math.sin(lat0[j]), math.cos(lat0[j])
            slat = min(1.0, max(-1.0, sl0 * ca + cl0 * sa * math.cos(az[j])))
            lo = lon0[j] + math.atan2(math.sin(az[j]) * sa * cl0, ca - sl0 * slat)
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


if HAVE_NUMBA:  # pragma: no branch
    free_flight_by_anomaly = numba.njit(parallel=True, cache=True)(_free_flight_py)
    boost_profile = numba.njit(parallel=True, cache=True)(_boost_py)
else:  # pragma: no cover
    free_flight_by_anomaly = boost_profile = None
