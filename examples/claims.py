"""Examine the published claims of the 2007-2011 debate with geocover's bundled data.

Prints the numbers behind the README section "The published claims, examined", one block
per row of its table. Each ``row_*`` function returns the numbers and the row's verdict;
tests/test_claims.py asserts the verdicts, so a model change that flips one is noticed.

    python examples/claims.py
"""

from __future__ import annotations

import dataclasses
import warnings
from functools import cache

import numpy as np

import geocover as gc
from geocover.footprint import Architecture
from geocover.interceptor import flyout_table
from geocover.radar import RadarView
from geocover.scenario import load_scenario
from geocover.timeline import timeline
from geocover.trajectory import R_EARTH_M, aim_missile, fly, min_energy_state

warnings.simplefilter("ignore", RuntimeWarning)
cat = gc.default_catalog()
IRAN = ["tabriz", "tehran", "isfahan", "shahrud"]
CITIES = ["london", "paris", "brussels", "berlin", "warsaw", "prague", "vienna", "budapest", "rome", "madrid",
          "oslo", "athens", "sofia", "bucharest", "ankara", "incirlik", "moscow"]
SPEEDS = (5400.0, 6300.0, 7700.0, 9000.0)
RUSSIAN_PAIRS = (("teykovo", "washington"), ("kozelsk", "new-york"), ("tatishchevo", "washington"))


@cache
def _arch(sc_name: str, missile: str = "irbm", range_m: float | None = None) -> Architecture:
    sc = load_scenario(sc_name)
    m = cat.missile(missile)
    if range_m is not None:
        m = dataclasses.replace(m, range_m=range_m)
    return Architecture(dataclasses.replace(sc, missile=m))


def defended(sc_name: str, cities=CITIES, missile: str = "irbm", range_m: float | None = None) -> dict[str, dict]:
    """Per city: reachable from which launch areas, and the battle space against each
    (defended = at least one intercept opportunity against every launch that reaches)."""
    return {cid: _defended_city(sc_name, cid, missile, range_m) for cid in cities}


@cache
def _defended_city(sc_name: str, cid: str, missile: str, range_m: float | None) -> dict:
    arch = _arch(sc_name, missile, range_m)
    c = cat.target(cid)
    rows = {lid: arch.engage_points(cat.launch_site(lid).lat_deg, cat.launch_site(lid).lon_deg, c.lat_deg,
                                    c.lon_deg).row(0) for lid in IRAN}
    reach = {lid: r for lid, r in rows.items() if r["reachable"]}
    return {"reachable_from": sorted(reach), "defended": bool(reach) and all(r["defended"] for r in reach.values()),
            "battle_space_s": min((r["battle_space_s"] for r in reach.values()), default=None)}


def _fmt(res: dict[str, dict]) -> str:
    def one(v):
        if not v["reachable_from"]:
            return "out of reach"
        return f"defended ({v['battle_space_s']:.0f} s)" if v["defended"] else "NOT defended"

    return "; ".join(f"{k} {one(v)}" for k, v in res.items())


# ------------------------------------------------------------------ the rows
def row_nato() -> dict:
    """NATO 2007: the third site shields "most of Europe"; Turkey, Greece, parts of Italy need more."""
    res = defended("third-site-2007")
    reach = [c for c, v in res.items() if v["reachable_from"]]
    ok = [c for c in reach if res[c]["defended"]]
    verdict = "partly" if len(ok) >= 0.75 * len(reach) and not {"ankara", "incirlik"} & set(ok) else "no"
    return {"cities": res, "reachable": len(reach), "defended": len(ok), "verdict": verdict}


def row_obering() -> dict:
    """Obering: without the European site London, Paris and Brussels are vulnerable to an IRBM."""
    three = ["london", "paris", "brussels"]
    third = defended("third-site-2007", three)
    epaa3 = defended("epaa-phase3-2018", three)
    # the same question with a 5,000 km class (the independent review's reading of the 2007 claim)
    third_5000 = defended("third-site-2007", ["london"], range_m=5_000e3)
    yes = all(third[c]["defended"] for c in three) and not any(epaa3[c]["defended"] for c in three)
    return {"third-site-2007": third, "epaa-phase3-2018": epaa3, "third-site-2007, 5,000 km class": third_5000,
            "verdict": "yes" if yes else "no"}


