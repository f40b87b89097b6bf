"""Motion space: how posture and limbs move, per window.

Each window's motion features are measured over ``CONTEXT_FRAMES`` (32 frames, about one gait
cycle) centred on the window; gait timing (step time, cadence, step-time asymmetry) over
``GAIT_CONTEXT_FRAMES`` (64 frames, about two strides) so that every window sees both a right
and a left step. Kinds (``Feature.kind``):

* ``range``  95th - 5th percentile of a per-frame signal (needs 8 valid frames);
* ``vel``    RMS of its frame-to-frame rate of change (per second);
* ``swing``  amplitude of a limb point's path relative to its root, 3-D with depth:
  2*sqrt(2)*RMS distance from the mean position (= peak-to-peak for a sinusoidal swing);
* ``speed``  RMS speed of that path;
* ``step_length``  how far this foot gets ahead of the other (95th percentile of the step signal);
* ``asym``   (right - left) / larger x 100 of a per-side feature, NaN when both are tiny;
* ``gait``   step timing from the crossings of the step signal (feet passing each other).
"""

from __future__ import annotations

import numpy as np

from scoliscreen.core.kinematics.catalogue import CONTEXT_FRAMES, WINDOW_FRAMES
from scoliscreen.core.kinematics.geometry import Body, nanmean, nanquantile, take

GAIT_CONTEXT_FRAMES = 64
MIN_RANGE_FRAMES = 8
MIN_VEL_DIFFS = 6
MIN_GAIT_FRAMES = 24
MIN_STEP_FRAMES = 6  # 0.2 s: no real step is shorter
STEP_TIME_S = (0.25, 1.5)  # plausible walking step times
# smallest magnitude (per side) for which an asymmetry ratio is meaningful, per base feature
MIN_ASYM = {
    "arm_swing": 0.02, "leg_swing": 0.02, "step_length": 0.02, "wrist_speed": 0.05,
    "elbow_flexion_range": 1.0, "knee_flexion_range": 1.0,
}


