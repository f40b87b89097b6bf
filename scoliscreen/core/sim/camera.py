"""Pinhole camera and pose-estimator model: 3D body -> MediaPipe-like landmarks [T, 33, 4].

Front view: the subject walks towards the camera; back view: away from it. The camera has
a height, a pitch that aims it at the walker (plus a small error), a roll of a few degrees
and a focal length from a phone-like field of view. Landmarks are normalised to the image
(x by width, y by height, may leave 0..1 when the body leaves the frame), z is depth
relative to the hip midpoint in the same scale as x (as MediaPipe's), and visibility is
~0.9-1 with dips. The pose estimator adds temporally correlated jitter (AR(1), VIDEO-mode
tracking smooths it), larger on hands and feet, short visibility dips with extra jitter
(motion blur, self-occlusion) and frames where no person is found (all NaN).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from scoliscreen.core.landmarks import MP, MP_NAMES
from scoliscreen.core.sim.params import ClipParams, SubjectParams

D2R = np.pi / 180.0

# Relative jitter of each landmark (MediaPipe is most stable on the face and shoulders and
# least on hands, feet and the hip landmarks, which sit inside the body outline).
_JITTER = np.ones(33)
for _i, _n in enumerate(MP_NAMES):
    if _i <= 10:
        _JITTER[_i] = 0.5
    elif "shoulder" in _n:
        _JITTER[_i] = 0.8
    elif "hip" in _n or "knee" in _n or "elbow" in _n:
        _JITTER[_i] = 1.2
    elif any(k in _n for k in ("wrist", "pinky", "index", "thumb")):
        _JITTER[_i] = 1.8
    else:
        _JITTER[_i] = 1.5

# Groups that dip together (an arm behind the trunk, a blurred foot, a turned head).
_GROUPS = (
    [MP[n] for n in MP_NAMES if n.startswith("left_") and any(k in n for k in ("elbow", "wrist", "pinky", "index", "thumb"))],
    [MP[n] for n in MP_NAMES if n.startswith("right_") and any(k in n for k in ("elbow", "wrist", "pinky", "index", "thumb"))],
    [MP[n] for n in ("left_knee", "left_ankle", "left_heel", "left_foot_index")],
    [MP[n] for n in ("right_knee", "right_ankle", "right_heel", "right_foot_index")],
    list(range(11)),
    list(range(33)),
)
_HANDS = [MP[n] for n in MP_NAMES if any(k in n for k in ("wrist", "pinky", "index", "thumb"))]


def _ar1(rng: np.random.Generator, shape: tuple, a: float) -> np.ndarray:
    """Unit-variance AR(1) noise along axis 0."""
    e = rng.standard_normal(shape)
    e[0] /= np.sqrt(max(1 - a * a, 1e-6))
    return lfilter([np.sqrt(1 - a * a)], [1.0, -a], e, axis=0)


def project(body: np.ndarray, subject: SubjectParams, clip: ClipParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Camera view of ``body`` [T, 33, 3]: returns (xy normalised [T,33,2], z [T,33], body height px [T])."""
    x, y, z = body[..., 0].copy(), body[..., 1], body[..., 2].copy()
    hip_z = 0.5 * (z[:, MP["left_hip"]] + z[:, MP["right_hip"]])
    z -= hip_z[0]
    walked = max(hip_z[-1] - hip_z[0], 0.0)
    # heading error of the walking line
    psi = clip.heading_deg * D2R
    x, z = np.cos(psi) * x - np.sin(psi) * z, np.sin(psi) * x + np.cos(psi) * z
    if clip.view == "front":   # facing the camera: the subject's left is on the image's right
        xc, zc = x + clip.lateral_offset_m, clip.near_distance_m + walked - z
    else:                      # back to the camera: the subject's left is on the image's left
        xc, zc = -x + clip.lateral_offset_m, clip.near_distance_m + z
    yc = clip.camera_height_m - y  # image y points down
    # pitch: aim at mid-body at mid-distance, plus a small error
    d_mid = clip.near_distance_m + 0.5 * walked
    beta = np.arctan2(clip.camera_height_m - 0.5 * subject.height_m, d_mid) + clip.camera_pitch_deg * D2R
    yc, zc = np.cos(beta) * yc - np.sin(beta) * zc, np.sin(beta) * yc + np.cos(beta) * zc
    rho = clip.camera_roll_deg * D2R
    xc, yc = np.cos(rho) * xc - np.sin(rho) * yc, np.sin(rho) * xc + np.cos(rho) * yc
    zc = np.maximum(zc, 0.3)
    w, h = clip.width, clip.height
    f = (h / 2) / np.tan(clip.vfov_deg * D2R / 2)
    u = f * xc / zc + w / 2
    v = f * yc / zc + h / 2
    hip_depth = 0.5 * (zc[:, MP["left_hip"]] + zc[:, MP["right_hip"]])
    z_norm = (zc - hip_depth[:, None]) * (f / hip_depth[:, None]) / w
    body_px = subject.height_m * f / hip_depth
    xy = np.stack([u / w, v / h], axis=-1)
    return xy, z_norm, body_px


