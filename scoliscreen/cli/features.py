"""``scoliscreen features``: the knowledge-map feature catalogue and per-clip feature export.

    scoliscreen features --list                          # print the catalogue
    scoliscreen features --markdown docs/knowledge_map.md  # regenerate the catalogue document
    scoliscreen features SEQUENCE.npz --csv OUT.csv      # per-window matrix as CSV
    scoliscreen features SEQUENCE.npz --text --notes "..."  # clinical text of the clip
"""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "features",
        help="knowledge-map feature catalogue; export a pose sequence's features",
        description="List the clinical-prior feature catalogue, or compute the knowledge map of a "
                    "pose-sequence file (.npz, see `scoliscreen analyze --save-sequence`).",
    )
    p.add_argument("sequence", nargs="?", help="pose-sequence .npz file")
    p.add_argument("--list", action="store_true", help="print the feature catalogue")
    p.add_argument("--markdown", metavar="PATH", help="write the catalogue as Markdown (docs/knowledge_map.md)")
    p.add_argument("--csv", metavar="PATH", help="write the per-window feature matrix as CSV")
    p.add_argument("--summary-json", metavar="PATH", help="write the per-clip summary vector as JSON")
    p.add_argument("--text", action="store_true", help="print the clinical text")
    p.add_argument("--notes", default="", help="clinician's free-text notes to append to the text")
    p.set_defaults(func=run)


def _print_catalogue(out) -> None:
    from scoliscreen.core.kinematics import FEATURES

    out.write(f"{'feature':<34} {'region':<16} {'space':<9} {'unit':<10} {'signed':<6} {'normal range':<16} formula\n")
    for f in FEATURES:
        rng = "" if f.normal_range is None else f"{f.normal_range[0]:.3g}..{f.normal_range[1]:.3g}"
        out.write(f"{f.name:<34} {f.region:<16} {f.space:<9} {f.unit:<10} {'yes' if f.signed else '':<6} "
                  f"{rng:<16} {f.description}\n")
    out.write(f"{len(FEATURES)} features\n")


def _write_text(path, text: str) -> None:
    """Write via a temporary file and an atomic rename: never a half-written file."""
    from scoliscreen.core.fileio import atomic_write_text

    atomic_write_text(path, text)


def run(args) -> int:
    from scoliscreen.core.errors import InputError

    try:
        return _run(args)
    except OSError as exc:  # an output that cannot be written: one line, exit 2
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        raise InputError(f"{where}cannot write ({exc.strerror or type(exc).__name__})") from None


def _run(args) -> int:
    from scoliscreen.core.errors import InputError

    if not (args.list or args.markdown or args.sequence):
        raise InputError("give a pose-sequence file, --list or --markdown PATH (see scoliscreen features --help)")
    if args.list:
        _print_catalogue(sys.stdout)
    if args.markdown:
        from scoliscreen.core.kinematics import catalogue_markdown

        _write_text(args.markdown, catalogue_markdown() + "\n")
        print(f"wrote {args.markdown}", file=sys.stderr)
    if not args.sequence:
        if args.csv or args.text or args.summary_json:
            raise InputError("--csv, --text and --summary-json need a pose-sequence file")
        return 0
    if not str(args.sequence).lower().endswith(".npz"):
        raise InputError(f"{args.sequence}: not a pose-sequence .npz file; make one with "
                         "`scoliscreen analyze VIDEO --save-sequence OUT.npz`")

    from scoliscreen.core.kinematics import clinical_text, compute_knowledge_map
    from scoliscreen.core.sequence import load_sequence

    seq = load_sequence(args.sequence)
    km = compute_knowledge_map(seq)
    if args.csv:
        km.write_csv(args.csv)
        print(f"wrote {args.csv}: {km.n_windows} windows x {len(km.features)} features", file=sys.stderr)
    if args.summary_json:
        data = {"view": km.view, "summary": dict(zip(km.summary_names, map(float, km.summary)))}
        _write_text(args.summary_json, json.dumps(data, indent=1) + "\n")
        print(f"wrote {args.summary_json}", file=sys.stderr)
    if args.text or not (args.csv or args.summary_json):
        if not args.text:
            print(f"{args.sequence}: {km.n_frames} frames at 30 fps, {km.n_windows} windows x "
                  f"{len(km.features)} features, view {km.view}, "
                  f"{km.summary_value('coverage.values') * 100:.0f}% of values computable")
        print(clinical_text(km, args.notes).text)
    return 0
