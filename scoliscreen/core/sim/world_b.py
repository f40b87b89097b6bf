"""World B: a second simulated world, built differently from the default one (world A), for
leave-one-world-out evaluation (train on A, test on B).

What stays: the clinical facts both worlds share (the Cobb distribution, sex ratio, ages,
stature, curve types and convex sides; ``params.sample_subject``). What changes:

* **body proportions**: wider shoulders and hips with more spread, longer legs, shorter arms;
* **how scoliosis shows**: a different mix of asymmetries. Trunk shift, thoracic rotation and
  pelvic obliquity carry most of it; shoulder tilt and head tilt hardly any. The effect
  saturates with the curve (30° · tanh(Cobb / 30°) instead of linear). Expressiveness varies
  more between children (LogNormal σ 0.6, not 0.35). Arm-swing and stride changes are weaker;
* **gait**: slower cadence with more spread, a different arm-swing distribution;
* **camera**: raised (1.2–2.0 m, like surveillance or a held-up phone), more roll (σ 3°),
  the walking line turned more (σ 6°), 24 / 30 / 50 fps;
* **pose-estimator errors**: 1.5–2× the jitter, more dropped frames and dips, left/right
  swaps of a limb pair for 1–6 frames (about 0.15 per second), and a camera-shake offset
  shared by all landmarks (AR(1), 0.3 % of the frame).

It is still made by the same body and projection code; it is a *different parameterisation
with other structural choices*, not an independent world model. See docs/simulator.md.
"""

from __future__ import annotations

import numpy as np

from scoliscreen.core.landmarks import MP
from scoliscreen.core.sequence import PoseSequence
from scoliscreen.core.sim.camera import _ar1
from scoliscreen.core.sim.params import (
    CURVE_REGION_WEIGHT,
    EFFECTS,
    ClipParams,
    SubjectParams,
    sample_clip_params,
    sample_subject,
)
from scoliscreen.core.sim.world_a import film

GENERATOR_B = "scoliscreen.sim-B 1"

