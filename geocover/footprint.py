"""Engagements and defended footprints of an architecture.

Engagement rule (README "Footprints"): the threat must first be tracked — searching
(early-warning) radars form tracks that cue the fire-control radars that cannot search —
then the battery's commit delay passes, then an interceptor launched at that moment must
reach a point of the trajectory inside its altitude window and ground range *no later than
the threat*, while one of the battery's fire-control radars holds a track there. Every
trajectory sample where this holds is an intercept opportunity; the *battle space* is the
number of seconds of opportunity (union over batteries). A target is defended against a
launch if the battle space is positive. Shoot-look-shoot is possible if a second
interceptor, launched ``kill_assessment_s`` after the first opportunity, still has one.

Visibility along trajectories uses :meth:`RadarView.visible_fast` (bulk approximations
within ~20 m / 0.2 deg of the exact test); interceptor flyout uses the tabulated fastest
Kepler arcs of :mod:`geocover.interceptor`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .catalog import Interceptor
from .errors import InputError
from .fastgeo import PointSet
from .geodesy import grid_centres
from .interceptor import FlyoutTable, flyout_table
from .radar import RadarView
from .refraction import DEFAULT_VISIBILITY_MODEL, RefractionModel
from .scenario import Scenario
from .trajectory import Trajectory, aim_missile

__all__ = ["Architecture", "Engagements", "FootprintGrid", "footprint"]


@dataclass
class Engagements:
    """Per-trajectory results (arrays of length n). Times in seconds from launch."""

    reachable: np.ndarray
    defended: np.ndarray
    battle_space_s: np.ndarray
    earliest_t_s: np.ndarray
    earliest_lat_deg: np.ndarray
    earliest_lon_deg: np.ndarray
    earliest_altitude_m: np.ndarray
    latest_t_s: np.ndarray
    latest_altitude_m: np.ndarray
    interceptor: np.ndarray  # id of the battery with the earliest opportunity, "" if none
    radar: np.ndarray  # fire-control radar tracking at that opportunity
    first_detection_t_s: np.ndarray
    warning_time_s: np.ndarray
    flight_time_s: np.ndarray
    shoot_look_shoot: np.ndarray
    boost_seen: np.ndarray

    def row(self, i: int) -> dict:
        def clean(v):
            v = v.item() if hasattr(v, "item") else v
            return None if isinstance(v, float) and not np.isfinite(v) else v

        return {f.name: clean(getattr(self, f.name)[i]) for f in dataclasses.fields(self)}

    @staticmethod
    def concat(parts: list[Engagements]) -> Engagements:
        return Engagements(*(np.concatenate([getattr(p, f.name) for p in parts])
                             for f in dataclasses.fields(Engagements)))


def _tracks(t: np.ndarray, vis: np.ndarray, min_track_s: float):
    """(in_track, formed_t): samples inside runs that have lasted min_track_s, and the time
    each row's first track forms (NaN if never)."""
    n = vis.shape[0]
    start = np.zeros(vis.shape, bool)
    start[:, 0] = vis[:, 0]
    start[:, 1:] = vis[:, 1:] & ~vis[:, :-1]
    run_start = np.where(start, t, -np.inf)
    np.maximum.accumulate(run_start, axis=1, out=run_start)
    in_track = vis & (t - run_start >= min_track_s - 1e-9)
    any_t = in_track.any(axis=1)
    formed = np.where(any_t, t[np.arange(n), np.argmax(in_track, axis=1)], np.nan)
    return in_track, formed


def _first_true_t(t: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask.any(axis=1), t[np.arange(t.shape[0]), np.argmax(mask, axis=1)], np.nan)


