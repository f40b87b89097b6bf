"""FHIR R4 Bundle of a visit (or a screening session), built and validated with ``fhir.resources``.

fhir.resources 8 defaults to FHIR R5; this module uses its ``fhir.resources.R4B`` models (FHIR
4.3.0, which is R4 with no change to Bundle, Patient, Observation, DiagnosticReport or Device).
Resources: a Patient (pseudonym, birth year, sex only), the model as a Device (version, weights
sha256, a research-use note), Observations (P(Cobb >= 10 deg), the Cobb estimate with its
interval as a Range, the outcome label with its reason codes, each shown asymmetry measure with
its normal range and, where the visit result holds one, its healthy-norm percentile, and any
recorded outcomes) and a DiagnosticReport that references them and carries the PDF report.
Codes: docs/interop.md (HL7 and UCUM where verified; the project CodeSystem otherwise).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from scoliscreen import DISCLAIMER
from scoliscreen.core.interop import output
from scoliscreen.core.interop.visit import VisitExport, _num

if TYPE_CHECKING:
    from scoliscreen.core.kinematics.catalogue import Feature

CODES = "urn:scoliscreen:fhir:CodeSystem:observation"  # the project CodeSystem (docs/interop.md)
REASONS = "urn:scoliscreen:fhir:CodeSystem:reason"
FEATURES = "urn:scoliscreen:fhir:CodeSystem:feature"
PSEUDONYMS = "urn:scoliscreen:fhir:NamingSystem:pseudonym"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
GENDER = {"F": "female", "M": "male"}
# catalogue unit -> (UCUM code, printed unit)
UNITS = {"deg": ("deg", "deg"), "%": ("%", "%"), "TL": ("{trunk_length}", "trunk lengths"), "s": ("s", "s")}
VERDICT_CODE = {"positive": "refer", "negative": "no-referral", "re-record": "re-record"}
_MAX_OUTCOME_TEXT = 64
_OUTCOME_SKIP = ("notes", "note", "text", "comment", "author", "created_at", "updated_at", "deleted_at",
                 "removed_at", "path", "file", "name", "examiner", "clinician", "observed_on", "observed_at", "date")
_OUTCOME_CODED = ("label", "outcome", "diagnosis", "result", "method", "kind", "type")
_OUTCOME_LABELS = {"source": "Source of the outcome", "cobb": "Cobb angle (recorded)",
                   "atr": "Angle of trunk rotation (scoliometer)", "class": "Outcome class"}


def _cc(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _qty(value: float, unit: str, code: str) -> dict:
    return {"value": round(float(value), 6), "unit": unit, "system": UCUM, "code": code}


def _ref(full_url: str) -> dict:
    return {"reference": full_url}


def _when(iso: str) -> str:
    try:
        dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        dt = datetime.now(timezone.utc)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.isoformat(timespec="seconds")


def percentile(analysis: Mapping[str, object], name: str) -> float | None:
    """A measure's healthy-norm percentile where the visit result holds one (read defensively:
    ``norms.percentiles[name]``, ``norms[name].percentile`` or ``knowledge_map.percentiles[name]``)."""
    for holder in (analysis.get("norms"), analysis.get("knowledge_map")):
        if not isinstance(holder, Mapping):
            continue
        pcts = holder.get("percentiles")
        if isinstance(pcts, Mapping) and name in pcts:
            v = pcts[name]
            return _num(v.get("percentile") if isinstance(v, Mapping) else v)
        entry = holder.get(name)
        if isinstance(entry, Mapping) and "percentile" in entry:
            return _num(entry["percentile"])
    return None


def shown_measures(analysis: Mapping[str, object]) -> list[tuple[Feature, float]]:
    """The left/right asymmetry measures the app shows (signed catalogue features with a normal
    range; the frontal ones left out of a side view, as in the clinical text) with their medians."""
    from scoliscreen.core.kinematics.catalogue import FEATURES as CATALOGUE
    from scoliscreen.core.kinematics.text import FRONTAL

    km = analysis.get("knowledge_map")
    medians = km.get("medians") if isinstance(km, Mapping) else None
    if not isinstance(medians, Mapping):
        return []
    side = isinstance(km, Mapping) and km.get("view") == "side"
    out = []
    for f in CATALOGUE:
        if not (f.signed and f.normal_range) or (side and f.name in FRONTAL):
            continue
        v = _num(medians.get(f.name))
        if v is not None:
            out.append((f, v))
    return out


class _Builder:
    def __init__(self) -> None:
        self.entries: list[dict] = []

    def add(self, resource: dict) -> str:
        full = f"urn:uuid:{uuid.uuid4()}"
        resource = {**resource, "id": full.rsplit(":", 1)[1]}
        self.entries.append({"fullUrl": full, "resource": resource})
        return full


def _observation(code: dict, patient: str, device: str, when: str, **value: object) -> dict:
    return {"resourceType": "Observation", "status": "final",
            "category": [_cc(CATEGORY, "exam", "Exam")], "code": code,
            "subject": _ref(patient), "effectiveDateTime": when, "device": _ref(device), **value}


def _visit_resources(b: _Builder, visit: VisitExport, pdf: bytes | None) -> None:
    when = _when(visit.visited_at)
    patient: dict = {"resourceType": "Patient",
                     "identifier": [{"system": PSEUDONYMS, "value": visit.pseudonym}]}
    if visit.birth_year:
        patient["birthDate"] = f"{visit.birth_year:04d}"
    patient["gender"] = GENDER.get((visit.sex or "").upper(), "other" if visit.sex else "unknown")
    p_ref = b.add(patient)
    s = visit.screening
    version = str(s.get("model_version") or "no model")
    device: dict = {"resourceType": "Device", "status": "active",
                    "deviceName": [{"name": "ScoliScreen gait-video scoliosis screening model", "type": "model-name"}],
                    "type": {"text": "Software: gait-video scoliosis screening model"},
                    "version": [{"value": version}],
                    "note": [{"text": f"{DISCLAIMER}. Model {version}."}]}
    prov = s.get("model_provenance")
    sha = visit.model_sha256 or (prov.get("weights_sha256") if isinstance(prov, Mapping) else None)
    if sha:
        device["identifier"] = [{"system": "urn:scoliscreen:model-weights-sha256", "value": str(sha)}]
    d_ref = b.add(device)
    results: list[str] = []

    def obs(code: str, display: str, **value: object) -> None:
        results.append(b.add(_observation(_cc(CODES, code, display), p_ref, d_ref, when, **value)))

    p = visit.number("probability")
    if p is not None:
        comp = []
        thr = visit.number("threshold")
        if thr is not None:
            comp.append({"code": _cc(CODES, "referral-threshold", "Referral threshold on P(Cobb >= 10 deg)"),
                         "valueQuantity": _qty(thr, "probability", "1")})
        obs("p-cobb-ge-10", "Probability of a Cobb angle of 10 degrees or more (model estimate)",
            valueQuantity=_qty(p, "probability", "1"), **({"component": comp} if comp else {}))
    cobb = visit.number("cobb_estimate")
    if cobb is not None:
        from scoliscreen.core.store_history import cobb_interval

        lo, hi = cobb_interval(dict(s))
        comp = []
        if lo is not None and hi is not None:
            comp.append({"code": _cc(CODES, "cobb-interval", "Interval of the Cobb angle estimate"),
                         "valueRange": {"low": _qty(lo, "deg", "deg"), "high": _qty(hi, "deg", "deg")}})
        obs("cobb-estimate", "Cobb angle estimate from gait (model estimate)",
            valueQuantity=_qty(cobb, "deg", "deg"), **({"component": comp} if comp else {}))
    from scoliscreen.core.report.visit import VERDICT_WORDS, verdict

    word = verdict(dict(visit.analysis))
    words = VERDICT_WORDS.get(word, (word.upper(), ""))
    listed = s.get("reasons")
    reasons = [r for r in listed if isinstance(r, Mapping)] if isinstance(listed, list) else []
    quality = visit.analysis.get("quality")
    if isinstance(quality, Mapping) and quality.get("usable") is False and isinstance(quality.get("reasons"), list):
        reasons += [r for r in quality["reasons"] if isinstance(r, Mapping) and r.get("level") == "refuse"]
    comp = [{"code": _cc(CODES, "reason", "Reason for the outcome"),
             "valueCodeableConcept": _cc(REASONS, str(r.get("code")), str(r.get("message") or r.get("code")))}
            for r in reasons if r.get("code")]
    obs("screening-outcome", "Screening outcome label",
        valueCodeableConcept=_cc(CODES, word.replace(" ", "-"), words[0].capitalize()),
        **({"component": comp} if comp else {}))
    for f, v in shown_measures(visit.analysis):
        code, unit = UNITS.get(f.unit, ("1", f.unit))
        assert f.normal_range is not None  # shown_measures keeps those with a range
        lo, hi = f.normal_range
        extra: dict = {"referenceRange": [{"low": _qty(lo, unit, code), "high": _qty(hi, unit, code),
                                           "text": "normal range (ScoliScreen feature catalogue)"}]}
        pct = percentile(visit.analysis, f.name)
        if pct is not None:
            extra["component"] = [{"code": _cc(CODES, "healthy-norm-percentile", "Percentile among healthy children"),
                                   "valueQuantity": _qty(pct, "%", "%")}]
        results.append(b.add(_observation(_cc(FEATURES, f.name, f.description[:200]), p_ref, d_ref, when,
                                          valueQuantity=_qty(v, unit, code), **extra)))
    for row in visit.outcomes:
        outcome = _outcome(row, p_ref, d_ref, when)
        if outcome is not None:
            results.append(b.add(outcome))
    report: dict = {"resourceType": "DiagnosticReport", "status": "final",
                    "code": _cc(CODES, "gait-scoliosis-screening", "Gait-video scoliosis screening"),
                    "subject": _ref(p_ref), "effectiveDateTime": when,
                    "issued": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "result": [_ref(r) for r in results],
                    "conclusion": f"{words[0]}. {DISCLAIMER}. Model {version}."}
    if pdf is not None:
        report["presentedForm"] = [{"contentType": "application/pdf", "data": base64.b64encode(pdf).decode("ascii"),
                                    "title": f"ScoliScreen visit report ({visit.pseudonym}, {visit.visit_date})",
                                    "size": len(pdf)}]
    b.add(report)


def _outcome(row: Mapping[str, object], patient: str, device: str, when: str) -> dict | None:
    """A recorded clinical outcome (the store's ``outcomes`` table, where there is one: ``source``
    radiograph/scoliometer/adams/clinical, ``cobb``, ``atr``, ``class``, ``observed_on``): coded
    and numeric fields only; free text (``note``), the ``author`` and any path never leave."""
    if row.get("removed_at"):
        return None
    comp = []
    for key, value in row.items():
        if key in _OUTCOME_SKIP or key.endswith("id") or value in (None, ""):
            continue
        num = _num(value) if not isinstance(value, str) else None
        label = _OUTCOME_LABELS.get(key, key.replace("_", " "))
        if num is not None:
            deg = key in ("cobb", "atr") or "cobb" in key or key.endswith("_deg")
            comp.append({"code": _cc(CODES, f"outcome-{key}", label),
                         "valueQuantity": _qty(num, "deg", "deg") if deg else _qty(num, "1", "1")})
        elif isinstance(value, str) and (key in ("source", "class") or key.endswith(_OUTCOME_CODED)) \
                and len(value) <= _MAX_OUTCOME_TEXT:
            comp.append({"code": _cc(CODES, f"outcome-{key}", label), "valueCodeableConcept": {"text": value}})
    if not comp:
        return None
    date = row.get("observed_on") or row.get("observed_at") or row.get("date")
    obs = _observation(_cc(CODES, "recorded-outcome", "Recorded clinical outcome"), patient, device,
                       _when(str(date)) if date else when, component=comp)
    obs["valueString"] = "; ".join(f"{c['code']['text']}: "
                                   + (str(c["valueQuantity"]["value"]) if "valueQuantity" in c
                                      else str(c["valueCodeableConcept"]["text"])) for c in comp)
    return obs


def bundle_dict(visits: Iterable[tuple[VisitExport, bytes | None]]) -> dict:
    """The Bundle (type collection) as a validated JSON-ready dict."""
    b = _Builder()
    for visit, pdf in visits:
        _visit_resources(b, visit, pdf)
    doc = {"resourceType": "Bundle", "type": "collection",
           "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"), "entry": b.entries}
    validate(doc)
    return doc


def validate(doc: Mapping[str, object]) -> object:
    """Parse ``doc`` with fhir.resources' R4B Bundle model (raises on any invalid element)."""
    output.require("fhir.resources", "fhir")
    from fhir.resources.R4B.bundle import Bundle

    return Bundle.model_validate(dict(doc))


def write_fhir(visits: Iterable[tuple[VisitExport, bytes | None]], out: str | Path) -> Path:
    return output.write_text(out, json.dumps(bundle_dict(visits), indent=1, ensure_ascii=False))
