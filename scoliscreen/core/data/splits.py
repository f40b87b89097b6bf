"""Subject-independent splits: no child ever sits on both sides of a train / evaluation split.

All functions take a sequence of records (anything with ``subject_id`` and ``label``
attributes, e.g. ``Dataset.records``) and return lists of record indices. Splitting is done
on *subjects*: each subject's label is the maximum over its clips (a subject with one
positive clip is a positive subject), subjects are stratified by that label, shuffled with
the seed, and every clip follows its subject.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from scoliscreen.core.errors import DatasetError, LeakageError


def normalise_subject_id(subject_id) -> str:
    """The one form of a subject ID every comparison uses: case-folded, spaces collapsed
    (``" Anna  K "`` and ``"anna k"`` are the same subject)."""
    return " ".join(str(subject_id).split()).casefold()


def _subjects(records: Sequence) -> tuple[dict[str, list[int]], dict[str, int]]:
    clips: dict[str, list[int]] = {}
    label: dict[str, int] = {}
    for i, r in enumerate(records):
        sid = normalise_subject_id(r.subject_id)
        clips.setdefault(sid, []).append(i)
        label[sid] = max(label.get(sid, 0), int(r.label))
    return clips, label


def _shuffled_by_class(label: dict[str, int], seed: int) -> dict[int, list[str]]:
    rng = np.random.default_rng(seed)
    out: dict[int, list[str]] = {}
    for cls in sorted(set(label.values())):
        subs = sorted(s for s, v in label.items() if v == cls)
        out[cls] = [subs[i] for i in rng.permutation(len(subs))]
    return out


def grouped_train_val_test(records: Sequence, val: float = 0.15, test: float = 0.15,
                           seed: int = 0) -> tuple[list[int], list[int], list[int]]:
    """(train, validation, test) record indices; subjects split ~``1-val-test : val : test``
    within each label class. A fraction of 0 leaves that side empty; a positive fraction gets
    at least one subject of each class that has at least three subjects."""
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise DatasetError(f"validation and test fractions must be in [0, 1) and sum below 1 (got {val}, {test})")
    clips, label = _subjects(records)
    if len(clips) < 2 and (val > 0 or test > 0):
        raise DatasetError(f"a subject-independent split needs at least 2 subjects, the dataset has {len(clips)}")
    parts: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for _cls, subs in _shuffled_by_class(label, seed).items():
        n = len(subs)
        n_test = int(round(n * test))
        n_val = int(round(n * val))
        if n >= 3:
            n_test = max(n_test, 1 if test > 0 else 0)
            n_val = max(n_val, 1 if val > 0 else 0)
        while n_test + n_val >= n and (n_test + n_val) > 0 and n > 0:  # keep at least one for training
            if n_val >= n_test and n_val > 0:
                n_val -= 1
            else:
                n_test -= 1
        parts["test"] += subs[:n_test]
        parts["val"] += subs[n_test:n_test + n_val]
        parts["train"] += subs[n_test + n_val:]
    idx = {k: sorted(i for s in v for i in clips[s]) for k, v in parts.items()}
    return idx["train"], idx["val"], idx["test"]


def grouped_kfold(records: Sequence, k: int = 5, seed: int = 0) -> list[tuple[list[int], list[int]]]:
    """k (train, test) pairs of record indices; each subject is in exactly one test fold.

    Subjects of each label class are dealt round-robin to the folds (after a seeded shuffle,
    larger subjects first so clip counts stay even), continuing where the previous class
    stopped so fold sizes differ by at most one subject.
    """
    clips, label = _subjects(records)
    if k < 2:
        raise DatasetError(f"k-fold needs k >= 2 (got {k})")
    if len(clips) < k:
        raise DatasetError(f"{k}-fold cross-validation needs at least {k} subjects, the dataset has {len(clips)}")
    fold_of: dict[str, int] = {}
    pos = 0
    for _cls, subs in _shuffled_by_class(label, seed).items():
        subs = sorted(subs, key=lambda s: -len(clips[s]))  # stable: keeps the shuffle among equals
        for s in subs:
            fold_of[s] = pos % k
            pos += 1
    out = []
    for f in range(k):
        test = sorted(i for s, ff in fold_of.items() if ff == f for i in clips[s])
        train = sorted(i for s, ff in fold_of.items() if ff != f for i in clips[s])
        out.append((train, test))
    return out


def _ids(items: Iterable) -> set[str]:
    out = set()
    for it in items:
        out.add(normalise_subject_id(it if isinstance(it, str) else it.subject_id))
    return out


def check_no_leakage(train_records: Iterable, eval_records: Iterable, what: str = "evaluation") -> dict:
    """Refuse (``LeakageError``) when a subject is on both sides; else return the counts.

    Items are records (with ``subject_id``) or subject-id strings. The counts dict holds
    ``train_subjects``, ``train_clips``, ``eval_subjects``, ``eval_clips``.
    """
    train = list(train_records)
    evals = list(eval_records)
    a, b = _ids(train), _ids(evals)
    shared_norm = a & b
    if shared_norm:  # shown as written in the evaluation data
        raw = {normalise_subject_id(s): str(s) for s in
               (it if isinstance(it, str) else it.subject_id for it in evals)}
        shared = sorted(raw[s] for s in shared_norm)
        shown = ", ".join(shared[:5]) + (f" and {len(shared) - 5} more" if len(shared) > 5 else "")
        raise LeakageError(
            f"refusing the {what}: {len(shared)} subject(s) appear in both the training data and the "
            f"{what} data ({shown}); split by subject_id (see scoliscreen.core.data.splits)"
        )
    return {"train_subjects": len(a), "train_clips": len(train), "eval_subjects": len(b), "eval_clips": len(evals)}


def split_counts(records: Sequence, parts: dict[str, Sequence[int]]) -> dict[str, dict[str, int]]:
    """Per side: subjects, clips, positive subjects, positive clips."""
    out = {}
    for name, idx in parts.items():
        recs = [records[i] for i in idx]
        _, label = _subjects(recs)
        out[name] = {
            "subjects": len(label),
            "clips": len(recs),
            "positive_subjects": int(sum(label.values())),
            "positive_clips": int(sum(int(r.label) for r in recs)),
        }
    return out


def describe_split(records: Sequence, parts: dict[str, Sequence[int]]) -> str:
    """One line for printing, e.g. ``train 350 subjects / 1050 clips (140 pos.) | test ...``,
    after checking that no two sides share a subject."""
    names = list(parts)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            check_no_leakage([records[j] for j in parts[a]], [records[j] for j in parts[b]], what=f"{b} split")
    counts = split_counts(records, parts)
    return " | ".join(
        f"{name} {c['subjects']} subjects / {c['clips']} clips ({c['positive_subjects']} positive subjects)"
        for name, c in counts.items()
    )


def split_from_column(records: Sequence, column: str = "partition") -> dict[str, list[int]]:
    """Indices grouped by a column of ``Record.extra`` (e.g. the Scoliosis1K train/test partition),
    checked for leakage between every pair of groups."""
    parts: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        value = (getattr(r, "extra", {}) or {}).get(column, "")
        if not value:
            raise DatasetError(f"labels.csv line {getattr(r, 'line', '?')}: the {column} column is empty")
        parts.setdefault(value, []).append(i)
    describe_split(records, parts)  # raises LeakageError on a shared subject
    return parts
