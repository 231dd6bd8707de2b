"""``geocover map``: one interactive HTML map per scenario, or the whole gallery."""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..errors import InputError, quoted
from ..export import atomic_write_text, check_complete, check_output_file, staged_output
from ..maps import E, p_defended_map, read_p_defended, save_map, scenario_map
from ..scenario import bundled_scenarios, load_scenario
from .options import announce_engagement_defaults, catalog_option, get_catalog, nonempty, note, output_name, progress


def map_style_options(f):
    """``--tiles``, ``--cdn`` and ``--offline``: how a map reaches its assets. Without any,
    a map is one self-contained file (Leaflet inlined, no tiles) that needs no network."""
    f = click.option("--offline", is_flag=True,
                     help="No tiles and no network request at all (the default; kept for old scripts).")(f)
    f = click.option("--cdn", is_flag=True,
                     help="Load Leaflet from its CDN instead of inlining it (smaller file; needs the network).")(f)
    f = click.option("--tiles", is_flag=True,
                     help="Add an OpenStreetMap basemap (online; the map's own country outlines stay visible "
                          "when the tiles cannot load).")(f)
    return f


def map_style(offline: bool, cdn: bool, tiles: bool) -> dict:
    """Check the three flags of :func:`map_style_options` and return the keyword arguments
    of the map builders (``tiles``) and of :func:`geocover.maps.save_map` (``offline``, ``cdn``)."""
    if offline and (cdn or tiles):
        raise InputError("--offline makes no network request: give it without --cdn and --tiles")
    return {"offline": offline, "cdn": cdn, "tiles": tiles}


def build_gallery(out_dir: Path, *, offline: bool = False, catalog=None, echo=click.echo, cdn: bool = False,
                  tiles: bool = False) -> list[Path]:
    """Maps of every bundled scenario in ``out_dir`` and an ``index.html`` linking them
    (all written to a staging folder first: an error leaves ``out_dir`` as it was)."""
    with staged_output(out_dir) as stage:
        names = _gallery(stage, offline=offline, catalog=catalog, echo=echo, cdn=cdn, tiles=tiles)
    return [Path(out_dir) / n for n in names]


def _gallery(out_dir: Path, *, offline: bool, catalog, echo, cdn: bool, tiles: bool) -> list[str]:
    written, rows = [], []
    for sid in progress(list(bundled_scenarios()), "maps"):
        t0 = time.perf_counter()
        sc = load_scenario(sid, catalog)
        path = save_map(scenario_map(sc, offline=offline, tiles=tiles), out_dir / f"{sid}.html", offline=offline,
                        cdn=cdn)
        size = path.stat().st_size
        echo(f"  {path.name}: {size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")
        rows.append(f"<li><a href='{E(path.name)}'>{E(sc.title)}</a> "
                    f"<small>({E(sc.year or '')}; {size / 1e6:.1f} MB)</small></li>")
        written.append(path.name)
    index = ("<!doctype html><html><head><meta charset='utf-8'><title>geocover gallery</title></head>"
             "<body style='font:15px sans-serif;max-width:900px;margin:2em auto'><h1>geocover scenario maps</h1>"
             "<p>Each map shows the radars (coverage at 100/300/1000 km, sectors, terrain horizon), the "
             "threat trajectories coloured by the radar that tracks them, the target cities with their "
             "engagement results and the defended footprint against the first launch site of the scenario; "
             "a sectoral scenario also each side's territory and the side responsible for each city."
             f"</p><ul>{''.join(rows)}</ul></body></html>\n")
    written.append(atomic_write_text(out_dir / "index.html", index).name)
    return written


@click.command("map")
@click.argument("scenario_name", metavar="SCENARIO", required=False)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), callback=output_name,
              help="HTML file [default: maps/<scenario>.html].")
@click.option("--launch", "launch_id", callback=nonempty,
              help="Launch site whose threat is shown [default: the scenario's first].")
@map_style_options
@click.option("--all", "build_all", is_flag=True, help="Build every bundled scenario into maps/ with an index.html.")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None, callback=output_name,
              help="Folder for --all [default: maps].")
@click.option("--robustness", "robustness_dir", type=click.Path(), default=None, callback=nonempty,
              help="Add the P(defended) layer of an earlier `geocover robustness SCENARIO --out DIR` run "
                   "(its p_defended_*.tif).")
@catalog_option
def command(scenario_name, output, launch_id, offline, cdn, tiles, build_all, out_dir, robustness_dir,
            catalog_files) -> None:
    """Interactive HTML map of SCENARIO (bundled name or TOML path): every layer toggleable,
    popups on sites and cities, labelled cities, legend, scale bar, measure and fullscreen
    tools. One self-contained file that works offline unless --cdn or --tiles is given.
    A scenario with [sectors] also shows each side's territory and the side responsible
    for each city; --robustness DIR adds the P(defended) layer of a robustness run."""
    style = map_style(offline, cdn, tiles)
    cat = get_catalog(catalog_files)
    if build_all:
        if scenario_name or output or launch_id or robustness_dir:
            raise InputError("--all builds every bundled scenario; give no SCENARIO, -o, --launch or --robustness "
                             "with it")
        folder = Path(out_dir or "maps")
        paths = build_gallery(folder, catalog=cat, **style)
        click.echo(f"wrote {len(paths)} files to {folder}")
        return
    if not scenario_name:
        raise InputError("give a SCENARIO (one of: " + ", ".join(bundled_scenarios()) + ") or --all")
    if out_dir:
        raise InputError("--out-dir goes with --all; use -o FILE for one map")
    sc = load_scenario(scenario_name, cat)
    if launch_id:
        sc.catalog.launch_site(launch_id)
    else:
        note(f"launch site: {sc.launch_sites[0]} for the cities and flights (scenario {sc.id}'s first; --launch "
             "to change it)" + ("; the footprint against all its launch areas is shown first"
                                if len(sc.launch_sites) > 1 else ""))
    announce_engagement_defaults(sc, missile_hint="its threat set", refraction=False)
    note("refraction model: crpl (the map's), footprint grid 0.5 deg")
    path = check_output_file(output or Path("maps") / f"{sc.id}.html")
    if path.suffix.lower() not in (".html", ".htm"):  # `-o x.toml` replaced the scenario it maps
        raise InputError(f"-o {quoted(str(output))}: the map is an HTML page; the file name must end in .html or .htm")
    if robustness_dir:
        check_complete(robustness_dir)  # not a folder a stopped run left half-moved (export.staged_output)
    p = read_p_defended(robustness_dir, scenario_id=sc.id) if robustness_dir else None  # checked before any work
    t0 = time.perf_counter()
    if p is not None:
        m = p_defended_map(sc, p, launch_id=launch_id, offline=offline, tiles=tiles)
    else:
        m = scenario_map(sc, launch_id=launch_id, offline=offline, tiles=tiles)
    save_map(m, path, offline=offline, cdn=cdn)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s)")
