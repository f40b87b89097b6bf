"""Pose estimation: model integrity check, single frames, and the whole sample clip."""

import shutil

import cv2
import numpy as np
import pytest

from scoliscreen.core import paths
from scoliscreen.core.fileio import sha256_file
from scoliscreen.core.errors import Cancelled, ModelIntegrityError
from scoliscreen.core.landmarks import MP
from scoliscreen.core.pose import (
    POSE_MODEL_SHA256,
    PoseEstimator,
    estimate_poses,
    prepare_image,
    verify_pose_model,
)
from scoliscreen.core.sequence import load_sequence
from scoliscreen.core.video import open_source

REPO_POSES = paths.install_root() / "tests" / "data" / "poses"


def test_bundled_model_has_the_recorded_sha256():
    assert sha256_file(paths.pose_model_path()) == POSE_MODEL_SHA256
    assert verify_pose_model() == paths.pose_model_path()


def test_a_modified_model_is_refused(tmp_path):
    bad = tmp_path / "pose_landmarker_full.task"
    shutil.copyfile(paths.pose_model_path(), bad)
    with bad.open("r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelIntegrityError, match="not the expected file"):
        verify_pose_model(bad)
    with pytest.raises(ModelIntegrityError):
        PoseEstimator(bad)


def test_a_missing_model_is_refused(tmp_path):
    with pytest.raises(ModelIntegrityError, match="missing"):
        verify_pose_model(tmp_path / "nope.task")


def test_prepare_image_shrinks_large_frames_and_converts_to_rgb():
    img = np.zeros((2160, 3840, 3), np.uint8)
    img[..., 0] = 255  # blue in BGR
    rgb = prepare_image(img, 1920)
    assert rgb.shape == (1080, 1920, 3) and rgb.flags["C_CONTIGUOUS"]
    assert rgb[0, 0].tolist() == [0, 0, 255]
    assert prepare_image(img[:100, :100], 1920).shape == (100, 100, 3)


@pytest.fixture(scope="module")
def estimator():
    est = PoseEstimator()
    yield est
    est.close()


def test_still_photo_gives_33_plausible_landmarks(real_dir):
    img = cv2.imread(str(real_dir / "pose2sim_front_standing.jpg"))
    with PoseEstimator() as est:
        lm = est.detect(img, 0)
        lm_again = est.detect(img, 0)  # same timestamp: forced forward, no MediaPipe error
    assert lm.shape == (33, 4) and lm.dtype == np.float32
    assert np.isfinite(lm).all()
    assert (lm[:, 3] > 0.5).sum() >= 30
    assert lm[MP["left_shoulder"], 1] < lm[MP["left_hip"], 1] < lm[MP["left_knee"], 1] < lm[MP["left_ankle"], 1]
    assert np.isfinite(lm_again).all()


def test_blank_frame_gives_a_nan_row(estimator):
    lm = estimator.detect(np.full((240, 320, 3), 128, np.uint8), 10_000)
    assert lm.shape == (33, 4) and np.isnan(lm).all()


@pytest.fixture(scope="module")
def sample_sequence(sample_clip):
    calls = []
    with open_source(sample_clip) as src:
        seq = estimate_poses(src, progress=lambda done, total: calls.append((done, total)))
    return seq, calls


@pytest.mark.slow
def test_sample_clip_pose_found_and_plausible(sample_sequence):
    seq, calls = sample_sequence
    assert len(seq) == 147 and seq.fps == pytest.approx(30.0) and seq.image_size == (1768, 528)
    assert seq.landmarks.shape == (147, 33, 4) and seq.landmarks.dtype == np.float32
    assert seq.detected.mean() >= 0.9
    lm = seq.landmarks[seq.detected]
    # image y grows downwards: shoulders above hips, ankles below knees
    for side in ("left", "right"):
        assert (lm[:, MP[f"{side}_shoulder"], 1] < lm[:, MP[f"{side}_hip"], 1]).mean() >= 0.95
        assert (lm[:, MP[f"{side}_ankle"], 1] > lm[:, MP[f"{side}_knee"], 1]).mean() >= 0.95
    vis = lm[:, :, 3]
    assert np.nanmin(vis) >= 0 and np.nanmax(vis) <= 1
    assert np.all(np.diff(seq.timestamps_ms) > 0)
    # the walker goes right to left across the frame
    hip_x = (lm[:, MP["left_hip"], 0] + lm[:, MP["right_hip"], 0]) / 2
    assert hip_x[:10].mean() > 0.7 and hip_x[-10:].mean() < 0.2
    assert calls[-1] == (147, 147) and len(calls) == 147
    coco = seq.coco17()
    assert coco.shape == (147, 17, 4)
    assert np.array_equal(coco[:, 5], seq.landmarks[:, MP["left_shoulder"]])


@pytest.mark.slow
def test_sample_clip_matches_the_stored_raw_fixture(sample_sequence):
    """The project's path gives the same landmarks as plain MediaPipe VIDEO mode on every frame."""
    seq, _ = sample_sequence
    ref = load_sequence(REPO_POSES / "sports2d_side_walk_single.npz")
    assert np.array_equal(seq.detected, ref.detected)
    err_px = np.abs(seq.landmarks[:, :, :2] - ref.landmarks[:, :, :2]) * np.array(seq.image_size)
    assert np.nanmax(err_px) < 1.0


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_cancel_stops_estimation(real_dir):
    seen = []

    def cancel():
        return len(seen) >= 5

    with open_source(real_dir / "intel_worker_back_walk_away.mp4") as src:
        with pytest.raises(Cancelled):
            estimate_poses(src, progress=lambda d, t: seen.append(d), should_cancel=cancel)
    assert seen == [1, 2, 3, 4, 5]


@pytest.mark.slow
def test_live_callback_gets_each_frame_and_its_landmarks(real_dir, estimator):
    got = []
    with open_source(real_dir / "intel_worker_back_walk_away.mp4") as src:
        seq = estimate_poses(src, estimator=estimator, on_frame=lambda f, lm: got.append((f.index, lm.shape)))
    assert [g[0] for g in got] == list(range(71))
    assert {g[1] for g in got} == {(33, 4)}
    assert len(seq) == 71 and seq.fps == pytest.approx(15.0)
    # no person in the first frames (the worker is cut off at the bottom): kept as NaN rows
    assert not seq.detected[0] and np.isnan(seq.landmarks[0]).all()
    assert seq.detected.sum() >= 60
