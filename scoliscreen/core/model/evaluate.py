"""Screening metrics: accuracy, macro-F1, per-class precision/recall/F1, ROC-AUC,
sensitivity and specificity at the operating point, Cobb MAE, severity-band accuracy."""

from __future__ import annotations

import numpy as np

from scoliscreen.core.constants import POSITIVE_COBB
from scoliscreen.core.model.network import severity_band_index
from scoliscreen.core.model.train import roc_auc

CLASSES = ("negative", "positive")


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def screening_metrics(cobb_true, prob, threshold: float, cobb_pred=None, severity_pred=None, y=None) -> dict:
    """Metrics of a binary screen (positive = Cobb >= 10 deg) at ``threshold`` on ``prob``.
    ``y``: the true labels where only a class is known (``cobb_true`` NaN there; the Cobb
    metrics then use the clips with a Cobb angle only)."""
    cobb_true = np.asarray(cobb_true, float)
    y = cobb_true >= POSITIVE_COBB if y is None else np.asarray(y, bool)
    known = np.isfinite(cobb_true)
    prob = np.asarray(prob, float)
    pred = prob >= threshold
    out: dict = {"n": int(len(y)), "n_positive": int(y.sum()), "n_negative": int((~y).sum()),
                 "threshold": float(threshold)}
    out["accuracy"] = float((pred == y).mean()) if len(y) else float("nan")
    per = {}
    for cls, truth, guess in (("negative", ~y, ~pred), ("positive", y, pred)):
        tp = int((truth & guess).sum())
        fp = int((~truth & guess).sum())
        fn = int((truth & ~guess).sum())
        p, r, f = _prf(tp, fp, fn)
        per[cls] = {"precision": p, "recall": r, "f1": f, "support": int(truth.sum())}
    out["macro_f1"] = float(np.mean([per[c]["f1"] for c in CLASSES]))
    out["per_class"] = per
    out["roc_auc"] = roc_auc(y, prob)
    out["sensitivity"] = per["positive"]["recall"]
    out["specificity"] = per["negative"]["recall"]
    if cobb_pred is not None and known.any():
        out["cobb_mae"] = float(np.mean(np.abs(np.asarray(cobb_pred, float) - cobb_true)[known]))
    if severity_pred is not None and known.any():
        hit = np.asarray(severity_pred) == severity_band_index(np.nan_to_num(cobb_true))
        out["severity_accuracy"] = float(np.mean(hit[known]))
    return out


def flat_metrics(m: dict) -> dict:
    """The scalar entries (for model cards and tables)."""
    keys = ("n", "accuracy", "macro_f1", "roc_auc", "sensitivity", "specificity", "cobb_mae", "severity_accuracy")
    return {k: m[k] for k in keys if k in m}


def metrics_table(m: dict) -> str:
    """Plain-text table of a metrics dict (for the terminal)."""
    rows = [
        ("clips", f"{m['n']} ({m['n_positive']} positive, {m['n_negative']} negative)"),
        ("accuracy", f"{m['accuracy']:.3f}"), ("macro-F1", f"{m['macro_f1']:.3f}"),
        ("ROC-AUC", f"{m['roc_auc']:.3f}"),
        (f"sensitivity @ {m['threshold']:.2f}", f"{m['sensitivity']:.3f}"),
        (f"specificity @ {m['threshold']:.2f}", f"{m['specificity']:.3f}"),
    ]
    if "cobb_mae" in m:
        rows.append(("Cobb MAE (deg)", f"{m['cobb_mae']:.2f}"))
    if "severity_accuracy" in m:
        rows.append(("severity-band accuracy", f"{m['severity_accuracy']:.3f}"))
    w = max(len(a) for a, _ in rows)
    lines = [f"{a:<{w}}  {b}" for a, b in rows]
    lines.append("")
    lines.append(f"{'class':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}")
    for cls in CLASSES:
        p = m["per_class"][cls]
        lines.append(f"{cls:<10} {p['precision']:>9.3f} {p['recall']:>7.3f} {p['f1']:>6.3f} {p['support']:>8d}")
    return "\n".join(lines)

