"""`scoliscreen export` for one visit of a real clip (the bundled Sports2D sample's stored pose
sequence and recorded analysis): FHIR parses back with fhir.resources and every Observation has
a code and a value; the DICOM reads back with pydicom and the PDF inside is byte-identical; the
C3D reads back with ezc3d within 1e-3 px (missing frames: residual -1); the TRC reads back with
the project's reader and with a minimal parser written here; OpenPose reads back as BODY_25;
the CSV has named columns. Output-path rules and the missing-extra message."""

from __future__ import annotations

import base64
import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.cli import main
from scoliscreen.core.landmarks import MP, MP_NAMES
from scoliscreen.core.sequence import PoseSequence, load_sequence
from scoliscreen.core.store import Store

REPO = Path(__file__).resolve().parents[1]
SEQ = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"
CLIP = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"
CACHED = REPO / "tests" / "data" / "records" / "analysis_sports2d_side_walk_single.json"
FILES = {"fhir": "visit.json", "dicom": "visit.dcm", "c3d": "pose.c3d", "trc": "pose.trc", "openpose": "openpose",
         "csv": "tables"}


def make_visit(db: Path) -> int:
    with Store.open(db) as store:
        p = store.add_patient("SCH-0042", 2014, "F", notes="lives with grandmother", school="Northside Primary",
                              school_class="5B")
        v = store.add_visit(p["id"], str(CLIP), json.loads(CACHED.read_text()), notes="mother reports uneven shoulders",
                            sequence=SEQ, visited_at="2026-03-02T09:30:00+00:00")
        store.add_note(v["id"], "Re-check in 6 months, Dr Jane Smith.")
        return int(v["id"])


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict:
    """The pose formats (fast: no PDF); ``visit_exported`` adds FHIR and DICOM (a PDF each)."""
    tmp = tmp_path_factory.mktemp("interop")
    db = tmp / "records.sqlite3"
    vid = make_visit(db)
    out = {"db": db, "visit_id": vid, "dir": tmp}
    for fmt in ("c3d", "trc", "openpose", "csv"):
        assert main(["export", str(vid), "--format", fmt, str(tmp / FILES[fmt]), "--db", str(db)]) == 0, fmt
        out[fmt] = tmp / FILES[fmt]
    return out


@pytest.fixture(scope="module")
def visit_exported(exported) -> dict:
    tmp, db, vid = exported["dir"], exported["db"], exported["visit_id"]
    for fmt in ("fhir", "dicom"):
        assert main(["export", str(vid), "--format", fmt, str(tmp / FILES[fmt]), "--db", str(db)]) == 0, fmt
        exported[fmt] = tmp / FILES[fmt]
    return exported


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.slow
def test_fhir_bundle_parses_back_and_every_observation_has_code_and_value(visit_exported):
    exported = visit_exported
    from fhir.resources.R4B.bundle import Bundle

    doc = json.loads(exported["fhir"].read_text())
    parsed = Bundle.model_validate(doc)
    assert parsed.type == "collection" and len(parsed.entry) == len(doc["entry"])
    (patient,) = resources(doc, "Patient")
    assert set(patient) == {"resourceType", "id", "identifier", "birthDate", "gender"}
    assert patient["identifier"][0]["value"] == "SCH-0042" and patient["birthDate"] == "2014"
    assert patient["gender"] == "female"
    obs = resources(doc, "Observation")
    for o in obs:
        assert o["code"]["coding"][0]["code"] and o["code"]["coding"][0]["system"]
        assert [k for k in o if k.startswith("value")], o["code"]
    by_code = {o["code"]["coding"][0]["code"]: o for o in obs}
    a = json.loads(CACHED.read_text())["screening"]
    p = by_code["p-cobb-ge-10"]["valueQuantity"]
    assert p["value"] == pytest.approx(a["probability"]) and p["code"] == "1"
    cobb = by_code["cobb-estimate"]
    assert cobb["valueQuantity"] == {"value": 3.0, "unit": "deg", "system": "http://unitsofmeasure.org", "code": "deg"}
    rng = cobb["component"][0]["valueRange"]
    assert (rng["low"]["value"], rng["high"]["value"]) == tuple(a["cobb_interval"]) and rng["low"]["unit"] == "deg"
    label = by_code["screening-outcome"]
    assert label["valueCodeableConcept"]["coding"][0]["code"] == "re-record"
    assert {c["valueCodeableConcept"]["coding"][0]["code"] for c in label["component"]} >= {"view"}
    # side view: the arm-swing and step-time asymmetries are shown (frontal ones are not)
    assert {"arm_swing_asym_pct", "step_time_asym_pct"} <= set(by_code)
    assert "shoulder_tilt_deg" not in by_code
    assert by_code["arm_swing_asym_pct"]["referenceRange"][0]["low"]["value"] == -15.0
    (device,) = resources(doc, "Device")
    assert device["version"][0]["value"] == a["model_version"] and "Research use only" in device["note"][0]["text"]
    (report,) = resources(doc, "DiagnosticReport")
    assert {r["reference"] for r in report["result"]} == {e["fullUrl"] for e in doc["entry"]
                                                            if e["resource"]["resourceType"] == "Observation"}
    pdf = base64.b64decode(report["presentedForm"][0]["data"])
    assert pdf.startswith(b"%PDF") and len(pdf) == report["presentedForm"][0]["size"]


