"""Where installed resources and user data live. Works from a source tree, a wheel, or a PyInstaller bundle.

Read-only install files (``models/``, ``resources/``) come from :func:`install_root`: the repo
root, or inside a PyInstaller bundle ``sys._MEIPASS`` (the bundle's ``_internal`` folder).
Everything the app writes (records, caches, settings) goes to the user's folders (platformdirs;
Qt's settings file is in the user's config folder), never into the install: replacing the
bundle folder by a newer version keeps the records. ``SCOLISCREEN_DATA_DIR`` overrides the
data folder; a data folder inside the install is refused.
"""

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


def is_bundle() -> bool:
    """True when running from a PyInstaller bundle (frozen executable)."""
    return bool(getattr(sys, "frozen", False) and getattr(sys, "_MEIPASS", None))


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
    if is_bundle() and _inside(path, Path(sys.executable).parent):
        from scoliscreen.core.errors import ScoliScreenError

        raise ScoliScreenError(
            f"the data folder {path} lies inside the installed app, which an update replaces; "
            "choose another SCOLISCREEN_DATA_DIR"
        )
    from scoliscreen.core.fileio import private_dir

    return private_dir(path)  # patient data: a folder made here is 0700, whatever the umask


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def cache_dir() -> Path:
    from scoliscreen.core.fileio import private_dir

    return private_dir(user_data_dir() / "cache")  # pose caches of child videos: 0700
