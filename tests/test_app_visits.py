"""A stored visit read back for display shows the map the analysis showed (rebuilt from the
stored pose sequence: the record keeps clip medians only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

POSES = Path(__file__).resolve().parent / "data" / "poses" / "sports2d_side_walk_single.npz"


def test_restored_visit_has_the_analysis_map_and_sequence():
    from scoliscreen.app.analysis import interpret
    from scoliscreen.app.visits import restore_analysis
    from scoliscreen.core.analyze import Analysis, analyze

    shown = interpret(analyze(POSES))
    stored = shown.to_dict()
    medians_only = Analysis.from_dict(stored).knowledge_map.values  # what the record alone gives
    assert not np.allclose(np.nan_to_num(medians_only), np.nan_to_num(shown.knowledge_map.values))
    back = restore_analysis(stored, shown.raw_sequence)
    np.testing.assert_allclose(back.knowledge_map.values, shown.knowledge_map.values, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(back.knowledge_map.window_times_s, shown.knowledge_map.window_times_s)
    np.testing.assert_array_equal(back.sequence.timestamps_ms, shown.sequence.timestamps_ms)
    assert back.clinical_text == Analysis.from_dict(stored).clinical_text  # the text the model read, as stored
    assert restore_analysis(stored, None).sequence is None
