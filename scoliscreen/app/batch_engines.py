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

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from scoliscreen.app.batch_engine_base import Engine, Handle, WorkerLost, default_workers

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.connection import Connection

    from scoliscreen.app.batch_worker import WorkerResult
    from scoliscreen.app.cluster import DaskEngine

__all__ = ["Engine", "Handle", "LocalEngine", "WorkerLost", "default_workers", "make_engine"]

FORKSERVER_PRELOAD = ["__main__", "scoliscreen.app.lifeline_forkserver"]  # multiprocessing's default + the lifeline


def _worker_init(model_dir: str | None, device: str, threads: int, coordinator: int = 0,
                 lifeline: Connection[bytes, bytes] | None = None) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    if coordinator:
        from scoliscreen.app.lifeline import arm

        arm(coordinator, lifeline)  # ends with the coordinator, however it dies (issue 26)
    from scoliscreen.app.batch_worker import init_worker, pin_threads

    pin_threads(threads)  # before torch / OpenCV / MediaPipe start their pools
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
        from scoliscreen.app.lifeline import coordinator_pipe, mark_coordinator

        self._coordinator = mark_coordinator()
        # the workers' lifeline: they hold the read end, only this process the write end
        self._lifeline_r, self._lifeline_w = coordinator_pipe()
        self._start()

    def _running(self) -> ProcessPoolExecutor:
        if self._pool is None:
            raise RuntimeError("the local engine is closed")
        return self._pool

    def _start(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        method = "forkserver" if sys.platform.startswith("linux") else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(FORKSERVER_PRELOAD)  # the forkserver dies with this process
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_worker_init,
            initargs=(self.model_dir, self.device, self.threads, self._coordinator, self._lifeline_r),
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
        self._lifeline_w.close()
        self._lifeline_r.close()


def make_engine(*, workers: int | None = None, scheduler: str | None = None, local_cluster: int | None = None,
                model_dir: str | Path | None = None, device: str = "cpu",
                tls: tuple[str | None, str | None, str | None] = (None, None, None)) -> LocalEngine | DaskEngine:
    """The engine a batch asked for: ``scheduler`` (tls://host:port, with ``tls`` = (CA, client
    certificate, client key) files; tcp:// to loopback only) or ``local_cluster`` (N workers, TLS
    under throw-away credentials) -> Dask; otherwise the local process pool."""
    if scheduler or local_cluster:
        from scoliscreen.app.cluster import DaskEngine, TlsFiles

        return DaskEngine(scheduler=scheduler, local_workers=local_cluster, model_dir=model_dir,
                          device=device, tls=TlsFiles(*tls))
    return LocalEngine(workers, model_dir=model_dir, device=device)
