"""The torch side of federated training: a site's data (a dataset folder or the records
database's visits with outcomes), its subject-grouped split, local training rounds with an
optional FedProx proximal term, and evaluation. Only parameters and numbers leave this module.
"""

from __future__ import annotations

import copy
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scoliscreen.core.constants import POSITIVE_COBB
from scoliscreen.core.errors import DatasetError


@dataclass(frozen=True)
class SiteData:
    inputs: Any  # core.model.inputs.DatasetInputs
    train: np.ndarray  # sample indices
    val: np.ndarray
    test: np.ndarray

    @property
    def n_subjects(self) -> int:
        return int(len(np.unique(self.inputs.subjects)))

    def counts(self) -> dict[str, int]:
        y = positives(self.inputs)
        subj = np.asarray(self.inputs.subjects).astype(str)
        return {"clips": int(len(y)), "subjects": self.n_subjects,
                "subjects_with_scoliosis": int(len(np.unique(subj[y]))),
                "train_clips": int(len(self.train)), "test_clips": int(len(self.test))}


def positives(inputs) -> np.ndarray:
    from scoliscreen.core.model.train import sample_labels

    return sample_labels(inputs)[2]


def split_site(inputs, seed: int = 0, val_frac: float = 0.15, test_frac: float = 0.25) -> SiteData:
    from scoliscreen.core.model.pipeline import grouped_split

    y = positives(inputs)
    tr, va, te = grouped_split(inputs.subjects, val_frac, test_frac, seed, np.where(y, POSITIVE_COBB, 0.0))
    if len(tr) == 0 or len(np.unique(y[tr])) < 2:
        raise DatasetError("this site's data needs subjects with and without scoliosis to train on")
    return SiteData(inputs, tr, va, te)


def load_dataset_site(folder: str | Path, seed: int = 0) -> SiteData:
    from scoliscreen.core.data import load_dataset
    from scoliscreen.core.model.inputs import build_inputs

    return split_site(build_inputs(load_dataset(folder)), seed)


def load_records_site(db: str | Path | None, seed: int = 0) -> SiteData:
    """The clinic's visits with an outcome (``store_dataset.records_to_dataset``, in a private
    temporary folder that is gone before training starts)."""
    from scoliscreen.core.data import load_dataset
    from scoliscreen.core.model.inputs import build_inputs
    from scoliscreen.core.store_dataset import records_to_dataset

    with tempfile.TemporaryDirectory(prefix="scoliscreen-fl-") as tmp:
        records_to_dataset(db, Path(tmp) / "records")
        inputs = build_inputs(load_dataset(Path(tmp) / "records"), use_cache=False)
    return split_site(inputs, seed)


def trainable_names(net) -> list[str]:
    return [n for n, p in net.named_parameters() if p.requires_grad]


def get_arrays(net) -> list[np.ndarray]:
    """The trainable parameters, in :func:`trainable_names` order (the only thing sent)."""
    params = dict(net.named_parameters())
    return [params[n].detach().cpu().numpy().astype(np.float32, copy=True) for n in trainable_names(net)]


def set_arrays(net, arrays: list[np.ndarray]) -> None:
    import torch

    names = trainable_names(net)
    if len(arrays) != len(names):
        raise ValueError(f"expected {len(names)} parameter arrays, got {len(arrays)}")
    params = dict(net.named_parameters())
    with torch.no_grad():
        for n, a in zip(names, arrays):
            if tuple(a.shape) != tuple(params[n].shape):
                raise ValueError(f"{n}: shape {tuple(a.shape)} != {tuple(params[n].shape)}")
            params[n].copy_(torch.from_numpy(np.asarray(a, np.float32)))


def load_base(model_dir: str | Path | None = None):
    """(network, card) of the model to start from (the shipped one by default)."""
    from scoliscreen.core.model.card import load_model
    from scoliscreen.core.paths import screening_model_dir

    return load_model(model_dir or screening_model_dir(), "cpu")


def local_train(net, site: SiteData, *, epochs: int = 1, lr: float = 1e-3, mu: float = 0.0, seed: int = 0,
                batch_size: int = 32) -> dict[str, float]:
    """``epochs`` passes over the site's training clips, AdamW, class-balanced interval
    likelihood (as ``train.fit``), plus ``mu / 2 * ||w - w_global||^2`` (FedProx) on the
    trainable parameters. Returns the mean training loss and the number of examples."""
    import torch
    from torch import nn

    from scoliscreen.core.model.train import _loss, forward, make_batch, sample_labels

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    inputs = site.inputs
    first, last, positive = sample_labels(inputs)
    y_tr = positive[site.train]
    pos_weight = torch.tensor(float((~y_tr).sum()) / max(1.0, float(y_tr.sum()))).clamp(0.25, 4.0)
    names = trainable_names(net)
    params = dict(net.named_parameters())
    global_w = [params[n].detach().clone() for n in names]
    opt = torch.optim.AdamW([params[n] for n in names], lr=lr, weight_decay=1e-2)
    net.train()
    total, seen = 0.0, 0
    for _ in range(max(1, epochs)):
        order = rng.permutation(site.train)
        for s in range(0, len(order), batch_size):
            b = order[s : s + batch_size]
            out = forward(net, make_batch(inputs, b, rng.random(len(b)) < 0.5, "cpu"))
            loss = _loss(out, torch.from_numpy(first[b]), torch.from_numpy(last[b]), torch.from_numpy(positive[b]),
                         pos_weight)
            if mu > 0:
                prox = sum(((params[n] - g) ** 2).sum() for n, g in zip(names, global_w))
                loss = loss + mu / 2.0 * prox
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_([params[n] for n in names], 1.0)
            opt.step()
            total += float(loss.detach()) * len(b)
            seen += len(b)
    net.eval()
    return {"train_loss": total / max(1, seen), "num-examples": float(len(site.train))}


def evaluate(net, site: SiteData, which: str = "test") -> dict[str, float]:
    """AUC and counts on the site's held-out subjects (``test``) or validation subjects."""
    from scoliscreen.core.model.train import predict_arrays, roc_auc

    idx = site.test if which == "test" else site.val
    y = positives(site.inputs)[idx]
    if not len(idx):
        return {"auc": math.nan, "n": 0.0, "n_positive": 0.0}
    logit = predict_arrays(net, site.inputs, idx)["logit"]
    return {"auc": float(roc_auc(y, logit)), "n": float(len(idx)), "n_positive": float(y.sum())}


def copy_net(net):
    return copy.deepcopy(net)


__all__ = ["SiteData", "copy_net", "evaluate", "get_arrays", "load_base", "load_dataset_site", "load_records_site",
           "local_train", "positives", "set_arrays", "split_site", "trainable_names"]
