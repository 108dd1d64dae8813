"""Continuous batching of GPT decoding: many sentences, one shared voice prompt, one preallocated KV cache.

The cache has `rows` slots. Waiting sentences are sorted by length (a length bucket: neighbours in
the queue pad little against each other) and admitted into free slots; each slot decodes at its own
position, stops on its own EOS or budget (checked on the device, `DecodeRows.step`), and the freed
slot is refilled with the next waiting sentence instead of idling until the longest row ends.
The host looks at the rows only every `sync_every` steps (the steps in between run without a host
round trip, as CUDA graphs on CUDA); a row that ends between looks just stops changing. When the
queue is empty and half the slots are idle, the live rows are moved to the front so the tail of a
run does not pay for empty rows.

Every row draws counter-based randomness from its own seed and step and is sampled exactly as
`tts_engine.gpt.generate` samples a lone sentence, so a sentence's tokens do not depend on its
batch mates, its slot, when it was admitted, or `sync_every`.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Iterator, Sequence

import torch
from torch import Tensor

from tts_engine.gpt.decode import MAX_STEPS, Generated
from tts_engine.gpt.graphs import StepGraphs
from tts_engine.gpt.model import Text2Semantic
from tts_engine.gpt.rows import DecodeRows, RowRequest
from tts_engine.gpt.sampling import SamplingOptions

log = logging.getLogger(__name__)

KV_BUCKET = 64           # attention reads the cache in multiples of this many slots (fewer distinct shapes)
GRAPH_KV_BUCKET = 256    # coarser with CUDA graphs: one graph per (width, slots read)


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


class SemanticScheduler:
    """Decodes many requests that share one semantic prompt with continuous batching.

    `rows` bounds the live sentences (and the KV cache: rows x capacity positions, allocated once
    per run); `memory_budget` (bytes), if given, lowers `rows` so the cache fits. The host looks at
    the batch every `sync_every` steps; `cuda_graphs` replays the decode step as CUDA graphs on CUDA.
    """

    def __init__(self, model: Text2Semantic, prompt: Tensor, options: SamplingOptions, rows: int = 16,
                 memory_budget: int | None = None, kv_bucket: int = KV_BUCKET, sync_every: int = 1,
                 cuda_graphs: bool = True) -> None:
        if rows < 1 or sync_every < 1:
            raise ValueError(f"rows and sync_every must be at least 1, got {rows}, {sync_every}")
        self.model = model
        self.options = options
        self.rows = rows
        self.memory_budget = memory_budget
        self.sync_every = sync_every
        self.device = model.ar_predict_layer.weight.device
        self.graphs = cuda_graphs and self.device.type == "cuda"
        self.kv_bucket = max(kv_bucket, GRAPH_KV_BUCKET) if self.graphs else kv_bucket
        self.kv_dtype = model.cache_dtype
        self.prompt = prompt.reshape(-1).to(device=self.device, dtype=torch.long)   # (P,)
        self.stats = SchedulerStats()

    def cache_bytes_per_row(self, capacity: int) -> int:
        """KV-cache bytes one row of `capacity` positions takes."""
        cfg = self.model.cfg
        itemsize = torch.empty(0, dtype=self.kv_dtype).element_size()
        return 2 * cfg.n_layer * cfg.hidden_dim * capacity * itemsize

    def capacity(self, requests: Sequence[SemanticRequest]) -> int:
        """Cache positions each row gets in a run of `requests`: the longest text, the prompt, the largest budget."""
        return (max(int(r.phones.numel()) for r in requests) + int(self.prompt.numel())
                + max(r.step_budget for r in requests))

    def prepare(self, requests: Sequence[SemanticRequest]) -> None:
        """Grow the model's position tables for a run of `requests` now: call it before several threads decode
        on one model, whose runs then only read it."""
        if requests:
            self.model.ensure_positions(self.capacity(requests))

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
        max_budget = max(r.step_budget for r in requests)
        capacity = self.capacity(requests)
        n_rows = min(self.rows, len(requests))
        if self.memory_budget is not None:
            n_rows = max(1, min(n_rows, self.memory_budget // self.cache_bytes_per_row(capacity)))
        state = DecodeRows(self.model, self.prompt, self.options, n_rows, capacity, max_budget)
        runner = StepGraphs(state.step, self.device, enabled=self.graphs)
        log.debug("GPT batch: %d requests, %d rows of %d positions, host look every %d steps",
                  len(requests), n_rows, capacity, self.sync_every)

        waiting = deque(sorted(range(len(requests)), key=lambda i: int(requests[i].phones.numel())))
        slots: list[int | None] = [None] * n_rows          # the request each slot serves
        width = n_rows                                     # slots [0, width) take part in steps
        while True:
            occupied = [i for i in range(width) if slots[i] is not None]
            for slot, generated in state.collect(occupied):
                index, slots[slot] = slots[slot], None
                self.stats.tokens += int(generated.tokens.numel())
                yield index, generated
            fresh = [i for i in range(width) if slots[i] is None][: len(waiting)]
            if fresh:      # refill free slots from the queue: their first logits come from the prefill
                admitted = [waiting.popleft() for _ in fresh]
                state.admit(fresh, [_row_request(requests[i]) for i in admitted])
                for slot, index in zip(fresh, admitted):
                    slots[slot] = index
                self.stats.prefills += 1
                self.stats.admitted += len(admitted)
            live = [i for i in range(width) if slots[i] is not None]
            if not live:
                break
            if not waiting and len(live) <= width // 2 and width > 1:
                state.compact(live)
                slots[: len(live)] = [slots[i] for i in live]
                slots[len(live):] = [None] * (n_rows - len(live))
                width = self._width(len(live), n_rows)
            t_kv = state.plan(width, self.sync_every, self.kv_bucket)
            for _ in range(self.sync_every):
                runner(width, t_kv)
            self.stats.decode_steps += self.sync_every
            self.stats.slot_steps += self.sync_every * width
        self.stats.row_steps = state.live_count()

    def _width(self, live: int, rows: int) -> int:
        """Rows computed per step for `live` live rows: exactly those, or a power of two with CUDA graphs
        (fewer distinct shapes to capture)."""
        if not self.graphs:
            return max(live, 1)
        return min(rows, 1 << max(live - 1, 0).bit_length())


def _row_request(request: SemanticRequest) -> RowRequest:
    """The decode rows' view of a request."""
    return RowRequest(request.phones, request.bert, request.seed, request.step_budget,
                      request.forced_tokens is not None)
