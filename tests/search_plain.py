"""The site search's plain way, shared by tests/test_search_fast.py and
tests/test_hostile_speed.py: the task results of a variant (the scenario with candidate sites
added, search._variant) computed by a fresh ScenarioRun (every radar view, every flight aimed,
tracked and engaged), for search._score to score like the fast path's."""

from __future__ import annotations

from geocover.engine import ScenarioRun
from geocover.search import TaskResult, _variant


def plain_parts(sc, kind, template, added, launches, resolution_deg) -> list[TaskResult]:
    """One TaskResult per (launch, missile class) of the variant of ``sc`` with ``added``
    ((lat, lon) sites of ``kind``, copies of ``template``): its footprint battle space grid
    and its city flights' reachability, verdicts and warning times."""
    run = ScenarioRun(_variant(sc, kind, template, added), launches=launches)
    parts = []
    for lid in launches:
        fp = run.footprint([lid], resolution_deg=resolution_deg)
        for m in run.scenario.missiles_for(lid):
            eng = run.city_flights(lid, missile=m).engagements
            parts.append(TaskResult((0,), lid, fp.battle_space_s[lid], fp.north_deg, fp.resolution_deg,
                                    eng.reachable, eng.defended, eng.warning_time_s))
    return parts
