"""A library-ready folder, ``<library>/<Author>/<Title>/``, that Audiobookshelf and Plex pick up as one book.

It holds the audio (the M4B, or the chapter MP3s in order), their subtitles, ``cover.jpg``, and the book's
metadata three ways: ``metadata.json`` (Audiobookshelf's own format, chapters included), ``desc.txt`` and
``reader.txt`` (the description and narrator files Audiobookshelf's folder scanner reads). Plex's audiobook
agents match on the ``Author/Title`` folders and the files' tags. Files are hard-linked from the output
folder where the file system allows, else copied, each one atomically.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from flows.audio.ffmpeg import run_ffmpeg
from flows.delivery.info import BookInfo
from flows.errors import OutputError
from flows.store.fsio import atomic_write_text

COVER_NAME = "cover.jpg"
METADATA_NAME = "metadata.json"
DESCRIPTION_NAME = "desc.txt"
NARRATOR_NAME = "reader.txt"
DELIVERED_SUFFIXES = (".m4b", ".mp3", ".srt", ".vtt")   # stale files of these kinds are removed from the folder
JPEG_MAGIC = b"\xff\xd8\xff"
UNKNOWN_AUTHOR, UNTITLED = "Unknown Author", "Untitled"
FOLDER_NAME_MAX = 120
PARTIAL_SUFFIX = ".partial"
_UNSAFE = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')


@dataclass(frozen=True)
class LibraryChapter:
    """A chapter mark for ``metadata.json``: title and start/end in seconds of the book."""

    title: str
    start_s: float
    end_s: float


def folder_name(text: str, fallback: str) -> str:
    """A folder name safe on every file system: no separators or reserved characters, no trailing dots."""
    cleaned = _UNSAFE.sub(" ", text)
    cleaned = re.sub(r"\s+", " ", cleaned).strip().strip(".").strip()
    return cleaned[:FOLDER_NAME_MAX].rstrip(" .") or fallback


def book_folder(library: Path, info: BookInfo) -> Path:
    """``<library>/<Author>/<Title>``."""
    return library / folder_name(info.author, UNKNOWN_AUTHOR) / folder_name(info.title, UNTITLED)


def metadata_document(info: BookInfo, chapters: Sequence[LibraryChapter]) -> dict:
    """Audiobookshelf's ``metadata.json`` fields for the book."""
    return {"title": info.title, "authors": [info.author] if info.author else [],
            "narrators": [info.narrator] if info.narrator else [], "publishedYear": info.year or None,
            "description": info.description or None, "genres": [info.genre], "language": info.language or None,
            "chapters": [{"id": i, "start": round(c.start_s, 3), "end": round(c.end_s, 3), "title": c.title}
                         for i, c in enumerate(chapters)]}


def _place(source: Path, dest: Path) -> None:
    """Make ``dest`` a hard link to ``source`` (a copy across file systems), replacing it atomically."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        tmp.unlink(missing_ok=True)
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _cover(source: Path, dest: Path) -> None:
    """``cover.jpg``: the cover itself when it is a JPEG, else converted."""
    with source.open("rb") as fh:
        if fh.read(len(JPEG_MAGIC)) == JPEG_MAGIC:
            _place(source, dest)
            return
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        run_ffmpeg(["-i", str(source), "-frames:v", "1", "-f", "image2", "-c:v", "mjpeg", str(tmp)], "convert", dest)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def build_library(library: Path, info: BookInfo, audio: Sequence[Path], chapters: Sequence[LibraryChapter],
                  extras: Sequence[Path] = ()) -> Path:
    """Lay out the book under ``library``: audio files (in order) and ``extras`` (subtitles), cover, metadata.

    Returns the book's folder. Delivered files of earlier layouts that are no longer produced are removed.
    """
    folder = book_folder(library, info)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        wanted = {path.name for path in (*audio, *extras)}
        for old in folder.iterdir():
            if old.suffix.lower() in DELIVERED_SUFFIXES and old.name not in wanted:
                old.unlink()
        for path in (*audio, *extras):
            _place(path, folder / path.name)
        if info.cover is not None:
            _cover(info.cover, folder / COVER_NAME)
        atomic_write_text(folder / METADATA_NAME,
                          json.dumps(metadata_document(info, chapters), ensure_ascii=False, indent=2))
        for name, text in ((DESCRIPTION_NAME, info.description), (NARRATOR_NAME, info.narrator)):
            if text:
                atomic_write_text(folder / name, text + "\n")
            else:
                (folder / name).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError.from_os_error(folder, exc) from exc
    return folder
