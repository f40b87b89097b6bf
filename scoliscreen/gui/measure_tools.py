"""Measurement tools on a paused frame (Kinovea's core): a line (tilt from horizontal, e.g.
shoulder or pelvic obliquity) and an angle (three points, vertex in the middle).

:class:`MeasureOverlay` is a transparent child laid over a :class:`~scoliscreen.gui.frame_view.FrameView`:
while a tool is armed it takes the clicks, converts them to video pixels (``FrameView.image_rect``)
and emits ``measured(dict)`` once the tool has its points; otherwise it lets every mouse event
through. It draws the finished measurements of the frame on screen and the one in progress.
The value is computed by the store's own formula (``core.store_history.measure``), so the
number on screen is the number saved and printed on the report.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from scoliscreen.core.store_history import measure

TOOL_POINTS = {"line": 2, "angle": 3}
TOOL_COLOR = QColor(255, 214, 0)
TOOL_HINT = {"line": "Line: click two points (e.g. both shoulders or both hip bones).",
             "angle": "Angle: click three points, the vertex second."}


def value_text(kind: str, value: float) -> str:
    if kind == "line":
        side = "right end higher" if value > 0 else "left end higher" if value < 0 else "level"
        return f"{abs(value):.1f}° from horizontal ({side})"
    return f"{value:.1f}°"


def short_text(kind: str, value: float) -> str:
    """The label drawn on the frame: "tilt 11.3° (right up)" / "158.1°"."""
    if kind == "line":
        side = " (right up)" if value > 0 else " (left up)" if value < 0 else ""
        return f"tilt {abs(value):.1f}°{side}"
    return f"{value:.1f}°"


class MeasureOverlay(QWidget):
    """Signals: ``measured(dict)`` with kind, points (video pixels), value, unit, frame_index."""

    measured = Signal(dict)

    def __init__(self, view):
        super().__init__(view)
        self.view = view
        self.tool: str | None = None
        self.points: list[tuple[float, float]] = []
        self.shown: list[dict] = []       # measurements drawn on this frame
        self.selected = -1                # index in ``shown`` of the one Delete removes (the last drawn)
        self.frame_index: int | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.setGeometry(view.rect())
        view.installEventFilter(self)
        self.show()

    # ---- state ---------------------------------------------------------------------------
    def arm(self, tool: str | None) -> None:
        """Arm ``"line"`` / ``"angle"`` (or None to stop); clicks then go to the tool."""
        self.tool = tool if tool in TOOL_POINTS else None
        self.points = []
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, self.tool is None)
        self.setCursor(Qt.CursorShape.CrossCursor if self.tool else Qt.CursorShape.ArrowCursor)
        self.update()

    def set_frame(self, index: int | None, measurements: list[dict]) -> None:
        """The frame on screen and the stored measurements drawn on it."""
        if index != self.frame_index:
            self.points = []
        self.frame_index = index
        self.shown = [m for m in measurements if m.get("frame_index") == index]
        self.selected = len(self.shown) - 1
        self.update()

    def selected_measurement(self) -> dict | None:
        """The measurement Delete removes: the last one drawn on this frame (highlighted)."""
        return self.shown[self.selected] if 0 <= self.selected < len(self.shown) else None

    def cancel(self) -> bool:
        """Drop the points of a line/angle in progress; True when there were any."""
        had = bool(self.points)
        self.points = []
        self.update()
        return had

    # ---- coordinates -----------------------------------------------------------------------
    def to_video(self, pos: QPointF) -> tuple[float, float] | None:
        img = self.view.image
        if img is None or img.isNull():
            return None
        r = self.view.image_rect()
        if not r.contains(pos):
            return None
        return ((pos.x() - r.x()) * img.width() / r.width(), (pos.y() - r.y()) * img.height() / r.height())

    def to_widget(self, pt) -> QPointF:
        img, r = self.view.image, self.view.image_rect()
        return QPointF(r.x() + pt[0] * r.width() / img.width(), r.y() + pt[1] * r.height() / img.height())

    # ---- events ------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if obj is self.view and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.view.rect())
        return False

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.tool is None or event.button() != Qt.MouseButton.LeftButton:
            return
        pt = self.to_video(event.position())
        if pt is None:
            return
        self.points.append(pt)
        if len(self.points) == TOOL_POINTS[self.tool]:
            kind, pts = self.tool, [list(p) for p in self.points]
            self.points = []
            self.measured.emit({"kind": kind, "points": pts, "value": measure(kind, pts), "unit": "deg",
                                "frame_index": self.frame_index})
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        img = self.view.image
        if img is None or img.isNull():
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(TOOL_COLOR, 2.5)
        p.setFont(QFont(self.font().family(), 10, QFont.Weight.Bold))
        for i, m in enumerate(self.shown):
            if i == self.selected:  # what Delete removes: a white halo under the tool colour
                self._draw(p, QPen(QColor(255, 255, 255), 6), m["kind"], m["points"], None)
            self._draw(p, pen, m["kind"], m["points"], m.get("value"))
        if self.points:
            self._draw(p, QPen(TOOL_COLOR, 2, Qt.PenStyle.DashLine), self.tool or "line", self.points, None)
        p.end()

    def _draw(self, p: QPainter, pen: QPen, kind: str, points, value) -> None:
        pts = [self.to_widget(pt) for pt in points]
        p.setPen(pen)
        for a, b in zip(pts, pts[1:]):
            p.drawLine(a, b)
        p.setBrush(TOOL_COLOR)
        for q in pts:
            p.drawEllipse(q, 4, 4)
        if value is not None and len(pts) >= 2:
            anchor = pts[1] if kind == "angle" else (pts[0] + pts[1]) / 2
            text = short_text(kind, float(value))
            width = p.fontMetrics().horizontalAdvance(text)
            at = anchor + QPointF(8, -8)
            if at.x() + width > self.width() - 4:  # keep the label inside the picture
                at.setX(max(4.0, anchor.x() - 8 - width))
            at.setY(max(float(p.fontMetrics().ascent()) + 2, at.y()))
            p.setPen(QColor(0, 0, 0))
            p.drawText(at + QPointF(1, 1), text)
            p.setPen(TOOL_COLOR)
            p.drawText(at, text)


class MeasureBar(QWidget):
    """A row under the video: Line / Angle tool buttons and what the last measurement said."""

    tool_changed = Signal(object)
    delete_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.line_btn = QPushButton("Line")
        self.line_btn.setToolTip("Tilt from horizontal on the paused frame (shoulder or pelvic obliquity)")
        self.angle_btn = QPushButton("Angle")
        self.angle_btn.setToolTip("An angle from three points on the paused frame (vertex second)")
        for b, tool in ((self.line_btn, "line"), (self.angle_btn, "angle")):
            b.setCheckable(True)
            b.toggled.connect(lambda on, t=tool: self._toggled(t, on))
        self.delete_btn = QPushButton("Delete")
        self.delete_btn.setToolTip("Delete the highlighted measurement of this frame (Delete key); "
                                   "Esc cancels a line or angle being drawn")
        self.delete_btn.setEnabled(False)
        self.delete_btn.clicked.connect(self.delete_requested)
        self.line_btn.setAccessibleName("Measure a line (tilt from horizontal)")
        self.angle_btn.setAccessibleName("Measure an angle")
        self.delete_btn.setAccessibleName("Delete the highlighted measurement")
        self.status = QLabel("")  # what the tool wants / measured; shown in the window's status bar
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Measure:"))
        row.addWidget(self.line_btn)
        row.addWidget(self.angle_btn)
        row.addWidget(self.delete_btn)
        row.addStretch(1)
        self.set_enabled(False)

    def _toggled(self, tool: str, on: bool) -> None:
        other = self.angle_btn if tool == "line" else self.line_btn
        if on:
            other.blockSignals(True)
            other.setChecked(False)
            other.blockSignals(False)
            self.status.setText(TOOL_HINT[tool])
        elif not other.isChecked():
            self.status.setText("")
        self.tool_changed.emit(tool if on else (None if not other.isChecked() else self.tool()))

    def tool(self) -> str | None:
        return "line" if self.line_btn.isChecked() else "angle" if self.angle_btn.isChecked() else None

    def release(self) -> None:
        """Un-arm both tools."""
        for b in (self.line_btn, self.angle_btn):
            b.setChecked(False)

    def set_enabled(self, on: bool) -> None:
        for b in (self.line_btn, self.angle_btn):
            b.setEnabled(on)
        if not on:
            self.release()
