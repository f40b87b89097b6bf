"""A pose-estimator error model fitted on what MediaPipe really does on the real clips.

Fitted on the cached MediaPipe 1.2.3 outputs of the four real clips (``tests/data/poses``,
see its README), on the frames where the walker is tracked (``REAL_SEGMENTS``): two back-view
walks away from the camera (15 and 10 fps, about 3 s and 1.8 s) and their standing parts,
and two side-view walks at 30 fps (the single-walker clip and the walker's frames 168-201 of
the multi-person clip; frames 10-165 there track another person and are not used).

What is measured (``fit_pose_errors``):

* **jitter**: per landmark group, the residual of x, y after a Savitzky-Golay smoother
  (order 2, about 0.3-0.5 s), as a robust SD relative to the body height, and its lag-1
  autocorrelation. An AR(1) noise process is then *calibrated* so that the same smoother
  applied to it gives the same residual SD and lag-1 autocorrelation (``_calibrate``):
  the stored figures are the AR(1) amplitude and time constant, not the raw residual.
  The share of the jitter common to all landmarks of a frame is measured too.
* **left/right swaps**: a sequential detector per left/right pair (shoulder, elbow, wrist,
  hip, knee, ankle) relabels a frame when swapping the pair moves it much closer to the
  previous frame. Events where most pairs swap together are whole-body flips (MediaPipe
  taking the back for the front); the rest are single-limb swaps. Rate per second and length.
* **dropped frames**: frames with no pose inside the walker's segments, rate and run lengths.
* **visibility**: per group, for the near and the far limb (by MediaPipe's own z), mean and
  SD of logit(visibility) in the frames with the whole body inside the picture, per view
  (back, side), and its time constant.
* **depth**: the residual of z (in x's pixel scale) after the same smoother, relative to body
  height.

Limits: four short clips, one person each, two adults, no front view and no child; 10-30
fps. Counts of rare events (swaps, drops) are a handful, so their rates are uncertain by a
factor of two or more. Walking residuals contain some true motion the smoother misses
(largest for wrists and feet at 10-15 fps); standing segments are reported beside them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import lfilter, savgol_filter

from scoliscreen.core.landmarks import MP, MP_NAMES
from scoliscreen.core.sequence import load_sequence

PARAMS_PATH = Path(__file__).resolve().parent / "data" / "pose_errors.json"
GROUPS: dict[str, list[int]] = {
    "face": list(range(11)),
    "shoulder": [MP["left_shoulder"], MP["right_shoulder"]],
    "elbow": [MP["left_elbow"], MP["right_elbow"]],
    "hand": [MP[n] for n in MP_NAMES if any(k in n for k in ("wrist", "pinky", "index", "thumb"))],
    "hip": [MP["left_hip"], MP["right_hip"]],
    "knee": [MP["left_knee"], MP["right_knee"]],
    "foot": [MP[n] for n in MP_NAMES if any(k in n for k in ("ankle", "heel", "foot_index"))],
}
PAIRS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
# side groups: (left indices, right indices) for the near/far split of visibility
SIDED = {g: ([i for i in idx if MP_NAMES[i].startswith("left")], [i for i in idx if MP_NAMES[i].startswith("right")])
         for g, idx in GROUPS.items() if g != "face"}
SWAP_JUMP = 0.06        # a relabelling needs the kept labels to jump this much (body heights) ...
SWAP_GAIN = 0.5         # ... and the swapped labels to cost less than this fraction of it
WHOLE_BODY_PAIRS = 4    # this many pairs swapped in a frame = a whole-body flip


@dataclass(frozen=True)
class Segment:
    clip: str
    view: str
    kind: str   # "walk" / "stand"
    start: int
    stop: int


REAL_SEGMENTS = (
    Segment("intel_worker_back_walk_away", "back", "walk", 6, 50),
    Segment("intel_worker_back_walk_away", "back", "stand", 52, 71),
    Segment("intel_one_by_one_back_walk_22s", "back", "walk", 66, 85),
    Segment("intel_one_by_one_back_walk_22s", "back", "stand", 88, 180),
    Segment("sports2d_side_walk_single", "side", "walk", 0, 147),
    Segment("sports2d_demo_multiperson", "side", "walk", 168, 202),
)


def _window(fps: float) -> int:
    """Smoother window: the odd frame count nearest 0.3 s, at least 5."""
    w = max(5, int(round(0.3 * fps)))
    return w if w % 2 else w + 1


def _smooth(x: np.ndarray, fps: float) -> np.ndarray:
    """Savitzky-Golay (order 2) along axis 0, NaN gaps bridged linearly for the filter only."""
    x = np.array(x, dtype=float)
    flat = x.reshape(len(x), -1)
    idx = np.arange(len(x))
    for j in range(flat.shape[1]):
        ok = np.isfinite(flat[:, j])
        if ok.sum() >= 2 and not ok.all():
            flat[~ok, j] = np.interp(idx[~ok], idx[ok], flat[ok, j])
    return savgol_filter(flat, _window(fps), 2, axis=0).reshape(x.shape)


def _robust_sd(r: np.ndarray) -> float:
    r = r[np.isfinite(r)]
    return float(1.4826 * np.median(np.abs(r - np.median(r)))) if len(r) else float("nan")


def _lag1(r: np.ndarray) -> float:
    """Lag-1 autocorrelation along axis 0, pooled over the other axes."""
    a, b = r[1:], r[:-1]
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum())) if len(a) > 2 else float("nan")


def _smoother_response(tau_s: float, fps: float) -> tuple[float, float]:
    """(residual SD / noise SD, residual lag-1 autocorrelation) of unit AR(1) noise with time
    constant ``tau_s`` after the smoother at ``fps`` (fixed-seed simulation)."""
    a = float(np.exp(-1.0 / (fps * tau_s))) if tau_s > 0 else 0.0
    e = np.random.default_rng(0).standard_normal((4000, 8))
    x = lfilter([np.sqrt(1 - a * a)], [1.0, -a], e, axis=0)[50:]
    r = x - savgol_filter(x, _window(fps), 2, axis=0)
    return float(r.std()), _lag1(r)


TAU_GRID = (0.0, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.13, 0.17, 0.22, 0.3)


def _tau_from_lag1(lag1: float, fps: float) -> float:
    """The AR(1) time constant (s, on ``TAU_GRID``) whose smoother residual has this lag-1
    autocorrelation at ``fps``. Only resolvable where a frame is short (>= 25 fps)."""
    return min(TAU_GRID, key=lambda tau: abs(_smoother_response(tau, fps)[1] - lag1))


def _body_height(px: np.ndarray) -> np.ndarray:
    """Pose height in pixels per frame (smoothed; gaps filled)."""
    with np.errstate(all="ignore"):
        h = np.nanmax(px[..., 1], axis=1) - np.nanmin(px[..., 1], axis=1)
    return np.asarray(_smooth(h, 10.0))


def detect_swaps(px: np.ndarray, body_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sequential left/right swap detector. Returns (swapped [T, len(PAIRS)] bool relative to
    the majority labelling, landmarks [T, 33, 2] with the swaps undone)."""
    n = len(px)
    state = np.zeros((n, len(PAIRS)), dtype=bool)
    for j, name in enumerate(PAIRS):
        li, ri = MP[f"left_{name}"], MP[f"right_{name}"]
        on, prev = False, None
        for t in range(n):
            L, R = px[t, li], px[t, ri]
            if not (np.isfinite(L).all() and np.isfinite(R).all()):
                state[t, j] = on
                continue
            if on:
                L, R = R, L
            if prev is not None:
                keep = np.linalg.norm(L - prev[0]) + np.linalg.norm(R - prev[1])
                swap = np.linalg.norm(L - prev[1]) + np.linalg.norm(R - prev[0])
                if keep > SWAP_JUMP * body_h[t] and swap < SWAP_GAIN * keep:
                    on, (L, R) = not on, (R, L)
            state[t, j] = on
            prev = (L, R)
        if state[:, j].mean() > 0.5:
            state[:, j] = ~state[:, j]
    return state, undo_swaps(px, state)


