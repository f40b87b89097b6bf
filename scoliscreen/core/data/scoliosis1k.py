"""Import Scoliosis1K-Pose (OpenGait layout) into the dataset folder format.

Assumed layout (OpenGait ``datasets/Scoliosis1K/README.md``; docs/dataset_format.md)::

    SRC/
      Scoliosis1K_1116.json        {"TRAIN_SET": ["00000", ...], "TEST_SET": [...]}
      00000/                       sequence / subject id (5 digits)
        positive/                  category: positive | neutral | negative
          000-180/                 view folder (kept as text; the walk covers both directions)
            000.pkl                COCO-17 keypoints of every frame: array [T, 17, 3] = x, y (px), confidence

The pickles are read with a restricted unpickler that only rebuilds numpy arrays and plain
containers (a pickle can otherwise run code). Labels: positive -> 1; neutral and negative ->
0 (neutral = a trunk asymmetry below the scoliosis threshold; the paper's task is binary
Cobb >= 10 deg). ``cobb_angle`` stays empty (the dataset gives none). The top-level folder
id becomes ``subject_id``: Scoliosis1K ids name sequences, so one child with two sequences
could appear under two ids - pass ``subject_map`` (CSV ``sequence_id,subject_id``) if you
know the true identities.
"""

from __future__ import annotations

import csv
import io
import json
import pickle
import struct
import time
from pathlib import Path
from typing import Callable

import numpy as np

from scoliscreen.core.errors import DatasetError, InputError
from scoliscreen.core.landmarks import from_coco17
from scoliscreen.core.sequence import PoseSequence, save_sequence

MAX_PICKLE_BYTES = 64 << 20  # one sequence's keypoints are kilobytes to a few MB
# a keypoint sequence holds at most this many numbers (36,000 frames x 17 x 3: 20 minutes at
# 30 fps); counted in the unpickled lists BEFORE an array is built, since a few kB of pickle
# can reference one list thousands of times (a 6.5 kB file once grew to 1.5 GB)
MAX_KEYPOINT_VALUES = 36_000 * 17 * 3
CATEGORIES = {"positive": 1, "neutral": 0, "negative": 0}
# Frame sizes tried when the keypoint extent must tell the image size (landscape and portrait).
_STANDARD_SIZES = ((640, 480), (720, 576), (1280, 720), (1920, 1080), (2560, 1440), (3840, 2160))
_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"), ("builtins", "list"), ("builtins", "dict"),
    ("builtins", "tuple"), ("builtins", "float"), ("builtins", "int"), ("collections", "OrderedDict"),
    ("_codecs", "encode"),  # bytes in protocol-2 pickles
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a pickle")


def _count_values(obj, budget: int = MAX_KEYPOINT_VALUES) -> int:
    """How many numbers ``np.asarray(obj)`` would hold, stopping past ``budget``. Shared
    sub-lists are counted once per reference but measured once (memo by id): linear in the
    pickle's size, never in the size it claims."""
    memo: dict[int, int] = {}

    def count(x, depth: int) -> int:
        if isinstance(x, np.ndarray):
            return int(x.size)
        if not isinstance(x, (list, tuple)):
            return 1
        if depth > 8:
            raise ValueError("nested deeper than keypoints are")
        key = id(x)
        if key not in memo:
            total = 0
            for item in x:
                total += count(item, depth + 1)
                if total > budget:
                    break
            memo[key] = total
        return memo[key]

    if isinstance(obj, dict):
        return sum(min(count(v, 0), budget + 1) for v in obj.values())
    return count(obj, 0)


