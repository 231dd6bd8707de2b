"""The README's links into docs/ point at pages that exist (the docs site quotes README sections,
rewriting docs/X.md to X.md; a dangling link fails `mkdocs build --strict` in .ci/run)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_links_into_docs_exist():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#\s]+)", text)
    assert links, "the README links no docs page: the check would be empty"
    missing = sorted({p for p in links if not (ROOT / p).is_file()})
    assert missing == []


def test_quoted_sections_rewrite_docs_links():
    import importlib.util

    spec = importlib.util.spec_from_file_location("generated", ROOT / "docs" / "_hooks" / "generated.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = [ln for ln in text.splitlines() if ln.startswith("#") and "](docs/" in text.split(ln, 1)[1][:4000]]
    assert headings  # some quoted section links into docs/
    for h in headings[:5]:
        assert "](docs/" not in mod.readme_section(h)
