"""Test-retest of the screening model on simulated re-recordings of the same children.

Each subject (a fresh seed, never in training) is filmed twice from the same side: a new clip
(new day-to-day variation, camera and estimator noise) at 30 fps and at 25 or 60 fps. Prints
label agreement over all pairs (positive / negative / re-record), agreement among pairs where
both clips got a verdict, and the median |delta p|.

    python benchmarks/test_retest.py [--subjects 80] [--seed 4242] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=80)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()

    from scoliscreen.core.model.predict import Screener
    from scoliscreen.core.quality import assess_quality
    from scoliscreen.core.sim.generate import _subject_seeds, simulate_clip, subject_id, subject_plan

    screener = Screener.load(args.model, device="cpu")
    t0 = time.perf_counter()
    pairs = []
    for i, s in enumerate(_subject_seeds(args.seed, args.subjects), start=1):
        subject, plan = subject_plan(s, subject_id(args.seed, i), 2)
        view = plan[0][0]
        out = []
        for k, (_, rng) in enumerate(plan):
            fps = 30.0 if k == 0 else (25.0 if i % 2 else 60.0)
            seq = simulate_clip(subject, rng, view=view, fps=fps)
            q = assess_quality(seq)
            r = screener.predict(q.sequence, segment=q.segment, explain=False)
            out.append((r.label, r.probability))
        pairs.append((subject.label, *out))
    labels = np.array([(a[0], b[0]) for _, a, b in pairs])
    probs = np.array([(a[1], b[1]) for _, a, b in pairs])
    both = (labels != "re-record").all(1)
    res = {
        "model_version": screener.model_version, "pairs": len(pairs),
        "label_agreement_all": float((labels[:, 0] == labels[:, 1]).mean()),
        "pairs_both_with_verdict": int(both.sum()),
        "label_agreement_verdicts": float((labels[both, 0] == labels[both, 1]).mean()) if both.any() else None,
        "re_record_fraction": float((labels == "re-record").mean()),
        "median_abs_delta_p": float(np.median(np.abs(probs[:, 0] - probs[:, 1]))),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
