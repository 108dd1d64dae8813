"""Tables of contents and landmarks: the EPUB 3 nav document, the EPUB 2 NCX and the OPF guide."""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import etree

from text_prep.ingest.html_text import epub_types
from text_prep.ingest.safezip import member_key
from text_prep.ingest.safexml import local_name, parse_xhtml, parse_xml
from text_prep.ingest.spacing import collapse_whitespace

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class TocEntry:
    """One TOC line: its label and where it points (zip member path and element id, "" for the top)."""

    title: str
    path: str
    fragment: str
    depth: int


@dataclass(frozen=True)
class Landmark:
    """A structural marker: an epub:type / guide type (cover, toc, bodymatter, ...) and its target."""

    kind: str
    path: str
    fragment: str


def resolve_href(base_path: str, href: str) -> tuple[str, str] | None:
    """Member path and fragment of ``href`` relative to ``base_path``; None for external links."""
    href = href.strip()
    if not href or _SCHEME.match(href):
        return None
    target, _, fragment = href.partition("#")
    path = member_key(posixpath.join(posixpath.dirname(base_path), unquote(target))) if target else base_path
    return path, unquote(fragment)


def parse_nav(data: bytes, nav_path: str) -> tuple[list[TocEntry], list[Landmark]]:
    """TOC entries and landmarks of an EPUB 3 navigation document."""
    root = parse_xhtml(data)
    navs = [el for el in root.iter() if local_name(el) == "nav"]
    toc_nav = next((n for n in navs if "toc" in epub_types(n) or n.get("role") == "doc-toc"), None)
    if toc_nav is None:
        toc_nav = next((n for n in navs if not epub_types(n)), None)
    entries: list[TocEntry] = []
    if toc_nav is not None:
        for top in _child_lists(toc_nav):
            _nav_list(top, nav_path, 0, entries)
    landmarks: list[Landmark] = []
    for nav in navs:
        if "landmarks" in epub_types(nav):
            for link in nav.iter():
                target = resolve_href(nav_path, link.get("href") or "") if local_name(link) == "a" else None
                if target is not None:
                    landmarks.extend(Landmark(kind, *target) for kind in epub_types(link))
    return entries, landmarks


def _child_lists(element: etree._Element) -> list[etree._Element]:
    """The outermost <ol>/<ul> elements below ``element``."""
    found: list[etree._Element] = []
    for child in element:
        if local_name(child) in ("ol", "ul"):
            found.append(child)
        elif local_name(child) not in ("li", "a"):
            found.extend(_child_lists(child))
    return found


def _nav_list(ol: etree._Element, nav_path: str, depth: int, out: list[TocEntry]) -> None:
    """Append the entries of a nav <ol> (depth first, in document order)."""
    for li in ol:
        if local_name(li) != "li":
            continue
        label = next((c for c in li if local_name(c) in ("a", "span")), None)
        if label is not None and local_name(label) == "a":
            target = resolve_href(nav_path, label.get("href") or "")
            if target is not None:
                out.append(TocEntry(collapse_whitespace("".join(label.itertext())), *target, depth))
        for sub in li:
            if local_name(sub) in ("ol", "ul"):
                _nav_list(sub, nav_path, depth + 1, out)


def parse_ncx(data: bytes, ncx_path: str) -> list[TocEntry]:
    """TOC entries of an EPUB 2 NCX navMap (nested navPoints flattened depth first)."""
    root = parse_xml(data, recover=True)
    nav_map = next((el for el in root.iter() if local_name(el) == "navmap"), None)
    entries: list[TocEntry] = []
    if nav_map is not None:
        _ncx_points(nav_map, ncx_path, 0, entries)
    return entries


def _ncx_points(parent: etree._Element, ncx_path: str, depth: int, out: list[TocEntry]) -> None:
    """Append the navPoints below ``parent``."""
    for point in parent:
        if local_name(point) != "navpoint":
            continue
        label = next((c for c in point if local_name(c) == "navlabel"), None)
        content = next((c for c in point if local_name(c) == "content"), None)
        target = resolve_href(ncx_path, content.get("src") or "") if content is not None else None
        if target is not None:
            title = collapse_whitespace("".join(label.itertext())) if label is not None else ""
            out.append(TocEntry(title, *target, depth))
        _ncx_points(point, ncx_path, depth + 1, out)


def guide_landmarks(guide: list[dict[str, str]], opf_path: str) -> list[Landmark]:
    """Landmarks from the EPUB 2 OPF <guide> (types like cover, toc, title-page, text)."""
    out: list[Landmark] = []
    for reference in guide:
        target = resolve_href(opf_path, reference.get("href") or "")
        if target is not None and reference.get("type"):
            out.append(Landmark(reference["type"].lower(), *target))
    return out
