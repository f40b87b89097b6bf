"""The scoliosis signal in simulated data is there but weak (literature: r ~ 0.4-0.6)."""

import numpy as np
import pytest

from scoliscreen.core.sim.signal import correlations, quick_asymmetry, signal_check


def _check_band(res):
    name, r = res["best"]
    assert 0.25 <= abs(r) <= 0.75, f"strongest |r| {r:.3f} ({name}) outside 0.25-0.75"
    # the signal is spread over several asymmetries, none of them alone near 1
    strong = [k for k, v in res["r"].items() if abs(v) >= 0.25]
    assert len(strong) >= 3
    assert max(abs(v) for v in res["r"].values()) < 0.8


@pytest.mark.slow
def test_knowledge_map_asymmetry_summaries_correlate_weakly_with_cobb():
    res = signal_check(subjects=150, seed=1, source="kinematics")
    assert res["source"] == "kinematics"
    _check_band(res)


@pytest.mark.slow
def test_quick_asymmetries_correlate_weakly_with_cobb():
    res = signal_check(subjects=200, seed=2, source="quick")
    _check_band(res)


@pytest.mark.slow
def test_no_signal_against_shuffled_cobb():
    res = signal_check(subjects=200, seed=2, source="quick", keep_rows=True)
    names = res["names"][: len(res["names"]) // 2]
    rows = [dict(zip(names, x[: len(names)])) for x in res["X"]]
    shuffled = correlations(rows, np.random.default_rng(0).permutation(res["cobb"]))
    assert max(abs(v) for v in shuffled.values()) < 0.25


def test_quick_asymmetry_is_view_independent_for_the_same_body():
    """The same subject filmed from the front and the back gives the same signed asymmetry."""
    from scoliscreen.core.sim import sample_subject, simulate_clip

    subject = sample_subject(np.random.default_rng(5), cobb_angle=45.0)
    subject.asym["trunk_shift_m"] = -0.05  # clearly towards the subject's right
    front = quick_asymmetry(simulate_clip(subject, 1, view="front"))
    back = quick_asymmetry(simulate_clip(subject, 2, view="back"))
    assert front["trunk_lateral_shift"] > 0.03 and back["trunk_lateral_shift"] > 0.03
