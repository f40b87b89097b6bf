"""Pose from other tools in: a folder of OpenPose BODY_25 JSON frames, a 2-D TRC
(Pose2Sim / Sports2D / OpenSim), or a COCO-17 keypoint JSON sequence, read into a
:class:`PoseSequence` (missing landmarks NaN) that goes through the same quality gate and model
as any pose sequence. Mappings: docs/interop.md."""

from __future__ import annotations

from pathlib import Path

from scoliscreen.core.errors import InputError
from scoliscreen.core.sequence import PoseSequence

POSE_IN_SUFFIXES: tuple[str, ...] = (".trc", ".json")  # files; OpenPose is a folder of .json


def is_foreign_pose(spec: object) -> bool:
    """True for a ``.trc`` or ``.json`` file, or a folder holding OpenPose JSON frames."""
    if not isinstance(spec, (str, Path)):
        return False
    path = Path(spec)
    if path.suffix.lower() in POSE_IN_SUFFIXES:
        return True
    from scoliscreen.core.interop.openpose import is_openpose_folder

    try:
        return is_openpose_folder(path)
    except OSError:
        return False


def load_foreign_pose(spec: str | Path) -> PoseSequence:
    path = Path(spec)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        from scoliscreen.core.interop.openpose import read_openpose

        return read_openpose(path)
    suffix = path.suffix.lower()
    if suffix == ".trc":
        from scoliscreen.core.interop.trc import read_trc

        return read_trc(path)
    if suffix == ".json":
        from scoliscreen.core.interop.coco import read_coco

        return read_coco(path)
    raise InputError(f"{path}: not a pose file ScoliScreen reads (.npz, .trc, COCO .json or an OpenPose folder)")


def is_pose_input(path: Path) -> bool:
    """Stricter than :func:`is_foreign_pose`, for scanning folders: a ``.trc`` file, a ``.json``
    file that looks like COCO keypoints, or an OpenPose JSON folder (its frames are not inputs)."""
    from scoliscreen.core.interop.coco import is_coco_file
    from scoliscreen.core.interop.openpose import is_openpose_folder

    try:
        if path.is_dir():
            return is_openpose_folder(path)
        if path.suffix.lower() == ".trc":
            return path.is_file()
        return is_coco_file(path)
    except OSError:
        return False


def pose_inputs(folder: Path, *, recursive: bool = False) -> list[Path]:
    """Other tools' pose files and OpenPose folders under ``folder`` (hidden ones skipped; the
    JSON frames inside an OpenPose folder are not listed on their own)."""
    found: list[Path] = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if is_pose_input(p):
            found.append(p)
        elif recursive and p.is_dir():
            found += pose_inputs(p, recursive=True)
    return found


def content_sha256(path: str | Path) -> str:
    """sha256 of a pose file, or of an OpenPose folder (its JSON frames' names and bytes, in order)."""
    import hashlib

    from scoliscreen.core.fileio import sha256_file

    path = Path(path)
    if not path.is_dir():
        return sha256_file(path)
    from scoliscreen.core.interop.openpose import frame_files

    h = hashlib.sha256()
    for f in frame_files(path):
        h.update(f.name.encode() + b"\0" + bytes.fromhex(sha256_file(f)))
    return h.hexdigest()
