"""The studio's view of one project: the book as rendered (overrides applied), chapter plans, takes, review, lexicon.

Everything is read through the render pipeline's own ``Workspace`` and ``plan_chapter``, so the keys shown are
the keys a render uses. Phonemes are memoised per text for the
life of the studio process (a new lexicon starts a new memo), so re-planning after an action costs hashing only.
"""
from __future__ import annotations

import dataclasses
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from flows.config.overrides import Overrides, overrides_path
from flows.config.project import Project
from flows.config.takes import SEED_MODULUS
from flows.pipeline.plan import (ChapterPlan, PlannedLine, content_key, default_seed, make_job, plan_chapter,
                                 plan_chapters)
from flows.pipeline.workspace import FrontEnd, Workspace, book_title
from flows.store.cache import SentenceCache
from flows.store.fsio import atomic_write_text
from flows.studio.polyphones import Polyphone, find_polyphones
from flows.studio.review import Review, review_path

LABEL_PATTERN = re.compile(r"^(\d{1,6})\.(title|\d{1,6}\.\d{1,6})$")
MAX_TEXT_CHARS = 2000
LEXICON_NOTE = "# added in bookvoice studio"
FILTERS = ("all", "flagged", "low", "edited", "unapproved")


class StudioError(ValueError):
    """A request the studio refuses (unknown line, bad text, bad lexicon entry); the message says why."""


class UnknownLine(StudioError):
    """No rendered line has this label."""


@dataclass(frozen=True)
class Take:
    """One take of a line: its seed, whether its audio is cached, whether it is the one in use."""

    seed: int
    key: str
    cached: bool
    in_use: bool


@dataclass(frozen=True)
class LexiconPreview:
    """What a lexicon entry would change: the lines whose audio changes, and how many need synthesis."""

    word: str
    pron: str
    labels: tuple[str, ...]
    texts: tuple[str, ...]
    to_synthesize: int
    chapters: tuple[int, ...]


class MemoPhonemizer:
    """The project's front-end with every result remembered by text."""

    def __init__(self, frontend: FrontEnd) -> None:
        self.frontend = frontend
        self.memo: dict[str, object] = {}

    def __call__(self, text: str):
        found = self.memo.get(text)
        if found is None:
            found = self.memo[text] = self.frontend(text)
        return found


@dataclass(frozen=True)
class _Phones:
    """A planned job's phones in the shape ``make_job`` reads (the key needs no segments)."""

    norm_text: str
    phones: tuple[str, ...]
    phone_ids: tuple[int, ...]
    segments: tuple = ()


def paragraph_of(label: str) -> int:
    """The paragraph index of a line label (-1 for a chapter title)."""
    part = label.split(".")[1]
    return -1 if part == "title" else int(part)


