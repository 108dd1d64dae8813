"""The entry point for books: EPUB or TXT file -> ``Book`` with chapters, paragraphs and sentences in context."""
from __future__ import annotations

import logging
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
    """How a book is read: sentence length limits and whether image alt text is read aloud."""

    max_sentence_chars: int = DEFAULT_MAX_CJK_CHARS  # CJK characters
    max_sentence_words: int = DEFAULT_MAX_WORDS  # Latin-script words
    alt_text: bool = False

    def __post_init__(self) -> None:
        SentenceLimits(self.max_sentence_chars, self.max_sentence_words)  # raises ValueError on bad limits

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
) -> Book:
    """Read an EPUB or TXT book (chosen by content, then extension) into chapters of split sentences."""
    options = IngestOptions(
        max_sentence_chars=DEFAULT_MAX_CJK_CHARS if max_sentence_chars is None else max_sentence_chars,
        max_sentence_words=DEFAULT_MAX_WORDS if max_sentence_words is None else max_sentence_words,
        alt_text=alt_text,
    )
    return read_book(Path(path), options)


def read_book(path: Path, options: IngestOptions) -> Book:
    """``load_book`` with an options object."""
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
        draft = read_epub(path, alt_text=options.alt_text)
    else:
        draft = read_txt(path)
    return split_book(draft, path, options.limits)


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
