"""The documented pose-sequence .npz format: files written by other programs read back exactly."""

import json
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.core.errors import InputError
from scoliscreen.core.landmarks import MP
from scoliscreen.core.sequence import FORMAT_VERSION, PoseSequence, load_sequence, save_sequence


POSES = Path(__file__).parent / "data" / "poses"


def _foreign_landmarks(t=40, seed=0):
    rng = np.random.default_rng(seed)
    lm = np.empty((t, 33, 4), np.float32)
    lm[..., :2] = rng.uniform(0.1, 0.9, (t, 33, 2))
    lm[..., 2] = rng.normal(0, 0.2, (t, 33))
    lm[..., 3] = rng.uniform(0, 1, (t, 33))
    lm[5] = np.nan  # no person in frame 5
    return lm


def test_file_written_by_numpy_alone_is_read_back(tmp_path):
    lm = _foreign_landmarks()
    path = tmp_path / "other_tool.npz"
    np.savez(path, landmarks=lm, fps=np.float64(25.0), image_size=np.array([1280, 720], dtype=np.int32))
    seq = load_sequence(path)
    assert np.array_equal(seq.landmarks, lm, equal_nan=True)
    assert seq.fps == 25.0 and seq.image_size == (1280, 720)
    assert np.allclose(seq.timestamps_ms, np.arange(40) * 40.0)  # default: index / fps
    assert not seq.detected[5] and seq.detected.sum() == 39
    assert seq.meta == {} and seq.view == "unknown"


def test_plain_python_scalars_float64_and_extra_keys_are_accepted(tmp_path):
    lm = _foreign_landmarks(t=10).astype(np.float64)
    path = tmp_path / "x.npz"
    np.savez_compressed(path, landmarks=lm, fps=30, image_size=[640, 480],
                        extra_stuff=np.arange(3), view=np.asarray("back"))
    seq = load_sequence(path)
    assert seq.landmarks.dtype == np.float32 and seq.fps == 30.0 and seq.image_size == (640, 480)
    assert seq.view == "back"


def test_round_trip_keeps_everything_and_writes_atomically(tmp_path):
    ref = load_sequence(POSES / "intel_worker_back_walk_away.npz")
    ref.meta["view"] = "back"
    out = save_sequence(ref, tmp_path / "sub" / "seq.npz")
    assert out.exists() and [p.name for p in out.parent.iterdir()] == ["seq.npz"]  # no temp file left
    back = load_sequence(out)
    assert np.array_equal(back.landmarks, ref.landmarks, equal_nan=True)
    assert np.array_equal(back.timestamps_ms, ref.timestamps_ms)
    assert back.fps == ref.fps and back.image_size == ref.image_size and back.view == "back"
    with np.load(out) as data:
        assert int(data["format_version"]) == FORMAT_VERSION
        assert data["landmarks"].dtype == np.float32 and data["landmarks"].shape == (71, 33, 4)
        assert json.loads(str(data["meta_json"]))["view"] == "back"


def test_fixtures_follow_the_layout():
    for path in sorted(POSES.glob("*.npz")):
        with np.load(path) as data:
            assert data["landmarks"].dtype == np.float32 and data["landmarks"].shape[1:] == (33, 4)
            assert np.asarray(data["image_size"]).shape == (2,)
        seq = load_sequence(path)
        lm = seq.landmarks[seq.detected]
        vis = lm[:, :, 3]
        assert np.nanmin(vis) >= 0 and np.nanmax(vis) <= 1
        # a frame is either fully present or all NaN
        rows = np.isnan(seq.landmarks).reshape(len(seq), -1)
        assert np.all(rows.all(axis=1) | ~rows.any(axis=1))


def test_coco17_view_of_the_same_landmarks():
    seq = load_sequence(POSES / "sports2d_side_walk_single.npz")
    coco = seq.coco17()
    assert coco.shape == (147, 17, 4)
    assert np.array_equal(coco[:, 0], seq.landmarks[:, MP["nose"]])
    assert np.array_equal(coco[:, 16], seq.landmarks[:, MP["right_ankle"]])


@pytest.mark.parametrize(
    "keys, match",
    [
        ({"fps": 30.0, "image_size": [10, 10]}, "missing landmarks"),
        ({"landmarks": np.zeros((3, 17, 4), np.float32), "fps": 30.0, "image_size": [10, 10]}, r"\[T, 33, 4\]"),
        ({"landmarks": np.zeros((3, 33, 4), np.float32), "fps": 0.0, "image_size": [10, 10]}, "fps"),
        ({"landmarks": np.zeros((3, 33, 4), np.float32), "fps": 30.0, "image_size": [10]}, "width, height"),
    ],
)
def test_malformed_files_are_refused_with_a_reason(tmp_path, keys, match):
    path = tmp_path / "bad.npz"
    np.savez(path, **keys)
    with pytest.raises(InputError, match=match):
        load_sequence(path)


@pytest.mark.parametrize("content", [b"", b"hello", b"\x93NUMPY not really", b"PK\x03\x04broken"])
def test_non_npz_bytes_are_refused(tmp_path, content):
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    with pytest.raises(InputError, match="x.npz"):
        load_sequence(path)


def test_a_bare_npy_array_is_refused(tmp_path):
    path = tmp_path / "arr.npz"
    with path.open("wb") as fh:
        np.save(fh, np.zeros((3, 33, 4)))
    with pytest.raises(InputError, match="not an .npz archive"):
        load_sequence(path)


def test_resample_by_timestamp_to_30hz():
    lm = _foreign_landmarks(t=16)
    lm[5] = lm[4]  # keep frame 5 detected for this test
    seq = PoseSequence(lm, 15.0, (640, 480))
    r = seq.resampled(30.0)
    assert len(r) == 31 and r.fps == 30.0
    assert np.allclose(r.landmarks[::2], lm, equal_nan=True)
    assert np.allclose(r.landmarks[1], (lm[0] + lm[1]) / 2)


def test_a_sample_on_a_source_frame_is_that_frame_even_next_to_a_gap():
    """30 fps with integer-ms timestamps (0, 33, 67, 100, ..., 500, ...): the 30 Hz sample
    15 x 33.33 ms is source frame 15 (500 ms), even when frame 16 is missing; in floating point
    it is a hair above 500, which the old search took for "between frames 15 and 16"."""
    lm = _foreign_landmarks(t=20)
    ts = np.round(np.arange(20) * 1000.0 / 30.0)
    lm[16] = np.nan  # the gap after frame 15
    r = PoseSequence(lm, 30.0, (640, 480), ts).resampled(30.0)
    assert (np.arange(20) * (1000.0 / 30.0))[15] > 500.0  # the float at issue
    assert np.allclose(r.landmarks[15], lm[15])  # the frame itself, not NaN
    assert np.isnan(r.landmarks[16]).all()  # no pose invented in the gap
