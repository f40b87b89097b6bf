"""Speed of the records store and the PDF report on the bundled clip's real analysis.

Prints: save one visit (analysis JSON + pose sequence + notes + audit, fsync'd), list a
patient's visits and trend, compare two visits, open a visit with its sequence, write a visit
report (key frame from the video, knowledge map recomputed) and a 100-row session summary.
Medians of repeats; a shared machine inflates them.

    .venv/bin/python benchmarks/records_speed.py [--visits 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ANALYSIS = REPO / "tests" / "data" / "records" / "analysis_sports2d_side_walk_single.json"
SEQ = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"
CLIP = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=200, help="visits in the database before timing")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    from scoliscreen.core.report import report_visit, session_summary
    from scoliscreen.core.store import Store

    analysis = json.loads(ANALYSIS.read_text())
    seq = SEQ.read_bytes()
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "r.sqlite3") as store:
        p = store.add_patient("BENCH-1", 2013, "F")
        t0 = time.perf_counter()
        for _ in range(args.visits):
            store.add_visit(p["id"], str(CLIP), analysis, notes="bench", sequence=seq)
        fill = (time.perf_counter() - t0) / args.visits
        ids = [v["id"] for v in store.visits(p["id"])]
        rows = [
            ("save one visit (incl. sha256 of the video)", fill),
            ("patient visits + trend", timed(lambda: store.trend(p["id"]), args.repeats)),
            ("list patients", timed(store.list_patients, args.repeats)),
            ("compare two visits", timed(lambda: store.compare_visits(ids[0], ids[-1]), args.repeats)),
            ("open a visit with its sequence", timed(lambda: store.open_visit(ids[-1], audit=False), args.repeats)),
            ("visit PDF report", timed(lambda: report_visit(store, ids[-1], Path(tmp) / "v.pdf"), args.repeats)),
            ("100-row session summary PDF", timed(lambda: session_summary(store, ids[:100], Path(tmp) / "s.pdf"),
                                                  max(1, args.repeats // 2))),
        ]
        size = (Path(tmp) / "r.sqlite3").stat().st_size
    print(f"records database with {args.visits} visits of the sample clip: {size / 1e6:.1f} MB")
    for name, seconds in rows:
        print(f"  {name:<45} {1000 * seconds:8.1f} ms")


if __name__ == "__main__":
    main()
