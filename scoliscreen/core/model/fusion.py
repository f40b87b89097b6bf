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
    """Tokens (queries) attend to a trainable latent array (keys = values), MLP, mean-pool.

    ``residual=True`` is NV-Embed's released block (pre-norm cross-attention and feed-forward,
    each with a residual connection, latents initialised N(0, 1)); ``residual=False`` is the
    bare formula O = softmax(Q K^T) V -> MLP (kept so that older weights load)."""

    def __init__(self, dim: int, latents: int = 64, heads: int = 4, dropout: float = 0.1, residual: bool = False):
        super().__init__()
        self.residual = residual
        self.latents = nn.Parameter(torch.randn(latents, dim) * (1.0 if residual else 0.02))
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        if residual:
            self.norm2 = nn.LayerNorm(dim)

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor, groups: list[int] | None = None) -> torch.Tensor:
        """``groups``: token counts per modality; given, the pooling is the mean of the
        modalities' masked means (each modality weighs the same however many tokens it has),
        otherwise the masked mean over all tokens."""
        b = tokens.shape[0]
        kv = self.latents[None].expand(b, -1, -1)
        out, _ = self.attn(self.norm(tokens), kv, kv, need_weights=False)  # queries = tokens
        if self.residual:
            out = tokens + out
            out = out + self.mlp(self.norm2(out))
        else:
            out = self.mlp(out)
        if groups:
            parts, start = [], 0
            for n in groups:
                parts.append(masked_mean(out[:, start : start + n], mask[:, start : start + n]))
                start += n
            return torch.stack(parts, 0).mean(0)
        return masked_mean(out, mask)


class Fusion(nn.Module):
    def __init__(self, kind: str, dim: int, n_modalities: int, latents: int = 64, residual: bool = False,
                 balanced: bool = False):
        super().__init__()
        if kind not in FUSIONS:
            raise ValueError(f"unknown fusion {kind!r}")
        self.kind = kind
        self.balanced = balanced
        self.mod_emb = nn.Parameter(torch.randn(n_modalities, dim) * 0.02)
        if kind == "latent":
            self.pool = LatentAttentionPooling(dim, latents, residual=residual)
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
            return self.pool(x, m, [t.shape[1] for t, _ in parts] if self.balanced else None)
        return masked_mean(self.mix(x, src_key_padding_mask=~m), m)
