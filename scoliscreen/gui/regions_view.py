"""Per-region attention weights: a bar per body region, and a body diagram coloured by weight."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from scoliscreen.core.landmarks import REGION_IDS, REGION_NAMES
from scoliscreen.gui.style import MUTED, weight_color


def region_why(weights: dict[str, float] | None, top: int = 3) -> str:
    """One line under the verdict: the body regions the model relied on most (its "why"),
    e.g. "The model relied most on: Pelvis 31 %, Trunk/spine 22 %, Shoulder girdle 15 %"."""
    if not weights:
        return ""
    ranked = sorted(weights.items(), key=lambda kv: kv[1], reverse=True)[:top]
    parts = ", ".join(f"{REGION_NAMES.get(r, r)} {100 * float(w):.0f} %" for r, w in ranked)
    return f"The model relied most on: {parts} (where it looked, not where a curve is)"


class RegionBars(QWidget):
    """Horizontal bar per region (fixed REGIONS order), value printed as a percentage."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.weights: dict[str, float] = {}
        self.setMinimumSize(190, 8 * 22 + 10)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def set_weights(self, weights: dict[str, float] | None) -> None:
        self.weights = {k: float(v) for k, v in (weights or {}).items()}
        tip = "\n".join(f"{REGION_NAMES[r]}: {self.weights.get(r, 0.0):.1%}" for r in REGION_IDS)
        self.setToolTip("Share of the model's attention per body region\n" + tip if self.weights else "")
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        row = (self.height() - 6) / len(REGION_IDS)
        label_w = 104
        bar_w = max(10.0, self.width() - label_w - 52)
        w_max = max(self.weights.values(), default=0.0)
        font = QFont(self.font())
        font.setPointSizeF(9.5)
        p.setFont(font)
        top = max(self.weights, key=self.weights.get) if self.weights else None
        for i, rid in enumerate(REGION_IDS):
            y = 3 + i * row
            w = self.weights.get(rid, 0.0)
            bold = QFont(font)
            bold.setBold(rid == top)
            p.setFont(bold)
            p.setPen(QColor("#24292f"))
            p.drawText(QRectF(0, y, label_w - 6, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       REGION_NAMES[rid])
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#e6eaef"))
            p.drawRoundedRect(QRectF(label_w, y + row * 0.2, bar_w, row * 0.6), 3, 3)
            if self.weights and w_max > 0:
                p.setBrush(weight_color(w, w_max))
                p.drawRoundedRect(QRectF(label_w, y + row * 0.2, bar_w * w / w_max, row * 0.6), 3, 3)
                p.setPen(QColor(MUTED))
                p.drawText(QRectF(label_w + bar_w + 4, y, 48, row), Qt.AlignmentFlag.AlignVCenter, f"{w:.0%}")
        p.end()


# Body diagram geometry (front view, the subject facing us: their left on our right).
# Points in a 100 x 200 box.
_P = {
    "head": (50, 18), "neck": (50, 36), "l_sh": (68, 42), "r_sh": (32, 42),
    "l_el": (76, 72), "r_el": (24, 72), "l_wr": (80, 100), "r_wr": (20, 100),
    "mid_sh": (50, 42), "mid_hip": (50, 102), "l_hip": (61, 104), "r_hip": (39, 104),
    "l_kn": (63, 146), "r_kn": (37, 146), "l_an": (64, 188), "r_an": (36, 188),
}
_SEGMENTS = {
    "head_neck": [("head", "neck")],
    "shoulder_girdle": [("r_sh", "l_sh")],
    "trunk_spine": [("neck", "mid_hip"), ("l_sh", "l_hip"), ("r_sh", "r_hip")],
    "pelvis": [("r_hip", "l_hip")],
    "left_arm": [("l_sh", "l_el"), ("l_el", "l_wr")],
    "right_arm": [("r_sh", "r_el"), ("r_el", "r_wr")],
    "left_leg": [("l_hip", "l_kn"), ("l_kn", "l_an")],
    "right_leg": [("r_hip", "r_kn"), ("r_kn", "r_an")],
}


VIEW_CAPTIONS = {"front": "front view", "back": "back view", "side": "side view", "unknown": "view unknown"}


class BodyDiagram(QWidget):
    """A schematic body, seen as in the clip (front: the child's left on our right; back: on our
    left), whose segments are coloured by their region's weight."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.weights: dict[str, float] = {}
        self.view = "front"
        self.setMinimumSize(130, 200)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)

    def set_view(self, view: str | None) -> None:
        """"front", "back", "side" or "unknown" (the quality gate's guess for the clip)."""
        self.view = view if view in VIEW_CAPTIONS else "unknown"
        self.update()

    def mirrored(self) -> bool:
        """Seen from behind, the child's left side is on our left: the front drawing mirrored."""
        return self.view == "back"

    def side_labels(self) -> tuple[str, str]:
        """(our left, our right) side labels: the child's sides as placed in the drawing."""
        if self.view == "side":
            return "", ""
        return ("L", "R") if self.mirrored() else ("R", "L")

    def caption(self) -> str:
        left, right = self.side_labels()
        words = VIEW_CAPTIONS[self.view]
        return f"{left}  ·  {words}  ·  {right}" if left else words

    def set_weights(self, weights: dict[str, float] | None) -> None:
        self.weights = {k: float(v) for k, v in (weights or {}).items()}
        self.update()

    def region_color(self, region: str) -> QColor:
        w_max = max(self.weights.values(), default=0.0)
        if not self.weights:
            return QColor("#c9d1d9")
        return weight_color(self.weights.get(region, 0.0), w_max)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        scale = min((self.width() - 8) / 100, (self.height() - 22) / 200)
        ox = (self.width() - 100 * scale) / 2
        oy = 4

        flip = self.mirrored()

        def pt(name):
            x, y = _P[name]
            return QPointF(ox + (100 - x if flip else x) * scale, oy + y * scale)

        width = max(5.0, 9 * scale)
        for region, segs in _SEGMENTS.items():
            color = self.region_color(region)
            p.setPen(QPen(color, width if region != "trunk_spine" else width * 1.2,
                          Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            for a, b in segs:
                p.drawLine(pt(a), pt(b))
        p.setPen(QPen(QColor("#57606a"), 1.2))
        p.setBrush(self.region_color("head_neck"))
        r = 11 * scale
        p.drawEllipse(pt("head"), r, r * 1.15)
        p.setPen(QColor(MUTED))
        f = QFont(self.font())
        f.setPointSizeF(8)
        p.setFont(f)
        p.drawText(QRectF(0, self.height() - 16, self.width(), 14), Qt.AlignmentFlag.AlignCenter,
                   self.caption())
        p.end()
