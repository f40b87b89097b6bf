"""COCO-17 keypoint JSON sequences, in (and out, for tests and examples).

Accepted: the COCO keypoint layout as a sequence, ``{"images": [{"id", "width", "height",
"frame_index"?, "timestamp_ms"?}], "annotations": [{"image_id", "keypoints": [x, y, v] * 17,
"score"?}], "info": {"fps": ...}?}``, frames in ``frame_index`` order (else image id order); or a
bare list of per-frame results ``[{"image_id", "keypoints", "score"?}, ...]`` (COCO results
format) with the frame size and fps unknown. ``x, y`` are image pixels; ``v`` is COCO's flag
(0 not labelled, 1 labelled but hidden, 2 visible) or a detector's score in 0..1: it becomes the
visibility (v / 2 for the 0/1/2 flags), and a point with v = 0 is NaN. Several people on one
image: the one with the highest score (else the most keypoints) is taken.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from scoliscreen.core.errors import InputError
from scoliscreen.core.interop import output
from scoliscreen.core.interop.poses import pixels_of, read_limited, sequence_from_pixels
from scoliscreen.core.landmarks import MP_TO_COCO17
from scoliscreen.core.sequence import PoseSequence

DEFAULT_FPS = 30.0


def coco_document(seq: PoseSequence) -> dict:
    px = pixels_of(seq)[:, MP_TO_COCO17]
    images, anns = [], []
    for t in range(len(seq)):
        images.append({"id": t + 1, "width": seq.image_size[0], "height": seq.image_size[1], "frame_index": t,
                       "timestamp_ms": float(seq.timestamps_ms[t])})
        if not np.isfinite(px[t, :, :2]).any():
            continue
        kps: list[float] = []
        for x, y, _z, vis in px[t]:
            ok = np.isfinite(x) and np.isfinite(y)
            kps += [round(float(x), 6), round(float(y), 6), round(float(max(vis, 1e-6)), 6)] if ok else [0.0, 0.0, 0.0]
        anns.append({"id": t + 1, "image_id": t + 1, "category_id": 1, "keypoints": kps,
                     "num_keypoints": int(np.isfinite(px[t, :, 0]).sum()), "score": 1.0})
    return {"info": {"description": "ScoliScreen pose sequence (COCO-17 keypoints)", "fps": seq.fps},
            "images": images, "annotations": anns,
            "categories": [{"id": 1, "name": "person", "supercategory": "person"}]}


def write_coco(seq: PoseSequence, out: str | Path) -> Path:
    return output.write_text(out, json.dumps(coco_document(seq)))


def is_coco_file(path: Path) -> bool:
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    head = path.open("rb").read(1 << 16)
    return b'"keypoints"' in head or b'"images"' in head


def read_coco(path: str | Path) -> PoseSequence:
    path = Path(path)
    try:
        doc = json.loads(read_limited(path, "COCO keypoint JSON"))
    except (ValueError, RecursionError):
        raise InputError(f"{path}: not valid JSON") from None
    try:
        return _read(path, doc)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        raise InputError(f"{path}: not a COCO-17 keypoint sequence (keypoints must be numbers; "
                         "see docs/interop.md)") from None


def _read(path: Path, doc: object) -> PoseSequence:
    images: list[dict] = []
    if isinstance(doc, dict):
        images = [im for im in doc.get("images") or [] if isinstance(im, dict)]
        anns = doc.get("annotations")
        info = doc.get("info")
        fps = (info.get("fps") if isinstance(info, dict) else None) or doc.get("fps") or DEFAULT_FPS
    else:
        anns, fps = doc, DEFAULT_FPS
    if not isinstance(anns, list) or not anns:
        raise InputError(f"{path}: no COCO keypoint annotations (an 'annotations' list or a list of results)")
    if images:
        images.sort(key=lambda im: (im.get("frame_index", im.get("id")), im.get("id")))
        order = [im.get("id") for im in images]
    else:
        order = sorted({a.get("image_id") for a in anns if isinstance(a, dict)}, key=lambda v: (str(type(v)), v))
    index = {img_id: t for t, img_id in enumerate(order)}
    best: dict[int, tuple[float, np.ndarray]] = {}
    for a in anns:
        if not isinstance(a, dict) or a.get("image_id") not in index:
            continue
        k = a.get("keypoints")
        if not isinstance(k, list) or len(k) != 51:
            raise InputError(f"{path}: each annotation needs 17 x, y, v triples (COCO-17 keypoints)")
        arr = np.array(k, dtype=np.float64).reshape(17, 3)
        rank = float(a.get("score", np.count_nonzero(arr[:, 2])))
        t = index[a["image_id"]]
        if t not in best or rank > best[t][0]:
            best[t] = (rank, arr)
    pts = np.full((len(order), 33, 4), np.nan)
    flags = all(float(v) in (0.0, 1.0, 2.0) for _, arr in best.values() for v in arr[:, 2])
    for t, (_, arr) in best.items():
        vis = arr[:, 2] / 2.0 if flags else arr[:, 2]
        keep = arr[:, 2] > 0
        pts[t, MP_TO_COCO17[keep], 0:2] = arr[keep, 0:2]
        pts[t, MP_TO_COCO17[keep], 3] = vis[keep]
    size = None
    if images and all(isinstance(im.get("width"), (int, float)) and isinstance(im.get("height"), (int, float))
                      for im in images[:1]):
        size = (int(images[0]["width"]), int(images[0]["height"]))
    times = [im.get("timestamp_ms") for im in images]
    ts = np.array(times, dtype=np.float64) if images and all(isinstance(x, (int, float)) for x in times) else None
    try:
        fps_f = float(fps)
    except (TypeError, ValueError):
        raise InputError(f"{path}: info.fps must be a number") from None
    return sequence_from_pixels(pts, fps_f, size, ts, str(path))
