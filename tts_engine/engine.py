"""The engine interface every voice (draft eSpeak, GPT-SoVITS) implements for the flows."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol, Sequence, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class SentenceJob:
    """One sentence to synthesise, with everything that determines its audio."""

    key: str                          # content hash (hex); also the source of the per-sentence seed
    text: str                         # the sentence as read (after the lexicon and normalisation)
    lang: str                         # "zh", "en" or "mixed"
    seed: int                         # sampling seed derived from the key (or forced by rerender)
    phones: tuple[str, ...] = ()      # GPT-SoVITS phone symbols (empty for engines that phonemise themselves)
    phone_ids: tuple[int, ...] = ()   # ids in the voice's symbol table
    word2ph: tuple[int, ...] = ()     # phones per character of the zh norm text (BERT alignment)
    norm_text: str = ""               # the zh text BERT reads ("" when no zh segment)
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
