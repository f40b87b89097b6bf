"""Two visits of a child side by side: both videos on one time axis (one slider and one Play
drive both; optionally aligned on each clip's analysed segment, i.e. the same gait phase of the
walk the model used), both knowledge maps, and the numbers with their differences
(``Store.compare_visits``). Decoding runs in one :class:`FrameReader` per side."""

from __future__ import annotations

import math
import re
import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QGridLayout, QScrollArea, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSlider,
    QSplitter, QStyle, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from scoliscreen.gui.frame_view import FrameView
from scoliscreen.gui.history_panel import verdict_word
from scoliscreen.gui.knowledge_map_view import KnowledgeMapView
from scoliscreen.gui.video_panel import SPEEDS, clamp_speed, next_speed, show_speed
from scoliscreen.workers.frames import FrameReader

STEP_MS = 10  # slider resolution


UNIT_SUFFIX = {"deg": "°", "years": " y", "s": " s"}


def _percent(row: dict) -> bool:
    return row.get("key") == "probability" or row.get("unit") == "fraction"


def fmt_value(v, row: dict) -> str:
    """A number of a ``compare_visits`` row for the table (probabilities and fractions in %)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if _percent(row):
        return f"{v:.0%}"
    unit = row.get("unit") or ""
    return f"{v:.3g}{UNIT_SUFFIX.get(unit, ' ' + unit if unit else '')}"


def fmt_diff(v, row: dict) -> str:
    """A difference (later - earlier): percentage points for probabilities and fractions; a
    change that rounds to nothing reads "0" (never "-0" or "+0")."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if _percent(row):
        points = int(round(v * 100))
        return f"{points:+d} points" if points else "0 points"
    unit = row.get("unit") or ""
    suffix = UNIT_SUFFIX.get(unit, " " + unit if unit else "")
    text = f"{v:+.3g}"
    return f"0{suffix}" if float(text) == 0 else f"{text}{suffix}"


FEATURE_ROWS = 8


def plain_label(label: str) -> str:
    """Shorter row names: "Model attention: Pelvis" -> "Attention: Pelvis", catalogue
    descriptions without their "Window mean of the" preamble."""
    label = label.replace("Model attention: ", "Attention: ")
    text = re.sub(r"^(Window|Clip) (mean|median|[a-z]+) of (the )?", "", label)
    return text[:1].upper() + text[1:]


def _shift(row: dict) -> float:
    """How far a feature moved, in half-widths of its normal range (0 without a range)."""
    rng = row.get("normal_range")
    if row.get("diff") is None or not rng or len(rng) != 2 or not rng[1] > rng[0]:
        return 0.0
    return abs(row["diff"]) / ((rng[1] - rng[0]) / 2.0)


def table_rows(comparison: dict) -> list[dict]:
    """The rows worth showing: the headline numbers with a value on at least one side, then the
    gait measures (clip medians) that moved most relative to their normal range."""
    rows = [r for r in comparison["rows"] if r["a"] is not None or r["b"] is not None]
    moved = sorted((f for f in comparison.get("features") or [] if _shift(f) > 0), key=_shift, reverse=True)
    if moved:
        rows.append({"key": "", "label": "Gait measures that changed most (vs their normal range):",
                     "unit": "", "a": None, "b": None, "diff": None, "heading": True})
        rows += moved[:FEATURE_ROWS]
    return rows


class ComparePlayer(QWidget):
    """One side: a title, the frame (skeleton overlay) and its knowledge map."""

    frame_shown = Signal(int)
    opened = Signal()  # on the GUI thread, once ``info`` is set

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("–")
        self.title.setWordWrap(True)
        self.view = FrameView(self)
        self.view.setMinimumSize(160, 90)
        self.map_view = KnowledgeMapView()
        # compact: two maps side by side on a small screen; the main window explains the colours
        self.map_view.info.hide()
        self.map_view.show_legend = False
        self.map_view.plot.setMinimumHeight(120)
        self.map_view.att_plot.setMinimumHeight(80)
        self.map_view.glw.setMinimumHeight(280)
        self.reader = FrameReader()
        self.reader.opened.connect(self._on_opened)
        self.reader.frame_ready.connect(self._on_frame)
        self.reader.error.connect(self.view.set_message)
        self.info = None
        self.sequence = None
        self.offset_s = 0.0      # where this clip's analysed segment starts (gait sync)
        self.current_index = -1
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.map_view)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)

    def load(self, title: str, analysis, video: str | None, sequence) -> None:
        self.title.setText(title)
        self.info = None
        self.current_index = -1
        self.sequence = sequence
        self.view.set_image(None)
        self.view.set_landmarks(None)
        s = analysis.screening
        offset = float(sequence.timestamps_ms[0]) / 1000.0 if sequence is not None and len(sequence) else 0.0
        # segment times count from the sequence's first frame; the video's from the clip start
        self.offset_s = offset + (analysis.segment.start_s if analysis.segment is not None else 0.0)
        self.map_view.set_map(analysis.knowledge_map, s.region_window_weights if s else None, offset,
                              s.window_times_s if s else None, clip_s=(0.0, analysis.duration_s))
        if video:
            self.view.set_message("Opening…")
            self.reader.open(video)
        else:
            self.view.set_message("The video of this visit is not available.")

    def duration_s(self) -> float:
        return self.info.duration_s if self.info is not None else 0.0

    def _on_opened(self, info) -> None:
        self.info = info
        self.view.set_message("")
        self.reader.request(0)
        self.opened.emit()

    def show_time(self, seconds: float) -> None:
        if self.info is not None:
            self.reader.request(int(np.clip(round(seconds * self.info.fps), 0, self.info.frame_count - 1)))

    def _on_frame(self, index: int, ts_ms: float, image) -> None:
        self.current_index = index
        self.view.set_image(image)
        seq = self.sequence
        if seq is not None and len(seq) and self.info is not None:
            i = int(np.clip(np.searchsorted(seq.timestamps_ms, ts_ms - 500.0 / self.info.fps), 0, len(seq) - 1))
            self.view.set_landmarks(seq.landmarks[i])
        if self.info is not None:
            self.map_view.mark_time(index / self.info.fps)
        self.frame_shown.emit(index)

    def shutdown(self) -> None:
        self.reader.shutdown()


