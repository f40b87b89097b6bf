"""Appearance-free skeleton maps: keypoints rendered as per-region limb/joint heatmaps.

Like SkeletonGait / DRF on Scoliosis1K-Pose, each frame's 2-D pose becomes a small image
(default 32 x 22, half of the 64 x 44 silhouettes of Scoliosis1K), but with one channel per
body region (``landmarks.REGION_IDS``): a channel holds that region's limbs (Gaussian of the
distance to the segment) and joints. Per-region channels make "mask a region" an exact,
cheap operation (zero its channel) for the region weights.

Two steps:
* :func:`normalise_keypoints` (numpy): PoseSequence landmarks -> body-centred, height-scaled
  points ``[T, P, 3]`` (x, y, valid) for the :data:`POINTS` subset + two virtual midpoints.
  Cached per clip; tiny.
* :func:`render_maps` (torch, vectorised over batch, time, segments and pixels): points ->
  maps ``[B, T, R, H, W]``. Done on the fly during training, so caches stay small.
"""

from __future__ import annotations

import numpy as np

from scoliscreen.core.landmarks import MP, REGION_IDS

MAP_H, MAP_W = 32, 22

# Landmarks used (no fingers / inner eye corners), then virtual mid-shoulder and mid-hip.
POINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
    "mid_shoulder", "mid_hip",
)
P_IDX = {n: i for i, n in enumerate(POINTS)}
NUM_POINTS = len(POINTS)

# (segment a, segment b, region); a == b is a joint blob.
_SEGMENTS = [
    ("left_ear", "left_eye", "head_neck"), ("left_eye", "nose", "head_neck"),
    ("nose", "right_eye", "head_neck"), ("right_eye", "right_ear", "head_neck"),
    ("nose", "mid_shoulder", "head_neck"), ("nose", "nose", "head_neck"),
    ("left_shoulder", "right_shoulder", "shoulder_girdle"),
    ("left_shoulder", "left_shoulder", "shoulder_girdle"), ("right_shoulder", "right_shoulder", "shoulder_girdle"),
    ("mid_shoulder", "mid_hip", "trunk_spine"),
    ("left_shoulder", "left_hip", "trunk_spine"), ("right_shoulder", "right_hip", "trunk_spine"),
    ("left_hip", "right_hip", "pelvis"), ("left_hip", "left_hip", "pelvis"), ("right_hip", "right_hip", "pelvis"),
    ("left_shoulder", "left_elbow", "left_arm"), ("left_elbow", "left_wrist", "left_arm"),
    ("left_wrist", "left_wrist", "left_arm"),
    ("right_shoulder", "right_elbow", "right_arm"), ("right_elbow", "right_wrist", "right_arm"),
    ("right_wrist", "right_wrist", "right_arm"),
    ("left_hip", "left_knee", "left_leg"), ("left_knee", "left_ankle", "left_leg"),
    ("left_ankle", "left_heel", "left_leg"), ("left_heel", "left_foot_index", "left_leg"),
    ("left_ankle", "left_foot_index", "left_leg"), ("left_knee", "left_knee", "left_leg"),
    ("right_hip", "right_knee", "right_leg"), ("right_knee", "right_ankle", "right_leg"),
    ("right_ankle", "right_heel", "right_leg"), ("right_heel", "right_foot_index", "right_leg"),
    ("right_ankle", "right_foot_index", "right_leg"), ("right_knee", "right_knee", "right_leg"),
]
SEG_A = np.array([P_IDX[a] for a, _, _ in _SEGMENTS])
SEG_B = np.array([P_IDX[b] for _, b, _ in _SEGMENTS])
SEG_REGION = np.array([REGION_IDS.index(r) for _, _, r in _SEGMENTS])

# Map extent in torso lengths, relative to the mid-hip: x in [-X_HALF, X_HALF],
# y in [Y_TOP, Y_BOTTOM] (image y grows downwards).
X_HALF, Y_TOP, Y_BOTTOM = 1.5, -2.1, 2.3
SIGMA = 0.09  # Gaussian width, in torso lengths


