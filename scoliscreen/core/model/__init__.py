"""Multimodal scoliosis-screening model (ScoliGait-style latent attention pooling).

    from scoliscreen.core.model import Screener
    screener = Screener.load()                  # shipped weights, sha256 checked
    result = screener.predict(seq, notes="")    # ScreeningResult (.to_dict())

Modules: ``skeleton_maps`` (per-region skeleton heatmaps), ``text_encoder`` (frozen
all-MiniLM-L6-v2, offline), ``encoders`` / ``fusion`` / ``network`` (the PyTorch model),
``features`` / ``inputs`` (PoseSequence -> model inputs; cached dataset inputs), ``train`` /
``pipeline`` / ``evaluate`` / ``ablation`` (jobs), ``card`` (weights + model card), ``predict``
(inference), ``explain`` (per-region weights). See docs/model.md.

Importing this package does not import torch; the names below load their module on first use.
"""

from __future__ import annotations

_LAZY = {
    "Screener": "scoliscreen.core.model.predict",
    "ScreeningResult": "scoliscreen.core.model.predict",
    "TrainConfig": "scoliscreen.core.model.train",
    "train_pipeline": "scoliscreen.core.model.pipeline",
    "evaluate_pipeline": "scoliscreen.core.model.pipeline",
    "screening_metrics": "scoliscreen.core.model.evaluate",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
