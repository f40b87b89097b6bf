"""A constructed walking skeleton with known asymmetries, for tests and calibration.

Not the scoliosis simulator (``core/sim``): a rigid stick figure, built in body coordinates
(trunk length = 1, lateral + = subject's right, up, forward) and filmed by an ideal camera
from the back or the front, optionally rolled and zoomed. Its shoulder tilt, pelvic obliquity,
trunk shift and per-side arm-swing amplitude are exact, so the knowledge map must give them
back. Arms and legs swing sinusoidally in the sagittal plane (rigid segments), one stride
per ``stride_frames`` frames, arms in anti-phase with the same-side leg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoliscreen.core.landmarks import MP, NUM_MP
from scoliscreen.core.sequence import PoseSequence


@dataclass
class Phantom:
    shoulder_tilt_deg: float = 0.0  # + = right shoulder higher (against the body horizontal)
    pelvic_obliquity_deg: float = 0.0  # + = right hip higher
    trunk_shift: float = 0.0  # shoulder midpoint offset from the pelvis vertical, TL, + = right
    arm_swing_left_deg: float = 20.0  # sagittal swing amplitude (+-) of the straight left arm
    arm_swing_right_deg: float = 20.0
    leg_swing_deg: float = 18.0
    stride_frames: float = 32.0
    frames: int = 96
    fps: float = 30.0
    view: str = "back"  # "back" (subject's right on image right) or "front"
    roll_deg: float = 0.0  # camera roll, + = counter-clockwise in the image
    trunk_px: float = 120.0  # trunk length in pixels (zoom)
    image_size: tuple[int, int] = (960, 720)
    centre: tuple[float, float] = (0.5, 0.45)  # pelvis position, fraction of the image
    phase: float = 0.0  # gait phase at frame 0, radians

    def body_points(self) -> np.ndarray:
        """[T, 33, 3] landmark positions (lateral, up, forward) in trunk lengths."""
        T = self.frames
        t = np.arange(T) / self.fps
        w = 2 * np.pi * self.fps / self.stride_frames
        ph = w * t + self.phase
        P = np.full((T, NUM_MP, 3), np.nan)

        def put(name, xyz):
            P[:, MP[name]] = xyz

        tp, ts = np.radians(self.pelvic_obliquity_deg), np.radians(self.shoulder_tilt_deg)
        hw, sw = 0.55, 0.80
        hip_r = np.array([hw / 2 * np.cos(tp), hw / 2 * np.sin(tp), 0.0])
        put("right_hip", np.broadcast_to(hip_r, (T, 3)))
        put("left_hip", np.broadcast_to(-hip_r, (T, 3)))
        sh_mid = np.array([self.trunk_shift, np.sqrt(1.0 - self.trunk_shift**2), 0.0])
        sh_r = sh_mid + np.array([sw / 2 * np.cos(ts), sw / 2 * np.sin(ts), 0.0])
        sh_l = sh_mid - np.array([sw / 2 * np.cos(ts), sw / 2 * np.sin(ts), 0.0])
        put("right_shoulder", np.broadcast_to(sh_r, (T, 3)))
        put("left_shoulder", np.broadcast_to(sh_l, (T, 3)))
        head = sh_mid + np.array([0.0, 0.38, 0.0])
        for n, off in (("nose", (0, -0.02, 0.12)), ("left_eye", (-0.05, 0.03, 0.09)), ("right_eye", (0.05, 0.03, 0.09)),
                       ("left_eye_inner", (-0.03, 0.03, 0.1)), ("right_eye_inner", (0.03, 0.03, 0.1)),
                       ("left_eye_outer", (-0.07, 0.03, 0.08)), ("right_eye_outer", (0.07, 0.03, 0.08)),
                       ("left_ear", (-0.10, 0.0, 0.0)), ("right_ear", (0.10, 0.0, 0.0)),
                       ("mouth_left", (-0.03, -0.08, 0.1)), ("mouth_right", (0.03, -0.08, 0.1))):
            put(n, np.broadcast_to(head + np.array(off), (T, 3)))
        for side, sgn, sh, amp in (("left", -1, sh_l, self.arm_swing_left_deg), ("right", 1, sh_r, self.arm_swing_right_deg)):
            # right arm forward when the left leg is forward (anti-phase with the same-side leg)
            a = np.radians(amp) * np.sin(ph + (0.0 if side == "right" else np.pi))
            d = np.stack([np.full(T, sgn * 0.05), -np.cos(a), np.sin(a)], axis=1)
            d /= np.linalg.norm(d, axis=1, keepdims=True)
            elbow = sh + 0.55 * d
            wrist = elbow + 0.5 * d
            put(f"{side}_elbow", elbow)
            put(f"{side}_wrist", wrist)
            for n, reach in (("pinky", 0.08), ("index", 0.09), ("thumb", 0.06)):
                put(f"{side}_{n}", wrist + reach * d)
            hip = hip_r if side == "right" else -hip_r
            b = np.radians(self.leg_swing_deg) * np.sin(ph + (np.pi if side == "right" else 0.0))
            dl = np.stack([np.zeros(T), -np.cos(b), np.sin(b)], axis=1)
            knee = hip + 1.0 * dl
            ankle = knee + 1.0 * dl
            put(f"{side}_knee", knee)
            put(f"{side}_ankle", ankle)
            put(f"{side}_heel", ankle + np.array([0.0, -0.05, -0.08]))
            put(f"{side}_foot_index", ankle + np.array([0.0, -0.08, 0.22]))
        return P

    def sequence(self) -> PoseSequence:
        """The phantom filmed by the camera: a PoseSequence in the project's format."""
        B = self.body_points()
        W, H = self.image_size
        s = self.trunk_px
        lat = B[..., 0] if self.view == "back" else -B[..., 0]
        depth = B[..., 2] if self.view == "back" else -B[..., 2]  # camera z: + = away
        px, py = lat * s, -B[..., 1] * s  # image pixels relative to the pelvis, y down
        r = np.radians(self.roll_deg)
        c, si = np.cos(r), np.sin(r)
        rx, ry = c * px + si * py, -si * px + c * py  # counter-clockwise on screen (y down)
        x = (self.centre[0] * W + rx) / W
        y = (self.centre[1] * H + ry) / H
        z = depth * s / W
        lm = np.stack([x, y, z, np.ones_like(x)], axis=-1).astype(np.float32)
        return PoseSequence(lm, self.fps, (W, H), meta={"source": "phantom", "view": self.view})