def row_wilkening() -> dict:
    """Wilkening 2008: sites further south-east would also protect Moscow."""
    res = {sc: defended(sc, ["moscow"])["moscow"] for sc in ("third-site-2007", "turkey-radar-2008",
                                                              "epaa-phase3-2018")}
    verdict = ("consistent" if res["third-site-2007"]["defended"] and res["turkey-radar-2008"]["defended"]
               and not res["epaa-phase3-2018"]["defended"] else "other")
    return {"moscow": res, "verdict": verdict}


def westward_loss(missile_id: str, launch_id: str, target_id: str) -> float:
    """Share of the class's nominal range (%) lost by flying its minimum-energy burnout
    state on the rotating Earth along the launch-to-target azimuth (sphere distances)."""
    m, s, c = cat.missile(missile_id), cat.launch_site(launch_id), cat.target(target_id)
    _, az, _ = gc.inverse(s.lat_deg, s.lon_deg, c.lat_deg, c.lon_deg)
    g, v = min_energy_state(m.range_m / R_EARTH_M, m.burnout_altitude_m, m.burn_time_s)
    kw = dict(burn_time_s=m.burn_time_s, burnout_altitude_m=m.burnout_altitude_m)
    d = []
    for rotating in (True, False):
        t = fly(s.lat_deg, s.lon_deg, az, v, g, rotating=rotating, **kw)
        a = np.radians([t.launch_lat_deg[0], t.launch_lon_deg[0], t.impact_lat_deg[0], t.impact_lon_deg[0]])
        d.append(np.arccos(np.sin(a[0]) * np.sin(a[2]) + np.cos(a[0]) * np.cos(a[2]) * np.cos(a[3] - a[1])))
    return float(100.0 * (1.0 - d[0] / d[1]))


def row_aca() -> dict:
    """ACA 2016: ~2,000 km missiles reach Turkey, Greece, Bulgaria and Romania, not Warsaw or Rome."""
    m, t = cat.missile("sejjil-2"), cat.launch_site("tabriz")
    out = {}
    for cid in ("ankara", "athens", "sofia", "bucharest", "warsaw", "rome"):
        c = cat.target(cid)
        _, ok = aim_missile(m, t.lat_deg, t.lon_deg, c.lat_deg, c.lon_deg, errors="mask")
        d, _, _ = gc.inverse(t.lat_deg, t.lon_deg, c.lat_deg, c.lon_deg)
        out[cid] = {"distance_km": float(d) / 1000, "reached": bool(ok[0]),
                    "westward_loss_pct": westward_loss("sejjil-2", "tabriz", cid)}
    as_said = (all(out[c]["reached"] for c in ("ankara", "bucharest"))
               and not any(out[c]["reached"] for c in ("warsaw", "rome")))
    return {"cities": out, "verdict": "mostly" if as_said and not out["athens"]["reached"] else
            "yes" if as_said else "no"}


def _brdy_first_sight(lid: str, cid: str, **profile) -> dict | None:
    """Where the cued Brdy radar first sees an IRBM flight (Kürecik cues)."""
    site, c = cat.launch_site(lid), cat.target(cid)
    traj, ok = aim_missile(cat.missile("irbm"), site.lat_deg, site.lon_deg, c.lat_deg, c.lon_deg, errors="mask",
                           **profile)
    if not ok[0]:
        return None
    tl = timeline(traj, [RadarView(cat.radar("kurecik")), RadarView(cat.radar("brdy-emr"))])
    tr = tl.tracks[1]
    if tr.first_detection_t_s is None:
        return {"seen": False}
    s = tl.samples
    k = int(np.argmin(np.abs(s.t_s[0] - tr.first_detection_t_s)))
    d, _, _ = gc.inverse(site.lat_deg, site.lon_deg, s.lat_deg[0, k], s.lon_deg[0, k])
    return {"seen": True, "t_s": tr.first_detection_t_s, "downrange_km": float(d) / 1000,
            "warhead": tr.first_detection_t_s > tl.burn_time_s, "apogee_km": float(traj.apogee_m[0]) / 1000}


