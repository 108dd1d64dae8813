"""load_book: dispatch, options, ids and context windows; the real books and EPUB samples of the corpora."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.text_prep.ingest.test_epub import make_epub, xhtml
from text_prep.book import SentenceId
from text_prep.errors import BookError
from text_prep.ingest.load import IngestOptions, load_book


def test_context_windows_cross_paragraphs_but_not_chapters(tmp_path: Path) -> None:
    text = "Chapter 1\n\nOne. Two.\n\nThree.\n\nChapter 2\n\nFour. Five.\n"
    (tmp_path / "b.txt").write_text(text)
    book = load_book(tmp_path / "b.txt")
    first, second = book.chapters
    three = first.paragraphs[1].sentences[0]
    assert three.id == SentenceId(0, 1, 0) and three.text == "Three."
    assert three.context_before == ("One.", "Two.") and three.context_after == ()
    four = second.paragraphs[0].sentences[0]
    assert four.id == SentenceId(1, 0, 0)
    assert four.context_before == () and four.context_after == ("Five.",)
    assert [str(s.id) for s in book.sentences()] == ["0.0.0", "0.0.1", "0.1.0", "1.0.0", "1.0.1"]


def test_dispatch_is_by_content_not_extension(tmp_path: Path) -> None:
    epub = make_epub(tmp_path / "really-an-epub.txt", {"a.xhtml": xhtml("<p>From the EPUB.</p>")})
    assert load_book(epub).chapters[0].paragraphs[0].text == "From the EPUB."
    text = tmp_path / "plain.epub"
    text.write_text("Just text. Nothing else.")
    with pytest.raises(BookError, match="not a readable zip"):
        load_book(text)


def test_sentence_limits_are_options(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("天色漸暗，" * 12 + "眾人回家。")
    default = [s.text for s in load_book(tmp_path / "long.txt").sentences()]
    short = [s.text for s in load_book(tmp_path / "long.txt", max_sentence_chars=12).sentences()]
    assert len(default) == 2 and len(short) > len(default)
    with pytest.raises(ValueError):
        IngestOptions(max_sentence_words=1)


def test_missing_and_non_regular_files(tmp_path: Path) -> None:
    with pytest.raises(BookError, match="no such file"):
        load_book(tmp_path / "absent.epub")
    with pytest.raises(BookError, match="not a regular file"):
        load_book(tmp_path)


def test_punctuation_only_paragraphs_are_not_sentences(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("Chapter 1\n\nHello there.\n\n— —\n\nBye now.\n")
    book = load_book(tmp_path / "p.txt")
    assert [p.text for p in book.chapters[0].paragraphs] == ["Hello there.", "Bye now."]


@pytest.mark.parametrize(
    ("relative", "expected_titles"),
    [
        ("en/pg11.txt", [f"CHAPTER {r}." for r in "I II III IV V VI VII VIII IX X XI XII".split()]),
        ("en/pg84.txt", [f"Letter {i}" for i in range(1, 5)] + [f"Chapter {i}" for i in range(1, 25)]),
    ],
)
def test_english_corpus_books(corpora_dir: Path, relative: str, expected_titles: list[str]) -> None:
    book = load_book(corpora_dir / "books" / relative)
    body = [c for c in book.chapters if c.kind == "body"]
    assert [c.title.split(" ", 2)[:2] for c in body] == [t.split(" ") for t in expected_titles]
    assert all(len(list(c.sentences())) > 10 for c in body)


def test_journey_to_the_west_has_100_chapters(corpora_dir: Path) -> None:
    book = load_book(corpora_dir / "books/zh-traditional/pg23962.txt")
    body = [c for c in book.chapters if c.kind == "body"]
    assert len(body) == 100
    assert body[0].title.startswith("第一回") and body[-1].title.startswith("第一○○回")
    assert book.metadata.language == "zh"
    sentences = [s.text for s in book.sentences()]
    assert max(len(s) for s in sentences) < 120
    assert not any(s.startswith(("，", "。", "」")) for s in sentences)


def _toc_labels(epub: Path) -> list[str]:
    """TOC labels read independently of text_prep: nav <a> texts, else NCX navLabel texts."""
    import zipfile

    with zipfile.ZipFile(epub) as archive:
        names = archive.namelist()
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
        for name in names:
            if not name.endswith((".xhtml", ".html")):
                continue
            root = etree.fromstring(archive.read(name), parser)
            navs = root.xpath('//*[local-name()="nav"][contains(@*[local-name()="type"], "toc")]')
            if navs:
                return [" ".join("".join(a.itertext()).split()) for a in navs[0].iterfind(".//{*}a")]
        ncx = next(n for n in names if n.endswith(".ncx"))
        root = etree.fromstring(archive.read(ncx), parser)
        return [" ".join("".join(t.itertext()).split()) for t in root.iterfind(".//{*}navLabel")]


def test_sample_epubs_chapter_titles_follow_their_toc(corpora_dir: Path) -> None:
    samples = sorted((corpora_dir / "epub/idpf").glob("*.epub")) + sorted((corpora_dir / "epub/bmaupin").glob("*.epub"))
    assert samples
    for epub in samples:
        labels = _toc_labels(epub)
        book = load_book(epub)
        titles = [c.title for c in book.chapters]
        # Every chapter but those before the first TOC entry (cover, title page) carries TOC labels, in order.
        toc_chapters = [t for t in titles if any(part in labels for part in t.split(": "))]
        assert toc_chapters, epub.name
        flattened = [part for t in toc_chapters for part in t.split(": ")]
        assert flattened == [label for label in labels if label in flattened], epub.name
        assert len(flattened) >= 0.9 * len(labels) or epub.name == "epub30-spec.epub", epub.name


def test_moby_dick_reads_all_chapters(corpora_dir: Path) -> None:
    book = load_book(corpora_dir / "epub/idpf/moby-dick.epub")
    body = [c for c in book.chapters if c.kind == "body"]
    assert body[0].title == "Chapter 1. Loomings." and body[0].paragraphs[1].sentences[0].text == "Call me Ishmael."
    assert sum(1 for c in body if c.title.startswith("Chapter ")) == 135
    assert book.metadata.cover_image and book.metadata.authors == ["Herman Melville"]
