"""Healthy norms of the shown asymmetry measures from the CMU training walkers (``core/norms.py``).

    python benchmarks/healthy_norms.py [--renders 4] [--write]

Every CMU training walk (``cmu.load_cmu_walks()``: the reserved subjects left out, asserted) is
filmed as world M films it (``world_m.simulate_clip_m``), front and back, ``--renders`` times
each (another camera, frame rate and pose noise each time) with **no injected asymmetry, build
change or mirroring**: the walker's own asymmetries, the camera and the pose noise only. Each
usable clip (quality gate) gives the knowledge map's median of each shown measure. Printed per
measure and view: clips, subjects, median, robust SD, |value| 90th/97th percentiles, re-filming
SD; ``--write`` stores them in ``scoliscreen/core/sim/data/healthy_norms.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict

import numpy as np

from scoliscreen.core.kinematics import compute_knowledge_map
from scoliscreen.core.kinematics.text import MIN_COVERAGE
from scoliscreen.core.norms import NORMS_PATH, SHOWN, summarise
from scoliscreen.core.quality import assess_quality
from scoliscreen.core.sim.cmu import assert_not_reserved
from scoliscreen.core.sim.world_m import render_real_walk, training_walks


def healthy_values(renders: int, seed: int = 0) -> tuple[dict, list[int]]:
    """{(measure, view): {walk index: [clip medians]}} and the subjects used."""
    walks = training_walks()
    subjects = sorted({w.subject for w in walks})
    assert_not_reserved(subjects, "healthy norms")
    out: dict = defaultdict(lambda: defaultdict(list))
    for k, walk in enumerate(walks):
        rngs = np.random.SeedSequence([seed, k]).spawn(2 * renders)
        for i, ss in enumerate(rngs):
            view = ("front", "back")[i % 2]
            q = assess_quality(render_real_walk(walk, np.random.default_rng(ss), view=view))
            if not q.usable:
                continue
            km = compute_knowledge_map(q.sequence)
            for name in SHOWN:
                if km.coverage(name) >= MIN_COVERAGE:
                    out[(name, view)][k].append(km.median(name))
    return out, subjects


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--renders", type=int, default=4, help="clips per walk and view")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    vals, subjects = healthy_values(args.renders, args.seed)
    rows = []
    print(f"{len(training_walks())} CMU training walks, {len(subjects)} subjects (adults), {args.renders} renders "
          "per walk and view, no injected asymmetry")
    print(f"{'measure':26s} {'view':5s} {'clips':>5s} {'subj':>4s} {'median':>8s} {'rSD':>7s} {'|p90|':>7s} "
          f"{'|p97|':>7s} {'retestSD':>8s}")
    for (name, view), per_walk in sorted(vals.items()):
        flat = np.concatenate([np.asarray(v, float) for v in per_walk.values()])
        sds = [float(np.std(v, ddof=1)) for v in per_walk.values() if len(v) >= 2]
        row = summarise(flat, float(np.median(sds)) if sds else float("nan"), name, view, len(per_walk))
        rows.append(row)
        print(f"{name:26s} {view:5s} {row['n_clips']:5d} {row['n_subjects']:4d} {row['median']:8.3f} "
              f"{row['robust_sd']:7.3f} {row['abs_p90']:7.3f} {row['abs_p97']:7.3f} {row['retest_sd']:8.3f}")
    if args.write:
        data = {"source": "CMU Graphics Lab Motion Capture Database (training subjects of cmu_walks.npz), "
                          "filmed by world M without injected asymmetry; adults",
                "subjects": subjects, "walks": [w.trial for w in training_walks()], "renders": args.renders,
                "seed": args.seed, "norms": rows}
        NORMS_PATH.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {NORMS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
