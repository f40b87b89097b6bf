"""Apply the pose-estimator error model fitted on real MediaPipe output (``pose_errors``,
stored in ``data/pose_errors.json``) to ideal projected landmarks.

Per clip: one jitter level between the lowest and highest real walk (log-uniform, shared by
all landmark groups), one visibility level between the real back-view and side-view levels
(four clips cannot separate view, resolution and light, so the whole real range is used).
Per frame: AR(1) jitter per landmark group (its fitted SD relative to body height and time
constant, a fitted share common to the whole body), depth jitter, visibility as an AR(1)
logit-normal process per group, near and far limb (by depth) apart; whole-body left/right
flips and single-limb swaps, and dropped frames, as Poisson events at the fitted rates with
exponential lengths. Landmarks outside the picture lose visibility (x 0.1-0.4; not fitted,
as in world A).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from scoliscreen.core.landmarks import MP, MP_MIRROR
from scoliscreen.core.sim.pose_errors import GROUPS, SIDED, load_params

_LIMB_SWAPS = (
    ("arm", [MP[f"left_{k}"] for k in ("elbow", "wrist", "pinky", "index", "thumb")],
     [MP[f"right_{k}"] for k in ("elbow", "wrist", "pinky", "index", "thumb")], 0.3),
    ("leg", [MP[f"left_{k}"] for k in ("knee", "ankle", "heel", "foot_index")],
     [MP[f"right_{k}"] for k in ("knee", "ankle", "heel", "foot_index")], 0.5),
    ("hip", [MP["left_hip"]], [MP["right_hip"]], 0.2),
)


def _ar1(rng: np.random.Generator, shape: tuple, a: float) -> np.ndarray:
    """Unit-variance AR(1) noise along axis 0."""
    e = rng.standard_normal(shape)
    e[0] /= np.sqrt(max(1 - a * a, 1e-6))
    return lfilter([np.sqrt(1 - a * a)], [1.0, -a], e, axis=0)


def _coef(tau_s: float, fps: float) -> float:
    return float(np.exp(-1.0 / (fps * tau_s))) if tau_s > 0 else 0.0


def _events(rng: np.random.Generator, rate_per_s: float, mean_s: float, n: int, fps: float) -> list[slice]:
    out = []
    for _ in range(rng.poisson(rate_per_s * n / fps)):
        length = max(1, int(round(rng.exponential(mean_s) * fps)))
        start = int(rng.integers(0, max(n - 1, 1)))
        out.append(slice(start, min(n, start + length)))
    return out


def learned_estimator_output(xy: np.ndarray, z: np.ndarray, body_px: np.ndarray, width: int, height: int,
                             fps: float, view: str, rng: np.random.Generator, params: dict | None = None,
                             *, jitter_scale: float = 1.0, visibility: np.ndarray | None = None) -> np.ndarray:
    """Ideal landmarks (xy normalised [T,33,2], z normalised [T,33], body height px [T]) ->
    MediaPipe-like landmarks float32 [T, 33, 4] with the fitted error model. ``jitter_scale``
    scales the jitter; ``visibility`` [T, 33] replaces the modelled visibility (world R keeps
    the real one)."""
    m = (params or load_params())["model"]
    level, jit, vis_rng, swaps, drops = rng.spawn(5)
    n = len(xy)
    a = _coef(m["jitter_tau_s"], fps)
    u = level.random()
    sig = np.zeros(33)
    zsig = np.zeros(33)
    for g, idx in GROUPS.items():
        lo, hi = m["jitter"][g]["sigma_range"]
        sig[idx] = jitter_scale * np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        zsig[idx] = m["jitter"][g]["z_sigma"] * sig[idx] / m["jitter"][g]["sigma"]
    rho = m["common_share"]
    e = np.sqrt(1 - rho) * _ar1(jit, (n, 33, 3), a) + np.sqrt(rho) * _ar1(jit, (n, 1, 3), a)
    px = body_px[:, None]
    out = np.empty((n, 33, 4), dtype=np.float64)
    out[..., 0] = xy[..., 0] + e[..., 0] * sig * px / width
    out[..., 1] = xy[..., 1] + e[..., 1] * sig * px / height
    out[..., 2] = z + e[..., 2] * zsig * px / width
    w_vis = level.random()
    out[..., 3] = _visibility(m, view, z, n, fps, w_vis, vis_rng) if visibility is None else visibility
    outside = (out[..., 0] < -0.02) | (out[..., 0] > 1.02) | (out[..., 1] < -0.02) | (out[..., 1] > 1.02)
    out[..., 3] = np.where(outside, out[..., 3] * vis_rng.uniform(0.1, 0.4), out[..., 3])
    for sl in _events(swaps, m["swap_whole_body_per_s"], m["swap_mean_s"], n, fps):
        out[sl] = out[sl][:, MP_MIRROR]
    p = np.array([w for *_, w in _LIMB_SWAPS])
    for sl in _events(swaps, m["swap_limb_per_s"], m["swap_mean_s"], n, fps):
        _, left, right, _ = _LIMB_SWAPS[int(swaps.choice(len(_LIMB_SWAPS), p=p / p.sum()))]
        out[sl, left + right] = out[sl][:, right + left]
    for sl in _events(drops, m["drop_per_s"], m["drop_mean_s"], n, fps):
        out[sl] = np.nan
    return out.astype(np.float32)


def _visibility(m: dict, view: str, z: np.ndarray, n: int, fps: float, w: float, rng: np.random.Generator
                ) -> np.ndarray:
    """Visibility [T, 33]: per group (near / far limb by depth) logit-normal AR(1), the clip's
    level a mix ``w`` of the real back-view (0) and side-view (1) levels."""
    vb, vs = m["visibility_logit"]["back"], m["visibility_logit"]["side"]
    a = _coef(m["visibility_tau_s"], fps)
    logit = np.zeros((n, 33))

    def mix(key_b, key_s) -> tuple[float, float]:
        return (1 - w) * key_b[0] + w * key_s[0], (1 - w) * key_b[1] + w * key_s[1]

    mu, sd = mix(vb["face"], vs["face"])
    logit[:, GROUPS["face"]] = mu + sd * _ar1(rng, (n, 1), a)
    for g, (left, right) in SIDED.items():
        left_near = (np.mean(z[:, left], axis=1) <= np.mean(z[:, right], axis=1))[:, None]
        mu_n, sd_n = mix(vb[g]["near"], vs[g]["near"])
        mu_f, sd_f = mix(vb[g]["far"], vs[g]["far"])
        e_l, e_r = _ar1(rng, (n, 1), a), _ar1(rng, (n, 1), a)
        logit[:, left] = np.where(left_near, mu_n + sd_n * e_l, mu_f + sd_f * e_l)
        logit[:, right] = np.where(left_near, mu_f + sd_f * e_r, mu_n + sd_n * e_r)
    del view  # front and back views both use the back-view fit (no real front-view walk)
    return 1.0 / (1.0 + np.exp(-logit))
