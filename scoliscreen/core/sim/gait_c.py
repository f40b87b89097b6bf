"""World C's walking body: Fourier joint-angle curves, an inverted-pendulum pelvis and a
geometric spine curve (33 MediaPipe landmarks over time, metres, vectorised over frames).

Structurally different from world A's ``body.py``:

* joint angles are truncated Fourier series (4 harmonics) of keyframe curves of normal gait
  (Perry & Burnfield's textbook values at 0/15/40/60/73/90% of the stride), each harmonic
  scaled and phase-shifted per subject, instead of sums of Gaussian bumps;
* the pelvis rides an inverted pendulum (height from leg length and step length), not
  "lowest foot on the floor";
* arms are coupled to the opposite leg with a per-subject lag, and at slow speeds lock
  partly 2:1 to the steps (a double-frequency component), as in human arm swing;
* the trunk is a chain of spine points with a lateral curve (half-sine per curve, its
  amplitude from the Cobb angle by geometry); shoulder tilt, trunk shift and lean *emerge*
  from the curve, its compensation and the shoulder girdle, instead of being drawn as
  separate effects.

Body frame as in world A: x = the subject's left, y = up (ground at 0), z = walking direction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scoliscreen.core.landmarks import MP

D2R = np.pi / 180.0
N_HARMONICS = 4

# Keyframes (fraction of stride from heel strike, angle deg) of normal gait, textbook values.
_KEYS = {
    "hip": ((0.0, 25.0), (0.15, 20.0), (0.50, -10.0), (0.62, 0.0), (0.85, 30.0), (1.0, 25.0)),
    "knee": ((0.0, 5.0), (0.15, 18.0), (0.40, 5.0), (0.60, 38.0), (0.73, 62.0), (0.90, 15.0), (1.0, 5.0)),
    "ankle": ((0.0, 0.0), (0.10, -7.0), (0.45, 10.0), (0.62, -18.0), (0.80, 2.0), (1.0, 0.0)),
}


def _template(name: str) -> np.ndarray:
    """Complex Fourier coefficients c_0..c_K of the keyframe curve (periodic linear interpolation)."""
    p = np.linspace(0.0, 1.0, 256, endpoint=False)
    k = np.array(_KEYS[name])
    curve = np.interp(p, k[:, 0], k[:, 1])
    return np.fft.rfft(curve)[: N_HARMONICS + 1] / len(p)


TEMPLATES = {name: _template(name) for name in _KEYS}


def fourier_curve(coeffs: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Evaluate a real periodic curve from its complex coefficients c_0..c_K at phase (cycles)."""
    out = np.full(phase.shape, coeffs[0].real)
    for k in range(1, len(coeffs)):
        out = out + 2.0 * np.real(coeffs[k] * np.exp(2j * np.pi * k * phase))
    return out


