"""DecodeRows: the device-resident state of a batch of decoding rows and its sync-free decode step.

Every per-row quantity lives in a preallocated tensor on the model's device: the KV cache, the
logits to sample next, the seen-token set, the sentence seed, the decoding step, the step budget,
whether the row is live, and the tokens produced so far. `step(width)` samples every row in
[0, width) (EOS rules and budgets checked on the device), records the tokens, and runs the GPT on
them to get the next logits: fixed shapes, no host round trip, so it can be captured as a CUDA
graph (`graphs.StepGraphs`). The host looks at the rows only when it chooses (`collect`), to hand
out finished rows and admit new ones (`admit`); rows that finish between looks stop changing.

A row samples exactly as it would alone: its draws are counter-based (seed, step, token id), its
EOS column is masked for its own first EOS_FREE_STEPS steps, and its cap is its own budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from tts_engine.gpt.model import Text2Semantic, additive_mask
from tts_engine.gpt.sampling import SamplingOptions, apply_repetition_penalty, sample_tokens

EOS_FREE_STEPS = 11   # steps 0..10 drop the EOS column: at least 11 tokens are generated
MAX_STEPS = 1500      # the reference's hard cap on decoding steps
NEG_INF = float("-inf")


@dataclass(frozen=True)
class Generated:
    """The semantic tokens of one row: (T,) int64 on the CPU, and whether EOS ended it."""

    tokens: Tensor
    hit_eos: bool


@dataclass(frozen=True)
class RowRequest:
    """What a row needs to start: its GPT inputs, seed and step budget (forced: exactly that many tokens)."""

    phones: Tensor        # (N,) int64: prompt phones ++ target phones
    bert: Tensor          # (bert_dim, N)
    seed: int
    budget: int           # steps at most; without EOS budget - 1 tokens are kept (forced: budget tokens)
    forced: bool = False  # benchmarks: EOS is never drawn


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
    lengths = [int(p.numel()) for p in phones]
    x = torch.zeros(len(phones), max(lengths) + P, cfg.hidden_dim, device=device, dtype=dtype)
    for b, (row_phones, row_bert) in enumerate(zip(phones, bert)):
        n = lengths[b]
        x[b, :n] = model.embed_text(row_phones.reshape(1, n).to(device),
                                    row_bert.reshape(1, cfg.bert_dim, n).to(device=device, dtype=dtype))[0]
        x[b, n:n + P] = prompt_audio
    return x, torch.tensor(lengths, device=device)


class DecodeRows:
    """`rows` decoding slots sharing one semantic prompt (P,), each up to `capacity` cache positions and
    `max_budget` steps. Host-side calls: `admit`, `collect`, `compact`; device-side: `step`."""

    def __init__(self, model: Text2Semantic, prompt: Tensor, options: SamplingOptions, rows: int,
                 capacity: int, max_budget: int) -> None:
        cfg = model.cfg
        self.model, self.options = model, options
        self.device = device = model.ar_predict_layer.weight.device
        self.prompt = prompt.reshape(-1).to(device=device, dtype=torch.long)
        self.n_prompt = P = int(self.prompt.numel())
        self.rows, self.capacity, self.max_budget = rows, capacity, max_budget
        model.ensure_positions(max(capacity, P + max_budget))
        self.prompt_audio = model.embed_audio(self.prompt.unsqueeze(0), torch.arange(P, device=device))[0]
        self.cache = model.new_cache(rows, capacity)
        long = dict(dtype=torch.long, device=device)
        self.raw = torch.zeros(rows, cfg.vocab_size, dtype=torch.float32, device=device)  # logits to sample
        self.seen = torch.zeros(rows, cfg.vocab_size, dtype=torch.bool, device=device)
        self.seeds = torch.zeros(rows, **long)
        self.idx = torch.zeros(rows, **long)          # the step whose logits the row samples next
        self.budget = torch.ones(rows, **long)
        self.forced = torch.zeros(rows, dtype=torch.bool, device=device)
        self.live = torch.zeros(rows, dtype=torch.bool, device=device)
        self.hit_eos = torch.zeros(rows, dtype=torch.bool, device=device)
        self.n_out = torch.zeros(rows, **long)
        self.write_pos = torch.zeros(rows, **long)    # the cache slot the next fed token goes to
        self.last_token = torch.zeros(rows, **long)
        self.out = torch.zeros(rows, max_budget, **long)
        self.live_steps = torch.zeros((), **long)     # sum over steps of live rows (occupancy statistics)
        self.eos_column = torch.arange(cfg.vocab_size, device=device) == cfg.eos
        self.t_kv = capacity                          # cache slots attention reads (see `plan`)
        self._per_row = ("raw", "seen", "seeds", "idx", "budget", "forced", "live", "hit_eos", "n_out",
                         "write_pos", "last_token", "out")

    # ---- host side -------------------------------------------------------------------------------
    def admit(self, slots: Sequence[int], requests: Sequence[RowRequest]) -> None:
        """Prefill new rows into free `slots`: their [text ; prompt audio] keys/values and first logits."""
        model, P = self.model, self.n_prompt
        x, n_text = embed_prefix(model, [r.phones for r in requests], [r.bert for r in requests],
                                 self.prompt_audio)                                      # (B_new, S, D)
        lengths = n_text + P
        span = x.shape[1]
        scratch = model.new_cache(len(requests), span, self.cache.k.dtype)
        hidden = model.step(x, scratch.k, scratch.v, torch.zeros(len(requests), dtype=torch.long, device=self.device),
                            additive_mask(prefill_mask(n_text, lengths, span), scratch.k.dtype))
        last = hidden[torch.arange(len(requests), device=self.device), lengths - 1]      # (B_new, D)
        index = torch.tensor(list(slots), device=self.device)
        self.cache.k[:, index, :, :span] = scratch.k
        self.cache.v[:, index, :, :span] = scratch.v
        self.raw[index] = model.logits(last).float()
        self.seen[index] = False
        self.seen[index.unsqueeze(1), self.prompt.unsqueeze(0)] = True
        values = lambda f: torch.tensor([f(r) for r in requests], device=self.device)   # noqa: E731
        self.seeds[index] = values(lambda r: int(r.seed))
        self.budget[index] = values(lambda r: int(r.budget))
        self.forced[index] = values(lambda r: bool(r.forced))
        self.idx[index] = 0
        self.n_out[index] = 0
        self.hit_eos[index] = False
        self.live[index] = True
        self.write_pos[index] = lengths

    def plan(self, width: int, steps_ahead: int, bucket: int) -> int:
        """Cache slots attention must read for the next `steps_ahead` steps of rows [0, width), rounded up
        to `bucket` (one host sync); remembered for `compact`."""
        reach = int(self.write_pos[:width].max()) + steps_ahead
        self.t_kv = min(self.capacity, -(-reach // bucket) * bucket)
        return self.t_kv

    def collect(self, slots: Sequence[int]) -> list[tuple[int, Generated]]:
        """(slot, result) for each of the given occupied slots whose row has ended (one host sync)."""
        if not slots:
            return []
        index = torch.tensor(list(slots), device=self.device)
        state = torch.stack([self.live[index].long(), self.hit_eos[index].long(), self.n_out[index]]).cpu()
        ended = [k for k in range(len(slots)) if not state[0, k]]
        if not ended:
            return []
        done = index[ended]
        tokens = self.out[done].cpu()
        self.write_pos[done] = 0      # an ended row no longer widens the cache span attention reads
        return [(slots[k], Generated(tokens[j, : int(state[2, k])].clone(), bool(state[1, k])))
                for j, k in enumerate(ended)]

    def compact(self, keep: Sequence[int]) -> None:
        """Move the rows in `keep` to slots 0..len(keep)-1 (cache and state); other slots become free."""
        n = len(keep)
        index = torch.tensor(list(keep), device=self.device)
        used = self.t_kv
        self.cache.k[:, :n, :, :used] = self.cache.k[:, index, :, :used]
        self.cache.v[:, :n, :, :used] = self.cache.v[:, index, :, :used]
        for name in self._per_row:
            tensor = getattr(self, name)
            tensor[:n] = tensor[index]
        self.live[n:] = False

    def live_count(self) -> int:
        """Sum over all steps so far of the live rows (one host sync)."""
        return int(self.live_steps)

    # ---- device side -----------------------------------------------------------------------------
    def step(self, width: int, t_kv: int) -> None:
        """Sample rows [0, width), record and feed their tokens, reading `t_kv` cache slots (see `plan`);
        fixed shapes, no host sync."""
        cfg, options, model = self.model.cfg, self.options, self.model
        live, idx, forced = self.live[:width], self.idx[:width], self.forced[:width]
        early = forced | (idx < EOS_FREE_STEPS)
        work = self.raw[:width].masked_fill(early.unsqueeze(1) & self.eos_column, NEG_INF)
        work = apply_repetition_penalty(work, self.seen[:width], options.repetition_penalty)
        token = sample_tokens(work, options, self.seeds[:width], idx)
        stop = live & ((work.argmax(dim=-1) == cfg.eos) | (token == cfg.eos))
        cap = live & ~stop & ~forced & (idx == self.budget[:width] - 1)   # the reference drops this sample
        append = live & ~stop & ~cap
        column = idx.clamp(max=self.max_budget - 1).unsqueeze(1)
        out = self.out[:width]
        out.scatter_(1, column, torch.where(append, token, out.gather(1, column).squeeze(1)).unsqueeze(1))
        done_forced = append & forced & (idx + 1 == self.budget[:width])
        ended = stop | cap | done_forced
        self.hit_eos[:width] = torch.where(ended, stop | done_forced, self.hit_eos[:width])
        self.n_out[:width] = torch.where(live, idx + append.long(), self.n_out[:width])
        self.seen[:width].scatter_(1, token.unsqueeze(1), True)
        self.live_steps += live.sum()
        still = live & ~ended
        self.live[:width] = still
        self.idx[:width] = idx + still.long()
        self.last_token[:width] = token
        # feed the drawn tokens (at audio position P + step); rows that ended compute on what nothing reads
        positions = (self.n_prompt + self.idx[:width] - 1).clamp(min=0)
        x = model.embed_audio(self.last_token[:width].unsqueeze(1), positions.unsqueeze(1))   # (W, 1, D)
        write_pos = self.write_pos[:width]
        keys = torch.arange(t_kv, device=self.device)
        allowed = additive_mask((keys.unsqueeze(0) <= write_pos.unsqueeze(1))[:, None, None, :],
                                self.cache.k.dtype)                                       # (W, 1, 1, T_kv)
        hidden = model.step(x, self.cache.k[:, :width], self.cache.v[:, :width], write_pos, allowed)
        self.raw[:width] = model.logits(hidden[:, 0]).float()
        self.write_pos[:width] = write_pos + still.long()
