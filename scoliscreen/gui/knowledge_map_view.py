"""The kinematic knowledge map as a heatmap (features grouped by region × time windows), with a
colour bar, hover read-out (feature, value, unit, normal range), the model's attention over
regions × time below it, and click-to-seek.

Colours show how far each value lies from its feature's normal range: 0 inside the range,
±1 one half-range beyond it (features without a range: robust z-score over the clip).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QLabel, QToolTip, QVBoxLayout, QWidget

from scoliscreen.core.constants import TARGET_FPS, WINDOW_FRAMES
from scoliscreen.core.landmarks import REGION_IDS, REGION_NAMES
from scoliscreen.core.report.images import DEVIATION_LIMIT, deviation

SHORT_REGION = {"head_neck": "Head", "shoulder_girdle": "Shoulders", "trunk_spine": "Trunk", "pelvis": "Pelvis",
                "left_arm": "L arm", "right_arm": "R arm", "left_leg": "L leg", "right_leg": "R leg"}
UNUSED_BRUSH = (120, 120, 120, 70)  # parts of the clip the map, the text and the model did not use
HEATMAP_MIN_PX = 230  # the heatmap plot never collapses (146 rows, grouped by region)
COLOURBAR_LABEL = "outside normal (half-ranges)"  # short: never cut on a small screen
LEGEND = ("Colour: how far a measure lies outside its normal range, in half-widths of the range "
          "(white = inside, red = above, blue = below; measures without a published range: spread "
          "within this clip). Attention strip: darker red = more of the model's attention.")
UNIT_WORDS = {"deg": "degrees", "TL": "trunk lengths", "r": "(correlation, −1 to 1)", "s": "s", "%": "%",
              "TL/s": "trunk lengths per second", "deg/s": "degrees per second", "steps/min": "steps per minute"}
_WORDS = {"deg": "", "pct": "", "spm": "", "r": "correlation", "vel": "rate of change", "zero": "at zero lag",
          "larm": "left arm", "rarm": "right arm", "lleg": "left leg", "rleg": "right leg", "asym": "asymmetry",
          "diff": "difference", "s": "", "range": "range", "lag": "lag", "max": "peak", "rom": "range of motion",
          "lr": "left vs right", "rot": "rotation"}


_SUFFIXES = (("_zero_r", "correlation at zero lag"), ("_peak_r", "peak correlation"), ("_max_r", "peak correlation"), ("_lag_s", "time lag"),
             ("_r", "correlation"))


def plain_label(feat) -> str:
    """A plain-language name for a catalogue feature (never its code name)."""
    name, tail = feat.name, ""
    for suffix, words in _SUFFIXES:
        if name.endswith(suffix):
            name, tail = name[: -len(suffix)], words
            break
    words = [_WORDS.get(t, t) for t in name.split("_")]
    text = " ".join(w for w in words if w).strip()
    text = f"{text} — {tail}" if tail else text
    return text[:1].upper() + text[1:] if text else "Measure"


def unit_words(unit: str) -> str:
    return UNIT_WORDS.get(unit or "", unit or "")


def _colormap() -> pg.ColorMap:
    return pg.ColorMap([0.0, 0.5, 1.0], [(33, 102, 172), (247, 247, 247), (178, 24, 43)])


class KnowledgeMapView(QWidget):
    """Heatmap widget. ``seek_requested(seconds)`` when a time window is clicked;
    ``hover_text`` holds the latest read-out."""

    seek_requested = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.km = None
        self.order = np.zeros(0, dtype=int)
        self.hover_text = ""
        self.time_offset_s = 0.0
        self._separators = []
        self._unused_items: list = []
        self.unused_s: list[tuple[float, float]] = []  # clip time ranges shown as "not used"
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground("w")
        self.plot = self.glw.addPlot(row=0, col=0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.plot.invertY(True)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.getAxis("left").setWidth(110)
        self.colorbar = pg.ColorBarItem(values=(-DEVIATION_LIMIT, DEVIATION_LIMIT), colorMap=_colormap(),
                                        interactive=False, width=12)
        self.colorbar.setImageItem(self.image)
        self.colorbar.axis.setLabel(COLOURBAR_LABEL, **{"font-size": "8pt"})  # beside its values, one label
        self.glw.addItem(self.colorbar, row=0, col=1)
        self.att_plot = self.glw.addPlot(row=1, col=0)
        self.att_image = pg.ImageItem(axisOrder="row-major")
        self.att_plot.addItem(self.att_image)
        self.att_plot.invertY(True)
        self.att_plot.setMouseEnabled(x=False, y=False)
        self.att_plot.hideButtons()
        self.att_plot.setMenuEnabled(False)
        self.att_plot.setXLink(self.plot)
        self.att_plot.getAxis("left").setWidth(110)
        # short: a longer axis label widens the plot and pushes the colour bar out of a narrow panel
        self.att_plot.setLabel("bottom", "time (s) · click to see it", **{"font-size": "8pt"})
        self.att_plot.setTitle("attention (darker = more)", size="8pt")  # short: fits a narrow panel
        self.att_image.setColorMap(pg.ColorMap([0.0, 1.0], [(245, 245, 245), (176, 30, 30)]))
        self.plot.setMinimumHeight(HEATMAP_MIN_PX)
        self.att_plot.setMaximumHeight(170)
        self.att_plot.setMinimumHeight(120)
        self.glw.setMinimumHeight(HEATMAP_MIN_PX + 140)
        self.glw.ci.layout.setRowStretchFactor(0, 3)
        self.glw.ci.layout.setRowStretchFactor(1, 2)
        small = pg.QtGui.QFont()
        small.setPointSizeF(8)
        self.att_plot.getAxis("left").setStyle(tickFont=small)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#1f6feb", width=2))
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self.cursor.hide()
        self.info = QLabel("Hover over the map to read a feature; click to see that moment in the video.")
        self.info.setObjectName("muted")
        self.info.setWordWrap(True)
        self.legend = QLabel(LEGEND)
        self.legend.setObjectName("muted")
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("font-size: 9pt;")
        self.show_legend = True  # False in Compare (two maps side by side; the Analysis tab explains)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.glw, 1)
        layout.addWidget(self.info)
        layout.addWidget(self.legend)
        self.glw.setVisible(False)
        self.info.setText("The knowledge map appears here after the analysis.")
        self.glw.scene().sigMouseMoved.connect(self._on_move)
        self.glw.scene().sigMouseClicked.connect(self._on_click)

    # ---- data ------------------------------------------------------------------------------
    def set_map(self, km, region_window_weights=None, time_offset_s: float = 0.0, att_times=None,
                clip_s: tuple[float, float] | None = None) -> None:
        """Show a KnowledgeMap, and the model's [R, W] attention (its windows centred at
        ``att_times`` s, default the map's windows) when given. ``clip_s`` (start, stop) of the
        whole clip: the parts outside the map's windows are shaded "not used"."""
        self.km = km
        self.cursor.hide()  # a new clip: no time cursor left from the previous one
        self._mark_unused(None)
        self.time_offset_s = float(time_offset_s)
        self.glw.setVisible(km is not None)
        if km is None:
            self.image.clear()
            self.att_image.clear()
            self.info.setText("The knowledge map appears here after the analysis.")
            self.legend.hide()
            return
        self.legend.setVisible(self.show_legend)
        self.info.setText("Hover over the map to read a feature; click to see that moment in the video.")
        features = list(km.features)
        region_rank = {r: i for i, r in enumerate(REGION_IDS)}
        self.order = np.array(sorted(range(len(features)),
                                     key=lambda j: (region_rank.get(features[j].region, 99), j)), dtype=int)
        values = np.asarray(km.values, dtype=np.float64)
        self.dev = deviation(values, features)[:, self.order]  # [W, F] in display order
        times = np.asarray(km.window_times_s, dtype=np.float64)
        n_win = len(times)
        self.hop_s = float(np.median(np.diff(times))) if n_win > 1 else WINDOW_FRAMES / TARGET_FPS
        self.x0 = (times[0] if n_win else 0.0) - self.hop_s / 2
        self.image.setImage(self.dev.T, levels=(-DEVIATION_LIMIT, DEVIATION_LIMIT))
        self.image.setRect(QRectF(self.x0, 0, max(n_win, 1) * self.hop_s, len(features)))
        # region labels at the middle of each block + separators
        regions = [features[j].region for j in self.order]
        for line in self._separators:
            self.plot.removeItem(line)
        self._separators = []
        ticks = []
        for rid in REGION_IDS:
            idx = [i for i, r in enumerate(regions) if r == rid]
            if idx:
                ticks.append(((idx[0] + idx[-1] + 1) / 2, REGION_NAMES[rid]))
                if idx[0] > 0:
                    self._separators.append(self.plot.addLine(y=idx[0], pen=pg.mkPen((90, 90, 90), width=1)))
        self.plot.getAxis("left").setTicks([ticks, []])
        self.plot.setTitle(f"{len(features)} measures × {n_win} windows", size="9pt")
        x1 = self.x0 + n_win * self.hop_s
        if clip_s is not None:
            self._mark_unused(clip_s)
            self.plot.setXRange(min(self.x0, clip_s[0]), max(x1, clip_s[1]), padding=0)
        else:
            self.plot.setXRange(self.x0, x1, padding=0)
        self.plot.setYRange(0, len(features), padding=0)
        self.att = None
        if region_window_weights is not None:
            att = np.asarray(region_window_weights, dtype=np.float64)
            att_times = np.asarray(att_times if att_times is not None else times, dtype=np.float64)
            if att.ndim == 2 and att.shape[1] == len(att_times) and len(att_times):
                self.att = att
                self.att_times = att_times
                att_hop = float(np.median(np.diff(att_times))) if len(att_times) > 1 else self.hop_s
                self.att_image.setImage(att, levels=(0, max(float(np.nanmax(att)), 1e-9)))
                self.att_image.setRect(QRectF(att_times[0] - att_hop / 2, 0, len(att_times) * att_hop, att.shape[0]))
                self.att_plot.getAxis("left").setTicks([[(i + 0.5, SHORT_REGION[r]) for i, r in enumerate(REGION_IDS)], []])
                self.att_plot.setYRange(0, att.shape[0], padding=0)
        self.att_plot.setVisible(self.att is not None)
        self.glw.ci.layout.setRowStretchFactor(1, 2 if self.att is not None else 0)

    def _mark_unused(self, clip_s: tuple[float, float] | None) -> None:
        """Shade the clip outside the map's windows (both plots) and say so in the title."""
        for plot, item in self._unused_items:
            plot.removeItem(item)
        self._unused_items, self.unused_s = [], []
        if clip_s is None or self.km is None or not len(self.km.window_times_s):
            return
        x1 = self.x0 + self.km.n_windows * self.hop_s
        spans = [(clip_s[0], self.x0), (x1, clip_s[1])]
        self.unused_s = [(a, b) for a, b in spans if b - a > 1e-3]
        for a, b in self.unused_s:
            for plot in (self.plot, self.att_plot):
                item = pg.LinearRegionItem((a, b), movable=False, brush=pg.mkBrush(*UNUSED_BRUSH), pen=pg.mkPen(None))
                plot.addItem(item, ignoreBounds=True)
                self._unused_items.append((plot, item))
        if self.unused_s:
            # short: a long title would widen the plot past the widget and push the colour bar out
            self.plot.setTitle(f"used {self.x0:.1f}–{x1:.1f} s; grey unused", size="8pt")  # short: a narrow panel

    def window_at(self, x: float) -> int | None:
        if self.km is None:
            return None
        w = int(np.floor((x - self.x0) / self.hop_s))
        return w if 0 <= w < self.dev.shape[0] else None

    def describe(self, window: int, row: int) -> str:
        """Read-out for a cell in plain words: what is measured (region), value with its unit,
        normal range, time; the feature's code name is never shown."""
        j = int(self.order[row])
        feat = self.km.features[j]
        value = float(np.asarray(self.km.values)[window, j])
        unit = unit_words(feat.unit)
        rng = feat.normal_range
        rng_txt = (f"normal range {rng[0]:.3g} to {rng[1]:.3g} {unit}".strip() if rng is not None
                   else "no published normal range (colour: spread within this clip)")
        val_txt = "not measurable here" if not np.isfinite(value) else f"{value:.3g} {unit}".strip()
        t = float(np.asarray(self.km.window_times_s)[window])
        what = feat.description.rstrip(".")
        return (f"{plain_label(feat)} ({REGION_NAMES.get(feat.region, '?')}) at {t:.2f} s: {val_txt}; "
                f"{rng_txt}. Measures: {what[:1].lower() + what[1:]}.")

    def mark_time(self, seconds: float | None) -> None:
        """Move the cursor to the video's current time (s from the clip start)."""
        if seconds is None or self.km is None:
            self.cursor.hide()
            return
        self.cursor.setValue(seconds - self.time_offset_s)
        self.cursor.show()

    # ---- mouse ---------------------------------------------------------------------------------
    def _cell(self, scene_pos):
        if self.km is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return None
        pt = self.plot.vb.mapSceneToView(scene_pos)
        w = self.window_at(pt.x())
        row = int(np.floor(pt.y()))
        if w is None or not (0 <= row < len(self.order)):
            return None
        return w, row

    def _on_move(self, scene_pos) -> None:
        cell = self._cell(scene_pos)
        if cell is None:
            return
        self.hover_text = self.describe(*cell)
        self.info.setText(self.hover_text)
        QToolTip.showText(self.glw.mapToGlobal(self.glw.mapFromScene(scene_pos)), self.hover_text, self.glw)

    def _on_click(self, event) -> None:
        if self.km is None:
            return
        pos = event.scenePos()
        for plot in (self.plot, self.att_plot):
            if plot.isVisible() and plot.sceneBoundingRect().contains(pos):
                w = self.window_at(plot.vb.mapSceneToView(pos).x())
                if w is not None:
                    self.seek_requested.emit(self.window_start_s(w))
                return

    def window_start_s(self, window: int) -> float:
        """Video time (s) where a window starts (its centre time less half a window)."""
        t = float(np.asarray(self.km.window_times_s)[window]) - WINDOW_FRAMES / 2 / TARGET_FPS
        return max(0.0, t + self.time_offset_s)
