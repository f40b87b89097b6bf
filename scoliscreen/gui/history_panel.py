"""History: a searchable patient list, one child's visits, and the trend of the screening
probability and the Cobb estimate (with its interval) over age.

The panel only reads the store (``store_getter()`` returns the window's open ``Store``, used on
the GUI thread); it asks for actions through signals: ``open_requested(visit_id)``,
``compare_requested(a, b)`` (a = the earlier visit), ``export_requested(visit_id)``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from scoliscreen.core.constants import POSITIVE_COBB
from scoliscreen.core.outcome_words import RE_RECORD as RE_RECORD_WORD
from scoliscreen.core.outcome_words import cobb_shown, verdict_of_label
from scoliscreen.gui.style import MUTED, POSITIVE, VERDICT_COLOURS, WARN

VISIT_COLUMNS = ("Date and time", "Age", "Verdict", "Probability", "Cobb estimate", "Video", "Notes")
NOTE_CHARS = 60  # of a visit's note in the History table (the whole note in its tooltip)


def visit_time(iso: str | None) -> str:
    """A stored UTC time as local "YYYY-MM-DD HH:MM" (same-day visits told apart)."""
    from datetime import datetime, timezone

    if not iso:
        return "–"
    try:
        t = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)[:16]
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone().strftime("%Y-%m-%d %H:%M")


def verdict_word(visit: dict) -> tuple[str, str]:
    """(verdict word, colour) of a visit row: the words of core/outcome_words.py, in the one colour
    language (docs/colours.md)."""
    word = RE_RECORD_WORD if not visit.get("usable") else verdict_of_label(visit.get("label"))
    return word, VERDICT_COLOURS[word]


def _num(v, fmt: str, none: str = "–") -> str:
    return none if v is None or (isinstance(v, float) and not math.isfinite(v)) else fmt.format(v)


def cobb_text(v: dict) -> str:
    """The Cobb cell: shown only where the answer and its interval allow it (outcome_words.cobb_shown)."""
    lo, hi = v.get("cobb_low"), v.get("cobb_high")
    if not v.get("usable") or not cobb_shown(v.get("label"), v.get("cobb_estimate"), [lo, hi]):
        return "not estimated"
    return f"{_num(v.get('cobb_estimate'), '{:.0f}°')} ({lo:.0f}–{hi:.0f}°)"


class TrendPlot(pg.GraphicsLayoutWidget):
    """Two linked plots over age: probability of Cobb ≥ 10° (with the referral threshold) and the
    Cobb estimate with its interval (error bars + band) and the 10° line."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setBackground("w")
        self.setMinimumHeight(220)
        self.prob = self.addPlot(row=0, col=0)
        self.cobb = self.addPlot(row=1, col=0)
        self.prob.setLabel("left", "P(Cobb ≥ 10°)", units="%")
        self.cobb.setLabel("left", "Cobb estimate", units="°")
        self.cobb.setLabel("bottom", "Age at visit (years, ±0.5)")
        self.cobb.setXLink(self.prob)
        for plot in (self.prob, self.cobb):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            for ax in ("left", "bottom"):
                plot.getAxis(ax).setTextPen("k")
                plot.getAxis(ax).setPen("k")
            plot.getAxis("left").setWidth(62)
        self.points: list[dict] = []
        self.has_interval = False

    def set_trend(self, rows: list[dict], threshold: float | None = None) -> None:
        """``rows``: ``Store.trend`` rows (visits without an age or probability are skipped)."""
        self.prob.clear()
        self.cobb.clear()
        self.points = [r for r in rows if r.get("age") is not None and r.get("probability") is not None]
        if threshold is not None:
            self.prob.addItem(pg.InfiniteLine(threshold * 100, angle=0, pen=pg.mkPen(WARN, style=Qt.PenStyle.DashLine),
                                              label="referral threshold", labelOpts={"color": WARN, "position": 0.1}))
        self.cobb.addItem(pg.InfiniteLine(POSITIVE_COBB, angle=0, pen=pg.mkPen(POSITIVE, style=Qt.PenStyle.DashLine),
                                          label=f"{POSITIVE_COBB:.0f}°", labelOpts={"color": POSITIVE, "position": 0.05}))
        if not self.points:
            self.prob.setTitle("no screened visit yet", color=MUTED)
            return
        self.prob.setTitle(None)
        age = np.array([r["age"] for r in self.points], dtype=float)
        prob = np.array([r["probability"] for r in self.points], dtype=float) * 100
        brushes = [pg.mkBrush(VERDICT_COLOURS[verdict_of_label(r.get("label"))]) for r in self.points]
        self.prob.plot(age, prob, pen=pg.mkPen("#555", width=1.5), symbol="o", symbolSize=10,
                       symbolBrush=brushes, symbolPen="k")
        self.prob.setYRange(0, 100, padding=0.05)
        est = np.array([np.nan if r.get("cobb_estimate") is None else r["cobb_estimate"] for r in self.points])
        lo = np.array([e if r.get("cobb_low") is None else r["cobb_low"] for r, e in zip(self.points, est)])
        hi = np.array([e if r.get("cobb_high") is None else r["cobb_high"] for r, e in zip(self.points, est)])
        ok = np.isfinite(est)
        has_iv = ok & (hi > lo)
        self.has_interval = bool(has_iv.any())
        self.cobb.setTitle(None if self.has_interval or not ok.any() else
                           "this model gives no interval for its Cobb estimate", color=MUTED, size="9pt")
        if ok.any():
            if has_iv.sum() >= 2:
                upper = self.cobb.plot(age[has_iv], hi[has_iv], pen=None)
                lower = self.cobb.plot(age[has_iv], lo[has_iv], pen=None)
                self.cobb.addItem(pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(60, 110, 200, 50)))
            if self.has_interval:
                self.cobb.addItem(pg.ErrorBarItem(x=age[has_iv], y=est[has_iv], top=(hi - est)[has_iv],
                                                  bottom=(est - lo)[has_iv], beam=0.08,
                                                  pen=pg.mkPen("#3a5fa0", width=1.5)))
            self.cobb.plot(age[ok], est[ok], pen=pg.mkPen("#3a5fa0", width=1.5), symbol="s", symbolSize=9,
                           symbolBrush="#3a5fa0", symbolPen="k")
            top = float(np.nanmax(hi[ok]))
            self.cobb.setYRange(0, max(top, POSITIVE_COBB) * 1.15, padding=0)
        span = max(1.0, float(age.max() - age.min()))
        self.prob.setXRange(age.min() - 0.15 * span, age.max() + 0.15 * span, padding=0)


