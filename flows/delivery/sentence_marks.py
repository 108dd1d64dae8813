"""Finding spoken sentences in XHTML content documents and wrapping each one in a ``<span id>``.

A document's readable text is walked in order; every visible character (spaces and soft hyphens dropped,
NFKC and case folded, quotes and dashes unified) keeps where it came from: a text slot (an element's text or
tail) and an offset. Sentences are found in reading order in that skeleton, so markup, line breaks and entity
spellings do not matter. A match is wrapped at the level of the innermost element holding both ends: a
sentence that starts or ends inside an inline element takes that whole element; one that would cross a block
(``p``, ``li``...) is left unmarked (it keeps its text, it just gets no overlay entry). An inline element in
which one sentence ends and the next begins (``<em>rose. Then</em>``) is first cut in two there, the second
half a copy of the element without its id. Text the audio does not read is never matched, so it stays as it was.
"""
from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from lxml import etree

from text_prep.ingest.safexml import local_name

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
SEARCH_WINDOW = 4000            # skeleton characters a sentence may lie beyond the previous one (skipped text)
_SKIP_TAGS = frozenset({"head", "script", "style", "rt", "rp", "svg", "math"})
_SKIP_MARKS = frozenset({"noteref", "annoref", "pagebreak", "footnote", "doc-noteref", "doc-pagebreak", "doc-footnote",
                         "doc-endnote"})     # what the ingest does not read
_BLOCK_TAGS = frozenset("p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd table thead tbody tfoot tr td th caption "
                        "blockquote section article aside header footer nav figure figcaption pre hr body main "
                        "address details summary".split())