def context(x: np.ndarray, starts: np.ndarray, length: int = CONTEXT_FRAMES) -> np.ndarray:
    """[T, ...] -> [W, length, ...] centred on each window (NaN outside the clip)."""
    return take(x, starts, length, offset=WINDOW_FRAMES // 2 - length // 2)


def _range(win: np.ndarray) -> np.ndarray:
    q = nanquantile(win, [0.05, 0.95], axis=1, min_count=MIN_RANGE_FRAMES)
    return q[1] - q[0]


def _vel(win: np.ndarray, fps: float) -> np.ndarray:
    d = np.diff(win, axis=1) * fps
    return np.sqrt(nanmean(d * d, axis=1, min_count=MIN_VEL_DIFFS))


def _limb_path(body: Body, args: tuple) -> np.ndarray:
    """'wrist_left', 'shoulder_left' -> [T, 3] wrist relative to shoulder."""
    (tip, side), (root, _) = (a.rsplit("_", 1) for a in args)
    return body.point(f"{side}_{tip}") - body.point(f"{side}_{root}")


def _swing(path_win: np.ndarray) -> np.ndarray:
    ok = np.isfinite(path_win).all(axis=2, keepdims=True)
    pw = np.where(ok, path_win, np.nan)
    var = sum(nanmean((pw[..., c] - nanmean(pw[..., c], axis=1)[:, None]) ** 2, axis=1, min_count=MIN_RANGE_FRAMES)
              for c in range(3))
    return 2.0 * np.sqrt(2.0) * np.sqrt(var)


def _speed(path_win: np.ndarray, fps: float) -> np.ndarray:
    d = np.diff(path_win, axis=1) * fps
    sp2 = np.sum(d * d, axis=2)
    sp2 = np.where(np.isfinite(d).all(axis=2), sp2, np.nan)
    return np.sqrt(nanmean(sp2, axis=1, min_count=MIN_VEL_DIFFS))


def asymmetry_pct(left: np.ndarray, right: np.ndarray, min_mag: float = 0.0) -> np.ndarray:
    """(right - left) / larger x 100; NaN where both magnitudes are below ``min_mag``."""
    big = np.fmax(np.abs(left), np.abs(right))
    ok = big > max(min_mag, 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, 100.0 * (right - left) / np.where(ok, big, 1.0), np.nan)


def _crossings(a: np.ndarray) -> np.ndarray:
    """Sub-frame times where a changes sign (consecutive valid samples only).

    Two crossings closer than ``MIN_STEP_FRAMES`` are a flicker, not two steps: both go.
    """
    a0, a1 = a[:-1], a[1:]
    ok = np.isfinite(a0) & np.isfinite(a1)
    idx = np.nonzero(ok & (np.signbit(a0) != np.signbit(a1)))[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = a0[idx] / (a0[idx] - a1[idx])
    c = list(idx + np.nan_to_num(frac, nan=0.5))
    out: list[float] = []
    for t in c:
        if out and t - out[-1] < MIN_STEP_FRAMES:
            out.pop()
        else:
            out.append(t)
    return np.asarray(out, dtype=np.float64)


def gait_timing(a: np.ndarray, fps: float) -> tuple[float, float]:
    """(step time s, step-time asymmetry %) from one stretch of the step signal.

    Step time = mean interval between feet crossings. Asymmetry compares the mean duration of
    the complete half-cycles with the right foot ahead (a > 0) and with the left foot ahead.
    """
    if np.isfinite(a).sum() < MIN_GAIT_FRAMES:
        return np.nan, np.nan
    c = _crossings(a)
    if len(c) < 2:
        return np.nan, np.nan
    gaps = np.diff(c)
    step = float(np.mean(gaps)) / fps
    if not STEP_TIME_S[0] <= step <= STEP_TIME_S[1]:
        return np.nan, np.nan  # not walking (shuffling, jumping, label noise)
    if len(c) < 3:
        return step, np.nan
    after = np.clip(np.floor(c[:-1]).astype(int) + 1, 0, len(a) - 1)  # first sample of each half-cycle
    right = ~np.signbit(a[after])  # (valid by construction of the crossings)
    if right.all() or (~right).all():
        return step, np.nan
    tr, tl = gaps[right].mean(), gaps[~right].mean()
    return step, float(100.0 * (tr - tl) / (0.5 * (tr + tl)))


def motion_features(features, body: Body, signals: dict, starts: np.ndarray) -> np.ndarray:
    """[W, len(features)] motion features (catalogue order of ``features``)."""
    fps = body.fps
    W = len(starts)
    out: dict[str, np.ndarray] = {}
    gait_cache: dict[str, np.ndarray] = {}

    def gait(name):
        if not gait_cache:
            win = context(signals["step_signal"], starts, GAIT_CONTEXT_FRAMES)
            res = np.array([gait_timing(row, fps) for row in win]).reshape(W, 2)
            with np.errstate(invalid="ignore", divide="ignore"):
                cad = 60.0 / res[:, 0]
            gait_cache.update(step_time_s=res[:, 0], step_time_asym_pct=res[:, 1], cadence_spm=cad)
            gait_cache["step_width"] = nanmean(context(signals["step_width"], starts), axis=1, min_count=MIN_RANGE_FRAMES)
            gait_cache["trunk_sway_range"] = _range(context(signals["sway_lateral"], starts))
        return gait_cache[name]

    for f in features:
        k = f.kind
        if k == "range":
            out[f.name] = _range(context(signals[f.args[0]], starts))
        elif k == "vel":
            out[f.name] = _vel(context(signals[f.args[0]], starts), fps)
        elif k == "swing":
            out[f.name] = _swing(context(_limb_path(body, f.args), starts))
        elif k == "speed":
            out[f.name] = _speed(context(_limb_path(body, f.args), starts), fps)
        elif k == "step_length":
            a = context(signals["step_signal"], starts)
            a = a if f.args[0] == "right" else -a
            out[f.name] = nanquantile(a, 0.95, axis=1, min_count=MIN_RANGE_FRAMES)
        elif k == "gait":
            out[f.name] = gait(f.name)
    for f in features:  # asymmetries use per-side features computed above
        if f.kind == "asym":
            left, right = out[f.args[0]], out[f.args[1]]
            base = f.args[0].split("_", 1)[1]
            out[f.name] = asymmetry_pct(left, right, MIN_ASYM.get(base, 0.0))
    return np.stack([out[f.name] for f in features], axis=1) if features else np.zeros((W, 0))