def test_fhir_percentile_is_read_where_the_result_has_one_and_outcomes_are_included():
    from scoliscreen.core.interop.fhir import bundle_dict
    from scoliscreen.core.interop.visit import VisitExport

    analysis = json.loads(CACHED.read_text())
    analysis["norms"] = {"percentiles": {"arm_swing_asym_pct": 7.5}}
    visit = VisitExport(1, "P-1", 2015, "M", "2026-01-01T10:00:00+00:00", analysis, None, None,
                        outcomes=({"id": 4, "visit_id": 1, "source": "radiograph", "cobb": 12.0, "class": None,
                                   "atr": None, "observed_on": "2026-02-01", "note": "seen by Dr Who",
                                   "author": "Dr Who", "created_at": "2026-02-02T10:00:00+00:00",
                                   "removed_at": None},
                                  {"id": 5, "visit_id": 1, "source": "scoliometer", "atr": 9.0,
                                   "removed_at": "2026-02-03T10:00:00+00:00"}))
    doc = bundle_dict([(visit, None)])
    obs = {o["code"]["coding"][0]["code"]: o for o in resources(doc, "Observation")}
    assert obs["arm_swing_asym_pct"]["component"][0]["valueQuantity"]["value"] == 7.5
    assert "component" not in obs["step_time_asym_pct"]
    outcomes = [o for o in resources(doc, "Observation") if o["code"]["coding"][0]["code"] == "recorded-outcome"]
    assert len(outcomes) == 1  # the removed one is not exported
    (outcome,) = outcomes
    assert {c["code"]["coding"][0]["code"] for c in outcome["component"]} == {"outcome-source", "outcome-cobb"}
    assert outcome["effectiveDateTime"].startswith("2026-02-01")
    cobb = next(c for c in outcome["component"] if c["code"]["coding"][0]["code"] == "outcome-cobb")
    assert cobb["valueQuantity"]["value"] == 12.0 and cobb["valueQuantity"]["code"] == "deg"
    assert "Dr Who" not in json.dumps(doc)


@pytest.mark.slow
def test_fhir_session_bundle_holds_every_visit(exported, tmp_path):
    db = exported["db"]
    with Store.open(db) as store:
        p = store.add_patient("SCH-0043", 2013, "M")
        v2 = store.add_visit(p["id"], str(CLIP), json.loads(CACHED.read_text()), sequence=SEQ)["id"]
    out = tmp_path / "session.json"
    assert main(["export", "--format", "fhir", "--session", str(exported["visit_id"]), str(v2), str(out),
                 "--db", str(db)]) == 0
    doc = json.loads(out.read_text())
    assert sorted(p["identifier"][0]["value"] for p in resources(doc, "Patient")) == ["SCH-0042", "SCH-0043"]
    assert len(resources(doc, "DiagnosticReport")) == 2


