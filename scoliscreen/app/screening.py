"""Screening many files (``scoliscreen predict``, the batch runner): one JSON-able object per
file, a bad file gives an ``error`` entry and never stops the run."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

from scoliscreen.app.analysis import run_analysis
from scoliscreen.app.events import Event, Progress
from scoliscreen.core.constants import SEQUENCE_SUFFIXES, VIDEO_SUFFIXES
from scoliscreen.core.errors import InputError, ScoliScreenError
from scoliscreen.core.model.predict import Screener

_SCREENING_KEYS = ("probability", "label", "threshold", "cobb_estimate", "cobb_interval", "severity_band",
                   "severity_probabilities", "region_weights", "reasons", "window_weights", "window_times_s",
                   "segment_s")


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files to screen: a directory means every video / pose-sequence file in it (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in VIDEO_SUFFIXES + SEQUENCE_SUFFIXES)
        else:
            out.append(p)
    return out


def screen_file(path: str | Path, screener: Screener, notes: str = "",
                progress: Callable[[int, int | None], None] | None = None,
                subject: str | None = None) -> dict[str, object]:
    """The ``predict --format jsonl`` object of one file: input, probability, label, threshold,
    cobb_estimate, severity_band, ..., quality, model_version; or input + error (+ quality)."""
    path = Path(path)
    obj: dict[str, object] = {"input": str(path)}

    def on_event(event: Event) -> None:
        if progress is not None and isinstance(event, Progress):
            progress(event.done, event.total)

    try:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        analysis = run_analysis(path, notes=notes, screener=screener, on_event=on_event, subject=subject)
        q = analysis.quality
        quality = {"verdict": q.verdict, "usable": q.usable, "reasons": [r.to_dict() for r in q.reasons]}
        if not q.usable:
            msgs = "; ".join(r.message for r in q.refusals) or q.verdict
            obj.update({"quality": quality, "error": f"recording not usable for screening: {msgs}",
                        "model_version": screener.model_version})
            return obj
        if analysis.screening is None:
            raise InputError(analysis.screening_error or "the screening model gave no result")
        d = analysis.screening.to_dict()
        obj.update({k: d[k] for k in _SCREENING_KEYS})
        obj["quality"] = quality
        obj["model_version"] = analysis.screening.model_version
        if not math.isfinite(analysis.screening.probability):
            obj["error"] = "the model returned no finite probability"
    except ScoliScreenError as exc:
        obj["error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - a broken file must never stop the batch
        obj["error"] = f"{type(exc).__name__}: {exc}"
    return obj
