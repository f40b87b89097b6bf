"""Processes a batch starts end when the process that started them dies (issue 26), SIGKILL included.

A batch's coordinator (``scoliscreen batch``, the GUI's batch queue) starts worker processes: the
local pool's workers and, on Linux, the multiprocessing forkserver they are forked from; or the
worker processes of a Dask ``LocalCluster``. Killed with ``kill -9`` (or out of memory), the
coordinator cannot stop them, and each idle worker holds ~0.8 GB. So every such child is *armed*:

* **Linux**: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` through ``ctypes`` (:func:`die_with_parent`):
  the kernel kills the child when its parent dies. Armed in the forkserver (a preloaded module,
  :mod:`.lifeline_forkserver`, reads the coordinator's PID from :data:`ENV`), in each pool worker
  (its parent is the forkserver, which dies with the coordinator) and in each LocalCluster worker
  (its parent is the coordinator).
* **everywhere** (:func:`watch`): a daemon watchdog thread that ends the process when the read end
  of a pipe whose only writer is the coordinator reaches EOF (the kernel closes it when the
  coordinator dies, however it dies), or when the coordinator's PID is gone, or when the process
  was re-parented. ``PR_SET_PDEATHSIG`` follows the *thread* that forked the child, and does not
  exist off Linux; the watchdog covers both gaps.

The coordinator side: :func:`coordinator_pipe` (keep the write end, hand the read end to the
children) and :func:`mark_coordinator` (sets :data:`ENV` before a forkserver starts).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

ENV = "SCOLISCREEN_LIFELINE_PID"
"""The coordinating process's PID, set by :func:`mark_coordinator` for a forkserver's preload."""
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_INTERVAL_S = 0.5
ORPHAN_EXIT = 70  # the exit status of a child whose coordinator died (EX_SOFTWARE)


def die_with_parent(sig: int = signal.SIGKILL if hasattr(signal, "SIGKILL") else 9) -> bool:
    """Linux: ask the kernel to send ``sig`` to this process when its parent dies. True if armed
    (False elsewhere, or where ``prctl`` cannot be called)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate it there (0 is CTRL_C_EVENT)
        try:
            import psutil
        except ImportError:
            return True  # the pipe alone tells
        return bool(psutil.pid_exists(pid))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else (PID reused)
        return False
    return True


def _orphaned() -> None:
    os._exit(ORPHAN_EXIT)  # from any thread: no clean-up to wait for, the coordinator is gone


def watch(coordinator_pid: int, conn: Connection[bytes, bytes] | None = None, *,
          interval: float = WATCH_INTERVAL_S) -> threading.Thread:
    """Start the watchdog thread (see the module docstring): this process exits (status
    :data:`ORPHAN_EXIT`) within ``interval`` of the coordinator's death."""
    parent = os.getppid()

    def loop() -> None:
        while True:
            if conn is not None:
                try:
                    if conn.poll(interval):  # readable: EOF (nothing is ever sent)
                        conn.recv_bytes()
                        continue
                except (EOFError, OSError):
                    _orphaned()
            else:
                time.sleep(interval)
            if not _pid_alive(coordinator_pid) or os.getppid() != parent:
                _orphaned()

    thread = threading.Thread(target=loop, name="scoliscreen-lifeline", daemon=True)
    thread.start()
    return thread


def arm(coordinator_pid: int, conn: Connection[bytes, bytes] | None = None) -> None:
    """Arm this child process: the kernel's parent-death signal (Linux) and the watchdog."""
    parent = os.getppid()
    die_with_parent()
    if os.getppid() != parent or not _pid_alive(coordinator_pid):  # died before prctl took effect
        _orphaned()
    watch(coordinator_pid, conn)


def arm_from_env() -> bool:
    """For a process the coordinator started directly (the forkserver): the parent-death signal
    only (no thread: a forkserver forks), when :data:`ENV` names this process's parent."""
    try:
        pid = int(os.environ.get(ENV, "0"))
    except ValueError:
        return False
    if pid <= 0 or os.getppid() != pid:
        return False
    armed = die_with_parent()
    if os.getppid() != pid:
        _orphaned()
    return armed


def mark_coordinator() -> int:
    """Mark this process as a batch coordinator (:data:`ENV`), so a forkserver it starts arms itself."""
    os.environ[ENV] = str(os.getpid())
    return os.getpid()


def coordinator_pipe() -> tuple[Connection[bytes, bytes], Connection[bytes, bytes]]:
    """(read end for the children, write end the coordinator keeps open and never writes).
    Neither end is inherited by a fork/exec of this process (Python's pipes are non-inheritable);
    multiprocessing hands the read end over explicitly."""
    import multiprocessing

    reader, writer = multiprocessing.Pipe(duplex=False)
    return reader, writer