# name: gain per effective degree (world A's EFFECTS gives the habitual SDs and signs)
GAINS_B = {
    "shoulder_tilt_deg": 0.025, "trunk_shift_m": 0.0009, "trunk_lean_deg": 0.03,
    "thoracic_rotation_deg": 0.22, "pelvic_obliquity_deg": 0.10, "waist_asymmetry_deg": 0.07,
    "head_tilt_deg": 0.0,
}
_PAIRS = [(MP[f"left_{p}"], MP[f"right_{p}"]) for p in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")]
_LIMB_SWAPS = (_PAIRS[1:3], _PAIRS[4:6], _PAIRS[0:3] + _PAIRS[3:6])  # arms, legs, whole body


def sample_subject_b(rng: np.random.Generator, subject_id: str = "simB00000", seed: int = 0,
                     cobb_angle: float | None = None) -> SubjectParams:
    """A world-B subject: world A's clinical facts, world B's body, gait and curve expression."""
    base_rng, body, curve, gait = rng.spawn(4)
    s = sample_subject(base_rng, subject_id=subject_id, seed=seed, cobb_angle=cobb_angle)
    s.shoulder_width = float(body.normal(0.236, 0.016))
    s.hip_width = float(body.normal(0.142, 0.010))
    s.leg_scale = float(body.normal(1.03, 0.04))
    s.arm_scale = float(body.normal(0.96, 0.04))
    side = -1.0 if s.convex_side == "right" else 1.0
    wt, wl = CURVE_REGION_WEIGHT[s.curve_type]
    eff = 30.0 * np.tanh(s.cobb_angle / 30.0)
    express = curve.lognormal(0.0, 0.6)
    asym = {}
    for name, (sd, _gain, region, sign, _unit) in EFFECTS.items():
        w = wt if region == "t" else wl
        region_side = side if (region == "t" or s.curve_type != "double") else -side
        if s.curve_type == "lumbar" and region == "t":
            region_side = -side
        scoliotic = GAINS_B[name] * eff * w * express * curve.lognormal(-0.2, 0.6) * sign * region_side
        asym[name] = float(curve.normal(0.0, 1.3 * sd) + scoliotic)
    s.asym = asym
    loss = min(0.004 * eff * express * curve.uniform(0.2, 1.5), 0.5)
    habit = gait.normal(1.0, 0.12, size=2)
    ratio = (habit[0] * (1 - loss), habit[1]) if side < 0 else (habit[0], habit[1] * (1 - loss))
    s.arm_swing_ratio = (float(np.clip(ratio[0], 0.2, 1.5)), float(np.clip(ratio[1], 0.2, 1.5)))
    s.cadence_spm = float(gait.normal(110.0, 10.0))
    s.speed_mps = float(np.clip(gait.normal(1.15, 0.15), 0.7, 1.6) * (1 - min(0.001 * eff * express, 0.15)))
    s.arm_swing_deg = float(np.clip(gait.normal(16.0, 7.0), 4.0, 40.0))
    s.rom_factor = float(1.0 - min(0.004 * eff * express * gait.uniform(0.3, 1.7), 0.3))
    return s


def clip_setup_b(subject: SubjectParams, rng: np.random.Generator, view: str | None = None,
                 ) -> tuple[ClipParams, np.random.Generator, np.random.Generator, np.random.Generator]:
    """(clip setup, motion, noise and extra streams) of one world-B clip, drawn exactly as
    ``simulate_clip_b`` draws them (the nuisance test reads the setup without rendering)."""
    setup, motion, noise, extra = rng.spawn(4)
    fps = float(setup.spawn(1)[0].choice([24.0, 30.0, 50.0], p=[0.3, 0.5, 0.2]))
    clip = sample_clip_params(setup, subject, view=view, fps=fps)
    cam = extra.spawn(1)[0]
    clip.camera_height_m = float(cam.uniform(1.2, 2.0))
    clip.camera_roll_deg = float(np.clip(cam.normal(0.0, 3.0), -8.0, 8.0))
    clip.heading_deg = float(cam.normal(0.0, 6.0))
    clip.noise_rel = float(cam.uniform(0.006, 0.014))
    clip.dropout_rate = float(cam.uniform(0.005, 0.03))
    clip.dip_rate_hz = float(cam.uniform(0.3, 1.0))
    return clip, motion, noise, extra


def simulate_clip_b(subject: SubjectParams, rng: np.random.Generator, *, view: str | None = None,
                    pose_errors: str = "world") -> PoseSequence:
    """One world-B recording of ``subject``. ``pose_errors``: "world" (world B's own estimator
    model, with its limb swaps) or "fitted" (the model fitted on real MediaPipe output)."""
    clip, motion, noise, extra = clip_setup_b(subject, rng, view)
    t, lm = film(subject, clip, motion, noise, pose_errors)
    n = len(t)
    # left/right swaps of a limb group for a few frames
    for _ in range(extra.poisson(0.15 * n / clip.fps) if pose_errors != "fitted" else 0):
        pairs = _LIMB_SWAPS[int(extra.integers(len(_LIMB_SWAPS)))]
        start = int(extra.integers(0, max(n - 1, 1)))
        sl = slice(start, min(n, start + int(extra.integers(1, 7))))
        for a, b in pairs:
            lm[sl, a], lm[sl, b] = lm[sl, b].copy(), lm[sl, a].copy()
    # camera shake shared by all landmarks
    shake = _ar1(extra, (n, 2), 0.9 ** (30.0 / clip.fps)) * 0.003
    lm[..., 0] += shake[:, None, 0]
    lm[..., 1] += shake[:, None, 1]
    meta = {
        "view": clip.view, "simulated": True, "generator": GENERATOR_B, "world": "B", "pose_errors": pose_errors,
        "subject_id": subject.subject_id, "cobb_angle": subject.cobb_angle, "label": subject.label,
        "curve_type": subject.curve_type, "convex_side": subject.convex_side,
        "camera": {k: v for k, v in clip.to_dict().items() if k != "posture_jitter"},
    }
    return PoseSequence(lm.astype(np.float32), clip.fps, (clip.width, clip.height), t * 1000.0, meta)
