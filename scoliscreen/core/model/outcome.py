"""One coherent answer from one distributional head over the Cobb angle.

The network gives one location ``eta`` per clip; a cumulative-link (proportional-odds) head
with learned, ordered cut-points ``c_k`` turns it into the survival function of the Cobb angle
at fixed thresholds :data:`COBB_THRESHOLDS`::

    P(Cobb >= t_k) = sigmoid(a * (eta - c_k) + b + shift)

``a, b``: Platt calibration fitted on validation subjects; ``shift``: prior shift from the
training prevalence to the stated setting's prevalence (:func:`prevalence_shift`). Everything
shown to a user is derived from that one survival function, so it agrees by construction:

* ``probability`` = P(Cobb >= 10°), a knot of the survival function;
* band probabilities: P(<10) = 1 - P(>=10), P(10-25) = P(>=10) - P(>=25), ... (sum to 1);
* the Cobb median and 80 % interval: quantiles 0.5, 0.1 and 0.9 of the piecewise-linear
  survival function through (0°, 1), the thresholds, and (:data:`COBB_MAX`, 0); so the
  median is >= 10° exactly when P(>=10°) >= 0.5 and the interval always contains it;
* ``severity_band``: the band that holds the median (not an arg-max that could disagree).

Training uses the same likelihood (:func:`interval_nll`): a label is an interval of Cobb
bins; an exact Cobb angle is the bin that holds it, a class-only label (Scoliosis1K
negative / neutral / positive) is the interval of :data:`CLASS_COBB_INTERVALS`
(interval-censored Cobb).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scoliscreen.core.constants import POSITIVE_COBB, SEVERITY_BANDS
from scoliscreen.core.constants import SEVERITY_EDGES as BAND_EDGES

COBB_THRESHOLDS = (5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0)  # the cumulative-link cut-points (deg)
POSITIVE_INDEX = COBB_THRESHOLDS.index(POSITIVE_COBB)
BAND_EDGE_INDEX = tuple(COBB_THRESHOLDS.index(e) for e in BAND_EDGES)
COBB_MAX = 70.0  # the survival function reaches 0 here (for the quantiles only)
INTERVAL_QUANTILES = (0.1, 0.9)  # the 80 % interval
N_BINS = len(COBB_THRESHOLDS) + 1  # [0,5), [5,10), ..., [40,50), [50, inf)

# Class-only labels as Cobb intervals (degrees, [lo, hi)). No source states the Cobb range
# of Scoliosis1K's "neutral" class; this is a documented option (docs/model.md):
# negative = no curve (< 5°), neutral = a trunk asymmetry below the scoliosis threshold
# (5-10°), positive = Cobb >= 10° (the SRS definition and the paper's label).
CLASS_COBB_INTERVALS = {
    "negative": (0.0, 5.0),
    "neutral": (5.0, 10.0),
    "positive": (10.0, math.inf),
    "0": (0.0, 10.0),   # a binary label without a Cobb angle
    "1": (10.0, math.inf),
}

SCHOOL_PREVALENCE = 0.03  # AIS with Cobb >= 10° in school populations: 2-3 % (science.md)


def _sigmoid(x):
    x = np.asarray(x, np.float64)
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # exact symmetry: sigmoid(-x) = 1 - sigmoid(x)


def logit(p: float) -> float:
    p = min(max(float(p), 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def prevalence_shift(train_prevalence: float, target_prevalence: float | None) -> float:
    """Log-odds shift that re-weights a probability calibrated at ``train_prevalence`` to a
    population with ``target_prevalence`` (Bayes' rule, same likelihood ratio). ``None``: 0."""
    if target_prevalence is None:
        return 0.0
    return logit(target_prevalence) - logit(train_prevalence)


def bin_index(cobb) -> np.ndarray:
    """Cobb bin (0 .. N_BINS-1) of exact angle(s)."""
    return np.searchsorted(np.asarray(COBB_THRESHOLDS), np.asarray(cobb, float), side="right")


def interval_bins(lo: float, hi: float) -> tuple[int, int]:
    """First and last Cobb bin of the label interval [lo, hi) (a class-only label)."""
    first = int(bin_index(lo))
    last = N_BINS - 1 if not math.isfinite(hi) else int(np.searchsorted(COBB_THRESHOLDS, hi, side="left"))
    return first, max(first, last)


def label_bins(cobb, label_class=None) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) bin arrays for training: the bin of the Cobb angle where it is known
    (finite), else the interval of the class (``CLASS_COBB_INTERVALS``; key as str)."""
    cobb = np.asarray(cobb, float)
    first = bin_index(np.nan_to_num(cobb)).astype(np.int64)
    last = first.copy()
    if label_class is not None:
        for i in np.flatnonzero(~np.isfinite(cobb)):
            first[i], last[i] = interval_bins(*CLASS_COBB_INTERVALS[str(label_class[i])])
    return first, last


def interval_nll(cum_logits, first, last, weight=None):
    """Mean negative log-likelihood (torch) of Cobb lying in bins ``first..last`` under
    cumulative logits ``cum_logits`` [B, K] (logit of P(Cobb >= t_k))."""
    import torch

    s = torch.sigmoid(cum_logits)
    ones = torch.ones_like(s[:, :1])
    ext = torch.cat([ones, s, torch.zeros_like(ones)], 1)  # S(>= bin b) for b = 0 .. N_BINS
    p = ext.gather(1, first.view(-1, 1)) - ext.gather(1, (last + 1).view(-1, 1))
    nll = -torch.log(p.squeeze(1).clamp_min(1e-7))
    if weight is not None:
        return (nll * weight).sum() / weight.sum()
    return nll.mean()


def survival(cum_logits, a: float = 1.0, b: float = 0.0, shift: float = 0.0) -> np.ndarray:
    """Calibrated P(Cobb >= t_k) [..., K] (float64) from raw cumulative logits [..., K]."""
    return _sigmoid(a * np.asarray(cum_logits, np.float64) + b + shift)


def quantiles(surv, qs) -> np.ndarray:
    """Quantiles of the Cobb angle [..., len(qs)] from the survival function [..., K]."""
    surv = np.atleast_2d(np.asarray(surv, np.float64))
    t = np.concatenate([[0.0], COBB_THRESHOLDS, [COBB_MAX]])
    out = np.empty((surv.shape[0], len(qs)))
    for i, s in enumerate(surv):
        cdf = 1.0 - np.concatenate([[1.0], np.minimum.accumulate(s), [0.0]])  # non-decreasing
        for j, q in enumerate(qs):
            k = int(np.searchsorted(cdf, q, side="left"))  # first knot with cdf >= q
            k = min(max(k, 1), len(t) - 1)
            lo, hi = cdf[k - 1], cdf[k]
            frac = 0.0 if hi <= lo else (q - lo) / (hi - lo)
            out[i, j] = t[k - 1] + frac * (t[k] - t[k - 1])
    return out


def band_probabilities(surv) -> np.ndarray:
    """[..., 4] probabilities of the severity bands (sum 1) from the survival function."""
    surv = np.asarray(surv, np.float64)
    edges = [surv[..., k] for k in BAND_EDGE_INDEX]
    parts = [1.0 - edges[0]] + [edges[i] - edges[i + 1] for i in range(len(edges) - 1)] + [edges[-1]]
    return np.stack(parts, -1)


def band_of(cobb) -> np.ndarray:
    """Severity band index (0..3) of Cobb angle(s)."""
    return np.searchsorted(np.asarray(BAND_EDGES), np.asarray(cobb, float), side="right")


@dataclass
class CobbOutcome:
    probability: float  # P(Cobb >= 10°)
    band_probabilities: dict  # band -> p (sums to 1)
    severity_band: str  # the band of the median
    median: float  # degrees
    interval: tuple  # (lo, hi) 80 % interval, degrees
    survival: tuple  # P(Cobb >= t) at COBB_THRESHOLDS


def outcome(cum_logits, a: float = 1.0, b: float = 0.0, shift: float = 0.0) -> CobbOutcome:
    """The full answer of one clip from its raw cumulative logits [K]."""
    s = survival(np.asarray(cum_logits, np.float64).reshape(-1), a, b, shift)
    bp = band_probabilities(s)
    lo, med, hi = quantiles(s, (INTERVAL_QUANTILES[0], 0.5, INTERVAL_QUANTILES[1]))[0]
    return CobbOutcome(
        probability=float(s[POSITIVE_INDEX]),
        band_probabilities={name: float(p) for name, p in zip(SEVERITY_BANDS, bp)},
        severity_band=SEVERITY_BANDS[int(band_of(med))],
        median=float(med), interval=(float(lo), float(hi)), survival=tuple(float(v) for v in s),
    )


def medians(cum_logits, a: float = 1.0, b: float = 0.0, shift: float = 0.0) -> np.ndarray:
    """Median Cobb [N] of many clips (for metrics)."""
    return quantiles(survival(cum_logits, a, b, shift), (0.5,))[:, 0]
