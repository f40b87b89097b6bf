"""The main window: patient bar, video panel, analysis controls, result panel, status bar.

Every message box goes through :meth:`MainWindow.show_message` (tests replace it), and every
long task runs in a worker (``scoliscreen.workers``), so the window never freezes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QPlainTextEdit,
    QProgressBar, QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget,
)

from scoliscreen import DISCLAIMER, __version__
from scoliscreen.gui.keyboard import install_keyboard
from scoliscreen.gui.clinic import install_clinic
from scoliscreen.gui.model_actions import ModelActionsMixin
from scoliscreen.gui.patient_bar import PatientBar
from scoliscreen.gui.playback import PlaybackMixin
from scoliscreen.gui.records_controller import install_records
from scoliscreen.gui.result_panel import ResultPanel
from scoliscreen.gui.save_target import SaveTargetMixin
from scoliscreen.gui.settings import AppSettings
from scoliscreen.gui.subject_pick import SubjectPickMixin
from scoliscreen.core.constants import VIDEO_SUFFIXES
from scoliscreen.gui.video_panel import VideoPanel
from scoliscreen.gui.workflow import WorkflowMixin
from scoliscreen.workers.base import start_worker

VIDEO_FILTER = "Videos (" + " ".join(f"*{e}" for e in VIDEO_SUFFIXES) + ");;All files (*)"


class MainWindow(SubjectPickMixin, SaveTargetMixin, WorkflowMixin, PlaybackMixin, ModelActionsMixin, QMainWindow):
    """Signals: ``analysis_done(object)`` (the Analysis, also when the gate refused it),
    ``analysis_failed(str)``, ``model_ready(ModelInfo)``."""

    analysis_done = Signal(object)
    analysis_failed = Signal(str)
    model_ready = Signal(object)

    def __init__(self, settings: AppSettings | None = None, load_model: bool = True, model_dir=None):
        """``model_dir``: screening-model folder (default: the shipped one)."""
        super().__init__()
        self.settings = settings or AppSettings()
        self.model_dir = model_dir
        self.setWindowTitle(f"ScoliScreen {__version__} — {DISCLAIMER}")
        self.fit_to_screen()  # 1440x900, never larger than the screen
        self.video_path: str | None = None
        self.analysis = None
        self.messages: list[tuple[str, str, str]] = []  # (kind, title, text) shown so far
        self._analysis_handle = None
        self._analysed_path: str | None = None
        self._analysis_notes = ""  # the notes the running analysis was given
        self._model_handle = None
        self.model_info = None  # scoliscreen.app.models.ModelInfo once loaded

        self.patient_bar = PatientBar(self._open_store)
        self.patient_bar.error.connect(lambda text: self.show_message("error", "Patient records", text))
        self.video_panel = VideoPanel()
        self.video_panel.loaded.connect(self._on_video_loaded)
        self.video_panel.error.connect(self._on_video_error)
        self.video_panel.recording_saved.connect(self.open_video)
        self.video_panel.file_dropped.connect(self.request_open)
        self.video_panel.frame_shown.connect(self._on_frame_shown)
        self.video_panel.live_stopped.connect(self._on_live_stopped)
        self.video_panel.person_clicked.connect(self._on_person_clicked)
        self.result_panel = ResultPanel()
        self.result_panel.seek_requested.connect(self.video_panel.seek_time)
        self.result_panel.model_card_requested.connect(self.show_model_card)

        # ---- analysis controls ----
        self.open_btn = QPushButton("Open video…")
        self.open_btn.clicked.connect(self.choose_video)
        self.record_btn = QPushButton("Record from camera")
        self.record_btn.clicked.connect(self.toggle_recording)
        self.analyse_btn = QPushButton("Analyse")
        self.analyse_btn.setObjectName("primary")
        self.analyse_btn.setEnabled(False)
        self.analyse_btn.clicked.connect(self.start_analysis)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel_analysis)
        self.save_btn = QPushButton("Save to patient record")
        self.save_btn.setEnabled(False)
        self.save_btn.clicked.connect(self.save_visit)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)  # no "0%" before any analysis
        self.stage = QLabel("Open or record a video of the child walking (front or back view, 4+ s).")
        self.stage.setObjectName("muted")
        self.stage.setWordWrap(True)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Clinician notes (optional)")
        self.notes.setToolTip("Optional; given to the model with the clinical text")
        self.notes.setMaximumHeight(64)
        self.notes.setMinimumHeight(30)

        buttons = QHBoxLayout()
        for b in (self.open_btn, self.record_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.analyse_btn)
        run_row = QHBoxLayout()  # Cancel beside the progress it stops (keeps the rows narrow)
        run_row.addWidget(self.progress, 1)
        run_row.addWidget(self.cancel_btn)
        run_row.addWidget(self.save_btn)
        video_box = QGroupBox("Gait video")
        vl = QVBoxLayout(video_box)
        vl.addWidget(self.video_panel, 1)
        vl.addLayout(buttons)
        vl.addLayout(run_row)
        vl.addWidget(self.stage)
        vl.addWidget(self.notes)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(video_box)
        splitter.addWidget(self._scrolled(self.result_panel))
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 6)
        splitter.setSizes([560, 800])
        self.splitter = splitter  # PlaybackMixin.resizeEvent keeps the split until the user drags it
        splitter.splitterMoved.connect(self._on_split_moved)
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(4)
        cl.addWidget(self.patient_bar)
        inner = QHBoxLayout()
        inner.setContentsMargins(8, 0, 8, 4)
        inner.addWidget(splitter)
        cl.addLayout(inner, 1)
        self.setCentralWidget(central)

        # ---- status bar ----
        self.device_label = QLabel("Device: loading model…" if load_model else "Device: –")
        self.model_label = QLabel("Model: –")
        self.disclaimer_label = QLabel(DISCLAIMER)
        self.disclaimer_label.setObjectName("disclaimer")
        for label in (self.device_label, self.model_label):
            label.setContentsMargins(8, 0, 16, 0)
        sb = self.statusBar()
        sb.addWidget(self.device_label)
        sb.addWidget(self.model_label)
        sb.addPermanentWidget(self.disclaimer_label)

        self._make_menus()
        self._make_shortcuts()
        self._init_workflow()
        self.records = install_records(self)  # History / Compare tabs, PDF export, measurement tools
        self.clinic = install_clinic(self)  # Clinic menu (outcome evidence, model switcher), remembered model
        self.key_router = install_keyboard(self)  # shortcuts, Help list, tab order, accessible names
        self.update_save_button()
        if load_model:
            QTimer.singleShot(50, self.load_model)

    # ---- menus and shortcuts ---------------------------------------------------------------
    def _make_menus(self) -> None:
        m = self.menuBar().addMenu("&File")
        for text, slot, key in (("&Open video…", self.choose_video, QKeySequence.StandardKey.Open),
                                ("&Record from camera", self.toggle_recording, None),
                                ("&Save to patient record", self.save_visit, QKeySequence.StandardKey.Save),
                                ("&Batch queue…", self.open_batch_queue, None),
                                (None, None, None),
                                ("Se&ttings…", self.edit_settings, None),
                                ("&Quit", self.close, QKeySequence.StandardKey.Quit)):
            if text is None:
                self._add_recent_menu(m)
                continue
            act = QAction(text, self)
            if key is not None:
                act.setShortcut(key)
            act.triggered.connect(slot)
            m.addAction(act)
        h = self.menuBar().addMenu("&Help")
        act = QAction("&Model card…", self)
        act.triggered.connect(self.show_model_card)
        h.addAction(act)

    @staticmethod
    def _scrolled(widget: QWidget) -> QScrollArea:
        """``widget`` in a scroll area: on a small screen it scrolls instead of squeezing (overlap)."""
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(widget)
        return area

    # ---- dialogs (one place, so tests can intercept) ---------------------------------------
    def show_message(self, kind: str, title: str, text: str) -> None:
        """Show an information/warning/error box. Tests replace this method."""
        self.messages.append((kind, title, text))
        box = {"error": QMessageBox.critical, "warning": QMessageBox.warning}.get(kind, QMessageBox.information)
        box(self, title, text)

    # ---- store ------------------------------------------------------------------------------
    def _open_store(self):
        from scoliscreen.core.store import DB_NAME, Store

        return Store.open(Path(self.settings.data_folder) / DB_NAME)

    # ---- video --------------------------------------------------------------------------------
    def choose_video(self) -> None:
        if not self.confirm_discard("open another video"):
            return
        path = self.ask_video_path()
        if path:
            self.open_video(path)

    def ask_video_path(self) -> str | None:
        """The file dialog of Open video (tests replace it)."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a gait video", str(Path.home()), VIDEO_FILTER)
        return path or None

    def request_open(self, path: str) -> None:
        """Open ``path`` (a drop, a recent file) once an unsaved result is saved or discarded."""
        if self.confirm_discard("open another video"):
            self.open_video(path)

    def open_video(self, path: str) -> None:
        """Open a video file (from the dialog, a drop, or a finished recording)."""
        if self._analysis_handle is not None:
            self.cancel_analysis()  # its result would belong to the previous video
        self.video_path = None
        self.subject = None  # the walker, until the user clicks on someone
        self.analyse_btn.setEnabled(False)
        self.discard_result()
        self.clear_notes()  # notes belong to one visit
        self.remember_recent(path)
        self.stage.setText(f"Opening {Path(path).name}…")
        self.video_panel.open_file(path)

    def _on_video_loaded(self, info) -> None:
        self.video_path = info.path
        self.analyse_btn.setEnabled(self._analysis_handle is None)
        if self.analysis is not None and self._analysed_path == info.path:  # back after a failed Record
            self.video_panel.set_pose_sequence(self.analysis.sequence)
            self.stage.setText(f"Nothing was recorded; {Path(info.path).name} and its result are kept.")
            return
        self.stage.setText(f"{Path(info.path).name}: {info.frame_count} frames at {info.fps:.0f} fps "
                           f"({info.duration_s:.1f} s), {info.size[0]}×{info.size[1]}. Press Analyse.")

    def _on_video_error(self, text: str) -> None:
        live = self.video_panel.is_live() or self.record_btn.text() == "Stop recording"
        self.stage.setText("The camera could not be used." if live else "The video could not be used.")
        self.show_message("error", "Video", text)

    def _on_frame_shown(self, index: int) -> None:
        info = self.video_panel.info
        if info is not None and self.analysis is not None:
            self.result_panel.map_view.mark_time(index / info.fps)

    def toggle_recording(self) -> None:
        """Start the camera with a countdown and record; a second press stops and opens the file."""
        if self.video_panel.is_live():
            self.video_panel.stop_live()
            return
        if not self.confirm_discard("record a new video"):
            return
        folder = Path(self.settings.data_folder) / "recordings"
        self.analyse_btn.setEnabled(False)  # the result stays until the recording opens
        self.video_panel.start_live(self.settings.camera_index, record_folder=folder)
        self.record_btn.setText("Stop recording")
        self.stage.setText("Recording starts after the countdown. Film the child walking toward or away from the camera.")

    # ---- analysis ---------------------------------------------------------------------------
    def start_analysis(self) -> None:
        """Analyse the loaded video in a worker thread."""
        from scoliscreen.workers.analysis import AnalysisWorker

        if self.video_path is None or self._analysis_handle is not None:
            return
        self.video_panel.pause()
        self.discard_result()
        self._analysis_notes = self.current_notes()
        worker = AnalysisWorker(self.video_path, notes=self._analysis_notes,
                                device=self.settings.device, model_dir=self.model_dir, subject=self.subject)
        worker.progress.connect(self._on_progress)
        worker.stage.connect(self.stage.setText)
        worker.quality_ready.connect(self.result_panel.show_quality)
        worker.preview.connect(self.video_panel.show_preview)
        worker.result.connect(self._on_analysis_result)
        worker.error.connect(self._on_analysis_error)
        worker.cancelled.connect(self._on_analysis_cancelled)
        worker.finished.connect(self._on_analysis_finished)
        self.analyse_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.save_btn.setEnabled(False)
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.setTextVisible(True)
        self._analysed_path = self.video_path
        self._analysis_handle = start_worker(worker, "analysis")
        self.video_panel.view.setFocus()  # never the notes box: Space / arrows drive the player

    def cancel_analysis(self) -> None:
        if self._analysis_handle is not None:
            self._analysis_handle.cancel()
            self.stage.setText("Cancelling…")
            self.cancel_btn.setEnabled(False)

    def is_analysing(self) -> bool:
        return self._analysis_handle is not None

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)

    def _on_analysis_result(self, analysis) -> None:
        if self.video_path != self._analysed_path:
            return  # another video was opened meanwhile
        self.analysis = analysis
        self._adopt_result(analysis, self._analysis_notes)
        self.result_panel.show_analysis(analysis)
        self.video_panel.set_pose_sequence(analysis.sequence)
        usable = analysis.quality.usable
        screening = analysis.screening
        if screening is not None and self.model_info is None:
            from scoliscreen.app.models import device_description

            self.device_label.setText(f"Device: {device_description(screening.device)}")
            self.model_label.setText(f"Model: {screening.model_version}")
        if screening is not None:
            self.stage.setText("Analysis complete. Click the map to see a moment in the video.")
            self.save_btn.setEnabled(True)
        elif not usable:
            self.stage.setText("The recording was refused by the quality check; see the reasons on the right.")
            self.save_btn.setEnabled(True)
        problem = analysis.screening_error
        if problem:
            self.stage.setText("Map and description ready; the screening model is unavailable.")
        self.stage.setText(self.stage.text() + self.subject_hint(analysis))
        self.analysis_done.emit(analysis)
        if problem:
            self.show_message("warning", "Screening model", problem)

    def _on_analysis_error(self, text: str) -> None:
        self.stage.setText("The analysis stopped with an error.")
        self.analysis_failed.emit(text)
        self.show_message("error", "Analysis", text)

    def _on_analysis_cancelled(self) -> None:
        self.stage.setText("Analysis cancelled.")

    def _on_analysis_finished(self) -> None:
        self._analysis_handle = None
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if self.analysis is not None else 0)
        self.cancel_btn.setEnabled(False)
        self.analyse_btn.setEnabled(self.video_path is not None)
        self.progress.setTextVisible(self.analysis is not None)
        self._on_notes_changed()  # notes typed while it ran: the result is stale at once

    def open_batch_queue(self):
        """The batch queue dialog (screen a folder of clips); a finished row opens here."""
        from scoliscreen.core.store import DB_NAME
        from scoliscreen.gui.batch_queue import BatchQueueDialog, show_row_in_window

        dialog = BatchQueueDialog(self, db_path=Path(self.settings.data_folder) / DB_NAME, model_dir=self.model_dir)
        dialog.open_requested.connect(lambda row: show_row_in_window(self, row))
        dialog.show()
        self.batch_dialog = dialog
        return dialog

    # ---- lifetime --------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop every worker thread and close the store (idempotent)."""
        if self._analysis_handle is not None:
            self._analysis_handle.stop(30000)
        if self._model_handle is not None:
            self._model_handle.wait(60000)
        self._rerun_timer.stop()
        self.wait_reinterpretation()
        self.records.shutdown()
        QApplication.instance().removeEventFilter(self.key_router)
        self.clinic.shutdown()
        self.video_panel.shutdown()
        self.patient_bar.close_store()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if not self.confirm_discard("quit"):
            event.ignore()
            return
        self.shutdown()
        super().closeEvent(event)
