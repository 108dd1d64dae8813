"""Masked batched SoVITS decoding: each sentence of a ragged batch equals its lone decode."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_engine.batch.sovits_batch import BatchVocoder, VocodeItem
from tts_engine.loader import load_sovits_file
from tts_engine.sovits.synthesizer import Synthesizer

TOKENS = [7, 13, 10, 4, 13]
PHONES = [5, 9, 3, 12, 1]


@pytest.fixture(scope="module")
def synth(kit_dir) -> Synthesizer:
    return Synthesizer.from_checkpoint(load_sovits_file(kit_dir / "tiny" / "sovits_tiny_v2.pth"))


@pytest.fixture(scope="module")
def ge(synth) -> torch.Tensor:
    return torch.randn(1, synth.config.gin_channels, 1, generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def items(synth) -> list[VocodeItem]:
    g = torch.Generator().manual_seed(2)
    return [VocodeItem(torch.randint(0, synth.config.codebook_size, (t,), generator=g),
                       torch.randint(0, synth.config.n_symbols, (n,), generator=g), seed=40 + i)
            for i, (t, n) in enumerate(zip(TOKENS, PHONES))]


def _alone(synth, ge, item) -> np.ndarray:
    generator = torch.Generator().manual_seed(item.seed)
    with torch.inference_mode():
        audio = synth(item.tokens.view(1, 1, -1), item.phones.view(1, -1), ge, generator=generator)[0]
    return audio[0, 0].numpy()


def test_ragged_batch_equals_lone_decodes(synth, ge, items):
    vocoder = BatchVocoder(synth, ge, max_batch=8)
    assert vocoder.batches(items) == [[3, 0, 2, 1, 4]]              # one padded call, sorted by length
    for item, audio in zip(items, vocoder.vocode(items)):
        ref = _alone(synth, ge, item)
        assert audio.shape == ref.shape == (len(item.tokens) * synth.samples_per_token,)
        assert np.abs(audio - ref).max() <= 1e-5 * max(np.abs(ref).max(), 1e-3)


def test_budgets_split_batches_and_order_is_kept(synth, ge, items):
    vocoder = BatchVocoder(synth, ge, max_batch=2, max_batch_tokens=26)
    assert vocoder.batches(items) == [[3, 0], [2, 1], [4]]
    split = vocoder.vocode(items)
    whole = BatchVocoder(synth, ge, max_batch=8).vocode(items)
    for a, b in zip(split, whole):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_seed_decides_the_noise_and_empty_tokens_give_no_audio(synth, ge, items):
    reseeded = [VocodeItem(it.tokens, it.phones, it.seed + 1) for it in items]
    vocoder = BatchVocoder(synth, ge)
    first, second = vocoder.vocode(items), vocoder.vocode(reseeded)
    assert not np.allclose(first[0], second[0])
    empty = vocoder.vocode([VocodeItem(torch.zeros(0, dtype=torch.long), items[0].phones, 1), items[1]])
    assert empty[0].shape == (0,) and empty[1].shape == first[1].shape


def test_speed_decodes_one_by_one(synth, ge, items):
    vocoder = BatchVocoder(synth, ge, speed=1.25)
    assert all(len(group) == 1 for group in vocoder.batches(items))
    audio = vocoder.vocode(items[:2])
    assert all(len(a) < len(it.tokens) * synth.samples_per_token for a, it in zip(audio, items))
