"""End-to-end jobs on a dataset folder: train (+ calibrate + held-out test + model card) and
evaluate a saved model. Subject-grouped splits: no subject is on two sides of a split."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from scoliscreen.core.data.splits import check_no_leakage, grouped_kfold, grouped_train_val_test
from scoliscreen.core.errors import DatasetError, LeakageError
from scoliscreen.core.sim.generate import PROVENANCE_FILE
from scoliscreen.core.model.card import hash_subject, save_model
from scoliscreen.core.model.decision import Decision, fit_ood
from scoliscreen.core.model.evaluate import flat_metrics, screening_metrics
from scoliscreen.core.constants import POSITIVE_COBB
from scoliscreen.core.device import resolve_device
from scoliscreen.core.model.outcome import SCHOOL_PREVALENCE, band_of, logit, medians
from scoliscreen.core.model.train import (
    TARGET_SENSITIVITY, TrainConfig, choose_threshold, fit, fit_platt, predict_arrays, sigmoid,
)


class _SplitItem(NamedTuple):
    subject_id: str
    label: int


def _items(subjects: np.ndarray, cobb: np.ndarray) -> list[_SplitItem]:
    """Samples in the shape ``core.data.splits`` takes (subject + label)."""
    return [_SplitItem(str(s), int(c >= POSITIVE_COBB)) for s, c in zip(subjects, cobb)]


def grouped_split(subjects: np.ndarray, val_frac: float, test_frac: float, seed: int,
                  cobb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample indices (train, val, test), every subject's clips on one side only (stratified by
    subject label); ``core.data.splits.grouped_train_val_test`` over the model inputs."""
    parts = grouped_train_val_test(_items(subjects, cobb), val_frac, test_frac, seed)
    return tuple(np.asarray(p, dtype=np.int64) for p in parts)


def grouped_folds(subjects: np.ndarray, k: int, seed: int, cobb: np.ndarray) -> list[np.ndarray]:
    """``k`` subject-disjoint test folds of sample indices (``core.data.splits.grouped_kfold``)."""
    return [np.asarray(test, dtype=np.int64) for _, test in grouped_kfold(_items(subjects, cobb), k, seed)]


def _load(dataset_dir):
    from scoliscreen.core.data import load_dataset

    return load_dataset(dataset_dir)


def _is_simulated(dataset, inputs) -> bool:
    """True when the clips come from this project's simulator (sequence meta says so)."""
    from scoliscreen.core.model.inputs import _records

    recs = _records(dataset)
    if not recs:
        return False
    try:
        meta = dataset.sequence(recs[0]).meta
    except Exception:  # noqa: BLE001 - an unreadable first clip just means "not simulated"
        return False
    return bool(meta.get("simulated")) or str(meta.get("generator", "")).startswith("scoliscreen.sim")


