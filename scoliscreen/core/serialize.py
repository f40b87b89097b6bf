"""Typed results rebuilt from their stored (``to_dict``) forms: ``X_from_dict(x.to_dict())``
gives an object whose ``to_dict()`` is the same dict. Used by ``Analysis.from_dict``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from scoliscreen.core.kinematics.catalogue import FEATURE_INDEX, FEATURES
from scoliscreen.core.kinematics.knowledge_map import SUMMARY_INDEX, SUMMARY_NAMES, KnowledgeMap
from scoliscreen.core.kinematics.text import ClinicalText
from scoliscreen.core.model.predict import ScreeningResult
from scoliscreen.core.quality import QualityReport, Reason

Stored = Mapping[str, object]


def _floats(v: object) -> list[float]:
    assert isinstance(v, Sequence)
    return [float(x) for x in v]


def _float_map(v: object) -> dict[str, float]:
    assert isinstance(v, Mapping)
    return {str(k): float(x) for k, x in v.items()}


def quality_from_dict(d: Stored) -> QualityReport:
    reasons = d.get("reasons") or []
    seg = d.get("segment")
    stats = d.get("stats") or {}
    assert isinstance(reasons, Sequence) and isinstance(stats, Mapping)
    segment = (int(seg[0]), int(seg[1])) if isinstance(seg, Sequence) and len(seg) == 2 else None
    return QualityReport(
        usable=bool(d.get("usable")), verdict=str(d.get("verdict", "")),
        reasons=[Reason(str(r["code"]), str(r["level"]), str(r["message"])) for r in reasons],
        segment=segment, view=str(d.get("view", "unknown")), stats=dict(stats),
    )


def clinical_text_from_dict(d: Stored) -> ClinicalText:
    findings, caveats = d.get("findings") or [], d.get("caveats") or []
    assert isinstance(findings, Sequence) and isinstance(caveats, Sequence)
    return ClinicalText([str(f) for f in findings], str(d.get("notes", "")), [str(c) for c in caveats])


def knowledge_map_from_dict(d: Stored) -> KnowledgeMap:
    """The stored map keeps the window times and each feature's clip median: every window
    of the rebuilt map holds the median (NaN where it was never computable)."""
    times = np.asarray(_floats(d.get("window_times_s") or []), np.float64)
    medians = d.get("medians") or {}
    assert isinstance(medians, Mapping)
    row = np.full(len(FEATURES), np.nan, np.float64)
    summary = np.zeros(len(SUMMARY_NAMES), np.float64)
    for name, v in medians.items():
        if v is not None and name in FEATURE_INDEX:
            row[FEATURE_INDEX[name]] = float(v)
            summary[SUMMARY_INDEX[f"{name}.median"]] = float(v)
    values = np.tile(row, (len(times), 1))
    return KnowledgeMap(values=values, features=FEATURES, window_start=np.zeros(len(times), np.int64),
                        window_times_s=times, summary=summary, summary_names=SUMMARY_NAMES,
                        view=str(d.get("view", "unknown")), n_frames=0, meta={"stored": True})


def screening_from_dict(d: Stored) -> ScreeningResult:
    rww = d.get("region_window_weights") or []
    seg = _floats(d.get("segment_s") or [0.0, 0.0])
    assert isinstance(rww, Sequence)
    return ScreeningResult(
        probability=float(d["probability"]), label=str(d["label"]),  # type: ignore[arg-type]
        threshold=float(d["threshold"]), cobb_estimate=float(d["cobb_estimate"]),  # type: ignore[arg-type]
        severity_band=str(d["severity_band"]),
        region_weights=_float_map(d.get("region_weights") or {}),
        window_weights=_floats(d.get("window_weights") or []),
        region_window_weights=[_floats(r) for r in rww],
        window_times_s=_floats(d.get("window_times_s") or []),
        model_version=str(d.get("model_version", "unknown")), device=str(d.get("device", "")),
        segment_s=(seg[0], seg[1]),
        severity_probabilities=_float_map(d.get("severity_probabilities") or {}),
        cobb_interval=(iv[0], iv[1]) if len(iv := _floats(d.get("cobb_interval") or [])) == 2 else (0.0, 0.0),
        reasons=[dict(r) for r in reasons if isinstance(r, Mapping)]
        if isinstance(reasons := d.get("reasons") or [], Sequence) else [],
        model_provenance=dict(prov) if isinstance(prov := d.get("model_provenance"), Mapping) else {},
        windows_s=[(w[0], w[1]) for w in map(_floats, ws) if len(w) == 2]
        if isinstance(ws := d.get("windows_s") or [], Sequence) else [],
        referral_setting=_float_map(rs) if isinstance(rs := d.get("referral_setting"), Mapping) else {},
    )
