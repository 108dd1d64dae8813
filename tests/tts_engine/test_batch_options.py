"""EngineOptions splits into audio options (in cache keys) and throughput options (never in them)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from tts_engine.batch import AudioOptions, EngineOptions, ThroughputOptions
from tts_engine.gpt import SamplingOptions


def test_flat_and_composed_construction_agree():
    flat = EngineOptions(sampling=SamplingOptions(top_k=5), speed=1.1, gpt_rows=3, sync_every=4)
    composed = EngineOptions(AudioOptions(sampling=SamplingOptions(top_k=5), speed=1.1),
                             ThroughputOptions(gpt_rows=3, sync_every=4))
    assert flat == composed
    assert (flat.gpt_rows, flat.speed, flat.sync_every) == (3, 1.1, 4)
    assert EngineOptions.gpt_rows == ThroughputOptions.gpt_rows        # class-level default reads
    assert replace(flat, gpt_rows=7).throughput.gpt_rows == 7
    assert replace(flat, gpt_rows=7).audio == flat.audio


def test_throughput_never_changes_the_audio_fingerprint():
    base = EngineOptions()
    fast = EngineOptions(gpt_rows=256, chunk=1024, sync_every=16, cuda_graphs=False, sovits_batch=32)
    assert base.audio.fingerprint() == fast.audio.fingerprint()
    assert base.audio.fingerprint() != EngineOptions(speed=1.2).audio.fingerprint()
    assert base.audio.fingerprint() != EngineOptions(text_context=True).audio.fingerprint()


@pytest.mark.parametrize("bad", [{"gpt_rows": 0}, {"sync_every": -1}, {"speed": 9.0}, {"noise_scale": -1.0},
                                 {"kv_memory_fraction": 0.0}])
def test_bad_values_are_refused(bad):
    with pytest.raises(ValueError):
        EngineOptions(**bad)


def test_unknown_names_are_refused():
    with pytest.raises(TypeError, match="bogus"):
        EngineOptions(bogus=1)
