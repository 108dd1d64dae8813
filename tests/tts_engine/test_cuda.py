"""The CUDA tier (marker `cuda`, skipped without a GPU): CPU and CUDA agree, fp16 stays close to fp32,
CUDA graphs and host looks every k steps change nothing, batched SoVITS equals lone decodes.

Run on a GPU machine with `bench/gpu_check.sh` (or `pytest -m cuda tests/tts_engine`).
"""
from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
import torch

from tts_engine.batch import EngineOptions, GSVEngine, GuardOptions
from tts_engine.batch.scheduler import SemanticRequest, SemanticScheduler
from tts_engine.batch.sovits_batch import BatchVocoder, VocodeItem
from tts_engine.engine import SentenceJob, TextSegment
from tts_engine.gpt import SamplingOptions, Text2Semantic, generate
from tts_engine.gpt.sampling import counter_uniforms, exponential_race
from tts_engine.loader import load_gpt_file, load_sovits_file
from tts_engine.precision import Precision
from tts_engine.sovits.synthesizer import Synthesizer

from tests.tts_engine.conftest import REF_PHONES, REF_SEGMENTS

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

OPTIONS = SamplingOptions(top_k=15, repetition_penalty=1.35)
TEXT_LENGTHS, CAPS = [5, 12, 8, 30, 3, 17, 9], [40, 25, 60, 33, 50, 20, 45]
FP16_MIN_SNR_DB = 20.0        # fp16 SoVITS audio against fp32 with the same weights and tokens
CUDA = torch.device("cuda")


@pytest.fixture(scope="module")
def models(kit_dir):
    ckpt = load_gpt_file(kit_dir / "tiny" / "gpt_tiny_v2.ckpt")
    return Text2Semantic.from_checkpoint(ckpt), Text2Semantic.from_checkpoint(ckpt, device=CUDA)


@pytest.fixture(scope="module")
def requests(models):
    cfg = models[0].cfg
    g = torch.Generator().manual_seed(1)
    return [SemanticRequest(torch.randint(0, cfg.phoneme_vocab_size, (n,), generator=g),
                            torch.randn(cfg.bert_dim, n, generator=g), seed=100 + i, max_steps=cap)
            for i, (n, cap) in enumerate(zip(TEXT_LENGTHS, CAPS))]


@pytest.fixture(scope="module")
def semantic_prompt():
    return torch.randint(0, 1024, (20,), generator=torch.Generator().manual_seed(0))


def test_counter_draws_are_bit_identical_on_cpu_and_cuda():
    seeds, steps = torch.tensor([0, 1, 2 ** 62 + 5, 123456789]), torch.tensor([0, 5, 1499, 11])
    cpu = counter_uniforms(seeds, steps, 1025)
    assert torch.equal(cpu, counter_uniforms(seeds.to(CUDA), steps.to(CUDA), 1025).cpu())
    probs = torch.softmax(torch.randn(4, 1025, generator=torch.Generator().manual_seed(5)), dim=-1)
    assert torch.equal(exponential_race(probs, seeds, steps),
                       exponential_race(probs.to(CUDA), seeds.to(CUDA), steps.to(CUDA)).cpu())


def test_gpt_tokens_equal_on_cpu_and_cuda_in_fp32(models, requests, semantic_prompt):
    cpu_model, cuda_model = models
    alone = [generate(cpu_model, [r.phones], [r.bert], semantic_prompt, OPTIONS, [r.seed], r.max_steps)[0]
             for r in requests]
    lone_cuda = generate(cuda_model, [requests[0].phones], [requests[0].bert], semantic_prompt, OPTIONS,
                         [requests[0].seed], requests[0].max_steps)[0]
    assert lone_cuda.tokens.tolist() == alone[0].tokens.tolist()
    for graphs in (True, False):
        for rows, sync_every in ((3, 8), (7, 1)):
            out = SemanticScheduler(cuda_model, semantic_prompt, OPTIONS, rows=rows, sync_every=sync_every,
                                    cuda_graphs=graphs).run(requests)
            assert [(o.hit_eos, o.tokens.tolist()) for o in out] == [(a.hit_eos, a.tokens.tolist()) for a in alone], \
                (graphs, rows, sync_every)


