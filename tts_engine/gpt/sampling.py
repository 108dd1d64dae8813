"""Token sampling exactly in the reference order (REFERENCE §4.5).

penalty (distinct prompt + generated ids) -> top-p -> temperature -> top-k (ties kept)
-> softmax -> argmax(p / Exp(1)), the exponential draws coming from one generator per row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

MIN_TEMPERATURE = 1e-5   # the reference divides by max(temperature, 1e-5)


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


def exponential_race(probs: Tensor, generators: Sequence[torch.Generator]) -> Tensor:
    """argmax(p / q) with q ~ Exp(1) drawn per row from that row's generator: (B, V) -> (B,) int64."""
    q = torch.empty_like(probs)
    for row, generator in enumerate(generators):
        q[row].exponential_(generator=generator)
    return torch.argmax(probs / q, dim=-1)


def sample_tokens(penalised: Tensor, options: SamplingOptions,
                  generators: Sequence[torch.Generator]) -> Tensor:
    """Draw one token per row from already penalised logits (B, V)."""
    logits = filter_top_p(penalised, options.top_p)
    logits = logits / max(options.temperature, MIN_TEMPERATURE)
    logits = filter_top_k(logits, options.top_k)
    return exponential_race(torch.softmax(logits, dim=-1), generators)
