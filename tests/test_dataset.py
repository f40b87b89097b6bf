"""The dataset folder format: labels.csv validation (errors name the line), loading, the video pose cache."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.cli import main
from scoliscreen.core.data import load_dataset, read_labels
from scoliscreen.core.errors import DatasetError
from scoliscreen.core.sequence import load_sequence

POSES = Path(__file__).resolve().parent / "data" / "poses"
GOOD_HEADER = "file,subject_id,cobb_angle,label,sex,age,notes,view\n"


@pytest.fixture()
def folder(tmp_path) -> Path:
    """A folder with three real pose sequences (MediaPipe output of the real clips)."""
    d = tmp_path / "ds"
    (d / "clips").mkdir(parents=True)
    for name in ("intel_worker_back_walk_away", "sports2d_side_walk_single", "intel_one_by_one_back_walk_22s"):
        shutil.copy(POSES / f"{name}.npz", d / "clips" / f"{name}.npz")
    return d


def write(folder: Path, body: str, header: str = GOOD_HEADER) -> None:
    (folder / "labels.csv").write_text(header + body, encoding="utf-8")


VALID = (
    "clips/intel_worker_back_walk_away.npz,s1,12.5,,F,13,right thoracic curve,back\n"
    "clips/sports2d_side_walk_single.npz,s2,4,,M,14.5,,side\n"
    "clips/intel_one_by_one_back_walk_22s.npz,s3,,1,,,,\n"
)


def test_valid_folder_loads_with_labels_from_cobb_or_label(folder):
    write(folder, VALID)
    ds = load_dataset(folder)
    assert len(ds) == 3 and ds.subjects == ["s1", "s2", "s3"]
    r1, r2, r3 = ds.records
    assert (r1.cobb_angle, r1.label, r1.sex, r1.age, r1.view) == (12.5, 1, "F", 13.0, "back")
    assert r1.notes == "right thoracic curve" and r1.line == 2
    assert (r2.cobb_angle, r2.label, r2.view) == (4.0, 0, "side")
    assert (r3.cobb_angle, r3.label, r3.view, r3.sex, r3.age) == (None, 1, "unknown", "", None)
    seq = ds.sequence(r1)
    np.testing.assert_array_equal(seq.landmarks, load_sequence(folder / r1.rel).landmarks)
    assert seq.view == "back"  # taken from labels.csv when the file does not know its view
    s = ds.summary()
    assert s["subjects"] == 3 and s["clips"] == 3 and s["positive_subjects"] == 2
    assert s["views"] == {"back": 1, "side": 1, "unknown": 1}


def test_label_agreeing_with_cobb_is_kept_and_extra_columns_are_kept(folder):
    write(folder, "clips/intel_worker_back_walk_away.npz, S1 ,11,1,,,,,clinic A\n",
          header="file,subject_id,cobb_angle,label,sex,age,notes,view,site\n")
    (rec,) = load_dataset(folder).records
    assert rec.label == 1 and rec.cobb_angle == 11.0 and rec.extra == {"site": "clinic A"}
    assert rec.subject_id == "S1"  # spaces trimmed; case kept for display, ignored in comparisons


def test_label_contradicting_cobb_is_refused(folder):
    # docs/dataset_format.md: train/evaluate learn from the Cobb angle, so a contradicting label
    # is refused rather than silently ignored
    write(folder, "clips/intel_worker_back_walk_away.npz,s1,11,0,,,,,clinic A\n",
          header="file,subject_id,cobb_angle,label,sex,age,notes,view,site\n")
    with pytest.raises(DatasetError, match="line 2: label '0' contradicts cobb_angle 11"):
        load_dataset(folder)


def test_bom_blank_lines_and_minimal_columns_are_accepted(folder):
    (folder / "labels.csv").write_text(
        "\ufefffile,subject_id,cobb_angle\n\nclips/intel_worker_back_walk_away.npz,s1,30\n\n", encoding="utf-8")
    (rec,) = load_dataset(folder).records
    assert rec.label == 1 and rec.line == 3


BAD = [
    # (labels.csv body with GOOD_HEADER, or (header, body)), message fragment
    (("file,subject_id\n", "clips/intel_worker_back_walk_away.npz,s1\n"), "line 1: missing column(s) cobb_angle"),
    ("clips/missing.npz,s1,12,,,,,\n", "line 2: file 'clips/missing.npz' does not exist"),
    ("clips/intel_worker_back_walk_away.npz,s1,abc,,,,,\n", "line 2: cobb_angle 'abc' is not a number"),
    ("clips/intel_worker_back_walk_away.npz,s1,-3,,,,,\n", "line 2: cobb_angle '-3' is outside"),
    ("clips/intel_worker_back_walk_away.npz,s1,nan,,,,,\n", "line 2: cobb_angle 'nan' is outside"),
    ("clips/intel_worker_back_walk_away.npz,s1,12,,F,twelve,,\n", "line 2: age 'twelve' is not a number"),
    ("clips/intel_worker_back_walk_away.npz,s1,12,maybe,,,,\n", "line 2: label 'maybe' must be 0/1"),
    ("clips/intel_worker_back_walk_away.npz,s1,12,,Q,,,\n", "line 2: sex 'Q' must be"),
    ("clips/intel_worker_back_walk_away.npz,s1,12,,,,,sideways\n", "line 2: view 'sideways' must be"),
    ("clips/intel_worker_back_walk_away.npz,,12,,,,,\n", "line 2: subject_id is empty"),
    ("clips/intel_worker_back_walk_away.npz,s1,,,,,,\n", "line 2: give a cobb_angle or a label"),
    (VALID + "clips/intel_worker_back_walk_away.npz,s9,3,,,,,\n",
     "line 5: file 'clips/intel_worker_back_walk_away.npz' is already listed on line 2 (duplicate row)"),
    (VALID + "clips/./intel_worker_back_walk_away.npz,s9,3,,,,,\n", "line 5: file 'clips/./intel_worker_back_walk_away.npz' is already listed on line 2"),
    ("../outside.npz,s1,12,,,,,\n", "line 2: file '../outside.npz' points outside the dataset folder"),
    ("clips/../../outside.npz,s1,12,,,,,\n", "points outside the dataset folder"),
    ("/etc/passwd.npz,s1,12,,,,,\n", "line 2: file '/etc/passwd.npz' must be a path relative to the dataset folder"),
    ("labels.csv,s1,12,,,,,\n", "line 2: file 'labels.csv' is neither a pose sequence"),
    ("clips/intel_worker_back_walk_away.npz,s1,12,,,,,,extra\n", "line 2: has more fields than the header"),
    (("file,subject_id,cobb_angle,cobb_angle\n", "x.npz,s1,1,2\n"), "line 1: column(s) cobb_angle appear more than once"),
]


@pytest.mark.parametrize("body,message", BAD, ids=[m.split(":")[-1][:40] for _, m in BAD])
def test_malformed_labels_csv_is_refused_naming_the_line(folder, body, message):
    if isinstance(body, tuple):
        write(folder, body[1], header=body[0])
    else:
        write(folder, body)
    (folder.parent / "outside.npz").write_bytes((folder / "clips" / "intel_worker_back_walk_away.npz").read_bytes())
    with pytest.raises(DatasetError) as info:
        load_dataset(folder)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_all_problems_are_listed_and_counted(folder):
    write(folder, "clips/missing.npz,s1,12,,,,,\nclips/intel_worker_back_walk_away.npz,s1,x,,,,,\n" + VALID)
    records, problems = read_labels(folder)
    assert len(records) == 3 and len(problems) == 2  # every bad line reported, the good ones kept
    assert [p.split(":")[0] for p in problems] == ["labels.csv line 2", "labels.csv line 3"]
    with pytest.raises(DatasetError, match=r"line 2: .* \(and 1 more problem\(s\)\)"):
        load_dataset(folder)


def test_missing_csv_and_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match="has no labels.csv"):
        load_dataset(tmp_path)
    with pytest.raises(DatasetError, match="is not a folder"):
        load_dataset(tmp_path / "nope")
    (tmp_path / "labels.csv").write_text("")
    with pytest.raises(DatasetError, match="is empty"):
        load_dataset(tmp_path)


def test_video_is_pose_estimated_once_and_cached_by_content(folder, monkeypatch):
    """The cache logic, with a stand-in pose estimator (the real one: the slow test below)."""
    import scoliscreen.core.pose as pose
    import scoliscreen.core.video as video

    sample = load_sequence(POSES / "intel_worker_back_walk_away.npz")
    calls = []

    class FakeSource:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(video, "open_source", lambda path: FakeSource())
    monkeypatch.setattr(pose, "estimate_poses", lambda src, progress=None, should_cancel=None: calls.append(1) or sample)
    (folder / "clips" / "walk.mp4").write_bytes(b"not really a video, but bytes to hash")
    (folder / "clips" / "copy.mp4").write_bytes(b"not really a video, but bytes to hash")
    write(folder, "clips/walk.mp4,s1,20,,,,,back\nclips/copy.mp4,s2,20,,,,,back\n")
    ds = load_dataset(folder)
    assert not ds.is_cached(ds.records[0])
    first = ds.sequence(ds.records[0])
    assert len(calls) == 1 and ds.is_cached(ds.records[0])
    again = load_dataset(folder).sequence(load_dataset(folder).records[1])  # same bytes, other name
    assert len(calls) == 1
    np.testing.assert_array_equal(first.landmarks, again.landmarks)
    cached = list((Path(__import__("os").environ["SCOLISCREEN_DATA_DIR"]) / "cache" / "poses").glob("*.npz"))
    assert len(cached) == 1
    (folder / "clips" / "walk.mp4").write_bytes(b"edited video bytes")
    assert ds.prepare() == 1 and len(calls) == 2  # an edited file is estimated again


@pytest.mark.slow
def test_real_video_is_pose_estimated_and_cached(folder, sample_clip):
    shutil.copy(sample_clip, folder / "clips" / "walk.mp4")
    write(folder, "clips/walk.mp4,s1,15,,F,12,,side\n")
    ds = load_dataset(folder)
    seq = ds.sequence(ds.records[0])
    assert len(seq) == 147 and seq.detected.mean() > 0.95 and seq.view == "side"
    assert ds.is_cached(ds.records[0])
    seq2 = load_dataset(folder).sequence(ds.records[0])
    np.testing.assert_array_equal(seq.landmarks, seq2.landmarks)


def test_dataset_check_cli(folder, capsys):
    write(folder, VALID)
    assert main(["dataset", "check", str(folder), "--load"]) == 0
    out = capsys.readouterr().out
    assert "subjects: 3   clips: 3" in out and "opened 3 files: 0 problem(s)" in out and "split: train" in out
    write(folder, "clips/missing.npz,s1,12,,,,,\n")
    assert main(["dataset", "check", str(folder)]) == 2
    assert "line 2: file 'clips/missing.npz' does not exist" in capsys.readouterr().err
