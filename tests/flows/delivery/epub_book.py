"""A small valid EPUB 3 for read-along tests: nav, two chapter documents, a footnote, page numbers, inline markup."""
from __future__ import annotations

import zipfile
from pathlib import Path

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""
OPF = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="uid">urn:uuid:5d0f3c1e-3a51-4c2b-9a57-4b3a4f6b2a10</dc:identifier>
<dc:title>The Tone Garden</dc:title><dc:creator>A. Writer</dc:creator><dc:language>en</dc:language>
<dc:description>A &lt;b&gt;garden&lt;/b&gt; of tones &amp;amp; ponds.</dc:description><dc:date>2021-05-04</dc:date>
<meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>
</metadata>
<manifest>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="c1" href="text/c1.xhtml" media-type="application/xhtml+xml"/>
<item id="c2" href="text/c2.xhtml" media-type="application/xhtml+xml"/>
<item id="css" href="style.css" media-type="text/css"/>
</manifest>
<spine><itemref idref="nav"/><itemref idref="c1"/><itemref idref="c2"/></spine>
</package>"""
PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">
<head><title>{title}</title><link rel="stylesheet" type="text/css" href="{css}"/></head>
<body>{body}</body>
</html>"""
NAV = """<nav epub:type="toc" id="toc"><h1>Contents</h1><ol>
<li><a href="text/c1.xhtml">The Gate</a></li><li><a href="text/c2.xhtml">The Pond</a></li></ol></nav>"""
CHAPTER_1 = """<section epub:type="chapter"><h1>The Gate</h1>
<p>The gate was <em>old and green</em>. It creaked<a epub:type="noteref" href="#n1">1</a> when the
wind   blew, <span epub:type="pagebreak" id="p2" title="2"/>and nobody oiled it.</p>
<p>Birds sang &amp; the <em>sun rose. Then</em> a child came by.</p>
<aside epub:type="footnote" id="n1"><p>A footnote the narrator does not read.</p></aside>
</section>"""
CHAPTER_2 = """<section epub:type="chapter"><h1>The Pond</h1>
<p>“Look,” she said — “the pond is full of fish!”</p>
<p>They watched <strong class="x" id="w">until <em>dark. Stars</em> came</strong> out.</p>
</section>"""
CSS = "body { margin: 1em; }\n"


def write_epub(path: Path) -> Path:
    """Write the book to ``path`` (mimetype first, stored)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", CONTAINER)
        z.writestr("OEBPS/content.opf", OPF)
        z.writestr("OEBPS/style.css", CSS)
        z.writestr("OEBPS/nav.xhtml", PAGE.format(title="Contents", css="style.css", body=NAV))
        z.writestr("OEBPS/text/c1.xhtml", PAGE.format(title="The Gate", css="../style.css", body=CHAPTER_1))
        z.writestr("OEBPS/text/c2.xhtml", PAGE.format(title="The Pond", css="../style.css", body=CHAPTER_2))
    return path
