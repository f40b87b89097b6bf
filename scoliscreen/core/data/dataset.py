"""The dataset folder format: ``labels.csv`` + the videos / pose sequences it names.

``labels.csv`` (UTF-8, comma-separated, header row) has the columns ``file``, ``subject_id``,
``cobb_angle`` and optionally ``label``, ``sex``, ``age``, ``notes``, ``view``; any other
column is kept in ``Record.extra``. ``file`` is a path relative to the folder, naming a
pose-sequence ``.npz`` or a video. ``cobb_angle`` may be empty when ``label`` is given. The
label is 1 when Cobb >= 10 deg; a ``label`` that contradicts a given ``cobb_angle`` is refused
(train and evaluate learn from the Cobb angle). Subject IDs are compared case- and space-insensitively
(:func:`~scoliscreen.core.data.splits.normalise_subject_id`) in every split and leakage check. Every problem
is reported with the CSV line that causes it. See docs/dataset_format.md.

Videos are pose-estimated once and cached under ``cache_dir()/poses/<sha256 of the file>.npz``,
so renaming or moving a video keeps its cache and editing it invalidates it.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from scoliscreen.core.constants import COBB_BINS, POSITIVE_COBB, SEQUENCE_SUFFIXES, VIDEO_SUFFIXES
from scoliscreen.core.errors import DatasetError, InputError
from scoliscreen.core.fileio import sha256_file
from scoliscreen.core.sequence import PoseSequence, load_sequence, save_sequence

MAX_LABELS_BYTES = 64 << 20
REQUIRED_COLUMNS = ("file", "subject_id", "cobb_angle")
OPTIONAL_COLUMNS = ("label", "sex", "age", "notes", "view")
MAX_COBB = 150.0
POSE_EXTENSIONS = SEQUENCE_SUFFIXES
VIDEO_EXTENSIONS = VIDEO_SUFFIXES
VIEWS = ("front", "back", "side", "unknown")
_LABEL_WORDS = {"1": 1, "0": 0, "positive": 1, "pos": 1, "negative": 0, "neg": 0, "neutral": 0,
                "yes": 1, "no": 0, "true": 1, "false": 0}
_SEX_WORDS = {"f": "F", "female": "F", "girl": "F", "m": "M", "male": "M", "boy": "M",
              "other": "other", "x": "other", "": ""}
MAX_REPORTED = 20


@dataclass
class Record:
    """One clip of the dataset."""

    file: Path                  # absolute path of the video / pose file
    subject_id: str
    cobb_angle: float | None    # deg; None when only a label is known
    label: int                  # 1 = scoliosis (Cobb >= 10 deg unless the label column says otherwise)
    sex: str = ""               # "F", "M", "other" or "" (unknown)
    age: float | None = None    # years
    notes: str = ""             # clinical text
    view: str = "unknown"       # front / back / side / unknown
    rel: str = ""               # ``file`` as written in labels.csv
    line: int = 0               # line of labels.csv (header = line 1)
    extra: dict = field(default_factory=dict)  # other columns, as text

    @property
    def is_video(self) -> bool:
        return self.file.suffix.lower() in VIDEO_EXTENSIONS


def _number(text: str, what: str, where: str, lo: float, hi: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DatasetError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise DatasetError(f"{where}: {what} {text!r} is outside {lo:g}-{hi:g}")
    return value


def _parse_row(row: dict, folder: Path, where: str, extra_cols: list[str]) -> Record:
    rel = (row.get("file") or "").strip()
    if not rel:
        raise DatasetError(f"{where}: the file column is empty")
    candidate = Path(rel.replace("\\", "/"))
    if candidate.is_absolute() or rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
        raise DatasetError(f"{where}: file {rel!r} must be a path relative to the dataset folder")
    path = (folder / candidate).resolve()
    try:
        path.relative_to(folder)
    except ValueError:
        raise DatasetError(f"{where}: file {rel!r} points outside the dataset folder") from None
    ext = path.suffix.lower()
    if ext not in POSE_EXTENSIONS + VIDEO_EXTENSIONS:
        raise DatasetError(f"{where}: file {rel!r} is neither a pose sequence (.npz) nor a video "
                           f"({', '.join(VIDEO_EXTENSIONS)})")
    if not path.is_file():
        raise DatasetError(f"{where}: file {rel!r} does not exist in the dataset folder")
    subject = " ".join((row.get("subject_id") or "").split())
    if not subject:
        raise DatasetError(f"{where}: subject_id is empty")
    cobb_text = (row.get("cobb_angle") or "").strip()
    label_text = (row.get("label") or "").strip().lower()
    cobb = _number(cobb_text, "cobb_angle", where, 0.0, MAX_COBB) if cobb_text else None
    if label_text:
        if label_text not in _LABEL_WORDS:
            raise DatasetError(f"{where}: label {row.get('label')!r} must be 0/1 (or positive/negative/neutral)")
        label = _LABEL_WORDS[label_text]
        if cobb is not None and label != int(cobb >= POSITIVE_COBB):
            raise DatasetError(f"{where}: label {row.get('label')!r} contradicts cobb_angle {cobb:g} (scoliosis means "
                               f"Cobb >= {POSITIVE_COBB:g} deg; the model learns from the Cobb angle): fix one of them")
    elif cobb is not None:
        label = int(cobb >= POSITIVE_COBB)
    else:
        raise DatasetError(f"{where}: give a cobb_angle or a label (both are empty)")
    sex_text = (row.get("sex") or "").strip().lower()
    if sex_text not in _SEX_WORDS:
        raise DatasetError(f"{where}: sex {row.get('sex')!r} must be F, M, other or empty")
    age_text = (row.get("age") or "").strip()
    age = _number(age_text, "age", where, 0.0, 120.0) if age_text else None
    view = (row.get("view") or "").strip().lower() or "unknown"
    if view not in VIEWS:
        raise DatasetError(f"{where}: view {row.get('view')!r} must be one of {', '.join(VIEWS)} or empty")
    return Record(
        file=path, subject_id=subject, cobb_angle=cobb, label=label, sex=_SEX_WORDS[sex_text], age=age,
        notes=(row.get("notes") or "").strip(), view=view, rel=rel, line=0,
        extra={k: (row.get(k) or "") for k in extra_cols},
    )


def read_labels(folder: str | Path) -> tuple[list[Record], list[str]]:
    """Parse and validate ``folder/labels.csv``: (good records, problems). Each problem is one
    sentence naming the CSV line. Does not open the pose files (see ``Dataset.verify``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder")
    folder = folder.resolve()
    csv_path = folder / "labels.csv"
    if not csv_path.is_file():
        raise DatasetError(f"{folder} has no labels.csv (columns: file, subject_id, cobb_angle; see docs/dataset_format.md)")
    if csv_path.stat().st_size > MAX_LABELS_BYTES:
        raise DatasetError(f"{csv_path} is larger than {MAX_LABELS_BYTES >> 20} MiB; that is not a labels file")
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError(f"{csv_path} is not UTF-8 text") from None
    except OSError as exc:
        raise DatasetError(f"{csv_path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DatasetError(f"labels.csv line {line}: contains a NUL byte (not a text CSV file)")
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise DatasetError(f"{csv_path} is empty (it needs a header row: file, subject_id, cobb_angle)")
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DatasetError(f"labels.csv line 1: missing column(s) {', '.join(missing)} "
                           f"(found: {', '.join(header)})")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DatasetError(f"labels.csv line 1: column(s) {', '.join(dupes)} appear more than once")
    extra_cols = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS and h]
    records: list[Record] = []
    problems: list[str] = []
    seen: dict[Path, int] = {}
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DatasetError(f"labels.csv line {reader.line_num}: not valid CSV ({exc})") from None
        line = reader.line_num
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue  # blank line
        where = f"labels.csv line {line}"
        if None in row:  # more fields than header columns
            problems.append(f"{where}: has more fields than the header has columns")
            continue
        try:
            rec = _parse_row(row, folder, where, extra_cols)
        except DatasetError as exc:
            problems.append(str(exc))
            continue
        rec.line = line
        if rec.file in seen:
            problems.append(f"{where}: file {rec.rel!r} is already listed on line {seen[rec.file]} (duplicate row)")
            continue
        seen[rec.file] = line
        records.append(rec)
    if not records and not problems:
        problems.append(f"{csv_path} lists no clips")
    return records, problems


def pose_cache_path(video: str | Path) -> Path:
    """Where the pose sequence of ``video`` is cached (keyed by the file's sha256)."""
    from scoliscreen.core.paths import cache_dir

    return cache_dir() / "poses" / f"{sha256_file(Path(video))}.npz"


class Dataset:
    """A validated dataset folder. ``records`` in CSV order; ``sequence(record)`` loads a clip."""

    def __init__(self, folder: Path, records: list[Record]):
        self.folder = folder
        self.records = records
        self._hashes: dict[tuple[str, int, int], str] = {}

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __getitem__(self, i: int) -> Record:
        return self.records[i]

    @property
    def subjects(self) -> list[str]:
        return sorted({r.subject_id for r in self.records})

    @property
    def labels(self) -> np.ndarray:
        return np.array([r.label for r in self.records], dtype=np.int64)

    def _cache_path(self, path: Path) -> Path:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key not in self._hashes:
            self._hashes[key] = sha256_file(path)
        from scoliscreen.core.paths import cache_dir

        return cache_dir() / "poses" / f"{self._hashes[key]}.npz"

    def is_cached(self, record: Record) -> bool:
        return (not record.is_video) or self._cache_path(record.file).exists()

    def sequence(self, record: Record, progress: Callable[[int, int | None], None] | None = None,
                 should_cancel: Callable[[], bool] | None = None) -> PoseSequence:
        """The clip's PoseSequence (a video is pose-estimated on first use, then read from the cache).

        The record's ``view`` fills ``meta["view"]`` when the file does not know its view.
        """
        if record.is_video:
            cache = self._cache_path(record.file)
            if cache.exists():
                try:
                    seq = load_sequence(cache)
                except InputError:
                    seq = None  # a damaged cache entry is rebuilt
            else:
                seq = None
            if seq is None:
                from scoliscreen.core.pose import estimate_poses
                from scoliscreen.core.video import open_source

                with open_source(record.file) as source:
                    seq = estimate_poses(source, progress=progress, should_cancel=should_cancel)
                seq.meta.setdefault("source", record.rel)
                save_sequence(seq, cache)  # atomic
        else:
            seq = load_sequence(record.file)
        if record.view != "unknown" and seq.meta.get("view", "unknown") in ("unknown", "", None):
            seq.meta["view"] = record.view
        seq.meta.setdefault("subject_id", record.subject_id)
        return seq

    def prepare(self, progress: Callable[[int, int], None] | None = None,
                should_cancel: Callable[[], bool] | None = None) -> int:
        """Pose-estimate every video not cached yet; returns how many were estimated."""
        todo = [r for r in self.records if r.is_video and not self.is_cached(r)]
        for i, rec in enumerate(todo):
            self.sequence(rec, should_cancel=should_cancel)
            if progress:
                progress(i + 1, len(todo))
        return len(todo)

    def verify(self, progress: Callable[[int, int], None] | None = None) -> list[str]:
        """Open every pose file (videos: check only that they are readable); return problems."""
        problems = []
        for i, rec in enumerate(self.records):
            try:
                if rec.is_video:
                    if not os.access(rec.file, os.R_OK):
                        raise InputError(f"{rec.rel}: not readable")
                else:
                    seq = load_sequence(rec.file)
                    if not seq.detected.any():
                        raise InputError(f"{rec.rel}: holds no detected pose")
            except InputError as exc:
                problems.append(f"labels.csv line {rec.line}: {exc}")
            if progress:
                progress(i + 1, len(self.records))
        return problems

    def summary(self) -> dict:
        """Counts for printing: subjects, clips, label balance, Cobb histogram, views."""
        subj_label: dict[str, int] = {}
        subj_cobb: dict[str, float] = {}
        for r in self.records:
            subj_label[r.subject_id] = max(subj_label.get(r.subject_id, 0), r.label)
            if r.cobb_angle is not None:
                subj_cobb[r.subject_id] = max(subj_cobb.get(r.subject_id, 0.0), r.cobb_angle)
        cobb = np.array(list(subj_cobb.values()), dtype=float)
        counts, _ = np.histogram(np.clip(cobb, 0, COBB_BINS[-1] - 1e-6), bins=COBB_BINS)
        views: dict[str, int] = {}
        for r in self.records:
            views[r.view] = views.get(r.view, 0) + 1
        return {
            "subjects": len(subj_label),
            "clips": len(self.records),
            "positive_subjects": int(sum(subj_label.values())),
            "positive_fraction": float(self.labels.mean()) if self.records else 0.0,
            "cobb_mean": float(cobb.mean()) if len(cobb) else 0.0,
            "cobb_histogram": {f"{a}-{b}": int(c) for a, b, c in zip(COBB_BINS[:-1], COBB_BINS[1:], counts)} if len(cobb) else {},
            "views": views,
            "videos": sum(r.is_video for r in self.records),
        }


def load_dataset(folder: str | Path) -> Dataset:
    """Read and validate a dataset folder; raises ``DatasetError`` naming the first bad line
    (and how many more there are)."""
    records, problems = read_labels(folder)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise DatasetError(problems[0] + more)
    return Dataset(Path(folder).resolve(), records)
