"""The three modality encoders. Each returns tokens ``[B, N, D]``, a validity mask ``[B, N]``
and the token times (frame index at 30 fps) used for the shared, time-aligned position code.

* :class:`VideoEncoder` - per-frame skeleton maps ``[B, T, R, H, W]`` -> small CNN per frame ->
  temporal transformer -> one token per frame.
* :class:`MapEncoder` - knowledge map ``[B, W, F]`` -> one token per (time window, body region):
  the region's features through that region's own linear projection (block-masked weight),
  + region embedding -> transformer over the W x R tokens.
* :class:`TextProjector` - frozen MiniLM sentence embedding ``[B, 384]`` -> one token.

Position code: a sinusoid of the token's time in frames (30 fps) - the same function for
video frames and knowledge-map window centres, so the modalities are aligned in time.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def time_code(frames: torch.Tensor, dim: int, period: float = 256.0) -> torch.Tensor:
    """Sinusoidal code ``[..., dim]`` of times given in frames at 30 fps (shared by modalities)."""
    half = dim // 2
    freq = torch.exp(-math.log(period) * torch.arange(half, device=frames.device) / half)
    ang = frames[..., None].float() * freq * (2 * math.pi / 8.0)
    return torch.cat([torch.sin(ang), torch.cos(ang)], dim=-1)


def ensure_one(mask: torch.Tensor) -> torch.Tensor:
    """Attention with every key masked gives NaN: an all-invalid row keeps its first token."""
    empty = ~mask.any(1)
    if bool(empty.any()):
        mask = mask.clone()
        mask[empty, 0] = True
    return mask


def transformer(dim: int, layers: int, heads: int = 4, dropout: float = 0.1) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(
        dim, heads, dim_feedforward=2 * dim, dropout=dropout, batch_first=True, norm_first=True,
        activation="gelu",
    )
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class VideoEncoder(nn.Module):
    def __init__(self, regions: int, dim: int, layers: int = 2, frame_step: int = 3):
        super().__init__()
        self.frame_step = frame_step
        self.cnn = nn.Sequential(
            nn.Conv2d(regions, 24, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(24, 48, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(48, 64, 3, stride=2, padding=1), nn.GELU(),
            nn.AdaptiveAvgPool2d((4, 3)), nn.Flatten(), nn.Linear(64 * 12, dim),
        )
        self.norm = nn.LayerNorm(dim)
        self.temporal = transformer(dim, layers)

    def forward(self, maps: torch.Tensor, valid: torch.Tensor):
        """maps [B, T, R, H, W], valid [B, T] bool -> tokens [B, T, D], mask [B, T], times [B, T]."""
        b, t = maps.shape[:2]
        valid = ensure_one(valid)
        x = self.cnn(maps.flatten(0, 1)).view(b, t, -1)
        times = (torch.arange(t, device=maps.device) * self.frame_step + self.frame_step / 2)[None].expand(b, t)
        x = self.norm(x) + time_code(times, x.shape[-1])
        x = self.temporal(x, src_key_padding_mask=~valid)
        return x, valid, times


class MapEncoder(nn.Module):
    def __init__(self, region_of_feature: torch.Tensor, regions: int, dim: int, layers: int = 2,
                 window_centres: torch.Tensor | None = None):
        super().__init__()
        f = len(region_of_feature)
        member = torch.zeros(regions, f)
        member[region_of_feature, torch.arange(f)] = 1.0
        self.register_buffer("member", member)  # [R, F]
        self.weight = nn.Parameter(torch.randn(regions, f, dim) / math.sqrt(max(1, int(member.sum(1).max()))))
        self.bias = nn.Parameter(torch.zeros(regions, dim))
        self.region_emb = nn.Parameter(torch.randn(regions, dim) * 0.02)
        self.norm = nn.LayerNorm(dim)
        self.encoder = transformer(dim, layers)
        self.register_buffer("window_centres", window_centres if window_centres is not None else torch.zeros(0))

    def forward(self, values: torch.Tensor, present: torch.Tensor):
        """values [B, W, F] standardised, 0 where missing; present [B, W, F] bool ->
        tokens [B, W*R, D], mask [B, W*R], times [B, W*R]."""
        b, w, _ = values.shape
        r = self.member.shape[0]
        x = torch.einsum("bwf,rfd->bwrd", values, self.weight * self.member[..., None]) + self.bias
        valid = torch.einsum("bwf,rf->bwr", present.float(), self.member) > 0
        centres = self.window_centres[:w] if len(self.window_centres) >= w else torch.arange(w, device=values.device) * 8 + 8
        times = centres[None, :, None].expand(b, w, r).float()
        x = self.norm(x) + self.region_emb + time_code(times, x.shape[-1])
        x, valid, times = x.reshape(b, w * r, -1), ensure_one(valid.reshape(b, w * r)), times.reshape(b, w * r)
        x = self.encoder(x, src_key_padding_mask=~valid)
        return x, valid, times


class TextProjector(nn.Module):
    def __init__(self, in_dim: int, dim: int):
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(in_dim, dim), nn.GELU(), nn.Linear(dim, dim), nn.LayerNorm(dim))

    def forward(self, emb: torch.Tensor):
        b = emb.shape[0]
        x = self.proj(emb)[:, None]
        return x, torch.ones(b, 1, dtype=torch.bool, device=emb.device), torch.zeros(b, 1, device=emb.device)
