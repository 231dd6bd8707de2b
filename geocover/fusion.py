"""Data fusion: what a track-sharing link between radar networks is worth.

A scenario's ``[networks]`` put its radars under owners and declare links between them
(latency, use): :attr:`geocover.scenario.Scenario.links` turns them into the radar-to-radar
:class:`geocover.tracking.Link` list that the one track-and-cue rule applies (a ``cue`` link
lets a radar that cannot search acquire from the other side's track; an ``early_warning``
link only carries the alert).

The *home* network is the one holding the scenario's fire-control radars: the defender.
Its **warning time** counts only what reaches it: the first sample any home radar counts,
or a foreign radar's track formation plus the latency of a link into home (either use),
whichever is earlier; warning = impact time − that. (The architecture's raw
``first_detection_t_s`` counts every radar of the scenario at once, as if all belonged to the
defender; :meth:`geocover.engine.ScenarioRun.defender_view` replaces it by this one in what
``engage``, ``footprint``, ``compare`` and the map report.)

:func:`link_value` reports, per launch area and per foreign network linked into home:
mean warning time over the catalog's reachable target cities with and without that network
(over every (class, city) flight of the threat set's classes launched there), cities
defended with and without it (defended against every class that reaches them,
:data:`geocover.engine.DEFENDED_RULE`), the defended area (km², a ``resolution_deg`` footprint,
against that launch area) with and without it, a latency sweep of the warning gain, and the
latency at which the gain disappears — exactly, per flight, ``latency* = t_home − t_foreign``
(home's own first detection minus the foreign track formation): a link slower than that adds
nothing to that flight.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .compare import area_km2, defended_over_pairs
from .errors import InputError
from .footprint import Architecture, FlightTracks, footprint
from .refraction import DEFAULT_VISIBILITY_MODEL
from .scenario import NetworkLink, Scenario
from .tracking import first_true_t
from .trajectory import aim_missile

__all__ = ["defender_warning", "home_network", "link_value", "with_latency", "without_network"]


def home_network(sc: Scenario) -> str:
    """The network holding the scenario's fire-control radars (the defender)."""
    if not sc.networks:
        raise InputError(f"{sc.path}: the scenario has no [networks]")
    owners = {r: n for n, rs in sc.networks.items() for r in rs}
    homes = list(dict.fromkeys(owners[r] for r in sc.fire_control))
    if len(homes) != 1:
        raise InputError(f"{sc.path}: key 'networks': the fire-control radars belong to several networks "
                         f"({', '.join(homes)}); put them in one (the defender's)")
    return homes[0]


def without_network(sc: Scenario, name: str) -> Scenario:
    """The scenario without a foreign network's radars and links."""
    if name == home_network(sc):
        raise InputError(f"{name!r} is the defender's own network")
    gone = set(sc.networks[name])
    nets = {k: v for k, v in sc.networks.items() if k != name}
    return dataclasses.replace(
        sc, radars={k: v for k, v in sc.radars.items() if k not in gone},
        early_warning=[r for r in sc.early_warning if r not in gone], networks=nets,
        network_links=[lk for lk in sc.network_links if name not in (lk.source, lk.target)])


def with_latency(sc: Scenario, source: str, latency_s: float) -> Scenario:
    """The scenario with every link from ``source`` into the home network at ``latency_s``."""
    home = home_network(sc)
    return dataclasses.replace(sc, network_links=[
        NetworkLink(lk.source, lk.target, float(latency_s), lk.use) if (lk.source, lk.target) == (source, home)
        else lk for lk in sc.network_links])


