"""Knowledge map (issue 3): contract, constructed skeletons with known asymmetries, invariances,
real clips without warnings, and the ``scoliscreen features`` command."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.cli import main as cli_main
from scoliscreen.core.kinematics import (
    FEATURE_INDEX, FEATURES, HOP_FRAMES, WINDOW_FRAMES, KnowledgeMap, catalogue_markdown,
    clinical_text, compute_knowledge_map,
)
from scoliscreen.core.kinematics.phantom import Phantom
from scoliscreen.core.landmarks import REGION_IDS
from scoliscreen.core.sequence import PoseSequence, load_sequence

REPO = Path(__file__).resolve().parents[1]
POSES = REPO / "tests" / "data" / "poses"
REAL_POSES = sorted(POSES.glob("*.npz"))

# the constructed asymmetries every phantom test uses
TRUTH = dict(shoulder_tilt_deg=2.4, pelvic_obliquity_deg=-1.3, trunk_shift=0.05,
             arm_swing_left_deg=15.0, arm_swing_right_deg=20.0)


def _expected_arm_asym(left_deg: float, right_deg: float) -> float:
    """(right - left) / larger x 100 of the wrists' forward excursions."""
    l, r = np.sin(np.radians(left_deg)), np.sin(np.radians(right_deg))
    return 100.0 * (r - l) / max(l, r)


def _check_truth(km: KnowledgeMap, truth: dict = TRUTH, tol_deg: float = 0.05) -> None:
    med = km.median
    assert med("shoulder_tilt_deg") == pytest.approx(truth["shoulder_tilt_deg"], abs=tol_deg)
    assert med("pelvic_obliquity_deg") == pytest.approx(truth["pelvic_obliquity_deg"], abs=tol_deg)
    assert med("shoulder_pelvis_tilt_deg") == pytest.approx(
        truth["shoulder_tilt_deg"] - truth["pelvic_obliquity_deg"], abs=2 * tol_deg)
    assert med("trunk_lateral_shift") == pytest.approx(truth["trunk_shift"], abs=0.002)
    assert med("trunk_lateral_lean_deg") == pytest.approx(
        np.degrees(np.arcsin(truth["trunk_shift"])), abs=tol_deg)
    assert med("arm_swing_asym_pct") == pytest.approx(
        _expected_arm_asym(truth["arm_swing_left_deg"], truth["arm_swing_right_deg"]), abs=0.6)


# ---- contract ---------------------------------------------------------------------------

def test_catalogue_is_complete_and_every_region_owns_several_features():
    assert WINDOW_FRAMES == 16 and HOP_FRAMES == 8
    assert len(FEATURES) >= 120
    for f in FEATURES:
        assert f.region in REGION_IDS
        assert f.space in ("skeleton", "motion", "xcorr")
        assert f.unit and f.description and f.rationale
        assert f.normal_range is None or f.normal_range[0] < f.normal_range[1]
        partner = FEATURES[FEATURE_INDEX[f.mirror_name]]
        assert partner.mirror_name == f.name and partner.signed == f.signed
    counts = {r: sum(f.region == r for f in FEATURES) for r in REGION_IDS}
    assert min(counts.values()) >= 8, counts
    spaces = {s: sum(f.space == s for f in FEATURES) for s in ("skeleton", "motion", "xcorr")}
    assert min(spaces.values()) >= 30, spaces


def test_windows_and_fields_follow_the_contract():
    km = compute_knowledge_map(Phantom(frames=96).sequence())
    F = len(FEATURES)
    assert km.values.shape == (11, F) and km.values.dtype == np.float32
    assert km.window_start.tolist() == list(range(0, 81, 8))
    assert np.allclose(km.window_times_s, (km.window_start + 7.5) / 30.0)
    assert km.summary.dtype == np.float32 and len(km.summary) == len(km.summary_names)
    assert np.isfinite(km.summary).all()
    assert km.feature_region_index.shape == (F,)
    assert [REGION_IDS[i] for i in km.feature_region_index] == [f.region for f in FEATURES]
    assert km.view == "back"
    # a clip shorter than one window still gives one window, same F
    short = compute_knowledge_map(Phantom(frames=10).sequence())
    assert short.values.shape == (1, F) and np.isfinite(short.summary).all()
    empty = PoseSequence(np.zeros((0, 33, 4), np.float32), 30.0, (640, 480))
    assert compute_knowledge_map(empty).values.shape == (1, F)


def test_other_frame_rates_are_resampled_to_30fps():
    km = compute_knowledge_map(Phantom(frames=48, fps=15.0, stride_frames=16, **TRUTH).sequence())
    assert km.n_frames == 95 and km.values.shape[0] == 10
    _check_truth(km, tol_deg=0.1)


# ---- constructed skeletons: known values back, under roll, zoom and view --------------------

@pytest.mark.parametrize("view", ["back", "front"])
@pytest.mark.parametrize("roll_deg", [-3.0, 0.0, 3.0])
@pytest.mark.parametrize("trunk_px", [60.0, 120.0, 240.0])  # zoom x0.5 .. x2
def test_known_asymmetries_come_back(view, roll_deg, trunk_px):
    seq = Phantom(view=view, roll_deg=roll_deg, trunk_px=trunk_px, **TRUTH).sequence()
    km = compute_knowledge_map(seq)
    assert km.view == view
    _check_truth(km)
    # gait timing of the phantom: 32-frame stride -> 16-frame steps, symmetric
    assert km.median("step_time_s") == pytest.approx(16 / 30, abs=0.01)
    assert abs(km.median("step_time_asym_pct")) < 1.0
    assert km.median("arms_lr_peak_r") == pytest.approx(-1.0, abs=0.01)  # anti-phase arms
    assert km.median("larm_rleg_peak_r") == pytest.approx(1.0, abs=0.01)  # arm with opposite leg


