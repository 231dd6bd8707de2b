"""A catalog record written by hand for the hostile-input tests: one valid radar as a GeoJSON
FeatureCollection (RFC 7946), shared by tests/test_hostile_output5.py and
tests/test_hostile_trust5.py. The values are typed here, not taken from geocover's catalog."""

from __future__ import annotations


def radar_fc(**props) -> dict:
    """A FeatureCollection of one valid radar record: a 500 km all-round X-band radar at 10 N 20 E.

    ``props`` replace or add properties (``id`` and ``name`` keep their place first; a new key
    goes last, as a file another tool wrote would carry it)."""
    props = {"id": "radar", "name": "Radar", "kind": "radar", "lat_deg": 10.0, "lon_deg": 20.0,
             "ground_height_msl_m": 100.0, "band": "X", "boresight_azimuth_deg": 0.0, "half_width_deg": 180.0,
             "min_elevation_deg": 0.0, "max_elevation_deg": 90.0, "reference_range_m": 500000.0,
             "reference_rcs_m2": 1.0, "antenna_height_agl_m": 10.0, "can_search": True, "source": "s",
             "confidence": "low", **props}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [20.0, 10.0]}}]}
