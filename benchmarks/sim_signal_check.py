"""Is the scoliosis signal in the simulated data there, but weak?

    python benchmarks/sim_signal_check.py [--subjects 400] [--seed 1] [--source kinematics|quick] [--world A|B|C|R]

Simulates one clip per subject (front and back views alternating), computes the knowledge
map's asymmetry summaries (``scoliscreen.core.kinematics``; or the simulator's own quick
asymmetry measures with ``--source quick``) and prints each one's Pearson r with the Cobb
angle, signed and as a magnitude. The literature reports r ~ 0.4-0.6 between photographic
asymmetry and Cobb; a plausible simulator gives a strongest |r| of about 0.25-0.75. Also
prints a cross-validated least-squares fit of Cobb from all summaries together (how much a
combination of features recovers), and the same with Cobb shuffled (the chance level).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from scoliscreen.core.sim.signal import signal_check


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--source", choices=("kinematics", "quick"), default="kinematics")
    ap.add_argument("--world", choices=("A", "B", "C", "R", "M"), default="A", help="simulated world (docs/simulator.md)")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    t0 = time.perf_counter()
    res = signal_check(args.subjects, args.seed, args.source, keep_rows=True, world=args.world)
    wall = time.perf_counter() - t0
    print(f"world {args.world}, source: {res['source']}, subjects: {res['n']}, {len(res['r'])} correlations, {wall:.1f} s")
    print(f"{'feature':48s} {'r with Cobb':>12s}")
    for name, r in sorted(res["r"].items(), key=lambda kv: -abs(kv[1]))[: args.top]:
        print(f"{name:48s} {r:+12.3f}")
    name, r = res["best"]
    band = "inside" if 0.25 <= abs(r) <= 0.75 else "OUTSIDE"
    print(f"strongest |r| = {abs(r):.3f} ({name}) - {band} the plausible band 0.25-0.75")
    # all features together: 5-fold cross-validated ridge fit of Cobb
    X, y = res["X"], res["cobb"]
    for label, target in (("combined fit", y), ("shuffled Cobb", np.random.default_rng(0).permutation(y))):
        pred = np.zeros_like(target)
        folds = np.arange(len(target)) % 5
        for f in range(5):
            tr, te = folds != f, folds == f
            mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-9
            A = np.c_[(X[tr] - mu) / sd, np.ones(tr.sum())]
            w = np.linalg.solve(A.T @ A + 10.0 * np.eye(A.shape[1]), A.T @ target[tr])
            pred[te] = np.c_[(X[te] - mu) / sd, np.ones(te.sum())] @ w
        print(f"{label}: cross-validated r = {np.corrcoef(pred, target)[0, 1]:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