def test_camera_roll_alone_reads_as_no_tilt():
    for roll in (-3.0, 3.0):
        km = compute_knowledge_map(Phantom(roll_deg=roll).sequence())
        for name in ("shoulder_tilt_deg", "pelvic_obliquity_deg", "trunk_lateral_lean_deg", "head_tilt_deg"):
            assert abs(km.median(name)) < 0.01, (roll, name)


def test_mirrored_phantom_negates_signed_and_swaps_sides():
    seq = Phantom(**TRUTH).sequence()
    a, b = compute_knowledge_map(seq), compute_knowledge_map(seq.mirrored())
    for f in FEATURES:
        x = a.feature(f.name)
        y = b.feature(f.mirror_name)
        expect = -x if f.signed else x
        assert np.allclose(y, expect, atol=1e-3, rtol=1e-3, equal_nan=True), f.name
    assert b.median("shoulder_tilt_deg") == pytest.approx(-TRUTH["shoulder_tilt_deg"], abs=0.05)


def test_nan_frames_and_hidden_landmarks_are_tolerated():
    seq = Phantom(frames=120, **TRUTH).sequence()
    lm = seq.landmarks.copy()
    lm[20:50] = np.nan  # person lost for a second
    lm[60:70, 15, 3] = 0.05  # left wrist occluded
    lm[::7, 27] = np.nan  # ankle flicker
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        km = compute_knowledge_map(PoseSequence(lm, seq.fps, seq.image_size, seq.timestamps_ms))
    assert np.isfinite(km.summary).all()
    inside = km.values[3]  # frames 24-39, inside the gap
    skeleton = np.array([f.space == "skeleton" for f in FEATURES])
    assert np.isnan(inside[skeleton]).all() and np.isnan(inside).mean() > 0.9
    _check_truth(km)
    assert km.summary_value("coverage.frames") == pytest.approx(0.75)


# ---- real clips ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_maps():
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy RuntimeWarnings included
        for path in REAL_POSES:
            out[path.stem] = compute_knowledge_map(load_sequence(path))
    return out


def test_real_clips_compute_without_warnings(real_maps):
    assert len(real_maps) == 4
    F = len(FEATURES)
    for name, km in real_maps.items():
        assert km.values.shape[1] == F
        assert np.isfinite(km.summary).all()
        assert np.isfinite(km.values).mean() > 0.5, name
    assert real_maps["sports2d_side_walk_single"].view == "side"
    assert real_maps["intel_worker_back_walk_away"].view == "back"
    assert real_maps["intel_one_by_one_back_walk_22s"].view == "back"


def test_real_side_walk_gait_is_plausible(real_maps):
    km = real_maps["sports2d_side_walk_single"]
    # an adult walking at a normal pace: 80-130 steps/min, arms and legs in anti-phase
    assert 80 < km.median("cadence_spm") < 130
    assert abs(km.median("step_time_asym_pct")) < 15
    assert km.median("arms_lr_peak_r") < -0.7
    assert km.median("legs_lr_peak_r") < -0.7
    assert km.median("larm_rleg_peak_r") > 0.7
    assert 30 < km.median("left_knee_flexion_range") < 80


def test_real_clip_texts_read_sensibly(real_maps, capsys):
    for name, km in real_maps.items():
        text = clinical_text(km, notes="filmed for the test suite")
        print(f"--- {name} ({km.view}):\n{text.text}")
        assert text.text.endswith("Clinician notes: filmed for the test suite")
        assert "nan" not in text.text.lower()
    side = clinical_text(real_maps["sports2d_side_walk_single"])
    assert any("Side view" in c for c in side.caveats)
    assert not any(f.feature.startswith(("shoulder", "pelvic", "trunk")) for f in side.facts)


# ---- CLI ----------------------------------------------------------------------------------

def test_cli_list_prints_the_catalogue(capsys):
    assert cli_main(["features", "--list"]) == 0
    out = capsys.readouterr().out
    for f in FEATURES:
        assert f.name in out
    assert f"{len(FEATURES)} features" in out


def test_docs_are_generated_from_the_catalogue(tmp_path):
    out = tmp_path / "km.md"
    assert cli_main(["features", "--markdown", str(out)]) == 0
    assert out.read_text() == catalogue_markdown() + "\n"
    assert (REPO / "docs" / "knowledge_map.md").read_text() == out.read_text(), \
        "docs/knowledge_map.md is stale: run scoliscreen features --markdown docs/knowledge_map.md"


def test_cli_csv_export_matches_the_map(tmp_path):
    path = POSES / "sports2d_side_walk_single.npz"
    out = tmp_path / "sub" / "features.csv"
    assert cli_main(["features", str(path), "--csv", str(out)]) == 0
    rows = list(csv.reader(out.open()))
    km = compute_knowledge_map(load_sequence(path))
    assert rows[0] == ["window", "start_frame", "time_s", *km.feature_names]
    assert len(rows) == km.n_windows + 1
    j = FEATURE_INDEX["left_arm_swing"]
    got = np.array([float(r[3 + j]) if r[3 + j] else np.nan for r in rows[1:]])
    assert np.allclose(got, km.values[:, j], rtol=1e-5, equal_nan=True)
    assert not list(out.parent.glob("*.tmp"))


def test_cli_failures_are_one_line_errors(tmp_path, capsys):
    assert cli_main(["features", str(tmp_path / "missing.npz")]) != 0
    assert cli_main(["features"]) != 0
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"x")
    assert cli_main(["features", str(bad), "--csv", str(tmp_path / "o.csv")]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("scoliscreen: error:") == 3
