"""Screenshots of the analysed main window at 1280x720, 1920x1080 and QT_SCALE_FACTOR=1.5, into
build/, with the layout checks of tests/test_gui_workflow.py (no overlap, heatmap >= 200 px).

    python benchmarks/gui_layout_shots.py [OUTDIR]

Each size runs in its own process (the scale factor is read when Qt starts). The result comes
from the stored pose sequence of the bundled sample (tests/data/poses) and the shipped model, so
no pose estimation runs. Prints one line per screenshot: path, window size, heatmap height,
problems found.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHOTS = (("1280x720", (1280, 720), None), ("1920x1080", (1920, 1080), None),
         ("1280x720_scale1.5", (1280, 720), "1.5"))


def shoot(out: Path, size: tuple[int, int]) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO / "tests"))
    from PySide6.QtCore import QSettings

    from scoliscreen.app.analysis import run_analysis
    from scoliscreen.gui.app import _wait, create_app
    from scoliscreen.gui.main_window import MainWindow
    from scoliscreen.gui.settings import AppSettings
    from test_gui_workflow import layout_problems

    app = create_app()
    scale = float(os.environ.get("QT_SCALE_FACTOR", "1") or 1)
    # a logical size that fills the same physical screen at this scale
    logical = (int(size[0] / scale), int(size[1] / scale))
    settings = AppSettings(QSettings(str(out.with_suffix(".ini")), QSettings.Format.IniFormat))
    w = MainWindow(settings=settings, load_model=False)
    w.show_message = lambda *a: None
    w.resize(*logical)
    w.show()
    clip = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"
    w.open_video(str(clip))
    _wait(app, lambda: w.video_path is not None, 60)
    analysis = run_analysis(str(REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"))
    w._analysed_path = w.video_path
    w._analysis_notes = ""
    w._on_analysis_result(analysis)
    w._on_analysis_finished()
    w.video_panel.seek(w.video_panel.info.frame_count // 2)
    _wait(app, lambda: False, 0.6)
    image = w.grab()
    image.save(str(out), "PNG")
    w.result_panel.grab().save(str(out.with_name(out.stem + "_panel.png")), "PNG")  # the whole, unscrolled
    problems = layout_problems(w)
    if w.width() > logical[0] or w.height() > logical[1]:
        problems.append(f"window {w.width()}x{w.height()} larger than the screen {logical[0]}x{logical[1]}")
    h = w.result_panel.map_view.plot.vb.sceneBoundingRect().height()
    print(f"{out}  window {w.width()}x{w.height()} (logical, scale {scale:g})  heatmap {h:.0f} px  "
          f"problems: {problems or 'none'}", flush=True)
    w.result_saved = True
    w.close()
    out.with_suffix(".ini").unlink(missing_ok=True)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        w, h = (int(v) for v in sys.argv[3].split("x"))
        shoot(Path(sys.argv[2]), (w, h))
        return 0
    outdir = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "build"
    outdir.mkdir(parents=True, exist_ok=True)
    code = 0
    for name, (w, h), scale in SHOTS:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        if scale:
            env["QT_SCALE_FACTOR"] = scale
        proc = subprocess.run([sys.executable, __file__, "--one", str(outdir / f"gui_{name}.png"), f"{w}x{h}"],
                              env=env, capture_output=True, text=True)
        print(proc.stdout.strip() or proc.stderr.strip()[-2000:])
        code |= proc.returncode
    return code


if __name__ == "__main__":
    sys.exit(main())
