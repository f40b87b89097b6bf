"""Per-region and per-time-window weights of a prediction (gradient x input attribution).

For one clip, the positive-class logit is differentiated with respect to the model inputs
that belong to a body region and a time window:

* skeleton-map channel r (region r) of the frames inside window w;
* the knowledge-map features of region r in window w.

``|gradient x input|`` summed over those entries gives an ``[R, W]`` relevance matrix
(first-order estimate of what masking the entries would change); normalised to sum 1.
Region weights and window weights are its marginals. Faithfulness (masking the top-weighted
region changes the output more than masking the lowest-weighted one, on average) is tested
in ``tests/test_model_explain.py`` with :func:`mask_region`.
"""

from __future__ import annotations

import numpy as np
import torch

from scoliscreen.core.landmarks import NUM_REGIONS
from scoliscreen.core.model.features import FRAME_STEP, N_WINDOWS


def frame_window_matrix(n_frames: int, n_windows: int = N_WINDOWS) -> torch.Tensor:
    """[T, W] membership of map frames (every FRAME_STEP-th of 96) in 16-frame windows hop 8."""
    centres = np.arange(n_frames) * FRAME_STEP + FRAME_STEP // 2
    m = np.zeros((n_frames, n_windows), np.float32)
    for w in range(n_windows):
        m[(centres >= 8 * w) & (centres < 8 * w + 16), w] = 1.0
    m /= np.maximum(m.sum(1, keepdims=True), 1.0)
    return torch.from_numpy(m)


def attribution(net, batch: dict, return_outputs: bool = False):
    """Logits [B] and relevance [B, R, W] (not normalised) for a batch (see module doc);
    with ``return_outputs`` the network's full output dict instead of the logits."""
    net.eval()
    maps = batch["maps"].detach().clone().requires_grad_("video" in net.modalities)
    z, present = net.standardise(batch["km"])
    z = z.detach().clone().requires_grad_("map" in net.modalities)
    with torch.enable_grad():
        out = net(maps, batch["frame_valid"], z, present, batch["text"])
        logit = out["logit"]
        inputs = [t for t in (maps, z) if t.requires_grad]
        grads = torch.autograd.grad(logit.sum(), inputs, allow_unused=True)
    gm = dict(zip([id(t) for t in inputs], grads))
    b = maps.shape[0]
    rel = torch.zeros(b, NUM_REGIONS, N_WINDOWS)
    if id(maps) in gm and gm[id(maps)] is not None:
        per_frame = (gm[id(maps)] * maps).abs().sum((-1, -2))  # [B, T, R]
        rel = rel + torch.einsum("btr,tw->brw", per_frame, frame_window_matrix(maps.shape[1]).to(maps.device)).cpu()
    if id(z) in gm and gm[id(z)] is not None:
        per_feat = (gm[id(z)] * z).abs()  # [B, W, F]
        rel = rel + torch.einsum("bwf,rf->brw", per_feat, net.map.member).cpu()
    if return_outputs:
        return {k: v.detach() for k, v in out.items()}, rel.detach()
    return logit.detach(), rel.detach()


def normalise(rel: np.ndarray) -> np.ndarray:
    s = float(rel.sum())
    if not np.isfinite(s) or s <= 0:
        return np.full(rel.shape, 1.0 / rel.size)
    return rel / s


def mask_region(batch: dict, regions, region_of_feature) -> dict:
    """A copy of the batch with one body region removed from every modality's input of each
    sample (``regions[i]`` for sample i): its skeleton-map channel zeroed, its knowledge-map
    features marked missing."""
    out = dict(batch)
    maps = batch["maps"].clone()
    km = batch["km"].clone()
    rof = np.asarray(region_of_feature)
    for i, r in enumerate(regions):
        maps[i, :, r] = 0
        cols = torch.as_tensor(np.flatnonzero(rof == r), dtype=torch.long)
        if len(cols):
            km[i, :, cols] = float("nan")
    out["maps"], out["km"] = maps, km
    return out


def mask_subject_region(batch: dict, region: int, region_of_feature) -> dict:
    """For a (clip, mirror image) batch from :meth:`Screener.prepare`: remove the subject's
    region from both views (in the mirror view the subject's left is drawn as a right)."""
    from scoliscreen.core.model.features import region_permutation_mirror

    return mask_region(batch, [region, region_permutation_mirror()[region]], region_of_feature)
