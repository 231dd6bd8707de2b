"""Sectoral defence as geography: which countries a missile's ground track overflies, and
which side a sectoral proposal would make responsible for it.

The ground track is the trajectory's own sub-missile points on the rotating Earth
(:meth:`geocover.trajectory.Trajectory.sample` at an even time step; not a great circle),
tested against the bundled Natural Earth 1:50m country outlines
(``data/countries/world_countries_ne50m.geojson``). Outlines carry ISO 3166 numeric codes;
they are turned into ISO 3166-1 alpha-3 with :mod:`pycountry` (Kosovo, which has no ISO
code, gets the user-assigned ``XKX`` the EU and IMF use; the four other outlines without a
code are never listed).

Overflights count **after boost** (the boosting missile is over the launch country and is
the launching side's business). Over the sea no country is overflown.

Responsibility rules (a scenario's ``[sectors] rule``):

* ``first``: the side owning the first overflown country (after boost) that is in a sector;
* ``longest``: the side whose sector countries the track overflies for the longest time
  (ties: the one reached first).

None when the track overflies no sector country.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._paths import data_dir
from .errors import InputError

__all__ = ["RULES", "Overflight", "country_codes", "overflights", "responsible_side"]

RULES = ("first", "longest")
#: ISO 3166 has no code for Kosovo; XKX is the user-assigned code the EU and IMF use.
_NO_ISO = {"Kosovo": "XKX"}
#: Time step (s) of the ground track.
STEP_S = 5.0


@dataclass(frozen=True)
class Overflight:
    """One pass over a country: ISO alpha-3 code, name, first/last time (s after launch)
    and seconds overflown (samples x step)."""

    code: str
    name: str
    first_t_s: float
    last_t_s: float
    duration_s: float

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "first_t_s": self.first_t_s, "last_t_s": self.last_t_s,
                "duration_s": self.duration_s}


@lru_cache(maxsize=1)
def _outlines():
    import pycountry
    import shapely
    from shapely.geometry import shape

    path = data_dir() / "countries" / "world_countries_ne50m.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    codes, names, geoms = [], [], []
    for f in doc["features"]:
        p = f["properties"]
        num = p.get("iso_n3")
        c = pycountry.countries.get(numeric=num) if num else None
        code = c.alpha_3 if c else _NO_ISO.get(p.get("name", ""))
        if not code:
            continue
        codes.append(code)
        names.append(p["name"])
        geoms.append(shape(f["geometry"]))
    geoms_arr = np.array(geoms, dtype=object)
    return codes, names, geoms_arr, shapely.STRtree(geoms_arr)


def country_codes() -> dict[str, str]:
    """ISO 3166-1 alpha-3 code -> country name, for every bundled outline with a code."""
    codes, names, _, _ = _outlines()
    return dict(zip(codes, names, strict=True))


def overflights(traj, *, step_s: float = STEP_S, after_boost: bool = True) -> list[list[Overflight]]:
    """For each trajectory, the countries its ground track overflies, in order of first
    overflight; a country left and re-entered counts once (its times span both passes).

    Parameters
    ----------
    traj : Trajectory
        Aimed trajectories (rows with a NaN flight time give an empty list).
    step_s : float
        Time step of the ground track, s (5 s: about 15-35 km of ground at ICBM/IRBM speeds;
        a country crossed in less than that can be missed).
    after_boost : bool
        Count only the free flight (default), or the whole flight.
    """
    codes, names, _, tree = _outlines()
    s = traj.sample(step_s=step_s)
    tof = np.atleast_1d(traj.flight_time_s)
    out: list[list[Overflight]] = []
    for i in range(s.t_s.shape[0]):
        if not np.isfinite(tof[i]):
            out.append([])
            continue
        t = s.t_s[i]
        keep = np.isfinite(s.lat_deg[i]) & (np.r_[True, np.diff(t) > 0])  # samples past impact repeat it
        if after_boost:
            keep &= ~s.boosting[i]
        t, lat = t[keep], s.lat_deg[i][keep]
        lon = (s.lon_deg[i][keep] + 180.0) % 360.0 - 180.0
        import shapely

        pts = shapely.points(lon, lat)
        pi, gi = tree.query(pts, predicate="intersects")
        order = np.lexsort((gi, pi))
        seen: dict[int, list] = {}
        for k in order:
            g = int(gi[k])
            tk = float(t[pi[k]])
            if g not in seen:
                seen[g] = [tk, tk, 0]
            seen[g][1] = tk
            seen[g][2] += 1
        passes = sorted(seen.items(), key=lambda kv: kv[1][0])
        out.append([Overflight(codes[g], names[g], a, b, n * step_s) for g, (a, b, n) in passes])
    return out


def responsible_side(passes: list[Overflight], sectors: dict[str, list[str]], rule: str = "first") -> str | None:
    """The side responsible for a threat under a sectoral rule (module docstring)."""
    if rule not in RULES:
        raise InputError(f"sector rule must be one of {', '.join(RULES)}, got {rule!r}")
    owner = {c: side for side, cs in sectors.items() for c in cs}
    mine = [p for p in passes if p.code in owner]
    if not mine:
        return None
    if rule == "first":
        return owner[mine[0].code]
    total: dict[str, float] = {}
    for p in mine:
        total[owner[p.code]] = total.get(owner[p.code], 0.0) + p.duration_s
    best = max(total.values())
    return next(owner[p.code] for p in mine if total[owner[p.code]] == best)


def engage_keys(sc, traj, i: int = 0) -> dict:
    """``overflown`` (ISO alpha-3 codes in order, after boost) and ``responsible_side`` (the
    scenario's sector rule; None without ``[sectors]`` or when no sector country is overflown)
    for trajectory ``i``: the keys ``geocover engage --json`` adds."""
    if not np.isfinite(np.atleast_1d(traj.flight_time_s)[i]):
        return {"overflown": [], "responsible_side": None}
    passes = overflights(traj)[i]
    side = responsible_side(passes, sc.sectors, sc.sector_rule) if getattr(sc, "sectors", None) else None
    return {"overflown": [p.code for p in passes], "responsible_side": side}
