"""Chapter assembly: cached sentence audio joined with room-tone pauses, split into parts of at most N minutes.

A part is never concatenated for writing: it is a replayable stream of blocks read sentence by sentence. While
it streams, it records where each line starts and ends, in samples of the part at the output rate (normalising
and encoding keep every sample in place), for subtitles, M4B chapters and read-along overlays.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from flows.audio.samples import OUTPUT_SAMPLE_RATE, Source, blocks, joined, room_tone, to_output_rate
from flows.store.cache import SentenceCache
from flows.pipeline.plan import PAUSE_END, PAUSE_PARAGRAPH, PAUSE_SENTENCE, PAUSE_TITLE, ChapterPlan, PlannedLine
from flows.config.project import OutputConfig, PauseConfig

ROOM_TONE_SEED = 0x600D   # room tone is seeded per part so identical inputs give identical files


class MissingAudioError(RuntimeError):
    """A line's audio vanished from the cache between synthesis and assembly."""


@dataclass(frozen=True)
class LineSpan:
    """Where one line's audio lies in its part: samples ``[start, end)`` at the output rate."""

    label: str              # "3.title" or the sentence id "3.0.2"
    text: str
    start: int
    end: int


def pause_seconds(pause: str, pauses: PauseConfig) -> float:
    """Seconds of room tone after a line ending with ``pause``."""
    return {PAUSE_TITLE: pauses.title_s, PAUSE_SENTENCE: pauses.sentence_s,
            PAUSE_PARAGRAPH: pauses.paragraph_s, PAUSE_END: 0.0}[pause]


def split_parts(plan: ChapterPlan, cache: SentenceCache, pauses: PauseConfig,
                max_part_s: float) -> list[tuple[PlannedLine, ...]]:
    """Group the lines into parts no longer than ``max_part_s``, breaking at a paragraph end where possible."""
    frame = pauses.head_s + pauses.tail_s
    parts: list[tuple[PlannedLine, ...]] = []
    current: list[tuple[PlannedLine, float]] = []     # lines of the open part with their seconds (audio + pause)
    length = frame
    last_paragraph_end = 0          # lines of ``current`` up to the last paragraph end
    for line in plan.lines:
        seconds = cache.info(line.job.key).duration_s + pause_seconds(line.pause, pauses)
        if current and length + seconds > max_part_s:
            cut = last_paragraph_end or len(current)
            parts.append(tuple(kept for kept, _ in current[:cut]))
            current = current[cut:]
            length = frame + sum(kept_s for _, kept_s in current)
            last_paragraph_end = 0
        current.append((line, seconds))
        length += seconds
        if line.pause == PAUSE_PARAGRAPH:
            last_paragraph_end = len(current)
    if current:
        parts.append(tuple(kept for kept, _ in current))
    return parts


def _pieces(lines: tuple[PlannedLine, ...], cache: SentenceCache, pauses: PauseConfig,
            rng: np.random.Generator, tone_db: float, spans: list[LineSpan]) -> Iterator[np.ndarray]:
    def tone(seconds: float) -> np.ndarray:
        return room_tone(int(round(seconds * OUTPUT_SAMPLE_RATE)), tone_db, rng)

    position = 0
    for i, line in enumerate(lines):
        head = tone(pauses.head_s) if i == 0 else tone(pause_seconds(lines[i - 1].pause, pauses))
        position += head.size
        yield head
        result = cache.get(line.job.key)
        if result is None:
            raise MissingAudioError(f"no cached audio for {line.label}")
        audio = to_output_rate(result.audio, result.sample_rate)
        spans.append(LineSpan(line.label, line.text, position, position + audio.size))
        position += audio.size
        yield audio
    if not lines:
        yield tone(pauses.head_s)
    yield tone(pauses.tail_s)


def part_source(lines: tuple[PlannedLine, ...], part_index: int, cache: SentenceCache,
                pauses: PauseConfig, output: OutputConfig, spans: list[LineSpan] | None = None) -> Source:
    """One part's audio at 44.1 kHz as a replayable stream: head room tone, lines with their pauses, tail.

    Each call reads the part afresh from the cache, one sentence at a time, with the room tone re-seeded, so
    every pass over the part sees identical samples while only one sentence is held at a time. When ``spans``
    is given, each pass refills it with every line's position in the part.
    """
    def replay() -> Iterator[np.ndarray]:
        rng = np.random.default_rng([ROOM_TONE_SEED, part_index])
        recorded: list[LineSpan] = []
        for piece in _pieces(lines, cache, pauses, rng, output.room_tone_db, recorded):
            yield from blocks(piece)
        if spans is not None:
            spans[:] = recorded

    return replay


def assemble_part(lines: tuple[PlannedLine, ...], part_index: int, cache: SentenceCache,
                  pauses: PauseConfig, output: OutputConfig) -> np.ndarray:
    """One part's audio held whole in memory (for tests and short parts; writing streams ``part_source``)."""
    return joined(part_source(lines, part_index, cache, pauses, output)())
