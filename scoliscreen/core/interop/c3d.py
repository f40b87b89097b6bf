"""C3D (Vicon, Mokka, Visual3D, ezc3d): the pose sequence as 2-D points in image pixels.

``POINT:LABELS`` are the MediaPipe landmark names, ``POINT:UNITS`` is ``px``, ``POINT:RATE`` the
recording's frame rate, floating-point storage (``POINT:SCALE`` = -1). X = image x (right),
Y = image y (down), Z = 0. A landmark missing in a frame has residual -1 (the C3D convention
for an invalid point), so readers such as ezc3d give NaN; a found one has residual 0.
``POINT:DESCRIPTIONS`` holds each landmark's MediaPipe index and visibility is not stored.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from scoliscreen.core.interop import output
from scoliscreen.core.interop.poses import pixels_of
from scoliscreen.core.landmarks import MP_NAMES
from scoliscreen.core.sequence import PoseSequence


def write_c3d(seq: PoseSequence, out: str | Path) -> Path:
    ezc3d = output.require("ezc3d", "c3d")
    out = output.check_output(out)
    px = pixels_of(seq)  # [T, 33, 4]
    n = len(MP_NAMES)
    found = np.isfinite(px[:, :, :2]).all(axis=-1).T  # [33, T]
    points = np.zeros((4, n, len(seq)))
    points[0] = np.where(found, px[:, :, 0].T, 0.0)
    points[1] = np.where(found, px[:, :, 1].T, 0.0)
    points[3] = 1.0
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = [float(seq.fps)]
    c["parameters"]["POINT"]["LABELS"]["value"] = tuple(MP_NAMES)
    c["parameters"]["POINT"]["UNITS"]["value"] = ["px"]
    c.add_parameter("POINT", "DESCRIPTIONS", [f"MediaPipe Pose landmark {i}, image pixels" for i in range(n)])
    c["data"]["points"] = points
    c["data"]["meta_points"]["residuals"] = np.where(found, 0.0, -1.0)[None].astype(np.float64)
    fd, tmp = tempfile.mkstemp(suffix=".c3d")
    os.close(fd)
    try:
        c.write(tmp)
        data = Path(tmp).read_bytes()
    finally:
        os.unlink(tmp)
    return output.write_file(out, data)
