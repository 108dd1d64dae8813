"""Autoregressive semantic-token generation with the reference's EOS rules (REFERENCE §4.4-4.6).

Rows are laid out right-padded, each as [text (N_b) ; prompt audio (P)], with per-row lengths,
so a batch of sentences sharing one reference prompt decodes together; every row has its own
seeded generator, so a row's tokens do not depend on its batch mates. Finished rows stay in the
batch (their outputs are ignored) until every row is done; evicting/refilling rows is the
continuous-batching scheduler's job, which the per-row `write_pos` of `Text2Semantic.step` allows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch import Tensor

from tts_engine.gpt.model import Text2Semantic
from tts_engine.gpt.sampling import SamplingOptions, apply_repetition_penalty, sample_tokens

EOS_FREE_STEPS = 11   # steps 0..10 drop the EOS column: at least 11 tokens are generated
MAX_STEPS = 1500      # the reference's hard cap on decoding steps


@dataclass(frozen=True)
class Generated:
    """The semantic tokens of one row: (T,) int64 on the CPU, and whether EOS ended it."""

    tokens: Tensor
    hit_eos: bool


@dataclass
class DecodeTrace:
    """Per-step record for conformance checks: raw logits (B, vocab) and samples (B,) of every step."""

    step_logits: list[Tensor] = field(default_factory=list)
    samples: list[Tensor] = field(default_factory=list)


def prefill_mask(n_text: Tensor, lengths: Tensor, width: int) -> Tensor:
    """(B, 1, S, S) bool, True = may attend: text<->text both ways, text never sees audio, audio causal."""
    j = torch.arange(width, device=n_text.device)
    text_key = j.unsqueeze(0) < n_text.unsqueeze(1)                    # (B, S)
    valid_key = j.unsqueeze(0) < lengths.unsqueeze(1)                  # (B, S)
    causal = j.unsqueeze(0) <= j.unsqueeze(1)                          # (S, S): key j <= query i
    text_query = text_key.unsqueeze(2)                                 # (B, S, 1): query i is text
    allowed = torch.where(text_query, text_key.unsqueeze(1), valid_key.unsqueeze(1) & causal)
    return allowed.unsqueeze(1)


def embed_prefix(model: Text2Semantic, phones: Sequence[Tensor], bert: Sequence[Tensor],
                 prompt_audio: Tensor) -> tuple[Tensor, Tensor]:
    """Right-padded prefill rows [text (N_b) ; prompt audio (P)]: x (B, max N_b + P, D) and n_text (B,)."""
    cfg = model.cfg
    device, dtype = model.ar_predict_layer.weight.device, model.ar_predict_layer.weight.dtype
    P = prompt_audio.shape[0]                                           # prompt_audio: (P, D) embedded
    n_text = torch.tensor([int(p.numel()) for p in phones], device=device)
    x = torch.zeros(len(phones), int(n_text.max()) + P, cfg.hidden_dim, device=device, dtype=dtype)
    for b, (row_phones, row_bert) in enumerate(zip(phones, bert)):
        n = int(row_phones.numel())
        x[b, :n] = model.embed_text(row_phones.reshape(1, n).to(device),
                                    row_bert.reshape(1, cfg.bert_dim, n).to(device=device, dtype=dtype))[0]
        x[b, n:n + P] = prompt_audio
    return x, n_text


@torch.inference_mode()
def generate(model: Text2Semantic, phones: Sequence[Tensor], bert: Sequence[Tensor], prompt: Tensor,
             options: SamplingOptions, seeds: Sequence[int], max_steps: int = MAX_STEPS,
             trace: DecodeTrace | None = None) -> list[Generated]:
    """Generate semantic tokens for each row.

    phones[b] (N_b,) int64 = prompt phones ++ target phones; bert[b] (bert_dim, N_b) features
    aligned with them; prompt (P,) int64 semantic tokens of the reference audio, shared by all
    rows; seeds[b] seeds row b's generator. A row stops when the argmax of its penalised logits
    or its sample is EOS (that sample is dropped); at the step cap it keeps max_steps - 1 tokens.
    """
    if not len(phones) == len(bert) == len(seeds) > 0:
        raise ValueError("phones, bert and seeds need one entry per row (and at least one row)")
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps}")
    cfg = model.cfg
    device = model.ar_predict_layer.weight.device
    B, P = len(phones), int(prompt.numel())
    prompt = prompt.reshape(-1).to(device)
    model.ensure_positions(max(max(int(p.numel()) for p in phones), P + max_steps))
    audio = model.embed_audio(prompt.unsqueeze(0), torch.arange(P, device=device))[0]   # (P, D)
    x, n_text = embed_prefix(model, phones, bert, audio)
    lengths = n_text + P                                                # (B,) filled slots per row
    width = int(lengths.max())

    cache = model.new_cache(B, width + max_steps)
    hidden = model.step(x, cache.k, cache.v, torch.zeros(B, dtype=torch.long, device=device),
                        prefill_mask(n_text, lengths, width))
    logits = model.logits(hidden[torch.arange(B, device=device), lengths - 1])      # (B, vocab)

    seen = torch.zeros(B, cfg.vocab_size, dtype=torch.bool, device=device)
    seen[:, prompt] = True
    generators = [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]
    produced: list[list[int]] = [[] for _ in range(B)]
    results: list[Generated | None] = [None] * B
    write_pos = lengths.clone()
    for idx in range(max_steps):
        if idx > 0:
            step_in = model.embed_audio(tokens.unsqueeze(1),
                                        torch.full((1,), P + idx - 1, device=device))
            allowed = (torch.arange(width + idx, device=device).unsqueeze(0)
                       <= write_pos.unsqueeze(1))[:, None, None, :]         # (B, 1, 1, T_kv)
            hidden = model.step(step_in, cache.k, cache.v, write_pos, allowed)
            logits = model.logits(hidden[:, 0])
            write_pos = write_pos + 1
        raw = logits.float()
        work = raw[:, : cfg.eos] if idx < EOS_FREE_STEPS else raw
        work = apply_repetition_penalty(work, seen, options.repetition_penalty)
        tokens = sample_tokens(work, options, generators)
        stop = (work.argmax(dim=-1) == cfg.eos) | (tokens == cfg.eos)
        if trace is not None:
            trace.step_logits.append(raw.cpu())
            trace.samples.append(tokens.cpu())
        seen[torch.arange(B, device=device), tokens] = True
        for b, (token, stopped) in enumerate(zip(tokens.tolist(), stop.tolist())):
            if results[b] is not None:
                continue
            if stopped:
                results[b] = Generated(torch.tensor(produced[b], dtype=torch.long), hit_eos=True)
            elif idx == max_steps - 1:   # the cap: the reference keeps all but this step's sample
                results[b] = Generated(torch.tensor(produced[b], dtype=torch.long), hit_eos=False)
            else:
                produced[b].append(token)
        if all(r is not None for r in results):
            break
    return [r for r in results if r is not None]
