"""Screening many files (``scoliscreen predict``, the batch runner): one JSON-able object per
file, a bad file gives an ``error`` entry and never stops the run. A *visit* (several clips of
one child, ``predict --visit``) is one object: every usable window of every usable clip pooled
into one answer (``core.model.pooling``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

from scoliscreen.app.analysis import model_windows, run_analysis
from scoliscreen.core.analyze import Analysis
from scoliscreen.app.events import Event, Progress
from scoliscreen.core.constants import SEQUENCE_SUFFIXES, VIDEO_SUFFIXES
from scoliscreen.core.interop.pose_in import is_pose_input, pose_inputs
from scoliscreen.core.errors import InputError, ScoliScreenError
from scoliscreen.core.model.predict import Screener, ScreeningResult
from scoliscreen.core.outcome_words import RE_RECORD

_SCREENING_KEYS = ("probability", "label", "threshold", "cobb_estimate", "cobb_interval", "severity_band",
                   "severity_probabilities", "region_weights", "reasons", "window_weights", "window_times_s",
                   "segment_s", "windows_s")
_VISIT_KEYS = ("probability", "label", "threshold", "cobb_estimate", "cobb_interval", "severity_band",
               "severity_probabilities", "region_weights", "reasons")


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files to screen: a directory means every video / pose-sequence file in it (sorted), and
    every TRC / COCO-17 JSON file and OpenPose JSON folder (docs/interop.md); a directory that is
    itself an OpenPose JSON folder is one input."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir() and is_pose_input(p):
            out.append(p)
        elif p.is_dir():
            # every media name, regular or not: a FIFO or a device link is refused in its own row
            out += sorted([q for q in p.iterdir() if not q.is_dir() and q.suffix.lower() in VIDEO_SUFFIXES + SEQUENCE_SUFFIXES]
                          + pose_inputs(p))
        else:
            out.append(p)
    return out


def screen_file(path: str | Path, screener: Screener, notes: str = "",
                progress: Callable[[int, int | None], None] | None = None,
                subject: str | None = None, keep: list[Analysis] | None = None) -> dict[str, object]:
    """The ``predict --format jsonl`` object of one file: input, probability, label, threshold,
    cobb_estimate, severity_band, ..., quality, model_version; or input + error (+ quality).
    ``keep``: the file's Analysis is appended to it (a visit pools them)."""
    path = Path(path)
    obj: dict[str, object] = {"input": str(path)}

    def on_event(event: Event) -> None:
        if progress is not None and isinstance(event, Progress):
            progress(event.done, event.total)

    try:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        analysis = run_analysis(path, notes=notes, screener=screener, on_event=on_event, subject=subject)
        if keep is not None:
            keep.append(analysis)
        q = analysis.quality
        quality = _quality(analysis)
        if not q.usable:
            msgs = "; ".join(r.message for r in q.refusals) or q.verdict
            obj.update({"quality": quality, "error": f"recording not usable for screening: {msgs}",
                        "label": RE_RECORD, "reasons": [{"code": r.code, "message": r.message} for r in q.refusals],
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


def _quality(analysis: Analysis) -> dict[str, object]:
    q = analysis.quality
    return {"verdict": q.verdict, "usable": q.usable, "reasons": [r.to_dict() for r in q.reasons]}


def pool_visit(analyses: list[Analysis], screener: Screener, notes: str = "") -> ScreeningResult | None:
    """One answer for a visit from its clips' Analyses: every window of every screened clip,
    pooled. Clips filmed from a view the model is validated on are used; only when none is,
    all are (and the answer carries the ``view`` reason). None: no clip was screened."""
    screened = [a for a in analyses if a.screening is not None and a.sequence is not None]
    if not screened:
        return None
    valid = screener.decision.validated_views
    chosen = [a for a in screened if not valid or (a.sequence is not None and a.sequence.meta.get("view") in valid)]
    views: list[str | None] = []
    pairs = []
    switches: list[object] = []
    for a in chosen or screened:
        windows = model_windows(a, notes)
        pairs += windows
        view = a.sequence.meta.get("view") if a.sequence is not None else None
        views += [str(view) if view else None] * len(windows)
        if a.sequence is not None:
            switches += list(a.sequence.meta.get("identity_switches") or [])
    return screener.predict_windows(pairs, views, switches=switches or None) if pairs else None


def screen_visit(paths: Iterable[str | Path], screener: Screener, notes: str = "",
                 progress: Callable[[int, int | None], None] | None = None) -> dict[str, object]:
    """The ``predict --visit --format jsonl`` object of several clips of one visit: ``input``
    (the files, joined by " + "), the pooled answer (same keys as one file), ``clips`` (each
    file's own label / probability / windows, or its error) and ``model_version``; or
    ``input`` + ``error`` when no clip could be screened."""
    paths = [Path(p) for p in paths]
    obj: dict[str, object] = {"input": " + ".join(str(p) for p in paths)}
    clips: list[dict[str, object]] = []
    analyses: list[Analysis] = []
    for path in paths:
        one = screen_file(path, screener, notes, progress, keep=analyses)
        clips.append({k: one[k] for k in ("input", "label", "probability", "windows_s", "quality", "error")
                      if k in one})
    result = pool_visit(analyses, screener, notes)
    obj["clips"] = clips
    obj["model_version"] = screener.model_version
    if result is None:
        refused = [c for c in clips if isinstance(q := c.get("quality"), dict) and not q.get("usable")]
        obj["error"] = ("no clip of the visit could be screened"
                        + (f" ({len(refused)} of {len(clips)} refused by the quality gate)" if refused else ""))
        obj["refused_by_gate"] = len(refused) == len(clips)
        return obj
    d = result.to_dict()
    obj.update({k: d[k] for k in _VISIT_KEYS})
    obj["windows"] = sum(1 for _ in result.windows_s)
    obj["model_version"] = result.model_version
    return obj
