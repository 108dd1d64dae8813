"""Text2Semantic: the GPT that turns phones + BERT features + a semantic prompt into semantic tokens.

Parameter names equal the reference state dict minus its Lightning `model.` prefix, so an
official `.ckpt` loads with `load_state_dict`. The model is a set of tensor-only pieces
(embed the text, embed audio tokens, run one step over a preallocated KV cache, project to
logits); the decoding policy lives in `decode.py`.

KV cache layout: `k`, `v` of shape (L, B, H, T_max, Dh), allocated once. A step writes the
new keys/values of row b at positions `write_pos[b] .. write_pos[b] + S - 1` and reads the
first `allowed.shape[-1]` cache slots, so rows may sit at different lengths (continuous
batching) and a caller wanting static shapes can pass `allowed` over all of T_max.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tts_engine.errors import VoiceFileError
from tts_engine.gpt.config import LAYER_NORM_EPS, MAX_POSITIONS, GPTConfig
from tts_engine.kernels import PackedLinear, WeightPack, packed_linear
from tts_engine.loader import GPT_WEIGHT_PREFIX, GPTCheckpoint, load_weights
from tts_engine.precision import attention_dtype


def sinusoid_table(n_positions: int, dim: int, device: torch.device | str | None = None) -> Tensor:
    """The reference sine/cosine table (n_positions, dim), computed in float32 exactly as §4.1."""
    position = torch.arange(0, n_positions, dtype=torch.float32, device=device).unsqueeze(1)
    div_term = torch.exp(
        torch.arange(0, dim, 2, dtype=torch.float32, device=device) * -(math.log(10000.0) / dim)
    )
    table = torch.zeros(n_positions, dim, dtype=torch.float32, device=device)
    table[:, 0::2] = torch.sin(position * div_term)
    table[:, 1::2] = torch.cos(position * div_term)
    return table


def additive_mask(allowed: Tensor, dtype: torch.dtype) -> Tensor:
    """Boolean attention permission (True = may attend) -> additive mask of 0 and -inf in ``dtype``."""
    return torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill(~allowed, float("-inf"))


class TokenEmbedding(nn.Module):
    """An embedding table under the reference's `word_embeddings` name."""

    def __init__(self, n_tokens: int, dim: int) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(n_tokens, dim)

    def forward(self, ids: Tensor) -> Tensor:
        """(B, S) int64 -> (B, S, D)."""
        return self.word_embeddings(ids)


class SinePositionalEmbedding(nn.Module):
    """x + alpha * PE[positions], with a learned scalar alpha per stream (x_scale is 1)."""

    def __init__(self, dim: int, n_positions: int = MAX_POSITIONS) -> None:
        super().__init__()
        self.dim = dim
        self.alpha = nn.Parameter(torch.ones(1))
        self.register_buffer("pe", sinusoid_table(n_positions, dim), persistent=False)

    def rebuild(self, n_positions: int) -> None:
        """Recompute the table (after meta-device construction, or to extend it): fp32, then cast."""
        self.pe = sinusoid_table(n_positions, self.dim, self.alpha.device).to(self.alpha.dtype)

    def forward(self, x: Tensor, positions: Tensor) -> Tensor:
        """x (B, S, D) + alpha * PE[positions], positions (S,) or (B, S) int64."""
        return x + self.alpha * self.pe[positions]


