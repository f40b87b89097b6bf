"""Visit history views on plain rows (no database access): the headline numbers of an
analysis, age at a visit, trend rows, visit comparison and measurement geometry."""

from __future__ import annotations

import math
from datetime import datetime, timezone


def now() -> str:
    """The time stamp of every row: UTC, ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# (key, label, unit) of the headline numbers compared between visits
HEADLINE = (
    ("probability", "P(Cobb ≥ 10°)", ""),
    ("cobb_estimate", "Cobb estimate", "deg"),
    ("cobb_low", "Cobb interval, low", "deg"),
    ("cobb_high", "Cobb interval, high", "deg"),
    ("age", "Age at visit", "years"),
)
QUALITY = (
    ("detection_rate", "Frames with the child found", "fraction"),
    ("usable_walking_s", "Usable walking", "s"),
    ("full_body_rate", "Whole body in view", "fraction"),
)


def cobb_interval(screening: dict) -> tuple[float | None, float | None]:
    """(low, high) of the Cobb estimate's interval, when the model gave one
    (``cobb_interval`` [lo, hi] or {low, high}, or ``cobb_low`` / ``cobb_high``)."""
    iv = screening.get("cobb_interval")
    if isinstance(iv, dict):
        return _num(iv.get("low")), _num(iv.get("high"))
    if isinstance(iv, (list, tuple)) and len(iv) == 2:
        return _num(iv[0]), _num(iv[1])
    return _num(screening.get("cobb_low")), _num(screening.get("cobb_high"))


def _num(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def visit_numbers(analysis: dict) -> dict:
    """The columns of a ``visits`` row taken from an ``Analysis.to_dict()``."""
    quality = analysis.get("quality") or {}
    screening = analysis.get("screening") or {}
    low, high = cobb_interval(screening)
    return {
        "usable": None if "usable" not in quality else int(bool(quality["usable"])),
        "quality_verdict": quality.get("verdict"),
        "probability": _num(screening.get("probability")), "label": screening.get("label"),
        "threshold": _num(screening.get("threshold")),
        "cobb_estimate": _num(screening.get("cobb_estimate")), "cobb_low": low, "cobb_high": high,
        "severity_band": screening.get("severity_band"), "model_version": screening.get("model_version"),
    }


def model_sha256(analysis: dict) -> str | None:
    """The screening weights' sha256: given in the analysis, or from the shipped model card
    when the version matches it (None when unknown)."""
    screening = analysis.get("screening") or {}
    if screening.get("model_sha256"):
        return str(screening["model_sha256"])
    version = screening.get("model_version")
    if not version:
        return None
    card = shipped_model_card()
    if card and card.get("model_version") == version:
        return (card.get("weights") or {}).get("sha256")
    return None


def shipped_model_card() -> dict | None:
    import json

    from scoliscreen.core.paths import screening_model_dir

    try:
        return json.loads((screening_model_dir() / "model_card.json").read_text())
    except (OSError, ValueError):
        return None


def age_at(birth_year: int | None, when: str | None) -> float | None:
    """Age in years at an ISO date, assuming a mid-year birthday (only the year is stored):
    accurate to about ±0.5 year."""
    if birth_year is None or not when:
        return None
    try:
        d = datetime.fromisoformat(when)
    except ValueError:
        return None
    year_fraction = (d.timetuple().tm_yday - 1) / 365.25
    return round(d.year + year_fraction - (int(birth_year) + 0.5), 2)


def with_age(row: dict) -> dict:
    row["age"] = age_at(row.get("birth_year"), row.get("visited_at"))
    return row


def trend_row(visit: dict) -> dict:
    return {
        "visit_id": visit["id"], "date": (visit.get("visited_at") or "")[:10], "age": visit.get("age"),
        "probability": visit.get("probability"), "cobb_estimate": visit.get("cobb_estimate"),
        "cobb_low": visit.get("cobb_low"), "cobb_high": visit.get("cobb_high"),
        "label": visit.get("label"), "usable": visit.get("usable"), "verdict": visit_verdict(visit),
    }


def visit_verdict(visit: dict) -> str:
    """The verdict word of a ``visits`` row (core/outcome_words.py): re-record when the gate refused
    the recording, else the label's word."""
    from scoliscreen.core.outcome_words import RE_RECORD, verdict_of_label

    return RE_RECORD if visit.get("usable") == 0 else verdict_of_label(visit.get("label"))


