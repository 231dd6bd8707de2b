"""geocover: radar coverage and missile-defence footprint analysis on the WGS84 ellipsoid.

The public API is re-exported here by name. Units: metres, seconds and degrees at every
boundary; heights say whether they are above mean sea level (``_msl_m``), above ground
(``_agl_m``) or above the WGS84 ellipsoid (ellipsoidal, the default inside geometry).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .catalog import (
    Catalog,
    Interceptor,
    LaunchSite,
    Missile,
    Radar,
    Site,
    Target,
    default_catalog,
    load_catalog,
)
from .earth import (
    WGS84,
    Ellipsoid,
    aer2geodetic,
    ecef2enu,
    ecef2geodetic,
    enu2aer,
    enu2ecef,
    geodetic2aer,
    geodetic2ecef,
)
from .errors import (
    CatalogError,
    DataFileError,
    GeocoverError,
    GeoidError,
    InputError,
    UnknownIdError,
)
from .geodesy import (
    destination,
    geodesic_area_m2,
    geodesic_circle,
    geodesic_sector,
    inverse,
    points_along,
)
from .geoid import ellipsoidal_to_msl, geoid_undulation, load_geoid, msl_to_ellipsoidal
from .refraction import (
    effective_earth_radius,
    height_to_ground_range,
    height_to_range,
    horizon_ground_range,
    horizon_range,
    lowest_visible_altitude,
    range_to_height,
)
from .units import parse_quantity

__all__ = [
    "WGS84",
    "Catalog",
    "CatalogError",
    "DataFileError",
    "Ellipsoid",
    "GeocoverError",
    "GeoidError",
    "InputError",
    "Interceptor",
    "LaunchSite",
    "Missile",
    "Radar",
    "Site",
    "Target",
    "UnknownIdError",
    "__version__",
    "aer2geodetic",
    "default_catalog",
    "destination",
    "ecef2enu",
    "ecef2geodetic",
    "effective_earth_radius",
    "ellipsoidal_to_msl",
    "enu2aer",
    "enu2ecef",
    "geodesic_area_m2",
    "geodesic_circle",
    "geodesic_sector",
    "geodetic2aer",
    "geodetic2ecef",
    "geoid_undulation",
    "height_to_ground_range",
    "height_to_range",
    "horizon_ground_range",
    "horizon_range",
    "inverse",
    "load_catalog",
    "load_geoid",
    "lowest_visible_altitude",
    "msl_to_ellipsoidal",
    "parse_quantity",
    "points_along",
    "range_to_height",
]
