"""Pose from other tools in: OpenPose BODY_25 JSON folders, 2-D TRC files (Pose2Sim/Sports2D/OpenSim)
and COCO-17 keypoint JSON sequences go through the same quality gate and model. A real clip's pose
(the bundled Sports2D sample) converted out and back in gets the same label and P within 1e-4."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.cli import main
from scoliscreen.core.errors import InputError
from scoliscreen.core.interop.coco import write_coco
from scoliscreen.core.interop.openpose import write_openpose
from scoliscreen.core.interop.pose_in import is_pose_input, load_foreign_pose
from scoliscreen.core.interop.trc import write_trc
from scoliscreen.core.landmarks import MP, MP_TO_COCO17
from scoliscreen.core.sequence import load_sequence

REPO = Path(__file__).resolve().parents[1]
SEQ = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"
BODY25_MP = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
             "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
             "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
             "right_foot_index"]


def body25_only(src: Path, dst: Path) -> Path:
    """An OpenPose folder as OpenPose itself writes it (our extension key removed)."""
    dst.mkdir()
    for f in sorted(src.iterdir()):
        doc = json.loads(f.read_text())
        doc.pop("scoliscreen")
        (dst / f.name).write_text(json.dumps(doc))
    return dst


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("posein")
    seq = load_sequence(SEQ)
    out = {"seq": seq, "openpose": write_openpose(seq, tmp / "op"), "trc": write_trc(seq, tmp / "walk.trc"),
           "coco": write_coco(seq, tmp / "walk_coco.json")}
    out["body25"] = body25_only(out["openpose"], tmp / "op25")
    return out


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_each_format_reads_back_with_the_documented_mapping(converted):
    seq = converted["seq"]
    px = seq.pixels()
    own = load_foreign_pose(converted["openpose"])  # our export: lossless (all 33, z, visibility, times)
    assert own.image_size == seq.image_size and own.fps == seq.fps
    assert np.allclose(own.landmarks, seq.landmarks, atol=1e-6, equal_nan=True)
    assert np.allclose(own.timestamps_ms, seq.timestamps_ms)
    mapped = [MP[n] for n in BODY25_MP]
    other = [i for i in range(33) if i not in mapped]
    b25 = load_foreign_pose(converted["body25"])  # plain BODY_25: 21 landmarks, others NaN
    assert np.allclose(b25.pixels()[:, mapped], px[:, mapped], atol=1e-3)
    assert np.isnan(b25.landmarks[:, other]).all()
    assert np.allclose(b25.landmarks[:, mapped, 3], seq.landmarks[:, mapped, 3], atol=1e-6)  # confidence
    assert (b25.landmarks[:, mapped, 2] == 0).all()  # no depth in BODY_25: the hips' depth
    coco = load_foreign_pose(converted["coco"])
    assert coco.image_size == seq.image_size
    assert np.allclose(coco.pixels()[:, MP_TO_COCO17], px[:, MP_TO_COCO17], atol=1e-3)
    assert np.isnan(coco.landmarks[:, [i for i in range(33) if i not in MP_TO_COCO17]]).all()
    trc = load_foreign_pose(converted["trc"])
    assert np.allclose(trc.pixels(), px, atol=1e-3) and trc.fps == pytest.approx(seq.fps)


def test_a_pose2sim_style_trc_in_metres_with_body25_names(tmp_path):
    names = ["Hip", "RHip", "RKnee", "RAnkle", "RBigToe", "LHip", "LKnee", "LAnkle", "LBigToe", "Neck", "Head",
             "Nose", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist"]
    n = 40
    lines = ["PathFileType\t4\t(X/Y/Z)\twalk.trc",
             "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
             f"60\t60\t{n}\t{len(names)}\tm\t60\t1\t{n}",
             "Frame#\tTime\t" + "\t\t\t".join(names), "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in
                                                                         range(1, len(names) + 1)), ""]
    rng = np.random.default_rng(0)
    for t in range(n):
        vals = []
        for k, _ in enumerate(names):
            vals += [f"{0.1 * k + 0.01 * t:.5f}", f"{1.0 + 0.05 * k + rng.normal(0, 0.001):.5f}", "0"]
        if t == 5:
            vals[6:9] = ["", "", ""]  # RKnee missing in one frame
        lines.append(f"{t + 1}\t{t / 60:.5f}\t" + "\t".join(vals))
    path = tmp_path / "walk.trc"
    path.write_text("\n".join(lines) + "\n")
    seq = load_foreign_pose(path)
    assert len(seq) == n and seq.fps == 60 and np.allclose(seq.timestamps_ms[:3], [0, 1000 / 60, 2000 / 60], atol=1e-2)
    assert np.isnan(seq.landmarks[5, MP["right_knee"]]).all() and np.isfinite(seq.landmarks[6, MP["right_knee"]]).all()
    assert np.isnan(seq.landmarks[:, MP["left_pinky"]]).all()  # not in the file
    left_ankle_px = seq.pixels()[:, MP["left_ankle"]]
    rknee = seq.pixels()[:, MP["right_knee"]]
    ok = np.arange(n) != 5
    assert (left_ankle_px[ok, 1] < rknee[ok, 1]).all()  # Y up in the file -> higher markers have smaller image y


def test_coco_results_list_and_flags(tmp_path):
    k = []
    for j in range(17):
        k += [100.0 + j, 200.0 + 3 * j, 2 if j != 3 else 0]
    path = tmp_path / "results.json"
    path.write_text(json.dumps([{"image_id": 2, "keypoints": k, "score": 0.9},
                                {"image_id": 1, "keypoints": k, "score": 0.8}]))
    seq = load_foreign_pose(path)
    assert len(seq) == 2 and seq.fps == 30.0
    assert np.isnan(seq.landmarks[:, MP["left_ear"]]).all()  # v = 0: not labelled
    assert seq.landmarks[0, MP["nose"], 3] == 1.0  # v = 2: visible


@pytest.mark.parametrize("name,content", [("bad.trc", "PathFileType\t4\n"), ("bad.json", "not json"),
                                          ("bad2.json", '{"annotations": [{"image_id": 1, "keypoints": [1, 2]}]}')])
def test_broken_pose_files_are_one_sentence(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=name):
        load_foreign_pose(path)


@pytest.mark.slow
def test_a_broken_pose_file_is_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.trc"
    path.write_text("PathFileType\t4\n")
    capsys.readouterr()
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(path) in err


def test_predict_and_batch_find_other_tools_pose_files(converted, tmp_path):
    from scoliscreen.app.batch_plan import scan_folder
    from scoliscreen.app.screening import expand_inputs

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "walk.trc").write_bytes(converted["trc"].read_bytes())
    (folder / "walk_coco.json").write_bytes(converted["coco"].read_bytes())
    (folder / "settings.json").write_text('{"theme": "dark"}')  # not a pose file
    op = folder / "op"
    op.mkdir()
    for f in list(converted["body25"].iterdir())[:20]:
        (op / f.name).write_bytes(f.read_bytes())
    want = sorted([folder / "walk.trc", folder / "walk_coco.json", op])
    assert sorted(expand_inputs([folder])) == want
    assert expand_inputs([op]) == [op]  # an OpenPose folder given itself is one input
    assert sorted(scan_folder(folder)) == want
    assert is_pose_input(op) and not is_pose_input(folder / "settings.json")


@pytest.mark.slow
def test_real_clip_pose_out_and_back_in_gets_the_same_label_and_probability(converted, capsys):
    from scoliscreen.app.analysis import run_analysis

    base = run_analysis(SEQ).screening
    assert base is not None
    back = run_analysis(converted["openpose"]).screening
    assert back is not None and back.label == base.label
    assert abs(back.probability - base.probability) < 1e-4
    # through the CLI as a user would: same gate and model, the JSON says where the pose came from
    capsys.readouterr()
    assert main(["analyze", str(converted["openpose"]), "--json"]) in (0, 3)
    out = json.loads(capsys.readouterr().out)
    assert out["screening"]["label"] == base.label
    assert abs(out["screening"]["probability"] - base.probability) < 1e-4
    # the lossy layouts (no MediaPipe depth; BODY_25 / COCO lack some landmarks): same label, P close
    for key in ("body25", "trc", "coco"):
        s = run_analysis(converted[key]).screening
        assert s is not None and s.label == base.label, key
        assert abs(s.probability - base.probability) < 0.03, (key, s.probability, base.probability)


@pytest.mark.slow
def test_batch_export_writes_one_file_per_screened_visit_and_format(converted, tmp_path, capsys):
    import pydicom

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_walk.npz").write_bytes(SEQ.read_bytes())
    (folder / "b_walk.trc").write_bytes(converted["trc"].read_bytes())
    out, db = tmp_path / "exports", tmp_path / "r.sqlite3"
    assert main(["batch", str(folder), "--workers", "1", "--db", str(db), "--export", "fhir,dicom", str(out)]) == 0
    assert "4 export(s) (fhir, dicom)" in capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    assert names == ["visit1_dicom.dcm", "visit1_fhir.json", "visit2_dicom.dcm", "visit2_fhir.json"]
    assert pydicom.dcmread(out / "visit2_dicom.dcm").Modality == "DOC"
    assert main(["batch", str(folder), "--export", "fhir,xml", str(out), "--db", str(db)]) == 2


def test_malformed_other_tool_files_are_one_sentence(tmp_path):
    cases = {
        "deep.json": "[" * 100000 + "]" * 100000,
        "strings.json": json.dumps({"annotations": [{"image_id": 1, "keypoints": ["a"] * 51}]}),
        "empty.json": "{}",
        "huge.trc": "PathFileType\t4\t(X/Y/Z)\tx\nDataRate\tUnits\n1e400\tpx\nFrame#\tTime\tnose\n\t\tX1\tY1\tZ1\n\n1\t0\t1\t2\t0\n",
        "nomarkers.trc": "PathFileType\t4\t(X/Y/Z)\tx\nDataRate\tUnits\n30\tpx\nFrame#\tTime\tfoo\n\t\tX1\tY1\tZ1\n\n1\t0\t1\t2\t0\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(InputError):
            load_foreign_pose(tmp_path / name)
    op = tmp_path / "op"
    op.mkdir()
    (op / "f_000000000000_keypoints.json").write_text(json.dumps({"people": [{"pose_keypoints_2d": ["x"] * 75}]}))
    with pytest.raises(InputError, match="numbers"):
        load_foreign_pose(op)
    (op / "f_000000000000_keypoints.json").write_text(json.dumps({"people": [], "scoliscreen": {
        "fps": "fast", "landmarks_33": [1.0] * 132, "frame_size": [10, 10]}}))
    with pytest.raises(InputError):
        load_foreign_pose(op)
