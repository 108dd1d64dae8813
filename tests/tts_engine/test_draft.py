"""The draft voice (eSpeak NG through ctypes) behind the Engine interface."""
from __future__ import annotations

import numpy as np
import pytest

from tts_engine.draft import DraftEngine, DraftSettings
from tts_engine.engine import Engine, SentenceJob, TextSegment
from tts_engine.errors import EngineError, VoiceFileError


def _job(key: str, text: str, lang: str, segments=()) -> SentenceJob:
    return SentenceJob(key=key, text=text, lang=lang, seed=1, segments=tuple(segments))


def test_draft_engine_speaks_chinese_english_and_mixed_sentences_in_order():
    engine = DraftEngine()
    assert isinstance(engine, Engine)
    jobs = [_job("a", "今天天气很好。", "zh"), _job("b", "The lighthouse is old.", "en"),
            _job("c", "", "mixed", [TextSegment("zh", "你好", 4), TextSegment("en", "world", 3)])]
    results = list(engine.synthesize(jobs))
    assert [r.key for r in results] == ["a", "b", "c"]
    for result in results:
        assert result.sample_rate == engine.sample_rate and result.audio.dtype == np.float32
        assert 0.3 < len(result.audio) / result.sample_rate < 5.0
        assert 0.05 < np.abs(result.audio).max() < 1.0 and not result.flags
    # the mixed job is both runs spoken one after the other: longer than either alone
    zh_only = list(engine.synthesize([_job("d", "你好", "zh")]))[0]
    assert len(results[2].audio) > len(zh_only.audio)


def test_draft_engine_repeats_itself_and_fingerprints_its_settings():
    a, b = DraftEngine(), DraftEngine(DraftSettings(rate_wpm=250))
    job = _job("k", "Same text twice.", "en")
    first, second = (list(a.synthesize([job]))[0].audio for _ in range(2))
    # eSpeak NG varies by a few samples between calls (the sentence cache, not the engine, makes renders repeat)
    assert abs(len(first) - len(second)) < 0.005 * len(first)
    assert a.fingerprint() != b.fingerprint() and a.fingerprint() == DraftEngine().fingerprint()
    assert len(list(b.synthesize([job]))[0].audio) < len(first)      # faster speech, shorter audio


def test_unknown_voice_and_bad_settings_fail_at_load_time():
    with pytest.raises(VoiceFileError, match="no-such-voice"):
        DraftEngine(DraftSettings(voice_zh="no-such-voice"))
    with pytest.raises(EngineError, match="rate_wpm"):
        DraftSettings(rate_wpm=5)
    with pytest.raises(EngineError, match="unknown draft voice settings: pitchh"):
        DraftEngine.from_project([], {"pitchh": 3})
