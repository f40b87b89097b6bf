"""The pose-sequence file format (version 1) and its in-memory form.

A pose sequence is a ``.npz`` file with:

* ``landmarks`` float32 [T, 33, 4]: MediaPipe Pose order; x, y normalised to image width and
  height (0..1 inside the image); z as MediaPipe gives it; visibility 0..1. A frame with no
  person is all NaN.
* ``fps`` float (scalar): nominal frame rate.
* ``image_size`` int [2] = (width, height) in pixels, after rotation metadata is applied.

Optional keys this project writes (other writers may omit them; unknown keys are ignored):

* ``timestamps_ms`` float64 [T]: frame times; default ``arange(T) * 1000 / fps``.
* ``format_version`` int (1), ``source`` str, ``view`` str ("front", "back", "side", "unknown").

See docs/sequence_format.md.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scoliscreen.core.constants import TARGET_FPS
from scoliscreen.core.errors import InputError
from scoliscreen.core.landmarks import MP_MIRROR, NUM_MP, to_coco17

FORMAT_VERSION = 1

# Limits on what a sequence may hold (checked on every PoseSequence, and in .npz headers
# before anything is inflated): a walking clip is seconds to minutes long.
MAX_FRAMES = 216_000  # 1 h at 60 fps (114 MB of float32 landmarks)
MAX_DURATION_S = 3600.0
MAX_FPS = 1000.0
MAX_IMAGE_SIDE = 16384  # pixels
MAX_NPZ_MEMBER_BYTES = 256 << 20  # one array of a pose-sequence .npz, inflated
MAX_NPZ_MEMBERS = 64


@dataclass
class PoseSequence:
    landmarks: np.ndarray  # float32 [T, 33, 4]
    fps: float
    image_size: tuple[int, int]  # (width, height)
    timestamps_ms: np.ndarray = None  # type: ignore[assignment]  # float64 [T]; None -> filled in __post_init__
    meta: dict = field(default_factory=dict)  # source, view, ... (JSON-serialisable)

    def __post_init__(self):
        self.landmarks = _real_array(self.landmarks, "landmarks", np.float32)
        if self.landmarks.ndim != 3 or self.landmarks.shape[1:] != (NUM_MP, 4):
            raise InputError(
                f"landmarks must have shape [T, 33, 4], got {list(self.landmarks.shape)}"
            )
        if len(self.landmarks) > MAX_FRAMES:
            raise InputError(f"{len(self.landmarks)} frames is more than the {MAX_FRAMES} a sequence may hold")
        if np.isinf(self.landmarks).any():
            raise InputError("landmarks hold infinite values (only numbers, or NaN for a missing point)")
        fps = _real_array(self.fps, "fps", np.float64).reshape(-1)
        self.fps = float(fps[0]) if fps.size == 1 else float("nan")
        if not np.isfinite(self.fps) or not 0 < self.fps <= MAX_FPS:
            raise InputError(f"fps must be a number in (0, {MAX_FPS:.0f}], got {self.fps}")
        size = _real_array(self.image_size, "image_size", np.float64).reshape(-1)
        if size.size != 2 or not np.isfinite(size).all() or (size != np.round(size)).any() \
                or not ((size >= 1) & (size <= MAX_IMAGE_SIDE)).all():
            raise InputError(
                f"image_size must be two whole numbers of pixels between 1 and {MAX_IMAGE_SIDE} (width, height), "
                f"got {size.tolist()[:4]}"
            )
        self.image_size = (int(size[0]), int(size[1]))
        if self.timestamps_ms is None:
            self.timestamps_ms = np.arange(len(self.landmarks), dtype=np.float64) * 1000.0 / self.fps
        else:
            self.timestamps_ms = _real_array(self.timestamps_ms, "timestamps_ms", np.float64).reshape(-1)
            if len(self.timestamps_ms) != len(self.landmarks):
                raise InputError("timestamps_ms must have one entry per frame")
            t = self.timestamps_ms
            if not np.isfinite(t).all():
                raise InputError("timestamps_ms must be finite numbers (no NaN or infinity)")
            if len(t) > 1 and not (np.diff(t) > 0).all():
                raise InputError("timestamps_ms must be strictly increasing")
            if len(t) > 1 and t[-1] - t[0] > MAX_DURATION_S * 1000.0:
                raise InputError(f"timestamps_ms span {(t[-1] - t[0]) / 1000:.3g} s; at most {MAX_DURATION_S:.0f} s")

    # ---- basic views -------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.landmarks.shape[0])

    @property
    def duration_s(self) -> float:
        if len(self) == 0:
            return 0.0
        return float(self.timestamps_ms[-1] - self.timestamps_ms[0]) / 1000.0 + 1.0 / self.fps

    @property
    def detected(self) -> np.ndarray:
        """bool [T]: a person was found in the frame."""
        return np.isfinite(self.landmarks[:, :, 0]).any(axis=1)

    @property
    def aspect(self) -> float:
        """height / width of the image (x and y are normalised separately)."""
        return self.image_size[1] / max(self.image_size[0], 1)

    def pixels(self) -> np.ndarray:
        """[T, 33, 2] landmark x, y in pixels (isotropic units for geometry)."""
        return self.landmarks[:, :, :2] * np.array(self.image_size, dtype=np.float32)

    def coco17(self) -> np.ndarray:
        """[T, 17, 4] in COCO-17 order (the Scoliosis1K-Pose layout)."""
        return to_coco17(self.landmarks)

    @property
    def view(self) -> str:
        return str(self.meta.get("view", "unknown"))

    # ---- transforms ---------------------------------------------------------------------
    def slice(self, start: int, stop: int) -> "PoseSequence":
        return PoseSequence(
            self.landmarks[start:stop].copy(), self.fps, self.image_size,
            self.timestamps_ms[start:stop].copy(), dict(self.meta),
        )

    def mirrored(self) -> "PoseSequence":
        """Horizontal flip of the video: x -> 1 - x and the subject's left/right labels swap."""
        lm = self.landmarks[:, MP_MIRROR].copy()
        lm[:, :, 0] = 1.0 - lm[:, :, 0]
        return PoseSequence(lm, self.fps, self.image_size, self.timestamps_ms.copy(), dict(self.meta))

    def resampled(self, fps: float = TARGET_FPS) -> "PoseSequence":
        """Resample to ``fps`` by timestamp (linear interpolation between neighbouring frames).

        A target sample whose two neighbours are not both detected is NaN (no invention of
        poses across gaps); a sample that coincides with a source frame copies it.
        """
        if len(self) == 0:
            return PoseSequence(self.landmarks.copy(), fps, self.image_size, np.zeros(0), dict(self.meta))
        t = self.timestamps_ms - self.timestamps_ms[0]
        step = 1000.0 / fps
        n = int(np.floor(t[-1] / step + 1e-6)) + 1
        tq = np.arange(n) * step
        # tq - 1e-3: a target that lands on a source frame but is a hair above it in floating point
        # (3 * 33.33... = 100.000...01 ms) is that frame, not the gap after it
        hi = np.clip(np.searchsorted(t, tq - 1e-3, side="left"), 0, len(t) - 1)
        lo = np.clip(hi - 1, 0, len(t) - 1)
        exact = np.isclose(t[hi], tq, atol=1e-3)
        lo = np.where(exact, hi, lo)
        span = np.maximum(t[hi] - t[lo], 1e-9)
        w = np.where(exact, 0.0, (tq - t[lo]) / span).astype(np.float32)[:, None, None]
        out = (1 - w) * self.landmarks[lo] + w * self.landmarks[hi]  # NaN propagates across gaps
        return PoseSequence(out.astype(np.float32), fps, self.image_size, tq + self.timestamps_ms[0], dict(self.meta))


