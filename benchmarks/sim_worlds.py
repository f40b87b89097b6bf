"""Figures of every simulated world: quality-gate pass rate, Cobb signal, nuisance AUCs, speed.

    python benchmarks/sim_worlds.py [--worlds A B C R] [--subjects 100] [--signal-subjects 200]

Per world: the share of clips (subjects x 2, as ``simulate_dataset`` makes them) the quality
gate accepts, with the refusal reasons; the strongest knowledge-map asymmetry's Pearson r with
Cobb (``signal.signal_check``; literature r ~ 0.4-0.6); each nuisance variable's ROC-AUC against
the label (3,000 subjects x 2 clips drawn without rendering, ``nuisance.nuisance_table``) and
sex's (the cited exception); and the time to simulate one clip. Timings on a shared machine are
inflated by whatever else runs there.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

import numpy as np

from scoliscreen.core.quality import assess_quality
from scoliscreen.core.sim.generate import _subject_seeds, subject_id, subject_plan
from scoliscreen.core.sim.nuisance import auc, nuisance_aucs, nuisance_table
from scoliscreen.core.sim.signal import signal_check
from scoliscreen.core.sim.worlds import WORLDS, simulate_clip_in


def gate(world: str, subjects: int, seed: int = 9) -> tuple[float, Counter, float, int]:
    reasons: Counter = Counter()
    usable, n, t0 = 0, 0, time.perf_counter()
    sim_s = 0.0
    for i, sseed in enumerate(_subject_seeds(seed, subjects), start=1):
        subject, plan = subject_plan(sseed, subject_id(seed, i, world), 2, world)
        for view, rng in plan:
            t1 = time.perf_counter()
            seq = simulate_clip_in(world, subject, rng, view)
            sim_s += time.perf_counter() - t1
            q = assess_quality(seq)
            usable += q.usable
            n += 1
            reasons.update(r.code for r in q.reasons if r.level == "refuse")
    del t0
    return usable / n, reasons, sim_s / n, n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", nargs="+", choices=WORLDS, default=list(WORLDS))
    ap.add_argument("--subjects", type=int, default=100, help="subjects (x 2 clips) for the gate")
    ap.add_argument("--signal-subjects", type=int, default=200)
    ap.add_argument("--nuisance-subjects", type=int, default=3000)
    args = ap.parse_args()
    for world in args.worlds:
        rate, reasons, per_clip, n = gate(world, args.subjects)
        print(f"== world {world}: gate accepts {rate:.1%} of {n} clips; refusals {dict(reasons)}; "
              f"{per_clip * 1000:.0f} ms to simulate a clip")
        res = signal_check(args.signal_subjects, seed=1, source="kinematics", world=world)
        top = sorted(res["r"].items(), key=lambda kv: -abs(kv[1]))[:4]
        print(f"   signal ({res['n']} subjects): " + ", ".join(f"{k} {v:+.2f}" for k, v in top))
        table = nuisance_table(world, args.nuisance_subjects, seed=7)
        aucs = nuisance_aucs(table)
        worst = max(aucs.items(), key=lambda kv: abs(kv[1] - 0.5))
        print(f"   nuisance ({len(aucs)} variables): the farthest from 0.5 is {worst[0]} {worst[1]:.3f}; "
              f"view {aucs['view_back']:.3f}, fps {aucs['fps']:.3f}; sex (cited exception) "
              f"{auc(table['label'] > 0, table['sex_f']):.3f}; positives {np.mean(table['label']):.1%} of clips")
    return 0


if __name__ == "__main__":
    sys.exit(main())
