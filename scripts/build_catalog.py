"""Regenerate data/catalog/*.geojson and missiles.toml from the facts on the sources page, docs/sources.md.

The catalog files are the data users edit and extend; this script records how the
bundled ones were made (values, sources, and which ground heights were read from a DEM).
Run from the repository root:  python scripts/build_catalog.py
"""

from __future__ import annotations

import json
from pathlib import Path

import rasterio

ROOT = Path(__file__).resolve().parents[1]
CAT = ROOT / "data" / "catalog"
SRC_REF = "docs/sources.md"


def dem_height_msl_m(lat: float, lon: float) -> float:
    """ETOPO5 5' (Eurasia) or 10' (global) cell value, sea clipped to 0 m."""
    for name in ("dem_etopo5_eurasia.tif", "etopo5_global10.tif"):
        with rasterio.open(ROOT / "data" / "dem" / name) as ds:
            b = ds.bounds
            if b.left <= lon <= b.right and b.bottom <= lat <= b.top:
                v = float(next(ds.sample([(lon, lat)]))[0])
                if v != ds.nodata:
                    return max(v, 0.0)
    raise ValueError(f"no DEM at {lat}, {lon}")


def feature(props: dict, lat: float, lon: float) -> dict:
    return {"type": "Feature", "id": props["id"], "properties": props,
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def site(kind, id_, name, lat, lon, height=None, *, source, confidence, height_note=None, **kw):
    if height is None:
        height = dem_height_msl_m(lat, lon)
        height_note = height_note or "ground height read from bundled ETOPO5 DEM"
    props = {"id": id_, "name": name, "kind": kind, "lat_deg": lat, "lon_deg": lon,
             "ground_height_msl_m": round(height, 1), **kw, "source": source,
             "confidence": confidence}
    if height_note:
        props["notes"] = (props.get("notes", "") + ("; " if props.get("notes") else "")
                          + height_note)
    return feature(props, lat, lon)


SPY1 = dict(band="S", boresight_azimuth_deg=0.0, half_width_deg=180.0, min_elevation_deg=0.0,
            max_elevation_deg=90.0, reference_range_m=500_000.0, reference_rcs_m2=0.01,
            can_search=True)
SPY1_NOTE = ("SPY-1D(V): no credible public range against a warhead; 500 km at 0.01 m2 is a "
             "notional open-literature assumption (docs/sources.md), override in scenarios")

radars = [
    site("radar", "brdy-emr", "European Midcourse Radar (proposed), Brdy, Czech Republic",
         49.635222, 13.747944, 718.8, platform="land", band="X", boresight_azimuth_deg=102.7,
         half_width_deg=60.0, min_elevation_deg=0.0, max_elevation_deg=90.0,
         reference_range_m=2_000_000.0, reference_rcs_m2=0.01, antenna_height_agl_m=10.0,
         can_search=False,
         notes=("GBR-P prototype; ~2,000 km quoted by MDA (2007) against an unstated RCS, taken "
                "as a warhead-class 0.01 m2; needs cueing (no search); boresight towards Tehran "
                "(102.7 deg); +-60 deg field of regard and 10 m antenna height are assumptions"),
         source="Czech Army hygiene-station document (Aug 2007); MDA 2007 briefing; "
                + SRC_REF, confidence="medium"),
    site("radar", "gabala", "Daryal early-warning radar, Qabala, Azerbaijan",
         40.870722, 47.802667, platform="land", band="VHF", boresight_azimuth_deg=162.0,
         half_width_deg=55.0, min_elevation_deg=0.0, max_elevation_deg=90.0,
         reference_range_m=6_000_000.0, reference_rcs_m2=1.0, antenna_height_agl_m=40.0,
         can_search=True,
         notes=("~6,000 km early-warning range, taken against a 1 m2 missile-body-class target "
                "(assumption); sector 107-217 deg; antenna height is notional; GLOBE 2' max "
                "reads 611 m here"),
         source="press 2007; public encyclopaedias; " + SRC_REF, confidence="medium"),
    site("radar", "kurecik", "AN/TPY-2 forward-based radar, Kürecik, Turkey",
         38.349444, 37.793611, 2085.0, platform="land", band="X", boresight_azimuth_deg=90.0,
         half_width_deg=60.0, min_elevation_deg=0.0, max_elevation_deg=90.0,
         reference_range_m=1_500_000.0, reference_rcs_m2=0.01, antenna_height_agl_m=5.0,
         can_search=True,
         notes=("~1,500 km range ring (NRC 2012 as read by Lewis & Postol), taken against "
                "0.01 m2; face east towards Iran, +-60 deg electronic scan; one report gives "
                "1,800 m ground height"),
         source="NRC 2012 via Lewis & Postol 2012; public encyclopaedias; " + SRC_REF,
         confidence="medium"),
    site("radar", "armavir", "Voronezh-DM early-warning radar, Armavir, Russia", 44.93, 40.98,
         platform="land", band="UHF", boresight_azimuth_deg=180.0, half_width_deg=100.0,
         min_elevation_deg=0.0, max_elevation_deg=90.0, reference_range_m=4_000_000.0,
         reference_rcs_m2=1.0, antenna_height_agl_m=20.0, can_search=True,
         notes=("two faces (south-west, south-east) modelled as one 80-280 deg sector; "
                "'effective range 4,000 km' taken against 1 m2; both are assumptions"),
         source="RIA Novosti 2009/10; " + SRC_REF, confidence="low"),
    site("radar", "deveselu", "Aegis Ashore (SPY-1D), Deveselu, Romania", 44.077222, 24.416389,
         88.0, platform="land", antenna_height_agl_m=20.0, **SPY1, notes=SPY1_NOTE,
         source="public encyclopaedias; " + SRC_REF, confidence="high"),
    site("radar", "redzikowo", "Aegis Ashore (SPY-1D), Redzikowo, Poland", 54.4786, 17.1075,
         66.0, platform="land", antenna_height_agl_m=20.0, **SPY1, notes=SPY1_NOTE,
         source="airfield reference point; " + SRC_REF, confidence="medium"),
]
for sid, name, lat, lon in [("aegis-east-med", "Aegis BMD ship, eastern Mediterranean", 34.0, 27.0),
                            ("aegis-black-sea", "Aegis BMD ship, Black Sea", 43.0, 33.0),
                            ("aegis-north-sea", "Aegis BMD ship, North Sea", 57.0, 3.0)]:
    radars.append(site("radar", sid, name, lat, lon, 0.0, platform="ship",
                       antenna_height_agl_m=25.0, **SPY1,
                       notes=SPY1_NOTE + "; station and 25 m mast height assumed",
                       source=SRC_REF, confidence="notional"))
radars.append(site(
    "radar", "fylingdales", "RAF Fylingdales Upgraded Early Warning Radar (AN/FPS-132 class), North York Moors, UK",
    54.3592, -0.6706, 260.0, platform="land", antenna_height_agl_m=20.0, band="UHF", boresight_azimuth_deg=0.0,
    half_width_deg=180.0, min_elevation_deg=3.0, max_elevation_deg=85.0, reference_range_m=4_800_000.0,
    reference_rcs_m2=1.0, can_search=True,
    notes=("Solid-state phased array with three faces (SSPARS, 1992; upgraded to UEWR, AN/FPS-132 "
           "class, for missile defence in 2007-2008): the only one of its type with 360 deg "
           "coverage, modelled as one 360 deg sector. Position from the station's published "
           "coordinates (54 deg 21' 33\" N, 0 deg 40' 14\" W); ground height ~260 m MSL on Snod Hill "
           "from topographic maps (the bundled ETOPO5 grid is too coarse here and reads 4 m), "
           "antenna centre ~20 m up the 40 m pyramid (assumed). Range: the PAVE PAWS / UEWR family "
           "is quoted at ~3,000 nmi (5,556 km) for large (missile-body) targets and ~4,800 km in UK "
           "statements; taken as 4,800 km against 1 m2 (assumption: the RCS behind either figure is "
           "not published). Elevation 3-85 deg is PAVE PAWS's published coverage."),
    source=("RAF Fylingdales station page (raf.mod.uk); UK MoD, 'Missile Defence: a public discussion"
            " paper' (2002/2003) and House of Commons Defence Committee, 'UK Ballistic Missile "
            "Defence' (HC 413, 2003); FAS Space Policy Project, 'PAVE PAWS' (3,000 nmi, 3-85 deg "
            "elevation); public encyclopaedias"),
    confidence="medium"))

GBI_NOTE = ("MDA slides 5.4 km/s (also quoted 6.3); Postol 7.7-8.3 (up to ~9) km/s; burn time, "
            "altitude window, range and commit delay are notional open-literature values")
SM3_NOTE = ("burn time, altitude window, range and commit delay are notional; SSPK default 0.7 within "
            "0.62-0.94, the exact (Clopper-Pearson) 95 % binomial interval of the Aegis BMD at-sea test record, "
            "22 intercepts in 27 attempts 2002-2011 (MDA news release 11news0016, 1 Sep 2011); a test record "
            "against cooperative targets, not a combat SSPK (low confidence, docs/sources.md)")
GBI_NOTE += ("; SSPK default 0.5 = 7 intercepts in 14 GMD tests (MDA's count, Arms Control Today 2013), range "
             "0.23-0.77 its exact 95 % binomial interval; a test record against cooperative targets, not a combat "
             "SSPK (low confidence, docs/sources.md)")
# Single-shot kill probabilities (docs/sources.md, "Inventories and kill probabilities"): low confidence.
# Ranges: exact (Clopper-Pearson) 95 % intervals of the flight-test records,
# scipy.stats.binomtest(k, n).proportion_ci(0.95, "exact"): 7/14 -> 0.230-0.770, 22/27 -> 0.619-0.937.
GBI_SSPK = dict(sspk=0.5, sspk_min=0.23, sspk_max=0.77)
SM3_SSPK = dict(sspk=0.7, sspk_min=0.62, sspk_max=0.94)
interceptors = [
    site("interceptor", "redzikowo-gbi", "10 two-stage GBIs, Redzikowo (2007 plan)", 54.4786,
         17.1075, 66.0, interceptor_class="gbi-2stage", count=10, burnout_speed_mps=6300.0,
         burnout_speed_min_mps=5400.0, burnout_speed_max_mps=9000.0, burn_time_s=120.0,
         min_intercept_altitude_m=100_000.0, max_intercept_altitude_m=2_000_000.0,
         max_range_m=5_000_000.0, commit_delay_s=90.0, inventory=10, **GBI_SSPK, notes=GBI_NOTE,
         source="SpaceNews / AFP Aug 2007; Lewis & Postol; SSPK: MDA GMD test count in Arms Control Today 2013; "
         + SRC_REF, confidence="medium"),
    site("interceptor", "deveselu-sm3-ib", "24 SM-3 Block IB, Aegis Ashore Deveselu (2016)",
         44.077222, 24.416389, 88.0, interceptor_class="sm3-ib", count=24,
         burnout_speed_mps=3000.0, burnout_speed_min_mps=3000.0, burnout_speed_max_mps=3000.0,
         burn_time_s=40.0, min_intercept_altitude_m=70_000.0,
         max_intercept_altitude_m=500_000.0, max_range_m=900_000.0, commit_delay_s=60.0,
         inventory=24, **SM3_SSPK, notes=SM3_NOTE, source="ACA 2016; SSPK: MDA news release 11news0016 (2011); "
         + SRC_REF, confidence="medium"),
    site("interceptor", "redzikowo-sm3-iia", "SM-3 Block IIA, Aegis Ashore Redzikowo",
         54.4786, 17.1075, 66.0, interceptor_class="sm3-iia", count=24,
         burnout_speed_mps=4500.0, burnout_speed_min_mps=4500.0, burnout_speed_max_mps=4500.0,
         burn_time_s=50.0, min_intercept_altitude_m=70_000.0,
         max_intercept_altitude_m=1_000_000.0, max_range_m=2_500_000.0, commit_delay_s=60.0,
         inventory=24, **SM3_SSPK, notes=SM3_NOTE + "; count of 24 assumed", source="press; " + SRC_REF,
         confidence="medium"),
    site("interceptor", "aegis-east-med-sm3-ia", "SM-3 Block IA, Aegis ship, eastern Mediterranean",
         34.0, 27.0, 0.0, interceptor_class="sm3-ia", count=24, burnout_speed_mps=3000.0,
         burnout_speed_min_mps=3000.0, burnout_speed_max_mps=3000.0, burn_time_s=40.0,
         min_intercept_altitude_m=70_000.0, max_intercept_altitude_m=500_000.0,
         max_range_m=700_000.0, commit_delay_s=60.0, inventory=24, **SM3_SSPK,
         notes=SM3_NOTE + "; station assumed",
         source=SRC_REF, confidence="notional"),
]

LAUNCH_SRC = "city centres as proxies for launch areas (bases within ~30 km); " + SRC_REF
launch = [site("launch", i, n, la, lo, source=LAUNCH_SRC, confidence=c, country=cc) for i, n, la, lo, c, cc in [
    ("tabriz", "Tabriz", 38.080, 46.292, "medium", "Iran"),
    ("tehran", "Tehran", 35.689, 51.389, "medium", "Iran"),
    ("kermanshah", "Kermanshah (Bakhtaran)", 34.314, 47.065, "medium", "Iran"),
    ("khorramabad", "Khorramabad (Imam Ali base)", 33.488, 48.356, "medium", "Iran"),
    ("isfahan", "Isfahan", 32.654, 51.666, "medium", "Iran"),
    ("shahrud", "Shahrud", 36.418, 54.976, "medium", "Iran"),
    ("semnan-pad1", "Semnan, Imam Khomeini Space Centre pad 1", 35.234722, 53.920833, "high", "Iran"),
    ("semnan-pad2", "Semnan, Imam Khomeini Space Centre pad 2", 35.258333, 53.954722, "high", "Iran"),
    ("kozelsk", "Kozelsk ICBM field", 54.03, 35.78, "low", "Russia"),
    ("teykovo", "Teykovo ICBM field", 56.93, 40.54, "low", "Russia"),
    ("tatishchevo", "Tatishchevo ICBM field", 51.67, 45.57, "low", "Russia"),
    ("vypolzovo", "Vypolzovo ICBM field", 57.84, 33.66, "low", "Russia"),
]]
targets = [site("target", i, n, la, lo, source=SRC_REF, confidence="high", country=cc) for i, n, la, lo, cc in [
    ("london", "London", 51.507, -0.128, "United Kingdom"), ("paris", "Paris", 48.857, 2.352, "France"),
    ("berlin", "Berlin", 52.520, 13.405, "Germany"), ("warsaw", "Warsaw", 52.230, 21.012, "Poland"),
    ("prague", "Prague", 50.076, 14.438, "Czech Republic"), ("rome", "Rome", 41.903, 12.496, "Italy"),
    ("madrid", "Madrid", 40.417, -3.704, "Spain"), ("brussels", "Brussels", 50.850, 4.352, "Belgium"),
    ("athens", "Athens", 37.984, 23.728, "Greece"), ("ankara", "Ankara", 39.933, 32.860, "Turkey"),
    ("bucharest", "Bucharest", 44.427, 26.103, "Romania"), ("sofia", "Sofia", 42.698, 23.322, "Bulgaria"),
    ("budapest", "Budapest", 47.498, 19.040, "Hungary"), ("vienna", "Vienna", 48.208, 16.374, "Austria"),
    ("oslo", "Oslo", 59.914, 10.752, "Norway"), ("moscow", "Moscow", 55.756, 37.617, "Russia"),
    ("ramstein", "Ramstein Air Base", 49.437, 7.600, "Germany"),
    ("incirlik", "Incirlik Air Base", 37.002, 35.426, "Turkey"),
    ("washington", "Washington DC", 38.907, -77.037, "United States"),
    ("new-york", "New York", 40.713, -74.006, "United States"),
]]


def write(name: str, feats: list[dict]) -> None:
    fc = {"type": "FeatureCollection", "name": name, "features": feats}
    (CAT / f"{name}.geojson").write_text(json.dumps(fc, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    CAT.mkdir(parents=True, exist_ok=True)
    write("radars", radars)
    write("interceptors", interceptors)
    write("launch_sites", launch)
    write("targets", targets)
    print("wrote", sorted(p.name for p in CAT.glob("*.geojson")))
