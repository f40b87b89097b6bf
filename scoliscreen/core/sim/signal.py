"""Is the scoliosis signal in simulated data there, but weak? Correlate asymmetry summaries with Cobb.

The knowledge map (``scoliscreen.core.kinematics``) is the reference: its per-clip summary
features of signed left/right asymmetries are correlated with the Cobb angle. A quick,
independent computation of the same clinical asymmetries (``quick_asymmetry``) serves as a
cross-check of the map. The literature reports r ~ 0.4-0.6 between photographic asymmetry
and Cobb: the strongest single-feature |r| should land in a plausible band, not near 0
(no signal) nor near 1 (a give-away no real recording has).
"""

from __future__ import annotations

import numpy as np

from scoliscreen.core.landmarks import MP
from scoliscreen.core.sequence import PoseSequence


def _pts(seq: PoseSequence, name: str) -> np.ndarray:
    return seq.pixels()[:, MP[name]].astype(np.float64)


def quick_asymmetry(seq: PoseSequence) -> dict[str, float]:
    """Clip medians of clinical asymmetries in the body's own frame; + = the subject's right
    higher / further out (the knowledge-map convention). Angles in degrees, offsets in trunk lengths."""
    P = {n: _pts(seq, n) for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_ankle",
                                  "right_ankle", "left_ear", "right_ear", "left_wrist", "right_wrist")}
    hip = 0.5 * (P["left_hip"] + P["right_hip"])
    sho = 0.5 * (P["left_shoulder"] + P["right_shoulder"])
    ank = 0.5 * (P["left_ankle"] + P["right_ankle"])
    up = np.nanmedian(hip - ank, axis=0)  # the body's own vertical (cancels camera roll), in pixels
    up = up / (np.linalg.norm(up) or 1.0)
    up = -up if np.dot(up, np.nanmedian(sho - hip, axis=0)) < 0 else up
    # body "right" axis: perpendicular to up, oriented from the left to the right shoulder
    side = np.array([up[1], -up[0]])
    if np.dot(side, np.nanmedian(P["right_shoulder"] - P["left_shoulder"], axis=0)) < 0:
        side = -side
    trunk = np.linalg.norm(np.nanmedian(sho - hip, axis=0)) or 1.0

    def tilt(a, b):  # angle of line left->right; + = right end higher (towards 'up')
        d = P[b] - P[a]
        return np.degrees(np.arctan2(d @ up, d @ side))

    def med(x):
        return float(np.nanmedian(x)) if np.isfinite(x).any() else 0.0

    sh_tilt, pel_tilt, head = tilt("left_shoulder", "right_shoulder"), tilt("left_hip", "right_hip"), tilt("left_ear", "right_ear")
    shift = ((sho - hip) @ side) / trunk
    lean = np.degrees(np.arctan2((sho - hip) @ side, (sho - hip) @ up))
    flank_r = np.linalg.norm(P["right_shoulder"] - P["right_hip"], axis=1)
    flank_l = np.linalg.norm(P["left_shoulder"] - P["left_hip"], axis=1)
    gap_r = ((P["right_wrist"] - P["right_hip"]) @ side) / trunk
    gap_l = ((P["left_hip"] - P["left_wrist"]) @ side) / trunk
    swing_r = np.nanstd((P["right_wrist"] - P["right_shoulder"]) @ up)
    swing_l = np.nanstd((P["left_wrist"] - P["left_shoulder"]) @ up)
    return {
        "shoulder_tilt_deg": med(sh_tilt),
        "pelvic_obliquity_deg": med(pel_tilt),
        "shoulder_pelvis_tilt_deg": med(sh_tilt - pel_tilt),
        "head_tilt_deg": med(head),
        "trunk_lateral_shift": med(shift),
        "trunk_lateral_lean_deg": med(lean),
        "waist_asymmetry_pct": med(100 * (flank_r - flank_l) / (0.5 * (flank_r + flank_l))),
        "arm_trunk_gap_diff": med(gap_r - gap_l),
        "arm_swing_asymmetry": float((swing_r - swing_l) / max(swing_r + swing_l, 1e-9)),
    }


def knowledge_map_asymmetry(seq: PoseSequence) -> dict[str, float]:
    """The knowledge map's asymmetry summaries: the clip median of every signed left/right
    feature (``<name>.median``) and the left/right asymmetry indices (``asym.<base>``)."""
    from scoliscreen.core.kinematics import compute_knowledge_map

    km = compute_knowledge_map(seq)
    keep = {f"{f.name}.median" for f in km.features if getattr(f, "signed", False)}
    out = {}
    for name, value in zip(km.summary_names, np.asarray(km.summary, dtype=float)):
        if name in keep or name.startswith("asym."):
            out[name] = float(value)
    return out


def correlations(rows: list[dict[str, float]], cobb: np.ndarray) -> dict[str, float]:
    """Pearson r of each feature with Cobb, for the signed value and its magnitude (``|name|``)."""
    names = sorted(set().union(*[r.keys() for r in rows])) if rows else []
    out = {}
    for name in names:
        x = np.array([r.get(name, np.nan) for r in rows], dtype=float)
        ok = np.isfinite(x)
        if ok.sum() < 10:
            continue
        for label, v in ((name, x[ok]), (f"|{name}|", np.abs(x[ok]))):
            if np.std(v) > 1e-12:
                out[label] = float(np.corrcoef(v, cobb[ok])[0, 1])
    return out


def signal_check(subjects: int = 300, seed: int = 1, source: str = "kinematics", keep_rows: bool = False,
                 world: str = "A") -> dict:
    """Simulate one clip per subject of ``world`` and correlate asymmetry summaries with Cobb.

    ``source``: "kinematics" (the knowledge map) or "quick" (``quick_asymmetry``). Returns
    ``{"source", "n", "r": {feature: r}, "best": (feature, r)}``; with ``keep_rows`` also
    ``"X"`` [subjects, features] (magnitudes and signed values), ``"names"`` and ``"cobb"``.
    """
    from scoliscreen.core.sim.generate import subject_id
    from scoliscreen.core.sim.worlds import sampler, simulate_clip_in

    compute = knowledge_map_asymmetry if source == "kinematics" else quick_asymmetry
    rows, cobb = [], []
    for i, s in enumerate(np.random.SeedSequence(seed).spawn(subjects)):
        sseed = int(s.generate_state(1)[0])
        subject = sampler(world)(np.random.default_rng(sseed), subject_id=subject_id(seed, i, world), seed=sseed)
        seq = simulate_clip_in(world, subject, np.random.default_rng([sseed, 1]), view="back" if i % 2 else "front")
        rows.append(compute(seq))
        cobb.append(subject.cobb_angle)
    r = correlations(rows, np.asarray(cobb))
    best = max(r.items(), key=lambda kv: abs(kv[1])) if r else ("", 0.0)
    out = {"source": source, "n": subjects, "r": r, "best": best}
    if keep_rows:
        names = sorted(set().union(*[row.keys() for row in rows]))
        x = np.nan_to_num(np.array([[row.get(n, np.nan) for n in names] for row in rows], dtype=float))
        out.update({"X": np.c_[x, np.abs(x)], "names": names + [f"|{n}|" for n in names], "cobb": np.asarray(cobb, float)})
    return out
