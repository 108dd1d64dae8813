"""Plain-text books -> draft chapters: encoding, hard-wrap undoing, chapter headings, TOC and boilerplate skipping."""
from __future__ import annotations

import re
from pathlib import Path

from text_prep.book import BookMetadata
from text_prep.ingest.draft import DraftBook, DraftChapter
from text_prep.ingest.encoding import decode_text
from text_prep.errors import BookError
from text_prep.ingest.spacing import cjk_ratio, collapse_whitespace, join_lines
from text_prep.ingest.txt_headings import Candidate, HeadingFinder, Item, decisions, select_headings
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
_MIN_WRAP_WIDTH = 30  # below this the text is not hard-wrapped prose (a list, a table of contents, verse)
_MAX_SUBTITLE_LINES = 2
_MAX_SUBTITLE_CHARS = 80
_MAX_AUTHOR_SCAN = 12  # front-matter lines searched for "by <author>"

_ENDS_SENTENCE = re.compile(r"[.!?。！？…\"”’」』)）]$")
_CONTINUATION = re.compile(r"^[，。、；：！？」』”’）﹔,;:!?)]")  # a wrapped line that cannot open a paragraph
_INDENT = re.compile(r"^(?:\u3000|\t| {2,})")
_CJK_SENTENCE_END = re.compile(r"[。！？]")
_LANGUAGE_NAMES = {"english": "en", "chinese": "zh"}
_BY_LINE = re.compile(r"^(?:by\s+|作者\s*[:：]\s*)(.{1,80})$", re.I)  # "by X" / "作者：X"


def read_txt(path: Path, heading_pattern: str | None = None) -> DraftBook:
    """Read a plain-text book into draft chapters (``heading_pattern``: a project's own heading regex)."""
    size = path.stat().st_size
    if size > MAX_TXT_BYTES:
        raise BookError(path, f"text file too large ({size} bytes, limit {MAX_TXT_BYTES})")
    text = decode_text(path.read_bytes(), path)
    text, gutenberg = strip_gutenberg(normalise_newlines(text))
    text = strip_markers(strip_markup(text))
    numbered = [(gutenberg.lines_cut + n + 1, line.rstrip()) for n, line in enumerate(text.split("\n"))]
    numbered = [(n, line) for n, line in numbered if not is_advert(line)]
    finder = HeadingFinder(heading_pattern)
    lines = [line for _, line in numbered]
    finder.scan_prefixes(lines)
    items, rejected = _Layout(lines, [n for n, _ in numbered], finder).items()
    items, dropped = select_headings(items)
    if not any(not item.heading for item in items):
        raise BookError(path, "no readable text")
    chapters = _chapters(items)
    book = DraftBook(_metadata(path, gutenberg, chapters, text), chapters)
    book.headings = decisions(items + dropped + rejected)
    return book


