"""What a screened visit turned out to be, in History: the selected visit's outcomes (radiograph,
scoliometer, Adams, clinical), "Add outcome…" (a dialog) and "Remove outcome…".

Everything goes through the store (``Store.add_outcome`` / ``remove_outcome``: validated and
audited); a removed outcome is only marked removed. :func:`install_outcomes` adds the box under
History's visit table and an "Add outcome…" action to the table's context menu, so
``history_panel.py`` itself needs no change.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox,
    QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMessageBox, QPushButton, QRadioButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout,
)

from scoliscreen.core.errors import ScoliScreenError
from scoliscreen.core.store_outcomes import OUTCOME_CLASSES, OUTCOME_SOURCES, best_outcome
from scoliscreen.gui.style import MUTED, POSITIVE

SOURCE_NAMES = {"radiograph": "Radiograph (Cobb angle)", "scoliometer": "Scoliometer",
                "adams": "Adams forward-bend test", "clinical": "Clinical judgement"}
CLASS_NAMES = {"negative": "negative (no curve)", "neutral": "neutral (a curve under 10°)",
               "positive": "positive (scoliosis, Cobb 10° or more)"}
OUTCOME_COLUMNS = ("Source", "Result", "ATR", "Observed", "Note", "Entered")
ADD_SHORTCUT = QKeySequence("Ctrl+Shift+O")


def _number(text: str, what: str) -> float | None:
    """A number typed in a box ("" -> None); a comma works as the decimal mark."""
    text = text.strip().replace(",", ".").rstrip("°").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ScoliScreenError(f"{what}: enter a number of degrees (for example 12), not {text!r}.") from None
    if not math.isfinite(value):
        raise ScoliScreenError(f"{what}: enter a number of degrees (for example 12), not {text!r}.")
    return value


def outcome_result_text(o: dict) -> str:
    return f"Cobb {o['cobb']:g}°" if o.get("cobb") is not None else f"class {o.get('class') or '?'}"


class OutcomeDialog(QDialog):
    """Enter one outcome for a visit. OK saves it through ``store.add_outcome``; bad input shows one
    clear message in the dialog and saves nothing. ``outcome``: the saved row once accepted."""

    def __init__(self, store, visit_id: int, visit_text: str = "", parent=None):
        super().__init__(parent)
        self.store, self.visit_id = store, int(visit_id)
        self.outcome: dict | None = None
        self.setWindowTitle("Add outcome")
        self.setAccessibleName("Add outcome")
        intro = QLabel(f"What did this visit turn out to be? {visit_text}".strip())
        intro.setWordWrap(True)
        self.source = QComboBox()
        for code in OUTCOME_SOURCES:
            self.source.addItem(SOURCE_NAMES[code], code)
        self.source.setAccessibleName("Outcome source")
        self.by_cobb = QRadioButton("&Cobb angle (degrees)")
        self.by_class = QRadioButton("Cl&ass")
        self.by_cobb.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_cobb)
        group.addButton(self.by_class)
        self.cobb = QLineEdit()
        self.cobb.setPlaceholderText("e.g. 14")
        self.cobb.setAccessibleName("Cobb angle in degrees")
        self.klass = QComboBox()
        for code in OUTCOME_CLASSES:
            self.klass.addItem(CLASS_NAMES[code], code)
        self.klass.setAccessibleName("Outcome class")
        self.atr = QLineEdit()
        self.atr.setPlaceholderText("optional, degrees (scoliometer)")
        self.atr.setAccessibleName("Angle of trunk rotation in degrees, optional")
        self.date = QLineEdit()
        self.date.setPlaceholderText("optional, YYYY-MM-DD")
        self.date.setAccessibleName("Date observed, optional, year-month-day")
        self.note = QLineEdit()
        self.note.setPlaceholderText("optional (kept in the records, never exported)")
        self.note.setAccessibleName("Note, optional")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {POSITIVE}; font-weight: 600;")
        self.message.setAccessibleName("Problem with the outcome")
        self.message.hide()
        for radio in (self.by_cobb, self.by_class):
            radio.toggled.connect(self._sync)
            radio.setAccessibleName(radio.text().replace("&", ""))
        form = QFormLayout()
        form.addRow("&Source", self.source)
        form.addRow(self.by_cobb, self.cobb)
        form.addRow(self.by_class, self.klass)
        form.addRow("Angle of &trunk rotation", self.atr)
        form.addRow("&Date observed", self.date)
        form.addRow("&Note", self.note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setAccessibleName("Save outcome")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._sync()
        self.source.setFocus()

    def _sync(self) -> None:
        self.cobb.setEnabled(self.by_cobb.isChecked())
        self.klass.setEnabled(self.by_class.isChecked())

    def values(self) -> dict:
        """The typed values as ``add_outcome`` keywords; ``ScoliScreenError`` (one sentence) when bad."""
        cobb = klass = None
        if self.by_cobb.isChecked():
            cobb = _number(self.cobb.text(), "Cobb angle")
            if cobb is None:
                raise ScoliScreenError("Enter the Cobb angle in degrees, or choose Class instead.")
        else:
            klass = str(self.klass.currentData())
        date = self.date.text().strip()
        if date:
            try:
                day = dt.date.fromisoformat(date)
            except ValueError:
                raise ScoliScreenError(f"Date observed: write it as YYYY-MM-DD (for example 2026-05-02), "
                                       f"not {date!r}.") from None
            if day > dt.date.today():
                raise ScoliScreenError(f"Date observed: {date} is in the future.")
        return {"source": str(self.source.currentData()), "cobb": cobb, "klass": klass,
                "atr": _number(self.atr.text(), "Angle of trunk rotation"), "observed_on": date or None,
                "note": self.note.text().strip()}

    def show_problem(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def save(self) -> None:
        try:
            v = self.values()
            self.outcome = self.store.add_outcome(self.visit_id, v.pop("source"), **v)
        except ScoliScreenError as exc:
            self.show_problem(str(exc)[:1].upper() + str(exc)[1:])
            return
        self.accept()


class VisitOutcomes(QGroupBox):
    """The selected visit's outcomes with Add / Remove. ``changed()`` after every saved change."""

    changed = Signal()

    def __init__(self, store_getter: Callable, parent=None):
        super().__init__("Outcome of the visit", parent)
        self._store_getter = store_getter
        self.visit: dict | None = None
        self.rows: list[dict] = []
        self.setAccessibleName("Outcomes of the selected visit")
        self.hint = QLabel("Select one visit to see or add what it turned out to be.")
        self.hint.setStyleSheet(f"color: {MUTED};")
        self.hint.setWordWrap(True)
        self.table = QTableWidget(0, len(OUTCOME_COLUMNS))
        self.table.setHorizontalHeaderLabels(OUTCOME_COLUMNS)
        self.table.setAccessibleName("Outcomes of the selected visit")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (keyboard use)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumHeight(120)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.add_btn = QPushButton("Add o&utcome…")
        self.add_btn.setAccessibleName("Add outcome")
        self.add_btn.setToolTip(f"Record what this visit turned out to be ({ADD_SHORTCUT.toString()})")
        self.add_btn.clicked.connect(self.add_outcome)
        self.remove_btn = QPushButton("Re&move outcome…")
        self.remove_btn.setAccessibleName("Remove outcome")
        self.remove_btn.setToolTip("Mark the selected outcome removed (kept in the records and the audit log)")
        self.remove_btn.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_btn)
        buttons.addWidget(self.remove_btn)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        # tests replace these two (no modal dialogs offscreen)
        self.confirm: Callable[[str], bool] = self._confirm
        self.run_dialog: Callable[[OutcomeDialog], bool] = lambda d: d.exec() == QDialog.DialogCode.Accepted
        self.set_visit(None)

    def set_visit(self, visit: dict | None) -> None:
        self.visit = visit
        store = self._store_getter()
        self.rows = store.outcomes(visit_id=visit["id"]) if visit is not None and store is not None else []
        counts = best_outcome(self.rows)
        self.table.setRowCount(len(self.rows))
        for r, o in enumerate(self.rows):
            cells = (SOURCE_NAMES.get(o["source"], o["source"]), outcome_result_text(o),
                     "–" if o.get("atr") is None else f"{o['atr']:g}°", o.get("observed_on") or "–",
                     o.get("note") or "", str(o.get("created_at") or "")[:10])
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if counts is not None and o["id"] == counts["id"]:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                    item.setToolTip("This outcome counts for the visit (the most trusted source, the latest)")
                self.table.setItem(r, c, item)
        if visit is None:
            self.setTitle("Outcome of the visit")
            self.hint.setText("Select one visit to see or add what it turned out to be.")
        else:
            day = str(visit.get("visited_at") or "")[:10]
            self.setTitle(f"Outcome of the visit of {day}")
            self.hint.setText("No outcome recorded yet." if not self.rows else
                              "The outcome in bold counts: the most trusted source (radiograph, then scoliometer, "
                              "Adams, clinical), the latest of it.")
        self._update_buttons()

    def refresh(self) -> None:
        self.set_visit(self.visit)

    def _update_buttons(self) -> None:
        self.add_btn.setEnabled(self.visit is not None)
        self.remove_btn.setEnabled(bool(self.table.selectionModel().selectedRows()))

    def selected_outcome(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def add_outcome(self) -> dict | None:
        store = self._store_getter()
        if self.visit is None or store is None:
            return None
        who = self.visit.get("pseudonym") or ""
        text = f"(visit of {str(self.visit.get('visited_at') or '')[:10]}{', ' + who if who else ''})"
        dialog = OutcomeDialog(store, self.visit["id"], text, self)
        self.last_dialog = dialog
        if not self.run_dialog(dialog) or dialog.outcome is None:
            return None
        self.refresh()
        self.changed.emit()
        return dialog.outcome

    def remove_selected(self) -> bool:
        o = self.selected_outcome()
        store = self._store_getter()
        if o is None or store is None:
            return False
        if not self.confirm(f"Remove the {o['source']} outcome ({outcome_result_text(o)})? It stays in the "
                            "records, marked removed, and is no longer counted."):
            return False
        try:
            store.remove_outcome(int(o["id"]))
        except ScoliScreenError as exc:
            self.hint.setText(str(exc))
            return False
        self.refresh()
        self.changed.emit()
        return True

    def _confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Remove outcome", text)
        return answer == QMessageBox.StandardButton.Yes


def install_outcomes(history, store_getter: Callable) -> VisitOutcomes:
    """Put a :class:`VisitOutcomes` box under ``history``'s visit table (a ``HistoryPanel``), follow
    its selection, and add "Add outcome…" (Ctrl+Shift+O) to the table's context menu."""
    box = VisitOutcomes(store_getter)
    table = history.table
    holder = table.parentWidget()
    layout = holder.layout() if holder is not None else None
    (layout if layout is not None else history.layout()).addWidget(box)

    def follow() -> None:
        try:
            ids = history.selected_ids()
        except RuntimeError:  # the panel is being destroyed
            return
        visit = next((v for v in history.visits if v["id"] == ids[0]), None) if len(ids) == 1 else None
        if visit is not None and history.patient:
            visit = {**visit, "pseudonym": history.patient.get("pseudonym")}
        if visit != box.visit:
            box.set_visit(visit)

    table.itemSelectionChanged.connect(follow)
    act = QAction("Add o&utcome…", table)
    act.setShortcut(ADD_SHORTCUT)
    act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    act.triggered.connect(lambda: (follow(), box.add_outcome()))
    table.addAction(act)
    if table.contextMenuPolicy() == Qt.ContextMenuPolicy.DefaultContextMenu:
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    history.outcomes = box
    history.add_outcome_action = act
    follow()
    return box


__all__ = ["OutcomeDialog", "VisitOutcomes", "install_outcomes"]
