"""Parts of the app: import hygiene, the worker pattern, the newest-frame-only reader, the
live camera stand-in, recording, settings, the screenshot command and the PySide6 emit fix."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from PySide6.QtCore import QSettings


pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"




@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_gui_and_workers_import_no_heavy_library():
    code = (
        "import importlib, pkgutil, sys\n"
        "import scoliscreen.gui as g, scoliscreen.workers as w\n"
        "import scoliscreen.cli.gui\n"
        "names = [m.name for p, pre in ((g, 'scoliscreen.gui.'), (w, 'scoliscreen.workers.'))\n"
        "         for m in pkgutil.walk_packages(p.__path__, pre)]\n"
        "for n in names: importlib.import_module(n)\n"
        "heavy = [m for m in ('torch', 'mediapipe', 'cv2') if m in sys.modules]\n"
        "print(len(names), heavy); sys.exit(1 if heavy or len(names) < 10 else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pyside_refcount_fix_survives_many_emits_and_void_calls():
    code = (
        "import sys\n"
        "import scoliscreen.gui\n"  # applies the fix
        "from PySide6.QtCore import QObject, Signal\n"
        "class O(QObject):\n    s = Signal(int)\n"
        "o = O()\n"
        "n = 200000\n"  # unfixed, None and True hold only thousands of references
        "for i in range(n): o.s.emit(i); o.setObjectName('x')\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-2000:]


# ---- the worker pattern ------------------------------------------------------------------

def _run(worker, qtbot, wait_until):
    from scoliscreen.workers import start_worker

    got = {"result": [], "error": [], "cancelled": [], "finished": []}
    worker.result.connect(got["result"].append)
    worker.error.connect(got["error"].append)
    worker.cancelled.connect(lambda: got["cancelled"].append(1))
    worker.finished.connect(lambda: got["finished"].append(1))
    handle = start_worker(worker)
    wait_until(lambda: got["finished"], 30)
    handle.wait()
    return got


def test_worker_routes_result_error_and_cancel(qtbot, wait_until):
    from scoliscreen.core.errors import InputError
    from scoliscreen.workers import Worker

    class Ok(Worker):
        def work(self):  # a generator: each yield becomes an ``event`` signal
            for i in range(3):
                yield i + 1
            return 42

    class Bad(Worker):
        def work(self):
            raise InputError("That file is not a video.")

    class Bug(Worker):
        def work(self):
            return {}["missing"]

    closed = []

    class Slow(Worker):
        def work(self):
            try:
                while True:  # never ends by itself: cancel is checked between yields
                    time.sleep(0.01)
                    yield None
            finally:
                closed.append(1)  # the generator is closed on cancel: its cleanup runs

    ok = Ok()
    events = []
    ok.event.connect(events.append)
    got = _run(ok, qtbot, wait_until)
    assert got["result"] == [42] and not got["error"] and got["finished"] == [1]
    assert events == [1, 2, 3]
    got = _run(Bad(), qtbot, wait_until)
    assert got["error"] == ["That file is not a video."] and not got["result"]
    got = _run(Bug(), qtbot, wait_until)
    assert got["error"] and "KeyError" in got["error"][0] and got["finished"] == [1]
    slow = Slow()
    import threading

    threading.Timer(0.1, slow.cancel).start()  # cancel() is called from another thread, as the GUI does
    got = _run(slow, qtbot, wait_until)
    assert got["cancelled"] == [1] and not got["result"] and not got["error"] and closed == [1]


# ---- frame reader: only the newest request is decoded ---------------------------------------

@pytest.mark.slow  # ~0.5-5 s: kept out of the fast subset (<= 60 s in all)
def test_frame_reader_decodes_only_the_newest_request(qtbot, wait_until):
    from scoliscreen.workers.frames import FrameReader

    reader = FrameReader()
    opened, shown, errors = [], [], []
    reader.opened.connect(opened.append)
    reader.frame_ready.connect(lambda i, ts, img: shown.append((i, ts, img.width(), img.height())))
    reader.error.connect(errors.append)
    try:
        reader.open(str(SAMPLE))
        wait_until(lambda: opened or errors)
        info = opened[0]
        assert info.frame_count == 147 and info.size == (1768, 528) and info.fps == pytest.approx(30, abs=0.1)
        for i in range(121):  # a fast scrub: 121 requests while the reader is busy
            reader.request(i)
        wait_until(lambda: shown and shown[-1][0] == 120)
        assert reader.decoded < 10, reader.decoded  # stale requests were dropped, not decoded
        assert len(shown) == reader.decoded
        assert shown[-1][2:] == (1768, 528) and shown[-1][1] == pytest.approx(4000, abs=40)
        reader.request(3)  # going back works too
        wait_until(lambda: shown[-1][0] == 3)
    finally:
        reader.shutdown()


def test_frame_reader_reports_a_missing_file(qtbot, tmp_path, wait_until):
    from scoliscreen.workers.frames import FrameReader

    reader = FrameReader()
    errors = []
    reader.error.connect(errors.append)
    try:
        reader.open(str(tmp_path / "nope.mp4"))
        wait_until(lambda: errors)
        assert "nope.mp4" in errors[0]
    finally:
        reader.shutdown()


# ---- live: camera stand-in with the real pose model; recording --------------------------------

@pytest.mark.slow
def test_live_stand_in_shows_frames_and_skeleton(qtbot, wait_until):
    from scoliscreen.workers import start_worker
    from scoliscreen.workers.live import LiveWorker

    worker = LiveWorker(str(SAMPLE), pose=True, loop=True)
    frames, poses, stats = [], [], []
    worker.frame_ready.connect(lambda i, ts, img: frames.append(i))
    worker.pose_ready.connect(lambda i, lm: poses.append((i, lm)))
    worker.stats.connect(stats.append)
    handle = start_worker(worker)
    wait_until(lambda: len(poses) >= 10 and len(frames) >= 30, 120)  # the pose model loads first
    assert handle.stop(10000)
    wait_until(lambda: stats and "frames_shown" in stats[-1], 10)
    assert frames == list(range(len(frames))) and len(frames) >= 20
    assert poses and all(lm.shape == (33, 4) for _, lm in poses)
    detected = [lm for _, lm in poses if np.isfinite(lm[:, 0]).any()]
    assert len(detected) >= 0.8 * len(poses)  # the walker is in every frame of this clip
    final = stats[-1]
    # a stop between handing a frame over and counting it leaves the count one short, never more
    assert len(frames) - 1 <= final["frames_shown"] <= len(frames) and final["poses"] == len(poses)
    # pose ran on the newest frame only: shown + skipped accounts for every frame handed over
    assert final["poses"] + final["pose_frames_skipped"] <= final["frames_shown"]
    assert 0 < final["source_fps"] <= 31


@pytest.mark.slow
def test_record_from_stand_in_with_countdown_saves_and_opens(qtbot, tmp_path, wait_until):
    from scoliscreen.gui.app import create_app
    from scoliscreen.gui.video_panel import VideoPanel

    create_app()
    panel = VideoPanel()
    qtbot.addWidget(panel)
    panel.countdown_s = 1
    saved, loaded, errors = [], [], []
    panel.recording_saved.connect(saved.append)
    panel.loaded.connect(loaded.append)
    panel.error.connect(errors.append)
    try:
        panel.start_live(str(SAMPLE), record_folder=tmp_path / "rec", pose=True)
        assert panel.view.message == "1"
        wait_until(lambda: panel.view.badge.startswith("REC"), 10)
        time.sleep(0.2)
        wait_until(lambda: panel._live_frames > 45 and panel.view.landmarks is not None, 60)
        assert panel.view.landmarks.shape == (33, 4)  # the live skeleton reached the view
        panel.stop_live()
        assert panel.last_stop_clean  # the capture thread ended (no deadlock with the GUI thread)
        wait_until(lambda: saved, 10)
        path = Path(saved[0])
        assert path.is_file() and path.suffix == ".mp4" and path.parent == tmp_path / "rec"
        assert not list(path.parent.glob("*.partial*"))  # written atomically
        panel.open_file(path)
        wait_until(lambda: loaded or errors, 30)
        assert loaded and loaded[0].frame_count >= 10, errors
    finally:
        panel.shutdown()


# ---- settings -----------------------------------------------------------------------------------

def test_settings_round_trip(qtbot, tmp_path):
    from scoliscreen.gui.settings import AppSettings, SettingsDialog

    s = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert s.camera_index == 0 and s.device == "auto"
    assert s.data_folder == Path(os.environ["SCOLISCREEN_DATA_DIR"])
    dlg = SettingsDialog(s)
    qtbot.addWidget(dlg)
    dlg.camera.setValue(2)
    dlg.device.setCurrentIndex(1)
    dlg.folder.setText(str(tmp_path / "data"))
    dlg.apply()
    again = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert (again.camera_index, again.device, again.data_folder) == (2, "cpu", tmp_path / "data")
    again.device = "quantum"
    assert again.device == "auto"


# ---- screenshot command -------------------------------------------------------------------------

@pytest.mark.slow
def test_screenshot_command_renders_offscreen_without_a_display(tmp_path):
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    out = tmp_path / "shot.png"
    proc = subprocess.run(
        [sys.executable, "-m", "scoliscreen", "screenshot", str(out), "--clip", str(SAMPLE), "--no-analysis"],
        capture_output=True, text=True, timeout=180, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert (img.width(), img.height()) == (1440, 900)
    # the video frame is in the picture: not a blank window
    colors = {img.pixelColor(x, y).rgb() for x in range(0, 700, 7) for y in range(100, 600, 7)}
    assert len(colors) > 200


def test_screenshot_command_refuses_a_missing_clip(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "scoliscreen", "screenshot", str(tmp_path / "x.png"), "--clip", str(tmp_path / "none.mp4")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0 and "none.mp4" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.png").exists()


# ---- analysis worker without a usable model ---------------------------------------------------

def test_analysis_without_a_model_still_shows_map_and_text(qtbot, tmp_path, wait_until):
    from scoliscreen.gui.app import create_app
    from scoliscreen.gui.result_panel import ResultPanel
    from scoliscreen.workers.analysis import AnalysisWorker

    create_app()
    poses = REPO / "tests" / "data" / "poses" / "sports2d_side_walk_single.npz"
    worker = AnalysisWorker(str(poses), model_dir=tmp_path / "no-model")
    got = _run(worker, qtbot, wait_until)
    assert not got["error"], got["error"]
    a = got["result"][0]
    assert a.knowledge_map is not None and a.clinical_text is not None and a.screening is None
    assert a.screening_error and "screening model" in a.screening_error
    panel = ResultPanel()
    qtbot.addWidget(panel)
    panel.show_analysis(a)
    assert "model unavailable" in panel.verdict.text()
    assert panel.map_view.km is a.knowledge_map and panel.map_view.att is None
    assert panel.bars.weights == {}
    assert panel.text.toPlainText().strip() == a.clinical_text.text.strip()
