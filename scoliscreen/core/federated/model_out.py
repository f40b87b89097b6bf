"""The coordinator's result: a model folder whose card lists the participating sites
(pseudonymous labels), the rounds and each site's local validation figures (counts and metrics
only). The weights are new, so the model loads as a "local model" under its own hash."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np


def write_federated_model(net, base_card: dict, out: Path, *, rounds: int, strategy: str, mu: float,
                          sites: list[tuple[str, dict]]) -> dict:
    from scoliscreen.core.model.card import save_model

    card = {k: v for k, v in base_card.items()
            if k not in ("model_provenance", "operating_point_test", "metrics_test", "metrics_test_detail", "history",
                         "train_subject_hashes", "val_subject_hashes", "subject_hash_salt")}
    card["federated"] = {
        "engine": "Flower (flwr) deployment engine", "strategy": strategy, "proximal_mu": mu, "rounds": rounds,
        "base_model_version": base_card.get("model_version"),
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "sites": [{"site": label, **{k: (None if isinstance(v, float) and v < 0 and k == "auc" else v)
                                     for k, v in sorted(m.items()) if k != "num-examples"}}
                  for label, m in sites],
        "note": ("each site trained locally and sent only the network's trainable parameters and these counts and "
                 "metrics; the calibration and threshold are the base model's: recalibrate on local outcomes "
                 "(scoliscreen recalibrate)"),
    }
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(out, 0o700)
    saved = save_model(net, card, out)
    for f in out.iterdir():
        if f.is_file():
            os.chmod(f, 0o600)
    return saved


def mean_site_auc(card: dict) -> float:
    aucs = [s.get("auc") for s in (card.get("federated") or {}).get("sites", [])]
    aucs = [a for a in aucs if isinstance(a, (int, float))]
    return float(np.mean(aucs)) if aucs else float("nan")
