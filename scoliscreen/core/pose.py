"""Pose estimation with MediaPipe Tasks ``PoseLandmarker`` (VIDEO mode, 33 landmarks).

* :func:`verify_pose_model` checks the bundled model's sha256 and refuses any other file.
* :class:`PoseEstimator` wraps the landmarker: ``detect(image_bgr, timestamp_ms) -> [33, 4]``
  (x, y normalised to the image, z as MediaPipe, visibility; all NaN when nobody is found).
  VIDEO mode needs strictly increasing integer-millisecond timestamps: they are rounded and
  forced forward by 1 ms when equal.
* :func:`estimate_poses` runs a whole :class:`~scoliscreen.core.video.FrameSource` into a
  :class:`~scoliscreen.core.sequence.PoseSequence`; frames without a person stay as NaN rows.
  Up to :data:`NUM_POSES` people are found per frame; :mod:`scoliscreen.core.tracking` links
  them into tracks and keeps the subject (``subject``: ``auto`` = the person who walks, a
  point or a track number); ``meta["tracking"]`` says which tracks there were.
  A decoder thread (OpenCV releases the GIL) decodes, rotates, downsizes and converts the next
  frames while MediaPipe works on the current one, through a small bounded queue.

Large frames are shrunk (longest side ``MAX_INFER_SIDE``) before MediaPipe, which works at
256x256 internally anyway; landmarks are normalised, so they stay relative to the original
image.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import cv2
import numpy as np

from scoliscreen.core import paths
from scoliscreen.core.errors import Cancelled, InputError, ModelIntegrityError
from scoliscreen.core.fileio import sha256_file

if TYPE_CHECKING:
    from scoliscreen.core.video import Frame
from scoliscreen.core.landmarks import NUM_MP
from scoliscreen.core.pose_mirror import MIRROR_POSE, MirroredEstimator
from scoliscreen.core.sequence import PoseSequence
from scoliscreen.core.video import quiet_native_logs

POSE_MODEL_SHA256 = "4eaa5eb7a98365221087693fcc286334cf0858e2eb6e15b506aa4a7ecdcec4ad"
MAX_INFER_SIDE = 1920  # px: larger frames (4K phone video) are shrunk before MediaPipe
QUEUE_FRAMES = 8  # decoded frames buffered ahead of inference (video files)
CAMERA_QUEUE_BYTES = 256 << 20  # a camera does not wait: buffer up to this much while inference catches up
NUM_POSES = 2  # people the multi-person landmarker looks for (besides the single tracker's one)
SCOUT_INTERVAL_S = 1.0  # how often the IMAGE-mode scout looks for another person (a newcomer is found within 1 s)
GENERATOR = f"mediapipe PoseLandmarker (pose_landmarker_full, VIDEO mode, num_poses={NUM_POSES}, tracked)"

_verified: dict[tuple[str, int, int], str] = {}


def verify_pose_model(path: str | Path | None = None, expected: str = POSE_MODEL_SHA256) -> Path:
    """Return the model path if its sha256 is the recorded one; raise ModelIntegrityError otherwise."""
    path = Path(path) if path is not None else paths.pose_model_path()
    if not path.is_file():
        raise ModelIntegrityError(
            f"the pose model is missing ({path}); reinstall ScoliScreen or restore models/pose_landmarker_full.task"
        )
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    digest = _verified.get(key) or sha256_file(path)
    if digest != expected:
        raise ModelIntegrityError(
            f"the pose model {path} is not the expected file (sha256 {digest[:12]}... instead of "
            f"{expected[:12]}...); it may be damaged or replaced, so it will not be used"
        )
    _verified[key] = digest
    return path


def prepare_image(image_bgr: np.ndarray, max_side: int | None = MAX_INFER_SIDE) -> np.ndarray:
    """BGR uint8 -> contiguous RGB uint8 for MediaPipe, shrunk so its longest side <= max_side."""
    h, w = image_bgr.shape[:2]
    if max_side and max(h, w) > max_side:
        scale = max_side / float(max(h, w))
        image_bgr = cv2.resize(
            image_bgr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    return np.ascontiguousarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))


class _Landmarker:
    """One MediaPipe PoseLandmarker in VIDEO mode with its own forward-only timestamps."""

    def __init__(self, mp, options) -> None:
        from mediapipe.tasks.python import vision

        self._mp = mp
        self.video = options.running_mode == vision.RunningMode.VIDEO
        try:
            with quiet_native_logs():
                self.task = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelIntegrityError(f"the pose model could not be loaded ({exc})") from None
        self.num_poses = int(options.num_poses)
        self._last_ts = -1
        self._quiet_pending = True

    def detect(self, image, timestamp_ms: float) -> np.ndarray:
        ts = int(round(float(timestamp_ms)))
        if ts <= self._last_ts:
            ts = self._last_ts + 1
        self._last_ts = ts
        def run():
            return self.task.detect_for_video(image, ts) if self.video else self.task.detect(image)

        if self._quiet_pending:  # MediaPipe logs set-up warnings on the first frame / first pose
            with quiet_native_logs():
                result = run()
            self._quiet_pending = not result.pose_landmarks
        else:
            result = run()
        out = np.full((self.num_poses, NUM_MP, 4), np.nan, dtype=np.float32)
        for k, pts in enumerate(result.pose_landmarks[: self.num_poses]):
            out[k] = [(p.x, p.y, p.z, p.visibility if p.visibility is not None else np.nan) for p in pts]
        return out

    def close(self) -> None:
        with quiet_native_logs():
            self.task.close()


class PoseEstimator:
    """MediaPipe PoseLandmarker in VIDEO mode. Close it (or use ``with``) when done.

    :meth:`detect_rgb` follows one person (``num_poses=1``, as MediaPipe tracks: cheap).
    :meth:`detect_people_rgb` finds more people at little extra cost: the single tracker runs
    on every frame, and a second landmarker in IMAGE mode (``num_poses`` people, no tracking
    state, so no stale pose; it runs the person detector on every call, about twice the cost
    of a tracked frame) *scouts* every :data:`SCOUT_INTERVAL_S`. Once the scout has seen
    someone other than the tracked person, a multi-person landmarker in VIDEO mode runs on
    every following frame too (about three times the cost of one person, only on clips with
    several people). MediaPipe's person detector misses people that its tracker keeps (the
    backlit man on the box of the real multi-person clip), so the single tracker is kept.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        max_side: int | None = MAX_INFER_SIDE,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        num_poses: int = NUM_POSES,
    ):
        self.model_path = verify_pose_model(model_path)
        self.max_side = max_side
        self.num_poses = max(1, int(num_poses))
        from scoliscreen.core.offline import import_mediapipe

        mp = import_mediapipe()  # network blocked, sounddevice stubbed (docs/privacy.md)
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp

        def options(n: int, mode=vision.RunningMode.VIDEO):
            return vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(self.model_path)),
                running_mode=mode,
                num_poses=n,
                min_pose_detection_confidence=min_detection_confidence,
                min_pose_presence_confidence=min_presence_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )

        self._options = options
        self._single: _Landmarker | None = _Landmarker(mp, options(1))
        self._multi: _Landmarker | None = None  # created when a second person is seen
        self._scout: _Landmarker | None = None  # created on the first scout
        self._image_mode = vision.RunningMode.IMAGE
        self.multi_mode = False  # two people were seen: every frame goes to the multi landmarker
        self._next_scout_ms = -np.inf
        self._closed = False

    def _image(self, image_rgb: np.ndarray):
        if self._closed:
            raise RuntimeError("PoseEstimator is closed")
        return self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=image_rgb)

    def detect_rgb(self, image_rgb: np.ndarray, timestamp_ms: float) -> np.ndarray:
        """Landmarks [33, 4] float32 of a prepared RGB image (see :func:`prepare_image`): the one
        person MediaPipe tracks (use :meth:`detect_people_rgb` for everyone)."""
        image = self._image(image_rgb)
        assert self._single is not None
        return self._single.detect(image, timestamp_ms)[0]

    def detect_all_rgb(self, image_rgb: np.ndarray, timestamp_ms: float) -> np.ndarray:
        """Landmarks [num_poses, 33, 4] float32 from the multi-person landmarker (NaN rows for
        people not found)."""
        image = self._image(image_rgb)
        if self._multi is None:
            self._multi = _Landmarker(self._mp, self._options(self.num_poses))
        return self._multi.detect(image, timestamp_ms)

    def new_recording(self) -> None:
        """Forget who was seen (the next frame starts a new recording's scouting)."""
        self.multi_mode = False
        self._next_scout_ms = -np.inf

    def detect_people_rgb(self, image_rgb: np.ndarray, timestamp_ms: float) -> np.ndarray:
        """Landmarks [1 + num_poses, 33, 4] (NaN rows: nobody): row 0 the person the single
        tracker follows, the other rows the multi-person landmarker's (or the scout's) people
        once a second person has been seen (see the class doc). The same person may appear
        twice: :func:`~scoliscreen.core.tracking.build_tracks` keeps one."""
        out = np.full((1 + self.num_poses, NUM_MP, 4), np.nan, dtype=np.float32)
        out[0] = self.detect_rgb(image_rgb, timestamp_ms)
        if self.num_poses == 1:
            return out[:1]
        if self.multi_mode:
            out[1:] = self.detect_all_rgb(image_rgb, timestamp_ms)
        elif timestamp_ms >= self._next_scout_ms:
            self._next_scout_ms = float(timestamp_ms) + SCOUT_INTERVAL_S * 1000.0
            from scoliscreen.core.tracking import count_people

            if self._scout is None:
                self._scout = _Landmarker(self._mp, self._options(self.num_poses, self._image_mode))
            out[1:] = self._scout.detect(self._image(image_rgb), timestamp_ms)
            if count_people(out, (image_rgb.shape[1], image_rgb.shape[0])) >= 2:
                self.multi_mode = True  # the VIDEO landmarker starts tracking on this frame
                out[1:] = self.detect_all_rgb(image_rgb, timestamp_ms)
            else:
                out[1:] = np.nan  # the scout's pose of the tracked person: row 0 has it already
        return out

    def detect(self, image_bgr: np.ndarray, timestamp_ms: float) -> np.ndarray:
        """Landmarks [33, 4] (NaN when no person) of one BGR frame; timestamps must go forward."""
        return self.detect_rgb(prepare_image(image_bgr, self.max_side), timestamp_ms)

    def close(self) -> None:
        for lm in (self._single, self._multi, self._scout):
            if lm is not None:
                lm.close()
        self._single = self._multi = self._scout = None
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


