"""Subject-independent splits: grouped, stratified, seeded; leakage refused with a clear error."""

from dataclasses import dataclass

import numpy as np
import pytest

from scoliscreen.core.data.splits import (
    check_no_leakage,
    describe_split,
    grouped_kfold,
    grouped_train_val_test,
    split_counts,
    split_from_column,
)
from scoliscreen.core.errors import DatasetError, LeakageError


@dataclass
class Rec:
    subject_id: str
    label: int
    extra: dict = None
    line: int = 0


@pytest.fixture(scope="module")
def records():
    """120 subjects, 1-5 clips each, ~35% positive; clips of one subject interleaved in the list."""
    rng = np.random.default_rng(0)
    recs = []
    for s in range(120):
        label = int(rng.random() < 0.35)
        for _ in range(int(rng.integers(1, 6))):
            recs.append(Rec(f"p{s:03d}", label))
    order = rng.permutation(len(recs))
    return [recs[i] for i in order]


@pytest.fixture(scope="module")
def sim_records(tmp_path_factory):
    """Records of a real simulated dataset folder."""
    from scoliscreen.core.data import load_dataset
    from scoliscreen.core.sim import simulate_dataset

    out = tmp_path_factory.mktemp("splits") / "ds"
    simulate_dataset(out, subjects=30, clips_per_subject=3, seed=5, workers=1)
    return load_dataset(out).records


def subjects(records, idx):
    return {records[i].subject_id for i in idx}


def test_train_val_test_is_subject_disjoint_complete_and_stratified(records):
    train, val, test = grouped_train_val_test(records, val=0.15, test=0.2, seed=1)
    assert sorted(train + val + test) == list(range(len(records)))
    a, b, c = subjects(records, train), subjects(records, val), subjects(records, test)
    assert not (a & b) and not (a & c) and not (b & c)
    n = len(a | b | c)
    assert abs(len(c) / n - 0.2) < 0.03 and abs(len(b) / n - 0.15) < 0.03
    pos = lambda idx: np.mean([records[i].label for i in idx])  # noqa: E731 - a one-line helper reads best as a lambda
    overall = np.mean([r.label for r in records])
    for part in (train, val, test):
        assert abs(pos(part) - overall) < 0.1


def test_splits_are_seeded(records):
    assert grouped_train_val_test(records, seed=3) == grouped_train_val_test(records, seed=3)
    assert grouped_train_val_test(records, seed=3) != grouped_train_val_test(records, seed=4)
    assert grouped_kfold(records, 5, seed=3) == grouped_kfold(records, 5, seed=3)


def test_grouped_kfold_never_splits_a_subject(records):
    folds = grouped_kfold(records, k=5, seed=0)
    assert len(folds) == 5
    seen = []
    for train, test in folds:
        assert not (subjects(records, train) & subjects(records, test))
        assert sorted(train + test) == list(range(len(records)))
        seen += sorted(subjects(records, test))
    assert sorted(seen) == sorted({r.subject_id for r in records})  # each subject tested exactly once
    sizes = [len(subjects(records, t)) for _, t in folds]
    assert max(sizes) - min(sizes) <= 1
    pos = [np.mean([records[i].label for i in t]) for _, t in folds]
    assert max(pos) - min(pos) < 0.2


def test_leakage_is_refused_naming_the_subjects(records):
    train, _, test = grouped_train_val_test(records, seed=0)
    counts = check_no_leakage([records[i] for i in train], [records[i] for i in test])
    assert counts["train_clips"] == len(train) and counts["eval_subjects"] == len(subjects(records, test))
    leaked = [records[i] for i in train[:1]]
    with pytest.raises(LeakageError) as info:
        check_no_leakage([records[i] for i in train], [records[i] for i in test] + leaked, what="test")
    message = str(info.value)
    assert leaked[0].subject_id in message and "refusing the test" in message and "1 subject(s)" in message
    with pytest.raises(LeakageError, match="s1"):
        check_no_leakage(["s1", "s2"], ["s3", "s1"])


def test_describe_split_reports_counts_and_refuses_overlap(records):
    train, val, test = grouped_train_val_test(records, seed=0)
    text = describe_split(records, {"train": train, "validation": val, "test": test})
    c = split_counts(records, {"train": train})["train"]
    assert f"train {c['subjects']} subjects / {c['clips']} clips ({c['positive_subjects']} positive subjects)" in text
    with pytest.raises(LeakageError):
        describe_split(records, {"train": train, "test": test + train[:3]})


def test_small_and_invalid_requests_give_clear_errors(records):
    few = [Rec("a", 0), Rec("a", 0), Rec("b", 1)]
    with pytest.raises(DatasetError, match="needs at least 5 subjects"):
        grouped_kfold(few, 5)
    with pytest.raises(DatasetError, match="k >= 2"):
        grouped_kfold(records, 1)
    with pytest.raises(DatasetError, match="at least 2 subjects"):
        grouped_train_val_test([Rec("a", 0)])
    with pytest.raises(DatasetError, match="fractions"):
        grouped_train_val_test(records, val=0.6, test=0.5)
    train, val, test = grouped_train_val_test(records, val=0.0, test=0.25)
    assert val == [] and train and test


@pytest.mark.slow
def test_on_a_simulated_dataset_folder(sim_records):
    train, val, test = grouped_train_val_test(sim_records, seed=0)
    assert not (subjects(sim_records, train) & subjects(sim_records, test))
    assert all(len([i for i in test if sim_records[i].subject_id == s]) == 3 for s in subjects(sim_records, test))
    for train, test in grouped_kfold(sim_records, 3):
        check_no_leakage([sim_records[i] for i in train], [sim_records[i] for i in test])


def test_split_from_a_partition_column():
    recs = [Rec("a", 0, {"partition": "train"}), Rec("b", 1, {"partition": "test"}), Rec("a", 0, {"partition": "train"})]
    assert split_from_column(recs) == {"train": [0, 2], "test": [1]}
    recs.append(Rec("a", 0, {"partition": "test"}, line=5))
    with pytest.raises(LeakageError):
        split_from_column(recs)
    with pytest.raises(DatasetError, match="line 7: the partition column is empty"):
        split_from_column([Rec("c", 0, {"partition": ""}, line=7)])
