"""Consistency training (``TrainConfig.consistency``, ``train --consistency``): batches hold
whole subjects and the loss adds the within-subject variance of the model's score."""

from __future__ import annotations

import numpy as np
import torch

from scoliscreen.core.model.train import subject_batches, within_subject_variance


def test_subject_batches_keep_every_clip_once_and_each_subject_whole():
    subjects = np.array([f"s{i // 3}" for i in range(100)])  # 33 subjects of 3 clips, one of 1
    idx = np.random.default_rng(0).permutation(100)[:90]
    batches = subject_batches(subjects, idx, 8, np.random.default_rng(1))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == sorted(idx.tolist())
    where = {}
    for k, b in enumerate(batches):
        for i in b:
            where.setdefault(subjects[i], set()).add(k)
    assert all(len(v) == 1 for v in where.values())  # a subject never spans two batches
    assert all(len(b) >= 8 for b in batches[:-1])
    again = subject_batches(subjects, idx, 8, np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))  # seeded


def test_within_subject_variance_is_the_mean_of_each_subjects_variance():
    eta = torch.tensor([1.0, 3.0, 10.0, -2.0, 2.0, 0.0, 5.0], requires_grad=True)
    subjects = np.array(["a", "a", "lone", "b", "b", "b", "c"])
    v = within_subject_variance(eta, subjects)
    want = np.mean([np.var([1.0, 3.0]), np.var([-2.0, 2.0, 0.0])])  # "lone" and "c" have one clip
    assert abs(float(v.detach()) - want) < 1e-6
    v.backward()
    assert float(eta.grad[2]) == 0.0 and float(eta.grad[0]) < 0 < float(eta.grad[1])  # pulls a's clips together
    assert float(within_subject_variance(torch.tensor([1.0, 2.0]), np.array(["x", "y"]))) == 0.0


def test_a_bad_consistency_weight_is_one_line_exit_2(tmp_path, capsys):
    from scoliscreen.cli import main

    rc = main(["train", str(tmp_path), "--out", str(tmp_path / "m"), "--consistency", "-1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--consistency" in err[0]
