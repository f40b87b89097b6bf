"""``scoliscreen patients ...``: the local patient records (SQLite in the user data dir)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("patients", help="list or add patients, show a patient's visits")
    p.add_argument("--db", help="records database (default: in the user data dir)")
    psub = p.add_subparsers(dest="patients_command", metavar="ACTION")
    a = psub.add_parser("add", help="add a patient (pseudonymous ID, no real names)")
    a.add_argument("pseudonym")
    a.add_argument("--birth-year", type=int)
    a.add_argument("--sex", choices=["F", "M", "X"], default="X")
    psub.add_parser("list", help="list patients")
    v = psub.add_parser("visits", help="a patient's visits (all visits if no ID)")
    v.add_argument("pseudonym", nargs="?")
    v.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from scoliscreen.core.store import Store

    with Store.open(args.db) as store:
        if args.patients_command == "add":
            p = store.add_patient(args.pseudonym, args.birth_year, args.sex)
            print(f"added patient {p['pseudonym']} (id {p['id']})")
        elif args.patients_command == "visits":
            pid = store.require_patient(args.pseudonym)["id"] if args.pseudonym else None
            rows = store.visits(pid)
            if args.json:
                for r in rows:
                    r = dict(r)
                    r.pop("result_json", None)
                    print(json.dumps(r))
            else:
                print(f"{'visit':>5}  {'date (UTC)':<25} {'patient':>7}  {'quality':<22} {'P(pos)':>6}  "
                      f"{'result':<8}  video")
                for r in rows:
                    prob = "" if r["probability"] is None else f"{r['probability']:.2f}"
                    print(f"{r['id']:>5}  {r['created_at']:<25} {r['patient_id'] or '-':>7}  "
                          f"{r['quality_verdict'] or '':<22} {prob:>6}  {r['label'] or '':<8}  {r['video']}")
        else:
            for p in store.list_patients():
                print(f"{p['pseudonym']:<20} born {p['birth_year'] or '?':<6} sex {p['sex']}")
    return 0