@pytest.mark.slow
def test_dicom_reads_back_and_the_pdf_inside_is_byte_identical(visit_exported, tmp_path):
    exported = visit_exported
    import pydicom

    from scoliscreen.core.interop.dicom import ENCAPSULATED_PDF_STORAGE, pdf_from_dicom, write_dicom
    from scoliscreen.core.interop.visit import VisitExport

    ds = pydicom.dcmread(exported["dicom"])
    assert ds.SOPClassUID == ENCAPSULATED_PDF_STORAGE and ds.Modality == "DOC"
    assert ds.PatientID == "SCH-0042" and "PatientName" in ds and str(ds.PatientName) == ""
    assert ds.StudyDate == ds.SeriesDate == "20260302" and ds.PatientSex == "F" and ds.PatientAge == "012Y"
    assert ds.MIMETypeOfEncapsulatedDocument == "application/pdf"
    assert pdf_from_dicom(exported["dicom"]).startswith(b"%PDF")
    again = pydicom.dcmread(exported["dicom"])
    assert again.SOPInstanceUID == ds.SOPInstanceUID
    visit = VisitExport(1, "P-1", 2014, "F", "2026-03-02T09:30:00+00:00", {}, None, None)
    uids = set()
    for n in (1001, 1002):  # odd and even lengths: DICOM pads the odd one with a zero byte
        pdf = b"%PDF-1.4\n" + bytes(range(256)) * 3 + b"x" * (n - 9 - 768 - 6) + b"%%EOF\n"
        assert len(pdf) == n
        path = write_dicom(visit, pdf, tmp_path / f"{n}.dcm")
        assert pdf_from_dicom(path) == pdf
        d = pydicom.dcmread(path)
        uids |= {d.StudyInstanceUID, d.SeriesInstanceUID, d.SOPInstanceUID}
    assert len(uids) == 6  # new UIDs on every export


def test_c3d_reads_back_with_ezc3d_within_1e3_px_and_missing_frames_have_residual_minus_1(exported, tmp_path):
    import ezc3d

    from scoliscreen.core.interop.c3d import write_c3d

    seq = load_sequence(SEQ)
    c = ezc3d.c3d(str(exported["c3d"]))
    assert list(c["parameters"]["POINT"]["LABELS"]["value"]) == list(MP_NAMES)
    assert c["parameters"]["POINT"]["RATE"]["value"][0] == pytest.approx(seq.fps)
    assert c["parameters"]["POINT"]["UNITS"]["value"] == ["px"]
    pts = c["data"]["points"]  # [4, 33, T]
    px = seq.pixels().astype(np.float64)
    assert pts.shape == (4, 33, len(seq))
    assert np.nanmax(np.abs(pts[0].T - px[:, :, 0])) < 1e-3 and np.nanmax(np.abs(pts[1].T - px[:, :, 1])) < 1e-3
    lm = seq.landmarks.copy()
    lm[10:14] = np.nan  # frames without the child
    gap = PoseSequence(lm, seq.fps, seq.image_size, seq.timestamps_ms)
    c2 = ezc3d.c3d(str(write_c3d(gap, tmp_path / "gap.c3d")))
    res = c2["data"]["meta_points"]["residuals"][0]  # [33, T]
    assert (res[:, 10:14] == -1).all() and (res[:, :10] >= 0).all()
    assert np.isnan(c2["data"]["points"][0][:, 10:14]).all()


