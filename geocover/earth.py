"""The WGS84 ellipsoid, geodetic <-> ECEF, and azimuth/elevation/slant range.

All functions take degrees and metres, broadcast over numpy arrays and return Python
floats for scalar input (the pymap3d calling convention: ``geodetic2aer(lat, lon, h,
lat0, lon0, h0, ell)``). Heights here are **ellipsoidal** (above WGS84); convert MSL
heights with :func:`geocover.geoid.msl_to_ellipsoidal` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .errors import InputError

__all__ = [
    "MEAN_EARTH_RADIUS_M",
    "WGS84",
    "Ellipsoid",
    "aer2enu",
    "aer2geodetic",
    "ecef2enu",
    "ecef2geodetic",
    "enu2aer",
    "enu2ecef",
    "gaussian_radius_m",
    "geodetic2aer",
    "geodetic2ecef",
]


@dataclass(frozen=True)
class Ellipsoid:
    """An oblate ellipsoid of revolution, immutable and validated on construction.

    Parameters
    ----------
    name : str
        Label used in messages and metadata.
    semimajor_axis_m : float
        Equatorial radius *a* in metres.
    flattening : float
        *f* = (a - b) / a, 0 <= f < 1 (0 gives a sphere).
    """

    name: str
    semimajor_axis_m: float
    flattening: float
    semiminor_axis_m: float = field(init=False)
    eccentricity_squared: float = field(init=False)

    def __post_init__(self) -> None:
        a, f = float(self.semimajor_axis_m), float(self.flattening)
        if not np.isfinite(a) or a <= 0:
            raise InputError(f"ellipsoid {self.name!r}: semimajor_axis_m must be > 0, got {a}")
        if not 0.0 <= f < 1.0:
            raise InputError(f"ellipsoid {self.name!r}: flattening must be in [0, 1), got {f}")
        object.__setattr__(self, "semimajor_axis_m", a)
        object.__setattr__(self, "flattening", f)
        object.__setattr__(self, "semiminor_axis_m", a * (1.0 - f))
        object.__setattr__(self, "eccentricity_squared", f * (2.0 - f))


WGS84 = Ellipsoid("WGS84", 6378137.0, 1.0 / 298.257223563)
#: The one radius of geocover's spherical Earth (trajectories, refraction, slant ranges on the
#: sphere): 6,371 km, the mean radius rounded (IUGG R1 = 6,371,008.8 m; MATLAB's
#: ``physconst('EarthRadius')``).
MEAN_EARTH_RADIUS_M = 6_371_000.0


def gaussian_radius_m(lat_deg: float, ell: Ellipsoid = WGS84) -> float:
    """Gaussian mean radius of curvature sqrt(M N) at a latitude: the radius of the sphere
    that osculates the ellipsoid there (used for slant ranges around one site)."""
    e2 = ell.eccentricity_squared
    s2 = np.sin(np.radians(lat_deg)) ** 2
    return float(ell.semimajor_axis_m * np.sqrt(1.0 - e2) / (1.0 - e2 * s2))


def scalar_or_array(*arrays: np.ndarray):
    """Each of ``arrays`` as a Python float where it is 0-d, as it is otherwise (scalar in,
    scalar out); one value for one argument, a tuple for several."""
    res = tuple(float(a) if np.ndim(a) == 0 else a for a in arrays)
    return res if len(res) > 1 else res[0]


def as_float64(x: ArrayLike) -> np.ndarray:
    """``x`` as a float64 array (no copy when it already is one)."""
    return np.asarray(x, dtype=np.float64)


def geodetic2ecef(lat_deg: ArrayLike, lon_deg: ArrayLike, h_m: ArrayLike = 0.0,
                  ell: Ellipsoid = WGS84):
    """Geodetic latitude, longitude (deg) and ellipsoidal height (m) to ECEF x, y, z (m)."""
    lat = np.radians(as_float64(lat_deg))
    lon = np.radians(as_float64(lon_deg))
    h = as_float64(h_m)
    slat, clat = np.sin(lat), np.cos(lat)
    n = ell.semimajor_axis_m / np.sqrt(1.0 - ell.eccentricity_squared * slat * slat)
    rc = (n + h) * clat
    x = rc * np.cos(lon)
    y = rc * np.sin(lon)
    z = (n * (1.0 - ell.eccentricity_squared) + h) * slat
    return scalar_or_array(x, y, z)


def ecef2geodetic(x_m: ArrayLike, y_m: ArrayLike, z_m: ArrayLike, ell: Ellipsoid = WGS84):
    """ECEF x, y, z (m) to geodetic latitude, longitude (deg) and ellipsoidal height (m).

    Closed form of Vermeille (2004, J. Geodesy 78:94-95), exact to well below a
    millimetre for every point more than ~45 km from the Earth's centre, poles included.
    """
    x, y, z = as_float64(x_m), as_float64(y_m), as_float64(z_m)
    a = ell.semimajor_axis_m
    e2 = ell.eccentricity_squared
    e4 = e2 * e2
    w2 = x * x + y * y
    p = w2 / (a * a)
    q = (1.0 - e2) / (a * a) * z * z
    r = (p + q - e4) / 6.0
    s = e4 * p * q / (4.0 * r**3)
    t = np.cbrt(1.0 + s + np.sqrt(s * (2.0 + s)))
    u = r * (1.0 + t + 1.0 / t)
    v = np.sqrt(u * u + e4 * q)
    w = e2 * (u + v - q) / (2.0 * v)
    k = np.sqrt(u + v + w * w) - w
    wxy = np.sqrt(w2)
    d = k * wxy / (k + e2)
    dz = np.hypot(d, z)
    lat = np.degrees(2.0 * np.arctan2(z, d + dz))
    lon = np.degrees(np.arctan2(y, x))
    h = (k + e2 - 1.0) / k * dz
    return scalar_or_array(lat, lon, h)


def _rotation(lat0_deg: ArrayLike, lon0_deg: ArrayLike):
    lat0 = np.radians(as_float64(lat0_deg))
    lon0 = np.radians(as_float64(lon0_deg))
    return np.sin(lat0), np.cos(lat0), np.sin(lon0), np.cos(lon0)


def ecef2enu(x_m, y_m, z_m, lat0_deg, lon0_deg, h0_m, ell: Ellipsoid = WGS84):
    """ECEF point(s) to east, north, up (m) in the local frame of an observer."""
    x0, y0, z0 = geodetic2ecef(lat0_deg, lon0_deg, h0_m, ell)
    dx, dy, dz = as_float64(x_m) - x0, as_float64(y_m) - y0, as_float64(z_m) - z0
    slat, clat, slon, clon = _rotation(lat0_deg, lon0_deg)
    t = clon * dx + slon * dy
    east = -slon * dx + clon * dy
    north = -slat * t + clat * dz
    up = clat * t + slat * dz
    return scalar_or_array(east, north, up)


def enu2ecef(e_m, n_m, u_m, lat0_deg, lon0_deg, h0_m, ell: Ellipsoid = WGS84):
    """Local east, north, up (m) of an observer to ECEF x, y, z (m)."""
    x0, y0, z0 = geodetic2ecef(lat0_deg, lon0_deg, h0_m, ell)
    e, n, u = as_float64(e_m), as_float64(n_m), as_float64(u_m)
    slat, clat, slon, clon = _rotation(lat0_deg, lon0_deg)
    t = clat * u - slat * n
    x = x0 + clon * t - slon * e
    y = y0 + slon * t + clon * e
    z = z0 + slat * u + clat * n
    return scalar_or_array(x, y, z)


def enu2aer(e_m, n_m, u_m):
    """East, north, up (m) to azimuth (deg, 0-360 clockwise from north), elevation (deg)
    and slant range (m)."""
    e, n, u = as_float64(e_m), as_float64(n_m), as_float64(u_m)
    horiz = np.hypot(e, n)
    az = np.degrees(np.arctan2(e, n)) % 360.0
    el = np.degrees(np.arctan2(u, horiz))
    rng = np.hypot(horiz, u)
    return scalar_or_array(az, el, rng)


def aer2enu(az_deg, el_deg, srange_m):
    """Azimuth, elevation (deg) and slant range (m) to east, north, up (m)."""
    az, el, r = np.radians(as_float64(az_deg)), np.radians(as_float64(el_deg)), as_float64(srange_m)
    if np.any(r < 0):
        raise InputError("slant range must be >= 0 m")
    horiz = r * np.cos(el)
    return scalar_or_array(horiz * np.sin(az), horiz * np.cos(az), r * np.sin(el))


def geodetic2aer(lat_deg, lon_deg, h_m, lat0_deg, lon0_deg, h0_m, ell: Ellipsoid = WGS84):
    """Azimuth (deg), elevation (deg) and slant range (m) of target(s) seen from an observer.

    Geometric (unrefracted) line of sight; heights are ellipsoidal.
    """
    x, y, z = geodetic2ecef(lat_deg, lon_deg, h_m, ell)
    return enu2aer(*ecef2enu(x, y, z, lat0_deg, lon0_deg, h0_m, ell))


def aer2geodetic(az_deg, el_deg, srange_m, lat0_deg, lon0_deg, h0_m, ell: Ellipsoid = WGS84):
    """Geodetic position (deg, deg, ellipsoidal m) of the point at azimuth/elevation/range
    from an observer."""
    e, n, u = aer2enu(az_deg, el_deg, srange_m)
    return ecef2geodetic(*enu2ecef(e, n, u, lat0_deg, lon0_deg, h0_m, ell), ell)