def _pair_indices(name: str) -> tuple[list[int], list[int]]:
    """(left, right) landmarks that move with a detected swap of pair ``name``."""
    parts = {"ankle": ("ankle", "heel", "foot_index"), "wrist": ("wrist", "pinky", "index", "thumb")}.get(name, (name,))
    return [MP[f"left_{k}"] for k in parts], [MP[f"right_{k}"] for k in parts]


def undo_swaps(arr: np.ndarray, state: np.ndarray) -> np.ndarray:
    """``arr`` [T, 33, ...] with the left/right labels of the swapped frames (``detect_swaps``) put back."""
    fixed = arr.copy()
    for j, name in enumerate(PAIRS):
        left, right = _pair_indices(name)
        rows = np.nonzero(state[:, j])[0]
        fixed[np.ix_(rows, np.array(left + right))] = arr[np.ix_(rows, np.array(right + left))]
    return fixed


def _weighted_median(x: list[float], w: list[float]) -> float:
    order = np.argsort(x)
    cw = np.cumsum(np.asarray(w, float)[order])
    return float(np.asarray(x, float)[order][np.searchsorted(cw, 0.5 * cw[-1])])


def _runs(mask: np.ndarray) -> list[int]:
    out, run = [], 0
    for m in list(mask) + [False]:
        if m:
            run += 1
        elif run:
            out.append(run)
            run = 0
    return out