def _lofted_for(lid: str, cid: str, downrange_km: float) -> float | None:
    """Lowest lofted apogee (km, to 25 km) at which Brdy's first sight is within downrange_km."""
    lo, hi = 0.0, None
    m, s, c = cat.missile("irbm"), cat.launch_site(lid), cat.target(cid)
    t, _ = aim_missile(m, s.lat_deg, s.lon_deg, c.lat_deg, c.lon_deg, mode="lofted", apogee_m=1.0, errors="mask")
    a_min, a_max = (float(x) / 1000 for x in t.apogee_bounds_m[0])
    top = _brdy_first_sight(lid, cid, mode="lofted", apogee_m=a_max * 1000 - 1)
    if not top or not top["seen"] or top["downrange_km"] > downrange_km:
        return None
    lo, hi = a_min, a_max - 0.001
    while hi - lo > 25.0:
        mid = 0.5 * (lo + hi)
        r = _brdy_first_sight(lid, cid, mode="lofted", apogee_m=mid * 1000)
        lo, hi = (lo, mid) if r and r["seen"] and r["downrange_km"] <= downrange_km else (mid, hi)
    return hi


def row_mda_unseen() -> dict:
    """MDA director: the Czech radar cannot search; the first 245/450/850 km of flight go unseen."""
    out = {lid: {cid: _brdy_first_sight(lid, cid) for cid in ("berlin", "paris", "warsaw", "rome", "london")}
           for lid in IRAN}
    span = {lid: (min(v["downrange_km"] for v in d.values() if v and v["seen"]),
                  max(v["downrange_km"] for v in d.values() if v and v["seen"])) for lid, d in out.items()}
    lofted = {cid: _lofted_for("tabriz", cid, 245.0) for cid in ("warsaw", "berlin")}
    ok = (span["tabriz"][1] < 700 and min(span["isfahan"][0], span["shahrud"][0]) > 700
          and any(v is not None for v in lofted.values()))
    return {"first_sight": out, "span_km": span, "tabriz_lofted_apogee_for_245_km": lofted,
            "verdict": "yes" if ok else "no"}


def row_lewis_postol() -> dict:
    """Lewis & Postol 2008: the Czech radar would, on most trajectories, never detect the warhead."""
    counts = {}
    for rcs in (None, 0.001):
        m = cat.missile("irbm") if rcs is None else dataclasses.replace(cat.missile("irbm"), warhead_rcs_m2=rcs)
        seen = total = 0
        for lid in IRAN:
            site = cat.launch_site(lid)
            for cid in ("berlin", "paris", "warsaw", "rome", "london", "brussels", "prague"):
                c = cat.target(cid)
                traj, ok = aim_missile(m, site.lat_deg, site.lon_deg, c.lat_deg, c.lon_deg, errors="mask")
                if not ok[0]:
                    continue
                tl = timeline(traj, [RadarView(cat.radar("kurecik")), RadarView(cat.radar("brdy-emr"))])
                tr = tl.tracks[1]
                total += 1
                seen += bool(tr.first_detection_t_s is not None and tr.visible_s > 0
                             and tl.visible["brdy-emr"][~tl.samples.boosting[0]].any())
        counts["catalog" if rcs is None else f"{rcs:g} m2"] = (seen, total)
    never = any(s < 0.5 * n for s, n in counts.values())
    return {"warhead_seen": counts, "verdict": "yes" if never else "no"}


def row_butt_postol() -> dict:
    """Butt & Postol 2011: the EPAA offers "little, if any" real protection."""
    p1, p3 = defended("epaa-phase1-2011"), defended("epaa-phase3-2018")
    n1 = sum(v["defended"] for v in p1.values())
    n3 = sum(v["defended"] for v in p3.values())
    reach = sum(bool(v["reachable_from"]) for v in p1.values())
    return {"phase1_defended": n1, "phase3_defended": n3, "reachable": reach,
            "phase1": p1, "phase3": p3, "verdict": "partly" if n1 <= 2 and n3 > n1 else "other"}


def latest_launch_s(lid: str, cid: str, speed_mps: float) -> float | None:
    """Latest time after the ICBM's launch (s) at which a GBI from Redzikowo can launch and
    still reach a point of the trajectory (in its altitude window) before the warhead does."""
    gbi = cat.interceptor("redzikowo-gbi")
    site, c = cat.launch_site(lid), cat.target(cid)
    traj, _ = aim_missile(cat.missile("topol-m"), site.lat_deg, site.lon_deg, c.lat_deg, c.lon_deg)
    s = traj.sample(400)
    d, _, _ = gc.inverse(np.full(s.t_s.shape[1], gbi.lat_deg), np.full(s.t_s.shape[1], gbi.lon_deg),
                         s.lat_deg[0], s.lon_deg[0])
    tf = flyout_table(gbi, speed_mps=speed_mps).time_to(d, s.altitude_m[0])
    slack = s.t_s[0] - tf
    return float(np.nanmax(slack)) if np.isfinite(slack).any() else None


