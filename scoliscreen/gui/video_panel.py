"""Video panel: open a file (dialog or drag-and-drop) or go live from a camera; play, step, scrub;
skeleton / confidence overlays; record with a countdown.

Decoding runs in a :class:`~scoliscreen.workers.frames.FrameReader` (newest request only);
live capture and pose run in a :class:`~scoliscreen.workers.live.LiveWorker`. The panel never
decodes or estimates poses on the GUI thread.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QStyle, QVBoxLayout, QWidget,
)

from scoliscreen.core.constants import VIDEO_SUFFIXES
from scoliscreen.gui.frame_view import FrameView
from scoliscreen.gui.live_view import LiveMixin
from scoliscreen.workers.frames import FrameReader, VideoInfo

COUNTDOWN_S = 3
SPEEDS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)  # playback speeds offered (slow motion to double)


def clamp_speed(speed: float) -> float:
    return float(min(max(speed, SPEEDS[0]), SPEEDS[-1]))


def speed_index(speed: float) -> int:
    """The offered speed nearest ``speed`` (its index in SPEEDS)."""
    return min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - speed))


def show_speed(box, speed: float) -> None:
    """Put the speed box on ``speed`` without re-emitting its change (the player and Compare)."""
    i = speed_index(speed)
    if box.currentIndex() != i:
        box.blockSignals(True)
        box.setCurrentIndex(i)
        box.blockSignals(False)


def next_speed(speed: float, direction: int) -> float:
    """The offered speed ``direction`` steps from ``speed`` (clamped to the ends)."""
    return SPEEDS[max(0, min(len(SPEEDS) - 1, speed_index(speed) + direction))]


def _fmt_time(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return f"{int(seconds // 60)}:{seconds % 60:05.2f}"


def time_text(index: int, info) -> str:
    """"2.43 / 4.90 s · 74/147" (time / length · frame / frames; minutes from a minute on): short,
    so a small screen never cuts the frame counter."""
    if info.duration_s < 60:
        return f"{index / info.fps:.2f} / {info.duration_s:.2f} s · {index + 1}/{info.frame_count}"
    return f"{_fmt_time(index / info.fps)} / {_fmt_time(info.duration_s)} · {index + 1}/{info.frame_count}"


class VideoPanel(LiveMixin, QWidget):
    """Signals: ``loaded(VideoInfo)``, ``error(str)``, ``recording_saved(path)``,
    ``frame_shown(index)``, ``live_stopped()``; ``live_stats_last`` holds the live figures."""

    loaded = Signal(object)
    error = Signal(str)
    live_stopped = Signal()
    recording_saved = Signal(str)
    frame_shown = Signal(int)
    file_dropped = Signal(str)
    person_clicked = Signal(int, float, float)  # frame on screen, x, y (fractions of the picture)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.info: VideoInfo | None = None
        self.current_index = -1      # frame on screen
        self._target = 0             # last requested frame
        self._sequence = None        # PoseSequence for the overlay (after analysis)
        self._live = None            # WorkerHandle of a LiveWorker
        self._live_frames = 0
        self.live_stats_last: dict = {}
        self._play_t0 = 0.0
        self._play_i0 = 0
        self.reader = FrameReader()
        self.reader.opened.connect(self._on_opened)
        self.reader.frame_ready.connect(self._on_frame)
        self.reader.error.connect(self._on_reader_error)
        self.speed = 1.0
        self.frame_problem = ""  # the last frame that could not be shown (the panel says so on the video)

        self.view = FrameView(self)
        self.view.clicked.connect(self._on_view_clicked)
        self.view.set_message("Open a walking video (or drop it here), or record from the camera.")

        style = self.style()
        self.play_btn = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "")
        self.play_btn.setToolTip("Play / pause (Space)")
        self.back_btn = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward), "")
        self.back_btn.setToolTip("Previous frame (←), 10 frames (Shift+←)")
        self.fwd_btn = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "")
        self.fwd_btn.setToolTip("Next frame (→), 10 frames (Shift+→)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setMinimumWidth(60)
        self.slider.setEnabled(False)
        self.time_label = QLabel("–")
        self.time_label.setObjectName("muted")
        self.time_label.setToolTip("time / length · frame / frames")
        self.skeleton_box = QCheckBox("Skeleton")
        self.skeleton_box.setChecked(True)
        self.confidence_box = QCheckBox("Confidence")
        self.confidence_box.setToolTip("Colour the landmarks by the pose model's confidence")
        self.confidence_box.setAccessibleName("Landmark confidence")
        self.speed_box = QComboBox()
        for v in SPEEDS:
            self.speed_box.addItem(f"{v:g}×", v)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Playback speed ([ slower, ] faster)")
        self.speed_box.currentIndexChanged.connect(lambda i: self.set_speed(SPEEDS[i]))
        self.skeleton_box.toggled.connect(self._overlay_changed)
        self.confidence_box.toggled.connect(self._overlay_changed)

        self.play_btn.clicked.connect(self.toggle_play)
        self.back_btn.clicked.connect(lambda: self.step(-1))
        self.fwd_btn.clicked.connect(lambda: self.step(1))
        self.slider.valueChanged.connect(self._on_slider)

        transport = QHBoxLayout()
        transport.addWidget(self.back_btn)
        transport.addWidget(self.play_btn)
        transport.addWidget(self.fwd_btn)
        transport.addWidget(self.slider, 1)
        transport.addWidget(self.time_label)
        overlays = QHBoxLayout()
        overlays.addWidget(self.skeleton_box)
        overlays.addWidget(self.confidence_box)
        overlays.addWidget(QLabel("Speed:"))
        overlays.addWidget(self.speed_box)
        overlays.addStretch(1)
        self.live_label = QLabel("")
        self.live_label.setObjectName("muted")
        overlays.addWidget(self.live_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(transport)
        layout.addLayout(overlays)

        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._countdown_tick)
        self._countdown_left = 0
        self.countdown_s = COUNTDOWN_S
        self.last_stop_clean = True
        self._record_folder = None
        self._set_transport_enabled(False)

    # ---- files ---------------------------------------------------------------------------
    def open_file(self, path: str | Path) -> None:
        """Open a video in the background; ``loaded`` or ``error`` follows."""
        self.stop_live()
        self.pause()
        self.info = None
        self._sequence = None
        self.view.set_landmarks(None)
        self.view.set_message("Opening…")
        self.view.set_image(None)
        self.view.reset_zoom()
        self.frame_problem = ""
        self.reader.open(str(path))

    def _on_reader_error(self, text: str) -> None:
        """An open failure goes to ``error``; a frame that cannot be decoded (a truncated file) is
        said on the video itself, in plain words, and the player goes on."""
        if self.info is None:
            self.view.set_message("This video could not be opened.")
            self.error.emit(text)
            return
        self.pause()
        self.frame_problem = text
        self.view.set_message(text)

    def _on_opened(self, info: VideoInfo) -> None:
        self.info = info
        self.current_index = -1
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, info.frame_count - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(True)
        longest = time_text(info.frame_count - 1, info)  # the label never cuts the frame counter
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance(longest) + 6)
        self._set_transport_enabled(True)
        self.view.badge = ""
        self.view.set_message("")
        self.seek(0)
        self.loaded.emit(info)

    def _set_transport_enabled(self, on: bool) -> None:
        for w in (self.play_btn, self.back_btn, self.fwd_btn):
            w.setEnabled(on)

    def _on_view_clicked(self, x: float, y: float) -> None:
        if self.info is not None and self._live is None:
            self.person_clicked.emit(self.current_index, x, y)

    def set_pose_sequence(self, seq) -> None:
        """Overlay the landmarks of an analysed sequence (matched to frames by timestamp)."""
        self._sequence = seq
        self._update_overlay()

    def _overlay_changed(self) -> None:
        self.view.show_skeleton = self.skeleton_box.isChecked()
        self.view.show_confidence = self.confidence_box.isChecked()
        self.view.update()

    def _update_overlay(self) -> None:
        seq = self._sequence
        if seq is None or self.info is None or self.current_index < 0 or len(seq) == 0:
            if self._live is None:
                self.view.set_landmarks(None)
            return
        ts = self.current_index * 1000.0 / self.info.fps
        i = int(np.clip(np.searchsorted(seq.timestamps_ms, ts - 0.5 * 1000.0 / self.info.fps), 0, len(seq) - 1))
        self.view.set_landmarks(seq.landmarks[i])

    # ---- navigation --------------------------------------------------------------------------
    def seek(self, index: int) -> None:
        if self.info is None:
            return
        self._target = int(np.clip(index, 0, self.info.frame_count - 1))
        self.reader.request(self._target)

    def seek_time(self, seconds: float) -> None:
        """Show the frame at ``seconds`` from the start (used by the knowledge-map click)."""
        if self.info is not None:
            self.pause()
            self.seek(int(round(seconds * self.info.fps)))

    def go_first(self) -> None:
        self.step(-self._target)

    def go_last(self) -> None:
        if self.info is not None:
            self.step(self.info.frame_count - 1 - self._target)

    def set_speed(self, speed: float) -> None:
        """Playback speed (0.25x-2x); playing goes on from the frame shown."""
        self.speed = clamp_speed(speed)
        show_speed(self.speed_box, self.speed)
        if self.is_playing():
            self._play_i0, self._play_t0 = self._target, time.perf_counter()

    def change_speed(self, direction: int) -> None:
        self.set_speed(next_speed(self.speed, direction))

    def step(self, delta: int) -> None:
        if self.info is None:
            return
        self.pause()
        self.seek(self._target + delta)

    def is_playing(self) -> bool:
        return self.timer.isActive()

    def toggle_play(self) -> None:
        if self.is_playing():
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self.info is None or self._live is not None:
            return
        if self._target >= self.info.frame_count - 1:
            self._target = 0
        self._play_i0 = self._target
        self._play_t0 = time.perf_counter()
        self.timer.start(max(5, int(500 / max(self.info.fps, 1))))
        self.play_btn.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))

    def pause(self) -> None:
        self.timer.stop()
        self.play_btn.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))

    def _tick(self) -> None:
        index = self._play_i0 + int((time.perf_counter() - self._play_t0) * self.info.fps * self.speed)
        if index >= self.info.frame_count:
            self.seek(self.info.frame_count - 1)
            self.pause()
            return
        if index != self._target:
            self.seek(index)

    def _on_slider(self, value: int) -> None:
        if self.info is not None and value != self._target:
            self.pause()
            self.seek(value)

    def _on_frame(self, index: int, ts_ms: float, image) -> None:
        if self._live is not None:
            return
        self.current_index = index
        if self.frame_problem:
            self.frame_problem = ""
            self.view.set_message("")
        self.view.set_image(image)
        self._update_overlay()
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        if self.info:
            self.time_label.setText(time_text(index, self.info))
        self.frame_shown.emit(index)

    def show_preview(self, index: int, image, landmarks) -> None:
        """Show a frame with the skeleton the running analysis just found in it."""
        if self._live is not None or self.info is None:
            return
        self.pause()
        self._target = index
        self._on_frame(index, index * 1000.0 / self.info.fps, image)
        self.view.set_landmarks(landmarks)

    # ---- drag and drop -----------------------------------------------------------------------
    @staticmethod
    def _dropped_path(event) -> str | None:
        md = event.mimeData()
        if md.hasUrls():
            for url in md.urls():
                if url.isLocalFile() and url.toLocalFile().lower().endswith(VIDEO_SUFFIXES):
                    return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._dropped_path(event):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        path = self._dropped_path(event)
        if path:
            event.acceptProposedAction()
            self.file_dropped.emit(path)  # the window asks before an unsaved result is dropped

    # ---- lifetime ------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop every thread the panel owns (the window calls this on close)."""
        self.pause()
        self.stop_live()
        self.reader.shutdown()
