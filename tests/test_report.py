"""PDF reports: read back with pdftotext (verdict, model version, disclaimer on every page),
the first page rendered to build/report_page1.png, faces blurred in the key frame."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from scoliscreen import DISCLAIMER
from scoliscreen.cli import main
from scoliscreen.core.sequence import load_sequence
from scoliscreen.core.store import Store

REPO = Path(__file__).resolve().parents[1]
POSES = REPO / "tests" / "data" / "poses"
SEQ = POSES / "sports2d_side_walk_single.npz"
CLIP = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"
CACHED = REPO / "tests" / "data" / "records" / "analysis_sports2d_side_walk_single.json"

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftotext, pdftoppm) not installed")


@pytest.fixture(scope="session")
def fresh_analysis() -> dict:
    """The real analysis of the bundled clip's poses with today's pipeline and shipped model."""
    from scoliscreen.app.analysis import run_analysis

    return run_analysis(SEQ).to_dict()


def pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def _visit(db, analysis, **kw):
    with Store.open(db) as store:
        p = store.add_patient("SCH-0042", 2014, "F", school="Northside", school_class="5B")
        v = store.add_visit(p["id"], str(CLIP), analysis, notes="mother reports uneven shoulders", sequence=SEQ,
                            visited_at="2026-03-02T09:30:00+00:00",
                            measurements=[{"kind": "line", "points": [[820, 160], [860, 162]], "frame_index": 49,
                                           "label": "shoulder line"}], **kw)
        store.add_note(v["id"], "Re-check in 6 months.")
        return v["id"]


@pytest.mark.slow
@needs_poppler
def test_visit_report_reads_back_and_renders(tmp_path):
    _check_visit_report(tmp_path, json.loads(CACHED.read_text()))


@pytest.mark.slow
@needs_poppler
def test_visit_report_of_todays_pipeline(tmp_path, fresh_analysis):
    _check_visit_report(tmp_path, fresh_analysis)


def _check_visit_report(tmp_path, analysis):
    db = tmp_path / "r.sqlite3"
    vid = _visit(db, analysis)
    out = tmp_path / "visit.pdf"
    assert main(["report", str(vid), str(out), "--db", str(db)]) == 0
    texts = pages(out)
    s = analysis["screening"]
    version = s["model_version"]
    assert len(texts) >= 2
    for i, page in enumerate(texts, 1):  # the disclaimer and the model version on EVERY page
        assert DISCLAIMER in page, f"page {i}"
        assert version in page and f"page {i}/{len(texts)}" in page
    first = " ".join(texts[0].split())
    assert {"positive": "REFER", "negative": "NO REFERRAL", "re-record": "RE-RECORD",
            "inconclusive": "INCONCLUSIVE"}[s["label"]] in first

    def pct(p):
        return f"{100 * p:.1f}%" if p < 0.1 else f"{100 * p:.0f}%"
    if s["label"] in ("positive", "negative"):  # a verdict: the chance, and the setting in children per 1,000
        assert f"{pct(s['probability'])} chance" in first and "of every 1,000 children" in first
    else:  # no verdict: no chance and no threshold quoted, the instruction instead
        assert "chance" not in first and "are referred" not in first and "Film the walk again" in first
    assert "SCH-0042" in first and "about 12 years (born 2014)" in first and "2026-03-02" in first
    assert "Usable with warnings" in first and "Faces blurred" in first
    whole = " ".join(" ".join(texts).split())
    for words in ("Kinematic knowledge map", "Colour scale", "half-widths", "Model attention by body region",
                  "mother reports uneven shoulders", "Re-check in 6 months.", "shoulder line", "-2.9 deg",
                  "Weights sha256", "simulated gait only", analysis["clinical_text"]["findings"][0]):
        assert words in whole, words
    with Store.open(db) as store:
        assert store.audit_log("visit", vid)[-1]["action"] == "created"  # --db FILE: read-only, no audit row
    build = REPO / "build"
    build.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(out),
                    str(build / "report_page1")], check=True)
    assert (build / "report_page1.png").stat().st_size > 20_000


@needs_poppler
def test_refused_recording_report_says_re_record(tmp_path):
    from scoliscreen.core.analyze import analyze

    refused = analyze(POSES / "intel_worker_back_walk_away.npz")
    assert not refused.quality.usable
    with Store.open(tmp_path / "r.sqlite3") as store:
        v = store.add_visit(None, str(POSES / "intel_worker_back_walk_away.npz"), refused.to_dict())
        from scoliscreen.core.report import report_visit

        out = report_visit(store, v["id"], tmp_path / "refused.pdf")
    texts = pages(out)
    first = " ".join(texts[0].split())
    assert "RE-RECORD" in first and "not filed under a patient" in first
    assert refused.quality.refusals[0].message[:40] in first
    # no model ran (issue 24 A.8): said plainly, never "the moment the model weighted most",
    # "Run on ?" or "Model none"
    whole = " ".join(" ".join(texts).split())
    assert all(DISCLAIMER in p and "No model ran" in " ".join(p.split()) for p in texts)
    assert "quality check refused the recording" in whole
    for wrong in ("Model none", "Run on", "weighted most"):
        assert wrong not in whole, wrong


@needs_poppler
def test_session_summary_has_a_row_per_visit_and_the_footer_on_every_page(tmp_path):
    analysis = json.loads(CACHED.read_text())
    from scoliscreen.core.report import session_summary

    with Store.open(tmp_path / "r.sqlite3") as store:
        ids = [store.add_visit(None, f"/school/clip{i:02d}.mp4", analysis)["id"] for i in range(70)]
        out = session_summary(store, ids, tmp_path / "session.pdf", title="Class 5B, spring screening")
    texts = pages(out)
    assert len(texts) >= 2
    assert all(DISCLAIMER in p and analysis["screening"]["model_version"] in p for p in texts)
    joined = "\n".join(texts)
    expected = {"positive": "refer", "negative": "no referral", "inconclusive": "inconclusive"}.get(
        analysis["screening"]["label"], "re-record")
    assert f"70 recordings: 70 {expected}" in joined and all(f"clip{i:02d}.mp4" in joined for i in range(70))


def test_report_cli_refuses_bad_requests(tmp_path, capsys):
    db = str(tmp_path / "r.sqlite3")
    assert main(["report", "7", str(tmp_path / "x.pdf"), "--db", db]) == 2  # no such database
    assert "no records database here" in capsys.readouterr().err and not Path(db).exists()
    Store.open(db).close()
    assert main(["report", "7", str(tmp_path / "x.pdf"), "--db", db]) == 2
    assert main(["report", "7", str(tmp_path / "x.txt"), "--db", db]) == 2
    assert main(["report", "--db", db]) == 2
    err = capsys.readouterr().err
    assert "no visit with id 7" in err and "ending in .pdf" in err and "Traceback" not in err


def test_face_is_blurred_in_the_key_frame():
    from scoliscreen.core.report.images import blur_faces
    from scoliscreen.core.report.visit import key_frame_index
    from scoliscreen.core.video import open_source

    seq = load_sequence(SEQ)
    analysis = json.loads(CACHED.read_text())
    index = key_frame_index(analysis, seq)
    with open_source(str(CLIP)) as src:
        frame = src.read_at(index).image
    h, w = frame.shape[:2]
    pts = seq.landmarks[index, :, :2] * np.array([w, h])
    blurred = blur_faces(frame, pts)
    face = pts[:11]
    (x0, y0), (x1, y1) = face.min(axis=0).astype(int), face.max(axis=0).astype(int) + 1
    before = frame[y0:y1, x0:x1].astype(float)
    after = blurred[y0:y1, x0:x1].astype(float)
    assert after.std(axis=(0, 1)).mean() < 0.6 * before.std(axis=(0, 1)).mean()  # detail gone
    assert np.abs(np.diff(after, axis=1)).mean() < 0.5 * np.abs(np.diff(before, axis=1)).mean()
    feet = pts[27:33]
    fy = int(feet[:, 1].mean())
    assert np.array_equal(blurred[fy - 5:fy + 5], frame[fy - 5:fy + 5])  # the rest untouched


@needs_poppler
def test_session_summary_takes_batch_prediction_rows(tmp_path):
    from scoliscreen.core.report import write_session_summary

    rows = [{"input": "/school/a.mp4", "probability": 0.12, "label": "negative", "threshold": 0.18,
             "cobb_estimate": 6.0, "model_version": "m-1"},
            {"input": "/school/b.mp4", "probability": 0.61, "label": "positive", "threshold": 0.18,
             "cobb_estimate": 21.0, "cobb_interval": [15.0, 27.0], "model_version": "m-1"},
            {"input": "/school/c.mp4", "error": "the recording is not usable: nobody walks", "exit_code": 3}]
    texts = pages(write_session_summary(rows, tmp_path / "s.pdf", title="Class 4A"))
    text = " ".join(" ".join(texts).split())
    assert "3 recordings: 1 refer, 1 no referral, 1 re-record" in text
    assert "21° (15–27)" in text and "a.mp4" in text and "Model m-1" in text and DISCLAIMER in text


@needs_poppler
def test_without_a_pose_sequence_no_unblurred_frame_is_printed(tmp_path):
    analysis = json.loads(CACHED.read_text())
    from scoliscreen.core.report import report_visit

    with Store.open(tmp_path / "r.sqlite3") as store:
        v = store.add_visit(None, str(CLIP), analysis)  # video, but no pose sequence to find the face
        out = report_visit(store, v["id"], tmp_path / "v.pdf")
    first = " ".join(pages(out)[0].split())
    assert "no frame shown, as the face could not be blurred" in first
    listing = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    assert listing.strip().splitlines()[2:] == []  # header only: no picture at all


@pytest.mark.slow
@needs_poppler
def test_report_says_whom_the_skeleton_followed(tmp_path):
    """With several people in view the report names the person followed; with one, it says nothing."""
    analysis = json.loads(CACHED.read_text())
    analysis["tracking"] = {"subject": "689,455@10", "followed_track": "#2", "people_seen": 3}
    db = tmp_path / "r.sqlite3"
    vid = _visit(db, analysis)
    out = tmp_path / "visit.pdf"
    assert main(["report", str(vid), str(out), "--db", str(db)]) == 0
    whole = " ".join(" ".join(pages(out)).split())
    assert "Person followed the person chosen (689,455@10): track #2 of 3 people seen" in whole
    analysis["tracking"] = {"subject": "auto", "followed_track": "#0", "people_seen": 1}
    with Store.open(db) as store:
        v = store.add_visit(store.require_patient("SCH-0042")["id"], str(CLIP), analysis, sequence=SEQ)
    assert main(["report", str(v["id"]), str(out), "--db", str(db)]) == 0
    assert "Person followed" not in " ".join(pages(out))
