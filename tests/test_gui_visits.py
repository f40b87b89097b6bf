"""Issue 24 A.1-A.4 through the real widgets (offscreen): a stored visit opened from History is
updated or left alone, never re-filed under the selected child; each visit shows its own note;
editing a note after saving updates that visit (no duplicate); History tells same-day visits
apart (time, notes column); after "Keep it for P-0142" the bar shows P-0142 and Save names its
target. Results come from a real clip's stored pose sequence (no pose model, no screening model)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.gui
from gui_helpers import Asker, main_window  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"
POSES = REPO / "tests" / "data" / "poses"


def _no_model():
    from scoliscreen.core.errors import ScoliScreenError

    raise ScoliScreenError("no model in this test")


@pytest.fixture(scope="module")
def analysis():
    from scoliscreen.app.analysis import run_analysis

    return run_analysis(str(POSES / "sports2d_side_walk_single.npz"), screener=_no_model)


@pytest.fixture
def window(qtbot, tmp_path):
    w = main_window(tmp_path, Asker())
    qtbot.addWidget(w)
    yield w
    w.result_saved, w._stored_note = True, w.current_notes()  # close without a prompt
    w.shutdown()


def _patients(w):
    a = w.patient_bar.new_patient(("P-0142", 2013, "F"))
    b = w.patient_bar.new_patient(("P-0150", 2012, "M"))
    w._select_patient(a)
    return a, b


def _stored(w, patient, analysis, notes=""):
    store = w.patient_bar.store
    return store.add_visit(patient["id"] if patient else None, str(SAMPLE), analysis.to_dict(), notes=notes,
                           sequence=analysis.raw_sequence)


def _open_stored(w, visit_id, wait_until):
    opened = []
    w.records.visit_opened.connect(opened.append)
    assert w.records.open_visit(visit_id)
    wait_until(lambda: opened == [visit_id] or w.shown_messages, 60)
    assert opened == [visit_id], w.shown_messages


def _new_result(w, analysis, wait_until):
    w.open_video(str(SAMPLE))
    wait_until(lambda: w.video_path == str(SAMPLE) or w.shown_messages, 60)
    w._analysed_path = w.video_path
    w._analysis_notes = w.current_notes()
    w._on_analysis_result(analysis)
    w._on_analysis_finished()


def _count(w, patient=None):
    return len(w.patient_bar.store.visits(patient["id"] if patient else None))


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_a1_saving_a_stored_visit_updates_it_and_never_refiles_it(window, analysis, wait_until):
    w = window
    a, b = _patients(w)
    visit = _stored(w, b, analysis, notes="first look")
    assert w.patient_bar.current_patient()["id"] == a["id"]  # P-0142 selected
    _open_stored(w, visit["id"], wait_until)
    assert w.patient_bar.current_patient()["id"] == b["id"]  # the bar shows whose visit it is
    assert not w.save_btn.isEnabled() and not w.has_unsaved_result()
    w.notes.setPlainText("first look; re-check in 6 months")
    assert w.save_btn.isEnabled() and w.save_btn.text() == f"Save note to visit {visit['id']} (P-0150)"
    assert not w.stale  # a stored result is kept as it was made: nothing re-runs
    # even with P-0142 selected again, Save writes P-0150's visit and nothing else
    w._select_patient(a)
    assert w.save_btn.text() == f"Save note to visit {visit['id']} (P-0150)"
    assert w.save_visit()
    assert _count(w, a) == 0 and _count(w, b) == 1 and _count(w) == 1
    from scoliscreen.app.visits import visit_note

    assert visit_note(w.patient_bar.store.notes(visit["id"]))[1] == "first look; re-check in 6 months"
    assert not w.save_btn.isEnabled() and not w.save_visit()  # nothing more to save, no new visit
    assert _count(w) == 1
    assert not [m for m in w.shown_messages if m[0] == "error"]


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_a1_an_unsaved_note_change_asks_before_it_is_dropped(window, analysis, wait_until):
    w = window
    _a, b = _patients(w)
    v1, v2 = _stored(w, b, analysis, "one"), _stored(w, b, analysis, "two")
    _open_stored(w, v1["id"], wait_until)
    w.notes.setPlainText("one, edited")
    w.ask = Asker("cancel")
    assert not w.records.open_visit(v2["id"])
    assert w.ask.titles == ["Unsaved note"] and w.records.current_visit_id == v1["id"]
    w.ask = Asker("save")
    _open_stored(w, v2["id"], wait_until)
    from scoliscreen.app.visits import visit_note

    assert visit_note(w.patient_bar.store.notes(v1["id"]))[1] == "one, edited"
    assert w.notes.toPlainText() == "two" and _count(w) == 2


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_a2_each_reopened_visit_shows_its_own_note(window, analysis, wait_until):
    w = window
    a, _b = _patients(w)
    v1 = _stored(w, a, analysis, "limps after a fall")
    v2 = _stored(w, a, analysis, "school nurse referral")
    v3 = _stored(w, a, analysis)
    for visit, note in ((v2, "school nurse referral"), (v1, "limps after a fall"), (v3, ""), (v2, "school nurse referral")):
        _open_stored(w, visit["id"], wait_until)
        assert w.notes.toPlainText() == note, visit["id"]
        assert not w.has_unsaved_result()


@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_a3_editing_the_note_after_saving_updates_that_visit(window, analysis, wait_until):
    w = window
    a, _b = _patients(w)
    assert w.save_btn.text() == "Save to P-0142"
    _new_result(w, analysis, wait_until)
    assert w.save_btn.text() == "Save to P-0142" and w.save_btn.isEnabled()
    assert w.save_visit() and _count(w, a) == 1
    vid = w.records.current_visit_id
    w.notes.setPlainText("brace fitted")
    assert not w.stale and w.save_btn.text() == f"Save note to visit {vid} (P-0142)"
    assert w.save_visit()
    w.notes.setPlainText("brace fitted, worn 20 h a day")
    assert w.save_visit()
    assert _count(w, a) == 1  # no duplicate visit
    _stored(w, a, analysis, "second visit the same day")
    w.records.show_view("history")
    hp = w.records.history
    assert hp.table.rowCount() == 2
    headers = [hp.table.horizontalHeaderItem(c).text() for c in range(hp.table.columnCount())]
    notes_col, when_col = headers.index("Notes"), headers.index("Date and time")
    assert hp.table.item(0, notes_col).text() == "brace fitted, worn 20 h a day"
    assert hp.table.item(1, notes_col).text() == "second visit the same day"
    times = [hp.table.item(r, when_col).text() for r in range(2)]
    assert all(len(t) == 16 and t[13] == ":" for t in times), times  # "YYYY-MM-DD HH:MM"


def test_a4_keep_it_for_its_owner_keeps_the_bar_on_that_child(window, analysis, wait_until):
    w = window
    a, b = _patients(w)
    _new_result(w, analysis, wait_until)
    w.ask = Asker("keep")
    w.patient_bar.combo.setCurrentIndex(w.patient_bar.combo.findText("P-0150"))
    title, _text, choices = w.ask.asked[0]
    assert title == "Switch patient" and choices[0] == "keep"
    assert w.patient_bar.current_patient()["id"] == a["id"]
    assert w.save_btn.text() == "Save to P-0142"
    assert w.save_visit()
    assert _count(w, a) == 1 and _count(w, b) == 0
    # discarding instead switches, and the button names the new child
    _new_result(w, analysis, wait_until)
    w.ask = Asker("discard")
    w.patient_bar.combo.setCurrentIndex(w.patient_bar.combo.findText("P-0150"))
    assert w.patient_bar.current_patient()["id"] == b["id"] and w.save_btn.text() == "Save to P-0150"
    w._select_patient(None)
    assert w.save_btn.text() == "Save to a new patient…"


def test_a5_a_batch_result_opens_with_its_skeleton_and_its_note_can_be_saved(window, analysis, wait_until):
    from scoliscreen.gui.batch_queue import show_row_in_window

    w = window
    a, _b = _patients(w)
    clip = _stored(w, a, analysis)
    poses = w.patient_bar.store.add_visit(a["id"], str(POSES / "sports2d_side_walk_single.npz"), analysis.to_dict(),
                                          sequence=analysis.raw_sequence)
    opened = []
    w.records.visit_opened.connect(opened.append)
    assert show_row_in_window(w, {"visit_id": clip["id"], "path": str(SAMPLE), "patient": "P-0142"})
    wait_until(lambda: opened == [clip["id"]] and w.video_panel.current_index >= 0, 60)
    view = w.video_panel.view
    assert view.image is not None and view.landmarks is not None  # the video with the skeleton
    assert w.records.export_action.isEnabled() and w.records.current_visit_id == clip["id"]
    w.notes.setPlainText("seen in the school batch")
    assert w.save_btn.isEnabled() and w.save_btn.text() == f"Save note to visit {clip['id']} (P-0142)"
    assert w.save_visit() and _count(w) == 2
    # a pose-sequence file has no video: its skeleton is drawn on a plain picture, no error
    assert show_row_in_window(w, {"visit_id": poses["id"], "path": str(POSES / "x.npz"), "patient": "P-0142"})
    assert opened[-1] == poses["id"] and view.image is not None and view.landmarks is not None
    assert "no video" in view.badge and not w.shown_messages
    assert w.result_panel.analysis is not None and w.records.export_action.isEnabled()


def test_a5_after_cancel_no_batch_row_stays_running(qtbot, tmp_path):
    from scoliscreen.gui.app import create_app
    from scoliscreen.gui.batch_queue import BatchQueueDialog

    create_app()
    dlg = BatchQueueDialog(None, db_path=tmp_path / "db.sqlite3")
    qtbot.addWidget(dlg)
    for name, status in (("a.npz", "done"), ("b.npz", "running"), ("c.npz", "running"), ("d.npz", "queued")):
        dlg._set_row({"file": name, "status": status, "result": "", "probability": None})
    dlg._on_finished()  # what the worker's end (after Cancel) triggers
    states = [dlg.table.item(r, 2).text() for r in range(dlg.table.rowCount())]
    assert states == ["done", "queued", "queued", "queued"]
