"""Records for the working day: patients edited / archived / searched, visits with age,
trends, comparison, notes, measurements, the audit log, video copies, backup and CSV export."""

import csv
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.core.errors import InputError
from scoliscreen.core.sequence import load_sequence
from scoliscreen.core.store import Store

DATA = Path(__file__).parent / "data"
SEQ = DATA / "poses" / "sports2d_side_walk_single.npz"
CLIP = Path(__file__).resolve().parents[1] / "resources" / "samples" / "sports2d_side_walk_single.mp4"


@pytest.fixture
def analysis() -> dict:
    return json.loads((DATA / "records" / "analysis_sports2d_side_walk_single.json").read_text())


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "r.sqlite3") as s:
        yield s


def _later(analysis, probability, cobb, interval=None):
    a = json.loads(json.dumps(analysis))
    a["screening"]["probability"] = probability
    a["screening"]["cobb_estimate"] = cobb
    a["knowledge_map"]["medians"]["head_tilt_deg"] += 2.5
    if interval:
        a["screening"]["cobb_interval"] = interval
    return a


def test_patients_edit_archive_and_search(store):
    a = store.add_patient("SCH-1", 2012, "F", school="Northside Primary", school_class="5B")
    store.add_patient("SCH-2", 2013, "m", school="Lakeview")
    assert [p["pseudonym"] for p in store.list_patients("north")] == ["SCH-1"]
    assert [p["pseudonym"] for p in store.list_patients("5b")] == ["SCH-1"]
    edited = store.edit_patient(a["id"], birth_year=2011, school_class="6B")
    assert edited["birth_year"] == 2011 and edited["school_class"] == "6B" and edited["updated_at"]
    with pytest.raises(InputError, match="already exists"):
        store.edit_patient(a["id"], pseudonym="SCH-2")
    with pytest.raises(InputError, match="birth year"):
        store.edit_patient(a["id"], birth_year=1700)
    store.archive_patient(a["id"])
    assert [p["pseudonym"] for p in store.list_patients()] == ["SCH-2"]
    assert {p["pseudonym"] for p in store.list_patients(include_archived=True)} == {"SCH-1", "SCH-2"}
    with pytest.raises(InputError, match="archived"):
        store.add_visit(a["id"], None, {})
    store.archive_patient(a["id"], archived=False)
    assert len(store.list_patients()) == 2
    actions = [(e["action"], e["detail"]) for e in store.audit_log("patient", a["id"])]
    assert actions[0] == ("created", "")
    assert ("edited", "archived") in actions and ("edited", "unarchived") in actions
    assert any("birth_year: 2012 -> 2011" in d for _, d in actions)
    assert all(e["user"] == "local user" and e["at"] for e in store.audit_log())


def test_visit_saves_everything_and_reads_back(store, analysis):
    p = store.add_patient("SCH-3", 2014, "F")
    v = store.add_visit(p["id"], str(CLIP), analysis, notes="shoulder seems higher", sequence=SEQ,
                        copy_video=True, visited_at="2025-03-01T09:00:00+00:00",
                        measurements=[{"kind": "line", "points": [[100, 200], [200, 190]], "frame_index": 40}])
    assert v["video"] == str(CLIP) and len(v["video_sha256"]) == 64
    assert v["probability"] == pytest.approx(analysis["screening"]["probability"])
    assert v["age"] == pytest.approx(2025 + 59 / 365.25 - 2014.5, abs=0.01)
    full = store.open_visit(v["id"])
    assert full["analysis"] == analysis and full["patient"]["pseudonym"] == "SCH-3"
    original = load_sequence(SEQ)
    assert np.array_equal(full["sequence"].landmarks, original.landmarks, equal_nan=True)
    assert full["recording"]["copy_path"].startswith("videos/")
    copy = store.video_path(v["id"])
    assert copy.parent.parent == store.path.parent and copy.read_bytes() == CLIP.read_bytes()
    (m,) = full["measurements"]
    assert m["value"] == pytest.approx(np.degrees(np.arctan2(10, 100))) and m["unit"] == "deg"
    assert [n["kind"] for n in full["notes"]] == ["analysis"]
    assert [e["action"] for e in store.audit_log("visit", v["id"])] == ["created", "viewed"]


def test_notes_measurements_and_soft_delete(store, analysis):
    v = store.add_visit(None, None, analysis)
    n = store.add_note(v["id"], "  re-check in 6 months ")
    assert n["text"] == "re-check in 6 months" and n["kind"] == "note"
    assert store.edit_note(n["id"], "re-check in 3 months")["updated_at"]
    with pytest.raises(InputError):
        store.add_note(v["id"], "   ")
    ang = store.add_measurement(v["id"], "angle", [(0, 0), (10, 0), (10, 10)], frame_index=3, label="knee")
    assert ang["value"] == pytest.approx(90.0) and ang["points"] == [[0, 0], [10, 0], [10, 10]]
    for bad in [("line", [(0, 0)]), ("angle", [(0, 0), (0, 0), (1, 1)]), ("circle", [(0, 0), (1, 1)])]:
        with pytest.raises(InputError):
            store.add_measurement(v["id"], *bad)
    assert len(store.measurements(v["id"])) == 1
    store.delete_visit(v["id"], "wrong child")
    assert store.visits() == [] and len(store.visits(include_deleted=True)) == 1
    assert store.analysis(v["id"]) == analysis  # kept
    assert store.audit_log("visit", v["id"])[-1]["detail"] == "wrong child"


