"""Sentence timings of assembled chapters: where every line lies in which file, stored per chapter as JSON.

Assembly records each line's span in samples of its part; ``timings/NNNN.json`` under the project's state
folder keeps them (written atomically) so subtitles, M4B chapters and read-along overlays can be rebuilt
without re-assembling audio.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from flows.audio.assemble import LineSpan
from flows.store.fsio import atomic_write_text

TIMINGS_DIR = "timings"
TIMINGS_VERSION = 1


@dataclass(frozen=True)
class PartTimings:
    """One written file of a chapter: its name, its length in samples and its lines' spans."""

    file: str
    n_samples: int
    lines: tuple[LineSpan, ...]


@dataclass(frozen=True)
class ChapterTimings:
    """Every part of one chapter with its lines' spans, at ``sample_rate``."""

    index: int
    title: str
    sample_rate: int
    parts: tuple[PartTimings, ...]

    @property
    def n_samples(self) -> int:
        return sum(part.n_samples for part in self.parts)

    def to_json(self) -> str:
        """The timings as a JSON document."""
        return json.dumps({"version": TIMINGS_VERSION, "index": self.index, "title": self.title,
                           "sample_rate": self.sample_rate,
                           "parts": [{"file": p.file, "n_samples": p.n_samples,
                                      "lines": [[s.label, s.text, s.start, s.end] for s in p.lines]}
                                     for p in self.parts]}, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "ChapterTimings":
        """Timings read back from :meth:`to_json`'s document (ValueError when it is not one)."""
        try:
            data = json.loads(text)
            if data.get("version") != TIMINGS_VERSION:
                raise ValueError(f"timings version {data.get('version')!r}, expected {TIMINGS_VERSION}")
            parts = tuple(PartTimings(p["file"], int(p["n_samples"]),
                                      tuple(LineSpan(str(a), str(b), int(c), int(d)) for a, b, c, d in p["lines"]))
                          for p in data["parts"])
            return cls(int(data["index"]), str(data["title"]), int(data["sample_rate"]), parts)
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a timings document: {exc}") from exc


def timings_path(state_dir: Path, chapter_index: int) -> Path:
    """Where a chapter's timings live under the project's state folder."""
    return state_dir / TIMINGS_DIR / f"{chapter_index:04d}.json"


def save_timings(state_dir: Path, timings: ChapterTimings) -> Path:
    """Write a chapter's timings atomically; returns the path."""
    path = timings_path(state_dir, timings.index)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, timings.to_json())
    return path


def load_timings(state_dir: Path, chapter_index: int) -> ChapterTimings | None:
    """A chapter's stored timings, or None when missing or unreadable (then the chapter must be re-assembled)."""
    try:
        return ChapterTimings.from_json(timings_path(state_dir, chapter_index).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
