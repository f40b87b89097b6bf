"""A small BVH reader and forward kinematics, enough for the CMU walks (``cmu_build``).

BVH (Biovision hierarchy): a ``HIERARCHY`` of joints, each with an ``OFFSET`` from its parent
(in the parent's frame, in the file's length unit) and ``CHANNELS`` (root: 3 positions + 3
rotations; others: 3 rotations), then ``MOTION`` with ``Frames:``, ``Frame Time:`` and one line
of channel values per frame. Rotations are Euler angles in degrees applied in the order the
CHANNELS line lists them (``Zrotation Yrotation Xrotation`` -> ``R = Rz @ Ry @ Rx``, i.e.
intrinsic "ZYX"); a joint's world rotation is its parent's world rotation times its local one,
and its world position is the parent's position plus the parent's world rotation applied to the
joint's offset. ``End Site`` blocks become joints named ``<parent>_End`` without channels.

Scale of the CMU data: the CMU ASF skeletons declare ``:units length 0.45``, i.e. one file unit
is 1/0.45 inch; amc2bvh and the cgspeed conversion keep that unit (the T-pose's Hips sit about
17 units, ~0.97 m, above the ground). So metres = units x (1/0.45) x 0.0254 = 0.056444 m.
BVH and CMU are y-up and right-handed (the T-pose faces +z, the subject's left is +x).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from scoliscreen.core.errors import InputError

CMU_UNIT_M = 0.0254 / 0.45  # one CMU/cgspeed BVH length unit in metres (see the module docstring)

_AXES = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}
_POS = {"Xposition": 0, "Yposition": 1, "Zposition": 2}


@dataclass(frozen=True)
class BvhJoint:
    name: str
    parent: int  # index into Bvh.joints, -1 for the root
    offset: tuple[float, float, float]
    channels: tuple[str, ...]
    first_channel: int  # column of this joint's first channel in a motion line


@dataclass(frozen=True)
class Bvh:
    joints: tuple[BvhJoint, ...]
    frame_time: float
    motion: np.ndarray  # [frames, channels] float64
    hierarchy_text: str  # the HIERARCHY section verbatim (for provenance / fixtures)

    @property
    def n_channels(self) -> int:
        return sum(len(j.channels) for j in self.joints)

    def index(self, name: str) -> int:
        for i, j in enumerate(self.joints):
            if j.name == name:
                return i
        raise InputError(f"BVH has no joint named {name!r}.")


def parse_bvh(text: str) -> Bvh:
    """Parse BVH text; raises InputError (one clear line) on malformed input."""
    head, sep, motion_part = text.partition("MOTION")
    if not sep or "HIERARCHY" not in head:
        raise InputError("Not a BVH file: HIERARCHY or MOTION section missing.")
    hierarchy_text = head[head.index("HIERARCHY"):]
    tokens = hierarchy_text.split()
    joints: list[BvhJoint] = []
    stack: list[int] = []
    n_ch = 0
    i = 1
    pending: dict | None = None
    try:
        while i < len(tokens):
            tok = tokens[i]
            if tok in ("ROOT", "JOINT"):
                pending = {"name": tokens[i + 1], "parent": stack[-1] if stack else -1}
                i += 2
            elif tok == "End":  # "End Site"
                parent = stack[-1]
                pending = {"name": f"{joints[parent].name}_End", "parent": parent}
                i += 2
            elif tok == "{":
                if pending is None:
                    raise ValueError("brace without joint")
                pending["channels"] = ()
                joints.append(BvhJoint(pending["name"], pending["parent"], (0.0, 0.0, 0.0), (), n_ch))
                stack.append(len(joints) - 1)
                pending = None
                i += 1
            elif tok == "}":
                stack.pop()
                i += 1
            elif tok == "OFFSET":
                j = joints[stack[-1]]
                off = (float(tokens[i + 1]), float(tokens[i + 2]), float(tokens[i + 3]))
                joints[stack[-1]] = BvhJoint(j.name, j.parent, off, j.channels, j.first_channel)
                i += 4
            elif tok == "CHANNELS":
                k = int(tokens[i + 1])
                chans = tuple(tokens[i + 2:i + 2 + k])
                if any(c not in _AXES and c not in _POS for c in chans):
                    raise ValueError(f"unknown channel in {chans}")
                j = joints[stack[-1]]
                joints[stack[-1]] = BvhJoint(j.name, j.parent, j.offset, chans, n_ch)
                n_ch += k
                i += 2 + k
            else:
                raise ValueError(f"unexpected token {tok!r}")
    except (IndexError, ValueError) as exc:
        raise InputError(f"Malformed BVH hierarchy: {exc}.") from None
    if stack or not joints:
        raise InputError("Malformed BVH hierarchy: unbalanced braces.")
    lines = [ln for ln in motion_part.splitlines() if ln.strip()]
    try:
        n_frames = int(lines[0].split(":")[1])
        frame_time = float(lines[1].split(":")[1])
        motion = np.array([[float(v) for v in ln.split()] for ln in lines[2:]], dtype=float)
    except (IndexError, ValueError) as exc:
        raise InputError(f"Malformed BVH motion section: {exc}.") from None
    if motion.ndim != 2 or motion.shape[0] != n_frames or motion.shape[1] != n_ch:
        raise InputError(f"BVH motion is {motion.shape[0]} lines x {motion.shape[1] if motion.ndim == 2 else 0} "
                         f"values; the header says {n_frames} frames of {n_ch} channels.")
    return Bvh(tuple(joints), frame_time, motion, hierarchy_text)


def forward_kinematics(bvh: Bvh, motion: np.ndarray | None = None) -> np.ndarray:
    """World positions [frames, joints, 3] in the file's length unit."""
    m = bvh.motion if motion is None else np.asarray(motion, dtype=float)
    n = m.shape[0]
    pos = np.zeros((n, len(bvh.joints), 3))
    rot: list[np.ndarray] = []
    for k, j in enumerate(bvh.joints):
        local_p = np.broadcast_to(np.array(j.offset), (n, 3)).copy()
        axes = ""
        cols = []
        for c, name in enumerate(j.channels):
            if name in _POS:
                local_p[:, _POS[name]] = m[:, j.first_channel + c]
            else:
                axes += _AXES[name]
                cols.append(j.first_channel + c)
        local_r = (Rotation.from_euler(axes, m[:, cols], degrees=True).as_matrix() if axes
                   else np.broadcast_to(np.eye(3), (n, 3, 3)))
        if j.parent < 0:
            pos[:, k] = local_p
            rot.append(np.asarray(local_r))
        else:
            parent_r = rot[j.parent]
            pos[:, k] = pos[:, j.parent] + np.einsum("nij,nj->ni", parent_r, local_p)
            rot.append(parent_r @ local_r)
    return pos
