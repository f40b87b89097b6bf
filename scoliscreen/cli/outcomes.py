"""``scoliscreen outcomes ...``, ``validate-local`` and ``recalibrate``: what screened children
turned out to have, how a model does on the clinic's own children, and a local recalibration.

Only children with a recorded outcome are counted (children without one are not negatives).
"""

from __future__ import annotations

import argparse
import math


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outcomes", help="record what a screened visit turned out to be (radiograph, scoliometer...)")
    p.add_argument("--db", help="records database (default: in the user data dir)")
    osub = p.add_subparsers(dest="outcomes_command", metavar="ACTION")
    a = osub.add_parser("add", help="add an outcome to a visit")
    a.add_argument("visit_id", type=int)
    what = a.add_mutually_exclusive_group(required=True)
    what.add_argument("--cobb", type=float, metavar="DEG", help="Cobb angle in degrees (a radiograph)")
    what.add_argument("--class", dest="klass", choices=("negative", "neutral", "positive"))
    a.add_argument("--source", required=True, choices=("radiograph", "scoliometer", "adams", "clinical"))
    a.add_argument("--atr", type=float, metavar="DEG", help="scoliometer angle of trunk rotation (degrees)")
    a.add_argument("--date", help="when the outcome was observed (YYYY-MM-DD)")
    a.add_argument("--note", default="", help="free text (kept in the records, never exported)")
    ls = osub.add_parser("list", help="list outcomes")
    ls.add_argument("--patient", help="only this patient's (pseudonymous ID)")
    ls.add_argument("--json", action="store_true")
    rm = osub.add_parser("remove", help="remove an outcome (kept, marked removed, audited)")
    rm.add_argument("outcome_id", type=int)
    rm.add_argument("--reason", default="")
    p.set_defaults(func=run_outcomes)

    v = sub.add_parser("validate-local", help="how a model does on this clinic's children with an outcome")
    v.add_argument("--db", help="records database (default: in the user data dir)")
    v.add_argument("--model", metavar="DIR", help="screening model folder (default: the shipped one)")
    v.add_argument("--device", default="auto")
    v.add_argument("--source", help="only outcomes from these sources (comma-separated)")
    v.add_argument("--since", help="count each child's first screened visit on or after this date (YYYY-MM-DD)")
    v.add_argument("--all-visits", action="store_true", help="every visit with an outcome (CIs resample children)")
    v.add_argument("--json", action="store_true")
    v.add_argument("--out", metavar="REPORT.pdf", help="also write the figures as a PDF")
    v.set_defaults(func=run_validate)

    r = sub.add_parser("recalibrate", help="fit a local calibration and threshold on this clinic's outcomes")
    r.add_argument("--db", help="records database (default: in the user data dir)")
    r.add_argument("--model", metavar="DIR", help="the model to recalibrate (default: the shipped one)")
    r.add_argument("--device", default="auto")
    r.add_argument("--out", required=True, metavar="DIR", help="the new local model folder (new or empty)")
    r.add_argument("--target-sensitivity", type=float, default=0.85)
    r.add_argument("--prevalence", type=float, help="the setting's prevalence the chance is shown at")
    r.add_argument("--source", help="only outcomes from these sources (comma-separated)")
    r.set_defaults(func=run_recalibrate)


def _fmt(v: object) -> str:
    if isinstance(v, float) and math.isfinite(v):
        return f"{v:.1f}" if abs(v) >= 1 else f"{v:.3f}"
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else str(v)


def run_outcomes(args) -> int:
    import json

    from scoliscreen.core.store import Store

    cmd = args.outcomes_command
    if cmd is None:
        print("usage: scoliscreen outcomes add|list|remove ... (see scoliscreen outcomes --help)")
        return 2
    with Store.open(args.db) as store:
        if cmd == "add":
            o = store.add_outcome(args.visit_id, args.source, cobb=args.cobb, klass=args.klass, atr=args.atr,
                                  observed_on=args.date, note=args.note)
            what = f"Cobb {o['cobb']:g}°" if o["cobb"] is not None else f"class {o['class']}"
            print(f"outcome {o['id']} added to visit {o['visit_id']}: {o['source']}, {what}")
        elif cmd == "list":
            pid = store.require_patient(args.patient)["id"] if args.patient else None
            rows = store.outcomes(patient_id=pid)
            if args.json:
                for row in rows:
                    print(json.dumps(row))
            else:
                print(f"{'id':>4}  {'visit':>5}  {'patient':<12} {'source':<11} {'cobb':>5} {'class':<9} "
                      f"{'atr':>4}  date")
                for o in rows:
                    print(f"{o['id']:>4}  {o['visit_id']:>5}  {o['pseudonym'] or '-':<12} {o['source']:<11} "
                          f"{_fmt(o['cobb']):>5} {o['class'] or '-':<9} {_fmt(o['atr']):>4}  "
                          f"{o['observed_on'] or o['created_at'][:10]}")
        elif cmd == "remove":
            o = store.remove_outcome(args.outcome_id, args.reason)
            print(f"outcome {o['id']} removed (kept in the records, marked removed)")
    return 0


