"""CPU and CUDA give the same screening answer (issue 9, point 6). Runs only where an NVIDIA
GPU is present; the figures (agreement and training time on each) come from
``benchmarks/cuda_agreement.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from scoliscreen.core.sequence import load_sequence

POSES = Path(__file__).parent / "data" / "poses"
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


@needs_cuda
def test_shipped_model_gives_the_same_answer_on_cpu_and_cuda():
    from scoliscreen.core.model.predict import Screener

    cpu, gpu = Screener.load(device="cpu"), Screener.load(device="cuda")
    assert gpu.device == "cuda" and next(gpu.net.parameters()).is_cuda
    for f in sorted(POSES.glob("*.npz")):
        seq = load_sequence(f)
        a, b = cpu.predict(seq), gpu.predict(seq)
        assert abs(a.probability - b.probability) <= 1e-3, f.stem
        assert abs(a.cobb_estimate - b.cobb_estimate) <= 0.05, f.stem
        for k, v in a.severity_probabilities.items():
            assert abs(v - b.severity_probabilities[k]) <= 1e-3, (f.stem, k)
        for k, v in a.region_weights.items():
            assert abs(v - b.region_weights[k]) <= 1e-3, (f.stem, k)
        if not any(r["code"] == "near_threshold" for r in a.reasons + b.reasons):
            assert a.label == b.label, f.stem


@needs_cuda
def test_training_runs_on_cuda_and_its_model_predicts_the_same_on_cpu(tmp_path):
    """A model trained on CUDA, moved to the CPU, gives the CUDA probabilities (within 1e-3)."""
    from scoliscreen.core.data import load_dataset
    from scoliscreen.core.model.inputs import build_inputs
    from scoliscreen.core.model.train import TrainConfig, fit, predict_arrays
    from scoliscreen.core.sim import simulate_dataset

    simulate_dataset(tmp_path / "sim", 24, 1, seed=11)
    inputs = build_inputs(load_dataset(tmp_path / "sim"), use_cache=False)
    idx = np.arange(len(inputs))
    net, hist = fit(inputs, idx[:16], idx[16:], TrainConfig(epochs=2, dim=16, device="cuda"))
    assert hist["device"] == "cuda"
    on_cpu = predict_arrays(net.to("cpu"), inputs, idx, device="cpu")["logit"]
    on_gpu = predict_arrays(net.to("cuda"), inputs, idx, device="cuda")["logit"]
    p = lambda z: 1 / (1 + np.exp(-np.asarray(z, np.float64)))  # noqa: E731
    assert np.abs(p(on_cpu) - p(on_gpu)).max() <= 1e-3
