"""The SV model path: Kaldi fbank, sinc resampler, ERes2NetV2 sizes from any checkpoint, safe loading."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

from tts_engine.errors import VoiceFileError
from tts_engine.sv.encoder import SpeakerEncoder
from tts_engine.sv.eres2netv2 import ERes2NetV2
from tts_engine.sv.fbank import FRAME_LENGTH, FRAME_SHIFT, fbank, mel_filters
from tts_engine.sv.resample import resample

from tests.tiny_voice import sv_config, write_sv


def test_fbank_frames_and_log_floor():
    wave = torch.zeros(16000)
    wave[8000:] = torch.sin(torch.arange(8000) * 0.3)
    feats = fbank(wave)
    assert feats.shape == (1 + (16000 - FRAME_LENGTH) // FRAME_SHIFT, 80)
    assert torch.allclose(feats[0], torch.full((80,), math.log(torch.finfo(torch.float32).eps)))
    assert float(feats[-1].max()) > 0
    with pytest.raises(ValueError, match="shorter than one"):
        fbank(torch.zeros(FRAME_LENGTH - 1))


def test_mel_filters_are_triangles_with_an_unused_nyquist_bin():
    filters = mel_filters()
    assert filters.shape == (80, 257)
    assert float(filters[:, -1].abs().max()) == 0.0
    assert float(filters.max()) <= 1.0 and float(filters.min()) >= 0.0
    assert bool((filters.sum(dim=1) > 0).all())


def test_resampler_halves_a_band_limited_tone_and_keeps_its_length_rule():
    t = torch.arange(32001, dtype=torch.float64) / 32000
    out = resample(torch.sin(2 * math.pi * 440 * t).float(), 32000, 16000)
    assert out.shape == (16001,)   # ceil(n / 2)
    expected = torch.sin(2 * math.pi * 440 * torch.arange(16001, dtype=torch.float64) / 16000).float()
    assert float((out - expected)[50:-50].abs().max()) < 1e-3
    high = resample(torch.sin(2 * math.pi * 12000 * t).float(), 32000, 16000)   # above the new Nyquist
    assert float(high[50:-50].abs().max()) < 0.05


def test_sizes_come_from_the_checkpoint_not_from_constants(tmp_path):
    config = sv_config(m=8, width=3, scale=3, blocks=(2, 1, 2, 1), embedding=12)
    encoder = SpeakerEncoder.load(write_sv(tmp_path / "sv.ckpt", config))
    assert encoder.network.config == config
    assert encoder.sv_dim == config.stages[-1].out_channels * 10
    wave = np.random.default_rng(0).standard_normal(32000 * 2).astype(np.float32) * 0.1
    assert encoder.sv_vector(wave).shape == (1, encoder.sv_dim)
    emb = encoder.speaker_embedding(wave)
    assert emb.shape == (config.embedding_size,) and abs(float(emb.norm()) - 1) < 1e-5
    assert encoder.speaker_embedding(np.zeros(100, dtype=np.float32)) is None


def test_stage_widths_follow_the_reference_layout():
    net = ERes2NetV2(sv_config(m=8, width=3, scale=3, blocks=(2, 1, 2, 1), embedding=12))
    x = torch.randn(1, 57, 80)
    stages = net.stages(x)
    assert stages["stem"].shape[2:] == (80, 57)
    assert stages["layer4"].shape[2:] == (10, 8)     # frequency 80 -> 10, time ceil-halved three times
    assert stages["fuse34"].shape == stages["layer4"].shape


def test_bad_sv_checkpoints_are_one_line_errors(tmp_path, kit_dir):
    torch.save({"weight": {}, "config": {}}, tmp_path / "voice.ckpt")
    with pytest.raises(VoiceFileError, match="not a speaker-verification checkpoint"):
        SpeakerEncoder.load(tmp_path / "voice.ckpt")
    state = torch.load(kit_dir / "tiny" / "sv_tiny.ckpt", weights_only=True)
    state["layer2.0.conv3.weight"] = torch.zeros(3, 3, 1, 1)
    torch.save(state, tmp_path / "broken.ckpt")
    with pytest.raises(VoiceFileError, match="wrong shape") as err:
        SpeakerEncoder.load(tmp_path / "broken.ckpt")
    assert "\n" not in str(err.value)


def test_an_sv_pickle_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class RunsCode:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save({"conv1.weight": RunsCode()}, tmp_path / "evil.ckpt")
    with pytest.raises(VoiceFileError, match="malicious"):
        SpeakerEncoder.load(tmp_path / "evil.ckpt")
    assert not marker.exists()
