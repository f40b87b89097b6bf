"""Schema migration: a database written by the version-1 code (kept in tests/data/records)
opens with today's Store, and every patient, visit, analysis, note and path survives."""

import importlib.util
import json
import sqlite3
from pathlib import Path

import pytest

from scoliscreen.core.store import SCHEMA_VERSION, Store
from scoliscreen.core.store_schema import create_v1

DATA = Path(__file__).parent / "data" / "records"
SEQ = Path(__file__).parent / "data" / "poses" / "sports2d_side_walk_single.npz"


def _v1_module():
    spec = importlib.util.spec_from_file_location("store_v1", DATA / "store_v1.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def real_analysis() -> dict:
    return json.loads((DATA / "analysis_sports2d_side_walk_single.json").read_text())


def _columns(db: Path) -> dict:
    con = sqlite3.connect(db)
    try:
        return {t: [r[1] for r in con.execute(f"PRAGMA table_info([{t}])")] for t in ("patients", "visits")}
    finally:
        con.close()


def test_v1_database_migrates_losslessly(tmp_path, real_analysis):
    v1 = _v1_module()
    db = tmp_path / "old.sqlite3"
    with v1.Store.open(db) as old:
        p = old.add_patient("SCH-0042", 2012, "F", notes="left-handed")
        q = old.add_patient("SCH-0043", 2011, "M")
        a = old.add_visit(p["id"], "/clinic/a.mp4", real_analysis, notes="mother reports uneven shoulders",
                          video_sha256="ab" * 32, sequence_file=str(SEQ))
        b = old.add_visit(q["id"], "/clinic/b.mp4", real_analysis)
        refused = {"quality": {"usable": False, "verdict": "not usable"}}
        c = old.add_visit(None, "/clinic/c.mp4", refused, notes="quick look")
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 1

    with Store.open(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert [x["pseudonym"] for x in store.list_patients()] == ["SCH-0042", "SCH-0043"]
        patient = store.get_patient(p["id"])
        assert patient["notes"] == "left-handed" and patient["birth_year"] == 2012 and patient["archived_at"] is None
        visits = {v["id"]: v for v in store.visits()}
        assert set(visits) == {a["id"], b["id"], c["id"]}
        for old_row in (a, b, c):
            new = visits[old_row["id"]]
            for key in ("patient_id", "created_at", "video", "video_sha256", "sequence_file", "usable",
                        "quality_verdict", "probability", "label", "cobb_estimate", "severity_band",
                        "model_version"):
                assert new[key] == old_row[key], key
            assert (new["notes"] or "") == (old_row["notes"] or "")
            assert store.analysis(old_row["id"]) == json.loads(old_row["result_json"])
        assert visits[a["id"]]["threshold"] == pytest.approx(real_analysis["screening"]["threshold"])
        assert visits[a["id"]]["visited_at"] == a["created_at"]
        assert visits[a["id"]]["age"] is not None
        rec = store.open_visit(a["id"], with_sequence=False)["recording"]
        assert rec["fps"] == pytest.approx(30.0) and rec["frames"] == 147 and rec["width"] == 1768
        assert [n["text"] for n in store.notes(a["id"])] == ["mother reports uneven shoulders"]
        assert {e["entity_id"] for e in store.audit_log("visit") if e["action"] == "created"} == set(visits)
        # the migrated file takes new visits and keeps its foreign keys
        new = store.add_visit(p["id"], None, real_analysis)
        assert new["id"] > c["id"]
        with pytest.raises(sqlite3.IntegrityError):
            store.conn.execute("INSERT INTO analyses (visit_id, result_json, created_at) VALUES (999, '{}', 'x')")
        store.conn.rollback()
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_fresh_v1_schema_matches_the_released_code(tmp_path):
    """``create_v1`` (the start of every fresh database) has the released version-1 columns."""
    v1 = _v1_module()
    with v1.Store.open(tmp_path / "released.sqlite3"):
        pass
    con = sqlite3.connect(tmp_path / "ours.sqlite3")
    create_v1(con)
    con.commit()
    con.close()
    assert _columns(tmp_path / "released.sqlite3") == _columns(tmp_path / "ours.sqlite3")


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "future.sqlite3"
    with Store.open(db):
        pass
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    from scoliscreen.core.errors import ScoliScreenError

    with pytest.raises(ScoliScreenError, match="newer ScoliScreen"):
        Store.open(db)
