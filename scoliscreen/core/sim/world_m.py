"""World M: real CMU walks (``cmu``), filmed as a clinic films them, with Cobb-dependent asymmetries.

A subject is drawn as in world R (``world_r.sample_subject_r``: Cobb angle, sex, age, stature,
build, asymmetries growing with Cobb, mirrored or not), but the walker is one of the CMU
*training* walks (never a reserved subject): real 3-D gait of a real adult, including its
own pelvis path, sway, speed and stride-to-stride variation. A clip:

1. The walk's 20 joints become MediaPipe's 33 landmarks (face, hands and heels placed
   rigidly from the head, forearm and foot; CMU has no markers there), turned so that the
   walk goes along +z, and scaled uniformly to the subject's stature (angles and ratios kept;
   the timing is the adult's).
2. World R's injection (``world_r.inject``) adds the build and the asymmetries to the
   body-relative pose (hip centre, trunk lengths); the real pelvis path is added back.
3. If the walk is shorter than the drawn duration (3.4-7 s; the CMU trials hold 2.5-4 s),
   it goes on by repeating its last stride (the lag at which the body-relative pose repeats
   best), the progression continued: real frames, but the extension repeats one real stride.
4. A pinhole camera behind (back view) or in front (front view) on the walking line: height
   0.8-1.5 m, distance, lateral offset, small heading error and roll, image size and
   orientation and frame rate (24-60 fps, cubic interpolation of the 30 Hz data) as world R;
   only the frames with the whole body in the picture are kept.
5. The pose-error model fitted on real MediaPipe output (``pose_noise``), at full strength.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from scoliscreen.core.landmarks import MP, MP_MIRROR
from scoliscreen.core.sequence import PoseSequence
from scoliscreen.core.sim.cmu import CmuWalk, load_cmu_walks
from scoliscreen.core.sim.params import RESOLUTIONS
from scoliscreen.core.sim.pose_noise import learned_estimator_output
from scoliscreen.core.sim.world_r import FPS_R, SubjectR, inject, sample_subject_r

GENERATOR_M = "scoliscreen.sim-M 1"
CLIP_STREAMS_M = ("view", "fps", "resolution", "duration", "camera", "day", "estimator")
D2R = np.pi / 180.0
_BODY = [MP[f"{s}_{k}"] for s in ("left", "right") for k in ("shoulder", "hip", "knee", "ankle")] + [MP["nose"]]

_WALKS: dict[str, tuple[CmuWalk, ...]] = {}


def training_walks() -> tuple[CmuWalk, ...]:
    """The CMU walks world M may use: training subjects only (``cmu.RESERVED_SUBJECTS`` left out)."""
    if "train" not in _WALKS:
        _WALKS["train"] = load_cmu_walks(include_reserved=False)
    return _WALKS["train"]


@dataclass
class SubjectM(SubjectR):
    walk: str = ""  # CMU trial "SS_TT"


def sample_subject_m(rng: np.random.Generator, subject_id: str = "simM00000", seed: int = 0,
                     cobb_angle: float | None = None) -> SubjectM:
    base = sample_subject_r(rng, subject_id=subject_id, seed=seed, cobb_angle=cobb_angle)
    walks = training_walks()
    pick = rng.spawn(1)[0]
    k = int(pick.integers(len(walks)))
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    fields["source"] = k
    return SubjectM(**fields, walk=walks[k].trial)


def mediapipe_pose(walk: CmuWalk) -> np.ndarray:
    """[T, 33, 3] metres, CMU frame (y up): the 20 CMU joints as MediaPipe landmarks, with the
    face, hands and heels placed rigidly (CMU has no markers there)."""
    j = walk.joint
    n = walk.positions.shape[0]
    P = np.zeros((n, 33, 3))
    for side in ("left", "right"):
        for k in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
            P[:, MP[f"{side}_{k}"]] = j(f"{side}_{k}")
    left = j("left_shoulder") - j("right_shoulder")
    left[:, 1] = 0.0
    left /= np.linalg.norm(left, axis=1, keepdims=True)
    up = np.array([0.0, 1.0, 0.0])
    fwd = np.cross(left, up)  # x = left, y = up -> z = forward
    head, top = j("head"), j("head_top")
    u = (top - head) / np.linalg.norm(top - head, axis=1, keepdims=True)
    face = {"nose": (0.06, 0.10, 0.0), "left_eye_inner": (0.09, 0.08, 0.015), "left_eye": (0.09, 0.075, 0.03),
            "left_eye_outer": (0.09, 0.07, 0.045), "left_ear": (0.07, 0.0, 0.075), "mouth_left": (0.02, 0.09, 0.025)}
    for name, (a, b, c) in face.items():
        P[:, MP[name]] = head + a * u + b * fwd + c * left
        other = name.replace("left", "right")
        P[:, MP[other]] = head + a * u + b * fwd - c * left
    for side in ("left", "right"):
        wr, el = j(f"{side}_wrist"), j(f"{side}_elbow")
        d = (wr - el) / np.linalg.norm(wr - el, axis=1, keepdims=True)
        P[:, MP[f"{side}_index"]] = wr + 0.08 * d + 0.015 * fwd
        P[:, MP[f"{side}_pinky"]] = wr + 0.07 * d - 0.015 * fwd
        P[:, MP[f"{side}_thumb"]] = wr + 0.04 * d + 0.025 * fwd
        ank, tip = j(f"{side}_ankle"), j(f"{side}_toe_tip")
        hf = tip - ank
        hf[:, 1] = 0.0
        hf /= np.linalg.norm(hf, axis=1, keepdims=True) + 1e-9
        P[:, MP[f"{side}_heel"]] = ank - 0.06 * hf - np.array([0.0, 0.04, 0.0])
        P[:, MP[f"{side}_foot_index"]] = tip
    return P


def _along_z(P: np.ndarray, pelvis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turn about y so that the walk's net displacement points along +z (x stays the walker's left)."""
    d = pelvis[-1] - pelvis[0]
    ang = np.arctan2(d[0], d[2])
    c, s = np.cos(-ang), np.sin(-ang)
    R = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return P @ R.T, pelvis @ R.T


