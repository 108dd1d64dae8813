"""Text overrides: applied by label while the book still reads the original, stale (listed, not applied) after."""
from __future__ import annotations

import json

import pytest

from flows.config.overrides import Overrides, applied_edits, apply_overrides, overrides_path
from flows.errors import ProjectError
from tests.flows.conftest import make_book

CHAPTERS = [[["One.", "Two."], ["Three."]], [["Four.", "Five."]]]


def test_override_replaces_its_line_and_rebuilds_context_windows(tmp_path):
    overrides = Overrides()
    overrides.set("1.0.1", "Two.", "Two, edited.")
    overrides.set("2.title", "Chapter 2", "The second chapter")
    book = apply_overrides(make_book(CHAPTERS), overrides)
    first = list(book.chapters[0].sentences())
    assert [s.text for s in first] == ["One.", "Two, edited.", "Three."]
    assert first[0].context_after == ("Two, edited.", "Three.") and first[2].context_before == ("One.", "Two, edited.")
    assert book.chapters[1].title == "The second chapter"
    assert book.chapters[0].paragraphs[0].text == "One. Two."          # the paragraph's raw text stays the book's


def test_overrides_round_trip_atomically_and_survive_a_reingest(tmp_path):
    path = overrides_path(tmp_path)
    overrides = Overrides()
    overrides.set("2.0.0", "Four.", "<b>Four</b>, \"quoted\" 长安.")
    overrides.save(path)
    again = Overrides.load(path)
    assert again == overrides and not list(tmp_path.glob(".*partial"))
    reingested = apply_overrides(make_book(CHAPTERS), again)           # a fresh parse of the same book
    assert list(reingested.chapters[1].sentences())[0].text == "<b>Four</b>, \"quoted\" 长安."
    assert [e.label for e in applied_edits(tmp_path, reingested)] == ["2.0.0"]


def test_an_override_whose_book_text_changed_is_stale_not_applied():
    overrides = Overrides()
    overrides.set("1.0.0", "One.", "Uno.")
    edited_book = make_book([[["Eins.", "Two."], ["Three."]], [["Four.", "Five."]]])
    assert [s.text for s in apply_overrides(edited_book, overrides).chapters[0].sentences()][0] == "Eins."
    assert [e.label for e in overrides.stale(edited_book)] == ["1.0.0"]
    assert overrides.stale(make_book(CHAPTERS)) == []


def test_setting_the_original_text_removes_the_override():
    overrides = Overrides()
    overrides.set("1.0.0", "One.", "Uno.")
    overrides.set("1.0.0", "One.", "One.")
    assert overrides.edits == {}


def test_a_malformed_overrides_file_is_a_one_line_project_error(tmp_path):
    path = overrides_path(tmp_path)
    path.write_text(json.dumps({"1.0.0": {"text": "no original"}}), encoding="utf-8")
    with pytest.raises(ProjectError, match="overrides.json: cannot read text overrides"):
        Overrides.load(path)
