""""How the model does on our children": what ``validate-local`` gives, in a dialog.

It runs :class:`scoliscreen.workers.local_validation.LocalValidationWorker` (the active model
re-screens each counted visit) and shows its result: N children and positives, the figures with
their 95 % CIs beside the model card's (labelled "simulated"), a calibration plot, the too-few-
positives line, the verification-bias note, and "Export PDF…" (``core/report/local_validation``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
    QLineEdit, QProgressBar, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from scoliscreen import DISCLAIMER
from scoliscreen.core.report.local_validation import ROWS
from scoliscreen.core.report.local_validation import ci_text as _ci_text
from scoliscreen.core.store_outcomes import OUTCOME_SOURCES
from scoliscreen.gui.style import ACCENT, MUTED, POSITIVE
from scoliscreen.workers.base import start_worker

TITLE = "How the model does on our children"
COLUMNS = ("Figure", "Our children (95 % CI)", "Model card (simulated)")


def ci_text(f: object) -> str:
    """The report's figure text (core/report/local_validation.ci_text) with an en dash."""
    return _ci_text(f, "–")


class CalibrationPlot(pg.PlotWidget):
    """Stated chance (x) against the observed share (y), both in %, dot size by the number of visits."""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.setMinimumSize(300, 260)
        self.setMenuEnabled(False)
        self.hideButtons()
        item = self.getPlotItem()
        item.setLabel("bottom", "Stated chance of Cobb ≥ 10°", units="%")
        item.setLabel("left", "Observed share with scoliosis", units="%")
        item.showGrid(x=True, y=True, alpha=0.25)
        for ax in ("left", "bottom"):
            item.getAxis(ax).setTextPen("k")
            item.getAxis(ax).setPen("k")
        self.setXRange(0, 100, padding=0.04)
        self.setYRange(0, 100, padding=0.04)
        self.setAccessibleName("Calibration plot")
        self.bins: list[dict] = []

    def set_bins(self, bins: list[dict]) -> None:
        self.clear()
        self.bins = [b for b in bins if b.get("n")]
        self.plot([0, 100], [0, 100], pen=pg.mkPen("#999", style=Qt.PenStyle.DashLine))  # perfect calibration
        if not self.bins:
            self.setTitle("no visit with a stated chance", color=MUTED)
            return
        self.setTitle(None)
        x = np.array([100 * b["mean_prob"] for b in self.bins], float)
        y = np.array([100 * b["observed"] for b in self.bins], float)
        size = np.array([8 + min(22.0, 3 * math.sqrt(b["n"])) for b in self.bins])
        self.plot(x, y, pen=pg.mkPen(ACCENT, width=1), symbol="o", symbolSize=size, symbolBrush=ACCENT,
                  symbolPen="k")
        self.setAccessibleDescription("; ".join(f"stated {a:.0f}%, observed {o:.0f}% (n={b['n']})"
                                                for a, o, b in zip(x, y, self.bins)))


