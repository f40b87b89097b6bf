"""Training: seeded, early-stopped fitting on cached inputs; calibration and operating point.

Works on :class:`~scoliscreen.core.model.inputs.DatasetInputs` (arrays of every clip's
inputs, built once per dataset), so that an epoch costs only the network. Mirror
augmentation: each sample is used as the clip or its mirror image at random.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from scoliscreen.core.device import resolve_device
from scoliscreen.core.model.features import N_WINDOWS, mirror_maps
from scoliscreen.core.model.network import MODALITIES, ScreeningNet, default_config
from scoliscreen.core.model.outcome import interval_nll, label_bins

# The operating point: the best specificity with at least this sensitivity on validation
# subjects (issue 9; school-screening anchors: scoliometer ~0.83 / 0.86, Adams ~0.84 / 0.93).
TARGET_SENSITIVITY = 0.85


@dataclass
class TrainConfig:
    modalities: tuple = MODALITIES
    fusion: str = "latent"
    dim: int = 64
    epochs: int = 30
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-2
    patience: int = 6
    seed: int = 0
    device: str = "auto"
    threads: int = 2
    aux_weight: float = 0.0  # unused since the single cumulative-link head (kept for old configs)
    consistency: float = 0.0  # > 0: batches of whole subjects, + this x the within-subject variance of eta
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["modalities"] = list(self.modalities)
        return d


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_batch(inputs, idx: np.ndarray, mirror: np.ndarray | None, device: str) -> dict:
    """Network inputs for samples ``idx``; ``mirror[i]`` True takes the mirror image."""
    maps = torch.from_numpy(inputs.maps[idx]).to(device).float() / 255.0
    km = inputs.km[idx].copy()
    text = inputs.text[idx].copy()
    if mirror is not None and mirror.any():
        maps[mirror] = mirror_maps(maps[mirror])
        km[mirror] = inputs.km_m[idx[mirror]]
        text[mirror] = inputs.text_m[idx[mirror]]
    return {
        "maps": maps,
        "frame_valid": torch.from_numpy(inputs.frame_valid[idx]).to(device),
        "km": torch.from_numpy(km).to(device),
        "text": torch.from_numpy(text).to(device),
    }


def forward(net: ScreeningNet, batch: dict) -> dict:
    z, present = net.standardise(batch["km"])
    return net(batch["maps"], batch["frame_valid"], z, present, batch["text"])


@torch.no_grad()
def predict_arrays(net: ScreeningNet, inputs, idx: np.ndarray, device: str = "cpu",
                   batch_size: int = 64, symmetrise: bool = True) -> dict:
    """Raw outputs (mean over the clip and its mirror when ``symmetrise``) for samples ``idx``:
    ``cum`` [N, K] cumulative logits and ``logit`` [N] (its 10-degree column)."""
    net.eval()
    outs = {"logit": [], "cum": []}
    for s in range(0, len(idx), batch_size):
        b = idx[s : s + batch_size]
        views = [np.zeros(len(b), bool)] + ([np.ones(len(b), bool)] if symmetrise else [])
        acc = None
        for mir in views:
            o = forward(net, make_batch(inputs, b, mir, device))
            o = {"logit": o["logit"], "cum": o["cum"]}
            acc = o if acc is None else {k: acc[k] + o[k] for k in o}
        for k in outs:
            outs[k].append((acc[k] / len(views)).cpu().numpy())
    return {k: np.concatenate(v) if v else np.zeros(0) for k, v in outs.items()}


def _loss(out: dict, first: torch.Tensor, last: torch.Tensor, positive: torch.Tensor,
          pos_weight: torch.Tensor) -> torch.Tensor:
    """Interval-censored likelihood of the Cobb bins (exact angle: one bin; class-only label:
    its interval), positives weighted by ``pos_weight`` (class balance)."""
    w = torch.where(positive, pos_weight, torch.ones_like(pos_weight))
    return interval_nll(out["cum"], first, last, w)


def subject_batches(subjects: np.ndarray, idx: np.ndarray, batch_size: int, rng) -> list[np.ndarray]:
    """Batches of whole subjects (every clip of a subject in the same batch), subjects shuffled."""
    by: dict[str, list[int]] = {}
    for i in idx:
        by.setdefault(str(subjects[i]), []).append(int(i))
    out, cur = [], []
    for k in rng.permutation(sorted(by)):
        cur += by[str(k)]
        if len(cur) >= batch_size:
            out.append(np.asarray(cur))
            cur = []
    if cur:
        out.append(np.asarray(cur))
    return out


def within_subject_variance(eta: torch.Tensor, subjects: np.ndarray) -> torch.Tensor:
    """Mean over the batch's subjects with >= 2 clips of the variance of their clips' eta."""
    _, inv = np.unique(subjects, return_inverse=True)
    g = torch.as_tensor(inv, device=eta.device)
    n = torch.zeros(int(inv.max()) + 1, device=eta.device).index_add_(0, g, torch.ones_like(eta))
    mean = torch.zeros_like(n).index_add_(0, g, eta) / n
    sq = torch.zeros_like(n).index_add_(0, g, (eta - mean[g]) ** 2)
    many = n >= 2
    return (sq[many] / n[many]).mean() if bool(many.any()) else eta.sum() * 0.0


def sample_labels(inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first bin, last bin, positive) of every sample: the Cobb angle where known, else the
    class interval (``inputs.label_class``, if the inputs carry one)."""
    first, last = label_bins(inputs.cobb, getattr(inputs, "label_class", None))
    from scoliscreen.core.model.outcome import POSITIVE_INDEX

    return first, last, first > POSITIVE_INDEX


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (rank statistic, ties counted half); NaN with one class."""
    y = np.asarray(y).astype(bool)
    score = np.asarray(score, float)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(score)
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def build_net(inputs, cfg: TrainConfig, train_idx: np.ndarray) -> ScreeningNet:
    centres = [8.0 + 8.0 * w for w in range(N_WINDOWS)]
    net = ScreeningNet(default_config(inputs.km.shape[-1], inputs.region_of_feature, centres,
                                      cfg.modalities, cfg.fusion, cfg.dim))
    both = np.concatenate([inputs.km[train_idx], inputs.km_m[train_idx]]).reshape(-1, inputs.km.shape[-1])
    with np.errstate(all="ignore"):
        mean = np.nanmean(both, axis=0)
        std = np.nanstd(both, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 1e-6), std, 1.0)
    net.map_mean.copy_(torch.from_numpy(mean.astype(np.float32)))
    net.map_std.copy_(torch.from_numpy(std.astype(np.float32)))
    return net


def fit(inputs, train_idx: np.ndarray, val_idx: np.ndarray, cfg: TrainConfig, progress=None,
        should_cancel=None, init: ScreeningNet | None = None) -> tuple[ScreeningNet, dict]:
    """Train with early stopping on the validation loss (+ AUC as tie-break); best state kept.
    ``init``: a network to fine-tune (its configuration and knowledge-map standardisation are
    kept) instead of a new one.

    ``progress(epoch, epochs, info)`` after each epoch; returns (net on CPU, history).
    """
    from scoliscreen.core.errors import Cancelled

    torch.set_num_threads(max(1, cfg.threads))
    seed_everything(cfg.seed)
    device = resolve_device(cfg.device)
    net = (copy.deepcopy(init) if init is not None else build_net(inputs, cfg, train_idx)).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = max(1, math.ceil(len(train_idx) / cfg.batch_size)) * cfg.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps, pct_start=0.15)
    first, last, positive = sample_labels(inputs)
    y_tr = positive[train_idx]
    pos_weight = torch.tensor(float((~y_tr).sum()) / max(1.0, float(y_tr.sum())), device=device).clamp(0.25, 4.0)
    rng = np.random.default_rng(cfg.seed)
    history = {"epochs": [], "best_epoch": 0, "device": device}
    best = (math.inf, None)
    bad = 0
    y_val = positive[val_idx]
    for epoch in range(cfg.epochs):
        net.train()
        order = rng.permutation(train_idx)
        tot = 0.0
        if cfg.consistency > 0:
            batches = subject_batches(inputs.subjects, order, cfg.batch_size, rng)
        else:
            batches = [order[s : s + cfg.batch_size] for s in range(0, len(order), cfg.batch_size)]
        for b in batches:
            if should_cancel is not None and should_cancel():
                raise Cancelled("training was cancelled")
            batch = make_batch(inputs, b, rng.random(len(b)) < 0.5, device)
            out = forward(net, batch)
            loss = _loss(out, torch.from_numpy(first[b]).to(device), torch.from_numpy(last[b]).to(device),
                         torch.from_numpy(positive[b]).to(device), pos_weight)
            if cfg.consistency > 0:
                loss = loss + cfg.consistency * within_subject_variance(out["eta"], inputs.subjects[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            tot += float(loss.detach()) * len(b)
        pv = predict_arrays(net, inputs, val_idx, device)
        val_loss = float(interval_nll(torch.tensor(pv["cum"]), torch.from_numpy(first[val_idx]),
                                      torch.from_numpy(last[val_idx])))
        auc = roc_auc(y_val, pv["logit"])
        info = {"epoch": epoch + 1, "train_loss": tot / max(1, len(order)), "val_loss": val_loss, "val_auc": auc}
        history["epochs"].append(info)
        score = val_loss - 0.5 * (0.0 if math.isnan(auc) else auc)
        if score < best[0] - 1e-4:
            best = (score, copy.deepcopy(net.state_dict()))
            history["best_epoch"] = epoch + 1
            bad = 0
        else:
            bad += 1
        if progress is not None:
            progress(epoch + 1, cfg.epochs, info)
        if bad >= cfg.patience:
            break
    if best[1] is not None:
        net.load_state_dict(best[1])
    return net.cpu().eval(), history


def fit_platt(logit: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling p = sigmoid(a * logit + b) fitted on validation data (mild L2 to (1, 0))."""
    x = torch.tensor(logit, dtype=torch.float64)
    t = torch.tensor(np.asarray(y, float))
    ab = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([ab], max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(ab[0] * x + ab[1], t) + 1e-3 * (
            (ab[0] - 1) ** 2 + ab[1] ** 2)
        loss.backward()
        return loss

    if len(np.unique(y)) > 1:
        opt.step(closure)
    a, b = (float(v) for v in ab.detach())
    if not (np.isfinite(a) and a > 0):
        a, b = 1.0, 0.0
    return a, b


def choose_threshold(prob: np.ndarray, y: np.ndarray, target: float = TARGET_SENSITIVITY) -> float:
    """Highest threshold whose sensitivity on (validation) data is at least ``target`` (= the
    best specificity at that sensitivity; works on any monotone score, e.g. logits)."""
    y = np.asarray(y, bool)
    pos = np.sort(np.asarray(prob)[y])
    if len(pos) == 0:
        return 0.5
    k = int(np.floor((1 - target) * len(pos)))  # positives allowed below the threshold
    thr = float(pos[k])
    return float(np.clip(thr - 1e-6, 0.01, 0.99))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, float)))
