"""Test-retest of the screening model on simulated re-recordings of the same children.

Each subject (a fresh seed, never in training) is filmed twice from the same side: a new clip
(new day-to-day variation, camera and estimator noise) at 30 fps and at 25 or 60 fps. Every
clip is screened two ways: the walk pooled (every usable 96-frame window, what the app does)
and one window only (the best 96 frames, the behaviour before pooling). For each, prints label
agreement over all pairs (positive / negative / re-record), agreement among pairs where both
clips got a verdict, the re-record rate, the median |delta p|, and the accuracy of the
verdicts against the simulated truth.

The re-record margin (``near_threshold``: |calibrated logit - threshold| below it) is then
tuned on *validation* subjects only (even-numbered) for the pooled answer: the smallest margin
whose verdict pairs agree in >= 95 % of cases (``--target``); the other half (test subjects)
reports agreement, deferral fraction and accuracy at that margin and at the card's margin.

With ``--visit``, each child is also filmed as a *visit* of two clips (toward the camera and
away from it: front and back views), twice: visit 1 at 30 fps, visit 2 at 25 or 60 fps, each
visit one pooled answer over both clips' windows (``Screener.predict_windows``, what
``predict --visit`` and the app's visit do). Prints the same figures for the visit pairs.

    python benchmarks/test_retest.py [--subjects 120] [--seed 4242] [--model DIR] [--visit] [--out rows.json]
                                     [--json models/screening/test_retest.json]

``--json`` writes the printed result; ``scoliscreen model-report`` renders it into
``docs/model.md`` and ``docs/results.md`` (section "Test–retest").
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

MARGINS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0)


def _clip_row(screener, seq, segment, mode: str) -> dict:
    from scoliscreen.core.model.features import clip_pair

    if mode == "single":
        r = screener.predict(seq, segment=segment, explain=False, pair=clip_pair(seq, "", segment))
    else:
        r = screener.predict(seq, segment=segment, explain=False)
    return _row(screener, r)


def _visit_row(screener, clips: list) -> dict:
    """One pooled answer over the windows of a visit's clips [(PoseSequence, segment)]."""
    from scoliscreen.core.model.pooling import walk_inputs
    from scoliscreen.core.model.predict import _view_of

    pairs, views, switches = [], [], []
    for seq, segment in clips:
        win = walk_inputs(seq, segment)[2]
        pairs += win
        views += [_view_of(seq)] * len(win)
        switches += list(seq.meta.get("identity_switches") or [])
    return _row(screener, screener.predict_windows(pairs, views, explain=False, switches=switches or None))


def _row(screener, r) -> dict:
    """The figures of one answer the summaries need (the near-threshold reason kept apart)."""
    d = screener.decision
    other = [x["code"] for x in r.reasons if x["code"] != "near_threshold"]
    return {"label": r.label, "p": r.probability, "cal_logit": float(d.calibrated(r.extras["logit"])),
            "other_reasons": other, "windows": len(r.windows_s)}


def relabel(row: dict, threshold_logit: float, margin: float) -> str:
    """The label of a clip under another near-threshold margin (other reasons unchanged)."""
    from scoliscreen.core.outcome_words import label_from

    if row["other_reasons"]:
        return label_from([{"code": c} for c in row["other_reasons"]], row["cal_logit"] >= threshold_logit)
    if abs(row["cal_logit"] - threshold_logit) < margin:
        return "inconclusive"
    return "positive" if row["cal_logit"] >= threshold_logit else "negative"


def summary(pairs: list[dict], mode: str, thr: float, margin: float | None = None) -> dict:
    if not pairs:
        return {}
    def lab(r):
        return r["label"] if margin is None else relabel(r, thr, margin)
    labels = np.array([(lab(p[mode][0]), lab(p[mode][1])) for p in pairs])
    truth = np.array([p["truth"] for p in pairs])
    probs = np.array([(p[mode][0]["p"], p[mode][1]["p"]) for p in pairs])
    verdict = (labels == "positive") | (labels == "negative")
    both = verdict.all(1)
    correct = (labels == np.where(truth[:, None] == 1, "positive", "negative")) & verdict
    return {
        "pairs": len(pairs),
        "label_agreement_all": round(float((labels[:, 0] == labels[:, 1]).mean()), 3),
        "pairs_both_with_verdict": int(both.sum()),
        "label_agreement_verdicts": round(float((labels[both, 0] == labels[both, 1]).mean()), 3) if both.any() else None,
        "re_record_fraction": round(float((~verdict).mean()), 3),
        "accuracy_on_verdicts": round(float(correct.sum() / max(verdict.sum(), 1)), 3),
        "median_abs_delta_p": round(float(np.median(np.abs(probs[:, 0] - probs[:, 1]))), 4),
    }


