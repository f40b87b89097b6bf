"""Model commands: ``train``, ``evaluate``, ``predict``, ``ablate``.

    scoliscreen train DATASET --out DIR [--epochs 30] [--seed 0] [--device auto]
    scoliscreen evaluate DATASET [--model DIR] [--json]
    scoliscreen predict PATH... [--model DIR] [--format jsonl|table] [--notes TEXT]
    scoliscreen ablate DATASET [--folds 3] [--epochs 12] [--out docs/results.md]

torch is imported lazily (inside the commands) so ``scoliscreen --help`` stays instant.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

from scoliscreen.core.constants import DEVICES


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train a screening model on a dataset folder",
        description="Train the multimodal screening model (skeleton-map video + knowledge map + clinical text, "
                    "latent attention pooling) on a dataset folder, with a subject-grouped train/validation/test "
                    "split, early stopping, calibration and a high-sensitivity operating point; write weights "
                    "and model card to --out.",
    )
    p.add_argument("dataset", type=Path, nargs="*",
                   help="dataset folder (labels.csv + files); several folders (e.g. one per simulated world) "
                        "train on their mixture")
    p.add_argument("--from-records", action="store_true",
                   help="train on this clinic's visits with an outcome (scoliscreen outcomes) instead of a folder")
    p.add_argument("--db", help="records database for --from-records (default: in the user data dir)")
    p.add_argument("--base", type=Path, metavar="MODEL_DIR",
                   help="fine-tune this model (its network and standardisation) instead of training from scratch")
    p.add_argument("--out", type=Path, required=True, help="output folder for model.safetensors + model card")
    _train_args(p, epochs=30)
    p.add_argument("--modalities", nargs="+", choices=("video", "map", "text"), default=["video", "map", "text"],
                   help="network inputs (default: all three)")
    p.add_argument("--fusion", choices=("latent", "concat", "attention"), default="latent")
    p.add_argument("--consistency", type=float, default=0.0,
                   help="weight of the within-subject variance of the model's score (batches of whole subjects; "
                        "default 0: off)")
    p.add_argument("--val", type=float, default=0.15, help="fraction of subjects for validation (default 0.15)")
    p.add_argument("--test", type=float, default=0.15, help="fraction of subjects held out for the card's test "
                                                            "metrics (default 0.15)")
    p.set_defaults(func=run_train)

    p = subparsers.add_parser(
        "evaluate", help="score a model on a labelled dataset of unseen subjects",
        description="Accuracy, macro-F1, per-class precision/recall/F1, ROC-AUC, sensitivity and specificity at "
                    "the model's operating point, and Cobb MAE. Refuses a dataset that shares a subject with the "
                    "model's training or validation data.",
    )
    p.add_argument("dataset", type=Path)
    p.add_argument("--model", type=Path, default=None, help="model folder (default: the shipped model)")
    p.add_argument("--device", default="auto", choices=DEVICES, help="auto: CUDA, then MPS, then CPU")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", type=Path, default=None, help="also write the metrics as JSON to this file")
    p.set_defaults(func=run_evaluate)

    p = subparsers.add_parser(
        "predict", help="screen videos or pose-sequence files",
        description="Screen each input (video, pose-sequence .npz, or another tool's pose: OpenPose JSON folder, "
                    ".trc, COCO-17 .json; a folder means every such input in it). "
                    "One JSON object per input; a file that fails gets an 'error' entry and the run goes on. "
                    "Research use only - not a diagnostic device.",
    )
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--model", type=Path, default=None, help="model folder (default: the shipped model)")
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    p.add_argument("--notes", default="", help="clinician notes added to the clinical text")
    p.add_argument("--subject", default="auto", metavar="WHO",
                   help="who to follow in videos with several people: 'auto' (the person who walks), "
                        "a point 'X,Y[@FRAME]' or a track number '#N' (see `scoliscreen analyze --help`)")
    p.add_argument("--device", default="auto", choices=DEVICES)
    p.add_argument("--visit", action="store_true",
                   help="the inputs are several clips of one visit: one answer, every usable window of every "
                        "usable clip pooled (one JSON object, with each clip's own result under 'clips')")
    p.set_defaults(func=run_predict)

    p = subparsers.add_parser(
        "ablate", help="the modality / fusion ablation on subject-independent folds -> docs/results.md",
        description="Train and score video only, knowledge map only, map + video, map + video + text, and fusion "
                    "by concat, concat + attention, latent pooling on grouped folds; write the table.",
    )
    p.add_argument("dataset", type=Path)
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--subjects", type=int, default=0,
                   help="use the clips of at most this many subjects, drawn with --seed (0 = all)")
    _train_args(p, epochs=12)
    p.add_argument("--results", type=Path, default=None, help="markdown output (default: docs/results.md of the install)")
    p.set_defaults(func=run_ablate)

    p = subparsers.add_parser(
        "model-report", help="regenerate the card-derived figures of docs/model.md and docs/results.md",
        description="Write the operating-point report of a model card (and its ROC image) into the docs; "
                    "with --refresh-from, first recompute the card's test report on the training dataset.",
    )
    p.add_argument("model_dir", nargs="?", type=Path, default=None, help="model folder (default: the shipped one)")
    p.add_argument("--docs", type=Path, default=None, help="docs folder (default: docs/ of the install)")
    p.add_argument("--refresh-from", metavar="DATASET", type=Path, default=None,
                   help="first recompute the card's test report on DATASET (the training folder; same split)")
    p.set_defaults(func=run_model_report)


def _train_args(p, epochs: int) -> None:
    p.add_argument("--epochs", type=int, default=epochs, help=f"maximum epochs (default {epochs})")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--patience", type=int, default=6, help="early-stopping patience in epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dim", type=int, default=64, help="token width")
    p.add_argument("--device", default="auto", choices=DEVICES, help="auto: CUDA, then MPS, then CPU")
    p.add_argument("--threads", type=int, default=2, help="CPU threads for torch (default 2)")


def _config(args):
    from scoliscreen.core.model.train import TrainConfig

    import math

    from scoliscreen.core.errors import InputError

    ranges = (("--epochs", args.epochs, 1, 10_000), ("--batch-size", args.batch_size, 1, 4096),
              ("--patience", args.patience, 0, 10_000), ("--dim", args.dim, 8, 1024),
              ("--threads", args.threads, 1, 256))
    for name, value, lo, hi in ranges:
        if not lo <= value <= hi:
            raise InputError(f"{name} must be between {lo} and {hi}, got {value}")
    if not (math.isfinite(args.lr) and 0 < args.lr <= 1):
        raise InputError(f"--lr must be a number in (0, 1], got {args.lr}")
    for name in ("val", "test"):
        v = getattr(args, name, None)
        if v is not None and not (math.isfinite(v) and 0 <= v < 1):
            raise InputError(f"--{name} must be a fraction in [0, 1), got {v}")
    if getattr(args, "val", 0) + getattr(args, "test", 0) >= 1:
        raise InputError("--val and --test together must leave subjects for training (sum below 1)")
    extra = {k: getattr(args, k) for k in ("modalities", "fusion") if getattr(args, k, None)}
    if "modalities" in extra:
        from scoliscreen.core.model.network import MODALITIES

        extra["modalities"] = tuple(m for m in MODALITIES if m in extra["modalities"])
    consistency = float(getattr(args, "consistency", 0.0) or 0.0)
    if not (math.isfinite(consistency) and 0 <= consistency <= 100):
        raise InputError(f"--consistency must be a number in [0, 100], got {consistency}")
    return TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                       seed=args.seed, dim=args.dim, device=args.device, threads=args.threads,
                       consistency=consistency, **extra)


@contextmanager
def _bar():
    """Yields ``update(description, done, total)`` over the shared progress bar."""
    from scoliscreen.cli._progress import progress_bar

    with progress_bar("working") as update:
        yield lambda description, done, total: update(done, total, description)


def run_train(args) -> int:
    from scoliscreen.core.errors import InputError
    from scoliscreen.core.fileio import private_dir

    if args.from_records == bool(args.dataset):
        raise InputError("give a dataset folder or --from-records (one of them)")
    if args.db and not args.from_records:
        raise InputError("--db goes with --from-records")
    if args.base is not None and len(args.dataset) > 1:
        raise InputError("--base fine-tunes on one dataset folder (or --from-records), not a mixture")

    private_dir(args.out, private=False)  # a file, a link or a device as OUT is refused before training
    from scoliscreen.core.model.pipeline import train_pipeline

    cfg = _config(args)
    with _bar() as bar:
        def progress(stage, done, total, info):
            if stage == "train" and info:
                bar(f"training (val AUC {info.get('val_auc', float('nan')):.3f})", done, total)
            else:
                bar("preparing inputs", done, total)

        if args.from_records:
            card = _train_from_records(args, cfg, progress)
        elif len(args.dataset) == 1:
            card = train_pipeline(args.dataset[0], args.out, cfg, args.val, args.test, progress=progress,
                                  init=_base_net(args.base))
        else:
            from scoliscreen.core.model.crossworld import load_world, train_mixture

            worlds = [load_world(_world_name(d), d, progress=lambda n, t: bar("preparing inputs", n, t))
                      for d in args.dataset]
            card = train_mixture(worlds, args.out, cfg, args.val, args.test, progress=progress)
    m = card.get("metrics_test") or card.get("metrics_val", {})
    which = "held-out test" if card.get("metrics_test") else "validation"
    print(f"saved {card['model_version']} to {args.out}")
    print(f"{which} subjects: " + ", ".join(f"{k} {v:.3f}" for k, v in m.items() if isinstance(v, float)))
    print(f"operating point: P >= {card['operating_point']['threshold']:.3f} "
          f"(validation sensitivity {card['operating_point']['val_sensitivity']:.3f})")
    tr = card["training"]
    print(f"{tr['epochs_run']} epochs (best {tr['best_epoch']}) on {tr['device_used']}, {tr['seconds_total']:.0f} s")
    return 0


def _base_net(base: Path | None):
    """The network to fine-tune (``--base``; sha256 checked like any model), or None."""
    if base is None:
        return None
    from scoliscreen.core.model.card import load_model

    return load_model(base, "cpu")[0]


def _train_from_records(args, cfg, progress) -> dict:
    """``train --from-records``: the visits with an outcome as a private temporary dataset folder
    (core/store_dataset.py), trained on like any dataset: the same likelihood for Cobb angles and
    class-only outcomes, subject(-patient)-grouped splits, the same card (no ids in it)."""
    import tempfile

    from scoliscreen.core.model.pipeline import train_pipeline
    from scoliscreen.core.store_dataset import records_to_dataset

    with tempfile.TemporaryDirectory(prefix="scoliscreen-train-") as tmp:
        folder = Path(tmp) / "records"
        n = records_to_dataset(args.db, folder)
        info = {"dataset": "clinic records (visits with an outcome)", "source": "records", "record_clips": n,
                "base_model": str(args.base.name) if args.base else None}
        return train_pipeline(folder, args.out, cfg, args.val, args.test, progress=progress,
                              dataset_info=info, init=_base_net(args.base))


def _world_name(folder: Path) -> str:
    """The simulated world of a dataset folder (its simulation.json), else the folder name."""
    try:
        return str(json.loads((folder / "simulation.json").read_text()).get("world") or folder.name)
    except (OSError, ValueError):
        return folder.name


def run_evaluate(args) -> int:
    from scoliscreen.core.fileio import atomic_write_bytes, check_target

    if args.out:
        check_target(args.out)  # a link, a device or a folder is refused before the evaluation
    from scoliscreen.core.model.evaluate import metrics_table
    from scoliscreen.core.model.pipeline import evaluate_pipeline

    with _bar() as bar:
        m = evaluate_pipeline(args.dataset, args.model, args.device,
                              progress=lambda d, n: bar("preparing inputs", d, n))
    if args.out:
        atomic_write_bytes(args.out, (json.dumps(m, indent=2) + "\n").encode())
    if args.json:
        print(json.dumps(m, indent=2))
    else:
        print(f"model {m['model_version']} on {args.dataset}")
        print(metrics_table(m))
        if m["skipped"]:
            print(f"{len(m['skipped'])} clip(s) skipped: " + "; ".join(m["skipped"][:5]))
    return 0


def _table_row(obj: dict) -> str:
    name = Path(obj["input"]).name
    if "error" in obj:
        return f"{name:<40} error: {obj['error']}"
    top = max(obj["region_weights"].items(), key=lambda kv: kv[1])
    return (f"{name:<40} {obj['label']:<9} P={obj['probability']:.3f}  Cobb~{obj['cobb_estimate']:.0f}°  "
            f"band {obj['severity_band']:<6} top region {top[0]} ({top[1]:.2f})  [{obj['quality']['verdict']}]")


def run_predict(args) -> int:
    from scoliscreen.core.errors import InputError
    from scoliscreen.app.models import load_screener
    from scoliscreen.app.screening import expand_inputs, screen_file
    from scoliscreen.core.tracking import parse_subject

    parse_subject(args.subject)  # a bad --subject: one line, exit 2, before the model loads
    paths = expand_inputs(args.paths)
    if not paths:
        raise InputError("no video or pose-sequence file found in the given paths")
    screener = load_screener(args.model, args.device)
    if args.visit:
        return _predict_visit(args, paths, screener)
    if args.format == "table":
        print(f"{'input':<40} {'label':<9} result   (model {screener.model_version}; research use only)")
    failures = 0
    with _bar() as bar:
        for path in paths:
            obj = screen_file(path, screener, args.notes,
                              progress=lambda d, n, name=path.name: bar(f"pose {name}", d, n or 0),
                              subject=args.subject)
            failures += "error" in obj
            print(json.dumps(obj) if args.format == "jsonl" else _table_row(obj), flush=True)
            if "error" in obj:  # also on stderr, one line per failed input; the batch goes on
                msg = _one_line(obj["error"])
                msg = msg if msg.startswith(obj["input"]) else f"{obj['input']}: {msg}"
                print(f"scoliscreen: error: {msg}", file=sys.stderr, flush=True)
    return 2 if failures else 0


def _predict_visit(args, paths, screener) -> int:
    from scoliscreen.app.screening import screen_visit

    with _bar() as bar:
        obj = screen_visit(paths, screener, args.notes,
                           progress=lambda d, n: bar("pose", d, n or 0))
    if args.format == "jsonl":
        print(json.dumps(obj), flush=True)
    else:
        print(f"visit of {len(paths)} clips (model {screener.model_version}; research use only)")
        for c in obj["clips"]:
            res = c.get("error") or f"{c['label']:<9} P={c['probability']:.3f}  windows {len(c['windows_s'])}"
            print(f"  {Path(str(c['input'])).name:<40} {_one_line(str(res))}")
        if "error" not in obj:
            print(f"{'visit':<42} {obj['label']:<9} P={obj['probability']:.3f}  Cobb~{obj['cobb_estimate']:.0f}°  "
                  f"band {obj['severity_band']}  ({obj['windows']} windows pooled)")
    for c in obj["clips"]:
        if "error" in c:
            print(f"scoliscreen: error: {c['input']}: {_one_line(str(c['error']))}", file=sys.stderr, flush=True)
    if "error" in obj:
        print(f"scoliscreen: error: {_one_line(str(obj['error']))}", file=sys.stderr, flush=True)
        return 3 if obj.get("refused_by_gate") else 2
    return 0


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def run_ablate(args) -> int:
    from scoliscreen.core.model.ablation import write_results
    from scoliscreen.core.model.inputs import build_inputs
    from scoliscreen.core.model.pipeline import _load
    from scoliscreen.core.paths import install_root

    cfg = _config(args)
    with _bar() as bar:
        inputs = build_inputs(_load(args.dataset), progress=lambda d, n: bar("preparing inputs", d, n))
        from scoliscreen.core.model.ablation import run_ablation, subset_subjects

        inputs = subset_subjects(inputs, args.subjects, args.seed)
        run = run_ablation(inputs, cfg, args.folds, progress=lambda d, n, label: bar(f"ablation: {label}", d, n))
    out = args.results or install_root() / "docs" / "results.md"
    command = "scoliscreen ablate " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "scoliscreen ablate"
    write_results(run, out, dataset=str(args.dataset), command=command)
    print(f"wrote {out}")
    for key, s in run["summary"].items():
        print(f"{key:<10} macro-F1 {s['macro_f1'][0]:.3f}  AUC {s['roc_auc'][0]:.3f}")
    for metric, v in (run.get("fold_verdict") or {}).items():
        print(f"{metric}: best mean {v['best']}, runner-up {v['runner_up']}; "
              + ("ahead in every fold" if v["every_fold"] else "not ahead in every fold: no winner"))
    return 0


def run_model_report(args) -> int:
    from scoliscreen.core.model.report import update_docs
    from scoliscreen.core.paths import install_root, screening_model_dir

    model_dir = args.model_dir or screening_model_dir()
    if args.refresh_from:
        from scoliscreen.core.model.pipeline import refresh_report

        refresh_report(args.refresh_from, model_dir)
    for p in update_docs(model_dir, args.docs or install_root() / "docs"):
        print(p)
    return 0
