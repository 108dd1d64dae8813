"""The book model: metadata, chapters in reading order, paragraphs, sentences with context windows."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

CONTEXT_SENTENCES = 2  # sentences of context on each side (crossing paragraphs, never chapters)


@dataclass(frozen=True, order=True)
class SentenceId:
    """Stable address of a sentence: chapter, paragraph and sentence indices (0-based)."""

    chapter: int
    paragraph: int
    sentence: int

    def __str__(self) -> str:
        return f"{self.chapter}.{self.paragraph}.{self.sentence}"

    @classmethod
    def parse(cls, text: str) -> "SentenceId":
        """Parse the ``"c.p.s"`` form produced by ``str()``."""
        parts = text.strip().split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(f"not a sentence id (expected chapter.paragraph.sentence): {text!r}")
        return cls(*(int(p) for p in parts))


@dataclass(frozen=True)
class Sentence:
    """One sentence and its ±2-sentence context window within the chapter."""

    id: SentenceId
    text: str
    context_before: tuple[str, ...] = ()
    context_after: tuple[str, ...] = ()


@dataclass
class Paragraph:
    """A paragraph: its raw text and the sentences it was split into."""

    text: str
    sentences: list[Sentence] = field(default_factory=list)


@dataclass
class Chapter:
    """A chapter in reading order. ``kind`` is "body", "front" (cover, copyright, TOC page) or "back"."""

    index: int
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    kind: str = "body"

    def sentences(self) -> Iterator[Sentence]:
        """All sentences of the chapter in order."""
        for paragraph in self.paragraphs:
            yield from paragraph.sentences

    @property
    def n_characters(self) -> int:
        """Characters of paragraph text (excluding the title)."""
        return sum(len(p.text) for p in self.paragraphs)


@dataclass
class BookMetadata:
    """Descriptive metadata of a book."""

    title: str = ""
    authors: list[str] = field(default_factory=list)
    language: str = ""
    identifier: str = ""
    cover_image: bytes | None = None
    cover_media_type: str = ""
    description: str = ""           # dc:description, markup removed
    date: str = ""                  # dc:date as written (publication date)


@dataclass
class Book:
    """A parsed book: metadata and chapters in reading order."""

    metadata: BookMetadata
    chapters: list[Chapter]
    source: str = ""

    def sentences(self) -> Iterator[Sentence]:
        """Every sentence of the book in reading order."""
        for chapter in self.chapters:
            yield from chapter.sentences()


def with_context(chapter_index: int, paragraphs: list[list[str]], raw: list[str] | None = None) -> list[Paragraph]:
    """Build paragraphs of ``Sentence`` objects with ids and ±CONTEXT_SENTENCES windows across paragraphs."""
    flat = [s for para in paragraphs for s in para]
    out: list[Paragraph] = []
    pos = 0
    for p_index, para in enumerate(paragraphs):
        sentences = []
        for s_index, text in enumerate(para):
            before = tuple(flat[max(0, pos - CONTEXT_SENTENCES):pos])
            after = tuple(flat[pos + 1:pos + 1 + CONTEXT_SENTENCES])
            sentences.append(Sentence(SentenceId(chapter_index, p_index, s_index), text, before, after))
            pos += 1
        text = raw[p_index] if raw is not None else " ".join(para)
        out.append(Paragraph(text=text, sentences=sentences))
    return out
