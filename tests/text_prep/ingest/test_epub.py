"""EPUB reading: TOC-driven chapters (fragments, nesting, spanning files), text extraction, matter kinds, faults."""
from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest

from text_prep.ingest.epub import read_epub
from text_prep.errors import BookError
from text_prep.ingest.load import load_book
from text_prep.ingest.safezip import SafeZip, ZipLimits

XHTML = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
    "<head><title>{title}</title></head><body{body_attrs}>{body}</body></html>"
)
CONTAINER = (
    '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>'
    "</container>"
)


def xhtml(body: str, title: str = "doc", body_attrs: str = "") -> str:
    """A complete XHTML content document around ``body``."""
    return XHTML.format(title=title, body=body, body_attrs=body_attrs)


def nav_doc(items: str, landmarks: str = "") -> str:
    """An EPUB 3 nav document whose toc <ol> holds ``items``."""
    marks = f'<nav epub:type="landmarks"><ol>{landmarks}</ol></nav>' if landmarks else ""
    return xhtml(f'<nav epub:type="toc"><h1>Contents</h1><ol>{items}</ol></nav>{marks}', "Contents")


def make_epub(
    path: Path,
    docs: dict[str, str],
    *,
    nav: str | None = None,
    ncx: str | None = None,
    spine: list[str] | None = None,
    extra: dict[str, bytes] | None = None,
    manifest_extra: str = "",
    metadata_extra: str = "",
    guide: str = "",
    opf: str | None = None,
    container: str | None = CONTAINER,
) -> Path:
    """Write a small EPUB: ``docs`` maps OEBPS-relative names to XHTML; spine defaults to docs' order."""
    spine = spine if spine is not None else list(docs)
    items = "".join(f'<item id="d{i}" href="{n}" media-type="application/xhtml+xml"/>' for i, n in enumerate(docs))
    if nav is not None:
        items += '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
    if ncx is not None:
        items += '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
    ids = {n: f"d{i}" for i, n in enumerate(docs)} | {"nav.xhtml": "nav"}
    refs = "".join(f'<itemref idref="{ids[n]}"/>' for n in spine)
    spine_attr = ' toc="ncx"' if ncx is not None else ""
    opf = opf or (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">'
        '<dc:identifier id="uid">urn:test:book</dc:identifier><dc:title>Test Book</dc:title>'
        f"<dc:creator>Ann Author</dc:creator><dc:language>en</dc:language>{metadata_extra}</metadata>"
        f"<manifest>{items}{manifest_extra}</manifest>"
        f"<spine{spine_attr}>{refs}</spine>"
        f"{guide}</package>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        if container is not None:
            archive.writestr("META-INF/container.xml", container)
        archive.writestr("OEBPS/content.opf", opf)
        for name, content in docs.items():
            archive.writestr(f"OEBPS/{name}", content)
        if nav is not None:
            archive.writestr("OEBPS/nav.xhtml", nav)
        if ncx is not None:
            archive.writestr("OEBPS/toc.ncx", ncx)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def titles(path: Path) -> list[str]:
    return [c.title for c in read_epub(path).chapters]


def test_toc_fragments_split_one_file_and_chapters_span_files(tmp_path: Path) -> None:
    docs = {
        "a.xhtml": xhtml('<h1 id="c1">One</h1><p>First text.</p><h1 id="c2">Two</h1><p>Second text.</p>'),
        "b.xhtml": xhtml("<p>Still chapter two, in another file.</p>"),
        "c.xhtml": xhtml('<h1 id="c3">Three</h1><p>Third text.</p>'),
    }
    nav = nav_doc(
        '<li><a href="a.xhtml#c1">One</a></li><li><a href="a.xhtml#c2">Two</a></li>'
        '<li><a href="c.xhtml">Three</a></li>'
    )
    book = read_epub(make_epub(tmp_path / "b.epub", docs, nav=nav))
    assert [c.title for c in book.chapters] == ["One", "Two", "Three"]
    assert book.chapters[1].paragraphs == ["Two", "Second text.", "Still chapter two, in another file."]
    assert book.chapters[2].paragraphs == ["Three", "Third text."]


def test_nested_toc_entries_become_chapters_in_reading_order(tmp_path: Path) -> None:
    docs = {
        "p1.xhtml": xhtml(
            '<h1>Part One</h1><p>Intro.</p><h2 id="s1">Alpha</h2><p>A.</p><h2 id="s2">Beta</h2><p>B.</p>'
        ),
        "p2.xhtml": xhtml("<h1>Part Two</h1><p>Gamma text.</p>"),
    }
    # The TOC lists Part Two before Part One's sections: reading order must win.
    nav = nav_doc(
        '<li><a href="p2.xhtml">Part Two</a></li>'
        '<li><a href="p1.xhtml">Part One</a><ol><li><a href="p1.xhtml#s1">Alpha</a></li>'
        '<li><span>Group</span><ol><li><a href="p1.xhtml#s2">Beta</a></li></ol></li></ol></li>'
    )
    assert titles(make_epub(tmp_path / "n.epub", docs, nav=nav)) == ["Part One", "Alpha", "Beta", "Part Two"]


def test_epub2_ncx_with_empty_label_uses_heading(tmp_path: Path) -> None:
    ncx = (
        '<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><navMap>'
        '<navPoint id="n1"><navLabel><text>Opening</text></navLabel><content src="a.xhtml"/>'
        '<navPoint id="n2"><navLabel><text></text></navLabel><content src="a.xhtml#x"/></navPoint></navPoint>'
        "</navMap></ncx>"
    )
    docs = {"a.xhtml": xhtml('<p>Start.</p><h2 id="x">Inner Heading</h2><p>More.</p>')}
    assert titles(make_epub(tmp_path / "e2.epub", docs, ncx=ncx)) == ["Opening", "Inner Heading"]


def test_text_extraction_keeps_text_after_images_and_drops_markers(tmp_path: Path) -> None:
    body = (
        '<p>Before <img src="x.png" alt="A map"/> after the picture.</p>'
        '<p>Claim<a epub:type="noteref" href="#n1">1</a> and<sup><a href="#n2">[2]</a></sup> more'
        '<span epub:type="pagebreak" title="12">12</span> text<span class="pagenum">[Pg 7]</span>.</p>'
        "<ul><li>Item one</li><li>Item two</li></ul>"
        "<blockquote><p>Quoted line.</p></blockquote>"
        "<table><tr><th>Name</th><td>Value</td></tr></table>"
        '<aside epub:type="footnote" id="n1"><p>The footnote body.</p></aside>'
        "<script>var x = 1;</script><p>Last&#160;line&nbsp;here.</p>"
    )
    book = read_epub(make_epub(tmp_path / "t.epub", {"a.xhtml": xhtml(body)}))
    assert book.chapters[0].paragraphs == [
        "Before after the picture.",
        "Claim and more text.",
        "Item one",
        "Item two",
        "Quoted line.",
        "Name; Value",
        "Last line here.",
    ]


def test_alt_text_is_optional(tmp_path: Path) -> None:
    path = make_epub(tmp_path / "alt.epub", {"a.xhtml": xhtml('<p>Look.</p><img src="i.png" alt="A red barn"/>')})
    assert read_epub(path).chapters[0].paragraphs == ["Look."]
    assert read_epub(path, alt_text=True).chapters[0].paragraphs == ["Look.", "A red barn"]


def test_chinese_xhtml_line_breaks_do_not_insert_spaces(tmp_path: Path) -> None:
    path = make_epub(tmp_path / "zh.epub", {"a.xhtml": xhtml("<p>天色漸漸\n    暗了下來。</p>")})
    assert read_epub(path).chapters[0].paragraphs == ["天色漸漸暗了下來。"]


def test_front_and_back_matter_are_flagged(tmp_path: Path) -> None:
    docs = {
        "cover.xhtml": xhtml('<img src="c.jpg" alt="cover"/><p>Cover text</p>', title="Cover"),
        "copy.xhtml": xhtml("<p>All rights reserved.</p>", body_attrs=' epub:type="frontmatter copyright-page"'),
        "ch1.xhtml": xhtml('<h1>Chapter 1</h1><p>Story.</p>'),
        "colo.xhtml": xhtml("<p>Set in Garamond.</p>"),
    }
    nav = nav_doc(
        '<li><a href="copy.xhtml">Copyright</a></li><li><a href="ch1.xhtml">Chapter 1</a></li>'
        '<li><a href="colo.xhtml">Colophon</a></li>',
        landmarks='<li><a epub:type="bodymatter" href="ch1.xhtml">Start</a></li>',
    )
    book = read_epub(make_epub(tmp_path / "f.epub", docs, nav=nav, spine=["cover.xhtml", *list(docs)[1:], "nav.xhtml"]))
    assert [(c.title, c.kind) for c in book.chapters] == [
        ("Cover", "front"),  # before the first TOC entry
        ("Copyright", "front"),  # epub:type on the document
        ("Chapter 1", "body"),  # the bodymatter landmark
        ("Colophon", "back"),  # its title
        ("Contents", "front"),  # the nav document, even at the end of the spine
    ]


def test_metadata_and_cover(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    path = make_epub(
        tmp_path / "m.epub",
        {"a.xhtml": xhtml("<p>Hi.</p>")},
        manifest_extra='<item id="img" href="c.png" media-type="image/png" properties="cover-image"/>',
        extra={"OEBPS/c.png": png},
    )
    meta = load_book(path).metadata
    assert (meta.title, meta.authors, meta.language) == ("Test Book", ["Ann Author"], "en")
    assert meta.identifier == "urn:test:book"
    assert meta.cover_image == png and meta.cover_media_type == "image/png"


def test_missing_toc_warns_and_uses_one_chapter_per_document(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    docs = {"a.xhtml": xhtml("<h1>Alpha</h1><p>x.</p>"), "b.xhtml": xhtml("<p>y.</p>", title="Beta")}
    with caplog.at_level(logging.WARNING):
        assert titles(make_epub(tmp_path / "no-toc.epub", docs)) == ["Alpha", "Beta"]
    assert "no table of contents" in caplog.text


def test_minor_faults_still_read_with_warnings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    docs = {"a.xhtml": xhtml('<p>Text <img src="gone.png"/> and <a href="nowhere.xhtml#x">a link</a>.</p>')}
    nav = nav_doc('<li><a href="a.xhtml#missing">Only</a></li><li><a href="gone.xhtml">Gone</a></li>')
    path = make_epub(
        tmp_path / "faults.epub",
        docs,
        nav=nav,
        manifest_extra='<item id="img" href="gone.png" media-type="image/png"/>',
    )
    with caplog.at_level(logging.WARNING):
        book = read_epub(path)
    assert [c.paragraphs for c in book.chapters] == [["Text and a link."]]
    assert "gone.png" in caplog.text and "#missing" in caplog.text and "outside the reading order" in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"container": None}, "container.xml is missing"),
        ({"container": CONTAINER.replace("OEBPS/content.opf", "")}, "names no package document"),
        ({"container": CONTAINER.replace("content.opf", "other.opf")}, "package document OEBPS/other.opf is missing"),
        ({"opf": '<package xmlns="http://www.idpf.org/2007/opf"><metadata/><manifest/></package>'}, "no <spine>"),
        ({"opf": '<package xmlns="http://www.idpf.org/2007/opf"><metadata/><manifest/><spine/></package>'}, "empty"),
        (
            {
                "extra": {
                    "META-INF/encryption.xml": (
                        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
                        '<enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
                        '<enc:CipherData><enc:CipherReference URI="OEBPS/a.xhtml"/></enc:CipherData>'
                        "</enc:EncryptedData></encryption>"
                    ).encode()
                }
            },
            "DRM-encrypted",
        ),
    ],
)
def test_broken_packages_raise_book_error(tmp_path: Path, kwargs: dict, problem: str) -> None:
    path = make_epub(tmp_path / "bad.epub", {"a.xhtml": xhtml("<p>x.</p>")}, **kwargs)
    with pytest.raises(BookError, match=problem):
        read_epub(path)


