"""The analysis pipeline: video / camera / pose-sequence file -> pose -> quality gate (-> later parts).

``analyze(spec, progress=None, should_cancel=None) -> Analysis``. ``spec`` is a path to a video
or to a pose-sequence ``.npz`` (pose estimation is then skipped), or an ``int`` camera index
(recorded for ``seconds``). The GUI calls this from a worker thread: ``progress(done, total)``
is called per frame (``total`` None when unknown), ``should_cancel()`` is polled per frame and a
true result raises :class:`~scoliscreen.core.errors.Cancelled`.

A refused recording is *returned* (``analysis.quality.usable`` is False, with reasons); the
caller decides what to show. ``Analysis.sequence`` is the sequence later stages use (false
detections blanked, ``meta["view"]`` set); ``Analysis.raw_sequence`` is what the pose model
returned (what ``--save-sequence`` writes). Later parts fill ``knowledge_map``,
``clinical_text`` and ``screening``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from scoliscreen.core.errors import InputError
from scoliscreen.core.quality import QualityReport, assess_quality
from scoliscreen.core.sequence import PoseSequence, load_sequence

DEFAULT_CAMERA_SECONDS = 6.0
SEQUENCE_SUFFIXES = (".npz",)


@dataclass
class SourceInfo:
    kind: str  # "video", "camera" or "sequence"
    description: str  # path, or "camera N"
    fps: float
    size: tuple[int, int]
    frames: int
    rotation: int = 0
    seconds_elapsed: float = 0.0  # wall time of pose estimation (0 for a sequence file)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "description": self.description,
            "fps": round(float(self.fps), 3),
            "size": list(self.size),
            "frames": self.frames,
            "rotation": self.rotation,
            "seconds_elapsed": round(self.seconds_elapsed, 3),
        }


@dataclass
class Analysis:
    sequence: PoseSequence  # filtered by the quality gate; later stages use this
    quality: QualityReport
    source: SourceInfo
    raw_sequence: PoseSequence | None = None  # as the pose model returned it
    knowledge_map: Any = None  # filled by core.kinematics
    clinical_text: Any = None
    screening: Any = None  # filled by core.model
    extras: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        seq = self.sequence
        out = {
            "source": self.source.to_dict(),
            "frames": len(seq),
            "fps": round(float(seq.fps), 3),
            "duration_s": round(seq.duration_s, 3),
            "detection_rate": self.quality.stats.get("detection_rate"),
            "quality": self.quality.to_dict(),
        }
        for name in ("knowledge_map", "clinical_text", "screening"):
            value = getattr(self, name)
            if value is not None and hasattr(value, "to_dict"):
                out[name] = value.to_dict()
        return out


def _is_sequence_file(spec) -> bool:
    return isinstance(spec, (str, Path)) and Path(spec).suffix.lower() in SEQUENCE_SUFFIXES


def analyze(
    spec,
    progress: Callable[[int, int | None], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    *,
    seconds: float = DEFAULT_CAMERA_SECONDS,
    model_path: str | Path | None = None,
    on_frame: Callable[[object, Any], None] | None = None,
) -> Analysis:
    """Run pose estimation (unless ``spec`` is a ``.npz``) and the quality gate."""
    t0 = time.perf_counter()
    if _is_sequence_file(spec):
        raw = load_sequence(spec)
        raw.meta.setdefault("source", str(spec))
        info = SourceInfo("sequence", str(spec), raw.fps, raw.image_size, len(raw))
    else:
        from scoliscreen.core.pose import estimate_poses
        from scoliscreen.core.video import open_source

        if isinstance(spec, (int,)) and not isinstance(spec, bool):
            if not seconds or seconds <= 0:
                raise InputError("the recording length (seconds) must be a positive number")
        with open_source(spec, seconds=seconds) as source:
            raw = estimate_poses(source, progress, should_cancel, model_path=model_path, on_frame=on_frame)
            info = SourceInfo(source.kind, source.description, source.fps, source.size, len(raw),
                              getattr(source, "rotation", 0))
        if len(raw) == 0:
            raise InputError(f"{info.description}: no frames could be read")
        info.seconds_elapsed = time.perf_counter() - t0
    quality = assess_quality(raw)
    raw.meta["view"] = quality.view
    return Analysis(quality.sequence, quality, info, raw_sequence=raw)


def interpret(
    analysis: Analysis,
    notes: str = "",
    screener: Any = None,
    *,
    stage: Callable[[str], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Analysis:
    """Fill ``knowledge_map``, ``clinical_text`` and ``screening`` of a usable recording.

    ``screener`` is a loaded ``Screener``, a zero-argument callable returning one (loaded only
    when needed), or None for the shipped model. A refused recording is returned untouched.
    A screening model that cannot be used (missing, wrong hash, wrong feature catalogue) does
    not lose the map and text: its message goes to ``analysis.extras["screening_error"]``.
    """
    from scoliscreen.core.errors import Cancelled, ScoliScreenError

    def step(message: str | None = None) -> None:
        """Cancellation point; ``message`` (if any) tells the caller what runs next."""
        if should_cancel is not None and should_cancel():
            raise Cancelled("cancelled")
        if stage is not None and message:
            stage(message)

    if not analysis.quality.usable:
        return analysis
    if analysis.knowledge_map is None:
        step("Computing the kinematic knowledge map…")
        from scoliscreen.core.kinematics import compute_knowledge_map

        analysis.knowledge_map = compute_knowledge_map(analysis.sequence)
    if analysis.clinical_text is None:
        from scoliscreen.core.kinematics import clinical_text

        analysis.clinical_text = clinical_text(analysis.knowledge_map, notes)
    if analysis.screening is None:
        step("Running the screening model…")
        try:
            if screener is None:
                from scoliscreen.core.model.predict import Screener

                screener = Screener.load()
            elif callable(screener) and not hasattr(screener, "predict"):
                screener = screener()
            step()  # loading the model can take a moment: honour a cancel before predicting
            analysis.screening = screener.predict(analysis.sequence, notes, analysis.quality.segment)
        except Cancelled:
            raise
        except ScoliScreenError as exc:
            analysis.extras["screening_error"] = f"The screening model could not be used: {exc}"
    return analysis
