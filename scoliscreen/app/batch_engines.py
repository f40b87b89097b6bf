"""Where batch tasks run: a local process pool (default) or a Dask cluster (``app/cluster.py``).

Both engines have the same small interface, so the runner does not care:

* ``slots`` — how many files to keep in flight (one per worker process for the local pool: a
  dead worker then loses only the files being screened);
* ``submit(path) -> handle``; ``wait_any(handles, timeout) -> handles that finished``;
* ``collect(handle) -> dict`` — the worker's result (see ``batch_worker.screen_file``), or
  :class:`WorkerLost` when the process running it died;
* ``heal()`` — after a loss, make the engine usable again; ``close(cancel)``.
"""

from __future__ import annotations

import os
import sys


class WorkerLost(Exception):
    """The worker process screening this file died (killed, out of memory, crashed)."""


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _worker_init(model_dir, device, threads) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    from scoliscreen.app.batch_worker import init_worker

    init_worker(model_dir, device, threads)


class LocalEngine:
    """``concurrent.futures.ProcessPoolExecutor`` (forkserver on Linux, spawn elsewhere); each
    process loads its models once in the pool's initializer."""

    name = "local"

    def __init__(self, workers: int | None = None, model_dir=None, device: str = "cpu"):
        self.workers = max(1, int(workers or default_workers()))
        self.model_dir = None if model_dir is None else str(model_dir)
        self.device = device
        self.slots = self.workers
        self.threads = max(1, default_workers() // self.workers)  # math threads per worker process
        self._pool = None
        self._broken = False
        self._start()

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

    def submit(self, path: str):
        from scoliscreen.app.batch_worker import screen_file

        return self._pool.submit(screen_file, path, self.model_dir, self.device)

    def wait_any(self, handles, timeout: float | None = None) -> list:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(list(handles), timeout=timeout, return_when=FIRST_COMPLETED)
        return list(done)

    def collect(self, handle) -> dict:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return handle.result()
        except BrokenProcessPool:
            self._broken = True
            raise WorkerLost("a worker process died while this file was being screened") from None

    def heal(self) -> None:
        if self._broken:
            self._pool.shutdown(wait=False, cancel_futures=True)
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


def make_engine(*, workers=None, scheduler=None, local_cluster=None, model_dir=None, device="cpu"):
    """The engine a batch asked for: ``scheduler`` (tcp://host:port) or ``local_cluster`` (N
    workers) -> Dask; otherwise the local process pool."""
    if scheduler or local_cluster:
        from scoliscreen.app.cluster import DaskEngine

        return DaskEngine(scheduler=scheduler, local_workers=local_cluster, model_dir=model_dir,
                          device=device)
    return LocalEngine(workers, model_dir=model_dir, device=device)
