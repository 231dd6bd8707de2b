"""Rebuild data/countries/world_countries_ne{50m,110m}.geojson from the world-atlas TopoJSON.

Source: Natural Earth 4.1 admin-0 countries as shipped in the npm package ``world-atlas``
2.0.2 (``countries-50m.json``, ``countries-110m.json``). Those outlines are *spherical*
(made for d3-geo): a ring that crosses the antimeridian steps from +180 to -180 and back
(Russia's Chukotka, Fiji), and Antarctica is one ring round the South Pole. GeoJSON
(RFC 7946 section 3.1.9) wants them cut at the antimeridian instead, which this script does:

1. TopoJSON -> GeoJSON with ``topojson-client`` (node), run by this script;
2. every polygon unwrapped (each step between vertices taken the short way round):
   a ring that comes back to its starting longitude is cut at +-180 deg into pieces on each
   side; a ring that goes once round the globe (Antarctica) is closed along the pole
   (lat -90 or +90) and then cut the same way;
3. simplified to 0.02 deg (Douglas-Peucker, topology preserved), made valid, and written
   with 4 decimals through geocover's own RFC 7946 writer
   (:func:`geocover.export.write_geojson`: valid, counter-clockwise exteriors), fields
   ``iso_n3`` (ISO 3166-1 numeric, null where Natural Earth has none) and ``name``.

Nothing at run time or in the tests needs the TopoJSON or node; this script documents how
the bundled files are made. Usage (from the repository root)::

    mkdir -p /tmp/wa && (cd /tmp/wa && npm install world-atlas@2.0.2 topojson-client)
    python scripts/build_countries.py /tmp/wa/node_modules
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.affinity import translate
from shapely.geometry import Polygon, box

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geocover.export import write_geojson  # noqa: E402

SIMPLIFY_DEG = 0.02
PRECISION = 4
#: Longest edge (deg) kept: only Antarctica's edge along the South Pole is longer.
POLE_EDGE_STEP_DEG = 90.0

# topojson-client's feature(): the TopoJSON object 'countries' as a GeoJSON FeatureCollection
_TO_GEOJSON_JS = """
const tc = require('topojson-client'); const fs = require('fs');
const t = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
process.stdout.write(JSON.stringify(tc.feature(t, t.objects.countries)));
"""


def topojson_to_geojson(topojson_path: Path, node_modules: Path) -> dict:
    """The 'countries' object of a world-atlas TopoJSON file as GeoJSON (topojson-client)."""
    out = subprocess.run(["node", "-e", _TO_GEOJSON_JS, str(topojson_path)], check=True,
                         capture_output=True, text=True, env={**os.environ, "NODE_PATH": str(node_modules)})
    return json.loads(out.stdout)


#: Latitudes this close to a pole are on it: world-atlas 50m draws a tiny ring at -89.999
#: round the South Pole (an artefact of projecting Natural Earth's pole edge), which snapped
#: onto -90 encloses nothing and drops out.
POLE_SNAP_DEG = 1e-3


def _unwrap_ring(coords) -> np.ndarray:
    """Ring longitudes made continuous (each step taken the short way round, < 180 deg) and
    latitudes within :data:`POLE_SNAP_DEG` of a pole put on it."""
    c = np.asarray(coords, float)[:, :2].copy()
    c[:, 0] = np.unwrap(c[:, 0], period=360.0)
    c[:, 1] = np.where(np.abs(c[:, 1]) >= 90.0 - POLE_SNAP_DEG, np.sign(c[:, 1]) * 90.0, c[:, 1])
    return c


def _in_range(poly):
    """A planar polygon (longitudes possibly beyond +-180) cut at the antimeridian into pieces
    moved back into [-180, 180]."""
    poly = shapely.make_valid(poly)
    west, _, east, _ = poly.bounds
    pieces = []
    for k in range(int(np.floor((west + 180.0) / 360.0)), int(np.floor((east + 180.0) / 360.0)) + 1):
        part = translate(poly.intersection(box(-180.0 + 360.0 * k, -90.0, 180.0 + 360.0 * k, 90.0)),
                         xoff=-360.0 * k)
        pieces += [p for g in getattr(part, "geoms", [part]) for p in getattr(g, "geoms", [g])
                   if p.geom_type == "Polygon" and not p.is_empty and p.area > 0]
    return shapely.union_all(pieces) if pieces else Polygon()


def ring_region(coords):
    """What a spherical ring encloses, as planar polygons in [-180, 180].

    A ring whose unwrapped longitude comes back to where it started encloses the small side:
    it is cut at the antimeridian into pieces on each side. A ring whose unwrapped longitude
    goes once round the globe (Antarctica) encloses a pole, the one on the side of its mean
    latitude: it is closed along that pole's edge (lat -90 or +90) and then cut the same way.
    """
    c = _unwrap_ring(coords)
    if abs(c[-1, 0] - c[0, 0]) > 180.0:  # goes round a pole
        pole = -90.0 if c[:, 1].mean() < 0 else 90.0
        c = np.vstack([c, np.array([[c[-1, 0], pole], [c[0, 0], pole]]), c[:1]])
    if len(np.unique(c, axis=0)) < 3:
        return Polygon()
    return _in_range(Polygon(c))


def cut_polygon(rings: list):
    """One spherical polygon (exterior, holes; lon/lat deg) as a planar geometry in [-180, 180].

    The region is the symmetric difference of what each ring encloses (a point is inside when
    an odd number of rings enclose it), which holds for a polygon whose holes lie inside its
    exterior, and for world-atlas 50m Antarctica, written as a ring round the pole with the
    coast as a hole.
    """
    region = Polygon()
    for r in rings:
        region = shapely.symmetric_difference(region, ring_region(r))
    return shapely.make_valid(region)


def planar_geometry(geometry: dict | None):
    """A GeoJSON (spherical) Polygon/MultiPolygon as a planar, cut, simplified shapely geometry."""
    if not geometry:
        return None
    if geometry["type"] == "Polygon":
        polys = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polys = geometry["coordinates"]
    else:
        raise ValueError(f"unexpected geometry type {geometry['type']}")
    geom = shapely.union_all([cut_polygon(rings) for rings in polys])
    geom = shapely.make_valid(shapely.simplify(geom, SIMPLIFY_DEG, preserve_topology=True))
    # vertices every 90 deg along a pole edge (all one point on the sphere), so that no ring
    # steps more than 180 deg of longitude from one vertex to the next
    return shapely.segmentize(geom, POLE_EDGE_STEP_DEG)


def build(topojson_path: Path, node_modules: Path, out_path: Path) -> int:
    fc = topojson_to_geojson(topojson_path, node_modules)
    features = []
    for f in fc["features"]:
        geom = planar_geometry(f.get("geometry"))
        props = {"iso_n3": f.get("id"), "name": (f.get("properties") or {}).get("name")}
        features.append((geom, props))
    write_geojson(out_path, features, name=out_path.stem, precision=PRECISION)
    return len(features)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("node_modules", type=Path,
                    help="node_modules folder holding world-atlas@2.0.2 and topojson-client")
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "countries")
    args = ap.parse_args(argv)
    for scale in ("110m", "50m"):
        src = args.node_modules / "world-atlas" / f"countries-{scale}.json"
        dst = args.out / f"world_countries_ne{scale}.geojson"
        n = build(src, args.node_modules, dst)
        print(f"{dst}: {n} features")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
