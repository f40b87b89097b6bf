"""Class-only labels (issue 9): a Scoliosis1K-Pose set (negative / neutral / positive, no Cobb
angle) imported from either OpenGait layout trains and evaluates with the same interval-censored
likelihood as Cobb-labelled data."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from scoliscreen.core.data.scoliosis1k import import_scoliosis1k
from scoliscreen.core.sim import sample_subject, simulate_clip

torch.set_num_threads(2)
W, H = 1280, 720


def _category(cobb: float) -> str:
    return "negative" if cobb < 5 else ("neutral" if cobb < 10 else "positive")


def _write_source(root, first_id: int, n: int, seed: int):
    """n simulated walks as COCO-17 pixel pickles, half in each layout seen in OpenGait's docs:
    ``ID/positive/000-180/000.pkl`` and ``ID/Positive/000_180/000_180.pkl``."""
    rng = np.random.default_rng(seed)
    cats = []
    for i in range(n):
        cobb = [0.0, 7.0, 25.0, 15.0][i % 4] + float(rng.uniform(0, 2))
        subj = sample_subject(rng, cobb_angle=cobb)
        seq = simulate_clip(subj, rng, resolution=(W, H), fps=30.0, duration_s=4.0)
        c = seq.coco17()
        kp = np.nan_to_num(np.stack([c[..., 0] * W, c[..., 1] * H, c[..., 3]], -1), nan=0.0).astype(np.float32)
        cat = _category(cobb)
        cats.append(cat)
        sid = f"{first_id + i:05d}"
        if i % 2 == 0:
            d, name = root / sid / cat / "000-180", "000.pkl"
        else:
            d, name = root / sid / cat.capitalize() / "000_180", "000_180.pkl"
        d.mkdir(parents=True)
        with open(d / name, "wb") as fh:
            pickle.dump(kp, fh, protocol=4)
    return cats


@pytest.mark.slow
def test_class_only_dataset_trains_and_evaluates(tmp_path, monkeypatch):
    from scoliscreen.core.model.pipeline import evaluate_pipeline, train_pipeline
    from scoliscreen.core.model.train import TrainConfig

    monkeypatch.setenv("SCOLISCREEN_DATA_DIR", str(tmp_path / "userdata"))
    cats = _write_source(tmp_path / "src_a", 10000, 16, seed=1)
    _write_source(tmp_path / "src_b", 20000, 8, seed=2)
    assert {"negative", "neutral", "positive"} <= set(cats)
    import_scoliosis1k(tmp_path / "src_a", tmp_path / "a", image_size=(W, H))
    import_scoliosis1k(tmp_path / "src_b", tmp_path / "b", image_size=(W, H))
    card = train_pipeline(tmp_path / "a", tmp_path / "model", TrainConfig(epochs=1, dim=16, batch_size=8),
                          val_frac=0.25, test_frac=0.0)
    assert card["data"]["positive_clips"] == cats.count("positive")
    assert np.isfinite(card["history"][0]["train_loss"]) and np.isfinite(card["history"][0]["val_loss"])
    m = evaluate_pipeline(tmp_path / "b", tmp_path / "model")
    assert m["n"] == 8 and m["n_positive"] == 4
    assert 0.0 <= m["roc_auc"] <= 1.0 and "cobb_mae" not in m  # no Cobb angle to compare with


def test_class_labels_of_label_only_records():
    from scoliscreen.core.model.inputs import label_class

    assert label_class({"label": 0, "extra": {"category": "Neutral"}}) == "neutral"
    assert label_class({"label": 1, "extra": {}}) == "1"
    assert label_class({"label": 0, "extra": {"category": "unsure"}}) == "0"
