"""Adaptive refinement of footprint grids: cost that grows slower than the grid.

A footprint at a fine resolution is mostly large uniform regions (not reachable, reachable
but undefended, defended with a slowly varying battle space) separated by edges. This
module computes the grid's cells on a coarse lattice first (every ``coarse_factor``-th cell
of the fine grid, in both directions, plus the last row and column) and refines, halving
the lattice spacing at each level, only the blocks where it matters:

* a block (the fine cells between four lattice nodes) is **settled** when the four nodes
  have the same *class* -- reachable or not, defended or not, shoot-look-shoot or not, and
  the battle-space band of :data:`geocover.footprint.BANDS_S` -- and so have all the blocks
  of its 3 x 3 neighbourhood (an edge seen next door may bulge into the block), and, where
  defended, the battle space is smooth there: the largest second difference of the nodes
  along rows plus the largest along columns is at most ``tolerance_s`` (seconds; a step of
  battle space or a bend between two nodes shows up in it as the step's size or h²·f'');
* the fine cells of a settled block take the bilinear interpolation of its four nodes
  (exactly NaN, 0 or the shared shoot-look-shoot flag where those are uniform; a defended
  block stays in its band and defended, as bilinear values lie between the corners');
* every other block is split: the lattice nodes of the next level inside it are computed
  with the engine, until the spacing is one cell (every cell of an unsettled block computed);
  a block split only for its bend whose new nodes keep its class and lie within ``verify_s``
  of its interpolation is smooth after all, and its sub-blocks skip the bend test (the
  engine places intercept-window edges to <= 1 s, :mod:`geocover.sampling`, so its battle
  space moves in stairs of about a second from cell to cell: that alone would fail the bend
  test at every scale).

Every computed cell comes from :meth:`geocover.footprint.Architecture.engage_points`, the
same per-point entry :func:`geocover.footprint.footprint` uses: no physics here. A cell is
therefore exact where computed (identical to the full grid's: the engine's result for a
cell does not depend on the other cells of its block), and interpolated only inside settled
blocks.

What it misses, by construction: a feature smaller than the coarse lattice spacing that no
lattice node and no neighbouring block sees (e.g. a defended islet narrower than
``coarse_factor`` cells in open undefended country). tests/test_gridrefine.py measures the
agreement with the full computation on bundled scenarios; benchmarks/bench_gridrefine.py
the cells computed and the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .footprint import BANDS_S, Architecture, FootprintGrid, checked_grid, combine_classes
from .geodesy import LatLonGrid

__all__ = ["DEFAULT_COARSE_FACTOR", "DEFAULT_TOLERANCE_S", "DEFAULT_VERIFY_S", "RefineStats", "RefinedFootprint",
           "adaptive_footprint", "cell_classes", "refine_grid"]

#: Lattice spacing (fine cells) of the first, coarsest level [default]: 0.1 deg for a
#: 0.025 deg grid. A power of two.
DEFAULT_COARSE_FACTOR = 4
#: Largest row plus column second difference (s) of battle space around a block that may be
#: interpolated [default]. A step of battle space J between two nodes gives a second
#: difference J and an interpolation error of at most J/2; a smooth bend h²·f'' an error of
#: h²·f''/8 (benchmarks/README.md, "Adaptive grid refinement": the agreement measured with it).
DEFAULT_TOLERANCE_S = 2.0
#: Largest difference (s) between a split block's new nodes and its bilinear interpolation
#: for its sub-blocks to be taken as smooth [default] (see :func:`refine_grid`).
DEFAULT_VERIFY_S = 0.5


def cell_classes(battle_space_s: np.ndarray, shoot_look_shoot: np.ndarray) -> np.ndarray:
    """Integer class of each cell: 0 not reachable (NaN), 1 reachable and undefended,
    2 + i defended in band i of :data:`~geocover.footprint.BANDS_S`; times 2, plus 1 with
    shoot-look-shoot. Two cells of the same class have the same verdicts and band."""
    v = np.asarray(battle_space_s, float)
    code = np.zeros(v.shape, np.int16)
    finite = np.isfinite(v)
    code[finite] = 1
    for i, (lo, hi) in enumerate(BANDS_S):
        code[finite & (v > lo if lo == 0 else v >= lo) & (v < hi)] = 2 + i
    return code * 2 + np.asarray(shoot_look_shoot, bool)


def _nodes(n: int, step: int) -> np.ndarray:
    """Lattice indices along an axis of ``n`` cells at spacing ``step``: 0, step, 2 step, ...
    and the last cell (nested: the nodes at ``step`` include those at ``2 step``)."""
    idx = np.arange(0, n, step)
    return idx if idx[-1] == n - 1 else np.append(idx, n - 1)


def _block_of(nodes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``n`` cells along an axis, the lattice interval (block) holding it,
    half-open (a node starts its block; the last node closes the last block), and the one
    before it for cells on a node (closed blocks share their edge nodes)."""
    cells = np.arange(n)
    last = len(nodes) - 2
    upper = np.clip(np.searchsorted(nodes, cells, "right") - 1, 0, last)
    lower = np.clip(np.searchsorted(nodes, cells, "left") - 1, 0, last)
    return upper, lower


