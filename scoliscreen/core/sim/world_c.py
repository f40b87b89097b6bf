"""World C: a structurally different scoliotic-gait world model (not world A's code with other
numbers), for leave-one-world-out evaluation. See docs/simulator.md, "World C".

* **Clinical prior**: its own Cobb distribution (half-normal straight spines + 6° + Gamma(2, 7°)
  curves, about 45% positive), ages 9.5-17, stature from logistic growth curves by sex. Sex
  follows the curve size by the same cited rule as world A (the one allowed dependence).
* **Body**: proportions from the sitting-height ratio (adolescents ~0.52) instead of Winter's
  fixed fractions; its own shoulder / hip / arm spreads (``gait_c``).
* **Gait**: Fourier joint-angle curves, inverted-pendulum pelvis, cadence from speed through
  the walk ratio (step length / cadence), arms coupled to the opposite leg with a lag and
  2:1 locking at slow speeds (``gait_c``).
* **Scoliosis**: a spine curve (half-sine per curve, amplitude from the Cobb angle by
  geometry, a compensatory curve) from which the landmark asymmetries follow: shoulder roll
  from the top curve's end tilt through a partly compensating shoulder girdle, trunk shift
  from decompensation, pelvic obliquity from the lowest curve's take-off plus leg-length
  difference, thoracic axial rotation ~ Cobb, which also moves the arms' swing centre; a
  stiffer trunk (less counter-rotation) and a step-length asymmetry of random side. Tissue
  "expressiveness" varies per child, so each asymmetry correlates only weakly with Cobb.
* **Camera** (``camera_c``): 35 mm-equivalent lenses, distortion, hand-held shake, portrait or
  landscape, 24-60 fps, clips of 3.4-7 s.
* **Pose estimator**: the error model fitted on real MediaPipe output (``pose_errors``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from scoliscreen.core.sequence import PoseSequence
from scoliscreen.core.sim.camera_c import CameraC, project_c, sample_camera_c
from scoliscreen.core.sim.gait_c import subject_harmonics, walking_body_c
from scoliscreen.core.sim.params import SubjectBase, sample_sex
from scoliscreen.core.sim.pose_noise import learned_estimator_output

GENERATOR_C = "scoliscreen.sim-C 1"
SUBJECT_STREAMS_C = ("cobb", "sex", "age", "height", "body", "curve", "gait", "head")


@dataclass
class SubjectC(SubjectBase):
    # body (metres)
    hip_height: float = 0.0
    trunk_len: float = 0.0
    neck_len: float = 0.0
    thigh: float = 0.0
    shank: float = 0.0
    upper_arm: float = 0.0
    forearm: float = 0.0
    shoulder_half: float = 0.0
    hip_half: float = 0.0
    foot_len: float = 0.0
    foot_h: float = 0.0
    head_size: float = 1.0
    # gait
    speed_mps: float = 1.2
    walk_ratio: float = 0.006
    harmonics: dict = field(default_factory=dict)
    phase_asym: float = 0.0
    step_asym: float = 0.0
    step_width: float = 0.09
    sway_gain: float = 0.8
    toe_out: float = 0.1
    pelvic_list_deg: float = 4.0
    pelvic_rot_deg: float = 6.0
    trunk_sway_deg: float = 1.2
    forward_lean_deg: float = 4.0
    counter_rot: float = 0.6
    arm_amp_deg: float = 22.0
    arm_lag: float = 0.04
    arm_2to1: float = 0.1
    arm_abd_deg: float = 8.0
    arm_ratio: float = 1.0
    arm_offset_deg: float = 0.0
    # scoliosis, as the landmarks see it (emerging from the spine curve)
    curves: list = field(default_factory=list)  # (lo, hi, lateral amplitude m) along the trunk
    trunk_shift_m: float = 0.0
    shoulder_roll_deg: float = 0.0
    pelvic_obliquity_deg: float = 0.0
    axial_rot_deg: float = 0.0
    head_tilt_deg: float = 0.0
    head_yaw_deg: float = 0.0
    look_hz: float = 0.1
    look_phase: float = 0.0


def sample_cobb_c(rng: np.random.Generator) -> float:
    """World C's Cobb prior: 55% straight-ish spines |N(0, 4)| (< 12), 45% curves 6 + Gamma(2, 7) (< 70)."""
    if rng.random() < 0.55:
        return float(min(abs(rng.normal(0.0, 4.0)), 12.0))
    cobb = 6.0 + rng.gamma(2.0, 7.0)
    while cobb > 70.0:
        cobb = 6.0 + rng.gamma(2.0, 7.0)
    return float(cobb)


def _stature(rng: np.random.Generator, sex: str, age: float) -> float:
    """Logistic adolescent growth curves (girls' spurt ~11.5 y, boys' ~13.5 y), SD 6.5 cm."""
    if sex == "F":
        median = 1.30 + 0.34 / (1.0 + np.exp(-(age - 11.5) / 1.2))
    else:
        median = 1.30 + 0.50 / (1.0 + np.exp(-(age - 13.5) / 1.3))
    return float(np.clip(rng.normal(median, 0.065), 1.30, 1.92))