def _real_array(value, name: str, dtype) -> np.ndarray:
    """``value`` as a real numeric array of ``dtype``; strings, objects and complex refused."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise InputError(f"{name} must be real numbers, not {arr.dtype.name} values")
    return arr.astype(dtype, copy=False)


# ---- file I/O ---------------------------------------------------------------------------

def check_npz_headers(path: Path) -> None:
    """Refuse an .npz whose arrays would inflate past the limits, reading only their headers."""
    try:
        with path.open("rb") as fh:
            if fh.read(6) == b"\x93NUMPY":
                raise InputError(f"{path}: not a pose sequence (a single array, not an .npz archive)")
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_NPZ_MEMBERS:
                raise InputError(f"{path}: {len(infos)} arrays; a pose sequence has a handful")
            for info in infos:
                if info.file_size > MAX_NPZ_MEMBER_BYTES + 4096:
                    raise InputError(f"{path}: the array {info.filename} inflates to {info.file_size} bytes "
                                     f"(at most {MAX_NPZ_MEMBER_BYTES >> 20} MiB)")
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
                if info.filename in ("landmarks.npy", "timestamps_ms.npy") and shape and shape[0] > MAX_FRAMES:
                    raise InputError(f"{path}: {shape[0]} frames; a sequence may hold at most {MAX_FRAMES}")
                n = int(np.prod(shape, dtype=object)) if shape else 1
                if n * max(dtype.itemsize, 1) > MAX_NPZ_MEMBER_BYTES:
                    raise InputError(f"{path}: the array {info.filename} claims shape {list(shape)} "
                                     f"({n * dtype.itemsize} bytes; at most {MAX_NPZ_MEMBER_BYTES >> 20} MiB)")
    except InputError:
        raise
    except (OSError, ValueError, TypeError, zipfile.BadZipFile, EOFError, KeyError, IndexError,
            NotImplementedError, RuntimeError):
        return  # not a readable zip: np.load below says what it is

def save_sequence(seq: PoseSequence, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(".npz")
    from scoliscreen.core.errors import OutputError
    from scoliscreen.core.fileio import atomic_writer

    try:
        with atomic_writer(path, "wb") as fh:  # mkstemp (O_EXCL, 0600) beside PATH, then os.replace
            np.savez_compressed(
                fh,
                landmarks=seq.landmarks.astype(np.float32),
                fps=np.float64(seq.fps),
                image_size=np.asarray(seq.image_size, dtype=np.int64),
                timestamps_ms=seq.timestamps_ms.astype(np.float64),
                format_version=np.int64(FORMAT_VERSION),
                meta_json=np.asarray(json.dumps(seq.meta, default=str)),
            )
    except OutputError as exc:
        why = str(exc).removeprefix(f"{path}: ")
        raise OutputError(f"{path}: cannot write the pose sequence; {why}") from None
    return path


def load_sequence(path: str | Path) -> PoseSequence:
    """Read a pose-sequence ``.npz`` written by this project or any other program in the layout."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a pose-sequence file")
    if not path.is_file():
        raise InputError(f"{path}: is not a regular file (a pipe, socket or device)")
    check_npz_headers(path)
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):  # a bare .npy array, not an archive
            raise InputError(f"{path}: not a pose sequence (a single array, not an .npz archive)")
        with loaded as data:
            keys = set(data.files)
            missing = {"landmarks", "fps", "image_size"} - keys
            if missing:
                raise InputError(f"{path}: not a pose sequence (missing {', '.join(sorted(missing))})")
            landmarks = data["landmarks"]
            fps = data["fps"]
            image_size = data["image_size"]
            ts = data["timestamps_ms"] if "timestamps_ms" in keys else None
            meta = {}
            if "meta_json" in keys:
                try:
                    meta = json.loads(str(data["meta_json"]))
                except ValueError:
                    meta = {}
                if not isinstance(meta, dict):
                    meta = {}
            for key in ("source", "view"):
                if key in keys and key not in meta:
                    meta[key] = str(data[key])
    except InputError:
        raise
    except (OSError, ValueError, TypeError, zipfile.BadZipFile, EOFError, KeyError, IndexError) as exc:
        raise InputError(f"{path}: not a readable pose-sequence .npz ({type(exc).__name__})") from None
    try:
        return PoseSequence(landmarks, fps, image_size, ts, meta)  # type: ignore[arg-type]  # None: default times
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
