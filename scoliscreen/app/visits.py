"""Reading a stored visit back for display: the record keeps each feature's clip median, not
the per-window map, so the map the window showed is rebuilt from the stored pose sequence
exactly as the analysis built it (same quality gate, same model segment, same windows)."""

from __future__ import annotations

from scoliscreen.app.analysis import interpret
from scoliscreen.core.analyze import Analysis
from scoliscreen.core.quality import assess_quality
from scoliscreen.core.sequence import PoseSequence
from scoliscreen.core.serialize import Stored
from scoliscreen.core.store import Store


def restore_analysis(stored: Stored, raw_sequence: PoseSequence | None) -> Analysis:
    """``Analysis.from_dict(stored)`` with the gated pose sequence (skeleton overlay) and the
    per-window knowledge map recomputed from ``raw_sequence`` (the visit's stored pose
    sequence); the stored clinical text and screening are kept as they were."""
    analysis = Analysis.from_dict(stored)
    if raw_sequence is None or len(raw_sequence) == 0:
        return analysis
    quality = assess_quality(raw_sequence)
    seq = quality.sequence if quality.sequence is not None else raw_sequence
    analysis = analysis.replace(sequence=seq, raw_sequence=raw_sequence)
    if analysis.knowledge_map is None or not quality.usable:
        return analysis
    rebuilt = interpret(analysis.replace(quality=quality))
    if rebuilt.knowledge_map is None:
        return analysis
    return analysis.replace(knowledge_map=rebuilt.knowledge_map)


def visit_note(notes: list[dict[str, object]]) -> tuple[int | None, str]:
    """The note a stored visit shows and edits, from ``Store.notes(visit_id)`` rows: the latest
    clinician note (kind "note") when there is one, else the notes given with the analysis.
    Returns (id of the note an edit updates, or None when an edit adds one; its text)."""
    edited = [n for n in notes if n.get("kind") == "note"]
    if edited:
        last = edited[-1]
        return int(str(last["id"])), str(last.get("text") or "")
    given = [str(n.get("text") or "") for n in notes if n.get("kind") == "analysis"]
    return None, "\n".join(t for t in given if t)


def save_visit_note(store: Store, visit_id: int, text: str) -> dict[str, object] | None:
    """Update the note of stored visit ``visit_id`` (and only that visit: never a new visit, never
    another child's): edits its latest clinician note, or adds one. None when nothing changed."""
    note_id, current = visit_note(store.notes(visit_id))
    text = (text or "").strip()
    if text == current.strip():
        return None
    row: dict[str, object] = store.edit_note(note_id, text) if note_id is not None else store.add_note(visit_id, text)
    return row
