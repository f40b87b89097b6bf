"""How the model does on a clinic's own children: figures from visits with a known outcome, and a
local recalibration (same weights, new Platt scaling and threshold) chosen by cross-validation
grouped by child.

Verification bias: only children with an outcome are counted. Children without one are *not*
negatives (most screened children never get a radiograph), so nothing here says anything about
them, and the figures describe the children whose outcome the clinic learned.

Inputs are plain arrays of visits, one row each: ``child`` (patient id), ``truth`` (Cobb >= 10°),
``label`` (core/outcome_words.LABELS, or "" when no model ran), ``prob`` (P(Cobb >= 10°) as the
model stated it, NaN when none) and ``logit`` (the model's raw 10° logit, for recalibration).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_POSITIVES = 30
"""Fewer positive children than this: the figures are shown, with a plain "too few to conclude"."""
CALIBRATION_BINS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 1.0)
VERIFICATION_NOTE = ("Only children with a recorded outcome are counted. Children without one are not "
                     "negatives: they are left out, so these figures describe the children whose outcome "
                     "was learned (verification bias), not every child screened.")


@dataclass(frozen=True)
class LocalVisits:
    child: np.ndarray  # [N] str
    truth: np.ndarray  # [N] bool
    label: np.ndarray  # [N] str
    prob: np.ndarray  # [N] float (NaN: no model answer)
    logit: np.ndarray  # [N] float (NaN: no model answer)

    def take(self, idx: np.ndarray) -> "LocalVisits":
        return LocalVisits(self.child[idx], self.truth[idx], self.label[idx], self.prob[idx], self.logit[idx])

    def __len__(self) -> int:
        return len(self.child)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney, ties half); NaN without both classes."""
    y, score = np.asarray(y, bool), np.asarray(score, float)
    ok = np.isfinite(score)
    y, score = y[ok], score[ok]
    npos, nneg = int(y.sum()), int((~y).sum())
    if npos == 0 or nneg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    s = score[order]
    i = 0
    while i < len(s):  # average ranks of ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y].sum() - npos * (npos + 1) / 2.0) / (npos * nneg))


def point_figures(v: LocalVisits) -> dict[str, float]:
    """Sensitivity, specificity, PPV, NPV on the visits with a verdict; AUC on every stated
    probability; referral, inconclusive and re-record rates over all visits."""
    verdict = (v.label == "positive") | (v.label == "negative")
    pred, y = v.label == "positive", v.truth
    yv, pv = y[verdict], pred[verdict]

    def ratio(a: np.ndarray, b: np.ndarray) -> float:
        return float(a.sum() / b.sum()) if b.sum() else float("nan")

    n = max(len(v), 1)
    return {"sensitivity": ratio(pv & yv, yv), "specificity": ratio(~pv & ~yv, ~yv),
            "ppv": ratio(pv & yv, pv), "npv": ratio(~pv & ~yv, ~pv), "auc": auc(y, v.prob),
            "referral_rate": float(pred.sum() / n), "inconclusive_rate": float((v.label == "inconclusive").sum() / n),
            "re_record_rate": float((v.label == "re-record").sum() / n)}


def bootstrap(v: LocalVisits, n_boot: int = 1000, seed: int = 0) -> dict[str, dict[str, float]]:
    """Each figure of :func:`point_figures` with a 95 % percentile CI from resampling children
    (all visits of a drawn child go in together)."""
    point = point_figures(v)
    uniq, inv = np.unique(v.child, return_inverse=True)
    members = [np.flatnonzero(inv == i) for i in range(len(uniq))]
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {k: [] for k in point}
    for _ in range(n_boot if len(uniq) > 1 else 0):
        idx = np.concatenate([members[i] for i in rng.integers(0, len(uniq), len(uniq))])
        for k, x in point_figures(v.take(idx)).items():
            if np.isfinite(x):
                draws[k].append(x)
    out: dict[str, dict[str, float]] = {}
    for k, x in point.items():
        lo, hi = np.percentile(draws[k], [2.5, 97.5]) if draws[k] else (float("nan"), float("nan"))
        out[k] = {"value": float(x), "lo": float(lo), "hi": float(hi)}
    return out


def calibration(v: LocalVisits, bins: tuple[float, ...] = CALIBRATION_BINS) -> list[dict[str, float]]:
    """Stated probability against the observed share with a curve, per probability bin."""
    out = []
    for lo, hi in zip(bins[:-1], bins[1:]):
        inside = np.isfinite(v.prob) & (v.prob >= lo) & ((v.prob < hi) | (hi >= 1.0))
        if inside.any():
            out.append({"lo": lo, "hi": hi, "n": int(inside.sum()), "mean_prob": float(v.prob[inside].mean()),
                        "observed": float(v.truth[inside].mean())})
    return out


