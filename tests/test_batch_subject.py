"""Batch screening with several people in view (issue 9): ``--subject`` for the whole run, a
roster ``subject`` column per clip, the choice kept in the job table (resume, --retry-failed) and
reported in the CSV.

The fast tests drive the runner with an engine that records what it is handed (no analysis);
the slow one screens the real multi-person clip (``sports2d_demo_multiperson.mp4``: a woman
walking across the picture, and a man jumping on a box, upper left) in-process with the real
worker function, following the walker and then the man on the box.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.app.batch import BatchOptions, run_batch
from scoliscreen.app.batch_plan import CSV_COLUMNS, read_roster, subject_key
from scoliscreen.core.errors import InputError
from scoliscreen.core.jobs import JobTable
from scoliscreen.core.store import Store
from tests.test_batch import InlineEngine

REPO = Path(__file__).resolve().parents[1]
POSES = REPO / "tests" / "data" / "poses"
REAL = REPO / "tests" / "data" / "real"
PEOPLE = REPO / "tests" / "data" / "people" / "sports2d_demo_multiperson_people.npz"
BOX_MAN = "689,455@10"  # a click on the man on the box at frame 10 (pixels; see test_tracking.py)
OLD_COLUMNS = ("file", "status", "result", "label", "probability", "cobb_estimate", "cobb_interval_lo",
               "cobb_interval_hi", "severity_band", "quality_verdict", "quality_reasons", "model_version",
               "error", "patient", "visit_id", "seconds", "sha256")


class RecordingEngine(InlineEngine):
    """Records (file name, subject) of every submit and answers with a worker error (no analysis)."""

    name = "recording"

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, str | None]] = []

    def describe(self):
        return "recording"

    def submit(self, path, subject=None):
        self.seen.append((Path(path).name, subject))
        fut = Future()
        fut.set_result({"path": path, "error": "not screened (test engine)"})
        return fut


def rows_of(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def two_clips(root: Path) -> Path:
    folder = root / "clips"
    folder.mkdir()
    for name in ("intel_worker_back_walk_away.npz", "sports2d_side_walk_single.npz"):
        shutil.copy(POSES / name, folder / name)
    return folder


# ---- the roster column -----------------------------------------------------------------------
def test_roster_subject_column_is_optional_and_canonical(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text('file,patient,subject\na.mp4,P1,"689, 455 @10"\nb.mp4,P2,\nc.mp4,P3,AUTO\n4b_*.mp4,P4,# 1\n')
    r = read_roster(roster)
    entry = {n: r.entry_for(tmp_path / n, tmp_path) for n in ("a.mp4", "b.mp4", "c.mp4", "4b_x.mp4")}
    assert entry["a.mp4"].subject == BOX_MAN and entry["a.mp4"].patient == "P1"
    assert entry["b.mp4"].subject is None  # empty: the batch's --subject
    assert entry["c.mp4"].subject == "auto"  # explicit: the walker, whatever --subject says
    assert entry["4b_x.mp4"].subject == "#1" and r.patient_for(tmp_path / "4b_x.mp4", tmp_path) == "P4"
    # an older roster (no subject column) reads as before
    roster.write_text("file,patient\na.mp4,P1\n")
    assert read_roster(roster).entry_for(tmp_path / "a.mp4", tmp_path).subject is None
    assert (subject_key(None), subject_key("auto"), subject_key("0.39,0.46")) == (None, None, "0.39,0.46")
    assert (subject_key("1234567.0, 5"), subject_key("7")) == ("1234567,5", "#7")  # read back by parse_subject


@pytest.mark.parametrize("line, message", [
    ("a.npz,P1,the tall one", "line 3: subject 'the tall one': use 'auto'"),
    ("a.npz,P1,689,455@10", "line 3: more cells than the header has (quote a point"),
])
def test_an_invalid_roster_subject_is_one_line_exit_2_before_any_clip(tmp_path, capsys, line, message):
    from scoliscreen.cli import main

    folder = two_clips(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(f"file,patient,subject\nsports2d_side_walk_single.npz,P1,#0\n{line}\n")
    with pytest.raises(InputError, match="line 3"):
        read_roster(roster)
    db = tmp_path / "db.sqlite3"
    rc = main(["batch", str(folder), "--roster", str(roster), "--db", str(db), "--create-patients"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and message in err[0] and "Traceback" not in err[0], err
    with Store.open(db) as store:  # nothing ran: no job, no patient
        assert JobTable.of_store(store).all() == [] and store.find_patient("P1") is None


def test_a_bad_subject_flag_is_one_line_exit_2(tmp_path, capsys):
    from scoliscreen.cli import main

    rc = main(["batch", str(two_clips(tmp_path)), "--subject", "the tall one", "--db", str(tmp_path / "db.sqlite3")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--subject" in err[0] and "Traceback" not in err[0]


# ---- the choice travels: flag, roster, job table, CSV ----------------------------------------
def test_subject_flag_reaches_the_worker_and_the_csv(tmp_path, monkeypatch, capsys):
    from scoliscreen.app import batch_engines
    from scoliscreen.cli import main

    engine = RecordingEngine()
    monkeypatch.setattr(batch_engines, "make_engine", lambda **kw: engine)
    folder, out = two_clips(tmp_path), tmp_path / "out.csv"
    rc = main(["batch", str(folder), "--subject", "# 1", "--db", str(tmp_path / "db.sqlite3"), "--out", str(out)])
    capsys.readouterr()
    assert rc == 2  # the test engine screens nothing: every file is an error row
    assert engine.seen == [("intel_worker_back_walk_away.npz", "#1"), ("sports2d_side_walk_single.npz", "#1")]
    with open(out, newline="") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == CSV_COLUMNS and tuple(header[:len(OLD_COLUMNS)]) == OLD_COLUMNS  # appended last
    assert [r["subject"] for r in rows_of(out)] == ["#1", "#1"]


def test_roster_subject_wins_and_resume_and_retry_keep_the_stored_choice(tmp_path):
    folder = two_clips(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(f'file,patient,subject\nintel_worker_back_walk_away.npz,P1,"{BOX_MAN}"\n'
                      "sports2d_side_walk_single.npz,P2,\n")
    with Store.open(tmp_path / "db.sqlite3") as store:
        opts = BatchOptions(folder=folder, roster=roster, create_patients=True, subject="#2", out=tmp_path / "a.csv")
        first = RecordingEngine()
        summary = run_batch(opts, store, engine=first, should_cancel=lambda: len(first.seen) >= 1)
        assert summary.cancelled and first.seen == [("intel_worker_back_walk_away.npz", BOX_MAN)]
        jobs = {Path(j["path"]).name: j for j in JobTable.of_store(store).all()}
        assert jobs["intel_worker_back_walk_away.npz"]["subject"] == BOX_MAN  # the roster cell wins
        assert jobs["sports2d_side_walk_single.npz"]["subject"] == "#2"  # empty cell: the --subject
        assert jobs["sports2d_side_walk_single.npz"]["status"] == "queued"
        assert jobs["sports2d_side_walk_single.npz"]["key"].endswith(":#2|P2")

        resumed = RecordingEngine()  # the queued clip runs with the choice its job holds
        run_batch(opts, store, engine=resumed)
        assert resumed.seen == [("sports2d_side_walk_single.npz", "#2")]
        retry = RecordingEngine()  # --retry-failed: both again, each with its own subject
        run_batch(BatchOptions(folder=folder, roster=roster, subject="#2", retry_failed=True,
                               out=tmp_path / "b.csv"), store, engine=retry)
        assert retry.seen == [("intel_worker_back_walk_away.npz", BOX_MAN), ("sports2d_side_walk_single.npz", "#2")]
        assert [r["subject"] for r in rows_of(tmp_path / "b.csv")] == [BOX_MAN, "#2"]
        assert {j["attempts"] for j in JobTable.of_store(store).all()} == {2}

        # another person in the same clip is another job; the earlier one is kept
        other = RecordingEngine()
        run_batch(BatchOptions(folder=folder, roster=roster, subject="auto"), store, engine=other)
        assert other.seen == [("sports2d_side_walk_single.npz", None)]
        assert len(JobTable.of_store(store).all()) == 3


def test_an_older_job_table_gains_the_column_and_keeps_every_row(tmp_path):
    """A records database from before the subject column: its done jobs stay done (not screened
    again, their rows come back), its failed ones keep their error."""
    from scoliscreen.app.batch_adapter import model_version
    from scoliscreen.core.fileio import sha256_file

    folder = two_clips(tmp_path)
    db = tmp_path / "db.sqlite3"
    with Store.open(db):
        pass
    version = model_version()
    done, failed = (folder / "intel_worker_back_walk_away.npz", folder / "sports2d_side_walk_single.npz")
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE batch_jobs (key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, model_version TEXT NOT NULL,"
                " path TEXT, patient TEXT, status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0,"
                " error TEXT, visit_id INTEGER, summary_json TEXT, created_at TEXT NOT NULL, started_at TEXT,"
                " finished_at TEXT)")
    old_row = '{"file": "intel_worker_back_walk_away.npz", "status": "done", "result": "no referral"}'
    for path, status, summary in ((done, "done", old_row), (failed, "error", None)):
        sha = sha256_file(path)
        con.execute("INSERT INTO batch_jobs (key, sha256, model_version, path, status, attempts, error, summary_json,"
                    " created_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, '2026-01-01')",
                    [f"{sha}:{version}", sha, version, str(path), status,
                     "old failure" if status == "error" else None, summary])
    con.commit()
    con.close()
    with Store.open(db) as store:
        jobs = JobTable.of_store(store).all()
        assert len(jobs) == 2 and {j["subject"] for j in jobs} == {None}
        assert {j["status"] for j in jobs} == {"done", "error"}
        engine = RecordingEngine()
        summary = run_batch(BatchOptions(folder=folder, out=tmp_path / "out.csv"), store, engine=engine)
        assert engine.seen == [] and summary.screened == 0  # same jobs (auto keeps the old key)
        rows = rows_of(tmp_path / "out.csv")
        assert [r["result"] for r in rows] == ["no referral", "error"]
        assert rows[1]["error"] == "old failure" and rows[0]["subject"] == ""


# ---- the real multi-person clip ----------------------------------------------------------------
@pytest.mark.slow
def test_real_clip_follows_the_walker_unless_the_roster_or_flag_picks_another(tmp_path):
    """~40 s (two pose estimations of a 7 s 1080p clip, two people per frame)."""
    from scoliscreen.app.batch_worker import init_worker
    from scoliscreen.core.tracking import build_tracks, choose_track
    from tests.test_batch import InlineEngine

    d = np.load(PEOPLE)  # what MediaPipe finds on every frame of this clip (tests/test_tracking.py)
    size = tuple(int(v) for v in d["image_size"])
    tracks = build_tracks(d["people"], d["timestamps_ms"], size)
    walker, box = choose_track(tracks, "auto", size).index, choose_track(tracks, BOX_MAN, size).index
    assert walker != box

    init_worker(None, "cpu")
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("anna.mp4", "ben.mp4"):
        shutil.copy(REAL / "sports2d_demo_multiperson.mp4", folder / name)
    roster = tmp_path / "roster.csv"
    roster.write_text(f'file,patient,subject\nanna.mp4,S-01,\nben.mp4,S-02,"{BOX_MAN}"\n')
    with Store.open(tmp_path / "db.sqlite3") as store:
        summary = run_batch(BatchOptions(folder=folder, roster=roster, create_patients=True, out=tmp_path / "a.csv"),
                            store, engine=InlineEngine())
        assert summary.screened == 2 and summary.failed == 0  # same content, two subjects: two jobs
        anna, ben = rows_of(tmp_path / "a.csv")
        assert (anna["subject"], anna["followed_track"]) == ("", f"#{walker}")  # auto: the walker
        assert "follows the person who walks" in anna["quality_reasons"]
        assert (ben["subject"], ben["followed_track"]) == (BOX_MAN, f"#{box}")  # the roster's choice
        assert "follows the person you chose" in ben["quality_reasons"]
        assert ben["result"] not in ("refer", "no referral")  # jumping on a box is no walk to screen
        assert anna["visit_id"] != ben["visit_id"]

        # --subject for the whole run: the clip again, elsewhere, following the man on the box, with
        # S-02's roster: the job table already holds that choice's result for that child, so it is not
        # screened a third time (without the roster it would be another job: no child, issue 24 B.4)
        again = tmp_path / "again"
        again.mkdir()
        shutil.copy(REAL / "sports2d_demo_multiperson.mp4", again / "clip.mp4")
        (tmp_path / "r2.csv").write_text("file,patient\nclip.mp4,S-02\n")
        summary = run_batch(BatchOptions(folder=again, roster=tmp_path / "r2.csv", subject=BOX_MAN,
                                         out=tmp_path / "b.csv"), store, engine=InlineEngine())
        (row,) = rows_of(tmp_path / "b.csv")
        assert summary.screened == 0 and (row["subject"], row["followed_track"]) == (BOX_MAN, f"#{box}")
        assert row["visit_id"] == ben["visit_id"]


# ---- the GUI batch queue: the same choice for the whole run -----------------------------------
@pytest.mark.gui
def test_batch_queue_follow_field_reaches_the_worker_and_the_table(qtbot, tmp_path, wait_until):
    from scoliscreen.gui.batch_queue import COLUMNS, BatchQueueDialog

    folder = two_clips(tmp_path)
    dlg = BatchQueueDialog(db_path=tmp_path / "db.sqlite3")
    qtbot.addWidget(dlg)
    engine = RecordingEngine()
    dlg.engine_factory = lambda: engine
    dlg.folder_edit.setText(str(folder))
    dlg.subject_edit.setText("the tall one")  # refused before any clip runs, in one line
    dlg.start_btn.click()
    assert not dlg.is_running() and engine.seen == []
    assert dlg.status.text().startswith("Follow 'the tall one'") and "\n" not in dlg.status.text()

    dlg.subject_edit.setText(" # 1 ")
    dlg.start_btn.click()
    wait_until(lambda: dlg.summary is not None and not dlg.is_running(), 60)
    assert engine.seen == [("intel_worker_back_walk_away.npz", "#1"), ("sports2d_side_walk_single.npz", "#1")]
    col = COLUMNS.index("Followed")
    assert [dlg.table.item(r, col).text() for r in range(dlg.table.rowCount())] == ["asked #1", "asked #1"]
