"""Prediction with the shipped weights on the real clips: offline, per-input objects, errors
that do not stop the batch, mirror consistency, clip lengths, screening through the app layer."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest
import torch

from scoliscreen.cli import main
from scoliscreen.core.landmarks import REGION_IDS
from scoliscreen.core.sequence import load_sequence

POSES = Path(__file__).parent / "data" / "poses"
torch.set_num_threads(2)
KEYS = {"input", "probability", "label", "threshold", "cobb_estimate", "cobb_interval", "severity_band",
        "severity_probabilities", "region_weights", "reasons", "quality", "model_version"}


@pytest.fixture
def offline(monkeypatch):
    """No network: any socket use raises; Hugging Face libraries are told to stay offline."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")

    def refuse(*a, **k):
        raise OSError("network access attempted in an offline test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def screener():
    from scoliscreen.core.model.predict import Screener

    return Screener.load()


def test_shipped_model_card(screener):
    card = screener.card
    assert card["trained_on_simulated_only"] is True
    assert card["intended_use"] == "research use only — not a diagnostic device"
    assert card["model_version"].startswith("scoligait-sim-0.1.0+")
    assert card["data"]["simulated"] and card["data"]["clips"] >= 1000
    assert set(card["config"]["modalities"]) == {"video", "map", "text"} and card["config"]["fusion"] == "latent"
    assert 0 < card["operating_point"]["threshold"] < 1
    assert card["metrics_test"]["roc_auc"] > 0.7  # held-out simulated subjects
    # the head, the honest operating point and its report (issue 9)
    assert card["config"]["head"] == "cumulative-link"
    assert card["operating_point"]["target_sensitivity"] == 0.85
    assert card["calibration"]["target_prevalence"] == 0.03 and card["calibration"]["train_prevalence"] > 0.2
    boot = card["operating_point_test"]["bootstrap"]
    for key in ("sensitivity", "specificity", "roc_auc", "ppv", "npv", "referrals_per_1000"):
        assert boot[key]["lo"] <= boot[key]["value"] <= boot[key]["hi"], key
    assert set(card["operating_point_test"]["per_view"]) == {"front", "back"}
    assert (Path(screener_dir()) / card["figures"]["roc"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the version is the tensors' hash
    from scoliscreen.core.model.card import model_version, weights_digest

    assert card["model_version"] == model_version(weights_digest(Path(screener_dir()) / "model.safetensors"))


def screener_dir():
    from scoliscreen.core.paths import screening_model_dir

    return screening_model_dir()


@pytest.mark.slow
def test_predict_real_pose_files_offline(offline, capsys):
    files = sorted(POSES.glob("*.npz"))
    # a directory = every file in it; exit 2 as two recordings are refused (issue 14: any failed input)
    assert main(["predict", str(POSES), "--format", "jsonl"]) == 2
    objs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["input"] for o in objs] == [str(f) for f in files]
    ok = [o for o in objs if "error" not in o]
    assert len(ok) >= 2  # the clean walks are screened; refused recordings carry an error + quality
    for o in ok:
        assert KEYS <= set(o)
        assert 0.0 <= o["probability"] <= 1.0
        if o["label"] in ("re-record", "inconclusive"):
            assert o["reasons"] and all(r["code"] and r["message"] for r in o["reasons"])
        else:
            assert not o["reasons"]
            assert o["label"] == ("positive" if o["probability"] >= o["threshold"] else "negative")
        assert abs(o["probability"] - (1 - o["severity_probabilities"]["<10"])) <= 1e-6
        assert o["cobb_interval"][0] <= o["cobb_estimate"] <= o["cobb_interval"][1]
        assert set(o["region_weights"]) == set(REGION_IDS)
        assert abs(sum(o["region_weights"].values()) - 1) < 1e-3
        assert o["severity_band"] in ("<10", "10-25", "25-40", ">=40")
        assert o["quality"]["verdict"] and isinstance(o["quality"]["reasons"], list)
    for o in objs:
        if "error" in o:
            assert o["quality"]["usable"] is False


@pytest.mark.slow
def test_a_bad_file_gets_an_error_and_the_run_goes_on(tmp_path, offline, capsys):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"not a zip")
    good = POSES / "sports2d_side_walk_single.npz"
    assert main(["predict", str(bad), str(tmp_path / "missing.npz"), str(good), "--format", "table"]) == 2
    out = capsys.readouterr().out
    assert "broken.npz" in out and "error" in out and "missing.npz" in out
    assert "sports2d_side_walk_single.npz" in out and "P=" in out
    assert main(["predict", str(bad)]) == 2  # a failed input -> exit 2 (bad input), still no traceback
    o = json.loads(capsys.readouterr().out)
    assert o["input"] == str(bad) and "error" in o


@pytest.mark.parametrize("name", ["sports2d_side_walk_single", "intel_worker_back_walk_away",
                                  "intel_one_by_one_back_walk_22s"])
@pytest.mark.slow
def test_flipped_video_gives_the_same_probability(screener, name):
    seq = load_sequence(POSES / f"{name}.npz")
    a = screener.predict(seq)
    b = screener.predict(seq.mirrored())
    assert abs(a.probability - b.probability) <= 0.05
    # region weights follow the body: in the flipped video the person's left side is the
    # original's right side (as a pose model labels it), so the weights swap sides
    def swap(r):
        return r.replace("left", "#").replace("right", "left").replace("#", "right")

    for r in REGION_IDS:
        assert abs(a.region_weights[r] - b.region_weights[swap(r)]) < 0.05


@pytest.mark.slow
def test_result_fields_and_clip_lengths(screener):
    seq = load_sequence(POSES / "intel_one_by_one_back_walk_22s.npz")  # 22 s: longer than 96 frames
    res = screener.predict(seq)
    d = res.to_dict()
    # the whole walk is screened: every usable 96-frame window, 1.6 s apart, pooled
    windows = d["windows_s"]
    assert len(windows) > 2 and all(abs(b - a - 3.2) < 1e-6 for a, b in windows)
    assert windows[0][0] == d["segment_s"][0] and windows[-1][1] == pytest.approx(d["segment_s"][1])
    n_map = round((d["segment_s"][1] - d["segment_s"][0]) * 30 - 16) // 8 + 1  # map windows of the span
    assert np.asarray(d["region_window_weights"]).shape == (len(REGION_IDS), n_map)
    assert abs(np.sum(d["region_window_weights"]) - 1) < 1e-3 and abs(sum(d["window_weights"]) - 1) < 1e-3
    assert len(d["window_times_s"]) == n_map and np.all(np.diff(d["window_times_s"]) > 0)
    assert 0 <= d["segment_s"][0] < d["segment_s"][1] <= seq.duration_s + 0.1
    assert res.model_version == screener.model_version and res.device == "cpu"
    short = load_sequence(POSES / "sports2d_side_walk_single.npz")
    s30 = short.resampled(30.0)
    det = np.flatnonzero(s30.detected)
    part = s30.slice(int(det[0]), int(det[0]) + 40)  # 1.3 s: padded and masked
    r2 = screener.predict(part)
    assert 0 <= r2.probability <= 1 and np.isfinite(r2.cobb_estimate)
    # the segment from the quality gate is honoured
    r3 = screener.predict(seq, segment=(0, 200))
    assert r3.segment_s[1] <= seq.timestamps_ms[199] / 1000 - seq.timestamps_ms[0] / 1000 + 0.1


def test_side_view_gets_re_record_not_a_verdict(screener):
    """The simulator (the only training data) has front and back views only: a real side-view
    walk is outside what the model was validated on."""
    res = screener.predict(load_sequence(POSES / "sports2d_side_walk_single.npz"))
    assert res.label == "re-record"
    assert "view" in [r["code"] for r in res.reasons]
    assert 0 <= res.probability <= 1  # the numbers are still there for the record


def test_back_view_walk_gets_no_view_objection(screener):
    res = screener.predict(load_sequence(POSES / "intel_one_by_one_back_walk_22s.npz"))
    assert "view" not in [r["code"] for r in res.reasons], res.reasons


def test_empty_recording_is_a_readable_error(screener):
    from scoliscreen.core.errors import InputError
    from scoliscreen.core.sequence import PoseSequence

    seq = PoseSequence(np.full((50, 33, 4), np.nan, np.float32), 30.0, (640, 480))
    with pytest.raises(InputError, match="no person"):
        screener.predict(seq)


@pytest.mark.slow
def test_screening_through_the_app_uses_the_gate_segment(screener):
    from scoliscreen.app.analysis import run_analysis

    analysis = run_analysis(POSES / "sports2d_side_walk_single.npz", screener=screener)
    assert analysis.quality.usable  # the bundled clip is usable: this test must screen it
    res = analysis.screening
    assert res is not None and 0 <= res.probability <= 1 and res.model_version == screener.model_version
    assert analysis.to_dict()["screening"]["probability"] == round(res.probability, 6)
    # the same result as the model's own path from the sequence and the gate's segment
    direct = screener.predict(analysis.sequence, "", analysis.quality.segment)
    assert res.probability == pytest.approx(direct.probability, abs=1e-6)


@pytest.mark.slow
def test_predict_on_a_real_video_offline(offline, sample_clip, capsys):
    assert main(["predict", str(sample_clip)]) == 0
    o = json.loads(capsys.readouterr().out)
    assert o["input"] == str(sample_clip)
    assert "error" not in o, o.get("error")
    assert KEYS <= set(o) and 0 <= o["probability"] <= 1