def row_mda_postol() -> dict:
    """MDA vs Postol: could GBIs in Poland catch Russian ICBMs bound for the US?"""
    gbi = cat.interceptor("redzikowo-gbi")
    out = {}
    for lid, cid in RUSSIAN_PAIRS:
        site, c = cat.launch_site(lid), cat.target(cid)
        sensors = {}
        for sc in ("third-site-2007",):  # the 2007 sensors, with the speed swept
            arch_rows = [Architecture(_arch(sc, "topol-m").scenario, interceptor_speed_mps=v).engage_points(
                site.lat_deg, site.lon_deg, c.lat_deg, c.lon_deg).row(0)["defended"] for v in SPEEDS]
            sensors[sc] = dict(zip(SPEEDS, arch_rows, strict=True))
        traj, _ = aim_missile(cat.missile("topol-m"), site.lat_deg, site.lon_deg, c.lat_deg, c.lon_deg)
        tl = timeline(traj, [RadarView(cat.radar("fylingdales"))])
        fy = tl.tracks[0].track_formed_t_s
        latest = {v: latest_launch_s(lid, cid, v) for v in SPEEDS}
        out[(lid, cid)] = {"third_site_defended": sensors["third-site-2007"], "latest_launch_s": latest,
                           "fylingdales_track_s": fy,
                           "earliest_launch_on_fylingdales_s": None if fy is None else fy + gbi.commit_delay_s}
    mda = not any(any(r["third_site_defended"].values()) for r in out.values())
    slow_too_late = all(r["latest_launch_s"][5400.0] is None or r["earliest_launch_on_fylingdales_s"] is None
                        or r["latest_launch_s"][5400.0] < r["earliest_launch_on_fylingdales_s"] for r in out.values())
    fast_in_time = all(r["latest_launch_s"][v] is not None and r["earliest_launch_on_fylingdales_s"] is not None
                       and r["latest_launch_s"][v] > r["earliest_launch_on_fylingdales_s"]
                       for r in out.values() for v in (7700.0, 9000.0))
    return {"pairs": out, "verdict": "both" if mda and slow_too_late and fast_in_time else "other"}


# ------------------------------------------------------------------ robustness column
#: Parameter sets per scenario for the robustness column (Saltelli design: 64 // (D + 2)
#: base samples, so 60-64 sets for the bundled scenarios' 3-6 uncertain parameters).
ROBUSTNESS_SETS = 64


@cache
def _robust_run(sc_name: str, n_sets: int = ROBUSTNESS_SETS, launches: tuple[str, ...] = tuple(IRAN),
                plain: bool = False):
    """The scenario over its bundled [uncertain] ranges, the cities only (what the verdicts
    need). ``plain``: ``n_sets`` scrambled Sobol' points (geocover.uncertainty.sample_plain:
    shares of sets, no indices) instead of the Saltelli/Morris design of ``--samples n_sets``."""
    from geocover.robustness import robustness
    from geocover.uncertainty import sample_plain

    sc = load_scenario(sc_name)
    design = sample_plain(sc.uncertain, n_sets, seed=0) if plain else None
    return robustness(sc, n_sets, seed=0, launches=list(launches), design=design, scheduler="none",
                      progress=False, indices=False, grid=False)


def _short(key: str) -> str:
    """'interceptors.redzikowo-gbi.burnout_speed_mps' -> 'redzikowo-gbi burnout_speed_mps'."""
    parts = key.split(".")
    return " ".join(parts[1:]) if len(parts) == 3 else key


def robust(sc_name: str, verdict, n_sets: int = ROBUSTNESS_SETS, plain: bool = False) -> dict:
    """P(verdict) over the scenario's [uncertain] ranges and the parameters that decide it
    (geocover.robustness.verdict_robustness; ``verdict(defended, reachable)`` on dicts city -> bool);
    ``n_sets`` and ``plain`` as :func:`_robust_run` (tests/test_claims.py draws a few plain sets)."""
    from geocover.robustness import verdict_robustness

    res = _robust_run(sc_name, n_sets, plain=plain)
    out = verdict_robustness(res, verdict)
    out["drivers"] = [_short(k) for k in out["drivers"]]
    # the closest call: the defended city with the smallest 5th-percentile battle space (s)
    # against the launch sites that reach it, over the sets
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a city no launch reaches: all-NaN, stays NaN
        worst = np.nanmin(np.where(res.city_reachable, res.city_battle_space_s, np.nan), axis=1)  # (sets, cities)
    p5 = {c.id: float(np.nanpercentile(worst[:, k], 5)) for k, c in enumerate(res.cities)
          if c.id in CITIES and np.isfinite(worst[:, k]).any() and np.nanpercentile(worst[:, k], 5) > 0}
    out["closest"] = min(p5.items(), key=lambda kv: kv[1]) if p5 else None
    return out


