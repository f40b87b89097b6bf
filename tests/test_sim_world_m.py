"""World M: real CMU walks filmed front/back with the fitted pose errors and injected asymmetries."""

from __future__ import annotations

import numpy as np

from scoliscreen.cli import main
from scoliscreen.core.landmarks import MP
from scoliscreen.core.quality import assess_quality
from scoliscreen.core.sim.cmu import RESERVED_SUBJECTS, load_cmu_walks
from scoliscreen.core.sim.generate import _subject_seeds, subject_id, subject_plan
from scoliscreen.core.sim.signal import quick_asymmetry
from scoliscreen.core.sim.world_m import (
    GENERATOR_M,
    extend_walk,
    mediapipe_pose,
    sample_subject_m,
    simulate_clip_m,
    training_walks,
)
from scoliscreen.core.sim.worlds import simulate_clip_in


def test_world_m_uses_only_training_subjects() -> None:
    walks = training_walks()
    assert walks and not {w.subject for w in walks} & set(RESERVED_SUBJECTS)
    used = {sample_subject_m(np.random.default_rng(i)).walk for i in range(200)}
    trials = {w.trial: w.subject for w in load_cmu_walks(include_reserved=True)}
    assert used and all(trials[t] not in RESERVED_SUBJECTS for t in used)


def test_clips_are_deterministic_pass_the_gate_and_follow_the_view() -> None:
    usable = []
    for i, sseed in enumerate(_subject_seeds(3, 5), start=1):
        subject, plan = subject_plan(sseed, subject_id(3, i, "M"), 2, "M")
        for view, rng in plan:
            seq = simulate_clip_in("M", subject, rng, view)
            assert seq.meta["generator"] == GENERATOR_M and seq.meta["world"] == "M"
            assert seq.landmarks.shape[1:] == (33, 4)
            lm = seq.landmarks[seq.detected]
            dx = np.median(lm[:, MP["left_shoulder"], 0] - lm[:, MP["right_shoulder"], 0])
            assert (dx > 0) == (view == "front")  # front: the subject's left on the image right
            px = seq.pixels()[seq.detected]
            hgt = np.nanmax(px[..., 1], axis=1) - np.nanmin(px[..., 1], axis=1)
            assert (np.nanmedian(hgt[-10:]) > np.nanmedian(hgt[:10])) == (view == "front")
            usable.append(assess_quality(seq).usable)
    assert np.mean(usable) >= 0.8
    subject, plan = subject_plan(11, "x", 1, "M")
    a = simulate_clip_in("M", subject, plan[0][1], plan[0][0])
    b = simulate_clip_in("M", *(lambda p: (p[0], p[1][0][1], p[1][0][0]))(subject_plan(11, "x", 1, "M")))
    np.testing.assert_array_equal(np.nan_to_num(a.landmarks), np.nan_to_num(b.landmarks))


def test_injected_asymmetry_is_measured_on_the_right_side() -> None:
    s = sample_subject_m(np.random.default_rng(2), cobb_angle=0.0)
    base = {k: 0.0 for k in s.asym}
    for view in ("front", "back"):
        s.asym = dict(base, shoulder_tilt_deg=8.0)
        q = quick_asymmetry(simulate_clip_m(s, np.random.default_rng(7), view=view))
        s.asym = dict(base)
        q0 = quick_asymmetry(simulate_clip_m(s, np.random.default_rng(7), view=view))
        assert q["shoulder_tilt_deg"] - q0["shoulder_tilt_deg"] < -4.0, view  # + = right higher


def test_face_hands_and_feet_sit_where_they_belong() -> None:
    walk = training_walks()[0]
    P = mediapipe_pose(walk)
    assert np.isfinite(P).all()
    assert (P[:, MP["nose"], 1] > P[:, MP["left_shoulder"], 1]).all()
    assert (P[:, MP["left_heel"], 1] < P[:, MP["left_ankle"], 1]).all()
    assert (P[:, MP["left_ear"], 0] > P[:, MP["right_ear"], 0]).mean() > 0.9  # left = +x (CMU frame)


def test_extension_repeats_the_last_stride_and_keeps_walking() -> None:
    t = np.arange(60) / 30.0
    rel = np.sin(2 * np.pi * t / 1.1)[:, None, None] * np.ones((60, 33, 3))
    pelvis = np.stack([0 * t, 0 * t + 1.0, 1.3 * t], axis=1)
    r2, p2 = extend_walk(rel, pelvis, 150, 30.0)
    assert r2.shape == (150, 33, 3) and np.all(np.diff(p2[:, 2]) > 0)
    assert np.allclose(r2[:60], rel) and np.abs(np.diff(r2[:, 0, 0])).max() < 0.3


def test_simulate_cli_world_m(tmp_path) -> None:
    assert main(["simulate", str(tmp_path / "m"), "--subjects", "2", "--clips-per-subject", "1",
                 "--world", "M", "--workers", "1"]) == 0
    assert (tmp_path / "m" / "poses" / "simM0-00001_1.npz").is_file()


def test_a_reserved_walk_can_be_rendered_for_evaluation_only() -> None:
    from scoliscreen.core.sim.world_m import render_real_walk

    reserved = [w for w in load_cmu_walks(include_reserved=True) if w.reserved]
    assert reserved and all(w.trial not in {t.trial for t in training_walks()} for w in reserved)
    seq = render_real_walk(reserved[0], np.random.default_rng(0), view="back", fps=30.0)
    assert seq.meta["source"] == f"CMU {reserved[0].trial}" and seq.fps == 30.0
    assert assess_quality(seq).view == "back"
