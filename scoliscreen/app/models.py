"""Loading the screening model and describing it (status bar, model card) for the CLI and GUI.

The GUI never reads model files itself: it asks :func:`model_card_text` and :func:`model_info`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from scoliscreen.core.model.predict import Screener

_screeners: dict[str, Screener] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class ModelInfo:
    device: str  # "cpu", "cuda", "mps", ...
    device_name: str  # readable: "CPU", "GPU: <name>"
    model_version: str


@dataclass(frozen=True)
class ModelCardText:
    format: str  # "markdown" or "plain"
    text: str


def load_screener(model_dir: str | Path | None = None, device: str = "auto") -> Screener:
    """A freshly loaded screening model (the shipped one by default; sha256 checked)."""
    return Screener.load(model_dir, device=device)


def shared_screener(device: str = "auto", model_dir: str | Path | None = None) -> Screener:
    """One loaded ``Screener`` per (device, model folder), shared by every caller of a process."""
    key = f"{device}|{model_dir}"
    with _lock:
        if key not in _screeners:
            _screeners[key] = load_screener(model_dir, device)
        return _screeners[key]


def device_description(device: str) -> str:
    """Readable compute device: the GPU's name, or "CPU"."""
    dev = str(device)
    if dev.startswith("cuda"):
        try:
            import torch

            return f"GPU: {torch.cuda.get_device_name(torch.device(dev))}"
        except (RuntimeError, AssertionError, ImportError):
            return "GPU (CUDA)"
    if dev.startswith("mps"):
        return "GPU: Apple (MPS)"
    return "CPU"


def model_info(screener: Screener) -> ModelInfo:
    return ModelInfo(str(screener.device), device_description(screener.device), screener.model_version)


def model_card_text(model_dir: str | Path | None = None) -> ModelCardText:
    """The model card: its markdown if shipped, else the JSON, else a sentence saying it is missing."""
    from scoliscreen.core.model.card import CARD_JSON, CARD_MD
    from scoliscreen.core.paths import screening_model_dir

    folder = Path(model_dir) if model_dir else screening_model_dir()
    md = folder / CARD_MD
    if md.is_file():
        return ModelCardText("markdown", md.read_text(encoding="utf-8"))
    js = folder / CARD_JSON
    if js.is_file():
        return ModelCardText("plain", js.read_text(encoding="utf-8"))
    return ModelCardText("plain", "The model card is not installed.")
