"""`scoliscreen patients`: add, list, visits through the one CLI entry point."""

import pytest

from scoliscreen.cli import main


def test_patients_add_list_and_refusals(tmp_path, capsys):
    db = str(tmp_path / "r.sqlite3")
    assert main(["patients", "--db", db, "add", "SCH-7", "--birth-year", "2011", "--sex", "M"]) == 0
    assert main(["patients", "--db", db, "add", "SCH-7"]) == 2  # duplicate
    assert main(["patients", "--db", db, "visits", "NOPE"]) == 2
    capsys.readouterr()
    assert main(["patients", "--db", db, "list"]) == 0
    out = capsys.readouterr().out
    assert "SCH-7" in out and "2011" in out


def test_unknown_command_help_exits_cleanly(capsys):
    assert main([]) == 0
    assert "scoliscreen" in capsys.readouterr().out


@pytest.mark.slow
def test_analyze_records_a_visit_for_a_patient(tmp_path, capsys):
    from pathlib import Path

    from scoliscreen.core.store import Store

    seq = Path(__file__).parent / "data" / "poses" / "sports2d_side_walk_single.npz"
    assert main(["patients", "add", "SCH-9"]) == 0
    assert main(["analyze", str(seq), "--patient", "NOBODY"]) == 2  # unknown patient: nothing recorded
    assert main(["analyze", str(seq), "--patient", "SCH-9", "--notes", "mother reports uneven shoulders"]) == 0
    assert main(["analyze", str(seq), "--no-record"]) == 0
    out = capsys.readouterr().out
    assert "Recorded as visit 1" in out
    with Store.open() as store:  # the user data dir (isolated per test by conftest)
        visits = store.visits()
        assert len(visits) == 1
        v = visits[0]
        assert v["patient_id"] == store.find_patient("SCH-9")["id"]
        assert v["quality_verdict"].startswith("usable") and v["notes"].startswith("mother")
        assert v["video"] == str(seq.resolve())
