"""PDF reports (fpdf2; Qt-free): one visit (``report_visit``) and a session summary
(``session_summary`` / ``write_session_summary``). Every page carries the research-use
disclaimer and the model version in its footer."""

from __future__ import annotations

from pathlib import Path

from scoliscreen.core.report.summary import session_summary, write_session_summary
from scoliscreen.core.report.visit import VERDICT_WORDS, key_frame_index, verdict, write_visit_report

__all__ = ["report_visit", "write_visit_report", "session_summary", "write_session_summary", "verdict",
           "VERDICT_WORDS", "key_frame_index"]


def report_visit(store, visit_id: int, out: str | Path, *, blur_faces: bool = True) -> Path:
    """Write the PDF report of a stored visit to ``out``; logged as ``exported``. A stored
    record that does not hold what this version wrote (edited ``result_json``, an unknown sex
    code) is refused with one line, naming the visit."""
    from scoliscreen.core.errors import InputError
    from scoliscreen.core.fileio import check_target

    check_target(out)  # a link, a device or a folder is refused before any work
    try:
        data = store.open_visit(visit_id, audit=False)
        path = write_visit_report(data, out, video=store.video_path(visit_id), blur_faces=blur_faces)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise InputError(f"visit {visit_id}: the stored record is damaged or was edited outside the app "
                         f"({type(exc).__name__}: {str(exc)[:80]}); no report written") from None
    store.log("exported", "visit", visit_id, f"PDF report {path}" + ("" if blur_faces else " (faces not blurred)"))
    return path