def print_validation(res: dict) -> None:
    print(f"How {res['model_version']} does on this clinic's children ({res['unit']})")
    print(f"children: {res['n_children']}, with scoliosis (Cobb >= 10 deg): {res['n_positive_children']}, "
          f"visits: {res['n_visits']}")
    if res["conclusion"]:
        print(res["conclusion"])
    card = res["card"]
    print(f"{'':<18} {'local (95 % CI, children resampled)':<36} {card['label']}")
    for key, name in (("sensitivity", "sensitivity"), ("specificity", "specificity"), ("auc", "AUC"),
                      ("ppv", "PPV"), ("npv", "NPV"), ("referral_rate", "referral rate"),
                      ("inconclusive_rate", "inconclusive rate"), ("re_record_rate", "re-record rate")):
        f = res["figures"][key]
        c = card.get(key)
        local = f"{_fmt(f['value'])} ({_fmt(f['lo'])}-{_fmt(f['hi'])})"
        sim = f"{_fmt(c['value'])} ({_fmt(c['lo'])}-{_fmt(c['hi'])})" if isinstance(c, dict) else "-"
        print(f"{name:<18} {local:<36} {sim}")
    print("calibration (stated chance -> observed share): " + ", ".join(
        f"{100 * b['mean_prob']:.1f}% -> {100 * b['observed']:.0f}% (n={b['n']})" for b in res["calibration"]))
    if res["skipped_without_pose"]:
        print(f"left out: {len(res['skipped_without_pose'])} visit(s) without a stored pose sequence")
    print(res["verification_note"])


def run_validate(args) -> int:
    from scoliscreen.app.local_validation import dumps, parse_sources, validate_local
    from scoliscreen.app.models import load_screener
    from scoliscreen.core.store import Store

    sources = parse_sources(args.source)
    screener = load_screener(args.model, device=args.device)
    with Store.open(args.db) as store:
        res = validate_local(store, screener, sources=sources, since=args.since, all_visits=args.all_visits)
    if args.out:
        from scoliscreen.core.report.local_validation import write_local_validation

        write_local_validation(res, args.out)
    if args.json:
        print(dumps(res))
    else:
        print_validation(res)
        if args.out:
            print(f"report written to {args.out}")
    return 0


def run_recalibrate(args) -> int:
    from pathlib import Path

    from scoliscreen.app.local_validation import parse_sources, recalibrate_model
    from scoliscreen.app.models import load_screener
    from scoliscreen.core.paths import screening_model_dir
    from scoliscreen.core.store import Store

    sources = parse_sources(args.source)
    model_dir = Path(args.model) if args.model else screening_model_dir()
    screener = load_screener(model_dir, device=args.device)
    with Store.open(args.db) as store:
        fit = recalibrate_model(store, screener, model_dir, Path(args.out), target=args.target_sensitivity,
                                prevalence=args.prevalence, sources=sources)
    cv = fit["cv"]
    print(f"local model written to {args.out} (a local model: never shown under the shipped name)")
    print(f"fitted on {fit['n_children']} children ({fit['n_positive_children']} with scoliosis), "
          f"{fit['n_visits']} visits; {fit['folds']}-fold cross-validation grouped by child:")
    for key in ("sensitivity", "specificity", "auc"):
        f = cv[key]
        print(f"  {key}: {_fmt(f['value'])} ({_fmt(f['lo'])}-{_fmt(f['hi'])})")
    print(f"  (every visit scored; in use the base model's deferral rules still apply: it deferred "
          f"{100 * fit['deferred_by_base_model']:.0f} % of these visits)")
    if fit["n_positive_children"] < 30:
        print(f"Too few children with scoliosis to conclude ({fit['n_positive_children']} < 30).")
    return 0