_NO_SPAN_INSIDE = frozenset({"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "select", "ruby", "html"})
_DROPPED = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
_FOLD = str.maketrans("‘’‚‛′`“”„‟″«»–—―‐‑", "''''''\"\"\"\"\"\"\"-----")
DOC_SEPARATOR = "\x00"          # between documents in the book-wide skeleton: no sentence spans two


def skeleton(text: str) -> str:
    """The comparable form of ``text``: no spaces or invisible characters, NFKC, case-folded, quotes unified."""
    return "".join(_fold(ch) for ch in text if not ch.isspace() and ch not in _DROPPED)


def _fold(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).casefold().translate(_FOLD)


@dataclass(frozen=True)
class _Slot:
    owner: etree._Element
    tail: bool                      # the owner's tail (in its parent) rather than its text

    @property
    def container(self) -> etree._Element:
        return self.owner.getparent() if self.tail else self.owner

    def text(self) -> str:
        return (self.owner.tail if self.tail else self.owner.text) or ""


def _skipped(el: etree._Element) -> bool:
    marks = set((el.get(EPUB_TYPE) or "").split()) | set((el.get("role") or "").split())
    return local_name(el) in _SKIP_TAGS or bool(marks & _SKIP_MARKS) or not isinstance(el.tag, str)


class DocumentSkeleton:
    """The visible text of one parsed document as a skeleton string with each character's origin."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.slots: list[_Slot] = []
        self._order: dict[tuple[etree._Element, bool], int] = {}
        chars: list[str] = []
        self.origin: list[tuple[int, int]] = []         # per skeleton character: (slot index, offset in slot)
        body = next((el for el in root.iter() if local_name(el) == "body"), root)
        self._walk(body, chars)
        self.text = "".join(chars)

    def _add(self, slot: _Slot, chars: list[str], visible: bool) -> None:
        index = len(self.slots)
        self.slots.append(slot)
        self._order[(slot.owner, slot.tail)] = index
        if not visible:
            return
        for offset, ch in enumerate(slot.text()):
            if not ch.isspace() and ch not in _DROPPED:
                for folded in _fold(ch):
                    chars.append(folded)
                    self.origin.append((index, offset))

    def _walk(self, el: etree._Element, chars: list[str]) -> None:
        visible = not _skipped(el)
        self._add(_Slot(el, False), chars, visible)
        for child in el:
            if visible and isinstance(child.tag, str):
                self._walk(child, chars)
            self._add(_Slot(child, True), chars, visible)

    def order(self, anchor_owner: etree._Element, tail: bool) -> int:
        """Document order of a text slot."""
        return self._order[(anchor_owner, tail)]


@dataclass(frozen=True)
class _Range:
    """A wrappable range in the direct content of ``top``: from (anchor, offset) to (anchor, offset).

    An anchor of None is ``top.text``; otherwise it is the child whose tail holds the position.
    """

    top: etree._Element
    start: tuple[etree._Element | None, int]
    end: tuple[etree._Element | None, int]
    key: tuple[tuple[int, int], tuple[int, int]]      # document order of start and end, for overlap checks


def _ancestors(el: etree._Element) -> list[etree._Element]:
    chain = [el]
    while (parent := chain[-1].getparent()) is not None:
        chain.append(parent)
    return chain


def _child_of(top: etree._Element, el: etree._Element) -> etree._Element:
    while el.getparent() is not top:
        el = el.getparent()
    return el


def _inline_path(el: etree._Element, top: etree._Element) -> bool:
    return all(local_name(a) not in _BLOCK_TAGS for a in _ancestors(el)[:_ancestors(el).index(top)])


def find_range(doc: DocumentSkeleton, first: int, last: int) -> _Range | None:
    """The wrappable range for skeleton characters ``first..last`` (inclusive), or None when it cannot be one."""
    (slot_a, off_a), (slot_b, off_b) = doc.origin[first], doc.origin[last]
    a, b = doc.slots[slot_a], doc.slots[slot_b]
    above_a = set(_ancestors(a.container))
    top = next(el for el in _ancestors(b.container) if el in above_a)
    if local_name(top) in _NO_SPAN_INSIDE or not (_inline_path(a.container, top) and _inline_path(b.container, top)):
        return None
    if a.container is top:
        start = (None if not a.tail else a.owner, off_a)
    else:
        x = _child_of(top, a.container)
        before = x.getprevious()
        start = (before, len(before.tail or "")) if before is not None else (None, len(top.text or ""))
    if b.container is top:
        end = (None if not b.tail else b.owner, off_b + 1)
    else:
        end = (_child_of(top, b.container), 0)
    children = list(top)
    lo = 0 if start[0] is None else children.index(start[0]) + 1
    hi = 0 if end[0] is None else children.index(end[0]) + 1
    if any(local_name(e) in _BLOCK_TAGS for child in children[lo:hi] for e in child.iter() if isinstance(e.tag, str)):
        return None
    key = tuple((doc.order(top if anchor is None else anchor, anchor is not None), offset) for anchor, offset in (start, end))
    return _Range(top, start, end, key)  # type: ignore[arg-type]


def wrap(rng: _Range, span_id: str) -> None:
    """Move the range's content into a new ``<span id=span_id>`` in place."""
    top = rng.top
    namespace = etree.QName(top).namespace
    span = top.makeelement(f"{{{namespace}}}span" if namespace else "span", {"id": span_id})

    def get(anchor: etree._Element | None) -> str:
        return (top.text if anchor is None else anchor.tail) or ""

    def put(anchor: etree._Element | None, value: str) -> None:
        if anchor is None:
            top.text = value or None
        else:
            anchor.tail = value or None

    (start_anchor, start_off), (end_anchor, end_off) = rng.start, rng.end
    children = list(top)
    lo = 0 if start_anchor is None else children.index(start_anchor) + 1
    hi = 0 if end_anchor is None else children.index(end_anchor) + 1
    start_text, end_text = get(start_anchor), get(end_anchor)
    if start_anchor is end_anchor:
        span.text, span.tail = start_text[start_off:end_off] or None, start_text[end_off:] or None
    else:
        span.text = start_text[start_off:] or None
        for child in children[lo:hi]:
            span.append(child)
        children[hi - 1].tail = end_text[:end_off] or None
        span.tail = end_text[end_off:] or None
    put(start_anchor, start_text[:start_off])
    top.insert(lo, span)


@dataclass(frozen=True)
class Placed:
    """A sentence found in a document: the document's position in the list, the id given, and its key."""

    document: int
    span_id: str
    key: str


def _shallow(el: etree._Element) -> etree._Element:
    """An empty copy of ``el`` (same tag and attributes, no id)."""
    return el.makeelement(el.tag, {k: v for k, v in el.attrib.items() if k != "id"})


def split_inline(slot: _Slot, offset: int, stop: etree._Element) -> None:
    """Cut the inline element ``stop`` in two at a text position; the second half is a copy without id."""
    node = slot.container
    if slot.tail:
        text, slot.owner.tail = slot.text(), slot.text()[:offset] or None
        moving = list(node)[node.index(slot.owner) + 1:]
    else:
        text, node.text = slot.text(), slot.text()[:offset] or None
        moving = list(node)
    clone = _shallow(node)
    clone.text = text[offset:] or None
    for child in moving:
        clone.append(child)
    while node is not stop:
        parent = node.getparent()
        upper = _shallow(parent)
        upper.append(clone)
        clone.tail, node.tail = node.tail, None
        for sibling in list(parent)[parent.index(node) + 1:]:
            upper.append(sibling)
        node, clone = parent, upper
    clone.tail, node.tail = node.tail, None
    parent = node.getparent()
    parent.insert(parent.index(node) + 1, clone)


def _shared_inline(doc: DocumentSkeleton, end: int, start: int) -> etree._Element | None:
    """The outermost inline element holding both skeleton characters, if any (then they must be split)."""
    a, b = doc.slots[doc.origin[end][0]].container, doc.slots[doc.origin[start][0]].container
    above = set(_ancestors(a))
    common = next(el for el in _ancestors(b) if el in above)
    if local_name(common) in _BLOCK_TAGS or common.getparent() is None:
        return None
    chain = _ancestors(common)
    block = next((i for i, el in enumerate(chain) if local_name(el) in _BLOCK_TAGS or el.getparent() is None))
    return chain[block - 1]


def _find(docs: Sequence[DocumentSkeleton], sentences: Sequence[tuple[str, str, bool]]) -> list[tuple[int, int, int, str]]:
    """Each sentence found in reading order: (document, first and last skeleton character, key)."""
    book = DOC_SEPARATOR.join(doc.text for doc in docs)
    starts, total = [], 0
    for doc in docs:
        starts.append(total)
        total += len(doc.text) + len(DOC_SEPARATOR)
    found: list[tuple[int, int, int, str]] = []
    cursor = 0
    for key, text, chapter_start in sentences:
        needle = skeleton(text)
        at = book.find(needle, cursor) if needle else -1
        if at < 0 or (not chapter_start and at - cursor > SEARCH_WINDOW):
            continue
        d = bisect.bisect_right(starts, at) - 1
        found.append((d, at - starts[d], at - starts[d] + len(needle) - 1, key))
        cursor = at + len(needle)
    return found


def _split_shared(docs: list[DocumentSkeleton], found: list[tuple[int, int, int, str]]) -> None:
    """Split inline elements in which one sentence ends and the next begins; re-read the documents changed."""
    cuts: dict[int, list[tuple[tuple[int, int], _Slot, int, etree._Element]]] = {}
    for (d0, _, last, _), (d1, first, _, _) in zip(found, found[1:]):
        if d0 == d1 and (stop := _shared_inline(docs[d1], last, first)) is not None:
            slot_index, offset = docs[d1].origin[first]
            cuts.setdefault(d1, []).append(((slot_index, offset), docs[d1].slots[slot_index], offset, stop))
    for d, points in cuts.items():
        for _, slot, offset, stop in sorted(points, key=lambda p: p[0], reverse=True):
            split_inline(slot, offset, stop)
        docs[d] = DocumentSkeleton(docs[d].root)


def mark_sentences(docs: Sequence[DocumentSkeleton], sentences: Iterable[tuple[str, str, bool]],
                   id_of: Callable[[str], str]) -> list[Placed]:
    """Find ``(key, text, chapter_start)`` sentences in reading order across ``docs`` and wrap each found one.

    A chapter's first sentence may lie anywhere ahead (skipped front matter); later ones within
    ``SEARCH_WINDOW`` of the previous one. An inline element holding the end of one sentence and the start of
    the next is first cut in two there. Returns the wrapped sentences in reading order.
    """
    docs, sentences = list(docs), list(sentences)
    found = _find(docs, sentences)
    _split_shared(docs, found)
    found = _find(docs, sentences)
    ranges: list[tuple[int, _Range, str]] = []
    for d, first, last, key in found:
        rng = find_range(docs[d], first, last)
        if rng is None or (ranges and ranges[-1][0] == d and rng.key[0] < ranges[-1][1].key[1]):
            continue
        ranges.append((d, rng, key))
    for d, rng, key in reversed(ranges):        # later ranges first: earlier positions stay valid
        wrap(rng, id_of(key))
    return [Placed(d, id_of(key), key) for d, _, key in ranges]
