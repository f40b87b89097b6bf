"""Cost of finding several people: the pose stage with ``num_poses=1`` (MediaPipe's single
tracker only) against the default (single tracker + an IMAGE-mode scout every 0.5 s, and a
multi-person landmarker once a second person is seen), on a 96-frame 1080p clip of one walker
(benchmarks/pose_throughput.py's clip) and on the real two-person clip.

    python benchmarks/pose_people_cost.py [--repeat 3] [--threads 2]

Prints the wall time of ``estimate_poses`` (model load included) per setting, runs
alternating so that load from other processes hits both alike, and the median. The bar
(issue 9): the whole analysis of the 96-frame 1080p clip <= 3.2 s on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _time(clip: Path, num_poses: int) -> float:
    from scoliscreen.core.pose import estimate_poses
    from scoliscreen.core.video import open_source

    t0 = time.perf_counter()
    with open_source(clip) as src:
        estimate_poses(src, num_poses=num_poses)
    return time.perf_counter() - t0


def _time_analyze(clip: Path) -> float:
    from scoliscreen.core.analyze import analyze

    t0 = time.perf_counter()
    analyze(clip)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from pose_throughput import make_1080p_clip

    from scoliscreen.core.pose import NUM_POSES

    with tempfile.TemporaryDirectory() as tmp:
        one = make_1080p_clip(Path(tmp) / "walk_1080p.mp4", 96)
        two = ROOT / "tests" / "data" / "real" / "sports2d_demo_multiperson.mp4"
        _time(one, 1)  # warm the file cache and the libraries
        for name, clip in (("96-frame 1080p, one walker", one), ("real two-person clip, 230 frames", two)):
            times: dict[str, list[float]] = {"num_poses=1": [], f"default (num_poses={NUM_POSES}, scouted)": []}
            for _ in range(args.repeat):
                for key, n in zip(times, (1, NUM_POSES)):
                    times[key].append(_time(clip, n))
            for key, ts in times.items():
                print(f"{name}: {key}: median {statistics.median(ts):.2f} s  ({', '.join(f'{t:.2f}' for t in ts)})")
        ts = [_time_analyze(one) for _ in range(args.repeat)]
        print(f"analyze() of the 96-frame 1080p clip (default): median {statistics.median(ts):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in ts)})")


if __name__ == "__main__":
    main()
