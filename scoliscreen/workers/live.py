"""Live capture: a camera (or a *camera stand-in*: a video file replayed in real time) shown
at its own frame rate, with pose estimated on the newest frame only, and optional recording.

Two threads, so display never waits for the pose model (signals are all emitted by the
capture thread; the pose thread hands its results over through a deque):

* the capture loop (this worker's ``QThread``) reads frames, paces a file stand-in to its
  timestamps, emits every frame for display, writes it when recording, and drops it into a
  one-frame slot for the pose thread (overwriting an unprocessed one);
* the pose thread takes the newest frame from the slot, runs
  ``scoliscreen.core.pose.PoseEstimator.detect`` on a downscaled copy, and emits landmarks.

Figures (displayed fps, skeleton fps, dropped pose frames) arrive in ``stats`` once a second
and when the capture stops.

The capture loop is a generator of typed events (:class:`LiveFrame`, :class:`LivePose`,
:class:`LiveStats`, :class:`LiveProblem`) run by the worker adapter (``workers/base.py``) like
every other job: cancellation is checked between yields and closes the loop.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal

from scoliscreen.core.errors import InputError
from scoliscreen.workers.base import Worker
from scoliscreen.workers.frames import bgr_to_qimage

POSE_MAX_SIDE = 640  # MediaPipe works at 256x256 internally; smaller input = cheaper resize/copy


@dataclass(frozen=True)
class LiveFrame:
    index: int
    timestamp_ms: float
    image: np.ndarray  # BGR


@dataclass(frozen=True)
class LivePose:
    index: int
    landmarks: np.ndarray  # [33, 4]


@dataclass(frozen=True)
class LiveStats:
    figures: dict


@dataclass(frozen=True)
class LiveProblem:
    message: str  # shown to the user; the capture goes on


class _LatestSlot:
    """One-item mailbox: ``put`` overwrites, ``take`` blocks until an item or close."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item = None
        self._closed = False
        self.overwritten = 0

    def put(self, item) -> None:
        with self._cond:
            if self._item is not None:
                self.overwritten += 1
            self._item = item
            self._cond.notify()

    def take(self):
        with self._cond:
            while self._item is None and not self._closed:
                self._cond.wait(0.5)
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class LiveWorker(Worker):
    """Run a live source until cancelled (or a file stand-in ends).

    ``source``: camera index (int) or a video path replayed in real time (the stand-in).
    Signals (besides the base ones): ``frame_ready(index, ts_ms, QImage)``,
    ``pose_ready(index, landmarks[33,4])``, ``stats(dict)``, ``recording_saved(path)``.
    The result is the final stats dict.
    """

    frame_ready = Signal(int, float, object)
    pose_ready = Signal(int, object)
    stats = Signal(dict)
    recording_saved = Signal(str)

    def __init__(self, source: int | str, pose: bool = True, loop: bool = False,
                 max_seconds: float | None = None, estimator_factory=None):
        super().__init__()
        self.source_spec = source
        self.pose_enabled = pose
        self.loop = loop
        self.max_seconds = max_seconds
        self._estimator_factory = estimator_factory
        self._slot = _LatestSlot()
        self._record_lock = threading.Lock()
        self._record_path: Path | None = None
        self._writer = None
        self._counts = {"shown": 0, "poses": 0, "pose_errors": 0}
        # results of the pose thread, emitted by the capture thread: a signal emitted from a
        # plain Python thread would be queued to this worker's (busy) thread for some receivers
        self._pose_out: collections.deque = collections.deque()

    # ---- recording (called from the GUI thread) ------------------------------------------
    def start_recording(self, folder: str | Path) -> Path:
        """Write the following frames to ``folder/rec-<time>.mp4`` (atomically, on stop)."""
        from scoliscreen.core.fileio import private_dir

        folder = private_dir(folder)  # recordings of children: a folder made here is 0700
        path = folder / f"rec-{datetime.now():%Y%m%d-%H%M%S}.mp4"
        with self._record_lock:
            self._record_path = path
        return path

    def stop_recording(self) -> None:
        with self._record_lock:
            self._record_path = None  # the capture loop closes and renames the file

    # ---- capture thread -----------------------------------------------------------------
    def _record(self, frame, fps: float) -> None:
        with self._record_lock:
            path = self._record_path
        if path is not None and self._writer is None:
            import cv2

            import tempfile

            h, w = frame.image.shape[:2]
            # a recording of a child: an O_EXCL temp file, 0600, that the writer fills in place
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".partial.mp4")
            os.close(fd)
            tmp = Path(name)
            self._writer = (cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h)), tmp, path)
        if self._writer is not None and path is None:
            self._finish_recording()
        elif self._writer is not None:
            self._writer[0].write(frame.image)

    def _finish_recording(self) -> None:
        writer, tmp, final = self._writer
        self._writer = None
        writer.release()
        from scoliscreen.core.fileio import describe_target

        if tmp.exists() and tmp.stat().st_size > 0 and describe_target(final) is None:
            os.replace(tmp, final)  # atomic: a crash never leaves a truncated file under the final name
            self.recording_saved.emit(str(final))
        else:
            tmp.unlink(missing_ok=True)
            self.error.emit("The recording could not be written.")

    def _pose_loop(self) -> None:
        try:
            if self._estimator_factory is not None:
                estimator = self._estimator_factory()
            else:
                from scoliscreen.core.pose import PoseEstimator

                estimator = PoseEstimator(max_side=POSE_MAX_SIDE)
        except Exception as exc:  # noqa: BLE001 - any failure becomes one readable message
            self._pose_out.append(("error", f"The pose model could not be loaded: {exc}"))
            return
        last_ts = -1
        try:
            while not self.is_cancelled:
                item = self._slot.take()
                if item is None:
                    break
                index, ts_ms, image = item
                ts = max(int(ts_ms), last_ts + 1)  # VIDEO mode needs strictly increasing ms (loops)
                last_ts = ts
                try:
                    landmarks = estimator.detect(image, ts)
                except Exception:  # noqa: BLE001 - one bad frame must not stop the preview
                    self._counts["pose_errors"] += 1
                    continue
                self._counts["poses"] += 1
                self._pose_out.append((index, np.asarray(landmarks, dtype=np.float32)))
        finally:
            close = getattr(estimator, "close", None)
            if close:
                close()

    def _poses(self) -> Generator[LivePose | LiveProblem, None, None]:
        """What the pose thread produced since the last call (capture thread)."""
        while self._pose_out:
            index, payload = self._pose_out.popleft()
            yield LiveProblem(payload) if index == "error" else LivePose(index, payload)

    def on_event(self, event: object) -> None:
        if isinstance(event, LiveFrame):
            self.frame_ready.emit(event.index, event.timestamp_ms, bgr_to_qimage(event.image))
        elif isinstance(event, LivePose):
            self.pose_ready.emit(event.index, event.landmarks)
        elif isinstance(event, LiveStats):
            self.stats.emit(event.figures)
        elif isinstance(event, LiveProblem):
            self.error.emit(event.message)

    def work(self) -> Generator[LiveFrame | LivePose | LiveStats | LiveProblem, None, dict]:
        from scoliscreen.core.video import open_source

        is_file = not isinstance(self.source_spec, int)
        try:
            source = open_source(self.source_spec)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure becomes one readable message
            raise InputError(f"The camera or video {self.source_spec!r} cannot be opened ({exc}).") from None
        pose_thread = None
        if self.pose_enabled:
            pose_thread = threading.Thread(target=self._pose_loop, name="live-pose", daemon=True)
            pose_thread.start()
        fps = float(getattr(source, "fps", 30.0) or 30.0)
        t_start = time.perf_counter()
        last_stats = t_start
        shown_at_last = poses_at_last = 0
        offset_ms = 0.0
        index = 0
        try:
            while not self.is_cancelled:
                got = False
                base_ts = None
                for frame in source:
                    got = True
                    if self.is_cancelled:
                        break
                    if base_ts is None:
                        base_ts = frame.timestamp_ms
                    ts = offset_ms + frame.timestamp_ms - base_ts
                    if is_file:  # stand-in: release frames at their own rate
                        delay = t_start + ts / 1000.0 - time.perf_counter()
                        if delay > 0:
                            time.sleep(delay)
                    yield LiveFrame(index, ts, frame.image)
                    self._counts["shown"] += 1
                    if self.pose_enabled:
                        self._slot.put((index, ts, frame.image))
                    self._record(frame, fps)
                    yield from self._poses()
                    index += 1
                    now = time.perf_counter()
                    if now - last_stats >= 1.0:
                        dt = now - last_stats
                        yield LiveStats({
                            "display_fps": (self._counts["shown"] - shown_at_last) / dt,
                            "pose_fps": (self._counts["poses"] - poses_at_last) / dt,
                        })
                        shown_at_last, poses_at_last = self._counts["shown"], self._counts["poses"]
                        last_stats = now
                    if self.max_seconds and now - t_start >= self.max_seconds:
                        self.cancel()
                if not (is_file and self.loop and got) or self.is_cancelled:
                    break
                offset_ms = ts + 1000.0 / fps
                source.close()
                source = open_source(self.source_spec)
        finally:
            if self._writer is not None:
                self._finish_recording()
            self._slot.close()
            if pose_thread is not None:
                pose_thread.join(10)
            for event in self._poses():  # the last ones (the loop may have been closed: emit directly)
                self.on_event(event)
            source.close()
            self.on_event(LiveStats(self._final_stats(t_start, fps)))  # also when cancelled
        return self._final_stats(t_start, fps)

    def _final_stats(self, t_start: float, fps: float) -> dict:
        elapsed = max(time.perf_counter() - t_start, 1e-9)
        return {
            "seconds": elapsed,
            "frames_shown": self._counts["shown"],
            "poses": self._counts["poses"],
            "pose_frames_skipped": self._slot.overwritten,
            "display_fps": self._counts["shown"] / elapsed,
            "pose_fps": self._counts["poses"] / elapsed,
            "source_fps": fps,
        }
