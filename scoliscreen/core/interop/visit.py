"""What an export may carry of a stored visit: a pseudonymised, frozen view of ``Store.open_visit``.

Only the pseudonym, the birth year and the sex of the patient get here: no school, class,
notes, video path or file name, so no exporter can leak them (``tests/test_interop_privacy.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from scoliscreen.core.sequence import PoseSequence


@dataclass(frozen=True)
class VisitExport:
    visit_id: int
    pseudonym: str
    birth_year: int | None
    sex: str | None  # "F", "M" or None as stored
    visited_at: str  # ISO date-time (UTC)
    analysis: Mapping[str, object]  # Analysis.to_dict() as stored (no file names are read from it)
    model_sha256: str | None
    sequence: PoseSequence | None
    outcomes: tuple[Mapping[str, object], ...] = ()  # recorded clinical outcomes, where the store has them
    pdf: Callable[[], bytes] | None = field(default=None, compare=False)  # the PDF report, made on demand

    @property
    def screening(self) -> Mapping[str, object]:
        s = self.analysis.get("screening")
        return s if isinstance(s, Mapping) else {}

    @property
    def visit_date(self) -> str:
        return self.visited_at[:10]

    def number(self, key: str) -> float | None:
        return _num(self.screening.get(key))


def _num(v: object) -> float | None:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def from_open_visit(data: Mapping[str, object], *, outcomes: tuple[Mapping[str, object], ...] = (),
                    pdf: Callable[[], bytes] | None = None) -> VisitExport:
    """A :class:`VisitExport` from ``Store.open_visit()``'s dict."""
    visit = data["visit"]
    patient = data.get("patient") or {}
    assert isinstance(visit, Mapping) and isinstance(patient, Mapping)
    by = patient.get("birth_year")
    seq = data.get("sequence")
    analysis = data.get("analysis") or {}
    assert isinstance(analysis, Mapping)
    return VisitExport(
        visit_id=int(visit["id"]),
        pseudonym=str(patient.get("pseudonym") or f"visit-{visit['id']}"),
        birth_year=int(str(by)) if by not in (None, "") else None,
        sex=str(patient["sex"]) if patient.get("sex") else None,
        visited_at=str(visit.get("visited_at") or visit.get("created_at") or ""),
        analysis=analysis,
        model_sha256=str(data["model_sha256"]) if data.get("model_sha256") else None,
        sequence=seq if isinstance(seq, PoseSequence) else None,
        outcomes=outcomes,
        pdf=pdf,
    )
