"""Build the requested delivery formats from assembled chapters and their stored timings (no re-assembly).

``mp3`` (the chapter files) is always there: every other format is made from them. ``srt``/``vtt`` give one
subtitle file per chapter MP3 and, with ``m4b``, one for the whole book; ``epub3`` needs an EPUB input.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from flows.delivery.formats import SUBTITLE_FORMATS
from flows.delivery.info import BookInfo, ChapterAudio
from flows.delivery.library import LibraryChapter, build_library
from flows.delivery.m4b import build_m4b, chapter_segment
from flows.delivery.readalong import ChapterSound, ReadAlongError, build_readalong
from flows.delivery.subtitles import part_cues, timeline_cues, write_subtitles
from flows.delivery.timings import ChapterTimings, load_timings

log = logging.getLogger(__name__)

SEGMENTS_DIR = "m4b"                    # under the state folder: per-chapter AAC segments (M4B and read-along)
READALONG_DIR = "readalong"
EPUB_SUFFIX = ".epub"
READALONG_SUFFIX = "-readalong.epub"
STALE_SUFFIXES = (".srt", ".vtt", ".m4b")     # out/ files of these kinds that a run did not produce are removed


@dataclass(frozen=True)
class DeliveryPlan:
    """What to build and where: formats, the project's output and state folders, the book file, its metadata."""

    formats: tuple[str, ...]
    out_dir: Path
    state_dir: Path
    book: Path
    info: BookInfo
    stem: str                           # file name stem of whole-book files (``<stem>.m4b``)
    library: Path | None = None


@dataclass(frozen=True)
class Delivered:
    """Every file the delivery produced (chapter MP3s included) and what it could not do."""

    files: tuple[Path, ...]
    notes: tuple[str, ...]
    library_folder: Path | None = None


def _chapters(plan: DeliveryPlan, indices: Sequence[int], notes: list[str]) -> list[tuple[ChapterTimings, ChapterAudio]]:
    found = []
    for index in indices:
        timings = load_timings(plan.state_dir, index)
        if timings is None:
            notes.append(f"chapter {index}: no sentence timings (render it again to include it)")
            continue
        audio = ChapterAudio(index, timings.title, tuple(plan.out_dir / part.file for part in timings.parts))
        if not all(path.is_file() for path in audio.parts):
            notes.append(f"chapter {index}: its MP3 files are missing (render it again to include it)")
            continue
        found.append((timings, audio))
    return found


def deliver(plan: DeliveryPlan, chapter_indices: Sequence[int]) -> Delivered:
    """Build ``plan.formats`` for the chapters (in book order) that have been assembled."""
    notes: list[str] = []
    chapters = _chapters(plan, chapter_indices, notes)
    subtitle_formats = [fmt for fmt in SUBTITLE_FORMATS if fmt in plan.formats]
    mp3s = [path for _, audio in chapters for path in audio.parts]
    files: list[Path] = list(mp3s)
    chapter_subtitles: list[Path] = []
    for timings, audio in chapters:
        for p, path in enumerate(audio.parts):
            chapter_subtitles += write_subtitles(part_cues(timings, p), path, subtitle_formats)
    files += chapter_subtitles
    library_audio, library_extras, marks = mp3s, chapter_subtitles, []
    if "m4b" in plan.formats and chapters:
        build = build_m4b([audio for _, audio in chapters], plan.info, plan.out_dir / f"{plan.stem}.m4b",
                          plan.state_dir / SEGMENTS_DIR)
        placed = []
        for position, (timings, _) in enumerate(chapters):
            offset = build.audio_offset(position)
            for part in timings.parts:
                placed.append((offset, part.lines))
                offset += part.n_samples
        book_subtitles = write_subtitles(timeline_cues(placed, build.sample_rate), build.path, subtitle_formats)
        files += [build.path, *book_subtitles]
        bounds = [*build.chapter_starts, build.n_samples]
        marks = [LibraryChapter(timings.title, bounds[i] / build.sample_rate, bounds[i + 1] / build.sample_rate)
                 for i, (timings, _) in enumerate(chapters)]
        library_audio, library_extras = [build.path], book_subtitles
    if "epub3" in plan.formats and chapters:
        files += _readalong(plan, chapters, notes)
    _remove_stale(plan.out_dir, files)
    folder = None
    if plan.library is not None and chapters:
        folder = build_library(plan.library, plan.info, library_audio, marks, library_extras)
    for note in notes:
        log.warning("%s", note)
    return Delivered(tuple(files), tuple(notes), folder)


def _remove_stale(out_dir: Path, produced: Sequence[Path]) -> None:
    """Delete delivery files an earlier run made that this one did not (formats dropped, parts re-split)."""
    keep = {path.name for path in produced}
    for path in out_dir.iterdir():
        delivered = path.suffix.lower() in STALE_SUFFIXES or path.name.endswith(READALONG_SUFFIX)
        if delivered and path.name not in keep and path.is_file():
            path.unlink()


def _readalong(plan: DeliveryPlan, chapters: list[tuple[ChapterTimings, ChapterAudio]], notes: list[str]) -> list[Path]:
    if plan.book.suffix.lower() != EPUB_SUFFIX:
        notes.append(f"epub3: {plan.book.name} is not an EPUB, so there is no book to add the audio to")
        return []
    sounds = [ChapterSound(timings, chapter_segment(audio, plan.state_dir / SEGMENTS_DIR)) for timings, audio in chapters]
    try:
        build = build_readalong(plan.book, sounds, plan.out_dir / f"{plan.stem}{READALONG_SUFFIX}",
                                plan.state_dir / READALONG_DIR)
    except ReadAlongError as exc:
        notes.append(f"epub3: {exc}")
        return []
    if build.unmarked:
        notes.append(f"epub3: {build.unmarked} of {build.marked + build.unmarked} spoken sentences could not be "
                     "placed in the book's text and have no overlay")
    return [build.path]
