"""What runs inside a batch worker process (a local pool process or a Dask worker).

Each worker process loads the screening model once (:func:`init_worker`, the pool's
initializer; a Dask worker loads it on its first task) and keeps it for every file it screens.
The pose model file is checked (sha256) and MediaPipe imported once as well; the landmarker
itself is opened per clip, as MediaPipe's VIDEO mode carries tracking state from one frame to
the next: a fresh one makes each file's result independent of which worker screened it and in
what order (the same result as ``scoliscreen analyze``), for ~0.1 s per clip.

A task returns a small, picklable dict — the analysis dict plus timings — and never raises for
a bad file: the coordinating process alone writes the store.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from scoliscreen.core.analyze import Analysis
    from scoliscreen.core.model.predict import Screener


class WorkerResult(TypedDict, total=False):
    """What a task returns (:func:`screen_file`); a lost task's stand-in holds ``error`` alone."""

    path: str
    pid: int
    analysis: dict[str, object]  # Analysis.to_dict(): the CSV row and the tally read this
    result: Analysis  # what the coordinator records (app.records.record_visit)
    error: str  # one line, instead of analysis + result
    followed_track: str  # "#N": the person track followed (several people in view or a chosen subject)
    seconds: float
    cpu_s: float
    peak_rss_mb: float


@dataclass
class _WorkerState:
    """This process's models: loaded once (``config`` = the (model_dir, device) they are for)."""

    config: tuple[str | None, str] | None = None
    screener: Screener | None = None
    load_error: str | None = None


_STATE = _WorkerState()


THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
              "NUMEXPR_NUM_THREADS")
"""The math libraries' thread-count variables :func:`pin_threads` sets (read when they load)."""


def pin_threads(threads: int = 1) -> None:
    """Give this worker process ``threads`` math threads (one per worker process on a machine with
    a worker per core): the OpenMP/MKL/OpenBLAS variables (for libraries not loaded yet), torch's
    intra-op and inter-op pools and OpenCV's pool. N workers on N cores then do not oversubscribe
    the cores (issue 25: a Dask worker spent 1.4x the local pool's CPU per clip)."""
    n = max(1, int(threads))
    for name in THREAD_ENV:
        os.environ[name] = str(n)
    import torch

    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(n)
    except RuntimeError:  # only before the first parallel work; already set in this process
        pass
    import cv2

    cv2.setNumThreads(n)


def init_worker(model_dir: str | None = None, device: str = "cpu", threads: int = 1) -> None:
    """Pool initializer: load the screening model (and warm the pose model) for this process."""
    if _STATE.screener is not None and _STATE.config == (model_dir, device):
        return
    _STATE.config = (model_dir, device)
    _STATE.screener = None
    _STATE.load_error = None
    try:
        pin_threads(threads)  # N workers on N cores: no oversubscription
        from scoliscreen.app.batch_adapter import load_screener

        _STATE.screener = load_screener(model_dir, device)
        from scoliscreen.core.pose import verify_pose_model

        verify_pose_model()
        import mediapipe  # noqa: F401 - imported once here, not per clip
    except Exception as exc:  # noqa: BLE001 - reported with every task of this worker
        _STATE.load_error = f"the worker could not load its models: {exc}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024.0


def followed_track(analysis: Analysis, subject: str | None) -> str:
    """``#N``: the person track the pose stage followed (``Analysis.tracking``), when a subject was
    chosen or several people were in view; "" otherwise (one person, a pose-sequence file)."""
    t = analysis.tracking or {}
    track = t.get("followed_track")
    if not track or (not subject and int(t.get("people_seen") or 0) < 2):  # type: ignore[call-overload]
        return ""
    return str(track)


def screen_file(path: str, model_dir: str | None = None, device: str = "cpu",
                subject: str | None = None) -> WorkerResult:
    """Analyse and screen one file, following ``subject`` (``--subject`` syntax; None: the person
    who walks): ``{"path", "analysis" | "error", "followed_track", "seconds", "cpu_s", "pid", "peak_rss_mb"}``."""
    from scoliscreen.core.errors import ScoliScreenError

    if _STATE.config != (model_dir, device):
        init_worker(model_dir, device)  # a Dask worker: first task in this process
    out: WorkerResult = {"path": path, "pid": os.getpid()}
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        if _STATE.load_error:
            raise ScoliScreenError(_STATE.load_error)
        if not (Path(path).is_file() or Path(path).is_dir()):  # a folder: OpenPose JSON frames
            raise ScoliScreenError(f"{path}: no such file")
        from scoliscreen.app.batch_adapter import analyze_path

        analysis = analyze_path(path, _STATE.screener, subject=subject)
        out["analysis"] = analysis.to_dict()  # the CSV row and the tally read this
        out["followed_track"] = followed_track(analysis, subject)
        out["result"] = analysis  # what the coordinator records (app.records.record_visit)
    except ScoliScreenError as exc:
        out["error"] = str(exc)
    except MemoryError:
        out["error"] = "the worker ran out of memory on this file"
    except Exception as exc:  # noqa: BLE001 - a broken file must not stop the batch
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["seconds"] = round(time.perf_counter() - t0, 3)
    out["cpu_s"] = round(time.process_time() - c0, 3)  # all threads of this process (MediaPipe, torch)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out
