"""The screening network: modality encoders -> fusion -> three heads.

Heads: ``logit`` of P(Cobb >= 10 deg), ``cobb`` (degrees, regression), ``severity`` logits over
:data:`SEVERITY_BANDS`. The configuration is a plain dict (stored in the model card) so
that a saved model can be rebuilt exactly.
"""

from __future__ import annotations

import torch
from torch import nn

from scoliscreen.core.constants import POSITIVE_COBB, SEVERITY_BANDS, SEVERITY_EDGES
from scoliscreen.core.landmarks import NUM_REGIONS
from scoliscreen.core.model.encoders import MapEncoder, TextProjector, VideoEncoder
from scoliscreen.core.model.fusion import Fusion
from scoliscreen.core.model.text_encoder import EMBED_DIM

MODALITIES = ("video", "map", "text")
__all__ = ["POSITIVE_COBB", "SEVERITY_BANDS", "SEVERITY_EDGES", "MODALITIES", "COBB_SCALE", "ScreeningNet",
           "default_config", "severity_band_index"]
COBB_SCALE = 20.0  # the regression head predicts cobb / COBB_SCALE


def severity_band_index(cobb):
    """Severity band index (0..3) for Cobb angle(s) in degrees."""
    import numpy as np

    return np.searchsorted(np.asarray(SEVERITY_EDGES), np.asarray(cobb, dtype=float), side="right")


def default_config(n_features: int, region_of_feature: list[int], window_centres: list[float],
                   modalities=MODALITIES, fusion: str = "latent", dim: int = 64) -> dict:
    return {
        "modalities": list(modalities), "fusion": fusion, "dim": dim,
        "n_features": int(n_features), "region_of_feature": [int(r) for r in region_of_feature],
        "window_centres": [float(c) for c in window_centres],
        "video_layers": 2, "map_layers": 2, "latents": 64, "frame_step": 3, "latent_residual": True,
        "balanced_pool": True,
    }


class ScreeningNet(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        self.config = dict(config)
        dim = config["dim"]
        self.modalities = tuple(m for m in MODALITIES if m in config["modalities"])
        if "video" in self.modalities:
            self.video = VideoEncoder(NUM_REGIONS, dim, config["video_layers"], config["frame_step"])
        if "map" in self.modalities:
            self.map = MapEncoder(
                torch.tensor(config["region_of_feature"]), NUM_REGIONS, dim, config["map_layers"],
                torch.tensor(config["window_centres"]),
            )
        if "text" in self.modalities:
            self.text = TextProjector(EMBED_DIM, dim)
        f = config["n_features"]
        self.register_buffer("map_mean", torch.zeros(f))
        self.register_buffer("map_std", torch.ones(f))
        self.fusion = Fusion(config["fusion"], dim, len(self.modalities), config["latents"],
                             residual=bool(config.get("latent_residual", False)),
                             balanced=bool(config.get("balanced_pool", False)))
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Dropout(0.1), nn.Linear(dim, 1 + 1 + len(SEVERITY_BANDS)))

    def standardise(self, km: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw knowledge-map values [B, W, F] (NaN = missing) -> (standardised, 0 where missing; present)."""
        present = torch.isfinite(km)
        z = (torch.nan_to_num(km) - self.map_mean) / self.map_std
        return torch.where(present, z.clamp(-6, 6), torch.zeros_like(z)), present

    def forward(self, maps=None, frame_valid=None, km_z=None, km_present=None, text=None) -> dict:
        """maps [B,T,R,H,W]; frame_valid [B,T] bool; km_z/km_present [B,W,F] (see
        :meth:`standardise`); text [B,384]. Unused modalities may be None."""
        parts = []
        if "video" in self.modalities:
            x, m, _ = self.video(maps, frame_valid)
            parts.append((x, m))
        if "map" in self.modalities:
            x, m, _ = self.map(km_z, km_present)
            parts.append((x, m))
        if "text" in self.modalities:
            x, m, _ = self.text(text)
            parts.append((x, m))
        z = self.fusion(parts)
        out = self.head(z)
        return {"logit": out[:, 0], "cobb": out[:, 1] * COBB_SCALE, "severity": out[:, 2:]}
