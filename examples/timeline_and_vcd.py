"""A detection timeline (Tabriz to Paris) and a vertical coverage diagram, as PNG files.

    python examples/timeline_and_vcd.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import geocover as gc
from geocover.plots import plot_timeline, plot_vertical_coverage, save_figure
from geocover.radar import RadarView
from geocover.timeline import timeline
from geocover.trajectory import aim_missile

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
cat = gc.default_catalog()
launch, target, missile = cat.launch_site("tabriz"), cat.target("paris"), cat.missile("irbm")
traj, _ = aim_missile(missile, launch.lat_deg, launch.lon_deg, target.lat_deg, target.lon_deg)
views = [RadarView(cat.radar(r)) for r in ("gabala", "kurecik", "brdy-emr", "deveselu")]
tl = timeline(traj, views)
print(f"first detection {tl.first_detection_t_s:.0f} s by {tl.first_detection_radar}; "
      f"warning {tl.warning_time_s:.0f} s")
save_figure(plot_timeline(tl, title="IRBM Tabriz -> Paris"), out / "timeline_tabriz_paris.png")
save_figure(plot_vertical_coverage(RadarView(cat.radar("brdy-emr"), rcs_m2=0.01)), out / "vcd_brdy.png")
print(f"wrote {out / 'timeline_tabriz_paris.png'} and {out / 'vcd_brdy.png'}")
