"""World R: Cobb-dependent asymmetries injected into a real recorded walking skeleton, so that
real gait dynamics and real MediaPipe noise appear in training and evaluation.

The source is one real back-view stride (``real_walks``: read its docstring for how little
real walking there is and why it is looped). A subject is: a Cobb angle (world A's clinical
prior and sex rule), the real walker, mirrored or not (a mirrored walker is a plausible other
walker), a body build (shoulder, hip, leg and arm scaling of the real skeleton) and a set of
asymmetries that grow with the Cobb angle, injected geometrically into the real landmarks:

* pelvic obliquity (hips raised / lowered, knees half of it, feet stay on the floor);
* trunk lean (the upper body rotated about the hip centre) and trunk shift (translated);
* shoulder tilt (each shoulder and its arm raised / lowered) and thoracic rotation (the
  shoulder line turned about the vertical: narrower in the picture, depth apart);
* head tilt (face rotated about the ear midpoint);
* arm swing reduced on the concave side (each arm's swing about its mean scaled).

Each asymmetry = habitual N(0, SD) + gain x Cobb x curve-region weight x expressiveness x
per-effect factor x side, as in world A (``INJECT``), so one of them alone correlates with
Cobb only weakly. A clip then plays the loop at a child's stride period (0.95-1.35 s; the real
stride took 1.53 s), at the clip's frame rate (cubic spline in the gait phase), with a new
camera: distance and walking trajectory, image size and orientation, roll, lateral offset, a
lower camera (legs less foreshortened: stretched 1.0-1.5x), front view synthesised from the
back view (horizontal flip without relabelling, depth reversed, walking towards the camera;
an orthographic approximation), fresh fitted jitter at half strength on top of the real noise,
and left/right swaps and dropped frames at the fitted rates (the real swaps are undone first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scoliscreen.core.landmarks import MP, MP_MIRROR
from scoliscreen.core.sequence import PoseSequence
from scoliscreen.core.sim.params import (
    CURVE_REGION_WEIGHT, CURVE_TYPE_P, CURVE_TYPES, RESOLUTIONS, RIGHT_CONVEX_P, SubjectBase, _height_for, sample_cobb,
    sample_sex,
)
from scoliscreen.core.sim.pose_noise import learned_estimator_output
from scoliscreen.core.sim.real_walks import load_loops

GENERATOR_R = "scoliscreen.sim-R 1"
SUBJECT_STREAMS_R = ("cobb", "sex", "age", "height", "source", "build", "curve")
CLIP_STREAMS_R = ("view", "fps", "resolution", "duration", "camera", "day", "estimator")
FPS_R = ((24.0, 0.10), (25.0, 0.15), (30.0, 0.50), (60.0, 0.25))
# name: (habitual SD, gain per deg Cobb, region, sign to the convex side); trunk shift in trunk lengths
INJECT = {
    "shoulder_tilt_deg": (1.5, 0.085, "t", +1),
    "trunk_shift": (0.012, 0.0010, "t", +1),
    "trunk_lean_deg": (0.9, 0.035, "t", +1),
    "pelvic_obliquity_deg": (1.0, 0.055, "l", -1),
    "head_tilt_deg": (1.5, 0.035, "t", -1),
    "thoracic_rotation_deg": (2.0, 0.10, "t", -1),
}
ARM_SWING_LOSS_PER_DEG = 0.007
_LEFT_ARM = [MP[f"left_{k}"] for k in ("elbow", "wrist", "pinky", "index", "thumb")]
_RIGHT_ARM = [MP[f"right_{k}"] for k in ("elbow", "wrist", "pinky", "index", "thumb")]
_LEFT_LEG = [MP[f"left_{k}"] for k in ("knee", "ankle", "heel", "foot_index")]
_RIGHT_LEG = [MP[f"right_{k}"] for k in ("knee", "ankle", "heel", "foot_index")]
_FACE = list(range(11))
_UPPER = _FACE + [MP["left_shoulder"], MP["right_shoulder"]] + _LEFT_ARM + _RIGHT_ARM
D2R = np.pi / 180.0


@dataclass
class SubjectR(SubjectBase):
    source: int = 0
    mirrored: bool = False
    shoulder_scale: float = 1.0
    hip_scale: float = 1.0
    leg_scale: float = 1.0
    arm_scale: float = 1.0
    asym: dict = field(default_factory=dict)
    arm_swing_ratio: tuple[float, float] = (1.0, 1.0)  # (left, right)


def sample_subject_r(rng: np.random.Generator, subject_id: str = "simR00000", seed: int = 0,
                     cobb_angle: float | None = None) -> SubjectR:
    st = dict(zip(SUBJECT_STREAMS_R, rng.spawn(len(SUBJECT_STREAMS_R))))
    cobb = sample_cobb(st["cobb"]) if cobb_angle is None else float(cobb_angle)
    sex = sample_sex(st["sex"], cobb)  # the cited AIS dependence, as in every world
    age = float(np.round(st["age"].uniform(10.0, 16.0), 1))
    src, b, r = st["source"], st["build"], st["curve"]
    curve_type = CURVE_TYPES[int(r.choice(3, p=CURVE_TYPE_P))]
    right = r.random() < RIGHT_CONVEX_P[curve_type]
    side = -1.0 if right else 1.0
    wt, wl = CURVE_REGION_WEIGHT[curve_type]
    express = r.lognormal(0.0, 0.4)
    asym = {}
    for name, (sd, gain, region, sign) in INJECT.items():
        w = wt if region == "t" else wl
        region_side = side if (region == "t" or curve_type != "double") else -side
        if curve_type == "lumbar" and region == "t":
            region_side = -side
        asym[name] = float(r.normal(0.0, sd) + gain * cobb * w * express * r.lognormal(-0.1, 0.5) * sign * region_side)
    loss = min(ARM_SWING_LOSS_PER_DEG * cobb * express * r.lognormal(-0.1, 0.5), 0.6)
    habit = r.normal(1.0, 0.08, size=2)
    ratio = (habit[0] * (1 - loss), habit[1]) if right else (habit[0], habit[1] * (1 - loss))
    return SubjectR(
        subject_id=subject_id, seed=int(seed), sex=sex, age=age, height_m=_height_for(st["height"], sex, age),
        cobb_angle=round(cobb, 1), curve_type=curve_type, convex_side="right" if right else "left",
        source=int(src.integers(len(load_loops()))), mirrored=bool(src.random() < 0.5),
        shoulder_scale=float(b.normal(1.0, 0.06)), hip_scale=float(b.normal(1.0, 0.06)),
        leg_scale=float(b.normal(1.0, 0.04)), arm_scale=float(b.normal(1.0, 0.04)),
        asym=asym, arm_swing_ratio=(float(np.clip(ratio[0], 0.3, 1.4)), float(np.clip(ratio[1], 0.3, 1.4))),
    )


def _subject_frame(pose: np.ndarray, mirrored: bool) -> np.ndarray:
    """Real back-view body-relative pose (image axes) -> subject frame (X = the subject's left, Y up)."""
    out = np.stack([-pose[..., 0], -pose[..., 1], pose[..., 2]], axis=-1)
    if mirrored:
        out = out[:, MP_MIRROR]
        out[..., 0] = -out[..., 0]
    return out


def inject(P: np.ndarray, s: SubjectR, leg_stretch: float = 1.0) -> np.ndarray:
    """Build and asymmetries of ``s`` applied to a subject-frame pose [T, 33, 3] (trunk lengths)."""
    P = P.copy()
    a = s.asym
    for hip, leg in ((MP["left_hip"], _LEFT_LEG), (MP["right_hip"], _RIGHT_LEG)):
        dx = P[:, hip, 0] * (s.hip_scale - 1.0)
        P[:, [hip] + leg, 0] += dx[:, None]
        P[:, leg, 1] = P[:, hip, 1][:, None] + (P[:, leg, 1] - P[:, hip, 1][:, None]) * s.leg_scale * leg_stretch
    # pelvic obliquity: + = the left hip higher; knees take half of it, feet stay on the floor
    half_w = 0.5 * np.abs(P[:, MP["left_hip"], 0] - P[:, MP["right_hip"], 0])
    dy = half_w * np.tan(a["pelvic_obliquity_deg"] * D2R)
    for sgn, hip_i, knee_i in ((1.0, MP["left_hip"], MP["left_knee"]), (-1.0, MP["right_hip"], MP["right_knee"])):
        P[:, hip_i, 1] += sgn * dy
        P[:, knee_i, 1] += 0.5 * sgn * dy
    sh_mid = 0.5 * (P[:, MP["left_shoulder"]] + P[:, MP["right_shoulder"]])
    for side, sh, arm, ratio in ((1, MP["left_shoulder"], _LEFT_ARM, s.arm_swing_ratio[0]),
                                 (-1, MP["right_shoulder"], _RIGHT_ARM, s.arm_swing_ratio[1])):
        rel = P[:, arm] - P[:, sh][:, None]
        mean = rel.mean(axis=0, keepdims=True)
        rel = (mean + (rel - mean) * ratio) * s.arm_scale
        rot = a["thoracic_rotation_deg"] * D2R  # + = the left side forward (towards +z)
        off = P[:, sh] - sh_mid
        new_off = off.copy()
        new_off[:, 0] = off[:, 0] * s.shoulder_scale * np.cos(rot)
        new_off[:, 2] = off[:, 2] + side * np.abs(off[:, 0]) * s.shoulder_scale * np.sin(rot)
        new_off[:, 1] += side * np.abs(off[:, 0]) * np.tan(a["shoulder_tilt_deg"] * D2R)
        P[:, sh] = sh_mid + new_off
        P[:, arm] = P[:, sh][:, None] + rel
    ears = 0.5 * (P[:, MP["left_ear"]] + P[:, MP["right_ear"]])
    P[:, _FACE] = ears[:, None] + _roll(P[:, _FACE] - ears[:, None], a["head_tilt_deg"] * D2R)
    # trunk lean about the hip centre (the origin; + = the top towards the left), then shift
    P[:, _UPPER] = _roll(P[:, _UPPER], -a["trunk_lean_deg"] * D2R)
    P[:, _UPPER, 0] += a["trunk_shift"]
    return P


def _roll(v: np.ndarray, ang: float) -> np.ndarray:
    """Rotate [..., 3] in the X-Y plane (+ = counter-clockwise seen from behind: X towards Y)."""
    c, s = np.cos(ang), np.sin(ang)
    out = v.copy()
    out[..., 0], out[..., 1] = c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]
    return out


