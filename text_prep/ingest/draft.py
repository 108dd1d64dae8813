"""What a reader (EPUB, TXT) produces before sentence splitting: chapters of paragraph strings."""
from __future__ import annotations

from dataclasses import dataclass, field

from text_prep.book import BookMetadata

CHAPTER_KINDS = ("body", "front", "back")


@dataclass
class DraftChapter:
    """A chapter as read from the file: title, kind ("body", "front", "back") and paragraph texts."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    kind: str = "body"

    def __post_init__(self) -> None:
        if self.kind not in CHAPTER_KINDS:
            raise ValueError(f"chapter kind must be one of {CHAPTER_KINDS}, got {self.kind!r}")


@dataclass(frozen=True)
class HeadingDecision:
    """Why a TXT line was or was not taken as a chapter heading (shown by ``bookvoice inspect``)."""

    line: int  # 1-based line number in the file
    text: str
    taken: bool
    reason: str


@dataclass
class DraftBook:
    """Metadata and draft chapters in reading order (TXT: with the heading decisions)."""

    metadata: BookMetadata
    chapters: list[DraftChapter]
    headings: list[HeadingDecision] = field(default_factory=list)
