"""The site search's fast path (search._fast_task: aim once per search, engage the variant of
the chosen sites once, re-engage a candidate radar's flights only where it sees them, skip
targets another pair already reaches undefended) against the plain way: a ScenarioRun of the
scenario with the sites added (search.with_candidate), scored by the same objective."""

from __future__ import annotations

import numpy as np
import pytest
from search_plain import plain_parts

from geocover import search
from geocover.engine import ScenarioRun
from geocover.scenario import load_scenario
from geocover.search import _score, _variant, greedy_search

LAUNCHES = ["tabriz", "tehran"]  # two launch sites: the cross-pair skip has something to skip
RES_DEG = 4.0  # 15 x 8 cells over the scenario's box: seconds, not minutes
# Kürecik-copy radars in Bulgaria and Slovenia (each adds defended area to epaa-phase2-2015, so
# a k = 2 search picks both)
SITES = [(42.75, 25.25), (45.5, 14.5)]
# and in Ireland, facing the launches from the far north-west: it sees a few of their flights
IRELAND = (53.0, -8.0)


_PLAIN: dict = {}


def _plain_score(sc, kind, template, added, objective) -> float:
    """The objective of the variant computed the plain way: a fresh ScenarioRun of the
    scenario with ``added`` (every radar view, every flight aimed, tracked and engaged);
    its task results are kept for the other objectives."""
    key = (sc.id, kind, tuple(added))
    if key not in _PLAIN:
        _PLAIN[key] = plain_parts(sc, kind, template, added, LAUNCHES, RES_DEG)
    return _score(objective, _PLAIN[key])


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("epaa-phase2-2015")


@pytest.mark.parametrize("objective", ["area", "cities", "warning"])
def test_fast_search_scores_equal_the_plain_way(scenario, objective):
    # Every score of a k = 2 search (the base, each candidate alone, the second round's pairs)
    # equals the plain way's, exactly: the fast path changes no flight's reachability,
    # verdict or warning time (its docstring's argument), and each objective sums those in
    # the same order (area: km2 of the cells defended against both launches; cities: share of
    # cities; warning: mean over flights).
    sc = scenario
    tmpl = sc.catalog.radar("kurecik")
    lat, lon = np.array([s[0] for s in SITES]), np.array([s[1] for s in SITES])
    search.FAST_STATS.update(flights=0, reengaged=0)
    res = greedy_search(sc, "radar", lat, lon, k=2, objective=objective, launches=LAUNCHES, resolution_deg=RES_DEG)
    stats = dict(search.FAST_STATS)
    assert res.base_score == _plain_score(sc, "radar", tmpl, (), objective)
    for i, site in enumerate(SITES):
        assert res.first_scores[i] == _plain_score(sc, "radar", tmpl, (site,), objective), site
    if objective == "area":  # both sites add area (for the others they may add nothing: no pick)
        assert len(res.chosen) == 2
    for pick in res.chosen[:1]:
        first = (pick["lat_deg"], pick["lon_deg"])
        assert pick["score"] == res.first_scores[SITES.index(first)]
    if len(res.chosen) > 1:
        second = (res.chosen[1]["lat_deg"], res.chosen[1]["lon_deg"])
        assert res.chosen[1]["score"] == _plain_score(sc, "radar", tmpl, (first, second), objective)
    # the shortcut is exercised both ways: some flights re-engaged, some taken as they were
    assert 0 < stats["reengaged"] < stats["flights"], stats


def test_fast_battery_scores_equal_the_plain_way(scenario):
    # A candidate battery: aimed once per search, every reachable flight engaged again by the
    # variant (no visibility shortcut), targets another pair reaches undefended skipped.
    sc = scenario
    tmpl = sc.catalog.interceptor("deveselu-sm3-ib")
    sites = SITES
    lat, lon = np.array([s[0] for s in sites]), np.array([s[1] for s in sites])
    for objective in ("area", "cities"):
        res = greedy_search(sc, "interceptor", lat, lon, k=1, objective=objective, launches=LAUNCHES,
                            resolution_deg=RES_DEG)
        assert res.base_score == _plain_score(sc, "interceptor", tmpl, (), objective)
        for i, site in enumerate(sites):
            assert res.first_scores[i] == _plain_score(sc, "interceptor", tmpl, (site,), objective), (objective, site)


