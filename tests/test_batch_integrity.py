"""Issue 24 B.4: batch integrity. Two batches on one database, an archived roster patient, a
corrected roster, the model version (hash-checked provenance) in the job key, and outputs that
would overwrite an input."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import Future
from pathlib import Path

import pytest

from scoliscreen.app.batch import BatchOptions, batch_steps, drain, run_batch
from scoliscreen.app.batch_guard import batch_lock
from scoliscreen.core.errors import InputError, ModelIntegrityError
from scoliscreen.core.jobs import JobTable
from scoliscreen.core.store import Store
from tests.test_batch import read_rows, simulated

REPO = Path(__file__).resolve().parents[1]


class Inline:
    """The runner's engine interface in this process; ``model_dir`` is handed to the worker
    function, and ``before_result(path)`` runs before each result is handed back."""

    name = "inline"
    slots = 1

    def __init__(self, model_dir=None, before_result=None):
        self.model_dir = None if model_dir is None else str(model_dir)
        self.before_result = before_result
        self.screened: list[str] = []

    def describe(self):
        return "inline"

    def submit(self, path, subject=None):
        from scoliscreen.app.batch_worker import screen_file

        fut = Future()
        fut.set_result(screen_file(path, self.model_dir, "cpu", subject))
        self.screened.append(Path(path).name)
        if self.before_result:
            self.before_result(path)
        return fut

    def wait_any(self, handles, timeout=None):
        return list(handles)

    def collect(self, handle):
        return handle.result()

    def heal(self):
        pass

    def close(self, cancel=False):
        pass


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("integrity") / "clips"
    folder.mkdir()
    simulated(folder, 2, seed=3)
    return folder


def _folder(tmp_path: Path, clips: Path) -> Path:
    folder = tmp_path / "clips"
    shutil.copytree(clips, folder)
    return folder


# ---- fast --------------------------------------------------------------------------------
def test_batch_lock_refuses_a_second_holder_and_frees_on_release(tmp_path):
    db = tmp_path / "db.sqlite3"
    with batch_lock(db):
        with pytest.raises(InputError, match="another batch is running"):
            with batch_lock(db):
                pass
    with batch_lock(db):  # released
        db.touch()
        alias = tmp_path / "alias.sqlite3"
        alias.symlink_to(db)
        with pytest.raises(InputError, match="another batch is running"):  # the same database by another name
            with batch_lock(alias):
                pass
    assert (tmp_path / "db.sqlite3.batch-lock").stat().st_mode & 0o077 == 0


def test_outputs_that_are_inputs_are_refused(tmp_path, capsys):
    from scoliscreen.cli import main

    folder = tmp_path / "clips"
    folder.mkdir()
    roster = tmp_path / "roster.csv"
    roster.write_text("file,patient\n*.npz,P1\n")
    db = tmp_path / "db.sqlite3"
    with Store.open(db) as store:
        store.add_patient("P1")
    before = {p: p.read_bytes() for p in (roster, db)}
    for out, what in ((roster, "the roster"), (db, "the records database"),
                      (tmp_path / "db.sqlite3-wal", "the records database")):
        code = main(["batch", str(folder), "--roster", str(roster), "--db", str(db), "--out", str(out)])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and what in err[0], err
    link = tmp_path / "alias.csv"
    link.symlink_to(roster)
    assert main(["batch", str(folder), "--roster", str(roster), "--db", str(db), "--out", str(link)]) == 2
    capsys.readouterr()
    pdf_db = tmp_path / "records.pdf"
    shutil.copy(db, pdf_db)
    pdf_before = pdf_db.read_bytes()
    assert main(["report", "--db", str(pdf_db), "1", str(pdf_db)]) == 2  # `report --db X X`
    assert "the records database" in capsys.readouterr().err
    assert pdf_db.read_bytes() == pdf_before
    assert {p: p.read_bytes() for p in (roster, db)} == before
    with pytest.raises(InputError, match="the roster"):  # the GUI's path through the runner
        with Store.open(db) as store:
            drain(batch_steps(BatchOptions(folder=folder, roster=roster, out=roster), store))


def test_model_version_is_the_hash_checked_provenance(tmp_path):
    from scoliscreen.app.batch_adapter import model_version
    from scoliscreen.core.model.provenance import SHIPPED_WEIGHTS_SHA256, local_model_version
    from scoliscreen.core.paths import screening_model_dir

    shipped = screening_model_dir()
    card = json.loads((shipped / "model_card.json").read_text())
    assert model_version(shipped) == card["model_version"]
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("model.safetensors", "model_card.json"):
        shutil.copy(shipped / name, copy / name)
    assert model_version(copy) == card["model_version"]  # the same weights elsewhere: the same model
    _tamper(copy)
    version = model_version(copy)
    assert version.startswith("local model sha256:") and version != card["model_version"]
    # a card that claims the shipped hash for other weights: refused, never the shipped name
    fake = json.loads((copy / "model_card.json").read_text())
    fake["weights"]["sha256"] = SHIPPED_WEIGHTS_SHA256
    (copy / "model_card.json").write_text(json.dumps(fake))
    with pytest.raises(ModelIntegrityError, match="sha256 does not match"):
        model_version(copy)
    assert local_model_version("ab" * 32) != card["model_version"]


def _tamper(model: Path) -> None:
    """Change one weight and re-sign the card (a retrained or edited model)."""
    import hashlib

    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(model / "model.safetensors"))
    name = next(n for n in sorted(tensors) if tensors[n].ndim >= 1 and tensors[n].dtype.kind == "f")
    tensors[name] = (tensors[name] + 1e-3).astype(tensors[name].dtype)
    save_file(tensors, str(model / "model.safetensors"))
    card = json.loads((model / "model_card.json").read_text())
    card["weights"]["sha256"] = hashlib.sha256((model / "model.safetensors").read_bytes()).hexdigest()
    (model / "model_card.json").write_text(json.dumps(card))


# ---- slow: real screening in this process --------------------------------------------------
@pytest.mark.slow
def test_two_batches_on_one_database_record_each_visit_once(tmp_path, clips):
    folder = _folder(tmp_path, clips)
    db = tmp_path / "db.sqlite3"
    with Store.open(db) as first, Store.open(db) as second:
        running = batch_steps(BatchOptions(folder=folder), first, engine=Inline())
        assert next(running).kind == "planned"  # the first batch holds the database
        with pytest.raises(InputError, match="another batch is running"):
            run_batch(BatchOptions(folder=folder), second, engine=Inline())
        summary = drain(running)
        assert summary.screened == 2 and summary.exit_code == 0
        again = run_batch(BatchOptions(folder=folder), second, engine=Inline())
        assert again.screened == 0
        visits = first.visits()
        assert len(visits) == 2 and len({v["video_sha256"] for v in visits}) == 2


@pytest.mark.slow
def test_archived_patient_fails_only_its_rows(tmp_path, clips):
    folder = _folder(tmp_path, clips)
    names = sorted(p.name for p in folder.iterdir())
    roster = tmp_path / "roster.csv"
    roster.write_text(f"file,patient\n{names[0]},GONE\n{names[1]},HERE\n")
    db = tmp_path / "db.sqlite3"
    with Store.open(db) as store:
        store.archive_patient(store.add_patient("GONE")["id"])
        here = store.add_patient("HERE")["id"]
        for _ in range(2):  # the same on a re-run
            summary = run_batch(BatchOptions(folder=folder, roster=roster, out=tmp_path / "out.csv"), store,
                                engine=Inline())
            rows = {r["file"]: r for r in read_rows(tmp_path / "out.csv")}
            assert rows[names[0]]["status"] == "error" and "archived" in rows[names[0]]["error"]
            assert rows[names[1]]["status"] == "done" and summary.failed == 1 and summary.exit_code == 2
            assert JobTable.of_store(store).counts()["running"] == 0
        assert [v["id"] for v in store.visits(here)] == [int(rows[names[1]]["visit_id"])]

        # archived while its clip is being screened: that file fails with the reason, the job is not left running
        store.archive_patient(here, archived=False)
        store.add_patient("LATE")
        roster.write_text(f"file,patient\n{names[0]},HERE\n{names[1]},LATE\n")
        late = store.find_patient("LATE")["id"]

        def archive_late(path):
            if Path(path).name == names[1]:
                store.archive_patient(late)

        summary = run_batch(BatchOptions(folder=folder, roster=roster, out=tmp_path / "out2.csv"), store,
                            engine=Inline(before_result=archive_late))
        rows = {r["file"]: r for r in read_rows(tmp_path / "out2.csv")}
        assert rows[names[0]]["status"] == "done"
        assert rows[names[1]]["status"] == "error" and "archived" in rows[names[1]]["error"]
        assert JobTable.of_store(store).counts()["running"] == 0 and store.visits(late) == []


@pytest.mark.slow
def test_corrected_roster_files_the_clip_under_the_new_patient(tmp_path, clips):
    folder = _folder(tmp_path, clips)
    name = sorted(p.name for p in folder.iterdir())[0]
    roster = tmp_path / "roster.csv"
    db = tmp_path / "db.sqlite3"
    with Store.open(db) as store:
        wrong, right = (store.add_patient(p)["id"] for p in ("WRONG", "RIGHT"))
        roster.write_text(f"file,patient\n{name},WRONG\n*.npz,WRONG\n")
        run_batch(BatchOptions(folder=folder, roster=roster), store, engine=Inline())
        roster.write_text(f"file,patient\n{name},RIGHT\n*.npz,WRONG\n")  # the corrected roster
        engine = Inline()
        run_batch(BatchOptions(folder=folder, roster=roster, out=tmp_path / "out.csv"), store, engine=engine)
        assert engine.screened == [name]  # only the corrected file, screened again
        rows = {r["file"]: r for r in read_rows(tmp_path / "out.csv")}
        assert rows[name]["patient"] == "RIGHT"
        assert [v["id"] for v in store.visits(right)] == [int(rows[name]["visit_id"])]
        assert len(store.visits(wrong)) == 2  # the first result stays where it was filed
        again = Inline()
        run_batch(BatchOptions(folder=folder, roster=roster), store, engine=again)
        assert again.screened == []


@pytest.mark.slow
def test_a_changed_model_is_not_served_the_shipped_models_results(tmp_path, clips):
    from scoliscreen.core.paths import screening_model_dir

    folder = _folder(tmp_path, clips)
    model = tmp_path / "model"
    model.mkdir()
    for name in ("model.safetensors", "model_card.json"):
        shutil.copy(screening_model_dir() / name, model / name)
    with Store.open(tmp_path / "db.sqlite3") as store:
        run_batch(BatchOptions(folder=folder), store, engine=Inline())
        _tamper(model)
        engine = Inline(model_dir=model)
        run_batch(BatchOptions(folder=folder, model_dir=model, out=tmp_path / "out.csv"), store, engine=engine)
        assert len(engine.screened) == 2  # nothing reused from the shipped model's jobs
        rows = read_rows(tmp_path / "out.csv")
        assert all(r["status"] == "done" and r["model_version"].startswith("local model sha256:") for r in rows)
        back = Inline()  # and the shipped model's jobs are still its own
        run_batch(BatchOptions(folder=folder), store, engine=back)
        assert back.screened == []


def test_job_rows_keyed_before_the_patient_was_in_the_key_are_kept(tmp_path):
    with Store.open(tmp_path / "db.sqlite3") as store:
        jobs = JobTable.of_store(store)
        with store.db.conn:  # a row as the previous version wrote it: key without the patient
            store.db.execute("INSERT INTO batch_jobs (key, sha256, model_version, path, patient, status, attempts,"
                             " created_at, summary_json) VALUES ('ab:v1', 'ab', 'v1', '/x/a.npz', 'P1', 'done', 1,"
                             " '2026-01-01T00:00:00+00:00', '{}')")
        assert jobs.ensure("ab", "v1", "/y/a.npz", "P1")["key"] == "ab:v1"  # found: stays done
        other = jobs.ensure("ab", "v1", "/y/a.npz", "P2")  # the corrected roster: a new job
        assert other["key"] == "ab:v1|P2" and other["status"] == "queued"
        anonymous = jobs.ensure("ab", "v1", "/y/a.npz", None)
        assert anonymous["key"] == "ab:v1|" and anonymous["status"] == "queued"
        assert jobs.get("ab:v1")["patient"] == "P1" and len(jobs.all()) == 3
