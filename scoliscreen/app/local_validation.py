"""The clinic's own evidence: which visits have an outcome, how a model does on them
(``validate-local``), and a local recalibration of a model (``recalibrate``).

Each counted visit is screened again, from its stored pose sequence, by the model asked for (the
shipped one by default), through the same pipeline as ``analyze`` (the gate, the map, the text
with the visit's own notes, the model): every figure is that model's, whatever model screened the
visit on the day. Visits without a stored pose sequence are left out and counted.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoliscreen.app.analysis import run_analysis
from scoliscreen.core.errors import InputError
from scoliscreen.core.model import local_eval
from scoliscreen.core.model.predict import Screener
from scoliscreen.core.store import Store
from scoliscreen.core.store_outcomes import OUTCOME_SOURCES, best_outcome, outcome_truth

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class OutcomeVisit:
    visit_id: int
    child: str  # the patient id (a visit without a patient counts as its own child)
    visited_at: str
    truth: bool
    source: str  # the outcome that counted (most trusted source)


def parse_sources(text: str | None) -> tuple[str, ...]:
    """``--source radiograph,scoliometer`` -> the sources (all when None)."""
    if not text:
        return OUTCOME_SOURCES
    out = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in out if s not in OUTCOME_SOURCES]
    if bad or not out:
        raise InputError(f"--source takes {', '.join(OUTCOME_SOURCES)} (comma-separated), got {text!r}")
    return out


def outcome_visits(store: Store, *, sources: tuple[str, ...] = OUTCOME_SOURCES, since: str | None = None,
                   all_visits: bool = False) -> list[OutcomeVisit]:
    """The visits to count: those with an outcome from ``sources``, screened (a model answered)
    on or after ``since``; one per child (the first such visit) unless ``all_visits``."""
    if since:
        try:
            dt.date.fromisoformat(since)
        except ValueError:
            raise InputError(f"--since must be YYYY-MM-DD, got {since!r}") from None
    by_visit: dict[int, list[dict[str, object]]] = {}
    for o in store.outcomes():
        if o["source"] in sources:
            by_visit.setdefault(int(o["visit_id"]), []).append(o)
    rows: list[OutcomeVisit] = []
    for vid, outs in by_visit.items():
        visit = store.get_visit(vid)
        if visit.get("deleted_at") or not visit.get("label"):
            continue  # deleted, or no model answered (a refused recording)
        if since and str(visit["visited_at"])[:10] < since:
            continue
        best = best_outcome(outs)
        truth = outcome_truth(best) if best else None
        if best is None or truth is None:
            continue
        child = f"patient:{visit['patient_id']}" if visit.get("patient_id") is not None else f"visit:{vid}"
        rows.append(OutcomeVisit(vid, child, str(visit["visited_at"]), bool(truth), str(best["source"])))
    rows.sort(key=lambda r: (r.visited_at, r.visit_id))
    if not all_visits:
        first: dict[str, OutcomeVisit] = {}
        for r in rows:
            first.setdefault(r.child, r)
        rows = sorted(first.values(), key=lambda r: (r.visited_at, r.visit_id))
    return rows


def _analysis_notes(store: Store, visit_id: int) -> str:
    notes = [n for n in store.notes(visit_id) if n.get("kind") == "analysis"]
    return str(notes[0]["text"]) if notes else ""


def screen_again(store: Store, rows: list[OutcomeVisit], screener: Screener,
                 progress: Progress | None = None) -> tuple[local_eval.LocalVisits, list[int]]:
    """The chosen model's answers on the counted visits (from their stored pose sequences), and
    the ids of the visits left out for having none."""
    from scoliscreen.core.sequence import save_sequence

    child, truth, label, prob, logit, kept = [], [], [], [], [], []
    skipped: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, r in enumerate(rows):
            seq = store.sequence(r.visit_id)
            if seq is None:
                skipped.append(r.visit_id)
                continue
            path = save_sequence(seq, Path(tmp) / f"visit{r.visit_id}.npz")
            analysis = run_analysis(path, notes=_analysis_notes(store, r.visit_id), screener=screener)
            s = analysis.screening
            child.append(r.child)
            truth.append(r.truth)
            if not analysis.quality.usable:
                label.append("re-record")
                prob.append(math.nan)
                logit.append(math.nan)
            elif s is None:
                label.append("")
                prob.append(math.nan)
                logit.append(math.nan)
            else:
                label.append(s.label)
                prob.append(float(s.probability))
                logit.append(float(s.extras.get("logit", math.nan)))
            kept.append(r.visit_id)
            if progress is not None:
                progress(i + 1, len(rows))
    visits = local_eval.LocalVisits(np.array(child, dtype=str), np.array(truth, bool), np.array(label, dtype=str),
                                    np.array(prob, float), np.array(logit, float))
    return visits, skipped


def card_figures(card: Mapping[str, object]) -> dict[str, object]:
    """The model card's own (simulated) figures, to show beside the local ones."""
    op = card.get("operating_point_test")
    boot = op.get("bootstrap") if isinstance(op, Mapping) else None
    out: dict[str, object] = {"label": "simulated (model card)"}
    if isinstance(boot, Mapping):
        for key, name in (("sensitivity", "sensitivity"), ("specificity", "specificity"), ("roc_auc", "auc"),
                          ("ppv", "ppv"), ("npv", "npv")):
            v = boot.get(key)
            if isinstance(v, Mapping):
                out[name] = {"value": v.get("value"), "lo": v.get("lo"), "hi": v.get("hi")}
        out["prevalence"] = op.get("prevalence") if isinstance(op, Mapping) else None
    return out


