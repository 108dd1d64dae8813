"""EPUB 2/3 -> draft chapters: spine order, boundaries and titles from the TOC (fragments, nesting), matter kinds."""
from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from text_prep.ingest.draft import DraftBook, DraftChapter
from text_prep.ingest.epub_package import EpubPackage, load_package
from text_prep.ingest.epub_toc import Landmark, TocEntry, guide_landmarks, parse_nav, parse_ncx
from text_prep.errors import BookError
from text_prep.ingest.html_text import DocumentText, extract_text
from text_prep.ingest.safexml import UnsafeXmlError, parse_xhtml
from text_prep.ingest.safezip import SafeZip

log = logging.getLogger(__name__)

_FRONT_TYPES = frozenset(
    "cover titlepage title-page halftitlepage copyright-page toc imprint loi lot dedication frontmatter".split()
)
_BACK_TYPES = frozenset("colophon index backmatter".split())
_REGION_TYPES = {"frontmatter": "front", "bodymatter": "body", "text": "body", "backmatter": "back"}
_FRONT_TITLE = re.compile(
    r"^(?:cover|title page|copyright(?: page)?|(?:table of )?contents|封面|目[录錄]|版[权權](?:信息|页|頁)?)$", re.I
)
_BACK_TITLE = re.compile(r"^(?:colophon|index|about the (?:author|publisher)|also by .+|other books by .+)$", re.I)
_MAX_HEADING_TITLE = 120


@dataclass(frozen=True)
class _Start:
    """A chapter boundary: global block index into the reading stream, and its TOC title."""

    block: int
    title: str


def read_epub(path: Path, *, alt_text: bool = False) -> DraftBook:
    """Read an EPUB file into draft chapters in reading order."""
    with SafeZip(path) as archive:
        package = load_package(path, archive)
    docs = _documents(path, package, alt_text)
    if not any(doc.blocks for _, doc in docs):
        if package.encrypted:
            raise BookError(path, "DRM-encrypted EPUB (content documents are encrypted)")
        raise BookError(path, "EPUB has no readable text in its spine")
    offsets = _offsets(docs)
    entries, landmarks = _navigation(path, package)
    landmarks += guide_landmarks(package.guide, package.opf_path)
    starts = _starts(path, entries, docs, offsets)
    if not starts:
        if entries or package.nav or package.ncx:
            log.warning("%s: table of contents is empty or unusable; one chapter per document", path)
        else:
            log.warning("%s: no table of contents; one chapter per document", path)
        starts = _document_starts(docs, offsets)
    else:
        starts = _front_documents(docs, offsets, starts[0].block) + starts
    starts = _with_nav_start(starts, docs, offsets, package)
    blocks = [block for _, doc in docs for block in doc.blocks]
    classify = _Classifier(package, docs, offsets, landmarks)
    chapters: list[DraftChapter] = []
    for i, start in enumerate(starts):
        end = starts[i + 1].block if i + 1 < len(starts) else len(blocks)
        chunk = blocks[start.block:end]
        if not chunk:
            continue
        title = start.title or next((b.text for b in chunk if b.heading), "") or f"Chapter {len(chapters) + 1}"
        chapters.append(DraftChapter(title, [b.text for b in chunk], classify(start.block, title)))
    return DraftBook(package.metadata, chapters)


def _documents(path: Path, package: EpubPackage, alt_text: bool) -> list[tuple[str, DocumentText]]:
    """Parsed linear spine documents; unparseable ones are skipped with a warning."""
    docs: list[tuple[str, DocumentText]] = []
    for document in package.documents:
        if not document.linear:
            log.info("%s: skipping non-linear spine document %s", path, document.path)
            continue
        try:
            root = parse_xhtml(document.content)
        except (etree.LxmlError, UnsafeXmlError) as exc:
            log.warning("%s: skipping unreadable document %s (%s)", path, document.path, exc)
            continue
        docs.append((document.path, extract_text(root, alt_text=alt_text)))
    return docs


def _offsets(docs: list[tuple[str, DocumentText]]) -> dict[str, int]:
    """Global index of each document's first block in the reading stream."""
    offsets: dict[str, int] = {}
    total = 0
    for name, doc in docs:
        offsets[name] = total
        total += len(doc.blocks)
    return offsets


def _navigation(path: Path, package: EpubPackage) -> tuple[list[TocEntry], list[Landmark]]:
    """TOC entries from the nav document (EPUB 3), else the NCX (EPUB 2); landmarks from the nav."""
    entries: list[TocEntry] = []
    landmarks: list[Landmark] = []
    if package.nav is not None:
        try:
            entries, landmarks = parse_nav(package.nav[1], package.nav[0])
        except (etree.LxmlError, UnsafeXmlError) as exc:
            log.warning("%s: unreadable nav document %s (%s)", path, package.nav[0], exc)
    if not entries and package.ncx is not None:
        try:
            entries = parse_ncx(package.ncx[1], package.ncx[0])
        except (etree.LxmlError, UnsafeXmlError) as exc:
            log.warning("%s: unreadable NCX %s (%s)", path, package.ncx[0], exc)
    return entries, landmarks