def _nato_holds(d: dict, r: dict) -> bool:
    reach = [c for c in CITIES if r[c]]
    ok = [c for c in reach if d[c]]
    return len(ok) >= 0.75 * len(reach) and not {"ankara", "incirlik"} & set(ok)


def robustness_rows(n_sets: int = ROBUSTNESS_SETS, plain: bool = False) -> dict[str, list[tuple[str, dict]]]:
    """The robustness column: per claim, P(verdict) over the published ranges and its drivers."""
    three = ["london", "paris", "brussels"]

    def holds(sc_name, verdict):
        return robust(sc_name, verdict, n_sets, plain)

    return {
        "nato": [("third-site-2007: 'partly' (>= 3/4 of reachable cities defended, not Ankara/Incirlik)",
                  holds("third-site-2007", _nato_holds))],
        "obering": [("third-site-2007 defends London, Paris and Brussels",
                     holds("third-site-2007", lambda d, r: all(d[c] for c in three))),
                    ("epaa-phase3-2018 defends none of them",
                     holds("epaa-phase3-2018", lambda d, r: not any(d[c] for c in three)))],
        "wilkening": [("third-site-2007 defends Moscow", holds("third-site-2007", lambda d, r: d["moscow"])),
                      ("turkey-radar-2008 defends Moscow", holds("turkey-radar-2008", lambda d, r: d["moscow"])),
                      ("epaa-phase3-2018 does not", holds("epaa-phase3-2018", lambda d, r: not d["moscow"]))],
        "butt_postol": [("epaa-phase1-2011 defends at most 2 of the 17 cities",
                         holds("epaa-phase1-2011", lambda d, r: sum(d[c] for c in CITIES) <= 2)),
                        ("epaa-phase3-2018 defends more than 2",
                         holds("epaa-phase3-2018", lambda d, r: sum(d[c] for c in CITIES) > 2))],
    }


ROME_SPEED = "interceptors.deveselu-sm3-ib.burnout_speed_mps"


def rome_from_tabriz(n_sets: int = 28, plain: bool = False) -> dict:
    """A city that does move: Rome against a Tabriz launch under ``epaa-phase3-2018``'s ranges
    (``geocover robustness epaa-phase3-2018 --samples 28 --launch tabriz``): the share of sets
    that defend it, and the SM-3 IB burnout speeds (m/s) of the sets that do and do not (the
    speed alone decides it when every defended set is faster than every undefended one). The
    sets do not depend on the launch sites engaged, so the column's run of every Iranian launch
    area is reused (its Tabriz verdicts are those of ``--launch tabriz``)."""
    res = _robust_run("epaa-phase3-2018", n_sets, tuple(IRAN), plain)
    k = [c.id for c in res.cities].index("rome")
    d = res.city_defended[:, res.launches.index("tabriz"), k]
    speed = np.array([v[ROME_SPEED] for v in res.design.values])
    return {"p": float(d.mean()), "sets": res.n_sets, "defended": int(d.sum()),
            "speeds_defended_mps": sorted(speed[d].tolist()), "speeds_undefended_mps": sorted(speed[~d].tolist())}


ROWS = {"nato": row_nato, "obering": row_obering, "wilkening": row_wilkening, "aca": row_aca,
        "mda_unseen": row_mda_unseen, "lewis_postol": row_lewis_postol, "butt_postol": row_butt_postol,
        "mda_postol": row_mda_postol}


