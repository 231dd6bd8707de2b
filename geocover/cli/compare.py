"""``geocover compare``: scenarios side by side (Markdown, CSV, JSON and a chart)."""

from __future__ import annotations

import csv
import io
import json

import click

from ..compare import CITY_TABLE_FIELDS, compare_scenarios
from ..errors import InputError, quoted
from ..export import atomic_write_text, check_output_dir, staged_output
from ..scenario import load_scenario
from ..search import Executor
from .options import (
    SCHEDULER_WHY,
    QuantityType,
    announce_engagement_defaults,
    catalog_option,
    dpi_option,
    get_catalog,
    is_default,
    launch_ids_option,
    model_option,
    note,
    out_dir_option,
    output_name,
    scheduler_options,
)
from .progress import progress_callback

COLUMNS = ("scenario", "year", "defended_area_km2", "defended_land_area_km2", "defended_area_share",
           "defended_land_area_share", "cities_defended", "cities_threatened", "cities_defended_share",
           "mean_battle_space_s", "min_battle_space_s", "mean_warning_time_s", "boost_seen_share")

#: Column headings of the human-readable table (comparison.md, the terminal), with units.
HEADINGS = {"defended_area_km2": "defended area (km²)", "defended_land_area_km2": "of it land (km²)",
            "defended_area_share": "share of threatened area defended (%)",
            "defended_land_area_share": "share of threatened land defended (%)",
            "cities_defended": "cities defended", "cities_threatened": "cities threatened",
            "cities_defended_share": "cities defended (%)", "mean_battle_space_s": "mean battle space (s)",
            "min_battle_space_s": "least battle space (s)", "mean_warning_time_s": "mean warning time (s)",
            "boost_seen_share": "flights seen in boost (%)"}


def _heading(col: str) -> str:
    if col.startswith("first_detection_s_"):
        return f"first detection from {_md_text(col[len('first_detection_s_'):])} (s)"
    return HEADINGS.get(col, col)


def _fmt(v, col: str = "") -> str:
    """A table cell rounded for reading: areas to 3 significant figures (km²), shares as
    whole percent, times as whole seconds; the units are in the headings."""
    if v is None:
        return "—"
    if isinstance(v, float):
        if col.endswith("_share"):
            return f"{100 * v:.0f}"
        if col.endswith("_km2"):
            return f"{float(f'{v:.3g}'):,.0f}" if abs(v) >= 100 else f"{v:.3g}"
        if col.endswith("_s") or col.startswith("first_detection_s_"):
            return f"{v:,.0f}"
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
    return _md_text(str(v))


def _city_cell(row: dict) -> str:
    if not row["reachable"]:
        return "out of reach"
    if row["defended"]:
        return f"defended, {row['battle_space_s']:,.0f} s"
    return f"no ({row['limited_by']})"


def _md_text(s: str) -> str:
    """Text for a Markdown table cell, shown literally: ``& < >`` as entities (no HTML), the
    punctuation of tables, links and emphasis backslash-escaped (CommonMark 2.4: an escaped
    ASCII punctuation character is literal text), line breaks as spaces (a break ends the row)."""
    s = " ".join(s.splitlines()) if s else s
    ent = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    return "".join(ent.get(c) or ("\\" + c if c in "\\|[]()`*_!#" else c) for c in s)