def subject_harmonics(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-subject joint curves: each harmonic scaled LogNormal(0, 0.12) and shifted N(0, 0.06 rad)."""
    out = {}
    for name, c in TEMPLATES.items():
        scale = rng.lognormal(0.0, 0.12, size=len(c))
        shift = np.exp(1j * rng.normal(0.0, 0.06, size=len(c)) * np.arange(len(c)))
        c2 = c * scale * shift
        c2[0] = c[0] + rng.normal(0.0, 2.0)
        out[name] = c2
    return out


def _vec(x, y, z, n: int) -> np.ndarray:
    x, y, z, _ = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float), np.asarray(z, float), np.zeros(n))
    return np.stack([x, y, z], axis=-1)


def _yaw(v: np.ndarray, yaw) -> np.ndarray:
    """Rotate [..., 3] about the vertical axis (+ = the left side forward)."""
    c, s = np.cos(yaw), np.sin(yaw)
    x, z = v[..., 0], v[..., 2]
    return np.stack(np.broadcast_arrays(c * x - s * z, v[..., 1], s * x + c * z), axis=-1)


def walking_body_c(subject: Any, t: np.ndarray, speed: float, cadence: float,
                   arm_gain: float, rng: np.random.Generator) -> np.ndarray:
    """3D landmarks [T, 33, 3] of a world-C subject walking at ``speed`` m/s and ``cadence`` steps/min."""
    n, H = len(t), subject.height_m
    out = np.zeros((n, 33, 3))
    f_stride = cadence / 120.0
    step = speed / (2.0 * f_stride)
    phase = f_stride * t + rng.uniform(0.0, 1.0)
    p_l = phase % 1.0
    p_r = (phase + 0.5 + subject.phase_asym) % 1.0
    hc = subject.harmonics
    leg_len = subject.hip_height - 0.04 * H
    # step length sets the hip amplitude: scale the template's swing around its mean
    amp_scale = np.clip(step / (0.41 * leg_len * 1.9), 0.6, 1.4)

    # ---- pelvis: inverted pendulum (two bounces per stride), lateral sway, list, rotation ------
    drop = leg_len - np.sqrt(max(leg_len ** 2 - (0.5 * step) ** 2, 0.0))
    pel_y = subject.hip_height - drop * (0.5 + 0.5 * np.cos(4 * np.pi * (p_l - 0.25)))
    sway_amp = 0.5 * subject.step_width * subject.sway_gain
    sway = sway_amp * (np.sin(2 * np.pi * p_l) + 0.15 * np.sin(6 * np.pi * p_l))
    list_deg = -subject.pelvic_list_deg * np.sin(2 * np.pi * p_l) + subject.pelvic_obliquity_deg
    pel_roll = list_deg * D2R
    pel_yaw = subject.pelvic_rot_deg * np.cos(2 * np.pi * p_l) * D2R
    pelvis = _vec(sway, pel_y, speed * t, n)

    for side, p, nm, step_scale in ((1.0, p_l, "left", 1.0 + subject.step_asym),
                                    (-1.0, p_r, "right", 1.0 - subject.step_asym)):
        hip_off = _yaw(_vec(side * subject.hip_half, side * subject.hip_half * np.sin(pel_roll), 0.0, n), pel_yaw)
        hip = pelvis + hip_off
        mean_h = hc["hip"][0].real
        th = (mean_h + (fourier_curve(hc["hip"], p) - mean_h) * amp_scale * step_scale) * D2R
        kn = np.maximum(fourier_curve(hc["knee"], p), 0.0) * D2R
        an = fourier_curve(hc["ankle"], p) * D2R
        inward = -side * (subject.hip_half - 0.5 * subject.step_width)
        thigh_dir = _vec(inward / leg_len, -np.cos(th), np.sin(th), n)
        shank_dir = _vec(inward / leg_len, -np.cos(th - kn), np.sin(th - kn), n)
        knee = hip + subject.thigh * thigh_dir
        ankle = knee + subject.shank * shank_dir
        foot_a = th - kn + an  # sole angle relative to level
        sole = _vec(-side * np.sin(subject.toe_out) * np.cos(foot_a), np.sin(foot_a),
                    np.cos(subject.toe_out) * np.cos(foot_a), n)
        heel = ankle + _vec(0.0, -0.6 * subject.foot_h, 0.0, n) - 0.25 * subject.foot_len * sole
        toe = ankle + _vec(0.0, -subject.foot_h, 0.0, n) + 0.75 * subject.foot_len * sole
        for key, val in (("hip", hip), ("knee", knee), ("ankle", ankle), ("heel", heel), ("foot_index", toe)):
            out[:, MP[f"{nm}_{key}"]] = val

    # ---- trunk: the neck base sits over the spine's top (curve + decompensation, world_c) -----
    trunk_sway = subject.trunk_sway_deg * np.sin(2 * np.pi * p_l) * D2R
    fwd = subject.forward_lean_deg * D2R
    neck = pelvis + _vec(subject.trunk_shift_m + subject.trunk_len * np.sin(trunk_sway),
                         subject.trunk_len * np.cos(fwd), subject.trunk_len * np.sin(fwd), n)
    # thorax: counter-rotation (reduced by stiffness) plus the curve's axial rotation
    th_yaw = (-subject.counter_rot * pel_yaw / D2R + subject.axial_rot_deg) * D2R
    sh_roll = subject.shoulder_roll_deg * D2R + 0.4 * trunk_sway
    for side, p, nm in ((1.0, p_l, "left"), (-1.0, p_r, "right")):
        sh = neck + _yaw(_vec(side * subject.shoulder_half, side * subject.shoulder_half * np.sin(sh_roll), 0.0, n), th_yaw)
        # arm: pendulum coupled to the opposite leg with a lag, 2:1 locking at slow speeds
        ph = 2 * np.pi * (p - 0.5 - subject.arm_lag)
        gain = subject.arm_amp_deg * arm_gain * (subject.arm_ratio if side > 0 else 1.0 / subject.arm_ratio)
        flex = (subject.arm_offset_deg * side + gain * ((1 - subject.arm_2to1) * np.cos(ph)
                                                      + subject.arm_2to1 * np.cos(2 * ph))) * D2R
        elbow_flex = (15.0 + 0.6 * gain * (0.5 + 0.5 * np.cos(ph))) * D2R
        abd = subject.arm_abd_deg * D2R
        u = _yaw(_vec(side * np.sin(abd), -np.cos(abd) * np.cos(flex), np.sin(flex), n), th_yaw)
        elbow = sh + subject.upper_arm * u
        fa = flex + elbow_flex
        f = _yaw(_vec(side * np.sin(abd), -np.cos(abd) * np.cos(fa), np.sin(fa), n), th_yaw)
        wrist = elbow + subject.forearm * f
        out[:, MP[f"{nm}_shoulder"]] = sh
        out[:, MP[f"{nm}_elbow"]] = elbow
        out[:, MP[f"{nm}_wrist"]] = wrist
        lat_v = _vec(side, 0.0, 0.0, n)
        out[:, MP[f"{nm}_index"]] = wrist + 0.075 * H * f + 0.012 * H * _vec(0.0, 0.0, 1.0, n)
        out[:, MP[f"{nm}_pinky"]] = wrist + 0.065 * H * f - 0.012 * H * _vec(0.0, 0.0, 1.0, n)
        out[:, MP[f"{nm}_thumb"]] = wrist + 0.04 * H * f + 0.018 * H * _vec(0.0, 0.0, 1.0, n) - 0.006 * H * lat_v

    # ---- head: righting reflex keeps the eyes level; a little of the trunk's tilt remains ----
    head_roll = (subject.head_tilt_deg + 0.3 * np.degrees(sh_roll)) * D2R
    head_yaw = (subject.head_yaw_deg + 5.0 * np.sin(2 * np.pi * subject.look_hz * t + subject.look_phase)) * D2R
    head_c = neck + _vec(0.0, subject.neck_len, 0.01 * H, n)
    hs = subject.head_size
    face = {"nose": (0.0, -0.01, 0.105), "left_eye_inner": (0.016, 0.025, 0.09), "left_eye": (0.033, 0.027, 0.086),
            "left_eye_outer": (0.048, 0.026, 0.078), "left_ear": (0.075, 0.01, 0.0), "mouth_left": (0.025, -0.04, 0.088)}
    for name, (x, y, z) in list(face.items()):
        face[name.replace("left", "right")] = (-x, y, z)
    cr, sr = np.cos(head_roll), np.sin(head_roll)
    for name, (x, y, z) in face.items():
        v = _vec(x * hs, y * hs, z * hs, n)
        v = np.stack([cr * v[:, 0] - sr * v[:, 1], sr * v[:, 0] + cr * v[:, 1], v[:, 2]], axis=-1)
        out[:, MP[name]] = head_c + _yaw(v, head_yaw + th_yaw * 0.4)
    return out