def test_obfuscated_fonts_are_not_drm(tmp_path: Path) -> None:
    encryption = (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
        '<enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/>'
        '<enc:CipherData><enc:CipherReference URI="OEBPS/font.otf"/></enc:CipherData></enc:EncryptedData></encryption>'
    )
    docs = {"a.xhtml": xhtml("<p>Readable.</p>")}
    path = make_epub(tmp_path / "font.epub", docs, extra={"META-INF/encryption.xml": encryption.encode()})
    assert read_epub(path).chapters[0].paragraphs == ["Readable."]


def test_entity_declarations_are_refused_not_expanded(tmp_path: Path) -> None:
    evil = (
        '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Hi &x;</p></body></html>'
    )
    path = make_epub(tmp_path / "xxe.epub", {"a.xhtml": evil, "b.xhtml": xhtml("<p>Safe.</p>")})
    book = read_epub(path)
    text = " ".join(p for c in book.chapters for p in c.paragraphs)
    assert "root:" not in text and text == "Safe."


def test_corrupt_zip_and_hostile_archives(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.epub"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(BookError, match="not a readable zip"):
        read_epub(corrupt)

    escape = tmp_path / "escape.epub"
    with zipfile.ZipFile(escape, "w") as archive:
        archive.writestr("../../evil.txt", "x")
    with pytest.raises(BookError, match="escapes the archive"):
        read_epub(escape)

    bomb = tmp_path / "bomb.epub"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("OEBPS/big.xhtml", b"\0" * (4 * 1024 * 1024))
    with pytest.raises(BookError, match="zip bomb"):
        read_epub(bomb)
    with pytest.raises(BookError, match="too large"):
        SafeZip(bomb, ZipLimits(max_member_bytes=1024))


# Valid EPUBs that used to be refused (issue 12): epubcheck 4.2 reports no error for any of these fixtures.
EPUB3_MODIFIED = '<meta property="dcterms:modified">2024-01-01T00:00:00Z</meta>'
UNKNOWN_CIPHER = "urn:example:vendor-cipher"


def encryption_xml(*uris: str, algorithm: str = UNKNOWN_CIPHER) -> bytes:
    refs = "".join(
        f'<enc:EncryptedData><enc:EncryptionMethod Algorithm="{algorithm}"/>'
        f'<enc:CipherData><enc:CipherReference URI="{uri}"/></enc:CipherData></enc:EncryptedData>'
        for uri in uris
    )
    return (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        f'xmlns:enc="http://www.w3.org/2001/04/xmlenc#">{refs}</encryption>'
    ).encode()


def encrypted_picture_epub(path: Path) -> Path:
    docs = {"a.xhtml": xhtml('<h1 id="c1">One</h1><p>Readable text.</p><img src="pic.png" alt="a picture"/>')}
    return make_epub(
        path, docs, nav=nav_doc('<li><a href="a.xhtml#c1">One</a></li>'), spine=["a.xhtml"],
        manifest_extra='<item id="pic" href="pic.png" media-type="image/png"/>', metadata_extra=EPUB3_MODIFIED,
        extra={"META-INF/encryption.xml": encryption_xml("OEBPS/pic.png"), "OEBPS/pic.png": b"\x00sealed" * 8},
    )


class _ZipInfoWithoutUtf8Flag(zipfile.ZipInfo):
    """Writes a UTF-8 name without setting the zip UTF-8 flag, as some EPUB tools do."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("utf-8"), self.flag_bits & ~0x800


def unicode_names_epub(path: Path, archive_form: str, package_form: str, utf8_flag: bool = True) -> Path:
    """An EPUB whose content file is named "café.xhtml" in one Unicode form in the archive, another in the OPF/nav."""
    archive_name = unicodedata.normalize(archive_form, "café.xhtml")
    name = unicodedata.normalize(package_form, "café.xhtml")
    make_epub(path, {name: xhtml('<h1 id="c1">Café</h1><p>Composed names.</p>')},
              nav=nav_doc(f'<li><a href="{name}#c1">Café</a></li>'), spine=[name], metadata_extra=EPUB3_MODIFIED)
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            name_out = "OEBPS/" + archive_name if info.filename.endswith(name) else info.filename
            out = zipfile.ZipInfo(name_out, info.date_time) if utf8_flag else _ZipInfoWithoutUtf8Flag(name_out, info.date_time)
            archive.writestr(out, data)
    return path


def test_unknown_encryption_of_a_picture_warns_and_reads_the_text(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        book = read_epub(encrypted_picture_epub(tmp_path / "sealed-picture.epub"))
    assert [c.paragraphs for c in book.chapters] == [["One", "Readable text."]]
    assert "OEBPS/pic.png" in caplog.text and UNKNOWN_CIPHER in caplog.text


def test_some_encrypted_documents_are_skipped_and_all_encrypted_is_refused(tmp_path: Path,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    docs = {"a.xhtml": xhtml("<p>Sealed.</p>"), "b.xhtml": xhtml("<p>Open.</p>")}
    partly = make_epub(tmp_path / "partly.epub", docs, extra={"META-INF/encryption.xml": encryption_xml("OEBPS/a.xhtml")})
    with caplog.at_level(logging.WARNING):
        assert [p for c in read_epub(partly).chapters for p in c.paragraphs] == ["Open."]
    assert "cannot read OEBPS/a.xhtml" in caplog.text
    sealed = make_epub(tmp_path / "sealed.epub", docs,
                       extra={"META-INF/encryption.xml": encryption_xml("OEBPS/a.xhtml", "OEBPS/b.xhtml")})
    with pytest.raises(BookError, match="DRM-encrypted"):
        read_epub(sealed)


@pytest.mark.parametrize(
    ("archive_form", "package_form", "utf8_flag"),
    [("NFC", "NFD", True), ("NFD", "NFC", True), ("NFD", "NFD", False), ("NFC", "NFC", False)],
)
def test_unicode_file_names_in_either_form_and_without_the_utf8_flag(
    tmp_path: Path, archive_form: str, package_form: str, utf8_flag: bool
) -> None:
    path = unicode_names_epub(tmp_path / "names.epub", archive_form, package_form, utf8_flag)
    book = read_epub(path)
    assert [(c.title, c.paragraphs) for c in book.chapters] == [("Café", ["Café", "Composed names."])]


def test_issue12_fixtures_are_valid_for_epubcheck(tmp_path: Path) -> None:
    jar = shutil.which("epubcheck")
    java = shutil.which("java")
    if jar is None or java is None:
        pytest.skip("epubcheck (Debian package) and java are not installed")
    for path in (encrypted_picture_epub(tmp_path / "sealed-picture.epub"),
                 unicode_names_epub(tmp_path / "names.epub", "NFD", "NFD", utf8_flag=False)):
        run = subprocess.run([java, "-jar", jar, str(path)], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and "0 errors" in run.stdout + run.stderr, run.stdout + run.stderr
