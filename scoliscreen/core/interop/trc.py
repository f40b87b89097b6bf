"""TRC marker files (OpenSim, Pose2Sim, Sports2D), out and in.

Written: tab-separated, the OpenSim header (``PathFileType 4 (X/Y/Z)``; ``DataRate``,
``CameraRate``, ``NumFrames``, ``NumMarkers``, ``Units``, ``OrigDataRate``,
``OrigDataStartFrame``, ``OrigNumFrames``), a marker row of the 33 MediaPipe names, an
``X1 Y1 Z1 ...`` row, then ``Frame#``, ``Time`` (s) and X, Y, Z per marker. A 2-D pose in
image pixels: ``Units`` is ``px``, X = image x (right), Y = -(image y) so that up is positive
as in OpenSim, Z = 0; a marker not found in a frame is left empty (OpenSim reads it as missing).
Read: any 2-D TRC whose markers carry MediaPipe, BODY_25 (Pose2Sim/Sports2D) or COCO names;
Y is taken as up (image y = -Y) in ``px`` files and as metres up otherwise.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np

from scoliscreen.core.errors import InputError
from scoliscreen.core.interop import output
from scoliscreen.core.interop.poses import pixels_of, read_limited, sequence_from_pixels
from scoliscreen.core.landmarks import MP, MP_NAMES
from scoliscreen.core.sequence import PoseSequence

HEADER_KEYS = ("DataRate", "CameraRate", "NumFrames", "NumMarkers", "Units", "OrigDataRate",
               "OrigDataStartFrame", "OrigNumFrames")
# names other tools give the MediaPipe landmarks (BODY_25 / Pose2Sim / COCO spellings)
ALIASES: dict[str, str] = {
    "Nose": "nose", "REye": "right_eye", "LEye": "left_eye", "REar": "right_ear", "LEar": "left_ear",
    "RShoulder": "right_shoulder", "LShoulder": "left_shoulder", "RElbow": "right_elbow",
    "LElbow": "left_elbow", "RWrist": "right_wrist", "LWrist": "left_wrist", "RHip": "right_hip",
    "LHip": "left_hip", "RKnee": "right_knee", "LKnee": "left_knee", "RAnkle": "right_ankle",
    "LAnkle": "left_ankle", "RHeel": "right_heel", "LHeel": "left_heel", "RBigToe": "right_foot_index",
    "LBigToe": "left_foot_index",
}


def _fmt(v: float) -> str:
    return "" if not math.isfinite(v) else f"{v:.6f}"


def trc_text(seq: PoseSequence, name: str = "pose.trc") -> str:
    px = pixels_of(seq)
    rate = f"{seq.fps:.6g}"
    n, m = len(seq), len(MP_NAMES)
    lines = [f"PathFileType\t4\t(X/Y/Z)\t{name}", "\t".join(HEADER_KEYS),
             "\t".join([rate, rate, str(n), str(m), "px", rate, "1", str(n)]),
             "\t".join(["Frame#", "Time"] + [f"{nm}\t\t" for nm in MP_NAMES]).rstrip("\t"),
             "\t".join(["", ""] + [f"X{i}\tY{i}\tZ{i}" for i in range(1, m + 1)]), ""]
    t0 = float(seq.timestamps_ms[0]) if n else 0.0
    for t in range(n):
        row = [str(t + 1), f"{(seq.timestamps_ms[t] - t0) / 1000.0:.6f}"]
        for k in range(m):
            x, y = px[t, k, 0], px[t, k, 1]
            ok = math.isfinite(x) and math.isfinite(y)
            row += [_fmt(x), _fmt(-y) if ok else "", "0" if ok else ""]
        lines.append("\t".join(row))
    return "\n".join(lines) + "\n"


def write_trc(seq: PoseSequence, out: str | Path) -> Path:
    out = Path(out)
    return output.write_text(out, trc_text(seq, out.name))


def _canonical(name: str) -> str | None:
    name = name.strip()
    if name in MP:
        return name
    if name in ALIASES:
        return ALIASES[name]
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return snake if snake in MP else None


def read_trc(path: str | Path) -> PoseSequence:
    """A 2-D TRC -> PoseSequence (markers without a MediaPipe counterpart are ignored)."""
    path = Path(path)
    text = read_limited(path, "TRC file").decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(lines) < 6 or not lines[0].startswith("PathFileType"):
        raise InputError(f"{path}: not a TRC file (the first line must start with PathFileType)")
    keys, values = lines[1].split("\t"), lines[2].split("\t")
    header = {k.strip(): v.strip() for k, v in zip(keys, values, strict=False)}
    try:
        rate = float(header.get("DataRate") or header["CameraRate"])
    except (KeyError, ValueError):
        raise InputError(f"{path}: the TRC header has no DataRate") from None
    units = header.get("Units", "").lower()
    markers = [c for c in lines[3].split("\t")[2:] if c.strip()]
    if not markers:
        raise InputError(f"{path}: the TRC file names no markers")
    cols = {}
    for j, name in enumerate(markers):
        mp = _canonical(name)
        if mp is not None and mp not in cols:
            cols[mp] = 2 + 3 * j
    if not cols:
        raise InputError(f"{path}: none of the TRC markers is a body landmark ScoliScreen knows "
                         "(MediaPipe, BODY_25 or COCO names; see docs/interop.md)")
    try:
        table = np.genfromtxt(io.StringIO("\n".join(ln for ln in lines[5:] if ln.strip())), delimiter="\t",
                              dtype=np.float64, filling_values=np.nan, invalid_raise=False)
    except ValueError:
        raise InputError(f"{path}: the TRC data rows are not numbers") from None
    table = np.atleast_2d(table)
    if table.size == 0 or table.shape[1] < 2:
        raise InputError(f"{path}: the TRC file has no data rows")
    scale = 1.0 if units in ("px", "pixel", "pixels") else {"m": 1000.0, "mm": 1.0, "cm": 10.0}.get(units, 1.0)
    pts = np.full((len(table), 33, 4), np.nan)
    for mp, c in cols.items():
        if c + 1 < table.shape[1]:
            pts[:, MP[mp], 0] = table[:, c] * scale
            pts[:, MP[mp], 1] = -table[:, c + 1] * scale
    if units not in ("px", "pixel", "pixels"):  # metres up: shift so the pose sits in a positive frame
        finite = np.isfinite(pts[:, :, :2]).all(axis=-1)
        if finite.any():
            pts[:, :, 0] -= np.nanmin(pts[:, :, 0][finite]) - 10.0
            pts[:, :, 1] -= np.nanmin(pts[:, :, 1][finite]) - 10.0
    times = table[:, 1] * 1000.0
    ts = times if np.isfinite(times).all() and (len(times) < 2 or (np.diff(times) > 0).all()) else None
    return sequence_from_pixels(pts, rate, None, ts, str(path))
