"""What a render, ``status`` and ``rerender`` share: chapter selection, the front-end, tags, input fingerprints."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flows.pipeline.chapter import image_mime
from flows.audio.export import Tags
from flows.store.fsio import remembered_sha256
from flows.config.project import GSV_ENGINE, Project
from text_prep.book import Book, Chapter

INPUTS_FILE = "inputs.json"


@dataclass(frozen=True)
class FrontEnd:
    """The project's text front-end as a one-argument phonemiser (language, symbol version, lexicon fixed).

    With ``reference_text`` the GPT-SoVITS text conventions (``flows.engines.gsv_text``) shape each line first.
    """

    lang: str
    version: str
    lexicon: object          # text_prep.phones.lexicon.Lexicon
    reference_text: bool = False

    @classmethod
    def for_project(cls, project: Project) -> "FrontEnd":
        """Load the project's lexicon (``LexiconError`` on a bad file) and bind the settings."""
        from text_prep.phones.lexicon import Lexicon

        lexicon = Lexicon.load(project.lexicon) if project.lexicon else Lexicon.empty()
        return cls(project.lang, project.phone_version, lexicon, project.voice.engine == GSV_ENGINE)

    def __call__(self, text: str):
        if self.reference_text:
            from flows.engines.gsv_text import phonemize_target

            return phonemize_target(self._phonemize, text, self.lang)
        return self._phonemize(text)

    def _phonemize(self, text: str):
        from text_prep.phones.frontend import phonemize

        return phonemize(text, lang=self.lang, version=self.version, lexicon=self.lexicon)


def load_book(project: Project) -> Book:
    """Parse the project's book with the ingest module (``BookError`` on bad input)."""
    from text_prep.ingest.load import load_book as ingest

    return ingest(project.book)


def selected_chapters(book: Book, project: Project) -> list[Chapter]:
    """Chapters to render, in order: not skipped by kind or index, and with something to read."""
    return [c for c in book.chapters
            if c.kind not in project.skip_kinds and c.index not in project.skip_chapters
            and any(True for _ in c.sentences())]


def book_title(book: Book, project: Project) -> str:
    return project.title or book.metadata.title or project.name


def book_author(book: Book, project: Project) -> str:
    return project.author or ", ".join(book.metadata.authors) or "Unknown"


def chapter_tags(book: Book, project: Project, chapter: Chapter, track: int, total: int) -> Tags:
    """ID3 tags for a chapter; cover from the project's cover file, else the book's own cover."""
    cover = project.cover.read_bytes() if project.cover else book.metadata.cover_image
    return Tags(title=chapter.title or f"Chapter {track}", album=book_title(book, project),
                artist=book_author(book, project), track=track, total_tracks=total,
                cover=cover, cover_mime=image_mime(cover) if cover else "")


def inputs_fingerprint(project: Project, engine_fp: str) -> str:
    """Hash of every input file of a render plus the voice: what the nightly schedule compares."""
    files = [project.config_path, project.book, project.lexicon, project.cover, project.takes_path]
    digests = {str(p): remembered_sha256(p) for p in files if p is not None and p.is_file()}
    blob = json.dumps({"files": digests, "engine": engine_fp}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _inputs_path(project: Project) -> Path:
    return project.state_dir / INPUTS_FILE


def last_rendered_inputs(project: Project) -> str | None:
    """The inputs fingerprint of the last complete render, if any."""
    try:
        return json.loads(_inputs_path(project).read_text(encoding="utf-8"))["fingerprint"]
    except (OSError, ValueError, KeyError):
        return None


def record_rendered_inputs(project: Project, fingerprint: str) -> None:
    from flows.store.fsio import atomic_write_text

    atomic_write_text(_inputs_path(project), json.dumps({"fingerprint": fingerprint}) + "\n")
