"""Signal cross-correlation space: coordination between body parts, per window.

For a pair of per-frame signals (a, b) and each window's ``CONTEXT_FRAMES`` context, the
Pearson correlation r(k) of a(t) with b(t + k) is computed for lags k = -8..8 frames over the
samples where both are valid. Kinds (``Feature.kind``):

* ``xpeak`` r at the lag of the largest |r| (e.g. about -1 for arms swinging in anti-phase);
* ``xzero`` r at zero lag;
* ``xlag``  that lag in seconds, refined by a parabola through the neighbouring |r|;
  positive = b follows a.

A pair needs 12 valid sample pairs and a signal that moves (standard deviation above
``MIN_STD``), otherwise NaN.
"""

from __future__ import annotations

import numpy as np

from scoliscreen.core.kinematics.catalogue import CONTEXT_FRAMES, MAX_LAG_FRAMES
from scoliscreen.core.kinematics.motion_space import context

MIN_PAIRS = 12
MIN_STD_DEG = 0.05  # degrees, for *_deg signals
MIN_STD = 5e-4  # trunk lengths, for the others


def _min_std(name: str) -> float:
    return MIN_STD_DEG if "_deg" in name else MIN_STD


def lagged_correlation(a: np.ndarray, b: np.ndarray, max_lag: int, std_a: float, std_b: float) -> np.ndarray:
    """[W, L] x [W, L] -> [W, 2*max_lag+1] Pearson r of a(t) with b(t+k), k = -max_lag..max_lag.

    All lags at once: b padded with NaN and viewed as ``2*max_lag+1`` shifted copies, so each
    lag uses exactly the sample pairs that exist (the NaN padding is never valid)."""
    W, L = a.shape
    a = np.asarray(a, np.float64)
    pad = np.full((W, max_lag), np.nan)
    bp = np.concatenate([pad, np.asarray(b, np.float64), pad], axis=1)
    y = np.lib.stride_tricks.sliding_window_view(bp, L, axis=1)  # [W, K, L]: y[:, j, t] = b[t + j - max_lag]
    x = a[:, None, :]
    ok = np.isfinite(x) & np.isfinite(y)
    n = ok.sum(axis=2)
    nn = np.maximum(n, 1)
    x0, y0 = np.where(ok, x, 0.0), np.where(ok, y, 0.0)
    mx, my = x0.sum(axis=2) / nn, y0.sum(axis=2) / nn
    dx = np.where(ok, x - mx[..., None], 0.0)
    dy = np.where(ok, y - my[..., None], 0.0)
    sxx, syy, sxy = (dx * dx).sum(axis=2), (dy * dy).sum(axis=2), (dx * dy).sum(axis=2)
    good = (n >= MIN_PAIRS) & (sxx > nn * std_a**2) & (syy > nn * std_b**2)
    den = np.sqrt(np.where(good, sxx * syy, 1.0))
    return np.where(good, np.clip(sxy / den, -1.0, 1.0), np.nan)


def peak(r: np.ndarray, fps: float, max_lag: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(peak r, lag s, zero-lag r) from [W, 2*max_lag+1] correlations."""
    W = r.shape[0]
    mag = np.where(np.isfinite(r), np.abs(r), -1.0)
    i = np.argmax(mag, axis=1)
    rows = np.arange(W)
    has = mag[rows, i] >= 0
    pk = np.where(has, r[rows, i], np.nan)
    # parabolic refinement of the lag on |r|
    lo, hi = np.clip(i - 1, 0, mag.shape[1] - 1), np.clip(i + 1, 0, mag.shape[1] - 1)
    y0, ym, yp = mag[rows, i], mag[rows, lo], mag[rows, hi]
    inner = (i > 0) & (i < mag.shape[1] - 1) & (ym >= 0) & (yp >= 0)
    den = ym - 2 * y0 + yp
    ok = inner & (den < -1e-12)
    delta = np.where(ok, 0.5 * (ym - yp) / np.where(ok, den, -1.0), 0.0)
    lag = np.where(has, (i - max_lag + np.clip(delta, -0.5, 0.5)) / fps, np.nan)
    return pk, lag, r[:, max_lag]


def xcorr_features(features, signals: dict, starts: np.ndarray, fps: float) -> np.ndarray:
    """[W, len(features)] cross-correlation features (catalogue order of ``features``)."""
    W = len(starts)
    cache: dict[tuple, tuple] = {}
    out = np.full((W, len(features)), np.nan)
    for j, f in enumerate(features):
        key = f.args
        if key not in cache:
            a_name, b_name = key
            a = context(signals[a_name], starts, CONTEXT_FRAMES)
            b = context(signals[b_name], starts, CONTEXT_FRAMES)
            r = lagged_correlation(a, b, MAX_LAG_FRAMES, _min_std(a_name), _min_std(b_name))
            cache[key] = peak(r, fps, MAX_LAG_FRAMES)
        pk, lag, zero = cache[key]
        out[:, j] = {"xpeak": pk, "xlag": lag, "xzero": zero}[f.kind]
    return out