def summary(v: LocalVisits, n_boot: int = 1000, seed: int = 0) -> dict[str, object]:
    """Everything ``validate-local`` reports, as plain JSON-able values."""
    children = np.unique(v.child)
    pos_children = np.unique(v.child[v.truth])
    enough = len(pos_children) >= MIN_POSITIVES
    return {"n_children": int(len(children)), "n_positive_children": int(len(pos_children)),
            "n_visits": int(len(v)), "figures": bootstrap(v, n_boot, seed), "calibration": calibration(v),
            "enough_positives": bool(enough),
            "conclusion": ("" if enough else f"Too few children with scoliosis to conclude: {len(pos_children)} "
                           f"(at least {MIN_POSITIVES} are needed). Treat every figure as provisional."),
            "verification_note": VERIFICATION_NOTE}


# ---- local recalibration ----------------------------------------------------------------------
def fit_platt(logit: np.ndarray, y: np.ndarray, l2: float = 1e-3, iters: int = 200) -> tuple[float, float]:
    """p = sigmoid(a * logit + b) by Newton's method on the log-loss (mild L2 towards (1, 0))."""
    x, t = np.asarray(logit, float), np.asarray(y, float)
    a, b = 1.0, 0.0
    if len(np.unique(t)) < 2:
        return a, b
    for _ in range(iters):
        z = np.clip(a * x + b, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        g = np.array([((p - t) * x).sum() + 2 * l2 * (a - 1), (p - t).sum() + 2 * l2 * b])
        w = p * (1 - p)
        h = np.array([[(w * x * x).sum() + 2 * l2, (w * x).sum()], [(w * x).sum(), w.sum() + 2 * l2]])
        step = np.linalg.solve(h + 1e-9 * np.eye(2), g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    if not (np.isfinite(a) and a > 0):
        return 1.0, 0.0
    return float(a), float(b)


def threshold_for(score: np.ndarray, y: np.ndarray, target: float) -> float:
    """The highest threshold on ``score`` whose sensitivity is at least ``target`` (refer at or
    above it): the best specificity at that sensitivity."""
    pos = np.sort(np.asarray(score, float)[np.asarray(y, bool)])
    if not len(pos):
        return float("inf")
    k = int(np.floor((1 - target) * len(pos) + 1e-9))
    return float(pos[min(k, len(pos) - 1)] - 1e-9)


def grouped_folds(child: np.ndarray, k: int, seed: int = 0) -> list[np.ndarray]:
    """k folds of visit indices, every child's visits in one fold."""
    uniq = np.unique(child)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    fold_of = {uniq[j]: i % k for i, j in enumerate(order)}
    f = np.array([fold_of[c] for c in child])
    return [np.flatnonzero(f == i) for i in range(k)]


def recalibrate(v: LocalVisits, target: float = 0.85, k: int = 5, seed: int = 0) -> dict[str, object]:
    """A new calibration (a, b) and threshold (calibrated logit) on the visits that have a model
    answer, and their cross-validated figures: each fold's children are scored by a calibration
    and threshold fitted on the other folds only."""
    ok = np.isfinite(v.logit)
    w = v.take(np.flatnonzero(ok))
    if len(np.unique(w.child[w.truth])) < 2 or len(np.unique(w.child[~w.truth])) < 2:
        raise ValueError("recalibration needs at least two children with and two without scoliosis")
    k = int(max(2, min(k, len(np.unique(w.child)))))
    pred = np.zeros(len(w), bool)
    cal = np.full(len(w), np.nan)
    for test in grouped_folds(w.child, k, seed):
        train = np.setdiff1d(np.arange(len(w)), test)
        a, b = fit_platt(w.logit[train], w.truth[train])
        thr = threshold_for(a * w.logit[train] + b, w.truth[train], target)
        cal[test] = a * w.logit[test] + b
        pred[test] = cal[test] >= thr
    cv = LocalVisits(w.child, w.truth, np.where(pred, "positive", "negative"), 1 / (1 + np.exp(-cal)), cal)
    a, b = fit_platt(w.logit, w.truth)
    thr = threshold_for(a * w.logit + b, w.truth, target)
    return {"a": a, "b": b, "threshold_logit": thr, "train_prevalence": float(w.truth.mean()),
            "target_sensitivity": float(target), "folds": k, "cv": bootstrap(cv, n_boot=500, seed=seed),
            "n_children": int(len(np.unique(w.child))), "n_positive_children": int(len(np.unique(w.child[w.truth]))),
            "n_visits": int(len(w)),
            # the figures above give every visit a verdict; in use the base model's deferral rules still
            # apply (out of distribution, view, ...): the share it deferred on these visits
            "deferred_by_base_model": float(np.isin(w.label, ["re-record", "inconclusive"]).mean())}


__all__ = ["CALIBRATION_BINS", "LocalVisits", "MIN_POSITIVES", "VERIFICATION_NOTE", "auc", "bootstrap",
           "calibration", "fit_platt", "grouped_folds", "point_figures", "recalibrate", "summary", "threshold_for"]
