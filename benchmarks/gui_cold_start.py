"""Cold start of the desktop app: seconds from launching ``python -m scoliscreen gui`` (a fresh
process) to the main window being shown. Target: <= 1.5 s on the 2-core reference laptop (issue 11).

    python benchmarks/gui_cold_start.py [--runs 5]
    python benchmarks/gui_cold_start.py --bundle dist/scoliscreen     # the PyInstaller bundle

Runs offscreen unless a display is available. The app prints a timestamp once the window is
shown (SCOLISCREEN_GUI_SMOKE=1) and exits; the heavy libraries loaded at that moment are listed
(torch / mediapipe / cv2 must not be: they load in the background later).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def one_run(command: list[str]) -> tuple[float, str]:
    env = dict(os.environ, SCOLISCREEN_GUI_SMOKE="1")
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    t0 = time.time()
    proc = subprocess.run(command, capture_output=True, text=True,
                          env=env, timeout=120)
    shown, heavy = None, ""
    for line in proc.stdout.splitlines():
        if line.startswith("first-window-shown"):
            parts = line.split(maxsplit=2)
            shown = float(parts[1])
            heavy = parts[2] if len(parts) > 2 else ""
    if proc.returncode != 0 or shown is None:
        raise SystemExit(f"the app did not report a shown window:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return shown - t0, heavy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bundle", metavar="DIR", help="time the PyInstaller bundle in DIR (its scoliscreen executable)")
    args = ap.parse_args()
    command = [sys.executable, "-m", "scoliscreen", "gui"]
    if args.bundle:
        exe = os.path.join(args.bundle, "scoliscreen.exe" if os.name == "nt" else "scoliscreen")
        command = [exe, "gui"]
    one_run(command)  # warm the OS file cache once (a "cold" start still means a fresh process)
    times, heavy = [], ""
    for _ in range(args.runs):
        t, heavy = one_run(command)
        times.append(t)
    print(f"{'bundle ' + args.bundle if args.bundle else 'source install'}; platform: {os.environ.get('QT_QPA_PLATFORM') or ('display' if os.environ.get('DISPLAY') else 'offscreen')}, "
          f"cpus: {os.cpu_count()}")
    print(f"cold start to first window: median {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} runs (target <= 1.5 s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus)")
    print(f"heavy libraries loaded when the window appeared: {heavy or 'none'}")


if __name__ == "__main__":
    main()
