"""The engine interface every voice (draft eSpeak, GPT-SoVITS) implements for the flows."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol, Sequence, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class TextSegment:
    """A run of one language inside a sentence, as the BERT feature path needs it."""

    lang: str                         # "zh" gets BERT features; anything else gets zeros
    norm_text: str                    # normalised text of the run (one BERT token per character for zh)
    n_phones: int                     # phones this run produced
    word2ph: tuple[int, ...] = ()     # zh only: phones per character of norm_text (sums to n_phones)


@dataclass(frozen=True)
class SentenceJob:
    """One sentence to synthesise, with everything that determines its audio."""

    key: str                          # content hash (hex); also the source of the per-sentence seed
    text: str                         # the sentence as read (after the lexicon and normalisation)
    lang: str                         # "zh", "en" or "mixed"
    seed: int                         # sampling seed derived from the key (or forced by rerender)
    phones: tuple[str, ...] = ()      # GPT-SoVITS phone symbols (empty for engines that phonemise themselves)
    phone_ids: tuple[int, ...] = ()   # ids in the voice's symbol table
    segments: tuple[TextSegment, ...] = ()  # language runs in order (BERT alignment); phones split accordingly
    context_before: tuple[str, ...] = ()  # up to two preceding sentences of the chapter
    context_after: tuple[str, ...] = ()   # up to two following sentences of the chapter


@dataclass
class SentenceAudio:
    """The audio of one sentence, mono float32 in [-1, 1]."""

    key: str
    audio: np.ndarray                 # (samples,) float32
    sample_rate: int
    flags: list[str] = field(default_factory=list)  # quality-guard findings ("no_eos", "retried:2", ...)


@runtime_checkable
class Engine(Protocol):
    """What the flows need from a voice: a fingerprint for cache keys and batch synthesis."""

    name: str
    sample_rate: int

    def fingerprint(self) -> str:
        """Hash of everything besides the sentence that decides the audio (weights, settings, version)."""
        ...

    def synthesize(self, jobs: Sequence[SentenceJob]) -> Iterator[SentenceAudio]:
        """Synthesise the jobs, yielding one result per job in the input order."""
        ...
