"""Cluster mode (issue 12): the batch on a Dask LocalCluster matches the local runner, and a Dask
worker killed mid-run costs only a retry of its file, which the job table records."""

from __future__ import annotations

import os
import signal
import time

import pytest

from scoliscreen.app.batch import BatchOptions, drain, run_batch
from scoliscreen.app.batch_plan import scan_folder
from scoliscreen.core.jobs import JobTable
from scoliscreen.core.store import Store
from tests.test_batch import make_folder, read_rows

pytest.importorskip("distributed")

COMPARED = ("status", "result", "label", "probability", "cobb_estimate", "severity_band", "quality_verdict")


@pytest.fixture
def folder20(tmp_path):
    folder = make_folder(tmp_path, sims=12, video=True)
    assert len(scan_folder(folder)) == 20
    return folder


@pytest.mark.slow
def test_local_cluster_gives_the_local_runners_results(tmp_path, folder20):
    from scoliscreen.app.batch_engines import LocalEngine
    from scoliscreen.app.cluster import DaskEngine

    results = {}
    for name, make in (("local", lambda: LocalEngine(2)), ("dask", lambda: DaskEngine(local_workers=2))):
        engine = make()
        try:
            with Store.open(tmp_path / f"{name}.sqlite3") as store:
                summary = run_batch(BatchOptions(folder=folder20, out=tmp_path / f"{name}.csv"), store,
                                    engine=engine)
                assert len(store.visits()) == 17
        finally:
            engine.close()
        assert summary.total == 20 and summary.failed == 3 and summary.exit_code == 2
        results[name] = {r["file"]: r for r in read_rows(tmp_path / f"{name}.csv")}
    assert results["local"].keys() == results["dask"].keys()
    for file, row in results["local"].items():
        other = results["dask"][file]
        assert {k: row[k] for k in COMPARED} == {k: other[k] for k in COMPARED}, file
        assert bool(row["error"]) == bool(other["error"])


class _KeyedDask:
    """A DaskEngine that remembers which task key screens which file."""

    def __init__(self, engine):
        self.engine = engine
        self.keys = {}

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def submit(self, path, subject=None):
        fut = self.engine.submit(path, subject)
        self.keys[os.path.basename(path)] = fut.key
        return fut


@pytest.mark.slow
def test_killed_dask_worker_loses_only_its_file(tmp_path, folder20):
    from scoliscreen.app.cluster import DaskEngine

    engine = _KeyedDask(DaskEngine(local_workers=2))
    client = engine.engine.client
    victim = "intel_worker_back_walk_away.mp4"  # pose estimation: seconds, long enough to be caught
    killed = []

    def on_event(ev):
        if killed or ev.kind != "running" or ev.row["file"] != victim:
            return
        key = engine.keys[victim]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for addr, keys in client.processing().items():
                if key in keys:
                    pid = client.run(os.getpid, workers=[addr])[addr]
                    time.sleep(1.0)  # let it get into the clip
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
            time.sleep(0.05)

    try:
        with Store.open(tmp_path / "db.sqlite3") as store:
            from scoliscreen.app.batch import batch_steps

            summary = drain(batch_steps(BatchOptions(folder=folder20, out=tmp_path / "out.csv"), store,
                                        engine=engine), on_event)
            assert killed, "the worker screening the video was never caught"
            rows = {r["file"]: r for r in read_rows(tmp_path / "out.csv")}
            assert len(rows) == 20 and summary.total == 20
            assert rows[victim]["status"] == "done" and rows[victim]["visit_id"]
            failed = {f for f, r in rows.items() if r["status"] == "error"}
            assert failed == {"broken_empty.mp4", "broken_garbage.mp4", "broken_truncated.npz"}
            jobs = {os.path.basename(j["path"]): j for j in JobTable.of_store(store).all()}
            assert jobs[victim]["attempts"] >= 2 and jobs[victim]["status"] == "done"
            assert all(j["status"] in ("done", "error") for j in jobs.values())
            assert len(store.visits()) == 17  # the retried file recorded once
    finally:
        engine.close()
