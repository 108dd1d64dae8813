"""EPUB 3 read-along: the original book with every spoken sentence marked, SMIL media overlays and the audio.

The source EPUB is read with the safe readers (``SafeZip``, ``parse_xml``, ``load_package``); each spoken
sentence is wrapped in a ``<span id>`` (``sentence_marks``); each content document with marked sentences gets
one SMIL overlay whose ``<par>`` entries point at the sentence and at its span in its chapter's audio (the
chapter's AAC segment, put in MP4 without re-encoding); the package document gains the overlays, the audio,
``media:duration`` metadata and the active-class CSS. Everything else is copied unchanged.
"""
from __future__ import annotations

import os
import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence
from urllib.parse import quote, unquote
from xml.sax.saxutils import quoteattr

from lxml import etree

from flows.audio.ffmpeg import AAC_PRIMING_SAMPLES, run_ffmpeg
from flows.delivery.m4b import Segment
from flows.delivery.sentence_marks import DocumentSkeleton, mark_sentences
from flows.delivery.timings import ChapterTimings
from flows.errors import OutputError
from text_prep.ingest.epub_package import load_package
from text_prep.ingest.safexml import UnsafeXmlError, local_name, parse_xml
from text_prep.ingest.safezip import SafeZip

OPF_NS = "http://www.idpf.org/2007/opf"
SMIL_NS = "http://www.w3.org/ns/SMIL"
OPS_NS = "http://www.idpf.org/2007/ops"
XHTML_MEDIA_TYPE = "application/xhtml+xml"
ASSET_DIR = "bookvoice"                 # added files live here, beside the package document
ACTIVE_CLASS = "bookvoice-active"
CSS_NAME = "readalong.css"
CSS_TEXT = f".{ACTIVE_CLASS} {{ background-color: #ffe58a; color: inherit; }}\n"
SPAN_PREFIX = "bookvoice-s"
MIMETYPE = "mimetype"
PARTIAL_SUFFIX = ".partial"
_MS = 1000


class ReadAlongError(ValueError):
    """The book cannot become a read-along EPUB (not EPUB 3, nothing found to mark)."""


@dataclass(frozen=True)
class ChapterSound:
    """One spoken chapter: its sentence timings and its AAC segment (see ``flows.delivery.m4b``)."""

    timings: ChapterTimings
    segment: Segment


@dataclass(frozen=True)
class ReadAlongBuild:
    """What the read-along EPUB holds: overlays written, sentences marked, sentences not found in the text."""

    path: Path
    overlays: int
    marked: int
    unmarked: int


def clock(ms: int) -> str:
    """A SMIL clock value ``H:MM:SS.mmm``."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def span_id(label: str) -> str:
    """The element id of a sentence in the book: ``bookvoice-s3-0-2`` for sentence 3.0.2."""
    return SPAN_PREFIX + label.replace(".", "-")


def _sentences(chapters: Sequence[ChapterSound]) -> tuple[list[tuple[str, str, bool]], dict[str, tuple[int, int, int]]]:
    """Spoken sentences in order as (label, text, first of its chapter), and each one's (chapter, start, end)."""
    order, where = [], {}
    for position, chapter in enumerate(chapters):
        offset, first = AAC_PRIMING_SAMPLES, True
        for part in chapter.timings.parts:
            for span in part.lines:
                if not span.label.endswith(".title"):
                    order.append((span.label, span.text, first))
                    where[span.label] = (position, offset + span.start, offset + span.end)
                    first = False
            offset += part.n_samples
    return order, where


def _rel(from_member: str, to_member: str) -> str:
    return quote(posixpath.relpath(to_member, posixpath.dirname(from_member) or "."))


