"""The screening network: modality encoders -> fusion -> one distributional head over Cobb.

Head (cumulative link, see :mod:`~scoliscreen.core.model.outcome`): one location ``eta`` per
clip and learned ordered cut-points; ``cum`` [B, K] = eta - c_k is the logit of
P(Cobb >= t_k) for the thresholds ``COBB_THRESHOLDS``; ``logit`` is the column of 10 deg. The
Cobb estimate, its interval and the severity bands are derived from ``cum``. The configuration
is a plain dict (stored in the model card) so that a saved model can be rebuilt exactly.
"""

from __future__ import annotations

import torch
from torch import nn

from scoliscreen.core.constants import POSITIVE_COBB, SEVERITY_BANDS, SEVERITY_EDGES
from scoliscreen.core.landmarks import NUM_REGIONS
from scoliscreen.core.model.encoders import MapEncoder, TextProjector, VideoEncoder
from scoliscreen.core.model.fusion import Fusion
from scoliscreen.core.model.outcome import COBB_THRESHOLDS, POSITIVE_INDEX
from scoliscreen.core.model.outcome import band_of as severity_band_index
from scoliscreen.core.model.text_encoder import EMBED_DIM

MODALITIES = ("video", "map", "text")
__all__ = ["MODALITIES", "SEVERITY_BANDS", "SEVERITY_EDGES", "POSITIVE_COBB", "ScreeningNet",
           "default_config", "severity_band_index"]


def default_config(n_features: int, region_of_feature: list[int], window_centres: list[float],
                   modalities=MODALITIES, fusion: str = "latent", dim: int = 64) -> dict:
    return {
        "modalities": list(modalities), "fusion": fusion, "dim": dim,
        "n_features": int(n_features), "region_of_feature": [int(r) for r in region_of_feature],
        "window_centres": [float(c) for c in window_centres],
        "video_layers": 2, "map_layers": 2, "latents": 64, "frame_step": 3, "latent_residual": True,
        "balanced_pool": True, "head": "cumulative-link",
        "cobb_thresholds": list(COBB_THRESHOLDS),
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
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Dropout(0.1), nn.Linear(dim, 1))
        # ordered cut-points: c_0 + cumsum(softplus(gaps)); start spread ~ (t_k - 10) / 8
        t = torch.tensor(COBB_THRESHOLDS)
        self.cut_base = nn.Parameter(torch.tensor(float((t[0] - POSITIVE_COBB) / 8.0)))
        gaps = torch.diff(t) / 8.0
        self.cut_gaps = nn.Parameter(torch.log(torch.expm1(gaps)))

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
        eta = self.head(z)[:, 0]
        cum = eta[:, None] - self.cuts()[None]
        return {"eta": eta, "cum": cum, "logit": cum[:, POSITIVE_INDEX]}

    def cuts(self) -> torch.Tensor:
        """Ordered cut-points [K] of the cumulative-link head."""
        steps = nn.functional.softplus(self.cut_gaps)
        return self.cut_base + torch.cat([torch.zeros_like(steps[:1]), torch.cumsum(steps, 0)])
