"""CPU against CUDA: the same answers, and training time on each (issue 9, point 6).

    python benchmarks/cuda_agreement.py [--subjects 200] [--epochs 10] [--threads 2]

Where an NVIDIA GPU is present, prints:

* the shipped model's P(Cobb >= 10°) on every real pose fixture (tests/data/poses), predicted
  on the CPU and on CUDA: the largest |delta p| (target <= 1e-3);
* training the shipped design on a simulated dataset (same split, seed and settings) on the CPU
  and on CUDA: seconds per epoch and in all, the test AUC of each, and the largest |delta p|
  between the CUDA-trained model run on CUDA and the same weights run on the CPU.

Without CUDA it says so and exits 0 (the comparison needs the GPU; ``tests/test_cuda.py``
checks the same bounds where one is present).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]


def _p(z) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, np.float64)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=200)
    ap.add_argument("--clips-per-subject", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2, help="CPU threads for the CPU run")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device on this machine: nothing to compare (run this where an NVIDIA GPU is present)")
        return 0
    from scoliscreen.core.data import load_dataset
    from scoliscreen.core.model.inputs import build_inputs
    from scoliscreen.core.model.pipeline import grouped_split
    from scoliscreen.core.model.predict import Screener
    from scoliscreen.core.model.train import TrainConfig, fit, predict_arrays, roc_auc
    from scoliscreen.core.sequence import load_sequence
    from scoliscreen.core.sim import simulate_dataset

    torch.set_num_threads(args.threads)
    print(f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}; CPU threads {args.threads}")
    cpu, gpu = Screener.load(device="cpu"), Screener.load(device="cuda")
    deltas = []
    for f in sorted((REPO / "tests" / "data" / "poses").glob("*.npz")):
        seq = load_sequence(f)
        a, b = cpu.predict(seq), gpu.predict(seq)
        deltas.append(abs(a.probability - b.probability))
        print(f"  {f.stem:<40} p cpu {a.probability:.6f}  cuda {b.probability:.6f}  |dp| {deltas[-1]:.2e}")
    print(f"RESULT shipped model, real fixtures: max |dp| CPU vs CUDA = {max(deltas):.2e} (target <= 1e-3)")

    with tempfile.TemporaryDirectory() as tmp:
        simulate_dataset(Path(tmp) / "sim", args.subjects, args.clips_per_subject, seed=123)
        t = time.perf_counter()
        inputs = build_inputs(load_dataset(Path(tmp) / "sim"), use_cache=False)
        print(f"inputs for {len(inputs)} clips: {time.perf_counter() - t:.1f} s")
    y = inputs.cobb >= 10.0
    tr, va, te = grouped_split(inputs.subjects, 0.15, 0.15, 0, np.where(y, 10.0, 0.0))
    nets = {}
    for device in ("cpu", "cuda"):
        cfg = TrainConfig(epochs=args.epochs, patience=args.epochs, device=device, threads=args.threads)
        t = time.perf_counter()
        net, hist = fit(inputs, tr, va, cfg)
        if device == "cuda":
            torch.cuda.synchronize()
        sec = time.perf_counter() - t
        nets[device] = net
        z = predict_arrays(net.to(device), inputs, te, device=device)["logit"]
        print(f"train on {device}: {sec:.1f} s for {len(hist['epochs'])} epochs ({sec / max(1, len(hist['epochs'])):.2f} s per "
              f"epoch), test AUC {roc_auc(y[te], z):.3f}")
    net = nets["cuda"]
    on_gpu = predict_arrays(net.to("cuda"), inputs, te, device="cuda")["logit"]
    on_cpu = predict_arrays(net.to("cpu"), inputs, te, device="cpu")["logit"]
    print(f"RESULT CUDA-trained model, {len(te)} test clips: max |dp| CPU vs CUDA = "
          f"{np.abs(_p(on_cpu) - _p(on_gpu)).max():.2e} (target <= 1e-3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