def _half_sine_amp(cobb_deg: float, length_m: float) -> float:
    """Lateral amplitude of a half-sine curve whose end tangents meet at the Cobb angle."""
    return float(length_m / np.pi * np.tan(np.radians(cobb_deg) / 2.0))


def sample_subject_c(rng: np.random.Generator, subject_id: str = "simC00000", seed: int = 0,
                     cobb_angle: float | None = None) -> SubjectC:
    st = dict(zip(SUBJECT_STREAMS_C, rng.spawn(len(SUBJECT_STREAMS_C))))
    cobb = sample_cobb_c(st["cobb"]) if cobb_angle is None else float(cobb_angle)
    sex = sample_sex(st["sex"], cobb)  # the cited AIS dependence, as in every world
    age = float(np.round(st["age"].uniform(9.5, 17.0), 1))
    H = _stature(st["height"], sex, age)
    b = st["body"]
    shr = b.normal(0.525, 0.013)            # sitting height / stature
    hip_h = (1.0 - shr + 0.045) * H
    shoulder_h = H - b.normal(0.182, 0.007) * H
    leg = hip_h - 0.04 * H
    thigh_share = b.normal(0.495, 0.012)
    s = SubjectC(
        subject_id=subject_id, seed=int(seed), sex=sex, age=age, height_m=H, cobb_angle=round(cobb, 1),
        curve_type="", convex_side="",
        hip_height=hip_h, trunk_len=shoulder_h - hip_h, neck_len=0.09 * H, thigh=thigh_share * leg,
        shank=(1 - thigh_share) * leg, upper_arm=b.normal(0.172, 0.007) * H, forearm=b.normal(0.150, 0.006) * H,
        shoulder_half=0.5 * b.normal(0.228, 0.014) * H, hip_half=0.5 * b.normal(0.122, 0.009) * H,
        foot_len=0.15 * H, foot_h=0.04 * H, head_size=H / 1.6 * b.normal(1.0, 0.05),
    )
    _curve(s, st["curve"])
    g = st["gait"]
    s.speed_mps = float(np.clip(g.normal(1.25, 0.15) * (H / 1.6) ** 0.3, 0.8, 1.7)
                        * (1.0 - min(0.002 * cobb * g.uniform(0, 1), 0.12)))
    s.walk_ratio = float(g.normal(0.0062, 0.0005) * H / 1.7)
    s.harmonics = subject_harmonics(g)
    s.phase_asym = float(g.normal(0.0, 0.008))
    s.step_width = float(np.clip(g.normal(0.09, 0.02), 0.04, 0.16))
    s.sway_gain = float(g.uniform(0.6, 1.0))
    s.toe_out = float(np.radians(g.uniform(3.0, 14.0)))
    s.pelvic_list_deg = float(np.clip(g.normal(4.0, 1.5), 1.0, 8.0))
    s.pelvic_rot_deg = float(np.clip(g.normal(6.0, 2.0), 1.0, 12.0))
    s.trunk_sway_deg = float(abs(g.normal(1.2, 0.5)))
    s.forward_lean_deg = float(g.normal(4.0, 2.5))
    s.arm_amp_deg = float(np.clip(g.normal(22.0, 7.0), 5.0, 40.0))
    s.arm_lag = float(g.normal(0.04, 0.03))
    s.arm_2to1 = float(np.clip(0.4 * (1.25 - s.speed_mps) / 0.5, 0.0, 0.4))
    s.arm_abd_deg = float(g.uniform(5.0, 12.0))
    h = st["head"]
    s.head_yaw_deg, s.look_hz, s.look_phase = float(h.normal(0, 4.0)), float(h.uniform(0.05, 0.3)), float(h.uniform(0, 6.283))
    s.head_tilt_deg = float(-0.5 * s.shoulder_roll_deg * h.uniform(0.3, 1.0) + h.normal(0.0, 1.5))
    return s