class SelfAttention(nn.Module):
    """Multi-head self-attention with a packed in-projection (rows: Q, K, V), writing a KV cache."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.n_head, self.head_dim = cfg.n_head, cfg.head_dim
        self.in_proj_weight = nn.Parameter(torch.empty(3 * cfg.hidden_dim, cfg.hidden_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * cfg.hidden_dim))
        self.out_proj = PackedLinear(cfg.hidden_dim, cfg.hidden_dim)
        self.in_proj_pack = WeightPack()
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, x: Tensor, k_cache: Tensor, v_cache: Tensor,
                rows: Tensor, cols: Tensor, allowed: Tensor) -> Tensor:
        """x (B, S, D); caches (B, H, T_max, Dh) written at [rows, :, cols]; allowed (B, 1, S, T_kv)."""
        B, S, D = x.shape
        q, k, v = packed_linear(x, self.in_proj_weight, self.in_proj_bias, self.in_proj_pack).split(D, dim=-1)
        # attention runs in the cache's dtype (a float32 cache under bf16 weights suits CPU kernels)
        k_cache[rows, :, cols] = k.view(B, S, self.n_head, self.head_dim).to(k_cache.dtype)   # (B, S, H, Dh)
        v_cache[rows, :, cols] = v.view(B, S, self.n_head, self.head_dim).to(v_cache.dtype)
        q = q.view(B, S, self.n_head, self.head_dim).transpose(1, 2).to(k_cache.dtype)   # (B, H, S, Dh)
        t_kv = allowed.shape[-1]
        out = F.scaled_dot_product_attention(q, k_cache[:, :, :t_kv], v_cache[:, :, :t_kv],
                                             attn_mask=allowed)            # (B, H, S, Dh)
        return self.out_proj(out.transpose(1, 2).reshape(B, S, D).to(x.dtype))


class DecoderLayer(nn.Module):
    """Post-norm transformer layer: x = LN1(x + attn(x)); x = LN2(x + W2 relu(W1 x))."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.self_attn = SelfAttention(cfg)
        self.linear1 = PackedLinear(cfg.hidden_dim, cfg.ffn_dim)
        self.linear2 = PackedLinear(cfg.ffn_dim, cfg.hidden_dim)
        self.norm1 = nn.LayerNorm(cfg.hidden_dim, eps=LAYER_NORM_EPS)
        self.norm2 = nn.LayerNorm(cfg.hidden_dim, eps=LAYER_NORM_EPS)

    def forward(self, x: Tensor, k_cache: Tensor, v_cache: Tensor,
                rows: Tensor, cols: Tensor, allowed: Tensor) -> Tensor:
        """(B, S, D) -> (B, S, D), writing this layer's cache."""
        x = self.norm1(x + self.self_attn(x, k_cache, v_cache, rows, cols, allowed))
        return self.norm2(x + self.linear2(F.relu(self.linear1(x))))


