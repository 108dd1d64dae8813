"""``bookvoice inspect``: a book's metadata, chapter list and (TXT) heading decisions as text, or all as JSON."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from text_prep.book import Book, Chapter
from text_prep.ingest.draft import CHAPTER_KINDS, HeadingDecision
from text_prep.ingest.load import IngestOptions, read_draft, split_book

_TITLE_WIDTH = 60


def inspect_book(book: Path, as_json: bool = False, heading_pattern: str | None = None) -> str:
    """Load ``book`` and describe it: a readable summary, or the full structure as JSON."""
    options = IngestOptions(heading_pattern=heading_pattern)
    draft = read_draft(Path(book), options)
    loaded = split_book(draft, Path(book), options.limits)
    if as_json:
        data = book_to_dict(loaded)
        if draft.headings:
            data["headings"] = [_decision_to_dict(d) for d in draft.headings]
        return json.dumps(data, ensure_ascii=False, indent=1)
    text = summary(loaded)
    return f"{text}\n\n{heading_report(draft.headings)}" if draft.headings else text


def heading_report(decisions: list[HeadingDecision]) -> str:
    """One line per TXT heading candidate: its line, taken or not, and why."""
    lines = ["Headings (TXT): line, taken or not, why", ""]
    for d in decisions:
        text = d.text if len(d.text) <= _TITLE_WIDTH else d.text[: _TITLE_WIDTH - 1] + "…"
        lines.append(f"{d.line:>7}  {'taken' if d.taken else 'text ':<5}  {text}")
        lines.append(f"{'':>7}  {'':<5}  - {d.reason}")
    return "\n".join(lines)


def _decision_to_dict(decision: HeadingDecision) -> dict[str, Any]:
    """A heading decision as JSON-ready data."""
    return {"line": decision.line, "text": decision.text, "taken": decision.taken, "reason": decision.reason}


def summary(book: Book) -> str:
    """Metadata lines and one table row per chapter (kind, paragraphs, sentences, characters, title)."""
    meta = book.metadata
    kinds = {kind: sum(1 for c in book.chapters if c.kind == kind) for kind in CHAPTER_KINDS}
    cover = f"{meta.cover_media_type or 'image'}, {len(meta.cover_image)} bytes" if meta.cover_image else "none"
    lines = [
        f"File:       {book.source}",
        f"Title:      {meta.title}",
        f"Authors:    {', '.join(meta.authors) or '-'}",
        f"Language:   {meta.language or '-'}",
        f"Identifier: {meta.identifier or '-'}",
        f"Cover:      {cover}",
        f"Chapters:   {len(book.chapters)} ({kinds['body']} body, {kinds['front']} front, {kinds['back']} back)",
        "",
        f"{'#':>4}  {'kind':<5}  {'paras':>6}  {'sents':>6}  {'chars':>8}  title",
    ]
    for chapter in book.chapters:
        n_sentences = sum(len(p.sentences) for p in chapter.paragraphs)
        title = chapter.title if len(chapter.title) <= _TITLE_WIDTH else chapter.title[: _TITLE_WIDTH - 1] + "…"
        lines.append(
            f"{chapter.index:>4}  {chapter.kind:<5}  {len(chapter.paragraphs):>6}  {n_sentences:>6}  "
            f"{chapter.n_characters:>8}  {title}"
        )
    return "\n".join(lines)


def book_to_dict(book: Book) -> dict[str, Any]:
    """The whole book as JSON-ready data (the cover as its media type and size, not its bytes)."""
    meta = book.metadata
    cover = {"media_type": meta.cover_media_type, "bytes": len(meta.cover_image)} if meta.cover_image else None
    return {
        "source": book.source,
        "metadata": {
            "title": meta.title,
            "authors": meta.authors,
            "language": meta.language,
            "identifier": meta.identifier,
            "cover": cover,
        },
        "chapters": [_chapter_to_dict(c) for c in book.chapters],
    }


def _chapter_to_dict(chapter: Chapter) -> dict[str, Any]:
    """One chapter with its paragraphs and sentences (ids and context windows)."""
    return {
        "index": chapter.index,
        "title": chapter.title,
        "kind": chapter.kind,
        "characters": chapter.n_characters,
        "paragraphs": [
            {
                "text": p.text,
                "sentences": [
                    {
                        "id": str(s.id),
                        "text": s.text,
                        "context_before": list(s.context_before),
                        "context_after": list(s.context_after),
                    }
                    for s in p.sentences
                ],
            }
            for p in chapter.paragraphs
        ],
    }
