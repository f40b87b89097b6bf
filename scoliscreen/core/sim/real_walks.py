"""Real recorded walking skeletons for world R: the back-view walk segments of the two Intel
clips, as MediaPipe 1.2.3 saw them (``tests/data/poses``), stored in ``data/real_walks.npz``.

How little there is: the whole body is in the picture and walking for 27 frames at 15 fps
(1.8 s, about 1.2 strides) in ``intel_worker_back_walk_away`` (frames 24-50), and for 12
frames at 10 fps (1.2 s, under one stride) in ``intel_one_by_one_back_walk_22s`` (frames
69-80). The second is **not used**: seen steeply from above at close range its ankles sit
only 0.3-0.7 trunk lengths below the hips, 6 of its 12 frames hold left/right swaps, and
its best "cycle" (0.8 s, forced by the 12 frames) closes 16x worse than the first clip's.
So world R rests on **one adult walker, one real stride of 1.5 s at 15 fps**, filmed from a
raised camera at 480x270. That is far from a 96-frame window at 30 Hz (3.2 s), so world R
*loops the gait cycle* (``gait_loop``): the stride period is the lag at which the body-relative pose best
repeats itself, the cycle's seam is drift-corrected so that it closes, and a periodic cubic
spline plays it back at any frame rate and speed. Real gait dynamics and real pose noise are
in every clip, but only one or two real strides, repeated; the stride-to-stride variability
of real walking is missing, and the noise repeats with the stride (world R adds fresh
fitted jitter on top to break the exact repetition). The side-view walks are not used: the
coronal plane, where scoliosis shows, is MediaPipe's depth axis there.

Licence of the source clips: CC BY 4.0, Intel (see tests/data/real/README.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline

from scoliscreen.core.landmarks import MP
from scoliscreen.core.sequence import load_sequence
from scoliscreen.core.sim.pose_errors import detect_swaps, undo_swaps

REAL_WALKS_PATH = Path(__file__).resolve().parent / "data" / "real_walks.npz"
_LIMBS = [MP[f"{s}_{k}"] for s in ("left", "right") for k in ("elbow", "wrist", "knee", "ankle")]


@dataclass(frozen=True)
class RealWalk:
    clip: str
    start: int
    stop: int
    licence: str = "CC BY 4.0 (Intel)"


SOURCES = (RealWalk("intel_worker_back_walk_away", 24, 51),)
REJECTED = (RealWalk("intel_one_by_one_back_walk_22s", 69, 81),)  # see the module docstring


def extract_real_walks(poses_dir: str | Path, out: Path = REAL_WALKS_PATH) -> Path:
    """Copy the raw MediaPipe frames of ``SOURCES`` into one small package file."""
    arrays: dict[str, np.ndarray] = {}
    prov = []
    for src in SOURCES:
        seq = load_sequence(Path(poses_dir) / f"{src.clip}.npz").slice(src.start, src.stop)
        arrays[f"{src.clip}__landmarks"] = seq.landmarks
        arrays[f"{src.clip}__image_size"] = np.array(seq.image_size)
        arrays[f"{src.clip}__fps"] = np.array(seq.fps)
        prov.append({"clip": src.clip, "frames": [src.start, src.stop], "licence": src.licence,
                     "source": seq.meta.get("source", ""), "generator": seq.meta.get("generator", "")})
    arrays["provenance"] = np.array(json.dumps(prov))
    from scoliscreen.core.fileio import atomic_writer

    with atomic_writer(out, "wb", private=False) as fh:  # a bundled resource (licensed clips only)
        np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]
    return out


_CACHE: dict = {}


def load_loops(path: Path = REAL_WALKS_PATH) -> list[dict]:
    """Every source as a body-relative gait loop (``gait_loop``), read and built once."""
    key = str(path)
    if key not in _CACHE:
        loops = []
        with np.load(path, allow_pickle=False) as z:
            for src in SOURCES:
                lm = z[f"{src.clip}__landmarks"].astype(float)
                w, h = (int(v) for v in z[f"{src.clip}__image_size"])
                loops.append(gait_loop(lm, (w, h), float(z[f"{src.clip}__fps"])) | {"clip": src.clip})
        _CACHE[key] = loops
    return _CACHE[key]


def body_relative(lm: np.ndarray, image_size: tuple[int, int]) -> dict:
    """Landmarks [T, 33, 4] -> body-relative pose: x, y, z in trunk lengths about the hip
    centre (image axes: x right, y down; z MediaPipe's depth), visibility, and the hip centre's
    own motion (sway and bounce) about its smooth trend, in trunk lengths. Left/right swaps
    are undone first."""
    w, h = image_size
    px = np.stack([lm[..., 0] * w, lm[..., 1] * h, lm[..., 2] * w], axis=-1)
    with np.errstate(all="ignore"):
        body_h = np.nanmax(px[..., 1], axis=1) - np.nanmin(px[..., 1], axis=1)
    state, _ = detect_swaps(px[..., :2], body_h)
    px = undo_swaps(px, state)
    vis = undo_swaps(lm[..., 3:], state)[..., 0]
    hip = 0.5 * (px[:, MP["left_hip"]] + px[:, MP["right_hip"]])
    sho = 0.5 * (px[:, MP["left_shoulder"]] + px[:, MP["right_shoulder"]])
    trunk = np.linalg.norm((sho - hip)[:, :2], axis=1)
    t = np.arange(len(lm), dtype=float)
    # walking away, the size falls like 1 / distance: fit 1/trunk linearly in time
    inv = np.polyval(np.polyfit(t, 1.0 / trunk, 1), t)
    scale = 1.0 / inv
    rel = (px - hip[:, None, :]) / scale[:, None, None]
    trend = np.stack([np.polyval(np.polyfit(t, hip[:, k], 2), t) for k in range(2)], axis=-1)
    hip_motion = (hip[:, :2] - trend) / scale[:, None]
    return {"rel": rel, "vis": vis, "hip_motion": hip_motion, "swapped_frames": int(state.any(axis=1).sum())}


def gait_loop(lm: np.ndarray, image_size: tuple[int, int], fps: float) -> dict:
    """One gait cycle of a real walk, closed at its seam, as periodic splines of the phase.

    The stride is the lag m (0.8-1.6 s, at least 3 frames of overlap) at which the limbs'
    body-relative positions repeat best; the cycle starts where its seam mismatch is least,
    and the mismatch is removed by a linear drift correction over the cycle."""
    br = body_relative(lm, image_size)
    rel, vis, hm = br["rel"], br["vis"], br["hip_motion"]
    n = len(rel)
    lags = range(max(3, int(round(0.8 * fps))), min(int(round(1.6 * fps)), n - 3) + 1)
    if not lags:
        raise ValueError(f"{n} frames at {fps:g} fps hold no gait cycle")
    cost = {m: float(np.mean((rel[m:, _LIMBS, :2] - rel[:-m, _LIMBS, :2]) ** 2)) for m in lags}
    m = min(cost, key=lambda k: cost[k])
    a = min(range(n - m), key=lambda s: float(np.sum((rel[s + m, _LIMBS, :2] - rel[s, _LIMBS, :2]) ** 2)))
    k = (np.arange(m) / m)[:, None, None]
    cyc = rel[a:a + m] - (rel[a + m] - rel[a])[None] * k
    cyc_hm = hm[a:a + m] - (hm[a + m] - hm[a])[None] * k[:, :, 0]
    cyc_vis = vis[a:a + m]
    phase = np.arange(m + 1) / m

    def periodic(x: np.ndarray) -> CubicSpline:
        return CubicSpline(phase, np.concatenate([x, x[:1]]), axis=0, bc_type="periodic")

    return {"pose": periodic(cyc), "vis": periodic(cyc_vis), "hip_motion": periodic(cyc_hm),
            "period_s": m / fps, "frames": m, "fps": fps, "start": a, "seam_cost": cost[m],
            "swapped_frames": br["swapped_frames"]}


def gait_loop_summary() -> list[dict]:
    """Period, frames and seam mismatch of each stored loop (for the benchmark and the docs)."""
    return [{"clip": lp["clip"], "period_s": round(lp["period_s"], 3), "frames": lp["frames"], "fps": lp["fps"],
             "seam_cost": round(lp["seam_cost"], 4), "swapped_frames_undone": lp["swapped_frames"]}
            for lp in load_loops()]
