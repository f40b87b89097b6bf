"""The video surface: paints the current frame letterboxed, with the skeleton overlay; zoom
(wheel, pinch, +/-) about a point and pan (drag) so a child 100 px tall can be looked at closely."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from scoliscreen.core.landmarks import MP_EDGES
from scoliscreen.gui.style import confidence_color

SKELETON_COLOR = QColor(0, 229, 255)
MAX_ZOOM = 8.0


class FrameView(QWidget):
    """Shows a ``QImage``; optional skeleton (``landmarks`` [33,4], x/y normalised to the image)
    and landmark-confidence colouring; a big centred message (countdown, hints).
    ``clicked(x, y)``: a left click (not a drag) on the picture, x/y as fractions of the image."""

    clicked = Signal(float, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 80)  # a 1280x720 screen at 150 % leaves little height
        self.setAutoFillBackground(False)
        self.image: QImage | None = None
        self.landmarks: np.ndarray | None = None
        self.show_skeleton = True
        self.show_confidence = False
        self.message = ""
        self.badge = ""  # small text top-left, e.g. "REC" or "LIVE"
        self.paint_count = 0
        self.zoom = 1.0
        self.pan = QPointF(0.0, 0.0)  # offset of the image centre, widget pixels
        self._drag_from: QPointF | None = None
        self._press_at: QPointF | None = None
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setToolTip("Wheel or +/- to zoom, drag to pan, 0 to fit")

    # ---- zoom and pan ------------------------------------------------------------------------
    def zoom_by(self, factor: float, about: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the image point under ``about`` (default: the centre) still."""
        new = float(np.clip(self.zoom * factor, 1.0, MAX_ZOOM))
        if new == self.zoom:
            return
        about = about if about is not None else QPointF(self.width() / 2, self.height() / 2)
        centre = QPointF(self.width() / 2, self.height() / 2) + self.pan
        f = new / self.zoom
        self.pan = about + (centre - about) * f - QPointF(self.width() / 2, self.height() / 2)
        self.zoom = new
        self._clamp_pan()
        self.update()

    def reset_zoom(self) -> None:
        self.zoom, self.pan = 1.0, QPointF(0.0, 0.0)
        self.update()

    def _clamp_pan(self) -> None:
        r = self._fit_rect()
        mx = max(0.0, (r.width() * self.zoom - self.width()) / 2)
        my = max(0.0, (r.height() * self.zoom - self.height()) / 2)
        self.pan = QPointF(float(np.clip(self.pan.x(), -mx, mx)), float(np.clip(self.pan.y(), -my, my)))

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt API
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25 ** steps, event.position())
        event.accept()

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.NativeGesture and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
            self.zoom_by(1.0 + event.value(), event.position())  # trackpad pinch
            return True
        return super().event(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_at = event.position()
        if event.button() == Qt.MouseButton.LeftButton and self.zoom > 1.0:
            self._drag_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._drag_from is not None:
            self.pan += event.position() - self._drag_from
            self._drag_from = event.position()
            self._clamp_pan()
            self.update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt API
        at, self._press_at = self._press_at, None
        if at is not None and event.button() == Qt.MouseButton.LeftButton and self.image is not None:
            d = event.position() - at
            r = self.image_rect()
            if abs(d.x()) + abs(d.y()) <= 6 and r.width() > 0 and r.height() > 0:
                x = (event.position().x() - r.x()) / r.width()
                y = (event.position().y() - r.y()) / r.height()
                if 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0:
                    self.clicked.emit(float(x), float(y))
        self._drag_from = None
        self.unsetCursor()
        super().mouseReleaseEvent(event)

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def set_landmarks(self, landmarks) -> None:
        self.landmarks = None if landmarks is None else np.asarray(landmarks, dtype=np.float32)
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def _fit_rect(self) -> QRectF:
        if self.image is None or self.image.isNull():
            return QRectF(self.rect())
        iw, ih = self.image.width(), self.image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def image_rect(self) -> QRectF:
        """Where the image is drawn (aspect kept, centred at zoom 1; zoomed and panned)."""
        r = self._fit_rect()
        w, h = r.width() * self.zoom, r.height() * self.zoom
        cx, cy = self.width() / 2 + self.pan.x(), self.height() / 2 + self.pan.y()
        return QRectF(cx - w / 2, cy - h / 2, w, h)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 26, 31))
        rect = self.image_rect()
        if self.image is not None and not self.image.isNull():
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(rect, self.image)
            if self.show_skeleton and self.landmarks is not None:
                self._paint_skeleton(p, rect)
        if self.show_confidence and self.landmarks is not None:
            self._paint_confidence_legend(p)
        if self.zoom > 1.0:
            p.setPen(QColor(230, 230, 230))
            p.setFont(QFont(self.font().family(), 9))
            p.drawText(QRectF(0, 8, self.width() - 12, 20), Qt.AlignmentFlag.AlignRight, f"zoom {self.zoom:.1f}×")
        if self.badge:
            p.setPen(QColor(255, 80, 80) if self.badge.startswith("REC") else QColor(230, 230, 230))
            p.setFont(QFont(self.font().family(), 11, QFont.Weight.Bold))
            p.drawText(QRectF(12, 8, 300, 24), Qt.AlignmentFlag.AlignLeft, self.badge)
        if self.message:
            p.setPen(QColor(255, 255, 255))
            size = 64 if len(self.message) <= 2 else 14
            p.setFont(QFont(self.font().family(), size, QFont.Weight.Bold))
            p.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
        p.end()
        self.paint_count += 1

    def _paint_confidence_legend(self, p: QPainter) -> None:
        """Legend of the confidence colours, on a dark box so it reads on any background."""
        items = (("low", 0.1), ("medium", 0.5), ("high", 0.95))
        p.setFont(QFont(self.font().family(), 8))
        fm = p.fontMetrics()
        head = "landmark confidence:"
        widths = [fm.horizontalAdvance(name) + 26 for name, _ in items]
        box = QRectF(8, self.height() - 30, fm.horizontalAdvance(head) + 20 + sum(widths), 22)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 170))
        p.drawRoundedRect(box, 4, 4)
        p.setPen(QColor(240, 240, 240))
        p.drawText(box.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, head)
        x = box.x() + fm.horizontalAdvance(head) + 20
        for (name, v), step in zip(items, widths):
            p.setPen(QPen(QColor(20, 20, 20), 1))
            p.setBrush(confidence_color(v))
            p.drawEllipse(QPointF(x, box.center().y()), 5, 5)
            p.setPen(QColor(240, 240, 240))
            p.drawText(QRectF(x + 8, box.y(), step, box.height()), Qt.AlignmentFlag.AlignVCenter, name)
            x += step

    def _paint_skeleton(self, p: QPainter, rect: QRectF) -> None:
        lm = self.landmarks
        if lm.ndim != 2 or lm.shape[0] < 33:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pts = [QPointF(rect.x() + x * rect.width(), rect.y() + y * rect.height()) for x, y in lm[:, :2]]
        ok = np.isfinite(lm[:, :2]).all(axis=1)
        vis = np.nan_to_num(lm[:, 3], nan=0.0)
        width = max(2.0, rect.height() / 180)
        for a, b in MP_EDGES:
            if not (ok[a] and ok[b]):
                continue
            color = confidence_color(min(vis[a], vis[b])) if self.show_confidence else SKELETON_COLOR
            if self.show_confidence:  # a dark edge so green reads on grass
                p.setPen(QPen(QColor(0, 0, 0, 200), width + 2.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
                p.drawLine(pts[a], pts[b])
            p.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawLine(pts[a], pts[b])
        r = width * 1.3
        p.setPen(QPen(QColor(20, 20, 20), 1))
        for i in range(11, 33):  # body landmarks (face points would clutter)
            if not ok[i]:
                continue
            p.setBrush(confidence_color(vis[i]) if self.show_confidence else QColor(255, 255, 255))
            p.drawEllipse(pts[i], r, r)
