import os
from pathlib import Path

# Qt must never need a display in tests; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "tests" / "data" / "real"
SAMPLE = REPO / "resources" / "samples" / "sports2d_side_walk_single.mp4"


@pytest.fixture(autouse=True)
def _isolated_user_data(tmp_path_factory, monkeypatch):
    """Never touch the real user data dir (SQLite store, caches) from a test."""
    monkeypatch.setenv("SCOLISCREEN_DATA_DIR", str(tmp_path_factory.mktemp("userdata")))


@pytest.fixture(scope="session")
def sample_clip() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def real_dir() -> Path:
    return REAL
