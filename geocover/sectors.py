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
def sector_outlines():
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
    codes, names, _, _ = sector_outlines()
    return dict(zip(codes, names, strict=True))


#: Cell size (deg) of the country lookup raster; cells a border crosses are tested exactly.
_LOOKUP_RES_DEG = 0.1


@lru_cache(maxsize=1)
def _lookup():
    """(index raster, border raster): the outline index (+1; 0 = none) at each 0.1 deg cell
    centre, and the cells any outline's boundary touches (GDAL all_touched)."""
    import shapely
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    _, _, geoms, _ = sector_outlines()
    res = _LOOKUP_RES_DEG
    shape = (round(180 / res), round(360 / res))
    transform = from_origin(-180.0, 90.0, res, res)
    idx = rasterize(((g, i + 1) for i, g in enumerate(geoms)), out_shape=shape, transform=transform, fill=0,
                    dtype="uint16")
    rings = (shapely.multilinestrings(shapely.get_rings(shapely.get_parts(g))) for g in geoms)
    border = rasterize(((r, 1) for r in rings), out_shape=shape, transform=transform, fill=0,
                       all_touched=True, dtype="uint8").astype(bool)
    return idx, border


def locate(lon_deg, lat_deg) -> np.ndarray:
    """Index of the bundled outline holding each point (-1: none, e.g. the sea).

    A point in a lookup cell that no outline boundary touches takes the cell's outline (the
    whole cell lies inside it, or outside all); a point in a border cell is tested exactly
    against the outlines (shapely STRtree, ``intersects``). Exact either way, fast for the
    millions of ground-track points of a grid."""
    import shapely

    lon = (np.asarray(lon_deg, float) + 180.0) % 360.0 - 180.0
    lat = np.asarray(lat_deg, float)
    idx, border = _lookup()
    res = _LOOKUP_RES_DEG
    r = np.clip(((90.0 - lat) / res).astype(int), 0, idx.shape[0] - 1)
    c = np.clip(((lon + 180.0) / res).astype(int), 0, idx.shape[1] - 1)
    out = idx[r, c].astype(np.int64) - 1
    b = np.flatnonzero(border[r, c])
    if b.size:
        _, _, _, tree = sector_outlines()
        pi, gi = tree.query(shapely.points(lon[b], lat[b]), predicate="intersects")
        sub = np.full(b.size, -1, np.int64)
        order = np.lexsort((gi, pi))
        sub[pi[order]] = gi[order]  # a point in two (overlapping) outlines: the later one, as the raster
        out[b] = sub
    return out


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
    codes, names, _, _ = sector_outlines()
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
        where = locate(lon, lat)
        seen: dict[int, list] = {}
        for k in np.flatnonzero(where >= 0):
            g = int(where[k])
            tk = float(t[k])
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


def responsible_sides(traj, sectors: dict[str, list[str]], rule: str = "first", *,
                      step_s: float = 10.0) -> np.ndarray:
    """Vectorised :func:`responsible_side` for many trajectories (after boost): an array of
    side names ("" where no sector country is overflown or the flight is NaN).

    Same rule as :func:`overflights` + :func:`responsible_side`, on a ``step_s`` ground track
    (10 s by default: for grids; a country crossed in less can be missed)."""
    if rule not in RULES:
        raise InputError(f"sector rule must be one of {', '.join(RULES)}, got {rule!r}")
    codes, _, _, _ = sector_outlines()
    sides = list(sectors)
    owner = {c: k for k, side in enumerate(sides) for c in sectors[side]}
    geom_side = np.array([owner.get(c, -1) for c in codes])
    s = traj.sample(step_s=step_s)
    n = s.t_s.shape[0]
    ok = np.isfinite(s.lat_deg) & ~s.boosting
    ok[:, 1:] &= np.diff(s.t_s, axis=1) > 0  # samples past impact repeat it
    rows, cols = np.nonzero(ok)
    g = locate(s.lon_deg[rows, cols], s.lat_deg[rows, cols])
    side = np.where(g >= 0, geom_side[g], -1)
    keep = side >= 0
    r, c, side = rows[keep], cols[keep], side[keep]
    out = np.full(n, "", dtype=object)
    if r.size == 0:
        return out.astype(str)
    if rule == "first":
        order = np.lexsort((c, r))
        r, c, side = r[order], c[order], side[order]
        first = np.r_[True, r[1:] != r[:-1]]
        out[r[first]] = np.array(sides, dtype=object)[side[first]]
        return out.astype(str)
    # longest: samples per (trajectory, side) (each sample counts once per side); ties: reached first
    key = np.unique(np.stack([r, c, side], axis=1), axis=0)
    k = len(sides)
    count = np.zeros((n, k))
    np.add.at(count, (key[:, 0], key[:, 2]), 1.0)
    first_c = np.full((n, k), np.inf)
    np.minimum.at(first_c, (key[:, 0], key[:, 2]), key[:, 1])
    best = count.max(axis=1)
    tie_first = np.where(count == best[:, None], first_c, np.inf)
    pick = np.argmin(tie_first, axis=1)
    has = best > 0
    out[has] = np.array(sides, dtype=object)[pick[has]]
    return out.astype(str)


def responsibility_features(sc, launch_ids, west_deg: float, north_deg: float, resolution_deg: float,
                            shape: tuple[int, int], *, min_resolution_deg: float = 0.5) -> list[tuple]:
    """Polygons of the side responsible for each target cell of a grid (the footprint's grid,
    coarsened to at least ``min_resolution_deg``), per launch site and class of the threat set
    launched there (:meth:`~geocover.scenario.Scenario.missiles_for`; the classes fly different
    paths): (geometry, properties with ``layer = "responsibility"``, ``launch``, ``missile``,
    ``side``, ``rule``). Cells the class cannot reach, or whose flight crosses no sector
    country, are left out."""
    import shapely
    from rasterio.transform import from_origin

    from .geodesy import grid_centres
    from .gis import mask_polygons
    from .trajectory import aim_missile

    nrow0, ncol0 = shape
    f = max(1, int(np.ceil(min_resolution_deg / resolution_deg - 1e-9)))
    res = resolution_deg * f
    nrow, ncol = max(1, nrow0 // f), max(1, ncol0 // f)
    lats, lons = grid_centres(west_deg, north_deg, nrow, ncol, res)
    lat2, lon2 = np.repeat(lats, ncol), np.tile(lons, nrow)
    sides = list(sc.sectors)
    out = []
    transform = from_origin(west_deg, north_deg, res, res)
    for lid in launch_ids:
        site = sc.catalog.launch_site(lid)
        for missile in sc.missiles_for(lid):
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                traj, ok = aim_missile(missile, site.lat_deg, site.lon_deg, lat2, lon2, errors="mask")
            who = np.where(ok, responsible_sides(traj, sc.sectors, sc.sector_rule), "")
            code = np.zeros(who.shape, np.uint8)
            for k, side in enumerate(sides, start=1):
                code[who == side] = k
            grid = code.reshape(nrow, ncol)
            for k, side in enumerate(sides, start=1):
                geoms = mask_polygons(grid == k, transform)
                if geoms:
                    out.append((shapely.union_all(geoms), {"scenario": sc.id, "layer": "responsibility", "launch": lid,
                                                           "missile": missile.id, "side": side,
                                                           "rule": sc.sector_rule, "resolution_deg": res}))
    return out