def main() -> None:
    r = row_nato()
    print(f"1. NATO 2007 (third-site-2007, IRBM class {cat.missile('irbm').range_m / 1000:,.0f} km): "
          f"{r['defended']} of {r['reachable']} reachable cities defended against every launch area; verdict "
          f"{r['verdict']}")
    print("   " + _fmt(r["cities"]))
    for sc in ("turkey-radar-2008", "gabala-offer-2007", "epaa-phase1-2011", "epaa-phase3-2018"):
        print(f"   {sc}: " + _fmt(defended(sc)))
    r = row_obering()
    print(f"2. Obering (London, Paris, Brussels): verdict {r['verdict']}")
    for k in ("third-site-2007", "epaa-phase3-2018", "third-site-2007, 5,000 km class"):
        print(f"   {k}: " + _fmt(r[k]) + "; reachable from: "
              + "; ".join(f"{c} {','.join(v['reachable_from']) or '-'}" for c, v in r[k].items()))
    r = row_wilkening()
    print(f"3. Wilkening (Moscow): verdict {r['verdict']}: " + _fmt(r["moscow"]))
    r = row_aca()
    print(f"4. ACA 2016, Sejjil-2 class from Tabriz, rotating Earth: verdict {r['verdict']}")
    for cid, v in r["cities"].items():
        print(f"   {cid}: {v['distance_km']:,.0f} km, {'reached' if v['reached'] else 'out of reach'}; "
              f"the class loses {v['westward_loss_pct']:.2f} % of its range on that azimuth")
    r = row_mda_unseen()
    print(f"5. MDA director, first km unseen by the cued Brdy radar (Kürecik cues): verdict {r['verdict']}")
    for lid, d in r["first_sight"].items():
        print(f"   from {lid}: " + "; ".join(
            f"{cid}: " + ("out of reach" if v is None else "never" if not v["seen"] else
                          f"{v['t_s']:.0f} s, {v['downrange_km']:,.0f} km downrange"
                          f"{' (warhead)' if v['warhead'] else ' (boosting)'}") for cid, v in d.items()))
    for cid, a in r["tabriz_lofted_apogee_for_245_km"].items():
        print(f"   Tabriz -> {cid}, lofted: first sight within 245 km downrange from an apogee of "
              + ("(never, within the class)" if a is None else f"{a:,.0f} km"))
    r = row_lewis_postol()
    print(f"6. Lewis & Postol: warhead seen by the cued Brdy radar (flights seen / flights): "
          f"{r['warhead_seen']}; verdict {r['verdict']}")
    r = row_butt_postol()
    print(f"7. Butt & Postol: EPAA phase 1 defends {r['phase1_defended']}, phase 3 {r['phase3_defended']} of "
          f"{r['reachable']} reachable cities; verdict {r['verdict']}")
    r = row_mda_postol()
    print(f"8. MDA vs Postol, Topol-M class to the US, GBI at Redzikowo: verdict {r['verdict']}")
    for (lid, cid), v in r["pairs"].items():
        sens = ", ".join(f"{s / 1000:.1f} km/s: {'yes' if ok else 'no'}" for s, ok in v["third_site_defended"].items())
        late = ", ".join(f"{s / 1000:.1f} km/s: " + ("never" if t is None else f"{t:.0f} s")
                         for s, t in v["latest_launch_s"].items())
        fy = v["earliest_launch_on_fylingdales_s"]
        print(f"   {lid} -> {cid}: 2007 sensors: {sens}; latest GBI launch after the ICBM's: {late}; "
              f"earliest on a Fylingdales track + commit delay: " + ("never" if fy is None else f"{fy:.0f} s"))
    print(f"Robustness over the bundled [uncertain] ranges ({ROBUSTNESS_SETS} parameter sets per scenario, "
          "Sobol' design, seed 0; geocover robustness SCENARIO --samples 64 --seed 0):")
    for claim, items in robustness_rows().items():
        for what, v in items:
            close = v["closest"]
            print(f"   {claim}: {what}: in {100 * v['p']:.0f} % of {v['sets']} sets; decided by "
                  + (", ".join(v["drivers"]) or "no parameter (the verdict never changes)")
                  + (f"; closest call {close[0]} (5 % of sets below {close[1]:.0f} s of battle space)" if close
                     else ""))
    r = rome_from_tabriz()
    lo, hi = max(r["speeds_undefended_mps"], default=None), min(r["speeds_defended_mps"], default=None)
    print(f"   a city that moves: Rome against Tabriz, epaa-phase3-2018: defended in {100 * r['p']:.0f} % of "
          f"{r['sets']} sets (geocover robustness epaa-phase3-2018 --samples 28 --launch tabriz); SM-3 IB burnout "
          f"speed of the undefended sets up to {lo} m/s, of the defended from {hi} m/s")


if __name__ == "__main__":
    main()
