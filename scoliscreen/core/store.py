"""Patient records and visit history in SQLite (sqlite-utils), in the user data dir.

One file (``scoliscreen.sqlite3``), WAL mode, foreign keys on, a busy timeout so two
processes (the app and a batch job) can write at once. The schema and its migrations live in
``store_schema`` (``PRAGMA user_version`` = SCHEMA_VERSION); history views (age at visit,
trends, comparison) in ``store_history``; backup and CSV export in ``store_io``.

Every save is one ``BEGIN IMMEDIATE`` transaction together with its audit row: a visit never
exists without its analysis row, and a crash mid-write leaves the earlier state intact.
Nothing is deleted: a patient is archived (hidden from the default list), a visit is marked
deleted (hidden, kept); the audit log says who (``LOCAL_USER``) did what and when.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

from scoliscreen.core import store_history as history
from scoliscreen.core.errors import InputError, ScoliScreenError
from scoliscreen.core.fileio import sha256_file
from scoliscreen.core.store_annotations import MEASUREMENT_KINDS, AnnotationsMixin
from scoliscreen.core.store_history import now as _now
from scoliscreen.core.store_outcomes import OutcomesMixin
from scoliscreen.core.store_patients import SEXES, PatientsMixin
from scoliscreen.core.store_schema import SCHEMA_VERSION, migrate

__all__ = ["Store", "SCHEMA_VERSION", "DB_NAME", "SEXES", "LOCAL_USER", "AUDIT_ACTIONS", "MEASUREMENT_KINDS"]


def _make_private(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` if it exists and is looser (patient data: owner only)."""
    try:
        if path.exists() and (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except OSError:
        pass  # a read-only or foreign file system: the store still opens


DB_NAME = "scoliscreen.sqlite3"
VIDEO_DIR = "videos"  # copies of recordings, next to the database, named by sha256
LOCAL_USER = "local user"
AUDIT_ACTIONS = ("created", "viewed", "exported", "deleted", "edited")
BUSY_TIMEOUT_MS = 30_000


def _configure(conn: sqlite3.Connection) -> None:
    """Per-connection settings: wait for a concurrent writer instead of failing, enforce
    foreign keys, fsync every commit (a visit saved is a visit kept)."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")


def _sequence_bytes(sequence) -> bytes | None:
    """``.npz`` bytes of a PoseSequence, a path to a ``.npz``, or bytes."""
    if sequence is None or isinstance(sequence, bytes):
        return sequence
    if isinstance(sequence, (str, Path)):
        return Path(sequence).read_bytes()
    import tempfile

    from scoliscreen.core.sequence import save_sequence

    with tempfile.TemporaryDirectory() as tmp:
        return save_sequence(sequence, Path(tmp) / "seq.npz").read_bytes()


class Store(PatientsMixin, AnnotationsMixin, OutcomesMixin):
    """The practice's local records. Open with :meth:`open`; use as a context manager."""

    def __init__(self, db, path: Path | None):
        self.db = db
        self.path = path
        self.user = LOCAL_USER

    # ---- lifecycle ---------------------------------------------------------------------
    @staticmethod
    def default_path() -> Path:
        from scoliscreen.core.paths import user_data_dir

        return user_data_dir() / DB_NAME

    @classmethod
    def open(cls, path: str | Path | None = None) -> "Store":
        import sqlite_utils

        path = Path(path) if path is not None else cls.default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        from scoliscreen.core.paths import user_data_dir

        if path.parent == user_data_dir():
            _make_private(path.parent, 0o700)  # patient data: owner only (docs/privacy.md)
        try:
            db = sqlite_utils.Database(path)
            _make_private(path, 0o600)  # SQLite gives its -wal and -shm files the database's mode
            _configure(db.conn)
            db.enable_wal()
            for f in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                _make_private(f, 0o600)  # existing installs are fixed on open
            store = cls(db, path)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise ScoliScreenError(f"{path}: cannot open the records database ({exc})") from None
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @property
    def data_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    @contextlib.contextmanager
    def transaction(self):
        """One write transaction (``BEGIN IMMEDIATE``: waits for another writer up to the busy
        timeout instead of failing half-way). Commits on success, rolls back on any error."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # still locked after the busy timeout
            raise ScoliScreenError(
                f"{self.path}: the records database is busy ({exc}); another program keeps writing "
                "to it, try again in a moment") from None
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise ScoliScreenError(
                f"{self.path}: made by a newer ScoliScreen (schema {version}); update the app"
            )
        if version == SCHEMA_VERSION:
            return
        conn = self.conn
        conn.execute("PRAGMA foreign_keys = OFF")  # tables are rebuilt; checked before commit
        try:
            with self.transaction():
                version = self.schema_version()  # another process may have migrated meanwhile
                if version < SCHEMA_VERSION:
                    migrate(conn, version)
                    bad = conn.execute("PRAGMA foreign_key_check").fetchall()
                    if bad:
                        raise ScoliScreenError(f"{self.path}: migration left broken references {bad[:3]}")
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

    def _insert(self, table: str, record: dict) -> int:
        cols = ", ".join(f"[{k}]" for k in record)
        marks = ", ".join("?" for _ in record)
        cur = self.conn.execute(f"INSERT INTO [{table}] ({cols}) VALUES ({marks})", list(record.values()))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def _audit(self, action: str, entity: str, entity_id: int | None, detail: str = "") -> None:
        assert action in AUDIT_ACTIONS, action
        self._insert("audit", {"at": _now(), "user": self.user, "action": action, "entity": entity,
                               "entity_id": entity_id, "detail": detail})

    def log(self, action: str, entity: str, entity_id: int | None = None, detail: str = "") -> None:
        """Record an audit event on its own (e.g. ``exported`` when a report is written)."""
        if action not in AUDIT_ACTIONS:
            raise InputError(f"audit action must be one of {', '.join(AUDIT_ACTIONS)}")
        with self.transaction():
            self._audit(action, entity, entity_id, detail)

    def audit_log(self, entity: str | None = None, entity_id: int | None = None) -> list[dict]:
        where: list[str] = []
        params: list[object] = []
        if entity is not None:
            where.append("entity = ?")
            params.append(entity)
        if entity_id is not None:
            where.append("entity_id = ?")
            params.append(entity_id)
        return list(self.db["audit"].rows_where(" AND ".join(where) or None, params, order_by="id"))

    def _rows(self, sql: str, params=()) -> list[dict]:
        cur = self.conn.execute(sql, list(params))
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    # ---- visits ------------------------------------------------------------------------
    def add_visit(self, patient_id: int | None, video: str | None, analysis: dict,
                  notes: str = "", video_sha256: str | None = None,
                  sequence_file: str | None = None, *, sequence=None, copy_video: bool = False,
                  visited_at: str | None = None, model_sha256: str | None = None,
                  measurements: list[dict] | None = None) -> dict:
        """Save one analysed recording as a visit, in one transaction: the visit, its analysis
        (``analysis`` = ``Analysis.to_dict()``), the recording, the pose sequence (a
        PoseSequence, ``.npz`` path or bytes; ``sequence_file`` is read when ``sequence`` is
        not given), the notes given with the analysis, measurements and the audit row.
        ``copy_video`` copies the video into the data dir (``videos/<sha256>.<ext>``).
        Pass ``sequence=analysis.raw_sequence`` (what the pose model returned): reports redraw
        the skeleton and recompute the knowledge map from it. Returns the visit row."""
        if patient_id is not None:
            patient = self.get_patient(patient_id)
            if patient["archived_at"]:
                raise InputError(f"patient {patient['pseudonym']} is archived; restore them first")
        if not isinstance(analysis, dict):
            raise InputError("the analysis to record must be a dict (Analysis.to_dict())")
        video_path = Path(video) if video else None
        if video_path is not None and video_sha256 is None and video_path.is_file():
            video_sha256 = sha256_file(video_path)
        copy_path = self._copy_video(video_path, video_sha256) if copy_video else None
        if sequence is None and sequence_file and Path(sequence_file).is_file():
            sequence = sequence_file
        if sequence is None and video_path is not None and video_path.suffix.lower() == ".npz" and video_path.is_file():
            sequence = video_path  # the analysed file was itself a pose sequence
        blob = _sequence_bytes(sequence)
        row = history.visit_numbers(analysis)
        now = _now()
        model_sha256 = model_sha256 or history.model_sha256(analysis)
        source = analysis.get("source") or {}
        size = source.get("size") or [None, None]
        with self.transaction():
            vid = self._insert("visits", {"patient_id": patient_id, "created_at": now,
                                          "visited_at": visited_at or now, **row})
            self._insert("analyses", {"visit_id": vid, "result_json": json.dumps(analysis, default=str),
                                      "model_version": row["model_version"], "model_sha256": model_sha256,
                                      "created_at": now})
            self._insert("recordings", {
                "visit_id": vid, "source_path": str(video) if video else None, "sha256": video_sha256,
                "duration_s": analysis.get("duration_s"), "fps": source.get("fps"),
                "frames": source.get("frames"), "width": size[0], "height": size[1], "kind": source.get("kind"),
                "copy_path": copy_path, "sequence_file": str(sequence_file) if sequence_file else None,
            })
            if blob is not None:
                self._insert("sequences", {"visit_id": vid, "format": "npz",
                                           "sha256": hashlib.sha256(blob).hexdigest(), "data": blob})
            if notes and notes.strip():
                self._insert("notes", {"visit_id": vid, "kind": "analysis", "text": notes, "author": self.user,
                                       "created_at": now})
            for m in measurements or ():
                self._insert("measurements", self._measurement_row(vid, **m))
            self._audit("created", "visit", vid, f"patient {patient_id}" if patient_id else "no patient")
        return self.get_visit(vid)

    def _copy_video(self, video: Path | None, sha256: str | None) -> str | None:
        if video is None or not video.is_file() or not sha256:
            return None
        rel = Path(VIDEO_DIR) / f"{sha256}{video.suffix.lower()}"
        dest = self.data_dir / rel
        if not dest.exists():  # content-addressed: a crash leaves at most a harmless .part file
            dest.parent.mkdir(parents=True, exist_ok=True)
            part = dest.with_name(dest.name + ".part")
            shutil.copyfile(video, part)
            part.replace(dest)
        return rel.as_posix()

    _VISIT_SQL = (
        "SELECT v.*, r.source_path AS video, r.sha256 AS video_sha256, r.duration_s, r.fps, "
        "r.copy_path, r.sequence_file, p.pseudonym, p.birth_year, p.sex, "
        "(SELECT group_concat(n.text, char(10)) FROM notes n WHERE n.visit_id = v.id AND n.kind = 'analysis') AS notes "
        "FROM visits v LEFT JOIN recordings r ON r.visit_id = v.id LEFT JOIN patients p ON p.id = v.patient_id"
    )

    def get_visit(self, visit_id: int) -> dict:
        """The visit row: headline numbers, ``video`` (source path), ``notes`` (given with the
        analysis), ``pseudonym`` and ``age`` at the visit (None without a birth year)."""
        rows = self._rows(self._VISIT_SQL + " WHERE v.id = ?", [visit_id])
        if not rows:
            raise InputError(f"no visit with id {visit_id}")
        return history.with_age(rows[0])

    def visits(self, patient_id: int | None = None, *, include_deleted: bool = False) -> list[dict]:
        """Visits oldest first (all visits when ``patient_id`` is None), each with ``age``."""
        where = ["1=1" if include_deleted else "v.deleted_at IS NULL"]
        params = []
        if patient_id is not None:
            where.append("v.patient_id = ?")
            params.append(patient_id)
        sql = f"{self._VISIT_SQL} WHERE {' AND '.join(where)} ORDER BY v.visited_at, v.id"
        return [history.with_age(r) for r in self._rows(sql, params)]

    def patient_visits(self, patient_id: int) -> list[dict]:
        """One child's visits, oldest first, with ``age`` at each visit."""
        self.get_patient(patient_id)
        return self.visits(patient_id)

    def analysis(self, visit_id: int) -> dict:
        """The stored ``Analysis.to_dict()`` of a visit."""
        row = self.conn.execute("SELECT result_json FROM analyses WHERE visit_id = ?", [visit_id]).fetchone()
        if row is None:
            raise InputError(f"no visit with id {visit_id}")
        return json.loads(row[0])

    def sequence(self, visit_id: int):
        """The visit's PoseSequence, or None when none was stored."""
        from scoliscreen.core.sequence import load_sequence

        row = self.conn.execute("SELECT data FROM sequences WHERE visit_id = ?", [visit_id]).fetchone()
        if row is None:  # schema-1 visits kept only the path of a saved sequence
            path = self.conn.execute("SELECT sequence_file FROM recordings WHERE visit_id = ?",
                                     [visit_id]).fetchone()
            if path and path[0] and Path(path[0]).is_file():
                return load_sequence(path[0])
            return None
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"visit{visit_id}.npz"
            path.write_bytes(row[0])
            return load_sequence(path)

    def open_visit(self, visit_id: int, *, with_sequence: bool = True, audit: bool = True) -> dict:
        """Everything about one visit for display or a report: ``visit`` (row), ``patient``
        (row or None), ``analysis`` (dict), ``recording`` (row), ``sequence`` (PoseSequence or
        None), ``notes`` and ``measurements``. Logged as ``viewed`` unless ``audit=False``."""
        visit = self.get_visit(visit_id)
        out = {
            "visit": visit,
            "patient": self.get_patient(visit["patient_id"]) if visit["patient_id"] else None,
            "analysis": self.analysis(visit_id),
            "model_sha256": self.conn.execute("SELECT model_sha256 FROM analyses WHERE visit_id = ?",
                                              [visit_id]).fetchone()[0],
            "recording": (list(self.db["recordings"].rows_where("visit_id = ?", [visit_id])) or [{}])[0],
            "sequence": self.sequence(visit_id) if with_sequence else None,
            "notes": self.notes(visit_id),
            "measurements": self.measurements(visit_id),
        }
        if audit:
            self.log("viewed", "visit", visit_id)
        return out

    def video_path(self, visit_id: int) -> Path | None:
        """The visit's video on disk: the copy in the data dir if there is one, else the
        source path if it still exists; None otherwise."""
        rec = (list(self.db["recordings"].rows_where("visit_id = ?", [visit_id])) or [{}])[0]
        if rec.get("copy_path") and (self.data_dir / rec["copy_path"]).is_file():
            return self.data_dir / rec["copy_path"]
        if rec.get("source_path") and Path(rec["source_path"]).is_file():
            return Path(rec["source_path"])
        return None

    def delete_visit(self, visit_id: int, reason: str = "") -> dict:
        """Hide a visit (kept in the file, marked deleted, audited)."""
        self.get_visit(visit_id)
        with self.transaction():
            self.conn.execute("UPDATE visits SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                              [_now(), visit_id])
            self._audit("deleted", "visit", visit_id, reason)
        return self.get_visit(visit_id)

    # ---- history -----------------------------------------------------------------------
    def trend(self, patient_id: int) -> list[dict]:
        """Rows for a trend plot, oldest first: visit_id, date, age, probability, cobb_estimate,
        cobb_low, cobb_high (None where absent), label, usable."""
        return [history.trend_row(v) for v in self.patient_visits(patient_id)]

    def compare_visits(self, visit_a: int, visit_b: int) -> dict:
        """Two visits side by side: ``a``, ``b`` (visit rows) and ``rows`` of
        {key, label, unit, a, b, diff (b - a)} for the headline numbers, region weights and
        every knowledge-map median."""
        return history.compare(self.get_visit(visit_a), self.analysis(visit_a),
                               self.get_visit(visit_b), self.analysis(visit_b))

    # ---- whole database ----------------------------------------------------------------
    def backup(self, out: str | Path) -> Path:
        from scoliscreen.core.store_io import backup

        path = backup(self, out)
        self.log("exported", "database", None, f"backup to {path}")
        return path

    def export_csv(self, outdir: str | Path) -> list[Path]:
        from scoliscreen.core.store_io import export_csv

        paths = export_csv(self, outdir)
        self.log("exported", "database", None, f"CSV export to {outdir}")
        return paths
