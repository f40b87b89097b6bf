"""Cost of the knowledge map relative to pose estimation, on the bundled sample clip.

Prints the wall time of MediaPipe PoseLandmarker (VIDEO mode) on the sample clip and of
``compute_knowledge_map`` + ``clinical_text`` on the resulting sequence (median of repeats),
and their ratio. Acceptance: the features cost <= 5% of pose estimation.

    .venv/bin/python benchmarks/feature_cost.py [--repeats 20] [--clip PATH]
"""

from __future__ import annotations

import argparse
import statistics
import time


def pose_time(clip) -> tuple[float, object]:
    """(seconds, PoseSequence) of pose estimation on ``clip``."""
    try:
        from scoliscreen.core.pose import estimate_poses
        from scoliscreen.core.video import open_source
    except ImportError:  # pose module not there: time MediaPipe Tasks directly
        return _pose_time_tasks(clip)
    with open_source(str(clip)) as src:
        t0 = time.perf_counter()
        seq = estimate_poses(src)
        return time.perf_counter() - t0, seq


def _pose_time_tasks(clip) -> tuple[float, object]:
    import cv2
    import mediapipe as mp
    import numpy as np
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

    from scoliscreen.core.paths import pose_model_path
    from scoliscreen.core.sequence import PoseSequence

    opts = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(pose_model_path())),
                                 running_mode=RunningMode.VIDEO, num_poses=1)
    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    rows, size = [], None
    t0 = time.perf_counter()
    with PoseLandmarker.create_from_options(opts) as lmk:
        i = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            size = (frame.shape[1], frame.shape[0])
            img = mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            res = lmk.detect_for_video(img, int(i * 1000 / fps))
            row = np.full((33, 4), np.nan, np.float32)
            if res.pose_landmarks:
                row[:] = [[p.x, p.y, p.z, p.visibility] for p in res.pose_landmarks[0]]
            rows.append(row)
            i += 1
    dt = time.perf_counter() - t0
    return dt, PoseSequence(np.stack(rows), fps, size)


def main() -> None:
    from scoliscreen.core.paths import sample_clip_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default=str(sample_clip_path()))
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    try:
        import torch

        torch.set_num_threads(2)
    except ImportError:
        pass

    from scoliscreen.core.kinematics import clinical_text, compute_knowledge_map

    t_pose, seq = pose_time(args.clip)
    compute_knowledge_map(seq)  # warm-up (imports, caches)
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        km = compute_knowledge_map(seq)
        clinical_text(km)
        times.append(time.perf_counter() - t0)
    t_feat = statistics.median(times)
    print(f"clip: {args.clip} ({len(seq)} frames, {seq.fps:.1f} fps, {seq.image_size[0]}x{seq.image_size[1]})")
    print(f"pose estimation (MediaPipe VIDEO mode): {t_pose:.3f} s ({1000 * t_pose / max(len(seq), 1):.1f} ms/frame)")
    print(f"knowledge map + text: {t_feat * 1000:.1f} ms (median of {args.repeats}; "
          f"{km.n_windows} windows x {len(km.features)} features)")
    print(f"ratio: {100 * t_feat / t_pose:.2f}% of pose time (target <= 5%)")


if __name__ == "__main__":
    main()
