"""A local model folder: the same weights with a calibration and threshold fitted on a clinic's
own outcomes (``scoliscreen recalibrate``). Its card states the data it was fitted on (counts
only, no ids) and its cross-validated figures, and it never carries the shipped name: the
provenance check (``provenance.decision_digest``) names any card whose calibration or threshold
differs from the shipped one a "local model".
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from scoliscreen.core.errors import InputError
from scoliscreen.core.model.card import CARD_JSON, WEIGHTS_FILE, read_card, render_card_md

LOCAL_CARD_MD = "model_card.md"


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (never an existing file or a link), owner-only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _make_folder(out: Path) -> None:
    if out.is_symlink() or (out.exists() and (not out.is_dir() or any(out.iterdir()))):
        raise InputError(f"{out}: must be a new or empty folder")
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(out, 0o700)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the model folder ({exc.strerror})") from None


def local_card(base: dict, fit: dict, prevalence: float | None) -> dict:
    """The base model's card with the local calibration, threshold and evidence."""
    card = {k: v for k, v in base.items() if k not in ("model_provenance", "operating_point_test", "metrics_test",
                                                        "metrics_test_detail")}
    cal = dict(base.get("calibration") or {})
    target_prev = prevalence if prevalence is not None else cal.get("target_prevalence")
    card["calibration"] = {"method": "platt (local recalibration)", "a": fit["a"], "b": fit["b"],
                           "train_prevalence": fit["train_prevalence"], "target_prevalence": target_prev,
                           "setting": cal.get("setting", "school screening"),
                           "note": "fitted on this clinic's children with a recorded outcome"}
    cv = fit["cv"]
    card["operating_point"] = {
        "threshold_logit": fit["threshold_logit"], "target_sensitivity": fit["target_sensitivity"],
        "rule": "best specificity with sensitivity >= target on the clinic's outcomes",
        "chosen_on": "the clinic's outcomes (children grouped in the cross-validation)",
        "val_sensitivity": cv["sensitivity"]["value"], "val_specificity": cv["specificity"]["value"]}
    card["local"] = {
        "kind": "local recalibration (same weights)", "base_model_version": base.get("model_version"),
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "data": {"children": fit["n_children"], "children_with_scoliosis": fit["n_positive_children"],
                 "visits": fit["n_visits"]},
        "cross_validated": {"folds": fit["folds"], "figures": cv,
                            "note": "every visit scored; the deferral rules (view, out of distribution, ...) "
                                    "still apply in use",
                            "deferred_by_base_model": fit.get("deferred_by_base_model")},
        "note": "counts only: no patient, visit or file is named in this card"}
    card["model_version"] = f"local recalibration of {base.get('model_version')}"
    card["trained_on_simulated_only"] = base.get("trained_on_simulated_only")
    return card


def write_local_model(model_dir: Path, out: Path, loaded_card: dict, fit: dict, prevalence: float | None) -> Path:
    """Write the folder: the weights (copied byte for byte) and the local card (JSON + markdown)."""
    model_dir, out = Path(model_dir), Path(out)
    base = read_card(model_dir)  # the card as written, not as loaded (no provenance fields)
    base["model_version"] = loaded_card.get("model_version", base.get("model_version"))
    card = local_card(base, fit, prevalence)
    _make_folder(out)
    weights = (base.get("weights") or {}).get("file", WEIGHTS_FILE)
    try:
        _write_new(out / weights, (model_dir / weights).read_bytes())
        _write_new(out / CARD_JSON, json.dumps(card, indent=2, default=float).encode())
        _write_new(out / LOCAL_CARD_MD, render_card_md(card).encode())
    except OSError as exc:
        raise InputError(f"{out}: cannot write the local model ({exc.strerror})") from None
    return out


__all__ = ["local_card", "write_local_model"]