def _csv_text(v):
    """A CSV cell that a spreadsheet opens as text, never as a formula: a text cell that starts
    with = + - @ or a tab/CR gets a leading apostrophe (OWASP, "CSV Injection"); numbers stay."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def _weights(path: str | None, targets) -> dict[str, float] | None:
    """City weights from a CSV with columns id,weight (UTF-8, a BOM is fine)."""
    import math

    if path is None:
        return None
    out: dict[str, float] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"id", "weight"} <= {f.strip() for f in reader.fieldnames}:
                raise InputError(f"{path}: needs a header line with columns id,weight")
            for i, row in enumerate(reader, start=2):
                rid = (row.get("id") or "").strip()
                try:
                    w = float(row.get("weight") or "")
                except ValueError:
                    raise InputError(f"{path}: line {i}: field 'weight' must be a number, got "
                                     f"{quoted(row.get('weight'))}") from None
                if not math.isfinite(w) or w < 0:
                    raise InputError(f"{path}: line {i}: field 'weight' must be finite and >= 0, got {quoted(w)}")
                if rid not in targets:
                    from ..errors import close_matches

                    near = close_matches(rid, targets)
                    raise InputError(f"{path}: line {i}: field 'id' {quoted(rid)} is not a target city"
                                     + (f"; did you mean {quoted(near[0])}?" if near else ""))
                if rid in out:
                    raise InputError(f"{path}: line {i}: field 'id' {quoted(rid)} appears twice")
                out[rid] = w
    except csv.Error as exc:  # a field over the csv module's limit, a bad quote
        raise InputError(f"{path}: not valid CSV ({exc})") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not out:
        raise InputError(f"{path}: no weights in the file")
    if set(targets) <= set(out) and not any(out.values()):  # unlisted cities weigh 1
        raise InputError(f"{path}: field 'weight' is 0 for every target city: the weighted share of "
                         "cities defended would be 0/0")
    return out


@click.command("compare")
@click.argument("scenario_names", metavar="SCENARIO...", nargs=-1, required=True)
@click.option("--launch", "launch_ids", help="Launch sites, comma-separated [default: the first scenario's].")
@click.option("--resolution", "resolution_deg", type=QuantityType("angle", minimum=0, strict_min=True),
              default="0.5deg", show_default=True, help="Footprint grid cell size.")
@click.option("--weights", "weights_path", type=click.Path(dir_okay=False, exists=True),
              help="CSV with columns id,weight to weight the target cities (e.g. population).")
@model_option
@scheduler_options("none", SCHEDULER_WHY)
@out_dir_option()
@click.option("--chart", "chart_name", callback=output_name,
              help="Also write the chart as this file name in the output folder (.svg or .pdf for print, .png); "
                   "comparison.png is always written.")
@dpi_option
@catalog_option
def command(scenario_names, launch_ids, resolution_deg, weights_path, model, scheduler, workers, out_dir,
            chart_name, dpi, catalog_files) -> None:
    """Compare scenarios against the same launch sites: defended area, cities defended, battle
    space, warning time, first detection, boost seen; and which scenarios defend each city."""
    check_output_dir(out_dir)
    if chart_name is not None:
        from pathlib import Path

        from ..plots import check_figure_path

        if Path(chart_name).name != chart_name or chart_name in ("", ".", "..", "comparison.png"):
            raise InputError(f"--chart {quoted(chart_name)}: give a file name (no folder), written into --out")
        check_figure_path(Path(out_dir) / chart_name)
    cat = get_catalog(catalog_files)
    scenarios = [load_scenario(s, cat) for s in dict.fromkeys(scenario_names)]
    seen: dict[str, str] = {}
    for name, sc in zip(dict.fromkeys(scenario_names), scenarios, strict=True):
        if sc.id in seen:  # the tables are keyed by id: the second would overwrite the first's column
            raise InputError(f"scenarios {quoted(seen[sc.id])} and {quoted(name)} have the same id {quoted(sc.id)} "
                             "(the file name without .toml); rename one of the files")
        seen[sc.id] = name
    launches = launch_ids_option(launch_ids, cat)
    if not launches:
        note(f"launch sites: {', '.join(scenarios[0].launch_sites)} (scenario {scenarios[0].id}'s, for every "
             "scenario; --launch to change them)")
    for i, sc in enumerate(scenarios):
        announce_engagement_defaults(sc, missile_hint="its threat set", refraction=i == 0)
    if is_default("resolution_deg"):
        note(f"grid: {resolution_deg:g} deg cells over each scenario's box (--resolution to change it)")
    weights = _weights(weights_path, {t.id for t in cat.sites("target")})
    with Executor(scheduler, workers=workers, progress=False) as ex:
        comp = compare_scenarios(scenarios, launches, resolution_deg=resolution_deg, weights=weights, model=model,
                                 progress=progress_callback(len(scenarios), "compare", "scenario"), executor=ex)
    cols = list(COLUMNS) + sorted({k for m in comp.metrics for k in m if k.startswith("first_detection_s_")})
    md = ["| " + " | ".join(_heading(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(_fmt(m.get(c), c) for c in cols) + " |" for m in comp.metrics]
    md += ["", "Areas: cells of the grid whose battle space is > 0 s against every (launch, missile class) pair "
           "that reaches them; land: the share of each cell inside the bundled country outlines (Natural Earth "
           "1:50m). Cities: defended (least battle space, s), no (why: `limited_by`), or out of reach.", ""]
    md += ["| city | name | lat (deg) | lon (deg) | " + " | ".join(_md_text(s.id) for s in scenarios) + " |",
           "|---|---|---|---|" + "---|" * len(scenarios)]
    by_city: dict[str, dict[str, dict]] = {}
    for row in comp.city_rows:
        by_city.setdefault(row["target"], {})[row["scenario"]] = row
    for cid, per in by_city.items():
        first = next(iter(per.values()))
        cells = [_md_text(_city_cell(per[s.id])) if s.id in per else "—" for s in scenarios]
        md.append(f"| {_md_text(cid)} | {_md_text(first['name'])} | {first['lat_deg']:.2f} | "
                  f"{first['lon_deg']:.2f} | " + " | ".join(cells) + " |")
    cbuf = io.StringIO()
    cw = csv.DictWriter(cbuf, fieldnames=list(CITY_TABLE_FIELDS), lineterminator="\n")
    cw.writeheader()
    for row in comp.city_rows:
        cw.writerow({k: ("" if row.get(k) is None else _csv_text(row[k])) for k in CITY_TABLE_FIELDS})
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols + ["title", "launches", "missile", "grid_resolution_deg"],
                       extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for m in comp.metrics:
        w.writerow({k: ("" if v is None else _csv_text(v)) for k, v in m.items()})
    from ..plots import comparison_caption, plot_comparison, save_figure
    from ..refraction import model_name

    fig = plot_comparison(comp.metrics, caption=comparison_caption(scenarios, launches, model_name(model)))
    from ..fusion import link_values  # scenarios with [networks]: what each shared network is worth

    links = link_values(scenarios, launches, resolution_deg=resolution_deg, model=model)

    with staged_output(out_dir) as stage:
        atomic_write_text(stage / "comparison.md", "\n".join(md) + "\n")
        atomic_write_text(stage / "comparison.csv", buf.getvalue())
        atomic_write_text(stage / "comparison_cities.csv", cbuf.getvalue())
        atomic_write_text(stage / "comparison.json", json.dumps(
            {"metrics": comp.metrics, "cities": comp.cities, "city_table": comp.city_rows}, indent=1) + "\n")
        save_figure(fig, stage / "comparison.png", dpi=dpi)
        if chart_name:
            save_figure(fig, stage / chart_name, dpi=dpi)
        from ..gis import comparison_outputs

        comparison_outputs(stage, scenarios, comp, cat)
        if links:
            atomic_write_text(stage / "links.json", json.dumps(links, indent=1) + "\n")
    click.echo("\n".join(md[: len(comp.metrics) + 2]))
    from ..fusion import link_summary

    for line in link_summary(links):
        click.echo(line)
    click.echo(f"wrote comparison.md, comparison.csv, comparison_cities.csv, comparison.json, comparison.png, "
               f"comparison.gpkg to {out_dir}")
