"""How fast is ``scoliscreen simulate``? Acceptance: 500 subjects x 3 clips in <= 2 min on the 2-core laptop.

    python benchmarks/simulate_speed.py [--subjects 500] [--clips 3] [--workers N]

Prints wall time, clips per second, disk size, and the dataset summary (label balance, Cobb
histogram, views). Writes into a temporary folder that is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from scoliscreen.cli.data import print_summary
from scoliscreen.core.sim import simulate_dataset


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=500)
    ap.add_argument("--clips", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sim"
        t0 = time.perf_counter()
        summary = simulate_dataset(out, args.subjects, args.clips, args.seed, workers=args.workers)
        wall = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        print_summary(summary)
        print(f"cpu cores: {os.cpu_count()}, workers: {summary['workers']}")
        print(f"wall time: {wall:.1f} s for {summary['clips']} clips = {summary['clips'] / wall:.1f} clips/s "
              f"(acceptance: 1500 clips <= 120 s)")
        print(f"disk: {size / 1e6:.1f} MB ({size / summary['clips'] / 1e3:.0f} kB per clip)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
