"""An independent RFC 7946 checker for the GeoJSON files geocover writes (used by the
autouse fixture in conftest.py on every test's tmp_path, and by test_rfc7946.py).

It reads the file with the json module and shapely only (not geocover's writer) and asks
GDAL's own ``ogrinfo`` to open it. Rules (RFC 7946, https://www.rfc-editor.org/rfc/rfc7946):

* 3.1.1 positions: longitude in [-180, 180], latitude in [-90, 90]; a third element is
  allowed only with a ``z`` property (or collection member) that says what it is.
* 3.1.6 polygons: exterior rings counter-clockwise, holes clockwise, rings closed, and the
  polygon valid (OGC simple features, shapely ``is_valid``).
* 3.1.9 antimeridian: no geometry spans it; a longitude step of more than 180 degrees
  between consecutive line vertices means the line was not cut.
* 4: no ``crs`` member.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import shapely
from shapely.geometry import LinearRing, shape


def _positions(coords):
    if coords and isinstance(coords[0], (int, float)):
        yield coords
    else:
        for c in coords:
            yield from _positions(c)


def _geometries(geom):
    if geom is None:
        return
    if geom["type"] == "GeometryCollection":
        for g in geom["geometries"]:
            yield from _geometries(g)
    else:
        yield geom


def check_geometry(geom: dict, where: str, z_named: bool) -> list[str]:
    """Problems of one GeoJSON geometry dict (empty list when it follows RFC 7946)."""
    bad: list[str] = []
    for g in _geometries(geom):
        t = g["type"]
        for pos in _positions(g["coordinates"]):
            lon, lat = pos[0], pos[1]
            if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                bad.append(f"{where}: {t} position {pos[:2]} outside lon [-180, 180] / lat [-90, 90]")
                break
            if len(pos) > 2 and not z_named:
                bad.append(f"{where}: {t} has a third coordinate but no 'z' property says what it is")
                break
        if t in ("LineString", "MultiLineString"):
            lines = [g["coordinates"]] if t == "LineString" else g["coordinates"]
            for line in lines:
                if any(abs(b[0] - a[0]) > 180.0 for a, b in itertools.pairwise(line)):
                    bad.append(f"{where}: {t} jumps more than 180 deg of longitude (not cut at the antimeridian)")
        if t in ("Polygon", "MultiPolygon"):
            polys = [g["coordinates"]] if t == "Polygon" else g["coordinates"]
            for rings in polys:
                for i, ring in enumerate(rings):
                    if ring[0] != ring[-1] or len(ring) < 4:
                        bad.append(f"{where}: ring {i} is not closed or has fewer than 4 positions")
                        continue
                    ccw = LinearRing([p[:2] for p in ring]).is_ccw
                    if i == 0 and not ccw:
                        bad.append(f"{where}: exterior ring is clockwise (RFC 7946 3.1.6 wants counter-clockwise)")
                    if i > 0 and ccw:
                        bad.append(f"{where}: hole {i} is counter-clockwise (RFC 7946 3.1.6 wants clockwise)")
            geo = shape(g)
            if not geo.is_valid:
                bad.append(f"{where}: invalid {t}: {shapely.is_valid_reason(geo)}")
    return bad


def check_feature_collection(doc: dict, where: str = "") -> list[str]:
    """Problems of a parsed GeoJSON document."""
    bad: list[str] = []
    if "crs" in doc:
        bad.append(f"{where}: has a 'crs' member (RFC 7946 section 4)")
    if doc.get("type") == "FeatureCollection":
        feats = doc.get("features", [])
    elif doc.get("type") == "Feature":
        feats = [doc]
    else:
        feats = [{"type": "Feature", "properties": {}, "geometry": doc}]
    for i, f in enumerate(feats):
        z_named = bool((f.get("properties") or {}).get("z") or doc.get("z"))
        bad += check_geometry(f.get("geometry"), f"{where} feature {i}", z_named)
    return bad


def ogrinfo_problem(path: Path) -> str | None:
    """None when GDAL's ogrinfo opens the file read-only and lists its layer summary."""
    exe = shutil.which("ogrinfo")
    if exe is None:  # locally a missing GDAL skips this check; in CI it is a failure (ci_strict.py)
        ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
        return f"{path}: ogrinfo (GDAL) not found on PATH" if ci else None
    r = subprocess.run([exe, "-ro", "-al", "-so", str(path)], capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or "Feature Count" not in r.stdout:
        return f"{path}: ogrinfo cannot open it: {r.stderr.strip() or r.stdout.strip()}"
    return None


def check_file(path: str | Path) -> list[str]:
    """Every RFC 7946 problem of a GeoJSON file, including whether GDAL opens it."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return [f"{path}: not JSON: {exc}"]
    bad = check_feature_collection(doc, str(path))
    problem = ogrinfo_problem(path)
    if problem:
        bad.append(problem)
    return bad
