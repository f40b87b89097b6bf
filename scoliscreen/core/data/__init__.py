"""Data: the dataset folder format, the pose cache, Scoliosis1K-Pose import and grouped splits.

    from scoliscreen.core.data import load_dataset, Dataset, Record
    from scoliscreen.core.data.splits import grouped_train_val_test, grouped_kfold, check_no_leakage

docs/dataset_format.md describes the folder layout and labels.csv.
"""

from scoliscreen.core.data.dataset import (
    OPTIONAL_COLUMNS,
    POSITIVE_COBB,
    REQUIRED_COLUMNS,
    VIDEO_EXTENSIONS,
    Dataset,
    Record,
    load_dataset,
    pose_cache_path,
    read_labels,
)

__all__ = [
    "Dataset", "Record", "load_dataset", "read_labels", "pose_cache_path",
    "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS", "VIDEO_EXTENSIONS", "POSITIVE_COBB",
]
