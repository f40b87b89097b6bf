"""Cluster mode: the batch's per-file tasks on Dask ``distributed`` (optional extra ``.[cluster]``).

``DaskEngine(scheduler="tls://host:port", tls=TlsFiles(...))`` joins a running cluster
(``dask scheduler`` + ``dask worker`` on machines that see the clip folder at the same path, see
docs/batch.md); ``DaskEngine(local_workers=N)`` starts a ``LocalCluster`` of N single-threaded
worker processes on this machine. One task per file (``batch_worker.screen_file``); each worker
process loads the screening model on its first task and keeps it. Results come back to the
coordinating process, which alone writes the store.

Security (issue 24 B.3): a Dask scheduler runs whatever task a connected client sends, so an
unauthenticated one lets anyone who can reach its port run code as the clinician. The
``LocalCluster`` therefore listens on loopback with TLS and mutual authentication under
throw-away credentials (``distributed.Security.temporary()``, kept in memory): a client without
them cannot connect. ``--scheduler`` takes a ``tls://`` address with the cluster's CA, a client
certificate and key (:class:`TlsFiles`); plain ``tcp://`` is refused except to a loopback host
(:func:`check_scheduler`).

A worker that dies loses the task it was running: with ``allowed-failures`` = 0 (set for the
``LocalCluster``; set ``distributed.scheduler.allowed-failures: 0`` on a real scheduler to get the
same) the scheduler reports it at once as ``KilledWorker`` and the runner re-submits the file,
counting the attempt in the job table. A scheduler left at its default (3) retries such a task
itself, invisibly to the job table.

The ``LocalCluster``'s worker processes end with the coordinator (``cluster_worker``,
``lifeline``), however it dies.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from scoliscreen.app.batch_engine_base import Handle, WorkerLost
from scoliscreen.core.errors import InputError

if TYPE_CHECKING:
    from distributed import Future, LocalCluster, Security

    from scoliscreen.app.batch_worker import WorkerResult

INSTALL_HINT = "cluster mode needs Dask: pip install 'scoliscreen[cluster]' (the 'distributed' package)"
TLS_HINT = "use tls://HOST:PORT with --tls-ca, --tls-cert and --tls-key (docs/batch.md, 'Security')"


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for a ``tls://`` scheduler: the cluster's CA, this client's certificate and key."""

    ca: str | None = None
    cert: str | None = None
    key: str | None = None

    @property
    def given(self) -> bool:
        return any((self.ca, self.cert, self.key))


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: another machine (not resolved here)


def check_scheduler(address: str | None, tls: TlsFiles | None = None, *, local_cluster: bool = False) -> None:
    """Refuse, with one line (an InputError), a scheduler address that would run the batch's tasks
    over an unauthenticated link to another machine, or TLS files that cannot be used."""
    tls = tls or TlsFiles()
    if local_cluster and tls.given:
        raise InputError("--tls-ca/--tls-cert/--tls-key go with --scheduler tls://...; "
                         "the local cluster makes its own credentials")
    if not address:
        if tls.given:
            raise InputError("--tls-ca/--tls-cert/--tls-key need --scheduler tls://HOST:PORT")
        return
    parts = urlsplit(address)
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if scheme not in ("tcp", "tls") or not host or port is None:
        raise InputError(f"--scheduler {address}: give an address like tls://HOST:PORT")
    if scheme == "tcp":
        if tls.given:
            raise InputError(f"--scheduler {address}: the TLS files need a tls:// address")
        if not _loopback(host):
            raise InputError(f"--scheduler {address}: plain tcp to another machine is neither authenticated "
                             f"nor encrypted (anyone who reaches it can run code as you); {TLS_HINT}")
        return
    missing = [flag for flag, value in (("--tls-ca", tls.ca), ("--tls-cert", tls.cert), ("--tls-key", tls.key))
               if not value]
    if missing:
        raise InputError(f"--scheduler {address}: a tls:// scheduler needs {', '.join(missing)}")
    for flag, value in (("--tls-ca", tls.ca), ("--tls-cert", tls.cert), ("--tls-key", tls.key)):
        if not Path(str(value)).is_file():
            raise InputError(f"{flag} {value}: no such file")


def client_security(tls: TlsFiles) -> Security:
    """The client side of a ``tls://`` scheduler: mutual TLS, encryption required."""
    from distributed import Security

    return Security(tls_ca_file=tls.ca, tls_client_cert=tls.cert, tls_client_key=tls.key,
                    require_encryption=True)


def local_security() -> Security:
    """Throw-away, in-memory credentials for a ``LocalCluster`` (TLS, mutual authentication)."""
    from distributed import Security

    try:
        security: Security = Security.temporary()
        return security
    except ImportError:
        raise InputError("the local cluster needs the 'cryptography' package for its TLS credentials: "
                         "pip install 'scoliscreen[cluster]'") from None


class DaskEngine:
    """The runner's :class:`~scoliscreen.app.batch_engine_base.Engine` on a Dask cluster; its
    handles are ``distributed.Future``."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None,
                 model_dir: str | Path | None = None, device: str = "cpu", connect_timeout: float = 20.0,
                 tls: TlsFiles | None = None) -> None:
        try:
            import dask
            import distributed  # noqa: F401
        except ImportError:
            raise InputError(INSTALL_HINT) from None
        import logging

        from distributed import Client, LocalCluster

        check_scheduler(scheduler, tls, local_cluster=not scheduler)
        self.model_dir = None if model_dir is None else str(model_dir)
        self.device = device
        self.cluster: LocalCluster | None = None
        dask.config.set({"distributed.scheduler.allowed-failures": 0})
        if scheduler:
            security = client_security(tls) if tls is not None and tls.given else None
            try:
                self.client = Client(scheduler, timeout=connect_timeout, security=security)
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
            self.scheduler: str = scheduler
        else:
            from scoliscreen.app.lifeline import ENV, mark_coordinator

            n = max(1, int(local_workers or 1))
            security = local_security()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, silence_logs=logging.ERROR, security=security,
                                   protocol="tls://", preload=["scoliscreen.app.cluster_worker"],
                                   env={ENV: str(mark_coordinator())})
            self.cluster = cluster
            self.client = Client(cluster, security=security)
            self.scheduler = cluster.scheduler_address
        self.slots = max(1, self._threads()) * 2

    def _threads(self) -> int:
        return sum(self.client.nthreads().values())

    def describe(self) -> str:
        n = len(self.client.nthreads())
        where = "LocalCluster, TLS" if self.cluster is not None else self.scheduler
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
