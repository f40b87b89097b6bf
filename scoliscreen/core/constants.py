"""One source for every fact the CLI, the GUI, the model and the data code share.

Change a value here and every user of it follows; nothing else defines these names (other
modules re-export them for backwards compatibility only).
"""

from __future__ import annotations

# ---- input files --------------------------------------------------------------------------
VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv")
SEQUENCE_SUFFIXES: tuple[str, ...] = (".npz",)  # the pose-sequence format (docs/sequence_format.md)

# ---- labels -------------------------------------------------------------------------------
POSITIVE_COBB = 10.0  # Cobb >= 10 deg = scoliosis (SRS definition; the paper's label)
SEVERITY_BANDS: tuple[str, ...] = ("<10", "10-25", "25-40", ">=40")  # the band head's classes
SEVERITY_EDGES: tuple[float, ...] = (10.0, 25.0, 40.0)  # band boundaries (deg)
COBB_BINS: tuple[int, ...] = (0, 5, 10, 15, 20, 25, 30, 40, 50, 61)  # histogram bins of dataset summaries

# ---- time axis ----------------------------------------------------------------------------
TARGET_FPS = 30.0  # every sequence is resampled to 30 Hz before features are computed
CLIP_FRAMES = 96  # the paper's clip length at 30 Hz (3.2 s): what the model sees
WINDOW_FRAMES = 16  # knowledge-map window length (frames at 30 Hz)
HOP_FRAMES = 8  # knowledge-map window hop (96 frames -> 11 windows)
CLIP_WINDOWS = (CLIP_FRAMES - WINDOW_FRAMES) // HOP_FRAMES + 1  # 11
POOL_STRIDE_FRAMES = 48  # a walk is screened as every usable CLIP_FRAMES window, this far apart (1.6 s)
POOL_MAX_WINDOWS = 8  # at most this many (evenly spread over the walk); 8 windows cost ~290 ms (benchmarks/model_inference.py)

# ---- simulated worlds (core/sim/worlds.py; the simulate CLI's --world) ----------------------
WORLDS: tuple[str, ...] = ("A", "B", "C", "R", "M")

# ---- compute devices (CLI --device and the GUI's setting) ---------------------------------
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
DEVICE_LABELS: dict[str, str] = {
    "auto": "Automatic (GPU if available)", "cpu": "CPU", "cuda": "GPU (CUDA)", "mps": "GPU (Apple MPS)",
}
