"""Look of the app: one palette, fonts and the per-region colours used everywhere."""

from __future__ import annotations

from PySide6.QtGui import QColor

from scoliscreen.core.report.pdf import VERDICT_COLOURS as _REPORT_RGB

ACCENT = "#1f6feb"
MUTED = "#5f6b7a"
PANEL_BG = "#f6f8fa"

# One colour language for the four outcomes (docs/colours.md). Their one source is the report's
# table (core/report/pdf.py, Qt-free), so the window and the PDF say the same thing in the same
# colour. Only "refer" is red: a recording to redo, or a result the model could not give, is not
# a positive screen.
VERDICT_COLOURS = {word: "#{:02x}{:02x}{:02x}".format(*rgb) for word, rgb in _REPORT_RGB.items()}
POSITIVE = VERDICT_COLOURS["refer"]
NEGATIVE = VERDICT_COLOURS["no referral"]
RE_RECORD = VERDICT_COLOURS["re-record"]
INCONCLUSIVE = VERDICT_COLOURS["inconclusive"]
NOT_SCREENED = VERDICT_COLOURS["not screened"]
WARN = RE_RECORD  # quality caveats share the re-record amber
STALE_STYLE = ("color: #7a4b00; background: #fff4d6; border: 1px dashed #b9770e; border-radius: 4px;"
               " padding: 2px 6px;")

STYLESHEET = f"""
QMainWindow, QDialog {{ background: white; }}
QWidget {{ font-size: 10.5pt; }}
QGroupBox {{ font-weight: 600; border: 1px solid #d0d7de; border-radius: 6px; margin-top: 10px;
             padding: 8px 6px 6px 6px; background: {PANEL_BG}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: #24292f; }}
QPushButton {{ padding: 4px 12px; border: 1px solid #d0d7de; border-radius: 5px; background: #ffffff; }}
QPushButton:hover {{ background: #eef2f6; }}
QPushButton:disabled {{ color: #9aa4ae; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT}; font-weight: 600; }}
QPushButton#primary:disabled {{ background: #9dbcf0; border-color: #9dbcf0; }}
QLabel#disclaimer {{ color: #7a4b00; background: #fff4d6; border: 1px solid #f0d58c; border-radius: 4px;
                     padding: 2px 8px; font-weight: 600; }}
QLabel#verdict {{ font-size: 17pt; font-weight: 700; }}
QLabel#muted {{ color: {MUTED}; }}
QFrame#patientBar {{ background: {PANEL_BG}; border-bottom: 1px solid #d0d7de; }}
"""

# one colour per body region, in scoliscreen.core.landmarks.REGIONS order
REGION_COLORS = {
    "head_neck": "#8e44ad",
    "shoulder_girdle": "#2e86c1",
    "trunk_spine": "#c0392b",
    "pelvis": "#d68910",
    "left_arm": "#16a085",
    "right_arm": "#27ae60",
    "left_leg": "#5d6d7e",
    "right_leg": "#34495e",
}


def weight_color(w: float, w_max: float = 1.0) -> QColor:
    """White -> orange -> deep red as a region weight goes 0 -> w_max (body diagram, bars)."""
    t = 0.0 if w_max <= 0 else max(0.0, min(1.0, w / w_max))
    stops = [(0.0, (236, 240, 244)), (0.5, (245, 176, 65)), (1.0, (176, 30, 30))]
    for (t0, c0), (t1, c1) in zip(stops, stops[1:]):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return QColor(*[int(round(a + f * (b - a))) for a, b in zip(c0, c1)])
    return QColor(*stops[-1][1])


def confidence_color(v: float) -> QColor:
    """Landmark visibility 0..1 -> red .. amber .. green."""
    v = max(0.0, min(1.0, float(v)))
    if v < 0.5:
        return QColor(220, int(60 + 300 * v), 40)
    return QColor(int(220 - 360 * (v - 0.5)), 200, 60)