def _curve(s: SubjectC, r: np.random.Generator) -> None:
    """The spine curve and what the landmarks see of it (fills the scoliosis fields of ``s``)."""
    cobb = s.cobb_angle
    kind = ("thoracic", "lumbar", "double")[int(r.choice(3, p=(0.50, 0.28, 0.22)))]
    right = r.random() < (0.30 if kind == "lumbar" else 0.85)
    s.curve_type, s.convex_side = kind, "right" if right else "left"
    sign = -1.0 if right else 1.0  # + = towards the subject's left
    T = s.trunk_len
    th_lo, th_hi = r.uniform(0.40, 0.50), r.uniform(0.88, 0.98)
    lu_lo, lu_hi = r.uniform(0.0, 0.08), r.uniform(0.45, 0.55)
    comp = r.uniform(0.2, 0.6)  # compensatory curve / main curve
    if kind == "thoracic":
        spec = [(th_lo, th_hi, cobb, sign), (lu_lo, min(lu_hi, th_lo), comp * cobb, -sign)]
    elif kind == "lumbar":
        spec = [(lu_lo, lu_hi, cobb, sign), (max(th_lo, lu_hi), th_hi, comp * cobb, -sign)]
    else:
        spec = [(th_lo, th_hi, cobb, sign), (lu_lo, min(lu_hi, th_lo), cobb * r.uniform(0.7, 1.0), -sign)]
    s.curves = [(float(lo), float(hi), sgn * _half_sine_amp(c, (hi - lo) * T)) for lo, hi, c, sgn in spec]
    # how much of the spine's shape reaches the skin and the landmarks (tissue, rotation, posture)
    express = r.lognormal(-0.2, 0.45)
    top = max(s.curves, key=lambda c: c[1])
    low = min(s.curves, key=lambda c: c[0])
    main = s.curves[0]
    top_tilt = np.degrees(np.arctan(np.pi * abs(top[2]) / ((top[1] - top[0]) * T))) * np.sign(top[2])
    low_tilt = np.degrees(np.arctan(np.pi * abs(low[2]) / ((low[1] - low[0]) * T))) * np.sign(low[2])
    decomp = r.beta(1.5, 4.0)
    s.trunk_shift_m = float(express * decomp * main[2] + r.normal(0.0, 0.007))
    s.shoulder_roll_deg = float(express * r.uniform(0.1, 0.6) * top_tilt + r.normal(0.0, 1.6))
    lld = r.normal(0.0, 0.005)  # leg-length difference (m), habitual
    s.pelvic_obliquity_deg = float(-express * r.uniform(0.0, 0.4) * low_tilt
                                   + np.degrees(np.arctan(lld / (2 * s.hip_half))))
    thor = [c for c in s.curves if c[1] > 0.8]
    t_cobb = cobb if kind != "lumbar" else comp * cobb
    t_sign = np.sign(thor[0][2]) if thor else 0.0
    s.axial_rot_deg = float(-t_sign * express * t_cobb * r.uniform(0.05, 0.25) + r.normal(0.0, 2.0))
    s.arm_offset_deg = float(r.uniform(0.3, 1.0) * s.axial_rot_deg)
    side = 1.0 if r.random() < 0.5 else -1.0
    s.arm_ratio = float(r.lognormal(0.0, 0.12) * np.exp(side * 0.005 * cobb * r.uniform(0, 1)))
    s.step_asym = float(r.normal(0.0, 0.02) + side * 0.0015 * cobb * r.uniform(0, 1))
    s.counter_rot = float(0.6 * (1.0 - min(0.008 * cobb * r.uniform(0.3, 1.5), 0.6)))


def clip_setup_c(subject: SubjectC, rng: np.random.Generator, view: str | None = None, fps: float | None = None,
                 ) -> tuple[CameraC, float, np.random.Generator, np.random.Generator, np.random.Generator]:
    """(camera, walking speed, day, motion and estimator streams) of one clip, drawn exactly as
    ``simulate_clip_c`` draws them (the nuisance test reads the setup without rendering)."""
    setup, day, motion, estimator = rng.spawn(4)
    speed = subject.speed_mps * float(day.normal(1.0, 0.05))
    return sample_camera_c(setup, subject.height_m, speed, view=view, fps=fps), speed, day, motion, estimator


def simulate_clip_c(subject: SubjectC, rng: np.random.Generator, *, view: str | None = None,
                    fps: float | None = None) -> PoseSequence:
    """One world-C recording of ``subject`` (setup, day-to-day variation, motion and estimator
    errors each from its own child stream)."""
    cam, speed, day, motion, estimator = clip_setup_c(subject, rng, view, fps)
    cadence = float(np.sqrt(60.0 * speed / subject.walk_ratio))  # steps/min from the walk ratio
    today = dataclasses.replace(
        subject, shoulder_roll_deg=subject.shoulder_roll_deg + float(day.normal(0.0, 0.4)),
        trunk_shift_m=subject.trunk_shift_m + float(day.normal(0.0, 0.003)))
    n = max(int(round(cam.duration_s * cam.fps)), 2)
    t = np.arange(n) / cam.fps
    body = walking_body_c(today, t, speed, cadence, float(day.normal(1.0, 0.12)), motion)
    proj_rng, err_rng = estimator.spawn(2)
    xy, z, body_px = project_c(body, subject.height_m, cam, proj_rng)
    lm = learned_estimator_output(xy, z, body_px, cam.width, cam.height, cam.fps, cam.view, err_rng)
    meta = {
        "view": cam.view, "simulated": True, "generator": GENERATOR_C, "world": "C",
        "subject_id": subject.subject_id, "cobb_angle": subject.cobb_angle, "label": subject.label,
        "curve_type": subject.curve_type, "convex_side": subject.convex_side, "camera": cam.to_dict(),
    }
    return PoseSequence(lm, cam.fps, (cam.width, cam.height), t * 1000.0, meta)
