"""`scoliscreen patients`: add, list, visits through the one CLI entry point."""

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
