"""The family of simulated worlds: one entry per world, so that ``simulate_dataset``,
``subject_plan`` and the CLI dispatch in one place.

* **A** (default): ``params`` + ``body`` + ``camera`` (generator "scoliscreen.sim 2").
* **B**: world A's body and projection code with another parameterisation (``world_b``).
* **C**: a structurally different world model (``world_c``: Fourier gait, spine-curve
  scoliosis, phone-camera model, the pose-error model fitted on real MediaPipe output).
* **R**: Cobb-dependent asymmetries injected into real recorded walking skeletons (``world_r``).
* **M**: real CMU mocap walks filmed by a pinhole camera, world R's asymmetries, the fitted
  pose-error model (``world_m``).

Each world gives ``sample(rng, subject_id=..., seed=...)`` -> a subject (with ``subject_id``,
``cobb_angle``, ``label``, ``sex``, ``age``, ``height_m``, ``curve_type``, ``convex_side``) and
``clip(subject, rng, view=...)`` -> a PoseSequence.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from scoliscreen.core.constants import WORLDS
from scoliscreen.core.errors import InputError
from scoliscreen.core.sequence import PoseSequence



def check_world(world: str) -> str:
    if world not in WORLDS:
        raise InputError(f"world must be one of {', '.join(WORLDS)}, got {world!r}")
    return world


def sampler(world: str) -> Callable[..., Any]:
    """The subject sampler of ``world``: ``(rng, subject_id=..., seed=..., cobb_angle=None)``."""
    check_world(world)
    if world == "B":
        from scoliscreen.core.sim.world_b import sample_subject_b

        return sample_subject_b
    if world == "C":
        from scoliscreen.core.sim.world_c import sample_subject_c

        return sample_subject_c
    if world == "R":
        from scoliscreen.core.sim.world_r import sample_subject_r

        return sample_subject_r
    if world == "M":
        from scoliscreen.core.sim.world_m import sample_subject_m

        return sample_subject_m
    from scoliscreen.core.sim.params import sample_subject

    return sample_subject


POSE_ERRORS = ("world", "fitted")


def simulate_clip_in(world: str, subject: Any, rng: np.random.Generator, view: str | None = None,
                     pose_errors: str = "world") -> PoseSequence:
    """One recording of ``subject`` in ``world``. ``pose_errors``: "world" (the world's own
    pose-estimator model) or "fitted" (the model fitted on real MediaPipe output; worlds C, R and
    M use it anyway)."""
    check_world(world)
    if pose_errors not in POSE_ERRORS:
        raise InputError(f"pose errors must be one of {', '.join(POSE_ERRORS)}, got {pose_errors!r}")
    if world == "B":
        from scoliscreen.core.sim.world_b import simulate_clip_b

        return simulate_clip_b(subject, rng, view=view, pose_errors=pose_errors)
    if world == "C":
        from scoliscreen.core.sim.world_c import simulate_clip_c

        return simulate_clip_c(subject, rng, view=view)
    if world == "R":
        from scoliscreen.core.sim.world_r import simulate_clip_r

        return simulate_clip_r(subject, rng, view=view)
    if world == "M":
        from scoliscreen.core.sim.world_m import simulate_clip_m

        return simulate_clip_m(subject, rng, view=view)
    from scoliscreen.core.sim.world_a import simulate_clip

    return simulate_clip(subject, rng, view=view, pose_errors=pose_errors)