def train_pipeline(dataset_dir, out_dir, cfg: TrainConfig, val_frac: float = 0.15, test_frac: float = 0.15,
                   progress=None, should_cancel=None, inputs=None, dataset_info: dict | None = None,
                   views: np.ndarray | None = None, init=None) -> dict:
    """Train on a dataset folder and save weights + card in ``out_dir``; returns the card.
    With ``inputs`` given (e.g. a mixture of worlds), ``views`` are their clips' views.
    ``init``: a loaded network to fine-tune (``train --base``) instead of a new one.

    ``progress(stage, done, total, info)`` with stage "inputs" or "train"."""
    t0 = time.perf_counter()
    provenance = Path(dataset_dir or ".") / PROVENANCE_FILE  # written by `scoliscreen simulate`
    if dataset_dir is not None and provenance.is_file():
        dataset_info = {**json.loads(provenance.read_text()), **(dataset_info or {})}
    dataset = None
    if inputs is None:
        from scoliscreen.core.model.inputs import build_inputs

        dataset = _load(dataset_dir)
        inputs = build_inputs(dataset, progress=(lambda d, n: progress("inputs", d, n, {})) if progress else None,
                              should_cancel=should_cancel)
    t_inputs = time.perf_counter() - t0
    y = _positive(inputs)
    tr, va, te = grouped_split(inputs.subjects, val_frac, test_frac, cfg.seed, np.where(y, POSITIVE_COBB, 0.0))
    if len(tr) == 0 or len(va) == 0:
        raise DatasetError("the dataset has too few subjects for a grouped train/validation split")
    for side, idx in (("validation", va), ("test", te)):
        check_no_leakage(list(inputs.subjects[tr].astype(str)), list(inputs.subjects[idx].astype(str)), side)
    if len(np.unique(y[tr])) < 2:
        raise DatasetError("the training split needs both positive (Cobb >= 10°) and negative subjects")
    t1 = time.perf_counter()
    net, hist = fit(inputs, tr, va, cfg, progress=(lambda e, n, i: progress("train", e, n, i)) if progress else None,
                    should_cancel=should_cancel, init=init)
    t_fit = time.perf_counter() - t1
    pv = predict_arrays(net, inputs, va)
    a, b = fit_platt(pv["logit"], y[va])
    train_prev = float(y[va].mean())
    thr_train = choose_threshold(sigmoid(a * pv["logit"] + b), y[va], TARGET_SENSITIVITY)
    decision = Decision(a=a, b=b, train_prevalence=train_prev, prevalence=SCHOOL_PREVALENCE,
                        threshold_logit=logit(thr_train), ood=fit_ood(inputs.km[tr]))
    m_val = _metrics(inputs, va, pv, decision)
    card: dict = {}
    if len(te):
        pt = predict_arrays(net, inputs, te)
        m_te = _metrics(inputs, te, pt, decision)
        card["metrics_test"] = flat_metrics(m_te)
        card["metrics_test_detail"] = m_te
        card["operating_point_test"] = _honest_report(inputs, te, pt, decision,
                                                      _views(dataset, inputs) if dataset is not None else views)
    salt = secrets.token_hex(8)
    simulated = _is_simulated(dataset, inputs) if dataset is not None else bool((dataset_info or {}).get("simulated"))
    uniq = lambda idx: sorted(set(inputs.subjects[idx].astype(str)))  # noqa: E731 - a one-line helper reads best as a lambda
    card.update({
        "trained_on_simulated_only": simulated,
        "data": {
            "dataset": str(dataset_dir) if dataset_dir is not None else "mixture", "simulated": simulated, **(dataset_info or {}),
            "clips": int(len(inputs)), "subjects": int(len(np.unique(inputs.subjects))),
            "positive_clips": int(y.sum()), "negative_clips": int((~y).sum()),
            "train_clips": int(len(tr)), "val_clips": int(len(va)), "test_clips": int(len(te)),
            "train_subjects": len(uniq(tr)), "val_subjects": len(uniq(va)), "test_subjects": len(uniq(te)),
            "skipped_clips": len(inputs.skipped), "split_seed": cfg.seed,
        },
        "subject_hash_salt": salt,
        "train_subject_hashes": [hash_subject(s, salt) for s in uniq(tr)],
        "val_subject_hashes": [hash_subject(s, salt) for s in uniq(va)],
        "calibration": {"method": "platt", "a": a, "b": b, "train_prevalence": train_prev,
                        "target_prevalence": SCHOOL_PREVALENCE, "setting": "school screening",
                        "note": "probabilities are shown at the target prevalence (prior shift of the "
                                "Platt-calibrated log-odds from the validation clips' prevalence)"},
        "operating_point": {"threshold": decision.threshold, "threshold_logit": decision.threshold_logit,
                            "threshold_at_train_prevalence": thr_train,
                            "target_sensitivity": TARGET_SENSITIVITY, "rule": "best specificity with "
                            f"sensitivity >= {TARGET_SENSITIVITY} on validation subjects",
                            "chosen_on": "validation subjects", "val_sensitivity": m_val["sensitivity"],
                            "val_specificity": m_val["specificity"]},
        **decision.card_entries(),
        "ood": decision.ood,
        "metrics_val": flat_metrics(m_val),
        "training": {**cfg.to_dict(), "device_used": resolve_device(cfg.device),
                     "epochs_run": len(hist["epochs"]), "best_epoch": hist["best_epoch"],
                     "seconds_inputs": round(t_inputs, 1), "seconds_fit": round(t_fit, 1),
                     "seconds_total": round(time.perf_counter() - t0, 1)},
        "history": hist["epochs"],
    })
    if "operating_point_test" in card:
        card["figures"] = {"roc": ROC_FILE}
    card = save_model(net, card, out_dir)
    if "operating_point_test" in card:
        write_roc(card, Path(out_dir) / ROC_FILE)
    return card


