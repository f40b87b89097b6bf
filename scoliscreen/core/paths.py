"""Where installed resources and user data live. Works from a source tree, a wheel, or a PyInstaller bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "ScoliScreen"


def _source_root() -> Path:
    return Path(__file__).resolve().parents[2]


def _wheel_roots() -> list[Path]:
    """Where a wheel's data files land: ``<prefix>/share/scoliscreen`` (venv / system) or the
    user base (``pip install --user``)."""
    import site

    return [Path(sys.prefix) / "share" / "scoliscreen", Path(site.getuserbase()) / "share" / "scoliscreen"]


def install_root() -> Path:
    """Folder holding ``models/`` and ``resources/``: $SCOLISCREEN_ROOT, the PyInstaller bundle
    dir, the source tree (editable install), or a wheel's data folder (``pip install .``)."""
    env = os.environ.get("SCOLISCREEN_ROOT")
    if env:
        return Path(env)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    src = _source_root()
    if (src / "models").is_dir():
        return src
    for root in _wheel_roots():
        if (root / "models").is_dir():
            return root
    return src


def models_dir() -> Path:
    return install_root() / "models"


def resources_dir() -> Path:
    return install_root() / "resources"


def pose_model_path() -> Path:
    return models_dir() / "pose_landmarker_full.task"


def sample_clip_path() -> Path:
    """The bundled real walking clip (the embedded default for ``scoliscreen analyze``)."""
    return resources_dir() / "samples" / "sports2d_side_walk_single.mp4"


def screening_model_dir() -> Path:
    """Shipped screening-model weights + model card."""
    return models_dir() / "screening"


def user_data_dir() -> Path:
    """Per-user data folder (SQLite store, caches). Override with SCOLISCREEN_DATA_DIR."""
    env = os.environ.get("SCOLISCREEN_DATA_DIR")
    if env:
        path = Path(env)
    else:
        from platformdirs import user_data_dir as _udd

        path = Path(_udd(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    path = user_data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path
