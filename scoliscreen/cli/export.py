"""``scoliscreen export``: a recorded visit in a hospital or gait-tool format (docs/interop.md).

    scoliscreen export 12 --format fhir visit12.json        # FHIR R4 Bundle (+ the PDF report)
    scoliscreen export 12 --format dicom visit12.dcm        # DICOM Encapsulated PDF
    scoliscreen export 12 --format c3d visit12.c3d          # 2-D pose, image pixels
    scoliscreen export 12 --format trc visit12.trc          # OpenSim / Pose2Sim markers
    scoliscreen export 12 --format openpose visit12_json/   # BODY_25 JSON per frame
    scoliscreen export 12 --format csv visit12_csv/         # landmarks + knowledge map tables
    scoliscreen export --format fhir --session 3 4 5 class5b.json
    scoliscreen export --example docs/examples               # one example file per format
"""

from __future__ import annotations

import argparse

FORMAT_NAMES = ("fhir", "dicom", "c3d", "trc", "openpose", "csv")  # = core.interop.FORMATS (checked by a test)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a recorded visit as FHIR, DICOM, C3D, TRC, OpenPose JSON or CSV",
                       description="Export a recorded visit for a hospital record (fhir, dicom) or a gait tool "
                                   "(c3d, trc, openpose, csv). Only the pseudonym, birth year and sex leave; "
                                   "names, schools, notes and video paths never do.")
    p.add_argument("visit_id", nargs="?", metavar="VISIT_ID", help="visit number (see `patients visits`)")
    p.add_argument("out", nargs="?", metavar="OUT", help="output file (fhir .json, dicom .dcm, c3d .c3d, trc .trc) "
                                                         "or folder (openpose, csv)")
    # nargs="+": `export 12 --format fhir OUT` (OUT after the option) parses as well as `export 12 OUT --format fhir`
    p.add_argument("--example", metavar="DIR", help="write one example file per format into DIR (docs/examples)")
    p.add_argument("--format", nargs="+", metavar=("FORMAT", "OUT"),
                   help=f"what to write: {', '.join(FORMAT_NAMES)} (OUT may follow it)")
    p.add_argument("--session", nargs="+", metavar="VISIT_ID",
                   help="with --format fhir: one bundle of these visits (then OUT is the only positional)")
    p.add_argument("--db", help="records database (default: in the user data dir)")
    p.set_defaults(func=run)


def run(args) -> int:
    from scoliscreen.app.interop import export_session, export_visit
    from scoliscreen.core.errors import InputError
    from scoliscreen.core.store import Store

    if args.example:
        from scoliscreen.app.interop_examples import write_examples

        for path in write_examples(args.example):
            print(f"example written: {path}")
        return 0
    if not args.format:
        raise InputError("give the format: scoliscreen export VISIT_ID --format FORMAT OUT")
    fmt, *more = args.format
    if fmt not in FORMAT_NAMES:
        raise InputError(f"unknown export format {fmt!r}; choose from {', '.join(FORMAT_NAMES)}")
    if more:
        if len(more) > 1 or (args.out and not args.session):
            raise InputError("give one output: scoliscreen export VISIT_ID --format FORMAT OUT")
        args.out = args.out or more[0]
    args.format = fmt
    if args.session:
        if args.format != "fhir":
            raise InputError("--session makes one FHIR bundle: use it with --format fhir")
        ids = [int(t) for t in args.session if t.isdigit()]
        outs = [t for t in args.session if not t.isdigit()] + [str(x) for x in (args.visit_id, args.out) if x]
        if not ids or len(outs) != 1:
            raise InputError("give visit numbers and one output file: "
                             "scoliscreen export --format fhir --session ID... OUT.json")
        with Store.open(args.db) as store:
            path = export_session(store, ids, outs[0])
    else:
        if args.visit_id is None or not args.out:
            raise InputError("give a visit number and an output: scoliscreen export VISIT_ID --format FORMAT OUT")
        if not str(args.visit_id).isdigit():
            raise InputError(f"{args.visit_id}: a visit number is a whole number (see `patients visits`)")
        with Store.open(args.db) as store:
            path = export_visit(store, int(args.visit_id), args.format, args.out)
    print(f"{args.format} export written to {path}")
    return 0
