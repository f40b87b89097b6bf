"""The knowledge map: [time windows x features] plus a per-clip summary vector.

``compute_knowledge_map(seq)`` resamples to 30 fps, puts the landmarks in body coordinates
(``geometry``), derives per-frame signals (``skeleton_space``) and evaluates every catalogue
feature per window of ``WINDOW_FRAMES`` frames every ``HOP_FRAMES`` frames (96 frames -> 11
windows; a shorter clip -> 1 window). The summary holds, for every feature, the median over the
windows and the spread (interquartile range), the left/right asymmetry index of every per-side
feature pair, coverage fractions and the view; it is never NaN (a value that cannot be
computed is a neutral 0 and shows as low coverage).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scoliscreen.core.kinematics.catalogue import (
    FEATURE_INDEX, FEATURES, HOP_FRAMES, WINDOW_FRAMES, Feature,
)
from scoliscreen.core.kinematics.geometry import body_frame, nanquantile, window_starts
from scoliscreen.core.kinematics.motion_space import asymmetry_pct, motion_features
from scoliscreen.core.kinematics.skeleton_space import frame_signals, skeleton_features
from scoliscreen.core.kinematics.xcorr_space import xcorr_features
from scoliscreen.core.landmarks import REGION_IDS
from scoliscreen.core.constants import TARGET_FPS
from scoliscreen.core.sequence import PoseSequence

VIEWS = ("front", "back", "side", "unknown")
# per-side feature pairs (left name, right name, base) for the summary asymmetry indices
SIDE_PAIRS: tuple[tuple[str, str, str], ...] = tuple(
    (f.name, f.mirror, f.name[len("left_"):])
    for f in FEATURES
    if f.name.startswith("left_") and f.mirror.startswith("right_")
)


def _summary_names() -> tuple[str, ...]:
    names = [f"{f.name}.median" for f in FEATURES] + [f"{f.name}.iqr" for f in FEATURES]
    names += [f"asym.{base}" for _, _, base in SIDE_PAIRS]
    names += ["coverage.frames", "coverage.values"] + [f"coverage.{r}" for r in REGION_IDS]
    names += [f"view.{v}" for v in VIEWS[:3]]
    return tuple(names)


SUMMARY_NAMES: tuple[str, ...] = _summary_names()
SUMMARY_INDEX: dict[str, int] = {n: i for i, n in enumerate(SUMMARY_NAMES)}
FEATURE_REGION_INDEX: np.ndarray = np.array([REGION_IDS.index(f.region) for f in FEATURES], dtype=np.int64)


@dataclass
class KnowledgeMap:
    values: np.ndarray  # float32 [W, F], NaN where not computable
    features: tuple[Feature, ...]
    window_start: np.ndarray  # int64 [W], frame index in the 30-fps sequence
    window_times_s: np.ndarray  # float64 [W], window centre, s from the sequence start
    summary: np.ndarray  # float32 [S], never NaN
    summary_names: tuple[str, ...]
    view: str  # "front" / "back" / "side" / "unknown"
    fps: float = TARGET_FPS
    n_frames: int = 0  # frames of the 30-fps sequence
    meta: dict = field(default_factory=dict)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    @property
    def feature_region_index(self) -> np.ndarray:
        """int [F]: index in ``REGION_IDS`` of each feature's region."""
        return FEATURE_REGION_INDEX.copy()

    @property
    def n_windows(self) -> int:
        return int(self.values.shape[0])

    def feature(self, name: str) -> np.ndarray:
        """[W] per-window values of one feature."""
        return self.values[:, FEATURE_INDEX[name]]

    def summary_value(self, name: str) -> float:
        return float(self.summary[SUMMARY_INDEX[name]])

    def median(self, name: str) -> float:
        """Clip median of a feature (0 where never computable; see ``coverage``)."""
        return self.summary_value(f"{name}.median")

    def coverage(self, name: str) -> float:
        """Fraction of windows where a feature could be computed."""
        return float(np.isfinite(self.feature(name)).mean()) if self.n_windows else 0.0

    def to_dict(self) -> dict:
        """Compact JSON-able form for records and reports: view, window times and the clip
        median of every feature (None where never computable)."""
        return {
            "view": self.view, "n_windows": self.n_windows, "n_features": len(self.features),
            "window_times_s": [round(float(t), 3) for t in self.window_times_s],
            "medians": {n: (round(self.median(n), 5) if self.coverage(n) > 0 else None)
                        for n in self.feature_names},
        }

    def write_csv(self, path: str | Path) -> Path:
        """Per-window matrix as CSV (window, start_frame, time_s, one column per feature); atomic."""
        from scoliscreen.core.fileio import atomic_writer

        path = Path(path)
        with atomic_writer(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["window", "start_frame", "time_s", *self.feature_names])
            for i in range(self.n_windows):
                row = ["" if not np.isfinite(v) else f"{v:.6g}" for v in self.values[i]]
                w.writerow([i, int(self.window_start[i]), f"{self.window_times_s[i]:.4f}", *row])
        return path


def _summary(values: np.ndarray, detected_frac: float, view: str) -> np.ndarray:
    q = nanquantile(values, [0.25, 0.5, 0.75], axis=0, min_count=1)  # [3, F]
    med, iqr = q[1], q[2] - q[0]
    asym = [asymmetry_pct(med[FEATURE_INDEX[l]], med[FEATURE_INDEX[r]]) for l, r, _ in SIDE_PAIRS]
    finite = np.isfinite(values)
    cov_regions = [finite[:, FEATURE_REGION_INDEX == i].mean() for i in range(len(REGION_IDS))]
    views = [1.0 if view == v else 0.0 for v in VIEWS[:3]]
    s = np.concatenate([med, iqr, np.asarray(asym, dtype=np.float64).reshape(-1),
                        [detected_frac, finite.mean()], cov_regions, views])
    return np.nan_to_num(s, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def compute_knowledge_map(seq: PoseSequence) -> KnowledgeMap:
    """The knowledge map of a pose sequence (any fps; resampled to 30 fps by timestamp)."""
    seq30 = seq.resampled(TARGET_FPS) if len(seq) else seq
    T = len(seq30)
    starts = window_starts(T, WINDOW_FRAMES, HOP_FRAMES)
    body = body_frame(seq30)
    signals = frame_signals(body)
    values = np.full((len(starts), len(FEATURES)), np.nan)
    for space, fn in (
        ("skeleton", lambda fs: skeleton_features(fs, signals, starts, WINDOW_FRAMES)),
        ("motion", lambda fs: motion_features(fs, body, signals, starts)),
        ("xcorr", lambda fs: xcorr_features(fs, signals, starts, TARGET_FPS)),
    ):
        idx = [i for i, f in enumerate(FEATURES) if f.space == space]
        values[:, idx] = fn([FEATURES[i] for i in idx])
    values[~np.isfinite(values)] = np.nan
    n_in = np.minimum(WINDOW_FRAMES, np.maximum(T - starts, 1))
    times = (starts + (n_in - 1) / 2.0) / TARGET_FPS
    detected = float(seq30.detected.mean()) if T else 0.0
    return KnowledgeMap(
        values=values.astype(np.float32),
        features=FEATURES,
        window_start=starts.astype(np.int64),
        window_times_s=times.astype(np.float64),
        summary=_summary(values, detected, body.view),
        summary_names=SUMMARY_NAMES,
        view=body.view,
        fps=TARGET_FPS,
        n_frames=T,
        meta={"source": seq.meta.get("source", ""), "trunk_px": float(np.nanmedian(body.scale_px))
              if np.isfinite(body.scale_px).any() else 0.0},
    )
