"""Shared by the pose readers and writers: pixels <-> the pose-sequence layout."""

from __future__ import annotations

import numpy as np

from scoliscreen.core.errors import InputError
from scoliscreen.core.interop.layouts import guess_frame_size
from scoliscreen.core.sequence import PoseSequence

MAX_POSE_FILE_BYTES = 64 << 20  # one TRC / COCO JSON file / OpenPose frame (~15 min of a 60 fps TRC)
MAX_FRAME_FILES = 216_000  # OpenPose JSON files in a folder (the sequence frame limit)


def sequence_from_pixels(points: np.ndarray, fps: float, frame_size: tuple[int, int] | None,
                         timestamps_ms: np.ndarray | None, source: str) -> PoseSequence:
    """[T, 33, 4] (x px, y px, z, visibility) -> PoseSequence. A frame where no landmark has
    x and y is all NaN; a landmark without x or y is NaN in all four values; missing depth is
    0 (the hips' depth, MediaPipe's origin) and missing visibility 1."""
    pts = np.asarray(points, dtype=np.float64).copy()
    if pts.ndim != 3 or pts.shape[1:] != (33, 4):
        raise InputError(f"{source}: internal layout error ({list(pts.shape)})")
    if not np.isfinite(pts[:, :, :2]).any():
        raise InputError(f"{source}: no keypoint in any frame")
    size = frame_size or guess_frame_size(pts[:, :, :2])
    have = np.isfinite(pts[:, :, :2]).all(axis=-1)
    pts[:, :, 2] = np.where(have & ~np.isfinite(pts[:, :, 2]), 0.0, pts[:, :, 2])
    pts[:, :, 3] = np.where(have & ~np.isfinite(pts[:, :, 3]), 1.0, pts[:, :, 3])
    pts[~have] = np.nan
    pts[:, :, 0] /= size[0]
    pts[:, :, 1] /= size[1]
    meta = {"source": source, "imported_from": source, "frame_size_guessed": frame_size is None}
    try:
        return PoseSequence(pts.astype(np.float32), fps, size, timestamps_ms, meta)  # type: ignore[arg-type]  # None: default times
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None


def pixels_of(seq: PoseSequence) -> np.ndarray:
    """[T, 33, 4] float64: x px, y px, z, visibility (NaN where no pose)."""
    lm = seq.landmarks.astype(np.float64)
    out = lm.copy()
    out[:, :, 0] *= seq.image_size[0]
    out[:, :, 1] *= seq.image_size[1]
    return out


def read_limited(path, what: str) -> bytes:
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    if path.stat().st_size > MAX_POSE_FILE_BYTES:
        raise InputError(f"{path}: {path.stat().st_size} bytes is too large for a {what} "
                         f"(at most {MAX_POSE_FILE_BYTES >> 20} MiB)")
    return path.read_bytes()
