"""Pictures for the report, drawn with OpenCV / numpy into PNG bytes (no Qt, no browser):
the key frame with the skeleton (faces blurred; JPEG), the knowledge-map heatmap and its colour bar.
Text (labels, legends, units) is set by the PDF writer around them so it stays sharp."""

from __future__ import annotations

import numpy as np

from scoliscreen.core.landmarks import MP_EDGES, REGION_IDS

DEVIATION_LIMIT = 3.0  # colour scale of the map: ± this many half-ranges beyond the normal range
FACE_LANDMARKS = tuple(range(11))  # MediaPipe 0-10: nose, eyes, ears, mouth
NAN_GREY = (200, 200, 200)  # RGB of "not measurable" cells
# blue - white - red (RGB), the same scale as the app's map view
_STOPS = np.array([[33, 102, 172], [247, 247, 247], [178, 24, 43]], dtype=np.float64)


def deviation(values: np.ndarray, features) -> np.ndarray:
    """[W, F] deviation of each value from its feature's normal range, in half-ranges: 0 inside
    the range, ±1 one half-range beyond it (features without a range: robust z-score over the
    clip); clipped to ±DEVIATION_LIMIT; NaN stays NaN."""
    values = np.asarray(values, dtype=np.float64)
    out = np.full_like(values, np.nan)
    for j, feat in enumerate(features):
        col = values[:, j]
        rng = getattr(feat, "normal_range", None)
        if rng is not None and len(rng) == 2 and np.all(np.isfinite(rng)) and rng[1] > rng[0]:
            lo, hi = float(rng[0]), float(rng[1])
            half = (hi - lo) / 2.0
            out[:, j] = np.where(col < lo, (col - lo) / half, np.where(col > hi, (col - hi) / half, 0.0))
        elif np.isfinite(col).sum() >= 2:
            med = np.nanmedian(col)
            mad = np.nanmedian(np.abs(col - med)) * 1.4826
            out[:, j] = (col - med) / mad if mad > 1e-9 else 0.0 * col
    return np.clip(out, -DEVIATION_LIMIT, DEVIATION_LIMIT)


def colours(dev: np.ndarray) -> np.ndarray:
    """RGB uint8 [..., 3] of deviations on the blue-white-red scale; NaN grey."""
    t = (np.nan_to_num(dev, nan=0.0) / DEVIATION_LIMIT + 1.0) / 2.0  # 0..1
    t = np.clip(t, 0.0, 1.0)[..., None]
    low = _STOPS[0] + (_STOPS[1] - _STOPS[0]) * np.clip(t * 2, 0, 1)
    high = _STOPS[1] + (_STOPS[2] - _STOPS[1]) * np.clip(t * 2 - 1, 0, 1)
    rgb = np.where(t < 0.5, low, high)
    rgb[np.isnan(dev)] = NAN_GREY
    return rgb.round().astype(np.uint8)


def png(rgb: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]))
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def region_order(features) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """Feature order grouped by body region, and (region, first row, stop row) of each group."""
    regions = [REGION_IDS.index(f.region) for f in features]
    order = np.argsort(np.asarray(regions), kind="stable")
    groups, start = [], 0
    for r, rid in enumerate(REGION_IDS):
        n = regions.count(r)
        if n:
            groups.append((rid, start, start + n))
            start += n
    return order, groups


def heatmap_png(dev: np.ndarray, groups, *, cell_w: int = 24, cell_h: int = 4) -> bytes:
    """[F, W] heatmap (rows already in ``region_order``), one row per feature, thin dark lines
    between regions."""
    rgb = colours(dev.T)  # [F, W, 3]
    img = np.repeat(np.repeat(rgb, cell_h, axis=0), cell_w, axis=1)
    for _, start, _stop in groups[1:]:
        img[start * cell_h, :] = (40, 40, 40)
    return png(img)


def colourbar_png(width: int = 600, height: int = 24) -> bytes:
    dev = np.linspace(-DEVIATION_LIMIT, DEVIATION_LIMIT, width)[None, :].repeat(height, axis=0)
    return png(colours(dev))


# ---- key frame ------------------------------------------------------------------------------

