import os
from pathlib import Path

# Qt must never need a display in tests; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "tests" / "data" / "real"
SAMPLE = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path_factory, monkeypatch):
    """Never touch the real user data dir (SQLite store, caches) from a test."""
    monkeypatch.setenv("SCOLISCREEN_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))


@pytest.fixture(autouse=True)
def _flush_deleted_widgets():
    """Widgets closed by a test are deleted before the next one starts (Qt defers deletion to the
    event loop, and offscreen tests never run one): without this every later window is slower."""
    yield
    import sys

    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QCoreApplication, QEvent

        if QCoreApplication.instance() is not None:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture(scope="session")
def sample_clip() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def real_dir() -> Path:
    return REAL


class _FakeCamera:
    """Stands in for cv2.VideoCapture(int): plays a real clip in real time (there is no camera here)."""

    def __init__(self, clip, fps=30.0):
        import cv2

        self._cap = cv2.VideoCapture(str(clip))
        self._period = 1.0 / fps
        self._next = None

    def isOpened(self):  # noqa: N802 - cv2.VideoCapture API
        return self._cap.isOpened()

    def read(self):
        import time

        now = time.monotonic()
        if self._next is not None and now < self._next:
            time.sleep(self._next - now)
        self._next = max(now, self._next or now) + self._period
        return self._cap.read()

    def get(self, prop):
        import cv2

        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def release(self):
        self._cap.release()


@pytest.fixture
def fake_camera(monkeypatch, sample_clip):
    import scoliscreen.core.video as video

    real = video.cv2.VideoCapture

    def capture(spec, *args):
        return _FakeCamera(sample_clip) if isinstance(spec, int) else real(spec, *args)

    monkeypatch.setattr(video.cv2, "VideoCapture", capture)
    return capture


def _wait_until(cond, timeout=60.0):
    """Run the Qt event loop until ``cond()`` is true (fails the test after ``timeout`` s)."""
    import time

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out waiting for the GUI"
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()


@pytest.fixture(scope="session")
def wait_until():
    """``wait_until(cond, timeout=60)``: run the Qt event loop until ``cond()`` is true."""
    return _wait_until


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def poses_dir() -> Path:
    """Pose sequences of the real clips (``tests/data/poses``)."""
    return REPO / "tests" / "data" / "poses"
