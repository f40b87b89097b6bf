"""The interface every batch engine offers the runner (``app/batch.py``), apart from the engines.

``batch_engines`` (the local process pool, ``make_engine``) and ``cluster`` (Dask) both import
from here and neither from the other at import time, so the application layer has no import circle
(``pyproject.toml``: "application parts form no import cycle"). See ``batch_engines`` for the
interface's description.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scoliscreen.app.batch_worker import WorkerResult

Handle = Hashable
"""A submitted file, as the runner holds it: it keys the in-flight dict and goes back to the engine."""


class Engine(Protocol):
    """Where the runner's tasks run (see the module docstring)."""

    name: str
    slots: int

    def describe(self) -> str: ...
    def submit(self, path: str, subject: str | None = None) -> Handle: ...
    def wait_any(self, handles: Iterable[Handle], timeout: float | None = None) -> list[Handle]: ...
    def collect(self, handle: Handle) -> WorkerResult: ...
    def heal(self) -> None: ...
    def close(self, cancel: bool = False) -> None: ...


class WorkerLost(Exception):
    """The worker process screening this file died (killed, out of memory, crashed)."""


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)
