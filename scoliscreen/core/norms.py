"""Healthy norms of the shown asymmetry measures, from real adult walkers (CMU training subjects).

For each measure the clinical text states (``SHOWN``), per view (front / back): the
distribution of the clip median (``km.median(name)``) over the CMU training subjects' real
walks, filmed as world M films them (pinhole camera, the pose-error model fitted on real
MediaPipe output) with **no injected asymmetry**: median, robust SD (1.4826 x MAD), the 90th
and 97th percentiles of the absolute value, a percentile grid of |value| for look-ups, and the
measurement's own test-retest SD (the same walk filmed again: another camera and pose noise).
Built by ``benchmarks/healthy_norms.py --write`` into ``core/sim/data/healthy_norms.json``;
the reserved CMU subjects are never used (the builder asserts it, a test checks the file).

The walkers are **adults** (CMU), the children screened are not: every sentence says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NORMS_PATH = Path(__file__).resolve().parent / "sim" / "data" / "healthy_norms.json"
SHOWN: tuple[str, ...] = ("shoulder_pelvis_tilt_deg", "shoulder_tilt_deg", "pelvic_height_diff",
                          "trunk_lateral_shift", "arm_swing_asym_pct", "step_time_asym_pct")
WORDS = {"shoulder_pelvis_tilt_deg": "shoulder tilt relative to the pelvis", "shoulder_tilt_deg": "shoulder tilt",
         "pelvic_height_diff": "pelvic height difference", "trunk_lateral_shift": "trunk shift",
         "arm_swing_asym_pct": "arm-swing asymmetry", "step_time_asym_pct": "step-time asymmetry"}
GRID = tuple(range(1, 100))  # percentiles of |value| stored for look-ups


@dataclass(frozen=True)
class Norm:
    measure: str
    view: str
    n_clips: int
    n_subjects: int
    median: float
    robust_sd: float
    abs_p90: float
    abs_p97: float
    retest_sd: float
    abs_grid: tuple[float, ...]  # |value| at GRID percentiles

    def percentile(self, value: float) -> float:
        """Percentile (0-100) of |value| among the healthy walkers' |values|."""
        grid = np.asarray(self.abs_grid)
        return float(np.interp(abs(value), grid, np.asarray(GRID, float), left=0.0, right=100.0))


@dataclass(frozen=True)
class HealthyNorms:
    norms: dict[tuple[str, str], Norm]
    subjects: tuple[int, ...]
    source: str

    def get(self, measure: str, view: str) -> Norm | None:
        return self.norms.get((measure, view))

    def describe(self, measure: str, value: float, view: str) -> str | None:
        """E.g. "shoulder tilt: 96th percentile of healthy adult walkers (± 9 from re-filming)"."""
        n = self.get(measure, view)
        if n is None or not np.isfinite(value):
            return None
        p = n.percentile(value)
        lo, hi = n.percentile(abs(value) - n.retest_sd), n.percentile(abs(value) + n.retest_sd)
        return (f"{WORDS.get(measure, measure)}: {_ordinal(p)} percentile of healthy adult walkers "
                f"({_ordinal(lo)}-{_ordinal(hi)} within the measurement's test-retest noise; "
                f"{n.n_subjects} adults, {view} view)")


def _ordinal(p: float) -> str:
    k = int(np.clip(round(p), 0, 100))
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


_CACHE: dict[str, HealthyNorms] = {}


def load_norms(path: Path = NORMS_PATH) -> HealthyNorms | None:
    """The bundled norms, or None where the file is absent."""
    key = str(path)
    if key not in _CACHE:
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        norms = {(r["measure"], r["view"]): Norm(r["measure"], r["view"], int(r["n_clips"]), int(r["n_subjects"]),
                                                 float(r["median"]), float(r["robust_sd"]), float(r["abs_p90"]),
                                                 float(r["abs_p97"]), float(r["retest_sd"]), tuple(r["abs_grid"]))
                 for r in data["norms"]}
        _CACHE[key] = HealthyNorms(norms, tuple(int(s) for s in data["subjects"]), data.get("source", ""))
    return _CACHE[key]


def summarise(values: np.ndarray, retest_sd: float, measure: str, view: str, n_subjects: int) -> dict:
    """One norm row from the clip medians of healthy walkers."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    med = float(np.median(v))
    a = np.abs(v)
    return {"measure": measure, "view": view, "n_clips": int(v.size), "n_subjects": int(n_subjects),
            "median": round(med, 4), "robust_sd": round(float(1.4826 * np.median(np.abs(v - med))), 4),
            "abs_p90": round(float(np.percentile(a, 90)), 4), "abs_p97": round(float(np.percentile(a, 97)), 4),
            "retest_sd": round(float(retest_sd), 4),
            "abs_grid": [round(float(x), 4) for x in np.percentile(a, GRID)]}


OUTSIDE_PERCENTILE = 90.0
"""A shown measure at or above this percentile of the healthy walkers is "outside healthy norms"."""


@dataclass(frozen=True)
class Comparison:
    measure: str
    words: str  # plain name ("shoulder tilt")
    value: float
    percentile: float
    low: float  # percentile range within the measurement's test-retest noise
    high: float
    outside: bool  # at or above OUTSIDE_PERCENTILE
    sentence: str  # HealthyNorms.describe


def compare(medians: dict, view: str | None) -> list[Comparison]:
    """The shown measures of a clip (its knowledge-map medians) placed among the healthy adult
    walkers of the same view, highest percentile first; empty without norms for the view."""
    norms = load_norms()
    if norms is None or view not in ("front", "back"):
        return []
    out = []
    for measure in SHOWN:
        value = medians.get(measure)
        n = norms.get(measure, str(view))
        if value is None or n is None or not np.isfinite(float(value)):
            continue
        v = float(value)
        p = n.percentile(v)
        lo, hi = n.percentile(abs(v) - n.retest_sd), n.percentile(abs(v) + n.retest_sd)
        text = norms.describe(measure, v, str(view)) or ""
        out.append(Comparison(measure, WORDS.get(measure, measure), v, p, lo, hi, p >= OUTSIDE_PERCENTILE, text))
    return sorted(out, key=lambda c: -c.percentile)


def plain_summary(medians: dict, view: str | None) -> list[str]:
    """Sentences a parent can read: which shown measures lie outside healthy norms (at or above
    the 90th percentile of healthy adult walkers), or that none does; why there is no comparison."""
    if view not in ("front", "back"):
        return [f"No comparison with healthy walkers: the norms exist for front and back views, this walk was "
                f"filmed {'from the side' if view == 'side' else 'from an undetermined angle'}."]
    rows = compare(medians, view)
    norms = load_norms()
    if not rows or norms is None:
        return ["No comparison with healthy walkers for this walk (the measures could not be computed)."]
    n = max(r.n_subjects for r in norms.norms.values())
    out = [f"Compared with {n} healthy adult walkers filmed the same way (adults: children's norms may differ):"]
    outside = [r for r in rows if r.outside]
    if not outside:
        out.append("every measure shown lies within the range of healthy walkers (below their 90th percentile).")
    out += [f"outside healthy norms: {r.sentence}." for r in outside]
    return out
