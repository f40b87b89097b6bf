"""Where batch tasks run: a local process pool (default) or a Dask cluster (``app/cluster.py``).

Both engines have the same small interface, so the runner does not care:

* ``slots`` — how many files to keep in flight (one per worker process for the local pool: a
  dead worker then loses only the files being screened);
* ``submit(path, subject) -> handle`` (``subject``: whom to follow, canonical ``--subject``
  form, None = the person who walks); ``wait_any(handles, timeout) -> handles that finished``;
* ``collect(handle) -> dict`` — the worker's result (see ``batch_worker.screen_file``), or
  :class:`WorkerLost` when the process running it died;
* ``heal()`` — after a loss, make the engine usable again; ``close(cancel)``.

:class:`Engine` states it for the type checker. A handle is opaque to the runner (it only keys a
dict with it and hands it back), so the protocol types it as :data:`Handle`; each engine knows
its own (a ``concurrent.futures.Future``, a ``distributed.Future``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from scoliscreen.app.batch_worker import WorkerResult
    from scoliscreen.app.cluster import DaskEngine

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


def _worker_init(model_dir: str | None, device: str, threads: int) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    from scoliscreen.app.batch_worker import init_worker

    init_worker(model_dir, device, threads)


class LocalEngine:
    """``concurrent.futures.ProcessPoolExecutor`` (forkserver on Linux, spawn elsewhere); each
    process loads its models once in the pool's initializer."""

    name = "local"

    def __init__(self, workers: int | None = None, model_dir: str | Path | None = None, device: str = "cpu") -> None:
        self.workers = max(1, int(workers or default_workers()))
        self.model_dir = None if model_dir is None else str(model_dir)
        self.device = device
        self.slots = self.workers
        self.threads = max(1, default_workers() // self.workers)  # math threads per worker process
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False
        self._start()

    def _running(self) -> ProcessPoolExecutor:
        if self._pool is None:
            raise RuntimeError("the local engine is closed")
        return self._pool

    def _start(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        method = "forkserver" if sys.platform.startswith("linux") else "spawn"
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context(method),
            initializer=_worker_init, initargs=(self.model_dir, self.device, self.threads),
        )
        self._broken = False

    def describe(self) -> str:
        return f"{self.workers} local worker process{'es' if self.workers != 1 else ''}"

    def submit(self, path: str, subject: str | None = None) -> Future[WorkerResult]:
        from scoliscreen.app.batch_worker import screen_file

        return self._running().submit(screen_file, path, self.model_dir, self.device, subject)

    def wait_any(self, handles: Iterable[Handle], timeout: float | None = None) -> list[Handle]:
        from concurrent.futures import FIRST_COMPLETED, wait

        # the handles are this engine's futures (from submit)
        done, _ = wait([cast("Future[WorkerResult]", h) for h in handles], timeout=timeout,
                       return_when=FIRST_COMPLETED)
        finished: list[Handle] = list(done)
        return finished

    def collect(self, handle: Handle) -> WorkerResult:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return cast("Future[WorkerResult]", handle).result()  # a future from submit
        except BrokenProcessPool:
            self._broken = True
            raise WorkerLost("a worker process died while this file was being screened") from None

    def heal(self) -> None:
        if self._broken:
            self._running().shutdown(wait=False, cancel_futures=True)
            self._start()

    def worker_pids(self) -> list[int]:
        return [p.pid for p in (getattr(self._pool, "_processes", None) or {}).values()]

    def close(self, cancel: bool = False) -> None:
        if self._pool is None:
            return
        if cancel:
            for proc in list((getattr(self._pool, "_processes", None) or {}).values()):
                try:
                    proc.terminate()  # a file being screened is not waited for
                except (OSError, AttributeError):
                    pass
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None


def make_engine(*, workers: int | None = None, scheduler: str | None = None, local_cluster: int | None = None,
                model_dir: str | Path | None = None, device: str = "cpu") -> LocalEngine | DaskEngine:
    """The engine a batch asked for: ``scheduler`` (tcp://host:port) or ``local_cluster`` (N
    workers) -> Dask; otherwise the local process pool."""
    if scheduler or local_cluster:
        from scoliscreen.app.cluster import DaskEngine

        return DaskEngine(scheduler=scheduler, local_workers=local_cluster, model_dir=model_dir,
                          device=device)
    return LocalEngine(workers, model_dir=model_dir, device=device)
