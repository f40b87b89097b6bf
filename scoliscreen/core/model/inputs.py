"""Every clip's model inputs for a whole dataset, built once and cached.

:class:`DatasetInputs` holds arrays (skeleton maps as uint8, knowledge maps of the clip and of
its mirror image, text embeddings of both, Cobb angles, subject IDs). Building costs one
knowledge map + clinical text per clip and view; the cache file (in the user cache dir) is
keyed by the dataset's labels and files, so a second ``train``/``evaluate``/``ablate`` on the
same data starts at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scoliscreen.core.model.features import FEATURE_VERSION, clip_pair, maps_to_uint8


@dataclass
class DatasetInputs:
    maps: np.ndarray  # uint8 [N, T, R, H, W]
    frame_valid: np.ndarray  # bool [N, T]
    km: np.ndarray  # float32 [N, W, F]
    km_m: np.ndarray  # mirrored clip
    text: np.ndarray  # float32 [N, 384]
    text_m: np.ndarray
    cobb: np.ndarray  # float32 [N]
    subjects: np.ndarray  # str [N]
    files: np.ndarray  # str [N]
    region_of_feature: list[int]
    skipped: list[str] = field(default_factory=list)  # "file: reason"
    # class of a clip without a Cobb angle (cobb NaN): a key of outcome.CLASS_COBB_INTERVALS
    # ("negative" / "neutral" / "positive", or "0" / "1"); "" where the Cobb angle is known
    label_class: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.cobb)

    def save(self, path: Path) -> None:
        from scoliscreen.core.fileio import atomic_writer

        with atomic_writer(path, "wb") as fh:  # derived from child videos: 0600
            np.savez(fh, maps=self.maps, frame_valid=self.frame_valid, km=self.km, km_m=self.km_m,
                     text=self.text, text_m=self.text_m, cobb=self.cobb, subjects=self.subjects.astype(str),
                     files=self.files.astype(str), region_of_feature=np.asarray(self.region_of_feature),
                     skipped=np.asarray(self.skipped, dtype=str),
                     label_class=np.asarray(self.label_class if self.label_class is not None else [""] * len(self),
                                            dtype=str))

    @classmethod
    def load(cls, path: Path) -> "DatasetInputs":
        with np.load(path, allow_pickle=False) as d:
            lc = d["label_class"] if "label_class" in d.files else None
            return cls(d["maps"], d["frame_valid"], d["km"], d["km_m"], d["text"], d["text_m"], d["cobb"],
                       d["subjects"], d["files"], [int(v) for v in d["region_of_feature"]], list(d["skipped"]), lc)


def _records(dataset) -> list:
    return list(getattr(dataset, "records", dataset))


def _rec(record, name, default=None):
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def record_path(dataset, record) -> Path:
    f = Path(str(_rec(record, "path", None) or _rec(record, "file")))
    root = getattr(dataset, "root", None) or getattr(dataset, "folder", None)
    return f if f.is_absolute() or root is None else Path(root) / f


def label_class(record) -> str:
    """The class of a record without a Cobb angle: its Scoliosis1K ``category`` column when
    that names a class (negative / neutral / positive), else its binary label ("0" / "1")."""
    from scoliscreen.core.model.outcome import CLASS_COBB_INTERVALS

    extra = _rec(record, "extra", None) or {}
    cat = str(extra.get("category", "") if isinstance(extra, dict) else "").strip().lower()
    if cat in CLASS_COBB_INTERVALS:
        return cat
    return str(int(_rec(record, "label", 0) or 0))


def _code_stamp() -> str:
    """Hash of the sources that shape the inputs (knowledge map, text, features): a change
    there invalidates cached inputs."""
    import scoliscreen.core.constants as const
    import scoliscreen.core.kinematics as kin
    import scoliscreen.core.model.features as feat
    import scoliscreen.core.model.skeleton_maps as smaps
    import scoliscreen.core.sequence as sequence

    h = hashlib.sha256()
    files = sorted(Path(kin.__file__).parent.glob("*.py")) + [
        Path(feat.__file__), Path(smaps.__file__), Path(const.__file__), Path(sequence.__file__)]
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _cache_key(dataset) -> str:
    h = hashlib.sha256(f"v{FEATURE_VERSION}:{_code_stamp()}".encode())
    for r in _records(dataset):
        p = record_path(dataset, r)
        try:
            st = p.stat()
            stamp = f"{st.st_size}:{int(st.st_mtime)}"
        except OSError:
            stamp = "missing"
        h.update(f"|{p.resolve()}|{stamp}|{_rec(r, 'subject_id')}|{_rec(r, 'cobb_angle')}|{_rec(r, 'notes', '')}".encode())
        if _rec(r, "cobb_angle") is None:
            h.update(f"|{label_class(r)}".encode())
    return h.hexdigest()[:24]


def _segment(seq):
    try:
        from scoliscreen.core.quality import assess_quality
    except ImportError:
        return None
    try:
        return assess_quality(seq).segment
    except Exception:  # noqa: BLE001 - the gate is advisory here; training data is curated
        return None


def build_inputs(dataset, progress=None, use_cache: bool = True, text_encoder=None,
                 should_cancel=None) -> DatasetInputs:
    """Inputs of every clip of ``dataset`` (``load_dataset`` result). ``progress(done, total)``.

    A clip that cannot be read or has no usable pose is skipped and listed in ``skipped``.
    """
    from scoliscreen.core.errors import Cancelled, DatasetError, ScoliScreenError
    from scoliscreen.core.paths import cache_dir

    from scoliscreen.core.model.text_encoder import TextEncoder

    records = _records(dataset)
    cache = cache_dir() / "model_inputs" / f"{_cache_key(dataset)}.npz"
    if use_cache and cache.exists():
        try:
            return DatasetInputs.load(cache)
        except (OSError, ValueError, KeyError):
            pass
    rows, skipped, regions, classes = [], [], None, []
    for i, r in enumerate(records):
        if should_cancel is not None and should_cancel():
            raise Cancelled("preparing the model inputs was cancelled")
        name = str(_rec(r, "file"))
        try:
            seq = dataset.sequence(r)
            seg = _segment(seq)
            notes = str(_rec(r, "notes", "") or "")
            a, b = clip_pair(seq, notes, seg)
            if regions is None:
                from scoliscreen.core.kinematics import FEATURE_REGION_INDEX

                regions = [int(i) for i in FEATURE_REGION_INDEX]
            a.points = maps_to_uint8(a.points[None])[0]  # keep the rendered maps, not the points
            b.points = None
            cobb = _rec(r, "cobb_angle")
            rows.append((a, b, float("nan") if cobb is None else float(cobb), str(_rec(r, "subject_id")), name))
            classes.append("" if cobb is not None else label_class(r))
        except ScoliScreenError as exc:
            skipped.append(f"{name}: {exc}")
        if progress is not None:
            progress(i + 1, len(records))
    if not rows:
        raise DatasetError("no clip of the dataset could be turned into model inputs")
    enc = text_encoder or TextEncoder.shared()
    t_a = enc.encode([a.text for a, *_ in rows])
    t_b = enc.encode([b.text for _, b, *_ in rows])
    out = DatasetInputs(
        maps=np.stack([a.points for a, *_ in rows]),
        frame_valid=np.stack([a.frame_valid for a, *_ in rows]),
        km=np.stack([a.km for a, *_ in rows]).astype(np.float32),
        km_m=np.stack([b.km for _, b, *_ in rows]).astype(np.float32),
        text=t_a, text_m=t_b,
        cobb=np.array([c for *_, c, _, _ in rows], np.float32),
        subjects=np.array([s for *_, s, _ in rows]),
        files=np.array([f for *_, f in rows]),
        region_of_feature=regions, skipped=skipped, label_class=np.array(classes, dtype=str),
    )
    if use_cache:
        out.save(cache)
    return out
