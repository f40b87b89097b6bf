"""The worker pattern every long job in the app uses: one adapter from a generator to signals.

A :class:`Worker` is a ``QObject`` whose :meth:`Worker.work` runs in its own ``QThread``
(started by :func:`start_worker`). ``work`` is a generator (the application layer's
``analysis_steps``, the live capture loop, ...): every value it yields goes to
:meth:`Worker.on_event` (which turns it into a typed signal; by default ``event(object)``),
cancellation is checked between yields (the generator is closed, so its ``finally`` blocks
run), and its return value is the result. A plain function body (no ``yield``) works too.
It reports through these signals, all delivered to the GUI thread by Qt's queued connections:

* ``progress(done, total)`` — integers, ``total`` 0 when unknown;
* ``result(object)`` — the return value of :meth:`work` (not emitted after a cancel);
* ``error(str)`` — one readable sentence (every failure ends here, never silently);
* ``finished()`` — always emitted last, whatever happened, so a progress bar always stops.

``cancelled()`` is emitted instead of ``result`` when the user cancelled.
"""

from __future__ import annotations

import inspect
import logging
import threading
import traceback
from collections.abc import Generator

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from scoliscreen.core.errors import Cancelled, ScoliScreenError
log = logging.getLogger(__name__)


class Worker(QObject):
    """Base class: subclasses implement :meth:`work` (a generator; see the module doc) and
    :meth:`on_event` (its yields -> typed signals)."""

    progress = Signal(int, int)
    event = Signal(object)
    result = Signal(object)
    error = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._cancel = threading.Event()

    # ---- called from any thread ------------------------------------------------------
    def cancel(self) -> None:
        """Ask the work to stop at its next :meth:`check_cancel` point."""
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    # ---- called from the worker thread -----------------------------------------------
    def check_cancel(self) -> None:
        """Raise :class:`Cancelled` when :meth:`cancel` was called (checked between yields)."""
        if self._cancel.is_set():
            raise Cancelled("The analysis was cancelled.")

    def work(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def on_event(self, event: object) -> None:
        """Turn one yielded value into a signal (subclasses map their event types)."""
        self.event.emit(event)

    def _drain(self, steps: Generator[object, None, object]) -> object:
        """Run a generator to its return value, cancel checked between yields."""
        try:
            while True:
                self.check_cancel()
                try:
                    item = next(steps)
                except StopIteration as stop:
                    return stop.value
                self.on_event(item)
        finally:
            steps.close()

    @Slot()
    def run(self) -> None:
        """Run :meth:`work`, route its outcome to exactly one of result/error/cancelled, then finished."""
        try:
            value = self.work()
            if inspect.isgenerator(value):
                value = self._drain(value)
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.result.emit(value)
        except Cancelled:
            self.cancelled.emit()
        except ScoliScreenError as exc:
            self.error.emit(str(exc))
        except MemoryError:
            self.error.emit("The computer ran out of memory during this task.")
        except Exception as exc:  # noqa: BLE001 - every failure must reach the UI
            log.error("worker %s failed:\n%s", type(self).__name__, traceback.format_exc())
            self.error.emit(f"Unexpected error ({type(exc).__name__}): {exc}")
        finally:
            self.finished.emit()


class WorkerHandle:
    """A worker and the thread running it; keeps both alive until the thread has finished."""

    _alive: set["WorkerHandle"] = set()

    def __init__(self, worker: Worker, thread: QThread):
        self.worker = worker
        self.thread = thread

    def cancel(self) -> None:
        self.worker.cancel()

    def wait(self, ms: int = 10000) -> bool:
        try:
            return self.thread.wait(ms)
        except RuntimeError:
            return True

    def stop(self, ms: int = 10000) -> bool:
        """Cancel and wait for the thread to end (used when a window closes)."""
        self.cancel()
        return self.wait(ms)


def start_worker(worker: Worker, name: str | None = None) -> WorkerHandle:
    """Move ``worker`` to a new ``QThread``, start it, and return its handle.

    Connect the worker's signals *before* calling this. The thread quits when the worker emits
    ``finished``; the handle is kept in a class-level set until then so neither Python object
    is garbage-collected while Qt still uses it.
    """
    thread = QThread()
    if name:
        thread.setObjectName(name)
    worker.moveToThread(thread)
    handle = WorkerHandle(worker, thread)
    WorkerHandle._alive.add(handle)
    thread.started.connect(worker.run)
    # direct: quit() is thread-safe, and a queued call would wait for the GUI thread, which may
    # itself be blocked in WorkerHandle.wait() (stop on close) -> the wait would time out
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.finished.connect(lambda: WorkerHandle._alive.discard(handle))
    thread.start()
    return handle
