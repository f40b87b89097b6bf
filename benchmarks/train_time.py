"""Training time of the screening model on this machine.

    python benchmarks/train_time.py DATASET [--epochs 30] [--out /tmp/scoliscreen-bench-model]

Runs the same job as ``scoliscreen train`` (grouped split, early stopping, calibration,
held-out test, model card) and prints the time to build the model inputs (knowledge maps,
clinical texts, MiniLM embeddings, skeleton maps; cached afterwards), the time per epoch and
the total. Without DATASET it prints the figures recorded in the shipped model card.
Target: training of the shipped weights <= 30 min on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path, nargs="?")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--no-cache", action="store_true", help="rebuild the model inputs (counts their time)")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    if args.dataset is None:
        from scoliscreen.core.paths import screening_model_dir

        card = json.loads((screening_model_dir() / "model_card.json").read_text())
        tr = card["training"]
        print(f"shipped model {card['model_version']} (recorded at training time):")
        for k in ("seconds_inputs", "seconds_fit", "seconds_total", "epochs_run", "best_epoch", "device_used"):
            print(f"  {k}: {tr.get(k)}")
        print(f"  clips: {card['data']['clips']}, subjects: {card['data']['subjects']}")
        return
    import torch

    torch.set_num_threads(2)
    if args.no_cache:
        os.environ["SCOLISCREEN_DATA_DIR"] = tempfile.mkdtemp(prefix="scoliscreen-bench-")
    from scoliscreen.core.model.pipeline import train_pipeline
    from scoliscreen.core.model.train import TrainConfig

    out = args.out or Path(tempfile.mkdtemp(prefix="scoliscreen-bench-model-"))
    card = train_pipeline(args.dataset, out, TrainConfig(epochs=args.epochs, seed=args.seed))
    tr = card["training"]
    per_epoch = tr["seconds_fit"] / max(1, tr["epochs_run"])
    print(f"clips {card['data']['clips']} ({card['data']['train_clips']} train)")
    print(f"inputs: {tr['seconds_inputs']:.0f} s; fit: {tr['seconds_fit']:.0f} s for {tr['epochs_run']} epochs "
          f"({per_epoch:.1f} s/epoch); total {tr['seconds_total'] / 60:.1f} min (target <= 30 min)")
    print(f"held-out test: {card.get('metrics_test')}")


if __name__ == "__main__":
    main()
