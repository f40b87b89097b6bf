"""The FHIR and DICOM exports carry no direct identifiers: no value in them equals (or holds) a
stored name (school, class), note or file path, and the DICOM has no PatientName value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scoliscreen.cli import main
from scoliscreen.core.store import Store

REPO = Path(__file__).resolve().parents[1]
SEQ = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"
CACHED = REPO / "tests" / "data" / "records" / "analysis_sports2d_side_walk_single.json"


def _strings(value, out: list[str]) -> list[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            _strings(k, out)
            _strings(v, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _strings(v, out)
    elif isinstance(value, str):
        out.append(value)
    return out


def _dicom_strings(ds) -> list[str]:
    out: list[str] = []
    for elem in ds.iterall():
        if elem.VR in ("OB", "OW", "UN", "SQ"):
            continue
        vals = elem.value if elem.VM > 1 else [elem.value]
        out += [str(v) for v in vals if v is not None]
    return out


@pytest.mark.slow
def test_fhir_and_dicom_hold_no_name_note_or_file_path(tmp_path):
    import pydicom

    video = tmp_path / "Emma_Johnson_walk.mp4"  # a file name that names the child
    video.write_bytes(b"not really a video")
    seq = tmp_path / "Emma_Johnson_pose.npz"
    seq.write_bytes(SEQ.read_bytes())
    analysis = json.loads(CACHED.read_text())
    analysis["source"]["description"] = str(seq)
    db = tmp_path / "r.sqlite3"
    with Store.open(db) as store:
        p = store.add_patient("SCH-0042", 2014, "F", notes="Emma, lives with her grandmother",
                              school="Saint Mary Primary", school_class="5B Rowan")
        v = store.add_visit(p["id"], str(video), analysis, notes="mother Anna reports uneven shoulders",
                            sequence=seq, sequence_file=str(seq), copy_video=True)
        store.add_note(v["id"], "Re-check in 6 months, Dr Jane Smith.")
        data = store.open_visit(v["id"], audit=False)
        forbidden = {"Saint Mary Primary", "5B Rowan", "Emma, lives with her grandmother",
                     "mother Anna reports uneven shoulders", "Re-check in 6 months, Dr Jane Smith.",
                     str(video), video.name, str(seq), seq.name, "Emma_Johnson", str(tmp_path)}
        copied = store.video_path(v["id"])
        assert copied is not None
        forbidden |= {str(copied), copied.name, data["recording"].get("copy_path") or "copy"}
    fhir, dcm = tmp_path / "out" / "v.json", tmp_path / "out" / "v.dcm"
    assert main(["export", str(v["id"]), "--format", "fhir", str(fhir), "--db", str(db)]) == 0
    assert main(["export", str(v["id"]), "--format", "dicom", str(dcm), "--db", str(db)]) == 0
    ds = pydicom.dcmread(dcm)
    values = _strings(json.loads(fhir.read_text()), []) + _dicom_strings(ds)
    assert "SCH-0042" in values  # the pseudonym is the one identifier that leaves
    for value in values:
        for bad in forbidden:
            assert value != bad and bad not in value, (value[:80], bad)
    assert str(ds.get("PatientName", "")) == ""  # type 2: present, no value
    # the PDF inside both is the pseudonymised report: no notes, school or file name in its text
    from scoliscreen.core.interop.dicom import pdf_from_dicom

    pdf = pdf_from_dicom(dcm)
    import shutil
    import subprocess

    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "SCH-0042" in text
        for bad in forbidden:
            assert bad not in text, bad