def test_batched_sovits_decode_on_cuda_equals_lone_decodes(kit_dir):
    synth = Synthesizer.from_checkpoint(load_sovits_file(kit_dir / "tiny" / "sovits_tiny_v2.pth")).to(CUDA)
    ge = torch.randn(1, synth.config.gin_channels, 1, generator=torch.Generator().manual_seed(0)).to(CUDA)
    g = torch.Generator().manual_seed(2)
    items = [VocodeItem(torch.randint(0, synth.config.codebook_size, (t,), generator=g),
                        torch.randint(0, synth.config.n_symbols, (n,), generator=g), seed=40 + i)
             for i, (t, n) in enumerate(zip([7, 13, 10, 4, 13], [5, 9, 3, 12, 1]))]
    batched = BatchVocoder(synth, ge, max_batch=8).vocode(items)
    lone = BatchVocoder(synth, ge, max_batch=1).vocode(items)
    for a, b in zip(batched, lone):
        assert a.shape == b.shape
        assert np.abs(a - b).max() <= 1e-4 * max(np.abs(b).max(), 1e-3)


def _snr_db(ours: np.ndarray, ref: np.ndarray) -> float:
    return 10 * math.log10(float(np.sum(ref ** 2)) / max(float(np.sum((ours - ref) ** 2)), 1e-30))


def test_fp16_audio_stays_close_to_fp32(kit_dir, tiny_hubert_dir, tiny_bert_dir, reference_wav):
    from tts_engine.voice import Voice

    tiny = kit_dir / "tiny"
    full = Voice.load(tiny / "gpt_tiny_v2.ckpt", tiny / "sovits_tiny_v2.pth", tiny_hubert_dir, tiny_bert_dir,
                      device=CUDA)
    half = Voice.load(tiny / "gpt_tiny_v2.ckpt", tiny / "sovits_tiny_v2.pth", tiny_hubert_dir, tiny_bert_dir,
                      device=CUDA, dtype=Precision.uniform(torch.float16))
    prompt = full.prompt_from(reference_wav, REF_PHONES, REF_SEGMENTS)
    tokens = torch.randint(0, 1024, (40,), generator=torch.Generator().manual_seed(3))
    phones = [225, 98, 33, 140, 12, 40, 50, 3]
    ref = full.vocode(tokens, phones, prompt, noise_scale=0.0)
    ours = half.vocode(tokens, phones, half.prompt_from(reference_wav, REF_PHONES, REF_SEGMENTS), noise_scale=0.0)
    assert ours.shape == ref.shape and np.isfinite(ours).all()
    assert _snr_db(ours, ref) >= FP16_MIN_SNR_DB


def test_engine_on_cuda_renders_a_sentence_the_same_alone_or_in_a_batch(voice_cuda, prompt_cuda):
    jobs = [SentenceJob(key=hashlib.sha256(str(i).encode()).hexdigest(), text=f"s{i}", lang="en", seed=700 + i,
                        phone_ids=tuple(range(30, 30 + n)), segments=(TextSegment("en", "x", n),))
            for i, n in enumerate([6, 11, 4, 9])]
    options = EngineOptions(guards=GuardOptions(max_tokens_per_phone=2.0, budget_slack=5, max_retries=0),
                            gpt_rows=4, sovits_batch=4)
    together = list(GSVEngine(voice_cuda, prompt_cuda, options).synthesize(jobs))
    for job, result in zip(jobs, together):
        alone = list(GSVEngine(voice_cuda, prompt_cuda, options).synthesize([job]))[0]
        assert alone.audio.shape == result.audio.shape
        np.testing.assert_allclose(alone.audio, result.audio, atol=1e-4)


@pytest.fixture(scope="module")
def voice_cuda(kit_dir, tiny_hubert_dir, tiny_bert_dir):
    from tts_engine.voice import Voice

    tiny = kit_dir / "tiny"
    return Voice.load(tiny / "gpt_tiny_v2.ckpt", tiny / "sovits_tiny_v2.pth", tiny_hubert_dir, tiny_bert_dir,
                      device=CUDA)


@pytest.fixture(scope="module")
def prompt_cuda(voice_cuda, reference_wav):
    return voice_cuda.prompt_from(reference_wav, REF_PHONES, REF_SEGMENTS)
