"""Voice end to end on CPU: kit voice files + tiny HuBERT/BERT folders + a reference clip -> 32 kHz audio."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_engine.engine import TextSegment
from tts_engine.errors import VoiceFileError
from tts_engine.gpt import SamplingOptions
from tts_engine.voice import Voice

from tests.tts_engine.conftest import REF_PHONES, REF_SEGMENTS

PHONES = [225, 98, 33, 140, 12, 40, 50, 3]                 # a zh run of 4 phones then an en run of 4
SEGMENTS = [TextSegment("zh", "世界", 4, (2, 2)), TextSegment("en", "yes.", 4)]
STEPS = 25                                                 # random weights rarely emit EOS: cap the decode


def test_phones_and_a_reference_clip_become_32k_audio(voice, prompt):
    generated = voice.semantic_tokens(PHONES, SEGMENTS, prompt, SamplingOptions(), seed=3, max_steps=STEPS)
    audio = voice.synthesize(PHONES, SEGMENTS, prompt, SamplingOptions(), seed=3, max_steps=STEPS)
    assert voice.sample_rate == 32000 and voice.version == "v2"
    assert audio.dtype == np.float32 and audio.shape == (len(generated.tokens) * 1280,)
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0 and np.abs(audio).max() > 0
    np.testing.assert_array_equal(audio, voice.vocode(generated.tokens, PHONES, prompt, seed=3))


def test_the_seed_decides_the_audio(voice, prompt):
    runs = [voice.synthesize(PHONES, SEGMENTS, prompt, seed=s, max_steps=STEPS) for s in (8, 8, 9)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_speed_shortens_the_audio(voice, prompt):
    tokens = voice.semantic_tokens(PHONES, SEGMENTS, prompt, seed=1, max_steps=STEPS).tokens
    normal = voice.vocode(tokens, PHONES, prompt)
    fast = voice.vocode(tokens, PHONES, prompt, speed=1.25)
    assert len(fast) < len(normal)


def test_reference_free_mode_uses_no_transcript(voice, reference_wav):
    bare = voice.prompt_from(reference_wav)
    audio = voice.synthesize(PHONES, SEGMENTS, bare, seed=2, max_steps=STEPS)
    assert audio.shape == ((STEPS - 1) * 1280,)


def test_bad_phone_ids_and_misaligned_segments_are_refused(voice, prompt):
    with pytest.raises(ValueError, match="outside"):
        voice.synthesize([5, 9999], SEGMENTS, prompt)
    with pytest.raises(ValueError, match="cover 8 phones"):
        voice.synthesize(PHONES[:5], SEGMENTS, prompt)


def test_swapped_voice_files_name_the_file(kit_dir, tiny_hubert_dir, tiny_bert_dir):
    tiny = kit_dir / "tiny"
    with pytest.raises(VoiceFileError, match="sovits_tiny_v2.pth"):
        Voice.load(tiny / "sovits_tiny_v2.pth", tiny / "gpt_tiny_v2.ckpt", tiny_hubert_dir, tiny_bert_dir)


def test_bfloat16_voice_tracks_float32_loosely(voice, kit_dir, tiny_hubert_dir, tiny_bert_dir, reference_wav):
    tiny = kit_dir / "tiny"
    half = Voice.load(tiny / "gpt_tiny_v2.ckpt", tiny / "sovits_tiny_v2.pth", tiny_hubert_dir, tiny_bert_dir,
                      dtype=torch.bfloat16)
    half_prompt = half.prompt_from(reference_wav, REF_PHONES, REF_SEGMENTS)
    full_prompt = voice.prompt_from(reference_wav, REF_PHONES, REF_SEGMENTS)
    tokens = voice.semantic_tokens(PHONES, SEGMENTS, full_prompt, seed=4, max_steps=12).tokens
    ours = half.vocode(tokens, PHONES, half_prompt, noise_scale=0.0)
    ref = voice.vocode(tokens, PHONES, full_prompt, noise_scale=0.0)
    assert ours.dtype == np.float32 and ours.shape == ref.shape
    assert np.linalg.norm(ours - ref) / np.linalg.norm(ref) < 0.05
    assert np.isfinite(half.synthesize(PHONES, SEGMENTS, half_prompt, seed=4, max_steps=12)).all()
