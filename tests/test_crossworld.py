"""Cross-world harness and its baselines: side-blind features, logistic regression, the paired
bootstrap, and (slow) a leave-one-world-out run on two small generated worlds."""

from __future__ import annotations

import numpy as np
import pytest

from scoliscreen.core.kinematics import FEATURES
from scoliscreen.core.model.baselines import LogisticModel, clip_medians, nuisance_matrix, sign_invariant
from scoliscreen.core.model.crossworld import paired_bootstrap
from scoliscreen.core.model.train import roc_auc


def _real_pair(poses_dir):
    from scoliscreen.core.model.features import clip_pair
    from scoliscreen.core.sequence import load_sequence

    seq = load_sequence(poses_dir / "intel_worker_back_walk_away.npz")
    return clip_pair(seq)


def test_side_blind_features_are_the_same_for_a_real_clip_and_its_mirror(poses_dir):
    a, b = _real_pair(poses_dir)
    med_a, med_b = clip_medians(a.km[None]), clip_medians(b.km[None])
    signed = [i for i, f in enumerate(FEATURES) if f.signed]
    both = np.isfinite(med_a[0, signed]) & (np.abs(med_a[0, signed]) > 1e-6)
    assert both.any()
    np.testing.assert_allclose(med_b[0, signed][both], -med_a[0, signed][both], rtol=1e-5, atol=1e-6)
    sa, sb = sign_invariant(a.km[None]), sign_invariant(b.km[None])
    fin = np.isfinite(sa)
    assert fin.sum() > 50
    np.testing.assert_array_equal(fin, np.isfinite(sb))
    np.testing.assert_allclose(sa[fin], sb[fin], rtol=1e-5, atol=1e-6)


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_logistic_model_learns_a_signal_and_ignores_missing_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5))
    y = (x[:, 0] - 0.5 * x[:, 2] + 0.3 * rng.normal(size=400)) > 0
    x[rng.random(x.shape) < 0.1] = np.nan
    m = LogisticModel.fit(x[:300], y[:300])
    assert roc_auc(y[300:], m.score(x[300:])) > 0.85
    assert np.all(np.isfinite(m.score(x[300:])))
    assert abs(m.w[0]) > 3 * abs(m.w[1])


def test_nuisance_matrix_reads_the_label_columns():
    rows = [{"view": "front", "fps": "30", "width": "1080", "height": "1920", "sex": "F", "age": "12.5",
             "height_m": "1.5"}, {"view": "back", "fps": "", "sex": ""}]
    x = nuisance_matrix(rows, np.array([[True, False], [True, True]]))
    assert x.shape == (2, 9)
    assert x[0].tolist() == [1.0, 30.0, 1080.0, 1920.0, 1.0, 0.5, 1.0, 12.5, 1.5]
    assert x[1, 0] == 0.0 and x[1, 5] == 1.0 and np.isnan(x[1, 1]) and np.isnan(x[1, 6])


def test_paired_bootstrap_names_a_winner_only_when_the_difference_excludes_zero():
    rng = np.random.default_rng(1)
    subjects = np.repeat(np.arange(150), 2).astype(str)
    y = np.repeat(rng.random(150) < 0.4, 2)
    good = y + rng.normal(0, 0.4, len(y))
    noise = rng.normal(size=len(y))
    twin = good + 1e-9 * rng.normal(size=len(y))
    scores = {"good": good, "noise": noise}
    preds = {k: v > np.median(v) for k, v in scores.items()}
    out = paired_bootstrap(y, subjects, scores, preds, n_boot=200)
    assert out["paired"]["roc_auc"]["best"] == "good"
    assert out["paired"]["roc_auc"]["winner"] == "good"
    assert out["n_subjects"] == 150
    v = out["variants"]["good"]["roc_auc"]
    assert v["lo"] <= v["value"] <= v["hi"]
    out = paired_bootstrap(y, subjects, {"good": good, "twin": twin},
                           {"good": good > 0.5, "twin": twin > 0.5}, n_boot=200)
    assert out["paired"]["roc_auc"]["winner"] is None
    d = out["paired"]["roc_auc"]["diff_to_best"]
    assert d[out["paired"]["roc_auc"]["runner_up"]]["lo"] <= 0


@pytest.fixture(scope="module")
def two_worlds(tmp_path_factory):
    from scoliscreen.core.model.crossworld import load_world, world_dataset

    root = tmp_path_factory.mktemp("worlds")
    folders = [world_dataset(w, 24, 1, 900 + k, root) for k, w in enumerate("AB")]
    return folders, [load_world(w, f) for w, f in zip("AB", folders)], root


