"""Malformed inputs made at test time (small files; the 'bombs' only claim to be big).

Used by tests/test_campaign.py and tests/test_hardening.py. Nothing here is committed data.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
GOOD_NPZ = REPO / "tests" / "data" / "poses" / "intel_worker_back_walk_away.npz"
MODEL = REPO / "models" / "screening"


def good_arrays() -> dict:
    with np.load(GOOD_NPZ, allow_pickle=False) as d:
        return {k: d[k] for k in d.files}


def write_npz(path: Path, **override) -> Path:
    arrays = good_arrays()
    for k, v in override.items():
        if v is None:
            arrays.pop(k, None)
        else:
            arrays[k] = v
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def npy_header_only(shape, dtype="<f4") -> bytes:
    """An .npy member whose header claims ``shape`` but holds no data."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue()  # magic, length and header


def _magic() -> bytes:
    return b"\x93NUMPY\x01\x00"


def npz_claiming(path: Path, shape=(2**28, 33, 4)) -> Path:
    """An .npz whose landmarks header claims 49+ GiB (shape (2**28, 33, 4) float32 = 132 GiB)."""
    arrays = good_arrays()
    with zipfile.ZipFile(path, "w") as zf:
        for k, v in arrays.items():
            if k == "landmarks":
                zf.writestr("landmarks.npy", npy_header_only(shape))
            else:
                b = io.BytesIO()
                np.lib.format.write_array(b, np.asarray(v))
                zf.writestr(f"{k}.npy", b.getvalue())
    return path


def zip_bomb(path: Path, inflated: int = 300 << 20) -> Path:
    """A real deflate bomb: ``inflated`` bytes of zeros (a float32 landmarks array) in a small file."""
    frames = inflated // (33 * 4 * 4)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (frames, 33, 4)})
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("landmarks.npy", "w", force_zip64=True) as fh:
            fh.write(header.getvalue())
            chunk = bytes(8 << 20)
            left = frames * 33 * 4 * 4
            while left > 0:
                fh.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
        for k in ("fps", "image_size"):
            b = io.BytesIO()
            np.lib.format.write_array(b, np.asarray(good_arrays()[k]))
            zf.writestr(f"{k}.npy", b.getvalue())
    return path


def tampered_model(dst: Path, *, fix_card: bool) -> Path:
    """A copy of the shipped model with one weight changed; ``fix_card`` re-signs the card's hash."""
    import hashlib

    shutil.copytree(MODEL, dst)
    w = dst / "model.safetensors"
    blob = bytearray(w.read_bytes())
    blob[-5] ^= 0x01  # one bit of the last tensor's data
    w.write_bytes(bytes(blob))
    if fix_card:
        card = json.loads((dst / "model_card.json").read_text())
        card["weights"]["sha256"] = hashlib.sha256(bytes(blob)).hexdigest()
        (dst / "model_card.json").write_text(json.dumps(card))
    return dst


def labels(folder: Path, body: str, header: str = "file,subject_id,cobb_angle\n", clip: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if clip:
        (folder / "clips").mkdir(exist_ok=True)
        shutil.copy(GOOD_NPZ, folder / "clips" / "a.npz")
    (folder / "labels.csv").write_text(header + body, encoding="utf-8")
    return folder


def s1k_tree(root: Path, payload: bytes, name: str = "001") -> Path:
    """A Scoliosis1K-Pose layout with one pickle holding ``payload``."""
    d = root / name / "positive" / "000_180"
    d.mkdir(parents=True, exist_ok=True)
    (d / "kp.pkl").write_bytes(payload)
    return root


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path
