"""Leave-one-world-out evaluation: train on the other simulated worlds, test on the held-out one.

For every world a subject-disjoint dataset is simulated once (cached in a work folder) and
turned into model inputs exactly as the app does (quality-gate segment, knowledge map over
every window of it, template text, skeleton maps: :func:`~scoliscreen.core.model.inputs.build_inputs`).
Each world is split by subject into train / validation / test parts. For a held-out world W:

* every variant (:data:`VARIANTS`) is trained on the *train* subjects of the other worlds
  (their mixture: domain randomisation over worlds);
* its Platt calibration and operating point (best specificity at sensitivity >= 0.85,
  :func:`~scoliscreen.core.model.train.choose_threshold`) come from the *validation* subjects
  of the training worlds only: nothing of W tunes anything;
* it is scored on every clip of W, and beside that on the *test* subjects of its own training
  worlds.

All variants are scored on the same clips, so :func:`paired_bootstrap` resamples held-out
*subjects* once per draw for all of them: CIs of each metric and of each difference.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from scoliscreen.core.constants import POSITIVE_COBB

if TYPE_CHECKING:
    from scoliscreen.core.model.inputs import DatasetInputs

# key, label, kind, features / (modalities, fusion)
VARIANTS: tuple[tuple, ...] = (
    ("lr_medians", "LR on the knowledge map's clip medians", "lr", "medians"),
    ("lr_side_blind", "LR on side-blind map features (magnitudes of signed and left-right asymmetries)", "lr", "side_blind"),
    ("asym_score", "clinical-prior score: equal-weight mean of the z-scored asymmetry magnitudes (no weights "
     "learned)", "score", "asymmetry"),
    ("lr_nuisance", "nuisance only: view, fps, resolution, good frames, sex, age, stature (LR)", "lr", "nuisance"),
    ("net_map", "network: knowledge map only", "net", (("map",), "latent")),
    ("net_video", "network: skeleton-map sequence only", "net", (("video",), "latent")),
    ("net_concat", "network: skeleton maps + map + template text, concat", "net",
     (("video", "map", "text"), "concat")),
    ("net_fused", "network: skeleton maps + map + template text, latent pooling (shipped design)", "net",
     (("video", "map", "text"), "latent")),
    ("net_fused_consistency", "network: the shipped design trained with consistency (train --consistency 5)",
     "net", (("video", "map", "text"), "latent", 5.0)),
)
METRICS = ("roc_auc", "macro_f1", "sensitivity", "specificity")


@dataclass
class WorldData:
    name: str
    inputs: DatasetInputs
    nuisance: np.ndarray  # [N, len(NUISANCE_COLUMNS)]
    provenance: dict
    views: np.ndarray  # str [N]


def world_dataset(world: str, subjects: int, clips: int, seed: int, root: Path) -> Path:
    """The simulated dataset folder of ``world`` (made once; reused when present)."""
    from scoliscreen.core.sim import simulate_dataset

    out = Path(root) / f"world{world}_n{subjects}_c{clips}_s{seed}"
    if not (out / "labels.csv").is_file():
        simulate_dataset(out, subjects, clips, seed=seed, world=world, overwrite=out.exists())
    return out


def load_world(world: str, folder: Path, progress=None) -> WorldData:
    """Model inputs (built as the app builds them; cached) and nuisance facts of a world's clips."""
    from scoliscreen.core.data import load_dataset
    from scoliscreen.core.model.baselines import nuisance_matrix
    from scoliscreen.core.model.inputs import build_inputs
    from scoliscreen.core.sim.generate import PROVENANCE_FILE

    ds = load_dataset(folder)
    inputs = build_inputs(ds, progress=progress)
    by_file = {}
    for r in ds.records:
        by_file[str(r.file)] = {**r.extra, "sex": r.sex, "age": r.age, "view": r.view}
    recs = [by_file.get(str(f), {}) for f in inputs.files]
    prov_file = Path(folder) / PROVENANCE_FILE
    prov = json.loads(prov_file.read_text()) if prov_file.is_file() else {}
    views = np.array([str(r.get("view") or "unknown") for r in recs])
    return WorldData(world, inputs, nuisance_matrix(recs, inputs.frame_valid), prov, views)


def combine(worlds: list[WorldData]):
    """One DatasetInputs over several worlds (+ the world index and nuisance rows of each sample)."""
    first = worlds[0].inputs
    arrays: dict = {}
    for f in dataclasses.fields(first):
        v = getattr(first, f.name)
        if isinstance(v, np.ndarray):
            arrays[f.name] = np.concatenate([getattr(w.inputs, f.name) for w in worlds])
    arrays["skipped"] = [s for w in worlds for s in w.inputs.skipped]
    inputs = dataclasses.replace(first, **arrays)
    world_of = np.concatenate([np.full(len(w.inputs), i) for i, w in enumerate(worlds)])
    return inputs, world_of, np.concatenate([w.nuisance for w in worlds])


