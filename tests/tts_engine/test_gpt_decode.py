"""Decoding: the golden greedy case, EOS rules, the step cap, seeds and per-row batching."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_engine.gpt import DecodeTrace, SamplingOptions, Text2Semantic, generate
from tts_engine.gpt.decode import EOS_FREE_STEPS
from tts_engine.gpt.sampling import GREEDY
from tts_engine.loader import load_gpt_file


@pytest.fixture(scope="module")
def model(kit_dir) -> Text2Semantic:
    return Text2Semantic.from_checkpoint(load_gpt_file(kit_dir / "tiny" / "gpt_tiny_v2.ckpt"))


@pytest.fixture(scope="module")
def golden(kit_dir):
    return np.load(kit_dir / "golden" / "gpt_greedy.npz")


@pytest.fixture(scope="module")
def inputs(golden):
    return (torch.from_numpy(golden["phones"][0]), torch.from_numpy(golden["bert"][0]),
            torch.from_numpy(golden["prompt"][0]))


def test_greedy_decoding_matches_the_golden_tokens_and_logits(model, golden, inputs):
    phones, bert, prompt = inputs
    expected_logits, expected_tokens = golden["step_logits"][0], golden["tokens"][0]
    trace = DecodeTrace()
    generate(model, [phones], [bert], prompt, GREEDY, seeds=[0],
             max_steps=max(len(expected_logits), len(expected_tokens)), trace=trace)
    samples = torch.stack([s[0] for s in trace.samples]).numpy()
    np.testing.assert_array_equal(samples[: len(expected_tokens)], expected_tokens)
    for step, expected in enumerate(expected_logits):
        ours = trace.step_logits[step][0].numpy()
        assert np.linalg.norm(ours - expected) / np.linalg.norm(expected) <= 1e-4, step


def _fixed_logits(model, values: dict[int, float], monkeypatch):
    """Make every step return the same logits (zeros except `values`)."""
    def logits(hidden):
        out = torch.zeros(hidden.shape[0], model.cfg.vocab_size)
        for token, value in values.items():
            out[:, token] = value
        return out
    monkeypatch.setattr(model, "logits", logits)


def test_eos_is_forbidden_for_the_first_steps_then_stops_on_argmax(model, inputs, monkeypatch):
    _fixed_logits(model, {model.cfg.eos: 10.0, 7: 5.0}, monkeypatch)
    phones, bert, prompt = inputs
    out = generate(model, [phones], [bert], prompt, GREEDY, seeds=[0])
    assert out[0].hit_eos and out[0].tokens.tolist() == [7] * EOS_FREE_STEPS


def test_a_sampled_eos_stops_and_is_dropped(model, inputs, monkeypatch):
    _fixed_logits(model, {model.cfg.eos: 10.0, 7: 10.0}, monkeypatch)   # argmax picks 7: only the sample can be EOS
    phones, bert, prompt = inputs
    options = SamplingOptions(top_k=2, repetition_penalty=1.0)
    trace = DecodeTrace()
    out = generate(model, [phones], [bert], prompt, options, seeds=[1], max_steps=200, trace=trace)
    samples = [int(s[0]) for s in trace.samples]
    first_eos = samples.index(model.cfg.eos)
    assert first_eos >= EOS_FREE_STEPS and out[0].hit_eos
    assert out[0].tokens.tolist() == samples[:first_eos]


def test_the_step_cap_keeps_all_but_the_last_sample(model, inputs):
    phones, bert, prompt = inputs
    trace = DecodeTrace()
    out = generate(model, [phones], [bert], prompt, GREEDY, seeds=[0], max_steps=5, trace=trace)
    assert not out[0].hit_eos
    assert out[0].tokens.tolist() == [int(s[0]) for s in trace.samples[:4]]


def test_the_seed_decides_the_tokens(model, inputs):
    phones, bert, prompt = inputs
    options = SamplingOptions()
    runs = [generate(model, [phones], [bert], prompt, options, seeds=[s], max_steps=30)[0].tokens
            for s in (5, 5, 6)]
    assert torch.equal(runs[0], runs[1]) and not torch.equal(runs[0], runs[2])


def test_a_batch_row_decodes_as_it_would_alone(model, inputs):
    phones, bert, prompt = inputs
    rows = [(phones, bert, 11), (phones[:6], bert[:, :6], 12)]
    options = SamplingOptions()
    alone = [generate(model, [p], [b], prompt, options, seeds=[s], max_steps=40)[0].tokens for p, b, s in rows]
    together = generate(model, [r[0] for r in rows], [r[1] for r in rows], prompt, options,
                        seeds=[r[2] for r in rows], max_steps=40)
    assert all(torch.equal(a, t.tokens) for a, t in zip(alone, together))


def test_a_decode_step_never_waits_for_the_host(model, inputs, monkeypatch):
    from tts_engine.gpt.rows import DecodeRows, RowRequest

    phones, bert, prompt = inputs
    rows = DecodeRows(model, prompt, SamplingOptions(), rows=3, capacity=phones.numel() + prompt.numel() + 30,
                      max_budget=30)
    rows.admit([0, 2], [RowRequest(phones, bert, 1, 30), RowRequest(phones[:5], bert[:, :5], 2, 30)])
    t_kv = rows.plan(3, 4, 8)

    def host_sync(*args, **kwargs):
        raise AssertionError("host sync inside the decode step")
    for name in ("item", "tolist", "__bool__", "__int__", "__float__", "__index__", "numpy", "cpu"):
        monkeypatch.setattr(torch.Tensor, name, host_sync)
    with torch.inference_mode():
        for _ in range(4):
            rows.step(3, t_kv)
    monkeypatch.undo()
    assert [len(g.tokens) for _, g in rows.collect([0, 2])] == []        # still decoding
    assert rows.n_out.tolist()[0] == 4 and rows.n_out.tolist()[2] == 4