def defender_warning(sc: Scenario, ft: FlightTracks, flight_time_s: np.ndarray) -> dict[str, np.ndarray]:
    """Per flight: ``home_t_s`` (home radars' first counted sample), ``foreign_t_s`` per
    foreign network linked into home (its earliest track formation, before latency), and
    ``alert_t_s`` (the earlier of home's and each link's delivery: formation + latency)."""
    home = home_network(sc)
    trk = ft.tracks
    n = trk.t_s.shape[0]
    home_t = np.full(n, np.nan)
    for r in sc.networks[home]:
        home_t = np.fmin(home_t, first_true_t(trk.t_s, trk.counted[r]))
    foreign: dict[str, np.ndarray] = {}
    alert = home_t.copy()
    for lk in sc.network_links:
        if lk.target != home:
            continue
        f = np.full(n, np.nan)
        for r in sc.networks[lk.source]:
            f = np.fmin(f, trk.formed_t_s[r])
        foreign[lk.source] = np.fmin(foreign.get(lk.source, f), f)
        alert = np.fmin(alert, f + lk.latency_s)
    return {"home_t_s": home_t, "foreign_t_s": foreign, "alert_t_s": alert,
            "warning_time_s": np.asarray(flight_time_s, float) - alert}


def _mean(a) -> float | None:
    a = np.asarray(a, float)
    return float(np.mean(a[np.isfinite(a)])) if np.isfinite(a).any() else None


def link_value(sc: Scenario, launches: list[str] | None = None, *,
               latencies_s=(0.0, 30.0, 60.0, 120.0, 300.0, 600.0), resolution_deg: float = 1.0,
               model=DEFAULT_VISIBILITY_MODEL) -> dict:
    """What each foreign network linked into the defender's is worth (module docstring).

    Parameters
    ----------
    sc : Scenario
        A scenario with ``[networks]``.
    launches : list of str, optional
        Launch-site ids [default: the scenario's].
    latencies_s : sequence of float
        Latencies (s) of the sweep.
    resolution_deg : float
        Footprint resolution for the defended areas (km² on WGS84; coarser is faster).

    Returns
    -------
    dict
        ``{"home": name, "links": [...], "launches": {launch: {network: {...}}}}``.
    """
    home = home_network(sc)
    foreign = list(dict.fromkeys(lk.source for lk in sc.network_links if lk.target == home))
    if any(not lat >= 0 for lat in latencies_s):
        raise InputError(f"latencies must be >= 0 s, got {list(latencies_s)}")
    cat = sc.catalog
    targets = cat.sites("target")
    tlat = np.array([t.lat_deg for t in targets])
    tlon = np.array([t.lon_deg for t in targets])
    arch = Architecture(sc, model=model)
    variants = {n: Architecture(without_network(sc, n), model=model) for n in foreign}
    out: dict = {"scenario": sc.id, "home": home,
                 "links": [dataclasses.asdict(lk) for lk in sc.network_links], "launches": {}}
    for lid in launches or sc.launch_sites:
        site = cat.launch_site(lid)
        missiles = sc.missiles_for(lid)  # every class of the threat set launched there
        flights = []
        for m in missiles:
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                traj, ok = aim_missile(m, site.lat_deg, site.lon_deg, tlat, tlon, errors="mask")
            ft = arch.track(traj)
            flights.append((traj, ok, ft, arch.engage(traj, ok, tracks=ft),
                            defender_warning(sc, ft, traj.flight_time_s)))
        # per (class, city) flight, classes stacked along the first axis
        ok = np.stack([f[1] for f in flights])
        impact = np.stack([np.asarray(f[0].flight_time_s, float) for f in flights])
        warn_with = np.where(ok, np.stack([f[4]["warning_time_s"] for f in flights]), np.nan)
        fp = footprint(arch, [lid], resolution_deg=resolution_deg).battle_space_s[lid]
        area = area_km2(np.isfinite(fp) & (fp > 0), sc.bbox_deg[3], resolution_deg)
        # a city is defended when defended against every class that reaches it (engine.DEFENDED_RULE)
        reached, beaten = defended_over_pairs(ok, np.stack([f[3].defended for f in flights]))
        home_t = np.where(ok, np.stack([f[4]["home_t_s"] for f in flights]), np.nan)
        # exact per flight: the gain of a link at latency L is max(0, t_home - (t_foreign + L))
        # (t_home NaN: home never sees it; then any latency gains, until impact)
        t_home_or_impact = np.where(np.isfinite(home_t), home_t, impact)
        per: dict = {}
        for n in foreign:
            a2 = variants[n]
            without = []
            for traj, ok_m, _, _, _ in flights:
                ft2 = a2.track(traj)
                without.append((a2.engage(traj, ok_m, tracks=ft2), defender_warning(a2.scenario, ft2,
                                                                                    traj.flight_time_s)))
            fp2 = footprint(a2, [lid], resolution_deg=resolution_deg).battle_space_s[lid]
            area2 = area_km2(np.isfinite(fp2) & (fp2 > 0), sc.bbox_deg[3], resolution_deg)
            f_t = np.where(ok, np.stack([f[4]["foreign_t_s"][n] for f in flights]), np.nan)
            breakeven = t_home_or_impact - f_t
            sweep = []
            for lat in latencies_s:
                gain = np.clip(t_home_or_impact - (f_t + lat), 0.0, None)
                gain = np.where(np.isfinite(f_t) & ok, gain, np.where(ok, 0.0, np.nan))
                sweep.append({"latency_s": float(lat), "mean_warning_gain_s": _mean(gain),
                              "flights_gaining": int(np.sum(gain > 0))})
            _, beaten2 = defended_over_pairs(ok, np.stack([e.defended for e, _ in without]))
            per[n] = {
                "missiles": [m.id for m in missiles],
                "cities_reached": int(reached.sum()), "flights_reached": int(ok.sum()),
                "mean_warning_time_s_with": _mean(warn_with),
                "mean_warning_time_s_without": _mean(np.where(ok, np.stack([w["warning_time_s"]
                                                                           for _, w in without]), np.nan)),
                "cities_defended_with": int(beaten.sum()),
                "cities_defended_without": int(beaten2.sum()),
                "defended_area_km2_with": area, "defended_area_km2_without": area2,
                "latency_sweep": sweep,
                "gain_disappears_at_latency_s": (float(np.nanmax(np.clip(breakeven, 0.0, None)))
                                                 if np.isfinite(breakeven).any() else None),
            }
        out["launches"][lid] = per
    return out


