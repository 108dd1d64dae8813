"""The entry point for books: EPUB or TXT file -> ``Book`` with chapters, paragraphs and sentences in context."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from text_prep.book import Book, Chapter, with_context
from text_prep.sentences.clauses import DEFAULT_MAX_CJK_CHARS, DEFAULT_MAX_WORDS, SentenceLimits
from text_prep.ingest.draft import DraftBook
from text_prep.ingest.epub import read_epub
from text_prep.errors import BookError
from text_prep.sentences.split import split_sentences
from text_prep.ingest.txt import read_txt

log = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
EPUB_SUFFIX = ".epub"


@dataclass(frozen=True)
class IngestOptions:
    """How a book is read: sentence length limits, whether image alt text is read aloud, TXT heading pattern."""

    max_sentence_chars: int = DEFAULT_MAX_CJK_CHARS  # CJK characters
    max_sentence_words: int = DEFAULT_MAX_WORDS  # Latin-script words
    alt_text: bool = False
    heading_pattern: str | None = None  # TXT only: a regex matched at the start of each stripped line

    def __post_init__(self) -> None:
        SentenceLimits(self.max_sentence_chars, self.max_sentence_words)  # raises ValueError on bad limits
        if self.heading_pattern is not None:
            try:
                re.compile(self.heading_pattern)
            except re.error as exc:
                raise ValueError(f"heading_pattern is not a valid regular expression: {exc}") from exc

    @property
    def limits(self) -> SentenceLimits:
        """The sentence length limits as the splitter takes them."""
        return SentenceLimits(self.max_sentence_chars, self.max_sentence_words)


def load_book(
    path: Path | str,
    *,
    max_sentence_chars: int | None = None,
    max_sentence_words: int | None = None,
    alt_text: bool = False,
    heading_pattern: str | None = None,
) -> Book:
    """Read an EPUB or TXT book (chosen by content, then extension) into chapters of split sentences.

    ``heading_pattern`` (TXT only) replaces the built-in chapter-heading patterns: a Python regular
    expression matched at the start of each stripped line (``re.match``; end it with ``$`` to match
    whole lines). A named group ``num`` ("第(?P<num>[一二三四五六七八九十百]+)节") lets the numbering
    check drop lines whose number does not progress. ValueError when it does not compile.
    """
    options = IngestOptions(
        max_sentence_chars=DEFAULT_MAX_CJK_CHARS if max_sentence_chars is None else max_sentence_chars,
        max_sentence_words=DEFAULT_MAX_WORDS if max_sentence_words is None else max_sentence_words,
        alt_text=alt_text,
        heading_pattern=heading_pattern,
    )
    return read_book(Path(path), options)


def read_draft(path: Path, options: IngestOptions) -> DraftBook:
    """The draft chapters of an EPUB or TXT book, before sentence splitting."""
    if not path.exists():
        raise BookError(path, "no such file")
    if not path.is_file():
        raise BookError(path, "not a regular file")
    try:
        with path.open("rb") as stream:
            magic = stream.read(len(ZIP_MAGIC))
    except OSError as exc:
        raise BookError(path, f"cannot read file ({exc.strerror or exc})") from exc
    if magic == ZIP_MAGIC or path.suffix.lower() == EPUB_SUFFIX:
        return read_epub(path, alt_text=options.alt_text)
    return read_txt(path, options.heading_pattern)


def read_book(path: Path, options: IngestOptions) -> Book:
    """``load_book`` with an options object."""
    return split_book(read_draft(path, options), path, options.limits)


def split_book(draft: DraftBook, path: Path, limits: SentenceLimits) -> Book:
    """Split every paragraph into sentences and attach ±2-sentence context windows within each chapter."""
    lang = _split_language(draft.metadata.language)
    chapters: list[Chapter] = []
    for draft_chapter in draft.chapters:
        raw: list[str] = []
        sentences: list[list[str]] = []
        for paragraph in draft_chapter.paragraphs:
            said = [s for s in split_sentences(paragraph, lang, limits) if any(ch.isalnum() for ch in s)]
            if said:
                raw.append(paragraph)
                sentences.append(said)
        if not sentences:
            log.info("%s: chapter %r has nothing to read; dropped", path, draft_chapter.title)
            continue
        index = len(chapters)
        chapters.append(
            Chapter(index, draft_chapter.title, with_context(index, sentences, raw=raw), kind=draft_chapter.kind)
        )
    if not chapters:
        raise BookError(path, "no readable text")
    return Book(metadata=draft.metadata, chapters=chapters, source=str(path))


def _split_language(language: str) -> str:
    """The sentence splitter's language for a BCP 47 tag ("zh-Hant" -> "zh"); "auto" when unknown."""
    primary = language.lower().split("-")[0]
    return primary if primary in ("zh", "en") else "auto"
