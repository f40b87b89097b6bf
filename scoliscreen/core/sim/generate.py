"""Simulated clips and whole simulated dataset folders (``labels.csv`` + pose-sequence files).

A dataset of N subjects x K clips is deterministic for a seed, whatever the number of
worker processes. Every random choice has its own stream (:func:`subject_plan`): subject i
draws from ``SeedSequence(seed).spawn(N)[i]``; that subject's parameters, its first view
and each clip k come from separate children of it (``SeedSequence(subject_seed).spawn``),
and inside a clip the recording setup, the body motion and the pose-estimator noise again
draw from separate children (:func:`clip_streams`). No choice reuses another's numbers, so
view, fps, camera and body build are independent of the label. ``world`` picks the world model
(A, B, C, R: ``worlds``; docs/simulator.md); subject IDs carry the world (``simC<seed>-N``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable

import numpy as np

from scoliscreen import __version__
from scoliscreen.core.constants import COBB_BINS, POSITIVE_COBB
from scoliscreen.core.errors import InputError
from scoliscreen.core.fileio import atomic_write_bytes
from scoliscreen.core.sequence import save_sequence
from scoliscreen.core.sim.world_a import GENERATOR, clip_streams, simulate_clip
from scoliscreen.core.sim.worlds import POSE_ERRORS, check_world, sampler, simulate_clip_in

__all__ = ["GENERATOR", "clip_streams", "simulate_clip", "simulate_dataset", "subject_plan", "subject_id",
           "summarize_rows", "PROVENANCE_FILE", "LABEL_COLUMNS"]

LABEL_COLUMNS = (
    "file", "subject_id", "cobb_angle", "label", "sex", "age", "view",
    "curve_type", "convex_side", "height_m", "fps", "width", "height", "notes",
)


def subject_plan(subject_seed: int, subject_id: str, clips: int, world: str = "A",
                 ) -> tuple[Any, list[tuple[str, np.random.Generator]]]:
    """A subject and its clips' (view, generator): the subject's parameters, its first view and
    each clip draw from separate children of ``SeedSequence(subject_seed)``. Views alternate
    from a fair coin of their own. ``world``: one of ``worlds.WORLDS`` ("A" default)."""
    children = np.random.SeedSequence(int(subject_seed)).spawn(2 + clips)
    subject = sampler(world)(np.random.default_rng(children[0]), subject_id=subject_id, seed=subject_seed)
    first = "front" if np.random.default_rng(children[1]).random() < 0.5 else "back"
    other = "back" if first == "front" else "front"
    return subject, [(first if k % 2 == 0 else other, np.random.default_rng(children[2 + k])) for k in range(clips)]


def _subject_seeds(seed: int, subjects: int) -> list[int]:
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(subjects)]


def subject_id(seed: int, index: int, world: str = "A") -> str:
    """A simulated subject's ID: unique across seeds (and worlds), so datasets of different
    seeds share no subject and a model trained on one can be evaluated on another."""
    return f"sim{seed}-{index:05d}" if world == "A" else f"sim{world}{seed}-{index:05d}"


def _simulate_subjects(job: tuple[str, list[tuple[int, int]], int, int, str, str]) -> list[dict]:
    """Worker: simulate and write all clips of the given (index, seed) subjects; returns CSV rows."""
    out_dir, items, clips_per_subject, seed, world, pose_errors = job
    out = Path(out_dir)
    rows = []
    for index, sseed in items:
        sid = subject_id(seed, index, world)
        subject, plan = subject_plan(sseed, sid, clips_per_subject, world)
        for k, (view, clip_rng) in enumerate(plan):
            seq = simulate_clip_in(world, subject, clip_rng, view=view, pose_errors=pose_errors)
            rel = f"poses/{sid}_{k + 1}.npz"
            save_sequence(seq, out / rel)
            rows.append({
                "file": rel, "subject_id": sid, "cobb_angle": f"{subject.cobb_angle:.1f}",
                "label": subject.label, "sex": subject.sex, "age": f"{subject.age:.1f}", "view": view,
                "curve_type": subject.curve_type, "convex_side": subject.convex_side,
                "height_m": f"{subject.height_m:.3f}", "fps": f"{seq.fps:g}",
                "width": seq.image_size[0], "height": seq.image_size[1], "notes": "",
            })
    return rows


def _write_csv_atomic(path: Path, rows: list[dict], columns=LABEL_COLUMNS) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    from scoliscreen.core.fileio import atomic_write_text

    atomic_write_text(path, buf.getvalue(), private=False)  # simulated data, no patient


def summarize_rows(rows: list[dict]) -> dict:
    """Label balance, Cobb histogram (per subject), per-view and per-fps counts of CSV rows."""
    subjects: dict[str, float] = {}
    for r in rows:
        subjects[r["subject_id"]] = float(r["cobb_angle"])
    cobb = np.array(list(subjects.values()), dtype=float)
    counts, _ = np.histogram(cobb, bins=COBB_BINS)
    labels = [int(r["label"]) for r in rows]
    views: dict[str, int] = {}
    fps: dict[str, int] = {}
    for r in rows:
        views[r["view"]] = views.get(r["view"], 0) + 1
        fps[str(r["fps"])] = fps.get(str(r["fps"]), 0) + 1
    return {
        "subjects": len(subjects),
        "clips": len(rows),
        "positive_subjects": int((cobb >= POSITIVE_COBB).sum()),
        "positive_fraction": float(np.mean(labels)) if labels else 0.0,
        "cobb_mean": float(cobb.mean()) if len(cobb) else 0.0,
        "cobb_histogram": {f"{a}-{b}": int(c) for a, b, c in zip(COBB_BINS[:-1], COBB_BINS[1:], counts)},
        "views": views,
        "fps": fps,
    }


PROVENANCE_FILE = "simulation.json"  # how the folder was made; the model card copies it


def simulate_dataset(
    out_dir: str | Path, subjects: int, clips_per_subject: int = 3, seed: int = 0,
    progress: Callable[[int, int], None] | None = None, workers: int | None = None, overwrite: bool = False,
    world: str = "A", pose_errors: str = "world",
) -> dict:
    """Write a simulated dataset folder: ``poses/*.npz`` + ``labels.csv``; return a summary dict.

    ``progress(done_subjects, total_subjects)`` is called as work completes. ``workers``: worker
    processes (default: up to 2 CPU cores; 1 = in this process). A folder that already holds a
    ``labels.csv`` is refused unless ``overwrite`` (never silently replace someone's data).
    ``world``: "A" (the default simulator), "B", "C" or "R" (``worlds``; for leave-one-world-out tests).
    ``pose_errors``: "world" (each world's own estimator model) or "fitted" (the model fitted on
    real MediaPipe output for worlds A and B too; C and R always use it).
    """
    check_world(world)
    if pose_errors not in POSE_ERRORS:
        raise InputError(f"pose errors must be one of {', '.join(POSE_ERRORS)}, got {pose_errors!r}")
    out = _check_simulate_args(Path(out_dir), subjects, clips_per_subject, workers, overwrite)
    # Everything is written into a fresh sibling folder, renamed into place at the end: an
    # interrupted run leaves no half dataset, and --overwrite leaves no stale clip behind.
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
        (tmp / "poses").mkdir()
    except OSError as exc:
        raise InputError(f"cannot create the dataset folder {out}: {exc.strerror or exc}") from None
    start = time.perf_counter()
    try:
        rows = _run_jobs(tmp, subjects, clips_per_subject, seed, progress, workers, world, pose_errors)
        _write_csv_atomic(tmp / "labels.csv", rows)
        atomic_write_bytes(tmp / PROVENANCE_FILE, json.dumps({
            "simulated": True, "generator": "scoliscreen simulate", "world": world, "pose_errors": pose_errors,
            "command": f"scoliscreen simulate OUT --subjects {subjects} --clips-per-subject {clips_per_subject} "
                       f"--seed {seed} --world {world} --pose-errors {pose_errors}",
            "subjects": subjects, "clips_per_subject": clips_per_subject, "seed": int(seed),
            "scoliscreen_version": __version__,
        }, indent=2).encode(), private=False)
        if out.exists():  # empty, or a previous simulation with --overwrite
            old = out.with_name(tmp.name + ".old")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except OSError as exc:
        raise InputError(f"cannot write the dataset into {out}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    summary = summarize_rows(rows)
    summary.update({"out_dir": str(out), "labels_csv": str(out / "labels.csv"), "seed": int(seed),
                    "elapsed_s": round(time.perf_counter() - start, 2), "workers": _workers(workers, subjects, clips_per_subject)})
    return summary


MAX_SUBJECTS = 100_000
MAX_CLIPS_PER_SUBJECT = 20
MAX_WORKERS = 64


def _check_simulate_args(out: Path, subjects, clips_per_subject, workers, overwrite: bool) -> Path:
    """Argument ranges and the output folder: missing, empty, or (with overwrite) a previous simulation."""
    if not 1 <= subjects <= MAX_SUBJECTS:
        raise InputError(f"--subjects must be between 1 and {MAX_SUBJECTS}, got {subjects}")
    if not 1 <= clips_per_subject <= MAX_CLIPS_PER_SUBJECT:
        raise InputError(f"--clips-per-subject must be between 1 and {MAX_CLIPS_PER_SUBJECT}, got {clips_per_subject}")
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise InputError(f"--workers must be between 1 and {MAX_WORKERS}, got {workers}")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            what = "already holds a labels.csv" if (out / "labels.csv").exists() else "is not empty"
            raise InputError(f"{out} {what}; choose an empty or new folder (or --overwrite a previous simulation)")
        if not (out / PROVENANCE_FILE).is_file():
            raise InputError(f"{out} holds files that `scoliscreen simulate` did not make (no {PROVENANCE_FILE}); "
                             "--overwrite only replaces a previous simulation")
    return out


def _workers(workers: int | None, subjects: int, clips_per_subject: int) -> int:
    if workers is None:
        return min(2, os.cpu_count() or 1) if subjects * clips_per_subject >= 60 else 1
    return max(1, int(workers))


def _run_jobs(out: Path, subjects: int, clips_per_subject: int, seed: int,
              progress: Callable[[int, int], None] | None, workers: int | None, world: str = "A",
              pose_errors: str = "world") -> list[dict]:
    """Simulate all subjects (in chunks, over worker processes) and return the CSV rows in order."""
    seeds = _subject_seeds(seed, subjects)
    items = list(enumerate(seeds, start=1))
    workers = _workers(workers, subjects, clips_per_subject)
    chunk = max(1, min(25, subjects // (workers * 4) or 1))
    jobs = [(str(out), items[i:i + chunk], clips_per_subject, seed, world, pose_errors)
            for i in range(0, len(items), chunk)]
    results: list[list[dict]] = [None] * len(jobs)  # type: ignore[list-item]
    done = 0
    if workers <= 1:
        for j, job in enumerate(jobs):
            results[j] = _simulate_subjects(job)
            done += len(job[1])
            if progress:
                progress(done, subjects)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_simulate_subjects, job): j for j, job in enumerate(jobs)}
            for fut in as_completed(futures):
                j = futures[fut]
                results[j] = fut.result()
                done += len(jobs[j][1])
                if progress:
                    progress(done, subjects)
    return [r for part in results for r in part]