def link_values(scenarios: list[Scenario], launches: list[str] | None = None, **kw) -> dict:
    """:func:`link_value` of every scenario whose ``[networks]`` link a foreign network into
    the defender's ({} when none): what ``geocover compare`` writes to ``links.json``."""
    out = {}
    for sc in scenarios:
        if not sc.networks:
            continue
        try:
            home = home_network(sc)
        except InputError:  # fire-control radars in several networks: no single defender
            continue
        if any(lk.target == home for lk in sc.network_links):
            out[sc.id] = link_value(sc, launches, **kw)
    return out


def link_summary(values: dict) -> list[str]:
    """One line per (scenario, launch, linked network): warning gain at the scenario's
    latency, cities and area with/without, the break-even latency."""
    lines = []
    for sid, v in values.items():
        for lid, per in v["launches"].items():
            for net, d in per.items():
                w1, w0 = d["mean_warning_time_s_with"], d["mean_warning_time_s_without"]
                gain = f"{w1 - w0:+.1f} s" if w1 is not None and w0 is not None else "n/a"
                be = d["gain_disappears_at_latency_s"]
                lines.append(f"{sid}, {lid}: network {net!r} adds {gain} of warning (mean over "
                             f"{d['cities_reached']} cities), cities defended {d['cities_defended_without']} -> "
                             f"{d['cities_defended_with']}, defended area {d['defended_area_km2_without']:,.0f} -> "
                             f"{d['defended_area_km2_with']:,.0f} km2; no gain beyond "
                             + (f"{be:.0f} s of latency" if be is not None else "any latency (never seen)"))
    return lines
