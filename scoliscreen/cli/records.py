"""``scoliscreen patients ...``: the local patient records (SQLite in the user data dir)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("patients", help="list, add, edit or archive patients, show a patient's visits")
    p.add_argument("--db", help="records database (default: in the user data dir)")
    psub = p.add_subparsers(dest="patients_command", metavar="ACTION")
    a = psub.add_parser("add", help="add a patient (pseudonymous ID, no real names)")
    a.add_argument("pseudonym")
    a.add_argument("--birth-year", type=int)
    a.add_argument("--sex", choices=["F", "M", "X"], default="X")
    a.add_argument("--school")
    a.add_argument("--class", dest="school_class")
    e = psub.add_parser("edit", help="change a patient's details (only the options given)")
    e.add_argument("pseudonym")
    e.add_argument("--new-id", help="a new pseudonymous ID")
    e.add_argument("--birth-year", type=int)
    e.add_argument("--sex", choices=["F", "M", "X"])
    e.add_argument("--school", help="school ('' clears it)")
    e.add_argument("--class", dest="school_class", help="class ('' clears it)")
    ar = psub.add_parser("archive", help="hide a patient from the lists (nothing is deleted)")
    ar.add_argument("pseudonym")
    ar.add_argument("--undo", action="store_true", help="bring an archived patient back")
    ls = psub.add_parser("list", help="list patients")
    ls.add_argument("search", nargs="?", default="", help="part of an ID, school or class")
    ls.add_argument("--archived", action="store_true", help="include archived patients")
    v = psub.add_parser("visits", help="a patient's visits (all visits if no ID)")
    v.add_argument("pseudonym", nargs="?")
    v.add_argument("--json", action="store_true")
    t = psub.add_parser("trend", help="a patient's probability and Cobb estimate over age")
    t.add_argument("pseudonym")
    t.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _print_visits(rows) -> None:
    from scoliscreen.core.store_history import visit_verdict

    print(f"{'visit':>5}  {'date':<10} {'patient':<12} {'age':>5}  {'quality':<22} {'P(pos)':>6}  "
          f"{'result':<13}  video")
    for r in rows:
        prob = "" if r["probability"] is None else f"{r['probability']:.2f}"
        age = "" if r["age"] is None else f"{r['age']:.1f}"
        print(f"{r['id']:>5}  {r['visited_at'][:10]:<10} {r['pseudonym'] or '-':<12} {age:>5}  "
              f"{r['quality_verdict'] or '':<22} {prob:>6}  {visit_verdict(r):<13}  {r['video'] or ''}")


def run(args) -> int:
    from scoliscreen.core.store import Store

    cmd = args.patients_command
    read_only = cmd not in ("add", "edit", "archive")  # list, visits, trend: the file is not touched
    with Store.open(args.db, read_only=read_only) as store:
        if cmd == "add":
            p = store.add_patient(args.pseudonym, args.birth_year, args.sex, school=args.school,
                                  school_class=args.school_class)
            print(f"added patient {p['pseudonym']} (id {p['id']})")
        elif cmd == "edit":
            p = store.require_patient(args.pseudonym)
            p = store.edit_patient(p["id"], pseudonym=args.new_id, birth_year=args.birth_year, sex=args.sex,
                                   school=args.school, school_class=args.school_class)
            print(f"patient {p['pseudonym']}: born {p['birth_year'] or '?'}, sex {p['sex']}, "
                  f"school {p['school'] or '-'}, class {p['school_class'] or '-'}")
        elif cmd == "archive":
            p = store.archive_patient(store.require_patient(args.pseudonym)["id"], archived=not args.undo)
            print(f"patient {p['pseudonym']} {'archived' if p['archived_at'] else 'restored'}")
        elif cmd == "visits":
            pid = store.require_patient(args.pseudonym)["id"] if args.pseudonym else None
            rows = store.visits(pid)
            if args.json:
                for r in rows:
                    print(json.dumps(r))
            else:
                _print_visits(rows)
        elif cmd == "trend":
            rows = store.trend(store.require_patient(args.pseudonym)["id"])
            for r in rows:
                print(json.dumps(r) if args.json else
                      f"{r['date']}  age {r['age'] if r['age'] is not None else '?':>5}  "
                      f"P {r['probability'] if r['probability'] is not None else '-':>6}  "
                      f"Cobb {r['cobb_estimate'] if r['cobb_estimate'] is not None else '-'}"
                      + (f" [{r['cobb_low']}, {r['cobb_high']}]" if r["cobb_low"] is not None else ""))
        else:
            search, archived = getattr(args, "search", ""), getattr(args, "archived", False)
            for p in store.list_patients(search, include_archived=archived):
                extra = " ".join(x for x in (p["school"], p["school_class"]) if x)
                print(f"{p['pseudonym']:<20} born {p['birth_year'] or '?':<6} sex {p['sex']:<2} "
                      f"visits {p['visit_count']:<3} {'(archived) ' if p['archived_at'] else ''}{extra}")
    return 0
