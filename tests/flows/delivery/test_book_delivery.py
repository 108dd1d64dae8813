"""Project delivery: book info from the project and book, and no work when nothing it is made from changed."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from flows.config.project import VoiceConfig
from flows.delivery import book_delivery
from flows.delivery.book_delivery import book_info, deliver_project, delivery_is_current, narrator_name
from flows.delivery.formats import parse_formats
from text_prep.book import Book, BookMetadata

PNG = b"\x89PNG\r\n\x1a\n fake"


def a_book(**metadata) -> Book:
    return Book(BookMetadata(title="Meta Title", authors=["M. Author"], **metadata), [])


def test_book_info_takes_narrator_year_description_and_the_books_cover(tone_book):
    project = replace(tone_book.project, voice=VoiceConfig(engine="gpt-sovits", files=(Path("/v/Mei.toml"),)))
    info = book_info(project, a_book(date="2019-03-01", description="A book.", cover_image=PNG, language="en"),
                     "Title", "Author")
    assert (info.title, info.author, info.narrator, info.year, info.description) == (
        "Title", "Author", "Mei", "2019", "A book.")
    assert info.cover is not None and info.cover.suffix == ".png" and info.cover.read_bytes() == PNG
    assert narrator_name(VoiceConfig(engine="espeak")) == "espeak"
    assert book_info(project, a_book(date="n.d."), "T", "A").year == ""


def test_a_second_delivery_with_the_same_inputs_does_nothing(tone_book, monkeypatch):
    project, indices = tone_book.project, [p.index for p in tone_book.plans]
    formats = parse_formats(["m4b", "vtt"])
    first = deliver_project(project, a_book(), "Tone Book", "A. Writer", "tone-book", indices, formats)
    assert {p.suffix for p in first.files} == {".mp3", ".m4b", ".vtt"}

    def no_work(*args, **kwargs):
        raise AssertionError("delivered again although nothing changed")

    assert delivery_is_current(project, a_book(), "Tone Book", "A. Writer", "tone-book", indices, formats)
    assert not delivery_is_current(project, a_book(), "Tone Book", "A. Writer", "tone-book", indices, ("mp3",))
    monkeypatch.setattr(book_delivery, "deliver", no_work)
    again = deliver_project(project, a_book(), "Tone Book", "A. Writer", "tone-book", indices, formats)
    assert again.files == first.files
    with pytest.raises(AssertionError, match="delivered again"):     # another format is another delivery
        deliver_project(project, a_book(), "Tone Book", "A. Writer", "tone-book", indices, parse_formats(["srt"]))
    (project.out_dir / "tone-book.m4b").unlink()
    with pytest.raises(AssertionError, match="delivered again"):     # so is a missing file
        deliver_project(project, a_book(), "Tone Book", "A. Writer", "tone-book", indices, formats)
