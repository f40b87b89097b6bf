"""Result panel: the screening verdict, the quality gate, the knowledge map with per-region
attention (bars and body diagram), and the clinical text."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout, QGridLayout, QGroupBox, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget,
)

from scoliscreen import DISCLAIMER
from scoliscreen.gui.knowledge_map_view import KnowledgeMapView
from scoliscreen.core import outcome_words as words
from scoliscreen.core.outcome_words import WINDOW_WORDS
from scoliscreen.gui.regions_view import BodyDiagram, RegionBars, region_why
from scoliscreen.gui.style import MUTED, NOT_SCREENED, RE_RECORD, VERDICT_COLOURS, WARN


def band_text(band: str) -> str:
    """"10-25" -> "10–25°", "<10" -> "< 10°", ">=40" -> "≥ 40°"."""
    b = str(band or "–").strip()
    if b.startswith(">="):
        return f"≥ {b[2:]}°"
    if b.startswith("<"):
        return f"< {b[1:]}°"
    if "-" in b:
        lo, hi = b.split("-", 1)
        return f"{lo}–{hi}°"
    return b


def _norms_text(analysis) -> str:
    """The plain comparison with healthy walkers (the report's words), or "" without a map."""
    km = analysis.knowledge_map
    if km is None:
        return ""
    from scoliscreen.core.norms import plain_summary

    medians = km.to_dict().get("medians") or {}
    lines = plain_summary(medians, km.view)
    return " ".join([lines[0], *(x[:1].upper() + x[1:] for x in lines[1:])])


class ResultPanel(QWidget):
    """Signals: ``seek_requested(seconds)`` (knowledge-map click), ``model_card_requested()``."""

    seek_requested = Signal(float)
    model_card_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.analysis = None
        # ---- verdict ----
        verdict_box = QGroupBox("Screening result")
        self.verdict = QLabel("No analysis yet")
        self.verdict.setObjectName("verdict")
        self.verdict.setStyleSheet(f"color: {MUTED};")
        self.probability = QLabel("")
        self.why = QLabel("")  # the per-region "why", visible with the verdict (issue 24 A.7)
        self.why.setWordWrap(True)
        self.norms = QLabel("")  # the shown measures against healthy walkers (core/norms.py), issue 20 §3
        self.norms.setWordWrap(True)
        self.norms.setAccessibleName("Compared with healthy walkers")
        self.cobb = QLabel("")
        self.model_line = QLabel("")
        self.model_line.setObjectName("muted")
        self.card_btn = QPushButton("Model card…")
        self.card_btn.setToolTip("What the model was trained on, how well it did, and its limits")
        self.card_btn.clicked.connect(self.model_card_requested)
        disclaimer = QLabel(DISCLAIMER)
        disclaimer.setObjectName("disclaimer")
        disclaimer.setWordWrap(True)  # never cut to "not a diagnos"
        self.disclaimer = disclaimer
        self.stale_label = QLabel("Notes changed since this result: the description and the screening "
                                  "are being updated with them.")
        self.stale_label.setWordWrap(True)
        self.stale_label.hide()
        grid = QGridLayout(verdict_box)
        self.verdict.setWordWrap(True)
        self.probability.setWordWrap(True)
        self.probability.setTextFormat(Qt.TextFormat.RichText)  # escaped text and <b> alike
        self.cobb.setWordWrap(True)
        self.model_line.setWordWrap(True)
        grid.addWidget(self.verdict, 0, 0, 1, 3)
        grid.addWidget(self.probability, 1, 0, 1, 3)
        grid.addWidget(self.why, 2, 0, 1, 3)
        grid.addWidget(self.norms, 7, 0, 1, 3)
        grid.addWidget(self.cobb, 3, 0, 1, 3)
        grid.addWidget(self.stale_label, 4, 0, 1, 3)
        grid.addWidget(self.model_line, 5, 0, 1, 2)
        grid.addWidget(self.card_btn, 5, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(disclaimer, 6, 0, 1, 3)
        grid.setColumnStretch(0, 1)
        # ---- quality ----
        self.quality = QLabel("")
        self.quality.setWordWrap(True)
        self.quality.setTextFormat(Qt.TextFormat.RichText)
        self.quality.setContentsMargins(8, 0, 8, 0)
        self.quality.hide()
        # ---- map + regions ----
        map_box = QGroupBox("Knowledge map and the model's attention")
        self.map_view = KnowledgeMapView()
        self.map_view.seek_requested.connect(self.seek_requested)
        self.bars = RegionBars()
        self.body = BodyDiagram()
        # the map takes the full width; the region bars and the body diagram sit side by side
        # below it (never on top of each other, at any window size: the panel scrolls instead)
        bars_col = QVBoxLayout()
        title = QLabel("Attention per body region")
        title.setStyleSheet("font-weight: 600;")
        bars_col.addWidget(title)
        bars_col.addWidget(self.bars)
        bars_col.addStretch(1)
        regions = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.regions_layout = regions  # bars beside the body; stacked when the panel is narrow
        regions.addLayout(bars_col, 1)
        regions.addWidget(self.body)
        self.map_layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, map_box)
        self.map_layout.addWidget(self.map_view, 1)
        self.map_layout.addLayout(regions)
        # ---- text ----
        text_box = QGroupBox("Clinical description (from the map)")
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setMinimumHeight(90)
        QVBoxLayout(text_box).addWidget(self.text)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(verdict_box)
        layout.addWidget(self.quality)
        layout.addWidget(map_box, 5)
        layout.addWidget(text_box, 1)
        self.boxes = (verdict_box, self.quality, map_box, text_box)

    NARROW_PX = 420  # below this width the body diagram goes under the region bars
    WIDE_PX = 1000  # from this width the region bars and the body sit beside the map, not below it

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        wide = self.width() >= self.WIDE_PX
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.map_layout.direction() != direction:
            self.map_layout.setDirection(direction)
        narrow = self.width() < self.NARROW_PX
        stacked = QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        if self.regions_layout.direction() != stacked:
            self.regions_layout.setDirection(stacked)

    # ---- filling -----------------------------------------------------------------------------
    def clear(self) -> None:
        self.analysis = None
        self.verdict.setText("No analysis yet")
        self.verdict.setStyleSheet(f"color: {MUTED};")
        for w in (self.probability, self.why, self.cobb, self.model_line):
            w.setText("")
        self.quality.hide()
        self.map_view.set_map(None)
        self.bars.set_weights(None)
        self.body.set_weights(None)
        self.body.set_view("front")
        self.text.clear()
        self.stale_label.hide()

    def show_quality(self, report) -> None:
        """Show the quality gate's verdict and reasons (a ``QualityReport``; before the model runs)."""
        reasons = report.reasons
        usable = report.usable
        if usable and not reasons:
            self.quality.hide()
            return
        color = WARN if usable else RE_RECORD
        head = ("Recording usable, with caveats:" if usable
                else "This recording cannot be screened:")
        items = "".join(
            f"<li><b>{'Warning' if r.level == 'warn' else 'Refused'}:</b> "
            f"{html.escape(r.message)}</li>" for r in reasons
        )
        self.quality.setText(f"<div style='color:{color}'><b>{head}</b><ul style='margin:2px'>{items}</ul></div>")
        self.quality.show()
        if not usable:
            self.verdict.setText(WINDOW_WORDS[words.RE_RECORD] + " (not screened)")
            self.verdict.setStyleSheet(f"color: {RE_RECORD};")

    def show_analysis(self, analysis) -> None:
        """Fill everything from an ``Analysis`` (screening is None when the gate refused)."""
        self.analysis = analysis
        self.show_quality(analysis.quality)
        s = analysis.screening
        seq = analysis.sequence
        offset = float(seq.timestamps_ms[0]) / 1000.0 if seq is not None and len(seq) else 0.0
        self.map_view.set_map(analysis.knowledge_map, s.region_window_weights if s else None, offset,
                              s.window_times_s if s else None, clip_s=(0.0, analysis.duration_s))
        self.text.setPlainText(analysis.clinical_text.text if analysis.clinical_text is not None else "")
        self.body.set_view(analysis.quality.view)
        self.norms.setText(_norms_text(analysis))
        problem = analysis.screening_error
        if s is None and problem:
            self.verdict.setText("Not screened — model unavailable")
            self.verdict.setStyleSheet(f"color: {NOT_SCREENED};")
            self.probability.setText(html.escape(problem))
        if s is None:
            self.why.setText("")
            self.bars.set_weights(None)
            self.body.set_weights(None)
            return
        word = words.verdict_of_label(s.label)
        self.verdict.setText(WINDOW_WORDS[word])
        self.verdict.setStyleSheet(f"color: {VERDICT_COLOURS[word]};")
        rerec, inconc = words.split_reasons(s.reasons)
        if word == words.RE_RECORD:  # a recording problem: what to change
            self.probability.setText(html.escape("; ".join(rerec) + ". " + words.RE_RECORD_ADVICE))
        elif word == words.INCONCLUSIVE:  # a good recording the model cannot call
            self.probability.setText(html.escape("; ".join(inconc) + ". " + words.INCONCLUSIVE_ADVICE))
        else:
            setting = words.setting_words(s.referral_setting)
            self.probability.setText(
                f"Estimated chance of scoliosis (Cobb ≥ 10°): <b>{s.probability:.1%}</b>"
                + (f"<br><span style='color:{MUTED}'>{html.escape(setting)}</span>" if setting else ""))
        cobb_line = words.cobb_words(s.label, s.cobb_estimate, list(s.cobb_interval), s.severity_band)
        self.cobb.setText(html.escape(cobb_line))
        self.model_line.setText(f"Model {s.model_version} on {s.device}")
        weights = dict(s.region_weights)
        self.why.setText(region_why(weights))
        self.bars.set_weights(weights)
        self.body.set_weights(weights)
