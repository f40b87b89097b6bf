"""Reading a stored visit back for display: the record keeps each feature's clip median, not
the per-window map, so the map the window showed is rebuilt from the stored pose sequence
exactly as the analysis built it (same quality gate, same model segment, same windows)."""

from __future__ import annotations

from scoliscreen.app.analysis import interpret
from scoliscreen.core.analyze import Analysis
from scoliscreen.core.quality import assess_quality
from scoliscreen.core.sequence import PoseSequence
from scoliscreen.core.serialize import Stored


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
