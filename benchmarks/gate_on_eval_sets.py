"""How many clips of the evaluation sets the quality gate refuses (as the app would).

    python benchmarks/gate_on_eval_sets.py [--subjects 600] [--clips 3] [--seed 0] [--worlds A,B,C,R]

Simulates each world's dataset as the model card's is made (``scoliscreen simulate OUT
--subjects 600 --clips-per-subject 3 --seed 0 [--world W]``) into a temporary folder, runs the
quality gate on every clip and on the card's test split (``core.data.splits``, split seed 0),
and prints the refusals with the current gate and with the gate before issue 9 (both body
sides visible >= 0.5 in every frame, gaps up to 0.25 s). Every refused clip of an evaluation
set is one the app would not screen.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=600)
    ap.add_argument("--clips", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--worlds", default="A,B,C,R")
    args = ap.parse_args()
    import csv

    from scoliscreen.core.quality import THRESHOLDS, assess_quality
    from scoliscreen.core.sequence import load_sequence
    from scoliscreen.core.sim.generate import simulate_dataset

    old = replace(THRESHOLDS, far_side_visibility=THRESHOLDS.body_visibility, visibility_smooth_s=0.0,
                  segment_max_gap_s=0.25)
    for world in args.worlds.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ds"
            simulate_dataset(out, args.subjects, args.clips, args.seed, world=world, workers=1)
            rows = list(csv.DictReader(open(out / "labels.csv")))
            test_ids = _test_subjects(out)
            for name, th in (("current gate", THRESHOLDS), ("gate before issue 9", old)):
                refused, refused_test, codes = 0, 0, collections.Counter()
                for row in rows:
                    r = assess_quality(load_sequence(out / row["file"]), th)
                    if not r.usable:
                        refused += 1
                        refused_test += row["subject_id"] in test_ids
                        codes.update(x.code for x in r.refusals)
                n_test = sum(row["subject_id"] in test_ids for row in rows)
                print(f"world {world}, {name}: {refused}/{len(rows)} clips refused "
                      f"({100 * refused / len(rows):.1f} %); test split {refused_test}/{n_test}; {dict(codes)}",
                      flush=True)


def _test_subjects(dataset: Path) -> set[str]:
    """Subject ids of the card's test split (split seed 0, 15 % validation, 15 % test)."""
    from scoliscreen.core.data.dataset import read_labels
    from scoliscreen.core.data.splits import grouped_train_val_test

    records, _ = read_labels(dataset)
    _, _, test = grouped_train_val_test(records, 0.15, 0.15, 0)
    return {records[i].subject_id for i in test}


if __name__ == "__main__":
    main()