class CompareView(QWidget):
    """``show_comparison(comparison, (analysis_a, video_a, seq_a), (analysis_b, video_b, seq_b))``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.comparison: dict | None = None
        self.a, self.b = ComparePlayer(), ComparePlayer()
        style = self.style()
        self.play_btn = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "")
        self.play_btn.setToolTip("Play / pause both videos")
        self.play_btn.clicked.connect(self.toggle_play)
        self.back_btn = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward), "")
        self.back_btn.setToolTip("Previous frame of both videos (←), 10 frames (Shift+←)")
        self.back_btn.clicked.connect(lambda: self.step(-1))
        self.fwd_btn = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "")
        self.fwd_btn.setToolTip("Next frame of both videos (→), 10 frames (Shift+→)")
        self.fwd_btn.clicked.connect(lambda: self.step(1))
        self.speed = 1.0
        self.speed_box = QComboBox()
        for v in SPEEDS:
            self.speed_box.addItem(f"{v:g}×", v)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Playback speed of both videos ([ slower, ] faster)")
        self.speed_box.currentIndexChanged.connect(lambda i: self.set_speed(SPEEDS[i]))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(80)
        self.slider.valueChanged.connect(lambda v: self.seek(v / 1000.0 * STEP_MS, pause=True))
        self.time_label = QLabel("–")
        self.time_label.setMinimumWidth(90)
        self.gait_sync = QCheckBox("Align on the analysed walk")
        self.gait_sync.setToolTip("Start both videos where the part of the walk the model used begins")
        self.gait_sync.toggled.connect(lambda _on: self._update_range())
        self.header = QLabel("Choose two visits in History and press Compare.")
        self.header.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(("Measure", "Earlier", "Later", "Change"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        self._bold = self.table.font()
        self._bold.setBold(True)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in (1, 2, 3):
            h.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self._t = 0.0
        self._play_t0 = 0.0
        self._play_s0 = 0.0
        for player in (self.a, self.b):  # the player's own signal: sent once its info is set, on this thread
            player.opened.connect(self._update_range)

        sides = QSplitter(Qt.Orientation.Horizontal)
        sides.addWidget(self.a)
        sides.addWidget(self.b)
        transport = QHBoxLayout()
        transport.addWidget(self.back_btn)
        transport.addWidget(self.play_btn)
        transport.addWidget(self.fwd_btn)
        transport.addWidget(self.slider, 1)
        transport.addWidget(self.time_label)
        transport.addWidget(self.speed_box)
        videos = QWidget()
        vl = QVBoxLayout(videos)
        vl.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()  # on a small screen the two sides scroll instead of overlapping
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(sides)
        vl.addWidget(scroll, 1)
        vl.addLayout(transport)
        numbers = QWidget()
        nl = QVBoxLayout(numbers)
        nl.setContentsMargins(0, 0, 0, 0)
        nl.addWidget(self.header)
        nl.addWidget(self.gait_sync)  # beside the numbers: the transport row stays narrow
        nl.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(videos)
        split.addWidget(numbers)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([860, 420])
        layout = QGridLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(split, 0, 0)

    # ---- filling -----------------------------------------------------------------------------------
    def show_comparison(self, comparison: dict, side_a: tuple, side_b: tuple) -> None:
        self.pause()
        self.comparison = comparison
        va, vb = comparison["a"], comparison["b"]
        for player, visit, (analysis, video, seq), name in ((self.a, va, side_a, "Earlier"),
                                                            (self.b, vb, side_b, "Later")):
            word, colour = verdict_word(visit)
            age = f", age {visit['age']:.1f}" if visit.get("age") is not None else ""
            prob = f", {visit['probability']:.0%}" if visit.get("probability") is not None else ""
            player.load(f"<b>{name}: visit {visit['id']}</b> · {(visit.get('visited_at') or '')[:10]}{age} · "
                        f"<span style='color:{colour}'><b>{word}</b></span>{prob}", analysis, video, seq)
        years = comparison.get("years_between")
        same = "" if comparison.get("same_patient") else " <span style='color:#b00'>(different patients!)</span>"
        self.header.setText(f"<b>Visit {va['id']} → visit {vb['id']}</b>"
                            + (f", {years:.1f} years apart" if years is not None else "") + same)
        rows = table_rows(comparison)
        self.table.clearSpans()
        self.table.setRowCount(0)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            label = plain_label(row["label"])
            if row.get("heading"):
                self.table.setItem(r, 0, QTableWidgetItem(label))
                self.table.item(r, 0).setFont(self._bold)
                self.table.setSpan(r, 0, 1, 4)
                continue
            cells = (label, fmt_value(row["a"], row), fmt_value(row["b"], row), fmt_diff(row["diff"], row))
            rng = row.get("normal_range")
            tip = row["label"] + (f"\nNormal range {rng[0]:.3g} to {rng[1]:.3g} {row.get('unit') or ''}" if rng else "")
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if c == 3 and row["key"] in ("probability", "cobb_estimate") and row["diff"]:
                    item.setForeground(Qt.GlobalColor.red if row["diff"] > 0 else Qt.GlobalColor.darkGreen)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        self._t = 0.0
        self._update_range()

    def _update_range(self) -> None:
        durations = [p.duration_s() - self._start(p) for p in (self.a, self.b) if p.info is not None]
        total = max(durations) if durations else 0.0
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, int(total * 1000 / STEP_MS)))
        self.slider.blockSignals(False)
        for p in (self.a, self.b):  # both maps on the slider's time axis, so their cursors line up
            if p.info is not None and p.map_view.km is not None and total > 0:
                x0 = self._start(p) - p.map_view.time_offset_s
                p.map_view.plot.setXRange(x0, x0 + total, padding=0)
        self.seek(min(self._t, total))

    def _start(self, player: ComparePlayer) -> float:
        return player.offset_s if self.gait_sync.isChecked() else 0.0

    # ---- one time axis drives both ----------------------------------------------------------------
    def seek(self, seconds: float, pause: bool = False) -> None:
        if pause:
            self.pause()
        self._t = max(0.0, seconds)
        for p in (self.a, self.b):
            if p.info is not None:
                p.show_time(self._start(p) + self._t)
        self.slider.blockSignals(True)
        self.slider.setValue(int(self._t * 1000 / STEP_MS))
        self.slider.blockSignals(False)
        self.time_label.setText(f"{self._t:.2f} s")

    def frame_s(self) -> float:
        """One frame step on the shared time axis: a frame of the faster clip."""
        fps = [p.info.fps for p in (self.a, self.b) if p.info is not None and p.info.fps > 0]
        return 1.0 / max(fps) if fps else 1.0 / 30.0

    def step(self, frames: int) -> None:
        """Both videos ``frames`` frames on (back when negative), paused."""
        end = self.slider.maximum() * STEP_MS / 1000.0
        self.seek(min(end, max(0.0, self._t + frames * self.frame_s())), pause=True)

    def go_first(self) -> None:
        self.seek(0.0, pause=True)

    def go_last(self) -> None:
        self.seek(self.slider.maximum() * STEP_MS / 1000.0, pause=True)

    def set_speed(self, speed: float) -> None:
        """Playback speed of both videos (0.25x-2x); playing goes on from the time shown."""
        self.speed = clamp_speed(speed)
        show_speed(self.speed_box, self.speed)
        if self.is_playing():
            self._play_s0, self._play_t0 = self._t, time.perf_counter()

    def change_speed(self, direction: int) -> None:
        self.set_speed(next_speed(self.speed, direction))

    def is_playing(self) -> bool:
        return self.timer.isActive()

    def toggle_play(self) -> None:
        self.pause() if self.is_playing() else self.play()

    def play(self) -> None:
        if not any(p.info is not None for p in (self.a, self.b)):
            return
        if self.slider.value() >= self.slider.maximum():
            self._t = 0.0
        self._play_s0, self._play_t0 = self._t, time.perf_counter()
        self.timer.start(20)
        self.play_btn.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))

    def pause(self) -> None:
        self.timer.stop()
        self.play_btn.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))

    def _tick(self) -> None:
        t = self._play_s0 + (time.perf_counter() - self._play_t0) * self.speed
        end = self.slider.maximum() * STEP_MS / 1000.0
        if t >= end:
            self.seek(end)
            self.pause()
            return
        self.seek(t)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self._update_range()

    def shutdown(self) -> None:
        self.pause()
        self.a.shutdown()
        self.b.shutdown()
