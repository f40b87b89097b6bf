"""Where exports go and how they are written: the same output rules as reports.

No following a symlink at the output path, no replacing a device, FIFO or socket, atomic
writes (``core.fileio``), and owner-only modes (``0600`` files, ``0700`` folders this module
makes), because an export holds a child's screening result.
"""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from scoliscreen.core.errors import ScoliScreenError
from scoliscreen.core.fileio import atomic_write_bytes

OWNER_FILE = 0o600
OWNER_DIR = 0o700


class ExportUnavailable(ScoliScreenError):
    """An export format needs a library of the optional ``interop`` extra that is not installed."""


def require(module: str, fmt: str) -> ModuleType:
    """Import ``module`` for the ``fmt`` export, or one clear sentence naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ExportUnavailable(
            f"the {fmt} export needs the Python package '{module.split('.')[0]}', which is not installed: "
            "pip install 'scoliscreen[interop]'") from None


def check_output(path: str | Path, *, folder: bool = False) -> Path:
    """Refuse an output path that is a symlink, or something other than a regular file (a
    folder for ``folder=True``); the parent folders are made owner-only when created here."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise ScoliScreenError(f"{path}: cannot write here ({exc.strerror})") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise ScoliScreenError(f"{path}: is a symbolic link; exports never follow one (give another name)")
        if folder and not stat.S_ISDIR(st.st_mode):
            raise ScoliScreenError(f"{path}: exists and is not a folder")
        if not folder and not stat.S_ISREG(st.st_mode):
            raise ScoliScreenError(f"{path}: exists and is not a regular file (a folder, device or pipe); "
                                   "give another name")
    _make_dirs(path if folder else path.parent)
    return path


def _make_dirs(folder: Path) -> None:
    """Make ``folder`` and its missing parents, each made here owner-only (0700 whatever the umask)."""
    missing = []
    p = folder
    while not os.path.lexists(p) and p.parent != p:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, OWNER_DIR)
            os.chmod(d, OWNER_DIR)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ScoliScreenError(f"{d}: cannot create the folder ({exc.strerror or type(exc).__name__})") from None
    if not folder.is_dir():
        raise ScoliScreenError(f"{folder}: is not a folder")


def write_file(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, owner-only; ``path`` checked by :func:`check_output`."""
    path = check_output(path)
    try:
        writer: Callable[..., object] = atomic_write_bytes
        try:
            writer(path, data, private=True)  # a fileio that writes 0600 from the start
        except TypeError:  # the older fileio: 0644, then made owner-only here
            writer(path, data)
        os.chmod(path, OWNER_FILE)  # the file os.replace just put there (a link at path was refused)
    except OSError as exc:
        raise ScoliScreenError(f"{path}: cannot write the export ({exc.strerror or type(exc).__name__})") from None
    return path


def write_text(path: str | Path, text: str) -> Path:
    return write_file(path, text.encode("utf-8"))
