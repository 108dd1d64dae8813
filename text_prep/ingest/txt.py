"""Plain-text books -> draft chapters: encoding, hard-wrap undoing, chapter headings, TOC and boilerplate skipping."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from text_prep.book import BookMetadata
from text_prep.ingest.draft import DraftBook, DraftChapter
from text_prep.ingest.encoding import decode_text
from text_prep.errors import BookError
from text_prep.ingest.spacing import cjk_ratio, collapse_whitespace, join_lines
from text_prep.ingest.txt_cleanup import (
    GutenbergInfo,
    is_advert,
    normalise_newlines,
    strip_gutenberg,
    strip_markers,
    strip_markup,
)

FRONT_MATTER_TITLE = "Front matter"
MAX_TXT_BYTES = 256 * 1024 * 1024  # far above any novel; refuses to slurp a disk image by mistake
_CJK_LANGUAGE_RATIO = 0.2  # share of CJK letters above which a TXT book is Chinese
_BLANK_LINE_MODE_RATIO = 0.05  # blank-line separated blocks per line below which each line is a paragraph
_WRAP_PERCENTILE = 0.9  # line length taken as the hard-wrap width
_SHORT_LINE = 0.8  # a line shorter than this share of the width, ending a sentence, ends its paragraph
_MAX_SUBTITLE_LINES = 2
_MAX_SUBTITLE_CHARS = 80
_MAX_AUTHOR_SCAN = 12  # front-matter lines searched for "by <author>"

_ZH_NUM = "0-9０-９零〇○一二三四五六七八九十百千万萬两兩壹贰貳叁參肆伍陆陸柒捌玖拾佰仟"
_EN_NUM = (
    r"(?:\d{1,4}|[IVXLCDM]{1,8}|[ivxlcdm]{1,8}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last)"
)
# Headings that may carry a title after a separator ("CHAPTER I. Down the Rabbit-Hole", "第一回  靈根育孕").
_HEADING = re.compile(
    rf"^(?:第[{_ZH_NUM}]+[回章节節卷部篇集幕话話](?:[\s:：、.．]+\S.{{0,50}})?"
    rf"|卷[{_ZH_NUM}]+(?:[\s:：、]+\S.{{0,40}})?"
    r"|序章|序言|楔子|引子|前言|尾[声聲]|[后後]記|后记|番外(?:[\s:：]+\S.{0,20})?"
    rf"|(?i:chapter|letter|book|part|volume|canto|act)\s+{_EN_NUM}(?:(?:[.:]|\s*[—–-])(?:\s*\S.{{0,80}})?)?"
    r"|(?i:prologue|epilogue|preface|introduction|foreword|afterword|conclusion|postscript)\.?)$"
)
# A title glued to 第N章 without a separator: short and without clause punctuation.
_GLUED_ZH_HEADING = re.compile(rf"^第[{_ZH_NUM}]+[回章节節][^。！？，,；;：:]{{1,30}}$")
# A bare number ("XII", "12."): a heading only when it is alone in its block.
_BARE_NUMBER = re.compile(r"^(?:[IVXLC]{1,7}\.?|\d{1,3}\.?)$")
_MAX_HEADING_CHARS = 100
_ENDS_SENTENCE = re.compile(r"[.!?。！？…\"”’」』)）]$")
_CONTINUATION = re.compile(r"^[，。、；：！？」』”’）﹔,;:!?)]")  # a wrapped line that cannot open a paragraph
_INDENT = re.compile(r"^(?:\u3000|\t| {2,})")
_LANGUAGE_NAMES = {"english": "en", "chinese": "zh"}
_BY_LINE = re.compile(r"^(?:by\s+|作者\s*[:：]\s*)(.{1,80})$", re.I)  # "by X" / "作者：X"


@dataclass
class _Item:
    """A heading or a paragraph, in reading order."""

    text: str
    heading: bool = False


def read_txt(path: Path) -> DraftBook:
    """Read a plain-text book into draft chapters."""
    size = path.stat().st_size
    if size > MAX_TXT_BYTES:
        raise BookError(path, f"text file too large ({size} bytes, limit {MAX_TXT_BYTES})")
    text = decode_text(path.read_bytes(), path)
    text, gutenberg = strip_gutenberg(normalise_newlines(text))
    text = strip_markers(strip_markup(text))
    lines = [line.rstrip() for line in text.split("\n") if not is_advert(line)]
    items = _items(lines)
    if not any(not item.heading for item in items):
        raise BookError(path, "no readable text")
    chapters = _chapters(items)
    return DraftBook(_metadata(path, gutenberg, chapters, text), chapters)


def _items(lines: list[str]) -> list[_Item]:
    """Headings and paragraphs: blocks of lines, headings detected, hard wrapping undone."""
    non_blank = [line for line in lines if line.strip()]
    blocks = _blocks(lines)
    width = _wrap_width(non_blank)
    one_per_line = len(blocks) < _BLANK_LINE_MODE_RATIO * len(non_blank)  # no blank-line structure
    items: list[_Item] = []
    for block in blocks:
        first = block[0].strip()
        if (len(block) == 1 or _is_subtitle(block[1:])) and _heading_match(first, alone=True):
            items.append(_Item(collapse_whitespace(" ".join(line.strip() for line in block)), heading=True))
        else:
            items.extend(_split_block(block, width, one_per_line))
    return items


def _split_block(block: list[str], width: int, one_per_line: bool) -> list[_Item]:
    """Paragraphs of a block, cut at heading lines that follow a finished sentence (or another heading)."""
    items: list[_Item] = []
    current: list[str] = []
    for line in block:
        stripped = line.strip()
        if _heading_match(stripped, alone=False) and (not current or _ends_paragraph(current[-1].strip(), width)):
            items.extend(_Item(p) for p in _paragraphs(current, width, one_per_line))
            items.append(_Item(collapse_whitespace(stripped), heading=True))
            current = []
        else:
            current.append(line)
    items.extend(_Item(p) for p in _paragraphs(current, width, one_per_line))
    return items


def _ends_paragraph(line: str, width: int) -> bool:
    """Whether a line can be the last of its paragraph: it ends a sentence, is a heading, or is short."""
    return bool(_ENDS_SENTENCE.search(line)) or len(line) < _SHORT_LINE * width or _heading_match(line, alone=False)


def _blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines separated by blank lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _heading_match(line: str, *, alone: bool) -> bool:
    """Whether a stripped line is a chapter heading (bare numbers only on a line of their own)."""
    if not line or len(line) > _MAX_HEADING_CHARS:
        return False
    return bool(_HEADING.match(line) or _GLUED_ZH_HEADING.match(line) or (alone and _BARE_NUMBER.match(line)))


def _is_subtitle(rest: list[str]) -> bool:
    """One or two short lines after a heading, in the same block, read as its subtitle."""
    return 0 < len(rest) <= _MAX_SUBTITLE_LINES and all(len(line.strip()) <= _MAX_SUBTITLE_CHARS for line in rest)


def _wrap_width(lines: list[str]) -> int:
    """The hard-wrap width estimate: a high percentile of line lengths."""
    if not lines:
        return 0
    lengths = sorted(len(line.strip()) for line in lines)
    return lengths[int(_WRAP_PERCENTILE * (len(lengths) - 1))]


def _paragraphs(block: list[str], width: int, one_per_line: bool = False) -> list[str]:
    """Split lines into paragraphs (at indented lines and short sentence-final lines) and join wrapped lines."""
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in block:
        if current and (one_per_line or _INDENT.match(line)) and not _CONTINUATION.match(line.strip()):
            paragraphs.append(current)
            current = []
        current.append(line)
        stripped = line.strip()
        if _ENDS_SENTENCE.search(stripped) and len(stripped) < _SHORT_LINE * width:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return [text for text in (join_lines(p) for p in paragraphs) if text]


def _chapters(items: list[_Item]) -> list[DraftChapter]:
    """Group items under headings; text before the first heading is front matter; empty headings become text."""
    chapters: list[DraftChapter] = [DraftChapter(FRONT_MATTER_TITLE, kind="front")]
    for i, item in enumerate(items):
        has_body = i + 1 < len(items) and not items[i + 1].heading
        if item.heading and has_body:
            chapters.append(DraftChapter(item.text))
        else:
            chapters[-1].paragraphs.append(item.text)
    if not chapters[0].paragraphs:
        chapters.pop(0)
    if len(chapters) == 1:
        chapters[0].kind = "body"
    return chapters


def _metadata(path: Path, gutenberg: GutenbergInfo, chapters: list[DraftChapter], text: str) -> BookMetadata:
    """Metadata from a Gutenberg header, else from the first lines of the front matter."""
    language = "zh" if cjk_ratio(text) > _CJK_LANGUAGE_RATIO else "en"
    fields = gutenberg.fields
    title, authors = fields.get("title", ""), [fields["author"]] if fields.get("author") else []
    front = chapters[0].paragraphs[:_MAX_AUTHOR_SCAN] if chapters and chapters[0].kind == "front" else []
    if not title and front:
        title = front[0].rstrip(";:,")
    if not authors:
        authors = [m.group(1).strip() for line in front if (m := _BY_LINE.match(line))][:1]
    return BookMetadata(
        title=title or path.stem,
        authors=authors,
        language=_LANGUAGE_NAMES.get(fields.get("language", "").lower(), language),
        identifier=f"gutenberg:{gutenberg.number}" if gutenberg.number else "",
    )