def normalise_keypoints(landmarks: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """MediaPipe landmarks [T, 33, 4] -> float32 [T, P, 3]: (x, y) in map units (0..1), valid.

    Pixel coordinates (isotropic) are centred on each frame's mid-hip and scaled by the clip's
    median torso length (mid-shoulder to mid-hip), so the maps keep posture and sway but drop
    position in the image and subject size. Invalid points (NaN or visibility < 0.3) get valid 0.
    """
    lm = np.asarray(landmarks, dtype=np.float32)
    t = lm.shape[0]
    xy = lm[:, :, :2] * np.asarray(image_size, dtype=np.float32)
    vis = lm[:, :, 3]
    names = POINTS[:-2]
    pts = np.stack([xy[:, MP[n]] for n in names], axis=1)
    ok = np.stack([np.isfinite(xy[:, MP[n]]).all(-1) & ~(vis[:, MP[n]] < 0.3) for n in names], axis=1)
    mid_sh = (pts[:, P_IDX["left_shoulder"]] + pts[:, P_IDX["right_shoulder"]]) / 2
    mid_hp = (pts[:, P_IDX["left_hip"]] + pts[:, P_IDX["right_hip"]]) / 2
    ok_sh = ok[:, P_IDX["left_shoulder"]] & ok[:, P_IDX["right_shoulder"]]
    ok_hp = ok[:, P_IDX["left_hip"]] & ok[:, P_IDX["right_hip"]]
    pts = np.concatenate([pts, mid_sh[:, None], mid_hp[:, None]], axis=1)
    ok = np.concatenate([ok, ok_sh[:, None], ok_hp[:, None]], axis=1)
    out = np.zeros((t, NUM_POINTS, 3), dtype=np.float32)
    torso = np.linalg.norm(mid_sh - mid_hp, axis=-1)
    good = ok_sh & ok_hp & np.isfinite(torso) & (torso > 1e-6)
    if not good.any():
        return out
    scale = float(np.median(torso[good]))
    rel = (pts - np.where(ok_hp[:, None, None], mid_hp[:, None], np.nan)) / scale
    out[..., 0] = (rel[..., 0] + X_HALF) / (2 * X_HALF)
    out[..., 1] = (rel[..., 1] - Y_TOP) / (Y_BOTTOM - Y_TOP)
    valid = ok & ok_hp[:, None] & np.isfinite(rel).all(-1)
    out[..., 2] = valid
    out[..., :2] = np.where(valid[..., None], out[..., :2], 0.0)
    return out


def mirror_points(points: np.ndarray) -> np.ndarray:
    """Normalised points of the horizontally flipped video (x -> 1 - x, left/right swapped)."""
    perm = [P_IDX[n.replace("left", "#").replace("right", "left").replace("#", "right")] for n in POINTS]
    out = points[..., perm, :].copy()
    out[..., 0] = np.where(out[..., 2] > 0, 1.0 - out[..., 0], 0.0)
    return out


def render_maps(points, height: int = MAP_H, width: int = MAP_W, sigma: float = SIGMA):
    """Points ``[..., T, P, 3]`` (torch) -> maps ``[..., T, R, H, W]`` in 0..1 (max over segments).

    A segment is drawn only when both its end points are valid.
    """
    import torch

    seg_a = torch.as_tensor(SEG_A, device=points.device)
    seg_b = torch.as_tensor(SEG_B, device=points.device)
    lead = points.shape[:-2]
    p = points.reshape(-1, NUM_POINTS, 3)
    a = p[:, seg_a]  # [N, S, 3]
    b = p[:, seg_b]
    valid = (a[..., 2] > 0) & (b[..., 2] > 0)
    # pixel centres in map units; x spans 2*X_HALF torso lengths, y spans Y_BOTTOM-Y_TOP
    sx, sy = 2 * X_HALF, Y_BOTTOM - Y_TOP
    ys = (torch.arange(height, device=points.device, dtype=points.dtype) + 0.5) / height
    xs = (torch.arange(width, device=points.device, dtype=points.dtype) + 0.5) / width
    gx = xs[None, None, None, :] * sx  # [1,1,1,W]
    gy = ys[None, None, :, None] * sy  # [1,1,H,1]
    ax, ay = (a[..., 0] * sx)[..., None, None], (a[..., 1] * sy)[..., None, None]
    bx, by = (b[..., 0] * sx)[..., None, None], (b[..., 1] * sy)[..., None, None]
    dx, dy = bx - ax, by - ay
    len2 = (dx * dx + dy * dy).clamp(min=1e-8)
    t = (((gx - ax) * dx + (gy - ay) * dy) / len2).clamp(0.0, 1.0)
    d2 = (gx - ax - t * dx) ** 2 + (gy - ay - t * dy) ** 2  # [N, S, H, W]
    d2 = torch.where(valid[..., None, None], d2, torch.full_like(d2, float("inf")))
    # max over a region's segments of exp(-d2 / 2 sigma^2) = exp of the smallest d2 (exp is
    # monotone): one exp per region pixel instead of one per segment pixel
    n_reg = len(REGION_IDS)
    region = torch.as_tensor(SEG_REGION, device=points.device)
    idx = region[None, :, None, None].expand_as(d2)
    near = d2.new_full((d2.shape[0], n_reg, height, width), float("inf"))
    near = near.scatter_reduce(1, idx, d2, reduce="amin", include_self=True)
    out = torch.exp(-near / (2 * sigma * sigma))
    return out.reshape(*lead, n_reg, height, width)
