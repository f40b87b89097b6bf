"""The records side of the main window: History and Compare tabs, opening a stored visit in the
result view, PDF export, and the line/angle measurement tools.

Actions are split SLEAP-style into an *ask* part (a file dialog; tests skip it) and a *do* part
(testable without dialogs): ``ask_report_path(visit_id)`` then ``export_report(visit_id, out)``;
``export_current()`` chains them. The controller keeps its state here, so the window only
calls ``install_records(window)`` once and ``visit_saved(row)`` after a save.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QTabWidget, QVBoxLayout, QWidget

from scoliscreen.core.constants import VIDEO_SUFFIXES
from scoliscreen.gui.compare_view import CompareView
from scoliscreen.gui.history_panel import HistoryPanel, visit_time
from scoliscreen.gui.keyboard import name_compare, name_history
from scoliscreen.gui.outcomes_box import install_outcomes
from scoliscreen.gui.measure_tools import MeasureBar, MeasureOverlay, value_text
from scoliscreen.workers.base import start_worker

TAB_NAMES = ("result", "history", "compare")


class RecordsController(QObject):
    """Signals: ``visit_opened(int)`` (shown in the result view), ``report_exported(str)``,
    ``report_failed(str)``, ``measurement_saved(dict)``."""

    visit_opened = Signal(int)
    report_exported = Signal(str)
    report_failed = Signal(str)
    measurement_saved = Signal(dict)

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.current_visit_id: int | None = None   # the stored visit the result view shows
        self.pending: list[dict] = []              # measurements waiting for the visit to be saved
        self._opening: tuple | None = None         # (visit_id, analysis, path) while its video opens
        self._report_handle = None

        # History and Compare are built on first use (keeps the cold start short)
        self._history: HistoryPanel | None = None
        self._compare_view: CompareView | None = None
        self._pages = [QWidget(), QWidget()]
        for page in self._pages:
            QVBoxLayout(page).setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(window.takeCentralWidget(), "Analysis")
        self.tabs.addTab(self._pages[0], "History")
        self.tabs.addTab(self._pages[1], "Compare")
        self.tabs.currentChanged.connect(self._on_tab)
        window.setCentralWidget(self.tabs)

        vp = window.video_panel
        self.overlay = MeasureOverlay(vp.view)
        self.overlay.measured.connect(self.add_measurement)
        self.measure_bar = MeasureBar()
        self.measure_bar.tool_changed.connect(self._arm)
        self.measure_bar.status.setParent(window)  # never laid out: its text goes to the status bar
        self.measure_bar.status.hide()
        self.measure_bar.tool_changed.connect(lambda _t: self._show_measure_status())
        self.measure_bar.delete_requested.connect(self.delete_selected_measurement)
        self._place_measure_bar(vp)
        vp.loaded.connect(self._on_video_loaded)
        vp.frame_shown.connect(self._on_frame)
        window.analysis_done.connect(lambda _a: self._set_current(None))

        self.export_action = QAction("&Export report…", window)
        self.export_action.setEnabled(False)
        self.export_action.triggered.connect(self.export_current)
        file_menu = window.menuBar().actions()[0].menu()
        file_menu.insertAction(file_menu.actions()[3], self.export_action)
        from scoliscreen.gui.export_menu import ExportMenu

        self.export_menu = ExportMenu(self, file_menu)  # FHIR, DICOM, C3D, TRC, OpenPose, CSV (docs/interop.md)
        view = window.menuBar().addMenu("&Records")
        for i, name in enumerate(("&Analysis", "&History", "&Compare")):
            act = QAction(name, window)
            act.triggered.connect(lambda _c=False, i=i: self.tabs.setCurrentIndex(i))
            view.addAction(act)

    def _place_measure_bar(self, vp) -> None:
        """A row of its own under the overlay boxes: the video side has height to spare, while
        another widget beside the overlay boxes would widen the window's minimum width."""
        vp.layout().addWidget(self.measure_bar)

    @property
    def history(self) -> HistoryPanel:
        if self._history is None:
            self._history = HistoryPanel(self.store)
            self._history.open_requested.connect(self.open_visit)
            self._history.compare_requested.connect(self.compare)
            self._history.export_requested.connect(self.export_with_dialog)
            install_outcomes(self._history, self.store)  # the selected visit's outcomes (gui/outcomes_box.py)
            name_history(self._history)
            self._pages[0].layout().addWidget(self._history)
            self._history.show()  # added to a page that may already be shown
            self._history.reload()
        return self._history

    @property
    def compare_view(self) -> CompareView:
        if self._compare_view is None:
            self._compare_view = CompareView()
            name_compare(self._compare_view)
            self._pages[1].layout().addWidget(self._compare_view)
            self._compare_view.show()
        return self._compare_view

    # ---- store and tabs -------------------------------------------------------------------------
    def store(self):
        return self.w.patient_bar._open_store()

    def current_view(self) -> str:
        return TAB_NAMES[self.tabs.currentIndex()]

    def show_view(self, name: str) -> None:
        self.tabs.setCurrentIndex(TAB_NAMES.index(name))
        if name == "history":
            self.history.reload()

    def _on_tab(self, index: int) -> None:
        if index != 0:
            self.w.video_panel.pause()
        if index != 2 and self._compare_view is not None:
            self._compare_view.pause()
        if index == 2:
            self.compare_view  # noqa: B018 - built on first show
        if index == 1:
            self.history.reload()
            patient = self.w.patient_bar.current_patient()
            if patient is not None and (self.history.patient or {}).get("id") != patient["id"]:
                self.history.select_patient(patient["id"])

    # ---- a stored visit in the result view ----------------------------------------------------------
    def _load(self, visit_id: int, *, with_sequence: bool = True, audit: bool = True):
        from scoliscreen.app.visits import restore_analysis

        store = self.store()
        if store is None:
            raise RuntimeError("the patient records are not open")
        data = store.open_visit(visit_id, with_sequence=with_sequence, audit=audit)
        analysis = restore_analysis(data["analysis"], data.get("sequence"))
        video = store.video_path(visit_id)
        return data, analysis, (str(video) if video is not None else None)

    def open_visit(self, visit_id: int) -> bool:
        """Show a stored visit (its analysis, and its video when present) in the result view."""
        w = self.w
        if w.is_analysing():
            w.show_message("warning", "Open visit", "Wait for the running analysis to finish or cancel it first.")
            return False
        if not w.confirm_discard("open a stored visit"):  # never drop an unsaved result silently
            return False
        try:
            data, analysis, video = self._load(visit_id)
        except Exception as exc:  # noqa: BLE001 - a store/format problem is shown, the window stays usable
            w.show_message("error", "Open visit", f"Visit {visit_id} could not be opened: {exc}")
            return False
        w.analysis = None
        w.save_btn.setEnabled(False)
        w.result_panel.clear()
        self.pending = []
        self.tabs.setCurrentIndex(0)
        if video is not None and Path(video).suffix.lower() not in VIDEO_SUFFIXES:
            video = None  # analysed from a pose-sequence file: there is no picture to play
        if video is None:
            w.video_path = None
            w.video_panel.info = None
            w.video_panel.set_pose_sequence(None)
            self._show_opened(visit_id, analysis, data)
            self._show_pose_only(analysis.sequence)
        else:
            self._opening = (visit_id, analysis, video, data)
            w.video_panel.open_file(video)
        return True

    def _show_pose_only(self, seq) -> None:
        """No video to show: the skeleton of a middle frame of the stored pose sequence on a
        plain picture of the clip's size, or a sentence when there is no sequence either."""
        from PySide6.QtGui import QColor, QImage

        view = self.w.video_panel.view
        view.set_landmarks(None)
        view.reset_zoom()
        found = np.flatnonzero(seq.detected) if seq is not None and len(seq) else np.array([], dtype=int)
        if found.size == 0:
            view.set_image(None)
            view.set_message("The video of this visit is not available (moved, not copied, or a pose sequence).")
            return
        i = int(found[found.size // 2])
        width, height = (int(v) for v in seq.image_size)
        picture = QImage(max(width, 16), max(height, 16), QImage.Format.Format_RGB32)
        picture.fill(QColor(48, 48, 48))
        view.set_message("")
        view.set_image(picture)
        view.set_landmarks(seq.landmarks[i])
        view.badge = f"no video: the skeleton at {float(seq.timestamps_ms[i]) / 1000:.1f} s"
        view.update()

    def _show_opened(self, visit_id: int, analysis, data: dict) -> None:
        from scoliscreen.app.visits import visit_note

        w = self.w
        w.analysis = analysis
        w.result_panel.show_analysis(analysis)
        w.video_panel.set_pose_sequence(analysis.sequence)
        self._set_current(visit_id)
        v = data["visit"]
        w.show_stored_visit(v, data.get("patient"), visit_note(data.get("notes") or [])[1])
        w.stage.setText(f"Stored visit {visit_id} of {v.get('pseudonym') or 'no patient'}, "
                        f"{visit_time(v.get('visited_at'))} (already saved; a changed note is saved to this visit).")
        self.visit_opened.emit(visit_id)

    def _on_video_loaded(self, info) -> None:
        opening, self._opening = self._opening, None
        if opening is not None and Path(opening[2]) == Path(info.path):
            self._show_opened(opening[0], opening[1], opening[3])
        else:  # a new clip: its measurements start empty, and it is not a stored visit
            self.pending = []
            self._set_current(None)
        self.measure_bar.set_enabled(True)

    def _set_current(self, visit_id: int | None) -> None:
        self.current_visit_id = visit_id
        self.export_action.setEnabled(visit_id is not None)
        self._on_frame(self.w.video_panel.current_index)

    def forget_current(self) -> None:
        """The result view no longer shows a stored visit (a new clip, a discarded result)."""
        self._opening = None
        self._set_current(None)

    def note_saved(self, visit_id: int) -> None:
        if self._history is not None:
            self._history.reload()

    def visit_saved(self, row: dict) -> None:
        """The window saved the current result as visit ``row``: its measurements go with it."""
        self._set_current(int(row["id"]))
        pending, self.pending = self.pending, []
        for m in pending:
            self._store_measurement(m)
        if self._history is not None:
            self._history.reload()

    # ---- comparison ------------------------------------------------------------------------------------
    def compare(self, a: int, b: int) -> bool:
        try:
            comparison = self.store().compare_visits(a, b)
            side_a = self._load(a, audit=False)
            side_b = self._load(b, audit=False)
        except Exception as exc:  # noqa: BLE001 - shown, the window stays usable
            self.w.show_message("error", "Compare", f"The visits could not be compared: {exc}")
            return False
        self.compare_view.show_comparison(comparison, (side_a[1], side_a[2], side_a[1].sequence),
                                          (side_b[1], side_b[2], side_b[1].sequence))
        self.tabs.setCurrentIndex(2)
        return True

    # ---- PDF export: ask, then do ------------------------------------------------------------------------
    def ask_report_path(self, visit_id: int) -> str | None:
        v = self.store().get_visit(visit_id)
        name = f"scoliscreen_visit{visit_id}_{v.get('pseudonym') or 'quick'}.pdf".replace(" ", "_")
        path, _ = QFileDialog.getSaveFileName(self.w, "Export the visit report", str(Path.home() / name),
                                              "PDF (*.pdf)")
        if path and not path.lower().endswith(".pdf"):
            path += ".pdf"
        return path or None

    def export_report(self, visit_id: int, out: str | Path, blur_faces: bool = True) -> bool:
        """Write the PDF in a worker; ``report_exported(path)`` or ``report_failed(text)`` follows."""
        from scoliscreen.workers.report import ReportWorker

        if self._report_handle is not None:
            self.w.show_message("warning", "Export report", "A report is being written; wait a moment.")
            return False
        store = self.store()
        if store is None or store.path is None:
            return False
        worker = ReportWorker(store.path, visit_id, out, blur_faces)
        worker.result.connect(self._on_exported)
        worker.error.connect(self._on_export_failed)
        worker.finished.connect(self._on_export_finished)
        self.w.statusBar().showMessage(f"Writing the report of visit {visit_id}…")
        self._report_handle = start_worker(worker, "report")
        return True

    def export_with_dialog(self, visit_id: int) -> None:
        out = self.ask_report_path(visit_id)
        if out:
            self.export_report(visit_id, out)

    def export_current(self) -> None:
        if self.current_visit_id is not None:
            self.export_with_dialog(self.current_visit_id)

    def _on_exported(self, path) -> None:
        self.w.statusBar().showMessage(f"Report written: {path}", 8000)
        self.report_exported.emit(str(path))

    def _on_export_failed(self, text: str) -> None:
        self.w.statusBar().clearMessage()
        self.w.show_message("error", "Export report", text)
        self.report_failed.emit(text)

    def _on_export_finished(self) -> None:
        self._report_handle = None

    # ---- measurements ------------------------------------------------------------------------------------
    def _arm(self, tool) -> None:
        if tool is not None:
            self.w.video_panel.pause()
        self.overlay.arm(tool)

    def _show_measure_status(self) -> None:
        text = self.measure_bar.status.text()
        if text:
            self.w.statusBar().showMessage(text, 15000)

    def measurements(self) -> list[dict]:
        stored = self.store().measurements(self.current_visit_id) if self.current_visit_id is not None else []
        return stored + self.pending

    def add_measurement(self, m: dict) -> None:
        """A finished line/angle: saved now with the stored visit, or when the result is saved."""
        self.measure_bar.release()
        if self.current_visit_id is not None:
            self._store_measurement(m)
        else:
            self.pending.append(m)
            self.measure_bar.status.setText(f"{m['kind'].capitalize()}: {value_text(m['kind'], m['value'])} "
                                            "(saved with the visit)")
            self._show_measure_status()
        self._on_frame(self.w.video_panel.current_index)

    def _store_measurement(self, m: dict) -> None:
        row = self.store().add_measurement(self.current_visit_id, m["kind"], m["points"], m["value"],
                                           frame_index=m["frame_index"], label=m.get("label", ""), unit=m["unit"])
        self.measure_bar.status.setText(f"{m['kind'].capitalize()}: {value_text(m['kind'], row['value'])} "
                                        f"— saved to visit {self.current_visit_id}")
        self._show_measure_status()
        self.measurement_saved.emit(row)

    def _on_frame(self, index: int) -> None:
        try:
            ms = self.measurements()
        except Exception:  # noqa: BLE001 - a closed store only hides the drawings
            ms = list(self.pending)
        self.overlay.set_frame(index if index >= 0 else None, ms)
        self.measure_bar.delete_btn.setEnabled(self.overlay.selected_measurement() is not None)

    def cancel_tool(self) -> bool:
        """Esc: drop the line/angle being drawn and un-arm the tool; True when one was armed."""
        armed = self.measure_bar.tool() is not None or bool(self.overlay.points)
        self.overlay.cancel()
        self.measure_bar.release()
        if armed:
            self.w.statusBar().showMessage("Measuring cancelled.", 4000)
        return armed

    def delete_selected_measurement(self) -> bool:
        """Delete: remove the highlighted measurement of the frame shown (a stored one from its
        visit, with an audit row; an unsaved one from the list waiting for the save)."""
        m = self.overlay.selected_measurement()
        if m is None:
            self.w.statusBar().showMessage("No measurement on this frame to delete.", 4000)
            return False
        if m.get("id") is not None:
            try:
                self.store().delete_measurement(int(m["id"]))
            except Exception as exc:  # noqa: BLE001 - shown, the window stays usable
                self.w.show_message("error", "Delete measurement", f"The measurement could not be deleted: {exc}")
                return False
        else:
            self.pending = [p for p in self.pending if p is not m]
        self.w.statusBar().showMessage(f"{m['kind'].capitalize()} {value_text(m['kind'], float(m['value']))} deleted.",
                                       5000)
        self._on_frame(self.w.video_panel.current_index)
        return True

    def shutdown(self) -> None:
        if self._report_handle is not None:
            self._report_handle.wait(60000)
        if self._compare_view is not None:
            self._compare_view.shutdown()


def install_records(window) -> RecordsController:
    """Attach History/Compare tabs, PDF export and measurement tools to a ``MainWindow``."""
    return RecordsController(window)
