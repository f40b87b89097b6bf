"""Click on a person in the video to follow them (pytest-qt, offscreen), on the real
multi-person clip. The pose stage is stood in by what MediaPipe really returned on that clip
(tests/data/poses/sports2d_demo_multiperson_people.npz): the analysis run by the worker is
the real one, from the person the click chose onwards (tracking, quality gate, map)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gui
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from gui_helpers import Asker, main_window  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MULTI = REPO / "tests" / "data" / "real" / "sports2d_demo_multiperson.mp4"
PEOPLE = REPO / "tests" / "data" / "people" / "sports2d_demo_multiperson_people.npz"


def _no_model():
    from scoliscreen.core.errors import ScoliScreenError

    raise ScoliScreenError("no model in this test")


@pytest.fixture
def recorded(monkeypatch, tmp_path):
    """analysis_steps with the pose stage replaced by the clip's recorded people; records each
    subject it was asked for."""
    import scoliscreen.app.analysis as app_analysis
    from scoliscreen.core.sequence import PoseSequence, save_sequence
    from scoliscreen.core.tracking import select_subject

    real_steps = app_analysis.analysis_steps
    d = np.load(PEOPLE)
    size = tuple(int(v) for v in d["image_size"])
    asked: list = []

    def steps(spec, *, subject=None, screener=None, **kw):
        asked.append(subject)
        lm, info = select_subject(d["people"], d["timestamps_ms"], size, subject)
        seq = PoseSequence(lm, float(d["fps"]), size, d["timestamps_ms"], {"tracking": info})
        path = save_sequence(seq, tmp_path / f"people{len(asked)}.npz")
        return real_steps(str(path), screener=_no_model, **kw)

    monkeypatch.setattr(app_analysis, "analysis_steps", steps)
    return asked


@pytest.fixture
def window(qtbot, tmp_path):
    w = main_window(tmp_path, Asker())
    qtbot.addWidget(w)
    yield w
    w.result_saved = True
    w.shutdown()


def _click_image(qtbot, w, frame: int, x: float, y: float, wait_until) -> None:
    """Show ``frame`` and left-click the picture at (x, y), fractions of the image."""
    vp = w.video_panel
    vp.seek(frame)
    wait_until(lambda: vp.current_index == frame, 30)
    r = vp.view.image_rect()
    pos = QPoint(round(r.x() + x * r.width()), round(r.y() + y * r.height()))
    qtbot.mouseClick(vp.view, Qt.MouseButton.LeftButton, pos=pos)


def _analyse(w, wait_until) -> None:
    done = []
    w.analysis_done.connect(done.append)
    if not w.is_analysing():
        w.start_analysis()
    wait_until(lambda: bool(done) and not w.is_analysing(), 120)


def _hip_y(analysis, frames=slice(70, 150)):
    from scoliscreen.core.landmarks import MP

    lm = analysis.raw_sequence.landmarks[frames]
    return float(np.nanmedian((lm[:, MP["left_hip"], 1] + lm[:, MP["right_hip"], 1]) / 2))


@pytest.mark.slow
def test_click_on_the_other_person_analyses_them_and_back(window, qtbot, recorded, wait_until):
    w = window
    w.open_video(str(MULTI))
    wait_until(lambda: w.video_path == str(MULTI), 60)
    _analyse(w, wait_until)
    assert recorded == [None]  # the first analysis follows the person who walks
    assert _hip_y(w.analysis) > 0.55  # the walker (the man on the box is in the upper half)
    assert "other_people" in w.analysis.quality.codes()
    assert "Several people were in view" in w.stage.text() or not w.analysis.quality.usable

    w.ask = Asker("follow", "discard")
    _click_image(qtbot, w, 20, 0.39, 0.46, wait_until)  # on the man on the box
    assert w.ask.titles[0] == "Follow this person"
    wait_until(lambda: len(recorded) == 2 and not w.is_analysing(), 120)
    assert recorded[1].startswith("0.39") and recorded[1].endswith("@20")
    assert _hip_y(w.analysis) < 0.5  # now the man on the box
    if os.environ.get("SCOLISCREEN_SHOT"):
        w.grab().save(os.environ["SCOLISCREEN_SHOT"] + "_box.png")

    w.ask = Asker("follow", "discard")
    _click_image(qtbot, w, 100, 0.62, 0.72, wait_until)  # on the walker
    wait_until(lambda: len(recorded) == 3 and not w.is_analysing(), 120)
    assert _hip_y(w.analysis) > 0.55
    vp = w.video_panel
    vp.seek(100)
    wait_until(lambda: vp.current_index == 100, 30)
    assert vp.view.landmarks is not None and vp.view.landmarks[MP_HIP, 1] > 0.55  # the skeleton drawn is hers
    if os.environ.get("SCOLISCREEN_SHOT"):
        w.grab().save(os.environ["SCOLISCREEN_SHOT"] + "_walker.png")


MP_HIP = 23  # left hip


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_cancel_keeps_the_result_and_a_click_before_analysing_is_used(window, qtbot, recorded, wait_until):
    w = window
    w.open_video(str(MULTI))
    wait_until(lambda: w.video_path == str(MULTI), 60)
    _click_image(qtbot, w, 20, 0.39, 0.46, wait_until)  # before any analysis: no question
    assert w.ask.titles == [] and "follow the person you clicked" in w.stage.text()
    _analyse(w, wait_until)
    assert recorded[0].endswith("@20") and _hip_y(w.analysis) < 0.5
    before = w.analysis
    w.ask = Asker("cancel")
    _click_image(qtbot, w, 100, 0.62, 0.72, wait_until)
    assert w.ask.titles == ["Follow this person"] and w.analysis is before and len(recorded) == 1
    # a drag (pan) is not a click
    vp = w.video_panel
    vp.view.zoom_by(2.0)
    r = vp.view.rect()
    qtbot.mousePress(vp.view, Qt.MouseButton.LeftButton, pos=r.center())
    qtbot.mouseMove(vp.view, r.center() + QPoint(40, 0))
    qtbot.mouseRelease(vp.view, Qt.MouseButton.LeftButton, pos=r.center() + QPoint(40, 0))
    assert w.ask.titles == ["Follow this person"]
