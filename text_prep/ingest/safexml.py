"""Parsing untrusted XML/XHTML safely: no entity expansion, no DTD loading, no network."""
from __future__ import annotations

import html.entities
import re

from lxml import etree
from lxml import html as lxml_html

_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


class UnsafeXmlError(ValueError):
    """The document declares entities (a billion-laughs or external-entity attack vector)."""


def _parser(recover: bool) -> etree.XMLParser:
    """A parser that never resolves entities, loads DTDs or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=recover,
    )


def parse_xml(data: bytes, *, recover: bool = False) -> etree._Element:
    """Parse XML bytes into the root element; raises etree.XMLSyntaxError or UnsafeXmlError."""
    if _ENTITY_DECLARATION.search(data[:65536]):
        raise UnsafeXmlError("document declares XML entities")
    root = etree.fromstring(data, parser=_parser(recover))
    if root is None:
        raise etree.XMLSyntaxError("no root element", None, 0, 0)
    return root


def parse_xhtml(data: bytes) -> etree._Element:
    """Parse an (X)HTML content document leniently; HTML named entities like ``&nbsp;`` are kept."""
    fixed = _NAMED_ENTITY.sub(_numeric_entity, data)
    try:
        return parse_xml(fixed, recover=True)
    except etree.XMLSyntaxError:
        return lxml_html.document_fromstring(fixed, parser=lxml_html.HTMLParser(no_network=True, remove_comments=True))


def _numeric_entity(match: re.Match) -> bytes:
    """Rewrite an HTML named entity as a numeric character reference (XML knows only five names)."""
    name = match.group(1).decode("ascii")
    if name in _XML_ENTITIES:
        return match.group(0)
    codepoint = html.entities.name2codepoint.get(name)
    return f"&#{codepoint};".encode("ascii") if codepoint is not None else b""


def local_name(element: etree._Element) -> str:
    """Lower-case tag name without namespace; "" for comments and processing instructions."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()