def blur_faces(image: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Blur the head region around MediaPipe face landmarks 0-10 (pixels, NaN = not found).
    Without face landmarks, the area above the shoulders is blurred instead."""
    import cv2

    h, w = image.shape[:2]
    face = pts[list(FACE_LANDMARKS)]
    face = face[np.isfinite(face).all(axis=1)]
    shoulders = pts[[11, 12]]
    shoulders = shoulders[np.isfinite(shoulders).all(axis=1)]
    if len(face) >= 2:
        (x0, y0), (x1, y1) = face.min(axis=0), face.max(axis=0)
        size = max(x1 - x0, y1 - y0, 8.0)
        pad = 0.9 * size + 6
        box = (x0 - pad, y0 - 1.3 * pad, x1 + pad, y1 + pad)
    elif len(shoulders):
        width = max(np.ptp(shoulders[:, 0]), 20.0)
        top = shoulders[:, 1].min()
        cx = shoulders[:, 0].mean()
        box = (cx - width, top - 1.6 * width, cx + width, top)
    else:
        return image
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return image
    out = image.copy()
    roi = out[y0:y1, x0:x1]
    k = max(3, (max(x1 - x0, y1 - y0) // 2) | 1)
    small = cv2.resize(roi, (max(1, roi.shape[1] // 6), max(1, roi.shape[0] // 6)), interpolation=cv2.INTER_AREA)
    out[y0:y1, x0:x1] = cv2.GaussianBlur(cv2.resize(small, roi.shape[1::-1], interpolation=cv2.INTER_LINEAR),
                                         (k, k), 0)
    return out


def draw_skeleton(image: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Skeleton (MediaPipe edges) in a colour that shows on grass and on walls; left limbs
    orange, right limbs cyan (the subject's sides)."""
    import cv2

    out = image.copy()
    thick = max(2, int(round(max(image.shape[:2]) / 300)))
    for a, b in MP_EDGES:
        pa, pb = pts[a], pts[b]
        if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
            continue
        side = "mid" if a <= 10 or (a % 2) != (b % 2) else ("left" if a % 2 else "right")
        colour = {"left": (0, 140, 255), "right": (255, 200, 0), "mid": (255, 255, 255)}[side]  # BGR
        p, q = tuple(int(round(v)) for v in pa), tuple(int(round(v)) for v in pb)
        cv2.line(out, p, q, (0, 0, 0), thick + 2, cv2.LINE_AA)
        cv2.line(out, p, q, colour, thick, cv2.LINE_AA)
    for i, p in enumerate(pts):
        if i > 10 and np.isfinite(p).all():
            cv2.circle(out, tuple(int(round(v)) for v in p), thick + 1, (0, 0, 255), -1, cv2.LINE_AA)
    return out


def key_frame_jpeg(frame_bgr: np.ndarray | None, pts_norm: np.ndarray | None, *, image_size=(640, 480),
                  blur: bool = True, max_side: int = 900) -> bytes:
    """The key frame (or a blank canvas without video) with the skeleton drawn, faces blurred,
    cropped around the child (often only ~100 px tall in a classroom clip)."""
    import cv2

    if frame_bgr is None:
        w, h = image_size
        frame_bgr = np.full((h, w, 3), 235, np.uint8)
    h, w = frame_bgr.shape[:2]
    pts = None
    if pts_norm is not None:
        pts = np.asarray(pts_norm, dtype=np.float64)[:, :2] * np.array([w, h], dtype=np.float64)
    img = frame_bgr
    if pts is not None and blur:
        img = blur_faces(img, pts)
    crop = (0, 0, w, h)
    if pts is not None and np.isfinite(pts).all(axis=1).sum() >= 4:
        good = pts[np.isfinite(pts).all(axis=1)]
        (x0, y0), (x1, y1) = good.min(axis=0), good.max(axis=0)
        side = max(x1 - x0, y1 - y0) * 1.35 + 40
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        cw, ch = min(w, side * 0.75), min(h, side)
        left = int(np.clip(cx - cw / 2, 0, w - cw))
        top = int(np.clip(cy - ch / 2, 0, h - ch))
        crop = (left, top, int(left + cw), int(top + ch))
    img = img[crop[1]:crop[3], crop[0]:crop[2]]
    scale = min(max_side / max(img.shape[:2]), 3.0)
    if abs(scale - 1.0) > 0.05:
        img = cv2.resize(img, (max(1, int(img.shape[1] * scale)), max(1, int(img.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    else:
        scale = 1.0
    if pts is not None:
        img = draw_skeleton(img, (pts - np.array(crop[:2], dtype=np.float64)) * scale)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 88])  # a photo: JPEG, not PNG
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()
