"""Fusion of modality tokens into one vector: latent attention pooling and two baselines.

* ``latent`` - latent attention pooling as in NV-Embed / ScoliGait: the concatenated token
  states are the *queries*; a trainable latent array (``latents`` x D) supplies keys and values;
  the attention output goes through an MLP and is mean-pooled over valid tokens.
* ``attention`` - concat + one self-attention (transformer) layer, then mean pooling.
* ``concat`` - each modality mean-pooled on its own, the vectors concatenated, then an MLP.
"""

from __future__ import annotations

import torch
from torch import nn

from scoliscreen.core.model.encoders import transformer

FUSIONS = ("latent", "attention", "concat")


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp(min=1.0)


class LatentAttentionPooling(nn.Module):
    def __init__(self, dim: int, latents: int = 64, heads: int = 4, dropout: float = 0.1):
        super().__init__()
        self.latents = nn.Parameter(torch.randn(latents, dim) * 0.02)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b = tokens.shape[0]
        kv = self.latents[None].expand(b, -1, -1)
        out, _ = self.attn(self.norm(tokens), kv, kv, need_weights=False)  # queries = tokens
        out = self.mlp(out)
        return masked_mean(out, mask)


class Fusion(nn.Module):
    def __init__(self, kind: str, dim: int, n_modalities: int, latents: int = 64):
        super().__init__()
        if kind not in FUSIONS:
            raise ValueError(f"unknown fusion {kind!r}")
        self.kind = kind
        self.mod_emb = nn.Parameter(torch.randn(n_modalities, dim) * 0.02)
        if kind == "latent":
            self.pool = LatentAttentionPooling(dim, latents)
        elif kind == "attention":
            self.mix = transformer(dim, 1)
        else:
            self.mlp = nn.Sequential(nn.Linear(n_modalities * dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.out_dim = dim

    def forward(self, parts: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """parts: one (tokens [B, N_i, D], mask [B, N_i]) per modality -> [B, D]."""
        if self.kind == "concat":
            return self.mlp(torch.cat([masked_mean(x, m) for x, m in parts], dim=-1))
        x = torch.cat([t + self.mod_emb[i] for i, (t, _) in enumerate(parts)], dim=1)
        m = torch.cat([mk for _, mk in parts], dim=1)
        if self.kind == "latent":
            return self.pool(x, m)
        return masked_mean(self.mix(x, src_key_padding_mask=~m), m)
