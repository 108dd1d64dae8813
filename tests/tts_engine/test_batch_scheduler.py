"""Continuous-batching GPT decoding equals one-by-one `generate`, keeps order and identity, refills rows."""
from __future__ import annotations

import pytest
import torch

from tts_engine.batch.scheduler import SemanticRequest, SemanticScheduler
from tts_engine.gpt import SamplingOptions, Text2Semantic, generate
from tts_engine.gpt.decode import EOS_FREE_STEPS
from tts_engine.loader import load_gpt_file

OPTIONS = SamplingOptions(top_k=15, repetition_penalty=1.35)
TEXT_LENGTHS = [5, 12, 8, 30, 3, 17, 9]
CAPS = [40, 25, 60, 33, 50, 20, 45]          # ragged: rows end at different steps


@pytest.fixture(scope="module")
def model(kit_dir) -> Text2Semantic:
    return Text2Semantic.from_checkpoint(load_gpt_file(kit_dir / "tiny" / "gpt_tiny_v2.ckpt"))


@pytest.fixture(scope="module")
def prompt() -> torch.Tensor:
    return torch.randint(0, 1024, (20,), generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def requests(model) -> list[SemanticRequest]:
    g = torch.Generator().manual_seed(1)
    return [SemanticRequest(torch.randint(0, model.cfg.phoneme_vocab_size, (n,), generator=g),
                            torch.randn(model.cfg.bert_dim, n, generator=g), seed=100 + i, max_steps=cap)
            for i, (n, cap) in enumerate(zip(TEXT_LENGTHS, CAPS))]


@pytest.fixture(scope="module")
def alone(model, requests, prompt):
    return [generate(model, [r.phones], [r.bert], prompt, OPTIONS, [r.seed], r.max_steps)[0] for r in requests]


@pytest.mark.parametrize("rows", [1, 3, 7])
def test_batched_tokens_equal_one_by_one(model, requests, prompt, alone, rows):
    out = SemanticScheduler(model, prompt, OPTIONS, rows=rows).run(requests)
    assert len(out) == len(requests)
    for ours, ref in zip(out, alone):
        assert ours.hit_eos == ref.hit_eos
        assert torch.equal(ours.tokens, ref.tokens)


def test_freed_rows_are_refilled_and_results_keep_their_identity(model, requests, prompt):
    scheduler = SemanticScheduler(model, prompt, OPTIONS, rows=3)
    finished = list(scheduler.iter_finished(requests))
    assert sorted(i for i, _ in finished) == list(range(len(requests)))
    assert [i for i, _ in finished] != list(range(len(requests)))     # rows end out of input order...
    for index, generated in finished:                                # ...yet each result is its own
        assert len(generated.tokens) == CAPS[index] - 1 and not generated.hit_eos
    stats = scheduler.stats
    assert stats.admitted == len(requests) and stats.prefills > 1    # refilled while others decoded
    assert stats.decode_steps < sum(CAPS) / 2 and stats.occupancy > 0.8


def test_eos_ends_each_row_as_alone(model, requests, prompt, monkeypatch):
    original = model.logits

    def eos_heavy(hidden):                         # EOS competes with the real logits from step 11 on
        out = original(hidden)
        out[:, model.cfg.eos] = out.max(dim=-1).values - 0.1
        return out
    monkeypatch.setattr(model, "logits", eos_heavy)
    alone = [generate(model, [r.phones], [r.bert], prompt, OPTIONS, [r.seed], r.max_steps)[0] for r in requests]
    out = SemanticScheduler(model, prompt, OPTIONS, rows=4).run(requests)
    stopped = [len(a.tokens) for a in alone if a.hit_eos]
    assert len(stopped) >= 4 and len(set(stopped)) >= 3 and min(stopped) >= EOS_FREE_STEPS   # ragged EOS stops
    assert [(o.hit_eos, o.tokens.tolist()) for o in out] == [(a.hit_eos, a.tokens.tolist()) for a in alone]


def test_forced_token_counts_and_memory_budget(model, requests, prompt):
    forced = [SemanticRequest(r.phones, r.bert, r.seed, forced_tokens=7 + i) for i, r in enumerate(requests)]
    scheduler = SemanticScheduler(model, prompt, OPTIONS, rows=16, memory_budget=1)
    out = scheduler.run(forced)
    assert [len(g.tokens) for g in out] == [7 + i for i in range(len(requests))]
    assert all(g.hit_eos for g in out) and all(model.cfg.eos not in g.tokens.tolist() for g in out)
    assert scheduler.stats.occupancy == 1.0          # one row at a time: the budget fits a single row


def test_bad_requests_are_refused(model):
    with pytest.raises(ValueError, match="do not match"):
        SemanticRequest(torch.tensor([1, 2]), torch.zeros(model.cfg.bert_dim, 3), seed=0)
    with pytest.raises(ValueError, match="non-empty"):
        SemanticRequest(torch.tensor([], dtype=torch.long), torch.zeros(model.cfg.bert_dim, 0), seed=0)


@pytest.mark.parametrize("rows,sync_every", [(3, 2), (7, 5), (2, 16)])
def test_host_looks_every_k_steps_give_the_same_tokens(model, requests, prompt, alone, rows, sync_every):
    scheduler = SemanticScheduler(model, prompt, OPTIONS, rows=rows, sync_every=sync_every)
    out = scheduler.run(requests)
    assert [(o.hit_eos, o.tokens.tolist()) for o in out] == [(a.hit_eos, a.tokens.tolist()) for a in alone]
    assert scheduler.stats.decode_steps % sync_every == 0


def test_a_sentence_decodes_the_same_in_any_slot_and_company(model, requests, prompt, alone):
    reordered = [requests[i] for i in (6, 2, 0, 5, 1, 4, 3)]
    out = SemanticScheduler(model, prompt, OPTIONS, rows=4, sync_every=3).run(reordered)
    assert [o.tokens.tolist() for o in out] == [alone[i].tokens.tolist() for i in (6, 2, 0, 5, 1, 4, 3)]
    pair = SemanticScheduler(model, prompt, OPTIONS, rows=2).run([requests[3], requests[5]])
    assert [o.tokens.tolist() for o in pair] == [alone[3].tokens.tolist(), alone[5].tokens.tolist()]
