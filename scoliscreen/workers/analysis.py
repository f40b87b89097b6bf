"""The screening analysis and the model loading, as workers.

:class:`AnalysisWorker` runs ``scoliscreen.core.analyze.analyze`` (video -> pose -> quality),
shows the quality gate's verdict *before* the model runs (``quality_ready``), stops there when
the recording is unusable, and otherwise fills in the kinematic knowledge map, the clinical
text and the screening result (when ``analyze`` has not already done so). The result is the
``Analysis`` object.

:func:`get_screener` keeps one loaded ``Screener`` per device choice, shared by the startup
:class:`ModelLoadWorker` (which fills the status bar) and the analyses.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import Signal

from scoliscreen.workers.base import Worker

_screeners: dict[str, object] = {}
_screener_lock = threading.Lock()


def get_screener(device: str = "auto", model_dir=None):
    """The shared ``Screener`` for ``device`` ("auto", "cpu" or "gpu"), loaded once."""
    dev = {"gpu": "cuda"}.get(device, device)
    key = f"{dev}|{model_dir}"
    with _screener_lock:
        if key not in _screeners:
            from scoliscreen.core.model.predict import Screener

            _screeners[key] = Screener.load(model_dir, device=dev)
        return _screeners[key]


def device_description(device: str) -> str:
    """Readable compute device: the GPU's name, or "CPU"."""
    dev = str(device)
    if dev.startswith("cuda"):
        try:
            import torch

            return f"GPU: {torch.cuda.get_device_name(torch.device(dev))}"
        except Exception:  # noqa: BLE001
            return "GPU (CUDA)"
    if dev.startswith("mps"):
        return "GPU: Apple (MPS)"
    return "CPU"


class ModelLoadWorker(Worker):
    """Load the screening model in the background; result: {device, device_name, model_version}."""

    def __init__(self, device: str = "auto", model_dir=None):
        super().__init__()
        self.device = device
        self.model_dir = model_dir

    def work(self) -> dict:
        screener = get_screener(self.device, self.model_dir)
        card = getattr(screener, "card", {}) or {}
        version = getattr(screener, "model_version", None) or card.get("model_version") or card.get("version") or "unknown"
        device = str(getattr(screener, "device", "cpu"))
        return {"device": device, "device_name": device_description(device), "model_version": str(version)}


class AnalysisWorker(Worker):
    """Analyse one recording. ``spec``: a video path, a pose-sequence ``.npz``, or a camera index.

    Signals (besides progress/result/error/cancelled/finished): ``stage(str)`` — what it is
    doing now, and ``quality_ready(QualityReport)`` — emitted as soon as the gate has judged
    the recording, before the model runs.
    """

    stage = Signal(str)
    quality_ready = Signal(object)
    preview = Signal(int, object, object)  # frame index, QImage, landmarks [33,4]

    PREVIEW_INTERVAL_S = 0.1  # the skeleton being found is shown ~10 times a second

    def __init__(self, spec, notes: str = "", device: str = "auto", model_dir=None, preview: bool = True):
        super().__init__()
        self.spec = spec
        self.want_preview = preview
        self._last_preview = 0.0
        self.notes = notes
        self.device = device
        self.model_dir = model_dir

    def _should_cancel(self) -> bool:
        """``should_cancel`` hook: raises ``Cancelled`` when cancelled, else returns False."""
        self.check_cancel()
        return False

    def _on_frame(self, frame, landmarks) -> None:
        """Called by pose estimation per frame: a throttled preview of the skeleton being found."""
        now = time.monotonic()
        if now - self._last_preview < self.PREVIEW_INTERVAL_S:
            return
        self._last_preview = now
        from scoliscreen.workers.frames import bgr_to_qimage

        self.preview.emit(int(frame.index), bgr_to_qimage(frame.image), np.asarray(landmarks, np.float32))

    def work(self):
        from scoliscreen.core.analyze import analyze, interpret

        self.stage.emit("Finding the body in each frame…")
        analysis = analyze(self.spec, progress=self.report, should_cancel=self._should_cancel,
                           on_frame=self._on_frame if self.want_preview else None)
        self.check_cancel()
        self.quality_ready.emit(analysis.quality)  # shown before the model runs
        if analysis.quality.usable:  # a refused recording gets no model output
            interpret(analysis, self.notes, lambda: get_screener(self.device, self.model_dir),
                      stage=self.stage.emit, should_cancel=self._should_cancel)
        self.check_cancel()
        return analysis