ROC_FILE = "roc.png"


def write_roc(card: dict, path: Path) -> Path:
    """The test ROC curve of a card (with its operating point) as a PNG."""
    from scoliscreen.core.model.operating import draw_roc_png

    rep = card["operating_point_test"]
    auc = rep["bootstrap"]["roc_auc"]
    text = f"test AUC {auc['value']:.3f} (95% CI {auc['lo']:.3f}-{auc['hi']:.3f})"
    return draw_roc_png(path, rep["roc"], text, tuple(rep["roc_point"]))


def check_subjects_unseen(card: dict, subjects) -> None:
    """Raise :class:`LeakageError` when any subject was in the model's training or validation set."""
    salt = card.get("subject_hash_salt")
    if not salt:
        return
    seen = set(card.get("train_subject_hashes", [])) | set(card.get("val_subject_hashes", []))
    shared = sorted({str(s) for s in subjects if hash_subject(str(s), salt) in seen})
    if shared:
        more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
        raise LeakageError(
            f"the dataset shares {len(shared)} subject(s) with the model's training/validation data "
            f"(e.g. {', '.join(shared[:3])}{more}); evaluate on unseen subjects only"
        )


def evaluate_pipeline(dataset_dir, model_dir=None, device: str = "auto", progress=None, inputs=None) -> dict:
    """Metrics of a saved model on a dataset of unseen subjects (refuses shared subjects)."""
    from scoliscreen.core.model.card import load_model
    from scoliscreen.core.paths import screening_model_dir

    net, card = load_model(model_dir or screening_model_dir(), resolve_device(device))
    dataset = None
    if inputs is None:
        from scoliscreen.core.model.inputs import _rec, _records, build_inputs

        dataset = _load(dataset_dir)
        check_subjects_unseen(card, [_rec(r, "subject_id") for r in _records(dataset)])
        inputs = build_inputs(dataset, progress=progress)
    check_subjects_unseen(card, inputs.subjects)
    if inputs.km.shape[-1] != card["config"]["n_features"]:
        raise DatasetError("the dataset's knowledge map does not match the model (different feature catalogue)")
    idx = np.arange(len(inputs))
    out = predict_arrays(net, inputs, idx, resolve_device(device))
    decision = Decision.from_card(card)
    m = _metrics(inputs, idx, out, decision)
    if len(np.unique(_positive(inputs))) > 1:
        m["operating_point_report"] = _honest_report(inputs, idx, out, decision, _views(dataset, inputs))
    m["model_version"] = card.get("model_version")
    m["skipped"] = list(inputs.skipped)
    return m


def _metrics(inputs, idx, out: dict, decision: Decision) -> dict:
    """Screening metrics at the card's threshold, probabilities at the stated prevalence; the
    Cobb estimate and band are the median of the one distributional head."""
    prob = sigmoid(decision.calibrated(out["logit"]) + decision.shift)
    med = medians(out["cum"], decision.a, decision.b, decision.shift)
    return screening_metrics(inputs.cobb[idx], prob, decision.threshold, med, band_of(med), y=_positive(inputs)[idx])


