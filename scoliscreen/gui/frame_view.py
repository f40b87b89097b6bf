"""The video surface: paints the current frame letterboxed, with the skeleton overlay."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from scoliscreen.core.landmarks import MP_EDGES
from scoliscreen.gui.style import confidence_color

SKELETON_COLOR = QColor(0, 229, 255)


class FrameView(QWidget):
    """Shows a ``QImage``; optional skeleton (``landmarks`` [33,4], x/y normalised to the image)
    and landmark-confidence colouring; a big centred message (countdown, hints)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setAutoFillBackground(False)
        self.image: QImage | None = None
        self.landmarks: np.ndarray | None = None
        self.show_skeleton = True
        self.show_confidence = False
        self.message = ""
        self.badge = ""  # small text top-left, e.g. "REC" or "LIVE"
        self.paint_count = 0

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def set_landmarks(self, landmarks) -> None:
        self.landmarks = None if landmarks is None else np.asarray(landmarks, dtype=np.float32)
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def image_rect(self) -> QRectF:
        """Where the image is drawn (aspect kept, centred)."""
        if self.image is None or self.image.isNull():
            return QRectF(self.rect())
        iw, ih = self.image.width(), self.image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 26, 31))
        rect = self.image_rect()
        if self.image is not None and not self.image.isNull():
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(rect, self.image)
            if self.show_skeleton and self.landmarks is not None:
                self._paint_skeleton(p, rect)
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
            p.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawLine(pts[a], pts[b])
        r = width * 1.3
        p.setPen(QPen(QColor(20, 20, 20), 1))
        for i in range(11, 33):  # body landmarks (face points would clutter)
            if not ok[i]:
                continue
            p.setBrush(confidence_color(vis[i]) if self.show_confidence else QColor(255, 255, 255))
            p.drawEllipse(pts[i], r, r)
