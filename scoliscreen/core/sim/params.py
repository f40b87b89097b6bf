"""Random parameters of simulated subjects and clips, with the source or rationale of each.

Everything random in the simulator is drawn here from a ``numpy.random.Generator``, so a
subject (and each of its clips) is fully determined by its seed. Units: metres, degrees,
seconds. Body frame: x = the subject's left, y = up, z = walking direction.

Scoliosis is a Cobb angle plus a curve type and convex side. It drives the asymmetries a
clinician sees (shoulder tilt, trunk shift and lean, pelvic obliquity, waist asymmetry,
head tilt, thoracic rotation, one-sided reduced arm swing, shorter stride). Each asymmetry
is ``habitual + gain * Cobb * (curve-region weight) * (convex side) * (per-subject factor)``
so that one feature alone correlates with Cobb only weakly (r ~ 0.3-0.6, as photographic
asymmetry does in the literature), and healthy subjects show the same asymmetries at
their habitual size. docs/simulator.md lists every number and why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from scoliscreen.core.constants import POSITIVE_COBB


CURVE_TYPES = ("thoracic", "lumbar", "double")
# Share of curve types in AIS (Lenke 1 and 2 main thoracic most common; lumbar/thoracolumbar
# and double curves the rest) - rounded, see docs/simulator.md.
CURVE_TYPE_P = (0.45, 0.30, 0.25)
# How much each curve type drives the upper-trunk (thoracic) and lower-trunk (lumbar) signs.
CURVE_REGION_WEIGHT = {
    "thoracic": (1.0, 0.35),
    "lumbar": (0.35, 1.0),
    "double": (0.8, 0.8),
}
# Probability that the main curve is right-convex: right thoracic curves dominate AIS (~85-90%),
# lumbar curves are mostly left-convex.
RIGHT_CONVEX_P = {"thoracic": 0.85, "lumbar": 0.30, "double": 0.85}

# ---- Cobb distribution ---------------------------------------------------------------------
# A school-screening-like referral population (the paper's data are clinic referrals): many
# healthy 0-9 deg, a bump of borderline cases around 8-14 deg (Cobb measurement error ~5 deg,
# so these labels are noisy), and a long tail to 60 deg. Gives ~40% positives.
COBB_MIX = (
    # (weight, kind, a, b)
    (0.48, "healthy", 0.0, 9.0),      # |N(0, 4.5)| clipped to [0, 9.5]: straight or tiny curves
    (0.24, "borderline", 10.5, 2.6),  # N(10.5, 2.6) clipped to [5, 16]: around the threshold
    (0.28, "tail", 14.0, 11.0),       # 12 + Gamma(shape 1.4, scale 11), redrawn above 60: clear curves
)


def sample_cobb(rng: np.random.Generator) -> float:
    """One Cobb angle (deg) from the mixture in ``COBB_MIX``."""
    weights = np.array([m[0] for m in COBB_MIX])
    kind = COBB_MIX[int(rng.choice(len(COBB_MIX), p=weights / weights.sum()))][1]
    if kind == "healthy":
        return float(min(abs(rng.normal(0.0, 4.5)), 9.5))
    if kind == "borderline":
        return float(np.clip(rng.normal(10.5, 2.6), 5.0, 16.0))
    cobb = 12.0 + rng.gamma(1.4, 11.0)
    while cobb > 60.0:  # redraw rather than pile up at the cap
        cobb = 12.0 + rng.gamma(1.4, 11.0)
    return float(cobb)


# ---- effects of scoliosis ------------------------------------------------------------------
# name: (habitual SD of healthy people, gain per deg Cobb, region "t"horacic / "l"umbar,
#        sign relative to the convex side, unit). Positive values mean "towards / higher on the
# subject's left". Sign +1: the asymmetry points to the convex side (e.g. shoulder higher on
# the convex side of a thoracic curve); -1: to the concave side (compensation, e.g. head tilt).
EFFECTS: dict[str, tuple[float, float, str, int, str]] = {
    "shoulder_tilt_deg": (1.5, 0.090, "t", +1, "deg"),       # photo vs X-ray r 0.37-0.51; Lenke 1/2: 1.77 +- 2.17 deg
    "trunk_shift_m": (0.006, 0.00045, "t", +1, "m"),        # C7 / trunk shift over the sacrum
    "trunk_lean_deg": (0.9, 0.040, "t", +1, "deg"),          # coronal trunk tilt
    "thoracic_rotation_deg": (2.0, 0.11, "t", -1, "deg"),    # rib hump: convex side rotates back
    "pelvic_obliquity_deg": (1.0, 0.060, "l", -1, "deg"),    # ~31% of AIS show > 1 cm obliquity
    "waist_asymmetry_deg": (2.0, 0.13, "l", +1, "deg"),      # waist angle vs lumbar Cobb r ~ -0.54
    "head_tilt_deg": (1.5, 0.040, "t", -1, "deg"),           # compensatory head tilt
}
# Gait effects (magnitude only): fraction lost per deg Cobb.
ARM_SWING_LOSS_PER_DEG = 0.008   # reduced sagittal arm swing on one (concave) side
STRIDE_LOSS_PER_DEG = 0.0025     # slower gait, shorter stride
ROM_LOSS_PER_DEG = 0.006         # reduced pelvis / trunk range of motion


# Named child streams of a subject's generator, in spawn order (never reorder: seeds depend on it).
SUBJECT_STREAMS = ("cobb", "sex", "age", "height", "body", "curve")
# Named child streams of a clip's generator (``sample_clip_params``), in spawn order.
CLIP_STREAMS = ("view", "fps", "resolution", "duration", "camera", "day", "estimator")


@dataclass
class SubjectBase:
    """What every world's subject has (the labels.csv columns); each world adds its own body,
    gait and curve parameters (:class:`SubjectParams`, ``world_c.SubjectC``, ``world_r.SubjectR``)."""

    subject_id: str
    seed: int
    sex: str                  # "F" / "M"
    age: float                # years
    height_m: float
    cobb_angle: float         # deg
    curve_type: str           # thoracic / lumbar / double
    convex_side: str          # "right" / "left" (main curve)

    @property
    def label(self) -> int:
        return int(self.cobb_angle >= POSITIVE_COBB)


@dataclass
class SubjectParams(SubjectBase):
    """Everything that stays the same for one simulated subject across its clips."""

    # anthropometry (fractions of height, after Winter's segment table, +- individual variation)
    shoulder_width: float
    hip_width: float
    leg_scale: float
    arm_scale: float
    # normal gait
    cadence_spm: float        # steps per minute
    speed_mps: float
    arm_swing_deg: float      # sagittal shoulder flexion amplitude
    pelvic_obliquity_amp_deg: float
    pelvic_rotation_amp_deg: float
    lateral_sway_m: float
    trunk_forward_lean_deg: float
    # asymmetries: name -> value (habitual + scoliotic), in the units of EFFECTS
    asym: dict = field(default_factory=dict)
    arm_swing_ratio: tuple[float, float] = (1.0, 1.0)  # (left, right)
    rom_factor: float = 1.0
    step_timing_asym: float = 0.0  # phase offset of the right leg (fraction of a stride)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["arm_swing_ratio"] = list(self.arm_swing_ratio)
        return d


def _height_for(rng: np.random.Generator, sex: str, age: float) -> float:
    """Adolescent stature (WHO/CDC growth-chart medians, roughly linear 10-16 y), SD ~ 7 cm, clipped."""
    if sex == "F":
        median = 1.38 + 0.055 * min(age - 10.0, 4.0) + 0.01 * max(age - 14.0, 0.0)
    else:
        median = 1.38 + 0.065 * (age - 10.0)
    return float(np.clip(rng.normal(median, 0.07), 1.40, 1.85))


def sample_sex(rng: np.random.Generator, cobb: float) -> str:
    """"F" or "M" for a child with this Cobb angle (every world draws sex this way). AIS
    girls:boys ~ 1:1 below 10 deg, ~1.4:1 for small curves, up to 7:1 for large ones
    (Konieczny et al. 2013, J Child Orthop 7:3-9): sex follows the label, by the literature."""
    p_female = 0.5 if cobb < POSITIVE_COBB else min(0.55 + 0.01 * cobb, 0.85)
    return "F" if rng.random() < p_female else "M"


def sample_subject(
    rng: np.random.Generator, subject_id: str = "sim00000", seed: int = 0, cobb_angle: float | None = None
) -> SubjectParams:
    """Draw one subject. ``cobb_angle`` forces the curve size (e.g. 0 for a straight spine).

    Every group of random choices draws from its own child stream of ``rng``
    (``Generator.spawn``, keyed by position in :data:`SUBJECT_STREAMS`), so no choice reuses
    the random numbers of another: age and body build are independent of the Cobb angle.
    Sex follows the curve size as in the AIS literature (see docs/simulator.md)."""
    streams = dict(zip(SUBJECT_STREAMS, rng.spawn(len(SUBJECT_STREAMS))))
    cobb = sample_cobb(streams["cobb"]) if cobb_angle is None else float(cobb_angle)
    sex = sample_sex(streams["sex"], cobb)
    age = float(np.round(streams["age"].uniform(10.0, 16.0), 1))
    height = _height_for(streams["height"], sex, age)
    body = streams["body"]
    rng = streams["curve"]  # curve shape, asymmetries and gait changes
    curve_type = CURVE_TYPES[int(rng.choice(3, p=CURVE_TYPE_P))]
    right = rng.random() < RIGHT_CONVEX_P[curve_type]
    side = -1.0 if right else 1.0  # +1 = towards the subject's left

    # Per-subject "expressiveness" of the curve (shared) times per-effect factors: the same
    # Cobb angle looks very different on two children (rotation, compensation, body fat).
    express = rng.lognormal(0.0, 0.35)
    wt, wl = CURVE_REGION_WEIGHT[curve_type]
    asym = {}
    for name, (sd, gain, region, sign, _unit) in EFFECTS.items():
        w = wt if region == "t" else wl
        # In double curves the lumbar curve runs the other way.
        region_side = side if (region == "t" or curve_type != "double") else -side
        if curve_type == "lumbar" and region == "t":
            region_side = -side  # a compensatory thoracic curve opposite the lumbar one
        scoliotic = gain * cobb * w * express * rng.lognormal(-0.12, 0.5) * sign * region_side
        asym[name] = float(rng.normal(0.0, sd) + scoliotic)

    # Normal gait of adolescents (Froehle 2013 / Lythgo 2011 norms): cadence ~ 105-130 steps/min,
    # self-selected speed ~ 1.1-1.45 m/s, scaled a little with height.
    stride_loss = 1.0 - min(STRIDE_LOSS_PER_DEG * cobb * express * rng.uniform(0.3, 1.7), 0.25)
    cadence = float(rng.normal(118.0, 7.0) * (1.60 / height) ** 0.3)
    speed = float(rng.normal(1.28, 0.12) * (height / 1.60) ** 0.5 * stride_loss)
    swing_loss = min(ARM_SWING_LOSS_PER_DEG * cobb * express * rng.lognormal(-0.12, 0.5), 0.7)
    ratio_habit = rng.normal(1.0, 0.08, size=2)
    concave_is_left = side < 0  # right-convex curve -> left side concave
    if concave_is_left:
        ratio = (ratio_habit[0] * (1.0 - swing_loss), ratio_habit[1])
    else:
        ratio = (ratio_habit[0], ratio_habit[1] * (1.0 - swing_loss))
    return SubjectParams(
        subject_id=subject_id,
        seed=int(seed),
        sex=sex,
        age=age,
        height_m=height,
        cobb_angle=round(cobb, 1),
        curve_type=curve_type,
        convex_side="right" if right else "left",
        shoulder_width=float(body.normal(0.220, 0.011)),  # shoulder landmarks / height (biacromial 0.259H, landmarks sit inside)
        hip_width=float(body.normal(0.130, 0.007)),       # hip landmark separation / height (MediaPipe hips ~0.6 x shoulders)
        leg_scale=float(body.normal(1.0, 0.025)),
        arm_scale=float(body.normal(1.0, 0.025)),
        cadence_spm=cadence,
        speed_mps=speed,
        arm_swing_deg=float(np.clip(rng.normal(20.0, 6.0), 6.0, 38.0)),
        pelvic_obliquity_amp_deg=float(np.clip(rng.normal(4.0, 1.2), 1.5, 8.0)),
        pelvic_rotation_amp_deg=float(np.clip(rng.normal(5.0, 1.8), 1.5, 10.0)),
        lateral_sway_m=float(np.clip(rng.normal(0.025, 0.006), 0.01, 0.045)),
        trunk_forward_lean_deg=float(rng.normal(3.0, 2.0)),
        asym=asym,
        arm_swing_ratio=(float(np.clip(ratio[0], 0.2, 1.4)), float(np.clip(ratio[1], 0.2, 1.4))),
        rom_factor=float(1.0 - min(ROM_LOSS_PER_DEG * cobb * express * rng.uniform(0.3, 1.7), 0.4)),
        step_timing_asym=float(rng.normal(0.0, 0.006) + side * 0.0004 * cobb * rng.uniform(0, 1)),
    )


@dataclass
class ClipParams:
    """One recording of a subject: camera, view, frame rate, day-to-day variation."""

    view: str                 # "front" (walking towards the camera) / "back" (walking away)
    fps: float
    width: int
    height: int
    duration_s: float
    vfov_deg: float           # vertical field of view
    camera_height_m: float
    camera_pitch_deg: float   # >0: tilted down
    camera_roll_deg: float
    lateral_offset_m: float   # walking line offset from the optical axis
    heading_deg: float        # walking direction vs the optical axis
    near_distance_m: float    # closest distance to the camera during the clip
    speed_factor: float       # day-to-day variation of the subject's gait
    cadence_factor: float
    arm_swing_factor: float
    posture_jitter: dict = field(default_factory=dict)  # small day-to-day change of each asymmetry
    noise_rel: float = 0.005  # pose-estimator jitter, fraction of body height in pixels
    dropout_rate: float = 0.005
    dip_rate_hz: float = 0.3

    def to_dict(self) -> dict:
        return asdict(self)


# Phone and camera resolutions (w, h) with weights; portrait phone video included.
RESOLUTIONS = (
    ((1920, 1080), 0.30), ((1280, 720), 0.20), ((1080, 1920), 0.22), ((720, 1280), 0.10),
    ((3840, 2160), 0.06), ((640, 480), 0.06), ((2160, 3840), 0.06),
)
FPS_CHOICES = ((30.0, 0.55), (25.0, 0.20), (60.0, 0.25))


def sample_clip_params(
    rng: np.random.Generator, subject: SubjectParams, view: str | None = None, fps: float | None = None,
    resolution: tuple[int, int] | None = None, duration_s: float | None = None,
) -> ClipParams:
    """Draw one recording setup for ``subject``; each choice from its own child stream of
    ``rng`` (:data:`CLIP_STREAMS`), none from the subject's streams."""
    st = dict(zip(CLIP_STREAMS, rng.spawn(len(CLIP_STREAMS))))
    if view is None:
        view = "front" if st["view"].random() < 0.5 else "back"
    if fps is None:
        fps = FPS_CHOICES[int(st["fps"].choice(len(FPS_CHOICES), p=[w for _, w in FPS_CHOICES]))][0]
    if resolution is None:
        resolution = RESOLUTIONS[int(st["resolution"].choice(len(RESOLUTIONS), p=[w for _, w in RESOLUTIONS]))][0]
    w, h = int(resolution[0]), int(resolution[1])
    duration = float(duration_s if duration_s is not None else st["duration"].uniform(4.0, 6.0))
    day, cam, est = st["day"], st["camera"], st["estimator"]
    speed_factor = float(day.normal(1.0, 0.05))
    walk = subject.speed_mps * speed_factor * duration  # metres walked during the clip
    H = subject.height_m
    # Phone main cameras: ~65-75 deg across the long side; webcams / zoom narrower.
    long_fov = np.radians(cam.uniform(50.0, 75.0))
    tan_half = (h / 2) / ((max(w, h) / 2) / np.tan(long_fov / 2))  # tan(vertical fov / 2)
    # Closest distance: the whole body fits with a margin (~8% of clips: the feet get cut off
    # at the near end), and far enough that the whole walk fits the size range below.
    near = 0.58 * H / tan_half * (0.85 if cam.random() < 0.08 else 1.0) + cam.uniform(0.1, 1.0)
    near = max(near, 0.34 * walk + cam.uniform(0.0, 0.5))
    # Farthest point: the body still spans >= ~21% of the frame height (the person films
    # so that the walker stays readable - zooming in when needed; the quality gate refuses
    # bodies under 15% of the frame).
    if H / (2 * (near + walk) * tan_half) < 0.21:
        tan_half = H / (0.42 * (near + walk))
    vfov = 2 * np.degrees(np.arctan(tan_half))
    return ClipParams(
        view=view,
        fps=float(fps),
        width=w,
        height=h,
        duration_s=duration,
        vfov_deg=float(vfov),
        camera_height_m=float(cam.uniform(0.7, 1.6)),
        camera_pitch_deg=float(cam.normal(0.0, 2.0)),  # added to the pitch that aims at the body
        camera_roll_deg=float(np.clip(cam.normal(0.0, 1.5), -4.0, 4.0)),
        lateral_offset_m=float(cam.normal(0.0, 0.15)),
        heading_deg=float(cam.normal(0.0, 3.0)),
        near_distance_m=float(near),
        speed_factor=speed_factor,
        cadence_factor=float(day.normal(1.0, 0.03)),
        arm_swing_factor=float(day.normal(1.0, 0.12)),
        posture_jitter={k: float(day.normal(0.0, 0.35 * v[0])) for k, v in EFFECTS.items()},
        noise_rel=float(est.uniform(0.003, 0.008)),
        dropout_rate=float(est.uniform(0.0, 0.012)),
        dip_rate_hz=float(est.uniform(0.1, 0.6)),
    )
