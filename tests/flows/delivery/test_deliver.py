"""Delivery from stored timings: requested formats, notes for what cannot be made, and one re-rendered sentence."""
from __future__ import annotations

import zipfile

import pytest

from flows.audio.export import Tags
from flows.delivery.deliver import DeliveryPlan, deliver
from flows.delivery.formats import parse_formats
from flows.delivery.info import BookInfo
from flows.delivery.timings import load_timings
from flows.pipeline.chapter import write_chapter
from tests.flows.delivery.conftest import RETAKE_EXTRA_S, assemble_epub_book, epub_plan
from tests.flows.delivery.test_m4b import probe_chapters

RETAKE = "2.1.0"                # the first sentence of the second chapter gets a new take


def test_formats_are_validated_and_mp3_is_always_made():
    assert parse_formats([]) == ("mp3",)
    assert parse_formats(["VTT", " m4b", "srt"]) == ("mp3", "m4b", "srt", "vtt")
    assert parse_formats(["epub3,srt", ""]) == ("mp3", "srt", "epub3")
    with pytest.raises(ValueError, match="'flac'"):
        parse_formats(["mp3", "flac"])


def delivery_plan(book, formats, root) -> DeliveryPlan:
    info = BookInfo("The Tone Garden", "A. Writer", narrator="Test Voice", year="2021", description="Tones.")
    return DeliveryPlan(parse_formats(formats), book.project.out_dir, book.project.state_dir, book.epub, info,
                        "the-tone-garden", library=root / "library")


def test_txt_books_get_everything_but_the_read_along(tone_book, tmp_path):
    info = BookInfo("Tone Book", "A. Writer")
    plan = DeliveryPlan(parse_formats(["m4b", "srt", "epub3"]), tone_book.project.out_dir,
                        tone_book.project.state_dir, tone_book.project.book, info, "tone-book")
    done = deliver(plan, [p.index for p in tone_book.plans] + [9])
    names = {path.name for path in done.files}
    assert "tone-book.m4b" in names and "tone-book.srt" in names and "tone-book.vtt" not in names
    assert all(part.replace(".mp3", ".srt") in names for t in tone_book.timings() for part in (p.file for p in t.parts))
    assert any("chapter 9" in note for note in done.notes) and any("not an EPUB" in note for note in done.notes)
    assert all(path.is_file() for path in done.files)


def test_rerendering_one_sentence_updates_its_chapter_and_the_book_formats_only(tmp_path):
    book = assemble_epub_book(tmp_path)
    plan = delivery_plan(book, ["m4b", "srt", "vtt", "epub3"], tmp_path)
    indices = [p.index for p in book.plans]
    first = deliver(plan, indices)
    names = sorted(path.name for path in first.files)
    assert "the-tone-garden.m4b" in names and "the-tone-garden-readalong.epub" in names
    assert not first.notes
    assert {p.name for p in first.library_folder.iterdir()} == {"the-tone-garden.m4b", "the-tone-garden.srt",
                                                               "the-tone-garden.vtt", "metadata.json", "desc.txt",
                                                               "reader.txt"}
    before = {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in first.files}
    chapter = next(c for c in book.book.chapters if c.index == 2)
    changed = epub_plan(chapter, book.cache, dict(book.freqs), retake=RETAKE)
    write_chapter(changed, Tags(changed.title, "The Tone Garden", "A. Writer", 2, 2), book.project, book.cache)
    second = deliver(plan, indices)
    differs = {path.name for path in second.files if before.get(path, (0, b""))[1] != path.read_bytes()}
    first_chapter = {path.name for path in first.files if path.name.startswith("01-")}
    assert all(before[path][0] == path.stat().st_mtime_ns for path in first.files if path.name.startswith("01-")
               and path.suffix == ".mp3")                                  # untouched, not even rewritten
    assert not differs & first_chapter
    assert {"02-the-pond.mp3", "02-the-pond.srt", "02-the-pond.vtt", "the-tone-garden.m4b", "the-tone-garden.srt",
            "the-tone-garden.vtt", "the-tone-garden-readalong.epub"} <= differs
    span = next(s for p in load_timings(book.project.state_dir, 2).parts for s in p.lines if s.label == RETAKE)
    assert abs((span.end - span.start) / 44100 - (0.6 + 0.02 * len(span.text) + RETAKE_EXTRA_S)) < 0.01
    chapters = probe_chapters(tmp_path / "proj" / "out" / "the-tone-garden.m4b")
    assert [title for _, title in chapters] == ["The Gate", "The Pond"]
    smil = zipfile.ZipFile(tmp_path / "proj" / "out" / "the-tone-garden-readalong.epub").read(
        "OEBPS/bookvoice/c2-1.smil").decode()
    assert "bookvoice-s2-1-0" in smil


def test_files_of_dropped_formats_are_removed(tone_book, tmp_path):
    info = BookInfo("Tone Book", "A. Writer")
    def plan(formats):
        return DeliveryPlan(parse_formats(formats), tone_book.project.out_dir, tone_book.project.state_dir,
                            tone_book.project.book, info, "tone-book")
    indices = [p.index for p in tone_book.plans]
    full = deliver(plan(["m4b", "srt", "vtt"]), indices)
    mp3_only = deliver(plan([]), indices)
    out = tone_book.project.out_dir
    assert {p.suffix for p in full.files} == {".mp3", ".m4b", ".srt", ".vtt"}
    assert {p.suffix for p in mp3_only.files} == {".mp3"}
    assert {p.suffix for p in out.iterdir() if p.is_file()} <= {".mp3", ".json", ".html"}
    assert all(p.is_file() for p in mp3_only.files)


def test_project_toml_formats_are_checked_where_settings_are(tmp_path):
    from flows.config.project import load_project
    from flows.errors import ProjectError
    from tests.flows.conftest import write_project

    root = write_project(tmp_path / "p", None, output={"formats": ["m4b", "SRT"], "library": "~/Books"})
    project = load_project(root)
    assert project.delivery.formats == ("mp3", "m4b", "srt") and project.delivery.library.name == "Books"
    assert load_project(write_project(tmp_path / "q", None)).delivery.formats == ("mp3",)
    with pytest.raises(ProjectError, match=r"\[output\] formats: unknown format 'flac'"):
        load_project(write_project(tmp_path / "r", None, output={"formats": ["flac"]}))
    with pytest.raises(ProjectError, match="formats"):
        load_project(write_project(tmp_path / "s", None, output={"formats": "m4b"}))
    with pytest.raises(ProjectError, match="did you mean 'formats'"):
        load_project(write_project(tmp_path / "t", None, output={"format": ["m4b"]}))