def minimal_trc(path: Path) -> tuple[dict, list[str], np.ndarray]:
    """An independent TRC reader: header pairs, marker names, the numbers (NaN for an empty cell)."""
    lines = path.read_text().split("\n")
    assert lines[0].split("\t")[:3] == ["PathFileType", "4", "(X/Y/Z)"]
    header = dict(zip(lines[1].split("\t"), lines[2].split("\t"), strict=True))
    names = [n for n in lines[3].split("\t")[2:] if n]
    assert lines[4].split("\t")[2:5] == ["X1", "Y1", "Z1"]
    rows = [[float(x) if x else math.nan for x in ln.split("\t")] for ln in lines[6:] if ln]
    return header, names, np.array(rows)


def test_trc_reads_back_with_our_reader_and_a_minimal_parser(exported):
    from scoliscreen.core.interop.trc import read_trc

    seq = load_sequence(SEQ)
    header, names, rows = minimal_trc(exported["trc"])
    assert header["Units"] == "px" and float(header["DataRate"]) == pytest.approx(seq.fps)
    assert int(header["NumFrames"]) == len(seq) == len(rows) and int(header["NumMarkers"]) == 33
    assert names == list(MP_NAMES)
    px = seq.pixels()
    j = MP["left_ankle"]
    assert np.allclose(rows[:, 2 + 3 * j], px[:, j, 0], atol=1e-3)
    assert np.allclose(rows[:, 3 + 3 * j], -px[:, j, 1], atol=1e-3)  # Y up
    assert np.allclose(rows[:, 1], (seq.timestamps_ms - seq.timestamps_ms[0]) / 1000, atol=1e-6)
    back = read_trc(exported["trc"])
    assert back.fps == pytest.approx(seq.fps) and len(back) == len(seq)
    assert np.allclose(back.pixels(), px, atol=1e-3)


