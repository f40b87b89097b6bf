"""Turn a :class:`PoseSequence` into model inputs (numpy), and batches of them into tensors.

One clip's inputs (:class:`ClipInputs`):

* the best ``CLIP_FRAMES`` (96) frames at 30 fps: inside the quality gate's walking segment
  when given, the window with the most frames whose torso (shoulders + hips) is seen; a
  shorter clip is padded with invalid frames (masked in the model);
* ``points`` [32, P, 3]: every 3rd frame's body-normalised keypoints (skeleton maps are
  rendered from them, :mod:`skeleton_maps`);
* ``km`` [11, F]: the clinical-prior knowledge map of those frames (NaN = not computable);
* ``text``: the generated clinical text (+ clinician notes) and its MiniLM embedding.

:func:`clip_pair` also builds the inputs of the horizontally flipped video (for augmentation
and test-time symmetrisation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoliscreen.core.errors import InputError
from scoliscreen.core.landmarks import REGION_IDS
from scoliscreen.core.model import skeleton_maps as sm
from scoliscreen.core.constants import CLIP_FRAMES, CLIP_WINDOWS, HOP_FRAMES, TARGET_FPS, WINDOW_FRAMES
from scoliscreen.core.sequence import PoseSequence

FRAME_STEP = 3
N_FRAMES = CLIP_FRAMES // FRAME_STEP  # 32 skeleton maps per clip
N_WINDOWS = CLIP_WINDOWS  # knowledge-map windows in 96 frames (16-frame windows every 8 frames)
FEATURE_VERSION = 1  # bump when inputs change (invalidates caches)
_TORSO = [sm.P_IDX["mid_shoulder"], sm.P_IDX["mid_hip"]]


@dataclass
class ClipInputs:
    points: np.ndarray  # float32 [N_FRAMES, P, 3]
    frame_valid: np.ndarray  # bool [N_FRAMES]
    km: np.ndarray  # float32 [N_WINDOWS, F], NaN = missing
    window_times_s: np.ndarray  # float [N_WINDOWS], centre times in the original clip (s)
    text: str
    text_emb: np.ndarray | None  # float32 [384]
    start_s: float  # where the 96-frame segment starts in the clip (s)
    n_frames: int  # real (unpadded) frames at 30 fps


def select_segment(seq30: PoseSequence, segment: tuple[int, int] | None = None,
                   length: int = CLIP_FRAMES) -> tuple[int, int]:
    """[start, stop) at 30 fps of the best ``length``-frame window (see module doc)."""
    n = len(seq30)
    lo, hi = 0, n
    if segment is not None and n:
        lo, hi = max(0, int(segment[0])), min(n, int(segment[1]))
        if hi - lo < 2:
            lo, hi = 0, n
    if hi - lo <= length:
        return lo, hi
    pts = sm.normalise_keypoints(seq30.landmarks[lo:hi], seq30.image_size)
    good = pts[:, _TORSO, 2].min(axis=1)
    counts = np.convolve(good, np.ones(length), mode="valid")  # window sums
    best = np.flatnonzero(counts >= counts.max() - 1e-6)
    centre = (len(counts) - 1) / 2
    s = int(best[np.argmin(np.abs(best - centre))])
    return lo + s, lo + s + length


def _segment_to_30fps(seq: PoseSequence, seq30: PoseSequence, segment) -> tuple[int, int] | None:
    if segment is None or len(seq) == 0:
        return None
    a, b = int(segment[0]), int(segment[1])
    a, b = max(0, min(a, len(seq) - 1)), max(1, min(b, len(seq)))
    t0 = seq.timestamps_ms[a]
    t1 = seq.timestamps_ms[b - 1]
    ts = seq30.timestamps_ms
    return int(np.searchsorted(ts, t0 - 1e-3)), int(np.searchsorted(ts, t1 + 1e-3))


def compose_text(km, notes: str = "") -> str:
    """The generated clinical text (with the clinician's notes) fed to the text encoder."""
    from scoliscreen.core.kinematics import clinical_text

    return clinical_text(km, notes or "").text


def mirror_knowledge_map(km):
    """The knowledge map of the horizontally flipped clip, from the catalogue's mirror rules
    (per-side features swap with their partner, signed asymmetries change sign)."""
    import dataclasses

    from scoliscreen.core.kinematics import FEATURE_INDEX

    perm = [FEATURE_INDEX[f.mirror_name] for f in km.features]
    sign = np.array([-1.0 if f.signed else 1.0 for f in km.features], np.float32)
    values = np.asarray(km.values, np.float32)[:, perm] * sign
    return dataclasses.replace(km, values=values)


@dataclass(frozen=True)
class SegmentPart:
    """The part of the clip the model uses: ``part`` (30 fps), where it starts in the clip (s)
    and its real (unpadded) length. ``offsets``: start frames (in ``part``) of the
    ``CLIP_FRAMES``-frame windows screened and pooled (``pooling.walk_windows``); one window
    at 0 for a single segment."""

    part: PoseSequence
    start_s: float
    n_frames: int
    offsets: tuple[int, ...] = (0,)


def model_segment(seq: PoseSequence, segment: tuple[int, int] | None = None) -> SegmentPart:
    """The segment of ``seq`` the model uses (``segment``: the quality gate's walking, frame
    indices of ``seq``). Compute the knowledge map and the text on ``.part``."""
    if len(seq) == 0 or not seq.detected.any():
        raise InputError("no person was detected in the recording")
    seq30 = seq.resampled(TARGET_FPS)
    a, b = select_segment(seq30, _segment_to_30fps(seq, seq30, segment))
    part = seq30.slice(a, b)
    start_s = float((part.timestamps_ms[0] - seq30.timestamps_ms[0]) / 1000.0) if len(part) else 0.0
    return SegmentPart(part, start_s, int(b - a))


def segment_inputs(seg: SegmentPart, km, text: str, notes: str = "",
                   text_encoder=None) -> tuple[ClipInputs, ClipInputs]:
    """Model inputs of a segment and of its mirror image from its knowledge map ``km`` and
    clinical text ``text`` (computed once, by the caller, on ``seg.part``)."""
    part = seg.part
    pts = sm.normalise_keypoints(part.landmarks, part.image_size)
    full = np.zeros((CLIP_FRAMES, sm.NUM_POINTS, 3), np.float32)
    full[: len(pts)] = pts[:CLIP_FRAMES]
    points = full[FRAME_STEP // 2 :: FRAME_STEP][:N_FRAMES]
    frame_valid = points[:, _TORSO, 2].min(axis=1) > 0
    # window w covers frames [8w, 8w + 16) of the segment: centre times in the whole clip
    times = seg.start_s + (np.arange(N_WINDOWS) * HOP_FRAMES + WINDOW_FRAMES / 2) / TARGET_FPS
    out = []
    for mirrored, k in ((False, km), (True, mirror_knowledge_map(km))):
        vals = np.asarray(k.values, dtype=np.float32)
        arr = np.full((N_WINDOWS, vals.shape[1]), np.nan, np.float32)
        arr[: min(N_WINDOWS, len(vals))] = vals[:N_WINDOWS]
        out.append(ClipInputs(sm.mirror_points(points) if mirrored else points, frame_valid, arr, times,
                              compose_text(k, notes) if mirrored else text, None, seg.start_s, seg.n_frames))
    if text_encoder is not None:
        emb = text_encoder.encode([out[0].text, out[1].text])
        out[0].text_emb, out[1].text_emb = emb[0], emb[1]
    return out[0], out[1]


def clip_pair(seq: PoseSequence, notes: str = "", segment: tuple[int, int] | None = None,
              text_encoder=None) -> tuple[ClipInputs, ClipInputs]:
    """Model inputs of one clip and of its mirror image (horizontal flip).

    ``segment`` is the usable walking (frame indices of ``seq``, from the quality gate);
    ``text_encoder`` (a :class:`TextEncoder`) adds the text embeddings. The knowledge map is
    computed once, on the model's segment; the mirrored one follows from the catalogue's
    mirror rules."""
    from scoliscreen.core.kinematics import compute_knowledge_map

    seg = model_segment(seq, segment)
    km = compute_knowledge_map(seg.part)
    return segment_inputs(seg, km, compose_text(km, notes), notes, text_encoder)


def region_permutation_mirror() -> list[int]:
    """Region order of a mirrored clip (left/right regions swap)."""
    def swap(r):
        return r.replace("left", "#").replace("right", "left").replace("#", "right")
    return [REGION_IDS.index(swap(r)) for r in REGION_IDS]


def maps_to_uint8(points: np.ndarray, chunk: int = 8) -> np.ndarray:
    """Render [N, T, P, 3] points -> uint8 maps [N, T, R, H, W] (cache form), ``chunk`` clips
    at a time (rendering holds a float per segment and pixel: keep memory small)."""
    import torch

    out = []
    with torch.no_grad():
        for i in range(0, len(points), chunk):
            m = sm.render_maps(torch.from_numpy(np.ascontiguousarray(points[i : i + chunk])))
            out.append((m.clamp(0, 1) * 255).round().to(torch.uint8).numpy())
    return np.concatenate(out) if out else np.zeros((0,), np.uint8)


def mirror_maps(maps):
    """Maps of the flipped video from the maps of the original: flip width, swap L/R regions."""
    perm = region_permutation_mirror()
    return maps[..., perm, :, :].flip(-1)


def batch_tensors(maps, frame_valid, km, text_emb, device="cpu") -> dict:
    """numpy/tensors -> the network's keyword inputs (maps float 0..1; km raw with NaN)."""
    import torch

    maps_t = torch.as_tensor(maps, device=device)
    if maps_t.dtype == torch.uint8:
        maps_t = maps_t.float() / 255.0
    return {
        "maps": maps_t,
        "frame_valid": torch.as_tensor(frame_valid, device=device).bool(),
        "km": torch.as_tensor(km, device=device).float(),
        "text": torch.as_tensor(text_emb, device=device).float(),
    }
