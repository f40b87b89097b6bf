"""Pose throughput: raw MediaPipe vs the project's whole analyze path, on a 96-frame 1080p clip.

    python benchmarks/pose_throughput.py [--frames 96] [--repeat 3] [--clip PATH]

Makes its own 1080p clip (the bundled sample, scaled to 1920 wide and centred on a 1920x1080
canvas, written with cv2.VideoWriter into a temporary folder) unless --clip is given, then
prints:

(a) raw MediaPipe PoseLandmarker (VIDEO mode) on frames decoded and converted to RGB
    beforehand: inference only, landmarker already created;
(b) ``scoliscreen.core.analyze.analyze(path)``: open, decode, rotate, pose, false-detection
    filter and quality gate, as the app runs it (pose mirror pass ``core/pose_mirror.py``
    off by default); ``--mirror`` times it with the mirror pass (each frame and its mirror
    image, two trackers on two threads), ``--both`` times (b) with and without it and prints
    the mirror pass's cost.

Throughput (frames/s) of both is steady state, timed alike from the end of frame 1 to the end
of the last frame (so the one-off model load, sha256 check and graph warm-up of (b) are not
in it); their ratio (b)/(a) has a target >= 0.9. The wall time of the whole ``analyze`` call
(model load included) has a target <= 4 s, goal 3.2 s, on the 2-core reference laptop; the
wall time of the ``scoliscreen analyze`` command (process start and imports included) is
printed too. Runs of (a) and (b) alternate so that load from other processes hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_1080p_clip(dest: Path, frames: int) -> Path:
    import cv2
    import numpy as np

    from scoliscreen.core import paths

    cap = cv2.VideoCapture(str(paths.sample_clip_path()))
    writer = cv2.VideoWriter(str(dest), cv2.VideoWriter_fourcc(*"mp4v"), 30, (1920, 1080))
    n = 0
    while n < frames:
        ok, img = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        h = round(img.shape[0] * 1920 / img.shape[1])
        img = cv2.resize(img, (1920, h), interpolation=cv2.INTER_CUBIC)
        canvas = np.full((1080, 1920, 3), 96, np.uint8)
        top = (1080 - h) // 2
        canvas[top:top + h] = img
        writer.write(canvas)
        n += 1
    cap.release()
    writer.release()
    return dest


def raw_mediapipe_fps(clip: Path) -> tuple[float, int]:
    """Frames/s of PoseLandmarker.detect_for_video alone on pre-decoded RGB frames."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from scoliscreen.core import paths
    from scoliscreen.core.video import quiet_native_logs

    cap = cv2.VideoCapture(str(clip))
    rgb = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        rgb.append(mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(img, cv2.COLOR_BGR2RGB)))
    cap.release()
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(paths.pose_model_path())),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=1,
    )
    with quiet_native_logs():
        landmarker = vision.PoseLandmarker.create_from_options(options)
    try:
        with quiet_native_logs():  # first frame: graph set-up logs
            found = int(bool(landmarker.detect_for_video(rgb[0], 0).pose_landmarks))
        t0 = time.perf_counter()
        for i, image in enumerate(rgb[1:], start=1):
            found += bool(landmarker.detect_for_video(image, int(i * 1000 / 30)).pose_landmarks)
        dt = time.perf_counter() - t0
    finally:
        with quiet_native_logs():
            landmarker.close()
    return (len(rgb) - 1) / dt, found


def project_path(clip: Path, mirror: bool = True) -> tuple[float, float, int, int]:
    """(steady frames/s, wall seconds of the analyze call, frames, frames with pose)."""
    from scoliscreen.core import pose
    from scoliscreen.core.analyze import analyze

    defaults = pose.estimate_poses.__kwdefaults__
    saved = defaults["symmetric"]
    defaults["symmetric"] = mirror
    done_at: list[float] = []
    t0 = time.perf_counter()
    try:
        result = analyze(clip, progress=lambda done, total: done_at.append(time.perf_counter()))
    finally:
        defaults["symmetric"] = saved
    wall = time.perf_counter() - t0
    steady = (len(done_at) - 1) / (wall - (done_at[0] - t0))  # frame 1 done -> analysis done
    return steady, wall, len(result.raw_sequence), int(result.raw_sequence.detected.sum())


def cli_seconds(clip: Path) -> float:
    import subprocess

    exe = Path(sys.executable).with_name("scoliscreen")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "scoliscreen"]
    t0 = time.perf_counter()
    subprocess.run(cmd + ["analyze", str(clip), "--json"], capture_output=True, check=False)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clip", type=Path, help="use this video instead of the generated 1080p clip")
    parser.add_argument("--mirror", action="store_true", help="(b) with the pose mirror pass")
    parser.add_argument("--both", action="store_true", help="time (b) with and without the mirror pass")
    args = parser.parse_args()
    mirror = args.mirror or args.both

    import cv2

    try:
        import torch

        torch.set_num_threads(2)
    except ImportError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        clip = args.clip or make_1080p_clip(Path(tmp) / "walk_1080p.mp4", args.frames)
        cap = cv2.VideoCapture(str(clip))
        size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        cap.release()
        print(f"clip: {clip.name} {size[0]}x{size[1]}; cores: {os.cpu_count()}; repeats: {args.repeat}")
        raw, ours, walls, single = [], [], [], []
        print(f"(b) pose mirror pass: {'on' if mirror else 'off'}")
        for r in range(args.repeat):  # interleaved so load changes hit both alike
            fps_a, found_a = raw_mediapipe_fps(clip)
            fps_b, wall_b, n_b, found_b = project_path(clip, mirror)
            if args.both:
                fps_c, wall_c, _, found_c = project_path(clip, False)
                single.append(wall_c)
                print(f"  run {r + 1}: (b') analyze without the mirror pass {fps_c:6.1f} frames/s, "
                      f"whole call {wall_c:.2f} s ({found_c} with pose)")
            raw.append(fps_a)
            ours.append(fps_b)
            walls.append(wall_b)
            print(f"  run {r + 1}: (a) raw {fps_a:6.1f} frames/s ({found_a} with pose) | "
                  f"(b) analyze {fps_b:6.1f} frames/s, whole call {wall_b:.2f} s ({found_b} with pose); "
                  f"ratio {fps_b / fps_a:.2f}")
        ratios = [b / a for a, b in zip(raw, ours)]
        print(f"(a) raw MediaPipe on pre-decoded frames: {max(raw):.1f} frames/s best, "
              f"{statistics.median(raw):.1f} median")
        print(f"(b) project analyze path (decode+rotate+pose+gate): {max(ours):.1f} frames/s best, "
              f"{statistics.median(ours):.1f} median")
        print(f"ratio (b)/(a): best/best {max(ours) / max(raw):.2f}, median of runs "
              f"{statistics.median(ratios):.2f}  (target >= 0.9)")
        print(f"{n_b}-frame {size[0]}x{size[1]} clip, whole analyze() call (model load included): "
              f"{min(walls):.2f} s best, {statistics.median(walls):.2f} s median (target <= 4 s, goal 3.2 s)")
        if single:
            print(f"(b') without the mirror pass: {min(single):.2f} s best, {statistics.median(single):.2f} s median; "
                  f"mirror pass costs {statistics.median(walls) - statistics.median(single):+.2f} s (median)")
        print(f"`scoliscreen analyze` command end to end (process start + imports): {cli_seconds(clip):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
