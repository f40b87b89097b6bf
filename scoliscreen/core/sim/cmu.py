"""Real adult walks from the CMU Graphics Lab Motion Capture Database, as 3-D joint positions.

``data/cmu_walks.npz`` holds plain level-ground walking trials of many CMU subjects (Bruce
Hahne's cgspeed BVH conversion, GitHub ``una-dinosauria/cmu-mocap``), reduced by forward
kinematics (``bvh``) to the joints in ``CMU_JOINTS``, in metres, y up, right-handed (BVH/CMU
frame: x = the T-pose's left, z = the T-pose's facing direction; the walking direction varies by
trial), at 30 Hz (every 4th 120-fps frame, from the first frame after the added T-pose and the
first frame of walking: many trials start standing; 15 Hz for the trials captured at 60 fps,
``cmu_build.CAPTURED_AT_60``).
``data/cmu_walks.json`` is the human-readable index; ``data/CMU_NOTICE.txt`` the licence,
acknowledgement and per-trial provenance. ``cmu_build`` rebuilds the file from BVH files.

Held-out group: the subjects in ``RESERVED_SUBJECTS`` (each with >= 2 walks in the data) are
reserved for real test-retest and the OOD check's "valid walks" rate; they must never feed
training, norms, thresholds or OOD fitting. This tuple is the one place that names them;
later code calls ``assert_not_reserved`` on its subject lists.

Joints: ``pelvis`` is the CMU root (the pelvis centre, between the hip joints); ``head`` the
head joint (upper neck / skull base), ``head_top`` the head's end site; ``neck`` the upper
neck joint; shoulders are the humerus heads, elbows, wrists; hips the femur heads, knees,
ankles; ``*_toe`` the toe joint (ball of the foot) and ``*_toe_tip`` its end site. CMU has no
heel marker in the skeleton, so no heel is given (an estimate would be invented data).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoliscreen.core.errors import InputError, LeakageError

CMU_WALKS_PATH = Path(__file__).resolve().parent / "data" / "cmu_walks.npz"

# THE held-out subjects (see the module docstring). Never train, fit norms, thresholds or OOD on them.
RESERVED_SUBJECTS: tuple[int, ...] = (7, 8, 12, 16, 35, 39, 69, 81)

# output joint -> BVH joint of the cgspeed/MotionBuilder naming
KEYPOINTS: dict[str, str] = {
    "pelvis": "Hips", "neck": "Neck1", "head": "Head", "head_top": "Head_End",
    "left_shoulder": "LeftArm", "right_shoulder": "RightArm",
    "left_elbow": "LeftForeArm", "right_elbow": "RightForeArm",
    "left_wrist": "LeftHand", "right_wrist": "RightHand",
    "left_hip": "LeftUpLeg", "right_hip": "RightUpLeg",
    "left_knee": "LeftLeg", "right_knee": "RightLeg",
    "left_ankle": "LeftFoot", "right_ankle": "RightFoot",
    "left_toe": "LeftToeBase", "right_toe": "RightToeBase",
    "left_toe_tip": "LeftToeBase_End", "right_toe_tip": "RightToeBase_End",
}
CMU_JOINTS: tuple[str, ...] = tuple(KEYPOINTS)


@dataclass(frozen=True)
class CmuWalk:
    trial: str  # "SS_TT"
    subject: int
    fps: float
    positions: np.ndarray  # [frames, len(joint_names), 3] float32, metres, y up
    joint_names: tuple[str, ...]
    reserved: bool
    description: str
    source: str  # repo path the BVH came from

    def joint(self, name: str) -> np.ndarray:
        """[frames, 3] positions of one joint."""
        return self.positions[:, self.joint_names.index(name)]

    @property
    def duration_s(self) -> float:
        return self.positions.shape[0] / self.fps


def is_reserved(subject: int) -> bool:
    return int(subject) in RESERVED_SUBJECTS


def assert_not_reserved(subjects: Iterable[int | str], what: str = "this step") -> None:
    """Raise LeakageError if any CMU subject id in ``subjects`` is a reserved (held-out) one."""
    bad = sorted({int(s) for s in subjects if is_reserved(int(s))})
    if bad:
        raise LeakageError(f"Reserved CMU subjects {bad} must not be used for {what}.")


def load_cmu_walks(include_reserved: bool = False, path: Path = CMU_WALKS_PATH) -> tuple[CmuWalk, ...]:
    """The walks in ``path`` (training subjects only unless ``include_reserved``)."""
    if not path.is_file():
        raise InputError(f"CMU walk data not found: {path}.")
    walks = []
    with np.load(path, allow_pickle=False) as z:
        names = tuple(str(n) for n in z["joint_names"])
        index = json.loads(str(z["index"]))
        for row in index:
            reserved = is_reserved(row["subject"])
            if bool(row["reserved"]) != reserved:
                raise InputError(f"{path.name}: trial {row['trial']} reserved flag disagrees with "
                                 "RESERVED_SUBJECTS; rebuild it with cmu_build.")
            if reserved and not include_reserved:
                continue
            walks.append(CmuWalk(row["trial"], int(row["subject"]), float(row["fps"]),
                                 z[f"t{row['trial']}"], names, reserved, row.get("description", ""),
                                 row.get("path", "")))
    return tuple(walks)
