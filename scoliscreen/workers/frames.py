"""Decoding video frames off the GUI thread for the player.

:class:`FrameReader` lives in its own ``QThread`` and holds **one pending request slot**
(as SLEAP's video player does): every :meth:`FrameReader.request` overwrites the slot, so
while a frame is being decoded, any number of newer requests (a fast scrub) collapse into
one — only the newest requested frame is decoded next. Frames go back to the GUI as
``QImage`` (made in the reader thread; the GUI thread only paints).

The source is ``scoliscreen.core.video.open_source(path)`` and its ``read_at(index)``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from scoliscreen.core.errors import InputError, ScoliScreenError


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """A deep-copied ``QImage`` of a BGR uint8 [H, W, 3] array (no OpenCV needed)."""
    image = np.ascontiguousarray(image)
    if image.ndim == 2:
        h, w = image.shape
        return QImage(image.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    h, w = image.shape[:2]
    return QImage(image.data, w, h, int(image.strides[0]), QImage.Format.Format_BGR888).copy()


@dataclass
class VideoInfo:
    """What the player needs to know about an opened file."""

    path: str
    fps: float
    size: tuple[int, int]
    frame_count: int

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps else 0.0


def open_video_file(path: str):
    """Open ``path`` with the project's frame source; user-readable error when it cannot be used."""
    from scoliscreen.core.video import open_source

    try:
        source = open_source(str(path))
    except ScoliScreenError:
        raise
    except Exception as exc:  # noqa: BLE001 - decoder libraries raise anything
        raise InputError(f"{path}: cannot be opened as a video ({exc}).") from None
    count = getattr(source, "frame_count", None)
    if not count:
        source.close()
        raise InputError(f"{path}: the video holds no readable frames.")
    return source


class FrameReader(QObject):
    """Decode the newest requested frame of one video file, in a background thread.

    Signals: ``opened(VideoInfo)``, ``frame_ready(index, timestamp_ms, QImage)``,
    ``error(str)`` (open or decode failure, one sentence). ``decoded`` counts decoded frames
    (tests use it to check that stale requests are skipped).
    """

    opened = Signal(object)
    frame_ready = Signal(int, float, object)
    error = Signal(str)
    _open_requested = Signal(str)
    _wake = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pending: int | None = None
        self._source = None
        self.decoded = 0
        self.info: VideoInfo | None = None
        self._thread = QThread()
        self._thread.setObjectName("frame-reader")
        self.moveToThread(self._thread)
        self._open_requested.connect(self._do_open)
        self._wake.connect(self._drain)
        self._thread.start()

    # ---- GUI-thread API ----------------------------------------------------------------
    def open(self, path: str) -> None:
        """Open ``path`` in the reader thread; ``opened`` or ``error`` follows."""
        with self._lock:
            self._pending = None
        self._open_requested.emit(str(path))

    def request(self, index: int) -> None:
        """Ask for frame ``index``; replaces any request not yet started."""
        with self._lock:
            idle = self._pending is None
            self._pending = int(index)
        if idle:
            self._wake.emit()

    def shutdown(self, ms: int = 5000) -> None:
        """Stop the thread and release the file (call when the owner closes)."""
        with self._lock:
            self._pending = None
        try:
            self._thread.quit()
            self._thread.wait(ms)
        except RuntimeError:
            return
        if self._source is not None:
            self._source.close()
            self._source = None

    # ---- reader thread -------------------------------------------------------------------
    @Slot(str)
    def _do_open(self, path: str) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None
            self.info = None
        try:
            source = open_video_file(path)
        except ScoliScreenError as exc:
            self.error.emit(str(exc))
            return
        self._source = source
        w, h = source.size
        self.info = VideoInfo(str(path), float(source.fps), (int(w), int(h)), int(source.frame_count))
        self.opened.emit(self.info)

    @Slot()
    def _drain(self) -> None:
        while True:
            with self._lock:
                index, self._pending = self._pending, None
            if index is None or self._source is None:
                return
            index = max(0, min(index, self.info.frame_count - 1))
            try:
                frame = self._source.read_at(index)
            except ScoliScreenError as exc:
                self.error.emit(str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - any failure becomes one readable message
                self.error.emit(f"Frame {index} cannot be decoded ({type(exc).__name__}: {exc}).")
                return
            self.decoded += 1
            self.frame_ready.emit(int(frame.index), float(frame.timestamp_ms), bgr_to_qimage(frame.image))
