"""What delivery formats say about the book: title, author, narrator, year, description, cover art."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

AUDIOBOOK_GENRE = "Audiobook"


@dataclass(frozen=True)
class BookInfo:
    """Book metadata for tags, library folders and the read-along package."""

    title: str
    author: str
    narrator: str = ""              # the voice's name
    year: str = ""
    description: str = ""
    language: str = ""
    cover: Path | None = None       # JPEG or PNG

    @property
    def genre(self) -> str:
        return AUDIOBOOK_GENRE


@dataclass(frozen=True)
class ChapterAudio:
    """One assembled chapter as delivery sees it: its title and its MP3 parts in order."""

    index: int
    title: str
    parts: tuple[Path, ...]
