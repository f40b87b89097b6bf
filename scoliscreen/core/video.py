"""Frame sources: a video file or a camera behind one interface (Qt-free).

``open_source(spec)`` takes a path (mp4, mov, avi, mkv, ...) or an ``int`` camera index and
returns a :class:`FrameSource`. Iterating a source yields :class:`Frame` objects
``(index, timestamp_ms, image)`` with ``image`` a BGR ``uint8`` array, rotation metadata
already applied. Frames are decoded one at a time (streamed): a whole video is never held in
memory.

Rotation: phone videos store "display rotation" metadata instead of rotated pixels. We turn
OpenCV's own auto-rotation off and apply the rotation ourselves (:func:`rotate_image`), so the
behaviour does not depend on the OpenCV build; ``size`` is the size *after* rotation.

Timestamps come from the container (presentation time of each frame) when they are sane
(finite, increasing), otherwise from ``index * 1000 / fps``.

Every failure the user can cause (missing file, directory, empty, not a video, damaged,
too small, camera not available) raises :class:`~scoliscreen.core.errors.InputError` with one
readable sentence.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from scoliscreen.core.constants import VIDEO_SUFFIXES
from scoliscreen.core.errors import InputError

# FFmpeg prints decode errors of damaged files straight to stderr; we report them ourselves.
# (Read by OpenCV when its FFmpeg back-end starts, i.e. at the first VideoCapture.)
if not os.environ.get("SCOLISCREEN_DEBUG"):
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

VIDEO_EXTENSIONS = VIDEO_SUFFIXES
MIN_FRAME_SIDE = 32  # pixels; below this no pose model can find a person
DEFAULT_FPS = 30.0
MAX_CAMERA_INDEX = 9999  # OpenCV crashes (SIGSEGV) on a negative index; >= 100 picks a backend
MAX_VIDEO_BYTES = 64 << 30  # a longer screening video is not a walking clip
# a gait clip is seconds long; a longer video is refused from the container's frame count and
# frame rate when it opens (not after minutes of pose estimation), and again while decoding
# when the container does not say
MAX_CLIP_SECONDS = 600.0
# A decode that stops before this share of the container's frame count means a damaged file.
MIN_DECODED_SHARE = 0.75

# First bytes of still-image formats, to tell the user "this is a photo, not a video".
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"BM", "BMP image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
)


@contextlib.contextmanager
def quiet_native_logs():
    """Hide log lines native code (OpenCV's FFmpeg/V4L2 back-ends, MediaPipe/LiteRT) prints
    straight to file descriptor 2; our own errors are raised as exceptions instead.

    Set ``SCOLISCREEN_DEBUG=1`` to see them.
    """
    if os.environ.get("SCOLISCREEN_DEBUG"):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@dataclass(frozen=True)
class Frame:
    index: int
    timestamp_ms: float
    image: np.ndarray  # BGR uint8 [H, W, 3], rotation applied


def rotate_image(image: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate clockwise by ``degrees`` (0, 90, 180, 270) - the display rotation of a video."""
    degrees = int(degrees) % 360
    if degrees == 90:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if degrees == 180:
        return cv2.rotate(image, cv2.ROTATE_180)
    if degrees == 270:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return image


def rotated_size(size: tuple[int, int], degrees: int) -> tuple[int, int]:
    """(width, height) after a display rotation."""
    w, h = size
    return (h, w) if int(degrees) % 180 == 90 else (w, h)


def _normalise_rotation(value: float) -> int:
    if value is None or not math.isfinite(value):
        return 0
    return int(round(value / 90.0)) * 90 % 360


def check_video_path(path: str | Path) -> Path:
    """Refuse, with a clear sentence, a path that cannot be a video; return it as a Path."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a video file")
    try:
        st = path.stat()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block or never end
        raise InputError(f"{path}: is not a regular file (a pipe, socket or device), not a video file")
    if st.st_size > MAX_VIDEO_BYTES:
        raise InputError(f"{path}: is {st.st_size / 2**30:.0f} GiB; videos over {MAX_VIDEO_BYTES >> 30} GiB are refused")
    try:
        size = st.st_size
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes)")
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            raise InputError(f"{path}: is a still {kind}, not a video; film the child walking")
    if _looks_like_text(head):
        raise InputError(f"{path}: is a text file, not a video")
    return path


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * len(text)


class FrameSource:
    """Common interface of video files and cameras (iterate for frames; close when done)."""

    kind = "source"
    fps: float = DEFAULT_FPS
    size: tuple[int, int] = (0, 0)  # (width, height) after rotation
    frame_count: int | None = None
    rotation: int = 0
    description: str = ""

    def __iter__(self) -> Iterator[Frame]:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - abstract
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class VideoFileSource(FrameSource):
    """A video file, decoded forward one frame at a time.

    ``frames_decoded`` counts frames delivered so far; ``truncated`` becomes True when the
    decode stopped well before the container's announced frame count.
    """

    kind = "video"

    def __init__(self, path: str | Path):
        self.path = check_video_path(path)
        self.description = str(self.path)
        self._cap = self._open()
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if math.isfinite(fps) and 0.5 <= fps <= 1000 else DEFAULT_FPS
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.frame_count = count if count > 0 else None
        if self.frame_count and self.frame_count / self.fps > MAX_CLIP_SECONDS:
            self._cap.release()
            raise InputError(f"{self.path}: the video lasts {self.frame_count / self.fps / 60:.0f} minutes; a gait "
                             f"clip is at most {MAX_CLIP_SECONDS / 60:.0f} minutes (trim it to the walk)")
        # First frame: proves the file decodes, and gives the true size.
        first = self._read_raw(self._cap)
        if first is None:
            self._cap.release()
            raise InputError(f"{self.path}: contains no readable video frames (damaged or truncated file)")
        ts0, img0 = first
        self.size = (int(img0.shape[1]), int(img0.shape[0]))
        if min(self.size) < MIN_FRAME_SIDE:
            self._cap.release()
            raise InputError(
                f"{self.path}: the video is only {self.size[0]}x{self.size[1]} pixels, "
                f"too small to see a person (at least {MIN_FRAME_SIDE} pixels a side needed)"
            )
        self._pending: tuple[float, np.ndarray] | None = (ts0, img0)
        self._started = False
        self.frames_decoded = 0
        self.truncated = False
        self._player: tuple[cv2.VideoCapture, int, list[float]] | None = None

    # ---- opening and raw reads ---------------------------------------------------------
    def _open(self) -> "cv2.VideoCapture":
        with quiet_native_logs():
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
            if not cap.isOpened():
                cap.release()
                cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise InputError(
                f"{self.path}: cannot be opened as a video (not a video, an unsupported format, "
                "or a damaged/truncated file)"
            )
        # We rotate ourselves, so the result is the same whatever the OpenCV build does.
        self.rotation = _normalise_rotation(cap.get(cv2.CAP_PROP_ORIENTATION_META))
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        self._auto_rotates = bool(cap.get(cv2.CAP_PROP_ORIENTATION_AUTO))
        return cap

    def _read_raw(self, cap) -> tuple[float, np.ndarray] | None:
        try:
            ok, img = cap.read()
        except cv2.error:
            return None
        if not ok or img is None or img.size == 0:
            return None
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        elif img.shape[2] == 4:
            img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
        if self.rotation and not self._auto_rotates:
            img = rotate_image(img, self.rotation)
        ts = float(cap.get(cv2.CAP_PROP_POS_MSEC))
        return ts, img

    # ---- streaming ---------------------------------------------------------------------
    def __iter__(self) -> Iterator[Frame]:
        if self._started:  # a second pass re-opens the file
            self._cap.release()
            self._cap = self._open()
            self._pending = None
            self.frames_decoded = 0
        self._started = True
        step = 1000.0 / self.fps
        index = 0
        last_ts = -math.inf
        t_first = None
        while True:
            if self._pending is not None:
                raw, self._pending = self._pending, None
            else:
                raw = self._read_raw(self._cap)
            if raw is None:
                break
            pts, img = raw
            if t_first is None:
                t_first = pts if math.isfinite(pts) else 0.0
            ts = pts - t_first
            if not math.isfinite(ts) or ts <= last_ts or (index > 0 and ts == 0.0):
                ts = index * step if last_ts < index * step else last_ts + step
            last_ts = ts
            if ts > MAX_CLIP_SECONDS * 1000:
                raise InputError(f"{self.path}: the video runs past {MAX_CLIP_SECONDS / 60:.0f} minutes; a gait "
                                 "clip is shorter (trim it to the walk)")
            self.frames_decoded = index + 1
            yield Frame(index, ts, img)
            index += 1
        if self.frame_count and self.frames_decoded < MIN_DECODED_SHARE * self.frame_count:
            self.truncated = True

    def read_at(self, index: int) -> Frame:
        """The frame with this index, for players (decodes forward; rewinds by re-opening).

        OpenCV seeking by frame number is inexact for many codecs, so this decodes forward
        from the start (or from the last frame read) and indexes timestamps as it goes.
        """
        if index < 0:
            raise IndexError(index)
        if self._player is None or index < self._player[1]:
            if self._player is not None:
                self._player[0].release()
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
            cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
            self._player = (cap, 0, [])
        cap, pos, times = self._player
        step = 1000.0 / self.fps
        frame = None
        while pos <= index:
            raw = self._read_raw(cap)
            if raw is None:
                self._player = (cap, pos, times)
                raise IndexError(f"frame {index} is past the end of the video ({pos} frames)")
            pts, img = raw
            ts = pts - (times[0] if times else pts) if math.isfinite(pts) else pos * step
            if times and (ts <= times[-1] - times[0]):
                ts = (times[-1] - times[0]) + step
            times.append(ts + (times[0] if times else 0.0))
            frame = Frame(pos, ts, img)
            pos += 1
        self._player = (cap, pos, times)
        return frame

    def close(self) -> None:
        self._cap.release()
        if self._player is not None:
            self._player[0].release()
            self._player = None


class CameraSource(FrameSource):
    """A live camera (OpenCV device index). ``seconds`` (or ``max_frames``) bounds a recording."""

    kind = "camera"

    def __init__(self, index: int, seconds: float | None = None, max_frames: int | None = None):
        self.index = int(index)
        if not 0 <= self.index <= MAX_CAMERA_INDEX:
            raise InputError(f"camera index must be between 0 and {MAX_CAMERA_INDEX}, got {self.index}")
        self.description = f"camera {self.index}"
        self.seconds = seconds
        self.max_frames = max_frames
        first = None
        with quiet_native_logs():
            cap = cv2.VideoCapture(self.index)
            if cap.isOpened():
                try:
                    ok, img = cap.read()
                except cv2.error:
                    ok, img = False, None
                if ok and img is not None and img.size:
                    first = img
        if first is None:
            cap.release()
            raise InputError(
                f"camera {self.index} could not be opened (no camera with that number, "
                "it is in use by another program, or access is not permitted)"
            )
        self._cap = cap
        self._first = first
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if math.isfinite(fps) and 1 <= fps <= 240 else DEFAULT_FPS
        self.size = (int(first.shape[1]), int(first.shape[0]))
        self.frame_count = None  # unknown in advance: cameras drop frames

    def __iter__(self) -> Iterator[Frame]:
        t0 = time.monotonic()
        index = 0
        img = self._first
        self._first = None
        last_ts = -1.0
        while True:
            if img is None:
                ok, img = self._cap.read()
                if not ok or img is None:
                    break
            ts = (time.monotonic() - t0) * 1000.0
            if ts <= last_ts:
                ts = last_ts + 1.0
            last_ts = ts
            yield Frame(index, ts, img)
            index += 1
            img = None
            if self.max_frames is not None and index >= self.max_frames:
                break
            if self.seconds is not None and ts >= self.seconds * 1000.0:
                break

    def close(self) -> None:
        self._cap.release()


def open_source(spec, seconds: float | None = None) -> FrameSource:
    """A :class:`FrameSource` for a path (video file) or an int camera index.

    A string of digits (``"0"``) is taken as a camera index only if no file has that name.
    """
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        return CameraSource(int(spec), seconds=seconds)
    if isinstance(spec, str) and spec.isdigit() and not Path(spec).exists():
        return CameraSource(int(spec), seconds=seconds)
    return VideoFileSource(spec)