def clip_setup_r(subject: SubjectR, rng: np.random.Generator, view: str | None = None,
                 fps: float | None = None) -> dict:
    """Every random choice of one world-R clip, each from its own child stream, drawn exactly as
    ``simulate_clip_r`` uses them (the nuisance test reads them without rendering)."""
    st = dict(zip(CLIP_STREAMS_R, rng.spawn(len(CLIP_STREAMS_R))))
    if view is None:
        view = "front" if st["view"].random() < 0.5 else "back"
    if fps is None:
        fps = FPS_R[int(st["fps"].choice(len(FPS_R), p=[w for _, w in FPS_R]))][0]
    w, h = RESOLUTIONS[int(st["resolution"].choice(len(RESOLUTIONS), p=[p for _, p in RESOLUTIONS]))][0]
    duration = float(st["duration"].uniform(3.4, 7.0))
    day, cam = st["day"], st["camera"]
    period = float(day.uniform(0.95, 1.35))  # a child's stride (the real one took 1.53 s)
    phase0 = float(day.uniform(0.0, 1.0))
    leg_stretch = float(cam.uniform(1.0, 1.5))  # a lower camera than the real one
    q0 = float(cam.uniform(0.55, 0.85))  # body height / frame height at the nearest point
    d0 = float(cam.uniform(2.0, 3.5))
    speed = 0.75 * subject.height_m / period
    if q0 * d0 / (d0 + speed * duration) < 0.22:  # the body stays >= 22% of the frame
        d0 = speed * duration * 0.22 / (q0 - 0.22)
    return {"view": view, "fps": float(fps), "width": int(w), "height": int(h), "duration_s": duration,
            "stride_s": period, "phase0": phase0, "leg_stretch": leg_stretch, "near_fraction": q0, "near_m": d0,
            "speed_mps": speed, "lateral": float(cam.normal(0.0, 0.3)), "heading_deg": float(cam.normal(0.0, 3.0)),
            "centre_off": float(cam.uniform(-0.08, 0.08)), "roll_deg": float(np.clip(cam.normal(0.0, 2.0), -6.0, 6.0)),
            "estimator": st["estimator"]}


