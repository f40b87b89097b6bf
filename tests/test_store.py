"""Patient records: add, find, append visits, survive reopen, refuse bad input."""

import sqlite3

import pytest

from scoliscreen.core.errors import InputError, ScoliScreenError
from scoliscreen.core.store import SCHEMA_VERSION, Store


def test_patients_and_visits_persist_across_reopen(tmp_path):
    db = tmp_path / "records.sqlite3"
    with Store.open(db) as store:
        p = store.add_patient("SCH-0042", 2012, "f")
        assert p["sex"] == "F" and p["birth_year"] == 2012
        v1 = store.add_visit(p["id"], "a.mp4", {"quality": {"usable": True, "verdict": "usable"},
                                                 "screening": {"probability": 0.71, "label": "positive",
                                                               "model_version": "m1"}})
        store.add_visit(None, "b.mp4", {"quality": {"usable": False, "verdict": "unusable"}})
    with Store.open(db) as store:
        assert [x["pseudonym"] for x in store.list_patients()] == ["SCH-0042"]
        visits = store.visits(p["id"])
        assert len(visits) == 1 and visits[0]["id"] == v1["id"]
        assert visits[0]["probability"] == pytest.approx(0.71) and visits[0]["usable"] == 1
        assert len(store.visits()) == 2
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize(
    "pseudonym,year,sex",
    [("", 2010, "F"), ("Jane Doe", 2010, "F"), ("ok", 1800, "F"), ("ok", 2010, "Q")],
)
def test_bad_patient_fields_are_refused(tmp_path, pseudonym, year, sex):
    with Store.open(tmp_path / "r.sqlite3") as store:
        with pytest.raises(InputError):
            store.add_patient(pseudonym, year, sex)
        assert store.list_patients() == []


def test_duplicate_patient_and_unknown_patient_visit(tmp_path):
    with Store.open(tmp_path / "r.sqlite3") as store:
        store.add_patient("P1")
        with pytest.raises(InputError, match="already exists"):
            store.add_patient("P1")
        with pytest.raises(InputError, match="no patient"):
            store.add_visit(999, "x.mp4", {})
        assert store.visits() == []


def test_default_location_is_user_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SCOLISCREEN_DATA_DIR", str(tmp_path / "ud"))
    with Store.open() as store:
        assert store.path == tmp_path / "ud" / "scoliscreen.sqlite3"
    assert store.path.exists()


def test_corrupt_database_gives_clear_error(tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ScoliScreenError, match="cannot open the records database"):
        Store.open(bad)
    assert bad.read_bytes().startswith(b"this is not")  # never overwritten
