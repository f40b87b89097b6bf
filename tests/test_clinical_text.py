"""Clinical text (issue 3): sides and numbers in the text agree with the features."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.core.kinematics import ASSUMED_TRUNK_CM, clinical_text, compute_knowledge_map
from scoliscreen.core.kinematics.phantom import Phantom
from scoliscreen.core.sequence import PoseSequence, load_sequence

POSES = Path(__file__).resolve().parents[1] / "tests" / "data" / "poses"

PATTERNS = {
    "shoulder_pelvis_tilt_deg": r"(Right|Left) shoulder (\d+\.\d)° higher than (right|left) relative to the pelvis\.",
    "shoulder_tilt_deg": r"(Right|Left) shoulder (\d+\.\d)° higher than (right|left)\.",
    "pelvic_height_diff": r"(Right|Left) side of the pelvis (\d+\.\d) cm \((\d+)% of trunk length\) higher than "
                          r"(right|left) \(obliquity (\d+\.\d)°\)\.",
    "trunk_lateral_shift": r"Trunk shifted (\d+\.\d) cm \((\d+)% of trunk length\) to the (right|left)\.",
    "arm_swing_asym_pct": r"(Right|Left) arm swing (\d+)% smaller than (right|left)\.",
    "step_time_asym_pct": r"Steps with the (right|left) foot ahead last (\d+)% longer than with the (right|left) foot ahead\.",
}


def parse(text: str) -> dict[str, dict]:
    """What the text claims, per feature: the side it calls higher/larger/... and the numbers."""
    out = {}
    for name, pat in PATTERNS.items():
        m = re.search(pat, text)
        if not m:
            continue
        g = m.groups()
        if name == "shoulder_pelvis_tilt_deg" or (name == "shoulder_tilt_deg" and "relative" not in m.group(0)):
            out[name] = {"side": g[0].lower(), "value": float(g[1]), "other": g[2]}
        elif name == "pelvic_height_diff":
            out[name] = {"side": g[0].lower(), "cm": float(g[1]), "pct": int(g[2]), "other": g[3], "deg": float(g[4])}
        elif name == "trunk_lateral_shift":
            out[name] = {"side": g[2], "cm": float(g[0]), "pct": int(g[1])}
        elif name == "arm_swing_asym_pct":
            # "Left arm swing 18% smaller than right": the *larger* side is the second one
            out[name] = {"side": g[2], "value": int(g[1]), "other": g[0].lower()}
        elif name == "step_time_asym_pct":
            out[name] = {"side": g[0], "value": int(g[1]), "other": g[2]}
    return out


def check_text_agrees_with_features(km, text) -> dict:
    claims = parse(text.text)
    assert set(claims) == {f.feature for f in text.facts}, (claims, text.facts)
    for name, c in claims.items():
        v = km.median(name)
        side = "right" if v > 0 else "left"
        assert c["side"] == side, (name, v, c)
        assert c.get("other", "right" if side == "left" else "left") != side
        if "value" in c and isinstance(c["value"], float):
            assert c["value"] == float(f"{abs(v):.1f}")
        elif "value" in c:
            assert c["value"] == int(f"{abs(v):.0f}")
        if "cm" in c:
            assert c["cm"] == float(f"{abs(v) * ASSUMED_TRUNK_CM:.1f}")
            assert c["pct"] == int(f"{abs(v) * 100:.0f}")
        if "deg" in c:
            assert c["deg"] == float(f"{abs(km.median('pelvic_obliquity_deg')):.1f}")
        lo, hi = km.features[[f.name for f in km.features].index(name)].normal_range
        assert not lo <= v <= hi, f"{name} stated although within its normal range"
    return claims


ASYM = dict(shoulder_tilt_deg=2.4, pelvic_obliquity_deg=-2.5, trunk_shift=-0.06,
            arm_swing_left_deg=16.0, arm_swing_right_deg=20.0)


@pytest.fixture(scope="module")
def asym_map():
    return compute_knowledge_map(Phantom(**ASYM).sequence())


def test_constructed_asymmetries_are_described_with_sides_and_magnitudes(asym_map):
    text = clinical_text(asym_map)
    print(text.text)
    claims = check_text_agrees_with_features(asym_map, text)
    assert claims["shoulder_pelvis_tilt_deg"] == {"side": "right", "value": 4.9, "other": "left"}
    assert claims["pelvic_height_diff"]["side"] == "left" and claims["pelvic_height_diff"]["deg"] == 2.5
    assert claims["trunk_lateral_shift"] == {"side": "left", "cm": 3.0, "pct": 6}
    assert claims["arm_swing_asym_pct"]["side"] == "right" and claims["arm_swing_asym_pct"]["other"] == "left"
    assert "shoulder_tilt_deg" not in claims  # said once, relative to the pelvis
    assert "Clinician notes" not in text.text and text.notes == ""


def test_notes_are_a_separate_part_and_text_is_deterministic(asym_map):
    a = clinical_text(asym_map, notes="Mother reports a recent growth spurt.")
    b = clinical_text(asym_map, notes="Mother reports a recent growth spurt.")
    assert a.text == b.text
    findings, notes = a.text.split("\nClinician notes: ")
    assert notes == "Mother reports a recent growth spurt."
    assert findings == " ".join(a.findings + a.caveats)
    assert "growth" not in findings


def test_mirrored_walker_swaps_sides_keeps_numbers(asym_map):
    mirrored = compute_knowledge_map(Phantom(**ASYM).sequence().mirrored())
    a, b = parse(clinical_text(asym_map).text), parse(clinical_text(mirrored).text)
    assert set(a) == set(b)
    swap = {"left": "right", "right": "left"}
    for name in a:
        assert b[name]["side"] == swap[a[name]["side"]]
        assert {k: v for k, v in a[name].items() if k not in ("side", "other")} == \
               {k: v for k, v in b[name].items() if k not in ("side", "other")}


def test_only_what_exceeds_the_normal_range_is_stated():
    sym = compute_knowledge_map(Phantom().sequence())
    t = clinical_text(sym)
    assert t.facts == [] and t.findings == ["No postural or gait asymmetry beyond the normal ranges was measured."]
    mild = compute_knowledge_map(Phantom(shoulder_tilt_deg=1.5, trunk_shift=0.03, arm_swing_left_deg=18.5).sequence())
    assert clinical_text(mild).facts == []
    tilted = compute_knowledge_map(Phantom(shoulder_tilt_deg=-3.0).sequence())
    t = clinical_text(tilted)
    assert [f.feature for f in t.facts] == ["shoulder_pelvis_tilt_deg"]
    assert t.findings[0] == "Left shoulder 3.0° higher than right relative to the pelvis."


def test_real_clips_text_agrees_with_features():
    for path in sorted(POSES.glob("*.npz")):
        km = compute_knowledge_map(load_sequence(path))
        text = clinical_text(km, notes="real clip")
        print(f"{path.stem}: {text.text}")
        check_text_agrees_with_features(km, text)


def test_low_coverage_adds_a_caution():
    seq = Phantom(frames=96, shoulder_tilt_deg=4.0).sequence()
    lm = seq.landmarks.copy()
    lm[10:80] = np.nan
    km = compute_knowledge_map(PoseSequence(lm, seq.fps, seq.image_size, seq.timestamps_ms))
    t = clinical_text(km)
    assert any("interpret with caution" in c for c in t.caveats)
    check_text_agrees_with_features(km, t)
