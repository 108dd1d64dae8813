"""Quality guards fire on constructed failures and stay quiet on speech-like input; seeds are stable."""
from __future__ import annotations

import numpy as np
import pytest

from tts_engine.batch.guards import (CLIPPED, LOOP, NO_EOS, SILENT, TOO_LONG, TOO_SHORT, GuardOptions,
                                     audio_problems, token_problems)
from tts_engine.batch.seeds import attempt_seed, seed_from_key

GUARDS = GuardOptions()
RNG = np.random.default_rng(0)
SPEECH_TOKENS = RNG.integers(0, 1024, 100).tolist()      # 100 tokens (4 s) for 40 phones
SPEECH_AUDIO = (0.1 * np.sin(np.arange(32000) / 7.0) * RNG.uniform(0.5, 1, 32000)).astype(np.float32)


def test_clean_sentence_has_no_problems():
    assert token_problems(SPEECH_TOKENS, True, 40, GUARDS) == []
    assert audio_problems(SPEECH_AUDIO, GUARDS) == []


@pytest.mark.parametrize("tokens, hit_eos, phones, expected", [
    (SPEECH_TOKENS, False, 40, [NO_EOS]),                                  # ran into the budget
    (SPEECH_TOKENS[:20], True, 40, [TOO_SHORT]),                           # 0.8 s for 40 phones
    (SPEECH_TOKENS[:20], True, 5, []),                                     # short sentences: no ratio test
    (SPEECH_TOKENS * 3, True, 10, [TOO_LONG]),                             # 12 s for 10 phones
    (SPEECH_TOKENS[:40] + [5, 9, 13, 2] * 10 + SPEECH_TOKENS[:20], True, 40, [LOOP]),   # a repeated 4-gram
    (SPEECH_TOKENS[:40] + [77] * 60, True, 40, [LOOP]),                    # one token for 2.4 s
    ([3, 4] * 40, False, 40, [NO_EOS, LOOP]),
])
def test_token_failures_are_flagged(tokens, hit_eos, phones, expected):
    assert token_problems(tokens, hit_eos, phones, GUARDS) == expected


def test_silent_and_clipped_audio_are_flagged():
    assert audio_problems(np.zeros(32000, np.float32), GUARDS) == [SILENT]
    assert audio_problems(SPEECH_AUDIO * 1e-3, GUARDS) == [SILENT]
    assert audio_problems(np.zeros(0, np.float32), GUARDS) == [SILENT]
    square = np.sign(np.sin(np.arange(32000) / 9.0)).astype(np.float32)
    assert audio_problems(square, GUARDS) == [CLIPPED]


def test_token_budget_sits_far_above_speech_and_below_the_cap():
    assert GUARDS.token_budget(40) == 6 * 40 + 25 + 1
    assert GUARDS.token_budget(10_000) == 1500


def test_options_are_validated():
    with pytest.raises(ValueError):
        GuardOptions(min_tokens_per_phone=5, max_tokens_per_phone=4)
    with pytest.raises(ValueError):
        GuardOptions(max_retries=-1)


def test_seeds_are_stable_and_retries_differ():
    assert seed_from_key("abc") == seed_from_key("abc") != seed_from_key("abd")
    assert 0 <= seed_from_key("abc") < 2 ** 63
    assert attempt_seed(1234, 0) == 1234
    assert len({attempt_seed(1234, a) for a in range(4)}) == 4 and attempt_seed(1234, 2) == attempt_seed(1234, 2)
    with pytest.raises(ValueError):
        attempt_seed(1, -1)


def test_drift_threshold_sits_below_the_voices_own_spread():
    from tts_engine.batch.guards import MIN_DRIFT_SPREAD, drift_threshold, drift_flag

    tight = [0.80, 0.81, 0.79, 0.80]
    assert drift_threshold(tight) == pytest.approx(0.80 - 3 * MIN_DRIFT_SPREAD, abs=1e-9)   # spread floored
    loose = [0.9, 0.6, 0.75, 0.7]
    threshold = drift_threshold(loose)
    assert threshold < min(loose) and threshold < drift_threshold([0.9, 0.8, 0.85, 0.82])
    assert drift_threshold([-0.9, 0.9]) == -1.0
    with pytest.raises(ValueError, match="at least 2"):
        drift_threshold([0.5])
    assert drift_flag(0.4123) == "drift:0.41"
