"""The leave-one-world-out run (:mod:`crossworld`) as markdown and as a ROC image.

``scoliscreen model-report`` puts :func:`cross_world_markdown` of ``MODEL/cross_world.json``
into ``docs/results.md`` and ``docs/model.md``: nothing in that table is typed by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BAR_AUC, BAR_F1 = 0.75, 0.68  # issue 9's acceptance bar on a held-out world


def roc_name(json_path: Path) -> str:
    """The ROC image beside a run's JSON: cross_world.json -> roc_cross_world.png."""
    return f"roc_{Path(json_path).stem}.png"
_NAMES = {"roc_auc": "ROC-AUC", "macro_f1": "macro-F1"}


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _ci(m: dict) -> str:
    return f"{m['value']:.3f} ({m['lo']:.3f}–{m['hi']:.3f})"


def _short(m: dict) -> str:
    return f"{m['value']:.3f}"


def cross_world_markdown(run: dict, roc_path: str | None = None) -> str:
    """The cross-world ablation: per held-out world, every variant with CIs, its figures on its
    own training worlds' test subjects, paired differences to the best, and the verdict."""
    if "folds" not in run:  # an older single-pair record
        return ""
    labels = {k: v.replace("|", "\\|") for k, v in run["variants"]}  # a "|" would split a table cell
    cfg = run.get("config", {})
    lines = ["## Leave-one-world-out (cross-world) ablation", "",
             f"`{run.get('command', '')}` — {_duration(run.get('seconds', 0))} on 2 shared CPU threads.", "",
             "Worlds: " + "; ".join(f"**{w['name']}** ({w['clips']} clips of {w['subjects']} subjects, "
                                    f"{w['positive_clips']} with Cobb ≥ 10°)" for w in run["worlds"]) + ".", "",
             "Protocol: each world is split by subject into train / validation / test (60 / 20 / 20 %). "
             "For a held-out world, each variant is trained on the *train* subjects of the other worlds "
             "(their mixture), Platt-calibrated and given its operating point (best specificity at "
             "sensitivity ≥ 0.85) on their *validation* subjects, and scored on **every clip of the held-out "
             "world**. \"Own worlds\" is the same model on its training worlds' test subjects. 95 % CIs from "
             f"{run.get('n_boot', 0)} bootstrap resamples of subjects; the resample is shared by all variants "
             "(paired). Macro-F1, sensitivity and specificity at the operating point; AUC threshold-free. "
             + (f"Networks: up to {cfg.get('epochs')} epochs (patience {cfg.get('patience')}), width {cfg.get('dim')}."
              if any(k.startswith("net_") for k in labels) else "Logistic regressions: L2 strength chosen on the "
              "validation subjects."),
             "",
             "What the inputs are: the skeleton maps, the knowledge map and the text all come from **one "
             "MediaPipe skeleton**; the text is a template over knowledge-map medians embedded by MiniLM. "
             "The nuisance row sees no pose at all: what it predicts is a shortcut.", ""]
    for f in run["folds"]:
        h, o = f["held_out_metrics"], f["own_world_metrics"]
        lines += [f"### Held out: world {f['held_out']} (trained on {' + '.join(f['trained_on'])})", "",
                  f"Held-out: {h['n_clips']} clips of {h['n_subjects']} subjects ({h['n_positive_clips']} positive). "
                  f"Own worlds' test: {o['n_clips']} clips of {o['n_subjects']} subjects.", "",
                  "| variant | ROC-AUC held out | macro-F1 held out | sensitivity | specificity | "
                  "AUC own worlds | macro-F1 own worlds |", "|---|---|---|---|---|---|---|"]
        for k, m in h["variants"].items():
            om = o["variants"].get(k) or (f.get("shipped_own_metrics", {}).get("variants", {}).get(k)
                                          if k == "shipped" else None)
            own = (f"{_short(om['roc_auc'])} | {_short(om['macro_f1'])}" if om else "– | –")
            lines.append(f"| {labels.get(k, k)} | {_ci(m['roc_auc'])} | {_ci(m['macro_f1'])} | "
                         f"{_ci(m['sensitivity'])} | {_ci(m['specificity'])} | {own} |")
        lines.append("")
        for metric, p in h["paired"].items():
            diffs = ", ".join(f"`{k}` {d['lo']:+.3f}…{d['hi']:+.3f}" for k, d in p["diff_to_best"].items())
            verdict = (f"**winner: {labels.get(p['winner'], p['winner'])}** (its CI of the difference excludes the "
                       "runner-up)" if p["winner"] else
                       f"no winner: the best ({labels.get(p['best'], p['best'])}) is not separated from the "
                       f"runner-up ({labels.get(p['runner_up'], p['runner_up'])})")
            lines.append(f"- {_NAMES[metric]}: {verdict}. Paired 95 % CI of best − other: {diffs}.")
        app = f.get("shipped_as_app")
        if app:
            why = ", ".join(f"{k} {v}" for k, v in sorted(app["reasons"].items(), key=lambda kv: -kv[1])) or "none"
            rest = (f"on the {app['n_verdicts']} clips with a verdict: sensitivity {app['sensitivity']:.3f}, "
                    f"specificity {app['specificity']:.3f}, macro-F1 {app['macro_f1']:.3f}"
                    if app["n_verdicts"] else "no clip got a verdict")
            lines.append(f"- The shipped model as the app answers (re-record rule on): it defers "
                         f"{100 * app['deferred']:.1f} % of the {app['n_clips']} held-out clips (reasons: {why}); {rest}.")
        ceil = f.get("in_world_reference")
        if ceil:
            lines.append(f"- For reference, not a transfer result: trained on world {f['held_out']}'s *own* train "
                         f"subjects (operating point on its validation subjects) and scored on its "
                         f"{ceil['n_subjects']} test subjects, " + "; ".join(
                             f"{labels.get(k, k)} reaches AUC {_ci(m['roc_auc'])}, macro-F1 {_ci(m['macro_f1'])}"
                             for k, m in ceil["variants"].items()) + ".")
        best = h["variants"][h["paired"]["roc_auc"]["best"]]
        ok = best["roc_auc"]["value"] >= BAR_AUC and best["macro_f1"]["value"] >= BAR_F1
        lines += [f"- Bar (AUC ≥ {BAR_AUC}, macro-F1 ≥ {BAR_F1}) on held-out world {f['held_out']}: "
                  + ("**met** by the best variant." if ok else "**not met** by any variant."), ""]
    if run["folds"]:
        lines += ["**Summary** (best ROC-AUC on each held-out world; a winner only where the paired CI excludes "
                  "the runner-up):", ""]
        for f in run["folds"]:
            p = f["held_out_metrics"]["paired"]["roc_auc"]
            m = f["held_out_metrics"]["variants"][p["best"]]
            lines.append(f"- world {f['held_out']}: `{p['best']}` AUC {_ci(m['roc_auc'])}, macro-F1 "
                         f"{_ci(m['macro_f1'])}; " + (f"winner `{p['winner']}`" if p["winner"] else "no winner"))
        lines.append("")
    if roc_path:
        lines += [f"![ROC curves on each held-out world]({roc_path})", ""]
    return "\n".join(lines)


