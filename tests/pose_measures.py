"""Measures on pose sequences that several tests compare between simulated and real walkers."""

from __future__ import annotations

import numpy as np

from scoliscreen.core.landmarks import MP


def shoulder_trunk_ratio(seq) -> float:
    """Median shoulder width / trunk length (shoulder midpoint to hip midpoint), in pixels."""
    px = seq.pixels()
    sw = np.linalg.norm(px[:, MP["left_shoulder"]] - px[:, MP["right_shoulder"]], axis=1)
    sho = 0.5 * (px[:, MP["left_shoulder"]] + px[:, MP["right_shoulder"]])
    hip = 0.5 * (px[:, MP["left_hip"]] + px[:, MP["right_hip"]])
    return float(np.nanmedian(sw / np.linalg.norm(sho - hip, axis=1)))
