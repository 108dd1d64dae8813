"""An odd-sized synthesizer through the official file format: sizes re-read, weight norm folded, same audio."""
from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import torch

from tts_engine.errors import VoiceFileError
from tts_engine.loader import load_sovits_file
from tts_engine.sovits.config import SoVITSConfig
from tts_engine.sovits.synthesizer import Synthesizer
from tts_engine.sovits.weight_norm import WeightNormConv1d, WeightNormConvTranspose1d

from tests.tiny_voice import sovits_reference_config

# Deliberately unlike the released models: 3 heads, odd layer counts, two upsampling stages, ...
ODD = SoVITSConfig(
    n_symbols=40, ssl_channels=24, semantic_stride=2, codebook_size=16, inter_channels=6,
    hidden_channels=12, filter_channels=20, n_heads=3, n_layers=3, kernel_size=5, window_size=2,
    gin_channels=12, mrte_channels=12, style_in_channels=20, style_hidden=8, style_kernel=3,
    n_flows=2, flow_kernel=3, flow_layers=3, upsample_rates=(4, 2), upsample_kernel_sizes=(8, 4),
    upsample_initial_channel=16, resblock_kernel_sizes=(3, 5), resblock_dilation_sizes=((1, 2), (1, 3)),
)
SPEC_BINS = 33


@pytest.fixture(scope="module")
def original() -> Synthesizer:
    torch.manual_seed(0)
    model = Synthesizer(ODD).eval()
    with torch.no_grad():
        for tensor in model.state_dict().values():   # what an fp16 file can hold exactly
            tensor.copy_(tensor.half().float())
    return model


def _save(path, model: Synthesizer, drop: str | None = None, add: dict | None = None):
    weights = {k: v.half() for k, v in model.state_dict().items() if k != drop}
    weights.update(add or {})
    torch.save({"weight": weights, "config": sovits_reference_config(model.config, {"filter_length": 2 * (SPEC_BINS - 1)}), "info": "3epoch_9iteration"}, path)
    return path


@pytest.fixture(scope="module")
def reloaded(original, tmp_path_factory) -> Synthesizer:
    path = tmp_path_factory.mktemp("voice") / "odd.pth"
    _save(path, original, add={"enc_q.pre.weight": torch.ones(2)})    # enc_q: ignored, as in base models
    return Synthesizer.from_checkpoint(load_sovits_file(path))


def _inputs(config: SoVITSConfig):
    g = torch.Generator().manual_seed(1)
    codes = torch.randint(0, config.codebook_size, (1, 1, 9), generator=g)
    phones = torch.randint(0, config.n_symbols, (1, 7), generator=g)
    specs = [torch.rand(1, SPEC_BINS, 11, generator=g), torch.rand(1, SPEC_BINS, 6, generator=g)]
    return codes, phones, specs


def test_sizes_are_read_back_from_the_file(reloaded):
    assert reloaded.config == ODD


def test_weight_norm_is_folded_in_float32(reloaded):
    names = [name for name, _ in reloaded.named_parameters()]
    assert not any(name.endswith(("weight_g", "weight_v")) for name in names)
    assert not any(isinstance(m, (WeightNormConv1d, WeightNormConvTranspose1d)) for m in reloaded.modules())
    assert all(p.dtype == torch.float32 for p in reloaded.parameters())


@pytest.mark.parametrize("speed", [1.0, 1.3, 0.8])
def test_reloaded_voice_decodes_like_the_original(original, reloaded, speed):
    codes, phones, specs = _inputs(ODD)
    with torch.inference_mode():
        before = original.decode_trace(codes, phones, specs, speed=speed, noise_scale=0.0)
        after = reloaded.decode_trace(codes, phones, specs, speed=speed, noise_scale=0.0)
    frames = int(2 * codes.shape[-1] / speed) + 1 if speed != 1.0 else 2 * codes.shape[-1]
    assert after.audio.shape == (1, 1, frames * ODD.hop_length)
    assert after.m_p.shape == after.z.shape == (1, ODD.inter_channels, frames)
    for name in ("ge", "m_p", "logs_p", "z", "audio"):
        ours, theirs = getattr(after, name), getattr(before, name)
        assert float((ours - theirs).norm() / theirs.norm()) < 1e-5, name


def test_timbre_is_the_mean_over_references(reloaded):
    _, _, specs = _inputs(ODD)
    with torch.inference_mode():
        both = reloaded.timbre(specs)
        each = [reloaded.timbre([s]) for s in specs]
    torch.testing.assert_close(both, (each[0] + each[1]) / 2)


def test_noise_follows_the_generator(reloaded):
    codes, phones, specs = _inputs(ODD)
    with torch.inference_mode():
        a = reloaded.decode(codes, phones, specs, generator=torch.Generator().manual_seed(7))
        b = reloaded.decode(codes, phones, specs, generator=torch.Generator().manual_seed(7))
        c = reloaded.decode(codes, phones, specs, generator=torch.Generator().manual_seed(8))
        silent = reloaded.decode(codes, phones, specs, noise_scale=0.0)
    assert torch.equal(a, b) and not torch.equal(a, c) and not torch.equal(a, silent)
    assert a.shape == (1, 1, codes.shape[-1] * reloaded.samples_per_token)


def test_extract_latent_is_the_nearest_codeword(reloaded):
    torch.manual_seed(3)
    ssl = torch.randn(1, ODD.ssl_channels, 2 * 5 + 1)             # odd length: the last frame is dropped
    with torch.inference_mode():
        codes = reloaded.extract_latent(ssl)
        projected = reloaded.ssl_proj(ssl)[0].T                    # (5, D)
        distances = torch.cdist(projected, reloaded.quantizer.codebook.embed)
    assert codes.shape == (1, 1, 5)
    assert torch.equal(codes[0, 0], distances.argmin(dim=1))


def test_bfloat16_decode_tracks_float32(reloaded):
    codes, phones, specs = _inputs(ODD)
    low = copy.deepcopy(reloaded).to(torch.bfloat16)
    with torch.inference_mode():
        reference = reloaded.decode(codes, phones, specs, noise_scale=0.0)
        ours = low.decode(codes, phones, [s.to(torch.bfloat16) for s in specs], noise_scale=0.0)
    assert ours.dtype == torch.bfloat16
    assert float((ours.float() - reference).norm() / reference.norm()) < 0.05


@pytest.mark.parametrize("change, message", [
    ({"drop": "dec.ups.1.weight_v"}, "missing weights: dec.ups.1.weight_v"),
    ({"add": {"dec.extra.weight": torch.ones(1)}}, "unexpected weights: dec.extra.weight"),
])
def test_key_problems_are_named(original, tmp_path, change, message):
    path = _save(tmp_path / "bad.pth", original, **change)
    with pytest.raises(VoiceFileError, match=message):
        Synthesizer.from_checkpoint(load_sovits_file(path))


def test_inconsistent_config_is_a_voice_file_error(original, tmp_path):
    path = _save(tmp_path / "bad.pth", original)
    checkpoint = load_sovits_file(path)
    model = {**checkpoint.config["model"], "n_heads": 5}                # 12 channels do not split in 5 heads
    broken = replace(checkpoint, config={**checkpoint.config, "model": model})
    with pytest.raises(VoiceFileError, match="inconsistent"):
        Synthesizer.from_checkpoint(broken)
