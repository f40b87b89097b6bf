"""What keeps a batch from damaging the records (issue 24 B.4), apart from the runner itself.

* :func:`batch_lock`: one batch at a time on a records database. A second batch (CLI or GUI)
  on the same database is refused with one line, instead of both screening the same queued jobs
  and recording every visit twice. The lock is an OS file lock (``filelock``: ``flock`` /
  ``LockFileEx``) on ``<database>.batch-lock``, which the kernel releases when the holder dies,
  ``kill -9`` included, so a crashed batch never blocks the next one.
* :func:`refuse_same_file`: an output (the batch CSV, a report) that is one of the inputs (the
  roster, the records database or its ``-wal``/``-shm``/``-journal`` files) is refused before
  anything is written.
* :func:`patient_for_batch`: a roster pseudonym that is archived is an error row for its files
  (with what to do), not an exception that stops the batch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from scoliscreen.core.errors import InputError

if TYPE_CHECKING:
    from scoliscreen.core.store import Store

LOCK_SUFFIX = ".batch-lock"
DB_COMPANIONS = ("-wal", "-shm", "-journal")


def lock_path(db_path: Path) -> Path:
    """Beside the database file itself (links resolved: two names of one database share one lock)."""
    real = db_path.resolve()
    return real.with_name(real.name + LOCK_SUFFIX)


@contextmanager
def batch_lock(db_path: str | Path | None) -> Iterator[None]:
    """Hold the batch lock of the records database at ``db_path`` (None: an in-memory store, no lock)."""
    if db_path is None:
        yield
        return
    from filelock import FileLock, Timeout

    path = lock_path(Path(db_path))
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise InputError(f"{path}: the batch lock file is not a regular file; remove it")
    lock = FileLock(str(path), timeout=0, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(f"another batch is running on the records database {db_path}; let it finish "
                         "(a re-run then skips what it did) or give this one another --db") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot take the batch lock ({exc.strerror or exc})") from None
    try:
        yield
    finally:
        lock.release()


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def refuse_same_file(out: str | Path | None, flag: str, *, roster: str | Path | None = None,
                     database: str | Path | None = None) -> None:
    """An InputError (one line) when ``out`` is the roster, the database or one of its companion files."""
    if not out:
        return
    target = Path(out).expanduser()
    inputs: list[tuple[str, Path]] = []
    if roster:
        inputs.append(("the roster", Path(roster).expanduser()))
    if database:
        db = Path(database).expanduser()
        inputs.append(("the records database", db))
        inputs += [("the records database", db.with_name(db.name + c)) for c in DB_COMPANIONS]
    for what, path in inputs:
        if _same(target, path):
            raise InputError(f"{flag} {out} is {what}; writing there would destroy it: give another file")


def patient_for_batch(store: Store, pseudonym: str, create: bool, created: dict[str, int]) -> int:
    """The id of the roster's patient (created with ``create``); an InputError for the file's row
    when the pseudonym is unknown or archived (the rest of the batch goes on)."""
    patient = store.find_patient(pseudonym)
    if patient is None:
        if not create:
            raise InputError(f"unknown patient {pseudonym!r} in the roster (add it, or use --create-patients)")
        patient = store.add_patient(pseudonym)
        created[pseudonym] = int(patient["id"])
    if patient.get("archived_at"):
        raise InputError(f"patient {pseudonym!r} is archived: restore them (scoliscreen patients archive "
                         f"{pseudonym} --undo) or correct the roster, then re-run")
    return int(patient["id"])
