"""Token sampling in the reference order (REFERENCE §4.5), with counter-based randomness.

penalty (distinct prompt + generated ids) -> top-p -> temperature -> top-k (ties kept)
-> softmax -> argmax(p / q), q ~ Exp(1). The reference draws q from torch's stateful generator;
here q_j = -log(u_j) with u_j a hash of (sentence seed, decoding step, token id) mapped to (0, 1),
computed with 32-bit integer mixing on int64 tensors (no overflow, so CPU and CUDA agree bit for
bit). A row's draws therefore depend on nothing but its seed and step: not on its batch, slot,
device or on how many draws others made, and a whole batch samples in a few kernels with no host
round trip (CUDA-graph friendly).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

MIN_TEMPERATURE = 1e-5   # the reference divides by max(temperature, 1e-5)
MASK32 = 0xFFFFFFFF
MASK16 = 0xFFFF
MIX_MUL1, MIX_MUL2 = 0x7FEB352D, 0x846CA68B    # "lowbias32" integer hash constants
SEED_SALT = 0x5BD1E995                          # separates the seed's high word from its low word
STEP_MUL = 0x9E3779B9                           # golden-ratio increment: spreads consecutive steps
UNIFORM_SCALE = 2.0 ** -32                      # 32 hash bits -> (0, 1) with a half-step offset


@dataclass(frozen=True)
class SamplingOptions:
    """How semantic tokens are drawn; defaults are the reference TTS defaults."""

    top_k: int = 15                   # keep logits >= the k-th largest (ties kept); 1 = greedy
    top_p: float = 1.0                # nucleus mass kept (1 = off); applied before temperature
    temperature: float = 1.0
    repetition_penalty: float = 1.35  # 1 = off; seen logits s -> s*rp if s < 0 else s/rp

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {self.top_k}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if not self.temperature > 0.0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        if not self.repetition_penalty > 0.0:
            raise ValueError(f"repetition_penalty must be positive, got {self.repetition_penalty}")


GREEDY = SamplingOptions(top_k=1, top_p=1.0, temperature=1.0, repetition_penalty=1.0)


def apply_repetition_penalty(logits: Tensor, seen: Tensor, penalty: float) -> Tensor:
    """Penalise each previously seen id once: logits (B, V), seen (B, >=V) bool -> (B, V)."""
    if penalty == 1.0:
        return logits
    seen = seen[:, : logits.shape[1]]
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(seen, penalised, logits)


def filter_top_p(logits: Tensor, top_p: float) -> Tensor:
    """Set to -inf every logit outside the smallest prefix whose softmax mass exceeds top_p (first kept)."""
    if top_p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    cumulative = torch.cumsum(torch.softmax(sorted_logits, dim=-1), dim=-1)
    remove_sorted = cumulative > top_p
    remove_sorted[:, 0] = False
    remove = remove_sorted.scatter(1, order, remove_sorted)
    return logits.masked_fill(remove, float("-inf"))


def filter_top_k(logits: Tensor, top_k: int) -> Tensor:
    """Set to -inf the logits strictly below the k-th largest (ties with it are kept)."""
    k = min(top_k, logits.shape[-1])
    pivot = torch.topk(logits, k, dim=-1).values[:, -1:]
    return logits.masked_fill(logits < pivot, float("-inf"))


def _mul32(x: Tensor, c: int) -> Tensor:
    """(x * c) mod 2**32 for x in [0, 2**32) without int64 overflow (16-bit halves)."""
    low = (x & MASK16) * c
    high = (((x >> 16) * c) & MASK16) << 16
    return (low + high) & MASK32


def mix32(x: Tensor) -> Tensor:
    """A 32-bit avalanche hash (xorshift-multiply rounds) of int64 values in [0, 2**32)."""
    x = x ^ (x >> 16)
    x = _mul32(x, MIX_MUL1)
    x = x ^ (x >> 15)
    x = _mul32(x, MIX_MUL2)
    return x ^ (x >> 16)


def row_keys(seeds: Tensor, steps: Tensor) -> Tensor:
    """One 32-bit key per row from its seed (any non-negative int64) and decoding step: (B,) int64."""
    seed_key = mix32((seeds & MASK32) ^ mix32(((seeds >> 32) & MASK32) ^ SEED_SALT))
    return mix32(seed_key ^ _mul32(steps & MASK32, STEP_MUL))


def counter_uniforms(seeds: Tensor, steps: Tensor, width: int) -> Tensor:
    """u[b, j] in (0, 1), float64: a hash of (seeds[b], steps[b], token id j); (B,) int64 each -> (B, width)."""
    columns = mix32(torch.arange(width, device=seeds.device, dtype=torch.int64))       # (V,)
    bits = mix32(row_keys(seeds, steps).unsqueeze(1) ^ columns.unsqueeze(0))            # (B, V)
    return (bits.to(torch.float64) + 0.5) * UNIFORM_SCALE


def exponential_race(probs: Tensor, seeds: Tensor, steps: Tensor) -> Tensor:
    """argmax(p / q) with q = -log(u), u the counter-based uniforms of each row: (B, V) -> (B,) int64.

    The race runs in float64 so CPU and CUDA rank near-equal candidates alike.
    """
    q = -torch.log(counter_uniforms(seeds, steps, probs.shape[1]))
    return torch.argmax(probs.to(torch.float64) / q, dim=-1)


def sample_tokens(penalised: Tensor, options: SamplingOptions, seeds: Tensor, steps: Tensor) -> Tensor:
    """Draw one token per row from already penalised logits (B, V); seeds, steps (B,) int64 on its device."""
    logits = filter_top_p(penalised, options.top_p)
    logits = logits / max(options.temperature, MIN_TEMPERATURE)
    logits = filter_top_k(logits, options.top_k)
    return exponential_race(torch.softmax(logits, dim=-1), seeds, steps)
