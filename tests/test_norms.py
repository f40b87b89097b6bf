"""Healthy norms from the CMU training walkers: no reserved subject, sane percentiles, adult wording."""

from __future__ import annotations

import json

import numpy as np

from scoliscreen.core.norms import NORMS_PATH, SHOWN, load_norms, summarise
from scoliscreen.core.sim.cmu import RESERVED_SUBJECTS, assert_not_reserved, load_cmu_walks


def test_norms_come_from_training_subjects_only() -> None:
    data = json.loads(NORMS_PATH.read_text())
    assert data["subjects"] and not set(data["subjects"]) & set(RESERVED_SUBJECTS)
    assert_not_reserved(data["subjects"], "norms")
    trials = {w.trial: w.subject for w in load_cmu_walks(include_reserved=True)}
    assert all(trials[t] not in RESERVED_SUBJECTS for t in data["walks"])
    assert {w.trial for w in load_cmu_walks()} == set(data["walks"])  # every training walk, no other


def test_every_shown_measure_has_front_and_back_norms() -> None:
    norms = load_norms()
    assert norms is not None
    for name in SHOWN:
        for view in ("front", "back"):
            n = norms.get(name, view)
            assert n is not None and n.n_clips >= 2, (name, view)
            assert 0 <= n.abs_p90 <= n.abs_p97 and n.robust_sd >= 0 and n.retest_sd >= 0
            assert np.all(np.diff(n.abs_grid) >= 0)
            assert n.percentile(0.0) <= n.percentile(n.abs_p90) <= n.percentile(10 * n.abs_p97 + 1) == 100.0
    text = norms.describe("shoulder_tilt_deg", 5.0, "back")
    assert text is not None and "healthy adult walkers" in text and "percentile" in text


def test_summarise_is_robust_to_an_outlier() -> None:
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.normal(0.0, 1.0, 200), [50.0]])
    row = summarise(v, 0.3, "shoulder_tilt_deg", "back", 20)
    assert 0.8 < row["robust_sd"] < 1.25 and abs(row["median"]) < 0.2
    assert 1.4 < row["abs_p90"] < 1.9 and row["abs_p97"] < 2.6