def estimator_output(
    xy: np.ndarray, z: np.ndarray, body_px: np.ndarray, clip: ClipParams, rng: np.random.Generator
) -> np.ndarray:
    """Add pose-estimator behaviour to ideal projections -> landmarks float32 [T, 33, 4]."""
    n = xy.shape[0]
    w, h = clip.width, clip.height
    fps = clip.fps
    a = 0.6 ** (30.0 / fps)  # same correlation time at any frame rate
    sigma_px = clip.noise_rel * body_px[:, None] * _JITTER[None, :]  # [T, 33]
    noise = _ar1(rng, (n, 33, 3), a) * sigma_px[..., None]
    vis = np.clip(rng.uniform(0.93, 0.995) + 0.01 * _ar1(rng, (n, 33), a), 0, 1)
    vis[:, _HANDS] -= rng.uniform(0.02, 0.12)
    if clip.view == "back":
        vis[:, :11] -= rng.uniform(0.0, 0.12)  # MediaPipe still reports the face from behind
    # short dips: visibility drops and jitter triples for a group of landmarks
    for _ in range(rng.poisson(clip.dip_rate_hz * n / fps)):
        group = _GROUPS[int(rng.choice(len(_GROUPS), p=[0.22, 0.22, 0.2, 0.2, 0.1, 0.06]))]
        length = max(1, int(rng.uniform(0.05, 0.3) * fps))
        start = int(rng.integers(0, max(n - 1, 1)))
        sl = slice(start, min(start + length, n))
        vis[sl, group] = rng.uniform(0.2, 0.75)
        noise[sl, group] += 2.0 * rng.standard_normal((sl.stop - sl.start, len(group), 3)) * sigma_px[sl, group][..., None]
    out = np.empty((n, 33, 4), dtype=np.float32)
    out[..., 0] = xy[..., 0] + noise[..., 0] / w
    out[..., 1] = xy[..., 1] + noise[..., 1] / h
    out[..., 2] = z + 1.5 * noise[..., 2] / w  # depth is MediaPipe's least certain output
    outside = (out[..., 0] < -0.02) | (out[..., 0] > 1.02) | (out[..., 1] < -0.02) | (out[..., 1] > 1.02)
    vis = np.where(outside, vis * rng.uniform(0.1, 0.4), vis)
    out[..., 3] = np.clip(vis, 0.0, 1.0)
    # frames with no person found (occlusion by a passer-by, motion blur): runs of 1-4 frames
    n_drop = rng.binomial(n, clip.dropout_rate)
    for _ in range(n_drop // 2 + (n_drop % 2)):
        start = int(rng.integers(0, n))
        out[start:start + int(rng.integers(1, 5))] = np.nan
    return out
