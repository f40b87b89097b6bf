"""CSV export: per-frame landmarks and the per-window knowledge map, with named columns.

``landmarks.csv``: ``frame, time_s`` then for each MediaPipe landmark ``NAME_x_px, NAME_y_px,
NAME_z, NAME_visibility`` (empty where not found). ``knowledge_map.csv``: ``window,
start_frame_30hz, centre_time_s`` then one column per knowledge-map feature named
``NAME [UNIT]`` (empty where not computable). Both are plain UTF-8 with a header row.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from scoliscreen.core.interop import output
from scoliscreen.core.interop.poses import pixels_of
from scoliscreen.core.landmarks import MP_NAMES
from scoliscreen.core.sequence import PoseSequence

if TYPE_CHECKING:
    from scoliscreen.core.kinematics import KnowledgeMap


def _cell(v: float) -> str:
    return "" if not math.isfinite(v) else f"{v:.6g}"


def landmarks_csv(seq: PoseSequence) -> str:
    px = pixels_of(seq)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["frame", "time_s"] + [f"{n}_{c}" for n in MP_NAMES for c in ("x_px", "y_px", "z", "visibility")])
    t0 = float(seq.timestamps_ms[0]) if len(seq) else 0.0
    for t in range(len(seq)):
        w.writerow([t, f"{(seq.timestamps_ms[t] - t0) / 1000:.6f}"] + [_cell(float(v)) for v in px[t].reshape(-1)])
    return buf.getvalue()


def knowledge_map_csv(seq: PoseSequence, km: KnowledgeMap | None = None) -> str:
    """``km``: the visit's map (on the model's segment); else computed on the whole sequence."""
    if km is None:
        from scoliscreen.core.kinematics import compute_knowledge_map

        km = compute_knowledge_map(seq)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["window", "start_frame_30hz", "centre_time_s"] + [f"{f.name} [{f.unit}]" for f in km.features])
    for i in range(len(km.window_start)):
        w.writerow([i, int(km.window_start[i]), f"{float(km.window_times_s[i]):.4f}"]
                   + [_cell(float(v)) for v in km.values[i]])
    return buf.getvalue()


def write_csv_folder(seq: PoseSequence, folder: str | Path, km: KnowledgeMap | None = None) -> Path:
    folder = output.check_output(folder, folder=True)
    output.write_text(folder / "landmarks.csv", landmarks_csv(seq))
    output.write_text(folder / "knowledge_map.csv", knowledge_map_csv(seq, km))
    return folder
