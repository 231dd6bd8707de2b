"""geocover: radar coverage and missile-defence footprint analysis on the WGS84 ellipsoid.

The public API is re-exported here by name. Units: metres, seconds and degrees at every
boundary; heights say whether they are above mean sea level (``_msl_m``), above ground
(``_agl_m``) or above the WGS84 ellipsoid (ellipsoidal, the default inside geometry).
"""

from __future__ import annotations

import os as _os

from . import _interrupt

if _interrupt.started_as_command():  # the command's Ctrl-C handler, before anything heavy loads
    _interrupt.install()
elif _interrupt.worker_of_command():  # its Dask workers leave Ctrl-C to the command
    _interrupt.ignore_in_worker()

# Idle OpenMP workers of the numba kernels (threading layer "omp") sleep instead of spinning
# between parallel regions: a 1-degree third-site-2007 footprint took 5.2 instead of 6.3
# CPU-s (user+sys, median of 3, same files written). Read by the OpenMP runtime when it
# loads (numba's first parallel call), so set before that; a value the user set is kept.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

import importlib
import importlib.util
from typing import TYPE_CHECKING

#: Public name -> the submodule that defines it. They are imported on first use (PEP 562), so
#: that ``import geocover`` loads no numpy/numba/GDAL: the command line installs its Ctrl-C
#: handler before those heavy imports (geocover.cli.main), and a library user pays only for
#: what they use.
_EXPORTS: dict[str, str] = {
    "Catalog": "catalog",
    "Interceptor": "catalog",
    "LaunchSite": "catalog",
    "Missile": "catalog",
    "Radar": "catalog",
    "Site": "catalog",
    "Target": "catalog",
    "default_catalog": "catalog",
    "load_catalog": "catalog",
    "WGS84": "earth",
    "Ellipsoid": "earth",
    "aer2geodetic": "earth",
    "ecef2enu": "earth",
    "ecef2geodetic": "earth",
    "enu2aer": "earth",
    "enu2ecef": "earth",
    "geodetic2aer": "earth",
    "geodetic2ecef": "earth",
    "CatalogError": "errors",
    "DataFileError": "errors",
    "GeocoverError": "errors",
    "GeoidError": "errors",
    "InputError": "errors",
    "UnknownIdError": "errors",
    "destination": "geodesy",
    "geodesic_area_m2": "geodesy",
    "geodesic_circle": "geodesy",
    "geodesic_sector": "geodesy",
    "inverse": "geodesy",
    "points_along": "geodesy",
    "ellipsoidal_to_msl": "geoid",
    "geoid_undulation": "geoid",
    "load_geoid": "geoid",
    "msl_to_ellipsoidal": "geoid",
    "effective_earth_radius": "refraction",
    "height_to_ground_range": "refraction",
    "height_to_range": "refraction",
    "horizon_ground_range": "refraction",
    "horizon_range": "refraction",
    "lowest_visible_altitude": "refraction",
    "range_to_height": "refraction",
    "parse_quantity": "units",
}

if TYPE_CHECKING:  # what type checkers and IDEs see: the eager imports
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


def __getattr__(name: str):
    """Import a public name (or a submodule, ``geocover.refraction``) on first use."""
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

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