class Architecture:
    """A scenario made ready to engage: radar views and interceptor flyout tables."""

    def __init__(self, scenario: Scenario, *, model: RefractionModel = DEFAULT_VISIBILITY_MODEL, terrain=False,
                 interceptor_speed_mps: float | None = None):
        self.scenario = scenario if interceptor_speed_mps is None else scenario.with_interceptor_speed(
            interceptor_speed_mps)
        sc = self.scenario
        self.views = {rid: RadarView(r, model=model, terrain=terrain) for rid, r in sc.radars.items()}
        self.tables: dict[str, FlyoutTable] = {iid: flyout_table(i) for iid, i in sc.interceptors.items()}

    @property
    def interceptors(self) -> dict[str, Interceptor]:
        return self.scenario.interceptors

    def engage(self, traj: Trajectory, reachable: np.ndarray) -> Engagements:
        """Engage every trajectory (sampled at the scenario's sample count)."""
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return self._engage(traj, reachable)

    def _engage(self, traj: Trajectory, reachable: np.ndarray) -> Engagements:
        sc = self.scenario
        s = traj.sample(sc.samples)
        t, lat, lon, alt = (np.ascontiguousarray(a) for a in (s.t_s, s.lat_deg, s.lon_deg, s.altitude_m))
        rcs = s.rcs_m2
        n = t.shape[0]
        w = np.empty_like(t)  # trapezoid weights (s) of each sample
        w[:, 1:-1] = 0.5 * (t[:, 2:] - t[:, :-2])
        w[:, 0] = 0.5 * (t[:, 1] - t[:, 0])
        w[:, -1] = 0.5 * (t[:, -1] - t[:, -2])
        pts = PointSet(lat, lon)  # the samples' trigonometry, shared by every radar and battery
        vis = {rid: v.visible_fast(lat, lon, alt, rcs, points=pts) for rid, v in self.views.items()}
        cue = np.full(n, np.nan)
        for rid in sc.early_warning + sc.fire_control:
            if sc.radars[rid].can_search:
                _, formed = _tracks(t, vis[rid], sc.min_track_s)
                cue = np.fmin(cue, formed)
        eff, trk, formed = {}, {}, {}
        for rid, v in vis.items():
            e = v if sc.radars[rid].can_search else v & (t >= cue[:, None])
            eff[rid] = e
            trk[rid], formed[rid] = _tracks(t, e, sc.min_track_s)
        first_det = np.full(n, np.nan)
        for e in eff.values():
            first_det = np.fmin(first_det, _first_true_t(t, e))
        ok_any = np.zeros(t.shape, bool)
        first_ok = np.full(n, np.inf)
        who = np.full(n, "", dtype=object)
        by_battery = {}
        for iid, itc in self.interceptors.items():
            fcs = sc.interceptor_fire_control[iid]
            tracking = np.zeros(t.shape, bool)
            t_fc = np.full(n, np.nan)
            for f in fcs:
                tracking |= trk[f]
                t_fc = np.fmin(t_fc, formed[f])
            # flyout only where it can matter: tracked, inside the altitude window
            cand = tracking & (alt >= itc.min_intercept_altitude_m) & (alt <= itc.max_intercept_altitude_m)
            t_fly = np.full(t.shape, np.nan)
            if cand.any():
                d, _ = pts.subset(cand).distance_azimuth(itc.lat_deg, itc.lon_deg, dtype=np.float32)
                t_fly[cand] = self.tables[iid].time_to(d, alt[cand])
            t_launch = t_fc + itc.commit_delay_s
            with np.errstate(invalid="ignore"):
                ok = tracking & (t >= t_launch[:, None] + t_fly)
            by_battery[iid] = (ok, tracking, t_fly)
            k = _first_true_t(t, ok)
            better = np.nan_to_num(k, nan=np.inf) < first_ok
            first_ok = np.where(better, k, first_ok)
            who = np.where(better, iid, who)
            ok_any |= ok
        has = ok_any.any(axis=1) & reachable
        battle = np.where(reachable, (ok_any * w).sum(axis=1), np.nan)
        rows = np.arange(n)
        k1 = np.argmax(ok_any, axis=1)
        k2 = t.shape[1] - 1 - np.argmax(ok_any[:, ::-1], axis=1)
        t1 = np.where(has, t[rows, k1], np.nan)
        sls = np.zeros(n, bool)
        for _iid, (_ok, tracking, t_fly) in by_battery.items():
            with np.errstate(invalid="ignore"):
                sls |= (tracking & (t >= (t1 + sc.kill_assessment_s)[:, None] + t_fly)).any(axis=1)
        radar = np.full(n, "", dtype=object)
        for iid in self.interceptors:
            for f in reversed(sc.interceptor_fire_control[iid]):
                radar = np.where((who == iid) & has & trk[f][rows, k1], f, radar)
        boost_seen = np.zeros(n, bool)
        for e in eff.values():
            boost_seen |= (e & s.boosting).any(axis=1)
        nan = np.full(n, np.nan)
        return Engagements(
            reachable, has, battle, t1,
            np.where(has, lat[rows, k1], nan), np.where(has, lon[rows, k1], nan),
            np.where(has, alt[rows, k1], nan), np.where(has, t[rows, k2], nan),
            np.where(has, alt[rows, k2], nan), np.where(has, who, "").astype(str),
            np.where(has, radar, "").astype(str), np.where(reachable, first_det, nan),
            np.where(reachable, traj.flight_time_s - first_det, nan),
            np.where(reachable, traj.flight_time_s, nan), sls & has, boost_seen & reachable)

    def engage_points(self, launch_lat: float, launch_lon: float, lat, lon, *, chunk: int = 4096) -> Engagements:
        """Aim the scenario's missile from a launch point at targets and engage, in chunks."""
        lat, lon = np.atleast_1d(np.asarray(lat, float)), np.atleast_1d(np.asarray(lon, float))
        parts = []
        m = self.scenario.missile
        # A target at the launch point or at its antipode has no defined aim (every azimuth
        # or none); such cells are unreachable (NaN), not an error that aborts the grid.
        # Central angle on the sphere of trajectory._unit, limits as in trajectory.aim.
        p1, p2 = np.radians(launch_lat), np.radians(lat)
        cos_ang = (np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(np.radians(lon - launch_lon)))
        ang = np.arccos(np.clip(cos_ang, -1.0, 1.0))
        degenerate = (ang < np.radians(0.06)) | (ang > np.pi - np.radians(0.6))
        if degenerate.any():  # aim those cells at a harmless stand-in 10 deg away, then mask them
            lat, lon = lat.copy(), lon.copy()
            lat[degenerate] = launch_lat - 10.0 if launch_lat > 0 else launch_lat + 10.0
            lon[degenerate] = launch_lon
        for i in range(0, lat.size, chunk):
            la, lo = lat[i:i + chunk], lon[i:i + chunk]
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                traj, ok = aim_missile(m, launch_lat, launch_lon, la, lo, errors="mask")
            parts.append(self.engage(traj, ok & ~degenerate[i:i + chunk]))
        return Engagements.concat(parts)