def train_mixture(worlds: list[WorldData], out_dir, cfg, val_frac: float = 0.15, test_frac: float = 0.15,
                  progress=None) -> dict:
    """Train the shipped pipeline (``pipeline.train_pipeline``: split, early stopping, Platt,
    operating point, card) on the mixture of ``worlds``; returns the card."""
    from scoliscreen.core.model.pipeline import train_pipeline

    inputs, _, _ = combine(worlds)
    info = {"simulated": all(bool(w.provenance.get("simulated", True)) for w in worlds),
            "generator": "scoliscreen simulate (mixture of worlds)", "worlds": [w.name for w in worlds],
            "command": "; ".join(f"world {w.name}: {w.provenance.get('command', '?')} --world {w.name}"
                                 for w in worlds)}
    return train_pipeline(None, out_dir, cfg, val_frac, test_frac, progress=progress, inputs=inputs, dataset_info=info,
                          views=np.concatenate([w.views for w in worlds]))


def split_parts(inputs, world_of: np.ndarray, seed: int, val: float = 0.2, test: float = 0.2) -> np.ndarray:
    """Part of every sample: 0 train, 1 validation, 2 test (subject-disjoint inside each world)."""
    from scoliscreen.core.model.pipeline import grouped_split

    part = np.zeros(len(inputs), np.int64)
    for w in np.unique(world_of):
        idx = np.flatnonzero(world_of == w)
        y = np.where(inputs.cobb[idx] >= POSITIVE_COBB, POSITIVE_COBB, 0.0)
        _, va, te = grouped_split(inputs.subjects[idx], val, test, seed, y)
        part[idx[va]] = 1
        part[idx[te]] = 2
    return part


def _features(kind: str, inputs, nuisance: np.ndarray) -> np.ndarray:
    from scoliscreen.core.model.baselines import clip_medians, sign_invariant

    if kind == "medians":
        return clip_medians(inputs.km)
    if kind == "side_blind":
        return sign_invariant(inputs.km)
    if kind == "nuisance":
        return nuisance
    if kind == "asymmetry":
        from scoliscreen.core.model.baselines import asymmetry_magnitudes

        return asymmetry_magnitudes(inputs.km)
    raise ValueError(kind)


def fit_variant(spec: tuple, inputs, nuisance: np.ndarray, tr: np.ndarray, va: np.ndarray, cfg) -> Callable:
    """Train one variant; returns ``score(idx) -> log-odds`` (uncalibrated)."""
    key, _label, kind, what = spec
    if kind == "score":
        from scoliscreen.core.model.baselines import AsymmetryScore

        x = _features(what, inputs, nuisance)
        prior = AsymmetryScore.fit(x[tr])
        return lambda idx: prior.score(x[idx])
    if kind == "lr":
        from scoliscreen.core.model.baselines import LogisticModel

        x = _features(what, inputs, nuisance)
        y = inputs.cobb >= POSITIVE_COBB
        model = LogisticModel.fit_selected(x[tr], y[tr], x[va], y[va])
        return lambda idx: model.score(x[idx])
    from scoliscreen.core.model.train import fit, predict_arrays

    mods, fusion, *rest = what  # (modalities, fusion[, consistency weight])
    net, _ = fit(inputs, tr, va, dataclasses.replace(cfg, modalities=tuple(mods), fusion=fusion,
                                                    consistency=float(rest[0]) if rest else cfg.consistency))
    return lambda idx: predict_arrays(net, inputs, np.asarray(idx))["logit"]


def operating_point(score_val: np.ndarray, y_val: np.ndarray) -> tuple[float, float, float]:
    """(Platt a, b, threshold on the calibrated probability) from validation clips, as the
    shipped pipeline does it (``train.fit_platt`` + ``train.choose_threshold``)."""
    from scoliscreen.core.model.train import TARGET_SENSITIVITY, choose_threshold, fit_platt, sigmoid

    a, b = fit_platt(score_val, y_val)
    return a, b, choose_threshold(sigmoid(a * score_val + b), y_val, TARGET_SENSITIVITY)


REFERENCE_VARIANTS = ("lr_medians", "lr_side_blind")


