"""What a render, ``status`` and ``rerender`` share: the opened project, chapter selection, front-end, tags, fingerprints.

Chapters are numbered one way everywhere: by their place in the book (``Chapter.index``, the first
number of every sentence id). ``status`` shows it, ``--chapter``/``--chapters`` and ``skip_chapters``
take it, and chapter files start with it; only the ID3 track number counts the rendered chapters 1..N.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from flows.audio.export import Tags
from flows.config.project import GSV_ENGINE, Project, load_project
from flows.config.takes import Takes
from flows.errors import ProjectError
from flows.pipeline.chapter import image_mime
from flows.store.cache import SentenceCache
from flows.store.fsio import remembered_sha256
from text_prep.book import Book, Chapter
from tts_engine.engine import Engine

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
    """Parse the project's book with the ingest module (``BookError`` on bad input), text overrides applied."""
    from flows.config.overrides import Overrides, apply_overrides, overrides_path
    from text_prep.ingest.load import load_book as ingest

    extra = {"heading_pattern": project.heading_pattern} if project.heading_pattern else {}
    return apply_overrides(ingest(project.book, **extra), Overrides.load(overrides_path(project.root)))


def selected_chapters(book: Book, project: Project, only: Sequence[int] | None = None) -> list[Chapter]:
    """Chapters to render, in order: not skipped by kind or number, with something to read, and in ``only``."""
    return [c for c in book.chapters
            if c.kind not in project.skip_kinds and c.index not in project.skip_chapters
            and (only is None or c.index in only) and any(True for _ in c.sentences())]


def parse_chapter_ranges(spec: str) -> tuple[int, ...]:
    """``"1-3,7"`` -> (1, 2, 3, 7); ``ValueError`` naming the bad part."""
    numbers: list[int] = []
    for part in (p.strip() for p in spec.split(",")):
        first, dash, last = part.partition("-")
        if not first.strip().isdigit() or (dash and not last.strip().isdigit()):
            raise ValueError(f"not a chapter number or range: {part!r} (use e.g. 1-3,7)")
        lo, hi = int(first), int(last) if dash else int(first)
        if hi < lo:
            raise ValueError(f"empty chapter range: {part!r}")
        numbers.extend(range(lo, hi + 1))
    return tuple(sorted(set(numbers)))


@dataclass
class Workspace:
    """An opened project: validated settings, the parsed book, front-end, takes, engine and cache.

    Opening costs no model load (engines load on first synthesis) and touches no Prefect.
    """

    project: Project
    book: Book
    frontend: "FrontEnd"
    takes: Takes
    engine: Engine
    engine_fp: str
    cache: SentenceCache
    chapters: list[Chapter]

    @classmethod
    def open(cls, project_dir: Path, only: Sequence[int] | None = None) -> "Workspace":
        """Validate and open ``project_dir`` (one-line errors for bad input, nothing created)."""
        from flows.engines.registry import engine_fingerprint, load_engine

        project = load_project(Path(project_dir))
        engine = load_engine(project.voice, project.speed)
        frontend = FrontEnd.for_project(project)
        takes = Takes.load(project.takes_path)
        book = load_book(project)
        chapters = selected_chapters(book, project, only)
        if not chapters:
            wanted = f" among --chapters {','.join(map(str, only))}" if only is not None else ""
            raise ProjectError(project.book, f"the book has no chapters to render{wanted}")
        return cls(project, book, frontend, takes, engine, engine_fingerprint(engine, project.voice),
                   SentenceCache(project.cache_dir), chapters)

    @functools.cached_property
    def selectable(self) -> list[Chapter]:
        """Every chapter a full render would make (``chapters`` may be fewer: ``--chapters``)."""
        return selected_chapters(self.book, self.project)

    def plan_cache(self) -> "PlanCache":
        """Where this project's chapter plans are remembered, keyed by everything the front-end reads."""
        from flows.pipeline.plan import PlanCache

        project = self.project
        lexicon = remembered_sha256(project.lexicon) if project.lexicon and project.lexicon.is_file() else ""
        identity = json.dumps({"lang": project.lang, "version": project.phone_version, "lexicon": lexicon,
                               "reference_text": project.voice.engine == GSV_ENGINE})
        return PlanCache(project.state_dir, hashlib.sha256(identity.encode()).hexdigest())

    def tags(self, chapter: Chapter) -> Tags:
        """ID3 tags of a chapter; its track number counts every rendered chapter (not only those opened)."""
        every = selected_chapters(self.book, self.project)
        track = next(i for i, c in enumerate(every, start=1) if c.index == chapter.index)
        return chapter_tags(self.book, self.project, chapter, track, len(every))


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
    from flows.config.overrides import overrides_path

    files = [project.config_path, project.book, project.lexicon, project.cover, project.takes_path,
             overrides_path(project.root)]
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