@dataclass
class FootprintGrid:
    """Battle space (s) over the scenario grid per launch site: NaN where the threat cannot
    reach, 0 where reachable but undefended. Row 0 is the northern edge."""

    scenario: Scenario
    west_deg: float
    north_deg: float
    resolution_deg: float
    battle_space_s: dict[str, np.ndarray]
    shoot_look_shoot: dict[str, np.ndarray]

    def combined(self, how: str) -> np.ndarray:
        """``"all"``: min over the launches that reach a cell (defended against all of them);
        ``"any"``: max (defended against at least one). NaN where no launch reaches."""
        return combine_launches(list(self.battle_space_s.values()), how)


def combine_launches(grids: list[np.ndarray], how: str = "all") -> np.ndarray:
    """Battle-space grids of several launch sites combined cell by cell, ignoring launches
    that cannot reach a cell: ``"all"`` the minimum, ``"any"`` the maximum; NaN where no
    launch reaches."""
    import warnings

    stack = np.stack(grids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells stay NaN
        return np.nanmin(stack, axis=0) if how == "all" else np.nanmax(stack, axis=0)


def grid_shape(bbox, resolution_deg: float) -> tuple[int, int]:
    west, south, east, north = bbox
    return round((north - south) / resolution_deg), round((east - west) / resolution_deg)


def footprint(arch: Architecture, launch_ids: list[str] | None = None, *,
              bbox_deg: tuple[float, float, float, float] | None = None, resolution_deg: float | None = None,
              max_cells: int = 4_000_000, progress=None) -> FootprintGrid:
    """Battle-space grids of an architecture against each launch site (chunked)."""
    sc = arch.scenario
    bbox = tuple(bbox_deg or sc.bbox_deg)
    res = float(resolution_deg or sc.resolution_deg)
    nrow, ncol = grid_shape(bbox, res)
    if nrow < 1 or ncol < 1:
        raise InputError(f"grid {bbox} at {res} deg has no cells")
    if nrow * ncol > max_cells:
        raise InputError(f"a {nrow} x {ncol} grid ({nrow * ncol:,} cells) is more than this run allows "
                         f"({max_cells:,}); use a coarser --resolution or a smaller box")
    west, _south, _east, north = bbox
    lats, lons = grid_centres(west, north, nrow, ncol, res)
    lat2 = np.repeat(lats, ncol)
    lon2 = np.tile(lons, nrow)
    out, sls = {}, {}
    for lid in launch_ids or sc.launch_sites:
        site = sc.catalog.launch_site(lid)
        eng = arch.engage_points(site.lat_deg, site.lon_deg, lat2, lon2)
        out[lid] = eng.battle_space_s.reshape(nrow, ncol).astype(np.float32)
        sls[lid] = eng.shoot_look_shoot.reshape(nrow, ncol)
        if progress:
            progress(lid)
    return FootprintGrid(sc, west, north, res, out, sls)


#: Battle-space bands (s) for the footprint polygons: [low, high).
BANDS_S = ((0.0, 60.0), (60.0, 180.0), (180.0, 300.0), (300.0, np.inf))


def footprint_polygons(values_s: np.ndarray, west_deg: float, north_deg: float, resolution_deg: float,
                       properties: dict) -> list[tuple]:
    """Polygons of a battle-space grid: the defended region (battle space > 0) and bands of
    battle space, each with its properties; cell edges in lon/lat (WGS84)."""
    import shapely
    from rasterio.features import shapes
    from rasterio.transform import from_origin
    from shapely.geometry import shape

    transform = from_origin(west_deg, north_deg, resolution_deg, resolution_deg)
    finite = np.isfinite(values_s)
    band = np.zeros(values_s.shape, np.uint8)
    for i, (lo, hi) in enumerate(BANDS_S, start=1):
        band[finite & (values_s > lo if lo == 0 else values_s >= lo) & (values_s < hi)] = i
    out = []
    defended = (band > 0).astype(np.uint8)
    geoms = [shape(g) for g, v in shapes(defended, mask=defended > 0, transform=transform) if v == 1]
    out.append((shapely.union_all(geoms) if geoms else shapely.Polygon(),
                {**properties, "layer": "defended", "battle_space_min_s": 0.0}))
    for i, (lo, hi) in enumerate(BANDS_S, start=1):
        m = band == i
        geoms = [shape(g) for g, v in shapes(m.astype(np.uint8), mask=m, transform=transform) if v == 1]
        if geoms:
            out.append((shapely.union_all(geoms), {**properties, "layer": "battle_space_band",
                                                   "battle_space_min_s": lo,
                                                   "battle_space_max_s": None if np.isinf(hi) else hi}))
    reach = finite.astype(np.uint8)
    geoms = [shape(g) for g, v in shapes(reach, mask=reach > 0, transform=transform) if v == 1]
    out.append((shapely.union_all(geoms) if geoms else shapely.Polygon(),
                {**properties, "layer": "threatened"}))
    return out
