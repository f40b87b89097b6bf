"""Notes and measurements tied to a visit. A mixin of :class:`scoliscreen.core.store.Store`
(uses its ``transaction``, ``_insert``, ``_audit``, ``_one`` and ``get_visit``)."""

from __future__ import annotations

import json
import math

from scoliscreen.core import store_history as history
from scoliscreen.core.errors import InputError
from scoliscreen.core.store_base import StoreBase
from scoliscreen.core.store_history import now as _now

# measurement kind -> unit of its value
MEASUREMENT_KINDS = {"line": "deg", "angle": "deg", "distance": "px"}


class AnnotationsMixin(StoreBase):
    def add_note(self, visit_id: int, text: str) -> dict:
        self.get_visit(visit_id)
        if not (text or "").strip():
            raise InputError("a note cannot be empty")
        with self.transaction():
            nid = self._insert("notes", {"visit_id": visit_id, "kind": "note", "text": text.strip(),
                                         "author": self.user, "created_at": _now()})
            self._audit("created", "note", nid, f"visit {visit_id}")
        return self._one("notes", nid)

    def edit_note(self, note_id: int, text: str) -> dict:
        before = self._one("notes", note_id)
        if not (text or "").strip():
            raise InputError("a note cannot be empty")
        with self.transaction():
            self.conn.execute("UPDATE notes SET text = ?, updated_at = ? WHERE id = ?", [text.strip(), _now(), note_id])
            self._audit("edited", "note", note_id, f"was: {before['text']}")
        return self._one("notes", note_id)

    def notes(self, visit_id: int) -> list[dict]:
        return list(self.db["notes"].rows_where("visit_id = ?", [visit_id], order_by="id"))

    def _measurement_row(self, visit_id: int, kind: str, points, value: float | None = None,
                         frame_index: int | None = None, label: str = "", unit: str | None = None) -> dict:
        if kind not in MEASUREMENT_KINDS:
            raise InputError(f"measurement kind must be one of {', '.join(MEASUREMENT_KINDS)}, got {kind!r}")
        pts = [[float(x), float(y)] for x, y in points]
        need = 3 if kind == "angle" else 2
        if len(pts) != need:
            raise InputError(f"a {kind} measurement needs {need} points, got {len(pts)}")
        if value is None:
            value = history.measure(kind, pts)
        if not math.isfinite(float(value)):
            raise InputError(f"the {kind} measurement has no value (points coincide)")
        return {"visit_id": visit_id, "kind": kind, "points_json": json.dumps(pts), "value": float(value),
                "unit": unit or MEASUREMENT_KINDS[kind], "frame_index": frame_index, "label": label,
                "author": self.user, "created_at": _now()}

    def add_measurement(self, visit_id: int, kind: str, points, value: float | None = None, *,
                        frame_index: int | None = None, label: str = "", unit: str | None = None) -> dict:
        """A line (2 points; value = tilt from horizontal, deg) or an angle (3 points, vertex in
        the middle; deg) drawn on a frame. Points in video pixels; ``value`` computed if None."""
        self.get_visit(visit_id)
        row = self._measurement_row(visit_id, kind, points, value, frame_index, label, unit)
        with self.transaction():
            mid = self._insert("measurements", row)
            self._audit("created", "measurement", mid, f"visit {visit_id}")
        out = self._one("measurements", mid)
        out["points"] = json.loads(out["points_json"])
        return out

    def delete_measurement(self, measurement_id: int) -> dict:
        """Remove a measurement drawn by mistake (a line or an angle, not a result); the audit row
        keeps what it was. Returns the removed row."""
        row = self._one("measurements", measurement_id)
        with self.transaction():
            self.conn.execute("DELETE FROM measurements WHERE id = ?", [measurement_id])
            self._audit("deleted", "measurement", measurement_id,
                        f"visit {row['visit_id']}: {row['kind']} {row['points_json']} = {row['value']}")
        return row

    def measurements(self, visit_id: int) -> list[dict]:
        rows = list(self.db["measurements"].rows_where("visit_id = ?", [visit_id], order_by="id"))
        for r in rows:
            r["points"] = json.loads(r["points_json"])
        return rows

    def _one(self, table: str, row_id: int) -> dict:
        rows = list(self.db[table].rows_where("id = ?", [row_id]))
        if not rows:
            raise InputError(f"no {table[:-1]} with id {row_id}")
        return rows[0]

