"""Catalog loading and validation: bundled data, and bad files with clear messages."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from geocover import CatalogError, Radar, UnknownIdError, load_catalog
from geocover.catalog import CONFIDENCE_LEVELS, parse_latlon


def test_bundled_catalog_loads_with_required_ids():
    cat = load_catalog()
    for rid in ("brdy-emr", "gabala", "kurecik", "deveselu", "redzikowo", "armavir",
                "aegis-east-med", "aegis-black-sea", "aegis-north-sea"):
        assert isinstance(cat.radar(rid), Radar)
    for lid in ("tabriz", "tehran", "kermanshah", "khorramabad", "isfahan", "shahrud",
                "semnan-pad1", "semnan-pad2", "kozelsk", "teykovo", "tatishchevo", "vypolzovo"):
        cat.launch_site(lid)
    for tid in ("london", "paris", "warsaw", "moscow", "washington", "new-york", "incirlik"):
        cat.target(tid)
    assert {"shahab-3", "sejjil-2", "irbm", "icbm", "topol-m"} <= set(cat.missiles)
    for s in cat.sites():
        assert s.source and s.confidence in CONFIDENCE_LEVELS
    assert len(cat.interceptors if hasattr(cat, "interceptors") else cat.sites("interceptor")) >= 4


def test_bundled_values_from_sources():
    cat = load_catalog()
    brdy = cat.radar("brdy-emr")
    # SOURCES.md: hill 718.8 m MSL, ~10 m antenna, X band, ~2,000 km, needs cueing.
    assert brdy.antenna_height_msl_m == pytest.approx(728.8)
    assert brdy.band == "X" and not brdy.can_search and brdy.reference_range_m == 2e6
    gab = cat.radar("gabala")
    # SOURCES.md: boresight 162 deg, sector ~107-217 deg.
    assert gab.boresight_azimuth_deg - gab.half_width_deg == pytest.approx(107)
    assert gab.boresight_azimuth_deg + gab.half_width_deg == pytest.approx(217)
    assert cat.radar("deveselu").full_circle
    # Radar equation: 100x smaller RCS -> 0.316x range (SOURCES.md).
    assert brdy.range_for_rcs(brdy.reference_rcs_m2 / 100) == pytest.approx(0.3162 * 2e6, rel=1e-3)
    # Sites as in SOURCES.md (WGS84 decimal degrees).
    assert (cat.site("deveselu").lat_deg, cat.site("deveselu").lon_deg) == (44.077222, 24.416389)
    assert (cat.site("kurecik").ground_height_msl_m) == 2085.0


def test_geojson_roundtrip_is_loadable(tmp_path):
    cat = load_catalog()
    p = tmp_path / "radars.geojson"
    p.write_text(json.dumps(cat.to_geojson("radar")))
    again = load_catalog([p], defaults=False)
    assert again.radar("gabala") == cat.radar("gabala")


def _radar_fc(**overrides):
    props = dict(load_catalog().radar("kurecik").properties())
    lon, lat = overrides.pop("_lonlat", (props["lon_deg"], props["lat_deg"]))
    props.update(overrides)
    props = {k: v for k, v in props.items() if v is not None}
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}]}


@pytest.mark.parametrize("overrides,field,fragment", [
    ({"reference_range_m": -5.0}, "reference_range_m", "must be > 0"),
    ({"reference_range_m": "1500km"}, "reference_range_m", "must be a number"),
    ({"confidence": "certain"}, "confidence", "must be one of"),
    ({"half_width_deg": None}, "half_width_deg", "is missing"),
    ({"can_search": "yes"}, "can_search", "true or false"),
    ({"max_elevation_deg": -1.0}, "max_elevation_deg", "must exceed"),
    ({"reference_rcs_m2": None, "refrence_rcs_m2": 1.0}, "refrence_rcs_m2", "did you mean 'reference_rcs_m2'"),
    ({"lat_deg": 12.0}, "lat_deg", "disagrees with the geometry"),
    ({"kind": "sonar"}, "kind", "must be one of"),
    ({"id": "Kürecik Radar"}, "id", "lower-case"),
])
def test_bad_record_names_file_record_and_field(tmp_path, overrides, field, fragment):
    p = tmp_path / "my_radars.geojson"
    p.write_text(json.dumps(_radar_fc(**overrides)))
    with pytest.raises(CatalogError) as info:
        load_catalog([p])
    msg = str(info.value)
    assert str(p) in msg and repr(field) in msg and fragment in msg
    assert "kurecik" in msg or field == "id"


def test_bad_geometry_and_json(tmp_path):
    fc = _radar_fc(_lonlat=(200.0, 38.0))
    p = tmp_path / "g.geojson"
    p.write_text(json.dumps(fc))
    with pytest.raises(CatalogError, match=r"record 'kurecik'.*field 'geometry'"):
        load_catalog([p])
    p.write_text('{"type": "FeatureCollection", "features": [,]}')
    with pytest.raises(CatalogError, match=r"g.geojson: not valid JSON.*line 1"):
        load_catalog([p])
    p.write_text('{"type": "Feature"}')
    with pytest.raises(CatalogError, match="FeatureCollection"):
        load_catalog([p])
    with pytest.raises(CatalogError, match="not found"):
        load_catalog([tmp_path / "missing.geojson"])


def test_duplicate_ids_and_kind_clash(tmp_path):
    fc = _radar_fc()
    fc["features"].append(fc["features"][0])
    p = tmp_path / "dup.geojson"
    p.write_text(json.dumps(fc))
    with pytest.raises(CatalogError, match="used twice"):
        load_catalog([p])
    clash = _radar_fc(id="warsaw")
    p.write_text(json.dumps(clash))
    with pytest.raises(CatalogError, match="already a target"):
        load_catalog([p])


def test_user_record_overrides_bundled(tmp_path):
    p = tmp_path / "mine.geojson"
    p.write_text(json.dumps(_radar_fc(reference_range_m=3_000_000.0)))
    assert load_catalog([p]).radar("kurecik").reference_range_m == 3e6


def test_several_problems_in_one_message(tmp_path):
    fc = _radar_fc(reference_range_m=-1.0, band=3)
    p = tmp_path / "two.geojson"
    p.write_text(json.dumps(fc))
    with pytest.raises(CatalogError, match=r"2 problems(.|\n)*'band'(.|\n)*'reference_range_m'"):
        load_catalog([p])


def test_bad_missile_toml(tmp_path):
    p = tmp_path / "m.toml"
    p.write_text('[missile.x1]\nname = "X"\nstages = 1\nrange_m = -3\n')
    with pytest.raises(CatalogError) as info:
        load_catalog([p])
    msg = str(info.value)
    assert "m.toml" in msg and "record 'x1'" in msg and "'range_m'" in msg and "'burn_time_s' is missing" in msg
    p.write_text("[missile.x1\n")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog([p])


def test_unknown_id_suggests():
    cat = load_catalog()
    with pytest.raises(UnknownIdError, match="did you mean 'gabala'"):
        cat.radar("gabla")
    with pytest.raises(UnknownIdError, match="'sejjil-2'"):
        cat.missile("sejil-2")


def test_parse_latlon():
    assert parse_latlon("38.08, 46.292") == (38.08, 46.292)
    assert parse_latlon("10,190") == (10.0, -170.0)
    assert parse_latlon("tabriz") is None
    with pytest.raises(ValueError):
        parse_latlon("95,0")


def test_bundled_files_are_rfc7946():
    for name in ("radars", "interceptors", "launch_sites", "targets"):
        doc = json.loads((ROOT / "data" / "catalog" / f"{name}.geojson").read_text())
        assert doc["type"] == "FeatureCollection"
        for f in doc["features"]:
            lon, lat = f["geometry"]["coordinates"]
            assert -180 <= lon <= 180 and -90 <= lat <= 90
