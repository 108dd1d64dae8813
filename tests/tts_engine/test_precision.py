"""Mixed precision: Voice.load gives the GPT (with BERT), the generator and the rest of SoVITS their own dtypes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.tiny_voice import build_tiny_voice
from tts_engine.engine import TextSegment
from tts_engine.precision import FP32, Precision, default_precision
from tts_engine.voice import Voice

PHONES = (225, 98, 33, 140, 12, 40, 50, 3)
SEGMENTS = (TextSegment("zh", "世界", 4, (2, 2)), TextSegment("en", "yes.", 4))
MIXED = Precision(gpt=torch.bfloat16, vocoder=torch.bfloat16, sovits=torch.float32)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_voice(tmp_path_factory.mktemp("voice"), "世界你好")


def test_each_part_loads_in_its_own_dtype_and_synthesises(tiny):
    voice = Voice.load(tiny.gpt, tiny.sovits, tiny.hubert_dir, tiny.bert_dir, dtype=MIXED)
    assert voice.gpt.ar_predict_layer.weight.dtype == torch.bfloat16
    assert next(voice.bert.model.parameters()).dtype == torch.bfloat16
    assert voice.synthesizer.dec.conv_pre.weight.dtype == torch.bfloat16
    assert voice.synthesizer.enc_p.text_embedding.weight.dtype == torch.float32 == voice.sovits_dtype
    assert next(voice.hubert.model.parameters()).dtype == torch.float32
    prompt = voice.prompt_from(tiny.reference)
    assert prompt.refer_spec.dtype == torch.float32                   # kept exact; each stage casts it
    audio = voice.synthesize(PHONES, SEGMENTS, prompt, seed=3, max_steps=12)
    assert audio.dtype == np.float32 and audio.size == 11 * 1280 and np.isfinite(audio).all()


def test_mixed_generator_tracks_float32_closely(tiny):
    full = Voice.load(tiny.gpt, tiny.sovits, tiny.hubert_dir, tiny.bert_dir)
    mixed = Voice.load(tiny.gpt, tiny.sovits, tiny.hubert_dir, tiny.bert_dir, dtype=MIXED)
    prompt = full.prompt_from(tiny.reference)
    tokens = full.semantic_tokens(PHONES, SEGMENTS, prompt, seed=4, max_steps=12).tokens
    ref = full.vocode(tokens, PHONES, prompt, noise_scale=0.0)
    ours = mixed.vocode(tokens, PHONES, mixed.prompt_from(tiny.reference), noise_scale=0.0)
    assert np.linalg.norm(ours - ref) / np.linalg.norm(ref) < 0.05


def test_named_precisions_and_device_defaults(monkeypatch):
    assert Precision.named("fp32", "cpu") == FP32 and Precision.named("fp32", "cuda") == FP32
    assert default_precision("cuda") == Precision.uniform(torch.float16) == Precision.named("auto", "cuda")
    assert Precision.named("bf16", "cuda") == Precision.uniform(torch.bfloat16)
    assert Precision.named("bf16", "cpu") == MIXED                       # the small parts stay float32 on a CPU
    monkeypatch.setattr("tts_engine.precision.cpu_bf16_gains", lambda: (3.0, 2.0))
    assert default_precision("cpu") == MIXED
    monkeypatch.setattr("tts_engine.precision.cpu_bf16_gains", lambda: (0.2, 0.3))
    assert default_precision("cpu") == FP32                              # emulated bf16 is slower than float32
    monkeypatch.setattr("tts_engine.precision.cpu_bf16_gains", lambda: (1.05, 2.0))
    assert default_precision("cpu") == Precision(torch.float32, torch.bfloat16, torch.float32)   # no clear gain
    with pytest.raises(ValueError, match="precision must be one of"):
        Precision.named("int8", "cpu")
    with pytest.raises(ValueError, match="unsupported dtype"):
        Precision(gpt=torch.int8)


def test_the_cpu_probe_measures_both_parts():
    from tts_engine.precision import cpu_bf16_gains
    gains = cpu_bf16_gains()
    assert len(gains) == 2 and all(g > 0 for g in gains)
    assert torch.get_num_threads() >= 1


def test_codebook_distances_are_float32_under_half_weights():
    from tts_engine.sovits.quantizer import Codebook
    book = Codebook(64, 768)
    x = book.embed[torch.tensor([3, 17, 42])].t().unsqueeze(0) * 40 + 0.01    # HuBERT-scale vectors
    assert book.encode(x).tolist() == [[3, 17, 42]]
    book.to(torch.float16)
    assert book.encode(x.half()).tolist() == [[3, 17, 42]]
