"""The GUI batch queue (issue 12): a small folder of pose sequences screened from the main window's
menu, pause, cancel, resume, and a finished row opened in the result view."""

from __future__ import annotations

import shutil
import threading

import pytest

from tests.test_batch import POSES, InlineEngine, broken

pytestmark = pytest.mark.gui


class GatedEngine(InlineEngine):
    """The first file waits at ``gate`` (``entered`` is set when it gets there)."""

    def __init__(self, entered: threading.Event, gate: threading.Event):
        super().__init__()
        self.entered, self.gate = entered, gate

    def submit(self, path, subject=None):
        if not self.entered.is_set():
            self.entered.set()
            self.gate.wait(60)
        return super().submit(path, subject)


@pytest.mark.slow
def test_batch_queue_pause_cancel_resume_and_open(qtbot, tmp_path, wait_until):
    from scoliscreen.core.jobs import JobTable
    from scoliscreen.core.store import DB_NAME, Store
    from tests.test_gui import _make_window

    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("sports2d_side_walk_single.npz", "sports2d_demo_multiperson.npz",
                 "intel_worker_back_walk_away.npz"):
        shutil.copy(POSES / name, folder / name)
    broken(folder)
    data = tmp_path / "data"
    data.mkdir()
    w = _make_window(data)
    qtbot.addWidget(w)
    w.settings.data_folder = str(data)
    w.patient_bar.set_store_factory(w._open_store)  # as the Settings dialog does
    menu = [a for m in w.menuBar().actions() for a in m.menu().actions()]
    next(a for a in menu if a.text() == "&Batch queue…").trigger()
    dlg = w.batch_dialog
    entered, gate = threading.Event(), threading.Event()
    dlg.engine_factory = lambda: GatedEngine(entered, gate)
    dlg.folder_edit.setText(str(folder))
    dlg.start_btn.click()
    wait_until(lambda: entered.is_set() or "stopped" in dlg.status.text(), 60)
    assert entered.is_set(), dlg.status.text()
    dlg.pause_btn.setChecked(True)  # the file in hand finishes; no new one starts
    gate.set()


    def states():
        return [dlg.table.item(r, 2).text() for r in range(dlg.table.rowCount())]

    wait_until(lambda: "error" in states(), 60)  # the first file (sorted) is broken_empty.mp4
    qtbot.wait(800)
    assert dlg.table.rowCount() == 6 and states().count("error") == 1 and states().count("queued") == 5
    assert "paused" in dlg.status.text().lower()
    dlg.cancel_btn.click()
    wait_until(lambda: not dlg.is_running(), 60)
    with Store.open(data / DB_NAME) as store:
        counts = JobTable.of_store(store).counts()
    assert counts["error"] == 1 and counts["running"] == 0 and counts["done"] == 0

    dlg.engine_factory = InlineEngine  # resume: the rest
    dlg.start_btn.click()
    wait_until(lambda: dlg.summary is not None and not dlg.is_running(), 120)
    s = dlg.summary
    assert (s.total, s.done, s.failed, s.screened) == (6, 3, 3, 5)  # all but the one settled before the cancel
    states = {dlg.table.item(r, 0).text(): dlg.table.item(r, 2).text() for r in range(6)}
    assert states["sports2d_side_walk_single.npz"] == "done" and states["broken_garbage.mp4"] == "error"
    assert "3 done, 3 failed" in dlg.status.text()

    row = next(r for r in range(6) if dlg.table.item(r, 0).text() == "sports2d_side_walk_single.npz")
    assert dlg.open_row(row)
    verdict = w.result_panel.verdict.text()  # one of the window's verdict lines (the side view: re-record)
    from scoliscreen.core.outcome_words import WINDOW_WORDS

    assert verdict in WINDOW_WORDS.values() and "visit" in w.stage.text()
    assert w.records.current_visit_id == int(dlg.row_data[row]["visit_id"]) and not w.shown_messages
    assert w.video_panel.view.landmarks is not None  # a pose-sequence file: its skeleton, no video
    bad = next(r for r in range(6) if dlg.table.item(r, 0).text() == "broken_empty.mp4")
    assert not dlg.open_row(bad)  # nothing recorded for a failed file
    dlg.close()
    w.shutdown()
