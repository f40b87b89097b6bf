"""The application layer: typed events and result, computed-once map and text, records, round trip."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from scoliscreen.app.analysis import analysis_steps, run_analysis
from scoliscreen.app.events import Progress, QualityJudged, Stage
from scoliscreen.core.analyze import Analysis
from scoliscreen.core.constants import (
    CLIP_FRAMES, CLIP_WINDOWS, HOP_FRAMES, POOL_STRIDE_FRAMES, TARGET_FPS, WINDOW_FRAMES,
)
from scoliscreen.core.errors import Cancelled

POSES = Path(__file__).parent / "data" / "poses"
BUNDLED = POSES / "sports2d_side_walk_single.npz"  # the bundled sample clip's pose sequence


@pytest.fixture(scope="module")
def screener():
    from scoliscreen.app.models import load_screener

    return load_screener(device="cpu")


@pytest.fixture(scope="module")
def bundled(screener) -> Analysis:
    return run_analysis(BUNDLED, notes="limps a little", screener=screener)


def test_constants_are_consistent():
    assert CLIP_WINDOWS == 11 and (CLIP_FRAMES - WINDOW_FRAMES) // HOP_FRAMES + 1 == CLIP_WINDOWS
    assert TARGET_FPS == 30.0


@pytest.mark.slow
def test_events_are_typed_and_in_order(screener):
    steps = analysis_steps(BUNDLED, screener=screener)
    events = []
    while True:
        try:
            events.append(next(steps))
        except StopIteration as stop:
            result = stop.value
            break
    kinds = [type(e) for e in events]
    assert kinds[0] is Stage and QualityJudged in kinds
    assert kinds.index(QualityJudged) < [i for i, e in enumerate(events) if isinstance(e, Stage)][-1]
    assert isinstance(result, Analysis) and result.screening is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.screening_error = "x"  # type: ignore[misc]


@pytest.mark.slow
def test_text_shown_recorded_and_printed_is_the_models_input(bundled, screener, capsys):
    """One text: the app's, the store's and `analyze`'s are byte-identical to the model's input."""
    from scoliscreen.app.records import record_visit
    from scoliscreen.cli import main
    from scoliscreen.core.store import Store

    a = bundled
    assert a.clinical_text is not None and a.screening is not None and a.sequence is not None
    shown = a.clinical_text.text
    model_input = a.screening.extras["text"]
    assert shown == model_input and "Clinician notes: limps a little" in shown
    # the model's own path from the sequence computes the same text on the same span
    own = screener.predict(a.sequence, "limps a little", a.quality.segment, explain=False)
    assert own.extras["text"] == shown and own.windows_s == a.screening.windows_s
    with Store.open() as store:
        visit = record_visit(store, a, notes="limps a little")
        stored = store.analysis(visit["id"])
    assert stored["clinical_text"]["text"] == shown
    assert main(["analyze", str(BUNDLED), "--json", "--no-record", "--notes", "limps a little"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["clinical_text"]["text"] == shown
    assert main(["analyze", str(BUNDLED), "--no-record", "--notes", "limps a little"]) == 0
    summary = capsys.readouterr().out
    assert "Clinical description: " + shown + "\n" in summary  # byte for byte, newline included
    assert f"Used:        {a.segment.start_s:.1f}-{a.segment.stop_s:.1f} s" in summary


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_map_has_the_models_windows_on_one_time_axis(bundled):
    a = bundled
    km, s, seg = a.knowledge_map, a.screening, a.segment
    assert km is not None and s is not None and seg is not None
    # the walk is screened as 96-frame windows 1.6 s apart; the map covers exactly their span
    assert len(s.windows_s) >= 2 and s.windows_s[0][0] == seg.start_s
    assert all(b - a == pytest.approx(CLIP_FRAMES / TARGET_FPS) for a, b in s.windows_s)
    assert seg.n_frames == CLIP_FRAMES + (len(s.windows_s) - 1) * POOL_STRIDE_FRAMES
    assert km.n_windows == len(s.window_times_s) == CLIP_WINDOWS + (seg.n_frames - CLIP_FRAMES) // HOP_FRAMES
    np.testing.assert_allclose(km.window_times_s, s.window_times_s, atol=1e-9)
    assert (seg.start_s, seg.stop_s) == pytest.approx(s.segment_s)
    assert np.asarray(s.region_window_weights).shape == (8, km.n_windows)
    assert seg.stop_s <= a.duration_s + 1e-6


def test_round_trip_of_the_stored_form(bundled):
    d = json.loads(json.dumps(bundled.to_dict()))
    back = Analysis.from_dict(d)
    assert back.to_dict() == d
    assert back.screening is not None and back.screening.label == bundled.screening.label
    assert back.knowledge_map is not None and back.knowledge_map.n_windows == bundled.knowledge_map.n_windows
    np.testing.assert_allclose(back.screening.windows_s, bundled.screening.windows_s, atol=1e-3)
    assert back.sequence is None


def test_refused_recording_stops_after_the_gate():
    a = run_analysis(POSES / "intel_one_by_one_back_walk_22s.npz", screener=lambda: pytest.fail("model loaded"))
    assert not a.quality.usable and a.knowledge_map is None and a.screening is None
    assert Analysis.from_dict(json.loads(json.dumps(a.to_dict()))).to_dict() == a.to_dict()


def test_cancel_between_yields():
    with pytest.raises(Cancelled):
        run_analysis(BUNDLED, should_cancel=lambda: True)


def test_missing_model_keeps_map_and_text(tmp_path):
    from scoliscreen.app.models import load_screener

    a = run_analysis(BUNDLED, screener=lambda: load_screener(tmp_path / "none"))
    assert a.knowledge_map is not None and a.clinical_text is not None and a.screening is None
    assert a.screening_error and "screening model" in a.screening_error


def test_expand_inputs_takes_every_video_suffix(tmp_path):
    from scoliscreen.app.screening import expand_inputs
    from scoliscreen.core.constants import VIDEO_SUFFIXES

    for suffix in VIDEO_SUFFIXES + (".npz", ".txt"):
        (tmp_path / f"clip{suffix}").write_bytes(b"")
    names = [p.name for p in expand_inputs([tmp_path])]
    assert "clip.mpg" in names and "clip.wmv" in names and "clip.txt" not in names
    assert len(names) == len(VIDEO_SUFFIXES) + 1


def test_progress_events_from_a_video(sample_clip, screener):
    pytest.importorskip("mediapipe")
    seen = []
    a = run_analysis(sample_clip, screener=screener, on_event=seen.append)
    progress = [e for e in seen if isinstance(e, Progress)]
    assert progress and progress[-1].done == a.source.frames


test_progress_events_from_a_video = pytest.mark.slow(test_progress_events_from_a_video)
