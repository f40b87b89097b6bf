"""Patient records and visit history in SQLite (sqlite-utils), in the user data dir.

Schema (``PRAGMA user_version`` = SCHEMA_VERSION; migrations only ever add):

* ``patients``: id, pseudonym (unique, no real names), birth_year, sex, created_at, notes
* ``visits``: id, patient_id (NULL = anonymous / quick analysis), created_at, video, video_sha256,
  sequence_file, usable, quality_verdict, probability, label, cobb_estimate, severity_band,
  model_version, notes, result_json (the whole analysis as JSON, for reports and re-display)

Nothing is ever deleted or overwritten by the app: a visit is appended; a correction is a
new visit. Writes are transactions; the database runs in WAL mode so a crash mid-write
never corrupts earlier visits.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from scoliscreen.core.errors import InputError, ScoliScreenError


def _make_private(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` if it exists and is looser (patient data: owner only)."""
    try:
        if path.exists() and (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except OSError:
        pass  # a read-only or foreign file system: the store still opens

SCHEMA_VERSION = 1
DB_NAME = "scoliscreen.sqlite3"
SEXES = ("F", "M", "X")  # X = not recorded / other
_PSEUDONYM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """The practice's local records. Open with :meth:`open`; use as a context manager."""

    def __init__(self, db, path: Path | None):
        self.db = db
        self.path = path

    # ---- lifecycle ---------------------------------------------------------------------
    @staticmethod
    def default_path() -> Path:
        from scoliscreen.core.paths import user_data_dir

        return user_data_dir() / DB_NAME

    @classmethod
    def open(cls, path: str | Path | None = None) -> "Store":
        import sqlite3

        import sqlite_utils

        path = Path(path) if path is not None else cls.default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        from scoliscreen.core.paths import user_data_dir

        if path.parent == user_data_dir():
            _make_private(path.parent, 0o700)  # patient data: owner only (docs/privacy.md)
        try:
            db = sqlite_utils.Database(path)
            _make_private(path, 0o600)  # SQLite gives its -wal and -shm files the database's mode
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

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ScoliScreenError(
                f"{self.path}: made by a newer ScoliScreen (schema {version}); update the app"
            )
        if version < 1:
            with self.db.conn:
                self.db["patients"].create(
                    {"id": int, "pseudonym": str, "birth_year": int, "sex": str,
                     "created_at": str, "notes": str},
                    pk="id", not_null={"pseudonym", "created_at"}, if_not_exists=True,
                )
                self.db["patients"].create_index(["pseudonym"], unique=True, if_not_exists=True)
                self.db["visits"].create(
                    {"id": int, "patient_id": int, "created_at": str, "video": str,
                     "video_sha256": str, "sequence_file": str, "usable": int,
                     "quality_verdict": str, "probability": float, "label": str,
                     "cobb_estimate": float, "severity_band": str, "model_version": str,
                     "notes": str, "result_json": str},
                    pk="id", foreign_keys=[("patient_id", "patients", "id")],
                    not_null={"created_at"}, if_not_exists=True,
                )
                self.db["visits"].create_index(["patient_id"], if_not_exists=True)
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # ---- patients ----------------------------------------------------------------------
    def add_patient(self, pseudonym: str, birth_year: int | None = None, sex: str | None = None,
                    notes: str = "") -> dict:
        pseudonym = (pseudonym or "").strip()
        if not _PSEUDONYM.match(pseudonym):
            raise InputError(
                "patient ID must be 1-40 letters, digits, '.', '_' or '-' (a pseudonym, not a name)"
            )
        if birth_year is not None:
            year = datetime.now().year
            if not (1900 <= int(birth_year) <= year):
                raise InputError(f"birth year must be between 1900 and {year}, got {birth_year}")
            birth_year = int(birth_year)
        sex = (sex or "X").upper()
        if sex not in SEXES:
            raise InputError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
        if self.find_patient(pseudonym):
            raise InputError(f"a patient with ID {pseudonym!r} already exists")
        with self.db.conn:
            table = self.db["patients"].insert(
                {"pseudonym": pseudonym, "birth_year": birth_year, "sex": sex,
                 "created_at": _now(), "notes": notes}
            )
        return self.get_patient(table.last_pk)

    def get_patient(self, patient_id: int) -> dict:
        rows = list(self.db["patients"].rows_where("id = ?", [patient_id]))
        if not rows:
            raise InputError(f"no patient with id {patient_id}")
        return rows[0]

    def find_patient(self, pseudonym: str) -> dict | None:
        rows = list(self.db["patients"].rows_where("pseudonym = ?", [pseudonym.strip()]))
        return rows[0] if rows else None

    def require_patient(self, pseudonym: str) -> dict:
        """The patient with this pseudonymous ID, or a clear error naming how to add one."""
        patient = self.find_patient(pseudonym)
        if patient is None:
            raise InputError(f"no patient with ID {pseudonym!r}; add one with `scoliscreen patients add`")
        return patient

    def list_patients(self) -> list[dict]:
        return list(self.db["patients"].rows_where(order_by="pseudonym"))

    # ---- visits ------------------------------------------------------------------------
    def add_visit(self, patient_id: int | None, video: str | None, analysis: dict,
                  notes: str = "", video_sha256: str | None = None,
                  sequence_file: str | None = None) -> dict:
        """Append one analysis. ``analysis`` is the JSON-able dict of an Analysis
        (keys used if present: ``quality`` {usable, verdict}, ``screening`` {probability, label,
        cobb_estimate, severity_band, model_version})."""
        if patient_id is not None:
            self.get_patient(patient_id)
        quality = analysis.get("quality") or {}
        screening = analysis.get("screening") or {}
        record = {
            "patient_id": patient_id, "created_at": _now(), "video": video,
            "video_sha256": video_sha256, "sequence_file": sequence_file,
            "usable": None if "usable" not in quality else int(bool(quality["usable"])),
            "quality_verdict": quality.get("verdict"),
            "probability": screening.get("probability"), "label": screening.get("label"),
            "cobb_estimate": screening.get("cobb_estimate"),
            "severity_band": screening.get("severity_band"),
            "model_version": screening.get("model_version"), "notes": notes,
            "result_json": json.dumps(analysis, default=str),
        }
        with self.db.conn:
            table = self.db["visits"].insert(record)
        return self.get_visit(table.last_pk)

    def get_visit(self, visit_id: int) -> dict:
        rows = list(self.db["visits"].rows_where("id = ?", [visit_id]))
        if not rows:
            raise InputError(f"no visit with id {visit_id}")
        return rows[0]

    def visits(self, patient_id: int | None = None) -> list[dict]:
        if patient_id is None:
            return list(self.db["visits"].rows_where(order_by="id"))
        return list(self.db["visits"].rows_where("patient_id = ?", [patient_id], order_by="id"))
