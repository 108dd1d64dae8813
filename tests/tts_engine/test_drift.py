"""A tiny v2Pro voice end to end in the engine, and the speaker-drift guard on constructed drift."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.tiny_voice import (GPT_CONFIG, SOVITS_PRO, centre_sv_head, sv_config, write_bert, write_clip, write_gpt,
                              write_hubert, write_other_clip, write_sovits_pro, write_sv)
from tts_engine.batch import EngineOptions, GSVEngine, GuardOptions
from tts_engine.batch.guards import DRIFT, RETRIED, DriftGuard, drift_threshold
from tts_engine.engine import SentenceJob, TextSegment
from tts_engine.errors import VoiceFileError
from tts_engine.reference import read_reference
from tts_engine.voice import Voice

OPTIONS = EngineOptions(guards=GuardOptions(max_retries=0, max_tokens_per_phone=3.0))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pro")
    out = {"gpt": write_gpt(d / "g.ckpt"), "sovits": write_sovits_pro(d / "p.pth"), "sv": write_sv(d / "sv.ckpt"),
           "hubert": write_hubert(d / "hubert"), "bert": write_bert(d / "bert", "你好"),
           "a": write_clip(d / "a.wav"), "b": write_other_clip(d / "b.wav")}
    centre_sv_head(out["sv"], [out["a"], out["b"]])
    return out


@pytest.fixture(scope="module")
def voice(files) -> Voice:
    return Voice.load(files["gpt"], files["sovits"], files["hubert"], files["bert"], sv_path=files["sv"])


def jobs(n: int, offset: int = 0) -> list[SentenceJob]:
    rng = np.random.default_rng(offset)
    return [SentenceJob(key=f"{offset + i:064x}", text="x", lang="en", seed=offset + i,
                        phone_ids=tuple(int(p) for p in rng.integers(100, 700, 12)),
                        segments=(TextSegment("en", "x", 12),)) for i in range(n)]


def reference_embedding(voice: Voice, clip: Path) -> torch.Tensor:
    return voice.speaker.speaker_embedding(read_reference(clip).wave32k)


def test_pro_voice_uses_each_clips_sv_vector_and_averages_after_the_prelu(voice, files):
    assert voice.model_version == "v2Pro" and voice.version == "v2" and voice.synthesizer.needs_sv
    prompt = voice.prompt_from(files["a"], aux_refs=[files["b"]])
    assert len(prompt.refer_specs) == 2 and len(prompt.sv_vectors) == 2
    expected = [voice.speaker.sv_vector(read_reference(c, check_length=False).wave32k) for c in (files["a"], files["b"])]
    assert all(torch.allclose(a, b) for a, b in zip(prompt.sv_vectors, expected))
    synth = voice.synthesizer
    with torch.inference_mode():
        per_clip = [synth.timbre([s], [v]) for s, v in zip(prompt.refer_specs, prompt.sv_vectors)]
        assert torch.allclose(voice.timbre(prompt), (per_clip[0] + per_clip[1]) / 2, atol=1e-6)
    single = voice.prompt_from(files["a"])
    assert not torch.allclose(voice.timbre(single), voice.timbre(prompt))
    audio = voice.synthesize([200, 101, 150, 120, 1, 5, 9], [TextSegment("en", "x", 7)], prompt, max_steps=20)
    assert audio.dtype == np.float32 and audio.size and np.isfinite(audio).all()


def test_a_pro_voice_without_a_fitting_sv_model_is_refused(files, tmp_path):
    with pytest.raises(VoiceFileError, match="needs the speaker-verification model"):
        Voice.load(files["gpt"], files["sovits"], files["hubert"], files["bert"])
    other = write_sv(tmp_path / "wide.ckpt", sv_config(m=8))
    with pytest.raises(VoiceFileError, match="gives 1280-wide vectors") as err:
        Voice.load(files["gpt"], files["sovits"], files["hubert"], files["bert"], sv_path=other)
    assert str(err.value).startswith(str(other)) and str(SOVITS_PRO.sv_channels) in str(err.value)


def test_drift_guard_fires_on_another_timbre_and_not_on_the_voices_own_takes(voice, files):
    own = GSVEngine(voice, voice.prompt_from(files["a"]), OPTIONS)
    probe = DriftGuard(voice.speaker, reference_embedding(voice, files["a"]), -1.0)
    calibration = [probe.similarity(r.audio, 32000) for r in own.synthesize(jobs(4, offset=100))]
    threshold = drift_threshold(calibration)
    guard = DriftGuard(voice.speaker, probe.reference, threshold)

    guarded = GSVEngine(voice, own.prompt, OPTIONS, drift=guard)
    assert not [f for r in guarded.synthesize(jobs(6)) for f in r.flags if f.startswith(DRIFT)]

    # the constructed drift: the same sentences rendered with another reference's timbre
    drifted = GSVEngine(voice, voice.prompt_from(files["b"]), OPTIONS, drift=guard)
    results = list(drifted.synthesize(jobs(6)))
    flagged = [next(f for f in r.flags if f.startswith(DRIFT)) for r in results]
    assert len(flagged) == 6
    for result, flag in zip(results, flagged):
        similarity = guard.similarity(result.audio, 32000)
        assert similarity < threshold and flag == f"{DRIFT}:{similarity:.2f}"
    assert guarded.fingerprint() != own.fingerprint()


def test_a_retried_take_keeps_the_better_similarity(voice, files, monkeypatch):
    guard = DriftGuard(voice.speaker, reference_embedding(voice, files["a"]), 1.0)   # every take drifts
    seen: list[tuple[float, int]] = []
    real = guard.similarity

    def recording(audio, rate):
        value = real(audio, rate)
        seen.append((value, audio.size))
        return value

    monkeypatch.setattr(guard, "similarity", recording)
    options = EngineOptions(guards=GuardOptions(max_retries=2, max_tokens_per_phone=3.0))
    engine = GSVEngine(voice, voice.prompt_from(files["b"]), options, drift=guard)
    [result] = list(engine.synthesize(jobs(1, offset=7)))
    assert len(seen) == 3 and len({round(s, 6) for s, _ in seen}) == 3, "each retry is a new take"
    best = max(seen)
    assert f"{DRIFT}:{best[0]:.2f}" in result.flags and f"{RETRIED}:2" in result.flags
    assert result.audio.size == best[1] and abs(real(result.audio, 32000) - best[0]) < 1e-6


def test_a_v2_voice_averages_the_style_of_several_clips_and_keys_on_them(kit_dir, tiny_hubert_dir, tiny_bert_dir,
                                                                          reference_wav, files):
    voice = Voice.load(kit_dir / "tiny" / "gpt_tiny_v2.ckpt", kit_dir / "tiny" / "sovits_tiny_v2.pth",
                       tiny_hubert_dir, tiny_bert_dir)
    single = voice.prompt_from(reference_wav)
    both = voice.prompt_from(reference_wav, aux_refs=[files["b"]])
    assert both.sv_vectors == () and len(both.refer_specs) == 2
    assert torch.equal(both.semantic, single.semantic), "the prompt tokens come from the main clip only"
    with torch.inference_mode():
        styles = [voice.synthesizer.ref_enc(spec) for spec in both.refer_specs]
    assert torch.allclose(voice.timbre(both), (styles[0] + styles[1]) / 2, atol=1e-6)
    assert GSVEngine(voice, both, OPTIONS).fingerprint() != GSVEngine(voice, single, OPTIONS).fingerprint()
