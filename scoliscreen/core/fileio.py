"""File helpers shared by every part: content hashes and the ONE safe way to write an output.

Every file the app writes goes through :func:`atomic_writer` (or :func:`atomic_write_bytes`,
:func:`private_dir`):

* the target is checked first (:func:`check_target`): a symlink, a device, a FIFO, a socket or a
  folder is refused with one line (:class:`OutputError`, exit 2), never followed or replaced;
* the content goes to a temp file made by ``tempfile.mkstemp`` (``O_EXCL``, unpredictable
  name, mode 0600) in the target's folder, is fsynced, and then ``os.replace``-d onto the
  target (a crash leaves the old file or the new one, never half of one);
* files are owner-only (0600) and folders the app creates 0700, whatever the umask: patient
  data by default; ``private=False`` (model files, docs) gives 0644 minus the umask;
* an existing file is never chmodded (the app only sets modes on what it creates);
* a write error (full disk, read-only folder, permission) is an :class:`OutputError` naming
  the file, not a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from scoliscreen.core.errors import InputError, OutputError

# a video or a model file larger than this is refused before it is hashed (a sparse 20 GB file
# would otherwise be read for minutes)
MAX_HASH_BYTES = 4 << 30


def sha256_file(path: str | Path, *, max_bytes: int = MAX_HASH_BYTES) -> str:
    """Hex sha256 of a regular file's bytes (streamed); the size is checked first."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular file")
    if st.st_size > max_bytes:
        raise InputError(f"{path}: {st.st_size / 2**30:.1f} GiB is larger than the "
                         f"{max_bytes / 2**30:.0f} GiB a file may have here")
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return exc.strerror or type(exc).__name__


def describe_target(path: str | Path) -> str | None:
    """Why ``path`` may not be written (a symlink, a device, a FIFO, a folder...), or None."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be checked ({_reason(exc)})"
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return "is a symbolic link; give the real file"
    if stat.S_ISDIR(mode):
        return "is a folder; give a file name"
    if stat.S_ISREG(mode):
        return None
    kind = ("a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a FIFO" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return f"is {kind}, not a regular file; give a file name"


def check_target(path: str | Path) -> Path:
    """Refuse an output target that is not a regular file or a new name (one clear line)."""
    path = Path(path)
    why = describe_target(path)
    if why:
        raise OutputError(f"{path}: {why}")
    return path


def private_dir(path: str | Path, *, private: bool = True) -> Path:
    """Make ``path`` and any missing parents; the folders created here are 0700 (``private``) or
    0755 minus the umask. An existing folder is left as it is; a symlink or a file is refused."""
    path = Path(path)
    missing = []
    p = path
    while not os.path.lexists(p):
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    if not missing and not path.is_dir():
        raise OutputError(f"{path}: is not a folder")
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700 if private else 0o777)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"{d}: cannot create the folder ({_reason(exc)})") from None
        if private:
            os.chmod(d, 0o700)  # mkdir's mode is cut by the umask only; made here, so set here
    if not path.is_dir():
        raise OutputError(f"{path}: is not a folder")
    return path


def _public_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o644 & ~umask


@contextlib.contextmanager
def temp_beside(path: str | Path, *, private: bool = True) -> Iterator[Path]:
    """A new empty temp file (``mkstemp``: O_EXCL, 0600) in ``path``'s folder, for writers that
    need a file name (SQLite, numpy); moved onto ``path`` when the block ends without error."""
    path = check_target(path)
    private_dir(path.parent, private=private)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({_reason(exc)})") from None
    os.close(fd)
    try:
        yield Path(tmp)
        if not private:
            os.chmod(tmp, _public_mode())
        check_target(path)  # still a regular file or nothing (not swapped for a link meanwhile)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({_reason(exc)})") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_writer(path: str | Path, mode: str = "wb", *, private: bool = True,
                  **open_kw: Any) -> Iterator[IO[Any]]:
    """A file object whose content replaces ``path`` only when the block ends without error (a
    crash leaves either the old file or the new one; streamed: nothing is held in memory).
    Owner-only (0600) unless ``private=False``; see the module docstring for the rules."""
    with temp_beside(path, private=private) as tmp:
        try:
            with open(tmp, mode, **open_kw) as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise OutputError(f"{path}: cannot write ({_reason(exc)})") from None


def atomic_write_bytes(path: str | Path, data: bytes, *, private: bool = True) -> Path:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one."""
    with atomic_writer(path, "wb", private=private) as fh:
        fh.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, *, private: bool = True) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), private=private)
