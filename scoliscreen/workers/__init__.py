"""QObject workers that move long work off the GUI thread.

Every worker has ``progress``, ``result``, ``error`` and ``finished`` signals (see
:mod:`scoliscreen.workers.base`); the GUI connects them and calls :func:`start_worker`.
Importing this package pulls in Qt but never torch, mediapipe or OpenCV — those load inside
the workers' threads when they first run.
"""

from scoliscreen.workers.base import Worker, WorkerHandle, start_worker

__all__ = ["Worker", "WorkerHandle", "start_worker"]
