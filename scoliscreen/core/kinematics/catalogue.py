"""The feature catalogue: the one place that defines every knowledge-map feature.

Each :class:`Feature` has a name, body region (``scoliscreen.core.landmarks.REGION_IDS``),
feature space (``"skeleton"``, ``"motion"``, ``"xcorr"``), unit, formula in words,
clinical rationale, normal range where the literature gives one, and how it is computed
(``kind`` + ``args``, interpreted by ``skeleton_space`` / ``motion_space`` / ``xcorr_space``).

Conventions (body terms, independent of camera and view):

* Lengths are in **trunk lengths** (TL: distance pelvis midpoint -> shoulder midpoint in the
  image, a per-frame body scale), so the camera distance does not matter. For the text only,
  1 TL is taken as ``ASSUMED_TRUNK_CM`` (0.30 x 165 cm stature).
* Angles are in degrees against the body's own vertical (median ankle-midpoint -> pelvis-
  midpoint direction over the clip) or its perpendicular, so a rolled camera reads nothing.
* ``signed=True`` marks a left/right asymmetry: **positive = the subject's right** is higher /
  larger / ahead / later; a mirrored video negates it, the same body seen from the front or
  the back gives the same sign. Per-side features (``left_*`` / ``right_*``) name their
  mirror partner in ``mirror``; a mirrored video swaps the two.
* Motion and cross-correlation features of a window are measured over a
  ``CONTEXT_FRAMES``-frame context (about one gait cycle) centred on the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scoliscreen.core.constants import HOP_FRAMES, WINDOW_FRAMES
from scoliscreen.core.landmarks import REGION_IDS

CONTEXT_FRAMES = 32  # motion / cross-correlation context, centred on the window (~1 gait cycle)
MAX_LAG_FRAMES = 8  # cross-correlation lags searched: +-0.27 s at 30 fps
ASSUMED_STATURE_CM = 165.0
ASSUMED_TRUNK_CM = 0.30 * ASSUMED_STATURE_CM  # 49.5 cm, for the text only

SPACES = ("skeleton", "motion", "xcorr")


@dataclass(frozen=True)
class Feature:
    name: str
    region: str
    space: str
    unit: str
    description: str  # formula in words
    rationale: str  # why a clinician cares
    normal_range: tuple[float, float] | None = None
    signed: bool = False  # signed left/right asymmetry (positive = subject's right)
    mirror: str = ""  # name of the feature a horizontal flip maps this one onto ("" = itself)
    range_source: str = ""  # where the normal range comes from
    kind: str = "mean"  # how it is computed (see the space modules)
    args: tuple = field(default_factory=tuple)

    @property
    def mirror_name(self) -> str:
        return self.mirror or self.name


# ---- per-frame posture signals (self-skeleton space): name -> (region, unit, signed, words, rationale)
_SHOULDER_RANGE = ((-2.0, 2.0), "healthy shoulder-line tilt SD about 1-2 deg (science.md, clinical priors)")
_CM1 = 1.0 / ASSUMED_TRUNK_CM  # 1 cm in trunk lengths

POSTURE: dict[str, tuple] = {
    # head / neck
    "head_tilt_deg": ("head_neck", "deg", True, "tilt of the ear line (eye line if the ears are hidden) against the body horizontal; + = right ear higher", "head tilt compensates trunk and shoulder imbalance"),
    "head_lateral_offset": ("head_neck", "TL", True, "lateral offset of the ear midpoint from the shoulder midpoint; + = head toward the subject's right", "head not centred over the trunk (coronal decompensation)"),
    "head_shoulder_tilt_deg": ("head_neck", "deg", True, "head tilt minus shoulder-line tilt; + = head tilted right relative to the shoulders", "head righting against a tilted shoulder girdle"),
    "head_height": ("head_neck", "TL", False, "height of the ear midpoint above the shoulder midpoint", "neck posture / forward head"),
    "head_yaw_offset": ("head_neck", "TL", True, "lateral offset of the nose from the ear midpoint; + = face turned to the subject's right", "habitual head rotation"),
    # shoulder girdle
    "shoulder_tilt_deg": ("shoulder_girdle", "deg", True, "tilt of the shoulder line against the body horizontal; + = right shoulder higher", "shoulder imbalance is the most visible sign of a thoracic curve"),
    "shoulder_height_diff": ("shoulder_girdle", "TL", True, "height of the right shoulder minus the left one along the body vertical", "shoulder height difference (cm) as measured on photographs"),
    "shoulder_pelvis_tilt_deg": ("shoulder_girdle", "deg", True, "shoulder-line tilt minus pelvic obliquity; + = right shoulder higher relative to the pelvis", "shoulder imbalance independent of a pelvic tilt or a leg-length difference"),
    "shoulder_width": ("shoulder_girdle", "TL", False, "shoulder-to-shoulder distance across the body (frontal plane)", "apparent width; narrows with trunk rotation and in side views"),
    "shoulder_rotation_deg": ("shoulder_girdle", "deg", True, "transverse rotation of the shoulder line from landmark depth; + = right shoulder ahead", "asymmetric transverse rotation of the upper trunk in scoliotic gait"),
    # trunk / spine
    "trunk_lateral_lean_deg": ("trunk_spine", "deg", True, "angle of the pelvis-midpoint -> shoulder-midpoint axis from the body vertical; + = leaning to the right", "coronal trunk tilt tracks the curve"),
    "trunk_lateral_shift": ("trunk_spine", "TL", True, "lateral offset of the shoulder midpoint from the vertical through the pelvis midpoint; + = to the right", "C7 / trunk offset from the sacral vertical line (coronal balance)"),
    "trunk_pelvis_angle_deg": ("trunk_spine", "deg", True, "angle of the trunk axis from the perpendicular of the hip line; + = bent toward the right", "lateral trunk flexion relative to the pelvis"),
    "waist_asymmetry_pct": ("trunk_spine", "%", True, "(right - left) shoulder-hip distance / their mean x 100; + = right flank longer", "waist asymmetry correlates with lumbar and main-thoracic Cobb (r about -0.5)"),
    "waist_triangle_asym": ("trunk_spine", "TL", True, "gap between elbow and the same-side shoulder-hip line, right minus left", "asymmetric waist triangles are a classic visual screening sign"),
    "trunk_twist_deg": ("trunk_spine", "deg", True, "shoulder rotation minus pelvis rotation; + = shoulders turned further right than the pelvis", "trunk torsion between girdles"),
    # pelvis
    "pelvic_obliquity_deg": ("pelvis", "deg", True, "tilt of the hip line against the body horizontal; + = right hip higher", "pelvic obliquity occurs in about 31% of AIS patients"),
    "pelvic_height_diff": ("pelvis", "TL", True, "height of the right hip minus the left one along the body vertical", "iliac-crest height difference > 1 cm is called pelvic obliquity"),
    "pelvis_rotation_deg": ("pelvis", "deg", True, "transverse rotation of the hip line from landmark depth; + = right hip ahead", "asymmetric pelvic rotation in scoliotic gait"),
    "hip_width": ("pelvis", "TL", False, "hip-to-hip distance across the body", "apparent pelvis width; narrows with rotation and in side views"),
    "pelvis_lateral_offset": ("pelvis", "TL", True, "lateral offset of the pelvis midpoint from the ankle midpoint; + = pelvis over the right foot", "pelvic shift over the base of support"),
    "pelvis_height": ("pelvis", "TL", False, "height of the pelvis midpoint above the ankle midpoint", "vertical pelvis excursion during gait (leg length proxy)"),
}

# per-side signals: base -> (unit, words with {side}, rationale); region is left_/right_ arm or leg
ARM_SIDE: dict[str, tuple] = {
    "upper_arm_length": ("TL", "shoulder -> elbow distance", "segment-length ratio; asymmetric apparent length from a dropped shoulder"),
    "forearm_length": ("TL", "elbow -> wrist distance", "segment-length ratio"),
    "elbow_flexion_deg": ("deg", "elbow flexion (180 deg minus the shoulder-elbow-wrist angle, with depth)", "arm carriage"),
    "arm_abduction_deg": ("deg", "frontal-plane angle of the upper arm away from the trunk axis (outward +)", "arm held away from the body on one side"),
    "wrist_height": ("TL", "height of the wrist relative to the same-side shoulder", "arm hangs lower on the side of a dropped shoulder"),
    "hand_trunk_gap": ("TL", "outward lateral distance of the wrist from the same-side hip", "arm-trunk gap (waist triangle)"),
}
LEG_SIDE: dict[str, tuple] = {
    "thigh_length": ("TL", "hip -> knee distance", "segment-length ratio (leg length difference)"),
    "shank_length": ("TL", "knee -> ankle distance", "segment-length ratio"),
    "knee_flexion_deg": ("deg", "knee flexion (180 deg minus the hip-knee-ankle angle, with depth)", "knee flexion can compensate a leg-length difference"),
    "hip_abduction_deg": ("deg", "frontal-plane angle of the thigh away from the body vertical (outward +)", "asymmetric hip abduction with pelvic obliquity"),
    "knee_frontal_deviation": ("TL", "outward deviation of the knee from the hip-ankle line", "frontal knee alignment"),
    "ankle_lateral_offset": ("TL", "outward lateral distance of the ankle from the pelvis midpoint", "per-side step-width proxy"),
}

# motion: range and RMS rate of change of posture signals
MOTION_RANGE = (
    "head_tilt_deg", "head_lateral_offset", "shoulder_tilt_deg", "shoulder_rotation_deg",
    "trunk_lateral_lean_deg", "trunk_lateral_shift", "trunk_twist_deg", "waist_asymmetry_pct",
    "pelvic_obliquity_deg", "pelvis_rotation_deg", "pelvis_lateral_offset", "pelvis_height",
)
MOTION_VEL = (
    "head_tilt_deg", "head_lateral_offset", "shoulder_tilt_deg", "shoulder_rotation_deg",
    "trunk_lateral_lean_deg", "trunk_lateral_shift", "pelvic_obliquity_deg", "pelvis_rotation_deg",
    "pelvis_lateral_offset",
)
ARM_MOTION: dict[str, tuple] = {
    "arm_swing": ("swing", ("wrist", "shoulder"), "TL", "arm-swing amplitude: peak-to-peak equivalent (2*sqrt(2)*RMS) of the wrist path relative to the shoulder, with depth", "reduced arm swing on one side in scoliotic gait"),
    "elbow_flexion_range": ("range", ("elbow_flexion_deg",), "deg", "elbow flexion range (95th - 5th percentile)", "arm swing style"),
    "wrist_speed": ("speed", ("wrist", "shoulder"), "TL/s", "RMS speed of the wrist relative to the shoulder", "arm swing vigour"),
    "arm_abduction_range": ("range", ("arm_abduction_deg",), "deg", "range of frontal-plane arm abduction", "lateral arm movement (balance reaction)"),
}
LEG_MOTION: dict[str, tuple] = {
    "knee_flexion_range": ("range", ("knee_flexion_deg",), "deg", "knee flexion range of motion", "reduced joint range of motion in scoliotic gait"),
    "leg_swing": ("swing", ("ankle", "hip"), "TL", "leg-swing amplitude: peak-to-peak equivalent of the ankle path relative to the hip, with depth", "stride / swing amplitude per side"),
    "ankle_speed": ("speed", ("ankle", "hip"), "TL/s", "RMS speed of the ankle relative to the hip", "swing-phase vigour"),
    "foot_clearance_range": ("range", ("ankle_height",), "TL", "range of ankle height relative to the lower ankle", "foot clearance in swing"),
    "hip_abduction_range": ("range", ("hip_abduction_deg",), "deg", "range of frontal-plane hip abduction", "hip range of motion"),
    "step_length": ("step_length", (), "TL", "how far this foot gets ahead of the other (95th percentile of the forward ankle separation)", "shorter stride on one side"),
}
# signed asymmetry indices of per-side motion: name -> (region, per-side base, words, rationale, range, range_source)
MOTION_ASYM: dict[str, tuple] = {
    "arm_swing_asym_pct": ("shoulder_girdle", "arm_swing", "arm-swing asymmetry: (right - left) / larger x 100; + = right arm swings more", "reduced sagittal arm swing on one side", (-15.0, 15.0), "healthy arm-swing asymmetry is mostly below 10-15%"),
    "elbow_range_asym_pct": ("shoulder_girdle", "elbow_flexion_range", "elbow range asymmetry: (right - left) / larger x 100", "asymmetric arm carriage", None, ""),
    "wrist_speed_asym_pct": ("shoulder_girdle", "wrist_speed", "wrist speed asymmetry: (right - left) / larger x 100", "asymmetric arm swing", None, ""),
    "knee_range_asym_pct": ("pelvis", "knee_flexion_range", "knee range-of-motion asymmetry: (right - left) / larger x 100", "asymmetric lower-limb range of motion", None, ""),
    "leg_swing_asym_pct": ("pelvis", "leg_swing", "leg-swing asymmetry: (right - left) / larger x 100", "asymmetric stride", None, ""),
    "step_length_asym_pct": ("pelvis", "step_length", "step-length asymmetry: (right - left) / larger x 100; + = right step longer", "shorter stride on one side", None, ""),
}
GAIT: dict[str, tuple] = {
    "step_time_s": ("pelvis", "s", False, "mean interval between successive crossings of the feet (forward ankle separation changes sign)", "slower gait / longer steps", None, ""),
    "cadence_spm": ("pelvis", "steps/min", False, "60 / step time", "slower gait in scoliosis", None, ""),
    "step_time_asym_pct": ("pelvis", "%", True, "(time right foot ahead - time left foot ahead) / total x 100", "altered step timing", (-5.0, 5.0), "healthy step-time asymmetry is typically below about 5%"),
    "step_width": ("pelvis", "TL", False, "mean lateral distance between the ankles", "step-width proxy (wider base with poor balance)", None, ""),
    "trunk_sway_range": ("trunk_spine", "TL", False, "range of the lateral position of the shoulder midpoint relative to the ankle midpoint", "trunk sway over the base of support", None, ""),
}
# cross-correlation pairs: name -> (region, signal a, signal b, words, rationale, L/R pair?)
XPAIRS: dict[str, tuple] = {
    "arms_lr": ("shoulder_girdle", "arm_fwd_left", "arm_fwd_right", "left vs right arm swing (forward wrist position)", "arms swing in anti-phase in a symmetric gait", True),
    "legs_lr": ("pelvis", "ankle_fwd_left", "ankle_fwd_right", "left vs right leg (forward ankle position)", "legs alternate in anti-phase", True),
    "knees_lr": ("pelvis", "knee_flexion_deg_left", "knee_flexion_deg_right", "left vs right knee flexion", "inter-limb knee coordination", True),
    "larm_rleg": ("left_arm", "arm_fwd_left", "ankle_fwd_right", "left arm vs right leg", "arm swings with the opposite leg", False),
    "rarm_lleg": ("right_arm", "arm_fwd_right", "ankle_fwd_left", "right arm vs left leg", "arm swings with the opposite leg", False),
    "larm_elbow": ("left_arm", "arm_fwd_left", "elbow_flexion_deg_left", "left arm swing vs left elbow flexion", "intra-limb coordination", False),
    "rarm_elbow": ("right_arm", "arm_fwd_right", "elbow_flexion_deg_right", "right arm swing vs right elbow flexion", "intra-limb coordination", False),
    "lleg_knee": ("left_leg", "ankle_fwd_left", "knee_flexion_deg_left", "left leg swing vs left knee flexion", "intra-limb coordination", False),
    "rleg_knee": ("right_leg", "ankle_fwd_right", "knee_flexion_deg_right", "right leg swing vs right knee flexion", "intra-limb coordination", False),
    "shoulder_pelvis_rot": ("trunk_spine", "shoulder_rotation_deg", "pelvis_rotation_deg", "shoulder vs pelvis rotation", "counter-rotation of the girdles; altered in scoliotic gait", False),
    "shoulder_pelvis_tilt": ("trunk_spine", "shoulder_tilt_deg", "pelvic_obliquity_deg", "shoulder tilt vs pelvic obliquity", "frontal-plane coupling of the girdles", False),
    "trunk_shift_step": ("trunk_spine", "trunk_lateral_shift", "step_signal", "trunk lateral shift vs the step signal", "lateral trunk sway locked to the steps", False),
    "pelvis_step": ("pelvis", "pelvic_obliquity_deg", "step_signal", "pelvic obliquity vs the step signal", "pelvic drop locked to the steps", False),
    "head_shoulder_tilt": ("head_neck", "head_tilt_deg", "shoulder_tilt_deg", "head tilt vs shoulder tilt", "head righting against shoulder movement", False),
    "head_trunk_shift": ("head_neck", "head_lateral_offset", "trunk_lateral_shift", "head lateral offset vs trunk shift", "head-trunk coordination", False),
    "head_step": ("head_neck", "head_lateral_offset", "step_signal", "head lateral offset vs the step signal", "head stabilisation during gait", False),
}
_XKINDS = (
    ("peak_r", "xpeak", "", "correlation at the lag of the largest |correlation| (+-0.27 s)"),
    ("zero_r", "xzero", "", "correlation at zero lag"),
    ("lag_s", "xlag", "s", "lag of the largest |correlation| (second signal later = +), sub-frame interpolated"),
)


def _side_swap(name: str) -> str:
    return name.replace("left", "#").replace("right", "left").replace("#", "right")


def _build() -> tuple[Feature, ...]:
    out: list[Feature] = []
    for name, (region, unit, signed, words, why) in POSTURE.items():
        rng, src = None, ""
        if name in ("shoulder_tilt_deg", "shoulder_pelvis_tilt_deg"):
            rng, src = _SHOULDER_RANGE
        elif name == "pelvic_height_diff":
            rng, src = (-_CM1, _CM1), "iliac-crest height difference > 1 cm = pelvic obliquity (science.md)"
        elif name == "trunk_lateral_shift":
            rng, src = (-2 * _CM1, 2 * _CM1), "coronal imbalance: C7 plumb line > 2 cm from the sacral vertical"
        out.append(Feature(name, region, "skeleton", unit, f"Window mean of the {words}.", why,
                           rng, signed, "", src, "mean", (name,)))
    for sides, table, limb in ((("left", "right"), ARM_SIDE, "arm"), (("left", "right"), LEG_SIDE, "leg")):
        for base, (unit, words, why) in table.items():
            for side in sides:
                name = f"{side}_{base}"
                out.append(Feature(name, f"{side}_{limb}", "skeleton", unit,
                                   f"Window mean of the {side} {words}.", why, None, False,
                                   _side_swap(name), "", "mean", (f"{base}_{side}",)))
    # ---- motion space
    for sig in MOTION_RANGE:
        region, unit, _, words, why = POSTURE[sig]
        out.append(Feature(f"{sig}_range", region, "motion", unit,
                           f"Range (95th - 5th percentile) over the context of the {words}.",
                           f"movement amplitude: {why}", kind="range", args=(sig,)))
    for sig in MOTION_VEL:
        region, unit, signed, words, why = POSTURE[sig]
        out.append(Feature(f"{sig}_vel", region, "motion", f"{unit}/s",
                           f"RMS rate of change over the context of the {words}.",
                           f"movement speed: {why}", kind="vel", args=(sig,)))
    for limb, table in (("arm", ARM_MOTION), ("leg", LEG_MOTION)):
        for base, (kind, args, unit, words, why) in table.items():
            for side in ("left", "right"):
                name = f"{side}_{base}"
                a = tuple(f"{x}_{side}" for x in args) if kind != "step_length" else (side,)
                out.append(Feature(name, f"{side}_{limb}", "motion", unit, f"{side.capitalize()} {words}.",
                                   why, None, False, _side_swap(name), "", kind, a))
    for name, (region, base, words, why, rng, src) in MOTION_ASYM.items():
        out.append(Feature(name, region, "motion", "%", f"{words[0].upper()}{words[1:]}, per window.", why,
                           rng, True, "", src, "asym", (f"left_{base}", f"right_{base}")))
    for name, (region, unit, signed, words, why, rng, src) in GAIT.items():
        out.append(Feature(name, region, "motion", unit, f"{words[0].upper()}{words[1:]}, over the context.",
                           why, rng, signed, "", src, "gait", (name,)))
    # ---- cross-correlation space
    for pair, (region, a, b, words, why, lr) in XPAIRS.items():
        for suffix, kind, unit, kwords in _XKINDS:
            name = f"{pair}_{suffix}"
            mirror = ""
            if pair.startswith("l") and pair[1:4] in ("arm", "leg"):
                mirror = "r" + pair[1:].replace("rleg", "#").replace("lleg", "rleg").replace("#", "lleg") + "_" + suffix
            elif pair.startswith("r") and pair[1:4] in ("arm", "leg"):
                mirror = "l" + pair[1:].replace("lleg", "#").replace("rleg", "lleg").replace("#", "rleg") + "_" + suffix
            out.append(Feature(name, region, "xcorr", unit or "r",
                               f"{words[0].upper()}{words[1:]}: {kwords}, over the context.",
                               why, None, lr and kind == "xlag", mirror, "", kind, (a, b)))
    return tuple(out)


FEATURES: tuple[Feature, ...] = _build()
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURE_INDEX: dict[str, int] = {n: i for i, n in enumerate(FEATURE_NAMES)}

assert len(set(FEATURE_NAMES)) == len(FEATURES), "duplicate feature name"
assert all(f.region in REGION_IDS for f in FEATURES)
assert all(f.mirror_name in FEATURE_INDEX for f in FEATURES), "mirror partner missing"


def catalogue_markdown() -> str:
    """The catalogue as a Markdown document (docs/knowledge_map.md is generated from it)."""
    from collections import Counter

    lines = [
        "# Knowledge map: feature catalogue",
        "",
        "Generated by `scoliscreen features --markdown docs/knowledge_map.md` from",
        "`scoliscreen/core/kinematics/catalogue.py`; do not edit by hand.",
        "",
        f"{len(FEATURES)} features per time window ({WINDOW_FRAMES} frames at 30 fps every {HOP_FRAMES} frames; "
        f"motion and cross-correlation features over a {CONTEXT_FRAMES}-frame context centred on the window).",
        "",
    ]
    by_space = Counter(f.space for f in FEATURES)
    by_region = Counter(f.region for f in FEATURES)
    lines.append("Per space: " + ", ".join(f"{s} {by_space[s]}" for s in SPACES) + ".  ")
    lines.append("Per region: " + ", ".join(f"{r} {by_region[r]}" for r in REGION_IDS) + ".")
    lines += ["", "Conventions: TL = trunk length (pelvis midpoint to shoulder midpoint). Angles against the",
              "body's own vertical (median ankle-midpoint to pelvis-midpoint direction). Signed features:",
              "positive = the subject's right; a mirrored video negates them. Text converts TL to cm with",
              f"an assumed trunk length of {ASSUMED_TRUNK_CM:.1f} cm (0.30 x {ASSUMED_STATURE_CM:.0f} cm stature).", ""]
    lines += [
        "## How the map is computed",
        "",
        "* **Body frame.** Landmarks in pixels (y up); body vertical = median ankle-midpoint -> pelvis-midpoint",
        "  direction over the clip, lateral axis toward the subject's right (MediaPipe labels sides by the",
        "  subject), lengths / trunk length per frame (rolling median). A camera roll, a zoom and the",
        "  front/back view cancel; a mirrored video negates every signed feature and swaps left_* / right_*.",
        "  MediaPipe depth is rescaled per clip so rigid limb segments keep their length (its raw scale is",
        "  about 4-5x too large on the real clips). Landmarks with visibility < 0.3 count as missing.",
        "* **View.** Shoulder width < 0.35 trunk length = side view (frontal-plane features foreshortened:",
        "  still computed, not put in the text); otherwise back or front from which image side the",
        "  subject's right shoulder is on.",
        "* **Windows.** 30 fps; skeleton features = window mean (>= 4 valid frames); motion and",
        f"  cross-correlation features over a {CONTEXT_FRAMES}-frame context centred on the window; gait timing over",
        "  64 frames. NaN where not computable.",
        "* **Summary vector** (never NaN; 0 where not computable): `<feature>.median` and `<feature>.iqr`",
        "  over the windows for every feature, `asym.<base>` = (right - left) / larger x 100 of the medians of",
        "  every per-side pair, `coverage.frames` (frames with a person), `coverage.values` (computable",
        "  values), `coverage.<region>`, and the view one-hot `view.front/back/side`.",
        "* **Clinical text.** Deterministic; states only medians outside the normal ranges below (shoulder",
        "  tilt relative to the pelvis, else to the body horizontal; pelvic height difference with",
        "  obliquity; trunk shift; arm-swing and step-time asymmetry), with side and magnitude, cm for the",
        "  assumed trunk length and % of trunk length; frontal-plane findings withheld on side views; a",
        "  feature must be computable in >= 30% of the windows; clinician notes are appended separately.",
        "",
    ]
    for region in REGION_IDS:
        lines += [f"## {region}", "", "| feature | space | unit | signed | normal range | formula | rationale |",
                  "|---|---|---|---|---|---|---|"]
        for f in FEATURES:
            if f.region != region:
                continue
            rng = "" if f.normal_range is None else f"{f.normal_range[0]:.3g} .. {f.normal_range[1]:.3g} ({f.range_source})"
            lines.append(f"| `{f.name}` | {f.space} | {f.unit} | {'yes' if f.signed else ''} | {rng} | "
                         f"{f.description} | {f.rationale} |")
        lines.append("")
    return "\n".join(lines)
