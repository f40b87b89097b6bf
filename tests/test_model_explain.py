"""Per-region weights are faithful: masking the top-weighted region changes the output more
than masking the lowest-weighted one, on average over held-out simulated clips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scoliscreen.core.landmarks import REGION_IDS

torch.set_num_threads(2)
pytestmark = pytest.mark.slow  # simulates and screens 16 held-out clips


@pytest.fixture(scope="module")
def heldout(tmp_path_factory):
    """Fresh simulated clips (a seed the shipped weights never saw)."""
    from scoliscreen.core.model.pipeline import _load
    from scoliscreen.core.sim import simulate_dataset

    out = tmp_path_factory.mktemp("heldout")
    simulate_dataset(out, subjects=16, clips_per_subject=1, seed=98765, workers=1)
    ds = _load(out)
    return [(ds.sequence(r), r) for r in ds.records]


def test_masking_top_region_changes_output_more_than_lowest(heldout):
    from scoliscreen.core.model.explain import mask_subject_region
    from scoliscreen.core.model.features import clip_pair
    from scoliscreen.core.model.predict import Screener

    screener = Screener.load()
    rof = screener.net.config["region_of_feature"]
    d_top, d_low = [], []
    for seq, _ in heldout:
        pair = clip_pair(seq)  # one 96-frame window: the batch masked below
        res = screener.predict(seq, pair=pair)
        w = np.array([res.region_weights[r] for r in REGION_IDS])
        assert abs(w.sum() - 1) < 1e-4 and (w >= 0).all()
        top, low = int(np.argmax(w)), int(np.argmin(w))
        batch, _ = screener.prepare(seq, pair=pair)
        p0 = screener.probability(batch)
        assert abs(p0 - res.probability) < 1e-5
        d_top.append(abs(screener.probability(mask_subject_region(batch, top, rof)) - p0))
        d_low.append(abs(screener.probability(mask_subject_region(batch, low, rof)) - p0))
    assert np.mean(d_top) > np.mean(d_low)
    assert np.mean(np.array(d_top) > np.array(d_low)) >= 0.6


def test_window_weights_follow_where_the_walk_is(heldout):
    """Windows with no visible person get (almost) no weight."""
    from scoliscreen.core.model.predict import Screener

    screener = Screener.load()
    seq = heldout[0][0].resampled(30.0).slice(0, 96)
    lm = seq.landmarks.copy()
    lm[48:] = np.nan  # the second half of the clip is empty
    seq.landmarks = lm
    res = screener.predict(seq)
    ww = np.asarray(res.window_weights)
    assert ww[:4].sum() > 5 * ww[7:].sum()
