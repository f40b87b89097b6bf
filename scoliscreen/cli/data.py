"""Data commands: ``simulate``, ``import-scoliosis1k`` and ``dataset check``.

    scoliscreen simulate OUT_DIR --subjects 500 --clips-per-subject 3 --seed 0
    scoliscreen import-scoliosis1k SRC OUT [--image-size W H]
    scoliscreen dataset check FOLDER [--split 0.7 0.15 0.15 | --folds 5] [--seed 0]

Heavy work lives in ``scoliscreen.core.sim`` and ``scoliscreen.core.data``; this module only
parses arguments, shows progress and prints summaries.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scoliscreen.cli._progress import progress_bar


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "simulate", help="write a simulated scoliotic-gait dataset (pose sequences + labels.csv)",
        description="Simulate adolescents walking towards / away from a camera, with and without scoliosis, "
                    "and write a dataset folder (poses/*.npz + labels.csv). Deterministic for a seed.",
    )
    p.add_argument("out_dir", type=Path, help="output folder (created; must not already hold a labels.csv)")
    p.add_argument("--subjects", type=int, default=500, help="number of subjects (default 500)")
    p.add_argument("--clips-per-subject", type=int, default=3, help="clips per subject (default 3)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: up to 2)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing labels.csv in OUT_DIR")
    p.add_argument("--world", default="A", choices=_world_choices(),
                   help="which simulated world (docs/simulator.md): A (default), B, C (a structurally different "
                        "world model) or R (asymmetries injected into real recorded walking)")
    p.add_argument("--pose-errors", default="world", choices=("world", "fitted"),
                   help="pose-estimator errors: each world's own model (default), or the model fitted on real "
                        "MediaPipe output (worlds C and R always use it)")
    p.set_defaults(func=run_simulate)

    p = subparsers.add_parser(
        "import-scoliosis1k", help="convert Scoliosis1K-Pose pickles into the dataset folder format",
        description="Convert the OpenGait Scoliosis1K-Pose layout (SRC/<subject>/<label>/<view>/*.pkl, COCO-17 "
                    "keypoints per frame, plus a Scoliosis1K_*.json partition) into a dataset folder. "
                    "Neutral maps to label 0 (negative); see docs/dataset_format.md.",
    )
    p.add_argument("src", type=Path, help="Scoliosis1K-Pose root folder")
    p.add_argument("out", type=Path, help="output dataset folder")
    p.add_argument("--image-size", type=int, nargs=2, metavar=("W", "H"), default=None,
                   help="frame size in pixels of the keypoints (default: inferred from the keypoint extent)")
    p.add_argument("--fps", type=float, default=30.0, help="frame rate of the sequences (default 30)")
    p.add_argument("--partition", type=Path, default=None, help="partition JSON (default: SRC/Scoliosis1K_*.json)")
    p.add_argument("--subject-map", type=Path, default=None,
                   help="CSV sequence_id,subject_id naming the child behind each sequence (default: one child per sequence)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing labels.csv in OUT")
    p.set_defaults(func=run_import)

    p = subparsers.add_parser("dataset", help="inspect a dataset folder (labels.csv + files)")
    dsub = p.add_subparsers(dest="dataset_command", metavar="ACTION")
    c = dsub.add_parser("check", help="validate labels.csv and print counts and a subject-independent split",
                        description="Validate FOLDER/labels.csv and the files it names; print clip / subject / "
                                    "label counts and the subject-independent split it would get.")
    c.add_argument("folder", type=Path)
    c.add_argument("--split", type=float, nargs=3, metavar=("TRAIN", "VAL", "TEST"), default=(0.7, 0.15, 0.15),
                   help="train/validation/test fractions of subjects (default 0.7 0.15 0.15)")
    c.add_argument("--folds", type=int, default=0, help="show a grouped k-fold split instead")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--load", action="store_true", help="also open every pose file (slower; videos are not pose-estimated)")
    c.set_defaults(func=run_check)
    p.set_defaults(func=lambda args, _p=p: (_p.print_help(), 0)[1])


def print_summary(summary: dict, out=None) -> None:
    """Label balance, Cobb histogram and per-view counts of a dataset summary."""
    out = out or sys.stdout
    n, pos = summary["subjects"], summary["positive_subjects"]
    print(f"subjects: {n}   clips: {summary['clips']}", file=out)
    print(f"label balance: {pos} positive subjects (Cobb >= 10 deg) = {pos / max(n, 1):.1%}; "
          f"{n - pos} negative; positive clips {summary['positive_fraction']:.1%}", file=out)
    hist = summary.get("cobb_histogram") or {}
    if hist:
        print(f"Cobb angle histogram (subjects, mean {summary.get('cobb_mean', 0):.1f} deg):", file=out)
        top = max(hist.values()) or 1
        for rng, count in hist.items():
            print(f"  {rng:>7} deg {count:6d} {'#' * int(round(40 * count / top))}", file=out)
    print("views: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.get("views", {}).items())), file=out)
    if summary.get("fps"):
        print("fps: " + ", ".join(f"{k} {v}" for k, v in sorted(summary["fps"].items())), file=out)


def _world_choices() -> tuple[str, ...]:
    from scoliscreen.core.constants import WORLDS  # not core.sim: building the parser stays light

    return WORLDS


def run_simulate(args: argparse.Namespace) -> int:
    from scoliscreen.core.sim import simulate_dataset

    with progress_bar("simulating subjects") as progress:
        summary = simulate_dataset(args.out_dir, args.subjects, args.clips_per_subject, args.seed,
                                   progress=progress, workers=args.workers, overwrite=args.overwrite,
                                   world=args.world, pose_errors=args.pose_errors)
    print_summary(summary)
    print(f"wrote {summary['labels_csv']} in {summary['elapsed_s']:.1f} s ({summary['workers']} worker(s))")
    return 0


def run_import(args: argparse.Namespace) -> int:
    import math

    from scoliscreen.core.data.scoliosis1k import import_scoliosis1k
    from scoliscreen.core.errors import InputError
    from scoliscreen.core.sequence import MAX_FPS, MAX_IMAGE_SIDE

    if args.image_size is not None and not all(1 <= v <= MAX_IMAGE_SIDE for v in args.image_size):
        raise InputError(f"--image-size must be two pixel counts between 1 and {MAX_IMAGE_SIDE}, got "
                         f"{args.image_size[0]} {args.image_size[1]}")
    if not (math.isfinite(args.fps) and 0 < args.fps <= MAX_FPS):
        raise InputError(f"--fps must be a number in (0, {MAX_FPS:.0f}], got {args.fps}")

    with progress_bar("converting sequences") as progress:
        summary = import_scoliosis1k(args.src, args.out, image_size=args.image_size, fps=args.fps,
                                     partition=args.partition, subject_map=args.subject_map,
                                     progress=progress, overwrite=args.overwrite)
    print_summary(summary)
    if summary.get("partition"):
        print("partition: " + ", ".join(f"{k} {v} subjects" for k, v in summary["partition"].items()))
    for warning in summary.get("warnings", [])[:20]:
        print(f"warning: {warning}")
    print(f"wrote {summary['labels_csv']}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from scoliscreen.core.data import load_dataset, read_labels
    from scoliscreen.core.data.splits import describe_split, grouped_kfold, grouped_train_val_test
    from scoliscreen.core.errors import DatasetError

    _check_split_args(args)
    _records, problems = read_labels(args.folder)
    if problems:
        for p in problems[:50]:
            print(f"problem: {p}")
        if len(problems) > 50:
            print(f"... and {len(problems) - 50} more")
        more = f" (and {len(problems) - 1} more problem(s), listed above)" if len(problems) > 1 else ""
        raise DatasetError(problems[0] + more)
    ds = load_dataset(args.folder)
    print_summary(ds.summary())
    if args.load:
        with progress_bar("opening pose files") as progress:
            problems = ds.verify(progress=progress)
        for p in problems:
            print(f"problem: {p}")
        print(f"opened {len(ds.records)} files: {len(problems)} problem(s)")
        if problems:
            more = f" (and {len(problems) - 1} more problem(s), listed above)" if len(problems) > 1 else ""
            raise DatasetError(problems[0] + more)
    recs = ds.records
    if args.folds and args.folds > 1:
        for k, (train, test) in enumerate(grouped_kfold(recs, args.folds, seed=args.seed)):
            print(f"fold {k + 1}: " + describe_split(recs, {"train": train, "test": test}))
    else:
        tr, va, te = args.split
        train, val, test = grouped_train_val_test(recs, val=va / (tr + va + te), test=te / (tr + va + te), seed=args.seed)
        print("split: " + describe_split(recs, {"train": train, "validation": val, "test": test}))
    return 0


def _check_split_args(args: argparse.Namespace) -> None:
    import math

    from scoliscreen.core.errors import InputError

    if not all(math.isfinite(v) and 0 <= v <= 1 for v in args.split) or not 0 < args.split[0] or sum(args.split) <= 0:
        raise InputError(f"--split needs three fractions in [0, 1] with TRAIN > 0, got {' '.join(map(str, args.split))}")
    if not 0 <= args.folds <= 100:
        raise InputError(f"--folds must be between 0 and 100, got {args.folds}")
