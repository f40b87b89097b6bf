"""Issue 14: limits where input is read, batches that survive a bad file, subject IDs,
simulate's output folder, --patient / --save-sequence in analyze, rotated clips."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.cli import main
from scoliscreen.core.data.splits import check_no_leakage, grouped_train_val_test, normalise_subject_id
from scoliscreen.core.errors import InputError, LeakageError
from scoliscreen.core.quality import assess_quality, lying_share
from scoliscreen.core.sequence import PoseSequence, load_sequence
from scoliscreen.core.store import Store

sys.path.insert(0, str(Path(__file__).parent))
import malformed as m

REPO = Path(__file__).resolve().parents[1]
POSES = REPO / "tests" / "data" / "poses"
USABLE = POSES / "sports2d_side_walk_single.npz"


# ---- sequences -------------------------------------------------------------------------

@pytest.mark.parametrize("override, message", [
    ({"timestamps_ms": np.r_[0.0, 10.0, 5.0]}, "strictly increasing"),
    ({"timestamps_ms": np.r_[0.0, np.nan, 5.0]}, "finite"),
    ({"image_size": (2**62, 480)}, "image_size"),
    ({"image_size": (-640, 480)}, "image_size"),
    ({"image_size": (0, 0)}, "image_size"),
    ({"fps": float("inf")}, "fps"),
])
def test_sequence_values_are_checked(override, message):
    args = {"landmarks": np.zeros((3, 33, 4), np.float32), "fps": 30.0, "image_size": (640, 480),
            "timestamps_ms": None}
    args.update(override)
    with pytest.raises(InputError, match=message):
        PoseSequence(**args)


def test_npz_headers_are_checked_before_inflating(tmp_path):
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError, match="claims shape|frames; a sequence may hold"):
        load_sequence(m.npz_claiming(tmp_path / "claim.npz"))
    with pytest.raises(InputError, match="inflates to"):
        load_sequence(m.zip_bomb(tmp_path / "bomb.npz"))
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grew_mb < 100  # nothing was inflated


def test_a_real_sequence_still_loads():
    seq = load_sequence(USABLE)
    assert len(seq) > 96 and (np.diff(seq.timestamps_ms) > 0).all()


# ---- predict: a batch never dies from one file ---------------------------------------------

@pytest.mark.slow
def test_predict_goes_on_after_a_bad_file_and_exits_2(tmp_path, capsys):
    bad = m.write_npz(tmp_path / "b_bad.npz", timestamps_ms=np.full(71, np.nan))
    other = tmp_path / "c_good.npz"
    other.write_bytes(USABLE.read_bytes())
    code = main(["predict", str(USABLE), str(bad), str(other)])
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 2
    assert [Path(r["input"]).name for r in rows] == [USABLE.name, "b_bad.npz", "c_good.npz"]
    assert "probability" in rows[0] and "probability" in rows[2] and "error" in rows[1]
    assert rows[0]["probability"] == rows[2]["probability"]
    (line,) = err.strip().splitlines()
    assert line.startswith("scoliscreen: error:") and "b_bad.npz" in line and "finite" in line


# ---- subject IDs -----------------------------------------------------------------------

def test_subject_ids_are_compared_without_case_and_spaces():
    assert normalise_subject_id("  Anna \t K ") == normalise_subject_id("anna k") == "anna k"
    with pytest.raises(LeakageError, match="1 subject"):
        check_no_leakage(["anna k", "b"], [" Anna  K"])

    class R:
        def __init__(self, sid, label):
            self.subject_id, self.label = sid, label

    recs = [R(s, i % 2) for i, s in enumerate(["S1", "s1", " s1 ", "S2", "s3", "S4", "s5", "s6"])]
    train, val, test = grouped_train_val_test(recs, val=0.2, test=0.2, seed=0)
    side = {i: name for name, idx in (("train", train), ("val", val), ("test", test)) for i in idx}
    assert side[0] == side[1] == side[2]  # one subject, written three ways


# ---- simulate ------------------------------------------------------------------------------

@pytest.mark.slow
def test_simulate_refuses_a_non_empty_folder_and_overwrite_leaves_no_stale_clip(tmp_path, capsys):
    out = tmp_path / "sim"
    out.mkdir()
    (out / "thesis.docx").write_text("not a dataset")
    assert main(["simulate", str(out), "--subjects", "2", "--clips-per-subject", "1"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["simulate", str(out), "--subjects", "2", "--clips-per-subject", "1", "--overwrite"]) == 2
    assert (out / "thesis.docx").exists()  # --overwrite only replaces a previous simulation

    sim = tmp_path / "sim2"
    assert main(["simulate", str(sim), "--subjects", "3", "--clips-per-subject", "2", "--workers", "1"]) == 0
    assert len(list((sim / "poses").glob("*.npz"))) == 6
    assert main(["simulate", str(sim), "--subjects", "2", "--clips-per-subject", "1", "--workers", "1",
                 "--overwrite", "--seed", "5"]) == 0
    files = sorted(p.name for p in (sim / "poses").iterdir())
    assert files == ["sim5-00001_1.npz", "sim5-00002_1.npz"]  # no stale clip of the first run
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folder left
    assert main(["simulate", str(tmp_path / "s3"), "--subjects", "1", "--clips-per-subject", "21"]) == 2


# ---- analyze: --patient before the work, --save-sequence failures ------------------------

def test_unknown_patient_is_reported_before_the_analysis(monkeypatch, capsys):
    import scoliscreen.core.analyze as core_analyze

    def boom(*a, **k):
        raise AssertionError("the analysis ran before the patient was checked")

    monkeypatch.setattr(core_analyze, "analyze", boom)
    assert main(["analyze", str(USABLE), "--patient", "nobody"]) == 2
    assert "no patient" in capsys.readouterr().err


@pytest.mark.slow
def test_unwritable_save_sequence_keeps_the_visit_and_leaves_no_temp_file(tmp_path, capsys):
    target = tmp_path / "out.npz"
    target.mkdir()  # the temp file can be written beside it, the final rename cannot
    code = main(["analyze", str(USABLE), "--save-sequence", str(target)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot write the pose sequence" in err
    with Store.open() as store:
        (visit,) = store.visits()
        assert store.analysis(visit["id"])["screening"]["probability"] >= 0
    assert list(tmp_path.glob("*.tmp.npz")) == []


# ---- a clip turned by 90 degrees without a rotation tag ---------------------------------

@pytest.mark.parametrize("name", [p.name for p in sorted(POSES.glob("*.npz"))])
def test_upright_real_clips_are_not_taken_for_lying(name):
    seq = load_sequence(POSES / name)
    assert lying_share(seq) < 0.2
    assert "lying_sideways" not in [r.code for r in assess_quality(seq).reasons]


@pytest.mark.slow
def test_a_real_clip_rotated_90_degrees_is_refused_with_a_clear_message(tmp_path, capsys):
    import cv2

    cap = cv2.VideoCapture(str(REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"))
    fps = cap.get(cv2.CAP_PROP_FPS)
    writer = None
    ok, frame = cap.read()
    while ok:
        rotated = cv2.rotate(frame, cv2.ROTATE_90_CLOCKWISE)  # no rotation tag in the new file
        if writer is None:
            h, w = rotated.shape[:2]
            writer = cv2.VideoWriter(str(tmp_path / "rotated.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        writer.write(rotated)
        ok, frame = cap.read()
    writer.release()
    assert main(["analyze", str(tmp_path / "rotated.mp4"), "--no-record", "--json"]) == 3
    out, err = capsys.readouterr()
    codes = [r["code"] for r in json.loads(out)["quality"]["reasons"]]
    assert "lying_sideways" in codes
    assert "lies sideways" in err and "turned by 90 degrees" in err and len(err.strip().splitlines()) == 1
