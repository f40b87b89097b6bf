"""The three outcomes (positive / negative / re-record) and their reasons (decision.py)."""

from __future__ import annotations

import numpy as np
import pytest

from scoliscreen.core.model.decision import Decision, clip_medians, fit_ood, ood_scores, plain_rule
from scoliscreen.core.model.outcome import logit, prevalence_shift


def _decision(**kw):
    rng = np.random.default_rng(0)
    km = rng.normal(0, 1, (300, 11, 5))
    base = dict(a=1.0, b=0.0, train_prevalence=0.4, prevalence=0.03, threshold_logit=logit(0.3),
                ood=fit_ood(km), margin=0.25, min_good_fraction=0.5)
    base.update(kw)
    return Decision(**base), km


def test_a_clean_clip_gets_a_verdict_and_the_label_follows_the_threshold():
    d, km = _decision()
    assert d.reasons(logit(0.9), "back", np.ones(32, bool), d.ood_score(km[0])) == []
    assert d.label(logit(0.9), []) == "positive"
    assert d.label(logit(0.05), []) == "negative"


@pytest.mark.parametrize("view", ["side", "unknown"])
def test_a_view_without_validated_performance_is_re_recorded(view):
    d, km = _decision()
    rs = d.reasons(logit(0.9), view, np.ones(32, bool), d.ood_score(km[0]))
    assert [r["code"] for r in rs] == ["view"]
    assert d.label(logit(0.9), rs) == "re-record"


def test_too_few_good_frames_near_threshold_and_out_of_distribution():
    d, km = _decision()
    few = np.arange(32) < 10  # 10 of 32 model frames show the trunk
    assert [r["code"] for r in d.reasons(logit(0.9), "front", few, 0.0)] == ["few_good_frames"]
    assert [r["code"] for r in d.reasons(logit(0.3) + 0.1, "front", np.ones(32, bool), 0.0)] == ["near_threshold"]
    far = km[0] + 25.0  # every feature far outside the training spread
    assert [r["code"] for r in d.reasons(logit(0.9), "front", np.ones(32, bool), d.ood_score(far))] == ["out_of_distribution"]
    # about 1 % of training clips score above the threshold (the 99th percentile)
    s = ood_scores(clip_medians(km), d.ood["centre"], d.ood["scale"])
    assert 0.005 <= (s > d.ood["threshold"]).mean() <= 0.02


def test_prevalence_shifts_the_shown_probability_not_the_label():
    d, _ = _decision()
    school = d.threshold
    clinic = Decision(**{**d.__dict__, "prevalence": 0.4}).threshold
    assert clinic == pytest.approx(0.3) and school < 0.05
    assert prevalence_shift(0.4, 0.03) == pytest.approx(logit(0.03) - logit(0.4))
    assert "refer when the estimated chance" in plain_rule(d) and "3 %" in plain_rule(d)


def test_an_older_card_keeps_its_binary_behaviour():
    d = Decision.from_card({"calibration": {"a": 1.0, "b": 0.0}, "operating_point": {"threshold": 0.2}})
    assert d.threshold == pytest.approx(0.2) and d.shift == 0.0
    assert d.reasons(logit(0.21), "side", np.zeros(32, bool), 99.0) == []  # no re-record rule in that card
