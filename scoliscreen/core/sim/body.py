"""A 3D walking body: the 33 MediaPipe landmarks over time, vectorised over frames.

Body frame: x = the subject's left, y = up (ground at 0), z = walking direction. Joint
angles of normal gait are smooth periodic functions of the gait phase (shapes after
Perry & Burnfield's normal gait curves: hip flexion +30 / -10 deg, knee 15 deg loading
response and 60 deg in swing, heel rocker and push-off of the foot, arm swing opposite the
leg, pelvic obliquity, rotation and lateral sway, thorax counter-rotation). Segment lengths
are fractions of body height (Winter's anthropometric table). Scoliotic and habitual
asymmetries (``SubjectParams.asym``) are static offsets on top, with a slow postural sway.
"""

from __future__ import annotations

import numpy as np

from scoliscreen.core.landmarks import MP
from scoliscreen.core.sim.params import ClipParams, SubjectParams

D2R = np.pi / 180.0


def _bump(p: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Gaussian bump on the circular phase p in [0, 1)."""
    d = (p - centre + 0.5) % 1.0 - 0.5
    return np.exp(-0.5 * (d / width) ** 2)


def _rotate(v: np.ndarray, yaw=0.0, roll=0.0, pitch=0.0) -> np.ndarray:
    """Rotate vectors v [..., 3] by pitch (about x; + = toe/forward up), then roll (about z;
    + = left side up), then yaw (about y; + = left side forward). Angles in radians, each a
    scalar or an array broadcasting against v[..., 0]."""
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    cp, sp = np.cos(pitch), np.sin(pitch)
    y, z = cp * y + sp * z, -sp * y + cp * z
    cr, sr = np.cos(roll), np.sin(roll)
    x, y = cr * x - sr * y, sr * x + cr * y
    cy, sy = np.cos(yaw), np.sin(yaw)
    x, z = cy * x - sy * z, sy * x + cy * z
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def _vec(x, y, z, n: int) -> np.ndarray:
    """[n, 3] vectors from scalars or [n] arrays."""
    x, y, z, _ = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float), np.asarray(z, float), np.zeros(n))
    return np.stack([x, y, z], axis=-1)


def walking_body(subject: SubjectParams, clip: ClipParams, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """3D landmark positions [T, 33, 3] (metres, body frame) of ``subject`` walking for times ``t`` (s)."""
    n = len(t)
    H = subject.height_m
    a = subject.asym
    jit = clip.posture_jitter
    out = np.zeros((n, 33, 3))

    # slow postural sway of every static asymmetry (breathing, balance): ~0.1-0.3 Hz, small
    def static(name: str) -> np.ndarray:
        base = a.get(name, 0.0) + jit.get(name, 0.0)
        f = rng.uniform(0.1, 0.3)
        return base + 0.15 * abs(base) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))

    cadence = subject.cadence_spm * clip.cadence_factor
    speed = subject.speed_mps * clip.speed_factor
    f_stride = cadence / 120.0
    stride = speed / f_stride
    phase = f_stride * t + rng.uniform(0, 1)
    p_left = phase % 1.0
    p_right = (phase + 0.5 + subject.step_timing_asym) % 1.0
    rom = subject.rom_factor

    # ---- segment lengths (Winter: hip 0.530H, knee 0.285H, ankle 0.039H, shoulder 0.818H) ----
    leg = subject.leg_scale
    l_thigh, l_shank = 0.245 * H * leg, 0.246 * H * leg
    hip_h = 0.530 * H * leg
    trunk_len = (0.818 - 0.530) * H  # hip landmarks to shoulder landmarks
    l_uarm, l_farm, l_hand = 0.186 * H * subject.arm_scale, 0.146 * H * subject.arm_scale, 0.108 * H
    foot_len, foot_h = 0.152 * H, 0.039 * H
    hip_half = 0.5 * subject.hip_width * H
    sh_half = 0.5 * subject.shoulder_width * H
    step_half = rng.uniform(0.035, 0.06)  # half step width (m)

    # ---- pelvis ----------------------------------------------------------------------------
    pel_roll = (-subject.pelvic_obliquity_amp_deg * rom * np.sin(2 * np.pi * p_left)
                + static("pelvic_obliquity_deg")) * D2R  # swing side drops
    pel_yaw = subject.pelvic_rotation_amp_deg * rom * np.cos(2 * np.pi * p_left) * D2R  # left hip forward at left heel strike
    sway = subject.lateral_sway_m * np.sin(2 * np.pi * p_left)  # towards the stance leg
    pelvis = _vec(sway, hip_h, speed * t, n)

    # ---- legs --------------------------------------------------------------------------------
    hip_amp = np.clip(20.0 * stride / (1.55 * (l_thigh + l_shank)), 12.0, 28.0)
    for side, p, names in ((1.0, p_left, "left"), (-1.0, p_right, "right")):
        hip = pelvis + _rotate(_vec(side * hip_half, 0.0, 0.0, n), yaw=pel_yaw, roll=pel_roll)
        th = (10.0 + hip_amp * np.cos(2 * np.pi * (p - 0.93))) * D2R
        kn = (5.0 + 15.0 * _bump(p, 0.13, 0.06) + 57.0 * _bump(p, 0.72, 0.10)) * D2R
        inward = _vec(-side * (hip_half - step_half), 0.0, 0.0, n)  # legs converge to the step width
        knee = hip + l_thigh * _rotate(_vec(0.0, -1.0, 0.0, n), yaw=pel_yaw, pitch=th) + 0.5 * inward
        ankle = knee + l_shank * _rotate(_vec(0.0, -1.0, 0.0, n), yaw=pel_yaw, pitch=th - kn) + 0.5 * inward
        foot_pitch = (12.0 * _bump(p, 0.0, 0.05) - 30.0 * _bump(p, 0.60, 0.06) + 4.0 * _bump(p, 0.85, 0.08)) * D2R
        toe_out = -side * rng.uniform(4.0, 12.0) * D2R
        heel = ankle + _rotate(_vec(0.0, -0.6 * foot_h, -0.25 * foot_len, n), yaw=toe_out, pitch=foot_pitch)
        toe = ankle + _rotate(_vec(0.0, -foot_h, 0.75 * foot_len, n), yaw=toe_out, pitch=foot_pitch)
        out[:, MP[f"{names}_hip"]] = hip
        out[:, MP[f"{names}_knee"]] = knee
        out[:, MP[f"{names}_ankle"]] = ankle
        out[:, MP[f"{names}_heel"]] = heel
        out[:, MP[f"{names}_foot_index"]] = toe

    # ---- trunk and shoulders -------------------------------------------------------------------
    lean = -static("trunk_lean_deg") * D2R  # as a roll: + lean_deg = the trunk top towards the left
    shift = static("trunk_shift_m")
    fwd_lean = -subject.trunk_forward_lean_deg * D2R
    thorax_yaw = -0.6 * pel_yaw + static("thoracic_rotation_deg") * D2R
    trunk_roll_osc = 1.5 * rom * np.sin(2 * np.pi * p_left) * D2R  # trunk sways over the stance leg
    neck_base = pelvis + _rotate(_vec(shift, trunk_len, 0.0, n), roll=lean + trunk_roll_osc, pitch=fwd_lean)
    # The shoulder line's net tilt is its own effect (shoulder height difference as clinicians
    # measure it); the lean moves the shoulder midpoint, not the line's tilt.
    sh_roll = 0.5 * trunk_roll_osc + static("shoulder_tilt_deg") * D2R
    waist = static("waist_asymmetry_deg") * D2R  # arms hang differently beside an asymmetric waist
    for side, p, names, ratio in ((1.0, p_left, "left", subject.arm_swing_ratio[0]),
                                  (-1.0, p_right, "right", subject.arm_swing_ratio[1])):
        shoulder = neck_base + _rotate(_vec(side * sh_half, 0.0, 0.0, n), yaw=thorax_yaw, roll=sh_roll)
        amp = subject.arm_swing_deg * ratio * clip.arm_swing_factor * rom
        flex = (3.0 + amp * np.cos(2 * np.pi * (p - 0.43))) * D2R  # arm forward when the other leg is
        elbow_flex = (18.0 + 0.5 * amp * (1 + np.cos(2 * np.pi * (p - 0.43)))) * D2R
        abd = (rng.uniform(4.0, 9.0) * D2R + side * 0.5 * waist)
        down = _vec(side * np.sin(abd), -np.cos(abd), 0.0, n)
        uarm = _rotate(down, yaw=thorax_yaw, pitch=flex)  # arms hang by gravity
        elbow = shoulder + l_uarm * uarm
        farm = _rotate(down, yaw=thorax_yaw, pitch=flex + elbow_flex)
        wrist = elbow + l_farm * farm
        fwd = _rotate(_vec(0.0, 0.0, 1.0, n), yaw=thorax_yaw, pitch=flex + elbow_flex)
        lat = _rotate(_vec(side, 0.0, 0.0, n), yaw=thorax_yaw)
        out[:, MP[f"{names}_shoulder"]] = shoulder
        out[:, MP[f"{names}_elbow"]] = elbow
        out[:, MP[f"{names}_wrist"]] = wrist
        out[:, MP[f"{names}_index"]] = wrist + 0.70 * l_hand * farm + 0.02 * fwd
        out[:, MP[f"{names}_pinky"]] = wrist + 0.62 * l_hand * farm - 0.02 * fwd
        out[:, MP[f"{names}_thumb"]] = wrist + 0.35 * l_hand * farm + 0.03 * fwd - 0.01 * lat

    # ---- head: ear level 0.91H; eyes 0.936H (Winter), face points on a head-sized frame ------
    s = H / 1.6
    head_roll = static("head_tilt_deg") * D2R + 0.5 * (lean + trunk_roll_osc)
    look = rng.uniform(0.05, 0.25)
    head_yaw = (rng.normal(0, 4.0) + rng.uniform(0, 6.0) * np.sin(2 * np.pi * look * t + rng.uniform(0, 6.3))) * D2R
    head_yaw = head_yaw + 0.5 * thorax_yaw
    head_c = neck_base + _rotate(_vec(0.0, 0.092 * H, 0.005 * H, n), roll=0.5 * head_roll)
    face = {
        "nose": (0.0, 0.005, 0.100), "left_eye_inner": (0.015, 0.028, 0.085), "left_eye": (0.032, 0.030, 0.082),
        "left_eye_outer": (0.046, 0.029, 0.075), "left_ear": (0.074, 0.015, 0.0), "mouth_left": (0.024, -0.033, 0.085),
    }
    for name, (x, y, z) in list(face.items()):
        face[name.replace("left", "right")] = (-x, y, z)
    for name, (x, y, z) in face.items():
        out[:, MP[name]] = head_c + _rotate(_vec(x * s, y * s, z * s, n), yaw=head_yaw, roll=head_roll)

    # ---- ground contact: the lowest foot point touches the floor (gives the vertical bounce) ----
    feet = out[:, [MP["left_heel"], MP["right_heel"], MP["left_foot_index"], MP["right_foot_index"]], 1]
    out[:, :, 1] -= feet.min(axis=1, keepdims=True)
    return out
