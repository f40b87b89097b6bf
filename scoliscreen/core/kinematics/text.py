"""Clinical text: deterministic plain-language sentences from a knowledge-map summary.

Only findings outside the catalogue's normal range are stated, each with its side and
magnitude, e.g. "Right shoulder 2.4° higher than left relative to the pelvis." Lengths are
given in cm for an assumed trunk length (``ASSUMED_TRUNK_CM``) and in % of trunk length.
Frontal-plane findings are withheld on side views (foreshortened). The clinician's free-text
notes are kept as a separate part. Every number comes from ``km.median(feature)`` and is
recorded in ``facts`` so tests and the GUI can check the text against the features.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scoliscreen.core.kinematics.catalogue import ASSUMED_TRUNK_CM, FEATURE_INDEX, FEATURES

MIN_COVERAGE = 0.3  # a feature must be computable in this fraction of windows to be stated
LOW_COVERAGE = 0.5  # below this fraction of computable values the text adds a caution
FRONTAL = ("shoulder_pelvis_tilt_deg", "shoulder_tilt_deg", "pelvic_height_diff", "trunk_lateral_shift")


@dataclass
class Fact:
    feature: str
    value: float  # the summary median the sentence states
    side: str  # "right" / "left": the side the sentence names first


@dataclass
class ClinicalText:
    findings: list[str]
    notes: str = ""
    caveats: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Findings (and caveats), then "Clinician notes: ..." when there are notes."""
        body = " ".join(self.findings + self.caveats)
        notes = self.notes.strip()
        return f"{body}\nClinician notes: {notes}" if notes else body

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict:
        return {"findings": list(self.findings), "caveats": list(self.caveats),
                "notes": self.notes, "text": self.text}


def _outside(name: str, value: float) -> bool:
    rng = FEATURES[FEATURE_INDEX[name]].normal_range
    assert rng is not None  # only features with a range are stated
    lo, hi = rng
    return value < lo or value > hi


def _sides(value: float) -> tuple[str, str]:
    return ("right", "left") if value > 0 else ("left", "right")


def _cm(tl: float) -> str:
    return f"{abs(tl) * ASSUMED_TRUNK_CM:.1f} cm ({abs(tl) * 100:.0f}% of trunk length)"


def _sentence(name: str, v: float, km) -> str:
    side, other = _sides(v)
    if name == "shoulder_pelvis_tilt_deg":
        return f"{side.capitalize()} shoulder {abs(v):.1f}° higher than {other} relative to the pelvis."
    if name == "shoulder_tilt_deg":
        return f"{side.capitalize()} shoulder {abs(v):.1f}° higher than {other}."
    if name == "pelvic_height_diff":
        deg = abs(km.median("pelvic_obliquity_deg"))
        return f"{side.capitalize()} side of the pelvis {_cm(v)} higher than {other} (obliquity {deg:.1f}°)."
    if name == "trunk_lateral_shift":
        return f"Trunk shifted {_cm(v)} to the {side}."
    if name == "arm_swing_asym_pct":
        # v > 0: right swings more, so the left swing is |v|% smaller than the right one
        return f"{other.capitalize()} arm swing {abs(v):.0f}% smaller than {side}."
    if name == "step_time_asym_pct":
        return f"Steps with the {side} foot ahead last {abs(v):.0f}% longer than with the {other} foot ahead."
    raise KeyError(name)


def clinical_text(km, notes: str = "") -> ClinicalText:
    """Short clinical sentences for what exceeds the normal ranges in ``km`` (a KnowledgeMap)."""
    findings: list[str] = []
    facts: list[Fact] = []
    caveats: list[str] = []
    side_view = km.view == "side"
    order = ["shoulder_pelvis_tilt_deg", "shoulder_tilt_deg", "pelvic_height_diff",
             "trunk_lateral_shift", "arm_swing_asym_pct", "step_time_asym_pct"]
    for name in order:
        if side_view and name in FRONTAL:
            continue
        if km.coverage(name) < MIN_COVERAGE:
            continue
        v = km.median(name)
        if not _outside(name, v):
            continue
        if name == "shoulder_tilt_deg" and any(f.feature == "shoulder_pelvis_tilt_deg" for f in facts):
            continue  # already stated relative to the pelvis
        findings.append(_sentence(name, v, km))
        facts.append(Fact(name, v, _sides(v)[0]))
    if not findings:
        findings.append("No postural or gait asymmetry beyond the normal ranges was measured.")
    if side_view:
        caveats.append("Side view: shoulder, pelvis and trunk-shift measures are foreshortened and not reported; "
                       "the far-side arm and leg are partly hidden.")
    cov = km.summary_value("coverage.values")
    if cov < LOW_COVERAGE:
        caveats.append(f"Only {cov * 100:.0f}% of the measures could be computed; interpret with caution.")
    return ClinicalText(findings=findings, notes=notes or "", caveats=caveats, facts=facts)
