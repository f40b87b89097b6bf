"""World A's clip: world A's subject (``params``) walking (``body``), filmed and seen by its
pose-estimator model (``camera``). ``generate`` re-exports these names."""

from __future__ import annotations

import numpy as np

from scoliscreen.core.errors import InputError
from scoliscreen.core.sequence import PoseSequence
from scoliscreen.core.sim.body import walking_body
from scoliscreen.core.sim.camera import estimator_output, project
from scoliscreen.core.sim.params import SubjectParams, sample_clip_params
from scoliscreen.core.sim.pose_noise import learned_estimator_output

GENERATOR = "scoliscreen.sim 2"  # 2: one random stream per choice (no seed collision)

def simulate_clip(
    subject: SubjectParams, seed: int | np.random.Generator = 0, *, view: str | None = None,
    fps: float | None = None, resolution: tuple[int, int] | None = None, duration_s: float | None = None,
    pose_errors: str = "world",
) -> PoseSequence:
    """One simulated recording of ``subject`` as a PoseSequence (meta: view, simulated, cobb, camera...).
    ``pose_errors``: "world" (world A's own estimator model) or "fitted" (the model fitted on
    real MediaPipe output, ``pose_noise``)."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if view is not None and view not in ("front", "back"):
        raise InputError(f"view must be 'front' or 'back', got {view!r}")
    setup, motion, noise = clip_streams(rng)
    clip = sample_clip_params(setup, subject, view=view, fps=fps, resolution=resolution, duration_s=duration_s)
    t, landmarks = film(subject, clip, motion, noise, pose_errors)
    meta = {
        "view": clip.view,
        "simulated": True,
        "generator": GENERATOR,
        "pose_errors": pose_errors,
        "subject_id": subject.subject_id,
        "cobb_angle": subject.cobb_angle,
        "label": subject.label,
        "curve_type": subject.curve_type,
        "convex_side": subject.convex_side,
        "camera": {k: v for k, v in clip.to_dict().items() if k != "posture_jitter"},
    }
    return PoseSequence(landmarks, clip.fps, (clip.width, clip.height), t * 1000.0, meta)


def clip_streams(rng: np.random.Generator) -> tuple[np.random.Generator, ...]:
    """(recording setup, body motion, estimator noise): independent children of a clip's generator."""
    return tuple(rng.spawn(3))


def film(subject: SubjectParams, clip, motion: np.random.Generator, noise: np.random.Generator,
         pose_errors: str = "world") -> tuple[np.ndarray, np.ndarray]:
    """(times in s, landmarks [n, 33, 4]) of ``subject`` walking as ``clip`` sets it up, seen by
    the world's own estimator model or the one fitted on real MediaPipe output ("fitted").
    Worlds A and B share this body, projection and estimator code."""
    n = max(int(round(clip.duration_s * clip.fps)), 2)
    t = np.arange(n) / clip.fps
    body = walking_body(subject, clip, t, motion)
    xy, z, body_px = project(body, subject, clip)
    if pose_errors == "fitted":
        return t, learned_estimator_output(xy, z, body_px, clip.width, clip.height, clip.fps, clip.view, noise)
    return t, estimator_output(xy, z, body_px, clip, noise)