def test_trend_and_comparison(store, analysis):
    p = store.add_patient("SCH-4", 2012, "M")
    a = store.add_visit(p["id"], None, analysis, visited_at="2024-09-01T10:00:00+00:00")
    b = store.add_visit(p["id"], None, _later(analysis, 0.8, 17.0, [12.0, 22.0]),
                        visited_at="2025-09-01T10:00:00+00:00")
    store.add_visit(None, None, analysis)  # someone else's quick look: not in the trend
    trend = store.trend(p["id"])
    assert [t["visit_id"] for t in trend] == [a["id"], b["id"]]
    low, high = analysis["screening"]["cobb_interval"]  # this model gives an 80 % interval
    assert (trend[0]["cobb_low"], trend[0]["cobb_high"]) == (low, high)
    assert (trend[1]["cobb_low"], trend[1]["cobb_high"]) == (12.0, 22.0)
    assert trend[1]["age"] - trend[0]["age"] == pytest.approx(1.0, abs=0.01)
    assert [v["id"] for v in store.patient_visits(p["id"])] == [a["id"], b["id"]]
    cmp = store.compare_visits(a["id"], b["id"])
    rows = {r["key"]: r for r in cmp["rows"]}
    assert rows["probability"]["diff"] == pytest.approx(0.8 - analysis["screening"]["probability"])
    assert rows["cobb_estimate"]["diff"] == pytest.approx(17.0 - analysis["screening"]["cobb_estimate"])
    assert rows["cobb_low"]["a"] == low and rows["cobb_low"]["diff"] == pytest.approx(12.0 - low)
    assert rows["region.trunk_spine"]["diff"] == pytest.approx(0.0)
    feats = {f["key"]: f for f in cmp["features"]}
    assert len(feats) == 146 and feats["feature.head_tilt_deg"]["diff"] == pytest.approx(2.5, abs=1e-4)
    assert feats["feature.head_tilt_deg"]["unit"] == "deg"
    assert cmp["same_patient"] and cmp["years_between"] == pytest.approx(1.0, abs=0.01)


def test_failed_save_leaves_nothing(store, analysis):
    before = store.conn.execute("SELECT COUNT(*) FROM visits").fetchone()[0]
    with pytest.raises(InputError):  # the bad measurement is found inside the transaction
        store.add_visit(None, None, analysis, measurements=[{"kind": "angle", "points": [(0, 0)]}])
    for table in ("visits", "analyses", "recordings", "audit"):
        assert store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == (before if table == "visits" else 0)


def test_backup_and_csv_export(store, analysis, tmp_path):
    p = store.add_patient("SCH-5", 2012, "F", school="Hill")
    v = store.add_visit(p["id"], None, analysis, notes="a, \"quoted\"\nnote", sequence=SEQ)
    out = store.backup(tmp_path / "bk" / "copy.sqlite3")
    con = sqlite3.connect(out)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT result_json FROM analyses WHERE visit_id = ?", [v["id"]]).fetchone()[0]
    con.close()
    with pytest.raises(InputError, match="already exists"):
        store.backup(out)
    files = store.export_csv(tmp_path / "csv")
    assert {f.name for f in files} >= {"patients.csv", "visits.csv", "notes.csv", "audit.csv", "analyses.csv"}
    with open(tmp_path / "csv" / "notes.csv", newline="") as fh:
        assert [r["text"] for r in csv.DictReader(fh)] == ["a, \"quoted\"\nnote"]
    with open(tmp_path / "csv" / "sequences.csv", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
        assert row["data"].endswith("bytes>") and len(row["sha256"]) == 64
    assert [e["action"] for e in store.audit_log("database")] == ["exported", "exported"]


def test_a_database_locked_past_the_busy_timeout_gives_a_clear_error(store):
    import scoliscreen.core.store as store_module
    from scoliscreen.core.errors import ScoliScreenError

    other = sqlite3.connect(store.path)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        store.conn.execute("PRAGMA busy_timeout = 50")
        with pytest.raises(ScoliScreenError, match="busy"):
            store.add_patient("SCH-9")
    finally:
        other.rollback()
        other.close()
    store.conn.execute(f"PRAGMA busy_timeout = {store_module.BUSY_TIMEOUT_MS}")
    assert store.add_patient("SCH-9")["pseudonym"] == "SCH-9"  # and works once the lock is gone
