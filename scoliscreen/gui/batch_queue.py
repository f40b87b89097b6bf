"""The batch queue: screen a whole folder from the GUI with the same runner as ``scoliscreen batch``.

Choose a folder (and optionally a roster CSV), press Start; the table shows every file's state
(queued / running / done / error, its result and probability). Pause stops handing out new files
(those being screened finish); Cancel stops the batch (unfinished files stay queued in the job
table, so the next Start resumes). Double-clicking a finished row opens its recorded visit in the
main window's result view (``open_requested(row)``).

The runner (``app.batch.batch_steps``) runs in a :class:`BatchWorker` thread, which opens its own
connection to the records database (SQLite connections belong to one thread) and forwards each
runner event to the GUI thread as a signal.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QProgressBar, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from scoliscreen.workers.base import Worker, start_worker

COLUMNS = ("File", "Patient", "State", "Result", "Probability", "Followed", "Error")


class BatchWorker(Worker):
    """Runs one batch; ``event(object)`` carries each :class:`~scoliscreen.app.batch.BatchEvent`;
    ``result`` is the :class:`~scoliscreen.app.batch.BatchSummary`."""

    event = Signal(object)

    def __init__(self, options, db_path, engine_factory=None):
        super().__init__()
        self.options = options
        self.db_path = db_path
        self.engine_factory = engine_factory
        self._pause = threading.Event()

    def set_paused(self, paused: bool) -> None:
        (self._pause.set if paused else self._pause.clear)()

    def work(self):
        from scoliscreen.app.batch import batch_steps, drain
        from scoliscreen.core.store import Store

        engine = self.engine_factory() if self.engine_factory else None
        try:
            with Store.open(self.db_path) as store:
                return drain(batch_steps(self.options, store, should_cancel=lambda: self.is_cancelled,
                                         should_pause=self._pause.is_set, engine=engine),
                             self.event.emit)
        finally:
            if engine is not None:
                engine.close(cancel=self.is_cancelled)


class BatchQueueDialog(QDialog):
    """Signals: ``open_requested(dict)`` (a finished row), ``batch_finished(object)`` (the summary)."""

    open_requested = Signal(dict)
    batch_finished = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, db_path, model_dir=None, device: str = "cpu"):
        super().__init__(parent)
        self.setWindowTitle("Batch queue — screen a folder of clips")
        self.resize(900, 560)
        self.db_path = Path(db_path)
        self.model_dir = model_dir
        self.device = device
        self.engine_factory = None  # tests may inject an engine
        self.rows: dict[str, int] = {}  # file (relative) -> table row
        self.row_data: dict[int, dict] = {}
        self.summary = None
        self._handle = None
        self._folder = None

        self.folder_edit = QLineEdit()
        self.roster_edit = QLineEdit()
        self.roster_edit.setPlaceholderText(
            "optional: CSV with 'file' and 'patient' columns (and 'subject': whom to follow)")
        pick_folder = QPushButton("Choose…")
        pick_folder.clicked.connect(self._choose_folder)
        pick_roster = QPushButton("Choose…")
        pick_roster.clicked.connect(self._choose_roster)
        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText(
            "several people in view: empty = the person who walks · #N = track N · X,Y@FRAME = the person there")
        self.subject_edit.setToolTip(
            "Whom to follow in every clip when several people are in view (as 'scoliscreen batch --subject'). "
            "A roster 'subject' cell wins for its clip.")
        self.workers = QSpinBox()
        self.workers.setRange(1, 64)
        from scoliscreen.app.batch_engines import default_workers

        self.workers.setValue(default_workers())
        self.create_patients = QCheckBox("Create roster patients that are not in the records")
        self.retry_failed = QCheckBox("Retry files that failed before")
        form = QFormLayout()
        for label, edit, btn in (("Folder", self.folder_edit, pick_folder), ("Roster", self.roster_edit, pick_roster)):
            line = QHBoxLayout()
            line.addWidget(edit, 1)
            line.addWidget(btn)
            form.addRow(label, line)
        form.addRow("Follow", self.subject_edit)
        form.addRow("Workers", self.workers)
        form.addRow("", self.create_patients)
        form.addRow("", self.retry_failed)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))

        self.progress = QProgressBar()
        self.status = QLabel("Choose a folder of clips and press Start.")
        self.status.setWordWrap(True)
        self.start_btn = QPushButton("Start")
        self.start_btn.setObjectName("primary")
        self.start_btn.clicked.connect(self.start)
        self.pause_btn = QPushButton("Pause")
        self.pause_btn.setCheckable(True)
        self.pause_btn.setEnabled(False)
        self.pause_btn.toggled.connect(self.set_paused)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel)
        self.open_btn = QPushButton("Open result")
        self.open_btn.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        buttons = QHBoxLayout()
        for b in (self.start_btn, self.pause_btn, self.cancel_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.open_btn)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    # ---- choosing -----------------------------------------------------------------------
    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of clips", self.folder_edit.text() or str(Path.home()))
        if path:
            self.folder_edit.setText(path)

    def _choose_roster(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Roster", str(Path.home()), "CSV (*.csv);;All files (*)")
        if path:
            self.roster_edit.setText(path)

    # ---- running ------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._handle is not None

    def start(self) -> None:
        from scoliscreen.app.batch import BatchOptions

        if self._handle is not None:
            return
        folder = self.folder_edit.text().strip()
        if not folder or not Path(folder).is_dir():
            self.status.setText("Choose an existing folder of clips first.")
            return
        from scoliscreen.app.batch_plan import subject_key
        from scoliscreen.core.errors import InputError

        try:  # the CLI's --subject check: one line, before any clip runs
            subject = subject_key(self.subject_edit.text().strip() or None)
        except InputError as e:
            self.status.setText(str(e).replace("--subject", "Follow", 1))
            return
        self._folder = Path(folder).resolve()
        opts = BatchOptions(folder=folder, roster=self.roster_edit.text().strip() or None, subject=subject,
                            workers=self.workers.value(), create_patients=self.create_patients.isChecked(),
                            retry_failed=self.retry_failed.isChecked(), model_dir=self.model_dir,
                            device=self.device)
        worker = BatchWorker(opts, self.db_path, self.engine_factory)
        worker.event.connect(self._on_event)
        worker.result.connect(self._on_summary)
        worker.error.connect(lambda text: self.status.setText(f"The batch stopped: {text}"))
        worker.cancelled.connect(lambda: self.status.setText("Batch cancelled; unfinished files stay queued."))
        worker.finished.connect(self._on_finished)
        self.table.setRowCount(0)
        self.rows.clear()
        self.row_data.clear()
        self.summary = None
        self.start_btn.setEnabled(False)
        self.pause_btn.setEnabled(True)
        self.cancel_btn.setEnabled(True)
        self.status.setText("Listing and hashing the files…")
        self._handle = start_worker(worker, "batch")

    def set_paused(self, paused: bool) -> None:
        if self._handle is not None:
            self._handle.worker.set_paused(paused)
            self.pause_btn.setText("Resume" if paused else "Pause")
            self.status.setText("Paused: the files being screened finish, no new ones start." if paused
                                else "Resumed.")

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self.status.setText("Cancelling…")
            self.cancel_btn.setEnabled(False)

    def _set_row(self, row: dict) -> None:
        r = self.rows.get(row["file"])
        if r is None:
            r = self.table.rowCount()
            self.table.insertRow(r)
            self.rows[row["file"]] = r
        self.row_data[r] = row
        prob = row.get("probability")
        values = (row["file"], row.get("patient", ""), row.get("status", ""),
                  row.get("result", "") if row.get("status") in ("done", "error") else "",
                  f"{float(prob):.2f}" if prob not in ("", None) else "", _followed(row), row.get("error", ""))
        for c, value in enumerate(values):
            self.table.setItem(r, c, QTableWidgetItem(str(value)))

    def _on_event(self, ev) -> None:
        if ev.kind == "planned":
            for row in ev.rows:
                self._set_row(row)
        elif ev.row is not None:
            self._set_row(ev.row)
        self.progress.setRange(0, max(1, ev.total))
        self.progress.setValue(ev.done)
        tally = " · ".join(f"{k} {v}" for k, v in ev.tally.items())
        self.status.setText(f"{ev.done}/{ev.total} — {tally}" + (f" — {ev.message}" if ev.message else ""))

    def _on_summary(self, summary) -> None:
        self.summary = summary
        tally = " · ".join(f"{k} {v}" for k, v in summary.tally.items())
        self.status.setText(f"Finished: {summary.done} done, {summary.failed} failed of {summary.total} "
                            f"({summary.seconds:.0f} s). {tally}")
        self.batch_finished.emit(summary)

    def _on_finished(self) -> None:
        self._handle = None
        for row in list(self.row_data.values()):  # cancelled in flight: back in the queue, as in the job table
            if row.get("status") == "running":
                self._set_row({**row, "status": "queued"})
        self.start_btn.setEnabled(True)
        self.pause_btn.setChecked(False)
        self.pause_btn.setEnabled(False)
        self.cancel_btn.setEnabled(False)

    def open_row(self, r: int) -> bool:
        """Ask the main window to show this row's recorded visit (finished rows only)."""
        row = self.row_data.get(r)
        if not row or row.get("visit_id") in ("", None):
            return False
        path = (self._folder / row["file"]) if self._folder else Path(row["file"])
        self.open_requested.emit({**row, "path": str(path)})
        return True

    def closeEvent(self, event) -> None:  # noqa: N802
        if self._handle is not None:
            self._handle.stop(30000)
        super().closeEvent(event)


def _followed(row: dict) -> str:
    """Whom the row's analysis followed: the track (``#N``) when a subject was chosen or several
    people were in view, with the subject asked for when it was not the walker."""
    track, asked = str(row.get("followed_track") or ""), str(row.get("subject") or "")
    if asked and asked != "auto":
        return f"{track} (asked {asked})" if track else f"asked {asked}"
    return track


def show_row_in_window(window, row: dict) -> bool:
    """Open a finished batch row's recorded visit in the main window, as History does: its video
    with the skeleton (the skeleton alone for a pose-sequence file), the stored result, the
    Save button for its note and Export report. True once opened."""
    window.raise_()
    window.activateWindow()
    if not window.records.open_visit(int(row["visit_id"])):
        return False
    window.stage.setText(f"Batch result of {Path(row['path']).name} (visit {row['visit_id']}"
                         + (f", patient {row['patient']}" if row.get("patient") else "")
                         + "); a changed note is saved to this visit.")
    return True
