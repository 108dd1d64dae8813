"""A small book assembled for real from tone sentences: every line is a steady tone of its own frequency."""
from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from flows.audio.export import Tags
from flows.audio.ffmpeg import ffmpeg_exe
from flows.config.project import OutputConfig, Project
from flows.delivery.info import BookInfo, ChapterAudio
from flows.delivery.timings import ChapterTimings, load_timings
from flows.pipeline.chapter import write_chapter
from flows.pipeline.plan import PAUSE_END, PAUSE_PARAGRAPH, PAUSE_SENTENCE, PAUSE_TITLE, ChapterPlan, PlannedLine
from flows.store.cache import SentenceCache
from tests.flows.delivery.epub_book import write_epub
from text_prep.book import Book, Chapter
from text_prep.ingest.load import load_book
from tts_engine.engine import SentenceAudio, SentenceJob

TONE_RATE = 32000
FADE_S = 0.002
LONG_SENTENCE = ("It was the longest sentence of the book, one that wandered through the garden, past the old well, "
                 "around the orchard; it lingered by the river for a while, and then it finally came home again.")
# chapter title, [(sentence text, seconds)], split into parts of at most this many minutes
CHAPTERS = (
    ("The Beginning", [("First words here.", 1.2), ("A second sentence!", 0.8), ("Third one, at last.", 1.0)]),
    ("Middle Things", [("Short.", 0.5), ("Somewhat longer sentence.", 2.0), ("Another.", 0.7),
                       ("A fifth line.", 1.5), ("Sixth & last < here.", 1.1)]),
    ("The End", [(LONG_SENTENCE, 16.5), ("Goodbye.", 0.9)]),
)
RETAKE_EXTRA_S = 0.4            # a re-rendered sentence comes back this much longer
MAX_PART_MINUTES = 0.1          # 6 s: the middle chapter gets two parts


@dataclass(frozen=True)
class ToneBook:
    """The assembled book: project, plans, tone frequency per line label, and the chapter MP3s."""

    project: Project
    cache: SentenceCache
    plans: tuple[ChapterPlan, ...]
    freqs: dict[str, float]
    info: BookInfo

    def chapters(self) -> list[ChapterAudio]:
        return [ChapterAudio(t.index, t.title, tuple(self.project.out_dir / p.file for p in t.parts))
                for t in self.timings()]

    def timings(self) -> list[ChapterTimings]:
        found = [load_timings(self.project.state_dir, plan.index) for plan in self.plans]
        assert all(t is not None for t in found)
        return found  # type: ignore[return-value]

    def tags(self, plan: ChapterPlan) -> Tags:
        return Tags(plan.title, self.info.title, self.info.author, plan.index, len(self.plans))


def tone(seconds: float, freq: float) -> np.ndarray:
    """A steady sine with 2 ms fades (no clicks), at the voice rate."""
    n = int(seconds * TONE_RATE)
    fade = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (FADE_S * TONE_RATE))
    return (0.3 * fade * np.sin(2 * np.pi * freq * np.arange(n) / TONE_RATE)).astype(np.float32)


def line(cache: SentenceCache, label: str, text: str, seconds: float, freq: float, pause: str,
         take: int = 0) -> PlannedLine:
    key = hashlib.sha256(f"tone:{label}:{text}:{freq}:{seconds}:{take}".encode()).hexdigest()
    cache.put(SentenceAudio(key, tone(seconds, freq), TONE_RATE))
    return PlannedLine(label, text, SentenceJob(key=key, text=text, lang="en", seed=0), pause)


