"""The scoliotic-gait simulator: format, geometry, determinism, Cobb distribution, CLI."""

import csv
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.cli import main
from scoliscreen.core.errors import InputError
from scoliscreen.core.landmarks import MP
from scoliscreen.core.constants import CLIP_FRAMES
from scoliscreen.core.sequence import load_sequence
from scoliscreen.core.sim import EFFECTS, sample_subject, simulate_clip, simulate_dataset

POSES = Path(__file__).resolve().parent / "data" / "poses"


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "ds"
    simulate_dataset(out, subjects=20, clips_per_subject=3, seed=7, workers=1)
    return out


@pytest.fixture(scope="module")
def rows(sim_dir):
    with open(sim_dir / "labels.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_dataset_folder_has_labels_and_one_file_per_row(sim_dir, rows):
    assert len(rows) == 60
    for col in ("file", "subject_id", "cobb_angle", "label", "sex", "age", "view"):
        assert col in rows[0]
    assert len({r["subject_id"] for r in rows}) == 20
    for r in rows:
        assert (sim_dir / r["file"]).is_file()
        assert int(r["label"]) == int(float(r["cobb_angle"]) >= 10.0)
        assert r["view"] in ("front", "back")
        assert r["sex"] in ("F", "M")
        assert 10.0 <= float(r["age"]) <= 16.0
    # each subject's clips alternate views, so both views are covered
    by_subject = {}
    for r in rows:
        by_subject.setdefault(r["subject_id"], set()).add(r["view"])
    assert all(v == {"front", "back"} for v in by_subject.values())


def test_clips_are_valid_pose_sequences_long_enough_for_the_quality_gate(sim_dir, rows):
    for r in rows:
        seq = load_sequence(sim_dir / r["file"])
        assert seq.meta["simulated"] is True and seq.meta["view"] == r["view"]
        assert seq.fps in (25.0, 30.0, 60.0)
        assert 4.0 <= seq.duration_s <= 6.1
        assert len(seq.resampled(30.0)) >= CLIP_FRAMES
        lm = seq.landmarks[seq.detected]
        assert np.isfinite(lm).all()
        vis = lm[..., 3]
        assert vis.min() >= 0 and vis.max() <= 1 and np.median(vis) > 0.85
        assert seq.detected.mean() > 0.9  # a few dropped frames, like a real estimator


def test_left_right_and_depth_follow_the_view():
    subject = sample_subject(np.random.default_rng(3), cobb_angle=0.0)
    for view in ("front", "back"):
        seq = simulate_clip(subject, 11, view=view)
        lm = seq.landmarks[seq.detected]
        dx = np.median(lm[:, MP["left_shoulder"], 0] - lm[:, MP["right_shoulder"], 0])
        nose_z = np.median(lm[:, MP["nose"], 2] - 0.5 * (lm[:, MP["left_hip"], 2] + lm[:, MP["right_hip"], 2]))
        if view == "front":  # facing the camera: subject's left on the image right, nose nearer
            assert dx > 0 and nose_z < 0
        else:
            assert dx < 0 and nose_z > 0
        # walking towards the camera the body grows in the picture; walking away it shrinks
        h = np.nanmax(seq.pixels()[..., 1], axis=1) - np.nanmin(seq.pixels()[..., 1], axis=1)
        grows = np.nanmedian(h[-10:]) > np.nanmedian(h[:10])
        assert grows == (view == "front")


def test_body_proportions_match_a_real_back_view_recording():
    """Shoulder width / trunk length of simulated walkers is in the range of a real MediaPipe
    sequence of a person walking away from the camera."""
    real = load_sequence(POSES / "intel_worker_back_walk_away.npz")

    from pose_measures import shoulder_trunk_ratio as ratio

    r_real = ratio(real.slice(10, 50))
    sims = [ratio(simulate_clip(sample_subject(np.random.default_rng(i)), i, view="back")) for i in range(8)]
    assert 0.6 * r_real < np.median(sims) < 1.5 * r_real


@pytest.mark.slow  # 2.5 s: the gate over every simulated clip
def test_simulated_clips_mostly_pass_the_quality_gate(sim_dir, rows):
    from scoliscreen.core.quality import assess_quality

    reports = [assess_quality(load_sequence(sim_dir / r["file"])) for r in rows]
    assert np.mean([q.usable for q in reports]) >= 0.8
    usable = [(q, r) for q, r in zip(reports, rows) if q.usable]
    assert np.mean([q.view == r["view"] for q, r in usable]) >= 0.9


@pytest.mark.slow
def test_same_seed_same_dataset_any_worker_count(tmp_path, sim_dir, rows):
    out = tmp_path / "again"
    simulate_dataset(out, subjects=20, clips_per_subject=3, seed=7, workers=2)
    assert (out / "labels.csv").read_text() == (sim_dir / "labels.csv").read_text()
    for r in rows[::7]:
        a, b = load_sequence(sim_dir / r["file"]), load_sequence(out / r["file"])
        np.testing.assert_array_equal(a.landmarks, b.landmarks)
    other = tmp_path / "other"
    simulate_dataset(other, subjects=20, clips_per_subject=3, seed=8, workers=1)
    assert (other / "labels.csv").read_text() != (sim_dir / "labels.csv").read_text()


def test_refuses_to_overwrite_an_existing_dataset(sim_dir):
    before = (sim_dir / "labels.csv").read_text()
    with pytest.raises(InputError, match="already holds a labels.csv"):
        simulate_dataset(sim_dir, subjects=2, clips_per_subject=1, seed=1)
    assert (sim_dir / "labels.csv").read_text() == before


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_cobb_distribution_has_borderline_cases_and_a_tail():
    rng = np.random.default_rng(0)
    subjects = [sample_subject(rng) for _ in range(3000)]
    cobb = np.array([s.cobb_angle for s in subjects])
    assert 0.33 <= (cobb >= 10).mean() <= 0.47
    assert ((cobb >= 7) & (cobb < 14)).mean() >= 0.15  # many near the threshold
    assert cobb.min() >= 0 and cobb.max() <= 60 and (cobb >= 40).mean() > 0.02
    assert (cobb >= 50).mean() < 0.05  # no pile-up at the cap
    # positives are mostly girls (sex confounded with the label, as in clinical data)
    sex_f = np.array([s.sex == "F" for s in subjects])
    assert sex_f[cobb >= 25].mean() > sex_f[cobb < 10].mean() + 0.1
    heights = np.array([s.height_m for s in subjects])
    assert heights.min() >= 1.40 and heights.max() <= 1.85


def test_asymmetries_grow_with_cobb_but_healthy_people_have_them_too():
    rng = np.random.default_rng(1)
    healthy = [sample_subject(rng, cobb_angle=0.0) for _ in range(400)]
    curved = [sample_subject(rng, cobb_angle=40.0) for _ in range(400)]
    for name, (sd, *_rest) in EFFECTS.items():
        h = np.array([s.asym[name] for s in healthy])
        c = np.array([s.asym[name] for s in curved])
        assert 0.7 * sd < h.std() < 1.3 * sd  # habitual asymmetry of healthy subjects
        assert np.abs(c).mean() > np.abs(h).mean()
    # ... and with weak effects the two groups overlap: a healthy child can look more tilted
    h = np.abs([s.asym["shoulder_tilt_deg"] for s in healthy])
    c = np.abs([s.asym["shoulder_tilt_deg"] for s in curved])
    assert (h > np.median(c)).mean() > 0.05  # population value ~0.085 (3,000 draws)
    assert np.mean([min(s.arm_swing_ratio) for s in curved]) < np.mean([min(s.arm_swing_ratio) for s in healthy])
    assert np.mean([s.speed_mps for s in curved]) < np.mean([s.speed_mps for s in healthy])


def test_cli_simulate_prints_balance_histogram_and_views(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["simulate", str(out), "--subjects", "6", "--clips-per-subject", "2", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "label balance" in text and "Cobb angle histogram" in text and "views:" in text
    assert "subjects: 6   clips: 12" in text
    assert main(["simulate", str(out), "--subjects", "6"]) == 2
    assert "already holds a labels.csv" in capsys.readouterr().err
    assert main(["simulate", str(tmp_path / "x"), "--subjects", "0"]) == 2
