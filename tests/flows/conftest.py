"""Fixtures for flow tests: one Prefect test server per session, projects with the fake engine, books, phones."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w

from text_prep.book import Book, BookMetadata, Chapter, with_context

REPO = Path(__file__).resolve().parents[2]
FAKE_ENGINE = "tests.flows.fake_engine:FakeEngine.from_project"


@pytest.fixture(scope="session")
def prefect_server() -> str:
    """A temporary Prefect server (started once) that flows in this session and CLI subprocesses report to."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


@pytest.fixture(autouse=True)
def private_synthesis_lock(tmp_path_factory, monkeypatch) -> None:
    """Tests take their own synthesis lock, so a real render on this machine never stalls them (nor they it)."""
    from flows.farm.slots import LOCK_ENV

    monkeypatch.setenv(LOCK_ENV, str(tmp_path_factory.getbasetemp() / "synthesis.lock"))


@dataclass(frozen=True)
class FakeSegment:
    lang: str
    norm_text: str
    phones: tuple[str, ...]
    word2ph: tuple[int, ...] = ()


@dataclass(frozen=True)
class FakePhonemes:
    text: str
    segments: tuple[FakeSegment, ...]
    phones: tuple[str, ...]
    phone_ids: tuple[int, ...]
    norm_text: str
    version: str = "v2"


def fake_phonemize(text: str, lexicon: dict[str, str] | None = None) -> FakePhonemes:
    """Stand-in front-end: lexicon words replaced by their reading, one phone per letter or character."""
    spoken = text
    for word, reading in (lexicon or {}).items():
        spoken = spoken.replace(word, reading)
    phones = tuple(ch for ch in spoken if ch.isalnum())
    segment = FakeSegment("en", spoken, phones)
    return FakePhonemes(text, (segment,), phones, tuple(range(len(phones))), spoken)


def make_book(chapters: list[list[list[str]]], title: str = "Test Book") -> Book:
    """A Book from chapters of paragraphs of sentences (chapter titles are "Chapter N")."""
    return Book(BookMetadata(title=title, authors=["A. Writer"]),
                [Chapter(i, f"Chapter {i}", with_context(i, paras)) for i, paras in enumerate(chapters, start=1)])


def write_project(root: Path, log: Path | None, **sections: dict) -> Path:
    """A project folder using the fake engine; ``sections`` override tables of project.toml."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "book.txt").write_text("placeholder: tests inject the Book\n", encoding="utf-8")
    (root / "lexicon.txt").write_text("# empty\n", encoding="utf-8")
    config = {"book": {"path": "book.txt", "title": "Test Book", "author": "A. Writer"},
              "voice": {"engine": FAKE_ENGINE, "settings": {"log": str(log)} if log else {}},
              "frontend": {"lexicon": "lexicon.txt"},
              "render": {"chunk": 4, "skip_kinds": []},
              "pauses": {"sentence_s": 0.1, "paragraph_s": 0.2, "title_s": 0.3, "head_s": 0.5, "tail_s": 1.0}}
    for name, table in sections.items():
        config[name] = {**config.get(name, {}), **table}
    (root / "project.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    return root


@dataclass(frozen=True)
class FakeFrontEnd:
    """Replaces ``flows.pipeline.workspace.FrontEnd``: lexicon lines ``word reading`` are substituted before 'phonemising'."""

    lexicon: tuple[tuple[str, str], ...]

    @classmethod
    def for_project(cls, project) -> "FakeFrontEnd":
        entries = []
        for line in project.lexicon.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                word, reading = line.split(maxsplit=1)
                entries.append((word, reading))
        return cls(tuple(entries))

    def __call__(self, text: str) -> FakePhonemes:
        return fake_phonemize(text, dict(self.lexicon))


@pytest.fixture
def inject(monkeypatch):
    """Make the render flow read a given Book through the fake front-end: ``inject(book)``."""
    import flows.pipeline.workspace

    monkeypatch.setattr(flows.pipeline.workspace, "FrontEnd", FakeFrontEnd)

    def use(book: Book) -> None:
        monkeypatch.setattr(flows.pipeline.workspace, "load_book", lambda project: book)

    return use
