"""Sampling: each filter, the reference order, and the seeded exponential race."""
from __future__ import annotations

import math

import pytest
import torch

from tts_engine.gpt.sampling import (SamplingOptions, apply_repetition_penalty, exponential_race,
                                     filter_top_k, filter_top_p, sample_tokens)


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
    drawn = {int(sample_tokens(logits, options, [torch.Generator().manual_seed(s)])) for s in range(40)}
    assert drawn == {0}


def test_exponential_race_consumes_rng_like_the_reference():
    probs = torch.softmax(torch.randn(1, 1025, generator=torch.Generator().manual_seed(1)), dim=-1)
    for seed in range(5):
        torch.manual_seed(seed)
        expected = torch.argmax(probs / torch.empty_like(probs).exponential_(), dim=-1)
        assert exponential_race(probs, [torch.Generator().manual_seed(seed)]).tolist() == expected.tolist()


def test_rows_draw_from_their_own_generators():
    probs = torch.full((2, 50), 1 / 50)
    a = exponential_race(probs, [torch.Generator().manual_seed(3), torch.Generator().manual_seed(4)])
    b = exponential_race(probs[:1], [torch.Generator().manual_seed(3)])
    assert a[0] == b[0]


@pytest.mark.parametrize("bad", [dict(top_k=0), dict(top_p=0.0), dict(top_p=1.5),
                                 dict(temperature=0.0), dict(repetition_penalty=-1.0)])
def test_options_are_validated(bad):
    with pytest.raises(ValueError):
        SamplingOptions(**bad)
