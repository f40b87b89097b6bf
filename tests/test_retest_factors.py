"""The pure helpers of benchmarks/test_retest_factors.py: ICC, within/between SD, the clip
reconstruction (one factor re-drawn at a time) and the smoothing what-if."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "test_retest_factors.py"


@pytest.fixture(scope="module")
def rf():
    spec = importlib.util.spec_from_file_location("test_retest_factors_bench", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_icc_and_sds(rf):
    rng = np.random.default_rng(0)
    subj = rng.normal(0, 2.0, 400)
    x1, x2 = subj + rng.normal(0, 1.0, 400), subj + rng.normal(0, 1.0, 400)
    assert rf.icc_pairs(subj, subj) == pytest.approx(1.0)
    assert rf.icc_pairs(x1, x2) == pytest.approx(4.0 / 5.0, abs=0.06)  # var_b / (var_b + var_w)
    w, b = rf.within_between_sd(x1, x2)
    assert w == pytest.approx(1.0, abs=0.1) and b == pytest.approx(2.0, abs=0.2)
    assert abs(rf.icc_pairs(rng.normal(size=400), rng.normal(size=400))) < 0.15
    x2n = x2.copy()
    x2n[:5] = np.nan  # pairs with a NaN are dropped
    assert np.isfinite(rf.icc_pairs(x1, x2n))
    assert np.isnan(rf.icc_pairs(x1[:2], x2[:2]))


def test_reconstruction_and_single_factor(rf):
    from scoliscreen.core.sim.generate import _subject_seeds, simulate_clip, subject_id, subject_plan
    from scoliscreen.core.sim.params import sample_clip_params

    s = _subject_seeds(4242, 1)[0]
    subject, plan = subject_plan(s, subject_id(4242, 1), 2)
    view = plan[0][0]
    c1 = sample_clip_params(rf.clip_streams_of(s, 0)[0], subject, view=view, fps=30.0)
    c2 = sample_clip_params(rf.clip_streams_of(s, 1)[0], subject, view=view, fps=25.0)
    ref = simulate_clip(subject, plan[1][1], view=view, fps=25.0).landmarks
    assert np.array_equal(ref, rf.film_clip(subject, c2, s, 1, 1).landmarks, equal_nan=True)
    a = rf.film_clip(subject, c1, s, 0, 0).landmarks
    assert np.array_equal(a, rf.film_clip(subject, c1, s, 0, 0).landmarks, equal_nan=True)  # fresh streams
    roll = dataclasses.replace(c1, camera_roll_deg=c2.camera_roll_deg)
    b = rf.film_clip(subject, roll, s, 0, 0).landmarks
    assert b.shape == a.shape and not np.array_equal(a, b, equal_nan=True)
    assert np.array_equal(np.isnan(a[..., 0]), np.isnan(b[..., 0]))  # same dropouts: same noise stream


def test_smoothing_keeps_gaps_and_lowers_jitter(rf):
    from scoliscreen.core.sequence import PoseSequence

    rng = np.random.default_rng(1)
    t = np.arange(150) / 30.0
    lm = np.zeros((150, 33, 4), np.float32)
    lm[..., 0] = (0.5 + 0.05 * np.sin(2 * np.pi * t))[:, None] + rng.normal(0, 0.005, (150, 33))
    lm[..., 1], lm[..., 3] = 0.5, 1.0
    lm[40:43] = np.nan
    seq = PoseSequence(lm, 30.0, (640, 480))
    out = rf.smoothed(seq, 0.05)
    assert np.isnan(out.landmarks[40:43]).all() and np.isfinite(out.landmarks[50:]).all()
    clean = 0.5 + 0.05 * np.sin(2 * np.pi * t[50:])
    err_in = np.abs(lm[50:, :, 0] - clean[:, None]).mean()
    err_out = np.abs(out.landmarks[50:, :, 0] - clean[:, None]).mean()
    assert err_out < 0.6 * err_in
    assert rf.smoothed(seq, 0.0) is seq
