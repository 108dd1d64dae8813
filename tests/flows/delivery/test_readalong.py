"""Read-along EPUB 3: spoken sentences marked, SMIL clips at their audio, valid by epubcheck, unread text untouched."""
from __future__ import annotations

import posixpath
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from flows.audio.assemble import LineSpan
from flows.audio.ffmpeg import encode_aac_file
from flows.delivery.m4b import Segment, adts_frames, chapter_segment
from flows.delivery.readalong import ChapterSound, ReadAlongError, build_readalong, span_id
from flows.delivery.sentence_marks import skeleton
from flows.delivery.timings import ChapterTimings, PartTimings
from tests.flows.delivery.conftest import assemble_epub_book, decode
from tests.flows.delivery.tones import assert_span_holds_tone
from text_prep.ingest.load import load_book

SMIL = "{http://www.w3.org/ns/SMIL}"
CHILDRENS = Path("epub/idpf/childrens-literature.epub")


def epubcheck_command() -> list[str] | None:
    """Debian's epubcheck (a jar behind /usr/bin/epubcheck) run through java, or None when absent."""
    found = shutil.which("epubcheck")
    if found is None:
        return None
    target = Path(found).resolve()
    if target.suffix == ".jar":
        return [java, "-jar", str(target)] if (java := shutil.which("java")) else None
    return [found]


