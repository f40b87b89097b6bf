"""Issue 25 §2: one pass over the walk. An analysis builds the walk's windows once, computes the
knowledge map and the clinical text once, and embeds each distinct text once; the model reads
those very inputs (no second computation inside the screening step)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SIDE = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"


def _count(monkeypatch, module, name, counts):
    real = getattr(module, name)

    def wrapper(*a, **k):
        counts[name] = counts.get(name, 0) + 1
        return real(*a, **k)

    monkeypatch.setattr(module, name, wrapper)


def test_an_analysis_builds_the_walk_windows_once(monkeypatch):
    import scoliscreen.app.analysis as app_analysis
    import scoliscreen.core.kinematics as kin
    import scoliscreen.core.model.pooling as pooling
    from scoliscreen.app.analysis import run_analysis
    from scoliscreen.app.models import shared_screener
    from scoliscreen.core.model.text_encoder import TextEncoder

    screener = shared_screener("cpu")
    counts: dict[str, int] = {}
    _count(monkeypatch, app_analysis, "walk_windows", counts)
    _count(monkeypatch, pooling, "walk_windows", counts)  # any other caller (Screener.predict without inputs)
    _count(monkeypatch, pooling, "walk_inputs", counts)
    _count(monkeypatch, kin, "compute_knowledge_map", counts)
    _count(monkeypatch, kin, "clinical_text", counts)
    encoded: list[str] = []
    real_encode = TextEncoder.encode

    def encode(self, texts):
        encoded.extend(t for t in texts if t not in self._cache)
        return real_encode(self, texts)

    monkeypatch.setattr(TextEncoder, "encode", encode)
    analysis = run_analysis(SIDE, screener=screener)
    s = analysis.screening
    assert analysis.quality.usable and s is not None and len(s.windows_s) >= 2  # several windows pooled
    # the text: once for the clip, once for its mirror image (whose map is the clip's map permuted,
    # pooling.mirror_knowledge_map, not computed again)
    assert counts == {"walk_windows": 1, "compute_knowledge_map": 1, "clinical_text": 2}, counts
    assert len(encoded) == len(set(encoded)) <= 2  # the span's text and its mirror, each embedded once
    # the model read the text the clinician sees
    assert s.extras["text"] == analysis.clinical_text.text


@pytest.mark.parametrize("name", ["walk_windows", "compute_knowledge_map"])
def test_the_counter_sees_a_second_pass(monkeypatch, name):
    """The counting itself works: screening without prepared inputs builds them again."""
    import scoliscreen.core.kinematics as kin
    import scoliscreen.core.model.pooling as pooling
    from scoliscreen.app.models import shared_screener
    from scoliscreen.core.sequence import load_sequence

    counts: dict[str, int] = {}
    _count(monkeypatch, pooling if name == "walk_windows" else kin, name, counts)
    shared_screener("cpu").predict(load_sequence(SIDE), explain=False)
    assert counts.get(name, 0) == 1
