"""MkDocs hooks: pages that quote the README or list the bundled catalog are generated at
build time, so the site never drifts from the README and the data.

Markers in a page's Markdown:

``<!-- readme: HEADING -->``
    the README section that starts with the line ``HEADING`` (e.g. ``### Refraction``), up
    to the next heading of the same or a higher level; its own heading line is dropped.
``<!-- catalog-records -->``
    one table per bundled catalog file: every record with its source and confidence.
``<!-- scenario-sources -->``
    every bundled scenario with its year, sources and notional assumptions.

An unknown heading or marker fails the build (``mkdocs build --strict`` is what CI runs).
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
_MARK = re.compile(r"<!--\s*(readme|catalog-records|scenario-sources)\s*:?\s*(.*?)\s*-->")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def readme_section(heading: str) -> str:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index(heading)
    except ValueError:
        raise ValueError(f"README.md has no heading line {heading!r}") from None
    level = len(heading) - len(heading.lstrip("#"))
    out, in_code = [], False
    for line in lines[start + 1:]:
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and re.match(rf"#{{1,{level}}} ", line):
            break
        out.append(line)
    # the README links the docs as docs/X.md; the quoting pages sit beside X.md in the site
    return re.sub(r"\]\(docs/", "](", "\n".join(out).strip()) + "\n"


def catalog_records() -> str:
    parts = []
    for path in sorted((DATA / "catalog").glob("*.geojson")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        parts.append(f"### `catalog/{path.name}`\n\n| id | name | confidence | source | notes |\n|---|---|---|---|---|")
        for feat in doc["features"]:
            p = feat["properties"]
            parts.append(f"| `{_cell(p.get('id'))}` | {_cell(p.get('name'))} | {_cell(p.get('confidence'))} | "
                         f"{_cell(p.get('source'))} | {_cell(p.get('notes'))} |")
        parts.append("")
    for path in sorted((DATA / "catalog").glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        parts.append(f"### `catalog/{path.name}`\n\n| id | name | range | confidence | source |\n|---|---|---|---|---|")
        for key, rec in doc.get("missile", {}).items():
            rng = f"{rec['range_m'] / 1000:,.0f} km" if "range_m" in rec else ""
            parts.append(f"| `{_cell(key)}` | {_cell(rec.get('name'))} | {rng} | {_cell(rec.get('confidence'))} | "
                         f"{_cell(rec.get('source'))} |")
        parts.append("")
    return "\n".join(parts)


def scenario_sources() -> str:
    parts = ["| scenario | year | sources | notional |", "|---|---|---|---|"]
    for path in sorted((DATA / "scenarios").glob("*.toml")):
        sc = tomllib.loads(path.read_text(encoding="utf-8")).get("scenario", {})
        parts.append(f"| `{path.stem}` | {_cell(sc.get('year'))} | {_cell('; '.join(sc.get('sources', [])))} | "
                     f"{_cell('; '.join(sc.get('notional', [])))} |")
    return "\n".join(parts) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:
    def replace(m: re.Match) -> str:
        kind, arg = m.group(1), m.group(2)
        if kind == "readme":
            return readme_section(arg)
        if kind == "catalog-records":
            return catalog_records()
        return scenario_sources()

    return _MARK.sub(replace, markdown)
