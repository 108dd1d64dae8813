"""Quality guards against GPT-SoVITS's known failures, judged per sentence from its tokens and audio.

Failures: decoding that never reaches EOS (it runs to the token budget), stops far too early or
runs far too long for the sentence's phone count, loops (an n-gram of semantic tokens, or one
token, repeated far more than speech does), silent or clipped audio, and speaker drift (the take
no longer sounds like the voice: its speaker embedding's cosine similarity to the voice's
reference embedding falls below the voice's own calibrated threshold). The engine retries a
failing sentence with another seed a bounded number of times and flags it if it still fails.
"""
from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import torch

    from tts_engine.sv.encoder import SpeakerEncoder

from tts_engine.gpt.decode import MAX_STEPS

NO_EOS = "no_eos"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
LOOP = "loop"
SILENT = "silent"
CLIPPED = "clipped"
RETRIED = "retried"        # flagged as "retried:N"
DRIFT = "drift"            # flagged as "drift:0.41" (the kept take's similarity)
DRIFT_SPREAD = 3.0         # the threshold lies this many standard deviations below the voice's mean similarity
MIN_DRIFT_SPREAD = 0.02    # a floor on that deviation, so a few near-identical takes cannot make it hair-trigger
MIN_CALIBRATION_TAKES = 2
MIN_DRIFT_SECONDS = 1.0    # shorter takes carry too little speech to judge the speaker by
MAX_DRIFT_SECONDS = 4.0    # the guard listens to the central 4 s at most: enough for the speaker, bounded cost


@dataclass(frozen=True)
class GuardOptions:
    """Thresholds of the guards; semantic tokens run at 25 per second, speech at about 2-3 per phone."""

    min_tokens_per_phone: float = 0.8   # fewer: stopped far too early
    max_tokens_per_phone: float = 6.0   # more: rambling or looping (also the decoding budget)
    budget_slack: int = 25              # extra tokens (1 s) on top of the ratio budget
    ratio_min_phones: int = 8           # shorter sentences skip the too-short ratio test
    ngram: int = 4
    max_ngram_repeats: int = 8          # an n-gram of >= 2 distinct tokens seen this often is a loop
    max_token_run: int = 50             # one token repeated this long (2 s) is a loop
    silence_dbfs: float = -45.0         # RMS below this is silent
    clip_level: float = 0.999
    max_clipped_fraction: float = 0.005
    max_retries: int = 2

    def __post_init__(self) -> None:
        if not 0 <= self.min_tokens_per_phone < self.max_tokens_per_phone:
            raise ValueError("need 0 <= min_tokens_per_phone < max_tokens_per_phone")
        if self.ngram < 2 or self.max_ngram_repeats < 2 or self.max_token_run < 2:
            raise ValueError("ngram, max_ngram_repeats and max_token_run must be at least 2")
        if self.max_retries < 0 or self.budget_slack < 0:
            raise ValueError("max_retries and budget_slack must be non-negative")
        if not 0 < self.clip_level <= 1 or not 0 <= self.max_clipped_fraction <= 1:
            raise ValueError("clip_level must be in (0, 1] and max_clipped_fraction in [0, 1]")

    def token_budget(self, n_phones: int) -> int:
        """Decoding steps allowed for a sentence of n_phones: far above speech, far below the 1500 cap."""
        return min(MAX_STEPS, math.ceil(self.max_tokens_per_phone * n_phones) + self.budget_slack + 1)


def token_problems(tokens: Sequence[int], hit_eos: bool, n_phones: int, options: GuardOptions) -> list[str]:
    """Flags for a sentence's semantic tokens (empty when they look like speech)."""
    problems = []
    n = len(tokens)
    if not hit_eos:
        problems.append(NO_EOS)
    if n_phones >= options.ratio_min_phones and n < options.min_tokens_per_phone * n_phones:
        problems.append(TOO_SHORT)
    if hit_eos and n > options.max_tokens_per_phone * n_phones + options.budget_slack:
        problems.append(TOO_LONG)
    if longest_run(tokens) >= options.max_token_run or max_ngram_repeats(tokens, options.ngram) >= \
            options.max_ngram_repeats:
        problems.append(LOOP)
    return problems


def audio_problems(audio: np.ndarray, options: GuardOptions) -> list[str]:
    """Flags for a sentence's waveform (float in [-1, 1])."""
    if audio.size == 0:
        return [SILENT]
    problems = []
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    if rms <= 0 or 20 * math.log10(rms) < options.silence_dbfs:
        problems.append(SILENT)
    if float(np.mean(np.abs(audio) >= options.clip_level)) > options.max_clipped_fraction:
        problems.append(CLIPPED)
    return problems


def longest_run(tokens: Sequence[int]) -> int:
    """Length of the longest run of one repeated token."""
    best = run = 0
    previous = None
    for token in tokens:
        run = run + 1 if token == previous else 1
        previous = token
        best = max(best, run)
    return best


def max_ngram_repeats(tokens: Sequence[int], n: int) -> int:
    """How often the most frequent n-gram made of at least two distinct tokens occurs."""
    grams = Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return max((count for gram, count in grams.items() if len(set(gram)) > 1), default=0)


def retried_flag(retries: int) -> str:
    """The flag recording that a sentence needed `retries` extra attempts."""
    return f"{RETRIED}:{retries}"


def drift_threshold(similarities: Sequence[float]) -> float:
    """A voice's drift threshold from the similarities of takes it speaks normally: mean - 3 * spread.

    The spread is the sample standard deviation, floored at MIN_DRIFT_SPREAD; the threshold also
    stays MIN_DRIFT_SPREAD below the lowest calibration similarity (the voice's own takes must pass).
    """
    if len(similarities) < MIN_CALIBRATION_TAKES:
        raise ValueError(f"calibration needs at least {MIN_CALIBRATION_TAKES} takes, got {len(similarities)}")
    spread = max(statistics.stdev(similarities), MIN_DRIFT_SPREAD)
    threshold = min(statistics.fmean(similarities) - DRIFT_SPREAD * spread, min(similarities) - MIN_DRIFT_SPREAD)
    return max(threshold, -1.0)


def drift_flag(similarity: float) -> str:
    """The flag recording a take's speaker similarity below the voice's threshold."""
    return f"{DRIFT}:{similarity:.2f}"


class DriftGuard:
    """Listens to each take with the SV model and compares it with the voice's reference embedding."""

    def __init__(self, encoder: SpeakerEncoder, reference: torch.Tensor, threshold: float) -> None:
        if not -1.0 <= threshold <= 1.0:
            raise ValueError(f"a cosine-similarity threshold lies in [-1, 1], got {threshold}")
        self.encoder = encoder
        self.reference = reference
        self.threshold = threshold

    def similarity(self, audio: np.ndarray, sample_rate: int) -> float | None:
        """Cosine similarity of a take (its central MAX_DRIFT_SECONDS) to the reference; None if too short to judge."""
        if audio.size < MIN_DRIFT_SECONDS * sample_rate:
            return None
        longest = int(MAX_DRIFT_SECONDS * sample_rate)
        if audio.size > longest:
            start = (audio.size - longest) // 2
            audio = audio[start:start + longest]
        embedding = self.encoder.speaker_embedding(audio)
        return None if embedding is None else self.encoder.similarity(embedding, self.reference)

    def problems(self, similarity: float | None) -> list[str]:
        """The drift flag when the similarity is below the threshold."""
        return [drift_flag(similarity)] if similarity is not None and similarity < self.threshold else []
