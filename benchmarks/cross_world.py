"""Leave-one-world-out comparison (``scoliscreen.core.model.crossworld``): for each simulated
world, train every variant on the other worlds, choose its operating point on their validation
subjects, and test it on the held-out world; the same model on its training worlds' test
subjects beside it. Paired bootstrap CIs over held-out subjects.

    python benchmarks/cross_world.py [--worlds A B C R M] [--subjects 300 ...] [--clips-per-subject 2]
        [--epochs 6] [--variants lr_medians net_map ...] [--work /tmp/scoliscreen_xworld]

Writes ``MODEL/cross_world.json`` and ``MODEL/roc_cross_world.png`` (``--out
MODEL/cross_world_X.json``: ``roc_cross_world_X.png``; every ``cross_world*.json`` is read by
``scoliscreen model-report``, which writes the table into docs/results.md) and prints a summary.
World datasets use the seed ``--seed + 1000 * k`` for the k-th world, so subject IDs differ
between worlds (and from the shipped model's training set, seed 0).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worlds", nargs="+", default=["A", "B", "C", "R", "M"])
    ap.add_argument("--subjects", type=int, nargs="+", default=[300],
                    help="subjects per world (one number for all, or one per --worlds entry)")
    ap.add_argument("--clips-per-subject", type=int, default=2)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--variants", nargs="*", default=None, help="variant keys (default: all)")
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--held-out", nargs="*", default=None, help="only these held-out worlds (default: each)")
    ap.add_argument("--model", default="models/screening", help="shipped model (reference row) and output folder")
    ap.add_argument("--out", default=None, help="JSON output (default: MODEL/cross_world.json)")
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "scoliscreen_xworld"))
    args = ap.parse_args()

    from scoliscreen.core.model.card import load_model
    from scoliscreen.core.model.crossworld import VARIANTS, load_world, run_cross_world, world_dataset
    from scoliscreen.core.model.crossworld_report import roc_name, write_roc
    from scoliscreen.core.model.train import TrainConfig

    t0 = time.perf_counter()
    variants = [v for v in VARIANTS if not args.variants or v[0] in args.variants]
    worlds = []
    for k, w in enumerate(args.worlds):
        n = args.subjects[k] if len(args.subjects) == len(args.worlds) else args.subjects[0]
        folder = world_dataset(w, n, args.clips_per_subject, args.seed + 1000 * k, Path(args.work))
        worlds.append(load_world(w, folder))
        print(f"world {w}: {len(worlds[-1].inputs)} clips ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    net, card = load_model(args.model, "cpu")
    trained_on = card.get("data", {}).get("worlds") or [card.get("data", {}).get("world", "A")]
    cfg = TrainConfig(epochs=args.epochs, patience=args.patience, device="cpu", threads=2)
    label = (f"shipped model before this run: {card.get('model_version')} ({'+'.join(card['config']['modalities'])}, "
             f"{card['config']['fusion']}; trained on world {'+'.join(trained_on)}; its own operating point)")
    run = run_cross_world(worlds, cfg, variants, seed=0, n_boot=args.boot, shipped=(net, card, trained_on, label),
                          held_out=args.held_out,
                          progress=lambda msg: print(f"[{time.perf_counter() - t0:.0f} s] {msg}", file=sys.stderr))
    run["command"] = "python benchmarks/cross_world.py " + " ".join(sys.argv[1:])
    run["shipped_model"] = {"model_version": card.get("model_version"), "trained_on_worlds": trained_on}
    out = Path(args.out or Path(args.model) / "cross_world.json")
    out.write_text(json.dumps(run, indent=1) + "\n")
    write_roc(run, out.with_name(roc_name(out)))
    for f in run["folds"]:
        print(f"held out {f['held_out']} (trained on {'+'.join(f['trained_on'])}):")
        for k, m in f["held_out_metrics"]["variants"].items():
            own = f["own_world_metrics"]["variants"].get(k)
            print(f"  {k:<16} AUC {m['roc_auc']['value']:.3f} ({m['roc_auc']['lo']:.3f}-{m['roc_auc']['hi']:.3f})"
                  f"  macro-F1 {m['macro_f1']['value']:.3f}  sens {m['sensitivity']['value']:.3f}"
                  f"  spec {m['specificity']['value']:.3f}"
                  + (f"   | own worlds AUC {own['roc_auc']['value']:.3f} F1 {own['macro_f1']['value']:.3f}" if own else ""))
        for m, p in f["held_out_metrics"]["paired"].items():
            print(f"  {m}: best {p['best']}, winner {p['winner']}")
    print(f"wrote {out} ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
