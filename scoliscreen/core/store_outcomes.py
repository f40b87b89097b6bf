"""What a screened visit turned out to be: outcomes from a radiograph, a scoliometer, an Adams
forward-bend test or a clinical judgement. A mixin of :class:`scoliscreen.core.store.Store`.

Several outcomes per visit are kept. The one that counts (:func:`best_outcome`) is the most
trusted source (radiograph > scoliometer > Adams > clinical), the latest of that source. Its
truth for the screen (Cobb >= 10°) is the Cobb angle where one is given, else its class
("positive" = scoliosis; "neutral" and "negative" = no curve of 10° or more). Removing an
outcome only marks it (``removed_at``); every change is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import math

from scoliscreen.core.constants import POSITIVE_COBB
from scoliscreen.core.errors import InputError
from scoliscreen.core.store_base import StoreBase
from scoliscreen.core.store_history import now as _now

OUTCOME_SOURCES = ("radiograph", "scoliometer", "adams", "clinical")
"""Most trusted first: a radiograph outweighs a scoliometer, which outweighs an Adams test."""
OUTCOME_CLASSES = ("negative", "neutral", "positive")


def outcome_truth(outcome: dict) -> bool | None:
    """Cobb >= 10° for an outcome row: from its Cobb angle, else its class."""
    cobb = outcome.get("cobb")
    if cobb is not None:
        return float(cobb) >= POSITIVE_COBB
    cls = outcome.get("class")
    return None if cls is None else cls == "positive"


def best_outcome(outcomes: list[dict]) -> dict | None:
    """The outcome that counts for a visit: the most trusted source, then the latest."""
    live = [o for o in outcomes if not o.get("removed_at")]
    if not live:
        return None
    rank = {s: i for i, s in enumerate(OUTCOME_SOURCES)}
    return min(live, key=lambda o: (rank.get(o["source"], len(rank)),
                                    _neg_time(o.get("observed_on") or o["created_at"]), -int(o["id"])))


def _neg_time(stamp: str) -> float:
    try:
        return -dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(tzinfo=None).timestamp()
    except ValueError:
        return 0.0


def _date(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise InputError(f"--date must be YYYY-MM-DD, got {text!r}") from None


class OutcomesMixin(StoreBase):
    def add_outcome(self, visit_id: int, source: str, *, cobb: float | None = None, klass: str | None = None,
                    atr: float | None = None, observed_on: str | None = None, note: str = "") -> dict:
        """Record what a visit turned out to be. Exactly one of ``cobb`` (degrees, 0-120) and
        ``klass`` (negative / neutral / positive); ``atr``: the scoliometer's angle of trunk
        rotation (degrees, 0-30), optional."""
        visit = self.get_visit(visit_id)
        if visit.get("deleted_at"):
            raise InputError(f"visit {visit_id} is deleted")
        if source not in OUTCOME_SOURCES:
            raise InputError(f"outcome source must be one of {', '.join(OUTCOME_SOURCES)}, got {source!r}")
        if (cobb is None) == (klass is None):
            raise InputError("give either a Cobb angle (--cobb) or a class (--class), not both or neither")
        if cobb is not None and not (math.isfinite(cobb) and 0.0 <= cobb <= 120.0):
            raise InputError(f"a Cobb angle must be between 0 and 120 degrees, got {cobb}")
        if klass is not None and klass not in OUTCOME_CLASSES:
            raise InputError(f"class must be one of {', '.join(OUTCOME_CLASSES)}, got {klass!r}")
        if atr is not None and not (math.isfinite(atr) and 0.0 <= atr <= 30.0):
            raise InputError(f"an angle of trunk rotation must be between 0 and 30 degrees, got {atr}")
        row = {"visit_id": visit_id, "source": source, "cobb": None if cobb is None else float(cobb),
               "class": klass, "atr": None if atr is None else float(atr), "observed_on": _date(observed_on),
               "note": note or "", "author": self.user, "created_at": _now(), "removed_at": None}
        with self.transaction():
            oid = self._insert("outcomes", row)
            what = f"{source}: " + (f"Cobb {cobb:g}°" if cobb is not None else f"class {klass}")
            self._audit("created", "outcome", oid, f"visit {visit_id}, {what}")
        return self.get_outcome(oid)

    def get_outcome(self, outcome_id: int) -> dict:
        rows = self._rows("SELECT * FROM outcomes WHERE id = ?", [outcome_id])
        if not rows:
            raise InputError(f"no outcome {outcome_id}")
        return rows[0]

    def remove_outcome(self, outcome_id: int, reason: str = "") -> dict:
        """Mark an outcome removed (kept, hidden from validation); audited."""
        row = self.get_outcome(outcome_id)
        if row.get("removed_at"):
            raise InputError(f"outcome {outcome_id} is already removed")
        with self.transaction():
            self.conn.execute("UPDATE outcomes SET removed_at = ? WHERE id = ?", [_now(), outcome_id])
            self._audit("deleted", "outcome", outcome_id, f"visit {row['visit_id']}" + (f": {reason}" if reason else ""))
        return self.get_outcome(outcome_id)

    def outcomes(self, *, visit_id: int | None = None, patient_id: int | None = None,
                 include_removed: bool = False) -> list[dict]:
        """Outcome rows (with the visit's patient_id and pseudonym), oldest first."""
        sql = ("SELECT o.*, v.patient_id, p.pseudonym FROM outcomes o JOIN visits v ON v.id = o.visit_id "
               "LEFT JOIN patients p ON p.id = v.patient_id WHERE 1 = 1")
        params: list[object] = []
        if visit_id is not None:
            sql += " AND o.visit_id = ?"
            params.append(visit_id)
        if patient_id is not None:
            sql += " AND v.patient_id = ?"
            params.append(patient_id)
        if not include_removed:
            sql += " AND o.removed_at IS NULL"
        return self._rows(sql + " ORDER BY o.id", params)


__all__ = ["OUTCOME_CLASSES", "OUTCOME_SOURCES", "OutcomesMixin", "best_outcome", "outcome_truth"]