def _stride_lag(rel: np.ndarray, fps: float) -> int:
    """Lag (0.8-1.6 s) at which the body-relative pose repeats best."""
    n = len(rel)
    best, best_lag = np.inf, int(round(1.1 * fps))
    for lag in range(int(0.8 * fps), min(int(1.6 * fps), n - 2) + 1):
        err = float(np.mean((rel[lag:] - rel[:-lag]) ** 2))
        if err < best:
            best, best_lag = err, lag
    return best_lag


def extend_walk(rel: np.ndarray, pelvis: np.ndarray, n_out: int, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Body-relative pose and pelvis path continued to ``n_out`` frames by repeating the last stride."""
    n = len(rel)
    if n_out <= n:
        return rel[:n_out], pelvis[:n_out]
    lag = min(_stride_lag(rel, fps), n - 1)
    step = pelvis[-1] - pelvis[-1 - lag]
    idx = np.arange(n_out)
    k = np.maximum(0, (idx - n + lag) // lag)
    src = idx - k * lag
    return rel[src], pelvis[src] + k[:, None] * step[None, :]


def clip_setup_m(subject: SubjectM, rng: np.random.Generator, view: str | None = None,
                 fps: float | None = None) -> dict:
    """Every random choice of one world-M clip (the nuisance test reads them without rendering)."""
    st = dict(zip(CLIP_STREAMS_M, rng.spawn(len(CLIP_STREAMS_M))))
    if view is None:
        view = "front" if st["view"].random() < 0.5 else "back"
    if fps is None:
        fps = FPS_R[int(st["fps"].choice(len(FPS_R), p=[w for _, w in FPS_R]))][0]
    w, h = RESOLUTIONS[int(st["resolution"].choice(len(RESOLUTIONS), p=[p for _, p in RESOLUTIONS]))][0]
    cam = st["camera"]
    return {"view": view, "fps": float(fps), "width": int(w), "height": int(h),
            "duration_s": float(st["duration"].uniform(3.4, 7.0)),
            "near_fraction": float(cam.uniform(0.55, 0.85)), "near_m": float(cam.uniform(2.0, 3.5)),
            "camera_height_m": float(cam.uniform(0.8, 1.5)), "lateral": float(cam.normal(0.0, 0.15)),
            "heading_deg": float(cam.normal(0.0, 3.0)), "roll_deg": float(np.clip(cam.normal(0.0, 2.0), -6.0, 6.0)),
            "estimator": st["estimator"]}


def healthy_subject(height_m: float = 1.55) -> SubjectM:
    """A subject with no injected asymmetry, build change, arm-swing loss or mirroring: filming it
    shows a CMU walker's own gait (``render_real_walk``; the healthy norms)."""
    base = sample_subject_m(np.random.default_rng(0), cobb_angle=0.0)
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    fields.update(subject_id="cmu-healthy", mirrored=False, shoulder_scale=1.0, hip_scale=1.0, leg_scale=1.0,
                  arm_scale=1.0, asym={n: 0.0 for n in base.asym}, arm_swing_ratio=(1.0, 1.0), height_m=height_m)
    return SubjectM(**fields)


def render_real_walk(walk: CmuWalk, rng: np.random.Generator, view: str | None = None,
                     fps: float | None = None) -> PoseSequence:
    """One CMU walk (any, reserved ones included: for evaluation only) filmed as world M films it,
    with nothing injected."""
    return simulate_clip_m(healthy_subject(), rng, view=view, fps=fps, walk=walk)


def simulate_clip_m(subject: SubjectM, rng: np.random.Generator, *, view: str | None = None,
                    fps: float | None = None, walk: CmuWalk | None = None) -> PoseSequence:
    """One world-M recording of ``subject`` (walking ``walk`` if given, else its training walk)."""
    c = clip_setup_m(subject, rng, view, fps)
    view, fps, w, h = c["view"], c["fps"], c["width"], c["height"]
    walk = training_walks()[subject.source] if walk is None else walk
    P, pelvis = _along_z(mediapipe_pose(walk), walk.joint("pelvis").astype(float))
    scale = subject.height_m / (float(np.max(P[..., 1])) + 0.10)  # head top of the skeleton ~10 cm under the crown
    P, pelvis = P * scale, pelvis * scale
    hipc = 0.5 * (P[:, MP["left_hip"]] + P[:, MP["right_hip"]])
    trunk = float(np.median(np.linalg.norm(0.5 * (P[:, MP["left_shoulder"]] + P[:, MP["right_shoulder"]]) - hipc, axis=1)))
    rel = (P - hipc[:, None]) / trunk
    if subject.mirrored:  # a plausible other walker: left and right exchanged
        rel = rel[:, MP_MIRROR]
        rel[..., 0] = -rel[..., 0]
        hipc = hipc * np.array([-1.0, 1.0, 1.0])
    rel = inject(rel, subject)
    # resample 30 Hz -> clip fps, then continue to the drawn duration
    t_src = np.arange(len(rel)) / walk.fps
    t = np.arange(int(np.floor(t_src[-1] * fps)) + 1) / fps
    rel_f = CubicSpline(t_src, rel, axis=0)(t)
    hip_f = CubicSpline(t_src, hipc, axis=0)(t)
    rel_f, hip_f = extend_walk(rel_f, hip_f, max(int(round(c["duration_s"] * fps)), 2), fps)
    X = rel_f * trunk + hip_f[:, None]  # world metres, walking along +z
    # camera on the walking line: back view behind the start, front view ahead of the end
    heading = c["heading_deg"] * D2R
    body_h = subject.height_m
    if view == "back":
        z0 = X[0, :, 2].min() - c["near_m"]
        depth = X[..., 2] - z0
        lateral = -(X[..., 0] - c["lateral"])  # camera looking along +z: image right = -x
    else:
        z0 = X[-1, :, 2].max() + c["near_m"]
        depth = z0 - X[..., 2]
        lateral = X[..., 0] - c["lateral"]
    lateral = lateral + np.tan(heading) * depth
    f = c["near_fraction"] * h * c["near_m"] / body_h  # focal length (px): body fills near_fraction at near_m
    x = w / 2 + f * lateral / depth
    ch = c["camera_height_m"]  # pitched so that the body is centred at the nearest point
    y = h / 2 - f * ((X[..., 1] - ch) / depth - (0.5 * body_h - ch) / c["near_m"])
    roll = c["roll_deg"] * D2R
    xr = np.cos(roll) * (x - w / 2) - np.sin(roll) * (y - h / 2) + w / 2
    yr = np.sin(roll) * (x - w / 2) + np.cos(roll) * (y - h / 2) + h / 2
    hip_depth = 0.5 * (depth[:, MP["left_hip"]] + depth[:, MP["right_hip"]])
    z = (depth - hip_depth[:, None]) * (f / hip_depth)[:, None] / w
    xy = np.stack([xr / w, yr / h], axis=-1)
    inside = np.asarray(((xy[:, _BODY] > 0.0) & (xy[:, _BODY] < 1.0)).all(axis=(1, 2)))
    keep = _longest_run(inside)
    xy, z, depth = xy[keep], z[keep], depth[keep]
    body_px = f * body_h / depth.mean(axis=1)
    lm = learned_estimator_output(xy, z, body_px, w, h, fps, view, c["estimator"])
    meta = {
        "view": view, "simulated": True, "generator": GENERATOR_M, "world": "M",
        "subject_id": subject.subject_id, "cobb_angle": subject.cobb_angle, "label": subject.label,
        "curve_type": subject.curve_type, "convex_side": subject.convex_side, "source": f"CMU {walk.trial}",
        "camera": {k: v for k, v in c.items() if k != "estimator"} | {"mirrored": subject.mirrored},
    }
    return PoseSequence(lm, fps, (w, h), np.arange(len(lm)) * 1000.0 / fps, meta)


def _longest_run(mask: np.ndarray) -> slice:
    best, start, cur = (0, 0), 0, 0
    for i, ok in enumerate(mask):
        if ok:
            if cur == 0:
                start = i
            cur += 1
            if cur > best[1] - best[0]:
                best = (start, i + 1)
        else:
            cur = 0
    return slice(*best) if best[1] - best[0] >= 2 else slice(0, len(mask))
