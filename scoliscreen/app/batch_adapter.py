"""The only place the batch runner touches the single-file use cases: analyse one file
(``app.analysis.run_analysis``) and record a visit (``app.records.record_visit``), exactly as a
single ``scoliscreen analyze`` does. Nothing else in the batch code calls the analysis or the
store's visit methods directly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from scoliscreen.app.batch_plan import as_int

if TYPE_CHECKING:
    from scoliscreen.core.analyze import Analysis
    from scoliscreen.core.model.predict import Screener
    from scoliscreen.core.store import Store

VisitReport = Callable[["Store", int, Path], Path]
"""``core.report.report_visit``: (store, visit id, PDF path) -> the path written."""
SessionReport = Callable[["Store", list[int], Path], Path]
"""``core.report.session_summary``: (store, visit ids, PDF path) -> the path written."""


def analyze_path(path: str | Path, screener: Screener | None, *, subject: str | None = None) -> Analysis:
    """Analyse one video or pose-sequence file and screen it. A recording the quality gate
    refuses is returned (``quality.usable`` False, no screening); a screening model that cannot
    be used leaves ``screening_error``. A file that cannot be read raises a ``ScoliScreenError``.
    ``subject``: whom to follow when several people are in view (``scoliscreen analyze --subject``:
    ``auto``/None, ``#N``, ``X,Y[@FRAME]``)."""
    from scoliscreen.app.analysis import run_analysis

    return run_analysis(str(path), screener=screener, subject=subject)


def record(store: Store, analysis: Analysis, patient_id: int | None, *, video_sha256: str | None = None) -> int:
    """Append the visit exactly as a single analysis records it; returns the visit id."""
    from scoliscreen.app.records import record_visit

    return as_int(record_visit(store, analysis, patient_id=patient_id, video_sha256=video_sha256)["id"])


def find_patient(store: Store, pseudonym: str) -> dict[str, object] | None:
    return store.find_patient(pseudonym)


def add_patient(store: Store, pseudonym: str) -> dict[str, object]:
    return store.add_patient(pseudonym)


def load_screener(model_dir: str | Path | None = None, device: str = "auto") -> Screener:
    """The screening model a worker process keeps for all its files."""
    from scoliscreen.app.models import load_screener as load

    return load(model_dir, device=device)


def model_version(model_dir: str | Path | None = None) -> str:
    """The version of the model a batch would use, as its results will name it (no torch import):
    the weights' sha256 is checked against the card (a ``ModelIntegrityError`` when it differs or
    the file is missing), and only the pinned shipped weights carry the card's version name; any
    other weights are ``local model sha256:...`` (``core/model/provenance.py``). This version is
    part of every job key, so a changed model's results are never reused under the shipped name,
    nor the shipped model's under another."""
    from scoliscreen.core.errors import ModelIntegrityError
    from scoliscreen.core.fileio import sha256_file
    from scoliscreen.core.model.card import WEIGHTS_FILE, read_card
    from scoliscreen.core.model.provenance import decision_digest, model_provenance
    from scoliscreen.core.paths import screening_model_dir

    folder = Path(model_dir or screening_model_dir())
    card = read_card(folder)
    weights = card.get("weights") or {}
    wfile = folder / str(weights.get("file") or WEIGHTS_FILE)
    if not wfile.is_file():
        raise ModelIntegrityError(f"{folder}: the weights file {wfile.name} is missing")
    actual = sha256_file(wfile)
    if actual != weights.get("sha256"):
        raise ModelIntegrityError(f"{wfile}: sha256 does not match the model card (file corrupt or replaced)")
    card_version = card.get("model_version")
    # the card's calibration / threshold / config count too: a recalibrated card is a local model
    prov = model_provenance(actual, None if card_version is None else str(card_version), decision_digest(card))
    return str(prov["model_version"])


def stored_analysis(store: Store, visit_id: int) -> dict[str, object]:
    """The analysis dict a recorded visit holds (for a job whose visit survived a crash)."""
    return dict(store.analysis(visit_id) or {})


def report_functions() -> tuple[VisitReport, SessionReport]:
    """(visit report, session summary): ``core.report``'s writers, as (store, visit_id(s), path)."""
    from scoliscreen.core.report import report_visit, session_summary

    return report_visit, session_summary