class _Layout:
    """Blocks of lines -> heading and paragraph items, hard wrapping undone."""

    def __init__(self, lines: list[str], numbers: list[int], finder: HeadingFinder) -> None:
        self.lines = lines
        self.numbers = numbers  # file line number of each line
        self.finder = finder
        non_blank = [line for line in lines if line.strip()]
        self.blocks = _blocks(lines)
        self.width = _wrap_width(non_blank)
        self.one_per_line = len(self.blocks) < _BLANK_LINE_MODE_RATIO * len(non_blank)  # no blank-line structure
        self.rejected: list[Item] = []
        self.last: dict[str, int] = {}  # numbering family -> number of the last heading laid out

    def items(self) -> tuple[list[Item], list[Item]]:
        """Heading and paragraph items in order, and the heading candidates rejected by the layout."""
        items: list[Item] = []
        for block in self.blocks:
            first = self.lines[block[0]].strip()
            rest = [self.lines[k] for k in block[1:]]
            candidate = self.finder.candidate(block[0], first, alone=True)
            subtitled = bool(rest) and _is_subtitle(rest) and not self._wrapped(first, rest[0])
            if candidate is not None and (not rest or (subtitled and not self._any_candidate(block[1:]))):
                text = collapse_whitespace(" ".join([candidate.text, *(line.strip() for line in rest)]))
                items.append(self._heading(text, block[0], candidate))
            else:
                items.extend(self._split_block(block))
        return items, self.rejected

    def _heading(self, text: str, index: int, candidate: Candidate) -> Item:
        """A heading item for line ``index``; its number becomes the last of its family."""
        if candidate.family and candidate.number is not None:
            self.last[candidate.family] = candidate.number
        return Item(text, heading=True, line=self.numbers[index], candidate=candidate)

    def _continues(self, candidate: Candidate) -> bool:
        """Whether a candidate's number is the next one of its family (1 up from the last heading laid out)."""
        number = candidate.number
        return bool(candidate.family) and number is not None and self.last.get(candidate.family) == number - 1

    def _any_candidate(self, indexes: list[int]) -> bool:
        """Whether any of these lines is a heading candidate (then they are not a subtitle)."""
        return any(self.finder.candidate(k, self.lines[k].strip(), alone=False) for k in indexes)

    def _split_block(self, block: list[int]) -> list[Item]:
        """Paragraphs of a block, cut at heading lines that follow a finished sentence."""
        items: list[Item] = []
        current: list[int] = []
        for pos, k in enumerate(block):
            stripped = self.lines[k].strip()
            candidate = self.finder.candidate(k, stripped, alone=False)
            after_sentence = not current or self._ends_paragraph(self.lines[current[-1]].strip())
            if candidate is not None and (after_sentence or self._continues(candidate)):
                following = self.lines[block[pos + 1]] if pos + 1 < len(block) else ""
                if following and self._wrapped(stripped, following):
                    note = "its sentence goes on in the next line: a paragraph, not a heading"
                    self.rejected.append(Item(stripped, line=self.numbers[k], candidate=candidate, notes=[note]))
                else:
                    items.extend(self._paragraphs(current, alone=len(block) == 1))
                    item = self._heading(collapse_whitespace(candidate.text), k, candidate)
                    if not after_sentence:
                        item.notes.append("after an unfinished line, but it continues the numbering")
                    items.append(item)
                    current = []
                    continue
            current.append(k)
        items.extend(self._paragraphs(current, alone=len(block) == 1))
        return items

    def _wrapped(self, line: str, following: str) -> bool:
        """Whether ``line`` runs on into the unindented ``following``: it starts lower-case or with closing
        punctuation, or ``line`` is as long as the hard-wrap width without ending a sentence."""
        if _INDENT.match(following):
            return False
        following = following.strip()
        if following[:1].islower() or _CONTINUATION.match(following):
            return True
        full = self.width >= _MIN_WRAP_WIDTH and len(line) >= _SHORT_LINE * self.width
        return not self.one_per_line and full and not _ENDS_SENTENCE.search(line)

    def _ends_paragraph(self, line: str) -> bool:
        """Whether a line can be the last of its paragraph: it ends a sentence or is short."""
        return bool(_ENDS_SENTENCE.search(line)) or len(line) < _SHORT_LINE * self.width

    def _paragraphs(self, block: list[int], alone: bool) -> list[Item]:
        """Split lines into paragraphs (at indented lines and short sentence-final lines) and join wrapped lines."""
        groups: list[list[int]] = []
        current: list[int] = []
        for k in block:
            line = self.lines[k]
            starts = self.one_per_line or _INDENT.match(line) or _BY_LINE.match(line.strip())
            if current and starts and not _CONTINUATION.match(line.strip()):
                groups.append(current)
                current = []
            current.append(k)
            stripped = line.strip()
            if _ENDS_SENTENCE.search(stripped) and len(stripped) < _SHORT_LINE * self.width:
                groups.append(current)
                current = []
        if current:
            groups.append(current)
        items = []
        for group in groups:
            text = join_lines([self.lines[k] for k in group])
            if text:
                single = len(group) == 1 and (alone or self.one_per_line)
                items.append(Item(text, line=self.numbers[group[0]], alone=single))
        return items


def _blocks(lines: list[str]) -> list[list[int]]:
    """Runs of non-blank lines (as line indexes) separated by blank lines."""
    blocks: list[list[int]] = []
    current: list[int] = []
    for k, line in enumerate(lines):
        if line.strip():
            current.append(k)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _is_subtitle(rest: list[str]) -> bool:
    """One or two short unindented lines after a heading, in the same block and without a CJK full stop: its subtitle."""
    return 0 < len(rest) <= _MAX_SUBTITLE_LINES and all(
        len(line.strip()) <= _MAX_SUBTITLE_CHARS and not _INDENT.match(line) and not _CJK_SENTENCE_END.search(line)
        for line in rest
    )


def _wrap_width(lines: list[str]) -> int:
    """The hard-wrap width estimate: a high percentile of line lengths."""
    if not lines:
        return 0
    lengths = sorted(len(line.strip()) for line in lines)
    return lengths[int(_WRAP_PERCENTILE * (len(lengths) - 1))]


def _chapters(items: list[Item]) -> list[DraftChapter]:
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
