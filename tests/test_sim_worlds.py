"""The family of simulated worlds (docs/simulator.md): world C (a structurally different world
model) and world R (asymmetries injected into a real walking skeleton) give valid,
deterministic clips in the dataset format that pass the quality gate and the knowledge map,
with left/right and asymmetries where they belong; every world carries a weak Cobb signal."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from scoliscreen.cli import main
from scoliscreen.core.kinematics import compute_knowledge_map
from scoliscreen.core.landmarks import MP
from scoliscreen.core.quality import assess_quality
from scoliscreen.core.sim import simulate_dataset
from scoliscreen.core.sim.generate import _subject_seeds, subject_id, subject_plan
from scoliscreen.core.sim.signal import quick_asymmetry, signal_check
from scoliscreen.core.sim.world_c import GENERATOR_C, sample_subject_c, simulate_clip_c
from scoliscreen.core.sim.world_r import GENERATOR_R, sample_subject_r, simulate_clip_r
from scoliscreen.core.sim.worlds import WORLDS, sampler, simulate_clip_in

NEW = ("C", "R")
GENERATORS = {"C": GENERATOR_C, "R": GENERATOR_R}


def _clips(world: str, subjects: int, seed: int = 5):
    out = []
    for i, sseed in enumerate(_subject_seeds(seed, subjects), start=1):
        subject, plan = subject_plan(sseed, subject_id(seed, i, world), 2, world)
        out += [(subject, simulate_clip_in(world, subject, rng, view)) for view, rng in plan]
    return out


@pytest.mark.parametrize("world", NEW)
def test_clips_are_valid_deterministic_and_alternate_views(world):
    subject, plan = subject_plan(11, subject_id(1, 1, world), 2, world)
    seqs = [simulate_clip_in(world, subject, rng, view) for view, rng in plan]
    assert [s.meta["view"] for s in seqs] == [plan[0][0], plan[1][0]] and plan[0][0] != plan[1][0]
    for s in seqs:
        assert s.landmarks.shape[1:] == (33, 4) and s.meta["generator"] == GENERATORS[world]
        assert s.meta["world"] == world and s.meta["cobb_angle"] == subject.cobb_angle
        assert 3.4 <= s.duration_s <= 7.1
        vis = s.landmarks[s.detected][..., 3]
        assert vis.min() >= 0 and vis.max() <= 1
    again, plan2 = subject_plan(11, subject_id(1, 1, world), 2, world)
    s2 = simulate_clip_in(world, again, plan2[0][1], plan2[0][0])
    np.testing.assert_array_equal(np.nan_to_num(s2.landmarks), np.nan_to_num(seqs[0].landmarks))


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
@pytest.mark.parametrize("world", NEW)
def test_clips_pass_the_quality_gate_and_the_knowledge_map(world):
    clips = _clips(world, 4)
    reports = [assess_quality(seq) for _, seq in clips]
    assert np.mean([q.usable for q in reports]) >= 0.75
    for q, (_, seq) in zip(reports, clips):
        if q.usable:
            assert q.view == seq.meta["view"]
            km = compute_knowledge_map(q.sequence)
            assert np.isfinite(np.asarray(km.summary, dtype=float)).mean() > 0.9


@pytest.mark.slow
@pytest.mark.parametrize("world", WORLDS)
def test_most_clips_of_every_world_pass_the_gate(world):
    reports = [assess_quality(seq) for _, seq in _clips(world, 40, seed=9)]
    usable = np.mean([q.usable for q in reports])
    assert usable >= 0.85, f"world {world}: {usable:.2f} of clips usable"


@pytest.mark.parametrize("world", NEW)
def test_left_right_follow_the_view(world):
    """Front view: the subject's left is on the image's right; back view: on its left."""
    subject = sampler(world)(np.random.default_rng(3), cobb_angle=0.0)
    for view in ("front", "back"):
        seq = simulate_clip_in(world, subject, np.random.default_rng(4), view)
        lm = seq.landmarks[seq.detected]
        dx = np.median(lm[:, MP["left_shoulder"], 0] - lm[:, MP["right_shoulder"], 0])
        assert (dx > 0) == (view == "front"), (world, view)
        px = seq.pixels()[seq.detected]
        h = np.nanmax(px[..., 1], axis=1) - np.nanmin(px[..., 1], axis=1)
        assert (np.nanmedian(h[-10:]) > np.nanmedian(h[:10])) == (view == "front")


@pytest.mark.parametrize("mirrored", (False, True))
def test_world_r_injects_asymmetries_on_the_right_side(mirrored):
    """Injected into the real walker (mirrored or not), a left shoulder raised by 8 deg and a
    trunk shifted 0.15 trunk lengths to the subject's right are measured so, in both views."""
    s = sample_subject_r(np.random.default_rng(2), cobb_angle=0.0)
    s.mirrored = mirrored
    base = {k: 0.0 for k in s.asym}
    for view in ("front", "back"):
        s.asym = dict(base, shoulder_tilt_deg=8.0, trunk_shift=-0.15)
        q = quick_asymmetry(simulate_clip_r(s, np.random.default_rng(7), view=view))
        s.asym = dict(base)
        q0 = quick_asymmetry(simulate_clip_r(s, np.random.default_rng(7), view=view))
        assert q["shoulder_tilt_deg"] - q0["shoulder_tilt_deg"] < -5.0, (view, mirrored)  # + = right higher
        assert q["trunk_lateral_shift"] - q0["trunk_lateral_shift"] > 0.08, (view, mirrored)  # + = right


