"""The batch job table: one row per (file content, model version, subject, patient), in the records database.

A batch run (``scoliscreen batch``, the GUI's batch queue) keeps its state here so that a
restart after Ctrl-C, a crash or a reboot carries on where it stopped. The table lives in the
same SQLite file as the patients and visits (``Store.open()``'s path) but is owned by this
module, which creates it itself (``CREATE TABLE IF NOT EXISTS``): the store's schema version is
not touched.

``batch_jobs``:

* ``key`` (primary key) = ``sha256 + ":" + model_version`` — the same clip screened by the same
  model is one job, wherever the file lies and whatever it is called; with a chosen subject
  (not ``auto``) ``+ ":" + subject``: following another person in the same clip is another job;
  ``+ "|" + patient`` (empty for none): the same clip filed under another child (a corrected
  roster) is another job, screened and recorded again under that child. A job is found by its
  columns (sha256, model_version, subject, patient), so rows keyed before the patient was part of
  the key (no ``|``) are found and kept;
* ``model_version``: the hash-checked version (``core/model/provenance.py``): only the pinned
  shipped weights carry the shipped name, any other weights ``local model sha256:...``;
* ``sha256``, ``path`` (last path seen), ``patient`` (pseudonym or NULL);
* ``subject``: whom to follow when several people are in view (canonical ``#N`` / ``X,Y[@F]``,
  NULL = ``auto``): the worker is handed this stored choice, so a resumed run follows the same
  person. A table made before this column existed gets it (``ALTER TABLE ... ADD COLUMN``: every
  row is kept, and reads as ``auto``, which is what it was screened with);
* ``status``: ``queued`` -> ``running`` -> ``done`` | ``error``;
* ``attempts`` (times handed to a worker), ``error`` (one line), ``visit_id`` (the recorded visit);
* ``summary_json``: the result row as written to the CSV (so a re-run lists finished files
  without screening them again);
* ``created_at``, ``started_at`` (of the current attempt), ``finished_at``.

Crash safety: a job is marked ``running`` (committed) before a worker gets it; its visit is
recorded (committed) and only then is the job marked ``done``. A run killed between the two
leaves a ``running`` job *and* its visit: :meth:`JobTable.recover` finds that visit (same file
hash or path, same patient, recorded after the attempt started) and marks the job done instead of
screening the file again, so a visit is never duplicated; a ``running`` job without a visit is
put back in the queue.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal, TypedDict, cast

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlite_utils import Database

    from scoliscreen.core.store import Store

TABLE = "batch_jobs"
JobStatus = Literal["queued", "running", "done", "error"]
STATUSES: tuple[JobStatus, ...] = ("queued", "running", "done", "error")


class JobRow(TypedDict):
    """One row of ``batch_jobs`` (``SELECT *``), as :meth:`JobTable.get` returns it."""

    key: str
    sha256: str
    model_version: str
    path: str | None
    patient: str | None
    status: JobStatus
    attempts: int
    error: str | None
    visit_id: int | None
    summary_json: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    subject: str | None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def job_key(sha256: str, model_version: str, subject: str | None = None, patient: str | None = None) -> str:
    """``sha256:model_version[:subject]|patient`` (``:subject`` when one is chosen; ``|`` and the
    pseudonym, empty without one). Keys made by earlier versions have no ``|``; :meth:`JobTable.ensure`
    finds their rows by column."""
    return f"{sha256}:{model_version}" + (f":{subject}" if subject else "") + f"|{patient or ''}"


def _job_row(columns: Sequence[str], values: Sequence[object]) -> JobRow:
    # SELECT * of batch_jobs: its columns are exactly JobRow's keys (the CREATE TABLE below).
    return cast(JobRow, dict(zip(columns, values, strict=True)))


class JobTable:
    """The ``batch_jobs`` table of an open records database (a ``sqlite_utils.Database``)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        if db[TABLE].exists():
            if "subject" not in {row[1] for row in db.execute(f"PRAGMA table_info({TABLE})")}:
                with db.conn:  # a table of an older version: add the column, keep every row
                    db.execute(f"ALTER TABLE {TABLE} ADD COLUMN subject TEXT")
            return  # no write (lock) needed when another program has the database open
        with db.conn:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                " key TEXT PRIMARY KEY, sha256 TEXT NOT NULL, model_version TEXT NOT NULL,"
                " path TEXT, patient TEXT, status TEXT NOT NULL DEFAULT 'queued',"
                " attempts INTEGER NOT NULL DEFAULT 0, error TEXT, visit_id INTEGER,"
                " summary_json TEXT, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,"
                " subject TEXT)"
            )
            db.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_status ON {TABLE} (status)")

    @classmethod
    def of_store(cls, store: Store) -> JobTable:
        return cls(store.db)

    # ---- reading -----------------------------------------------------------------------
    def get(self, key: str) -> JobRow | None:
        row = self.db.execute(f"SELECT * FROM {TABLE} WHERE key = ?", [key]).fetchone()
        if row is None:
            return None
        cols = [d[0] for d in self.db.execute(f"SELECT * FROM {TABLE} LIMIT 0").description]
        return _job_row(cols, row)

    def row(self, key: str) -> JobRow:
        """The job of ``key``, which must exist (a ``LookupError`` if it does not)."""
        job = self.get(key)
        if job is None:
            raise LookupError(f"no batch job {key}")
        return job

    def all(self) -> list[JobRow]:
        cur = self.db.execute(f"SELECT * FROM {TABLE} ORDER BY created_at, key")
        cols = [d[0] for d in cur.description]
        return [_job_row(cols, r) for r in cur.fetchall()]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for status, n in self.db.execute(f"SELECT status, COUNT(*) FROM {TABLE} GROUP BY status"):
            out[status] = n
        return out

    @staticmethod
    def summary(row: JobRow | None) -> dict[str, object] | None:
        """The result row stored with a job (``summary_json``), or None."""
        text = row.get("summary_json") if row else None
        if not text:
            return None
        summary: dict[str, object] = json.loads(text)
        return summary

    # ---- writing (each call is one committed transaction) -------------------------------
    def find(self, sha256: str, model_version: str, subject: str | None, patient: str | None) -> str | None:
        """The key of the job of this clip, model, subject and patient, or None."""
        hit = self.db.execute(
            f"SELECT key FROM {TABLE} WHERE sha256 = ? AND model_version = ? AND subject IS ? AND patient IS ?"
            " ORDER BY created_at, key LIMIT 1", [sha256, model_version, subject, patient]).fetchone()
        return None if hit is None else str(hit[0])

    def ensure(self, sha256: str, model_version: str, path: str, patient: str | None,
               subject: str | None = None) -> JobRow:
        """The job of this file, subject (canonical, None = auto) and patient (pseudonym, None =
        none): created ``queued`` if new; its path refreshed if not done."""
        with self.db.conn:
            key = self.find(sha256, model_version, subject, patient)
            if key is None:
                key = job_key(sha256, model_version, subject, patient)
                self.db.execute(
                    f"INSERT INTO {TABLE} (key, sha256, model_version, path, patient, status,"
                    " attempts, created_at, subject) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?)",
                    [key, sha256, model_version, path, patient, _now(), subject],
                )
            else:
                self.db.execute(f"UPDATE {TABLE} SET path = ? WHERE key = ? AND status != 'done'", [path, key])
        return self.row(key)

    def requeue(self, key: str) -> None:
        with self.db.conn:
            self.db.execute(f"UPDATE {TABLE} SET status = 'queued' WHERE key = ?", [key])

    def start(self, key: str) -> None:
        """Handed to a worker: ``running``, one more attempt, this attempt's start time."""
        with self.db.conn:
            self.db.execute(
                f"UPDATE {TABLE} SET status = 'running', attempts = attempts + 1, started_at = ?,"
                " error = NULL WHERE key = ?", [_now(), key])

    def lost(self, key: str, reason: str) -> None:
        """The worker died with this job: back to the queue, the reason kept (attempts stays)."""
        with self.db.conn:
            self.db.execute(f"UPDATE {TABLE} SET status = 'queued', error = ? WHERE key = ?", [reason, key])

    def finish(self, key: str, visit_id: int | None, summary: Mapping[str, object]) -> None:
        with self.db.conn:
            self.db.execute(
                f"UPDATE {TABLE} SET status = 'done', visit_id = ?, error = NULL, summary_json = ?,"
                " finished_at = ? WHERE key = ?",
                [visit_id, json.dumps(summary, default=str), _now(), key])

    def fail(self, key: str, error: str, summary: Mapping[str, object] | None = None) -> None:
        with self.db.conn:
            self.db.execute(
                f"UPDATE {TABLE} SET status = 'error', error = ?, summary_json = ?, finished_at = ?"
                " WHERE key = ?",
                [error, json.dumps(summary, default=str) if summary else None, _now(), key])

    # ---- restart ------------------------------------------------------------------------
    def recover(self, key: str, patient_id: int | None) -> int | None:
        """For a job left ``running`` by a killed run: the id of the visit that run recorded for it,
        or None (then the job must run again). See the module docstring."""
        row = self.get(key)
        if row is None or row["status"] != "running" or not row["started_at"]:
            return None
        if not self.db["visits"].exists():
            return None
        hit = self.db.execute(
            "SELECT v.id FROM visits v JOIN recordings r ON r.visit_id = v.id"
            " WHERE (r.sha256 = ? OR r.source_path = ?) AND v.patient_id IS ?"
            " AND v.created_at >= ? ORDER BY v.id DESC LIMIT 1",
            [row["sha256"], row["path"], patient_id, row["started_at"]],
        ).fetchone()
        return int(hit[0]) if hit else None
