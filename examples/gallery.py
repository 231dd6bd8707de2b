"""Build the gallery of every bundled scenario (maps/<scenario>.html and maps/index.html)
through the Python API — the same as ``geocover map --all``.

    python examples/gallery.py [OUT_DIR] [--offline]
"""

from __future__ import annotations

import sys
from pathlib import Path

from geocover.cli.map import build_gallery

args = [a for a in sys.argv[1:] if not a.startswith("--")]
paths = build_gallery(Path(args[0] if args else "maps"), offline="--offline" in sys.argv)
print(f"wrote {len(paths)} files")
