"""Where geocover finds its bundled data and where it caches results.

The data (catalogs, scenarios, DEMs, the EGM96 geoid grid and country outlines, ~8 MB) is
shipped inside the package as ``geocover.data``: in the repository it is the top-level
``data/`` folder, mapped into the package by ``[tool.setuptools.package-dir]`` in
``pyproject.toml``; in a wheel it is ``site-packages/geocover/data``. It is located with
:mod:`importlib.resources`, so it is found the same way after ``pip install -e .`` and after
``pip install geocover-*.whl``.

Environment variables
---------------------
GEOCOVER_DATA_DIR
    Use another copy of the data folder (same layout as the bundled one).
GEOCOVER_CACHE_DIR
    Cache folder (terrain horizon masks, CRPL ray tables). Default: the platform's user cache folder from
    :func:`platformdirs.user_cache_dir` (``$XDG_CACHE_HOME/geocover``, else
    ``~/.cache/geocover`` on Linux).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

from .errors import DataFileError

__all__ = ["cache_dir", "data_dir", "data_path"]

_DATA_PACKAGE = "geocover.data"


def _bundled_data_dir() -> Path:
    """Folder of the ``geocover.data`` package, as a real file-system path."""
    try:
        root = resources.files(_DATA_PACKAGE)
    except ModuleNotFoundError as exc:
        raise DataFileError(
            f"geocover's bundled data package {_DATA_PACKAGE!r} is not installed "
            "(reinstall geocover, or set GEOCOVER_DATA_DIR to a copy of its data folder)"
        ) from exc
    if not isinstance(root, Path):  # e.g. a zipped install: the rasters need real files
        raise DataFileError(
            f"geocover's bundled data is not on the file system ({root}); "
            "install geocover unzipped or set GEOCOVER_DATA_DIR"
        )
    return root


def data_dir() -> Path:
    """The folder holding ``catalog/``, ``scenarios/``, ``dem/``, ``geoid/`` and ``countries/``.

    Returns
    -------
    pathlib.Path
        ``$GEOCOVER_DATA_DIR`` when set, else the bundled ``geocover.data`` folder.

    Raises
    ------
    DataFileError
        The folder does not exist (the message names ``GEOCOVER_DATA_DIR`` when it came from there).
    """
    env = os.environ.get("GEOCOVER_DATA_DIR")
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise DataFileError(f"GEOCOVER_DATA_DIR={env!r} is not a folder")
        return path
    path = _bundled_data_dir()
    if not (path / "catalog").is_dir():
        raise DataFileError(
            f"geocover's bundled data folder is incomplete: {path} has no catalog/ "
            "(reinstall geocover, or set GEOCOVER_DATA_DIR)"
        )
    return path


def data_path(*parts: str) -> Path:
    """Path of a data file under :func:`data_dir`.

    Raises
    ------
    DataFileError
        The file is missing.
    """
    path = data_dir().joinpath(*parts)
    if not path.exists():
        raise DataFileError(f"bundled data file missing: {path}")
    return path


def cache_dir() -> Path:
    """Folder for geocover's on-disk cache (not created here).

    ``$GEOCOVER_CACHE_DIR`` when set, else ``platformdirs.user_cache_dir("geocover")``:
    ``$XDG_CACHE_HOME/geocover`` or ``~/.cache/geocover`` on Linux,
    ``~/Library/Caches/geocover`` on macOS, ``%LOCALAPPDATA%\\geocover\\Cache`` on Windows.
    """
    env = os.environ.get("GEOCOVER_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("geocover", appauthor=False))


def stale_cache_temporaries(folder: Path, suffix: str) -> list[Path]:
    """The temporaries ``<key>.<pid><suffix>`` in cache folder ``folder`` whose process
    (not this one) is gone: what killed runs left while writing a cache entry (the caller
    removes them). Raises OSError where the folder cannot be listed."""
    stale = []
    for old in folder.glob(f"*{suffix}"):
        stem = old.name[:-len(suffix)]
        pid = stem.rsplit(".", 1)[-1] if "." in stem else ""
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            stale.append(old)
    return stale


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs: a killed process not yet reaped (a zombie, state Z
    in /proc/PID/stat on Linux) owns nothing any more. The one liveness test of the cache's
    temporaries and of :mod:`geocover.export`'s temporary, staging and marker names."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (not Linux), or it ended meanwhile: os.kill's answer stands
        return True
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
