"""Batch throughput (issue 12): clips per minute with 1 and 2 local workers and a 2-worker Dask
LocalCluster, against the sum of single-clip analyse times; peak memory per worker (3-s vs 60-s clip).

The clips are made from the real clips (../shared/data/real/, resources/samples/, tests/data/real/)
with OpenCV: a 96-frame stretch at a varying start, a crop (80-95 % of the frame, varying place),
re-encoded at 1080p (1920x1080, or 1080x1920 for portrait sources), every other one mirrored. Real
pixels, not synthetic noise. They are cached in --work (made once).

    .venv/bin/python benchmarks/batch_throughput.py                 # 300 clips (the acceptance figure)
    .venv/bin/python benchmarks/batch_throughput.py --clips 20      # a quick check
    .venv/bin/python benchmarks/batch_throughput.py --clips 20 --no-dask --long-seconds 20

Figures depend on what else the machine runs: measure on a quiet machine.
Goals (issue 12): 300 clips <= 10 min on 2 cores (goal 7); 2 workers >= 1.6x one worker;
peak memory per worker <= 1.2x between a 3-s and a 60-s clip.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = (REPO.parent / "shared" / "data" / "real", REPO / "resources" / "samples", REPO / "tests" / "data" / "real")


def source_clips() -> list[Path]:
    seen, out = set(), []
    for folder in SOURCES:
        for p in sorted(folder.glob("*.mp4")) if folder.is_dir() else []:
            if p.name not in seen:
                seen.add(p.name)
                out.append(p)
    if not out:
        sys.exit("no real clips found in " + ", ".join(map(str, SOURCES)))
    return out


def _read_frames(path: Path):
    import cv2

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, fps


def _target_size(w: int, h: int) -> tuple[int, int]:
    return (1920, 1080) if w >= h else (1080, 1920)


def write_clip(frames, fps: float, out: Path, *, n: int, start: int, crop: float, cx: float,
               cy: float, mirror: bool, bounce: bool = False) -> None:
    """``n`` frames from ``start`` (looping back and forth if ``bounce``), cropped, 1080p, mirrored."""
    import cv2

    h, w = frames[0].shape[:2]
    cw, ch = int(w * crop), int(h * crop)
    x0, y0 = int((w - cw) * cx), int((h - ch) * cy)
    size = _target_size(cw, ch)
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    period = 2 * len(frames) - 2 if bounce and len(frames) > 1 else len(frames)
    for k in range(n):
        i = (start + k) % period
        if i >= len(frames):
            i = period - i
        img = cv2.resize(frames[i][y0:y0 + ch, x0:x0 + cw], size, interpolation=cv2.INTER_LINEAR)
        writer.write(cv2.flip(img, 1) if mirror else img)
    writer.release()


def make_clips(work: Path, count: int, frames_per_clip: int, long_seconds: float) -> tuple[list[Path], Path, Path]:
    """``count`` benchmark clips, plus a 3-s and a long clip for the memory check (cached)."""
    import numpy as np

    clips_dir = work / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(12)
    sources = source_clips()
    cache: dict = {}
    out = []
    t0 = time.perf_counter()
    for i in range(count):
        src = sources[i % len(sources)]
        params = dict(crop=float(rng.uniform(0.8, 0.95)), cx=float(rng.uniform()), cy=float(rng.uniform()),
                      mirror=bool(i % 2), start_frac=float(rng.uniform()))
        path = clips_dir / f"clip_{i:04d}_{src.stem}.mp4"
        out.append(path)
        if path.exists():
            continue
        if src not in cache:
            cache = {src: _read_frames(src)}  # one source in memory at a time
        frames, fps = cache[src]
        start = int(params.pop("start_frac") * max(1, len(frames) - frames_per_clip))
        write_clip(frames, fps, path, n=frames_per_clip, start=start, bounce=len(frames) < frames_per_clip,
                   **params)
    mem = work / "memory"
    mem.mkdir(exist_ok=True)
    walk = next((s for s in sources if "side_walk" in s.name), sources[0])
    short, long = mem / "walk_3s.mp4", mem / f"walk_{long_seconds:g}s.mp4"
    if not (short.exists() and long.exists()):
        frames, fps = _read_frames(walk)
        write_clip(frames, fps, short, n=int(3 * fps), start=0, crop=0.9, cx=0.5, cy=0.5, mirror=False)
        write_clip(frames, fps, long, n=int(long_seconds * fps), start=0, crop=0.9, cx=0.5, cy=0.5,
                   mirror=False, bounce=True)
    print(f"clips: {count} x {frames_per_clip} frames at 1080p in {clips_dir} "
          f"(made/checked in {time.perf_counter() - t0:.0f} s)", flush=True)
    return out, short, long


def serial_times(clips: list[Path]) -> list[float]:
    """Single-clip analyse + screen time of each clip, one after another in this process."""
    from scoliscreen.app.batch_adapter import analyze_path, load_screener

    screener = load_screener(None, "cpu")
    times, cpu = [], []
    for p in clips:
        t0, c0 = time.perf_counter(), time.process_time()
        analyze_path(p, screener)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(f"  CPU time per clip (all threads) / wall: {sum(cpu) / max(sum(times), 1e-9):.2f} "
          "(> 1: one clip already uses more than one core)", flush=True)
    return times


class _Recording:
    """Wraps an engine and keeps what each worker result says about time and memory."""

    def __init__(self, engine):
        self.engine, self.results = engine, []

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def collect(self, handle):
        res = self.engine.collect(handle)
        self.results.append({k: res.get(k) for k in ("seconds", "cpu_s", "pid", "peak_rss_mb")})
        return res


def timed_batch(folder: Path, engine_factory, db: Path) -> dict:
    """One batch over ``folder`` on a fresh database: wall time, first-result time, worker time and memory."""
    from scoliscreen.app.batch import BatchOptions, batch_steps, drain
    from scoliscreen.core.store import Store

    t0 = time.perf_counter()
    engine = _Recording(engine_factory())
    t_engine = time.perf_counter() - t0
    first = []
    try:
        with Store.open(db) as store:
            def on_event(ev):
                if ev.kind == "result" and not first:
                    first.append(time.perf_counter() - t0)

            summary = drain(batch_steps(BatchOptions(folder=folder), store, engine=engine), on_event)
    finally:
        engine.close()
    wall = time.perf_counter() - t0
    res = engine.results
    peaks: dict = {}
    for r in res:
        peaks[r["pid"]] = max(peaks.get(r["pid"], 0.0), r["peak_rss_mb"] or 0.0)
    return {"wall_s": wall, "engine_start_s": t_engine, "first_result_s": first[0] if first else None,
            "clips": summary.total, "done": summary.done, "failed": summary.failed,
            "worker_sum_s": sum(r["seconds"] or 0.0 for r in res),
            "worker_cpu_s": sum(r["cpu_s"] or 0.0 for r in res),
            "peak_rss_mb_per_worker": sorted(peaks.values())}


def peak_memory(clip: Path) -> dict:
    """Peak RSS (MB) of a fresh single worker process: after loading its models, and after ``clip``."""
    from scoliscreen.app.batch_engines import LocalEngine

    engine = LocalEngine(1)
    try:
        idle = engine.collect(engine.submit(str(clip.parent / "does-not-exist.mp4")))
        res = engine.collect(engine.submit(str(clip)))
    finally:
        engine.close()
    return {"after_load_mb": idle["peak_rss_mb"], "after_clip_mb": res["peak_rss_mb"],
            "clip_s": res.get("seconds"), "error": res.get("error")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=300)
    ap.add_argument("--frames", type=int, default=96)
    ap.add_argument("--long-seconds", type=float, default=60.0, help="length of the long memory-check clip")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "scoliscreen-batch-bench")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster run")
    ap.add_argument("--serial", type=int, default=None,
                    help="clips in the single-clip baseline (default: all; fewer = extrapolated)")
    args = ap.parse_args(argv)

    clips, short, long = make_clips(args.work, args.clips, args.frames, args.long_seconds)
    folder = args.work / f"batch_{args.clips}"
    folder.mkdir(exist_ok=True)
    for p in clips:  # the batch folder holds exactly these clips (links, no copies)
        link = folder / p.name
        if not link.exists():
            link.symlink_to(p)

    from scoliscreen.app.batch_engines import LocalEngine

    report: dict = {"clips": len(clips), "frames_per_clip": args.frames}
    n_serial = min(len(clips), args.serial or len(clips))
    times = serial_times(clips[:n_serial])
    serial_sum = sum(times) * len(clips) / n_serial
    report["serial"] = {"clips_timed": n_serial, "sum_s": serial_sum, "median_clip_s": sorted(times)[len(times) // 2]}
    print(f"single-clip analyse, one after another: {serial_sum:.1f} s for {len(clips)} clips "
          f"({60 * len(clips) / serial_sum:.1f} clips/min; median {report['serial']['median_clip_s']:.2f} s/clip"
          + (f"; extrapolated from {n_serial}" if n_serial < len(clips) else "") + ")", flush=True)

    runs = [("local, 1 worker", lambda: LocalEngine(1)), ("local, 2 workers", lambda: LocalEngine(2))]
    if not args.no_dask:
        def dask2():
            from scoliscreen.app.cluster import DaskEngine

            return DaskEngine(local_workers=2)

        runs.append(("Dask LocalCluster, 2 workers", dask2))
    report["runs"] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, factory) in enumerate(runs):
            try:
                r = timed_batch(folder, factory, Path(tmp) / f"run{i}.sqlite3")
            except Exception as exc:  # noqa: BLE001 - e.g. Dask not installed
                print(f"{name}: not run ({exc})")
                continue
            r["clips_per_min"] = 60 * r["clips"] / r["wall_s"]
            r["speedup_vs_serial"] = serial_sum / r["wall_s"]
            report["runs"][name] = r
            print(f"{name}: {r['wall_s']:.1f} s wall ({r['clips_per_min']:.1f} clips/min; "
                  f"{r['speedup_vs_serial']:.2f}x the serial sum; engine start {r['engine_start_s']:.1f} s, "
                  f"first result {r['first_result_s'] or 0:.1f} s; per-file time summed over workers "
                  f"{r['worker_sum_s']:.1f} s, CPU time {r['worker_cpu_s']:.1f} s; peak memory per worker "
                  f"{', '.join(f'{m:.0f}' for m in r['peak_rss_mb_per_worker'])} MB; "
                  f"{r['done']} done, {r['failed']} failed)", flush=True)
    one, two = report["runs"].get("local, 1 worker"), report["runs"].get("local, 2 workers")
    if one and two:
        report["two_vs_one"] = one["wall_s"] / two["wall_s"]
        print(f"2 workers vs 1: {report['two_vs_one']:.2f}x (goal >= 1.6x)")
        print(f"300 clips at the 2-worker rate: {300 / two['clips_per_min']:.1f} min (goal <= 10, aim 7)")

    m_short, m_long = peak_memory(short), peak_memory(long)
    report["memory"] = {"3s": m_short, f"{args.long_seconds:g}s": m_long,
                        "ratio": m_long["after_clip_mb"] / m_short["after_clip_mb"]}
    print(f"peak worker memory: {m_short['after_clip_mb']:.0f} MB after a 3-s clip, "
          f"{m_long['after_clip_mb']:.0f} MB after a {args.long_seconds:g}-s clip "
          f"(ratio {report['memory']['ratio']:.2f}, goal <= 1.2; {m_short['after_load_mb']:.0f} MB with the models "
          "loaded and no clip)")
    print(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
