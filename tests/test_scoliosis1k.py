"""Scoliosis1K-Pose import, on small files written in the assumed OpenGait layout."""

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.cli import main
from scoliscreen.core.data import load_dataset
from scoliscreen.core.data.scoliosis1k import import_scoliosis1k, keypoints_to_sequence, read_keypoints
from scoliscreen.core.data.splits import split_from_column
from scoliscreen.core.errors import DatasetError, InputError
from scoliscreen.core.landmarks import MP
from scoliscreen.core.sequence import load_sequence

POSES = Path(__file__).resolve().parent / "data" / "poses"
W, H = 1280, 720


def real_coco_pixels(name="intel_worker_back_walk_away", size=(W, H)):
    """COCO-17 [T, 17, 3] pixel keypoints made from a real MediaPipe sequence. Like a top-down
    estimator (ViTPose), no keypoint lies outside the frame: those get (0, 0, conf 0)."""
    c = load_sequence(POSES / f"{name}.npz").coco17()
    kp = np.stack([c[..., 0] * size[0], c[..., 1] * size[1], c[..., 3]], axis=-1)
    with np.errstate(invalid="ignore"):
        inside = ((c[..., :2] >= 0) & (c[..., :2] <= 1)).all(-1)
    kp[~inside] = 0.0
    return np.nan_to_num(kp, nan=0.0).astype(np.float32)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


