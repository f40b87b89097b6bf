"""The only place the batch runner touches the single-file use cases: analyse one file
(``app.analysis.run_analysis``) and record a visit (``app.records.record_visit``), exactly as a
single ``scoliscreen analyze`` does. Nothing else in the batch code calls the analysis or the
store's visit methods directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scoliscreen.core.analyze import Analysis


def analyze_path(path: str | Path, screener) -> Analysis:
    """Analyse one video or pose-sequence file and screen it. A recording the quality gate
    refuses is returned (``quality.usable`` False, no screening); a screening model that cannot
    be used leaves ``screening_error``. A file that cannot be read raises a ``ScoliScreenError``."""
    from scoliscreen.app.analysis import run_analysis

    return run_analysis(str(path), screener=screener)


def record(store, analysis: Analysis, patient_id: int | None, *, video_sha256: str | None = None) -> int:
    """Append the visit exactly as a single analysis records it; returns the visit id."""
    from scoliscreen.app.records import record_visit

    return int(record_visit(store, analysis, patient_id=patient_id, video_sha256=video_sha256)["id"])


def find_patient(store, pseudonym: str) -> dict | None:
    return store.find_patient(pseudonym)


def add_patient(store, pseudonym: str) -> dict:
    return store.add_patient(pseudonym)


def load_screener(model_dir=None, device: str = "auto"):
    """The screening model a worker process keeps for all its files."""
    from scoliscreen.app.models import load_screener as load

    return load(model_dir, device=device)


def model_version(model_dir=None) -> str:
    """The version of the model a batch would use, read from its card (no torch import)."""
    from scoliscreen.core.model.card import read_card
    from scoliscreen.core.paths import screening_model_dir

    return str(read_card(model_dir or screening_model_dir()).get("model_version", "unknown"))


def stored_analysis(store, visit_id: int) -> dict:
    """The analysis dict a recorded visit holds (for a job whose visit survived a crash)."""
    return dict(store.analysis(visit_id) or {})


def report_functions():
    """(visit report, session summary): ``core.report``'s writers, as (store, visit_id(s), path)."""
    from scoliscreen.core.report import report_visit, session_summary

    return report_visit, session_summary
