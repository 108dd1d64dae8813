"""``bookvoice status``: per chapter, whether its files are done, its audio is all cached, or lines are stale."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flows.store.cache import SentenceCache
from flows.pipeline.chapter import input_hash
from flows.engines.registry import engine_fingerprint, load_engine
from flows.pipeline.plan import plan_chapter
from flows.config.project import load_project
from flows.report.model import ChapterManifest
from flows.config.takes import Takes
from flows.pipeline.workspace import FrontEnd, chapter_tags, load_book, selected_chapters

DONE, CACHED, STALE = "done", "cached", "stale"


@dataclass(frozen=True)
class ChapterStatus:
    """One chapter's state: ``done`` (files current), ``cached`` (needs assembly only) or ``stale``."""

    index: int
    title: str
    lines: int
    cached: int
    state: str


def project_status(project_dir: Path) -> list[ChapterStatus]:
    """Compare every chapter's current inputs with the cache and the stored manifests (renders nothing)."""
    project = load_project(project_dir)
    engine = load_engine(project.voice)
    engine_fp = engine_fingerprint(engine, project.voice)
    frontend, takes = FrontEnd.for_project(project), Takes.load(project.takes_path)
    book = load_book(project)
    cache = SentenceCache(project.cache_dir)
    chapters = selected_chapters(book, project)
    out = []
    for track, chapter in enumerate(chapters, start=1):
        plan = plan_chapter(chapter, frontend, engine_fp, takes)
        cached = sum(cache.contains(key) for key in plan.keys)
        manifest = ChapterManifest.load(project.state_dir, chapter.index)
        wanted = input_hash(plan, chapter_tags(book, project, chapter, track, len(chapters)), project)
        if manifest is not None and manifest.is_current(wanted, project.out_dir):
            state = DONE
        else:
            state = CACHED if cached == len(plan.lines) else STALE
        out.append(ChapterStatus(chapter.index, chapter.title, len(plan.lines), cached, state))
    return out