@pytest.fixture(scope="module")
def src(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("s1k") / "Scoliosis1K-pose-pkl"
    kp = real_coco_pixels()
    layout = {
        ("00000", "positive", "000-180"): ("array", 2),
        ("00001", "neutral", "000-180"): ("dict", 4),
        ("00002", "negative", "000-180"): ("list", 5),
        ("00003", "positive", "000-180"): ("array4d", 5),
        ("00004", "negative", "000-180"): ("array", 5),
    }
    for (sid, cat, view), (form, proto) in layout.items():
        d = root / sid / cat / view
        d.mkdir(parents=True)
        obj = {"array": kp, "dict": {"keypoints": kp}, "list": [f for f in kp], "array4d": kp[:, None]}[form]
        with open(d / "000.pkl", "wb") as fh:
            pickle.dump(obj, fh, protocol=proto)
    bad = root / "00005" / "positive" / "000-180"
    bad.mkdir(parents=True)
    with open(bad / "000.pkl", "wb") as fh:
        pickle.dump(Evil(), fh)
    weird = root / "00006" / "unsure" / "000-180"
    weird.mkdir(parents=True)
    with open(weird / "000.pkl", "wb") as fh:
        pickle.dump(kp, fh)
    (root / "Scoliosis1K_1116.json").write_text(json.dumps(
        {"TRAIN_SET": ["00000", "00001", "00002"], "TEST_SET": ["00003", "00004"]}))
    return root


@pytest.fixture(scope="module")
def imported(src, tmp_path_factory):
    out = tmp_path_factory.mktemp("s1k_out") / "ds"
    summary = import_scoliosis1k(src, out)
    return out, summary


def test_import_writes_a_valid_dataset_folder_with_mapped_labels(imported):
    out, summary = imported
    ds = load_dataset(out)
    by_subject = {r.subject_id: r for r in ds.records}
    assert sorted(by_subject) == ["00000", "00001", "00002", "00003", "00004"]
    assert {s: r.label for s, r in by_subject.items()} == {"00000": 1, "00001": 0, "00002": 0, "00003": 1, "00004": 0}
    assert all(r.cobb_angle is None for r in ds.records)
    assert by_subject["00001"].extra["category"] == "neutral"
    assert {s: r.extra["partition"] for s, r in by_subject.items()} == {
        "00000": "train", "00001": "train", "00002": "train", "00003": "test", "00004": "test"}
    assert summary["partition"] == {"train": 3, "test": 2}
    assert summary["categories"] == {"positive": 2, "neutral": 1, "negative": 2}
    assert summary["skipped"] == 2 and len(summary["warnings"]) == 2
    parts = split_from_column(ds.records)
    assert len(parts["train"]) == 3 and len(parts["test"]) == 2


def test_refuses_code_in_pickles(imported):
    _, summary = imported
    assert any("refusing to load" in w and "00005" in w for w in summary["warnings"])
    assert any("unknown category 'unsure'" in w for w in summary["warnings"])


def test_keypoints_keep_their_position_and_missing_ones_are_nan(imported):
    out, _ = imported
    ds = load_dataset(out)
    real = load_sequence(POSES / "intel_worker_back_walk_away.npz")
    for rec in ds.records:
        seq = ds.sequence(rec)
        assert seq.image_size == (W, H) and seq.meta["image_size_inferred"] is True
        assert len(seq) == len(real)
        for name in ("left_shoulder", "right_hip", "left_ankle", "nose"):
            i = MP[name]
            with np.errstate(invalid="ignore"):
                ok = ((real.landmarks[:, i, :2] >= 0) & (real.landmarks[:, i, :2] <= 1)).all(-1)
            assert ok.sum() > 40
            np.testing.assert_allclose(seq.landmarks[ok, i, :2], real.landmarks[ok, i, :2], atol=1e-5)
            np.testing.assert_allclose(seq.landmarks[ok, i, 3], real.landmarks[ok, i, 3], atol=1e-6)
        assert np.isnan(seq.landmarks[:, MP["left_heel"]]).all()  # COCO-17 has no heels
        missing = ~np.isfinite(real.landmarks[:, MP["left_shoulder"], 0])
        assert np.isnan(seq.landmarks[missing, MP["left_shoulder"]]).all()


def test_image_size_given_or_inferred():
    kp = real_coco_pixels(size=(1920, 1080))
    seq = keypoints_to_sequence(kp, (1920, 1080), 30.0)
    assert seq.image_size == (1920, 1080) and not seq.meta["image_size_inferred"]
    assert keypoints_to_sequence(kp, None, 30.0).image_size == (1920, 1080)
    portrait = real_coco_pixels(size=(700, 1200))
    assert keypoints_to_sequence(portrait, None, 30.0).image_size == (720, 1280)


def test_bad_sources_give_clear_errors(tmp_path, src):
    with pytest.raises(InputError, match="is not a folder"):
        import_scoliosis1k(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="holds no <subject>/<category>/<view>/<file>.pkl"):
        import_scoliosis1k(tmp_path / "empty", tmp_path / "out")
    bad = tmp_path / "bad.pkl"
    with open(bad, "wb") as fh:
        pickle.dump(np.zeros((5, 18, 3)), fh)
    with pytest.raises(InputError, match=r"expected COCO-17 keypoints \[T, 17, 3\], got shape \[5, 18, 3\]"):
        read_keypoints(bad)
    (src / "Scoliosis1K_112.json").write_text(json.dumps({"TRAIN_SET": [], "TEST_SET": []}))
    try:
        with pytest.raises(DatasetError, match="several partition files"):
            import_scoliosis1k(src, tmp_path / "out2")
    finally:
        (src / "Scoliosis1K_112.json").unlink()


def test_subject_map_merges_sequences_of_one_child(src, tmp_path):
    smap = tmp_path / "map.csv"
    smap.write_text("sequence_id,subject_id\n00000,child-A\n00003,child-A\n")
    out = tmp_path / "mapped"
    import_scoliosis1k(src, out, subject_map=smap)
    ds = load_dataset(out)
    assert sum(r.subject_id == "child-A" for r in ds.records) == 2
    from scoliscreen.core.errors import LeakageError

    with pytest.raises(LeakageError, match="child-A"):  # the official partition would leak this child
        split_from_column(ds.records)


def test_cli_import(src, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["import-scoliosis1k", str(src), str(out), "--image-size", "1280", "720"]) == 0
    text = capsys.readouterr().out
    assert "subjects: 5   clips: 5" in text and "partition: train 3 subjects, test 2 subjects" in text
    assert main(["import-scoliosis1k", str(src), str(out)]) == 2
    assert "already holds a labels.csv" in capsys.readouterr().err
