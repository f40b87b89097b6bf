"""One coherent answer (issue 9): every number of a prediction comes from one distribution
over the Cobb angle; the model version hashes the tensors, not the file."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scoliscreen.core.model.outcome import (
    CLASS_COBB_INTERVALS, COBB_THRESHOLDS, N_BINS, SEVERITY_BANDS, bin_index, interval_bins, interval_nll,
    label_bins, outcome, quantiles, survival,
)

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False)


@st.composite
def head_outputs(draw):
    """A location, ordered cut-points (as the network builds them) and a calibration."""
    eta = draw(finite)
    base = draw(st.floats(-10, 10))
    gaps = draw(st.lists(st.floats(1e-4, 5), min_size=len(COBB_THRESHOLDS) - 1, max_size=len(COBB_THRESHOLDS) - 1))
    cuts = base + np.concatenate([[0.0], np.cumsum(gaps)])
    a = draw(st.floats(0.05, 5))
    b = draw(st.floats(-5, 5))
    shift = draw(st.floats(-6, 6))
    return eta - cuts, a, b, shift


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
@settings(max_examples=400, deadline=None)
@given(head_outputs())
def test_every_answer_is_consistent_by_construction(out):
    cum, a, b, shift = out
    oc = outcome(cum, a, b, shift)
    bands = oc.band_probabilities
    assert list(bands) == list(SEVERITY_BANDS)
    assert abs(oc.probability - (1.0 - bands["<10"])) <= 1e-6
    assert abs(sum(bands.values()) - 1.0) <= 1e-9
    assert all(-1e-12 <= p <= 1 + 1e-12 for p in bands.values())
    lo, hi = oc.interval
    assert 0.0 <= lo <= oc.median <= hi <= 70.0
    # the estimate, the band and the probability tell one story
    assert (oc.median >= 10.0) == (oc.probability >= 0.5) or abs(oc.probability - 0.5) < 1e-9
    assert oc.severity_band == SEVERITY_BANDS[int(np.searchsorted([10, 25, 40], oc.median, side="right"))]


@settings(max_examples=100, deadline=None)
@given(head_outputs())
def test_screener_result_dict_keeps_the_identity_after_rounding(out):
    from scoliscreen.core.model.predict import _rounded_bands

    cum, a, b, shift = out
    oc = outcome(cum, a, b, shift)
    p = round(oc.probability, 6)
    bands = _rounded_bands(oc.band_probabilities, p)
    assert abs(p - (1.0 - bands["<10"])) <= 1e-6


def test_quantiles_invert_the_survival_function_at_the_knots():
    s = survival(np.array([3.0, 1.0, 0.0, -0.5, -1.0, -2.0, -3.0, -4.0]))
    med = quantiles(s, (0.5,))[0, 0]
    assert med == pytest.approx(15.0)  # P(Cobb >= 15) = 0.5 exactly
    assert quantiles(s, (1 - s[1],))[0, 0] == pytest.approx(10.0)


def test_labels_as_cobb_bins_and_class_intervals():
    assert list(bin_index([0, 4.9, 5, 9.9, 10, 49, 50, 70])) == [0, 0, 1, 1, 2, 7, 8, 8]
    assert interval_bins(*CLASS_COBB_INTERVALS["positive"]) == (2, N_BINS - 1)
    assert interval_bins(*CLASS_COBB_INTERVALS["negative"]) == (0, 0)
    assert interval_bins(*CLASS_COBB_INTERVALS["neutral"]) == (1, 1)
    assert interval_bins(*CLASS_COBB_INTERVALS["0"]) == (0, 1)
    first, last = label_bins([12.0, math.nan, math.nan], np.array(["x", "positive", "neutral"]))
    assert list(first) == [2, 2, 1] and list(last) == [2, N_BINS - 1, 1]


def test_interval_likelihood_is_the_probability_of_the_interval():
    cum = torch.tensor([[2.0, 0.5, -0.3, -1.0, -1.5, -2.0, -3.0, -4.0]])
    s = torch.sigmoid(cum)[0]
    nll_pos = interval_nll(cum, torch.tensor([2]), torch.tensor([N_BINS - 1]))
    assert float(nll_pos) == pytest.approx(-math.log(float(s[1])), rel=1e-5)  # P(Cobb >= 10)
    nll_bin = interval_nll(cum, torch.tensor([3]), torch.tensor([3]))  # 15 <= Cobb < 20
    assert float(nll_bin) == pytest.approx(-math.log(float(s[2] - s[3])), rel=1e-5)
    # a wider interval is never less likely
    assert float(interval_nll(cum, torch.tensor([1]), torch.tensor([4]))) <= float(nll_bin)


def test_model_version_hashes_the_tensors_not_the_file(tmp_path):
    from safetensors.torch import save

    from scoliscreen.core.model.card import model_version, save_model, weights_digest
    from scoliscreen.core.model.network import ScreeningNet, default_config

    torch.manual_seed(0)
    net = ScreeningNet(default_config(6, [0, 1, 2, 3, 4, 5], [8.0 + 8 * w for w in range(11)], dim=16))
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    a = save(state, metadata={"format": "pt", "model": "m", "note": "x"})
    b = save(dict(reversed(list(state.items()))), metadata={"note": "x", "model": "m", "format": "pt"})
    (tmp_path / "a.safetensors").write_bytes(a)
    (tmp_path / "b.safetensors").write_bytes(b)
    assert weights_digest(tmp_path / "a.safetensors") == weights_digest(tmp_path / "b.safetensors")
    c1 = save_model(net, {}, tmp_path / "one")
    c2 = save_model(net, {"other": "card"}, tmp_path / "two")
    assert c1["model_version"] == c2["model_version"] == model_version(weights_digest(tmp_path / "one" / "model.safetensors"))
    with torch.no_grad():
        next(net.parameters()).add_(1e-3)
    assert save_model(net, {}, tmp_path / "three")["model_version"] != c1["model_version"]
