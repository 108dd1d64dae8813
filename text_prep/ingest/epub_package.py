"""An EPUB's package (metadata, spine, navigation files) read with ebooklib over a checked archive."""
from __future__ import annotations

import html
import logging
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

from ebooklib import epub as ebooklib_epub
from lxml import etree

from text_prep.book import BookMetadata
from text_prep.errors import BookError
from text_prep.ingest.safexml import UnsafeXmlError, local_name, parse_xml
from text_prep.ingest.safezip import SafeZip, member_key

log = logging.getLogger(__name__)

CONTAINER = "META-INF/container.xml"
ENCRYPTION = "META-INF/encryption.xml"
OPF_NAMESPACE = "http://www.idpf.org/2007/opf"
OPF_MEDIA_TYPE = "application/oebps-package+xml"
NCX_MEDIA_TYPE = "application/x-dtbncx+xml"
CONTENT_MEDIA_TYPES = frozenset(
    {"application/xhtml+xml", "text/html", "application/x-dtbook+xml", "text/x-oeb1-document", "application/xml"}
)
_FONT_EXTENSIONS = (".otf", ".ttf", ".woff", ".woff2")
_FONT_OBFUSCATION = frozenset({"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"})


@dataclass
class SpineDocument:
    """A content document in reading order."""

    path: str
    content: bytes
    linear: bool = True


@dataclass
class EpubPackage:
    """What the readers need from the OPF package, with member paths relative to the archive root."""

    metadata: BookMetadata
    opf_path: str
    documents: list[SpineDocument]
    nav: tuple[str, bytes] | None = None
    ncx: tuple[str, bytes] | None = None
    guide: list[dict[str, str]] = field(default_factory=list)
    encrypted: frozenset[str] = frozenset()  # members that cannot be read (encrypted, not obfuscated fonts)


def load_package(path: Path, archive: SafeZip) -> EpubPackage:
    """Validate container and package, note encrypted members, then load the package with ebooklib."""
    opf_path = _package_path(path, archive)
    encrypted = _encrypted_members(path, archive)
    if opf_path in encrypted:
        raise BookError(path, "DRM-encrypted EPUB (the package document is encrypted)")
    _check_package(path, archive, opf_path)
    reader = _CheckedReader(path, archive, opf_path, encrypted)
    try:
        book = reader.load()
    except (ebooklib_epub.EpubException, etree.LxmlError, KeyError, AttributeError, TypeError, ValueError) as exc:
        raise BookError(path, f"malformed package document {opf_path} ({exc.__class__.__name__}: {exc})") from exc
    opf_dir = posixpath.dirname(opf_path)

    def member(item: ebooklib_epub.EpubItem) -> str:
        return member_key(posixpath.join(opf_dir, item.file_name))

    documents = _spine_documents(book, member, reader.missing)
    nav_item = next((i for i in book.get_items() if isinstance(i, ebooklib_epub.EpubNav)), None)
    ncx_item = book.get_item_with_id(reader.spine_toc) if reader.spine_toc else None
    if ncx_item is None or ncx_item.media_type != NCX_MEDIA_TYPE:
        ncx_item = next((i for i in book.get_items() if i.media_type == NCX_MEDIA_TYPE), None)
    return EpubPackage(
        metadata=_metadata(book),
        opf_path=opf_path,
        documents=documents,
        nav=(member(nav_item), nav_item.content) if nav_item is not None and nav_item.content else None,
        ncx=(member(ncx_item), ncx_item.content) if ncx_item is not None and ncx_item.content else None,
        guide=[g for g in getattr(book, "guide", []) if isinstance(g, dict)],
        encrypted=frozenset(encrypted),
    )


class _CheckedReader(ebooklib_epub.EpubReader):
    """ebooklib's reader fed from a SafeZip: missing members warn instead of failing; we parse TOCs ourselves."""

    def __init__(self, path: Path, archive: SafeZip, opf_path: str, encrypted: dict[str, str]) -> None:
        super().__init__(str(path), {"ignore_ncx": True})
        self.archive = archive
        self.opf_file = opf_path
        self.opf_dir = posixpath.dirname(opf_path)
        self.encrypted = encrypted
        self.missing: set[str] = set()
        self.spine_toc = ""

    def _load(self) -> None:
        self._load_opf_file()

    def read_file(self, name: str) -> bytes:
        name = member_key(name)
        if name in self.encrypted:
            if not name.lower().endswith(_FONT_EXTENSIONS):  # fonts are never read anyway
                log.warning("%s: cannot read %s: encrypted (%s); skipping it",
                            self.file_name, name, self.encrypted[name] or "unknown algorithm")
            return b""
        if name in self.archive:
            return self.archive.read(name)
        if name == self.opf_file:
            raise KeyError(name)
        if name not in self.missing:
            log.warning("%s: manifest item missing from the archive: %s", self.file_name, name)
            self.missing.add(name)
        return b""

    def _load_spine(self) -> None:
        spine = self.container.find(f"{{{OPF_NAMESPACE}}}spine")
        self.book.spine = [(t.get("idref"), t.get("linear", "yes")) for t in spine if local_name(t) == "itemref"]
        self.spine_toc = spine.get("toc", "")

    def _parse_ncx(self, data: bytes) -> None:
        """Not used: text_prep.ingest.epub_toc reads the NCX with a stricter, fault-tolerant parser."""

    def _parse_nav(self, data: bytes, base_path: str, navtype: str = "toc") -> None:
        """Not used: text_prep.ingest.epub_toc reads the nav document."""


