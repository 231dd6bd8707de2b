"""Where geocover finds its bundled data (``data/`` at the repository root).

Set ``GEOCOVER_DATA_DIR`` to use another copy (for example after a non-editable install).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataFileError


def data_dir() -> Path:
    """The folder holding ``catalog/``, ``dem/``, ``geoid/`` and ``countries/``."""
    env = os.environ.get("GEOCOVER_DATA_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[1] / "data"
    if not path.is_dir():
        raise DataFileError(
            f"geocover data folder not found: {path} "
            "(install the repository with 'pip install -e .' or set GEOCOVER_DATA_DIR)"
        )
    return path


def data_path(*parts: str) -> Path:
    """Path of a bundled data file, raising a clear error when it is missing."""
    path = data_dir().joinpath(*parts)
    if not path.exists():
        raise DataFileError(f"bundled data file missing: {path}")
    return path
