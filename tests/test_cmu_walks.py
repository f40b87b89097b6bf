"""CMU walks: the BVH reader + forward kinematics, the bundled 30 Hz positions, the reserved group."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.core.errors import InputError, LeakageError
from scoliscreen.core.sim.bvh import CMU_UNIT_M, forward_kinematics, parse_bvh
from scoliscreen.core.sim.cmu import (
    CMU_JOINTS,
    CMU_WALKS_PATH,
    RESERVED_SUBJECTS,
    assert_not_reserved,
    load_cmu_walks,
)
from scoliscreen.core.sim.cmu_build import (
    CAPTURED_AT_60,
    build,
    check_walk,
    leading_still_frames,
    main,
    trial_positions,
)

FIXTURE = Path(__file__).parent / "data" / "cmu" / "35_05_first3.bvh"


def _walks():
    return load_cmu_walks(include_reserved=True)


def test_fixture_frames_match_bundled_positions() -> None:
    bvh = parse_bvh(FIXTURE.read_text())
    assert bvh.n_channels == 96 and bvh.motion.shape == (3, 96)
    pos = trial_positions(bvh)
    walk = {w.trial: w for w in _walks()}["35_05"]
    np.testing.assert_allclose(walk.positions[:3], pos, atol=1e-3)
    # metres, y up: pelvis ~1 m up, head top above the shoulders above the knees above the ankles
    f = dict(zip(CMU_JOINTS, pos[0], strict=True))
    assert 0.85 < f["pelvis"][1] < 1.15
    assert f["head_top"][1] > f["left_shoulder"][1] > f["left_knee"][1] > f["left_ankle"][1] > 0.0
    assert f["left_hip"][0] > f["right_hip"][0]  # subject's left is +x in the CMU/BVH frame


def test_full_rate_original_is_decimated_like_the_transcription() -> None:
    text = FIXTURE.read_text()
    bvh = parse_bvh(text)
    rng = np.random.default_rng(0)
    full = rng.normal(0.0, 20.0, (12, bvh.n_channels))  # frame 0 = T-pose slot, others junk
    full[[1, 5, 9]] = bvh.motion
    head = text.partition("MOTION")[0]
    lines = "\n".join(" ".join(f"{v:.4f}" for v in row) for row in full)
    orig = parse_bvh(f"{head}MOTION\nFrames: 12\nFrame Time: .0083333\n{lines}\n")
    np.testing.assert_allclose(trial_positions(orig, 4), trial_positions(bvh, 4), atol=1e-4)


def test_fk_keeps_bone_lengths_in_every_bundled_walk() -> None:
    pairs = [("left_hip", "left_knee"), ("right_knee", "right_ankle"), ("left_shoulder", "left_elbow"),
             ("right_elbow", "right_wrist"), ("neck", "head")]
    for w in _walks():
        for a, b in pairs:
            d = np.linalg.norm(w.joint(a) - w.joint(b), axis=1)
            assert d.std() < 2e-3, (w.trial, a, b)
            assert 0.05 < d.mean() < 0.6, (w.trial, a, b)


def test_every_bundled_walk_is_a_plain_walk_at_30_hz() -> None:
    walks = _walks()
    assert walks
    for w in walks:
        c = check_walk(w.positions, w.fps)
        assert w.fps == (15.0 if w.trial in CAPTURED_AT_60 else 30.0)
        assert 0.6 < c["speed_m_s"] < 2.2, (w.trial, c)  # a 60-fps capture labelled 120 would halve it
        assert 1.2 < c["steps_per_s"] < 2.6, (w.trial, c)
        assert c["straightness"] > 0.9, (w.trial, c)
        assert c["root_step_max_over_median"] < 3.0 and c["root_step_min_over_median"] > 0.2, (w.trial, c)


def test_reserved_subjects_are_held_out_by_the_loader() -> None:
    train = load_cmu_walks()
    assert train and not any(w.reserved or w.subject in RESERVED_SUBJECTS for w in train)
    assert_not_reserved([w.subject for w in train], "training")
    with pytest.raises(LeakageError):
        assert_not_reserved([RESERVED_SUBJECTS[0]], "norms")


def test_build_rebuilds_the_bundle_from_bvh(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "35_05.bvh").write_text(FIXTURE.read_text())
    (src / "35_05.json").write_text(json.dumps({"decimation": 4, "description": "walk", "path": "p",
                                                 "repo": "r", "commit": "c" * 40}))
    out = tmp_path / "out" / "w.npz"
    with pytest.raises(InputError):  # 0.1 s of walking: left out, nothing left
        build(src, out)
    index = build(src, out, min_walk_s=0.0)
    assert index[0]["reserved"] and index[0]["frames"] == 3
    assert (out.parent / "CMU_NOTICE.txt").read_text().count("NSF EIA-0196217") >= 2
    w = load_cmu_walks(include_reserved=True, path=out)[0]
    assert w.positions.dtype == np.float32 and w.positions.shape == (3, len(CMU_JOINTS), 3)
    assert main([str(tmp_path / "nothing"), str(out)]) == 2


def test_malformed_bvh_is_one_clear_error() -> None:
    text = FIXTURE.read_text()
    with pytest.raises(InputError):
        parse_bvh("hello")
    with pytest.raises(InputError):
        parse_bvh(text.replace("Frames: 3", "Frames: 4"))
    with pytest.raises(InputError):
        parse_bvh(text.replace("CHANNELS 3 Zrotation", "CHANNELS 3 Qrotation", 1))


def test_scale_is_the_cmu_faq_factor() -> None:
    assert CMU_UNIT_M == pytest.approx(0.056444, abs=1e-6)
    bvh = parse_bvh(FIXTURE.read_text())
    raw = forward_kinematics(bvh)
    assert raw[0, bvh.index("Hips"), 1] * CMU_UNIT_M == pytest.approx(17.6140 * 0.056444, abs=1e-3)


def test_bundle_is_small() -> None:
    assert CMU_WALKS_PATH.stat().st_size < 10_000_000


def test_leading_frames_with_a_missing_arm_are_dropped() -> None:
    """CMU 16_15 starts with the left arm's rotations all 0 (a capture glitch); such frames go."""
    bvh = parse_bvh(FIXTURE.read_text())
    c = bvh.joints[bvh.index("LeftArm")].first_channel
    motion = bvh.motion.copy()
    motion[0, c:c + 3] = 0.0
    glitch = type(bvh)(bvh.joints, bvh.frame_time, motion, bvh.hierarchy_text)
    np.testing.assert_allclose(trial_positions(glitch), trial_positions(bvh)[1:], atol=1e-6)


def test_a_standing_start_is_cut_where_the_walk_begins() -> None:
    fps = 30.0
    pos = np.zeros((60, len(CMU_JOINTS), 3))
    z = np.concatenate([np.zeros(20), 1.2 * np.arange(1, 41) / fps])  # 20 frames still, then 1.2 m/s
    pos[:, CMU_JOINTS.index("pelvis"), 2] = z
    k = leading_still_frames(pos, fps)
    assert 12 <= k <= 20
    assert leading_still_frames(pos[20:], fps) == 0


def test_reserved_group_has_eight_subjects_with_two_walks_each_in_the_data() -> None:
    counts: dict[int, int] = {}
    for w in _walks():
        counts[w.subject] = counts.get(w.subject, 0) + 1
    assert len(RESERVED_SUBJECTS) >= 8
    assert all(counts.get(s, 0) >= 2 for s in RESERVED_SUBJECTS), counts
    assert len(set(counts)) - len(RESERVED_SUBJECTS) >= 1  # training subjects exist besides