def simulate_clip_r(subject: SubjectR, rng: np.random.Generator, *, view: str | None = None,
                    fps: float | None = None) -> PoseSequence:
    """One world-R recording of ``subject``."""
    c = clip_setup_r(subject, rng, view, fps)
    view, fps, w, h, duration = c["view"], c["fps"], c["width"], c["height"], c["duration_s"]
    loop = load_loops()[subject.source]
    n = max(int(round(duration * fps)), 2)
    t = np.arange(n) / fps
    phase = (t / c["stride_s"] + c["phase0"]) % 1.0
    P = inject(_subject_frame(loop["pose"](phase), subject.mirrored), subject, leg_stretch=c["leg_stretch"])
    vis = np.clip(loop["vis"](phase), 0.0, 1.0)
    if subject.mirrored:
        vis = vis[:, MP_MIRROR]
    hm = loop["hip_motion"](phase) * np.array([-1.0 if not subject.mirrored else 1.0, -1.0])  # subject frame
    P[..., :2] += hm[:, None, :]
    # image: back view X -> -x, front view X -> +x (the subject's left on the image right), y = -Y
    xs = -1.0 if view == "back" else 1.0
    top, bottom = float(np.max(P[..., 1])), float(np.min(P[..., 1]))
    body = top - bottom  # body height in trunk lengths
    d0, v = c["near_m"], c["speed_mps"]
    d = d0 + v * t if view == "back" else d0 + v * (duration - t)
    S = c["near_fraction"] * h / body * d0 / d  # pixels per trunk length
    drift = np.tan(c["heading_deg"] * D2R) * (d - d0) / (0.29 * subject.height_m)
    centre_y = 0.5 * (top + bottom) + c["centre_off"] * body
    x = w / 2 + S[:, None] * (xs * P[..., 0] + c["lateral"] + drift[:, None])
    y = h / 2 + S[:, None] * (centre_y - P[..., 1])
    roll = c["roll_deg"] * D2R
    xr = np.cos(roll) * (x - w / 2) - np.sin(roll) * (y - h / 2) + w / 2
    yr = np.sin(roll) * (x - w / 2) + np.cos(roll) * (y - h / 2) + h / 2
    z = (P[..., 2] if view == "back" else -P[..., 2]) * S[:, None] / w
    xy = np.stack([xr / w, yr / h], axis=-1)
    lm = learned_estimator_output(xy, z, S * body, w, h, fps, view, c["estimator"], jitter_scale=0.5, visibility=vis)
    meta = {
        "view": view, "simulated": True, "generator": GENERATOR_R, "world": "R",
        "subject_id": subject.subject_id, "cobb_angle": subject.cobb_angle, "label": subject.label,
        "curve_type": subject.curve_type, "convex_side": subject.convex_side, "source": loop["clip"],
        "camera": {k: v for k, v in c.items() if k != "estimator"} | {"mirrored": subject.mirrored},
    }
    return PoseSequence(lm, fps, (w, h), t * 1000.0, meta)