def test_unseen_flights_keep_the_base_engagement(scenario):
    # A candidate radar that sees none of a flight's final samples leaves that flight's
    # engagement as it was: per flight, the fast path's values for the unseen flights equal a
    # plain ScenarioRun of the variant (reachable, defended, warning time), and the flights
    # it re-engages are exactly those it sees.
    from geocover.search import _base_architecture, _fast_pair, _forget_base, _variant_architecture

    sc = scenario
    tmpl = sc.catalog.radar("kurecik")
    site = sc.catalog.launch_site("tabriz")
    added = (IRELAND,)
    try:
        base = _base_architecture("unseen", sc)
        arch = _variant_architecture(base, sc, "radar", tmpl, added)
        pair = _fast_pair("unseen", base, arch, (), "radar", site, sc.missile, ("cities",))
        ref = ScenarioRun(_variant(sc, "radar", tmpl, added)).city_flights("tabriz").engagements
        todo = np.zeros(pair.reach.size, bool)
        todo[pair.blocks[0].idx[pair.todo[0]]] = True
        keep = ~todo
        assert todo.any() and (keep & pair.reach).any()  # both kinds of flight in this case
        np.testing.assert_array_equal(pair.reach, ref.reachable)
        np.testing.assert_array_equal(pair.defended[keep], ref.defended[keep])
        np.testing.assert_array_equal(pair.warning_time_s[keep], ref.warning_time_s[keep])
        # the flights it re-engages are those whose final samples it sees at least once
        view = arch.views[f"candidate-radar-{len(added) - 1}"]
        s = pair.blocks[0].samples
        seen = view.visible_fast(s.lat_deg, s.lon_deg, s.altitude_m, s.rcs_m2).any(axis=1)
        np.testing.assert_array_equal(np.flatnonzero(seen), pair.todo[0])
    finally:
        _forget_base()


def test_fast_search_with_networks(scenario):
    # jdec-2000 has [networks]: the candidate radar joins the defender's network ("us"), where
    # it would cue the Brdy radar that cannot search, and the warning is the defender's
    # (fusion.defender_warning, with Russia's early-warning link after 60 s). Scores equal the
    # plain way's for every objective.
    import geocover as gc

    sc = load_scenario("jdec-2000", gc.default_catalog())
    tmpl = sc.catalog.radar("kurecik")
    lat, lon = np.array([s[0] for s in SITES]), np.array([s[1] for s in SITES])
    for objective in ("area", "cities", "warning"):
        res = greedy_search(sc, "radar", lat, lon, k=1, objective=objective, launches=LAUNCHES,
                            resolution_deg=RES_DEG)
        assert res.base_score == _plain_score(sc, "radar", tmpl, (), objective)
        for i, site in enumerate(SITES):
            assert res.first_scores[i] == _plain_score(sc, "radar", tmpl, (site,), objective), (objective, site)


def test_local_scheduler_without_dask_runs_in_one_process(monkeypatch):
    """Hostile test (session 4): on a plain wheel install (no [cluster] extra) the default
    --scheduler local of robustness/optimise stopped with 'Dask is not installed'; it now runs
    in one process with a warning, and an explicit scheduler address still needs Dask."""
    import sys

    import pytest

    from geocover.errors import InputError
    from geocover.search import Executor

    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    with pytest.warns(RuntimeWarning, match="Dask is not installed"):
        ex = Executor("local", workers=2)
    assert ex.scheduler == "none" and ex.workers == 1 and ex.client is None
    assert ex.map(lambda x: x * x, [1, 2, 3]) == [1, 4, 9]
    with pytest.raises(InputError, match="Dask is not installed"):
        Executor("tcp://127.0.0.1:8786")


def test_known_base_samples_give_the_same_tracks(scenario):
    # Architecture.track(traj, known=...) with the samples and the base radars' visibility the
    # search stored for a whole block (search._known), taken at a subset of its flights, gives
    # the same FlightTracks as tracking those flights from scratch, array for array and bit for
    # bit: a flight's samples do not depend on the other flights sampled with it, a point's
    # visibility not on the other points, and only the candidate radar's is measured anew.
    import dataclasses

    from geocover.robustness import aimed_blocks
    from geocover.search import _base_architecture, _Engaged, _forget_base, _known, _variant_architecture

    sc = scenario
    tmpl = sc.catalog.radar("kurecik")
    site = sc.catalog.launch_site("tabriz")
    try:
        base = _base_architecture("known", sc)
        arch = _variant_architecture(base, sc, "radar", tmpl, (SITES[0],))
        lat, lon = search._targets(sc, ("grid", RES_DEG))
        blocks = aimed_blocks({"token": "known"}, base, site, sc.missile, lat, lon, ("grid", RES_DEG),
                              keep_all=False)
        _traj, ok, idx, sub = blocks[0]
        assert idx.size > 10
        known = _known(base, sub)
        assert set(known[1]) == set(base.views)  # the base radars only: the candidate is measured
        b = _Engaged(ok.size, idx, sub, None, None, *known)
        rows = np.arange(1, idx.size, 3)  # a subset, as a candidate re-engages
        part = sub.subset(rows)
        got, ref = arch.track(part, known=b.known(rows)), arch.track(part)
        for name in ("t_s", "lat_deg", "lon_deg", "altitude_m", "boosting"):
            np.testing.assert_array_equal(getattr(got.samples, name), getattr(ref.samples, name), err_msg=name)
        for f in dataclasses.fields(ref.tracks):
            a, e = getattr(got.tracks, f.name), getattr(ref.tracks, f.name)
            if isinstance(e, dict):
                assert list(a) == list(e), f.name
                for r in e:
                    np.testing.assert_array_equal(a[r], e[r], err_msg=f"{f.name}[{r}]")
            else:
                np.testing.assert_array_equal(a, e, err_msg=f.name)
        # and the whole block (every flight) is passed as stored
        assert b.known(np.arange(idx.size))[0] is known[0]
    finally:
        _forget_base()