def read_keypoints(path: str | Path) -> np.ndarray:
    """COCO-17 keypoints float32 [T, 17, 3] (x, y, confidence) from one Scoliosis1K-Pose pickle.

    Accepts an array [T, 17, C>=2] (or [T, 1, 17, C]), a list of per-frame [17, C] arrays, or a
    dict holding one of those under ``keypoints`` / ``pose`` / ``data``. Missing confidence = 1.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise InputError(f"{path}: not a regular file")
        size = path.stat().st_size
        if size > MAX_PICKLE_BYTES:
            raise InputError(f"{path}: {size} bytes; a keypoint pickle is at most {MAX_PICKLE_BYTES >> 20} MiB")
        with open(path, "rb") as fh:
            data = fh.read(MAX_PICKLE_BYTES + 1)
        # From memory: a length field claiming more than the file holds ends as 'truncated',
        # never as an allocation of that size.
        obj = _SafeUnpickler(io.BytesIO(data)).load()
    except InputError:
        raise
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, TypeError, AttributeError, IndexError,
            KeyError, MemoryError, OverflowError, RecursionError, struct.error) as exc:
        raise InputError(f"{path}: not a readable keypoint pickle ({type(exc).__name__}: {exc})"[:300]) from None
    if isinstance(obj, dict):
        for key in ("keypoints", "pose", "data", "kpts"):
            if key in obj:
                obj = obj[key]
                break
    try:
        n = _count_values(obj)
    except ValueError as exc:
        raise InputError(f"{path}: keypoints are not a numeric array ({exc})") from None
    if n > MAX_KEYPOINT_VALUES:
        raise InputError(f"{path}: holds more than {MAX_KEYPOINT_VALUES:,} numbers; a keypoint sequence is at "
                         f"most {MAX_KEYPOINT_VALUES // 51:,} frames")
    try:
        raw = np.asarray(obj)
        if raw.dtype.kind not in "biuf":  # strings, objects, complex: not keypoints
            raise ValueError(raw.dtype.name)
        arr = raw.astype(np.float32)
    except (ValueError, TypeError, OverflowError):
        raise InputError(f"{path}: keypoints are not a numeric array") from None
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 3 or arr.shape[1] != 17 or arr.shape[2] < 2:
        raise InputError(f"{path}: expected COCO-17 keypoints [T, 17, 3], got shape {list(arr.shape)}")
    if arr.shape[2] == 2:
        arr = np.concatenate([arr, np.ones(arr.shape[:2] + (1,), np.float32)], axis=2)
    return arr[:, :, :3]


def infer_image_size(keypoints: np.ndarray) -> tuple[int, int]:
    """Smallest standard frame (landscape before portrait) holding the confident keypoints.

    A guess from the keypoint extent (99.5th percentile of keypoints with confidence >= 0.3,
    so stray low-confidence points off the frame do not count): pass ``--image-size`` when
    the real frame size is known. x, y scale and aspect-dependent features depend on it.
    """
    ok = (keypoints[..., 2] >= 0.3) & np.isfinite(keypoints[..., :2]).all(-1)
    if not ok.any():
        return _STANDARD_SIZES[3]
    xmax = float(np.percentile(keypoints[..., 0][ok], 99.5))
    ymax = float(np.percentile(keypoints[..., 1][ok], 99.5))
    for w, h in _STANDARD_SIZES:
        for ww, hh in ((w, h), (h, w)):
            if xmax <= ww and ymax <= hh:
                return ww, hh
    return int(np.ceil(xmax)), int(np.ceil(ymax))


def keypoints_to_sequence(keypoints: np.ndarray, image_size: tuple[int, int] | None, fps: float,
                          meta: dict | None = None) -> PoseSequence:
    """COCO-17 pixel keypoints -> PoseSequence (MediaPipe layout; absent landmarks NaN, z = 0)."""
    kp = np.asarray(keypoints, dtype=np.float32)
    inferred = image_size is None
    if inferred:
        if np.nanmax(np.abs(kp[..., :2])) <= 1.5:  # already normalised
            w, h = 1, 1
        else:
            w, h = infer_image_size(kp)
    else:
        w, h = int(image_size[0]), int(image_size[1])
    coco = np.full(kp.shape[:2] + (4,), np.nan, dtype=np.float32)
    coco[..., 0] = kp[..., 0] / w
    coco[..., 1] = kp[..., 1] / h
    coco[..., 2] = 0.0  # 2D keypoints: no depth
    coco[..., 3] = np.clip(kp[..., 2], 0.0, 1.0)
    missing = (kp[..., 2] <= 0) | ~np.isfinite(kp[..., :2]).all(-1) | ((kp[..., 0] == 0) & (kp[..., 1] == 0))
    coco[missing] = np.nan
    lm = from_coco17(coco)
    m = dict(meta or {})
    m.update({"keypoint_layout": "coco17", "image_size_inferred": bool(inferred)})
    if w == 1 and h == 1:  # normalised input: a nominal square frame keeps x, y as they are
        w = h = 1000
    return PoseSequence(lm, fps, (w, h), None, m)


def _read_partition(src: Path, partition: Path | None) -> tuple[dict[str, str], str]:
    if partition is None:
        found = sorted(src.glob("Scoliosis1K_*.json"))
        if not found:
            return {}, ""
        if len(found) > 1:
            raise DatasetError(f"{src} holds several partition files ({', '.join(f.name for f in found)}); "
                               "choose one with --partition")
        partition = found[0]
    try:
        data = json.loads(Path(partition).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{partition}: not a readable partition JSON ({exc})") from None
    out: dict[str, str] = {}
    for key, side in (("TRAIN_SET", "train"), ("TEST_SET", "test")):
        for sid in data.get(key, []) if isinstance(data, dict) else []:
            out[str(sid)] = side
    if not out:
        raise DatasetError(f"{partition}: no TRAIN_SET / TEST_SET lists found")
    return out, Path(partition).name


def _read_subject_map(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        if Path(path).stat().st_size > MAX_PICKLE_BYTES:
            raise DatasetError(f"{path}: the subject map is larger than {MAX_PICKLE_BYTES >> 20} MiB")
        rows = list(csv.DictReader(Path(path).read_text(encoding="utf-8-sig").splitlines()))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read the subject map ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{path}: the subject map is not UTF-8 CSV text ({type(exc).__name__})") from None
    if not rows or not {"sequence_id", "subject_id"} <= set(rows[0]):
        raise DatasetError(f"{path}: the subject map needs the columns sequence_id, subject_id")
    out = {}
    for i, r in enumerate(rows, start=2):
        seq, sid = r.get("sequence_id"), r.get("subject_id")
        if not isinstance(seq, str) or not isinstance(sid, str) or not seq.strip() or not sid.strip():
            raise DatasetError(f"{path}: row {i} has no sequence_id or subject_id (a short row?)")
        out[seq.strip()] = sid.strip()
    return out


def import_scoliosis1k(
    src: str | Path, out: str | Path, *, image_size: tuple[int, int] | None = None, fps: float = 30.0,
    partition: str | Path | None = None, subject_map: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None, overwrite: bool = False,
) -> dict:
    """Convert ``src`` (layout above) into a dataset folder ``out``; returns a summary dict
    (the dataset summary plus ``partition`` counts, ``skipped`` and ``warnings``)."""
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise InputError(f"{src} is not a folder")
    if (out / "labels.csv").exists() and not overwrite:
        raise InputError(f"{out} already holds a labels.csv; choose an empty folder or pass --overwrite")
    part, part_name = _read_partition(src, Path(partition) if partition else None)
    smap = _read_subject_map(Path(subject_map) if subject_map else None)
    pickles = sorted(p for p in src.rglob("*.pkl") if len(p.relative_to(src).parts) == 4)
    if not pickles:
        raise DatasetError(f"{src} holds no <subject>/<category>/<view>/<file>.pkl pickles (see docs/dataset_format.md)")
    start = time.perf_counter()
    rows, warnings = [], []
    for i, pkl in enumerate(pickles):
        seq_id, category, view, _name = pkl.relative_to(src).parts
        cat = category.lower()
        if cat not in CATEGORIES:
            warnings.append(f"{pkl.relative_to(src)}: unknown category {category!r}, skipped")
            continue
        try:
            kp = read_keypoints(pkl)
        except InputError as exc:
            warnings.append(f"{exc}; skipped")
            continue
        if len(kp) == 0:
            warnings.append(f"{pkl.relative_to(src)}: no frames, skipped")
            continue
        meta = {"source": str(pkl.relative_to(src)), "dataset": "Scoliosis1K-Pose", "s1k_view": view,
                "s1k_category": cat, "view": "unknown"}
        rel = f"poses/{seq_id}_{cat}_{view}_{pkl.stem}.npz"
        try:
            seq = keypoints_to_sequence(kp, image_size, fps, meta)
            save_sequence(seq, out / rel)
        except InputError as exc:
            warnings.append(f"{pkl.relative_to(src)}: {exc}; skipped")
            continue
        if part and seq_id not in part:
            warnings.append(f"{seq_id}: not in {part_name}")
        rows.append({
            "file": rel, "subject_id": smap.get(seq_id, seq_id), "cobb_angle": "", "label": CATEGORIES[cat],
            "sex": "", "age": "", "view": "unknown", "notes": "", "category": cat, "s1k_view": view,
            "sequence_id": seq_id, "partition": part.get(seq_id, ""),
        })
        if progress:
            progress(i + 1, len(pickles))
    if not rows:
        first = f"; first: {warnings[0]}" if warnings else ""
        raise DatasetError(f"no sequence of {src} could be converted ({len(warnings)} skipped{first})")
    cols = ["file", "subject_id", "cobb_angle", "label", "sex", "age", "view", "notes",
            "category", "s1k_view", "sequence_id", "partition"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    from scoliscreen.core.fileio import atomic_write_text

    atomic_write_text(out / "labels.csv", buf.getvalue())

    from scoliscreen.core.data.dataset import load_dataset

    summary = load_dataset(out).summary()
    counts: dict[str, int] = {}
    for side in ("train", "test"):
        n = len({r["subject_id"] for r in rows if r["partition"] == side})
        if n:
            counts[side] = n
    categories: dict[str, int] = {}
    for r in rows:
        categories[r["category"]] = categories.get(r["category"], 0) + 1
    summary.update({"labels_csv": str(out / "labels.csv"), "partition": counts, "partition_file": part_name,
                    "categories": categories, "skipped": len(pickles) - len(rows), "warnings": warnings,
                    "elapsed_s": round(time.perf_counter() - start, 2)})
    return summary
