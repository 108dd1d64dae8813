"""SRT and WebVTT subtitles from sentence timings: one cue per sentence, long sentences cut at clauses.

Times are the lines' sample spans in the assembled audio, so they are exact to the sample before rounding to
milliseconds. A sentence longer than ``MAX_CUE_S`` is cut where the front-end cuts over-long sentences (clause
punctuation, then word boundaries); inside one sentence the cut times are shared out by text length, as the
audio of a sentence carries no finer marks.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from flows.audio.assemble import LineSpan
from flows.delivery.timings import ChapterTimings
from flows.store.fsio import atomic_write_text
from text_prep.sentences.clauses import DEFAULT_MAX_CJK_CHARS, DEFAULT_MAX_WORDS, SentenceLimits, split_long

MAX_CUE_S = 15.0                # cues longer than this are cut at clause boundaries
MS_PER_S = 1000
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Cue:
    """One subtitle: ``[start_ms, end_ms)`` and its text on one line."""

    start_ms: int
    end_ms: int
    text: str


def _clause_pieces(text: str, n_pieces: int) -> list[str]:
    """``text`` cut into about ``n_pieces`` at the front-end's clause (then word) boundaries."""
    load = SentenceLimits().load(text)
    if n_pieces <= 1 or load <= 0:
        return [text]
    scale = load / n_pieces
    limits = SentenceLimits(max(2, math.ceil(DEFAULT_MAX_CJK_CHARS * scale)), max(2, math.ceil(DEFAULT_MAX_WORDS * scale)))
    return [piece for piece in split_long(text, limits) if piece.strip()] or [text]


def line_cues(span: LineSpan, sample_rate: int, offset: int = 0) -> list[Cue]:
    """The cues of one line at ``offset`` samples into the file: one, or several when it is long."""
    text = _SPACE.sub(" ", span.text).strip()
    start, end = offset + span.start, offset + span.end
    seconds = (end - start) / sample_rate
    pieces = _clause_pieces(text, math.ceil(seconds / MAX_CUE_S)) if seconds > MAX_CUE_S else [text]
    weights = [max(1, len(piece)) for piece in pieces]
    total, cues, done = sum(weights), [], 0
    for piece, weight in zip(pieces, weights):
        first = start + (end - start) * done // total
        done += weight
        last = start + (end - start) * done // total
        cues.append(Cue(_ms(first, sample_rate), _ms(last, sample_rate), piece.strip()))
    return cues


def _ms(sample: int, sample_rate: int) -> int:
    return (sample * MS_PER_S + sample_rate // 2) // sample_rate


def timeline_cues(placed: Iterable[tuple[int, Sequence[LineSpan]]], sample_rate: int) -> list[Cue]:
    """Cues of lines placed at sample offsets (part or chapter starts) in one audio file, in order, no overlaps."""
    cues: list[Cue] = []
    for offset, spans in placed:
        for span in spans:
            for cue in line_cues(span, sample_rate, offset):
                start = max(cue.start_ms, cues[-1].end_ms) if cues else cue.start_ms
                if cue.end_ms > start and cue.text:
                    cues.append(Cue(start, cue.end_ms, cue.text))
    return cues


def part_cues(timings: ChapterTimings, part: int) -> list[Cue]:
    """Cues of one part file of a chapter (times from the start of that file)."""
    return timeline_cues([(0, timings.parts[part].lines)], timings.sample_rate)


def _clock(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def srt_text(cues: Sequence[Cue]) -> str:
    """An SRT document: numbered cues from 1, ``HH:MM:SS,mmm`` times."""
    return "".join(f"{i}\n{_clock(c.start_ms, ',')} --> {_clock(c.end_ms, ',')}\n{c.text}\n\n"
                   for i, c in enumerate(cues, start=1))


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_text(cues: Sequence[Cue]) -> str:
    """A WebVTT document: the header line, then cues with ``HH:MM:SS.mmm`` times and escaped text."""
    body = "".join(f"{_clock(c.start_ms, '.')} --> {_clock(c.end_ms, '.')}\n{_vtt_escape(c.text)}\n\n" for c in cues)
    return "WEBVTT\n\n" + body


def write_subtitles(cues: Sequence[Cue], audio_path: Path, formats: Iterable[str]) -> list[Path]:
    """Write ``<audio stem>.srt`` and/or ``.vtt`` beside the audio, atomically; returns the written paths."""
    writers = {"srt": srt_text, "vtt": vtt_text}
    written = []
    for fmt in formats:
        if fmt not in writers:
            raise ValueError(f"unknown subtitle format {fmt!r} (known: {', '.join(writers)})")
        path = audio_path.with_suffix(f".{fmt}")
        atomic_write_text(path, writers[fmt](cues))
        written.append(path)
    return written

