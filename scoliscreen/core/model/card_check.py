"""Checks on a model folder made BEFORE anything is built from it.

* :func:`check_config`: the network configuration in ``model_card.json`` within bounds (a card
  claiming ``dim = 10**6`` is refused before 3 GB are allocated, not after);
* :func:`config_sha256`: the canonical hash of that configuration. Provenance pins it next to
  the weights' hash, so an edited configuration makes a "local model" as edited weights do;
* :func:`check_safetensors_header`: the header's length and every tensor's byte range fit the
  file (a header claiming 2**60 bytes is refused, with one line).

Every failure is a :class:`ModelIntegrityError` (exit 2).
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from pathlib import Path

from scoliscreen.core.errors import ModelIntegrityError

# network.MODALITIES and fusion.FUSIONS (those import torch; a card is checked before torch loads;
# tests/test_campaign_hardening.py checks they agree)
MODALITIES = ("video", "map", "text")
FUSIONS = ("latent", "attention", "concat")
MAX_CARD_BYTES = 16 << 20
MAX_HEADER_BYTES = 16 << 20
# name -> (low, high) for integer settings
_INT_BOUNDS = {"dim": (1, 1024), "n_features": (1, 4096), "video_layers": (0, 16), "map_layers": (0, 16),
               "latents": (1, 1024), "frame_step": (1, 96)}


def config_sha256(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _int(cfg: dict, key: str, where: str) -> int:
    v = cfg.get(key)
    lo, hi = _INT_BOUNDS[key]
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ModelIntegrityError(f"{where}: config.{key} must be a whole number from {lo} to {hi}, got {v!r}"[:300])
    return v


def _numbers(cfg: dict, key: str, where: str, *, most: int) -> list:
    v = cfg.get(key)
    if not isinstance(v, list) or not 0 < len(v) <= most or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v):
        raise ModelIntegrityError(f"{where}: config.{key} must be a list of at most {most} numbers")
    return v


def check_config(card: object, where: str | Path) -> dict:
    """The card's ``config`` if it is a dict within bounds; else a ModelIntegrityError."""
    from scoliscreen.core.landmarks import NUM_REGIONS

    if not isinstance(card, dict):
        raise ModelIntegrityError(f"{where}: the model card is not a JSON object")
    cfg = card.get("config")
    if not isinstance(cfg, dict):
        raise ModelIntegrityError(f"{where}: the model card has no network configuration")
    for key in _INT_BOUNDS:
        if key in cfg or key in ("dim", "n_features", "latents"):
            _int(cfg, key, str(where))
    mods = cfg.get("modalities")
    if not isinstance(mods, list) or not mods or not set(mods) <= set(MODALITIES):
        raise ModelIntegrityError(f"{where}: config.modalities must be some of {', '.join(MODALITIES)}")
    if cfg.get("fusion") not in FUSIONS:
        raise ModelIntegrityError(f"{where}: config.fusion must be one of {', '.join(FUSIONS)}")
    regions = _numbers(cfg, "region_of_feature", str(where), most=4096)
    if len(regions) != cfg["n_features"] or not all(float(r).is_integer() and 0 <= r < NUM_REGIONS for r in regions):
        raise ModelIntegrityError(f"{where}: config.region_of_feature must name a body region per feature")
    _numbers(cfg, "window_centres", str(where), most=64)
    if "cobb_thresholds" in cfg:
        _numbers(cfg, "cobb_thresholds", str(where), most=32)
    return cfg


def check_safetensors_header(path: Path) -> None:
    """The header is at most 16 MiB of JSON and every tensor's byte range lies inside the file."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            if n > min(MAX_HEADER_BYTES, size - 8):
                raise ModelIntegrityError(f"{path}: the weights' header claims {n} bytes; the file has {size}")
            header = json.loads(fh.read(n))
    except (struct.error, ValueError, UnicodeDecodeError, RecursionError):
        raise ModelIntegrityError(f"{path}: not a safetensors weights file") from None
    data = size - 8 - n
    if not isinstance(header, dict):
        raise ModelIntegrityError(f"{path}: not a safetensors weights file")
    for name, t in header.items():
        if name == "__metadata__":
            continue
        offs = t.get("data_offsets") if isinstance(t, dict) else None
        if (not isinstance(offs, list) or len(offs) != 2 or not all(isinstance(o, int) for o in offs)
                or not 0 <= offs[0] <= offs[1] <= data):
            raise ModelIntegrityError(f"{path}: tensor {str(name)[:40]!r} lies outside the file")
