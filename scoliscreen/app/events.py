"""The typed events :func:`scoliscreen.app.analysis.analysis_steps` yields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from scoliscreen.core.quality import QualityReport

if TYPE_CHECKING:
    from scoliscreen.core.video import Frame


@dataclass(frozen=True)
class Stage:
    """What the analysis does now (one readable sentence)."""

    message: str


@dataclass(frozen=True)
class Progress:
    """Frames done; ``total`` is None when unknown (camera)."""

    done: int
    total: int | None


@dataclass(frozen=True)
class Preview:
    """A decoded frame and the landmarks found on it ([33, 4], NaN = no person), ~10 per second."""

    frame: Frame
    landmarks: npt.NDArray[np.float32]


@dataclass(frozen=True)
class QualityJudged:
    """The quality gate's verdict, before the model runs."""

    quality: QualityReport


Event = Stage | Progress | Preview | QualityJudged
