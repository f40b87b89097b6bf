"""Recording stage of the pipeline and the typed result of an analysis.

``analyze(spec, progress=None, should_cancel=None) -> Analysis`` runs pose estimation (unless
``spec`` is a pose-sequence ``.npz``) and the quality gate. ``spec`` is a path to a video or a
``.npz``, or an ``int`` camera index (recorded for ``seconds``). ``progress(done, total)`` is
called per frame (``total`` None when unknown); ``should_cancel()`` is polled per frame and a
true result raises :class:`~scoliscreen.core.errors.Cancelled`.

A refused recording is *returned* (``analysis.quality.usable`` is False, with reasons).
``Analysis.sequence`` is what later stages use (false detections blanked, ``meta["view"]``
set); ``Analysis.raw_sequence`` is what the pose model returned (what ``--save-sequence``
writes). The interpretation (knowledge map, clinical text, screening, all on the 96-frame
segment the model uses) is added by the application layer (:mod:`scoliscreen.app.analysis`),
which returns a new frozen :class:`Analysis` with those fields filled.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from scoliscreen.core.constants import SEQUENCE_SUFFIXES
from scoliscreen.core.errors import InputError
from scoliscreen.core.kinematics.knowledge_map import KnowledgeMap
from scoliscreen.core.kinematics.text import ClinicalText
from scoliscreen.core.model.predict import ScreeningResult
from scoliscreen.core.quality import QualityReport, assess_quality
from scoliscreen.core.interop.pose_in import is_foreign_pose, load_foreign_pose
from scoliscreen.core.sequence import PoseSequence, load_sequence
from scoliscreen.core.serialize import (
    clinical_text_from_dict, knowledge_map_from_dict, quality_from_dict, screening_from_dict,
)

if TYPE_CHECKING:
    from scoliscreen.core.video import Frame

DEFAULT_CAMERA_SECONDS = 6.0
Spec = str | Path | int  # a video / pose-sequence path, or a camera index


@dataclass(frozen=True)
class SourceInfo:
    kind: str  # "video", "camera" or "sequence"
    description: str  # path, or "camera N"
    fps: float
    size: tuple[int, int]
    frames: int
    rotation: int = 0
    seconds_elapsed: float = 0.0  # wall time of pose estimation (0 for a sequence file)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "description": self.description,
            "fps": round(float(self.fps), 3),
            "size": list(self.size),
            "frames": self.frames,
            "rotation": self.rotation,
            "seconds_elapsed": round(self.seconds_elapsed, 3),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> SourceInfo:
        size, fps, frames = d["size"], d["fps"], d["frames"]
        rotation, elapsed = d.get("rotation", 0), d.get("seconds_elapsed", 0.0)
        assert isinstance(size, list) and len(size) == 2  # stored as [w, h]
        assert isinstance(fps, (int, float)) and isinstance(frames, int) and isinstance(rotation, int)
        assert isinstance(elapsed, (int, float))
        return cls(str(d["kind"]), str(d["description"]), float(fps), (int(size[0]), int(size[1])), frames,
                   rotation, float(elapsed))


@dataclass(frozen=True)
class ModelSegment:
    """The part of the clip the interpretation used: ``start_s``/``stop_s`` on the clip's time
    axis (s from its first frame); ``n_frames`` real frames at 30 fps. Everything outside it
    was not used by the map, the text or the model."""

    start_s: float
    stop_s: float
    n_frames: int

    def to_dict(self) -> dict[str, object]:
        return {"start_s": round(self.start_s, 3), "stop_s": round(self.stop_s, 3), "n_frames": self.n_frames}

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> ModelSegment:
        return cls(float(d["start_s"]), float(d["stop_s"]), int(d["n_frames"]))  # type: ignore[arg-type,call-overload]


@dataclass(frozen=True)
class Analysis:
    """The result of one analysis (frozen; the app layer builds a new one per stage)."""

    source: SourceInfo
    quality: QualityReport
    frames: int  # of the filtered sequence
    fps: float
    duration_s: float
    sequence: PoseSequence | None = None  # filtered by the quality gate (None when loaded from a record)
    raw_sequence: PoseSequence | None = None  # as the pose model returned it
    segment: ModelSegment | None = None  # what the map, the text and the model used
    knowledge_map: KnowledgeMap | None = None  # on the segment: the model's windows
    clinical_text: ClinicalText | None = None  # from that map: the model's input text
    screening: ScreeningResult | None = None
    screening_error: str | None = None  # why there is no screening of a usable recording
    tracking: dict[str, object] | None = None  # whom the pose stage followed (:func:`tracking_summary`)

    def replace(self, **changes: object) -> Analysis:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        """The stored form (``visits.result_json``) and the ``--json`` output."""
        out: dict[str, object] = {
            "source": self.source.to_dict(),
            "frames": self.frames,
            "fps": round(float(self.fps), 3),
            "duration_s": round(self.duration_s, 3),
            "detection_rate": self.quality.stats.get("detection_rate"),
            "quality": self.quality.to_dict(),
        }
        if self.segment is not None:
            out["segment"] = self.segment.to_dict()
        if self.knowledge_map is not None:
            out["knowledge_map"] = self.knowledge_map.to_dict()
        if self.clinical_text is not None:
            out["clinical_text"] = self.clinical_text.to_dict()
        if self.screening is not None:
            out["screening"] = self.screening.to_dict()
        if self.screening_error is not None:
            out["screening_error"] = self.screening_error
        if self.tracking is not None:
            out["tracking"] = dict(self.tracking)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Analysis:
        """An Analysis from its stored form (no pose sequences: those are not stored)."""
        def sub(name: str) -> Mapping[str, object] | None:
            v = d.get(name)
            return v if isinstance(v, Mapping) else None

        seg, km, ct, sc = sub("segment"), sub("knowledge_map"), sub("clinical_text"), sub("screening")
        err = d.get("screening_error")
        return cls(
            source=SourceInfo.from_dict(sub("source") or {}),
            quality=quality_from_dict(sub("quality") or {}),
            frames=int(d["frames"]), fps=float(d["fps"]), duration_s=float(d["duration_s"]),  # type: ignore[call-overload,arg-type]
            segment=ModelSegment.from_dict(seg) if seg else None,
            knowledge_map=knowledge_map_from_dict(km) if km else None,
            clinical_text=clinical_text_from_dict(ct) if ct else None,
            screening=screening_from_dict(sc) if sc else None,
            screening_error=str(err) if err is not None else None,
            tracking=dict(sub("tracking") or {}) or None,
        )


def tracking_summary(raw: PoseSequence) -> dict[str, object] | None:
    """Whom the pose stage followed, as the visit record keeps it: the subject asked for
    (``auto`` = the person who walks, ``#N``, ``X,Y[@FRAME]``), the track followed (``#N``;
    None when nobody was) and how many people were seen; None for a pose-sequence file."""
    t = raw.meta.get("tracking")
    if not isinstance(t, dict):
        return None
    chosen = t.get("chosen")
    return {"subject": str(t.get("subject") or "auto"), "followed_track": None if chosen is None else f"#{chosen}",
            "people_seen": len(t.get("tracks") or [])}


def _is_sequence_file(spec: Spec) -> bool:
    return is_pose_file(spec)


def is_pose_file(spec: object) -> bool:
    """A pose file or folder (no pose estimation): our ``.npz``, or another tool's pose
    (OpenPose JSON folder, TRC, COCO-17 JSON; ``core.interop.pose_in``)."""
    if not isinstance(spec, (str, Path)) or isinstance(spec, bool):
        return False
    return Path(spec).suffix.lower() in SEQUENCE_SUFFIXES or is_foreign_pose(spec)


def analyze(
    spec: Spec,
    progress: Callable[[int, int | None], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    *,
    seconds: float = DEFAULT_CAMERA_SECONDS,
    model_path: str | Path | None = None,
    on_frame: Callable[[Frame, npt.NDArray[np.float32]], None] | None = None,
    subject: str | None = None,
) -> Analysis:
    """Run pose estimation (unless ``spec`` is a ``.npz``) and the quality gate. ``subject``:
    who to follow when several people are in view (:mod:`scoliscreen.core.tracking`: ``auto``,
    ``X,Y[@FRAME]`` or ``#N``); a pose-sequence file holds one person already."""
    t0 = time.perf_counter()
    if _is_sequence_file(spec):
        assert not isinstance(spec, int)
        raw = load_sequence(spec) if Path(spec).suffix.lower() in SEQUENCE_SUFFIXES else load_foreign_pose(spec)
        raw.meta.setdefault("source", str(spec))
        info = SourceInfo("sequence", str(spec), raw.fps, raw.image_size, len(raw))
    else:
        from scoliscreen.core.pose import estimate_poses
        from scoliscreen.core.video import open_source

        if isinstance(spec, int) and not isinstance(spec, bool):
            if not seconds or seconds <= 0:
                raise InputError("the recording length (seconds) must be a positive number")
        with open_source(spec, seconds=seconds) as source:
            raw = estimate_poses(source, progress, should_cancel, model_path=model_path, on_frame=on_frame,
                                 subject=subject)
            info = SourceInfo(source.kind, source.description, source.fps, source.size, len(raw),
                              getattr(source, "rotation", 0))
        if len(raw) == 0:
            raise InputError(f"{info.description}: no frames could be read")
        info = dataclasses.replace(info, seconds_elapsed=time.perf_counter() - t0)
    quality = assess_quality(raw)
    raw.meta["view"] = quality.view
    seq = quality.sequence
    assert seq is not None
    return Analysis(info, quality, len(seq), float(seq.fps), float(seq.duration_s), sequence=seq, raw_sequence=raw,
                    tracking=tracking_summary(raw))