def test_openpose_reads_back_as_body25(exported):
    from scoliscreen.core.interop.layouts import BODY25_NAMES
    from scoliscreen.core.interop.openpose import frame_files

    seq = load_sequence(SEQ)
    files = frame_files(exported["openpose"])
    assert len(files) == len(seq) and files[0].name == f"visit{exported['visit_id']}_000000000000_keypoints.json"
    px = seq.pixels()
    for t in (0, len(seq) // 2):
        doc = json.loads(files[t].read_text())
        (person,) = doc["people"]
        k = np.array(person["pose_keypoints_2d"]).reshape(25, 3)
        assert k.shape == (len(BODY25_NAMES), 3)
        assert np.allclose(k[BODY25_NAMES.index("LAnkle"), :2], px[t, MP["left_ankle"]], atol=1e-3)
        neck = (px[t, MP["left_shoulder"]] + px[t, MP["right_shoulder"]]) / 2
        assert np.allclose(k[BODY25_NAMES.index("Neck"), :2], neck, atol=1e-3)
        assert (k[BODY25_NAMES.index("LSmallToe")] == 0).all()  # MediaPipe has no small toe: not found


def test_csv_tables_have_named_columns(exported):
    import csv

    seq = load_sequence(SEQ)
    with open(exported["csv"] / "landmarks.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(seq)
    assert float(rows[5]["left_hip_x_px"]) == pytest.approx(float(seq.pixels()[5, MP["left_hip"], 0]), abs=1e-2)
    with open(exported["csv"] / "knowledge_map.csv") as fh:
        km = list(csv.DictReader(fh))
    from scoliscreen.app.visits import restore_analysis

    shown = restore_analysis(json.loads(CACHED.read_text()), seq).knowledge_map  # the map the History tab shows
    assert len(km) == len(shown.window_times_s) and "arm_swing_asym_pct [%]" in km[0]
    assert float(km[0]["centre_time_s"]) == pytest.approx(shown.window_times_s[0], abs=1e-4)
    j = [f.name for f in shown.features].index("arm_swing_asym_pct")
    assert float(km[2]["arm_swing_asym_pct [%]"]) == pytest.approx(float(shown.values[2, j]), rel=1e-5)


def test_exports_are_owner_only_and_never_follow_a_link_or_replace_a_device(exported, tmp_path, capsys):
    for fmt in ("c3d", "trc", "openpose", "csv"):
        path = exported[fmt]
        files = [path] if path.is_file() else list(path.iterdir())
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert stat.S_IMODE(exported["openpose"].stat().st_mode) == 0o700
    old = os.umask(0)  # a careless umask does not widen what the export makes
    try:
        deep = tmp_path / "new" / "deeper" / "p.trc"
        assert main(["export", str(exported["visit_id"]), "--format", "trc", str(deep), "--db",
                     str(exported["db"])]) == 0
    finally:
        os.umask(old)
    assert [stat.S_IMODE(p.stat().st_mode) for p in (deep, deep.parent, deep.parent.parent)] == [0o600, 0o700, 0o700]
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "link.trc"
    link.symlink_to(target)
    db, vid = str(exported["db"]), str(exported["visit_id"])
    capsys.readouterr()
    assert main(["export", vid, "--format", "trc", str(link), "--db", db]) == 2
    assert target.read_text() == "keep me" and link.is_symlink()
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "symbolic link" in err
    if os.path.exists("/dev/null"):
        assert main(["export", vid, "--format", "trc", "/dev/null", "--db", db]) == 2
    assert main(["export", vid, "--format", "trc", str(tmp_path / "x.csv"), "--db", db]) == 2
    assert main(["export", vid, "--format", "nope", str(tmp_path / "x"), "--db", db]) == 2
    before = sorted(exported["openpose"].iterdir())  # never mixes new frames into an earlier export
    assert main(["export", vid, "--format", "openpose", str(exported["openpose"]), "--db", db]) == 2
    assert sorted(exported["openpose"].iterdir()) == before


def test_a_missing_interop_extra_is_one_line_and_exit_2(exported, tmp_path, monkeypatch, capsys):
    import sys

    for mod in ("pydicom", "fhir.resources", "ezc3d"):
        monkeypatch.setitem(sys.modules, mod, None)  # import fails as if not installed
    capsys.readouterr()
    for fmt, name in (("dicom", "a.dcm"), ("fhir", "a.json"), ("c3d", "a.c3d")):
        assert main(["export", str(exported["visit_id"]), "--format", fmt, str(tmp_path / name),
                     "--db", str(exported["db"])]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "scoliscreen[interop]" in err, err
        assert not (tmp_path / name).exists()


def test_export_formats_of_the_cli_are_the_registry():
    from scoliscreen.cli.export import FORMAT_NAMES
    from scoliscreen.core.interop import FORMATS

    assert tuple(FORMATS) == FORMAT_NAMES


def test_the_example_files_read_back_in_their_formats():
    """docs/examples (made by `scoliscreen export --example docs/examples`) parse with each format's library."""
    import ezc3d
    import pydicom
    from fhir.resources.R4B.bundle import Bundle

    from scoliscreen.core.interop.dicom import pdf_from_dicom
    from scoliscreen.core.interop.pose_in import load_foreign_pose

    ex = REPO / "docs" / "examples"
    doc = json.loads((ex / "example_fhir_bundle.json").read_text())
    Bundle.model_validate(doc)
    assert resources(doc, "Patient")[0]["identifier"][0]["value"] == "EXAMPLE-001"
    assert pydicom.dcmread(ex / "example_encapsulated_pdf.dcm").PatientID == "EXAMPLE-001"
    assert pdf_from_dicom(ex / "example_encapsulated_pdf.dcm").startswith(b"%PDF")
    assert list(ezc3d.c3d(str(ex / "example_pose.c3d"))["parameters"]["POINT"]["LABELS"]["value"]) == list(MP_NAMES)
    seqs = [load_foreign_pose(ex / n) for n in ("example_pose.trc", "example_openpose", "example_coco17_input.json")]
    assert [len(s) for s in seqs] == [30, 30, 30]
    assert (ex / "example_csv" / "landmarks.csv").read_text().startswith("frame,time_s,nose_x_px")
