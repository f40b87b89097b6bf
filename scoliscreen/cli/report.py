"""``scoliscreen report VISIT_ID OUT.pdf``: the PDF report of a recorded visit.

    scoliscreen report 12 visit12.pdf
    scoliscreen report 12 visit12.pdf --no-blur          # faces left visible (consent on file)
    scoliscreen report --session 3 4 5 --out class5b.pdf  # one row per visit
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write the PDF report of a recorded visit (or a session summary)")
    p.add_argument("visit_id", type=int, nargs="?", metavar="VISIT_ID", help="visit number (see `patients visits`)")
    p.add_argument("out", nargs="?", metavar="OUT.pdf")
    p.add_argument("--session", type=int, nargs="+", metavar="VISIT_ID", help="a summary of these visits instead")
    p.add_argument("--out", dest="out_opt", metavar="OUT.pdf", help="output file with --session")
    p.add_argument("--title", default="Screening session", help="title of a session summary")
    p.add_argument("--no-blur", action="store_true", help="do not blur faces in the key frame")
    p.add_argument("--db", help="records database (default: in the user data dir)")
    p.set_defaults(func=run)


def run(args) -> int:
    from scoliscreen.core.errors import InputError
    from scoliscreen.core.store import Store

    if args.session:
        out = args.out_opt or args.out or (str(args.visit_id) if args.visit_id is not None else None)
        if not out:
            raise InputError("give the output file: scoliscreen report --session ID... --out OUT.pdf")
    else:
        if args.visit_id is None or not args.out:
            raise InputError("give a visit number and an output file: scoliscreen report VISIT_ID OUT.pdf")
        out = args.out
    if not str(out).lower().endswith(".pdf"):
        raise InputError(f"{out}: the report is a PDF; give a file name ending in .pdf")
    from scoliscreen.app.batch_guard import refuse_same_file

    refuse_same_file(out, "the report", database=args.db or Store.default_path())  # `report --db X X`
    from scoliscreen.core.report import report_visit, session_summary

    # --db names another file (a backup being inspected): read-only, no audit row, no WAL switch;
    # the practice's own database logs the export
    with Store.open(args.db, read_only=args.db is not None) as store:
        if args.session:
            path = session_summary(store, args.session, out, title=args.title)
        else:
            path = report_visit(store, args.visit_id, out, blur_faces=not args.no_blur)
    print(f"report written to {path}")
    return 0
