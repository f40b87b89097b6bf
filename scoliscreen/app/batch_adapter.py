"""The only place the batch runner touches the single-file use cases (analyse one file, record a visit).

Written against today's ``core.analyze`` and ``core.store``; once the application layer exists
these two functions become thin calls to ``app.analysis.run_analysis`` and
``app.records.record_visit``. Nothing else in the batch code calls the analysis or the store's
visit methods directly, so that rewiring touches this file only.
"""

from __future__ import annotations

from pathlib import Path


def analyze_path(path: str | Path, screener) -> dict:
    """Analyse one video or pose-sequence file and screen it: the analysis dict as a visit stores
    it (``Analysis.to_dict()``: source, quality, knowledge_map, clinical_text, screening, ...).

    A recording the quality gate refuses is returned (``quality.usable`` False, no screening); a
    screening model that cannot be used leaves ``screening_error``. A file that cannot be read
    raises a ``ScoliScreenError``.
    """
    from scoliscreen.core.analyze import analyze, interpret

    analysis = interpret(analyze(str(path)), "", screener)
    out = analysis.to_dict()
    problem = analysis.extras.get("screening_error")
    if problem:
        out["screening_error"] = problem
    return out


def record(store, analysis_dict: dict, patient_id: int | None, source_path: str | Path,
           *, video_sha256: str | None = None) -> int:
    """Append the visit exactly as a single analysis records it; returns the visit id."""
    visit = store.add_visit(patient_id, str(Path(source_path).resolve()), analysis_dict,
                            video_sha256=video_sha256)
    return int(visit["id"])


def find_patient(store, pseudonym: str) -> dict | None:
    return store.find_patient(pseudonym)


def add_patient(store, pseudonym: str) -> dict:
    return store.add_patient(pseudonym)


def load_screener(model_dir=None, device: str = "auto"):
    """The screening model a worker process keeps for all its files."""
    from scoliscreen.core.model.predict import Screener

    return Screener.load(model_dir, device=device)


def model_version(model_dir=None) -> str:
    """The version of the model a batch would use, read from its card (no torch import)."""
    from scoliscreen.core.model.card import read_card
    from scoliscreen.core.paths import screening_model_dir

    return str(read_card(model_dir or screening_model_dir()).get("model_version", "unknown"))


def stored_analysis(store, visit_id: int) -> dict:
    """The analysis dict a recorded visit holds (for a job whose visit survived a crash)."""
    import json

    return json.loads(store.get_visit(visit_id).get("result_json") or "{}")


# Report hook: the first module here that has ``visit_report_pdf(store, visit_id, path)`` (and
# optionally ``session_report_pdf(store, visit_ids, path)``) writes the batch's PDF reports.
REPORT_MODULES = ("scoliscreen.app.reports", "scoliscreen.core.report")


def report_functions():
    """(visit_report, session_report or None) from the report module, or None when not installed."""
    import importlib

    for name in REPORT_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        visit = getattr(module, "visit_report_pdf", None)
        if callable(visit):
            return visit, getattr(module, "session_report_pdf", None)
    return None
