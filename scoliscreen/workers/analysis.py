"""The screening analysis and the model loading, as workers over the application layer.

:class:`AnalysisWorker` runs :func:`scoliscreen.app.analysis.analysis_steps` through the
worker adapter: its typed events become signals (``stage``, ``progress``, ``preview``,
``quality_ready`` -- the gate's verdict, shown before the model runs) and its return value,
the frozen ``Analysis``, is the result.

:class:`ModelLoadWorker` loads the shared screener (``scoliscreen.app.models.shared_screener``,
also used by the analyses) and returns its :class:`~scoliscreen.app.models.ModelInfo`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal

from scoliscreen.workers.base import Worker


def get_screener(device: str = "auto", model_dir=None):
    """The shared ``Screener`` for ``device`` (one of ``core.constants.DEVICES``), loaded once."""
    from scoliscreen.app.models import shared_screener

    return shared_screener(device, model_dir)


class ModelLoadWorker(Worker):
    """Load the screening model in the background; result: a ``ModelInfo``."""

    def __init__(self, device: str = "auto", model_dir=None):
        super().__init__()
        self.device = device
        self.model_dir = model_dir

    def work(self):
        from scoliscreen.app.models import model_info

        return model_info(get_screener(self.device, self.model_dir))


class AnalysisWorker(Worker):
    """Analyse one recording. ``spec``: a video path, a pose-sequence ``.npz``, or a camera index.

    Signals (besides progress/result/error/cancelled/finished): ``stage(str)`` — what it is
    doing now, ``quality_ready(QualityReport)`` — as soon as the gate has judged the recording,
    before the model runs, and ``preview(index, QImage, landmarks)`` ~10 times a second.
    """

    stage = Signal(str)
    quality_ready = Signal(object)
    preview = Signal(int, object, object)  # frame index, QImage, landmarks [33,4]

    def __init__(self, spec, notes: str = "", device: str = "auto", model_dir=None, preview: bool = True,
                 subject: str | None = None):
        super().__init__()
        self.spec = spec
        self.subject = subject  # who to follow (core.tracking); None: the person who walks
        self.want_preview = preview
        self.notes = notes
        self.device = device
        self.model_dir = model_dir

    def on_event(self, event: object) -> None:
        from scoliscreen.app.events import Preview, Progress, QualityJudged, Stage

        if isinstance(event, Progress):
            self.progress.emit(event.done, event.total or 0)
        elif isinstance(event, Stage):
            self.stage.emit(event.message)
        elif isinstance(event, QualityJudged):
            self.quality_ready.emit(event.quality)
        elif isinstance(event, Preview) and self.want_preview:
            from scoliscreen.workers.frames import bgr_to_qimage

            self.preview.emit(int(event.frame.index), bgr_to_qimage(event.frame.image), event.landmarks)

    def work(self):
        from scoliscreen.app.analysis import analysis_steps

        return analysis_steps(self.spec, notes=self.notes, should_cancel=lambda: self.is_cancelled,
                              screener=lambda: get_screener(self.device, self.model_dir), subject=self.subject)


class ReinterpretWorker(Worker):
    """The cheap part again after the notes changed: the clinical text (with the new notes) and
    the screening, from the analysis' stored pose sequence (no pose estimation); result: the
    new ``Analysis``. A refused recording or a missing model keeps what it has."""

    def __init__(self, analysis, notes: str = "", device: str = "auto", model_dir=None):
        super().__init__()
        self.analysis = analysis
        self.notes = notes
        self.device = device
        self.model_dir = model_dir

    def work(self):
        from scoliscreen.app.analysis import interpret, screen
        from scoliscreen.core.errors import ScoliScreenError

        analysis = interpret(self.analysis, self.notes)
        if self.analysis.screening is None:
            return analysis
        try:
            return screen(analysis, get_screener(self.device, self.model_dir), self.notes)
        except ScoliScreenError as exc:
            return analysis.replace(screening=None,
                                    screening_error=f"The screening model could not be used: {exc}")
