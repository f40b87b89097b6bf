"""The model card's figures as markdown, and the docs sections regenerated from the card.

    scoliscreen model-report [MODEL_DIR] [--docs DOCS_DIR] [--refresh-from DATASET]

rewrites the part of ``docs/model.md`` and ``docs/results.md`` between
``<!-- card:begin -->`` and ``<!-- card:end -->`` from ``MODEL_DIR/model_card.json`` and
copies the ROC image to ``docs/figures/roc.png``; the leave-one-world-out runs
(``cross_world*.json``) and the test-retest benchmark (``test_retest.json``) beside the card
are rendered after it: nothing in those sections is typed by hand.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

BEGIN, END = "<!-- card:begin -->", "<!-- card:end -->"
METRIC_NAMES = (
    ("sensitivity", "sensitivity"), ("specificity", "specificity"), ("roc_auc", "ROC-AUC"),
    ("ppv", "PPV"), ("npv", "NPV"), ("referrals_per_1000", "referrals per 1,000 screened"),
)


def _ci(m: dict, digits: int = 3) -> str:
    return f"{m['value']:.{digits}f} ({m['lo']:.{digits}f}–{m['hi']:.{digits}f})"


def operating_markdown(card: dict, roc_path: str | None = "roc.png") -> str:
    """Operating point, calibration, test metrics with CIs, re-record rate (and the ROC image)."""
    from scoliscreen.core.model.decision import Decision, plain_rule

    op = card.get("operating_point", {})
    cal = card.get("calibration", {})
    rep = card.get("operating_point_test")
    lines = ["## Operating point", ""]
    d = Decision.from_card(card)
    lines.append(f"- In plain words: {plain_rule(d)}.")
    if op.get("rule"):
        lines.append(f"- Chosen on validation subjects: {op['rule']} (validation sensitivity "
                     f"{op.get('val_sensitivity', float('nan')):.3f}, specificity {op.get('val_specificity', float('nan')):.3f}).")
    if cal.get("train_prevalence") is not None:
        lines.append(f"- Calibration: Platt scaling on validation clips (prevalence {cal['train_prevalence']:.3f}, "
                     f"the simulator's); shown at a prevalence of {cal.get('target_prevalence', 0):.3f} "
                     f"({cal.get('setting', 'stated setting')}). Threshold at the training prevalence: "
                     f"{op.get('threshold_at_train_prevalence', float('nan')):.3f}; at the stated prevalence: "
                     f"{op.get('threshold', float('nan')):.4f}.")
    rr = card.get("re_record")
    if rr:
        lines.append(f"- Re-record (inconclusive) when: the view is not one of {', '.join(rr['validated_views'])}; "
                     f"less than {100 * rr['min_good_fraction']:.0f} % of the frames show the trunk; the knowledge map's "
                     f"out-of-distribution score exceeds {card.get('ood', {}).get('threshold', float('nan')):.2f} "
                     f"(99th percentile of training clips); the calibrated log-odds are within "
                     f"{rr['near_threshold_logit']} of the threshold.")
    lines.append("")
    if rep:
        b = rep["bootstrap"]
        lines += [f"## Held-out test subjects ({b['n_subjects']} subjects, {b['n_clips']} clips; "
                  f"95 % bootstrap CIs over subjects, {b['n_boot']} resamples)", "",
                  "| metric | value (95 % CI) |", "|---|---|"]
        for key, name in METRIC_NAMES:
            m = b[key]
            if key in ("ppv", "npv"):
                name = f"{name} at {100 * rep['prevalence']:.0f} % prevalence"
            elif key == "referrals_per_1000":
                name = f"{name} at {100 * rep['prevalence']:.0f} % prevalence"
            lines.append(f"| {name} | {_ci(m, 1 if key == 'referrals_per_1000' else 3)} |")
        r = rep["re_record"]
        why = ", ".join(f"{k} {v}" for k, v in sorted(r.get("reasons", {}).items())) or "none"
        lines += ["", f"Every clip gets a verdict in the table above. With the re-record rule, "
                  f"{r['n_deferred']} of {r['n']} test clips ({100 * r['deferred_fraction']:.1f} %) are deferred "
                  f"({why}); on the rest accuracy {r['accuracy_on_rest']:.3f}, sensitivity "
                  f"{r['sensitivity_on_rest']:.3f}, specificity {r['specificity_on_rest']:.3f}.", ""]
        pv = rep.get("per_view") or {}
        if pv:
            lines += ["| view (test clips) | clips | sensitivity | specificity |", "|---|---|---|---|"]
            for name, m in pv.items():
                f = lambda x: "–" if x is None else f"{x:.3f}"  # noqa: E731
                lines.append(f"| {name} | {m['clips']} | {f(m['sensitivity'])} | {f(m['specificity'])} |")
            lines.append("")
        if roc_path:
            lines += [f"![ROC curve on held-out test subjects; the dot is the operating point]({roc_path})", ""]
    return "\n".join(lines)


RETEST_BAR = 0.90  # issue 9: the label agrees in >= 90 % of re-recorded pairs

_RETEST_ROWS = (
    ("one clip, one 96-frame window", ("all_subjects", "single_window")),
    ("one clip, walk pooled (the app)", ("all_subjects", "pooled")),
    ("visit of two clips (front + back), pooled", ("visit_two_clips_all_subjects",)),
)


def _num(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def retest_markdown(res: dict, model_version: str | None = None) -> str:
    """The test-retest benchmark's result (``benchmarks/test_retest.py --json``) as markdown."""
    lines = ["## Test–retest (simulated re-recordings)", "",
             f"`{res.get('command', 'benchmarks/test_retest.py')}` on {res.get('subjects')} new simulated "
             f"children (world A, seed {res.get('seed')}, none in training), model `{res.get('model_version')}`"
             + (" — **not the shipped model**" if model_version and res.get("model_version") != model_version else "")
             + ". Each child is filmed again from the same side: a new clip (new day-to-day variation, camera and "
             "estimator noise), the first at 30 fps, the second at 25 or 60 fps. Labels: refer / no referral / "
             f"re-record; the bar is agreement in ≥ {RETEST_BAR * 100:.0f} % of pairs.", "",
             "| answer from | pairs | label agrees (all pairs) | agrees where both got a verdict | re-record rate "
             "| accuracy of the verdicts | median abs. change of P |",
             "|---|---|---|---|---|---|---|"]
    for name, keys in _RETEST_ROWS:
        m = res
        for k in keys:
            m = m.get(k, {}) if isinstance(m, dict) else {}
        if not m:
            continue
        agree = m["label_agreement_all"]
        lines.append(f"| {name} | {m['pairs']} | {'**' if agree >= RETEST_BAR else ''}{agree:.3f}"
                     f"{'**' if agree >= RETEST_BAR else ''} | {_num(m['label_agreement_verdicts'])} "
                     f"({m['pairs_both_with_verdict']} pairs) | {m['re_record_fraction']:.3f} | "
                     f"{m['accuracy_on_verdicts']:.3f} | {m['median_abs_delta_p']:.4f} |")
    tuned = res.get("margin_tuned_on_validation")
    test = res.get("test_subjects", {}).get(f"pooled_margin_{tuned}")
    if tuned is not None and test:
        lines += ["", f"A wider near-threshold band tuned on the even-numbered children for ≥ 95 % agreement of verdict "
                  f"pairs (margin {tuned} in log-odds, against the card's {res.get('card_margin')}) gives, on the "
                  f"odd-numbered ones: agreement {test['label_agreement_all']:.3f} over all pairs, re-record rate "
                  f"{test['re_record_fraction']:.3f}, accuracy of the verdicts {test['accuracy_on_verdicts']:.3f}."]
    return "\n".join(lines) + "\n"


