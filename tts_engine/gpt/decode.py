"""Autoregressive semantic-token generation with the reference's EOS rules (REFERENCE §4.4-4.6).

Rows are laid out right-padded, each as [text (N_b) ; prompt audio (P)], with per-row lengths,
so a batch of sentences sharing one reference prompt decodes together. Every row draws its own
counter-based randomness (seed, step, token id), so a row's tokens do not depend on its batch
mates. The loop is `DecodeRows.step` (device-resident, sync-free); the host looks at the rows
every `sync_every` steps only to stop when all have ended. Evicting/refilling rows is the
continuous-batching scheduler's job (`tts_engine.batch.scheduler`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch import Tensor

from tts_engine.gpt.model import Text2Semantic
from tts_engine.gpt.rows import (EOS_FREE_STEPS, MAX_STEPS, DecodeRows, Generated, RowRequest, embed_prefix,
                                 prefill_mask)
from tts_engine.gpt.sampling import SamplingOptions

__all__ = ["EOS_FREE_STEPS", "MAX_STEPS", "DecodeTrace", "Generated", "embed_prefix", "generate", "prefill_mask"]


@dataclass
class DecodeTrace:
    """Per-step record for conformance checks: raw logits (B, vocab) and samples (B,) of every step."""

    step_logits: list[Tensor] = field(default_factory=list)
    samples: list[Tensor] = field(default_factory=list)


@torch.inference_mode()
def generate(model: Text2Semantic, phones: Sequence[Tensor], bert: Sequence[Tensor], prompt: Tensor,
             options: SamplingOptions, seeds: Sequence[int], max_steps: int = MAX_STEPS,
             trace: DecodeTrace | None = None, sync_every: int = 1) -> list[Generated]:
    """Generate semantic tokens for each row.

    phones[b] (N_b,) int64 = prompt phones ++ target phones; bert[b] (bert_dim, N_b) features
    aligned with them; prompt (P,) int64 semantic tokens of the reference audio, shared by all
    rows; seeds[b] is row b's sentence seed. A row stops when the argmax of its penalised logits
    or its sample is EOS (that sample is dropped); at the step cap it keeps max_steps - 1 tokens.
    The host checks for the end every `sync_every` steps (a trace records every step).
    """
    if not len(phones) == len(bert) == len(seeds) > 0:
        raise ValueError("phones, bert and seeds need one entry per row (and at least one row)")
    if max_steps < 1 or sync_every < 1:
        raise ValueError(f"max_steps and sync_every must be at least 1, got {max_steps}, {sync_every}")
    B, P = len(phones), int(prompt.numel())
    capacity = max(int(p.numel()) for p in phones) + P + max_steps
    rows = DecodeRows(model, prompt, options, B, capacity, max_steps)
    rows.admit(range(B), [RowRequest(p, b, int(s), max_steps) for p, b, s in zip(phones, bert, seeds)])
    results: dict[int, Generated] = {}
    every = 1 if trace is not None else sync_every
    while len(results) < B:
        t_kv = rows.plan(B, every, 1)
        for _ in range(every):
            if trace is not None:
                trace.step_logits.append(rows.raw.to("cpu", copy=True))
            rows.step(B, t_kv)
            if trace is not None:
                trace.samples.append(rows.last_token.to("cpu", copy=True))
        results.update(rows.collect([b for b in range(B) if b not in results]))
    return [results[b] for b in range(B)]