@pytest.mark.slow
def test_leave_one_world_out_on_two_small_worlds(two_worlds, tmp_path):
    from scoliscreen.core.model.crossworld import VARIANTS, run_cross_world
    from scoliscreen.core.model.crossworld_report import cross_world_markdown, write_roc
    from scoliscreen.core.model.train import TrainConfig

    _, worlds, _ = two_worlds
    assert not set(worlds[0].inputs.subjects) & set(worlds[1].inputs.subjects)
    lr = [v for v in VARIANTS if v[2] in ("lr", "score")]
    run = run_cross_world(worlds, TrainConfig(epochs=1), lr, n_boot=50)
    assert [f["held_out"] for f in run["folds"]] == ["A", "B"]
    for f in run["folds"]:
        h = f["held_out_metrics"]
        held = worlds["AB".index(f["held_out"])]
        assert h["n_clips"] == len(held.inputs)
        assert set(h["variants"]) == {v[0] for v in lr}
        assert f["own_world_metrics"]["n_clips"] == f["own_test_clips"] > 0
        # the in-world reference is scored on the held-out world's own test subjects only, never its training ones
        ceil = f["in_world_reference"]
        assert set(ceil["variants"]) == {"lr_medians", "lr_side_blind"}
        assert 0 < ceil["n_clips"] < h["n_clips"]
    md = cross_world_markdown(run, "figures/roc_cross_world.png")
    assert "### Held out: world A" in md and "### Held out: world B" in md
    assert "For reference, not a transfer result" in md
    png = write_roc(run, tmp_path / "roc.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_train_on_a_mixture_of_worlds_from_the_cli(two_worlds, tmp_path):
    import json

    from scoliscreen.cli import main

    folders, _, _ = two_worlds
    out = tmp_path / "model"
    assert main(["train", *map(str, folders), "--out", str(out), "--epochs", "1", "--dim", "16",
                 "--modalities", "map", "--val", "0.25", "--test", "0.25"]) == 0
    card = json.loads((out / "model_card.json").read_text())
    assert card["data"]["worlds"] == ["A", "B"]
    assert card["config"]["modalities"] == ["map"]
    assert card["data"]["clips"] == 48


def test_asymmetry_score_is_side_blind_and_grows_with_asymmetry():
    """The clinical-prior score: a clip and its mirror image score the same (a curve convex to
    the left is as suspicious as one to the right), and scaling every asymmetry up raises it."""
    import dataclasses

    from scoliscreen.core.kinematics import FEATURES
    from scoliscreen.core.model.baselines import AsymmetryScore, asymmetry_magnitudes
    from scoliscreen.core.model.features import mirror_knowledge_map

    @dataclasses.dataclass
    class Map:  # what mirror_knowledge_map reads
        features: tuple
        values: np.ndarray

    rng = np.random.default_rng(5)
    km = rng.normal(size=(60, 6, len(FEATURES))).astype(np.float32)
    mirrored = np.stack([mirror_knowledge_map(Map(FEATURES, k)).values for k in km])
    x = asymmetry_magnitudes(km)
    np.testing.assert_allclose(x, asymmetry_magnitudes(mirrored), rtol=1e-6)
    prior = AsymmetryScore.fit(x)
    louder = km.copy()
    louder[:, :, [i for i, ft in enumerate(FEATURES) if ft.signed]] *= 3.0
    assert (prior.score(asymmetry_magnitudes(louder)) > prior.score(x)).all()


def test_app_decisions_defer_as_the_app_does_and_score_the_rest():
    """The shipped model's row "as the app answers": side view, a probability near the threshold
    and an out-of-distribution map are deferred with their reason; the rest are scored."""
    from types import SimpleNamespace

    from scoliscreen.core.model.crossworld import app_decisions
    from scoliscreen.core.model.decision import Decision

    f = 4
    d = Decision(a=2.0, b=0.5, threshold_logit=0.0, margin=0.25,
                 ood={"centre": [0.0] * f, "scale": [1.0] * f, "threshold": 3.0})
    km = np.zeros((5, 3, f))
    km[3] = 10.0  # far from the training centre: out of distribution
    inputs = SimpleNamespace(km=km, frame_valid=np.ones((5, 32), bool))
    cal = np.array([2.0, -2.0, 0.1, 2.0, 2.0])  # calibrated logits; clip 2 is too close to call
    raw = (cal - d.b) / d.a
    views = np.array(["back", "front", "back", "back", "side"])
    y = np.array([True, False, True, True, False])
    out = app_decisions(d, raw, y, inputs, np.arange(5), views)
    assert out["n_verdicts"] == 2 and out["deferred"] == 0.6
    assert out["reasons"] == {"near_threshold": 1, "out_of_distribution": 1, "view": 1}
    assert out["sensitivity"] == 1.0 and out["specificity"] == 1.0