def _resolve(target_path: str, fragment: str, docs: dict[str, DocumentText], offsets: dict[str, int]) -> int | None:
    """Global block index of a link target; the document start when the fragment is unknown; None if absent."""
    doc = docs.get(target_path)
    if doc is None:
        return None
    index = doc.anchors.get(fragment, 0) if fragment else 0
    return offsets[target_path] + index


def _starts(
    path: Path, entries: list[TocEntry], docs: list[tuple[str, DocumentText]], offsets: dict[str, int]
) -> list[_Start]:
    """Chapter starts from the TOC in reading order; entries sharing a position share one chapter."""
    by_name = dict(docs)
    found: list[_Start] = []
    for entry in entries:
        block = _resolve(entry.path, entry.fragment, by_name, offsets)
        if block is None:
            log.warning("%s: TOC entry %r points outside the reading order (%s)", path, entry.title, entry.path)
            continue
        if entry.fragment and entry.fragment not in by_name[entry.path].anchors:
            log.warning("%s: TOC entry %r: no element #%s in %s", path, entry.title, entry.fragment, entry.path)
        found.append(_Start(block, entry.title))
    found.sort(key=lambda s: s.block)
    merged: list[_Start] = []
    for start in found:
        if merged and merged[-1].block == start.block:
            titles = [t for t in (merged[-1].title, start.title) if t]
            merged[-1] = _Start(start.block, ": ".join(dict.fromkeys(titles)))
        else:
            merged.append(start)
    return merged


def _document_starts(docs: list[tuple[str, DocumentText]], offsets: dict[str, int]) -> list[_Start]:
    """One chapter per document, titled by its first heading or its <title>."""
    return [_Start(offsets[name], _document_title(doc)) for name, doc in docs if doc.blocks]


def _front_documents(docs: list[tuple[str, DocumentText]], offsets: dict[str, int], first: int) -> list[_Start]:
    """Chapters for the text before the first TOC entry (cover, title page, ...), one per document."""
    return [_Start(offsets[name], _document_title(doc)) for name, doc in docs if doc.blocks and offsets[name] < first]


def _with_nav_start(
    starts: list[_Start], docs: list[tuple[str, DocumentText]], offsets: dict[str, int], package: EpubPackage
) -> list[_Start]:
    """Give a nav document in the spine its own chapter, so the TOC listing never joins a story chapter."""
    if package.nav is None or package.nav[0] not in offsets:
        return starts
    block = offsets[package.nav[0]]
    doc = dict(docs)[package.nav[0]]
    if not doc.blocks or any(s.block == block for s in starts):
        return starts
    return sorted([*starts, _Start(block, _document_title(doc))], key=lambda s: s.block)


def _document_title(doc: DocumentText) -> str:
    """First short heading of a document, else its <title>."""
    heading = next((b.text for b in doc.blocks if b.heading and len(b.text) <= _MAX_HEADING_TITLE), "")
    return heading or doc.title


class _Classifier:
    """Decides a chapter's kind (front/body/back) from landmarks, epub:type and, last, its title."""

    def __init__(
        self,
        package: EpubPackage,
        docs: list[tuple[str, DocumentText]],
        offsets: dict[str, int],
        landmarks: list[Landmark],
    ) -> None:
        by_name = dict(docs)
        self._doc_starts = sorted((offsets[name], name) for name, doc in docs if doc.blocks)
        self._doc_types = {name: doc.types for name, doc in docs}
        if package.nav is not None:
            self._doc_types[package.nav[0]] = self._doc_types.get(package.nav[0], frozenset()) | {"toc"}
        self._regions: list[tuple[int, str]] = []
        self._spots: list[tuple[int, str]] = []
        for mark in landmarks:
            block = _resolve(mark.path, mark.fragment, by_name, offsets)
            if block is None:
                continue
            if mark.kind in _REGION_TYPES:
                self._regions.append((block, _REGION_TYPES[mark.kind]))
            elif mark.kind in _FRONT_TYPES or mark.kind in _BACK_TYPES:
                self._spots.append((block, "front" if mark.kind in _FRONT_TYPES else "back"))
        self._regions.sort()

    def __call__(self, block: int, title: str) -> str:
        for spot_block, kind in self._spots:
            if spot_block == block:
                return kind
        types = self._types_at(block)
        regions = types & {"frontmatter", "bodymatter", "backmatter"}
        if len(regions) == 1:
            return _REGION_TYPES[next(iter(regions))]
        if types & _FRONT_TYPES:
            return "front"
        if types & _BACK_TYPES:
            return "back"
        if _FRONT_TITLE.match(title.strip()):
            return "front"
        if _BACK_TITLE.match(title.strip()):
            return "back"
        if self._regions:
            i = bisect.bisect_right(self._regions, (block, "~")) - 1
            if i >= 0:
                return self._regions[i][1]
            if any(kind == "body" for _, kind in self._regions):
                return "front"
        return "body"

    def _types_at(self, block: int) -> frozenset[str]:
        """epub:type tokens of the document a chapter starts in, when it starts at that document's top."""
        i = bisect.bisect_right(self._doc_starts, (block, "\uffff")) - 1
        if i < 0 or self._doc_starts[i][0] != block:
            return frozenset()
        return self._doc_types.get(self._doc_starts[i][1], frozenset())
