"""Issue 24 A.6 and A.9 through the real widgets (offscreen): the whole main flow by keyboard
alone; every interactive widget of every tab named for assistive technology (QAccessible) and
taking focus; Tab never stuck in the notes; shortcuts listed in Help; Esc cancels the line
tool and Delete removes a measurement; Compare has its own frame stepping and speed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.gui
from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from gui_helpers import Asker, main_window  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"
SAMPLE_POSES = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"
CTRL = Qt.KeyboardModifier.ControlModifier


def _no_model():
    from scoliscreen.core.errors import ScoliScreenError

    raise ScoliScreenError("no model in this test")


@pytest.fixture(scope="module")
def analysis():
    from scoliscreen.app.analysis import run_analysis

    return run_analysis(str(SAMPLE_POSES), screener=_no_model)


@pytest.fixture
def window(qtbot, tmp_path):
    w = main_window(tmp_path, Asker())
    qtbot.addWidget(w)
    w.activateWindow()
    yield w
    w.result_saved, w._stored_note = True, w.current_notes()
    w.shutdown()


def _key(w, key, mods=Qt.KeyboardModifier.NoModifier):
    """A key press on whatever has the focus (the window when nothing has)."""
    QTest.keyClick(w.focusWidget() or w, key, mods)


def _tab_to(w, target, limit=60) -> list:
    """Tab until ``target`` has the focus; the widgets passed on the way."""
    seen = []
    for _ in range(limit):
        if w.focusWidget() is target:
            return seen
        _key(w, Qt.Key.Key_Tab)
        seen.append(w.focusWidget())
    raise AssertionError(f"Tab never reached {target.accessibleName()!r}; passed "
                         f"{[x.accessibleName() or type(x).__name__ for x in seen][:40]}")


def _stored(w, patient, analysis, notes=""):
    return w.patient_bar.store.add_visit(patient["id"], str(SAMPLE), analysis.to_dict(), notes=notes,
                                         sequence=analysis.raw_sequence)


# ---- accessibility ------------------------------------------------------------------------

@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_every_control_of_every_tab_is_named_and_takes_focus(window):
    from PySide6.QtGui import QAccessible

    from scoliscreen.gui.keyboard import interactive_widgets, missing_accessibility

    w = window
    for view in ("history", "compare", "result"):
        w.records.show_view(view)
    widgets = interactive_widgets(w)
    vp, mb = w.video_panel, w.records.measure_bar
    must = [vp.play_btn, vp.back_btn, vp.fwd_btn, vp.slider, vp.skeleton_box, vp.confidence_box, vp.speed_box,
            mb.line_btn, mb.angle_btn, mb.delete_btn, w.save_btn, w.result_panel.card_btn, w.notes,
            w.records.history.table, w.records.history.search, w.records.compare_view.slider,
            w.records.compare_view.speed_box, w.records.compare_view.back_btn]
    assert all(m in widgets for m in must) and len(widgets) >= 40
    assert missing_accessibility(w) == []
    for widget in must:
        iface = QAccessible.queryAccessibleInterface(widget)
        assert iface is not None and iface.text(QAccessible.Text.Name).strip(), widget
        assert widget.focusPolicy() != Qt.FocusPolicy.NoFocus


def test_the_check_finds_an_unnamed_control_that_takes_no_focus(qtbot):
    from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

    from scoliscreen.gui.keyboard import missing_accessibility

    root = QWidget()
    qtbot.addWidget(root)
    icon_only = QPushButton("")
    icon_only.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    QVBoxLayout(root).addWidget(icon_only)
    problems = missing_accessibility(root)
    assert any("no accessible name" in p for p in problems) and any("takes no focus" in p for p in problems)


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_tab_leaves_the_notes_and_help_lists_the_shortcuts(window, qtbot, wait_until):
    w = window
    w.notes.setFocus()
    _key(w, Qt.Key.Key_A)
    _key(w, Qt.Key.Key_Tab)
    assert w.notes.toPlainText() == "a" and w.focusWidget() is not w.notes
    _key(w, Qt.Key.Key_F1)
    text = next(t for k, title, t in w.shown_messages if title == "Keyboard shortcuts")
    for keys in ("Ctrl+N", "F5", "Ctrl+E", "Ctrl+1", "Esc", "Delete", "Ctrl+S", "Ctrl+O"):
        assert keys in text
    _key(w, Qt.Key.Key_2, CTRL)
    assert w.records.current_view() == "history"
    _key(w, Qt.Key.Key_3, CTRL)
    assert w.records.current_view() == "compare"
    _key(w, Qt.Key.Key_1, CTRL)
    assert w.records.current_view() == "result"


# ---- measurements: Esc and Delete ------------------------------------------------------------

def _click_video_point(qtbot, overlay, pt) -> None:
    pos = overlay.to_widget(pt)
    qtbot.mouseClick(overlay, Qt.MouseButton.LeftButton, pos=QPoint(round(pos.x()), round(pos.y())))


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_esc_cancels_the_line_tool_and_delete_removes_a_measurement(window, analysis, qtbot, wait_until):
    w, rec = window, window.records
    patient = w.patient_bar.new_patient(("P-0142", 2013, "F"))
    visit = _stored(w, patient, analysis)
    opened = []
    rec.visit_opened.connect(opened.append)
    assert rec.open_visit(visit["id"])
    wait_until(lambda: opened and w.video_panel.current_index >= 0, 60)
    w.video_panel.seek(40)
    wait_until(lambda: w.video_panel.current_index == 40, 30)
    rec.measure_bar.line_btn.setFocus()
    _key(w, Qt.Key.Key_Space)  # the focused tool button takes Space (not Play)
    assert rec.overlay.tool == "line" and not w.video_panel.is_playing()
    _click_video_point(qtbot, rec.overlay, (600.0, 200.0))
    assert rec.overlay.points
    _key(w, Qt.Key.Key_Escape)
    assert rec.overlay.tool is None and rec.overlay.points == [] and not rec.measure_bar.line_btn.isChecked()
    for _ in range(2):
        qtbot.mouseClick(rec.measure_bar.line_btn, Qt.MouseButton.LeftButton)
        for pt in ((600.0, 200.0), (900.0, 240.0)):
            _click_video_point(qtbot, rec.overlay, pt)
    store = w.patient_bar.store
    first, second = store.measurements(visit["id"])
    assert rec.overlay.selected_measurement()["id"] == second["id"] and rec.measure_bar.delete_btn.isEnabled()
    _key(w, Qt.Key.Key_2, CTRL)  # on History, Delete removes nothing
    _key(w, Qt.Key.Key_Delete)
    assert len(store.measurements(visit["id"])) == 2
    _key(w, Qt.Key.Key_1, CTRL)
    w.video_panel.view.setFocus()
    _key(w, Qt.Key.Key_Delete)
    assert [m["id"] for m in store.measurements(visit["id"])] == [first["id"]]
    assert any(a["action"] == "deleted" for a in store.audit_log("measurement", second["id"]))
    assert rec.overlay.selected_measurement()["id"] == first["id"]
    _key(w, Qt.Key.Key_Delete)
    assert store.measurements(visit["id"]) == [] and not rec.measure_bar.delete_btn.isEnabled()
    assert not rec.delete_selected_measurement()  # nothing left on this frame


# ---- Compare: its own stepping and speed ---------------------------------------------------

@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_compare_keys_drive_compare_not_the_hidden_player(window, analysis, wait_until):
    from scoliscreen.gui.compare_view import fmt_diff

    w, rec = window, window.records
    patient = w.patient_bar.new_patient(("P-0150", 2012, "M"))
    a, b = _stored(w, patient, analysis), _stored(w, patient, analysis)
    w.open_video(str(SAMPLE))
    wait_until(lambda: w.video_panel.current_index == 0, 60)
    assert rec.compare(a["id"], b["id"])
    cv = rec.compare_view
    wait_until(lambda: cv.a.info is not None and cv.b.info is not None, 60)
    cv.play_btn.setFocus()
    main_target = w.video_panel._target
    _key(w, Qt.Key.Key_Right)
    assert cv._t == pytest.approx(cv.frame_s()) and w.video_panel._target == main_target
    _key(w, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert cv._t == pytest.approx(11 * cv.frame_s())
    _key(w, Qt.Key.Key_Left)
    assert cv._t == pytest.approx(10 * cv.frame_s())
    wait_until(lambda: cv.a.current_index == 10 and cv.b.current_index == 10, 30)
    _key(w, Qt.Key.Key_BracketRight)
    assert cv.speed == 1.5 and cv.speed_box.currentText() == "1.5×" and w.video_panel.speed == 1.0
    w.video_panel.view.setFocus()  # a key pressed anywhere in the window: still Compare's
    _key(w, Qt.Key.Key_Space)
    assert cv.is_playing() and not w.video_panel.is_playing()
    _key(w, Qt.Key.Key_Space)
    assert not cv.is_playing()
    # numbers: a change that rounds to nothing is "0", never "-0"
    assert fmt_diff(-0.001, {"key": "probability"}) == "0 points"
    assert fmt_diff(0.004, {"key": "probability"}) == "0 points"
    assert fmt_diff(-0.0, {"key": "x", "unit": "deg"}) == "0°"
    assert fmt_diff(-0.15, {"key": "probability"}) == "-15 points"
    labels = [cv.table.item(r, 3).text() for r in range(cv.table.rowCount()) if cv.table.item(r, 3)]
    assert not any(t.startswith("-0 ") or t.startswith("+0 ") or t == "-0" for t in labels), labels


# ---- the whole main flow by keyboard alone ---------------------------------------------------

@pytest.mark.slow
def test_whole_main_flow_by_keyboard_alone(window, wait_until, tmp_path, monkeypatch):
    """patient -> open -> notes -> analyse -> save -> History -> report, with keys only: the file
    dialogs are stood in for (they are the platform's); the analysis reads the clip's stored pose
    sequence instead of running the pose model (the shipped screening model runs)."""
    import scoliscreen.workers.analysis as workers

    class FromPoses(workers.AnalysisWorker):
        def __init__(self, spec, **kw):
            super().__init__(str(SAMPLE_POSES), **kw)

    monkeypatch.setattr(workers, "AnalysisWorker", FromPoses)
    w = window
    w.ask_new_patient = lambda: ("P-0142", 2013, "F")
    w.ask_video_path = lambda: str(SAMPLE)
    out = tmp_path / "report.pdf"
    w.records.ask_report_path = lambda visit_id: str(out)
    w.patient_bar.combo.setFocus()

    _key(w, Qt.Key.Key_N, CTRL)  # new patient
    assert w.patient_bar.current_patient()["pseudonym"] == "P-0142"
    _key(w, Qt.Key.Key_O, CTRL)  # open
    wait_until(lambda: w.video_path == str(SAMPLE) and w.video_panel.current_index == 0, 60)
    _tab_to(w, w.notes)
    for ch in "calm":
        _key(w, getattr(Qt.Key, f"Key_{ch.upper()}"))
    _key(w, Qt.Key.Key_Tab)
    assert w.notes.toPlainText() == "calm" and w.focusWidget() is not w.notes
    done = []
    w.analysis_done.connect(done.append)
    _key(w, Qt.Key.Key_F5)  # analyse
    wait_until(lambda: done and not w.is_analysing(), 300)
    assert w.analysis.screening is not None, w.shown_messages
    assert w.save_btn.text() == "Save to P-0142"
    _tab_to(w, w.save_btn)
    _key(w, Qt.Key.Key_Space)  # save
    visits = w.patient_bar.store.visits(w.patient_bar.current_patient()["id"])
    assert len(visits) == 1 and visits[0]["notes"] == "calm"
    passed = _tab_to(w, w.result_panel.card_btn)  # the result panel and the Model card are reached
    assert w.result_panel.verdict in passed
    _tab_to(w, w.result_panel.text)

    _key(w, Qt.Key.Key_2, CTRL)  # History
    hp = w.records.history
    assert w.records.current_view() == "history" and hp.table.rowCount() == 1
    _tab_to(w, hp.table)
    _key(w, Qt.Key.Key_Up)
    assert hp.selected_ids() == [visits[0]["id"]]
    _tab_to(w, hp.export_btn)
    exported = []
    w.records.report_exported.connect(exported.append)
    _key(w, Qt.Key.Key_Space)  # report
    wait_until(lambda: exported or w.shown_messages, 120)
    assert exported == [str(out)] and out.stat().st_size > 1000, w.shown_messages
    out.unlink()
    _key(w, Qt.Key.Key_1, CTRL)
    _key(w, Qt.Key.Key_E, CTRL)  # the visit shown, by its shortcut
    wait_until(lambda: len(exported) == 2 or w.shown_messages, 120)
    assert out.is_file()
