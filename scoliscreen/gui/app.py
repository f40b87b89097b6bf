"""Application entry points: the interactive window and the offscreen screenshot."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from scoliscreen.core.errors import InputError, ScoliScreenError


def ensure_platform() -> None:
    """Fall back to Qt's offscreen platform when there is no display (headless Linux)."""
    if sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM"):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"


def create_app(argv: list[str] | None = None):
    """The QApplication (created once) with the app's style."""
    from PySide6.QtWidgets import QApplication

    from scoliscreen.gui.settings import APPLICATION, ORGANIZATION
    from scoliscreen.gui.style import STYLESHEET

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv or ["scoliscreen"])
        app.setOrganizationName(ORGANIZATION)
        app.setApplicationName(APPLICATION)
        app.setStyle("Fusion")
        from PySide6.QtGui import QIcon

        from scoliscreen.core.paths import resources_dir

        icon = resources_dir() / "icons" / "scoliscreen.svg"
        if icon.is_file():
            app.setWindowIcon(QIcon(str(icon)))
    app.setStyleSheet(STYLESHEET)
    return app


def run_gui(clip: str | None = None) -> int:
    """Open the main window (optionally with a clip loaded) and run the event loop.

    With ``SCOLISCREEN_GUI_SMOKE=1`` it prints ``first-window-shown <epoch seconds> [heavy libs]``
    at the window's first paint and quits (used by benchmarks/gui_cold_start.py).
    """
    ensure_platform()
    app = create_app()
    from PySide6.QtCore import QTimer

    from scoliscreen.gui.main_window import MainWindow

    smoke = os.environ.get("SCOLISCREEN_GUI_SMOKE") == "1"
    window = MainWindow(load_model=not smoke)
    window.show()
    if clip:
        window.open_video(str(clip))
    if smoke:
        from PySide6.QtCore import QEvent, QObject

        class _FirstPaint(QObject):
            """Report once the window has really been painted, then quit."""

            def eventFilter(self, obj, event):  # noqa: N802 - Qt API
                if event.type() == QEvent.Type.Paint and not getattr(self, "done", False):
                    self.done = True
                    heavy = ",".join(m for m in ("torch", "mediapipe", "cv2") if m in sys.modules)
                    print(f"first-window-shown {time.time():.6f} {heavy}".rstrip(), flush=True)
                    QTimer.singleShot(0, app.quit)
                return False

        smoke_filter = _FirstPaint(window)
        window.installEventFilter(smoke_filter)
        QTimer.singleShot(30000, app.quit)  # never hang a benchmark
    code = app.exec()
    window.shutdown()
    return int(code)


def _wait(app, condition, timeout_s: float) -> bool:
    """Process events until ``condition()`` or timeout."""
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            return False
        app.processEvents()
        time.sleep(0.01)
    app.processEvents()
    return True


def screenshot(out: str | Path, clip: str | Path | None = None, size=(1440, 900),
               timeout_s: float = 600.0, analyse: bool = True, model_dir=None, view: str = "result") -> Path:
    """Render the main window with ``clip`` (default: the bundled sample) analysed, into ``out``.

    ``view``: ``result`` (the analysis), ``history`` / ``compare`` (a temporary records database
    with two visits of the clip, see ``gui/demo_records.py``) or ``report`` (the first page of
    the saved visit's PDF, rendered by QtPdf and fitted into ``size``). ``size`` is in output
    pixels: with ``QT_SCALE_FACTOR`` set, the window is ``size / factor`` logical pixels.
    Works offscreen and under a real X server. The PNG is written atomically.
    """
    if view not in ("result", "history", "compare", "report"):
        raise InputError(f"--view must be result, history, compare or report, got {view!r}")
    if view != "result" and not analyse:
        raise InputError(f"--view {view} needs the analysis (drop --no-analysis)")
    ensure_platform()
    from scoliscreen.core.paths import sample_clip_path

    clip = Path(clip) if clip else sample_clip_path()
    if not clip.is_file():
        raise InputError(f"{clip}: no such video file.")
    out = Path(out)
    app = create_app()
    from scoliscreen.gui.main_window import MainWindow

    window = MainWindow(load_model=False, model_dir=model_dir)
    errors: list[str] = []
    window.show_message = lambda kind, title, text: errors.append(text)
    # never block on a prompt: the demo patient keeps the analysis (file it under them), and
    # closing drops what is left unsaved
    window.ask = lambda title, text, choices: "keep" if any(k == "keep" for k, _ in choices) else "discard"
    scale = float(os.environ.get("QT_SCALE_FACTOR") or 1.0)
    window.resize(round(size[0] / scale), round(size[1] / scale))
    window.show()
    try:
        window.open_video(str(clip))
        if not _wait(app, lambda: window.video_path is not None or errors, 60):
            raise ScoliScreenError(f"{clip}: the video did not open in time.")
        if errors:
            raise InputError(errors[0])
        if analyse:
            done: list = []
            window.analysis_done.connect(done.append)
            window.analysis_failed.connect(done.append)
            window.start_analysis()
            if not _wait(app, lambda: bool(done) and not window.is_analysing(), timeout_s):
                window.cancel_analysis()
                raise ScoliScreenError("The analysis did not finish in time for the screenshot.")
            if errors and not window.analysis:
                raise ScoliScreenError(f"The analysis failed: {errors[0]}")
            # show a frame in the middle of the first attention peak, for a representative picture
            info = window.video_panel.info
            if info is not None:
                window.video_panel.seek(info.frame_count // 2)
            _wait(app, lambda: window.video_panel.current_index == (info.frame_count // 2 if info else -1), 20)
        image = None
        if view != "result":
            from scoliscreen.gui.screenshot_views import stage_view

            image = stage_view(app, window, view, clip, size, model_dir, _wait)
        _wait(app, lambda: False, 0.3)  # let layouts and pyqtgraph settle
        if image is None:
            image = window.grab()
        from scoliscreen.core.fileio import temp_beside

        with temp_beside(out) as tmp:  # may show a patient: 0600, O_EXCL temp, never through a link
            if not image.save(str(tmp), "PNG"):
                raise ScoliScreenError(f"{out}: the screenshot could not be written.")
    finally:
        window.close()
        window.shutdown()
        demo = getattr(window, "demo_folder", None)
        if demo is not None:
            demo.cleanup()
    return out