def validate_local(store: Store, screener: Screener, *, sources: tuple[str, ...] = OUTCOME_SOURCES,
                   since: str | None = None, all_visits: bool = False, n_boot: int = 1000,
                   progress: Progress | None = None) -> dict[str, object]:
    """The figures of ``validate-local``: local (with child-bootstrap CIs) and the card's, side by side."""
    rows = outcome_visits(store, sources=sources, since=since, all_visits=all_visits)
    if not rows:
        raise InputError("no screened visit has a recorded outcome yet: add outcomes with "
                         "'scoliscreen outcomes add VISIT_ID ...' first")
    visits, skipped = screen_again(store, rows, screener, progress)
    if not len(visits):
        raise InputError("none of the visits with an outcome has a stored pose sequence to screen")
    result = local_eval.summary(visits, n_boot=n_boot)
    result.update({
        "model_version": screener.model_version,
        "model_is_shipped": bool(screener.model_provenance.get("is_shipped")),
        "sources": list(sources), "since": since, "unit": "all visits" if all_visits else "first screened visit per child",
        "skipped_without_pose": skipped, "card": card_figures(screener.card),
        "sources_counted": {s: sum(r.source == s for r in rows) for s in OUTCOME_SOURCES},
    })
    return result


def recalibrate_model(store: Store, screener: Screener, model_dir: Path, out: Path, *, target: float = 0.85,
                      prevalence: float | None = None, sources: tuple[str, ...] = OUTCOME_SOURCES,
                      progress: Progress | None = None) -> dict[str, object]:
    """Fit a local calibration and threshold on the clinic's outcomes (same weights) and write a
    local model folder at ``out``: the weights copied, the card with the new calibration, its
    data (counts only) and its cross-validated figures. Returns the recalibration summary."""
    from scoliscreen.core.model.recalibration import write_local_model

    if not 0.5 <= target < 1.0:
        raise InputError(f"--target-sensitivity must be in [0.5, 1), got {target}")
    if prevalence is not None and not 0.0 < prevalence < 1.0:
        raise InputError(f"--prevalence must be in (0, 1), got {prevalence}")
    rows = outcome_visits(store, sources=sources, all_visits=True)
    visits, skipped = screen_again(store, rows, screener, progress)
    try:
        fit = local_eval.recalibrate(visits, target=target)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    fit["skipped_without_pose"] = skipped
    write_local_model(model_dir, out, screener.card, fit, prevalence)
    return fit


def dumps(result: Mapping[str, object]) -> str:
    return json.dumps(result, indent=2, default=float, allow_nan=True)


__all__ = ["OutcomeVisit", "card_figures", "dumps", "outcome_visits", "parse_sources", "recalibrate_model",
           "screen_again", "validate_local"]
