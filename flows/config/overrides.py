"""Text overrides: per-line replacement text (set in the studio) in ``overrides.json``; the book file is never touched.

An override is keyed by the line's label (``"3.0.2"`` or ``"3.title"``) and remembers the text it replaced:
it applies only while the book still reads that text at that place, so a re-ingest keeps every override
of an unchanged sentence, and an override whose sentence was edited in the book itself turns stale
(listed, not applied) instead of landing on the wrong sentence.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from flows.errors import ProjectError
from flows.store.fsio import atomic_write_text
from text_prep.book import Book, Chapter, with_context

OVERRIDES_FILE = "overrides.json"
TITLE_SUFFIX = ".title"


@dataclass(frozen=True)
class TextOverride:
    """One line's replacement text and the book text it replaces."""

    label: str
    original: str
    text: str


@dataclass
class Overrides:
    """All text overrides of a project, by line label."""

    edits: dict[str, TextOverride] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Overrides":
        """Read ``overrides.json``; a missing file means no overrides (``ProjectError`` on a bad one)."""
        if not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            edits = {label: TextOverride(label, str(v["original"]), str(v["text"])) for label, v in data.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ProjectError(path, f"cannot read text overrides: {exc}") from exc
        return cls(edits)

    def save(self, path: Path) -> None:
        """Write ``overrides.json`` atomically."""
        data = {label: {"original": e.original, "text": e.text} for label, e in sorted(self.edits.items())}
        atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")

    def set(self, label: str, original: str, text: str) -> None:
        """Replace the line ``label`` (which reads ``original`` in the book); the original text removes it."""
        if text == original:
            self.edits.pop(label, None)
        else:
            self.edits[label] = TextOverride(label, original, text)

    def text_for(self, label: str, book_text: str) -> str:
        """The text to speak for a line that reads ``book_text`` in the book."""
        edit = self.edits.get(label)
        return edit.text if edit is not None and edit.original == book_text else book_text

    def stale(self, book: Book) -> list[TextOverride]:
        """Overrides whose line no longer reads its original text in ``book`` (not applied)."""
        current = {f"{c.index}{TITLE_SUFFIX}": c.title for c in book.chapters}
        current.update((str(s.id), s.text) for s in book.sentences())
        return [e for label, e in sorted(self.edits.items()) if current.get(label) != e.original]


def applied_edits(project_root: Path, book: Book) -> list[TextOverride]:
    """The overrides a book loaded with ``apply_overrides`` now reads (for the run report)."""
    current = {f"{c.index}{TITLE_SUFFIX}": c.title for c in book.chapters}
    current.update((str(s.id), s.text) for s in book.sentences())
    edits = Overrides.load(overrides_path(project_root)).edits
    return [e for label, e in sorted(edits.items()) if current.get(label) == e.text]


def overrides_path(project_root: Path) -> Path:
    """Where a project keeps its text overrides."""
    return Path(project_root) / OVERRIDES_FILE


def _apply_chapter(chapter: Chapter, overrides: Overrides) -> Chapter:
    texts = [[overrides.text_for(str(s.id), s.text) for s in p.sentences] for p in chapter.paragraphs]
    raw = [p.text for p in chapter.paragraphs]
    return replace(chapter, title=overrides.text_for(f"{chapter.index}{TITLE_SUFFIX}", chapter.title),
                   paragraphs=with_context(chapter.index, texts, raw))


def apply_overrides(book: Book, overrides: Overrides) -> Book:
    """The book as it is to be read: every current override applied (context windows rebuilt)."""
    if not overrides.edits:
        return book
    prefixes = {label.split(".", 1)[0] for label in overrides.edits}
    chapters = [_apply_chapter(c, overrides) if str(c.index) in prefixes else c for c in book.chapters]
    return replace(book, chapters=chapters)