class LayerStack(nn.Module):
    """The reference's `h` container: `h.layers.{i}`."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.n_layer))


@dataclass
class KVCache:
    """Preallocated keys and values of every layer, (L, B, H, T_max, Dh) each."""

    k: Tensor
    v: Tensor

    @property
    def capacity(self) -> int:
        """T_max: how many positions a row can hold."""
        return self.k.shape[3]


class Text2Semantic(nn.Module):
    """The GPT-SoVITS v1/v2 text-to-semantic decoder (inference only)."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        D = cfg.hidden_dim
        self.bert_proj = PackedLinear(cfg.bert_dim, D)
        self.ar_text_embedding = TokenEmbedding(cfg.phoneme_vocab_size, D)
        self.ar_text_position = SinePositionalEmbedding(D)
        self.ar_audio_embedding = TokenEmbedding(cfg.vocab_size, D)
        self.ar_audio_position = SinePositionalEmbedding(D)
        self.h = LayerStack(cfg)
        self.ar_predict_layer = PackedLinear(D, cfg.vocab_size, bias=False)

    @classmethod
    def from_checkpoint(cls, ckpt: GPTCheckpoint, device: torch.device | str = "cpu",
                        dtype: torch.dtype = torch.float32) -> "Text2Semantic":
        """Build the model a loaded `.ckpt` describes, sized by its own config, in eval mode."""
        try:
            cfg = GPTConfig.from_reference(ckpt.config)
        except ValueError as exc:
            raise VoiceFileError(ckpt.path, f"bad GPT config: {exc}") from exc
        return cls.from_state_dict(cfg, ckpt.weights, ckpt.path, device, dtype)

    @classmethod
    def from_state_dict(cls, cfg: GPTConfig, weights: Mapping[str, Tensor], source: str | Path = "<weights>",
                        device: torch.device | str = "cpu",
                        dtype: torch.dtype = torch.float32) -> "Text2Semantic":
        """Build from official weights (`model.` prefix optional); VoiceFileError names bad keys."""
        state = {k.removeprefix(GPT_WEIGHT_PREFIX): v for k, v in weights.items()}
        with torch.device("meta"):
            model = cls(cfg)
        model.to_empty(device=device)
        load_weights(model, state, source)
        for stream in (model.ar_text_position, model.ar_audio_position):
            stream.rebuild(MAX_POSITIONS)   # to_empty left it uninitialised; fp32 here, cast below
        return model.to(dtype=dtype).eval()

    def ensure_positions(self, n_positions: int) -> None:
        """Extend both sinusoid tables so positions 0..n_positions-1 exist."""
        for stream in (self.ar_text_position, self.ar_audio_position):
            if stream.pe.shape[0] < n_positions:
                stream.rebuild(n_positions)

    def embed_text(self, phones: Tensor, bert: Tensor) -> Tensor:
        """phones (B, N) int64, bert (B, bert_dim, N) -> (B, N, D) with text positions 0..N-1."""
        x = self.ar_text_embedding(phones) + self.bert_proj(bert.transpose(1, 2))
        return self.ar_text_position(x, torch.arange(phones.shape[1], device=phones.device))

    def embed_audio(self, tokens: Tensor, positions: Tensor) -> Tensor:
        """tokens (B, S) int64 at audio positions (S,) or (B, S) -> (B, S, D)."""
        return self.ar_audio_position(self.ar_audio_embedding(tokens), positions)

    @property
    def cache_dtype(self) -> torch.dtype:
        """The KV-cache (and attention) dtype: `tts_engine.precision.attention_dtype` of the weights."""
        ref = self.ar_predict_layer.weight
        return attention_dtype(ref.device, ref.dtype)

    def new_cache(self, batch: int, capacity: int, dtype: torch.dtype | None = None) -> KVCache:
        """An empty KV cache for `batch` rows of up to `capacity` positions, on the model's device and in
        `dtype` (default: `cache_dtype`)."""
        ref = self.ar_predict_layer.weight
        dtype = dtype or self.cache_dtype
        shape = (self.cfg.n_layer, batch, self.cfg.n_head, capacity, self.cfg.head_dim)
        return KVCache(torch.zeros(shape, device=ref.device, dtype=dtype),
                       torch.zeros(shape, device=ref.device, dtype=dtype))

    def step(self, x: Tensor, k_cache: Tensor, v_cache: Tensor,
             write_pos: Tensor, allowed: Tensor) -> Tensor:
        """Run S new positions per row through every layer; tensor-only (compile/batching friendly).

        x (B, S, D) embedded inputs; k_cache, v_cache (L, B, H, T_max, Dh) updated in place at
        row b, slots write_pos[b] + 0..S-1; allowed (B, 1, S, T_kv) bool, True where query i may
        attend key slot j (T_kv <= T_max slots are read); an additive float mask (0 / -inf) is
        taken as it is. Returns hidden states (B, S, D).
        """
        B, S, _ = x.shape
        if allowed.dtype == torch.bool:
            # once per step, not per layer: CPU SDPA is many times slower with a boolean mask
            allowed = additive_mask(allowed, k_cache.dtype)
        rows = torch.arange(B, device=x.device).unsqueeze(1).expand(B, S)                  # (B, S)
        cols = write_pos.unsqueeze(1) + torch.arange(S, device=x.device).unsqueeze(0)     # (B, S)
        for i, layer in enumerate(self.h.layers):
            x = layer(x, k_cache[i], v_cache[i], rows, cols, allowed)
        return x

    def logits(self, hidden: Tensor) -> Tensor:
        """(B, D) last hidden states -> (B, vocab_size) raw logits."""
        return self.ar_predict_layer(hidden)

