"""`scoliscreen db backup|export|info` and `scoliscreen patients edit|archive|trend` through the
one CLI entry point."""

import csv
import json
import sqlite3
from pathlib import Path

from scoliscreen.cli import main
from scoliscreen.core.store import SCHEMA_VERSION, Store

ANALYSIS = Path(__file__).parent / "data" / "records" / "analysis_sports2d_side_walk_single.json"


def _db_with_a_visit(tmp_path) -> str:
    db = str(tmp_path / "r.sqlite3")
    with Store.open(db) as store:
        p = store.add_patient("SCH-1", 2013, "F", school="Hill", school_class="4A")
        store.add_visit(p["id"], "/clinic/a.mp4", json.loads(ANALYSIS.read_text()), notes="first visit",
                        visited_at="2025-10-01T09:00:00+00:00")
    return db


def test_db_backup_export_and_info(tmp_path, capsys):
    db = _db_with_a_visit(tmp_path)
    out = tmp_path / "backup.sqlite3"
    assert main(["db", "--db", db, "backup", str(out)]) == 0
    con = sqlite3.connect(out)
    assert con.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 1
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()
    assert main(["db", "--db", db, "backup", str(out)]) == 2  # never overwrites
    assert main(["db", "--db", db, "export", str(tmp_path / "csv")]) == 0
    with open(tmp_path / "csv" / "patients.csv", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["pseudonym"] == "SCH-1" and row["school_class"] == "4A"
    (tmp_path / "afile").write_text("x")
    assert main(["db", "--db", db, "export", str(tmp_path / "afile")]) == 2
    capsys.readouterr()
    assert main(["db", "--db", db, "info"]) == 0
    out_text = capsys.readouterr().out
    assert f"schema version: {SCHEMA_VERSION}" in out_text and "visits        1" in out_text


def test_patients_edit_archive_and_trend(tmp_path, capsys):
    db = _db_with_a_visit(tmp_path)
    assert main(["patients", "--db", db, "edit", "SCH-1", "--class", "5A", "--birth-year", "2012"]) == 0
    assert main(["patients", "--db", db, "edit", "NOPE", "--class", "5A"]) == 2
    assert main(["patients", "--db", db, "edit", "SCH-1", "--birth-year", "1800"]) == 2
    capsys.readouterr()
    assert main(["patients", "--db", db, "trend", "SCH-1", "--json"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["date"] == "2025-10-01" and abs(row["age"] - (2025 + 273 / 365.25 - 2012.5)) < 0.01
    assert main(["patients", "--db", db, "archive", "SCH-1"]) == 0
    capsys.readouterr()
    assert main(["patients", "--db", db, "list"]) == 0
    assert "SCH-1" not in capsys.readouterr().out
    assert main(["patients", "--db", db, "list", "--archived", "hill"]) == 0
    assert "(archived)" in capsys.readouterr().out
    assert main(["patients", "--db", db, "archive", "SCH-1", "--undo"]) == 0
    with Store.open(db) as store:
        p = store.find_patient("SCH-1")
        assert p["school_class"] == "5A" and p["birth_year"] == 2012 and p["archived_at"] is None
        assert [e["action"] for e in store.audit_log("patient", p["id"])] == ["created", "edited", "edited",
                                                                               "edited"]