_COLOURS = [(180, 80, 20), (30, 140, 30), (30, 30, 200), (150, 50, 150), (0, 150, 200), (90, 90, 90),
            (200, 120, 0), (0, 0, 0), (40, 90, 160), (160, 160, 0), (120, 0, 60)]  # BGR; one per variant


def write_roc(run: dict, path: str | Path, size: int = 420) -> Path:
    """One ROC panel per held-out world, a curve per variant (legend in the first panel)."""
    import cv2

    from scoliscreen.core.fileio import atomic_write_bytes

    folds = run["folds"] or [{"held_out": "-", "roc": {}}]
    m = 50
    plot = size - 2 * m
    img = np.full((size, size * len(folds), 3), 255, np.uint8)
    keys = [v[0] for v in run["variants"]]
    for p, f in enumerate(folds):
        ox = p * size

        def px(x: float, y: float, ox=ox) -> tuple[int, int]:
            return int(round(ox + m + x * plot)), int(round(size - m - y * plot))

        cv2.rectangle(img, px(0, 1), px(1, 0), (0, 0, 0), 1)
        cv2.line(img, px(0, 0), px(1, 1), (190, 190, 190), 1, cv2.LINE_AA)
        for g in (0.0, 0.5, 1.0):
            cv2.putText(img, f"{g:.1f}", (px(g, 0)[0] - 8, size - m + 16), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1)
            cv2.putText(img, f"{g:.1f}", (ox + m - 28, px(0, g)[1] + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1)
        cv2.putText(img, f"held out: world {f['held_out']}", (ox + m, m - 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, "1 - specificity", (ox + size // 2 - 45, size - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
        for i, k in enumerate(keys):
            roc = f["roc"].get(k)
            if not roc:
                continue
            c = _COLOURS[i % len(_COLOURS)]
            pts = np.array([px(a, b) for a, b in zip(roc["fpr"], roc["tpr"])], np.int32)
            cv2.polylines(img, [pts], False, c, 2, cv2.LINE_AA)
            auc = f["held_out_metrics"]["variants"][k]["roc_auc"]["value"]
            cv2.putText(img, f"{k} {auc:.2f}", (ox + int(m + 0.45 * plot), int(size - m - 8 - 13 * i)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.38, c, 1, cv2.LINE_AA)
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise OSError(f"cannot encode {Path(path).name}")
    atomic_write_bytes(Path(path), buf.tobytes(), private=False)
    return Path(path)