def _replace_section(text: str, body: str) -> str:
    block = f"{BEGIN}\n_Generated from the model card by `scoliscreen model-report`; do not edit._\n\n{body}\n{END}"
    if BEGIN in text and END in text:
        return text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def update_docs(model_dir: str | Path, docs_dir: str | Path) -> list[Path]:
    model_dir, docs_dir = Path(model_dir), Path(docs_dir)
    card = json.loads((model_dir / "model_card.json").read_text())
    written = []
    roc = model_dir / card.get("figures", {}).get("roc", "roc.png")
    rel = None
    if roc.is_file():
        (docs_dir / "figures").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(roc, docs_dir / "figures" / "roc.png")
        written.append(docs_dir / "figures" / "roc.png")
        rel = "figures/roc.png"
    head = [f"Shipped weights `{card.get('model_version')}`, trained on "
            f"{card.get('data', {}).get('subjects', '?')} simulated subjects "
            f"({card.get('data', {}).get('clips', '?')} clips; {card.get('data', {}).get('command', '')})."]
    tr = card.get("training", {})
    if tr:
        head.append(f"Training: inputs {tr.get('seconds_inputs')} s + fit {tr.get('seconds_fit')} s "
                    f"({tr.get('epochs_run')} epochs, best {tr.get('best_epoch')}), device {tr.get('device_used')}.")
    m = card.get("metrics_test", {})
    if m:
        head.append(f"Held-out test clips at the operating point: accuracy {m.get('accuracy', 0):.3f}, macro-F1 "
                    f"{m.get('macro_f1', 0):.3f}, Cobb median MAE {m.get('cobb_mae', 0):.1f}°, band accuracy "
                    f"{m.get('severity_accuracy', 0):.3f}.")
    body = " ".join(head) + "\n\n" + operating_markdown(card, rel)
    for cw in sorted(model_dir.glob("cross_world*.json")):  # leave-one-world-out runs (benchmarks/cross_world.py)
        from scoliscreen.core.model.crossworld_report import cross_world_markdown, roc_name

        roc_cw = None
        if (model_dir / roc_name(cw)).is_file():
            (docs_dir / "figures").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(model_dir / roc_name(cw), docs_dir / "figures" / roc_name(cw))
            written.append(docs_dir / "figures" / roc_name(cw))
            roc_cw = f"figures/{roc_name(cw)}"
        body += "\n" + cross_world_markdown(json.loads(cw.read_text()), roc_cw)
    if (model_dir / "test_retest.json").is_file():  # benchmarks/test_retest.py --json
        body += "\n" + retest_markdown(json.loads((model_dir / "test_retest.json").read_text()),
                                            card.get("model_version"))
    for name in ("model.md", "results.md"):
        p = docs_dir / name
        if p.is_file():
            from scoliscreen.core.fileio import atomic_write_text

            atomic_write_text(p, _replace_section(p.read_text(), body), private=False)  # docs: readable
            written.append(p)
    return written