def _smil(smil_member: str, doc_member: str, pars: list[tuple[str, str, int, int]]) -> bytes:
    """A SMIL 3.0 overlay: one ``<par>`` per (span id, audio member, begin ms, end ms)."""
    text_src = _rel(smil_member, doc_member)
    rows = [f'<par id="par{i}"><text src={quoteattr(f"{text_src}#{sid}")}/><audio src={quoteattr(_rel(smil_member, audio))} '
            f'clipBegin="{clock(begin)}" clipEnd="{clock(end)}"/></par>' for i, (sid, audio, begin, end) in enumerate(pars, 1)]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<smil xmlns="{SMIL_NS}" xmlns:epub="{OPS_NS}" version="3.0">\n'
            "<body>\n" + "\n".join(rows) + "\n</body>\n</smil>\n").encode("utf-8")


def _link_css(root: etree._Element, href: str) -> None:
    head = next((el for el in root.iter() if local_name(el) == "head"), None)
    if head is None:
        return
    namespace = etree.QName(root).namespace
    link = etree.SubElement(head, f"{{{namespace}}}link" if namespace else "link")
    link.set("rel", "stylesheet")
    link.set("type", "text/css")
    link.set("href", href)


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


class _Package:
    """The package document being extended: manifest items by member path, new items, metadata."""

    def __init__(self, opf_member: str, data: bytes) -> None:
        self.member, self.root = opf_member, parse_xml(data)
        if not (self.root.get("version") or "").startswith("3"):
            raise ReadAlongError(f"{opf_member}: media overlays need an EPUB 3 package (version "
                                 f"{self.root.get('version')!r})")
        self.dir = posixpath.dirname(opf_member)
        self.manifest = self.root.find(f"{{{OPF_NS}}}manifest")
        self.metadata = self.root.find(f"{{{OPF_NS}}}metadata")
        if self.manifest is None or self.metadata is None:
            raise ReadAlongError(f"{opf_member}: no manifest or metadata")
        self.items = {posixpath.normpath(posixpath.join(self.dir, unquote(item.get("href", "")))): item
                      for item in self.manifest if local_name(item) == "item"}
        self._ids = {item.get("id") for item in self.items.values()}

    def add(self, member: str, media_type: str) -> str:
        """A new manifest item for ``member``; returns its id."""
        n, stem = 1, "bookvoice-" + posixpath.basename(member).replace(".", "-")
        item_id = stem
        while item_id in self._ids:
            n += 1
            item_id = f"{stem}-{n}"
        self._ids.add(item_id)
        etree.SubElement(self.manifest, f"{{{OPF_NS}}}item", {"id": item_id, "href": quote(
            posixpath.relpath(member, self.dir or ".")), "media-type": media_type})
        return item_id

    def meta(self, prop: str, value: str, refines: str | None = None) -> None:
        attrs = {"property": prop, **({"refines": f"#{refines}"} if refines else {})}
        etree.SubElement(self.metadata, f"{{{OPF_NS}}}meta", attrs).text = value


def build_readalong(epub: Path, chapters: Sequence[ChapterSound], dest: Path, work_dir: Path) -> ReadAlongBuild:
    """Write ``dest`` (atomically): the read-along EPUB 3 of ``epub`` for the spoken ``chapters``."""
    with SafeZip(epub) as archive:
        package_info = load_package(epub, archive)
        package = _Package(package_info.opf_path, archive.read(package_info.opf_path))
        docs, members = [], []
        nav = package_info.nav[0] if package_info.nav else None
        for document in package_info.documents:
            if document.path == nav:
                continue                                # the table of contents is never read aloud
            try:
                docs.append(DocumentSkeleton(parse_xml(document.content)))
                members.append(document.path)
            except (etree.LxmlError, UnsafeXmlError):
                continue                                # left as it is, without an overlay
        order, where = _sentences(chapters)
        placed = mark_sentences(docs, order, span_id)
        if not placed:
            raise ReadAlongError(f"{epub}: none of the spoken sentences was found in the book's text")
        replaced, added = _overlay(package, docs, members, placed, where, chapters)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}{PARTIAL_SUFFIX}")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            work_dir.mkdir(parents=True, exist_ok=True)
            audio = {member: _mp4_audio(chapters[position].segment, work_dir, position)
                     for member, position in added.items()}
            _write_zip(tmp, archive, replaced, audio)
            os.replace(tmp, dest)
        except OSError as exc:
            raise OutputError.from_os_error(dest, exc) from exc
        finally:
            tmp.unlink(missing_ok=True)
            for path in work_dir.glob(f".readalong-*.m4a{PARTIAL_SUFFIX}"):
                path.unlink(missing_ok=True)
    overlays = len({p.document for p in placed})
    return ReadAlongBuild(dest, overlays, len(placed), len(order) - len(placed))


