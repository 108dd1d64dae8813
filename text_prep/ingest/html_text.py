"""Readable text from an XHTML (or DTBook) content document: blocks in order, with the ids they contain."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from text_prep.ingest.safexml import local_name
from text_prep.ingest.spacing import collapse_whitespace

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"

_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li dt dd blockquote pre tr caption figcaption header footer section article "
    "aside main nav address hr table ul ol dl figure body center "
    # DTBook
    "doctitle docauthor level level1 level2 level3 level4 level5 level6 levelhd hd list line linegroup "
    "frontmatter bodymatter rearmatter book sidebar note".split()
)
_HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6 doctitle levelhd hd".split())
_CELL_TAGS = frozenset({"td", "th"})
_SKIP_TAGS = frozenset("head script style template svg math audio video object iframe noscript button".split())
_SKIP_TYPES = frozenset({"pagebreak", "noteref", "footnote", "annoref", "page-list"})
_SKIP_ROLES = frozenset({"doc-pagebreak", "doc-noteref", "doc-footnote", "doc-endnote"})
_PAGE_CLASSES = re.compile(r"\b(?:page-?num(?:ber)?|page-?no|pagebreak|page-break)\b", re.IGNORECASE)
# A footnote marker: "1", "[12]", "(iv)", "*", "†".
_NOTE_MARKER = re.compile(r"^\s*[\[(]?\s*(?:\d{1,3}|[a-z]|[ivxlc]{1,6}|[*†‡§¶]{1,3})\s*[\])]?\s*$", re.IGNORECASE)
_MAX_DEPTH = 400


@dataclass
class Block:
    """A paragraph-like run of text; ``anchors`` are the element ids at or just before it."""

    text: str
    heading: bool = False
    anchors: tuple[str, ...] = ()


@dataclass
class DocumentText:
    """The readable content of one document."""

    blocks: list[Block]
    title: str = ""
    types: frozenset[str] = frozenset()  # epub:type tokens of <body> and its top-level sections
    anchors: dict[str, int] = field(default_factory=dict)  # element id -> index of the block it starts


def extract_text(root: etree._Element, *, alt_text: bool = False) -> DocumentText:
    """Walk a parsed document and return its blocks (headings, paragraphs, list items, table rows, ...)."""
    walker = _Walker(alt_text)
    body = next((el for el in root.iter() if local_name(el) in ("body", "book")), root)
    walker.walk(body, 0)
    walker.flush()
    title_el = next((el for el in root.iter() if local_name(el) == "title"), None)
    title = collapse_whitespace(title_el.text or "") if title_el is not None else ""
    types = set(epub_types(body))
    for child in body:
        if local_name(child) in ("section", "div", "article", "bodymatter", "frontmatter", "rearmatter"):
            types.update(epub_types(child))
    return DocumentText(walker.blocks, title, frozenset(types), walker.anchor_index)


def epub_types(element: etree._Element) -> list[str]:
    """The element's epub:type tokens (namespaced or, from an HTML parse, literal ``epub:type``)."""
    value = element.get(EPUB_TYPE) or element.get("epub:type") or ""
    return value.split()


class _Walker:
    """Accumulates inline text into blocks while walking the element tree."""

    def __init__(self, alt_text: bool) -> None:
        self.alt_text = alt_text
        self.blocks: list[Block] = []
        self.anchor_index: dict[str, int] = {}
        self._parts: list[str] = []
        self._pending: list[str] = []
        self._heading = False

    def flush(self) -> None:
        """Close the current block (if it has text) and give it the pending anchors."""
        text = collapse_whitespace("".join(self._parts))
        self._parts = []
        if not text:
            return
        for anchor in self._pending:
            self.anchor_index.setdefault(anchor, len(self.blocks))
        self.blocks.append(Block(text, self._heading, tuple(self._pending)))
        self._pending = []
        self._heading = False

    def _note_ids(self, element: etree._Element) -> None:
        """Register every id in a subtree (so a TOC link into skipped content still resolves)."""
        for el in element.iter():
            if isinstance(el.tag, str) and el.get("id"):
                self._pending.append(el.get("id"))

    def walk(self, element: etree._Element, depth: int) -> None:
        """Visit ``element`` and its children (tails are handled by the parent)."""
        tag = local_name(element)
        if not tag or depth > _MAX_DEPTH:
            return
        if _skipped(element, tag):
            self._note_ids(element)
            return
        if element.get("id"):
            self._pending.append(element.get("id"))
        if tag == "img":
            alt = (element.get("alt") or "").strip()
            if self.alt_text and alt:
                self.flush()
                self._parts.append(alt)
                self.flush()
            return
        if tag == "br":
            self._parts.append("\n")
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.flush()
            self._heading = tag in _HEADING_TAGS
        elif tag in _CELL_TAGS and self._parts:
            self._parts.append("; ")
        if element.text:
            self._parts.append(element.text)
        for child in element:
            self.walk(child, depth + 1)
            if child.tail:
                self._parts.append(child.tail)
        if block:
            self.flush()


def _skipped(element: etree._Element, tag: str) -> bool:
    """Content that is not read aloud: scripts, page numbers, footnote markers and bodies."""
    if tag in _SKIP_TAGS:
        return True
    if any(t in _SKIP_TYPES for t in epub_types(element)) or element.get("role") in _SKIP_ROLES:
        return True
    if _PAGE_CLASSES.search(element.get("class") or ""):
        return True
    if tag in ("a", "sup"):
        return _is_note_marker(element, tag)
    return False


def _is_note_marker(element: etree._Element, tag: str) -> bool:
    """An in-document link, or a superscript holding a link, whose whole text is a marker like "12" or "[iv]"."""
    if not _NOTE_MARKER.match("".join(element.itertext())):
        return False
    if tag == "a":
        return "#" in (element.get("href") or "")
    return any(local_name(el) == "a" for el in element.iter())