def _parse_member(path: Path, archive: SafeZip, member: str, label: str) -> etree._Element:
    """The parsed XML of archive ``member``; a BookError naming ``label`` when it cannot be read."""
    try:
        return parse_xml(archive.read(member), recover=True)
    except (etree.XMLSyntaxError, UnsafeXmlError) as exc:
        raise BookError(path, f"unreadable {label} ({exc})") from exc


def _package_path(path: Path, archive: SafeZip) -> str:
    """The OPF member named by META-INF/container.xml."""
    if CONTAINER not in archive:
        raise BookError(path, f"not an EPUB: {CONTAINER} is missing")
    container = _parse_member(path, archive, CONTAINER, CONTAINER)
    rootfiles = [el for el in container.iter() if local_name(el) == "rootfile" and (el.get("full-path") or "").strip()]
    if not rootfiles:
        raise BookError(path, f"{CONTAINER} names no package document")
    chosen = next((r for r in rootfiles if r.get("media-type") == OPF_MEDIA_TYPE), rootfiles[0])
    if chosen.get("media-type") != OPF_MEDIA_TYPE:
        log.warning("%s: rootfile media-type is %r, reading it anyway", path, chosen.get("media-type"))
    return posixpath.normpath(chosen.get("full-path").strip())


def _check_package(path: Path, archive: SafeZip, opf_path: str) -> None:
    """Refuse packages without metadata, manifest or spine before ebooklib sees them."""
    if opf_path not in archive:
        raise BookError(path, f"package document {opf_path} is missing")
    root = _parse_member(path, archive, opf_path, f"package document {opf_path}")
    if root.tag != f"{{{OPF_NAMESPACE}}}package":
        raise BookError(path, f"{opf_path} is not an OPF 2/3 package document (legacy OEBPS 1.x is not supported)")
    children = {local_name(c): c for c in root}
    for required in ("metadata", "manifest", "spine"):
        if required not in children:
            raise BookError(path, f"package document has no <{required}>")
    if not any(local_name(i) == "itemref" for i in children["spine"]):
        raise BookError(path, "package spine is empty")


def _encrypted_members(path: Path, archive: SafeZip) -> dict[str, str]:
    """Members META-INF/encryption.xml lists, with their algorithm (fonts obfuscated the standard ways excepted)."""
    if ENCRYPTION not in archive:
        return {}
    root = _parse_member(path, archive, ENCRYPTION, ENCRYPTION)
    encrypted: dict[str, str] = {}
    for data in root.iter():
        if local_name(data) != "encrypteddata":
            continue
        method = next((e.get("Algorithm", "") for e in data.iter() if local_name(e) == "encryptionmethod"), "")
        for ref in (e for e in data.iter() if local_name(e) == "cipherreference"):
            uri = member_key(unquote(ref.get("URI", "").strip()))
            if not (method in _FONT_OBFUSCATION and uri.lower().endswith(_FONT_EXTENSIONS)):
                encrypted[uri] = method
    return encrypted


def _spine_documents(
    book: ebooklib_epub.EpubBook, member: Callable[[ebooklib_epub.EpubItem], str], missing: set[str]
) -> list[SpineDocument]:
    """Content documents of the spine in order; unknown, repeated or missing ones are skipped with a warning."""
    documents: list[SpineDocument] = []
    seen: set[str] = set()
    for idref, linear in book.spine:
        item = book.get_item_with_id(idref) or next(
            (i for i in book.get_items() if (i.id or "").strip() == (idref or "").strip()), None
        )
        if item is None:
            log.warning("%s: spine item %r is not in the manifest", book.title, idref)
            continue
        name = member(item)
        if item.media_type not in CONTENT_MEDIA_TYPES or name in seen or name in missing or not item.content:
            if name not in missing:
                log.warning("%s: skipping spine item %s (%s)", book.title, name, item.media_type)
            continue
        seen.add(name)
        documents.append(SpineDocument(name, item.content, linear != "no"))
    return documents


def _metadata(book: ebooklib_epub.EpubBook) -> BookMetadata:
    """Title, authors, language, identifier, cover image, description and date from the package metadata."""

    def values(name: str) -> list[str]:
        return [" ".join(v.split()) for v, _ in book.get_metadata("DC", name) if v and v.strip()]

    cover = next((i for i in book.get_items() if isinstance(i, ebooklib_epub.EpubCover) and i.content), None)
    if cover is None:
        for _, attrs in book.get_metadata("OPF", "cover"):
            item = book.get_item_with_id((attrs or {}).get("content", ""))
            if item is not None and item.media_type.startswith("image/") and item.content:
                cover = item
    identifiers = values("identifier")
    return BookMetadata(
        title=(values("title") or [""])[0],
        authors=values("creator"),
        language=(values("language") or [""])[0],
        identifier=(book.uid or "").strip() or (identifiers or [""])[0],
        cover_image=cover.content if cover is not None else None,
        cover_media_type=cover.media_type if cover is not None else "",
        description=_plain((values("description") or [""])[0]),
        date=(values("date") or [""])[0],
    )


def _plain(text: str) -> str:
    """Text with any HTML tags a description carries removed and entities decoded."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", text)).split())