def load_segment(folder: Path, seg: Segment) -> dict:
    seq = load_sequence(Path(folder) / f"{seg.clip}.npz")
    part = seq.slice(seg.start, seg.stop)
    px = part.pixels().astype(float)
    return {"seq": part, "px": px, "z": part.landmarks[..., 2].astype(float) * part.image_size[0],
            "vis": part.landmarks[..., 3].astype(float), "det": part.detected, "fps": part.fps,
            "inside": (part.landmarks[..., 0] >= 0) & (part.landmarks[..., 0] <= 1)
            & (part.landmarks[..., 1] >= 0) & (part.landmarks[..., 1] <= 1),
            "whole_inside": _whole_inside(part.landmarks)}


def _whole_inside(lm: np.ndarray) -> np.ndarray:
    """bool [T, 1]: every landmark of the frame inside [0.02, 0.98] of the picture."""
    inside = np.asarray((lm[..., :2] > 0.02) & (lm[..., :2] < 0.98))
    return np.asarray(inside.reshape(len(lm), -1).all(axis=1))[:, None]


def fit_segment(d: dict) -> dict:
    """Every figure of one segment (see the module docstring)."""
    px, fps = d["px"], d["fps"]
    body_h = _body_height(px)
    swapped, fixed = detect_swaps(px, body_h)
    clean = ~swapped.any(axis=1)
    resid = (fixed - _smooth(fixed, fps)) / body_h[:, None, None]
    resid[~clean] = np.nan
    zres = (d["z"] - _smooth(d["z"], fps)) / body_h[:, None]
    zres[~clean] = np.nan
    lag1 = _lag1(resid.reshape(len(resid), -1))
    out: dict = {"frames": int(len(px)), "seconds": round(len(px) / fps, 2), "fps": fps, "jitter": {},
                 "lag1": round(lag1, 3), "tau_s": _tau_from_lag1(lag1, fps) if fps >= 25 else None}
    for g, idx in GROUPS.items():
        out["jitter"][g] = {"residual_sd": round(_robust_sd(resid[:, idx]), 5),
                            "z_residual_sd": round(_robust_sd(zres[:, idx]), 5)}
    lv = _logit(d["vis"])
    lv[~d["inside"]] = np.nan
    out["visibility_lag1"] = round(_lag1(lv - np.nanmean(lv, axis=0)), 3)
    k = 33
    ratio = np.nanvar(np.nanmean(resid[..., 0], axis=1)) / np.nanmean(np.nanvar(resid[..., 0], axis=0))
    out["common_share"] = round(float(np.clip((ratio - 1 / k) / (1 - 1 / k), 0.0, 1.0)), 3)
    whole = swapped.sum(axis=1) >= WHOLE_BODY_PAIRS
    limb = swapped.any(axis=1) & ~whole
    out["swaps"] = {"whole_body_runs": _runs(whole), "limb_runs": _runs(limb),
                    "pairs_swapped_frames": {p: int(swapped[:, j].sum()) for j, p in enumerate(PAIRS)}}
    out["drop_runs"] = _runs(~d["det"])
    out["visibility"] = _visibility(d)
    return out


def _logit(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.01, 0.999)
    return np.log(v / (1 - v))


def _visibility(d: dict) -> dict:
    """logit(visibility) mean and SD per group, near and far limb (by MediaPipe z), over the
    frames with the whole body inside the picture (a cut-off body is modelled separately)."""
    lv = _logit(d["vis"])
    lv[~d["whole_inside"] | ~np.isfinite(lv)] = np.nan
    out: dict = {"face": _ms(lv[:, GROUPS["face"]])}
    for g, (left, right) in SIDED.items():
        zl, zr = np.nanmean(d["z"][:, left], axis=1), np.nanmean(d["z"][:, right], axis=1)
        left_near = (zl <= zr)[:, None]
        near = np.where(left_near, lv[:, left], lv[:, right])
        far = np.where(left_near, lv[:, right], lv[:, left])
        out[g] = {"near": _ms(near), "far": _ms(far)}
    return out


def _ms(x: np.ndarray) -> list[float]:
    x = x[np.isfinite(x)]
    return [round(float(x.mean()), 3), round(float(x.std()), 3)] if len(x) else [float("nan"), float("nan")]


