"""Fixtures for flow tests: one Prefect test server per session, projects with the fake engine, books, phones."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w

from text_prep.book import Book, BookMetadata, Chapter, with_context

REPO = Path(__file__).resolve().parents[2]
FAKE_ENGINE = "tests.flows.fake_engine:FakeEngine.from_project"


PG_ENV = "BOOKVOICE_TEST_POSTGRES"       # e.g. postgresql://postgres@127.0.0.1:5432 (the default)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432"


def _postgres_database(name: str) -> str | None:
    """Create a fresh database on the project's PostgreSQL; its SQLAlchemy URL, or None when none answers."""
    import asyncio

    import asyncpg

    base = os.environ.get(PG_ENV, DEFAULT_PG).rstrip("/")

    async def create() -> None:
        conn = await asyncpg.connect(f"{base}/postgres", timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
        return None
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"


@dataclass(frozen=True)
class PrefectServer:
    url: str
    home: Path                   # PREFECT_HOME shared by the test's processes (task parameters live there)
    database: str                # "postgresql" or "sqlite"

    def env(self) -> dict[str, str]:
        return {"PREFECT_API_URL": self.url, "PREFECT_HOME": str(self.home)}


@pytest.fixture(scope="session")
def prefect_server_info(tmp_path_factory) -> PrefectServer:
    """One real Prefect server for the session: on PostgreSQL when it answers, else on SQLite."""
    from flows.farm.backend import start_server, stop_pid

    home = tmp_path_factory.mktemp("prefect-home")
    database = _postgres_database(f"bookvoice_test_{os.getpid()}")
    env = {"PREFECT_SERVER_DATABASE_CONNECTION_URL": database} if database else {}
    handle = start_server(home, env=env)
    saved = {k: os.environ.get(k) for k in ("PREFECT_API_URL", "PREFECT_HOME")}
    os.environ.update({"PREFECT_API_URL": handle.url, "PREFECT_HOME": str(home)})
    try:
        yield PrefectServer(handle.url, home, "postgresql" if database else "sqlite")
    finally:
        stop_pid(handle.pid)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def prefect_server(prefect_server_info) -> str:
    """The session's Prefect server URL (flows in this process and CLI subprocesses report to it)."""
    return prefect_server_info.url


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


@pytest.fixture(autouse=True)
def private_prefect_home(tmp_path_factory, monkeypatch) -> None:
    """No test ever starts (or finds) a per-user Prefect server in the real home."""
    from flows.farm.backend import HOME_ENV

    monkeypatch.setenv(HOME_ENV, str(tmp_path_factory.getbasetemp() / "user-prefect"))


@pytest.fixture
def inject(monkeypatch, prefect_server):
    """Make the render flow read a given Book through the fake front-end: ``inject(book)``."""
    import flows.pipeline.workspace

    monkeypatch.setattr(flows.pipeline.workspace, "FrontEnd", FakeFrontEnd)

    def use(book: Book) -> None:
        monkeypatch.setattr(flows.pipeline.workspace, "load_book", lambda project: book)

    return use