class LocalValidationDialog(QDialog):
    """Compute and show the local validation of the model at ``model_dir`` (None: the shipped one)
    on the records at ``db_path``. ``result``: the last figures (the ``validate-local --json`` dict)."""

    def __init__(self, db_path: str | Path, *, model_dir=None, device: str = "auto", model_name: str = "",
                 parent=None, n_boot: int = 1000):
        super().__init__(parent)
        self.db_path, self.model_dir, self.device, self.n_boot = Path(db_path), model_dir, device, n_boot
        self.result: dict | None = None
        self.handle = None
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)
        self.resize(900, 760)
        heading = QLabel(f"<h2>{TITLE}</h2>")
        self.model_line = QLabel(f"Model: {model_name or 'the active model'} · {DISCLAIMER}")
        self.model_line.setObjectName("disclaimer")
        self.model_line.setWordWrap(True)
        # ---- what to count ----
        self.sources: dict[str, QCheckBox] = {}
        opts = QHBoxLayout()
        opts.addWidget(QLabel("Outcomes from:"))
        for s in OUTCOME_SOURCES:
            box = QCheckBox(s)
            box.setChecked(True)
            box.setAccessibleName(f"Count {s} outcomes")
            self.sources[s] = box
            opts.addWidget(box)
        self.unit = QComboBox()
        self.unit.addItem("first screened visit per child", False)
        self.unit.addItem("all visits (children resampled)", True)
        self.unit.setAccessibleName("Visits counted")
        self.since = QLineEdit()
        self.since.setPlaceholderText("since YYYY-MM-DD (optional)")
        self.since.setAccessibleName("Count visits since this date, optional")
        self.since.setMaximumWidth(200)
        opts.addWidget(self.unit)
        opts.addWidget(self.since)
        opts.addStretch(1)
        self.run_btn = QPushButton("&Compute")
        self.run_btn.setObjectName("primary")
        self.run_btn.setAccessibleName("Compute the figures")
        self.run_btn.clicked.connect(self.start)
        self.cancel_btn = QPushButton("Cance&l")
        self.cancel_btn.setAccessibleName("Cancel the computation")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel)
        self.export_btn = QPushButton("&Export PDF…")
        self.export_btn.setAccessibleName("Export the figures as a PDF")
        self.export_btn.setEnabled(False)
        self.export_btn.clicked.connect(self.export_with_dialog)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setAccessibleName("Progress: visits screened again")
        run_row = QHBoxLayout()
        for w in (self.run_btn, self.cancel_btn):
            run_row.addWidget(w)
        run_row.addWidget(self.progress, 1)
        run_row.addWidget(self.export_btn)
        # ---- the result ----
        self.status = QLabel("Press Compute: each counted visit is screened again by the model (a few seconds each).")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        self.counts.setAccessibleName("Children counted")
        self.conclusion = QLabel("")
        self.conclusion.setWordWrap(True)
        self.conclusion.setStyleSheet(f"color: {POSITIVE}; font-weight: 700;")
        self.conclusion.setAccessibleName("Conclusion")
        self.table = QTableWidget(len(ROWS), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Figures: our children against the model card (simulated)")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for r, (_key, name) in enumerate(ROWS):
            self.table.setItem(r, 0, QTableWidgetItem(name))
        height = self.table.verticalHeader().length() + self.table.horizontalHeader().height() + 6
        self.table.setMinimumHeight(height)
        self.table.setMaximumHeight(height)
        self.plot = CalibrationPlot()
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {MUTED};")
        self.note.setAccessibleName("Verification bias")
        left = QVBoxLayout()
        left.addWidget(self.table)
        left.addWidget(self.note)
        left.addStretch(1)
        middle = QHBoxLayout()
        middle.addLayout(left, 3)
        middle.addWidget(self.plot, 2)
        layout = QVBoxLayout(self)
        for w in (heading, self.model_line):
            layout.addWidget(w)
        layout.addLayout(opts)
        layout.addLayout(run_row)
        for w in (self.status, self.counts, self.conclusion):
            layout.addWidget(w)
        layout.addLayout(middle, 1)
        self.ask_pdf_path: Callable[[], str | None] = self._ask_pdf_path  # tests replace it
        self.run_btn.setFocus()

    # ---- computing ---------------------------------------------------------------------------------
    def chosen_sources(self) -> tuple[str, ...]:
        return tuple(s for s, box in self.sources.items() if box.isChecked())

    def start(self) -> bool:
        from scoliscreen.workers.local_validation import LocalValidationWorker

        if self.handle is not None:
            return False
        sources = self.chosen_sources()
        if not sources:
            self.status.setText("Tick at least one outcome source.")
            return False
        worker = LocalValidationWorker(self.db_path, model_dir=self.model_dir, device=self.device, sources=sources,
                                       since=self.since.text().strip() or None,
                                       all_visits=bool(self.unit.currentData()), n_boot=self.n_boot)
        worker.progress.connect(self._on_progress)
        worker.result.connect(self.show_result)
        worker.error.connect(self._on_error)
        worker.cancelled.connect(lambda: self.status.setText("Cancelled."))
        worker.finished.connect(self._on_finished)
        self.status.setText("Screening the visits with an outcome again…")
        self.run_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.progress.setRange(0, 0)
        self.handle = start_worker(worker, "local-validation")
        return True

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.status.setText("Cancelling…")

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.status.setText(f"Screening the visits with an outcome again… {done} of {total}")
        else:
            self.progress.setRange(0, 0)

    def _on_error(self, text: str) -> None:
        self.status.setText(text)

    def _on_finished(self) -> None:
        self.handle = None
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if self.result is not None else 0)
        self.run_btn.setEnabled(True)
        self.cancel_btn.setEnabled(False)
        self.run_btn.setFocus()

    # ---- showing -----------------------------------------------------------------------------------
    def show_result(self, res: dict) -> None:
        """Show a ``validate_local`` result (also used directly with figures computed elsewhere)."""
        self.result = res
        kind = "shipped model" if res.get("model_is_shipped") else "local model"
        self.model_line.setText(f"Model: {res['model_version']} ({kind}) · {DISCLAIMER}")
        self.status.setText(f"Counted: {res['unit']}; outcomes from {', '.join(res['sources'])}"
                            + (f"; visits from {res['since']} on" if res.get("since") else "") + ".")
        self.counts.setText(f"<b>{res['n_children']} children, {res['n_positive_children']} of them with scoliosis "
                            f"(Cobb 10° or more), {res['n_visits']} visits.</b>")
        self.conclusion.setText(str(res.get("conclusion") or ""))
        self.conclusion.setVisible(bool(res.get("conclusion")))
        card = res.get("card") or {}
        for r, (key, _name) in enumerate(ROWS):
            self.table.setItem(r, 1, QTableWidgetItem(ci_text(res["figures"].get(key))))
            self.table.setItem(r, 2, QTableWidgetItem(ci_text(card.get(key))))
        self.plot.set_bins(list(res.get("calibration") or []))
        note = str(res.get("verification_note") or "")
        skipped = res.get("skipped_without_pose") or []
        if skipped:
            note += f"\nLeft out: {len(skipped)} visit(s) without a stored pose sequence."
        self.note.setText(note)
        self.export_btn.setEnabled(True)

    def table_text(self) -> list[tuple[str, str, str]]:
        return [tuple(self.table.item(r, c).text() if self.table.item(r, c) else "" for c in range(3))
                for r in range(self.table.rowCount())]  # type: ignore[misc]

    # ---- export ------------------------------------------------------------------------------------
    def _ask_pdf_path(self) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Export PDF", str(Path.home() / "local_validation.pdf"),
                                              "PDF (*.pdf)")
        return path or None

    def export_with_dialog(self) -> Path | None:
        path = self.ask_pdf_path()
        return self.export_pdf(path) if path else None

    def export_pdf(self, out: str | Path) -> Path | None:
        from scoliscreen.core.errors import ScoliScreenError
        from scoliscreen.core.report.local_validation import write_local_validation

        if self.result is None:
            return None
        out = Path(out)
        if out.suffix.lower() != ".pdf":
            out = out.with_suffix(".pdf")
        try:
            written = write_local_validation(self.result, out)
        except (ScoliScreenError, OSError) as exc:
            self.status.setText(f"The PDF could not be written: {exc}")
            return None
        self.status.setText(f"PDF written to {written}.")
        return written

    def shutdown(self) -> None:
        if self.handle is not None:
            self.handle.stop(30000)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.shutdown()
        super().closeEvent(event)

