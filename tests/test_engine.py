"""The one engine: the track-and-cue rule, limited_by (one hand-built case per value), the
scenario run, and agreement between the commands that read it (engage, timeline, footprint,
the map's colouring) and between the fast and exact visibility tests."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from geocover.engine import CITY_FIELDS, ScenarioRun
from geocover.footprint import LIMITED_BY, Architecture
from geocover.radar import RadarView
from geocover.scenario import load_scenario
from geocover.timeline import timeline
from geocover.tracking import Link, track_and_cue, track_runs

# --------------------------------------------------------------------------- tracking rule


def test_track_runs_by_hand():
    # Samples every 2 s; seen at 0-8 s (5 samples, a run lasting 8 s) and 12-30 s (lasting 18 s).
    # With min_track_s = 10: the first run never lasts 10 s; the second forms at 12 + 10 = 22 s
    # (a sample time), and samples 22..30 s are in track.
    t = np.arange(0.0, 32.0, 2.0)[None, :]
    seen = ((t >= 0) & (t <= 8)) | ((t >= 12) & (t <= 30))
    in_track, formed = track_runs(t, seen, 10.0)
    assert formed[0] == 22.0
    assert np.array_equal(np.flatnonzero(in_track[0]), np.flatnonzero((t[0] >= 22) & (t[0] <= 30)))


def test_cue_links_latency_use_and_chains():
    # Three radars on a 1 s grid, min_track 5 s. "ew" (searches) sees from 0 s: forms at 5 s.
    # "fc1" cannot search, sees from 0 s: with the default links cued at 5 s, counts 5.. and
    # forms at 10 s. "fc2" cannot search, sees from 0 s, and only fc1 links to it (a chain):
    # cue = fc1's formation (10 s) + latency 3 s = 13 s, forms at 18 s.
    t = np.arange(0.0, 40.0, 1.0)[None, :]
    vis = {r: np.ones_like(t, bool) for r in ("ew", "fc1", "fc2")}
    cs = {"ew": True, "fc1": False, "fc2": False}
    trk = track_and_cue(t, vis, cs, 5.0)  # default: ew cues both
    assert trk.cue_t_s["fc1"][0] == 5.0 and trk.formed_t_s["fc1"][0] == 10.0
    assert trk.formed_t_s["fc2"][0] == 10.0
    chain = [Link("ew", "fc1"), Link("fc1", "fc2", latency_s=3.0)]
    trk = track_and_cue(t, vis, cs, 5.0, links=chain)
    assert trk.cue_t_s["fc2"][0] == 13.0 and trk.formed_t_s["fc2"][0] == 18.0
    assert trk.first_detection_t_s[0] == 0.0
    # an early-warning-only link does not cue: fc2 never counts anything
    trk = track_and_cue(t, vis, cs, 5.0, links=[Link("ew", "fc1"), Link("fc1", "fc2", 0.0, "early_warning")])
    assert not trk.counted["fc2"].any() and np.isnan(trk.formed_t_s["fc2"][0])
    with pytest.raises(ValueError):
        Link("a", "b", -1.0)
    with pytest.raises(ValueError):
        Link("a", "b", 0.0, "fire")


# --------------------------------------------------------------------------- limited_by
# One flight, third-site-2007 (forward radar cueing the Brdy X-band radar that guides the
# Redzikowo GBIs), Tabriz -> Paris: defended as bundled. Each case changes one thing so that
# exactly one link of the engagement chain breaks, and the engine must name that link.

PARIS = (48.8566, 2.3522)  # Paris city hall (WGS84), as in the catalog to 1e-4 deg


def _third_site():
    return load_scenario("third-site-2007")


def _engage(sc, target=PARIS):
    arch = Architecture(sc)
    site = sc.catalog.launch_site("tabriz")
    traj, ok = arch.aim(site.lat_deg, site.lon_deg, [target[0]], [target[1]])
    return arch.engage(traj, ok).result(0)


def _with_radar(sc, rid, **kw):
    return dataclasses.replace(sc, radars={**sc.radars, rid: dataclasses.replace(sc.radars[rid], **kw)})


def _with_gbi(sc, **kw):
    return dataclasses.replace(sc, interceptors={k: dataclasses.replace(v, **kw) for k, v in sc.interceptors.items()})


def test_engagement_record_has_every_engagement_field():
    # Engagements (arrays) and EngagementResult (one flight) name the same fields in the same
    # order: a field added to one and not the other would break every typed consumer.
    from geocover.footprint import EngagementResult, Engagements

    assert [f.name for f in dataclasses.fields(Engagements)] == [f.name for f in dataclasses.fields(EngagementResult)]


def test_limited_by_vocabulary_is_documented():
    from geocover.footprint import LIMITED_BY_TEXT

    assert LIMITED_BY == ("not_reachable", "no_track", "no_fire_control_track", "no_cue", "altitude_window",
                          "out_of_interceptor_range", "too_late")  # issue 16 section 1, in chain order
    assert set(LIMITED_BY_TEXT) == set(LIMITED_BY)


def test_defended_case_has_no_limit_and_a_margin():
    e = _engage(_third_site())
    assert e.defended and e.limited_by is None
    assert e.battle_space_s > 0 and e.earliest_t_s <= e.latest_t_s <= e.flight_time_s


def test_not_reachable():
    # Washington DC, ~10,000 km from Tabriz: beyond the catalog IRBM (range < 5,500 km).
    e = _engage(_third_site(), (38.8977, -77.0365))
    assert not e.reachable and not e.defended and e.limited_by == "not_reachable"


def test_no_track():
    # every radar's range 1 km at its reference RCS: nothing is ever seen
    sc = _third_site()
    for rid in sc.radars:
        sc = _with_radar(sc, rid, reference_range_m=1000.0)
    assert _engage(sc).limited_by == "no_track"


def test_no_fire_control_track():
    # the forward radar tracks (it searches) but the GBIs take guidance from Brdy only, and
    # Brdy's range is 1 km: tracked, no fire-control track
    sc = _with_radar(_third_site(), "brdy-emr", reference_range_m=1000.0)
    sc = dataclasses.replace(sc, interceptor_fire_control={k: ["brdy-emr"] for k in sc.interceptors})
    assert _engage(sc).limited_by == "no_fire_control_track"


def test_no_cue():
    # without the forward radar, Brdy (can_search = false) sees the flight but nothing cues it
    sc = _third_site()
    sc = dataclasses.replace(sc, radars={"brdy-emr": sc.radars["brdy-emr"]}, early_warning=[],
                             fire_control=["brdy-emr"], interceptor_fire_control={k: ["brdy-emr"]
                                                                                  for k in sc.interceptors})
    e = _engage(sc)
    assert e.limited_by == "no_cue" and e.first_detection_t_s is None


def test_altitude_window():
    # an altitude window starting at 3,000 km: above the IRBM's apogee (~1,000 km on 4,000 km;
    # the window is the only change)
    e = _engage(_with_gbi(_third_site(), min_intercept_altitude_m=3.0e6, max_intercept_altitude_m=4.0e6))
    assert e.limited_by == "altitude_window"


def test_out_of_interceptor_range():
    # the GBI battery moved to Lisbon: the tracked path over central Europe is > 1,400 km away,
    # beyond a 1,000 km reach
    e = _engage(_with_gbi(_third_site(), lat_deg=38.72, lon_deg=-9.14, max_range_m=1.0e6))
    assert e.limited_by == "out_of_interceptor_range"


def test_too_late():
    # a commit delay of 3,000 s: longer than the whole ~1,100 s flight
    e = _engage(_with_gbi(_third_site(), commit_delay_s=3000.0))
    assert e.limited_by == "too_late"


# --------------------------------------------------------------------------- scenario run


def test_scenario_run_computes_once_and_types_its_results():
    run = ScenarioRun(load_scenario("epaa-phase3-2018"), launches=["tabriz"])
    a = run.city_flights("tabriz")
    assert run.city_flights("tabriz") is a  # cached
    fp1 = run.footprint(resolution_deg=4.0)
    fp2 = run.footprint(resolution_deg=4.0)
    assert fp1.battle_space_s["tabriz"] is fp2.battle_space_s["tabriz"]
    rows = [c.to_row() for c in run.cities()]
    assert rows and all(tuple(r) == CITY_FIELDS for r in rows)
    for r in rows:
        assert (r["limited_by"] is None) == bool(r["defended"])
        assert r["limited_by"] is None or r["limited_by"] in LIMITED_BY


# --------------------------------------------------------------------------- agreement


def test_fast_visibility_agrees_with_exact():
    # README: the bulk test "agrees with the exact one on > 99.99 % of random points". 200,000
    # random points around Kurecik (its sector and beyond), heights 0-1,500 km MSL, at the
    # warhead RCS; each disagreement must sit within the bulk test's documented error (~20 m
    # ground range, 0.2 deg azimuth) of a boundary, so we also count how many there are.
    rng = np.random.default_rng(20261129)
    sc = load_scenario("epaa-phase3-2018")
    n = 200_000
    lat = rng.uniform(25.0, 55.0, n)
    lon = rng.uniform(20.0, 60.0, n)
    h = rng.uniform(0.0, 1.5e6, n)
    for rid in ("kurecik", "deveselu"):
        v = RadarView(sc.radars[rid])
        exact = np.asarray(v.visibility(lat, lon, h, rcs_m2=0.01).visible)
        fast = v.visible_fast(lat, lon, h, np.full(n, 0.01))
        agree = float(np.mean(exact == fast))
        assert exact.any() and (~exact).any()  # the sample straddles the coverage edge
        assert agree > 0.9999, (rid, agree)


def _same(a, b):
    """Two EngagementResults equal: verdicts, ids and reasons exactly, numbers to 1e-9
    relative (a flight aimed alone or in a batch differs by float rounding, ~1e-15 relative,
    in the vectorised Kepler solution; 1e-9 admits that and nothing a verdict could hinge on)."""
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, float) and isinstance(y, float):
            assert x == pytest.approx(y, rel=1e-9), f.name
        else:
            assert x == y, f.name
    return True


@pytest.mark.parametrize("target", ["paris", "warsaw", "bucharest", "london"])
def test_engage_timeline_footprint_and_map_agree(target):
    # The same flight (third-site-2007 from Tabriz) through every reader of the engine.
    sc = load_scenario("third-site-2007")
    run = ScenarioRun(sc, launches=["tabriz"])
    flights = run.city_flights("tabriz")
    i = [c.id for c in flights.cities].index(target)
    e = flights.engagements.result(i)
    # engage (the command's path: its own aim of the same pair)
    site = sc.catalog.launch_site("tabriz")
    city = flights.cities[i]
    traj, ok = run.arch.aim(site.lat_deg, site.lon_deg, [city.lat_deg], [city.lon_deg])
    assert _same(run.engage(traj, ok).result(0), e)
    # footprint: the grid cell centred on the city gets the same verdict
    fp = run.footprint(bbox_deg=(city.lon_deg - 0.05, city.lat_deg - 0.05, city.lon_deg + 0.05,
                                 city.lat_deg + 0.05), resolution_deg=0.1)
    cell = run.arch.engage_points(site.lat_deg, site.lon_deg, [city.lat_deg], [city.lon_deg]).result(0)
    assert _same(cell, e) and (fp.battle_space_s["tabriz"][0, 0] > 0) == e.defended
    # map colouring: a stretch is coloured by a radar exactly where that radar holds a track,
    # and the first detection of the engagement is the first counted sample
    owners = flights.tracks.tracked_by(list(sc.radars))[i]
    trk = flights.tracks.tracks
    for rid in sc.radars:
        assert not np.any((owners == rid) & ~trk.in_track[rid][i])
    assert (owners != "").any() == any(trk.in_track[r][i].any() for r in sc.radars)
    if e.first_detection_t_s is not None:
        assert trk.first_detection_t_s[i] == e.first_detection_t_s
    # timeline: the same rule on the exact visibility at 2 s; the cue and first detection
    # agree within the sample spacing of the two grids (engine: 80 samples over the flight)
    # the timeline samples every 2 s, the engine at most every max(diff(t)) s: a run starts up
    # to one engine step later on the engine's grid than on the timeline's, and forms at the
    # first engine sample >= start + min_track (up to one more step): the engine's times lie in
    # [timeline - 2 s, timeline + 2 engine steps + 2 s].
    tl = timeline(traj, [RadarView(r) for r in sc.radars.values()], step_s=2.0, min_track_s=sc.min_track_s)
    step = float(np.max(np.diff(trk.t_s[i])))
    if e.first_detection_t_s is None:
        assert tl.first_detection_t_s is None
    else:
        assert -2.0 <= e.first_detection_t_s - tl.first_detection_t_s <= 2 * step + 2.0
    by_id = {tr.radar_id: tr for tr in tl.tracks}
    for rid in sc.radars:
        f = trk.formed_t_s[rid][i]
        assert np.isfinite(f) == (by_id[rid].track_formed_t_s is not None), rid
        if np.isfinite(f):
            assert -2.0 <= f - by_id[rid].track_formed_t_s <= 2 * step + 2.0, rid


def test_lat_lon_grid_value_object():
    from geocover.geodesy import LatLonGrid

    # The whole globe at 1 deg: the cells' WGS84 areas sum to the ellipsoid's surface,
    # 4 pi R2^2 with R2 = 6,371,007.1809 m, the radius of the sphere of equal area
    # (NIMA TR8350.2, 3rd ed., Table 3.5): 510,065,621.7 km^2; R2 is given to 0.1 mm
    # (2e-11 relative), so 1e-9 relative admits only the table's rounding.
    g = LatLonGrid.from_bbox((-180.0, -90.0, 180.0, 90.0), 1.0)
    assert g.shape == (180, 360)
    r2_m = 6_371_007.1809
    assert g.area_km2(np.ones(g.shape, bool)) == pytest.approx(4 * np.pi * r2_m**2 / 1e6, rel=1e-9)
    # centres and edges: the grid of a footprint box
    g = LatLonGrid.from_bbox((10.0, 40.0, 12.0, 41.0), 0.5)
    assert g.shape == (2, 4) and g.bbox_deg == (10.0, 40.0, 12.0, 41.0)
    lat, lon = g.cell_centres()
    assert lat.tolist() == [40.75] * 4 + [40.25] * 4 and lon.tolist() == [10.25, 10.75, 11.25, 11.75] * 2
    assert g.contains(40.0, 12.0) and not g.contains(39.99, 11.0)
    assert tuple(g.transform)[:6] == (0.5, 0.0, 10.0, 0.0, -0.5, 41.0)
