"""Compute-device choice shared by training, inference, the CLI and the GUI."""

from __future__ import annotations

from scoliscreen.core.constants import DEVICES
from scoliscreen.core.errors import InputError


def resolve_device(device: str = "auto") -> str:
    """``auto``: CUDA if available, then Apple MPS, then CPU; other names are checked and returned."""
    if device not in DEVICES and not device.startswith(("cuda:", "mps:")):
        raise InputError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
    if device != "auto":
        return device
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


WORKERS_PER_CPU = 4  # more worker processes than this per CPU only thrash (and exhaust memory)


def check_workers(n: int | None, option: str = "--workers") -> int | None:
    """``n`` worker processes, or an InputError when below 1 or above 4 x the CPUs."""
    import os

    if n is None:
        return None
    top = WORKERS_PER_CPU * (os.cpu_count() or 1)
    if not 1 <= n <= top:
        raise InputError(f"{option} must be between 1 and {top} (4 per CPU) on this computer, got {n}")
    return n