_END = object()


def _decoder(source, max_side, out: queue.Queue, stop: threading.Event) -> None:
    """Thread body: decode + prepare frames ahead of inference; puts (frame, rgb), then _END."""
    try:
        for frame in source:
            item = (frame, prepare_image(frame.image, max_side))
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        out.put(_END)
    except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
        out.put(exc)


def estimate_poses(
    source,
    progress: Callable[[int, int | None], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    *,
    estimator: PoseEstimator | None = None,
    model_path: str | Path | None = None,
    on_frame: Callable[[Frame, np.ndarray], None] | None = None,
    subject: str | None = None,
    num_poses: int = NUM_POSES,
    symmetric: bool = MIRROR_POSE,
) -> PoseSequence:
    """Pose of every frame of ``source`` -> PoseSequence (NaN rows where nobody was found).

    ``progress(done, total)`` is called after each frame (``total`` None for cameras);
    ``should_cancel()`` is polled per frame and a true result raises ``Cancelled``;
    ``on_frame(frame, landmarks)`` lets a viewer draw the live skeleton (called on this thread).
    Pass ``estimator`` to reuse a loaded model; use a fresh one per recording all the same if
    you can, as VIDEO mode carries tracking state (and timestamps) from one frame to the next.
    A camera recording's ``fps`` is the rate its frames really arrived at.
    ``subject``: who to keep when several people are found (:mod:`scoliscreen.core.tracking`).
    ``symmetric``: each frame and its mirror image are estimated and averaged (``pose_mirror.py``;
    own estimator only, one person).
    """
    from scoliscreen.core.tracking import parse_subject, select_subject

    parse_subject(subject)  # a bad --subject is refused before any decoding
    own = estimator is None
    if own:
        verify_pose_model(model_path)  # a bad model file is refused before any decoding starts
    maxsize = QUEUE_FRAMES
    if getattr(source, "kind", "") == "camera":
        w, h = source.size
        maxsize = int(min(1024, max(QUEUE_FRAMES, CAMERA_QUEUE_BYTES // max(1, 6 * w * h))))
    q: queue.Queue = queue.Queue(maxsize=maxsize)
    stop = threading.Event()
    max_side = estimator.max_side if estimator is not None else MAX_INFER_SIDE
    worker = threading.Thread(target=_decoder, args=(source, max_side, q, stop), daemon=True)
    rows: list[np.ndarray] = []
    times: list[float] = []
    total = getattr(source, "frame_count", None)
    est: PoseEstimator | MirroredEstimator | None = estimator
    worker.start()  # the first frames decode while the model loads
    try:
        if est is None:
            est = (MirroredEstimator(lambda: PoseEstimator(model_path)) if symmetric
                   else PoseEstimator(model_path, num_poses=num_poses))
        est.new_recording()
        while True:
            item = q.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            if should_cancel is not None and should_cancel():
                raise Cancelled("pose estimation was cancelled")
            frame, rgb = item
            lm = est.detect_people_rgb(rgb, frame.timestamp_ms)
            rows.append(lm)
            times.append(frame.timestamp_ms)
            if on_frame is not None:
                on_frame(frame, lm[0])
            if progress is not None:
                progress(len(rows), total)
    finally:
        stop.set()
        while worker.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)
        if own and est is not None:
            est.close()
    if getattr(source, "truncated", False):
        raise InputError(
            f"{source.description}: the video ends early - only {len(rows)} of {source.frame_count} frames "
            "could be decoded (damaged or truncated file)"
        )
    t_ms = np.asarray(times, dtype=np.float64)
    if rows:
        landmarks, tracking = select_subject(np.stack(rows), t_ms, source.size, subject)
    else:
        landmarks, tracking = np.zeros((0, NUM_MP, 4), np.float32), {}
    meta = {"source": source.description, "generator": GENERATOR, "rotation": getattr(source, "rotation", 0),
            "tracking": tracking}
    fps = source.fps
    if getattr(source, "kind", "") == "camera" and len(times) >= 2 and times[-1] > times[0]:
        fps = (len(times) - 1) * 1000.0 / (times[-1] - times[0])  # what the camera really delivered
    return PoseSequence(landmarks, fps, source.size, t_ms, meta)