def _positive(inputs) -> np.ndarray:
    """True label of every sample: Cobb >= 10° where known, else from its class interval."""
    from scoliscreen.core.model.train import sample_labels

    return sample_labels(inputs)[2]


def _views(dataset, inputs) -> np.ndarray | None:
    """The ``view`` column of every sample (from the dataset's records), or None."""
    if dataset is None:
        return None
    from scoliscreen.core.model.inputs import _rec, _records

    by_file = {str(_rec(r, "file")): str(_rec(r, "view", "unknown") or "unknown") for r in _records(dataset)}
    return np.array([by_file.get(str(f), "unknown") for f in inputs.files])


def _honest_report(inputs, idx, out: dict, decision: Decision, views: np.ndarray | None = None) -> dict:
    """Bootstrap (over subjects) sensitivity / specificity / AUC / PPV / NPV / referrals per
    1,000 at the operating point, the re-record rate and accuracy on the rest, the ROC curve."""
    from scoliscreen.core.model.operating import bootstrap_metrics, deferral_summary, roc_points

    y = _positive(inputs)[idx]
    cal = decision.calibrated(out["logit"])
    pred = cal >= decision.threshold_logit
    prev = decision.prevalence if decision.prevalence is not None else SCHOOL_PREVALENCE
    boot = bootstrap_metrics(y, cal, pred, inputs.subjects[idx], prev)
    labels = []
    reasons_count: dict = {}
    for i, j in enumerate(idx):
        rs = decision.reasons(float(out["logit"][i]), None, inputs.frame_valid[j], decision.ood_score(inputs.km[j]))
        for r in rs:
            reasons_count[r["code"]] = reasons_count.get(r["code"], 0) + 1
        labels.append(decision.label(float(out["logit"][i]), rs))
    roc = roc_points(y, cal)
    sens, spec = boot["sensitivity"]["value"], boot["specificity"]["value"]
    per_view = {}
    if views is not None:
        v = views[idx]
        for name in sorted(set(v)):
            m = v == name
            per_view[name] = {"clips": int(m.sum()),
                              "sensitivity": float(pred[m & y].mean()) if (m & y).any() else None,
                              "specificity": float((~pred[m & ~y]).mean()) if (m & ~y).any() else None}
    return {"prevalence": prev, "bootstrap": boot, "re_record": {**deferral_summary(y, labels),
            "reasons": reasons_count}, "roc": roc, "roc_point": [1 - spec, sens], "per_view": per_view}


def refresh_report(dataset_dir, model_dir, val_frac: float = 0.15, test_frac: float = 0.15) -> dict:
    """Recompute a saved model's test report (same subject split, weights untouched) after a
    change of the re-record rule or the report; rewrites the card (JSON + markdown) and ROC."""
    from scoliscreen.core.fileio import atomic_write_bytes
    from scoliscreen.core.model.card import CARD_JSON, CARD_MD, load_model, render_card_md
    from scoliscreen.core.model.inputs import build_inputs

    net, card = load_model(model_dir, "cpu")
    dataset = _load(dataset_dir)
    inputs = build_inputs(dataset)
    y = _positive(inputs)
    _, _, te = grouped_split(inputs.subjects, val_frac, test_frac, int(card["training"]["seed"]),
                             np.where(y, POSITIVE_COBB, 0.0))
    decision = Decision.from_card(card)
    card.update(decision.card_entries())
    pt = predict_arrays(net, inputs, te)
    m_te = _metrics(inputs, te, pt, decision)
    card["metrics_test"] = flat_metrics(m_te)
    card["metrics_test_detail"] = m_te
    card["operating_point_test"] = _honest_report(inputs, te, pt, decision, _views(dataset, inputs))
    atomic_write_bytes(Path(model_dir) / CARD_JSON, (json.dumps(card, indent=2) + "\n").encode(), private=False)
    atomic_write_bytes(Path(model_dir) / CARD_MD, render_card_md(card).encode(), private=False)
    write_roc(card, Path(model_dir) / ROC_FILE)
    return card