def _second_difference(v: np.ndarray, axis: int) -> np.ndarray:
    """|second difference| of the node values along ``axis`` (s), NaN-free (0 where the
    values are not finite; nodes on the edge take their inner neighbour's value). Nodes are
    treated as evenly spaced (the last interval may be shorter: a conservative estimate)."""
    v = np.moveaxis(np.nan_to_num(v, nan=0.0), axis, 0)
    out = np.zeros(v.shape)
    if v.shape[0] < 3:
        out[:] = np.inf  # no curvature to estimate: never interpolate a defended block
        return np.moveaxis(out, 0, axis)
    out[1:-1] = np.abs(v[2:] - 2.0 * v[1:-1] + v[:-2])
    out[0], out[-1] = out[1], out[-2]
    return np.moveaxis(out, 0, axis)


def _block_max(k: np.ndarray) -> np.ndarray:
    """Largest of the four corner nodes' values of each block."""
    return np.maximum(np.maximum(k[:-1, :-1], k[1:, :-1]), np.maximum(k[:-1, 1:], k[1:, 1:]))


def _dilate(mask: np.ndarray) -> np.ndarray:
    """``mask`` grown by one block in all eight directions (3 x 3 neighbourhood)."""
    out = mask.copy()
    out[1:] |= mask[:-1]
    out[:-1] |= mask[1:]
    grown = out.copy()
    grown[:, 1:] |= out[:, :-1]
    grown[:, :-1] |= out[:, 1:]
    return grown