def test_world_c_scoliosis_emerges_from_the_spine_curve():
    """A right thoracic 40 deg curve raises the right shoulder and shifts the trunk right more
    often than not; a straight spine carries only habitual asymmetries."""
    curved = [sample_subject_c(np.random.default_rng(i), cobb_angle=40.0) for i in range(300)]
    right = [s for s in curved if s.curve_type == "thoracic" and s.convex_side == "right"]
    assert len(right) > 60
    assert np.mean([s.shoulder_roll_deg < 0 for s in right]) > 0.7  # + = the left side up
    assert np.mean([s.trunk_shift_m < 0 for s in right]) > 0.6      # + = towards the left
    straight = [sample_subject_c(np.random.default_rng(i), cobb_angle=0.0) for i in range(300)]
    assert np.mean([abs(s.shoulder_roll_deg) for s in right]) > 1.5 * np.mean([abs(s.shoulder_roll_deg)
                                                                              for s in straight])
    seq = simulate_clip_c(right[0], np.random.default_rng(1), view="back")
    assert seq.meta["curve_type"] == "thoracic"


@pytest.mark.parametrize("world", NEW)
def test_simulate_dataset_and_cli_write_each_world(tmp_path, world):
    out = tmp_path / world
    summary = simulate_dataset(out, subjects=3, clips_per_subject=2, seed=4, workers=1, world=world)
    assert summary["clips"] == 6
    with open(out / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["subject_id"] for r in rows} == {f"sim{world}4-0000{i}" for i in (1, 2, 3)}
    assert all((out / r["file"]).is_file() for r in rows)
    assert main(["simulate", str(tmp_path / "cli"), "--subjects", "2", "--clips-per-subject", "1",
                 "--world", world, "--workers", "1"]) == 0
    assert (tmp_path / "cli" / "poses" / f"sim{world}0-00001_1.npz").is_file()


def test_cli_refuses_an_unknown_world(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["simulate", str(tmp_path / "x"), "--world", "Z"])
    assert exc.value.code == 2
    assert "world" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("world", WORLDS)
def test_every_world_carries_a_weak_cobb_signal(world):
    """The strongest knowledge-map asymmetry correlates with Cobb at |r| 0.3-0.7 (photographic
    asymmetry vs Cobb in the literature: r ~ 0.4-0.6), in every world."""
    res = signal_check(subjects=150, seed=3, source="kinematics", world=world)
    name, r = res["best"]
    assert 0.3 <= abs(r) <= 0.7, f"world {world}: strongest |r| {r:.3f} ({name})"


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
@pytest.mark.parametrize("world", ("A", "B"))
def test_worlds_a_and_b_can_use_the_fitted_pose_errors(world, tmp_path):
    """``pose_errors="fitted"``: the same children and camera, the estimator fitted on real
    MediaPipe output instead of the world's own; recorded in the clip and the provenance."""
    subject, plan = subject_plan(21, subject_id(2, 1, world), 1, world)
    view, _ = plan[0]
    own = simulate_clip_in(world, subject, subject_plan(21, "x", 1, world)[1][0][1], view)
    fitted = simulate_clip_in(world, subject, subject_plan(21, "x", 1, world)[1][0][1], view, pose_errors="fitted")
    assert own.meta["pose_errors"] == "world" and fitted.meta["pose_errors"] == "fitted"
    assert own.fps == fitted.fps and len(own) == len(fitted)
    assert not np.array_equal(np.nan_to_num(own.landmarks), np.nan_to_num(fitted.landmarks))
    # the fitted model's visibility: far hands well below the near ones, as MediaPipe gives them
    vis = fitted.landmarks[fitted.detected][..., 3]
    assert np.median(vis[:, [MP["left_wrist"], MP["right_wrist"]]]) < np.median(vis[:, [MP["left_hip"], MP["right_hip"]]])
    usable = []
    for i, sseed in enumerate(_subject_seeds(6, 8), start=1):
        subj, pl = subject_plan(sseed, subject_id(6, i, world), 1, world)
        usable.append(assess_quality(simulate_clip_in(world, subj, pl[0][1], pl[0][0], pose_errors="fitted")).usable)
    assert sum(usable) >= 6
    simulate_dataset(tmp_path / "d", subjects=2, clips_per_subject=1, seed=1, workers=1, world=world, pose_errors="fitted")
    assert '"pose_errors": "fitted"' in (tmp_path / "d" / "simulation.json").read_text()
    with pytest.raises(Exception, match="pose errors"):
        simulate_clip_in(world, subject, np.random.default_rng(0), view, pose_errors="bogus")


def test_world_c_body_proportions_match_a_real_back_view_recording():
    """Shoulder width / trunk length of world-C walkers seen from behind is in the range of the
    real MediaPipe back-view walk (as world A's is, tests/test_sim.py)."""
    from pathlib import Path

    from scoliscreen.core.sequence import load_sequence

    from pose_measures import shoulder_trunk_ratio as ratio

    real = load_sequence(Path(__file__).resolve().parent / "data" / "poses" / "intel_worker_back_walk_away.npz")
    r_real = ratio(real.slice(10, 50))
    sims = [ratio(simulate_clip_c(sample_subject_c(np.random.default_rng(i)), np.random.default_rng(i), view="back"))
            for i in range(8)]
    assert 0.6 * r_real < np.median(sims) < 1.5 * r_real