def _row(key, label, unit, a, b) -> dict:
    a, b = _num(a), _num(b)
    return {"key": key, "label": label, "unit": unit, "a": a, "b": b,
            "diff": None if a is None or b is None else round(b - a, 6)}


def compare(visit_a: dict, analysis_a: dict, visit_b: dict, analysis_b: dict) -> dict:
    """Numbers of two visits with their differences (b - a); None where either lacks one."""
    rows = [_row(k, label, unit, visit_a.get(k), visit_b.get(k)) for k, label, unit in HEADLINE]
    sa = (analysis_a.get("quality") or {}).get("stats") or {}
    sb = (analysis_b.get("quality") or {}).get("stats") or {}
    rows += [_row(f"quality.{k}", label, unit, sa.get(k), sb.get(k)) for k, label, unit in QUALITY]
    from scoliscreen.core.landmarks import REGION_NAMES

    wa = (analysis_a.get("screening") or {}).get("region_weights") or {}
    wb = (analysis_b.get("screening") or {}).get("region_weights") or {}
    rows += [_row(f"region.{r}", f"Model attention: {name}", "fraction", wa.get(r), wb.get(r))
             for r, name in REGION_NAMES.items() if r in wa or r in wb]
    features = []
    ma = (analysis_a.get("knowledge_map") or {}).get("medians") or {}
    mb = (analysis_b.get("knowledge_map") or {}).get("medians") or {}
    if ma or mb:
        from scoliscreen.core.kinematics.catalogue import FEATURE_INDEX, FEATURES

        for name in sorted(set(ma) | set(mb), key=lambda n: FEATURE_INDEX.get(n, 10**6)):
            feat = FEATURES[FEATURE_INDEX[name]] if name in FEATURE_INDEX else None
            row = _row(f"feature.{name}", feat.description if feat else name,
                       feat.unit if feat else "", ma.get(name), mb.get(name))
            row["region"] = feat.region if feat else ""
            row["normal_range"] = list(feat.normal_range) if feat and feat.normal_range else None
            features.append(row)
    return {"a": visit_a, "b": visit_b, "rows": rows, "features": features,
            "same_patient": visit_a.get("patient_id") == visit_b.get("patient_id"),
            "years_between": _years_between(visit_a, visit_b)}


def _years_between(a: dict, b: dict) -> float | None:
    try:
        da = datetime.fromisoformat(a["visited_at"])
        db = datetime.fromisoformat(b["visited_at"])
    except (KeyError, TypeError, ValueError):
        return None
    return round((db - da).total_seconds() / (365.25 * 86400), 2)


def measure(kind: str, pts: list[list[float]]) -> float:
    """Value of a line (tilt from horizontal, deg, -90..90, positive = right end higher in the
    image), an angle (at the middle point, deg, 0..180) or a distance (px)."""
    if kind == "distance":
        (x0, y0), (x1, y1) = pts
        return math.hypot(x1 - x0, y1 - y0)
    if kind == "line":
        (x0, y0), (x1, y1) = sorted(pts)
        return math.degrees(math.atan2(y0 - y1, x1 - x0))  # image y points down
    a, v, b = pts
    u = (a[0] - v[0], a[1] - v[1])
    w = (b[0] - v[0], b[1] - v[1])
    nu, nw = math.hypot(*u), math.hypot(*w)
    if nu == 0 or nw == 0:
        return float("nan")
    cos = max(-1.0, min(1.0, (u[0] * w[0] + u[1] * w[1]) / (nu * nw)))
    return math.degrees(math.acos(cos))
