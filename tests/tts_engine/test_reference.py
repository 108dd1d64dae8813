"""Reference clips: reading, the 3-10 s rule, resampling, the peak guard, the assembled prompt."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from tests.tts_engine.conftest import write_clip
from tts_engine.engine import TextSegment
from tts_engine.errors import ReferenceAudioError
from tts_engine.loader import load_sovits_file
from tts_engine.reference import build_prompt, read_reference, reference_spectrogram
from tts_engine.sovits.synthesizer import Synthesizer
from tts_engine.spectrogram import linear_spectrogram


def test_a_stereo_44k_clip_is_averaged_and_resampled_to_both_rates(reference_wav):
    clip = read_reference(reference_wav)
    assert clip.wave16k.dtype == np.float32 and clip.wave16k.shape == (4 * 16000,)
    assert clip.wave32k.shape == (4 * 32000,)
    data, _ = sf.read(reference_wav, dtype="float32")
    # channel 1 is 0.8 x channel 0, so the mono mix peaks at 0.9 x the channel-0 peak
    assert np.abs(clip.wave32k).max() == pytest.approx(0.9 * np.abs(data[:, 0]).max(), rel=0.05)


@pytest.mark.parametrize("seconds, ok", [(2.99, False), (3.0, True), (10.0, True), (10.01, False)])
def test_the_duration_window_is_3_to_10_s_at_16k(tmp_path, seconds, ok):
    path = write_clip(tmp_path / "clip.wav", seconds, rate=16000, channels=1)
    if ok:
        assert read_reference(path).wave16k.shape[0] == round(seconds * 16000)
    else:
        with pytest.raises(ReferenceAudioError, match=r"3-10 s") as err:
            read_reference(path)
        assert str(path) in str(err.value)


def test_unreadable_and_missing_files_are_reference_errors(tmp_path):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF not really a wave file")
    for path in (junk, tmp_path / "missing.flac"):
        with pytest.raises(ReferenceAudioError, match="cannot read audio"):
            read_reference(path)


def test_peak_guard_divides_loud_clips_by_at_most_two():
    wave = np.sin(np.linspace(0, 200, 32000)).astype(np.float32)
    quiet = reference_spectrogram(wave)
    torch.testing.assert_close(quiet, linear_spectrogram(torch.from_numpy(wave).unsqueeze(0)))
    torch.testing.assert_close(reference_spectrogram(1.5 * wave), quiet, rtol=1e-4, atol=1e-4)  # / 1.5
    torch.testing.assert_close(reference_spectrogram(4 * wave), 2 * quiet, rtol=1e-4, atol=1e-3)  # / 2 only


def test_the_prompt_holds_tokens_spectrogram_phones_and_bert(reference_wav, hubert_features, bert_features,
                                                              kit_dir):
    synthesizer = Synthesizer.from_checkpoint(load_sovits_file(kit_dir / "tiny" / "sovits_tiny_v2.pth"))
    segments = [TextSegment("zh", "你好", 4, (2, 2)), TextSegment("en", "hi", 2)]
    prompt = build_prompt(reference_wav, [10, 20, 30, 40, 50, 60], segments, hubert_features, bert_features,
                          synthesizer)
    t_ssl = (4 * 16000 + 9600 - 400) // 320 + 1
    assert prompt.semantic.dtype == torch.long and prompt.semantic.shape == (t_ssl // 2,)
    assert int(prompt.semantic.max()) < 1024
    assert prompt.refer_spec.shape == (1, 1025, 4 * 32000 // 640)
    assert prompt.phone_ids.tolist() == [10, 20, 30, 40, 50, 60] and prompt.bert.shape == (1024, 6)
    with pytest.raises(ValueError, match="6 phones"):
        build_prompt(reference_wav, [1, 2], segments, hubert_features, bert_features, synthesizer)
