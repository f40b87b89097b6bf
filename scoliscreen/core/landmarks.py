"""Landmark layouts (MediaPipe Pose 33, COCO-17) and the body regions used everywhere.

Left/right are the *subject's* left/right, as MediaPipe labels them.
"""

from __future__ import annotations

import numpy as np

MP_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
assert len(MP_NAMES) == 33
MP = {name: i for i, name in enumerate(MP_NAMES)}
NUM_MP = 33

# Index of the mirror-image landmark (left <-> right), for horizontal flips.
def _mirror_name(name: str) -> str:
    return name.replace("left", "#").replace("right", "left").replace("#", "right")


MP_MIRROR = np.array([MP[_mirror_name(n)] for n in MP_NAMES])

COCO17_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
# COCO-17 keypoint k is MediaPipe landmark MP_TO_COCO17[k].
MP_TO_COCO17 = np.array([MP[n] for n in COCO17_NAMES])

# Skeleton edges (MediaPipe indices) for drawing and skeleton maps.
MP_EDGES: tuple[tuple[int, int], ...] = tuple(
    (MP[a], MP[b])
    for a, b in [
        ("left_ear", "left_eye"), ("left_eye", "nose"), ("nose", "right_eye"), ("right_eye", "right_ear"),
        ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
        ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
        ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
        ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
        ("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("left_ankle", "left_heel"),
        ("left_heel", "left_foot_index"), ("left_ankle", "left_foot_index"),
        ("right_hip", "right_knee"), ("right_knee", "right_ankle"), ("right_ankle", "right_heel"),
        ("right_heel", "right_foot_index"), ("right_ankle", "right_foot_index"),
    ]
)

# Body regions: (id, name a physiotherapist uses). Order is fixed: models and files index by it.
REGIONS: tuple[tuple[str, str], ...] = (
    ("head_neck", "Head/neck"),
    ("shoulder_girdle", "Shoulder girdle"),
    ("trunk_spine", "Trunk/spine"),
    ("pelvis", "Pelvis"),
    ("left_arm", "Left arm"),
    ("right_arm", "Right arm"),
    ("left_leg", "Left leg"),
    ("right_leg", "Right leg"),
)
REGION_IDS: tuple[str, ...] = tuple(r for r, _ in REGIONS)
REGION_NAMES: dict[str, str] = dict(REGIONS)
NUM_REGIONS = len(REGIONS)

# Which region each MediaPipe landmark belongs to (for drawing weights on the body).
LANDMARK_REGION: dict[int, str] = {}
for _i, _n in enumerate(MP_NAMES):
    if _i <= 10:
        LANDMARK_REGION[_i] = "head_neck"
    elif _n in ("left_shoulder", "right_shoulder"):
        LANDMARK_REGION[_i] = "shoulder_girdle"
    elif _n in ("left_hip", "right_hip"):
        LANDMARK_REGION[_i] = "pelvis"
    elif _n.startswith("left_") and any(k in _n for k in ("elbow", "wrist", "pinky", "index", "thumb")) and "foot" not in _n:
        LANDMARK_REGION[_i] = "left_arm"
    elif _n.startswith("right_") and any(k in _n for k in ("elbow", "wrist", "pinky", "index", "thumb")) and "foot" not in _n:
        LANDMARK_REGION[_i] = "right_arm"
    elif _n.startswith("left_"):
        LANDMARK_REGION[_i] = "left_leg"
    else:
        LANDMARK_REGION[_i] = "right_leg"


def to_coco17(landmarks: np.ndarray) -> np.ndarray:
    """[..., 33, C] MediaPipe landmarks -> [..., 17, C] in COCO-17 order (Scoliosis1K-Pose layout)."""
    return landmarks[..., MP_TO_COCO17, :]


def from_coco17(keypoints: np.ndarray) -> np.ndarray:
    """[..., 17, C] COCO-17 keypoints -> [..., 33, C] MediaPipe layout; landmarks COCO lacks are NaN.

    Heel and foot-index are absent in COCO-17 and stay NaN; mouth/inner/outer eye too.
    """
    shape = keypoints.shape[:-2] + (NUM_MP, keypoints.shape[-1])
    out = np.full(shape, np.nan, dtype=np.float32)
    out[..., MP_TO_COCO17, :] = keypoints
    return out
