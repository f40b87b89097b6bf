"""Body-centred coordinates: the invariances of the knowledge map live here.

:func:`body_frame` turns a 30-fps :class:`PoseSequence` into landmark positions in a frame
attached to the body, so that features do not depend on the camera:

* pixels first (x and y are normalised separately), image y flipped so *up* is positive;
* the **body vertical** ``up`` is the median direction ankle midpoint -> pelvis midpoint over
  the clip (the trunk axis if the ankles are hidden); the **lateral axis** ``r`` is its
  perpendicular oriented toward the *subject's right* (MediaPipe labels landmarks by the
  subject's side). A camera roll rotates the landmarks and both axes alike and cancels; the
  same body seen from the front or the back gives the same coordinates; a mirrored video
  negates the lateral coordinate (and swaps the left/right labels);
* lengths are divided by a per-frame body scale, the trunk length (pelvis midpoint to shoulder
  midpoint; rolling median over 15 frames), so camera distance and zoom cancel;
* depth is MediaPipe's ``z`` (nominally on the x scale) relative to the hips, rescaled per clip
  by :func:`depth_gain`;
* landmarks below ``VIS_MIN`` visibility are treated as missing (NaN). Everything is NaN-safe.

The ``nan*`` helpers compute statistics without ever emitting a RuntimeWarning: an all-NaN
slice gives NaN quietly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoliscreen.core.landmarks import MP
from scoliscreen.core.sequence import PoseSequence

VIS_MIN = 0.3  # landmarks less visible than this are treated as missing
SIDE_VIEW_WIDTH = 0.35  # median shoulder width / trunk length below this = side view
SCALE_SMOOTH_FRAMES = 15
MIN_AXIS_FRAMES = 3


# ---- warning-free NaN statistics ----------------------------------------------------------

def nancount(a: np.ndarray, axis=None) -> np.ndarray:
    return np.isfinite(a).sum(axis=axis)


def nanmean(a: np.ndarray, axis=None, min_count: int = 1) -> np.ndarray:
    ok = np.isfinite(a)
    n = ok.sum(axis=axis)
    s = np.where(ok, a, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n >= max(min_count, 1), s / np.maximum(n, 1), np.nan)


def nanstd(a: np.ndarray, axis=None, min_count: int = 2) -> np.ndarray:
    m = nanmean(a, axis=axis, min_count=min_count)
    mm = np.expand_dims(m, axis) if axis is not None else m
    return np.sqrt(nanmean((a - mm) ** 2, axis=axis, min_count=min_count))


def nanquantile(a: np.ndarray, q, axis=None, min_count: int = 1) -> np.ndarray:
    """np.nanquantile (linear interpolation) without the all-NaN warning; NaN where fewer than
    ``min_count`` values. Vectorised along ``axis``: numpy's own nanquantile falls back to a
    Python loop over every 1-D slice that holds a NaN, which dominated the knowledge map's cost."""
    a = np.asarray(a, dtype=np.float64)
    if axis is None:
        n = nancount(a)
        out = np.float64(np.nan) if n < max(min_count, 1) else np.nanquantile(a, q)
        return out  # type: ignore[return-value]  # a scalar when axis is None
    s = np.sort(np.moveaxis(a, axis, -1), axis=-1)  # NaN sorts last
    n = np.sum(~np.isnan(s), axis=-1)
    qs = np.atleast_1d(np.asarray(q, dtype=np.float64)).reshape((-1,) + (1,) * n.ndim)
    pos = np.maximum(n - 1, 0) * qs  # [Q, ...]
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    sb = np.broadcast_to(s, (qs.shape[0],) + s.shape)
    v_lo = np.take_along_axis(sb, lo[..., None], axis=-1)[..., 0]
    v_hi = np.take_along_axis(sb, hi[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore"):
        out = v_lo + (v_hi - v_lo) * (pos - lo)
    out = np.where(n < max(min_count, 1), np.nan, out)
    return out[0] if np.ndim(q) == 0 else out


def nanmedian(a: np.ndarray, axis=None, min_count: int = 1) -> np.ndarray:
    return nanquantile(a, 0.5, axis=axis, min_count=min_count)


def unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1e-12, v / np.where(n > 1e-12, n, 1.0), np.nan)


def angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """atan2(a, b) in degrees (NaN in, NaN out)."""
    return np.degrees(np.arctan2(a, b))


def interior_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle at b of the triangle a-b-c, [..., 3] points -> [...] degrees."""
    u, v = a - b, c - b
    cross = np.linalg.norm(np.cross(u, v), axis=-1)
    return np.degrees(np.arctan2(cross, np.sum(u * v, axis=-1)))  # stable near 0 and 180 deg


# ---- body frame ---------------------------------------------------------------------------

@dataclass
class Body:
    """Landmarks in body coordinates (see module docstring)."""

    pts: np.ndarray  # float64 [T, 33, 3]: (lateral + = subject's right, up, depth + = away from camera) in TL
    scale_px: np.ndarray  # float64 [T] trunk length in pixels (smoothed)
    up: np.ndarray  # [2] image-plane body vertical (x right, y up), unit
    right: np.ndarray  # [2] image-plane lateral axis toward the subject's right, unit
    view: str  # "front" / "back" / "side" / "unknown"
    forward: np.ndarray  # [3] walking direction in body coordinates (unit)
    fps: float
    depth_gain: float = 1.0  # factor applied to MediaPipe depth (see depth_gain)

    def point(self, name: str) -> np.ndarray:
        return self.pts[:, MP[name]]

    def mid(self, a: str, b: str) -> np.ndarray:
        return 0.5 * (self.point(a) + self.point(b))

    def __len__(self) -> int:
        return int(self.pts.shape[0])


def rolling_nanmedian(x: np.ndarray, width: int, min_count: int = 1) -> np.ndarray:
    """Centred running median over ``width`` frames (NaN-aware; NaN where < min_count values)."""
    if len(x) == 0:
        return x.copy()
    half = width // 2
    pad = np.concatenate([np.full(half, np.nan), x, np.full(half, np.nan)])
    win = np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1)
    return nanmedian(win, axis=1, min_count=min_count)


def _median_direction(vecs: np.ndarray) -> np.ndarray | None:
    u = unit(vecs)
    ok = np.isfinite(u).all(axis=1)
    if ok.sum() < MIN_AXIS_FRAMES:
        return None
    d = np.median(u[ok], axis=0)
    n = np.linalg.norm(d)
    return d / n if n > 1e-9 else None


RIGID_SEGMENTS = (
    ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
    ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("right_hip", "right_knee"),
    ("left_knee", "left_ankle"), ("right_knee", "right_ankle"),
)
MIN_DEPTH_GAIN, MAX_DEPTH_GAIN = 0.1, 1.0


def depth_gain(pts: np.ndarray) -> float:
    """Per-clip factor that makes MediaPipe's depth consistent with the image-plane scale.

    MediaPipe's z is only roughly on the x scale (on the real clips it is about 4-5x too large).
    Limb segments are rigid, so over the clip ``l2(t)^2 + g^2 dz(t)^2`` should be constant
    per segment (l2: image-plane length, dz: depth difference); the least-squares ``g^2``
    (shared by all segments, one constant per segment) gives the gain, clipped to
    [0.1, 1]. Without depth variation (e.g. z all 0) the gain is 1.
    """
    rows, rhs = [], []
    k = len(RIGID_SEGMENTS)
    for i, (a, b) in enumerate(RIGID_SEGMENTS):
        d = pts[:, MP[b]] - pts[:, MP[a]]
        ok = np.isfinite(d).all(axis=1)
        if ok.sum() < 8:
            continue
        l2 = d[ok, 0] ** 2 + d[ok, 1] ** 2
        dz2 = d[ok, 2] ** 2
        onehot = np.zeros((ok.sum(), k + 1))
        onehot[:, i] = 1.0
        onehot[:, k] = -dz2
        rows.append(onehot)
        rhs.append(l2)
    if not rows:
        return 1.0
    A, y = np.concatenate(rows), np.concatenate(rhs)
    col = A[:, k]
    if not np.isfinite(A).all() or not np.isfinite(y).all() or np.ptp(col) < 1e-4:
        return 1.0
    used = np.abs(A[:, :k]).sum(axis=0) > 0
    A = A[:, np.append(used, True)]
    sol, *_ = np.linalg.lstsq(A, y, rcond=None)
    g2 = sol[-1]
    if not np.isfinite(g2):
        return 1.0
    return float(np.clip(np.sqrt(max(g2, 0.0)), MIN_DEPTH_GAIN, MAX_DEPTH_GAIN))


def body_frame(seq: PoseSequence) -> Body:
    """Body coordinates of every landmark of ``seq`` (any fps; the map passes a 30-fps one)."""
    T = len(seq)
    w, h = seq.image_size
    lm = seq.landmarks.astype(np.float64)
    xy = np.stack([lm[:, :, 0] * w, -lm[:, :, 1] * h], axis=-1)  # pixels, y up
    depth = np.where(np.isfinite(lm[:, :, 2]), lm[:, :, 2] * w, 0.0)
    vis = np.where(np.isfinite(lm[:, :, 3]), lm[:, :, 3], 1.0)
    missing = (vis < VIS_MIN) | ~np.isfinite(xy).all(axis=-1)
    xy[missing] = np.nan
    depth = np.where(missing, np.nan, depth)

    def P(name):  # noqa: N802 - P(point) reads like the geometry it implements
        return xy[:, MP[name]]

    sh_mid = 0.5 * (P("left_shoulder") + P("right_shoulder"))
    hip_mid = 0.5 * (P("left_hip") + P("right_hip"))
    ank_mid = 0.5 * (P("left_ankle") + P("right_ankle"))
    trunk = sh_mid - hip_mid

    up = _median_direction(hip_mid - ank_mid)
    if up is None:
        up = _median_direction(trunk)
    if up is None:
        up = np.array([0.0, 1.0])
    r = np.array([up[1], -up[0]])  # up rotated -90 deg: image right when upright
    lr = (P("right_shoulder") - P("left_shoulder")) + (P("right_hip") - P("left_hip"))
    proj = lr @ r
    med = nanmedian(proj)
    if np.isfinite(med) and med < 0:
        r = -r

    trunk_len = np.linalg.norm(trunk, axis=-1)
    trunk_len = np.where(trunk_len > 1e-6, trunk_len, np.nan)
    scale = rolling_nanmedian(trunk_len, SCALE_SMOOTH_FRAMES)
    glob = float(nanmedian(trunk_len))  # NaN when never seen
    scale = np.where(np.isfinite(scale), scale, glob)

    rel = xy - hip_mid[:, None, :]
    hip_depth = 0.5 * (depth[:, MP["left_hip"]] + depth[:, MP["right_hip"]])
    s = scale[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        pts = np.stack([(rel @ r) / s, (rel @ up) / s, (depth - hip_depth[:, None]) / s], axis=-1)
    gain = depth_gain(pts)
    pts[:, :, 2] *= gain

    # view: shoulder width relative to trunk length, and which image side the subject's right is on
    width = nanmedian(np.abs((P("right_shoulder") - P("left_shoulder")) @ r) / trunk_len)
    if not np.isfinite(width):
        view = "unknown"
    elif width < SIDE_VIEW_WIDTH:
        view = "side"
    else:
        view = "back" if r[0] > 0 else "front"

    if view == "front":
        forward = np.array([0.0, 0.0, -1.0])  # toward the camera (MediaPipe: smaller z = closer)
    elif view == "back":
        forward = np.array([0.0, 0.0, 1.0])
    else:
        v = np.diff(hip_mid @ r) if T > 1 else np.array([np.nan])
        direction = nanmedian(v)
        if not np.isfinite(direction) or abs(direction) < 1e-9:
            direction = nanmedian((P("nose") - 0.5 * (P("left_ear") + P("right_ear"))) @ r)
        sign = -1.0 if (np.isfinite(direction) and direction < 0) else 1.0
        forward = np.array([sign, 0.0, 0.0])
    return Body(pts, scale, up, r, view, forward, float(seq.fps), gain)


# ---- windows ------------------------------------------------------------------------------

def window_starts(n_frames: int, length: int, hop: int) -> np.ndarray:
    """Start frames of the windows: 1 + (T - length) // hop of them, and 1 for a short clip."""
    if n_frames <= length:
        return np.zeros(1, dtype=np.int64)
    return np.arange(1 + (n_frames - length) // hop, dtype=np.int64) * hop


def take(x: np.ndarray, starts: np.ndarray, length: int, offset: int = 0) -> np.ndarray:
    """[T, ...] -> [W, length, ...] frames starts+offset .. +length, NaN outside the clip."""
    T = x.shape[0]
    idx = starts[:, None] + offset + np.arange(length)[None, :]
    inside = (idx >= 0) & (idx < T)
    if T == 0:
        return np.full(idx.shape + x.shape[1:], np.nan)
    out = x[np.clip(idx, 0, T - 1)].astype(np.float64)
    out[~inside] = np.nan
    return out
