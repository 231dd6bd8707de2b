"""Build the EPAA phase 3 map through the Python API, online and offline.

    python examples/scenario_map.py [OUT_DIR]     # default: maps/
"""

from __future__ import annotations

import sys
from pathlib import Path

from geocover.maps import save_map, scenario_map
from geocover.scenario import load_scenario

out = Path(sys.argv[1] if len(sys.argv) > 1 else "maps")
sc = load_scenario("epaa-phase3-2018")
for offline in (False, True):
    m = scenario_map(sc, launch_id="tabriz", altitudes_m=(100e3, 300e3, 1000e3), offline=offline)
    path = save_map(m, out / f"{sc.id}{'-offline' if offline else ''}.html", offline=offline)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
