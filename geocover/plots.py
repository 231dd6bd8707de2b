"""Matplotlib figures (PNG/SVG/PDF): detection timelines, vertical coverage diagrams,
scenario comparisons.

These functions never choose or switch the matplotlib backend: each draws on the axes it
is given (``ax``), or on a new :class:`matplotlib.figure.Figure` that belongs to no
pyplot window, and returns the figure (a notebook shows it when it is a cell's value;
pass ``ax`` from ``plt.subplots()`` to use ``plt.show()``). The command line sets Agg
for itself.

Every text drawn is plain text: mathtext (``$...$``) and LaTeX are switched off for
each label, so a catalog name such as ``$\\frac{}$`` is drawn literally and cannot make
the figure fail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .timeline import Timeline, visibility_runs

__all__ = ["DEFAULT_DPI", "assumptions_caption", "comparison_caption", "plot_comparison", "plot_timeline",
           "plot_vertical_coverage", "save_figure"]

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


FIGURE_FORMATS = (".png", ".svg", ".pdf")


def check_figure_path(path: str | Path) -> Path:
    """Refuse before any work an output figure with an unsupported suffix or place."""
    from .errors import InputError
    from .export import check_output_file

    p = check_output_file(path)
    if p.suffix.lower() not in FIGURE_FORMATS:
        raise InputError(f"figure {p}: use a .png, .svg or .pdf file name")
    return p


#: Print resolution (dots per inch) of saved figures: 300 dpi is the usual minimum for
#: line art and halftones in print.
DEFAULT_DPI = 300
#: Accepted ``--dpi`` values: below 50 dpi text is unreadable, above 1200 dpi a PNG of a
#: 9-inch figure exceeds 10,000 pixels a side with nothing more to see.
DPI_RANGE = (50, 1200)


def save_figure(fig, path: str | Path, *, dpi: float = DEFAULT_DPI) -> Path:
    """Save a figure through a temporary file and a rename; the format comes from the suffix.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        ``.png`` (raster, with its resolution in the PNG ``pHYs`` chunk), ``.svg`` or
        ``.pdf`` (vector; text stays text: SVG ``<text>`` elements, PDF TrueType fonts
        (Type 42) with their Unicode map, so the words can be searched, copied and edited).
    dpi : float
        Dots per inch of a PNG and of any rasterised part of a vector figure [default 300].

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    geocover.errors.InputError
        ``dpi`` outside :data:`DPI_RANGE`.
    """
    import matplotlib

    from .errors import InputError
    from .export import atomic_path

    if not DPI_RANGE[0] <= float(dpi) <= DPI_RANGE[1]:
        raise InputError(f"dpi must be between {DPI_RANGE[0]} and {DPI_RANGE[1]}, got {dpi!r}")
    fmt = Path(path).suffix.lstrip(".").lower() or "png"
    title = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    if not title and fig.axes:
        title = fig.axes[0].get_title()
    meta = {"Title": plain_text(title)} if fmt in ("pdf", "svg") and title else {}
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}), atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=float(dpi), bbox_inches="tight", format=fmt, metadata=meta or None)
    return Path(path)


def assumptions_caption(*, scenario: str | None = None, missile: str | None = None,
                        refraction_model: str | None = None, rcs_m2: float | str | None = None,
                        interceptor_speed_mps: float | str | None = None, extra: tuple[str, ...] = ()) -> str:
    """The one-line caption of a figure's key assumptions (the parts that are given).

    Parameters
    ----------
    scenario, missile, refraction_model : str, optional
        Human names (a scenario title, a missile class name, a refraction model name).
    rcs_m2 : float or str, optional
        Target radar cross-section in m² (a number, or a text such as "each radar's
        reference RCS").
    interceptor_speed_mps : float or str, optional
        Interceptor burnout speed in m/s (printed in km/s), or a text.
    extra : tuple of str
        Further assumptions, appended as given.

    Returns
    -------
    str
        ``"Assumptions: scenario ...; missile ...; refraction ...; target RCS ... m²; ..."``.
    """
    parts = []
    if scenario:
        parts.append(f"scenario {scenario}")
    if missile:
        parts.append(f"missile {missile}")
    if refraction_model:
        parts.append(f"refraction {refraction_model}")
    if rcs_m2 is not None:
        parts.append(f"target RCS {rcs_m2:g} m²" if isinstance(rcs_m2, (int, float)) else f"target RCS {rcs_m2}")
    if interceptor_speed_mps is not None:
        parts.append(f"interceptor burnout {interceptor_speed_mps / 1000:.1f} km/s"
                     if isinstance(interceptor_speed_mps, (int, float)) else f"interceptor {interceptor_speed_mps}")
    parts += [str(x) for x in extra if x]
    return "Assumptions: " + "; ".join(parts) if parts else ""


def comparison_caption(scenarios, launches: list[str] | None, refraction_model: str) -> str:
    """The assumptions line of a scenario comparison, per scenario: the missile classes of its
    own threat set launched from the launch sites (with their warhead RCS) and its
    interceptor burnout speeds; then the launch sites, the refraction model and the rule.

    Parameters
    ----------
    scenarios : list of geocover.scenario.Scenario
    launches : list of str or None
        Launch-site ids used for every scenario (None: the first scenario's).
    refraction_model : str
        Name of the refraction model.
    """
    launch_ids = list(launches or (scenarios[0].launch_sites if scenarios else []))
    parts = []
    for s in scenarios:
        # the classes this scenario flies from these launch sites (Scenario.missiles_for)
        classes = dict.fromkeys(f"{m.short_name} (warhead {m.warhead_rcs_m2:g}\u00a0m²)"
                                for lid in launch_ids for m in s.missiles_for(lid))
        speeds = ", ".join(f"{i.burnout_speed_mps / 1000:.1f}" for i in s.interceptors.values())
        parts.append(f"{_caption_title(s)}: {' and '.join(classes)}, interceptor burnout "
                     + (f"{speeds}\u00a0km/s" if speeds else "none"))
    names = []
    for lid in launch_ids:
        try:
            names.append(scenarios[0].catalog.site(lid).name)
        except Exception:  # a launch area not in the first scenario's catalog: its id
            names.append(lid)
    return assumptions_caption(refraction_model=refraction_model,
                               extra=(f"launch sites {', '.join(names)} (for every scenario)", *parts,
                                      "defended = battle space > 0 s against every (launch site, missile class) "
                                      "pair that reaches"))


def _caption_title(sc) -> str:
    """A scenario's title up to its first colon ("Third site (2007 plan): 10 GBIs ..." ->
    "Third site (2007 plan)"), else its id."""
    title = " ".join(str(getattr(sc, "title", "") or "").split())
    return title.split(": ", 1)[0] or sc.id


def finish_figure(fig, caption: str | None) -> None:
    """Add the caption as wrapped small text under the axes, draw every text as plain text
    (:func:`_plain_text`) and lay the figure out, leaving room for the caption."""
    import textwrap

    bottom = 0.0
    if caption:
        lines = textwrap.wrap(plain_text(caption), width=max(40, int(fig.get_figwidth() * 17)))
        bottom = min(0.4, (0.12 + 0.14 * len(lines)) / fig.get_figheight())
        fig.text(0.01, 0.01, "\n".join(lines), ha="left", va="bottom", fontsize=7, color="#333333",
                 gid="geocover-caption")
    _plain_text(fig)
    fig.tight_layout(rect=(0, bottom, 1, 1))


def new_figure(figsize, nrows: int = 1, ncols: int = 1, **kw):
    """A figure that belongs to no pyplot window and its axes (whatever the backend)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots(nrows, ncols, squeeze=True, **kw)


_UNDRAWABLE = "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"


def plain_text(text: object) -> str:
    """Characters that a figure cannot carry as U+FFFD: lone surrogates (FreeType refuses
    them) and the control characters that XML 1.0 forbids (they would make an SVG
    unreadable)."""
    import re

    return re.sub(_UNDRAWABLE, "\ufffd", str(text))


def _plain_text(fig) -> None:
    """Draw every text of ``fig`` as plain text: no mathtext, no LaTeX (user strings), and
    undrawable characters (see :func:`plain_text`) as U+FFFD."""
    import re

    from matplotlib.text import Text

    for t in fig.findobj(Text):
        t.set_parse_math(False)
        t.set_usetex(False)
        text = t.get_text()
        if re.search(_UNDRAWABLE, text):
            t.set_text(plain_text(text))


#: No-break space (U+00A0) between a number and its unit: a wrapped label never splits "883 s".
_NBSP = "\u00a0"


def plot_timeline(tl: Timeline, *, title: str = "", names: dict[str, str] | None = None, caption: str = "",
                  ax=None):
    """Altitude against time, with each radar's visibility as a bar underneath, labelled
    with the radar's name and its warning time (first detection, or cue, to impact).

    Parameters
    ----------
    tl : Timeline
        From :func:`geocover.timeline.detection_timeline`.
    title : str
        Figure title (plain text) [default: "Detection timeline"].
    names : dict, optional
        Radar id -> human name (catalog ``name``) for the labels [default: the ids].
    caption : str, optional
        A line of assumptions under the figure (see :func:`assumptions_caption`).
    ax : pair of matplotlib Axes, optional
        Upper (altitude) and lower (visibility) axes to draw on, sharing x; by default a new
        figure with both.

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = names or {}
    s = tl.samples
    t = s.t_s[0]
    alt_km = s.altitude_m[0] / 1000.0
    n = len(tl.tracks)
    if ax is None:
        fig, (ax, bx) = new_figure((9, 3.4 + 0.75 * n), 2, 1, sharex=True,
                                    gridspec_kw={"height_ratios": [3, max(1.0, 0.75 * n)]})
    else:
        ax, bx = ax
        fig = ax.figure
    ax.plot(t, alt_km, color="black", lw=1.5, label="missile altitude")
    ax.axvspan(0, tl.burn_time_s, color="orange", alpha=0.15, label="boost")
    if tl.first_detection_t_s is not None:
        ax.axvline(tl.first_detection_t_s, color="green", ls="--", lw=1,
                   label=f"first detection ({names.get(tl.first_detection_radar, tl.first_detection_radar)}, "
                         f"t = {tl.first_detection_t_s:.0f}{_NBSP}s)")
        ax.annotate("", xy=(tl.impact_t_s, alt_km.max() * 0.08), xytext=(tl.first_detection_t_s, alt_km.max() * 0.08),
                    arrowprops={"arrowstyle": "<->", "color": "green"})
        ax.text(0.5 * (tl.first_detection_t_s + tl.impact_t_s), alt_km.max() * 0.11,
                f"warning {tl.warning_time_s:.0f}{_NBSP}s", ha="center", color="green")
    ax.set_ylabel("altitude (km, MSL)")
    ax.set_ylim(0, alt_km.max() * 1.1)
    ax.legend(loc="upper right", fontsize=7)
    ax.grid(alpha=0.3)
    ax.set_title(_wrap(title or "Detection timeline", 80))
    labels = []
    for i, tr in enumerate(tl.tracks):
        vis = tl.visible[tr.radar_id]
        y = n - 1 - i
        c = _COLOURS[i % len(_COLOURS)]
        runs = visibility_runs(t, vis)
        bx.broken_barh([(a, max(b - a, 1.0)) for a, b in runs], (y - 0.35, 0.7), color=c, alpha=0.85)
        if tr.first_detection_t_s is not None:
            bx.plot([tr.first_detection_t_s], [y], marker="|", color="black", ms=14)
            ax.plot(np.where(vis, t, np.nan), np.where(vis, alt_km, np.nan), color=c, lw=4, alpha=0.35)
        if tr.first_detection_t_s is None:
            note = f"never: {tr.blocked_mostly_by}"
        elif tr.warning_time_s is None:
            note = "no warning"
        else:
            note = f"warning {tr.warning_time_s:.0f}{_NBSP}s"
        cue = "" if tr.can_search else " [cued]"
        # the name wrapped, the warning time on a line of its own (a number never apart from its unit)
        labels.append(_wrap(plain_text(f"{names.get(tr.radar_id, tr.radar_id)}{cue}"), 40) + f"\n({plain_text(note)})")
    bx.set_yticks(range(n))
    bx.set_yticklabels(labels[::-1], fontsize=7.5, parse_math=False, usetex=False)
    bx.set_ylim(-0.6, n - 0.4)
    bx.set_xlim(0, tl.impact_t_s)
    bx.set_xlabel("time since launch (s)")
    bx.grid(axis="x", alpha=0.3)
    finish_figure(fig, caption)
    return fig



#: Largest ground range of a vertical coverage diagram (m): half way round the Earth, the
#: bound ``horizon --ranges`` has.
MAX_VCD_RANGE_M = 20_000_000.0


def plot_vertical_coverage(view, *, max_range_m: float | None = None, max_altitude_m: float | None = None,
                           title: str = "", caption: str = "", ax=None):
    """Vertical coverage diagram (Blake-chart style): altitude against ground range for one
    radar on a smooth Earth, with the radar horizon (lowest visible altitude at the
    minimum elevation), elevation rays, the maximum-elevation limit and the range limit
    R(rcs) as the region it bounds. Altitudes above MSL, ranges along the surface.

    ``ax`` (a matplotlib Axes) is drawn on if given, else a new figure; ``caption`` is a
    line of assumptions drawn under it (see :func:`assumptions_caption`); returns the figure.
    """
    from .refraction import lowest_visible_altitude

    r = view.radar
    if max_range_m is not None and not 0.0 < max_range_m <= MAX_VCD_RANGE_M:
        from .errors import InputError

        # past half way round, ground ranges come back towards the radar: the chord-distance
        # range limit drew spikes and the elevation labels landed far outside the axes
        raise InputError(f"max_range_m (--max-range) must be > 0 and at most {MAX_VCD_RANGE_M / 1000:,.0f} km "
                         f"(half way round the Earth), got {max_range_m / 1000:,.0f} km")
    rmax = float(max_range_m or min(view.max_range_m * 1.15, 8.0e6))
    s = np.linspace(0.0, rmax, 600)
    h_ant = view.antenna_height_msl_m
    hmin = np.asarray(lowest_visible_altitude(s, h_ant, min_elevation_deg=r.min_elevation_deg, model=view.model))
    hmax_plot = float(max_altitude_m or max(1.5e6, np.nanmin([np.nanmax(hmin[np.isfinite(hmin)]), 3e6])))
    alts = np.linspace(0.0, hmax_plot, 400)
    ss, hh = np.meshgrid(s, alts)
    el = view.apparent_elevation(ss, hh)
    r_loc = 6_371_000.0
    a2, c2 = r_loc + h_ant, r_loc + hh
    rho = np.sqrt(a2 * a2 + c2 * c2 - 2 * a2 * c2 * np.cos(ss / r_loc))
    visible = (el >= r.min_elevation_deg) & (el <= r.max_elevation_deg) & (rho <= view.max_range_m)
    if ax is None:
        fig, ax = new_figure((9, 5))
    else:
        fig = ax.figure
    ax.contourf(s / 1000, alts / 1000, visible.astype(float), levels=[0.5, 1.5], colors=["#9ecae1"], alpha=0.7)
    ax.plot(s / 1000, hmin / 1000, color="black", lw=1.5,
            label=f"radar horizon at {r.min_elevation_deg:g}° ({view.model_name})")
    for e in (1, 2, 5, 10, 20, 45):
        if r.min_elevation_deg < e < r.max_elevation_deg:
            h = np.asarray(lowest_visible_altitude(s, h_ant, min_elevation_deg=e, model=view.model))
            ax.plot(s / 1000, h / 1000, color="grey", lw=0.6, ls=":")
            k = np.searchsorted(h, 0.9 * hmax_plot)
            if 0 < k < s.size and np.isfinite(h[k]) and h[k] <= hmax_plot:  # a label inside the axes
                ax.text(s[k] / 1000, h[k] / 1000, f"{e}°", fontsize=7, color="grey", clip_on=True)
    ax.contour(s / 1000, alts / 1000, rho, levels=[view.max_range_m], colors=["#d62728"], linewidths=1.2)
    ax.plot([], [], color="#d62728", label=f"range limit {view.max_range_m / 1000:,.0f} km at {view.rcs_m2:g} m²")
    ax.fill_between([], [], color="#9ecae1", label="visible")
    ax.set_xlim(0, rmax / 1000)
    ax.set_ylim(0, hmax_plot / 1000)
    ax.set_xlabel("ground range (km)")
    ax.set_ylabel("altitude (km, MSL)")
    ax.set_title(title or f"Vertical coverage: {r.name}")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    finish_figure(fig, caption)
    return fig


def plot_comparison(metrics: list[dict], *, title: str = "Scenario comparison", caption: str = "", ax=None):
    """Bar charts of the key metrics of several scenarios side by side: defended area,
    cities defended, mean battle space and mean warning time.

    Each scenario is labelled with its title (``title`` of the metrics, wrapped on lines of
    40 characters, never cut) or, without one, its id; a metric that is None (the table's
    "—") gets no bar, only a "—". ``ax`` (a sequence of four matplotlib
    Axes sharing y) is drawn on if given, else a new figure; ``caption`` is a line of
    assumptions drawn under it (see :func:`assumptions_caption`); returns the figure."""
    names = [_short_title(m.get("title")) or str(m["scenario"]) for m in metrics]
    n_lines = sum(x.count("\n") + 1 for x in names)
    panels = [("defended_area_km2", "defended area (million km²)", 1e-6),
              ("cities_defended_share", "cities defended (%)", 100.0),
              ("mean_battle_space_s", "mean battle space (s)", 1.0),
              ("mean_warning_time_s", "mean warning time (s)", 1.0)]
    if ax is None:
        fig, axes = new_figure((4.2 * len(panels), 0.45 * len(names) + 0.2 * n_lines + 2.4), 1, len(panels),
                                sharey=True)
    else:
        axes = list(ax)
        fig = axes[0].figure
    y = np.arange(len(names))
    for ax, (key, label, scale), c in zip(axes, panels, _COLOURS, strict=False):
        # None (e.g. no mean battle space where no city is defended): no bar, "—" as in the table
        vals = [None if m.get(key) is None else m[key] * scale for m in metrics]
        drawn = [(yi, v) for yi, v in zip(y, vals, strict=True) if v is not None]
        if drawn:
            ax.barh([yi for yi, _ in drawn], [v for _, v in drawn], color=c)
        for yi, v in zip(y, vals, strict=True):
            ax.text(0.0 if v is None else v, yi, " —" if v is None else f" {v:,.1f}" if v < 100 else f" {v:,.0f}",
                    va="center", fontsize=8)
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlim(0, max([v for v in vals if v is not None] + [1e-9]) * 1.25)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels([plain_text(x) for x in names], fontsize=9, parse_math=False, usetex=False)
    axes[0].invert_yaxis()
    fig.suptitle(title)
    finish_figure(fig, caption)
    return fig


def _wrap(text: str, width: int) -> str:
    """``text`` on lines of at most ``width`` characters (words kept whole)."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _short_title(title: object, width: int = 40) -> str:
    """A title, its white space collapsed, wrapped on lines of ``width`` characters, whole
    (never cut; :func:`_wrap`)."""
    return _wrap(" ".join(str(title).split()), width) if title else ""
