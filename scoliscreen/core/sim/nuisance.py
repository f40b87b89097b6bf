"""Nuisance variables of every simulated world, drawn exactly as ``simulate_dataset`` draws
them but without rendering a body (``tests/test_sim_nuisance.py``, ``benchmarks/sim_worlds.py``).
None of them may predict the label (issue 9); sex is the one cited exception."""

from __future__ import annotations

import numpy as np

from scoliscreen.core.sim.generate import _subject_seeds, clip_streams, subject_id, subject_plan
from scoliscreen.core.sim.params import sample_clip_params
from scoliscreen.core.sim.world_b import clip_setup_b
from scoliscreen.core.sim.world_c import clip_setup_c
from scoliscreen.core.sim.world_m import clip_setup_m
from scoliscreen.core.sim.world_r import clip_setup_r

NOT_NUISANCE = ("label", "sex_f", "height")


def _table_a(world: str, subject, plan) -> list[dict]:
    rows = []
    for view, rng in plan:
        if world == "B":
            c, *_ = clip_setup_b(subject, rng, view)
        else:
            setup, _, _ = clip_streams(rng)
            c = sample_clip_params(setup, subject, view=view)
        rows.append({
            "fps": c.fps, "pixels": float(c.width * c.height), "portrait": float(c.height > c.width),
            "duration": c.duration_s, "camera_height": c.camera_height_m, "camera_roll": c.camera_roll_deg,
            "near_distance": c.near_distance_m / subject.height_m, "vfov": c.vfov_deg, "noise": c.noise_rel,
            "dropout": c.dropout_rate, "shoulder_width": subject.shoulder_width, "hip_width": subject.hip_width,
            "leg_scale": subject.leg_scale, "arm_scale": subject.arm_scale,
        })
    return rows


def _table_c(subject, plan) -> list[dict]:
    rows = []
    for view, rng in plan:
        c, *_ = clip_setup_c(subject, rng, view)
        H = subject.height_m
        rows.append({
            "fps": c.fps, "pixels": float(c.width * c.height), "portrait": float(c.height > c.width),
            "duration": c.duration_s, "camera_height": c.height_m, "camera_roll": c.roll_deg,
            "near_distance": c.near_m / H, "focal": c.focal_px / max(c.width, c.height), "distortion": c.k1,
            "heading": c.heading_deg, "handheld": float(c.handheld), "shake": c.shake_deg,
            "shoulder_width": subject.shoulder_half / H, "hip_width": subject.hip_half / H,
            "leg_scale": subject.hip_height / H, "arm_scale": (subject.upper_arm + subject.forearm) / H,
            "trunk": subject.trunk_len / H, "head": subject.head_size / H,
        })
    return rows


def _table_r(subject, plan) -> list[dict]:
    rows = []
    for view, rng in plan:
        c = clip_setup_r(subject, rng, view)
        rows.append({
            "fps": c["fps"], "pixels": float(c["width"] * c["height"]), "portrait": float(c["height"] > c["width"]),
            "duration": c["duration_s"], "stride": c["stride_s"], "leg_stretch": c["leg_stretch"],
            "near_fraction": c["near_fraction"], "near_distance": c["near_m"] / subject.height_m,
            "lateral": c["lateral"], "heading": c["heading_deg"], "camera_roll": c["roll_deg"],
            "source": float(subject.source), "mirrored": float(subject.mirrored),
            "shoulder_width": subject.shoulder_scale, "hip_width": subject.hip_scale,
            "leg_scale": subject.leg_scale, "arm_scale": subject.arm_scale,
        })
    return rows


def _table_m(subject, plan) -> list[dict]:
    rows = []
    for view, rng in plan:
        c = clip_setup_m(subject, rng, view)
        rows.append({
            "fps": c["fps"], "pixels": float(c["width"] * c["height"]), "portrait": float(c["height"] > c["width"]),
            "duration": c["duration_s"], "near_fraction": c["near_fraction"], "near_distance": c["near_m"],
            "camera_height": c["camera_height_m"], "lateral": c["lateral"], "heading": c["heading_deg"],
            "camera_roll": c["roll_deg"], "source": float(subject.source), "mirrored": float(subject.mirrored),
            "shoulder_width": subject.shoulder_scale, "hip_width": subject.hip_scale,
            "leg_scale": subject.leg_scale, "arm_scale": subject.arm_scale,
        })
    return rows


def nuisance_table(world: str, subjects: int = 3000, seed: int = 7, clips: int = 2) -> dict[str, np.ndarray]:
    """Label, sex, height and every nuisance variable of ``subjects`` x ``clips`` clips of
    ``world``, one row per clip, drawn exactly as ``simulate_dataset`` draws them."""
    rows = []
    for i, sseed in enumerate(_subject_seeds(seed, subjects), start=1):
        subject, plan = subject_plan(sseed, subject_id(seed, i, world), clips, world)
        clip_rows = (_table_c(subject, plan) if world == "C" else _table_r(subject, plan) if world == "R"
                     else _table_m(subject, plan) if world == "M" else _table_a(world, subject, plan))
        for k, ((view, _), extra) in enumerate(zip(plan, clip_rows)):
            rows.append({
                "label": subject.label, "sex_f": float(subject.sex == "F"), "age": subject.age,
                "height": subject.height_m, "first_view_back": float(view == "back") if k == 0 else np.nan,
                "view_back": float(view == "back"), **extra,
            })
    return {k: np.array([r[k] for r in rows], float) for k in rows[0]}


def nuisance_aucs(table: dict[str, np.ndarray]) -> dict[str, float]:
    """ROC-AUC of each nuisance variable against the label (constant columns left out)."""
    out = {}
    for name, x in table.items():
        ok = np.isfinite(x)
        if name in NOT_NUISANCE or np.std(x[ok]) == 0:
            continue
        out[name] = auc(table["label"][ok] > 0, x[ok])
    return out


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC by ranks (Mann-Whitney U), ties shared."""
    from scipy.stats import rankdata

    y = np.asarray(y, bool)
    r = rankdata(score)
    n1, n0 = int(y.sum()), int((~y).sum())
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)) if n1 and n0 else float("nan")
