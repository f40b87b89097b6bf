"""Self-skeleton space: posture within each frame, as per-frame signals in body terms.

:func:`frame_signals` returns every per-frame signal the three spaces use (posture signals
named in ``catalogue.POSTURE``, per-side ``<base>_left`` / ``<base>_right`` signals, and the
auxiliary gait signals ``arm_fwd_*``, ``ankle_fwd_*``, ``ankle_height_*``, ``step_signal``).
:func:`skeleton_features` averages them over each window. Sign conventions: see
``catalogue``; body coordinates: see ``geometry``.
"""

from __future__ import annotations

import numpy as np

from scoliscreen.core.kinematics.geometry import (
    Body, angle_deg, interior_angle_deg, nanmean, rolling_nanmedian, take,
)

SIDES = (("left", -1.0), ("right", 1.0))  # lateral sign of "outward" per side
MIN_WINDOW_FRAMES = 4  # valid frames a window mean needs
STEP_SMOOTH_FRAMES = 5


def _tilt(d: np.ndarray) -> np.ndarray:
    """Tilt of a left->right segment against the body horizontal; + = right end higher."""
    return angle_deg(d[:, 1], np.abs(d[:, 0]))


def _rotation(d: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Transverse rotation of a left->right segment; + = right end ahead (toward walking)."""
    ahead = d @ forward
    across = np.abs(d[:, 2]) if abs(forward[0]) > 0.5 else np.abs(d[:, 0])
    return angle_deg(ahead, across)


def _line_offset(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lateral offset of p from the line a-b at p's height (frontal plane)."""
    dy = b[:, 1] - a[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(np.abs(dy) > 1e-6, (p[:, 1] - a[:, 1]) / np.where(np.abs(dy) > 1e-6, dy, 1.0), np.nan)
    return p[:, 0] - (a[:, 0] + t * (b[:, 0] - a[:, 0]))


def frame_signals(body: Body) -> dict[str, np.ndarray]:
    """All per-frame signals ([T] float64, NaN where not computable)."""
    P = body.point
    fwd = body.forward
    s: dict[str, np.ndarray] = {}
    lsh, rsh, lhip, rhip = P("left_shoulder"), P("right_shoulder"), P("left_hip"), P("right_hip")
    lank, rank = P("left_ankle"), P("right_ankle")
    sh_mid, hip_mid, ank_mid = 0.5 * (lsh + rsh), 0.5 * (lhip + rhip), 0.5 * (lank + rank)

    # head / neck (ears, or eyes where the ears are hidden)
    ear_l, ear_r = P("left_ear"), P("right_ear")
    eye_l, eye_r = P("left_eye"), P("right_eye")
    ears_ok = np.isfinite(ear_l).all(axis=1) & np.isfinite(ear_r).all(axis=1)
    hl = np.where(ears_ok[:, None], ear_l, eye_l)
    hr = np.where(ears_ok[:, None], ear_r, eye_r)
    head = 0.5 * (hl + hr)
    d_sh, d_hip = rsh - lsh, rhip - lhip
    s["head_tilt_deg"] = _tilt(hr - hl)
    s["head_lateral_offset"] = (head - sh_mid)[:, 0]
    s["shoulder_tilt_deg"] = _tilt(d_sh)
    s["head_shoulder_tilt_deg"] = s["head_tilt_deg"] - s["shoulder_tilt_deg"]
    s["head_height"] = (head - sh_mid)[:, 1]
    s["head_yaw_offset"] = (P("nose") - head)[:, 0]

    # shoulder girdle
    s["shoulder_height_diff"] = d_sh[:, 1]
    s["pelvic_obliquity_deg"] = _tilt(d_hip)
    s["shoulder_pelvis_tilt_deg"] = s["shoulder_tilt_deg"] - s["pelvic_obliquity_deg"]
    s["shoulder_width"] = np.hypot(d_sh[:, 0], d_sh[:, 1])
    s["shoulder_rotation_deg"] = _rotation(d_sh, fwd)

    # trunk / spine
    axis = sh_mid - hip_mid
    s["trunk_lateral_lean_deg"] = angle_deg(axis[:, 0], axis[:, 1])
    s["trunk_lateral_shift"] = axis[:, 0]
    n_lat, n_up = -d_hip[:, 1], np.abs(d_hip[:, 0])  # perpendicular of the hip line, pointing up
    s["trunk_pelvis_angle_deg"] = angle_deg(n_up * axis[:, 0] - n_lat * axis[:, 1], n_lat * axis[:, 0] + n_up * axis[:, 1])
    flank_r = np.hypot(*(rsh - rhip)[:, :2].T)
    flank_l = np.hypot(*(lsh - lhip)[:, :2].T)
    with np.errstate(invalid="ignore", divide="ignore"):
        s["waist_asymmetry_pct"] = 200.0 * (flank_r - flank_l) / (flank_r + flank_l)
    gap_r = _line_offset(P("right_elbow"), rhip, rsh)
    gap_l = -_line_offset(P("left_elbow"), lhip, lsh)
    s["waist_triangle_asym"] = gap_r - gap_l
    s["pelvis_rotation_deg"] = _rotation(d_hip, fwd)
    s["trunk_twist_deg"] = s["shoulder_rotation_deg"] - s["pelvis_rotation_deg"]

    # pelvis
    s["pelvic_height_diff"] = d_hip[:, 1]
    s["hip_width"] = np.hypot(d_hip[:, 0], d_hip[:, 1])
    s["pelvis_lateral_offset"] = (hip_mid - ank_mid)[:, 0]
    s["pelvis_height"] = (hip_mid - ank_mid)[:, 1]

    # per side: arms and legs
    for side, out in SIDES:
        sh, el, wr = P(f"{side}_shoulder"), P(f"{side}_elbow"), P(f"{side}_wrist")
        hip, kn, an = P(f"{side}_hip"), P(f"{side}_knee"), P(f"{side}_ankle")
        ua, th = el - sh, kn - hip
        s[f"upper_arm_length_{side}"] = np.linalg.norm(ua, axis=1)
        s[f"forearm_length_{side}"] = np.linalg.norm(wr - el, axis=1)
        s[f"elbow_flexion_deg_{side}"] = 180.0 - interior_angle_deg(sh, el, wr)
        s[f"arm_abduction_deg_{side}"] = angle_deg(out * ua[:, 0], -ua[:, 1])
        s[f"wrist_height_{side}"] = (wr - sh)[:, 1]
        s[f"hand_trunk_gap_{side}"] = out * (wr - hip)[:, 0]
        s[f"thigh_length_{side}"] = np.linalg.norm(th, axis=1)
        s[f"shank_length_{side}"] = np.linalg.norm(an - kn, axis=1)
        s[f"knee_flexion_deg_{side}"] = 180.0 - interior_angle_deg(hip, kn, an)
        s[f"hip_abduction_deg_{side}"] = angle_deg(out * th[:, 0], -th[:, 1])
        s[f"knee_frontal_deviation_{side}"] = out * _line_offset(kn, hip, an)
        s[f"ankle_lateral_offset_{side}"] = out * (an - hip_mid)[:, 0]
        s[f"ankle_height_{side}"] = an[:, 1] - np.fmin(lank[:, 1], rank[:, 1])
        s[f"arm_fwd_{side}"] = (wr - sh) @ fwd
        s[f"ankle_fwd_{side}"] = (an - hip_mid) @ fwd
    # + = right foot ahead; a 5-frame running median removes single-frame left/right label swaps
    s["step_signal"] = rolling_nanmedian((rank - lank) @ fwd, STEP_SMOOTH_FRAMES, min_count=3)
    s["step_width"] = np.abs((rank - lank)[:, 0])
    s["sway_lateral"] = (sh_mid - ank_mid)[:, 0]
    return s


def skeleton_features(features, signals: dict[str, np.ndarray], starts: np.ndarray, length: int) -> np.ndarray:
    """[W, len(features)] window means of the per-frame signal each feature names."""
    out = np.full((len(starts), len(features)), np.nan)
    for j, f in enumerate(features):
        win = take(signals[f.args[0]], starts, length)
        n_inside = min(length, signals[f.args[0]].shape[0]) or 1
        out[:, j] = nanmean(win, axis=1, min_count=min(MIN_WINDOW_FRAMES, n_inside))
    return out