def in_world_reference(inputs, nuisance: np.ndarray, mine: np.ndarray, part: np.ndarray, cfg, n_boot: int,
                       seed: int) -> dict:
    """What the same simple models reach when the held-out world *is* seen: trained on its own
    train subjects, operating point on its validation subjects, scored on its test subjects.
    A reference for the transfer figures (what these models reach on the world itself), not a
    transfer result and not a bound: a model with fewer learned weights can transfer better."""
    from scoliscreen.core.model.train import sigmoid

    y = inputs.cobb >= POSITIVE_COBB
    tr, va, te = (np.flatnonzero(mine & (part == k)) for k in (0, 1, 2))
    scores, preds = {}, {}
    for spec in (v for v in VARIANTS if v[0] in REFERENCE_VARIANTS):
        score = fit_variant(spec, inputs, nuisance, tr, va, cfg)
        a, b, thr = operating_point(score(va), y[va])
        p = sigmoid(a * score(te) + b)
        scores[spec[0]], preds[spec[0]] = p, p >= thr
    return paired_bootstrap(y[te], inputs.subjects[te], scores, preds, n_boot, seed)


def app_decisions(decision, raw: np.ndarray, y: np.ndarray, inputs, idx: np.ndarray, views: np.ndarray) -> dict:
    """The shipped model's answers as the app gives them (``Decision.reasons`` and
    ``Decision.label`` on its raw 10° logits ``raw``: no verdict (re-record or inconclusive) on a view without validated
    performance, few good frames, an out-of-distribution knowledge map, or a probability too
    near the threshold): the share deferred, why, and sensitivity, specificity and macro-F1 on
    the clips that got a verdict."""
    from scoliscreen.core.outcome_words import is_verdict

    labels: list[str] = []
    codes: dict[str, int] = {}
    for j, i in enumerate(idx):
        why = decision.reasons(float(raw[j]), str(views[j]), inputs.frame_valid[i], decision.ood_score(inputs.km[i]))
        labels.append(decision.label(float(raw[j]), why))
        for r in why:
            codes[r["code"]] = codes.get(r["code"], 0) + 1
    labels_a = np.array(labels, dtype=object)
    verdict = np.array([is_verdict(v) for v in labels_a], bool)
    out = {"n_clips": int(len(idx)), "deferred": float(1 - verdict.mean()) if len(idx) else 0.0,
           "reasons": codes, "n_verdicts": int(verdict.sum())}
    if verdict.any():
        out.update(_point(np.asarray(y, bool)[verdict], decision.calibrated(raw)[verdict],
                          labels_a[verdict] == "positive"))
    return out


def _point(y: np.ndarray, score: np.ndarray, pred: np.ndarray) -> dict:
    from scoliscreen.core.model.train import roc_auc

    tp, tn = (pred & y).sum(), (~pred & ~y).sum()
    fp, fn = (pred & ~y).sum(), (~pred & y).sum()
    f1p = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    f1n = 2 * tn / (2 * tn + fn + fp) if tn + fn + fp else 0.0
    return {"roc_auc": roc_auc(y, score), "macro_f1": float((f1p + f1n) / 2),
            "sensitivity": float(tp / max(1, y.sum())), "specificity": float(tn / max(1, (~y).sum()))}


def paired_bootstrap(y: np.ndarray, subjects: np.ndarray, scores: dict, preds: dict,
                     n_boot: int = 1000, seed: int = 0) -> dict:
    """Per variant: each metric with a 95 % CI; per metric: the best variant and the CI of its
    difference to every other one. One resample of *subjects* per draw serves all variants."""
    y = np.asarray(y, bool)
    uniq, inv = np.unique(np.asarray(subjects).astype(str), return_inverse=True)
    members = [np.flatnonzero(inv == i) for i in range(len(uniq))]
    keys = list(scores)
    point = {k: _point(y, scores[k], preds[k]) for k in keys}
    draws: dict[str, dict[str, list[float]]] = {k: {m: [] for m in METRICS} for k in keys}
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        idx = np.concatenate([members[i] for i in rng.integers(0, len(uniq), len(uniq))])
        if y[idx].all() or not y[idx].any():
            continue
        for k in keys:
            pm = _point(y[idx], scores[k][idx], preds[k][idx])
            for name in METRICS:
                draws[k][name].append(pm[name])
    out: dict = {"variants": {}, "paired": {}, "n_clips": int(len(y)), "n_subjects": int(len(uniq)),
                 "n_positive_clips": int(y.sum()), "n_boot": int(n_boot)}
    for k in keys:
        out["variants"][k] = {m: {"value": point[k][m], **_ci(draws[k][m])} for m in METRICS}
    for m in ("roc_auc", "macro_f1"):
        order = sorted(keys, key=lambda k: -point[k][m])
        best = order[0]
        diffs = {k: _ci(np.array(draws[best][m]) - np.array(draws[k][m])) for k in order[1:]}
        runner = order[1] if len(order) > 1 else None
        out["paired"][m] = {
            "best": best, "runner_up": runner, "diff_to_best": diffs,
            "winner": best if runner is not None and diffs[runner]["lo"] > 0 else None,
        }
    return out


