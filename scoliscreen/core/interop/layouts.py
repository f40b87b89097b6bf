"""Keypoint layouts of other tools and their mapping to MediaPipe Pose 33 (docs/interop.md).

Left/right are the subject's in every layout. A MediaPipe landmark a layout lacks becomes NaN
on import; a layout's point MediaPipe lacks is written as undetected (0, 0, confidence 0) or
made from two MediaPipe points where OpenPose defines it so (Neck, MidHip).
"""

from __future__ import annotations

import numpy as np

from scoliscreen.core.landmarks import MP

BODY25_NAMES: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
    "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)
# BODY_25 point -> the MediaPipe landmark it is (one to one), or the two whose midpoint it is
BODY25_FROM_MP: dict[str, tuple[str, ...]] = {
    "Nose": ("nose",), "Neck": ("left_shoulder", "right_shoulder"),
    "RShoulder": ("right_shoulder",), "RElbow": ("right_elbow",), "RWrist": ("right_wrist",),
    "LShoulder": ("left_shoulder",), "LElbow": ("left_elbow",), "LWrist": ("left_wrist",),
    "MidHip": ("left_hip", "right_hip"), "RHip": ("right_hip",), "RKnee": ("right_knee",),
    "RAnkle": ("right_ankle",), "LHip": ("left_hip",), "LKnee": ("left_knee",), "LAnkle": ("left_ankle",),
    "REye": ("right_eye",), "LEye": ("left_eye",), "REar": ("right_ear",), "LEar": ("left_ear",),
    "LBigToe": ("left_foot_index",), "LSmallToe": (), "LHeel": ("left_heel",),
    "RBigToe": ("right_foot_index",), "RSmallToe": (), "RHeel": ("right_heel",),
}
assert tuple(BODY25_FROM_MP) == BODY25_NAMES


def mp_to_body25(points: np.ndarray) -> np.ndarray:
    """[T, 33, C] MediaPipe -> [T, 25, C] BODY_25 (NaN where MediaPipe has no such point)."""
    out = np.full((points.shape[0], 25, points.shape[2]), np.nan, dtype=np.float64)
    for k, names in enumerate(BODY25_FROM_MP.values()):
        if len(names) == 1:
            out[:, k] = points[:, MP[names[0]]]
        elif len(names) == 2:
            a, b = points[:, MP[names[0]]], points[:, MP[names[1]]]
            out[:, k] = (a + b) / 2.0
            if points.shape[2] > 2:  # a midpoint is as sure as its less sure end
                out[:, k, -1] = np.minimum(a[:, -1], b[:, -1])
    return out


def body25_to_mp(points: np.ndarray) -> np.ndarray:
    """[T, 25, C] BODY_25 -> [T, 33, C] MediaPipe (one-to-one points only; the rest NaN)."""
    out = np.full((points.shape[0], 33, points.shape[2]), np.nan, dtype=np.float64)
    for k, names in enumerate(BODY25_FROM_MP.values()):
        if len(names) == 1:
            out[:, MP[names[0]]] = points[:, k]
    return out


COMMON_FRAME_SIZES: tuple[tuple[int, int], ...] = (
    (640, 480), (960, 540), (1280, 720), (1920, 1080), (2560, 1440), (3840, 2160), (4096, 2160),
)


def guess_frame_size(xy_px: np.ndarray) -> tuple[int, int]:
    """The smallest common video frame (landscape or portrait) that holds every point, for pose
    files that do not say their frame size; else the points' extent rounded up to 16 pixels."""
    finite = xy_px[np.isfinite(xy_px).all(axis=-1)]
    if not len(finite):
        return COMMON_FRAME_SIZES[0]
    max_x, max_y = float(finite[:, 0].max()), float(finite[:, 1].max())
    sizes = sorted([*COMMON_FRAME_SIZES, *((h, w) for w, h in COMMON_FRAME_SIZES)], key=lambda s: s[0] * s[1])
    for w, h in sizes:
        if max_x <= w and max_y <= h:
            return w, h
    return int(np.ceil(max_x / 16) * 16), int(np.ceil(max_y / 16) * 16)
