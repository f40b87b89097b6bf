"""The operating point, reported honestly: metrics with bootstrap 95 % CIs over *subjects*,
PPV / NPV and referrals per 1,000 at a stated prevalence, the deferral (re-record) rate, and
the ROC curve (points for the card, a PNG drawn with OpenCV)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scoliscreen.core.model.train import roc_auc


def ppv_npv(sens: float, spec: float, prevalence: float) -> tuple[float, float]:
    """Predictive values of a test with ``sens``/``spec`` in a population of ``prevalence``."""
    tp, fp = prevalence * sens, (1 - prevalence) * (1 - spec)
    tn, fn = (1 - prevalence) * spec, prevalence * (1 - sens)
    ppv = tp / (tp + fp) if tp + fp > 0 else float("nan")
    npv = tn / (tn + fn) if tn + fn > 0 else float("nan")
    return float(ppv), float(npv)


def referrals_per_1000(sens: float, spec: float, prevalence: float) -> float:
    return float(1000.0 * (prevalence * sens + (1 - prevalence) * (1 - spec)))


def point_metrics(y, score, pred, prevalence: float) -> dict:
    y, pred = np.asarray(y, bool), np.asarray(pred, bool)
    sens = float((pred & y).sum() / y.sum()) if y.any() else float("nan")
    spec = float((~pred & ~y).sum() / (~y).sum()) if (~y).any() else float("nan")
    ppv, npv = ppv_npv(sens, spec, prevalence)
    return {"sensitivity": sens, "specificity": spec, "roc_auc": roc_auc(y, score), "ppv": ppv, "npv": npv,
            "referrals_per_1000": referrals_per_1000(sens, spec, prevalence)}


def bootstrap_metrics(y, score, pred, subjects, prevalence: float, n_boot: int = 1000, seed: int = 0) -> dict:
    """Each metric of :func:`point_metrics` with a percentile 95 % CI from resampling *subjects*
    (all clips of a drawn subject go in together): {metric: {"value", "lo", "hi"}}."""
    y, score, pred = np.asarray(y, bool), np.asarray(score, float), np.asarray(pred, bool)
    subjects = np.asarray(subjects).astype(str)
    point = point_metrics(y, score, pred, prevalence)
    uniq, inv = np.unique(subjects, return_inverse=True)
    members = [np.flatnonzero(inv == i) for i in range(len(uniq))]
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {k: [] for k in point}
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        idx = np.concatenate([members[i] for i in pick])
        if y[idx].all() or not y[idx].any():
            continue
        m = point_metrics(y[idx], score[idx], pred[idx], prevalence)
        for k, v in m.items():
            draws[k].append(v)
    out: dict[str, object] = {}
    for k, v in point.items():
        arr = np.array([d for d in draws[k] if np.isfinite(d)])
        lo, hi = (np.percentile(arr, [2.5, 97.5]) if len(arr) else (float("nan"), float("nan")))
        out[k] = {"value": float(v), "lo": float(lo), "hi": float(hi)}
    out["n_clips"] = int(len(y))
    out["n_subjects"] = int(len(uniq))
    out["n_boot"] = int(n_boot)
    return out


def deferral_summary(y, labels) -> dict:
    """Share of clips deferred (re-record or inconclusive) and the accuracy / sensitivity / specificity of the
    verdicts on the rest."""
    y = np.asarray(y, bool)
    labels = np.asarray(labels).astype(str)
    kept = (labels == "positive") | (labels == "negative")
    pred = labels == "positive"
    yk, pk = y[kept], pred[kept]
    return {
        "deferred_fraction": float(1 - kept.mean()) if len(y) else float("nan"),
        "n_deferred": int((~kept).sum()), "n": int(len(y)),
        "accuracy_on_rest": float((yk == pk).mean()) if kept.any() else float("nan"),
        "sensitivity_on_rest": float((pk & yk).sum() / yk.sum()) if yk.any() else float("nan"),
        "specificity_on_rest": float((~pk & ~yk).sum() / (~yk).sum()) if (~yk).any() else float("nan"),
    }


def roc_points(y, score, max_points: int = 60) -> dict:
    """ROC curve (false-positive rate, true-positive rate), thinned to about ``max_points``."""
    y = np.asarray(y, bool)
    score = np.asarray(score, float)
    order = np.argsort(-score, kind="stable")
    ys, ss = y[order], score[order]
    keep = np.r_[np.flatnonzero(np.diff(ss) != 0), len(ss) - 1]  # last index of each distinct score
    tpr = np.r_[0.0, np.cumsum(ys)[keep] / max(1, y.sum())]
    fpr = np.r_[0.0, np.cumsum(~ys)[keep] / max(1, (~y).sum())]
    if len(fpr) > max_points:
        sel = np.unique(np.r_[0, np.linspace(0, len(fpr) - 1, max_points).astype(int), len(fpr) - 1])
        fpr, tpr = fpr[sel], tpr[sel]
    return {"fpr": [round(float(v), 4) for v in fpr], "tpr": [round(float(v), 4) for v in tpr]}


def draw_roc_png(path: str | Path, roc: dict, auc_text: str, point: tuple[float, float] | None = None,
                 size: int = 480) -> Path:
    """Write the ROC curve as a PNG with OpenCV (no matplotlib): axes, diagonal, curve, the
    operating point (1 - specificity, sensitivity) as a dot, and the AUC text."""
    import cv2

    m, w = 60, size
    img = np.full((w, w, 3), 255, np.uint8)
    plot = w - 2 * m

    def px(fx: float, ty: float) -> tuple[int, int]:
        return int(round(m + fx * plot)), int(round(w - m - ty * plot))

    for g in np.linspace(0, 1, 6):
        cv2.line(img, px(g, 0), px(g, 1), (235, 235, 235), 1)
        cv2.line(img, px(0, g), px(1, g), (235, 235, 235), 1)
        cv2.putText(img, f"{g:.1f}", (px(g, 0)[0] - 10, w - m + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
        cv2.putText(img, f"{g:.1f}", (m - 32, px(0, g)[1] + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    cv2.rectangle(img, px(0, 1), px(1, 0), (0, 0, 0), 1)
    cv2.line(img, px(0, 0), px(1, 1), (160, 160, 160), 1, cv2.LINE_AA)
    pts = np.array([px(f, t) for f, t in zip(roc["fpr"], roc["tpr"])], np.int32)
    cv2.polylines(img, [pts], False, (180, 80, 20), 2, cv2.LINE_AA)
    if point is not None:
        cv2.circle(img, px(*point), 6, (30, 30, 200), -1, cv2.LINE_AA)
    cv2.putText(img, "1 - specificity", (w // 2 - 50, w - 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    cv2.putText(img, "sensitivity", (8, m - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    cv2.putText(img, auc_text, (m + 10, m + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    path = Path(path)
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise OSError(f"cannot encode {path.name}")
    from scoliscreen.core.fileio import atomic_write_bytes

    atomic_write_bytes(path, buf.tobytes(), private=False)
    return path
