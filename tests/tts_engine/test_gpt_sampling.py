"""Sampling: each filter, the reference order, and the counter-based exponential race."""
from __future__ import annotations

import math

import pytest
import torch

from scipy import stats

from tts_engine.gpt.sampling import (SamplingOptions, apply_repetition_penalty, counter_uniforms,
                                     exponential_race, filter_top_k, filter_top_p, mix32, sample_tokens)

CHI2_P = 1e-3   # significance of the fixed-seed goodness-of-fit tests (deterministic: no flakes)


def _seeds_steps(n: int, seed: int = 0, step: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.full((n,), seed, dtype=torch.long), torch.full((n,), step, dtype=torch.long)


def test_repetition_penalty_divides_positive_and_multiplies_negative_seen_logits():
    logits = torch.tensor([[1.0, -1.0, 2.0, 3.0]])
    seen = torch.tensor([[False, True, True, False, True]])   # wider than V (EOS column dropped)
    out = apply_repetition_penalty(logits, seen, 2.0)
    assert out.tolist() == [[1.0, -2.0, 1.0, 3.0]]


def test_top_k_keeps_ties_with_the_pivot():
    out = filter_top_k(torch.tensor([[3.0, 1.0, 3.0, 3.0]]), 1)
    assert torch.isfinite(out).tolist() == [[True, False, True, True]]


def test_top_p_removes_mass_beyond_p_but_always_keeps_the_best():
    logits = torch.tensor([[math.log(0.2), math.log(0.5), math.log(0.3)]])
    assert torch.isfinite(filter_top_p(logits, 0.85)).tolist() == [[False, True, True]]
    assert torch.isfinite(filter_top_p(logits, 0.1)).tolist() == [[False, True, False]]


def test_top_p_is_applied_before_temperature():
    # probabilities 0.5/0.3/0.2: top-p 0.7 keeps only the best; a temperature applied first
    # would flatten them (cumulative 0.34, 0.67) and keep two
    logits = torch.tensor([[math.log(0.5), math.log(0.3), math.log(0.2)]])
    options = SamplingOptions(top_k=3, top_p=0.7, temperature=100.0, repetition_penalty=1.0)
    drawn = {int(sample_tokens(logits, options, *_seeds_steps(1, seed=s))) for s in range(40)}
    assert drawn == {0}


def test_mix32_matches_a_plain_integer_reference():
    def reference(x: int) -> int:          # the same rounds with Python's unbounded integers
        x ^= x >> 16
        x = (x * 0x7FEB352D) & 0xFFFFFFFF
        x ^= x >> 15
        x = (x * 0x846CA68B) & 0xFFFFFFFF
        return x ^ (x >> 16)
    values = [0, 1, 2, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 123456789]
    assert mix32(torch.tensor(values)).tolist() == [reference(v) for v in values]


def test_counter_uniforms_are_uniform_in_the_open_interval_and_depend_only_on_their_counters():
    seeds = torch.tensor([0, 1, 2 ** 62 + 5, 7])
    steps = torch.tensor([0, 0, 3, 1])
    u = counter_uniforms(seeds, steps, 1025)
    assert u.dtype == torch.float64 and bool(((u > 0) & (u < 1)).all())
    assert torch.equal(u[2], counter_uniforms(seeds[2:3], steps[2:3], 1025)[0])     # batch-independent
    assert torch.equal(u[2, :10], counter_uniforms(seeds[2:3], steps[2:3], 10)[0])  # width-independent
    assert not torch.equal(u[0], u[1]) and not torch.equal(u[3], counter_uniforms(seeds[3:], steps[3:] + 1, 1025)[0])
    many = counter_uniforms(torch.arange(400), torch.zeros(400, dtype=torch.long), 1025).flatten().numpy()
    counts = torch.histc(torch.from_numpy(many), bins=50, min=0.0, max=1.0).numpy()
    assert stats.chisquare(counts).pvalue > CHI2_P


@pytest.mark.parametrize("options", [SamplingOptions(top_k=15, repetition_penalty=1.0),
                                     SamplingOptions(top_k=6, temperature=0.7, repetition_penalty=1.0),
                                     SamplingOptions(top_k=40, top_p=0.9, repetition_penalty=1.0)])
def test_draws_follow_the_exact_categorical(options):
    logits = torch.randn(1, 1025, generator=torch.Generator().manual_seed(3)) * 2.0
    filtered = filter_top_k(filter_top_p(logits, options.top_p) / options.temperature, options.top_k)
    probs = torch.softmax(filtered, dim=-1)[0]
    support = torch.nonzero(probs > 0).flatten()
    n = 6000
    seeds = torch.arange(n, dtype=torch.long) * 7919 + 11            # one draw per (seed, step)
    steps = torch.arange(n, dtype=torch.long) % 97
    drawn = sample_tokens(logits.expand(n, -1), options, seeds, steps)
    assert set(drawn.tolist()) <= set(support.tolist())
    observed = torch.bincount(drawn, minlength=1025)[support].double().numpy()
    expected = (probs[support].double() * n).numpy()
    assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > CHI2_P


def test_a_row_draws_the_same_in_any_batch_and_slot():
    logits = torch.randn(5, 1025, generator=torch.Generator().manual_seed(4))
    seeds, steps = torch.tensor([11, 12, 13, 14, 15]), torch.tensor([0, 3, 9, 3, 0])
    together = sample_tokens(logits, SamplingOptions(), seeds, steps)
    order = torch.tensor([3, 0, 4, 1, 2])
    shuffled = sample_tokens(logits[order], SamplingOptions(), seeds[order], steps[order])
    assert torch.equal(shuffled, together[order])
    alone = [int(sample_tokens(logits[i:i + 1], SamplingOptions(), seeds[i:i + 1], steps[i:i + 1])) for i in range(5)]
    assert together.tolist() == alone


def test_exponential_race_follows_the_counters():
    probs = torch.full((2, 50), 1 / 50)
    a = exponential_race(probs, *_seeds_steps(2, seed=3))
    assert a[0] == a[1]
    b = [int(exponential_race(probs[:1], *_seeds_steps(1, seed=3, step=s))) for s in range(20)]
    assert len(set(b)) > 5


@pytest.mark.parametrize("bad", [dict(top_k=0), dict(top_p=0.0), dict(top_p=1.5),
                                 dict(temperature=0.0), dict(repetition_penalty=-1.0)])
def test_options_are_validated(bad):
    with pytest.raises(ValueError):
        SamplingOptions(**bad)
