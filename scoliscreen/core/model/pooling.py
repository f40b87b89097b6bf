"""Screening the walk, not one 3.2 s window: every usable model window of a clip (and of the
clips of one visit) pooled into one answer.

Windows (:func:`walk_windows`): ``CLIP_FRAMES`` (96) frames at 30 fps, one every
``POOL_STRIDE_FRAMES`` (48) inside the quality gate's walking segment, plus one ending at the
segment's end (start rounded down to the knowledge map's hop), so the whole walk is covered;
more than ``POOL_MAX_WINDOWS`` usable windows are thinned to that many, evenly spread.
A window is *usable* when at least :data:`~scoliscreen.core.model.decision.MIN_GOOD_FRACTION`
of its model frames show the trunk (the re-record rule's own test). No usable window: the
single best window is screened (and gets the ``few_good_frames`` reason).

The span from the first to the last usable window is the :class:`SegmentPart` on which the
application computes the knowledge map and the clinical text, once. Every window's inputs are
slices of that map (window starts are multiples of the map's hop) and of the skeleton, and
every window gets the span's text: what the clinician sees is exactly what the model used.

Pooling (:func:`pool_cumulative`): each window's cumulative logits (the clip and its mirror
image averaged) are calibrated (Platt, at the training prevalence) into a survival curve
P(Cobb >= t_k); the curves are averaged over windows (an average of non-increasing curves is
non-increasing) and turned back into cumulative logits. Everything shown is derived from that
one pooled curve (``outcome.py``), so P(>= 10°) = 1 - P(< 10°) and lo <= median <= hi hold by
construction, and the label does not depend on the prevalence setting (the shift is applied
after pooling).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from scoliscreen.core.constants import (
    CLIP_FRAMES, HOP_FRAMES, POOL_MAX_WINDOWS, POOL_STRIDE_FRAMES, TARGET_FPS, WINDOW_FRAMES,
)
from scoliscreen.core.errors import InputError
from scoliscreen.core.model import skeleton_maps as sm
from scoliscreen.core.model.decision import MIN_GOOD_FRACTION
from scoliscreen.core.model.features import (
    _TORSO, FRAME_STEP, N_FRAMES, N_WINDOWS, ClipInputs, SegmentPart, _segment_to_30fps, compose_text,
    mirror_knowledge_map, select_segment,
)
from scoliscreen.core.sequence import PoseSequence

_EPS = 1e-12


def torso_flags(seq30: PoseSequence) -> np.ndarray:
    """bool [T]: the frame shows both shoulders and both hips (as the model's frames count it)."""
    if len(seq30) == 0:
        return np.zeros(0, bool)
    pts = sm.normalise_keypoints(seq30.landmarks, seq30.image_size)
    return pts[:, _TORSO, 2].min(axis=1) > 0


def good_fraction(flags: np.ndarray, start: int) -> float:
    """Share of a window's model frames (every FRAME_STEP-th) with the trunk seen; frames past
    the clip's end count as not seen."""
    idx = start + FRAME_STEP // 2 + FRAME_STEP * np.arange(N_FRAMES)
    idx = idx[idx < len(flags)]
    return float(flags[idx].sum()) / N_FRAMES


def candidate_starts(lo: int, hi: int, stride: int = POOL_STRIDE_FRAMES) -> list[int]:
    """Window starts in [lo, hi): every ``stride`` frames, plus the last full window (its start
    rounded down to the map's hop from ``lo``). One window at ``lo`` when the range is short."""
    if hi - lo <= CLIP_FRAMES:
        return [lo]
    starts = list(range(lo, hi - CLIP_FRAMES + 1, stride))
    last = lo + ((hi - CLIP_FRAMES - lo) // HOP_FRAMES) * HOP_FRAMES
    if last > starts[-1]:
        starts.append(last)
    return starts


def walk_windows(seq: PoseSequence, segment: tuple[int, int] | None = None, *,
                 min_good_fraction: float = MIN_GOOD_FRACTION, stride: int = POOL_STRIDE_FRAMES,
                 max_windows: int = POOL_MAX_WINDOWS) -> SegmentPart:
    """The span of ``seq`` the model screens and its usable windows' offsets (module doc).
    ``segment``: the quality gate's walking, frame indices of ``seq``."""
    if stride % HOP_FRAMES:
        raise ValueError(f"the window stride must be a multiple of the map's hop ({HOP_FRAMES} frames)")
    if len(seq) == 0 or not seq.detected.any():
        raise InputError("no person was detected in the recording")
    seq30 = seq.resampled(TARGET_FPS)
    n = len(seq30)
    lo, hi = 0, n
    seg30 = _segment_to_30fps(seq, seq30, segment)
    if seg30 is not None:
        lo, hi = max(0, seg30[0]), min(n, seg30[1])
        if hi - lo < 2:
            lo, hi = 0, n
    flags = torso_flags(seq30)
    usable = [s for s in candidate_starts(lo, hi, stride) if good_fraction(flags, s) >= min_good_fraction]
    if len(usable) > max_windows:
        usable = [usable[int(i)] for i in np.round(np.linspace(0, len(usable) - 1, max_windows))]
    if hi - lo <= CLIP_FRAMES or len(usable) <= 1:
        a, b = (usable[0], min(usable[0] + CLIP_FRAMES, hi)) if usable else select_segment(seq30, (lo, hi))
        offsets: tuple[int, ...] = (0,)
    else:
        a, b = usable[0], usable[-1] + CLIP_FRAMES
        offsets = tuple(s - a for s in usable)
    part = seq30.slice(a, b)
    start_s = float((part.timestamps_ms[0] - seq30.timestamps_ms[0]) / 1000.0) if len(part) else 0.0
    return SegmentPart(part, start_s, int(b - a), offsets)


def walk_inputs(seq: PoseSequence, segment: tuple[int, int] | None = None, notes: str = ""):
    """(span, its knowledge map, every window's (clip, mirror) inputs) of a pose sequence: what
    ``Screener.predict`` screens when it is given the sequence alone (``segment``: the quality
    gate's walking, frame indices of ``seq``)."""
    from scoliscreen.core.kinematics import compute_knowledge_map

    seg = walk_windows(seq, segment)
    km = compute_knowledge_map(seg.part)
    return seg, km, window_inputs(seg, km, compose_text(km, notes), notes)


def window_inputs(seg: SegmentPart, km, text: str, notes: str = "",
                  text_encoder=None) -> list[tuple[ClipInputs, ClipInputs]]:
    """Model inputs (clip, mirror image) of every window of ``seg`` from the span's knowledge
    map ``km`` and clinical text ``text`` (computed once, by the caller, on ``seg.part``)."""
    part = seg.part
    values = np.asarray(km.values, np.float32)
    mkm = mirror_knowledge_map(km)
    m_values = np.asarray(mkm.values, np.float32)
    m_text = compose_text(mkm, notes)
    out = []
    for off in seg.offsets:
        if off % HOP_FRAMES:
            raise ValueError("window offsets must be multiples of the knowledge map's hop")
        chunk = part.landmarks[off : off + CLIP_FRAMES]
        pts = sm.normalise_keypoints(chunk, part.image_size)  # per window, as in training
        full = np.zeros((CLIP_FRAMES, sm.NUM_POINTS, 3), np.float32)
        full[: len(pts)] = pts
        points = full[FRAME_STEP // 2 :: FRAME_STEP][:N_FRAMES]
        frame_valid = points[:, _TORSO, 2].min(axis=1) > 0
        w0 = off // HOP_FRAMES
        start_s = seg.start_s + off / TARGET_FPS
        times = start_s + (np.arange(N_WINDOWS) * HOP_FRAMES + WINDOW_FRAMES / 2) / TARGET_FPS
        n_real = int(min(CLIP_FRAMES, max(seg.n_frames - off, 0)))
        pair = []
        for mirrored, vals, t in ((False, values, text), (True, m_values, m_text)):
            arr = np.full((N_WINDOWS, vals.shape[1]), np.nan, np.float32)
            take = vals[w0 : w0 + N_WINDOWS]
            arr[: len(take)] = take
            pair.append(ClipInputs(sm.mirror_points(points) if mirrored else points, frame_valid, arr, times,
                                   t, None, start_s, n_real))
        out.append((pair[0], pair[1]))
    if text_encoder is not None and out:
        emb = text_encoder.encode([text, m_text])
        for a, b in out:
            a.text_emb, b.text_emb = emb[0], emb[1]
    return out


def pool_cumulative(cum, a: float = 1.0, b: float = 0.0) -> np.ndarray:
    """Raw cumulative logits [K] of the pooled answer of windows' raw cumulative logits [N, K]:
    the mean of their calibrated survival curves, mapped back through the calibration."""
    cum = np.atleast_2d(np.asarray(cum, np.float64))
    if len(cum) == 1 or not a:
        return cum.mean(0)
    s = 1.0 / (1.0 + np.exp(-(a * cum + b)))
    s = np.clip(s.mean(0), _EPS, 1 - _EPS)
    return (np.log(s / (1 - s)) - b) / a


def pool_relevance(rel, offsets: tuple[int, ...]) -> np.ndarray:
    """Region x map-window weights [R, W_span] (sum 1) of windows' relevance [N, R, N_WINDOWS]:
    each window's weights normalised, placed at its map windows, averaged over windows."""
    rel = np.asarray(rel, np.float64)
    starts = [o // HOP_FRAMES for o in offsets]
    out = np.zeros((rel.shape[1], max(starts) + rel.shape[2]))
    for r, w0 in zip(rel, starts):
        s = float(r.sum())
        r = r / s if np.isfinite(s) and s > 0 else np.full(r.shape, 1.0 / r.size)
        out[:, w0 : w0 + r.shape[1]] += r / len(starts)
    return out


def span_windows(pairs: list[tuple[ClipInputs, ClipInputs]]) -> np.ndarray:
    """The distinct knowledge-map windows [W, F] the pooled windows cover (overlaps counted once)."""
    rows: dict[float, np.ndarray] = {}
    for a, _ in pairs:
        for t, row in zip(np.round(a.window_times_s, 4), a.km):
            rows.setdefault(float(t), row)
    return np.stack([rows[t] for t in sorted(rows)]) if rows else np.zeros((0, 0), np.float32)


def replace_offsets(seg: SegmentPart, offsets: tuple[int, ...]) -> SegmentPart:
    return dataclasses.replace(seg, offsets=offsets)