def assert_epubcheck_passes(path: Path) -> None:
    command = epubcheck_command()
    if command is None:
        pytest.skip("epubcheck is not installed (apt-get install epubcheck)")
    result = subprocess.run([*command, str(path)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and "No errors or warnings detected" in result.stdout, result.stdout + result.stderr


def read_overlays(path: Path) -> tuple[zipfile.ZipFile, list[tuple[str, str, str, float, float]]]:
    """The package and every par: (document member, span id, audio member, clipBegin s, clipEnd s)."""
    package = zipfile.ZipFile(path)
    pars = []
    for name in package.namelist():
        if name.endswith(".smil"):
            root = etree.fromstring(package.read(name))
            for par in root.iter(f"{SMIL}par"):
                text, audio = par.find(f"{SMIL}text"), par.find(f"{SMIL}audio")
                doc, _, frag = text.get("src").partition("#")
                pars.append((posixpath.normpath(posixpath.join(posixpath.dirname(name), doc)), frag,
                             posixpath.normpath(posixpath.join(posixpath.dirname(name), audio.get("src"))),
                             _seconds(audio.get("clipBegin")), _seconds(audio.get("clipEnd"))))
    return package, pars


def _seconds(clock: str) -> float:
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def element_text(package: zipfile.ZipFile, member: str, element_id: str) -> str:
    """The text of the element with ``element_id``, note references left out (the narrator skips them)."""
    root = etree.fromstring(package.read(member))
    found = root.xpath("//*[@id=$id]", id=element_id)
    assert len(found) == 1, f"{member}#{element_id}"
    for ref in found[0].xpath(".//*[@epub:type='noteref']", namespaces={"epub": "http://www.idpf.org/2007/ops"}):
        ref.text = None
    return "".join(found[0].itertext())


@pytest.fixture(scope="module")
def garden(tmp_path_factory):
    """The test EPUB assembled for real with one tone per line, its chapter segments and its read-along EPUB."""
    root = tmp_path_factory.mktemp("garden")
    book = assemble_epub_book(root)
    sounds = [ChapterSound(t, chapter_segment(a, root / "segments")) for t, a in book.chapters()]
    build = build_readalong(book.epub, sounds, root / "garden-readalong.epub", root / "work")
    return book.epub, book.book, sounds, book.freqs, build


def test_every_spoken_sentence_is_marked_and_its_clip_holds_its_tone(garden):
    _, book, sounds, freqs, build = garden
    spoken = {str(s.id): s.text for c in book.chapters if c.kind == "body" for s in c.sentences()}
    assert build.marked == len(spoken) and build.unmarked == 0 and build.overlays == 2
    package, pars = read_overlays(build.path)
    assert sorted(frag for _, frag, _, _, _ in pars) == sorted(span_id(label) for label in spoken)
    decoded = {}
    for doc, frag, audio, begin, end in pars:
        label = next(label for label in spoken if span_id(label) == frag)
        assert skeleton(element_text(package, doc, frag)) == skeleton(spoken[label])
        if audio not in decoded:
            (Path(build.path.parent) / "a.m4a").write_bytes(package.read(audio))
            decoded[audio] = decode(build.path.parent / "a.m4a", 44100)
        samples = decoded[audio]
        assert 0 <= begin < end <= samples.size / 44100                       # the clip lies inside its audio
        assert_span_holds_tone(samples, 44100, round(begin * 1000), round(end * 1000), freqs[label], list(freqs.values()))


def test_inline_elements_shared_by_two_sentences_are_cut_in_two(garden):
    package = zipfile.ZipFile(garden[4].path)
    first, second = (package.read(f"OEBPS/text/c{i}.xhtml").decode() for i in (1, 2))
    assert '<em>sun rose. </em></span><span id="bookvoice-s1-2-1"><em>Then</em> a child came by.</span>' in first
    assert ('<span id="bookvoice-s2-2-0">They watched <strong class="x" id="w">until <em>dark. </em></strong></span>'
            '<span id="bookvoice-s2-2-1"><strong class="x"><em>Stars</em> came</strong> out.</span>') in second


def test_unread_text_stays_without_marks_and_the_package_declares_overlays(garden):
    _, _, _, _, build = garden
    package = zipfile.ZipFile(build.path)
    assert package.namelist()[0] == "mimetype" and package.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
    chapter = package.read("OEBPS/text/c1.xhtml").decode()
    assert "A footnote the narrator does not read." in chapter
    root = etree.fromstring(package.read("OEBPS/text/c1.xhtml"))
    assert not root.xpath("//*[local-name()='aside']//*[starts-with(@id, 'bookvoice-')]")
    assert not root.xpath("//*[local-name()='a'][starts-with(@id, 'bookvoice-')]")
    assert 'href="../bookvoice/readalong.css"' in chapter
    assert "bookvoice-" not in package.read("OEBPS/nav.xhtml").decode()
    opf = package.read("OEBPS/content.opf").decode()
    assert 'media-overlay="' in opf and "media:active-class" in opf and opf.count('property="media:duration"') == 3


def test_the_books_description_and_date_are_read_for_the_tags(garden):
    metadata = garden[1].metadata
    assert metadata.description == "A garden of tones & ponds." and metadata.date == "2021-05-04"


def test_read_along_epub_passes_epubcheck(garden):
    assert_epubcheck_passes(garden[4].path)


def test_epub2_is_refused(tmp_path, garden):
    epub = tmp_path / "old.epub"
    with zipfile.ZipFile(garden[0]) as src, zipfile.ZipFile(epub, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(info, data.replace(b'version="3.0"', b'version="2.0"') if info.filename.endswith(".opf") else data)
    with pytest.raises(ReadAlongError):
        build_readalong(epub, garden[2], tmp_path / "out.epub", tmp_path / "work")


def test_childrens_literature_read_along_passes_epubcheck(tmp_path, corpora_dir):
    if not (corpora_dir / CHILDRENS).is_file():
        pytest.skip(f"{CHILDRENS} not found in the shared corpora")
    epub, rate = corpora_dir / CHILDRENS, 44100
    sounds = []
    for chapter in (c for c in load_book(epub).chapters if c.kind == "body"):
        spans, position = [], rate // 2
        for s in chapter.sentences():                              # 20 ms per sentence: audio need not be speech
            spans.append(LineSpan(str(s.id), s.text, position, position + rate // 50))
            position += rate // 40
        n = position + rate // 2
        segment = tmp_path / f"{chapter.index}.aac"
        encode_aac_file(iter([np.zeros(n, np.float32)]), segment, rate, "64k")
        timings = ChapterTimings(chapter.index, chapter.title, rate, (PartTimings("x.mp3", n, tuple(spans)),))
        sounds.append(ChapterSound(timings, Segment(segment, adts_frames(segment), True)))
    build = build_readalong(epub, sounds, tmp_path / "children.epub", tmp_path / "work")
    assert build.marked > 0.98 * (build.marked + build.unmarked)
    package, pars = read_overlays(build.path)
    seconds = {f"chapter-{s.timings.index:04d}.m4a": s.segment.n_samples / rate for s in sounds}
    assert len(pars) == build.marked
    for _, _, audio, begin, end in pars:
        assert 0 <= begin < end <= seconds[posixpath.basename(audio)]        # each clip lies inside its audio
    assert_epubcheck_passes(build.path)
