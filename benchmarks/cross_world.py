"""Leave-one-world-out: the shipped model (trained on world A, the default simulator) tested on
world B (``core/sim/world_b.py``: other body proportions, curve expression, gait, camera and
pose-estimator errors), which training never saw.

    python benchmarks/cross_world.py [--subjects 150] [--seed 77] [--model models/screening]

Writes ``MODEL/cross_world.json`` (read by ``scoliscreen model-report``) and
prints it. World B subjects have IDs ``simB<seed>-NNNNN``: unseen by construction.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=150)
    ap.add_argument("--clips-per-subject", type=int, default=1)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--model", default="models/screening")
    ap.add_argument("--data", default=None, help="where to write world B (default: a temp folder)")
    args = ap.parse_args()

    from scoliscreen.core.model.pipeline import evaluate_pipeline
    from scoliscreen.core.sim import simulate_dataset

    t0 = time.perf_counter()
    data = Path(args.data or tempfile.mkdtemp(prefix="scoliscreen_worldB_"))
    if not (data / "labels.csv").exists():
        simulate_dataset(data, args.subjects, args.clips_per_subject, seed=args.seed, world="B")
    m = evaluate_pipeline(data, args.model, device="cpu")
    rep = m.get("operating_point_report", {})
    b = rep.get("bootstrap", {})
    out = {
        "train_world": "A (scoliscreen.sim 2)", "test_world": "B (scoliscreen.sim-B 1)",
        "command": f"python benchmarks/cross_world.py --subjects {args.subjects} --clips-per-subject "
                   f"{args.clips_per_subject} --seed {args.seed}",
        "model_version": m.get("model_version"), "clips": m["n"], "positive_clips": m["n_positive"],
        "roc_auc": b.get("roc_auc"), "sensitivity": b.get("sensitivity"), "specificity": b.get("specificity"),
        "macro_f1_at_operating_point": m["macro_f1"], "accuracy_at_operating_point": m["accuracy"],
        "cobb_mae": m.get("cobb_mae"), "re_record": rep.get("re_record"), "per_view": rep.get("per_view"),
        "skipped_clips": len(m.get("skipped", [])), "seconds": round(time.perf_counter() - t0, 1),
    }
    Path(args.model, "cross_world.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
