"""The world of tests/test_campaign_hardening.py: a records database with a few visits, a victim
file, a backup, and hostile targets (links, FIFOs, folders, devices). Made at test time.

Everything runs under umask 000, so a file or folder the app leaves group/world-readable shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from dataclasses import dataclass, field
from pathlib import Path

import malformed as m

from scoliscreen.core.store import Store

ESC = "\x1b]0;pwned\x07\x1b[2J"


@dataclass
class World:
    root: Path
    db: Path  # the practice's database (in SCOLISCREEN_DATA_DIR)
    backup: Path  # a backup (rollback journal, not WAL): read-only commands must leave it byte-identical
    victim: Path  # another user's file: never written, never chmodded
    visit: int  # a visit with a stored pose sequence
    cjk_visit: int  # a visit of a patient whose school name has no glyph in the report font
    damaged: dict[str, int] = field(default_factory=dict)  # name -> visit id, in damaged.sqlite3

    def p(self, name: str) -> str:
        return str(self.root / name)

    def counts(self, db: Path | None = None) -> dict[str, int]:
        con = sqlite3.connect(f"file:{db or self.db}?mode=ro", uri=True)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for t in ("patients", "visits", "analyses", "audit")}
        finally:
            con.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: str | Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def build(root: Path) -> World:
    from scoliscreen.app.records import record_visit
    from scoliscreen.core.analyze import analyze

    analysis = analyze(str(m.GOOD_NPZ))  # pose sequence + gate only: no model needed
    db = Store.default_path()
    with Store.open() as store:
        p1 = store.add_patient("P-1", 2012, "F", school="=HYPERLINK(\"http://x\")", school_class="-2+3")
        p2 = store.add_patient("P-2", 2013, "M", school="学校")  # CJK: not in DejaVu Sans
        store.add_patient("ARCH-1", 2011, "X")
        store.archive_patient(store.require_patient("ARCH-1")["id"])
        visit = int(record_visit(store, analysis, patient_id=p1["id"], notes=f"note {ESC} +cmd")["id"])
        cjk = int(record_visit(store, analysis, patient_id=p2["id"], notes="中文")["id"])
        backup = store.backup(root / "backup.sqlite3")
    # a patient ID no app path can make (imported or edited database): escape codes in it
    con = sqlite3.connect(db)
    con.execute("UPDATE patients SET pseudonym = ? WHERE pseudonym = 'P-2'", [f"P-2{ESC}"])
    con.commit()
    con.close()
    victim = root / "victim.txt"
    victim.write_text("another user's file\n")
    os.chmod(victim, 0o644)
    world = World(root, db, backup, victim, visit, cjk)
    _damaged_copies(world)
    _targets(world)
    return world


def _damaged_copies(w: World) -> None:
    """damaged.sqlite3: a copy of the database whose stored visits were edited outside the app."""
    import shutil

    dmg = w.root / "damaged.sqlite3"
    shutil.copy(w.backup, dmg)
    con = sqlite3.connect(dmg)
    con.execute("PRAGMA ignore_check_constraints = ON")
    base = con.execute("SELECT result_json FROM analyses WHERE visit_id = ?", [w.visit]).fetchone()[0]
    cols = [r[1] for r in con.execute("PRAGMA table_info(visits)")]
    row = con.execute("SELECT * FROM visits WHERE id = ?", [w.visit]).fetchone()
    acols = [r[1] for r in con.execute("PRAGMA table_info(analyses)")]
    arow = con.execute("SELECT * FROM analyses WHERE visit_id = ?", [w.visit]).fetchone()

    def clone(name: str, result_json: str) -> int:
        vals = dict(zip(cols, row, strict=True))
        vals.pop("id")
        cur = con.execute(f"INSERT INTO visits ({', '.join(vals)}) VALUES ({', '.join('?' * len(vals))})",
                          list(vals.values()))
        vid = int(cur.lastrowid or 0)
        a = dict(zip(acols, arow, strict=True))
        a.pop("id", None)
        a.update(visit_id=vid, result_json=result_json)
        con.execute(f"INSERT INTO analyses ({', '.join(a)}) VALUES ({', '.join('?' * len(a))})", list(a.values()))
        w.damaged[name] = vid
        return vid

    clone("json_garbage", "{not json")
    clone("json_list", "[1, 2, 3]")
    clone("json_nested", "[" * 100_000 + "]" * 100_000)
    missing = json.loads(base)
    missing.pop("quality", None)
    missing["source"] = 7
    clone("json_wrong_types", json.dumps(missing))
    vid = clone("bad_pose", base)
    con.execute("INSERT INTO sequences (visit_id, format, sha256, data) VALUES (?, 'npz', '0', ?)",
                [vid, b"PK\x03\x04 garbage"])
    con.execute("UPDATE patients SET sex = 'Q' WHERE id = (SELECT patient_id FROM visits WHERE id = ?)", [w.visit])
    w.damaged["bad_sex"] = w.visit
    con.commit()
    con.close()


def _targets(w: World) -> None:
    r = w.root
    (r / "link.pdf").symlink_to(w.victim)
    (r / "link.csv").symlink_to(w.victim)
    (r / "link.json").symlink_to(w.victim)
    (r / "link.sqlite3").symlink_to(w.victim)
    (r / "dev.pdf").symlink_to("/dev/full")
    os.mkfifo(r / "fifo.pdf")
    os.mkfifo(r / "fifo.csv")
    os.mkfifo(r / "fifo.sqlite3")
    (r / "dir.pdf").mkdir()
    (r / "dir.csv").mkdir()
    # predictable temp names of the old writers, planted as links to the victim
    for name in ("planted.pdf.part", "planted.sqlite3.part", "planted.csv.tmp", ".planted.csv.tmp"):
        (r / name).symlink_to(w.victim)
    (r / "not_a_db.sqlite3").write_text("my thesis\n")
    os.chmod(r / "not_a_db.sqlite3", 0o644)
    (r / "malformed.sqlite3").write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    (r / "truncated.sqlite3").write_bytes(w.backup.read_bytes()[:1500])
    (r / "afile").write_text("x")
    (r / "export_exists").mkdir()
    (r / "export_exists" / "patients.csv").write_text("precious\n")
    (r / "export_link").symlink_to(r / "export_exists")
