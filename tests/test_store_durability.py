"""The records survive what a clinic's laptop does to them: a process killed mid-save (SIGKILL
at random moments) and two processes recording into one database at once."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

# Saves visits in a loop (each with a sequence blob, notes and a measurement, so a save is
# several inserts); prints one line per committed visit.
WRITER = r"""
import json, sys, time
from pathlib import Path
from scoliscreen.core.store import Store
db, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
analysis = json.loads(Path(sys.argv[4]).read_text())
seq = Path(sys.argv[5]).read_bytes()
with Store.open(db) as store:
    p = store.find_patient(tag) or store.add_patient(tag, 2012, "F")
    go = Path(sys.argv[6]) if len(sys.argv) > 6 else None
    if go is not None:  # start together with the other writer
        print("ready", flush=True)
        while not go.exists():
            time.sleep(0.01)
    for i in range(count):
        v = store.add_visit(p["id"], f"/clinic/{tag}-{i}.mp4", analysis, notes=f"{tag} {i}", sequence=seq,
                            measurements=[{"kind": "line", "points": [[0, 0], [10, 1]]}])
        print(v["id"], flush=True)
"""


def _writer(db, tag, count, go=None):
    args = [str(db), tag, str(count), str(DATA / "records" / "analysis_sports2d_side_walk_single.json"),
            str(DATA / "poses" / "sports2d_side_walk_single.npz")]
    args += [str(go)] if go else []
    return subprocess.Popen([sys.executable, "-c", WRITER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _check_whole(db) -> int:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        half = con.execute(
            "SELECT COUNT(*) FROM visits v WHERE NOT EXISTS (SELECT 1 FROM analyses a WHERE a.visit_id = v.id) "
            "OR NOT EXISTS (SELECT 1 FROM recordings r WHERE r.visit_id = v.id) "
            "OR NOT EXISTS (SELECT 1 FROM sequences s WHERE s.visit_id = v.id) "
            "OR NOT EXISTS (SELECT 1 FROM audit e WHERE e.entity = 'visit' AND e.entity_id = v.id)"
        ).fetchone()[0]
        assert half == 0, f"{half} visit(s) half-written"
        return con.execute("SELECT COUNT(*) FROM visits").fetchone()[0]
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_mid_save_never_leaves_a_half_written_visit(tmp_path):
    db = tmp_path / "records.sqlite3"
    rng = random.Random(11)
    total = 0
    for _round in range(20):
        proc = _writer(db, "KILL", 10_000)
        # wait for the first committed visit of this round (the imports take a while), then a random moment
        first = proc.stdout.readline()
        assert first.strip().isdigit(), proc.stderr.read()
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        assert proc.returncode == -signal.SIGKILL
        count = _check_whole(db)
        assert count > total  # every reported visit (at least the first) is there
        total = count
    from scoliscreen.core.store import Store

    with Store.open(db) as store:  # and the app opens it and carries on
        assert len(store.visits()) == total
        assert all(store.analysis(v["id"])["screening"] for v in store.visits()[-3:])


@pytest.mark.slow
def test_two_processes_recording_at_once_lose_nothing(tmp_path):
    db = tmp_path / "records.sqlite3"
    from scoliscreen.core.store import Store

    Store.open(db).close()  # created once, as the app does at start
    n = 40
    go = tmp_path / "go"
    procs = [_writer(db, tag, n, go) for tag in ("APP", "BATCH")]
    for p in procs:  # both imported, opened the database and stand at the start line
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    go.touch()
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert len(out.split()) == n
    ids = [[int(x) for x in out.split()] for out, _ in outs]
    assert len(set(ids[0]) | set(ids[1])) == 2 * n
    assert min(ids[0]) < max(ids[1]) and min(ids[1]) < max(ids[0])  # they did write at the same time
    assert _check_whole(db) == 2 * n
    with Store.open(db) as store:
        per = {p["pseudonym"]: p["visit_count"] for p in store.list_patients()}
        assert per == {"APP": n, "BATCH": n}
