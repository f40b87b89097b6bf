"""Opening the records database safely: what ``Store.open`` checks before it touches a file.

* the path must be a regular file (a device, a FIFO or a folder is refused: ``--db /dev/null``
  is never chmodded or written), and an existing file must start with SQLite's 16-byte header
  (or be empty) before anything else happens to it;
* a new database is created by this process (``O_CREAT | O_EXCL``, mode 0600, whatever the
  umask); the folders it makes are 0700;
* modes are tightened (0600 / 0700) only on files this user owns that are checked databases;
* ``read_only=True`` (``patients list``, ``db info``, ``db backup``/``export``, ``report --db``)
  opens ``file:...?mode=ro``: no WAL switch, no migration, no audit row, and a path that does
  not exist is an error instead of a new empty database.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from scoliscreen.core.errors import InputError

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000


def configure(conn: sqlite3.Connection) -> None:
    """Per-connection settings: wait for a concurrent writer instead of failing, enforce
    foreign keys, fsync every commit (a visit saved is a visit kept)."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")


def sequence_bytes(sequence) -> bytes | None:
    """``.npz`` bytes of a PoseSequence, a path to a ``.npz``, or bytes."""
    if sequence is None or isinstance(sequence, bytes):
        return sequence
    if isinstance(sequence, (str, Path)):
        return Path(sequence).read_bytes()
    import tempfile

    from scoliscreen.core.sequence import save_sequence

    with tempfile.TemporaryDirectory() as tmp:
        return save_sequence(sequence, Path(tmp) / "seq.npz").read_bytes()


def check_database_file(path: Path) -> bool:
    """True when ``path`` exists and is a (possibly empty) SQLite database; False when it does
    not exist; an :class:`InputError` for anything else. Reads 16 bytes, changes nothing."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise InputError(f"{path}: is a broken symbolic link, not a records database") from None
        return False
    except OSError as exc:
        raise InputError(f"{path}: cannot open the records database ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a folder, not a records database")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: is not a regular file (a device or a FIFO), not a records database")
    if st.st_size == 0:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the records database ({exc.strerror})") from None
    if head != SQLITE_HEADER:
        raise InputError(f"{path}: cannot open the records database (not an SQLite file)")
    return True


def create_database_file(path: Path) -> None:
    """A new empty file, 0600, made by this process (its folder 0700 when made here)."""
    from scoliscreen.core.fileio import private_dir

    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        check_database_file(path)  # made by another process meanwhile
        return
    except OSError as exc:
        raise InputError(f"{path}: cannot create the records database ({exc.strerror})") from None
    if hasattr(os, "fchmod"):  # POSIX: 0600 whatever the umask (Windows: the profile's ACL)
        os.fchmod(fd, 0o600)
    os.close(fd)


def make_private(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` if it is ours, not a link, and looser (patient data: owner only)."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid() or (st.st_mode & 0o777) == mode:
            return
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            return
        os.chmod(path, mode)
    except (OSError, AttributeError):
        pass  # a read-only or foreign file system (or Windows): the store still opens


def connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """A connection for ``Store``: read-only by URI, or read-write on a checked file."""
    if read_only:
        uri = Path(os.path.abspath(path)).as_uri() + "?mode=ro"
        return sqlite3.connect(uri, uri=True)
    return sqlite3.connect(str(path))
