"""A short tour of geocover's Python API on the bundled catalog.

    python examples/tour.py
"""

from __future__ import annotations

import geocover as gc

cat = gc.default_catalog()
brdy = cat.radar("brdy-emr")

# Radar horizon at the real antenna height (718.8 m hill + 10 m mast, MSL), 4/3 Earth.
print(f"{brdy.name}: horizon {gc.horizon_range(brdy.antenna_height_msl_m) / 1e3:.1f} km")

# Lowest altitude the radar can see over Tehran (smooth Earth, no terrain).
tehran = cat.launch_site("tehran")
dist_m, az_deg, _ = gc.inverse(brdy.lat_deg, brdy.lon_deg, tehran.lat_deg, tehran.lon_deg)
h_min = gc.lowest_visible_altitude(dist_m, brdy.antenna_height_msl_m)
print(f"Tehran: {dist_m / 1e3:,.0f} km at azimuth {az_deg:.1f} deg; "
      f"lowest visible altitude {h_min / 1e3:,.0f} km")

# The same point seen from the radar in 3-D: ellipsoidal heights through the EGM96 geoid.
# The geometric elevation comes out below 0: over 3,400 km a 4/3-Earth ray bends far more
# than a real one, whose bending happens in the lowest ~10 km of the atmosphere (see the
# README's note on refraction for high targets).
h_radar = gc.msl_to_ellipsoidal(brdy.lat_deg, brdy.lon_deg, brdy.antenna_height_msl_m)
h_target = gc.msl_to_ellipsoidal(tehran.lat_deg, tehran.lon_deg, h_min)
az, el, rng = gc.geodetic2aer(tehran.lat_deg, tehran.lon_deg, h_target,
                              brdy.lat_deg, brdy.lon_deg, h_radar)
print(f"  seen from Brdy: azimuth {az:.1f} deg, elevation {el:.2f} deg (geometric), "
      f"slant range {rng / 1e3:,.0f} km")

# A 2,000 km geodesic circle around the radar, as a shapely polygon.
ring = gc.geodesic_circle(brdy.lat_deg, brdy.lon_deg, 2_000_000)
print(f"2,000 km circle: {gc.geodesic_area_m2(ring) / 1e6:,.0f} km^2")