class ProjectView:
    """One project as the studio shows it; every method is safe to call from several threads."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.lock = threading.RLock()
        self._phonemizer: MemoPhonemizer | None = None
        self._lexicon_fp = ""
        self._polyphones: dict[str, list[Polyphone]] = {}
        self.reload()

    # -- loading -------------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read project, book (overrides applied), lexicon, takes and review; plans are rebuilt on demand."""
        with self.lock:
            ws = Workspace.open(self.root)
            frontend = ws.frontend
            lexicon_fp = frontend.lexicon.fingerprint()
            if self._phonemizer is None or lexicon_fp != self._lexicon_fp or frontend != self._phonemizer.frontend:
                self._phonemizer, self._lexicon_fp = MemoPhonemizer(frontend), lexicon_fp
                self._polyphones = {}
            self.project: Project = ws.project
            self.engine_fp = ws.engine_fp
            self.takes = ws.takes
            self.overrides = Overrides.load(overrides_path(self.root))
            self.review = Review.load(review_path(self.root))
            self.book = ws.book
            self.chapters = {c.index: c for c in ws.chapters}
            self.cache: SentenceCache = ws.cache
            self._plan_cache = ws.plan_cache()
            self._plans: dict[int, ChapterPlan] = {}

    @property
    def title(self) -> str:
        return book_title(self.book, self.project)

    def plan(self, index: int) -> ChapterPlan:
        """The chapter's plan exactly as a render makes it (the render's remembered plan, or memoised phonemes)."""
        with self.lock:
            if index not in self.chapters:
                raise UnknownLine(f"no rendered chapter {index}")
            if index not in self._plans:
                self._plans[index] = plan_chapters([self.chapters[index]], self._phonemizer, self.engine_fp,
                                                   self.takes, 1, self._plan_cache)[0]
            return self._plans[index]

    def plans(self) -> Iterator[ChapterPlan]:
        """Every chapter's plan in reading order."""
        for index in list(self.chapters):
            yield self.plan(index)

    def warm(self) -> None:
        """Plan every chapter and find its polyphones, in reading order (pages and filters then answer at once)."""
        for index in list(self.chapters):
            try:
                plan = self.plan(index)
            except UnknownLine:          # the book changed under us: the next request plans what is there
                continue
            for line in plan.lines:
                self.polyphones(line.job.text)

    def line(self, label: str) -> PlannedLine:
        """The planned line with this label (``UnknownLine`` for anything else)."""
        match = LABEL_PATTERN.match(label)
        if match is None:
            raise UnknownLine(f"not a line label: {label[:40]!r}")
        found = next((line for line in self.plan(int(match.group(1))).lines if line.label == label), None)
        if found is None:
            raise UnknownLine(f"no line {label}")
        return found

    # -- what is shown -------------------------------------------------------------------------------------
    def polyphones(self, norm_text: str) -> list[Polyphone]:
        """Polyphonic characters of a normalised line (memoised)."""
        with self.lock:
            if norm_text not in self._polyphones:
                self._polyphones[norm_text] = find_polyphones(norm_text, self._phonemizer.frontend.lexicon)
            return self._polyphones[norm_text]

    def takes_of(self, label: str) -> list[Take]:
        """Every take tried for the line (the one in use included), in the order tried."""
        line = self.line(label)
        return [Take(seed, key, self.cache.contains(key), key == line.job.key)
                for seed in self.review.tried(label, line.job.seed)
                for key in [self.key_for_seed(line, seed)]]

    def default_seed(self, line: PlannedLine) -> int:
        """The seed the line has without a chosen take (derived from its content)."""
        job = line.job
        return default_seed(content_key(_Phones(job.text, job.phones, job.phone_ids), job.context_before,
                                        job.context_after, self.engine_fp))

    def key_for_seed(self, line: PlannedLine, seed: int) -> str:
        """The cache key the line would have with ``seed`` (the render's own key function)."""
        job = line.job
        return make_job(_Phones(job.text, job.phones, job.phone_ids), job.context_before, job.context_after,
                        self.engine_fp, seed).key

    def matches(self, line: PlannedLine, kind: str) -> bool:
        """Whether a line passes a filter (``FILTERS``)."""
        if kind == "flagged":
            return self.cache.contains(line.job.key) and bool(self.cache.info(line.job.key).flags)
        if kind == "low":
            return any(p.low_confidence for p in self.polyphones(line.job.text))
        if kind == "edited":
            return line.label in self.overrides.edits
        if kind == "unapproved":
            return not self.review.is_approved(line.label, line.job.key)
        return True

    # -- actions (files only; the caller renders) ------------------------------------------------------------
    def new_take(self, label: str) -> int:
        """Record the next seed as this line's take (as ``bookvoice rerender`` does); returns it."""
        with self.lock:
            line = self.line(label)
            default = self.default_seed(line)
            tried = [s for s in self.review.tried(label, line.job.seed) if s != default]
            seed = (max([0, *tried]) + 1) % SEED_MODULUS
            self._choose(line, seed)
            return seed

    def pick_take(self, label: str, seed: int) -> None:
        """Go back to an earlier take of the line."""
        with self.lock:
            line = self.line(label)
            if seed not in self.review.tried(label, line.job.seed):
                raise StudioError(f"seed {seed} was never tried for {label}")
            self._choose(line, seed)

    def _choose(self, line: PlannedLine, seed: int) -> None:
        self.review.record(line.label, line.job.seed, seed)
        self.review.save(review_path(self.root))
        self.takes.choose(line.label, line.text, seed)
        self.takes.save(self.project.takes_path)

    def approve(self, label: str, approved: bool = True) -> None:
        """Mark the take now in use as approved (or withdraw the approval)."""
        with self.lock:
            line = self.line(label)
            if approved:
                self.review.approved[label] = line.job.key
            else:
                self.review.approved.pop(label, None)
            self.review.save(review_path(self.root))

    def edit_text(self, label: str, text: str) -> None:
        """Store a text override for the line (the book file is never modified)."""
        text = " ".join(text.split())
        if not text:
            raise StudioError("the text is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise StudioError(f"the text is longer than {MAX_TEXT_CHARS} characters")
        with self.lock:
            line = self.line(label)
            edit = self.overrides.edits.get(label)
            original = edit.original if edit is not None and edit.text == line.text else line.text
            self.overrides.set(label, original, text)
            self.overrides.save(overrides_path(self.root))

    def lexicon_preview(self, word: str, pron: str) -> LexiconPreview:
        """Which lines a new lexicon entry changes (planned with it, compared key by key); nothing is written."""
        from text_prep.errors import LexiconError
        from text_prep.phones.lexicon import Lexicon

        word, pron = " ".join(word.split()), " ".join(pron.split())
        if not word or not pron or "#" in word + pron or "=" in word:
            raise StudioError("give a word and its pronunciation (no '#' or '=')")
        with self.lock:
            lexicon_file = self._lexicon_file()
            candidate = lexicon_file.with_name(f".{lexicon_file.name}.studio-preview")
            try:
                candidate.write_text(self._lexicon_text(lexicon_file, word, pron), encoding="utf-8")
                lexicon = Lexicon.load(candidate)
            except LexiconError as exc:
                raise StudioError(exc.problem) from None
            finally:
                candidate.unlink(missing_ok=True)
            old = self._phonemizer
            fresh = MemoPhonemizer(dataclasses.replace(old.frontend, lexicon=lexicon))
            needle = word.lower()

            def phonemize(text: str):
                return fresh(text) if needle in text.lower() else old(text)

            changed: list[PlannedLine] = []
            for index, chapter in self.chapters.items():
                if not _mentions(chapter, needle):
                    continue
                before = self.plan(index)
                after = plan_chapter(chapter, phonemize, self.engine_fp, self.takes)
                changed += [new for new, was in zip(after.lines, before.lines)
                            if new.job.key != was.job.key or new.label != was.label]
            new_keys = {line.job.key for line in changed if not self.cache.contains(line.job.key)}
            return LexiconPreview(word, pron, tuple(line.label for line in changed),
                                  tuple(line.text for line in changed), len(new_keys),
                                  tuple(sorted({int(line.label.split(".")[0]) for line in changed})))

    def lexicon_apply(self, word: str, pron: str) -> LexiconPreview:
        """Add the entry to the project's lexicon file (atomically); returns what it changes."""
        with self.lock:
            preview = self.lexicon_preview(word, pron)
            path = self._lexicon_file()
            atomic_write_text(path, self._lexicon_text(path, preview.word, preview.pron))
            return preview

    def _lexicon_file(self) -> Path:
        path = self.project.lexicon
        if path is None:
            raise StudioError("the project has no lexicon file ([frontend] lexicon in project.toml)")
        if path.suffix.lower() == ".toml":
            raise StudioError(f"{path.name} is a TOML lexicon: add the entry there by hand")
        return path

    @staticmethod
    def _lexicon_text(path: Path, word: str, pron: str) -> str:
        text = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        separator = " = " if " " in word else " "
        return f"{text}{word}{separator}{pron}  {LEXICON_NOTE}\n"


def _mentions(chapter, needle: str) -> bool:
    """Whether any line of the chapter (title included) contains ``needle`` (case-insensitive)."""
    texts: Iterable[str] = [chapter.title, *(s.text for s in chapter.sentences())]
    return any(needle in text.lower() for text in texts)
