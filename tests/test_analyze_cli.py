"""``scoliscreen analyze`` and ``core.analyze.analyze`` on the real clips and pose files."""

import json
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.cli import main
from scoliscreen.core.analyze import Analysis, analyze
from scoliscreen.core.errors import Cancelled, InputError
from scoliscreen.core.landmarks import MP
from scoliscreen.core.sequence import load_sequence


POSES = Path(__file__).parent / "data" / "poses"


def _run(capsys, *argv):
    rc = main(["analyze", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


# ---- pose-sequence input (no pose estimation: fast) ------------------------------------------

@pytest.mark.slow
def test_sequence_file_summary(capsys):
    rc, out, err = _run(capsys, str(POSES / "sports2d_side_walk_single.npz"))
    assert rc == 0, err
    assert "Frames:      147 at 30.0 fps (4.9 s)" in out
    assert "Person found: 147/147 frames (100%)" in out
    assert "USABLE WITH WARNINGS" in out and "from the side" in out
    assert "Research use only" in out
    assert err == ""


@pytest.mark.slow
def test_sequence_file_json(capsys):
    rc, out, _ = _run(capsys, str(POSES / "sports2d_demo_multiperson.npz"), "--json")
    assert rc == 0
    d = json.loads(out)
    assert d["source"]["kind"] == "sequence" and d["frames"] == 230
    assert d["detection_rate"] == pytest.approx(221 / 230, abs=1e-3)
    assert "second_person" in [r["code"] for r in d["quality"]["reasons"]]


def test_refused_recording_prints_reasons_and_exits_3(capsys):
    rc, out, err = _run(capsys, str(POSES / "intel_one_by_one_back_walk_22s.npz"))
    assert rc == 3
    assert "NOT USABLE" in out and "REFUSED: Only 1.8 s of walking" in out
    assert "49 false detection(s) ignored" in out
    assert err.count("\n") == 1 and err.startswith("scoliscreen: error: the recording is not usable")


def test_save_sequence_from_a_sequence_file(tmp_path, capsys):
    dest = tmp_path / "copy.npz"
    rc, out, _ = _run(capsys, str(POSES / "intel_worker_back_walk_away.npz"), "--save-sequence", str(dest))
    assert rc == 3  # too short, but the sequence is still saved
    assert f"Pose sequence saved to {dest}" in out
    back = load_sequence(dest)
    ref = load_sequence(POSES / "intel_worker_back_walk_away.npz")
    assert np.array_equal(back.landmarks, ref.landmarks, equal_nan=True)  # raw, not filtered
    assert back.view == "back"


def test_video_and_camera_together_is_an_error(capsys, sample_clip):
    rc, _, err = _run(capsys, str(sample_clip), "--camera", "0")
    assert rc == 2 and "either a VIDEO or --camera" in err


def test_camera_that_cannot_be_opened(capsys):
    rc, out, err = _run(capsys, "--camera", "7", "--seconds", "1")
    assert rc == 2 and out == ""
    assert err.strip() == (
        "scoliscreen: error: camera 7 could not be opened (no camera with that number, "
        "it is in use by another program, or access is not permitted)"
    )


def test_analyze_api_on_a_sequence_file():
    a = analyze(POSES / "intel_one_by_one_back_walk_22s.npz")
    assert isinstance(a, Analysis)
    assert a.knowledge_map is None and a.clinical_text is None and a.screening is None
    assert a.raw_sequence.detected.sum() == 178
    assert a.sequence.detected.sum() == 178 - a.quality.stats["false_detections_filtered"]
    assert a.sequence.meta["view"] == "back" and a.raw_sequence.meta["view"] == "back"
    json.dumps(a.to_dict())


def test_analyze_api_camera_error():
    with pytest.raises(InputError, match="camera 9"):
        analyze(9, seconds=2)


# ---- real videos (pose estimation) -----------------------------------------------------------

@pytest.mark.slow
def test_default_is_the_bundled_sample(tmp_path, capsys):
    dest = tmp_path / "sample.npz"
    rc, out, err = _run(capsys, "--save-sequence", str(dest), "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["source"]["kind"] == "video"
    assert d["source"]["description"].endswith("sports2d_side_walk_single.mp4")
    assert d["frames"] == 147 and d["detection_rate"] >= 0.9
    assert d["quality"]["usable"] and d["quality"]["view"] == "side"
    seq = load_sequence(dest)
    assert len(seq) == 147 and seq.image_size == (1768, 528)


@pytest.mark.slow
def test_multi_person_clip_follows_the_walker_with_a_warning(real_dir):
    a = analyze(real_dir / "sports2d_demo_multiperson.mp4")
    assert "other_people" in a.quality.codes() and "second_person" not in a.quality.codes()
    lm = a.sequence.landmarks
    hip_y = (lm[60:166, MP["left_hip"], 1] + lm[60:166, MP["right_hip"], 1]) / 2
    assert np.isfinite(hip_y).mean() > 0.9 and (hip_y[np.isfinite(hip_y)] > 0.55).all()  # not the man on the box
    assert a.quality.usable and a.quality.segment[0] >= 55
    # the visit record says whom the skeleton followed, and keeps it through storing
    assert a.tracking is not None and a.tracking["subject"] == "auto" and a.tracking["people_seen"] >= 2
    assert str(a.tracking["followed_track"]).startswith("#")
    assert Analysis.from_dict(json.loads(json.dumps(a.to_dict()))).tracking == a.tracking


@pytest.mark.slow
def test_intel_back_view_clips(real_dir):
    calls = []
    a = analyze(real_dir / "intel_one_by_one_back_walk_22s.mp4", progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (221, 221)
    kept = a.sequence.detected
    assert a.raw_sequence.detected[:50].sum() >= 30  # MediaPipe's false poses on the empty room ...
    assert kept[:60].sum() == 0  # ... are filtered
    assert kept[70:80].all() and kept[80:185].mean() > 0.95  # the walk-in and the woman are tracked
    assert a.quality.view == "back" and a.source.fps == pytest.approx(10.0)

    b = analyze(real_dir / "intel_worker_back_walk_away.mp4")
    assert b.quality.view == "back"
    assert b.sequence.detected[10:50].all()  # the walking away is tracked
    assert b.quality.segment is not None and b.quality.segment[0] >= 5


@pytest.mark.slow
def test_cancel_through_the_api(real_dir):
    with pytest.raises(Cancelled):
        analyze(real_dir / "intel_worker_back_walk_away.mp4", should_cancel=lambda: True)


@pytest.mark.slow
def test_camera_recording_through_the_cli(fake_camera, capsys):
    """``--camera 0 --seconds 1`` records (a fake camera playing the sample), then analyses."""
    rc, out, err = _run(capsys, "--camera", "0", "--seconds", "1", "--json")
    d = json.loads(out)
    assert d["source"]["kind"] == "camera" and d["source"]["description"] == "camera 0"
    assert 20 <= d["frames"] <= 40 and d["detection_rate"] >= 0.9
    assert d["fps"] == pytest.approx(30.0, rel=0.25)  # measured from the frames' timestamps
    assert rc == 3 and "too_short" in [r["code"] for r in d["quality"]["reasons"]]  # 1 s < 3.2 s
    assert "not usable" in err


@pytest.mark.slow
def test_progress_bar_on_a_terminal(real_dir, monkeypatch, capfd):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    rc = main(["analyze", str(real_dir / "intel_worker_back_walk_away.mp4")])
    out, err = capfd.readouterr()
    assert rc == 3 and "Frames:      71 at 15.0 fps" in out
    assert "not usable" in err


def test_tracking_summary_is_recorded_only_where_people_were_tracked():
    """A pose-sequence file holds one person already: no tracking entry in its record. A video's
    tracking (``meta["tracking"]``) becomes the record's subject, track followed and head count."""
    from scoliscreen.core.analyze import tracking_summary

    a = analyze(POSES / "sports2d_side_walk_single.npz")
    assert a.tracking is None and "tracking" not in a.to_dict()
    seq = load_sequence(POSES / "sports2d_side_walk_single.npz")
    seq.meta["tracking"] = {"subject": "#2", "chosen": 2, "frames": 140, "tracks": [{}, {}, {}]}
    assert tracking_summary(seq) == {"subject": "#2", "followed_track": "#2", "people_seen": 3}
    seq.meta["tracking"] = {"subject": "900,300", "chosen": None, "tracks": []}
    assert tracking_summary(seq) == {"subject": "900,300", "followed_track": None, "people_seen": 0}
