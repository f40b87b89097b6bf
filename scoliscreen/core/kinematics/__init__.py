"""Clinical-prior kinematic knowledge map and clinical text (issue 3).

From a pose sequence: a time-aligned map of clinically meaningful kinematic features grouped
by body region (self-skeleton, motion and signal cross-correlation spaces, as in ScoliGait),
a robust per-clip summary, and a deterministic plain-language description of it.

    from scoliscreen.core.kinematics import compute_knowledge_map, clinical_text
    km = compute_knowledge_map(seq)      # km.values [W, F], km.summary [S]
    print(clinical_text(km, notes="...").text)

The catalogue (``FEATURES``) is the single definition of every feature; see
docs/knowledge_map.md (generated from it).
"""

from scoliscreen.core.kinematics.catalogue import (
    ASSUMED_TRUNK_CM, CONTEXT_FRAMES, FEATURE_INDEX, FEATURE_NAMES, FEATURES, HOP_FRAMES,
    WINDOW_FRAMES, Feature, catalogue_markdown,
)
from scoliscreen.core.kinematics.knowledge_map import (
    FEATURE_REGION_INDEX, SUMMARY_NAMES, KnowledgeMap, compute_knowledge_map,
)
from scoliscreen.core.kinematics.text import ClinicalText, clinical_text

__all__ = [
    "ASSUMED_TRUNK_CM", "CONTEXT_FRAMES", "FEATURES", "FEATURE_INDEX", "FEATURE_NAMES",
    "FEATURE_REGION_INDEX", "HOP_FRAMES", "SUMMARY_NAMES", "WINDOW_FRAMES", "ClinicalText",
    "Feature", "KnowledgeMap", "catalogue_markdown", "clinical_text", "compute_knowledge_map",
]
