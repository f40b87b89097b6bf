"""Generated walks for the quality gate's false-refusal check (tests/test_quality_sim.py and
benchmarks/gate_false_refusals.py).

``walks(world, n, seed)`` yields ``n`` fully visible simulated walks of 3.4-7 s from one
world of the generator family, with extra realistic pose noise (:func:`realistic_noise`) on
top of each world's own estimator model: temporally correlated jitter, brief dropouts,
left/right limb swaps and low far-limb visibility. "Fully visible": shoulders, hips and
ankles inside the picture in every frame with a pose (clips where the camera cuts the feet
off are not counted: refusing those is right).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from scoliscreen.core.landmarks import MP
from scoliscreen.core.sequence import PoseSequence

MIN_S, MAX_S = 3.4, 7.0
_BODY = [MP[f"{s}_{p}"] for p in ("shoulder", "hip", "ankle") for s in ("left", "right")]
_PAIRS = [(MP[f"left_{p}"], MP[f"right_{p}"]) for p in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle",
                                                         "heel", "foot_index")]
_LEFT_LIMB = [MP[f"left_{p}"] for p in ("elbow", "wrist", "knee", "ankle", "heel", "foot_index")]
_RIGHT_LIMB = [MP[f"right_{p}"] for p in ("elbow", "wrist", "knee", "ankle", "heel", "foot_index")]


def _ar1(rng: np.random.Generator, shape: tuple, a: float) -> np.ndarray:
    out = np.empty(shape)
    out[0] = rng.standard_normal(shape[1:])
    for t in range(1, shape[0]):
        out[t] = a * out[t - 1] + np.sqrt(1 - a * a) * rng.standard_normal(shape[1:])
    return out


def realistic_noise(seq: PoseSequence, rng: np.random.Generator) -> PoseSequence:
    """``seq`` with the pose errors MediaPipe makes on real clips added on top."""
    lm = seq.landmarks.copy()
    n = len(lm)
    w, h = seq.image_size
    fps = seq.fps
    ys = lm[np.isfinite(lm[:, :, 1]).any(axis=1), :, 1]
    height = float(np.nanmedian(np.nanmax(ys, 1) - np.nanmin(ys, 1))) * h  # body height, px
    # temporally correlated jitter (~0.1 s correlation time), 0.5-1.5 % of body height
    sd = rng.uniform(0.005, 0.015) * height
    jit = _ar1(rng, (n, 33, 2), 0.7 ** (30.0 / fps)) * sd
    lm[..., 0] += (jit[..., 0] / w).astype(np.float32)
    lm[..., 1] += (jit[..., 1] / h).astype(np.float32)
    # low far-limb visibility: one side's limbs faint (0.3-0.7) in runs covering ~30 % of frames
    side = _LEFT_LIMB if rng.random() < 0.5 else _RIGHT_LIMB
    for _ in range(rng.poisson(1.5 * n / fps)):
        start = int(rng.integers(0, n))
        sl = slice(start, min(n, start + int(rng.integers(2, max(3, int(0.4 * fps))))))
        lm[sl, side, 3] = rng.uniform(0.3, 0.7, size=(sl.stop - sl.start, len(side))).astype(np.float32)
    # left/right swaps of the legs, the arms or the whole body for 1-6 frames (~0.3 per second)
    for _ in range(rng.poisson(0.3 * n / fps)):
        start = int(rng.integers(0, n))
        sl = slice(start, min(n, start + int(rng.integers(1, 7))))
        pairs = _PAIRS if rng.random() < 0.3 else _PAIRS[4:] if rng.random() < 0.6 else _PAIRS[1:3]
        for a, b in pairs:
            lm[sl, a], lm[sl, b] = lm[sl, b].copy(), lm[sl, a].copy()
    # brief dropouts: 1-3 frames with no pose, ~0.4 per second
    for _ in range(rng.poisson(0.4 * n / fps)):
        start = int(rng.integers(0, n))
        lm[start:start + int(rng.integers(1, 4))] = np.nan
    return PoseSequence(lm, seq.fps, seq.image_size, seq.timestamps_ms.copy(), dict(seq.meta))


def _world_a(rng: np.random.Generator, duration: float) -> PoseSequence:
    from scoliscreen.core.sim.generate import simulate_clip
    from scoliscreen.core.sim.params import sample_subject

    subj_rng, clip_rng = rng.spawn(2)
    return simulate_clip(sample_subject(subj_rng), clip_rng, duration_s=duration)


def _family_world(name: str) -> Callable[[np.random.Generator, float], PoseSequence]:
    from scoliscreen.core.sim.worlds import sampler, simulate_clip_in

    def make(rng: np.random.Generator, duration: float) -> PoseSequence:
        subj_rng, clip_rng = rng.spawn(2)
        return simulate_clip_in(name, sampler(name)(subj_rng), clip_rng)  # draws its own length

    return make


def worlds() -> dict[str, Callable[[np.random.Generator, float], PoseSequence]]:
    """Every world of the generator family this checkout has (name -> clip maker). World A
    is made at the drawn length; the others draw their own and are cut to it when longer."""
    try:
        from scoliscreen.core.sim.worlds import WORLDS
    except ImportError:  # before the world family: A and B
        from scoliscreen.core.sim.world_b import sample_subject_b, simulate_clip_b

        def _b(rng: np.random.Generator, duration: float) -> PoseSequence:
            subj_rng, clip_rng = rng.spawn(2)
            return simulate_clip_b(sample_subject_b(subj_rng), clip_rng)

        return {"A": _world_a, "B": _b}
    return {name: (_world_a if name == "A" else _family_world(name)) for name in WORLDS}


def fully_visible(seq: PoseSequence) -> bool:
    body = seq.landmarks[:, _BODY, :2]
    ok = np.isfinite(body).all(axis=(1, 2))
    return bool(ok.any() and ((body[ok] >= 0.0) & (body[ok] <= 1.0)).all())


def walks(world: str, n: int, seed: int = 0, noise: bool = True) -> Iterator[PoseSequence]:
    """``n`` fully visible walks of 3.4-7 s from ``world``, with realistic pose noise."""
    make = worlds()[world]
    root = np.random.SeedSequence([seed, ord(world[0])])
    made = 0
    for child in root.spawn(20 * n):
        if made >= n:
            return
        rng = np.random.default_rng(child)
        dur_rng, clip_rng, noise_rng = rng.spawn(3)
        duration = float(dur_rng.uniform(MIN_S, MAX_S))
        seq = make(clip_rng, duration)
        if seq.duration_s > duration:  # a world that draws its own length: keep the first `duration` s
            keep = int(np.searchsorted(seq.timestamps_ms - seq.timestamps_ms[0], duration * 1000.0, "right"))
            seq = seq.slice(0, keep)
        if seq.duration_s < MIN_S - 0.05 or not fully_visible(seq):
            continue
        made += 1
        yield realistic_noise(seq, noise_rng) if noise else seq
