"""The paper's ablation on subject-independent folds: modalities and fusion methods.

Rows (ScoliGait Table structure): video only, knowledge map only, map + video, map + video +
text (all with latent attention pooling), then fusion of all three modalities by concat,
concat + attention, concat + latent pooling (the last is the same model as map + video +
text and is trained once). Each row is trained and scored on ``k`` grouped folds (inner
grouped validation split for early stopping and calibration); the table reports the mean and
standard deviation over folds. :func:`write_results` writes ``docs/results.md`` from a run.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import platform
import time
from pathlib import Path

import numpy as np

from scoliscreen.core.model.evaluate import screening_metrics
from scoliscreen.core.constants import POSITIVE_COBB
from scoliscreen.core.model.outcome import medians
from scoliscreen.core.model.pipeline import grouped_folds, grouped_split
from scoliscreen.core.model.train import (
    TARGET_SENSITIVITY, TrainConfig, choose_threshold, fit, fit_platt, predict_arrays, sigmoid,
)

ROWS = (
    # key, label, modalities, fusion, group
    ("video", "video only", ("video",), "latent", "modality"),
    ("map", "knowledge map only", ("map",), "latent", "modality"),
    ("map_video", "map + video", ("video", "map"), "latent", "modality"),
    ("full", "map + video + text (fusion: latent pooling)", ("video", "map", "text"), "latent", "modality"),
    ("concat", "fusion: concat", ("video", "map", "text"), "concat", "fusion"),
    ("attention", "fusion: concat + attention", ("video", "map", "text"), "attention", "fusion"),
)
# The latent-pooling fusion row *is* the "map + video + text" row (same configuration, same run):
# the table names it once, with both names, instead of printing a copy.
METRICS = ("accuracy", "macro_f1", "roc_auc", "sensitivity", "specificity", "cobb_mae")


def subset_subjects(inputs, max_subjects: int, seed: int = 0):
    """The clips of at most ``max_subjects`` subjects (drawn with ``seed``), to keep an ablation
    feasible on a laptop CPU."""
    import dataclasses as dc

    uniq = np.unique(inputs.subjects)
    if max_subjects <= 0 or max_subjects >= len(uniq):
        return inputs
    keep = set(np.random.default_rng(seed).choice(uniq, max_subjects, replace=False))
    idx = np.flatnonzero([s in keep for s in inputs.subjects])
    arrays = {f.name: getattr(inputs, f.name)[idx] for f in dc.fields(inputs)
              if isinstance(getattr(inputs, f.name), np.ndarray)}
    return dc.replace(inputs, **arrays)


def run_ablation(inputs, base: TrainConfig, folds: int = 3, rows=ROWS, progress=None, should_cancel=None) -> dict:
    """Train and score every row on ``folds`` subject-disjoint folds. ``progress(done, total, label)``."""
    t0 = time.perf_counter()
    fold_idx = grouped_folds(inputs.subjects, folds, base.seed, inputs.cobb)
    keys = list(dict.fromkeys(r[0] for r in rows))
    spec = {r[0]: r for r in rows}
    y = inputs.cobb >= POSITIVE_COBB
    results: dict = {k: {"folds": [], "seconds": 0.0} for k in keys}
    total, done = len(keys) * folds, 0
    for f in range(folds):
        test = fold_idx[f]
        rest = np.concatenate([fold_idx[g] for g in range(folds) if g != f])
        tr_rel, va_rel, _ = grouped_split(inputs.subjects[rest], 0.2, 0.0, base.seed + f, inputs.cobb[rest])
        tr, va = rest[tr_rel], rest[va_rel]
        for k in keys:
            _, label, mods, fusion, _ = spec[k]
            cfg = dataclasses.replace(base, modalities=tuple(mods), fusion=fusion, seed=base.seed + f)
            t1 = time.perf_counter()
            net, hist = fit(inputs, tr, va, cfg, should_cancel=should_cancel)
            pv = predict_arrays(net, inputs, va)
            a, b = fit_platt(pv["logit"], y[va])
            thr = choose_threshold(sigmoid(a * pv["logit"] + b), y[va], TARGET_SENSITIVITY)
            pt = predict_arrays(net, inputs, test)
            prob = sigmoid(a * pt["logit"] + b)
            m_half = screening_metrics(inputs.cobb[test], prob, 0.5, medians(pt["cum"], a, b))
            m_op = screening_metrics(inputs.cobb[test], prob, thr)
            results[k]["folds"].append({
                "accuracy": m_half["accuracy"], "macro_f1": m_half["macro_f1"], "roc_auc": m_half["roc_auc"],
                "sensitivity": m_op["sensitivity"], "specificity": m_op["specificity"],
                "cobb_mae": m_half["cobb_mae"], "epochs": len(hist["epochs"]), "n_test": int(len(test)),
            })
            results[k]["seconds"] += time.perf_counter() - t1
            done += 1
            if progress is not None:
                progress(done, total, f"{label} (fold {f + 1}/{folds})")
    summary = {}
    for k in keys:
        arr = {m: np.array([fr[m] for fr in results[k]["folds"]], float) for m in METRICS}
        summary[k] = {m: (float(np.nanmean(v)), float(np.nanstd(v))) for m, v in arr.items()}
    verdict = _fold_verdict(results, keys)
    return {
        "rows": [list(r[:2]) + [list(r[2]), r[3], r[4]] for r in rows], "results": results, "summary": summary,
        "fold_verdict": verdict, "folds": folds, "config": base.to_dict(),
        "clips": int(len(inputs)), "subjects": int(len(np.unique(inputs.subjects))),
        "positive_clips": int(y.sum()), "seconds": round(time.perf_counter() - t0, 1),
    }


def _fold_verdict(results: dict, keys: list) -> dict:
    """Per metric, the row with the best mean and whether it beat the runner-up in *every* fold
    (with three folds there is no useful CI; this is the weakest claim that can still fail)."""
    out: dict = {}
    for m in ("macro_f1", "roc_auc"):
        per = {k: np.array([fr[m] for fr in results[k]["folds"]], float) for k in keys}
        order = sorted(keys, key=lambda k: -float(np.nanmean(per[k])))
        if len(order) < 2:
            continue
        best, second = order[0], order[1]
        out[m] = {"best": best, "runner_up": second,
                  "every_fold": bool(np.all(per[best] > per[second]))}
    return out


def _verdict_lines(run: dict) -> list:
    """No row is bolded: a winner is named only where it beat the runner-up in every fold."""
    v = run.get("fold_verdict") or {}
    labels = {r[0]: r[1] for r in run["rows"]}
    out = []
    for m, name in (("macro_f1", "macro-F1"), ("roc_auc", "ROC-AUC")):
        if m not in v:
            continue
        b, r = labels.get(v[m]["best"], v[m]["best"]), labels.get(v[m]["runner_up"], v[m]["runner_up"])
        if v[m]["every_fold"]:
            out.append(f"- {name}: highest mean *{b}*; it beat the runner-up *{r}* in every fold "
                       "(in-distribution only; three folds give no confidence interval).")
        else:
            out.append(f"- {name}: highest mean *{b}*, but not ahead of the runner-up *{r}* in every fold: "
                       "**no winner** (the rows are level within fold-to-fold variation).")
    out += ["", "In-distribution figures say how well a model recovers the simulator that made its training "
            "data. Which variant *transfers* is decided on the leave-one-world-out tables below, with paired "
            "bootstrap CIs.", ""]
    return out


def _cell(ms: tuple[float, float]) -> str:
    return f"{ms[0]:.3f} ± {ms[1]:.3f}"


def results_markdown(run: dict, dataset: str = "", command: str = "") -> str:
    """The ablation table as markdown (docs/results.md)."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cfg = run["config"]
    lines = [
        "# Results: ablation of the screening model (simulated data)", "",
        "_Written by `scoliscreen ablate` from the run below — do not edit by hand._", "",
        f"- Run: {now}; command: `{command or 'scoliscreen ablate'}`",
        f"- Data: `{dataset}` — {run['clips']} clips of {run['subjects']} subjects "
        f"({run['positive_clips']} clips with Cobb ≥ 10°).",
        f"- Protocol: {run['folds']} subject-independent folds (grouped by subject, stratified by label); "
        "inside each training part a grouped 20 % validation split for early stopping, Platt calibration "
        "and the operating point. Mean ± SD over folds.",
        f"- Training: up to {cfg['epochs']} epochs, batch {cfg['batch_size']}, AdamW lr {cfg['lr']}, width "
        f"{cfg['dim']}, seed {cfg['seed']}, mirror augmentation, test-time symmetrisation; "
        f"{cfg['threads']} CPU threads ({platform.processor() or platform.machine()}, {os.cpu_count()} cores). "
        f"Total {run['seconds'] / 60:.1f} min.",
        "- Accuracy and macro-F1 at calibrated P ≥ 0.5; ROC-AUC threshold-free; sensitivity/specificity at the "
        f"screening operating point (threshold giving ≥ {TARGET_SENSITIVITY:.0%} sensitivity on validation).",
        "",
        "| model | accuracy | macro-F1 | ROC-AUC | sensitivity | specificity | Cobb MAE (°) |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label, _mods, _fusion, _group in run["rows"]:
        s = run["summary"][key]
        name = label
        lines.append(f"| {name} | " + " | ".join(_cell(s[m]) if m != "cobb_mae" else f"{s[m][0]:.1f} ± {s[m][1]:.1f}"
                                               for m in METRICS) + " |")
    lines.append("")
    lines += _verdict_lines(run)
    lines += [
        "Caveats: simulated subjects only (the project's scoliotic-gait simulator); the figures say how well the "
        "model recovers the simulator's effects, not how it would screen real children. Research use only — "
        "not a diagnostic device.", "",
    ]
    lines += ["## Per fold", "", "| model | fold | test clips | epochs | accuracy | macro-F1 | ROC-AUC |", "|---|---|---|---|---|---|---|"]
    seen = set()
    for key, label, *_ in run["rows"]:
        if key in seen:
            continue
        seen.add(key)
        for i, fr in enumerate(run["results"][key]["folds"]):
            lines.append(f"| {label} | {i + 1} | {fr['n_test']} | {fr['epochs']} | {fr['accuracy']:.3f} | "
                         f"{fr['macro_f1']:.3f} | {fr['roc_auc']:.3f} |")
    lines.append("")
    return "\n".join(lines)


def write_results(run: dict, path: str | Path, dataset: str = "", command: str = "") -> Path:
    from scoliscreen.core.fileio import atomic_write_bytes

    from scoliscreen.core.model.report import BEGIN, END

    path = Path(path)
    text = results_markdown(run, dataset, command)
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if BEGIN in old and END in old:  # keep the shipped model's block (written from its card)
        text = text.rstrip("\n") + "\n\n" + old[old.index(BEGIN): old.index(END) + len(END)] + "\n"
    atomic_write_bytes(path, text.encode(), private=False)
    return path
