"""Examine the published claims of the 2007-2011 debate with geocover's bundled data.

Prints the numbers behind the README section "The published claims, examined".

    python examples/claims.py
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

import geocover as gc
from geocover.footprint import Architecture
from geocover.interceptor import flyout_table
from geocover.radar import RadarView
from geocover.scenario import load_scenario
from geocover.timeline import timeline
from geocover.trajectory import aim_missile

warnings.simplefilter("ignore", RuntimeWarning)
cat = gc.default_catalog()
IRAN = ["tabriz", "tehran", "isfahan", "shahrud"]
CITIES = ["london", "paris", "brussels", "berlin", "warsaw", "prague", "vienna", "budapest", "rome", "madrid",
          "oslo", "athens", "sofia", "bucharest", "ankara", "incirlik", "moscow"]


def defended_against_all(sc_name: str, missile: str = "irbm") -> dict[str, str]:
    sc = load_scenario(sc_name)
    sc = dataclasses.replace(sc, missile=cat.missile(missile))
    arch = Architecture(sc)
    out = {}
    for cid in CITIES:
        c = cat.target(cid)
        rows = [arch.engage_points(cat.launch_site(lid).lat_deg, cat.launch_site(lid).lon_deg, c.lat_deg,
                                   c.lon_deg).row(0) for lid in IRAN]
        reach = [r for r in rows if r["reachable"]]
        if not reach:
            out[cid] = "out of reach"
        elif all(r["defended"] for r in reach):
            out[cid] = f"defended ({min(r['battle_space_s'] for r in reach):.0f} s)"
        else:
            out[cid] = "NOT defended"
    return out


print("1. Cities defended against an IRBM from every Iranian launch area that reaches them")
for sc in ("third-site-2007", "turkey-radar-2008", "gabala-offer-2007", "epaa-phase1-2011", "epaa-phase3-2018"):
    res = defended_against_all(sc)
    print(f"   {sc}: " + "; ".join(f"{k} {v}" for k, v in res.items()))

print("2. Reach of the ~2,000 km class (Sejjil-2) from Tabriz, rotating Earth")
m = cat.missile("sejjil-2")
t = cat.launch_site("tabriz")
for cid in ("ankara", "athens", "sofia", "bucharest", "warsaw", "rome"):
    c = cat.target(cid)
    _, ok = aim_missile(m, t.lat_deg, t.lon_deg, c.lat_deg, c.lon_deg, errors="mask")
    d, _, _ = gc.inverse(t.lat_deg, t.lon_deg, c.lat_deg, c.lon_deg)
    print(f"   {cid}: {d / 1000:,.0f} km, {'reached' if ok[0] else 'out of reach'}")

print("3. The Brdy radar, cued: when does it first see the missile, how far from the launch point?")
brdy = cat.radar("brdy-emr")
for lid in IRAN:
    site = cat.launch_site(lid)
    seen = []
    for cid in ("berlin", "paris", "warsaw", "rome", "london"):
        c = cat.target(cid)
        traj, ok = aim_missile(cat.missile("irbm"), site.lat_deg, site.lon_deg, c.lat_deg, c.lon_deg, errors="mask")
        if not ok[0]:
            continue
        tl = timeline(traj, [RadarView(cat.radar("kurecik")), RadarView(brdy)])
        tr = tl.tracks[1]
        if tr.first_detection_t_s is None:
            seen.append(f"{cid}: never")
            continue
        s = tl.samples
        k = int(np.argmin(np.abs(s.t_s[0] - tr.first_detection_t_s)))
        d, _, _ = gc.inverse(site.lat_deg, site.lon_deg, s.lat_deg[0, k], s.lon_deg[0, k])
        post_boost = tr.first_detection_t_s > tl.burn_time_s
        seen.append(f"{cid}: {tr.first_detection_t_s:.0f} s, {d / 1000:,.0f} km downrange"
                    f"{' (warhead)' if post_boost else ' (boosting)'}")
    print(f"   from {lid}: " + "; ".join(seen))

print("4. Russian ICBMs (Topol-M class) to the US against GBIs in Poland, interceptor speed swept")
sc = load_scenario("third-site-2007")
sc = dataclasses.replace(sc, missile=cat.missile("topol-m"))
for lid, cid in (("teykovo", "washington"), ("kozelsk", "new-york"), ("tatishchevo", "washington")):
    site, c = cat.launch_site(lid), cat.target(cid)
    res = []
    for v in (5400.0, 6300.0, 7700.0, 9000.0):
        r = Architecture(sc, interceptor_speed_mps=v).engage_points(site.lat_deg, site.lon_deg, c.lat_deg,
                                                                   c.lon_deg).row(0)
        res.append(f"{v / 1000:.1f} km/s: {'yes' if r['defended'] else 'no'}")

    print(f"   {lid} -> {cid}: " + ", ".join(res))

print("5. Kinematics alone: could a GBI from Redzikowo reach the Topol-M trajectory at all?")
gbi = cat.interceptor("redzikowo-gbi")
for lid, cid in (("teykovo", "washington"), ("kozelsk", "new-york")):
    site, c = cat.launch_site(lid), cat.target(cid)
    traj, _ = aim_missile(cat.missile("topol-m"), site.lat_deg, site.lon_deg, c.lat_deg, c.lon_deg)
    s = traj.sample(400)
    d, _, _ = gc.inverse(np.full(s.t_s.shape[1], gbi.lat_deg), np.full(s.t_s.shape[1], gbi.lon_deg),
                         s.lat_deg[0], s.lon_deg[0])
    res = []
    for v in (5400.0, 6300.0, 7700.0, 9000.0):
        tf = flyout_table(gbi, speed_mps=v).time_to(d, s.altitude_m[0])
        # launched at once (t = 0, perfect early warning), commit delay as in the catalog
        ok = s.t_s[0] >= gbi.commit_delay_s + tf
        res.append(f"{v / 1000:.1f} km/s: {'yes' if ok.any() else 'no'}")
    print(f"   {lid} -> {cid}: closest approach {d.min() / 1000:,.0f} km; " + ", ".join(res))
