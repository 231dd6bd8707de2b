"""``geocover compare``: scenarios side by side (Markdown, CSV, JSON and a chart)."""

from __future__ import annotations

import csv
import io
import json

import click

from ..compare import compare_scenarios
from ..errors import InputError
from ..export import atomic_write_text, staged_output
from ..scenario import load_scenario
from .options import QuantityType, catalog_option, get_catalog, model_option

COLUMNS = ("scenario", "year", "defended_area_km2", "defended_area_share", "cities_defended", "cities_threatened",
           "cities_defended_share", "mean_battle_space_s", "min_battle_space_s", "mean_warning_time_s",
           "boost_seen_share")


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
    return str(v)


def _weights(path: str | None) -> dict[str, float] | None:
    if not path:
        return None
    out = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            try:
                out[row["id"]] = float(row["weight"])
            except (KeyError, ValueError, TypeError):
                raise InputError(f"{path}: line {i}: needs columns id,weight with a number") from None
    return out


@click.command("compare")
@click.argument("scenario_names", metavar="SCENARIO...", nargs=-1, required=True)
@click.option("--launch", "launch_ids", help="Launch sites, comma-separated [default: the first scenario's].")
@click.option("--resolution", "resolution_deg", type=QuantityType("angle", minimum=0, strict_min=True),
              default="0.5deg", show_default=True, help="Footprint grid cell size.")
@click.option("--weights", "weights_path", type=click.Path(dir_okay=False, exists=True),
              help="CSV with columns id,weight to weight the target cities (e.g. population).")
@model_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Output folder.")
@catalog_option
def command(scenario_names, launch_ids, resolution_deg, weights_path, model, out_dir, catalog_files) -> None:
    """Compare scenarios against the same launch sites: defended area, cities defended, battle
    space, warning time, first detection, boost seen; and which scenarios defend each city."""
    cat = get_catalog(catalog_files)
    scenarios = [load_scenario(s, cat) for s in dict.fromkeys(scenario_names)]
    launches = [x.strip() for x in launch_ids.split(",")] if launch_ids else None
    for lid in launches or []:
        cat.launch_site(lid)
    comp = compare_scenarios(scenarios, launches, resolution_deg=resolution_deg, weights=_weights(weights_path),
                             model=model, progress=lambda sid: click.echo(f"  {sid}: done", err=True))
    cols = list(COLUMNS) + sorted({k for m in comp.metrics for k in m if k.startswith("first_detection_s_")})
    md = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(_fmt(m.get(c)) for c in cols) + " |" for m in comp.metrics]
    md += ["", "| city | " + " | ".join(s.id for s in scenarios) + " |", "|---|" + "---|" * len(scenarios)]
    for cid in sorted(comp.cities):
        md.append(f"| {cid} | " + " | ".join({True: "defended", False: "no", None: "—"}[comp.cities[cid].get(s.id)]
                                            for s in scenarios) + " |")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols + ["title", "launches", "missile", "grid_resolution_deg"],
                       extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for m in comp.metrics:
        w.writerow({k: ("" if v is None else v) for k, v in m.items()})
    from ..plots import plot_comparison, save_figure

    with staged_output(out_dir) as stage:
        atomic_write_text(stage / "comparison.md", "\n".join(md) + "\n")
        atomic_write_text(stage / "comparison.csv", buf.getvalue())
        atomic_write_text(stage / "comparison.json", json.dumps(
            {"metrics": comp.metrics, "cities": comp.cities}, indent=1) + "\n")
        save_figure(plot_comparison(comp.metrics), stage / "comparison.png")
    click.echo("\n".join(md[: len(comp.metrics) + 2]))
    click.echo(f"wrote comparison.md, comparison.csv, comparison.json, comparison.png to {out_dir}")
