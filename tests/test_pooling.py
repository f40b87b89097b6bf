"""Screening the walk (issue 9): every usable 96-frame window of a clip, pooled into one
coherent answer; the pose-level mirror symmetrisation's arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoliscreen.core.constants import CLIP_FRAMES, HOP_FRAMES, POOL_MAX_WINDOWS, POOL_STRIDE_FRAMES
from scoliscreen.core.landmarks import MP
from scoliscreen.core.model.outcome import COBB_THRESHOLDS, POSITIVE_INDEX, outcome
from scoliscreen.core.model.pooling import (
    candidate_starts, pool_cumulative, pool_relevance, walk_windows, window_inputs,
)
from scoliscreen.core.pose_mirror import combine, unmirror
from scoliscreen.core.sequence import load_sequence

POSES = Path(__file__).parent / "data" / "poses"
K = len(COBB_THRESHOLDS)


def test_candidate_windows_cover_the_walk():
    assert candidate_starts(0, 90) == [0]  # shorter than one window: one (padded) window
    assert candidate_starts(0, 96) == [0]
    assert candidate_starts(10, 250) == [10, 58, 106, 154]  # 154 + 96 = 250: the end is reached
    s = candidate_starts(0, 300)
    assert s[:-1] == list(range(0, 300 - CLIP_FRAMES + 1, POOL_STRIDE_FRAMES))
    assert s[-1] == 200 and 300 - (s[-1] + CLIP_FRAMES) < HOP_FRAMES  # the tail window, on the map's hop
    assert all((x - 0) % HOP_FRAMES == 0 for x in s)


def test_windows_without_the_trunk_are_not_used():
    seq = load_sequence(POSES / "intel_one_by_one_back_walk_22s.npz").resampled(30.0)
    full = walk_windows(seq)
    assert len(full.offsets) >= 3 and full.n_frames == full.offsets[-1] + CLIP_FRAMES
    assert len(full.offsets) <= POOL_MAX_WINDOWS  # a long walk: evenly thinned
    assert len(walk_windows(seq, max_windows=3).offsets) == 3
    # hide the shoulders in the second half of the clip: windows there lose the trunk
    lm = seq.landmarks.copy()
    half = len(seq) // 2
    lm[half:, [MP["left_shoulder"], MP["right_shoulder"]], :] = np.nan
    from dataclasses import replace

    hidden = walk_windows(replace(seq, landmarks=lm))
    stops = [hidden.start_s + (o + CLIP_FRAMES) / 30.0 for o in hidden.offsets]
    assert len(hidden.offsets) < len(full.offsets)
    # a used window has at least half of its model frames with the trunk: it cannot lie
    # mostly after the point where the shoulders vanish
    assert max(stops) <= (half + CLIP_FRAMES / 2) / 30.0 + 0.2


def test_one_window_inputs_are_the_single_segment_inputs():
    """A clip of one window gives exactly the inputs the model was trained on."""
    from scoliscreen.core.kinematics import compute_knowledge_map
    from scoliscreen.core.model.features import compose_text, model_segment, segment_inputs

    seq = load_sequence(POSES / "intel_worker_back_walk_away.npz")
    seg = model_segment(seq)
    km = compute_knowledge_map(seg.part)
    text = compose_text(km)
    (a, b), = window_inputs(seg, km, text)
    a0, b0 = segment_inputs(seg, km, text)
    for x, y in ((a, a0), (b, b0)):
        np.testing.assert_array_equal(x.points, y.points)
        np.testing.assert_array_equal(x.km, y.km)
        np.testing.assert_array_equal(x.frame_valid, y.frame_valid)
        assert x.text == y.text and x.start_s == y.start_s and x.n_frames == y.n_frames


def test_window_inputs_slice_one_map():
    from scoliscreen.core.kinematics import compute_knowledge_map

    seq = load_sequence(POSES / "intel_one_by_one_back_walk_22s.npz")
    seg = walk_windows(seq)
    km = compute_knowledge_map(seg.part)
    pairs = window_inputs(seg, km, "the text")
    assert len(pairs) == len(seg.offsets) and km.n_windows == seg.offsets[-1] // HOP_FRAMES + 11
    for (a, b), off in zip(pairs, seg.offsets):
        w0 = off // HOP_FRAMES
        np.testing.assert_array_equal(a.km, km.values[w0 : w0 + 11])
        assert a.text == "the text" and b.text == pairs[0][1].text  # one text for the span
        assert a.start_s == pytest.approx(seg.start_s + off / 30.0)


@st.composite
def windows(draw):
    """Cumulative logits of 1-6 windows (ordered cut-points, as the network builds them) and a calibration."""
    n = draw(st.integers(1, 6))
    rows = []
    for _ in range(n):
        eta = draw(st.floats(-20, 20))
        gaps = draw(st.lists(st.floats(1e-4, 4), min_size=K - 1, max_size=K - 1))
        rows.append(eta - (draw(st.floats(-8, 8)) + np.concatenate([[0.0], np.cumsum(gaps)])))
    return np.stack(rows), draw(st.floats(0.05, 5)), draw(st.floats(-5, 5)), draw(st.floats(-6, 6))


@settings(max_examples=120, deadline=None)
@given(windows())
def test_pooled_answer_is_coherent_by_construction(w):
    cum, a, b, shift = w
    pooled = pool_cumulative(cum, a, b)
    oc = outcome(pooled, a, b, shift)
    assert abs(oc.probability - (1.0 - oc.band_probabilities["<10"])) <= 1e-6
    assert abs(sum(oc.band_probabilities.values()) - 1.0) <= 1e-6
    lo, hi = oc.interval
    assert lo - 1e-9 <= oc.median <= hi + 1e-9
    assert all(np.diff(oc.survival) <= 1e-9)  # still a survival function
    # the pooled chance lies between the windows' chances (at any prevalence shift)
    each = [outcome(c, a, b, shift).probability for c in cum]
    assert min(each) - 1e-9 <= oc.probability <= max(each) + 1e-9


def test_pooling_one_window_changes_nothing_and_averages_survival():
    cum = np.linspace(3, -4, K)
    np.testing.assert_array_equal(pool_cumulative(cum[None]), cum)
    two = np.stack([cum, cum - 2.0])
    pooled = pool_cumulative(two, 1.3, -0.2)
    s = 1 / (1 + np.exp(-(1.3 * two - 0.2)))
    np.testing.assert_allclose(1 / (1 + np.exp(-(1.3 * pooled - 0.2))), s.mean(0), atol=1e-12)
    assert two[1, POSITIVE_INDEX] < pooled[POSITIVE_INDEX] < two[0, POSITIVE_INDEX]


def test_region_weights_of_windows_are_averaged_on_the_span():
    rel = np.random.default_rng(0).random((3, 8, 11))
    out = pool_relevance(rel, (0, 48, 96))
    assert out.shape == (8, 11 + 12) and out.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(out[:, :6], rel[0, :, :6] / rel[0].sum() / 3)


def test_mirror_symmetrised_pose_is_equivariant():
    """A flipped frame swaps the roles of the two trackers: the combined answer is the mirror
    image of the original's (also when one tracker misses the person)."""
    rng = np.random.default_rng(1)
    a = rng.random((33, 4)).astype(np.float32)
    b = rng.random((33, 4)).astype(np.float32)
    np.testing.assert_allclose(unmirror(unmirror(a)), a, atol=1e-6)
    orig = combine(a, unmirror(b))  # on the frame: tracker 1 sees a, tracker 2 (on the mirror) sees b
    flip = combine(b, unmirror(a))  # on the flipped frame the roles are exchanged
    np.testing.assert_allclose(flip, unmirror(orig), atol=1e-6)
    missing = np.full((33, 4), np.nan, np.float32)
    np.testing.assert_allclose(combine(a, unmirror(missing)), a)
    np.testing.assert_allclose(combine(missing, unmirror(a)), unmirror(combine(a, unmirror(missing))), atol=1e-6)
    assert np.isnan(combine(missing, missing)).all()