def tune_margin(val: list[dict], thr: float, target: float) -> float:
    """Smallest margin whose verdict pairs agree in >= ``target`` of validation pairs."""
    for m in MARGINS:
        s = summary(val, "pooled", thr, m)
        if s.get("label_agreement_verdicts") is not None and s["label_agreement_verdicts"] >= target:
            return m
    return MARGINS[-1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=120)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--model", default=None)
    ap.add_argument("--target", type=float, default=0.95, help="verdict-pair agreement the margin is tuned for")
    ap.add_argument("--out", default=None, help="write every clip's row (JSON) here")
    ap.add_argument("--json", default=None, help="write the result (JSON) here, for scoliscreen model-report")
    ap.add_argument("--visit", action="store_true", help="also: two visits of two clips (front + back) per child")
    args = ap.parse_args()

    from scoliscreen.core.model.predict import Screener
    from scoliscreen.core.quality import assess_quality
    from scoliscreen.core.sim.generate import _subject_seeds, simulate_clip, subject_id, subject_plan

    screener = Screener.load(args.model, device="cpu")
    thr = screener.decision.threshold_logit
    t0 = time.perf_counter()
    pairs = []
    for i, s in enumerate(_subject_seeds(args.seed, args.subjects), start=1):
        subject, plan = subject_plan(s, subject_id(args.seed, i), 6 if args.visit else 2)
        view = plan[0][0]
        row: dict = {"subject": i, "truth": int(subject.label), "single": [], "pooled": [], "visit": []}
        for k, (_, rng) in enumerate(plan[:2]):
            fps = 30.0 if k == 0 else (25.0 if i % 2 else 60.0)
            seq = simulate_clip(subject, rng, view=view, fps=fps)
            q = assess_quality(seq)
            for mode in ("single", "pooled"):
                row[mode].append(_clip_row(screener, q.sequence, q.segment, mode))
        if args.visit:  # clips 2-5 (fresh streams): views alternate, so each visit has front + back
            for v in range(2):
                fps = 30.0 if v == 0 else (25.0 if i % 2 else 60.0)
                clips = []
                for vw, rng in plan[2 + 2 * v: 4 + 2 * v]:
                    q = assess_quality(simulate_clip(subject, rng, view=vw, fps=fps))
                    clips.append((q.sequence, q.segment))
                row["visit"].append(_visit_row(screener, clips))
        pairs.append(row)
    val = [p for p in pairs if p["subject"] % 2 == 0]
    test = [p for p in pairs if p["subject"] % 2 == 1]
    margin = tune_margin(val, thr, args.target)
    res = {
        "command": "python benchmarks/test_retest.py " + " ".join(sys.argv[1:]),
        "subjects": args.subjects, "seed": args.seed,
        "model_version": screener.model_version, "card_margin": screener.decision.margin,
        "windows_per_clip_pooled": float(np.mean([c["windows"] for p in pairs for c in p["pooled"]])),
        "all_subjects": {"single_window": summary(pairs, "single", thr), "pooled": summary(pairs, "pooled", thr)},
        "margin_tuned_on_validation": margin,
        "test_subjects": {
            "pooled_card_margin": summary(test, "pooled", thr),
            f"pooled_margin_{margin}": summary(test, "pooled", thr, margin),
            "single_window_card_margin": summary(test, "single", thr),
        },
        "margin_sweep_validation": {str(m): summary(val, "pooled", thr, m) for m in MARGINS},
        **({"visit_two_clips_all_subjects": summary(pairs, "visit", thr),
            "visit_two_clips_test_subjects": summary(test, "visit", thr),
            "visit_windows_mean": float(np.mean([c["windows"] for p in pairs for c in p["visit"]]))}
           if args.visit else {}),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(res, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(pairs, f)


if __name__ == "__main__":
    main()
