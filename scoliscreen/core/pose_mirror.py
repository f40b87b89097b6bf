"""Pose estimation symmetrised under a left-right flip of the picture.

MediaPipe does not give the mirror image of its answer on a mirrored frame: on the real clips a
pixel-flipped video moved the screening probability by up to 0.3 (at the training prevalence)
although the model itself is symmetrised (``predict.py`` runs the pose sequence and its mirror
image). :class:`MirroredEstimator` therefore runs two pose trackers on every frame, one on the
frame and one on its mirror image; the mirror's landmarks are flipped back (x -> 1 - x) with
left and right swapped (``landmarks.MP_MIRROR``), and the two answers are averaged (where only
one tracker finds the person, its answer is used). A flipped video then gives the same two
answers with their roles exchanged, so the same pose sequence, up to the codec's noise.

The cost is a second pose inference per frame (the two trackers run on two threads), measured
by ``benchmarks/pose_throughput.py --both``: about 2.8x the pose time, which breaks the
real-time bar on 2 cores, so ``MIRROR_POSE`` (the default of
``pose.estimate_poses(..., symmetric=...)``) is off; the app's mirror robustness then rests on
the model's own symmetrisation and the pooling (``tests/test_mirror_pixels.py`` checks both).

This module does not import :mod:`scoliscreen.core.pose` (it is handed a factory of
estimators), so the hook in ``pose.py`` stays one way.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Protocol

import numpy as np

from scoliscreen.core.landmarks import MP_MIRROR

# Off by default: on a 96-frame 1080p clip on 2 cores the mirror pass made analyze() take
# 8.6 s instead of 3.0 s (benchmarks/pose_throughput.py --both, machine under load), past the
# 3.2 s real-time bar. Pass ``symmetric=True`` to ``pose.estimate_poses`` to use it.
MIRROR_POSE = False


class _Estimator(Protocol):
    max_side: int | None

    def detect_rgb(self, image_rgb: np.ndarray, timestamp_ms: float) -> np.ndarray: ...

    def close(self) -> None: ...


def unmirror(landmarks: np.ndarray) -> np.ndarray:
    """Landmarks found on a horizontally flipped image [33, 4] -> the original image's frame:
    x -> 1 - x, and each left landmark swapped with its right partner."""
    out = np.asarray(landmarks, np.float32)[MP_MIRROR].copy()
    out[:, 0] = 1.0 - out[:, 0]
    return out


def combine(direct: np.ndarray, mirrored_back: np.ndarray) -> np.ndarray:
    """The symmetric estimate from the frame's landmarks and the mirror's (already mapped back):
    their mean where both found the person, else the one that did (NaN when neither)."""
    a_ok = bool(np.isfinite(direct[:, :2]).any())
    b_ok = bool(np.isfinite(mirrored_back[:, :2]).any())
    if a_ok and b_ok:
        with np.errstate(invalid="ignore"):
            both = np.stack([direct, mirrored_back])
            out = np.nanmean(both, axis=0) if not np.isfinite(both).all() else both.mean(0)
        return out.astype(np.float32)
    return (direct if a_ok else mirrored_back).astype(np.float32)


class MirroredEstimator:
    """Two trackers (``factory()`` twice): one on each frame, one on its mirror image."""

    def __init__(self, factory: Callable[[], _Estimator], *, parallel: bool = True):
        self._direct = factory()
        try:
            self._mirror = factory()
        except BaseException:
            self._direct.close()
            raise
        self.max_side = self._direct.max_side
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="scoliscreen-pose-mirror") if parallel else None

    def detect_rgb(self, image_rgb: np.ndarray, timestamp_ms: float) -> np.ndarray:
        flipped = np.ascontiguousarray(image_rgb[:, ::-1])
        # MediaPipe's first frames are run with fd 2 silenced (``video.quiet_native_logs``), which
        # is not thread-safe: until both trackers are past that, they take turns on this thread
        pending = getattr(self._direct, "_quiet_pending", False) or getattr(self._mirror, "_quiet_pending", False)
        if self._pool is not None and not pending:
            fut = self._pool.submit(self._mirror.detect_rgb, flipped, timestamp_ms)
            a = self._direct.detect_rgb(image_rgb, timestamp_ms)
            b = fut.result()
        else:
            a = self._direct.detect_rgb(image_rgb, timestamp_ms)
            b = self._mirror.detect_rgb(flipped, timestamp_ms)
        return combine(a, unmirror(b))

    def new_recording(self) -> None:
        """A new recording: both trackers forget who they saw (when they keep such state)."""
        for est in (self._direct, self._mirror):
            if hasattr(est, "new_recording"):
                est.new_recording()

    def detect_people_rgb(self, image_rgb: np.ndarray, timestamp_ms: float) -> np.ndarray:
        """[1, 33, 4]: the mirror-symmetrised pose of the one person followed (no multi-person search)."""
        return self.detect_rgb(image_rgb, timestamp_ms)[None]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._direct.close()
        self._mirror.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