class HistoryPanel(QWidget):
    """Signals: ``open_requested(int)``, ``compare_requested(int, int)``, ``export_requested(int)``."""

    open_requested = Signal(int)
    compare_requested = Signal(int, int)
    export_requested = Signal(int)

    def __init__(self, store_getter, parent=None):
        super().__init__(parent)
        self._store_getter = store_getter
        self.patient: dict | None = None
        self.visits: list[dict] = []
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search patients (pseudonym, school, class)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.reload)
        self.patients = QListWidget()
        self.patients.currentItemChanged.connect(self._on_patient)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("<b>Patients</b>"))
        ll.addWidget(self.search)
        ll.addWidget(self.patients, 1)

        self.title = QLabel("Choose a patient to see their visits.")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(VISIT_COLUMNS))
        self.table.setHorizontalHeaderLabels(VISIT_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.cellDoubleClicked.connect(lambda row, _c: self.open_requested.emit(self.visits[row]["id"]))
        self.open_btn = QPushButton("Open in result view")
        self.open_btn.clicked.connect(lambda: self._emit_one(self.open_requested))
        self.compare_btn = QPushButton("Compare two visits")
        self.compare_btn.setToolTip("Select two visits (Ctrl+click); with one selected, it is compared "
                                    "with the visit before it")
        self.compare_btn.clicked.connect(self.request_compare)
        self.export_btn = QPushButton("Export report…")
        self.export_btn.clicked.connect(lambda: self._emit_one(self.export_requested))
        buttons = QHBoxLayout()
        for b in (self.open_btn, self.compare_btn, self.export_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.trend = TrendPlot()
        right = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.title)
        tl.addWidget(self.table, 1)
        tl.addLayout(buttons)
        right.addWidget(top)
        right.addWidget(self.trend)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setSizes([260, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(split)
        self._update_buttons()

    # ---- filling -----------------------------------------------------------------------------
    def reload(self, *_args) -> None:
        """Re-read the patient list (keeps the selected patient when it still matches)."""
        store = self._store_getter()
        keep = self.patient["id"] if self.patient else None
        self.patients.blockSignals(True)
        self.patients.clear()
        if store is not None:
            for p in store.list_patients(self.search.text().strip()):
                last = (p.get("last_visit") or "")[:10]
                item = QListWidgetItem(f"{p['pseudonym']}  ·  {p.get('visit_count') or 0} visits"
                                       + (f", last {last}" if last else ""))
                item.setData(Qt.ItemDataRole.UserRole, p)
                self.patients.addItem(item)
                if p["id"] == keep:
                    self.patients.setCurrentItem(item)
        self.patients.blockSignals(False)
        current = self.patients.currentItem()
        self.show_patient(current.data(Qt.ItemDataRole.UserRole) if current else None)

    def select_patient(self, patient_id: int) -> bool:
        for i in range(self.patients.count()):
            if self.patients.item(i).data(Qt.ItemDataRole.UserRole)["id"] == patient_id:
                self.patients.setCurrentRow(i)
                return True
        return False

    def _on_patient(self, current, _previous) -> None:
        self.show_patient(current.data(Qt.ItemDataRole.UserRole) if current else None)

    def show_patient(self, patient: dict | None) -> None:
        store = self._store_getter()
        self.patient = patient
        self.visits = store.patient_visits(patient["id"]) if patient and store is not None else []
        self.table.setRowCount(len(self.visits))
        from scoliscreen.app.visits import visit_note

        for row, v in enumerate(self.visits):
            word, colour = verdict_word(v)
            note = visit_note(store.notes(v["id"]))[1] if store is not None else ""
            one_line = " ".join(note.split())
            cells = (visit_time(v.get("visited_at")), _num(v.get("age"), "{:.1f}"), word,
                     _num(v.get("probability"), "{:.0%}"), cobb_text(v), "yes" if v.get("video") else "–",
                     one_line if len(one_line) <= NOTE_CHARS else one_line[:NOTE_CHARS - 1] + "…")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 2:
                    item.setForeground(pg.mkColor(colour))
                if col == len(cells) - 1 and note:
                    item.setToolTip(note)
                self.table.setItem(row, col, item)
        if patient is None:
            self.title.setText("Choose a patient to see their visits.")
        else:
            born = f", born {patient['birth_year']}" if patient.get("birth_year") else ""
            self.title.setText(f"<b>{patient['pseudonym']}</b>{born} · {len(self.visits)} visit(s)")
        threshold = next((v.get("threshold") for v in reversed(self.visits) if v.get("threshold") is not None), None)
        self.trend.set_trend(store.trend(patient["id"]) if patient and store is not None else [], threshold)
        if self.visits:
            self.table.selectRow(len(self.visits) - 1)
        self._update_buttons()

    # ---- selection -> actions -------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.visits[r]["id"] for r in rows if r < len(self.visits)]

    def select_visits(self, ids: list[int]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for r, v in enumerate(self.visits):
            if v["id"] in ids:
                self.table.selectRow(r)
        self.table.setSelectionMode(mode)

    def _update_buttons(self) -> None:
        n = len(self.selected_ids())
        self.open_btn.setEnabled(n == 1)
        self.export_btn.setEnabled(n == 1)
        self.compare_btn.setEnabled(len(self.visits) >= 2 and n in (1, 2))

    def _emit_one(self, signal) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            signal.emit(ids[0])

    def compare_pair(self) -> tuple[int, int] | None:
        """(earlier, later) of the two selected visits, or the selected one and the one before it."""
        ids = self.selected_ids()
        order = [v["id"] for v in self.visits]
        if len(ids) == 2:
            a, b = sorted(ids, key=order.index)
            return a, b
        if len(ids) == 1 and len(order) >= 2:
            i = order.index(ids[0])
            return (order[i - 1], order[i]) if i > 0 else (order[0], order[1])
        return None

    def request_compare(self) -> None:
        pair = self.compare_pair()
        if pair is not None:
            self.compare_requested.emit(*pair)
