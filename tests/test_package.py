"""Packaging: the sdist and the wheel carry the code and the bundled data, and an installed
geocover finds its data inside the package (not beside a repository), from any folder.

The build runs without isolation (no network: setuptools and build come from the test extra)
in a scratch copy of the sources, so the working tree is not touched. `.ci/run` also builds
with isolation, runs `twine check` and installs the wheel into a fresh venv outside the
repository.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from geocover._paths import cache_dir, data_dir, data_path
from geocover.errors import DataFileError

ROOT = Path(__file__).resolve().parents[1]

# The files a user needs (data/README.md names them with their provenance): at least these.
REQUIRED_DATA = [
    "README.md",
    "catalog/radars.geojson",
    "catalog/interceptors.geojson",
    "catalog/launch_sites.geojson",
    "catalog/targets.geojson",
    "catalog/missiles.toml",
    "scenarios/third-site-2007.toml",
    "dem/dem_globe2m_max.tif",
    "dem/dem_etopo5_eurasia.tif",
    "dem/etopo5_global10.tif",
    "geoid/us_nga_egm96_15.tif",
    "countries/world_countries_ne110m.geojson",
    "countries/world_countries_ne50m.geojson",
]


def _tree_files(base: Path, suffixes: tuple[str, ...] | None = None) -> dict[str, str]:
    """Relative path -> sha256 of every file under base (no caches, no compiled files)."""
    out = {}
    for p in sorted(base.rglob("*")):
        if not p.is_file() or "__pycache__" in p.parts or p.suffix in (".pyc", ".nbc", ".nbi"):
            continue
        if suffixes and p.suffix not in suffixes:
            continue
        out[p.relative_to(base).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """sdist and wheel built (wheel from the sdist, as pip does) from a scratch copy of the sources."""
    pytest.importorskip("build")
    work = tmp_path_factory.mktemp("pkg")
    src = work / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbc", "*.nbi")
    for name in ("geocover", "data", "docs", "examples"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "MANIFEST.in", "mkdocs.yml"):
        shutil.copy2(ROOT / name, src / name)
    dist = work / "dist"
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = dist.glob("geocover-*.whl")
    (sdist,) = dist.glob("geocover-*.tar.gz")
    return work, wheel, sdist


def test_wheel_carries_every_module_and_data_file_unchanged(built):
    work, wheel, _ = built
    src = work / "src"  # the sources as built (the working tree may change meanwhile)
    with zipfile.ZipFile(wheel) as z:
        inside = {n: hashlib.sha256(z.read(n)).hexdigest() for n in z.namelist() if not n.endswith("/")}
    # Every module of the package (a new subpackage missing from pyproject's explicit
    # `packages` list would fail here).
    for rel, digest in _tree_files(src / "geocover", (".py", ".typed")).items():
        assert inside.get(f"geocover/{rel}") == digest, f"geocover/{rel} missing or different in the wheel"
    # Every data file, byte for byte, under geocover/data/ (the package-dir mapping of data/).
    data_files = _tree_files(src / "data")
    assert set(REQUIRED_DATA) <= set(data_files)
    for rel, digest in data_files.items():
        assert inside.get(f"geocover/data/{rel}") == digest, f"data/{rel} missing or different in the wheel"
    # Nothing else lands at the top of site-packages (no generic `data/` or `tests/`).
    tops = {n.split("/")[0] for n in inside}
    assert tops == {"geocover", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}


def test_sdist_carries_the_data_folder_in_place(built):
    _, _, sdist = built
    with tarfile.open(sdist) as t:
        names = {m.name.split("/", 1)[1] for m in t.getmembers() if m.isfile() and "/" in m.name}
    assert {"pyproject.toml", "README.md", "geocover/_paths.py", "data/__init__.py"} <= names
    # ... and what builds the documentation (docs/sources.md is what the catalog cites).
    assert {"mkdocs.yml", "docs/sources.md", "docs/_hooks/generated.py", "examples/published_claim.ipynb"} <= names
    assert not [n for n in names if "__pycache__" in n]
    assert {f"data/{rel}" for rel in REQUIRED_DATA} <= names


def test_unpacked_wheel_finds_its_own_data_from_another_folder(built, tmp_path):
    """The wheel's files, first on sys.path, run from an unrelated folder with no GEOCOVER_DATA_DIR."""
    _, wheel, _ = built
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "GEOCOVER_DATA_DIR"}
    env["PYTHONPATH"] = str(site)
    code = ("import geocover, sys; from geocover._paths import data_dir; "
            "print(geocover.__file__); print(data_dir()); "
            "from geocover.cli.main import cli; sys.argv = ['geocover', 'sites', '--kind', 'radar']; cli()")
    proc = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    module_file, data_folder, *table = proc.stdout.splitlines()
    assert Path(module_file).is_relative_to(site)
    assert Path(data_folder) == site / "geocover" / "data"
    # The radar catalog's first record (data/catalog/radars.geojson) is listed.
    assert any(line.startswith("brdy-emr") for line in table)


def test_editable_install_maps_data_folder_to_the_package(monkeypatch):
    """In the repository (pip install -e .), geocover.data is the top-level data/ folder."""
    monkeypatch.delenv("GEOCOVER_DATA_DIR", raising=False)
    assert data_dir().resolve() == (ROOT / "data").resolve()
    assert data_path("README.md").read_bytes() == (ROOT / "data" / "README.md").read_bytes()


def test_data_dir_override_and_its_error(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOCOVER_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    with pytest.raises(DataFileError, match="bundled data file missing"):
        data_path("catalog", "radars.geojson")
    monkeypatch.setenv("GEOCOVER_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(DataFileError, match="GEOCOVER_DATA_DIR"):
        data_dir()


def test_cache_dir_honours_geocover_cache_dir_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("GEOCOVER_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("GEOCOVER_CACHE_DIR")
    if sys.platform != "linux":
        pytest.skip("XDG_CACHE_HOME is the Linux convention")
    # XDG Base Directory Specification: user cache files go to $XDG_CACHE_HOME/<app>.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "geocover"
    monkeypatch.delenv("XDG_CACHE_HOME")
    # ... and ~/.cache/<app> when it is unset.
    assert cache_dir() == Path.home() / ".cache" / "geocover"


def test_cli_verbose_logs_data_and_cache_folders_quiet_contradicts(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from geocover.cli.main import cli

    monkeypatch.setenv("GEOCOVER_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GEOCOVER_DATA_DIR", raising=False)
    res = CliRunner().invoke(cli, ["-v", "distance", "tabriz", "warsaw"])
    assert res.exit_code == 0, res.output
    assert f"data {(ROOT / 'data').resolve()}" in res.stderr or f"data {ROOT / 'data'}" in res.stderr
    assert f"cache {tmp_path}" in res.stderr
    res = CliRunner().invoke(cli, ["distance", "tabriz", "warsaw"])
    assert "INFO" not in res.stderr
    res = CliRunner().invoke(cli, ["-q", "-v", "sites"])
    assert res.exit_code == 2 and "contradict" in res.output


def test_shipped_data_cites_only_what_users_have():
    """Catalog records and scenarios cite the project's sources page (docs/sources.md, shipped in
    the sdist and published with the docs), never the team's private shared/ folder."""
    texts = {p: p.read_text(encoding="utf-8") for p in (ROOT / "data").rglob("*")
             if p.suffix in (".geojson", ".toml", ".md")}
    assert texts
    assert not [p for p, t in texts.items() if "shared/reference" in t or "SOURCES.md" in t]
    assert (ROOT / "docs" / "sources.md").is_file()
