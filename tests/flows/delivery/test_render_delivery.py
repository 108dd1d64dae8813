"""Delivery inside the render (Prefect test server, fake engine): formats from project.toml or the run, report
links, a re-rendered sentence updating its chapter and the book-wide files only, no-op renders doing nothing."""
from __future__ import annotations

import json

from flows.pipeline.render import run_render
from flows.pipeline.rerender import choose_passage
from tests.flows.conftest import write_project
from tests.flows.delivery.epub_book import write_epub
from text_prep.ingest.load import load_book

BOOK_FILES = {"the-tone-garden.m4b", "the-tone-garden.srt", "the-tone-garden.vtt", "the-tone-garden-readalong.epub"}
CHAPTER_FILES = {f"{stem}.{ext}" for stem in ("01-the-gate", "02-the-pond") for ext in ("mp3", "srt", "vtt")}


def test_render_delivers_the_formats_and_a_rerender_updates_only_what_it_must(tmp_path, inject):
    epub = write_epub(tmp_path / "garden.epub")
    root = write_project(tmp_path / "proj", None, book={"path": str(epub), "title": "The Tone Garden"},
                         render={"skip_kinds": ["front", "back"]},
                         output={"formats": ["m4b", "srt", "vtt", "epub3"]})
    inject(load_book(epub))
    run_render(root)
    out = root / "out"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report["files"]) == BOOK_FILES | CHAPTER_FILES
    assert all((out / name).is_file() for name in report["files"])
    page = (out / "report.html").read_text(encoding="utf-8")
    assert all(f'href="{name}"' in page for name in BOOK_FILES)
    before = {name: ((out / name).read_bytes(), (out / name).stat().st_mtime_ns) for name in report["files"]}

    run_render(root)                                                   # nothing changed: nothing is rewritten
    assert all((out / name).stat().st_mtime_ns == before[name][1] for name in before)

    labels = choose_passage(root, 2, "2.1.0")                          # `bookvoice rerender --sentence 2.1.0`
    run_render(root, force=labels, chapters=(2,))
    changed = {name for name in before if (out / name).read_bytes() != before[name][0]}
    assert changed == {"02-the-pond.mp3", "the-tone-garden.m4b", "the-tone-garden-readalong.epub"}
    assert (out / "01-the-gate.mp3").stat().st_mtime_ns == before["01-the-gate.mp3"][1]      # untouched
    assert (out / "02-the-pond.srt").stat().st_mtime_ns > before["02-the-pond.srt"][1]       # rebuilt (same times:
    # the fake engine's new take has the old one's length)

    run_render(root, formats=["m4b"])                                  # `--format m4b`: subtitles and EPUB go
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report["files"]) == {"the-tone-garden.m4b", "01-the-gate.mp3", "02-the-pond.mp3"}
    assert not list(out.glob("*.srt")) and not list(out.glob("*.epub"))
