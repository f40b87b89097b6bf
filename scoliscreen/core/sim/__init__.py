"""Scoliotic-gait simulator: labelled pose sequences of adolescents walking (front / back view).

    from scoliscreen.core.sim import simulate_dataset, simulate_clip, SubjectParams, sample_subject

``simulate_dataset(out_dir, subjects, clips_per_subject, seed)`` writes ``poses/*.npz`` and a
``labels.csv`` in the dataset folder format (docs/dataset_format.md); ``simulate_clip(subject,
seed)`` returns one PoseSequence (world A). ``simulate_dataset(..., world="A"|"B"|"C"|"R")``
picks one of the family of world models (``worlds``). The models and their parameters:
docs/simulator.md.
"""

from scoliscreen.core.sim.generate import simulate_clip, simulate_dataset, summarize_rows
from scoliscreen.core.sim.params import (
    EFFECTS,
    POSITIVE_COBB,
    ClipParams,
    SubjectParams,
    sample_clip_params,
    sample_cobb,
    sample_subject,
)

__all__ = [
    "simulate_dataset", "simulate_clip", "summarize_rows", "SubjectParams", "ClipParams",
    "sample_subject", "sample_clip_params", "sample_cobb", "EFFECTS", "POSITIVE_COBB",
]
