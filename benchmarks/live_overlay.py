"""Live view throughput with a camera stand-in: the bundled real clip replayed in real time
(as a camera would deliver it) through the app's video panel, with pose on the newest frame.

    python benchmarks/live_overlay.py [--seconds 15] [--clip FILE]

Prints the video frame rate the panel received and painted, and the skeleton refresh rate.
Targets on the 2-core laptop: video >= 25 fps (the source's own rate, 30 here), skeleton >= 15 fps.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    from scoliscreen.core.paths import sample_clip_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--clip", default=str(sample_clip_path()))
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication

    from scoliscreen.gui.app import create_app
    from scoliscreen.gui.video_panel import VideoPanel

    app = create_app()
    panel = VideoPanel()
    panel.resize(900, 560)
    panel.show()
    poses = {"n": 0, "first": None}
    frames = {"n": 0, "first": None}

    def on_pose(i, lm):
        poses["n"] += 1
        poses["first"] = poses["first"] or time.perf_counter()

    def on_frame(i):
        frames["n"] += 1
        frames["first"] = frames["first"] or time.perf_counter()

    panel.frame_shown.connect(on_frame)
    panel.start_live(args.clip, pose=True, loop=True)
    panel._live.worker.pose_ready.connect(on_pose)
    painted0 = panel.view.paint_count
    t0 = time.perf_counter()
    warm = 2.0  # the pose model loads during the first seconds; measure after it runs
    marks = None
    while time.perf_counter() - t0 < args.seconds + warm:
        app.processEvents()
        if marks is None and time.perf_counter() - t0 >= warm:
            marks = (time.perf_counter(), frames["n"], poses["n"], panel.view.paint_count)
        time.sleep(0.002)
    t1 = time.perf_counter()
    worker_stats = dict(panel.live_stats_last) if hasattr(panel, "live_stats_last") else {}
    panel.shutdown()
    tm, fm, pm, paint_m = marks
    dt = t1 - tm
    print(f"clip: {os.path.basename(args.clip)} replayed in real time for {dt:.1f} s (after {warm:.0f} s warm-up), "
          f"cpus: {os.cpu_count()}")
    print(f"video frames received by the GUI: {(frames['n'] - fm) / dt:.1f} fps (target >= 25)")
    print(f"video frames painted: {(panel.view.paint_count - paint_m) / dt:.1f} paints/s")
    print(f"skeleton refresh: {(poses['n'] - pm) / dt:.1f} fps (target >= 15)")
    print(f"whole run incl. warm-up: {frames['n']} frames, {poses['n']} skeletons, "
          f"{panel.view.paint_count - painted0} paints in {t1 - t0:.1f} s")
    if worker_stats:
        print(f"worker: {worker_stats}")
    QApplication.instance().processEvents()


if __name__ == "__main__":
    main()