def _bilinear(v: np.ndarray, a: np.ndarray, b: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Bilinear interpolation inside lattice blocks (a, b) of node values ``v`` at fractions
    ``y`` (down) and ``x`` (east) of the block; on a block edge, that of the edge's two nodes
    (the same from either side); NaN where the block's first corner is NaN (a uniform block:
    not reachable stays exactly NaN)."""
    v00, v10, v01, v11 = v[a, b], v[a + 1, b], v[a, b + 1], v[a + 1, b + 1]
    with np.errstate(invalid="ignore"):
        out = v00 * (1 - y) * (1 - x) + v10 * y * (1 - x) + v01 * (1 - y) * x + v11 * y * x
    return np.where(np.isnan(v00), np.nan, out)


@dataclass
class RefineStats:
    """What :func:`refine_grid` did: cells computed per level (the first is the coarse
    lattice) and cells filled by interpolation."""

    coarse_factor: int
    tolerance_s: float
    cells: int
    evaluated_per_level: list[int] = field(default_factory=list)
    interpolated: int = 0

    @property
    def evaluated(self) -> int:
        """Cells computed with the engine."""
        return int(sum(self.evaluated_per_level))


def refine_grid(evaluate, grid: LatLonGrid, *, coarse_factor: int = DEFAULT_COARSE_FACTOR,
                tolerance_s: float = DEFAULT_TOLERANCE_S,
                verify_s: float = DEFAULT_VERIFY_S) -> tuple[np.ndarray, np.ndarray, RefineStats]:
    """Battle space (s) and shoot-look-shoot over ``grid``, refined adaptively (module docstring).

    Parameters
    ----------
    evaluate : callable
        ``evaluate(lat_deg, lon_deg) -> (battle_space_s, shoot_look_shoot)`` for 1-D arrays
        of cell centres (NaN battle space where the threat cannot reach).
    grid : LatLonGrid
        The fine grid.
    coarse_factor : int
        Lattice spacing (cells) of the first level, a power of two (1: every cell).
    tolerance_s : float
        Largest second difference of battle space (s) around a block that may be
        interpolated (see :data:`DEFAULT_TOLERANCE_S`).
    verify_s : float
        A block split only because of its bend whose new nodes (edge midpoints, centre) keep
        its class and lie within ``verify_s`` (s) of its bilinear interpolation is smooth:
        its sub-blocks skip the bend test (:data:`DEFAULT_VERIFY_S`; negative: never).

    Returns
    -------
    battle_space_s : (nrow, ncol) float64
    shoot_look_shoot : (nrow, ncol) bool
    stats : RefineStats

    Raises
    ------
    ValueError
        ``coarse_factor`` not a power of two, or ``tolerance_s`` negative.
    """
    f = int(coarse_factor)
    if f < 1 or f & (f - 1):
        raise ValueError(f"coarse_factor must be a power of two (1, 2, 4, 8, ...), not {coarse_factor!r}")
    if not tolerance_s >= 0:
        raise ValueError(f"tolerance_s must be >= 0 s, not {tolerance_s!r}")
    nrow, ncol = grid.shape
    lats, lons = grid.centres()
    val = np.full((nrow, ncol), np.nan)
    sls = np.zeros((nrow, ncol), bool)
    exact = np.zeros((nrow, ncol), bool)
    known = np.zeros((nrow, ncol), bool)  # computed or interpolated
    stats = RefineStats(f, float(tolerance_s), nrow * ncol)

    def run(mask: np.ndarray) -> None:
        r, c = np.nonzero(mask)
        if r.size:
            bs, sl = evaluate(lats[r], lons[c])
            val[r, c] = np.asarray(bs, float)
            sls[r, c] = np.asarray(sl, bool)
            exact[r, c] = True
            known[r, c] = True
        stats.evaluated_per_level.append(int(r.size))

    if f == 1 or nrow < 2 or ncol < 2:  # nothing to refine: every cell
        run(np.ones((nrow, ncol), bool))
        return val, sls, stats
    step = f
    rows, cols = _nodes(nrow, step), _nodes(ncol, step)
    first = np.zeros((nrow, ncol), bool)
    first[np.ix_(rows, cols)] = True
    run(first)
    pending = np.ones((len(rows) - 1, len(cols) - 1), bool)  # blocks still to decide, at this level
    smooth_parent = np.zeros(pending.shape, bool)  # inside a block verified smooth (below)
    while step > 1:
        rows, cols = _nodes(nrow, step), _nodes(ncol, step)
        v = val[np.ix_(rows, cols)]
        code = cell_classes(v, sls[np.ix_(rows, cols)])
        same = (code[:-1, :-1] == code[1:, :-1]) & (code[:-1, :-1] == code[:-1, 1:]) & \
            (code[:-1, :-1] == code[1:, 1:])
        uniform = same & ~_dilate(~same)
        defended = np.isfinite(v[:-1, :-1]) & (v[:-1, :-1] > 0)
        bend = _block_max(_second_difference(v, 0)) + _block_max(_second_difference(v, 1))
        smooth = ~defended | (bend <= tolerance_s) | smooth_parent
        settled = pending & uniform & smooth
        split = pending & ~settled
        ur, lr = _block_of(rows, nrow)
        uc, lc = _block_of(cols, ncol)
        # cells of split and of settled blocks (closed: their edges too; on an edge shared by
        # both, the split block's computation wins)
        in_split = split[ur][:, uc] | split[lr][:, uc] | split[ur][:, lc] | split[lr][:, lc]
        in_settled = settled[ur][:, uc] | settled[lr][:, uc] | settled[ur][:, lc] | settled[lr][:, lc]
        fill = in_settled & ~in_split & ~known
        tr = (np.arange(nrow) - rows[ur]) / (rows[ur + 1] - rows[ur])  # position inside the block
        tc = (np.arange(ncol) - cols[uc]) / (cols[uc + 1] - cols[uc])

        if fill.any():
            r, c = np.nonzero(fill)
            val[r, c] = _bilinear(v, ur[r], uc[c], tr[r], tc[c])
            sls[r, c] = sls[rows[ur[r]], cols[uc[c]]]
            known[r, c] = True
            stats.interpolated += int(r.size)
        half = step // 2
        nr, nc = _nodes(nrow, half), _nodes(ncol, half)
        todo = np.zeros((nrow, ncol), bool)
        todo[np.ix_(nr, nc)] = True
        run(todo & in_split & ~exact)
        # A block split only for its bend whose new nodes all have its class and lie within
        # verify_s of its bilinear interpolation is smooth after all (a jitter of the battle
        # space of about a second, from the engine's sampling, fails the bend test at every
        # scale): its sub-blocks skip the bend test at the next level.
        verified = split & uniform
        if verified.any():
            r, c = np.nonzero(todo & in_split)
            guess = _bilinear(v, ur[r], uc[c], tr[r], tc[c])
            err = np.where(np.isnan(val[r, c]) & np.isnan(guess), 0.0,
                           np.nan_to_num(np.abs(val[r, c] - guess), nan=np.inf))
            node_code = cell_classes(val[r, c], sls[r, c])
            worst = np.zeros(split.shape)
            for a, b in ((ur[r], uc[c]), (lr[r], uc[c]), (ur[r], lc[c]), (lr[r], lc[c])):
                np.maximum.at(worst, (a, b), np.where(node_code == code[a, b], err, np.inf))
            verified &= worst <= verify_s
        # the blocks of the next level inside a split block are pending
        pr = np.clip(np.searchsorted(rows, nr[:-1], "right") - 1, 0, len(rows) - 2)
        pc = np.clip(np.searchsorted(cols, nc[:-1], "right") - 1, 0, len(cols) - 2)
        pending = split[pr][:, pc]
        smooth_parent = verified[pr][:, pc]
        step = half
    if not known.all():  # every cell lies in a settled or a split block at some level
        raise AssertionError(f"refine_grid left {int((~known).sum())} cells without a value")
    return val, sls, stats


@dataclass
class RefinedFootprint(FootprintGrid):
    """A :class:`~geocover.footprint.FootprintGrid` computed by :func:`adaptive_footprint`;
    ``stats`` per (launch id, missile id): what :func:`refine_grid` computed."""

    coarse_factor: int = DEFAULT_COARSE_FACTOR
    tolerance_s: float = DEFAULT_TOLERANCE_S
    verify_s: float = DEFAULT_VERIFY_S
    stats: dict[tuple[str, str], RefineStats] = field(default_factory=dict)

    @property
    def coarse_step_deg(self) -> float:
        """Spacing (deg) of the first, coarsest lattice."""
        return self.resolution_deg * self.coarse_factor

    @property
    def cells_evaluated(self) -> int:
        """Cells computed with the engine, summed over (launch, class) pairs."""
        return sum(s.evaluated for s in self.stats.values())

    def metadata(self) -> dict:
        """Flat JSON-ready keys saying the grid was refined adaptively (for export tags)."""
        total = sum(s.cells for s in self.stats.values())
        return {"grid_refinement": "adaptive", "grid_coarse_step_deg": self.coarse_step_deg,
                "grid_coarse_factor": self.coarse_factor, "grid_refine_tolerance_s": self.tolerance_s,
                "grid_refine_verify_s": self.verify_s,
                "grid_cells_computed": self.cells_evaluated, "grid_cells_total": total,
                "grid_refinement_rule": (
                    f"cells computed on a lattice every {self.coarse_factor} cells "
                    f"({self.coarse_step_deg:g} deg), halved where a 3x3 block neighbourhood changes "
                    f"reachability, verdict, shoot-look-shoot or battle-space band or the battle space "
                    f"bends by more than {self.tolerance_s:g} s (unless its next nodes lie within {self.verify_s:g} s "
                    f"of the interpolation); other cells interpolated bilinearly "
                    f"(geocover.gridrefine)")}


def adaptive_footprint(arch: Architecture, launch_ids: list[str] | None = None, *,
                       bbox_deg: tuple[float, float, float, float] | None = None,
                       resolution_deg: float | None = None, max_cells: int = 4_000_000,
                       coarse_factor: int = DEFAULT_COARSE_FACTOR, tolerance_s: float = DEFAULT_TOLERANCE_S,
                       verify_s: float = DEFAULT_VERIFY_S, progress=None, chunk: int = 4096) -> RefinedFootprint:
    """:func:`geocover.footprint.footprint`, refined adaptively (:func:`refine_grid`) for each
    (launch site, missile class) pair, combined over classes and launches as ``footprint``
    does; the cells computed come from :meth:`Architecture.engage_points`.

    Parameters are those of :func:`~geocover.footprint.footprint` plus ``coarse_factor``,
    ``tolerance_s`` and ``verify_s`` (:func:`refine_grid`); ``max_cells`` guards the fine grid.

    Raises
    ------
    InputError
        The grid has no cells or more than ``max_cells``.
    ValueError
        A bad ``coarse_factor`` or ``tolerance_s``.
    """
    sc = arch.scenario
    bbox = tuple(bbox_deg or sc.bbox_deg)
    res = float(resolution_deg or sc.resolution_deg)
    grid = checked_grid(bbox, res, max_cells)
    out, sls, by_threat, stats = {}, {}, {}, {}
    for lid in launch_ids or sc.launch_sites:
        site = sc.catalog.launch_site(lid)
        grids, slss = [], []
        for m in sc.missiles_for(lid):
            def evaluate(lat, lon, m=m, site=site):
                eng = arch.engage_points(site.lat_deg, site.lon_deg, lat, lon, chunk=chunk, missile=m)
                return eng.battle_space_s, eng.shoot_look_shoot

            bs, sl, st = refine_grid(evaluate, grid, coarse_factor=coarse_factor, tolerance_s=tolerance_s,
                                     verify_s=verify_s)
            grids.append(bs.astype(np.float32))
            slss.append(sl)
            by_threat[(lid, m.id)] = grids[-1]
            stats[(lid, m.id)] = st
        out[lid], sls[lid] = combine_classes(grids, slss)  # as footprint()
        if progress:
            progress(lid)
    return RefinedFootprint(sc, grid.west_deg, grid.north_deg, res, out, sls, by_threat,
                            coarse_factor=int(coarse_factor), tolerance_s=float(tolerance_s),
                            verify_s=float(verify_s), stats=stats)