def tone_plans(cache: SentenceCache, freqs: dict[str, float]) -> tuple[ChapterPlan, ...]:
    plans = []
    for index, (title, sentences) in enumerate(CHAPTERS, start=1):
        lines = []
        for label, text, seconds, pause in [(f"{index}.title", title, 0.9, PAUSE_TITLE)] + [
                (f"{index}.0.{i}", text, seconds, PAUSE_SENTENCE if i % 2 == 0 else PAUSE_PARAGRAPH)
                for i, (text, seconds) in enumerate(sentences)]:
            freqs[label] = 260.0 + 70.0 * len(freqs)
            lines.append(line(cache, label, text, seconds, freqs[label], pause))
        lines[-1] = replace(lines[-1], pause=PAUSE_END)
        plans.append(ChapterPlan(index, title, tuple(lines)))
    return tuple(plans)


def make_cover(path: Path) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=teal:s=96x96", "-frames:v", "1",
                    str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def tone_book(tmp_path_factory) -> ToneBook:
    root = tmp_path_factory.mktemp("tonebook")
    project = Project(root=root / "proj", name="tones", book=root / "book.txt", title="Tone Book", author="A. Writer",
                      output=OutputConfig(max_part_minutes=MAX_PART_MINUTES))
    cache = SentenceCache(root / "cache")
    freqs: dict[str, float] = {}
    plans = tone_plans(cache, freqs)
    info = BookInfo("Tone Book", "A. Writer", narrator="Test Voice", year="2024", description="Tones; = and # too.",
                    language="en", cover=make_cover(root / "cover.jpg"))
    book = ToneBook(project, cache, plans, freqs, info)
    for plan in plans:
        write_chapter(plan, book.tags(plan), project, cache)
    return book


def decode(path: Path, rate: int) -> np.ndarray:
    """A whole file decoded to mono float32 (short test files only)."""
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), "-f", "f32le", "-ac", "1",
                          "-ar", str(rate), "pipe:1"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<f4")


@dataclass(frozen=True)
class EpubToneBook:
    """The test EPUB's body chapters assembled for real, one tone per line."""

    epub: Path
    book: Book
    project: Project
    cache: SentenceCache
    plans: tuple[ChapterPlan, ...]
    freqs: dict[str, float]

    def chapters(self) -> list[tuple[ChapterTimings, ChapterAudio]]:
        found = []
        for plan in self.plans:
            timings = load_timings(self.project.state_dir, plan.index)
            assert timings is not None
            found.append((timings, ChapterAudio(plan.index, plan.title,
                                                tuple(self.project.out_dir / p.file for p in timings.parts))))
        return found


def epub_plan(chapter: Chapter, cache: SentenceCache, freqs: dict[str, float], retake: str = "") -> ChapterPlan:
    """A chapter's plan with a tone per line (title first); the ``retake`` line gets a new, longer take."""
    lines = [(f"{chapter.index}.title", chapter.title, PAUSE_TITLE)] + [
        (str(s.id), s.text, PAUSE_SENTENCE if i + 1 < len(p.sentences) else PAUSE_PARAGRAPH)
        for p in chapter.paragraphs for i, s in enumerate(p.sentences)]
    planned = []
    for label, text, pause in lines:
        freqs.setdefault(label, 300.0 + 90.0 * len(freqs))
        again = label == retake
        planned.append(line(cache, label, text, 0.6 + 0.02 * len(text) + (RETAKE_EXTRA_S if again else 0.0),
                            freqs[label], pause, take=int(again)))
    planned[-1] = replace(planned[-1], pause=PAUSE_END)
    return ChapterPlan(chapter.index, chapter.title, tuple(planned))


def assemble_epub_book(root: Path) -> EpubToneBook:
    """Write the test EPUB under ``root``, read it, and assemble its body chapters into a project there."""
    epub = write_epub(root / "garden.epub")
    book = load_book(epub)
    project = Project(root=root / "proj", name="garden", book=epub, title="The Tone Garden", author="A. Writer")
    cache, freqs = SentenceCache(root / "cache"), {}
    plans = tuple(epub_plan(c, cache, freqs) for c in book.chapters if c.kind == "body")
    for plan in plans:
        write_chapter(plan, Tags(plan.title, "The Tone Garden", "A. Writer", plan.index, len(plans)), project, cache)
    return EpubToneBook(epub, book, project, cache, plans, freqs)