def _ci(values) -> dict:
    arr = np.asarray(values, float)
    arr = arr[np.isfinite(arr)]
    if not len(arr):
        return {"lo": float("nan"), "hi": float("nan")}
    lo, hi = np.percentile(arr, [2.5, 97.5])
    return {"lo": float(lo), "hi": float(hi)}


def run_cross_world(worlds: list[WorldData], cfg, variants=VARIANTS, seed: int = 0, n_boot: int = 1000,
                    shipped=None, progress=None, held_out: list[str] | None = None) -> dict:
    """Leave each world out in turn; see the module doc. ``shipped``: (net, card, trained-on
    worlds, label) of the shipped model, scored as a reference (with its own calibration and
    operating point) where it did not see the held-out world. ``held_out``: only these folds.
    ``progress(message)`` is told what runs."""
    from scoliscreen.core.model.operating import roc_points
    from scoliscreen.core.model.train import sigmoid

    t0 = time.perf_counter()
    inputs, world_of, nuis = combine(worlds)
    part = split_parts(inputs, world_of, seed)
    y = inputs.cobb >= POSITIVE_COBB
    names = [w.name for w in worlds]
    views = np.concatenate([w.views for w in worlds])
    folds = []
    for h, held in enumerate(names):
        if len(names) < 2:
            break
        if held_out and held not in held_out:
            continue
        train_w = np.flatnonzero(world_of != h)
        tr, va = train_w[part[train_w] == 0], train_w[part[train_w] == 1]
        own = train_w[part[train_w] == 2]
        test = np.flatnonzero(world_of == h)
        res: dict = {"held_out": held, "trained_on": [n for n in names if n != held],
                     "train_clips": int(len(tr)), "val_clips": int(len(va)), "own_test_clips": int(len(own)),
                     "operating_points": {}, "seconds": {}}
        scores: dict = {}
        preds: dict = {}
        own_scores: dict = {}
        own_preds: dict = {}
        for spec in variants:
            t1 = time.perf_counter()
            if progress:
                progress(f"held out {held}: {spec[1]}")
            score = fit_variant(spec, inputs, nuis, tr, va, cfg)
            a, b, thr = operating_point(score(va), y[va])
            for idx, sc, pr in ((test, scores, preds), (own, own_scores, own_preds)):
                p = sigmoid(a * score(idx) + b)
                sc[spec[0]], pr[spec[0]] = p, p >= thr
            res["operating_points"][spec[0]] = {"platt_a": a, "platt_b": b, "threshold_at_train_prevalence": thr}
            res["seconds"][spec[0]] = round(time.perf_counter() - t1, 1)
        if shipped is not None and held not in shipped[2]:
            from scoliscreen.core.model.decision import Decision
            from scoliscreen.core.model.train import predict_arrays

            d = Decision.from_card(shipped[1])
            raw = predict_arrays(shipped[0], inputs, test)["logit"]
            cal = d.calibrated(raw)
            scores["shipped"], preds["shipped"] = cal, cal >= d.threshold_logit
            res["shipped_as_app"] = app_decisions(d, raw, y[test], inputs, test, views[test])
            # beside it: the test subjects of the worlds it was trained on (unseen subject IDs)
            seen = [i for i, n in enumerate(names) if n in shipped[2]]
            mine = np.flatnonzero(np.isin(world_of, seen) & (part == 2))
            if len(mine):
                c2 = d.calibrated(predict_arrays(shipped[0], inputs, mine)["logit"])
                res["shipped_own_metrics"] = paired_bootstrap(y[mine], inputs.subjects[mine], {"shipped": c2},
                                                              {"shipped": c2 >= d.threshold_logit}, n_boot, seed)
        res["in_world_reference"] = in_world_reference(inputs, nuis, world_of == h, part, cfg, n_boot, seed)
        res["held_out_metrics"] = paired_bootstrap(y[test], inputs.subjects[test], scores, preds, n_boot, seed)
        res["own_world_metrics"] = paired_bootstrap(y[own], inputs.subjects[own], own_scores, own_preds, n_boot, seed)
        res["roc"] = {k: roc_points(y[test], v) for k, v in scores.items()}
        folds.append(res)
    return {
        "worlds": [{"name": w.name, "clips": int(len(w.inputs)), "subjects": int(len(np.unique(w.inputs.subjects))),
                    "positive_clips": int((w.inputs.cobb >= POSITIVE_COBB).sum()), "provenance": w.provenance}
                   for w in worlds],
        "variants": [[v[0], v[1]] for v in variants] + ([["shipped", shipped[3]]] if shipped else []),
        "folds": folds, "config": cfg.to_dict(), "split_seed": seed, "n_boot": n_boot,
        "seconds": round(time.perf_counter() - t0, 1),
    }
