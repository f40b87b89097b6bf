"""Decoding video frames off the GUI thread for the player.

:class:`FrameReader` is a worker on its own ``QThread`` and holds **one pending request slot**
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
from PySide6.QtCore import Signal
from PySide6.QtGui import QImage

from scoliscreen.core.errors import InputError, ScoliScreenError
from scoliscreen.workers.base import Worker, start_worker


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


@dataclass(frozen=True)
class _Opened:
    info: VideoInfo


@dataclass(frozen=True)
class _Decoded:
    index: int
    timestamp_ms: float
    image: np.ndarray


@dataclass(frozen=True)
class _Problem:
    message: str


class FrameReader(Worker):
    """Decode the newest requested frame of one video file, in a background thread.

    A worker like every other (``workers/base.py``): its loop is a generator whose events
    become the signals ``opened(VideoInfo)``, ``frame_ready(index, timestamp_ms, QImage)`` and
    ``error(str)`` (open or decode failure, one sentence; the reader goes on). ``decoded``
    counts decoded frames (tests use it to check that stale requests are skipped).
    """

    opened = Signal(object)
    frame_ready = Signal(int, float, object)
    IDLE_S = 0.1  # an idle reader yields this often, so a cancel (shutdown) is seen

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._pending: int | None = None
        self._open_path: str | None = None
        self._source = None
        self.decoded = 0
        self.info: VideoInfo | None = None
        self._handle = start_worker(self, "frame-reader")

    # ---- GUI-thread API ----------------------------------------------------------------
    def open(self, path: str) -> None:
        """Open ``path`` in the reader thread; ``opened`` or ``error`` follows."""
        with self._cond:
            self._pending = None
            self._open_path = str(path)
            self._cond.notify()

    def request(self, index: int) -> None:
        """Ask for frame ``index``; replaces any request not yet started."""
        with self._cond:
            self._pending = int(index)
            self._cond.notify()

    def shutdown(self, ms: int = 5000) -> None:
        """Stop the thread and release the file (call when the owner closes)."""
        with self._cond:
            self._pending = None
            self._open_path = None
        self._handle.stop(ms)

    # ---- reader thread -------------------------------------------------------------------
    def on_event(self, event: object) -> None:
        if isinstance(event, _Decoded):
            self.frame_ready.emit(event.index, event.timestamp_ms, bgr_to_qimage(event.image))
        elif isinstance(event, _Opened):
            self.opened.emit(event.info)
        elif isinstance(event, _Problem):
            self.error.emit(event.message)

    def work(self):
        try:
            while True:
                with self._cond:
                    if self._open_path is None and self._pending is None:
                        self._cond.wait(self.IDLE_S)
                    path, self._open_path = self._open_path, None
                    index = None
                    if path is None:
                        index, self._pending = self._pending, None
                if path is not None:
                    yield self._open(path)
                elif index is not None and self._source is not None and self.info is not None:
                    yield self._decode(max(0, min(index, self.info.frame_count - 1)))
                else:
                    yield None  # idle: the adapter checks for a cancel
        finally:
            if self._source is not None:
                self._source.close()
                self._source = None

    def _open(self, path: str) -> _Opened | _Problem:
        if self._source is not None:
            self._source.close()
            self._source = None
            self.info = None
        try:
            source = open_video_file(path)
        except ScoliScreenError as exc:
            return _Problem(str(exc))
        self._source = source
        w, h = source.size
        self.info = VideoInfo(str(path), float(source.fps), (int(w), int(h)), int(source.frame_count))
        return _Opened(self.info)

    def _decode(self, index: int) -> _Decoded | _Problem:
        try:
            frame = self._source.read_at(index)
        except ScoliScreenError as exc:
            return _Problem(str(exc))
        except Exception:  # noqa: BLE001 - any failure becomes one readable message
            return _Problem(f"Frame {index + 1} cannot be shown: the file may be truncated or damaged.")
        self.decoded += 1
        return _Decoded(int(frame.index), float(frame.timestamp_ms), frame.image)