def fit_pose_errors(folder: str | Path) -> dict:
    """Fit the model on the real pose files in ``folder``; returns the parameter dict stored
    in ``PARAMS_PATH`` (``model``) with the per-segment figures (``segments``)."""
    segs = {f"{s.clip}[{s.start}:{s.stop}] {s.view} {s.kind}": fit_segment(load_segment(Path(folder), s))
            for s in REAL_SEGMENTS}
    kinds = {k: next(s for s in REAL_SEGMENTS if k.startswith(f"{s.clip}[{s.start}:")) for k in segs}
    walks = [k for k in segs if kinds[k].kind == "walk"]
    # one time constant from the walks filmed at >= 25 fps; then each walk's residual SD is
    # turned into the AR(1) noise SD through that smoother's response at the walk's fps
    fast = [k for k in walks if segs[k]["tau_s"] is not None]
    tau = _weighted_median([segs[k]["tau_s"] for k in fast], [segs[k]["seconds"] for k in fast])
    gain = {k: _smoother_response(tau, segs[k]["fps"])[0] for k in walks}
    jitter = {}
    for g in GROUPS:
        sig = np.array([segs[k]["jitter"][g]["residual_sd"] / gain[k] for k in walks])
        zsig = np.array([segs[k]["jitter"][g]["z_residual_sd"] / gain[k] for k in walks])
        jitter[g] = {"sigma": round(float(np.median(sig)), 5),
                     "sigma_range": [round(float(sig.min()), 5), round(float(sig.max()), 5)],
                     "z_sigma": round(float(np.median(zsig)), 5)}
    vis_lag1 = float(np.median([segs[k]["visibility_lag1"] for k in walks if segs[k]["fps"] >= 25]))
    walk_s = float(sum(segs[k]["seconds"] for k in walks))
    whole = [r for k in walks for r in segs[k]["swaps"]["whole_body_runs"]]
    limb = [r for k in walks for r in segs[k]["swaps"]["limb_runs"]]
    drops = [r / segs[k]["fps"] for k in walks for r in segs[k]["drop_runs"]]
    frames = [(r, segs[k]["fps"]) for k in walks for r in segs[k]["swaps"]["whole_body_runs"] + segs[k]["swaps"]["limb_runs"]]
    vis: dict = {}
    for view in ("back", "side"):
        ks = [k for k in walks if kinds[k].view == view]
        vis[view] = {"face": np.mean([segs[k]["visibility"]["face"] for k in ks], axis=0).round(3).tolist()}
        for g in SIDED:
            vis[view][g] = {nf: np.mean([segs[k]["visibility"][g][nf] for k in ks], axis=0).round(3).tolist()
                            for nf in ("near", "far")}
    model = {
        "fitted_on": "MediaPipe 1.2.3 pose_landmarker_full VIDEO mode on tests/data/poses (REAL_SEGMENTS)",
        "walking_seconds": round(walk_s, 2),
        "jitter_tau_s": round(tau, 3),
        "jitter": jitter,
        # visibility fluctuations: AR(1) time constant from the lag-1 autocorrelation at 30 fps
        "visibility_tau_s": round(float(-1.0 / (30.0 * np.log(np.clip(vis_lag1, 0.05, 0.99)))), 3),
        "common_share": round(float(np.median([segs[k]["common_share"] for k in walks])), 3),
        # Jeffreys estimates (k + 0.5) / T for rare events
        "swap_whole_body_per_s": round((len(whole) + 0.5) / walk_s, 4),
        "swap_limb_per_s": round((len(limb) + 0.5) / walk_s, 4),
        "swap_mean_s": round(float(np.mean([r / f for r, f in frames])) if frames else 0.1, 3),
        "swap_events": {"whole_body": len(whole), "limb": len(limb)},
        "drop_per_s": round((len(drops) + 0.5) / walk_s, 4),
        "drop_mean_s": round(float(np.mean(drops)) if drops else 0.067, 3),
        "drop_events": len(drops),
        "visibility_logit": vis,
    }
    return {"model": model, "segments": segs}


def save_params(fit: dict, path: Path = PARAMS_PATH) -> None:
    from scoliscreen.core.fileio import atomic_write_text

    atomic_write_text(path, json.dumps(fit, indent=1, sort_keys=True) + "\n", private=False)  # a bundled resource


_CACHE: dict = {}


def load_params(path: Path = PARAMS_PATH) -> dict:
    """The stored fit (``{"model": ..., "segments": ...}``), read once."""
    key = str(path)
    if key not in _CACHE:
        _CACHE[key] = json.loads(path.read_text(encoding="utf-8"))
    return _CACHE[key]