def _overlay(package: _Package, docs: list[DocumentSkeleton], members: list[str], placed: list,
             where: dict[str, tuple[int, int, int]], chapters: Sequence[ChapterSound]
             ) -> tuple[dict[str, bytes], dict[str, int]]:
    """New bytes of changed members (documents, package, SMIL, CSS) and audio members -> chapter position."""
    assets = posixpath.join(package.dir, ASSET_DIR)
    css = posixpath.join(assets, CSS_NAME)
    replaced: dict[str, bytes] = {css: CSS_TEXT.encode("utf-8")}
    package.add(css, "text/css")
    audio_of: dict[int, str] = {}
    for p in placed:
        position = where[p.key][0]
        if position not in audio_of:
            audio_of[position] = posixpath.join(assets, f"chapter-{chapters[position].timings.index:04d}.m4a")
            package.add(audio_of[position], "audio/mp4")
    total_ms = 0
    for d in sorted({p.document for p in placed}):
        doc_member = members[d]
        smil_member = posixpath.join(assets, posixpath.basename(doc_member).rsplit(".", 1)[0] + f"-{d}.smil")
        pars = []
        for p in (p for p in placed if p.document == d):
            position, start, end = where[p.key]
            rate = chapters[position].timings.sample_rate
            pars.append((p.span_id, audio_of[position], start * _MS // rate, end * _MS // rate))
        replaced[smil_member] = _smil(smil_member, doc_member, pars)
        smil_id = package.add(smil_member, "application/smil+xml")
        item = package.items.get(doc_member)
        if item is None or item.get("media-type") != XHTML_MEDIA_TYPE:
            raise ReadAlongError(f"{doc_member}: not an XHTML item of the package")
        item.set("media-overlay", smil_id)
        duration = sum(end - begin for _, _, begin, end in pars)
        package.meta("media:duration", clock(duration), refines=smil_id)
        total_ms += duration
        _link_css(docs[d].root, _rel(doc_member, css))
        replaced[doc_member] = _serialize(docs[d].root)
    package.meta("media:duration", clock(total_ms))
    package.meta("media:active-class", ACTIVE_CLASS)
    replaced[package.member] = _serialize(package.root)
    return replaced, {member: position for position, member in audio_of.items()}


def _mp4_audio(segment: Segment, work_dir: Path, position: int) -> Path:
    """The chapter's AAC frames in an MP4 file (no re-encoding)."""
    out = work_dir / f".readalong-{position}.m4a{PARTIAL_SUFFIX}"
    run_ffmpeg(["-i", str(segment.path), "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(out)], "write", out)
    return out


def _write_zip(path: Path, archive: SafeZip, replaced: dict[str, bytes], audio: dict[str, Path]) -> None:
    """The package as a zip: ``mimetype`` first and stored, then every member, changed ones replaced."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(zipfile.ZipInfo(MIMETYPE), b"application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name in archive.names():
            if name != MIMETYPE:
                out.writestr(name, replaced.pop(name) if name in replaced else archive.read(name))
        for name, data in replaced.items():
            out.writestr(name, data)
        for name, source in audio.items():
            out.write(source, name, compress_type=zipfile.ZIP_STORED)

