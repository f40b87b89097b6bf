"""Per-frame measures of the recording quality gate (:mod:`scoliscreen.core.quality`) and every
threshold it uses (:class:`QualityThresholds`, :data:`THRESHOLDS`): false detections, whole body
in view, walking, a change of the tracked person, the view, a video lying sideways."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoliscreen.core.constants import CLIP_FRAMES, TARGET_FPS
from scoliscreen.core.landmarks import MP
from scoliscreen.core.sequence import PoseSequence


@dataclass(frozen=True)
class QualityThresholds:
    """Every number the gate uses, in one place."""

    # false-detection filter (per frame)
    min_body_height: float = 0.15  # pose height / image height
    min_mean_visibility: float = 0.30  # mean visibility over the 33 landmarks
    min_torso_to_height: float = 0.12  # torso length / pose height (degenerate skeletons)
    # whole body in frame
    body_visibility: float = 0.5  # of each left/right pair (shoulders, hips, ankles) one at least this visible ...
    far_side_visibility: float = 0.2  # ... and the other (the far side, often faint) at least this
    visibility_smooth_s: float = 0.5  # visibility is a running median over this long (brief dips do not count)
    frame_margin: float = 0.02  # ... and all six inside [-margin, 1 + margin] of the picture
    # walking (over a window)
    walk_window_s: float = 1.0
    walk_min_ankle_sd: float = 0.10  # SD of the ankle-to-ankle vector, in torso lengths
    walk_min_speed: float = 0.35  # hip-centre speed, torso lengths per second
    segment_max_gap_s: float = 0.4  # unusable frames tolerated inside a walking segment (a blur, a dip)
    min_walk_samples: int = CLIP_FRAMES  # at TARGET_FPS: 96 frames at 30 Hz = 3.2 s
    # refusals
    min_detection_rate: float = 0.5  # person found in at least half of the frames
    min_full_body_rate: float = 0.5  # of the frames with a person
    # warnings
    warn_full_body_rate: float = 0.8
    low_fps: float = 24.0
    side_view_ratio: float = 0.35  # shoulder width / torso length below this = side view
    switch_jump_torsos: float = 1.0  # hip centre jump between frames, in torso lengths ...
    switch_speed_torsos: float = 8.0  # ... beyond this speed (torso lengths/s) = other person
    switch_scale_ratio: float = 1.6  # torso length changing by this factor between frames
    switch_min_frames: int = 3  # the body must stay put this many frames on both sides of a jump ...
    switch_min_s: float = 0.3  # ... and this long: a pose estimate thrown off for a few frames is not a switch
    # a person lying sideways (trunk axis nearer horizontal than vertical) in this share of the
    # frames with a pose: the video is rotated by 90 deg without a rotation tag
    lying_share: float = 0.6


THRESHOLDS = QualityThresholds()

_BODY = [MP[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_ankle", "right_ankle")]
_LS, _RS, _LH, _RH, _LA, _RA = _BODY


# ---- per-frame measures ------------------------------------------------------------------

def _geometry(seq: PoseSequence):
    px = seq.pixels().astype(np.float64)
    hip = (px[:, _LH] + px[:, _RH]) / 2
    sho = (px[:, _LS] + px[:, _RS]) / 2
    torso = np.linalg.norm(sho - hip, axis=1)
    return px, hip, sho, torso


def implausible_frames(seq: PoseSequence, th: QualityThresholds = THRESHOLDS) -> np.ndarray:
    """bool [T]: a pose was returned but is too small, too faint or degenerate to be a person."""
    det = seq.detected
    out = np.zeros(len(seq), dtype=bool)
    if not det.any():
        return out
    px, _, _, torso = _geometry(seq)
    ys = px[det, :, 1]
    height = (np.nanmax(ys, axis=1) - np.nanmin(ys, axis=1)) / max(seq.image_size[1], 1)
    vis = np.nanmean(seq.landmarks[det, :, 3], axis=1)
    ratio = torso[det] / np.maximum(height * seq.image_size[1], 1e-6)
    bad = (height < th.min_body_height) | (vis < th.min_mean_visibility) | ~(ratio >= th.min_torso_to_height)
    out[det] = bad
    return out


def filter_implausible(seq: PoseSequence, th: QualityThresholds = THRESHOLDS) -> tuple[PoseSequence, np.ndarray]:
    """Copy of ``seq`` with implausible poses set to NaN rows, and the bool mask of those frames."""
    bad = implausible_frames(seq, th)
    lm = seq.landmarks.copy()
    lm[bad] = np.nan
    return PoseSequence(lm, seq.fps, seq.image_size, seq.timestamps_ms.copy(), dict(seq.meta)), bad


def _running_median(v: np.ndarray, t_ms: np.ndarray, width_s: float) -> np.ndarray:
    """Per column of ``v`` [T, K]: the median over the frames within ``width_s / 2`` (NaN skipped)."""
    if width_s <= 0 or len(v) < 3:
        return v
    half = width_s * 500.0
    lo = np.searchsorted(t_ms, t_ms - half, side="left")
    hi = np.searchsorted(t_ms, t_ms + half, side="right")
    out = np.full_like(v, np.nan)
    for i in range(len(v)):
        win = v[lo[i]:hi[i]]
        ok = np.isfinite(win)
        for k in range(v.shape[1]):
            if ok[:, k].any():
                out[i, k] = np.median(win[ok[:, k], k])
    return np.where(np.isfinite(v), out, np.nan)


def full_body_frames(seq: PoseSequence, th: QualityThresholds = THRESHOLDS) -> np.ndarray:
    """bool [T]: shoulders, hips and ankles all inside the picture and seen: of each left/right
    pair one visible (>= ``body_visibility``) and the other not hidden (>= ``far_side_visibility``:
    MediaPipe gives the far side of the body a low visibility), visibility taken as a running
    median over ``visibility_smooth_s`` so that a dip of a few frames does not cut the walk."""
    body = seq.landmarks[:, _BODY]
    vis = _running_median(body[..., 3].astype(np.float64), seq.timestamps_ms, th.visibility_smooth_s)
    with np.errstate(invalid="ignore"):
        inside = (body[..., :2] >= -th.frame_margin).all(-1) & (body[..., :2] <= 1 + th.frame_margin).all(-1)
        near = np.maximum(vis[:, 0::2], vis[:, 1::2])  # _BODY is (left, right) pairs
        far = np.minimum(vis[:, 0::2], vis[:, 1::2])
        visible = np.asarray((near >= th.body_visibility) & (far >= th.far_side_visibility))
    return np.asarray(np.all(inside, axis=1) & np.all(visible, axis=1))


def walking_frames(seq: PoseSequence, th: QualityThresholds = THRESHOLDS) -> np.ndarray:
    """bool [T]: within a ``walk_window_s`` window the legs alternate or the body travels."""
    n = len(seq)
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    px, hip, _, torso = _geometry(seq)
    with np.errstate(invalid="ignore", divide="ignore"):
        ankles = (px[:, _LA] - px[:, _RA]) / torso[:, None]
    t = (seq.timestamps_ms - seq.timestamps_ms[0]) / 1000.0
    half = th.walk_window_s / 2
    lo = np.searchsorted(t, t - half, side="left")
    hi = np.searchsorted(t, t + half, side="right")
    ok_a = np.isfinite(ankles).all(axis=1)
    ok_h = np.isfinite(hip).all(axis=1) & np.isfinite(torso) & (torso > 0)
    for i in range(n):
        a, b = lo[i], hi[i]
        sel = np.nonzero(ok_a[a:b])[0] + a
        if len(sel) >= 3 and np.sqrt(ankles[sel].var(axis=0).sum()) >= th.walk_min_ankle_sd:
            out[i] = True
            continue
        sel = np.nonzero(ok_h[a:b])[0] + a
        if len(sel) >= 3:
            dt = t[sel[-1]] - t[sel[0]]
            if dt > 0:
                speed = np.linalg.norm(hip[sel[-1]] - hip[sel[0]]) / np.median(torso[sel]) / dt
                out[i] = speed >= th.walk_min_speed
    return out


def identity_switches(seq: PoseSequence, th: QualityThresholds = THRESHOLDS) -> list[int]:
    """Frame indices where the tracked body jumps (position or size) = probably another person.

    A jump counts only when the body stays put for ``switch_min_frames`` detected frames and
    ``switch_min_s`` on both sides: a glitch of a few frames (e.g. a person entering at the
    picture's edge, a pose thrown off by motion blur) is not a second person.
    """
    _, hip, _, torso = _geometry(seq)
    ok = np.nonzero(np.isfinite(hip).all(axis=1) & np.isfinite(torso) & (torso > 0))[0]
    jumps = []  # positions k in ok where a jump happens between ok[k-1] and ok[k]
    for k in range(1, len(ok)):
        i, j = ok[k - 1], ok[k]
        dt = max((seq.timestamps_ms[j] - seq.timestamps_ms[i]) / 1000.0, 1e-3)
        jump = np.linalg.norm(hip[j] - hip[i]) / max(torso[i], torso[j])
        size_ratio = max(torso[i], torso[j]) / min(torso[i], torso[j])
        if (jump > th.switch_jump_torsos and jump / dt > th.switch_speed_torsos) or (
            size_ratio > th.switch_scale_ratio and dt < 0.5
        ):
            jumps.append(k)
    bounds = [0] + jumps + [len(ok)]
    t = seq.timestamps_ms

    def steady(a: int, b: int) -> bool:  # ok[a:b] is one stretch without a jump
        return b - a >= th.switch_min_frames and (t[ok[b - 1]] - t[ok[a]]) / 1000.0 >= th.switch_min_s

    switches = []
    for n, k in enumerate(jumps, start=1):
        if steady(bounds[n - 1], k) and steady(k, bounds[n + 1]):
            switches.append(int(ok[k]))
    return switches


def guess_view(seq: PoseSequence, frames: np.ndarray | None = None, th: QualityThresholds = THRESHOLDS) -> tuple[str, float]:
    """("front" | "back" | "side" | "unknown", shoulder-width / torso-length ratio)."""
    px, _, _, torso = _geometry(seq)
    sel = seq.detected if frames is None else (frames & seq.detected)
    if not sel.any():
        return "unknown", float("nan")
    sw = np.abs(px[sel, _LS, 0] - px[sel, _RS, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = float(np.nanmedian(sw / torso[sel]))
    if not np.isfinite(ratio):
        return "unknown", ratio
    if ratio < th.side_view_ratio:
        return "side", ratio
    # Facing the camera, the subject's left shoulder is on the image right and the nose is nearer
    # the camera (smaller z) than the shoulders; seen from behind, both flip.
    order = float(np.nanmedian(px[sel, _LS, 0] - px[sel, _RS, 0]))
    lm = seq.landmarks[sel]
    nose_ahead = float(np.nanmedian((lm[:, _LS, 2] + lm[:, _RS, 2]) / 2 - lm[:, MP["nose"], 2]))
    votes = np.sign(order) + np.sign(nose_ahead)
    if votes > 0:
        return "front", ratio
    if votes < 0:
        return "back", ratio
    return ("front" if order > 0 else "back"), ratio


def lying_share(seq: PoseSequence) -> float:
    """Share of the frames with a pose whose trunk (hip centre -> shoulder centre) is more
    horizontal than vertical in the picture, i.e. the person lies sideways."""
    _, hip, sho, _ = _geometry(seq)
    v = sho - hip
    ok = np.isfinite(v).all(axis=1) & (np.abs(v).sum(axis=1) > 0)
    if not ok.any():
        return 0.0
    return float((np.abs(v[ok, 0]) > np.abs(v[ok, 1])).mean())


def _longest_run(mask: np.ndarray, t_ms: np.ndarray, max_gap_s: float) -> tuple[int, int] | None:
    """[start, stop) of the longest (in time) run of True, bridging False gaps <= max_gap_s."""
    idx = np.nonzero(mask)[0]
    if len(idx) == 0:
        return None
    best, start, prev = None, idx[0], idx[0]
    for i in list(idx[1:]) + [None]:
        if i is not None and (t_ms[i] - t_ms[prev]) / 1000.0 <= max_gap_s + 1e-9:
            prev = i
            continue
        if best is None or t_ms[prev] - t_ms[start] > t_ms[best[1] - 1] - t_ms[best[0]]:
            best = (int(start), int(prev) + 1)
        if i is not None:
            start = prev = i
    return best


def samples_at(t_ms: np.ndarray, segment: tuple[int, int] | None, fps: float = TARGET_FPS) -> int:
    """How many ``fps`` samples a resampling by timestamp gives over ``segment``."""
    if segment is None:
        return 0
    span = t_ms[segment[1] - 1] - t_ms[segment[0]]
    return int(np.floor(span / (1000.0 / fps) + 1e-6)) + 1


def _other_people(seq: PoseSequence, min_s: float = 0.5) -> int:
    """How many people besides the subject the pose stage tracked for ``min_s`` or more
    (``meta["tracking"]``, :mod:`scoliscreen.core.tracking`)."""
    tracking = seq.meta.get("tracking") or {}
    tracks = tracking.get("tracks", []) if isinstance(tracking, dict) else []
    chosen = tracking.get("chosen") if isinstance(tracking, dict) else None
    return sum(1 for t in tracks if t.get("index") != chosen and t.get("frames", 0) >= min_s * seq.fps)
