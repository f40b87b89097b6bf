"""Recording a visit: the one place an Analysis enters the records (CLI and GUI call it)."""

from __future__ import annotations

from pathlib import Path

from scoliscreen.core.analyze import Analysis
from scoliscreen.core.store import Store


def visit_video(analysis: Analysis) -> str:
    """What a visit names as its video: the absolute path of a file, or "camera N"."""
    src = analysis.source
    if src.kind in ("video", "sequence"):
        return str(Path(src.description).resolve())
    return src.description


def record_visit(store: Store, analysis: Analysis, *, patient_id: int | None = None, notes: str = "",
                 sequence_file: str | Path | None = None, video_sha256: str | None = None) -> dict[str, object]:
    """Append ``analysis`` (its ``to_dict()`` form) and the pose sequence the pose model returned
    (reports redraw the skeleton and the map from it) as one visit; returns the visit row.
    ``video_sha256``: the file's hash when the caller has it already (the batch), else computed."""
    row: dict[str, object] = store.add_visit(
        patient_id, visit_video(analysis), analysis.to_dict(), notes=notes,
        sequence_file=str(sequence_file) if sequence_file else None, video_sha256=video_sha256,
        sequence=analysis.raw_sequence if analysis.raw_sequence is not None else analysis.sequence)
    return row
