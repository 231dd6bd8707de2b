"""The bundled country outlines (data/countries/*.geojson, built by scripts/build_countries.py):
cut at the antimeridian (RFC 7946 section 3.1.9), valid, complete (Fiji, Antarctica), and
where they should be (Chukotka in Russia, northern Norway not)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod
from rfc7946_check import check_file
from shapely.geometry import Point, shape

DATA = Path(__file__).resolve().parents[1] / "data" / "countries"
FILES = ["world_countries_ne110m.geojson", "world_countries_ne50m.geojson"]

# Natural Earth 4.1 admin-0 feature counts in world-atlas 2.0.2 countries-110m.json / -50m.json
# (topojson-client feature(): 177 and 241 features); data/README.md states the same.
N_FEATURES = {"world_countries_ne110m.geojson": 177, "world_countries_ne50m.geojson": 241}


@cache
def _doc(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _country(name: str, country: str):
    feats = [f for f in _doc(name)["features"] if f["properties"]["name"] == country]
    assert len(feats) == 1, (name, country)
    return shape(feats[0]["geometry"]) if feats[0]["geometry"] else None


def _rings(geom):
    for p in getattr(geom, "geoms", [geom]):
        yield p.exterior
        yield from p.interiors


def _area_km2(geom) -> float:
    # geodesic area on the WGS84 ellipsoid (Karney's algorithm in PROJ), independent of geocover
    area_m2, _ = Geod(ellps="WGS84").geometry_area_perimeter(geom)
    return abs(area_m2) / 1e6


@pytest.mark.parametrize("name", FILES)
def test_fields_and_rfc7946(name):
    doc = _doc(name)
    assert len(doc["features"]) == N_FEATURES[name]
    for f in doc["features"]:
        assert set(f["properties"]) == {"iso_n3", "name"}
        assert f["geometry"] is not None and f["geometry"]["type"] in ("Polygon", "MultiPolygon"), \
            f["properties"]
    # the independent checker: lon in [-180, 180], CCW exteriors / CW holes, valid, ogrinfo opens it
    assert check_file(DATA / name) == []


@pytest.mark.parametrize("name", FILES)
def test_every_ring_is_cut_at_the_antimeridian(name):
    """No ring steps more than 180 deg of longitude between consecutive vertices (a step that
    long joins two sides of the globe the wrong way round, as Russia's rings did), every
    longitude is in [-180, 180] and every geometry is valid (shapely/GEOS, OGC rules)."""
    for f in _doc(name)["features"]:
        g = shape(f["geometry"])
        assert g.is_valid, (f["properties"]["name"], shapely.is_valid_reason(g))
        for ring in _rings(g):
            c = np.asarray(ring.coords)
            assert np.all(np.abs(c[:, 0]) <= 180.0), f["properties"]["name"]
            assert np.abs(np.diff(c[:, 0])).max() <= 180.0, f["properties"]["name"]


@pytest.mark.parametrize("name", FILES)
def test_fiji_straddles_the_antimeridian(name):
    """Fiji (Vanua Levu and Taveuni reach east of 180 deg) has land on both sides, and its area
    is its published land area, 18,274 km^2 (CIA World Factbook, "Fiji: Geography - area,
    total"), within 10 %: the simplification (0.02 deg, about 2 km) of islands a few tens of
    km across moves the area by a few per cent (measured: +4.8 % at 1:110m, -0.9 % at 1:50m);
    a ring joined across the globe would be thousands of times larger."""
    fiji = _country(name, "Fiji")
    assert fiji is not None and not fiji.is_empty
    w, s, e, n = fiji.bounds
    assert w == -180.0 and e == 180.0 and -22.0 < s < n < -12.0
    assert fiji.intersects(shapely.box(179.0, -20.0, 180.0, -15.0))
    assert fiji.intersects(shapely.box(-180.0, -20.0, -179.0, -15.0))
    assert _area_km2(fiji) == pytest.approx(18_274, rel=0.10)


@pytest.mark.parametrize("name", FILES)
def test_antarctica_is_closed_along_the_pole(name):
    """Antarctica's ring round the South Pole is closed along lat -90: every point of a
    circle at 88 deg S (inland of every coast) and the pole edge itself are Antarctica,
    and a point at sea off the coast (60 deg S, 0 deg E; the coast there is at ~70 deg S) is not."""
    ant = _country(name, "Antarctica")
    assert ant is not None and not ant.is_empty
    assert ant.bounds[1] == -90.0
    lon = np.arange(-179.5, 180.0, 1.0)
    assert shapely.contains(ant, shapely.points(lon, np.full(lon.size, -88.0))).all()
    assert shapely.intersects(ant, shapely.points(lon, np.full(lon.size, -90.0))).all()
    assert not ant.contains(Point(0.0, -60.0))


@pytest.mark.parametrize("name", FILES)
def test_russia_area_is_its_published_area(name):
    """Russia's total area (land and inland water) is 17,098,246 km^2 (UN Statistics Division,
    Demographic Yearbook, Table 3 "Population by sex, rate of population increase, surface
    area and density"; the CIA World Factbook gives 17,098,242 km^2). Natural Earth's admin-0
    outline includes the inland water. Within 2 %: generalisation to 1:50m/1:110m and the
    0.02 deg simplification move a coast this long by a few tenths of a per cent (measured:
    -0.5 % at 1:110m, -0.7 % at 1:50m); Chukotka's ring joined across the globe, as the files
    were before, added a 65-70 deg N band round the world (+13 %)."""
    russia = _country(name, "Russia")
    assert _area_km2(russia) == pytest.approx(17_098_246, rel=0.02)


@pytest.mark.parametrize("name", FILES)
def test_places_are_in_the_right_country(name):
    russia, norway = _country(name, "Russia"), _country(name, "Norway")
    assert russia.contains(Point(175.0, 65.5))  # Chukotka, west of the antimeridian
    assert russia.contains(Point(-175.0, 66.0))  # Chukotka, east of it
    assert not russia.contains(Point(18.9, 69.6))  # Tromso, northern Norway
    assert not russia.contains(Point(-40.0, 72.0))  # Greenland ice sheet
    assert not russia.contains(Point(-150.0, 66.5))  # Alaska
    # Bardufoss, inland Troms (69.06 N, 18.54 E): Norway at both scales
    assert norway.contains(Point(18.54, 69.06))
    if name == "world_countries_ne110m.geojson":
        # Tromso itself is on an island (Tromsoya) that the 1:50m Natural Earth outline draws
        # as sea between islands (the source polygon misses it by 0.06 deg); 1:110m has it.
        assert norway.contains(Point(18.9, 69.6))
    greenland = _country(name, "Greenland")
    assert greenland.contains(Point(-40.0, 72.0))
