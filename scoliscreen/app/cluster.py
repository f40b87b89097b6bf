"""Cluster mode: the batch's per-file tasks on Dask ``distributed`` (optional extra ``.[cluster]``).

``DaskEngine(scheduler="tcp://host:port")`` joins a running cluster (``dask scheduler`` +
``dask worker`` on machines that see the clip folder at the same path, see docs/batch.md);
``DaskEngine(local_workers=N)`` starts a ``LocalCluster`` of N single-threaded worker processes on
this machine. One task per file (``batch_worker.screen_file``); each worker process loads the
screening model on its first task and keeps it. Results come back to the coordinating process,
which alone writes the store.

A worker that dies loses the task it was running: with ``allowed-failures`` = 0 (set for the
``LocalCluster``; set ``distributed.scheduler.allowed-failures: 0`` on a real scheduler to get the
same) the scheduler reports it at once as ``KilledWorker`` and the runner re-submits the file,
counting the attempt in the job table. A scheduler left at its default (3) retries such a task
itself, invisibly to the job table.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from scoliscreen.app.batch_engines import Handle, WorkerLost
from scoliscreen.core.errors import InputError

if TYPE_CHECKING:
    from distributed import Future, LocalCluster

    from scoliscreen.app.batch_worker import WorkerResult

INSTALL_HINT = "cluster mode needs Dask: pip install 'scoliscreen[cluster]' (the 'distributed' package)"


class DaskEngine:
    """The runner's :class:`~scoliscreen.app.batch_engines.Engine` on a Dask cluster; its handles
    are ``distributed.Future``."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None,
                 model_dir: str | Path | None = None, device: str = "cpu", connect_timeout: float = 20.0) -> None:
        try:
            import dask
            import distributed  # noqa: F401
        except ImportError:
            raise InputError(INSTALL_HINT) from None
        import logging

        from distributed import Client, LocalCluster

        self.model_dir = None if model_dir is None else str(model_dir)
        self.device = device
        self.cluster: LocalCluster | None = None
        dask.config.set({"distributed.scheduler.allowed-failures": 0})
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
            self.scheduler: str = scheduler
        else:
            n = max(1, int(local_workers or 1))
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            self.cluster = cluster
            self.client = Client(cluster)
            self.scheduler = cluster.scheduler_address
        self.slots = max(1, self._threads()) * 2

    def _threads(self) -> int:
        return sum(self.client.nthreads().values())

    def describe(self) -> str:
        n = len(self.client.nthreads())
        where = "LocalCluster" if self.cluster is not None else self.scheduler
        return f"Dask ({where}, {n} worker{'s' if n != 1 else ''})"

    def submit(self, path: str, subject: str | None = None) -> Future[WorkerResult]:
        from scoliscreen.app.batch_worker import screen_file

        return self.client.submit(screen_file, path, self.model_dir, self.device, subject, pure=False,
                                  key=f"scoliscreen-{uuid.uuid4().hex}", retries=0)

    def wait_any(self, handles: Iterable[Handle], timeout: float | None = None) -> list[Handle]:
        from distributed import wait

        futures = [cast("Future[WorkerResult]", h) for h in handles]  # this engine's, from submit
        try:
            done, _ = wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        finished: list[Handle] = list(done)
        return finished

    def collect(self, handle: Handle) -> WorkerResult:
        from distributed import KilledWorker

        future = cast("Future[WorkerResult]", handle)  # a future from submit
        try:
            return future.result()
        except KilledWorker:
            raise WorkerLost("the Dask worker screening this file died") from None
        except Exception as exc:  # noqa: BLE001 - e.g. a worker that lost its connection
            if future.status == "lost" or "lost" in str(exc).lower():
                raise WorkerLost(f"the Dask task was lost ({exc})") from None
            return {"path": "", "error": f"{type(exc).__name__}: {exc}"}
        finally:
            future.release()

    def heal(self) -> None:
        self.slots = max(1, self._threads()) * 2

    def worker_pids(self) -> list[int]:
        import os

        return list(self.client.run(os.getpid).values())

    def close(self, cancel: bool = False) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
