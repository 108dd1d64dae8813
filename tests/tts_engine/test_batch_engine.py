"""GSVEngine end to end on the tiny kit voice: equals the one-by-one Voice API, in order, with guard retries."""
from __future__ import annotations

import hashlib
import threading

import numpy as np
import pytest

from tts_engine.batch import EngineOptions, GSVEngine, GuardOptions
from tts_engine.batch import engine as engine_module
from tts_engine.batch.guards import LOOP, NO_EOS
from tts_engine.engine import Engine, SentenceJob, TextSegment
from tts_engine.gpt.model import SinePositionalEmbedding

from tests.tts_engine.conftest import REF_PHONES, REF_SEGMENTS

SENTENCES = [   # (phone ids, segments): ragged, zh, en and mixed
    ([225, 98, 33, 140, 12, 40, 50, 3], [TextSegment("zh", "世界", 4, (2, 2)), TextSegment("en", "yes.", 4)]),
    ([225, 98, 33], [TextSegment("en", "ok", 3)]),
    ([98, 33, 140, 12, 40, 50, 3, 7, 9, 11, 13, 15],
     [TextSegment("zh", "我们今天", 8, (2, 2, 2, 2)), TextSegment("en", "go", 4)]),
    ([140, 12, 40, 50, 3, 7], [TextSegment("zh", "天气好", 6, (2, 2, 2))]),
]
SHORT_TABLE = 8   # sinusoid positions left in the GPT's tables to make a round grow them
GUARDS = GuardOptions(max_tokens_per_phone=2.0, budget_slack=5, max_retries=0)   # short decodes (no EOS here)


def _jobs() -> list[SentenceJob]:
    return [SentenceJob(key=hashlib.sha256(str(i).encode()).hexdigest(), text=f"s{i}", lang="mixed",
                        seed=500 + i, phone_ids=tuple(ids), segments=tuple(segs))
            for i, (ids, segs) in enumerate(SENTENCES)]


def test_batched_engine_equals_one_by_one_voice(voice, prompt):
    options = EngineOptions(guards=GUARDS, gpt_rows=3, sovits_batch=4)
    engine = GSVEngine(voice, prompt, options)
    assert isinstance(engine, Engine)
    jobs = _jobs()
    results = list(engine.synthesize(jobs))
    assert [r.key for r in results] == [j.key for j in jobs]
    for job, result in zip(jobs, results):
        ref = voice.synthesize(list(job.phone_ids), job.segments, prompt, options.sampling, seed=job.seed,
                               max_steps=GUARDS.token_budget(len(job.phone_ids)))
        assert result.sample_rate == 32000 and result.audio.dtype == np.float32
        assert result.audio.shape == ref.shape
        np.testing.assert_allclose(result.audio, ref, atol=1e-4)
        assert NO_EOS in result.flags                        # random weights never say EOS


def test_failing_sentences_are_retried_then_flagged(voice, prompt):
    engine = GSVEngine(voice, prompt, EngineOptions(guards=GuardOptions(max_tokens_per_phone=2.0,
                                                                        budget_slack=5, max_retries=2)))
    jobs = _jobs()[:2]
    results = list(engine.synthesize(jobs))
    assert engine.times.attempts == 3 * len(jobs)
    assert all(r.flags[-1] == "retried:2" and NO_EOS in r.flags for r in results)


def test_a_retry_that_passes_keeps_the_new_take(voice, prompt, monkeypatch):
    jobs = _jobs()[:2]
    first = list(GSVEngine(voice, prompt, EngineOptions(guards=GUARDS)).synthesize(jobs))
    calls = []

    def first_attempt_loops(tokens, hit_eos, n_phones, options):
        calls.append(len(tokens))
        return [LOOP] if len(calls) <= 2 else []
    monkeypatch.setattr(engine_module, "token_problems", first_attempt_loops)
    monkeypatch.setattr(engine_module, "audio_problems", lambda audio, options: [])
    engine = GSVEngine(voice, prompt, EngineOptions(guards=GuardOptions(max_tokens_per_phone=2.0,
                                                                        budget_slack=5, max_retries=2)))
    results = list(engine.synthesize(jobs))
    assert [r.flags for r in results] == [["retried:1"], ["retried:1"]]
    assert engine.times.attempts == 4
    assert not np.array_equal(results[0].audio, first[0].audio)     # another seed, another take


def test_fingerprint_follows_options_and_bad_phones_are_refused(voice, prompt):
    a = GSVEngine(voice, prompt, EngineOptions(guards=GUARDS))
    b = GSVEngine(voice, prompt, EngineOptions(guards=GUARDS, speed=1.1))
    assert a.fingerprint() == GSVEngine(voice, prompt, EngineOptions(guards=GUARDS)).fingerprint()
    assert a.fingerprint() != b.fingerprint()
    bad = SentenceJob(key="k", text="x", lang="en", seed=1, phone_ids=(99999,),
                      segments=(TextSegment("en", "x", 1),))
    with pytest.raises(Exception, match="outside"):
        list(a.synthesize([bad]))


def test_a_sentence_sounds_the_same_alone_or_in_any_batch(voice, prompt):
    """The production pipeline relies on it: a sentence's audio depends on nothing but its job (on the CPU:
    bit for bit), whatever batch, GPT slot, chunk or host-look interval renders it."""
    jobs = _jobs()
    base = EngineOptions(guards=GUARDS)
    alone = [list(GSVEngine(voice, prompt, base).synthesize([job]))[0].audio for job in jobs]
    for speed in (dict(gpt_rows=3, sync_every=1), dict(gpt_rows=2, sync_every=4, chunk=3), dict(gpt_rows=4),
                  dict(gpt_rows=4, gpt_streams=2), dict(gpt_rows=3, gpt_streams=3, sovits_workers=1)):
        together = list(GSVEngine(voice, prompt, EngineOptions(guards=GUARDS, **speed)).synthesize(jobs[::-1]))
        for ref, result in zip(alone[::-1], together):
            assert np.array_equal(ref, result.audio), speed


def test_gpt_streams_share_every_row_and_only_read_the_shared_model(voice, prompt, monkeypatch):
    """Rows split with nothing lost (5 over 2 streams: 3 + 2); the position tables the round needs are grown
    before the streams start, never from two decode threads at once (a shorter table could win)."""
    jobs = _jobs()
    expected = [r.audio for r in GSVEngine(voice, prompt, EngineOptions(guards=GUARDS)).synthesize(jobs)]
    rows, grown_on_main = [], []

    class Spy(engine_module.SemanticScheduler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            rows.append(self.rows)

    rebuild = SinePositionalEmbedding.rebuild

    def watched_rebuild(self, n_positions):
        grown_on_main.append(threading.current_thread() is threading.main_thread())
        rebuild(self, n_positions)

    monkeypatch.setattr(engine_module, "SemanticScheduler", Spy)
    monkeypatch.setattr(SinePositionalEmbedding, "rebuild", watched_rebuild)
    for table in (voice.gpt.ar_text_position, voice.gpt.ar_audio_position):
        monkeypatch.setattr(table, "pe", table.pe[:SHORT_TABLE])    # too short for this round: it must grow
    engine = GSVEngine(voice, prompt, EngineOptions(guards=GUARDS, gpt_rows=5, gpt_streams=2))
    results = list(engine.synthesize(jobs))
    assert rows == [3, 2] and engine.times.extra["gpt_streams"] == 2
    assert grown_on_main == [True, True]                              # both tables, once, before decoding
    for ref, result in zip(expected, results):
        assert np.array_equal(ref, result.audio)
