"""Continuous batching of GPT decoding: many sentences, one shared voice prompt, one preallocated KV cache.

The cache has `rows` slots. Waiting sentences are sorted by length (a length bucket: neighbours in
the queue pad little against each other) and admitted into free slots; each slot decodes at its own
position (`Text2Semantic.step` takes a per-row `write_pos`), stops on its own EOS, and the freed slot
is refilled with the next waiting sentence at once instead of idling until the longest row ends.
When the queue is empty and half the slots are idle, the live rows are moved to the front so the
tail of a run does not pay for empty rows.

Every row draws from its own generator and is sampled exactly as `tts_engine.gpt.generate` samples
a lone sentence (same EOS rules, same number of random draws per step), so a sentence's tokens do
not depend on its batch mates, its slot, or when it was admitted.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import torch
from torch import Tensor

from tts_engine.gpt.decode import EOS_FREE_STEPS, MAX_STEPS, Generated, embed_prefix, prefill_mask
from tts_engine.gpt.model import Text2Semantic, additive_mask
from tts_engine.gpt.sampling import SamplingOptions, apply_repetition_penalty, sample_tokens

log = logging.getLogger(__name__)

KV_BUCKET = 64           # attention reads the cache in multiples of this many slots (fewer distinct shapes)


@dataclass(frozen=True)
class SemanticRequest:
    """One sentence for the GPT: its inputs, its own seed and its step cap."""

    phones: Tensor                    # (N,) int64: prompt phones ++ target phones
    bert: Tensor                      # (bert_dim, N) features aligned with phones
    seed: int
    max_steps: int = MAX_STEPS        # as `generate`: without EOS, max_steps - 1 tokens are kept
    forced_tokens: int | None = None  # benchmarks only: EOS is never drawn and exactly this many tokens come out

    def __post_init__(self) -> None:
        if self.phones.dim() != 1 or self.phones.numel() == 0:
            raise ValueError("a request needs a non-empty (N,) phone tensor")
        if self.bert.dim() != 2 or self.bert.shape[1] != self.phones.numel():
            raise ValueError(f"bert features {tuple(self.bert.shape)} do not match {self.phones.numel()} phones")
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {self.max_steps}")
        if self.forced_tokens is not None and self.forced_tokens < 1:
            raise ValueError(f"forced_tokens must be at least 1, got {self.forced_tokens}")

    @property
    def step_budget(self) -> int:
        """Decoding steps this row may take at most."""
        return self.max_steps if self.forced_tokens is None else self.forced_tokens


@dataclass
class SchedulerStats:
    """What a run did: decode steps, prefill calls, rows admitted and the mean occupancy of the slots."""

    decode_steps: int = 0
    prefills: int = 0
    admitted: int = 0
    row_steps: int = 0                # sum over decode steps of the rows that were live
    slot_steps: int = 0               # sum over decode steps of the rows that were computed
    tokens: int = 0

    @property
    def occupancy(self) -> float:
        """Fraction of computed rows that belonged to a live sentence."""
        return self.row_steps / self.slot_steps if self.slot_steps else 1.0


@dataclass
class _Slot:
    """A live row: which request it serves, its generator and what it has produced so far."""

    request: int
    n_text: int
    budget: int
    forced: bool
    generator: torch.Generator
    produced: list[int] = field(default_factory=list)

    @property
    def idx(self) -> int:
        """The decoding step whose logits this row samples next."""
        return len(self.produced)


StepFn = Callable[[Tensor, Tensor, Tensor, Tensor, Tensor], Tensor]


class SemanticScheduler:
    """Decodes many requests that share one semantic prompt with continuous batching.

    `rows` bounds the live sentences (and the KV cache: rows x capacity positions, allocated once
    per run); `memory_budget` (bytes), if given, lowers `rows` so the cache fits. `step_fn`
    replaces `model.step` (e.g. a compiled/CUDA-graph version with identical semantics).
    """

    def __init__(self, model: Text2Semantic, prompt: Tensor, options: SamplingOptions, rows: int = 16,
                 memory_budget: int | None = None, kv_bucket: int = KV_BUCKET,
                 step_fn: StepFn | None = None) -> None:
        if rows < 1:
            raise ValueError(f"rows must be at least 1, got {rows}")
        self.model = model
        self.options = options
        self.rows = rows
        self.memory_budget = memory_budget
        self.kv_bucket = kv_bucket
        self.step_fn = step_fn or model.step
        self.device = model.ar_predict_layer.weight.device
        self.dtype = model.ar_predict_layer.weight.dtype
        self.kv_dtype = model.cache_dtype
        self.prompt = prompt.reshape(-1).to(device=self.device, dtype=torch.long)   # (P,)
        self.stats = SchedulerStats()

    def cache_bytes_per_row(self, capacity: int) -> int:
        """KV-cache bytes one row of `capacity` positions takes."""
        cfg = self.model.cfg
        itemsize = torch.empty(0, dtype=self.kv_dtype).element_size()
        return 2 * cfg.n_layer * cfg.hidden_dim * capacity * itemsize

    def run(self, requests: Sequence[SemanticRequest]) -> list[Generated]:
        """Decode every request; results in the order of `requests`."""
        results: list[Generated | None] = [None] * len(requests)
        for index, generated in self.iter_finished(requests):
            results[index] = generated
        return [r for r in results if r is not None]

    @torch.inference_mode()
    def iter_finished(self, requests: Sequence[SemanticRequest]) -> Iterator[tuple[int, Generated]]:
        """Decode every request, yielding (index into requests, result) as rows finish."""
        if not requests:
            return
        model, cfg, P = self.model, self.model.cfg, int(self.prompt.numel())
        max_text = max(int(r.phones.numel()) for r in requests)
        capacity = max_text + P + max(r.step_budget for r in requests)
        rows = min(self.rows, len(requests))
        if self.memory_budget is not None:
            rows = max(1, min(rows, self.memory_budget // self.cache_bytes_per_row(capacity)))
        model.ensure_positions(max(max_text, capacity))
        cache = model.new_cache(rows, capacity, self.kv_dtype)
        self._prompt_audio = model.embed_audio(self.prompt.unsqueeze(0),
                                               torch.arange(P, device=self.device))[0]    # (P, D)
        log.debug("GPT batch: %d requests, %d rows of %d positions", len(requests), rows, capacity)

        waiting = deque(sorted(range(len(requests)), key=lambda i: int(requests[i].phones.numel())))
        slots: list[_Slot | None] = [None] * rows
        width = rows                                             # slots [0, width) take part in steps
        write_pos = torch.zeros(rows, dtype=torch.long, device=self.device)   # next cache slot per row
        last_token = torch.zeros(rows, dtype=torch.long, device=self.device)
        audio_pos = torch.zeros(rows, dtype=torch.long, device=self.device)
        seen = torch.zeros(rows, cfg.vocab_size, dtype=torch.bool, device=self.device)
        raw = torch.zeros(rows, cfg.vocab_size, dtype=torch.float32, device=self.device)

        while waiting or any(s is not None for s in slots):
            live = [i for i in range(width) if slots[i] is not None]
            if live:   # one decode step for every row that has a token to feed
                self._decode_step(cache, width, live, write_pos, last_token, audio_pos, raw)
            fresh = [i for i in range(width) if slots[i] is None][: len(waiting)]
            if fresh:  # refill free slots from the queue: their first logits come from the prefill
                admitted = [waiting.popleft() for _ in fresh]
                self._prefill(cache, fresh, [requests[i] for i in admitted], raw)
                for slot, index in zip(fresh, admitted):
                    request = requests[index]
                    slots[slot] = _Slot(index, int(request.phones.numel()), request.step_budget,
                                        request.forced_tokens is not None,
                                        torch.Generator(device=self.device).manual_seed(int(request.seed)))
                    seen[slot] = False
                    seen[slot, self.prompt] = True
            for slot, generated in self._sample(slots, width, raw, seen):
                index = slots[slot].request
                slots[slot] = None
                write_pos[slot] = 0
                audio_pos[slot] = 0
                self.stats.tokens += int(generated.tokens.numel())
                yield index, generated
            live = [i for i in range(width) if slots[i] is not None]
            if live:   # the token each row just drew is fed at the next step, at its own position
                k = torch.tensor([slots[i].idx - 1 for i in live], device=self.device)
                index = torch.tensor(live, device=self.device)
                last_token[index] = torch.tensor([slots[i].produced[-1] for i in live], device=self.device)
                audio_pos[index] = P + k
                write_pos[index] = torch.tensor([slots[i].n_text for i in live], device=self.device) + P + k
            if not waiting:
                width = self._compact(cache, slots, width, write_pos, last_token, audio_pos, seen)

    def _decode_step(self, cache, width: int, live: list[int], write_pos: Tensor, last_token: Tensor,
                     audio_pos: Tensor, raw: Tensor) -> None:
        """Feed every row in [0, width) its last token; idle rows compute on dummies that nothing reads."""
        model = self.model
        x = model.embed_audio(last_token[:width].unsqueeze(1), audio_pos[:width].unsqueeze(1))  # (W, 1, D)
        t_kv = min(cache.capacity, _round_up(int(write_pos[:width].max()) + 1, self.kv_bucket))
        keys = torch.arange(t_kv, device=self.device)
        allowed = additive_mask((keys.unsqueeze(0) <= write_pos[:width].unsqueeze(1))[:, None, None, :],
                                self.kv_dtype)                                            # (W, 1, 1, T_kv)
        hidden = self.step_fn(x, cache.k[:, :width], cache.v[:, :width], write_pos[:width], allowed)
        raw[:width] = model.logits(hidden[:, 0]).float()
        self.stats.decode_steps += 1
        self.stats.row_steps += len(live)
        self.stats.slot_steps += width

    def _prefill(self, cache, slots: list[int], requests: list[SemanticRequest], raw: Tensor) -> None:
        """Run the [text ; prompt audio] prefix of new rows and place their keys/values in `slots`."""
        model = self.model
        x, n_text = embed_prefix(model, [r.phones for r in requests], [r.bert for r in requests],
                                 self._prompt_audio)                                     # (B_new, S, D)
        lengths = n_text + int(self.prompt.numel())
        span = int(lengths.max())
        scratch = model.new_cache(len(requests), span, self.kv_dtype)
        hidden = self.step_fn(x, scratch.k, scratch.v, torch.zeros(len(requests), dtype=torch.long,
                                                                   device=self.device),
                              additive_mask(prefill_mask(n_text, lengths, span), self.kv_dtype))
        last = hidden[torch.arange(len(requests), device=self.device), lengths - 1]      # (B_new, D)
        index = torch.tensor(slots, device=self.device)
        cache.k[:, index, :, :span] = scratch.k
        cache.v[:, index, :, :span] = scratch.v
        raw[index] = model.logits(last).float()
        self.stats.prefills += 1
        self.stats.admitted += len(requests)

    def _sample(self, slots: list[_Slot | None], width: int, raw: Tensor,
                seen: Tensor) -> list[tuple[int, Generated]]:
        """Draw one token for every live row, as `generate` would for it alone; return the rows that end."""
        eos = self.model.cfg.eos
        live = [i for i in range(width) if slots[i] is not None]
        early = [i for i in live if slots[i].forced or slots[i].idx < EOS_FREE_STEPS]
        late = [i for i in live if not (slots[i].forced or slots[i].idx < EOS_FREE_STEPS)]
        ended: list[tuple[int, Generated]] = []
        for group, columns in ((early, eos), (late, raw.shape[1])):
            if not group:
                continue
            rows = torch.tensor(group, device=self.device)
            work = apply_repetition_penalty(raw[rows, :columns], seen[rows], self.options.repetition_penalty)
            tokens = sample_tokens(work, self.options, [slots[i].generator for i in group])
            stops = ((work.argmax(dim=-1) == eos) | (tokens == eos)).tolist()
            seen[rows, tokens] = True
            for slot, token, stop in zip(group, tokens.tolist(), stops):
                state = slots[slot]
                if stop:
                    ended.append((slot, Generated(torch.tensor(state.produced, dtype=torch.long), True)))
                elif not state.forced and state.idx == state.budget - 1:   # the cap: this sample is dropped
                    ended.append((slot, Generated(torch.tensor(state.produced, dtype=torch.long), False)))
                else:
                    state.produced.append(token)
                    if state.forced and len(state.produced) == state.budget:
                        ended.append((slot, Generated(torch.tensor(state.produced, dtype=torch.long), True)))
        return ended

    def _compact(self, cache, slots: list[_Slot | None], width: int, write_pos: Tensor, last_token: Tensor,
                 audio_pos: Tensor, seen: Tensor) -> int:
        """Move live rows to the front once at most half of [0, width) is live; return the new width."""
        live = [i for i in range(width) if slots[i] is not None]
        if width <= 1 or len(live) > width // 2:
            return width
        n = len(live)
        if n:
            index = torch.tensor(live, device=self.device)
            used = min(cache.capacity, int(write_pos[index].max()) + 1)
            cache.k[:, :n, :, :used] = cache.k[:, index, :, :used]
            cache.v[:, :n, :, :used] = cache.v[:, index, :, :used]
            for tensor in (write_pos, last_token, audio_pos, seen):
                tensor[:n] = tensor[index]
            slots[:n] = [slots[i] for i in live]
        for i in range(n, width):
            slots[i] = None
        return max(n, 1)


def _round_up(value: int, multiple: int) -> int:
    """The smallest multiple of `multiple` that is >= value."""
    return -(-value // multiple) * multiple
