"""Delivery for a project: the plan from its settings and book, skipped when nothing it is made from changed.

``deliver_project`` is what the render calls once its chapters are assembled. A record in the state folder
keeps the fingerprint of the last delivery's inputs (formats, book metadata, cover, every chapter's timings
and MP3s, the EPUB for the read-along) and the files it made; a render that changed none of them and finds
every file in place does nothing, so a no-op render stays instant even with an M4B of a long book.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Sequence

from flows.config.project import Project, VoiceConfig
from flows.delivery.deliver import Delivered, DeliveryPlan, deliver
from flows.delivery.info import BookInfo
from flows.delivery.timings import timings_path
from flows.store.fsio import atomic_write_bytes, atomic_write_text, remembered_sha256
from text_prep.book import Book

log = logging.getLogger(__name__)

RECORD_FILE = "delivery.json"
COVER_STEM = "delivery-cover"
YEAR_CHARS = 4
IMAGE_SUFFIX = {b"\x89PNG": ".png", b"\xff\xd8\xff": ".jpg"}


def narrator_name(voice: VoiceConfig) -> str:
    """The voice's name for the narrator tag: the profile's (or first voice file's) name, else the engine's."""
    return voice.files[0].stem if voice.files else voice.engine


def cover_file(state_dir: Path, project_cover: Path | None, book_cover: bytes | None) -> Path | None:
    """The cover as a file: the project's, else the book's own image written under the state folder."""
    if project_cover is not None:
        return project_cover
    if not book_cover:
        return None
    suffix = next((s for magic, s in IMAGE_SUFFIX.items() if book_cover.startswith(magic)), ".jpg")
    path = state_dir / f"{COVER_STEM}{suffix}"
    if not path.is_file() or path.read_bytes() != book_cover:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, book_cover)
    return path


def book_info(project: Project, book: Book, title: str, author: str) -> BookInfo:
    """Tags and library metadata of the book: narrator from the voice, year and description from the book."""
    metadata = book.metadata
    year = metadata.date[:YEAR_CHARS] if metadata.date[:YEAR_CHARS].isdigit() else ""
    return BookInfo(title, author, narrator_name(project.voice), year, metadata.description, metadata.language,
                    cover_file(project.state_dir, project.cover, metadata.cover_image))


def fingerprint(plan: DeliveryPlan, chapter_indices: Sequence[int]) -> str:
    """Hash of everything the delivery is made from (file sizes and times stand for the MP3s' content)."""
    chapters = []
    for index in chapter_indices:
        path = timings_path(plan.state_dir, index)
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        parts = json.loads(text)["parts"] if text else []
        stats = [(p["file"], *_stat(plan.out_dir / p["file"])) for p in parts]
        chapters.append([index, hashlib.sha256(text.encode()).hexdigest(), stats])
    info = plan.info
    blob = {"formats": plan.formats, "stem": plan.stem, "library": str(plan.library or ""), "chapters": chapters,
            "info": [info.title, info.author, info.narrator, info.year, info.description, info.language],
            "cover": remembered_sha256(info.cover) if info.cover and info.cover.is_file() else "",
            "book": remembered_sha256(plan.book) if "epub3" in plan.formats and plan.book.is_file() else ""}
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


def _stat(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


def _plan(project: Project, book: Book, title: str, author: str, stem: str, formats: Sequence[str],
          library: Path | None) -> DeliveryPlan:
    return DeliveryPlan(tuple(formats), project.out_dir, project.state_dir, project.book,
                        book_info(project, book, title, author), stem, library)


def _recorded(project: Project, digest: str) -> Delivered | None:
    """The last delivery, when it was made from inputs with this fingerprint and its files are all there."""
    try:
        last = json.loads((project.state_dir / RECORD_FILE).read_text(encoding="utf-8"))
        if last["fingerprint"] == digest and all(Path(f).is_file() for f in last["files"]):
            return Delivered(tuple(Path(f) for f in last["files"]), tuple(last["notes"]),
                             Path(last["library"]) if last["library"] else None)
    except (OSError, ValueError, KeyError, TypeError):
        pass                                            # no usable record
    return None


def delivery_is_current(project: Project, book: Book, title: str, author: str, stem: str,
                        chapter_indices: Sequence[int], formats: Sequence[str], library: Path | None = None) -> bool:
    """Whether ``deliver_project`` with these arguments would find nothing to do."""
    plan = _plan(project, book, title, author, stem, formats, library)
    return _recorded(project, fingerprint(plan, chapter_indices)) is not None


def deliver_project(project: Project, book: Book, title: str, author: str, stem: str,
                    chapter_indices: Sequence[int], formats: Sequence[str], library: Path | None = None) -> Delivered:
    """Build ``formats`` for the project's assembled chapters, unless the last delivery had the same inputs."""
    plan = _plan(project, book, title, author, stem, formats, library)
    digest = fingerprint(plan, chapter_indices)
    last = _recorded(project, digest)
    if last is not None:
        return last
    done = deliver(plan, chapter_indices)
    atomic_write_text(project.state_dir / RECORD_FILE, json.dumps(
        {"fingerprint": digest, "files": [str(f) for f in done.files], "notes": list(done.notes),
         "library": str(done.library_folder or "")}, ensure_ascii=False))
    return done
