"""Patients in the records: add, edit, archive (hidden, never deleted), find, list and search.
A mixin of :class:`scoliscreen.core.store.Store` (uses its ``transaction``, ``_insert``,
``_audit`` and ``_rows``)."""

from __future__ import annotations

import re
from datetime import datetime

from scoliscreen.core.errors import InputError
from scoliscreen.core.store_base import StoreBase
from scoliscreen.core.store_history import now as _now

SEXES = ("F", "M", "X")  # X = not recorded / other
_PSEUDONYM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_SHORT_TEXT = 80


def _optional_text(value, name: str, limit: int = _SHORT_TEXT) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    if len(value) > limit:
        raise InputError(f"{name} must be at most {limit} characters")
    return value or None


class PatientsMixin(StoreBase):
    def _patient_fields(self, birth_year=None, sex=None, school=None, school_class=None) -> dict:
        out = {}
        if birth_year is not None:
            year = datetime.now().year
            try:
                birth_year = int(birth_year)
            except (TypeError, ValueError):
                raise InputError(f"birth year must be a year, got {birth_year!r}") from None
            if not (1900 <= birth_year <= year):
                raise InputError(f"birth year must be between 1900 and {year}, got {birth_year}")
            out["birth_year"] = birth_year
        if sex is not None:
            sex = (sex or "X").upper()
            if sex not in SEXES:
                raise InputError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
            out["sex"] = sex
        if school is not None:
            out["school"] = _optional_text(school, "school")
        if school_class is not None:
            out["school_class"] = _optional_text(school_class, "class", 20)
        return out

    @staticmethod
    def _check_pseudonym(pseudonym: str) -> str:
        pseudonym = (pseudonym or "").strip()
        if not _PSEUDONYM.match(pseudonym):
            raise InputError(
                "patient ID must be 1-40 letters, digits, '.', '_' or '-' (a pseudonym, not a name)"
            )
        return pseudonym

    def add_patient(self, pseudonym: str, birth_year: int | None = None, sex: str | None = None,
                    notes: str = "", *, school: str | None = None, school_class: str | None = None) -> dict:
        pseudonym = self._check_pseudonym(pseudonym)
        fields = self._patient_fields(birth_year, sex or "X", school, school_class)
        with self.transaction():
            if self.find_patient(pseudonym):
                raise InputError(f"a patient with ID {pseudonym!r} already exists")
            pid = self._insert("patients", {"pseudonym": pseudonym, "created_at": _now(), "notes": notes,
                                            "birth_year": None, **fields})
            self._audit("created", "patient", pid)
        return self.get_patient(pid)

    def edit_patient(self, patient_id: int, *, pseudonym: str | None = None, birth_year=None, sex=None,
                     school=None, school_class=None, notes: str | None = None) -> dict:
        """Change the given fields (``None`` = leave as is; ``""`` clears school / class)."""
        before = self.get_patient(patient_id)
        fields = self._patient_fields(birth_year, sex, school, school_class)
        if pseudonym is not None:
            fields["pseudonym"] = self._check_pseudonym(pseudonym)
        if notes is not None:
            fields["notes"] = notes
        changed = {k: v for k, v in fields.items() if before.get(k) != v}
        if not changed:
            return before
        with self.transaction():
            other = self.find_patient(changed.get("pseudonym", before["pseudonym"]), include_archived=True)
            if other and other["id"] != patient_id:
                raise InputError(f"a patient with ID {changed['pseudonym']!r} already exists")
            sets = ", ".join(f"[{k}] = ?" for k in changed)
            self.conn.execute(f"UPDATE patients SET {sets}, updated_at = ? WHERE id = ?",
                              [*changed.values(), _now(), patient_id])
            detail = "; ".join(f"{k}: {before.get(k)!r} -> {v!r}" for k, v in changed.items())
            self._audit("edited", "patient", patient_id, detail)
        return self.get_patient(patient_id)

    def archive_patient(self, patient_id: int, archived: bool = True) -> dict:
        """Hide a patient from the default lists (``archived=False`` brings them back). Never deletes."""
        patient = self.get_patient(patient_id)
        if bool(patient["archived_at"]) == archived:
            return patient
        with self.transaction():
            self.conn.execute("UPDATE patients SET archived_at = ?, updated_at = ? WHERE id = ?",
                              [_now() if archived else None, _now(), patient_id])
            self._audit("edited", "patient", patient_id, "archived" if archived else "unarchived")
        return self.get_patient(patient_id)

    def get_patient(self, patient_id: int) -> dict:
        rows = list(self.db["patients"].rows_where("id = ?", [patient_id]))
        if not rows:
            raise InputError(f"no patient with id {patient_id}")
        return rows[0]

    def find_patient(self, pseudonym: str, include_archived: bool = True) -> dict | None:
        where = "pseudonym = ?" + ("" if include_archived else " AND archived_at IS NULL")
        rows = list(self.db["patients"].rows_where(where, [(pseudonym or "").strip()]))
        return rows[0] if rows else None

    def require_patient(self, pseudonym: str) -> dict:
        """The patient with this pseudonymous ID, or a clear error naming how to add one."""
        patient = self.find_patient(pseudonym)
        if patient is None:
            raise InputError(f"no patient with ID {pseudonym!r}; add one with `scoliscreen patients add`")
        return patient

    def list_patients(self, search: str = "", *, include_archived: bool = False) -> list[dict]:
        """Patients by pseudonym; ``search`` matches pseudonym, school or class (case-insensitive,
        substring). Each row also has ``visit_count`` and ``last_visit`` (date of the latest visit)."""
        where = ["1=1"] if include_archived else ["p.archived_at IS NULL"]
        params: list = []
        if search.strip():
            where.append("(p.pseudonym LIKE ? OR IFNULL(p.school, '') LIKE ? OR IFNULL(p.school_class, '') LIKE ?)")
            params += [f"%{search.strip()}%"] * 3
        sql = (
            "SELECT p.*, COUNT(v.id) AS visit_count, MAX(v.visited_at) AS last_visit FROM patients p "
            "LEFT JOIN visits v ON v.patient_id = p.id AND v.deleted_at IS NULL "
            f"WHERE {' AND '.join(where)} GROUP BY p.id ORDER BY p.pseudonym COLLATE NOCASE"
        )
        return [dict(r) for r in self._rows(sql, params)]

