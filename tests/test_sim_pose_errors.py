"""The pose-estimator error model is fitted on the real MediaPipe outputs, its stored figures
are what a refit gives, and the simulator reproduces them."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.core.sim.pose_errors import (
    GROUPS,
    PARAMS_PATH,
    _robust_sd,
    _smooth,
    _smoother_response,
    detect_swaps,
    fit_pose_errors,
    load_params,
    load_segment,
    Segment,
)
from scoliscreen.core.sim.pose_noise import learned_estimator_output
from scoliscreen.core.sim.real_walks import REAL_WALKS_PATH, extract_real_walks

POSES = Path(__file__).resolve().parent / "data" / "poses"


def _close(a, b, path="") -> list[str]:
    """Differences between two nested fit dicts (numbers to the stored rounding)."""
    if isinstance(a, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in _close(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {a} != {b}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _close(x, y, f"{path}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or not math.isclose(a, b, rel_tol=2e-3, abs_tol=2e-5):
            return [f"{path}: {a} != {b}"]
        return []
    return [] if a == b else [f"{path}: {a} != {b}"]


@pytest.mark.slow
def test_refit_on_the_real_poses_reproduces_the_stored_figures():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = fit_pose_errors(POSES)
    diff = _close(fit, load_params(PARAMS_PATH))
    assert not diff, "refit differs from data/pose_errors.json (rerun benchmarks/sim_fit_pose_errors.py --write):\n" \
        + "\n".join(diff[:20])


def test_swap_detector_finds_the_real_whole_body_flip():
    """In intel_one_by_one_back_walk_22s, MediaPipe labels the walker's back as her front in
    frames 72-73 (the shoulders' left/right order flips in a back view) and the shoulders again
    in frame 80; frames 74-79 are labelled right."""
    d = load_segment(POSES, Segment("intel_one_by_one_back_walk_22s", "back", "walk", 66, 85))
    h = np.nanmax(d["px"][..., 1], axis=1) - np.nanmin(d["px"][..., 1], axis=1)
    state, fixed = detect_swaps(d["px"], h)
    shoulder = state[:, 0]
    assert shoulder[72 - 66] and shoulder[73 - 66] and shoulder[80 - 66]
    assert not shoulder[74 - 66:80 - 66].any() and not shoulder[:72 - 66].any()
    # after undoing, the shoulders keep the back-view order (the subject's left on the image left)
    dx = fixed[:, 11, 0] - fixed[:, 12, 0]
    assert (dx[np.isfinite(dx)] < 0).all()


def test_simulated_jitter_has_the_fitted_size_and_correlation():
    """A still body through ``learned_estimator_output`` at 30 fps: the smoother residual per
    group is the fitted AR(1) SD times the smoother's response, as in the fit."""
    m = load_params()["model"]
    params = {"model": dict(m, jitter={g: dict(v, sigma_range=[v["sigma"], v["sigma"]]) for g, v in m["jitter"].items()},
                            swap_whole_body_per_s=0.0, swap_limb_per_s=0.0, drop_per_s=0.0)}
    n, body_px = 3000, 500.0
    xy = np.tile(np.linspace(0.3, 0.7, 66).reshape(1, 33, 2), (n, 1, 1))
    lm = learned_estimator_output(xy, np.zeros((n, 33)), np.full(n, body_px), 1000, 1000, 30.0, "back",
                                  np.random.default_rng(0), params)
    px = lm[..., :2].astype(float) * 1000.0
    resid = (px - _smooth(px, 30.0)) / body_px
    gain = _smoother_response(m["jitter_tau_s"], 30.0)[0]
    for g, idx in GROUPS.items():
        got = _robust_sd(resid[:, idx])
        want = m["jitter"][g]["sigma"] * gain
        assert got == pytest.approx(want, rel=0.15), g
    assert (lm[..., 3] >= 0).all() and (lm[..., 3] <= 1).all()


def test_stored_real_walks_are_the_real_mediapipe_frames(tmp_path):
    fresh = extract_real_walks(POSES, tmp_path / "walks.npz")
    with np.load(fresh) as a, np.load(REAL_WALKS_PATH) as b:
        assert set(a.files) == set(b.files)
        for k in a.files:
            np.testing.assert_array_equal(a[k], b[k])
