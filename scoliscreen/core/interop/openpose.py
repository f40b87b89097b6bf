"""OpenPose BODY_25 JSON, one file per frame (as OpenPose ``--write_json`` writes it and
Sports2D / Pose2Sim read it), out and in.

Each file: ``{"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": [x, y, c] * 25,
...}]}`` in image pixels (origin top-left, y down), ``c`` the confidence (MediaPipe's
visibility; 0 with x = y = 0 for a point not found). A frame without the child has no people.
ScoliScreen adds one key readers ignore, ``"scoliscreen"``: frame size, fps, the frame's time
and all 33 MediaPipe landmarks (x px, y px, z, visibility), so its own export reads back
losslessly; a file without it is read through the BODY_25 mapping (docs/interop.md).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from scoliscreen.core.errors import InputError
from scoliscreen.core.interop import output
from scoliscreen.core.interop.layouts import body25_to_mp, mp_to_body25
from scoliscreen.core.interop.poses import (
    MAX_FRAME_FILES, MAX_POSE_FILE_BYTES, pixels_of, read_limited, sequence_from_pixels,
)
from scoliscreen.core.sequence import PoseSequence

_FRAME_NUMBER = re.compile(r"(\d+)(?!.*\d)")
DEFAULT_FPS = 30.0


def _num(v: float) -> float | None:
    return None if not math.isfinite(v) else round(float(v), 6)


def frame_documents(seq: PoseSequence) -> list[dict]:
    px = pixels_of(seq)
    b25 = mp_to_body25(px[:, :, [0, 1, 3]])  # x, y, confidence
    docs = []
    for t in range(len(seq)):
        people = []
        if np.isfinite(px[t, :, :2]).any():
            flat: list[float] = []
            for x, y, c in b25[t]:
                ok = math.isfinite(x) and math.isfinite(y)
                flat += [round(float(x), 6), round(float(y), 6), round(float(c), 6)] if ok else [0.0, 0.0, 0.0]
            people.append({"person_id": [-1], "pose_keypoints_2d": flat, "face_keypoints_2d": [],
                           "hand_left_keypoints_2d": [], "hand_right_keypoints_2d": [],
                           "pose_keypoints_3d": [], "face_keypoints_3d": [],
                           "hand_left_keypoints_3d": [], "hand_right_keypoints_3d": []})
        ext = {"frame_size": list(seq.image_size), "fps": seq.fps, "timestamp_ms": float(seq.timestamps_ms[t]),
               "layout": "mediapipe33 x_px y_px z visibility",
               "landmarks_33": [_num(v) for v in px[t].reshape(-1).tolist()]}
        docs.append({"version": 1.3, "people": people, "scoliscreen": ext})
    return docs


def write_openpose(seq: PoseSequence, folder: str | Path, stem: str = "pose") -> Path:
    """One ``{stem}_{frame:012d}_keypoints.json`` per frame into ``folder`` (made owner-only)."""
    folder = output.check_output(folder, folder=True)
    if any(p.suffix.lower() == ".json" for p in folder.iterdir()):  # stale frames would mix into the sequence
        raise InputError(f"{folder}: holds JSON files already; give a new or empty folder for the OpenPose frames")
    for t, doc in enumerate(frame_documents(seq)):
        output.write_text(folder / f"{stem}_{t:012d}_keypoints.json", json.dumps(doc, allow_nan=False))
    return folder


def frame_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if p.suffix.lower() == ".json" and p.is_file()]
    if len(files) > MAX_FRAME_FILES:
        raise InputError(f"{folder}: {len(files)} JSON files; a pose sequence has at most {MAX_FRAME_FILES} frames")

    def key(p: Path) -> tuple[int, str]:
        m = _FRAME_NUMBER.search(p.stem)
        return (int(m.group(1)) if m else -1, p.name)

    return sorted(files, key=key)


def is_openpose_folder(path: Path) -> bool:
    if not path.is_dir():
        return False
    for p in path.iterdir():
        if p.suffix.lower() == ".json" and p.is_file():
            return p.stat().st_size < MAX_POSE_FILE_BYTES and b'"people"' in p.read_bytes()[:65536]
    return False


def _person_points(person: dict, name: str) -> np.ndarray:
    flat = person.get("pose_keypoints_2d")
    if not isinstance(flat, list) or len(flat) != 75:
        raise InputError(f"{name}: pose_keypoints_2d must hold 25 x, y, confidence triples (BODY_25), "
                         f"got {len(flat) if isinstance(flat, list) else type(flat).__name__}")
    try:
        arr = np.array(flat, dtype=np.float64).reshape(25, 3)
    except (ValueError, TypeError, OverflowError):
        raise InputError(f"{name}: pose_keypoints_2d must hold numbers") from None
    arr[arr[:, 2] <= 0] = np.nan  # OpenPose writes 0, 0, 0 for a point it did not find
    return arr


def read_openpose(folder: str | Path) -> PoseSequence:
    """A folder of BODY_25 JSON frames -> PoseSequence. Where a frame holds several people, the
    most confident one is taken (a ScoliScreen export holds one)."""
    folder = Path(folder)
    files = frame_files(folder)
    if not files:
        raise InputError(f"{folder}: no OpenPose JSON files")
    pts = np.full((len(files), 33, 4), np.nan)
    own = []
    fps, size, times = None, None, []
    for t, f in enumerate(files):
        try:
            doc = json.loads(read_limited(f, "OpenPose JSON frame"))
            people = doc["people"]
            if not isinstance(people, list):
                raise TypeError
        except (ValueError, KeyError, TypeError, RecursionError):
            raise InputError(f"{f}: not an OpenPose JSON frame (no 'people' list)") from None
        ext = doc.get("scoliscreen") if isinstance(doc, dict) else None
        if isinstance(ext, dict) and isinstance(ext.get("landmarks_33"), list) and len(ext["landmarks_33"]) == 132:
            own.append(True)
            try:
                pts[t] = np.array([np.nan if v is None else v for v in ext["landmarks_33"]],
                                  dtype=np.float64).reshape(33, 4)
            except (ValueError, TypeError, OverflowError):
                raise InputError(f"{f}: the scoliscreen landmarks must be numbers") from None
            fps = fps or ext.get("fps")
            size = size or ext.get("frame_size")
            times.append(ext.get("timestamp_ms"))
            continue
        own.append(False)
        if people:
            cand = [_person_points(p, f.name) for p in people if isinstance(p, dict)]
            best = max(cand, key=lambda a: float(np.nansum(a[:, 2])))
            b = body25_to_mp(best[None])[0]
            pts[t, :, 0:2], pts[t, :, 3] = b[:, 0:2], b[:, 2]
    use_times = all(own) and all(isinstance(x, (int, float)) for x in times)
    ts = np.array(times, dtype=np.float64) if use_times else None
    try:
        frame = (int(size[0]), int(size[1])) if isinstance(size, list) and len(size) == 2 else None
        rate = float(fps or DEFAULT_FPS)
    except (ValueError, TypeError, OverflowError):
        raise InputError(f"{folder}: the frame size and fps in the scoliscreen key must be numbers") from None
    return sequence_from_pixels(pts, rate, frame, ts, str(folder))
