"""Batch screening (issue 12): job table, roster, resume after SIGKILL, CSV rows, exit codes.

Folders are made of the real clips' pose sequences (tests/data/poses), simulated sequences
(``core.sim``) and a real clip, mixed with broken files. The fast tests drive the runner with an
in-process engine (same worker function, no process start-up); the slow ones start real worker
processes through the CLI.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.app.batch import BatchOptions, batch_steps, drain, run_batch
from scoliscreen.app.batch_plan import read_roster, scan_folder
from scoliscreen.core.errors import InputError
from scoliscreen.core.jobs import JobTable
from scoliscreen.core.store import Store

REPO = Path(__file__).resolve().parents[1]
POSES = REPO / "tests" / "data" / "poses"
REAL = REPO / "tests" / "data" / "real"


class InlineEngine:
    """Runs ``batch_worker.screen_file`` in this process (the runner's engine interface)."""

    name = "inline"
    slots = 1

    def __init__(self):
        from concurrent.futures import Future

        self._future = Future

    def describe(self):
        return "inline"

    def submit(self, path, subject=None):
        from scoliscreen.app.batch_worker import screen_file

        fut = self._future()
        fut.set_result(screen_file(path, None, "cpu", subject))
        return fut

    def wait_any(self, handles, timeout=None):
        return list(handles)

    def collect(self, handle):
        return handle.result()

    def heal(self):
        pass

    def close(self, cancel=False):
        pass


def simulated(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """``n`` simulated pose sequences (scoliotic and not) written as .npz."""
    from scoliscreen.core.sequence import save_sequence
    from scoliscreen.core.sim.generate import simulate_clip
    from scoliscreen.core.sim.params import sample_subject

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        subject = sample_subject(rng, f"sim{seed}_{i}")
        out.append(save_sequence(simulate_clip(subject, rng, duration_s=5.0), folder / f"sim_{seed}_{i:02d}.npz"))
    return out


def broken(folder: Path) -> list[Path]:
    """Three files a batch must survive: empty, garbage with a video suffix, a truncated npz."""
    a = folder / "broken_empty.mp4"
    a.write_bytes(b"")
    b = folder / "broken_garbage.mp4"
    b.write_bytes(os.urandom(4096))
    c = folder / "broken_truncated.npz"
    c.write_bytes((POSES / "intel_worker_back_walk_away.npz").read_bytes()[:5000])
    return [a, b, c]


def make_folder(root: Path, *, sims: int = 4, real_poses: bool = True, video: bool = False,
                bad: bool = True) -> Path:
    folder = root / "clips"
    folder.mkdir()
    if real_poses:
        for p in POSES.glob("*.npz"):
            shutil.copy(p, folder / p.name)
    simulated(folder, sims)
    if video:
        shutil.copy(REAL / "intel_worker_back_walk_away.mp4", folder / "intel_worker_back_walk_away.mp4")
    if bad:
        broken(folder)
    return folder


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def inline_screener():
    """Load the shipped model once for the in-process engine of this module."""
    from scoliscreen.app.batch_worker import init_worker

    init_worker(None, "cpu")


# ---- fast: planning and the job table --------------------------------------------------
def test_roster_exact_and_pattern(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("file,patient\nsim_0_00.npz,P001\nsim_0_*.npz,P002\nsub/*.npz,P003\n")
    r = read_roster(roster)
    folder = tmp_path
    assert r.patient_for(folder / "sim_0_00.npz", folder) == "P001"
    assert r.patient_for(folder / "sim_0_01.npz", folder) == "P002"
    assert r.patient_for(folder / "sub" / "x.npz", folder) == "P003"
    assert r.patient_for(folder / "other.npz", folder) is None


def test_roster_malformed_is_input_error(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("name,who\na,b\n")
    with pytest.raises(InputError, match="'file' and a 'patient'"):
        read_roster(bad)
    bad.write_text("file,patient\na.npz,\n")
    with pytest.raises(InputError, match="line 2"):
        read_roster(bad)


def test_scan_folder_lists_clips_only(tmp_path):
    (tmp_path / "a.npz").write_bytes(b"x")
    (tmp_path / "b.MP4").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.npz").write_bytes(b"x")
    assert [p.name for p in scan_folder(tmp_path)] == ["a.npz", "b.MP4"]
    with pytest.raises(InputError):
        scan_folder(tmp_path / "missing")


def test_job_table_recovers_a_visit_recorded_before_a_crash(tmp_path):
    with Store.open(tmp_path / "db.sqlite3") as store:
        jobs = JobTable.of_store(store)
        job = jobs.ensure("ab" * 32, "v1", "/x/a.npz", None)
        assert job["status"] == "queued" and job["attempts"] == 0
        jobs.start(job["key"])
        assert jobs.recover(job["key"], None) is None  # killed before recording: run again
        visit = store.add_visit(None, "/x/a.npz", {"quality": {"usable": True}}, video_sha256="ab" * 32)
        assert jobs.recover(job["key"], None) == visit["id"]  # killed after: never screened twice
        assert jobs.get(job["key"])["attempts"] == 1


# ---- the runner in-process ---------------------------------------------------------------
@pytest.mark.slow
def test_batch_rows_roster_and_resume(tmp_path, inline_screener):
    folder = make_folder(tmp_path, sims=3)
    roster = tmp_path / "roster.csv"
    roster.write_text("file,patient\nsim_0_00.npz,KNOWN1\nsim_0_0[12].npz,NEW2\n*.npz,KNOWN1\n*.mp4,KNOWN1\n")
    db = tmp_path / "db.sqlite3"
    with Store.open(db) as store:
        store.add_patient("KNOWN1")
        opts = BatchOptions(folder=folder, roster=roster, out=tmp_path / "out.csv")
        summary = run_batch(opts, store, engine=InlineEngine())
        rows = {r["file"]: r for r in read_rows(tmp_path / "out.csv")}
        assert len(rows) == len(scan_folder(folder)) == 10
        # unknown patient, no --create-patients: reported, not invented
        assert store.find_patient("NEW2") is None
        for name in ("sim_0_01.npz", "sim_0_02.npz"):
            assert rows[name]["status"] == "error" and "unknown patient 'NEW2'" in rows[name]["error"]
        for name in ("broken_empty.mp4", "broken_garbage.mp4", "broken_truncated.npz"):
            assert rows[name]["status"] == "error" and rows[name]["error"]
        ok = [r for r in rows.values() if r["status"] == "done"]
        assert len(ok) == 5 and summary.failed == 5 and summary.exit_code == 2
        known = store.find_patient("KNOWN1")["id"]
        visits = store.visits(known)
        assert sorted(v["id"] for v in visits) == sorted(int(r["visit_id"]) for r in ok)
        for r in ok:
            v = store.get_visit(int(r["visit_id"]))
            assert v["video"].endswith(r["file"]) and v["video_sha256"] == r["sha256"]
            assert r["model_version"] and r["result"] in ("refer", "no referral", "inconclusive", "re-record", "not screened")
        assert {r["result"] for r in ok} & {"refer", "no referral"}

        # a re-run with --create-patients screens only what was not done, under the new patient
        opts2 = BatchOptions(folder=folder, roster=roster, out=tmp_path / "out2.csv", create_patients=True)
        summary2 = run_batch(opts2, store, engine=InlineEngine())
        rows2 = {r["file"]: r for r in read_rows(tmp_path / "out2.csv")}
        assert summary2.screened == 2  # the two NEW2 clips; the broken ones failed before
        new2 = store.find_patient("NEW2")["id"]
        assert [v["id"] for v in store.visits(new2)] == sorted(
            int(rows2[n]["visit_id"]) for n in ("sim_0_01.npz", "sim_0_02.npz"))
        for name, r in rows.items():
            if r["status"] == "done":
                assert rows2[name]["visit_id"] == r["visit_id"]  # skipped, same visit
        assert len(store.visits()) == 7

        # --retry-failed tries the broken ones again (and they fail again, one more attempt)
        summary3 = run_batch(BatchOptions(folder=folder, roster=roster, retry_failed=True), store,
                             engine=InlineEngine())
        assert summary3.screened == 3 and summary3.failed == 3 and len(store.visits()) == 7
        attempts = {Path(j["path"]).name: j["attempts"] for j in JobTable.of_store(store).all()}
        assert attempts["broken_garbage.mp4"] == 2 and attempts["sim_0_00.npz"] == 1


@pytest.mark.slow
def test_pause_and_cancel_leave_jobs_queued(tmp_path, inline_screener):
    folder = make_folder(tmp_path, sims=2, real_poses=False, bad=False)
    with Store.open(tmp_path / "db.sqlite3") as store:
        seen = []
        gen = batch_steps(BatchOptions(folder=folder), store, engine=InlineEngine(),
                          should_cancel=lambda: len(seen) >= 1)

        def on_event(ev):
            if ev.kind == "result":
                seen.append(ev.row)

        summary = drain(gen, on_event)
        assert summary.cancelled and summary.exit_code == 2 and len(seen) == 1
        counts = JobTable.of_store(store).counts()
        assert counts["done"] == 1 and counts["queued"] == 1 and counts["running"] == 0
        summary = run_batch(BatchOptions(folder=folder), store, engine=InlineEngine())
        assert summary.screened == 1 and summary.done == 2 and summary.exit_code == 0
        assert len(store.visits()) == 2


# ---- the CLI with real worker processes: SIGKILL and resume ----------------------------------
def _cli(*args, env):
    return [sys.executable, "-m", "scoliscreen", "batch", *map(str, args)]


@pytest.mark.slow
def test_sigkill_mid_batch_then_resume(tmp_path):
    """20 files (real-clip poses, simulated sequences, a real video, 3 broken), SIGKILL after ~5."""
    folder = make_folder(tmp_path, sims=12, video=True)
    files = scan_folder(folder)
    assert len(files) == 20
    db = tmp_path / "db.sqlite3"
    out = tmp_path / "out.csv"
    env = {**os.environ, "SCOLISCREEN_DATA_DIR": str(tmp_path / "data")}
    args = [folder, "--db", db, "--out", out, "--workers", "2"]
    proc = subprocess.Popen(_cli(*args, env=env), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True)
    deadline = time.monotonic() + 300
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.3)
        try:  # read-only, as a second program watching the batch would
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
            try:
                done = con.execute("SELECT COUNT(*) FROM batch_jobs WHERE status = 'done'").fetchone()[0]
            finally:
                con.close()
        except sqlite3.OperationalError:  # not created yet
            continue
        if done >= 5:
            break
    assert proc.poll() is None, f"the batch ended before it could be killed: {proc.stdout.read()}"
    os.killpg(proc.pid, signal.SIGKILL)  # coordinator and its workers, like a power cut
    proc.wait()
    with Store.open(db) as store:
        before = {v["id"] for v in store.visits()}
        assert 5 <= len(before) < 17
    res = subprocess.run(_cli(*args, env=env), env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 2, res.stderr  # the three broken files failed
    rows = read_rows(out)
    assert sorted(r["file"] for r in rows) == sorted(p.name for p in files)  # one row per file
    errors = {r["file"] for r in rows if r["status"] == "error"}
    assert errors == {"broken_empty.mp4", "broken_garbage.mp4", "broken_truncated.npz"}
    with Store.open(db) as store:
        visits = store.visits()
        ids = [v["id"] for v in visits]
        assert before <= set(ids)  # nothing lost
        assert sorted(ids) == sorted(int(r["visit_id"]) for r in rows if r["status"] == "done")  # none twice
        assert len({v["video_sha256"] for v in visits}) == len(visits) == 17
        counts = JobTable.of_store(store).counts()
        assert counts == {"queued": 0, "running": 0, "done": 17, "error": 3}
    again = subprocess.run(_cli(*args, env=env), env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "0 screened in this run" in again.stdout


# ---- fast: rows, categories and the command line ---------------------------------------------
def test_result_row_categories(tmp_path):
    from scoliscreen.app.batch_plan import result_row

    p = tmp_path / "a.npz"
    pos = {"quality": {"usable": True, "verdict": "usable", "reasons": []},
           "screening": {"label": "positive", "probability": 0.8, "cobb_estimate": 14.2,
                         "cobb_interval": [9.0, 19.5], "model_version": "m1"}}
    row = result_row(p, tmp_path, analysis=pos, visit_id=3)
    assert (row["status"], row["result"]) == ("done", "refer")
    assert (row["cobb_interval_lo"], row["cobb_interval_hi"]) == (9.0, 19.5)
    neg = {"quality": {"usable": True, "verdict": "usable"}, "screening": {"label": "negative"}}
    assert result_row(p, tmp_path, analysis=neg)["result"] == "no referral"
    refused = {"quality": {"usable": False, "verdict": "not usable",
                           "reasons": [{"level": "refuse", "message": "Too short."}]}}
    row = result_row(p, tmp_path, analysis=refused)
    assert (row["result"], row["quality_reasons"], row["label"]) == ("re-record", "Too short.", "re-record")
    no_model = {"quality": {"usable": True, "verdict": "usable"}, "screening_error": "model missing"}
    assert result_row(p, tmp_path, analysis=no_model)["result"] == "not screened"
    near = {"quality": {"usable": True, "verdict": "usable"},
            "screening": {"label": "inconclusive", "reasons": [{"code": "near_threshold", "message": "close"}]}}
    row = result_row(p, tmp_path, analysis=near)
    assert (row["result"], row["label"], row["reason_codes"]) == ("inconclusive", "inconclusive", "near_threshold")
    view = {"quality": {"usable": True, "verdict": "usable"},
            "screening": {"label": "re-record", "reasons": [{"code": "view", "message": "side view"}]}}
    assert (result_row(p, tmp_path, analysis=view)["result"], result_row(p, tmp_path, analysis=view)["reason_codes"]) \
        == ("re-record", "view")
    row = result_row(p, tmp_path, error="corrupt")
    assert (row["status"], row["result"], row["error"]) == ("error", "error", "corrupt")


def test_cli_bad_arguments_one_line_exit_2(tmp_path, capsys):
    from scoliscreen.cli import main

    assert main(["batch", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a folder" in err[0]
    assert main(["batch", str(tmp_path), "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
    roster = tmp_path / "r.csv"
    roster.write_text("who,what\n")
    (tmp_path / "a.npz").write_bytes(b"x")
    assert main(["batch", str(tmp_path), "--roster", str(roster), "--db", str(tmp_path / "db.sqlite3")]) == 2
    assert "'file' and a 'patient'" in capsys.readouterr().err


def test_cli_empty_folder_exit_0(tmp_path, capsys):
    from scoliscreen.cli import main

    (tmp_path / "clips").mkdir()
    assert main(["batch", str(tmp_path / "clips"), "--db", str(tmp_path / "db.sqlite3"),
                 "--out", str(tmp_path / "out.csv")]) == 0
    assert "0 files" in capsys.readouterr().out
    assert (tmp_path / "out.csv").read_text().startswith("file,status,")
