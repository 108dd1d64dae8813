"""The render flow: ingest -> front-end -> synthesize in batches -> assemble each chapter -> export, as Prefect tasks."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

from prefect import flow, task
from prefect.cache_policies import NONE as NO_CACHE

from flows.pipeline import progress
from flows.farm.backend import concurrency_limit_exists
from flows.store.cache import SentenceCache
from flows.pipeline.chapter import input_hash, write_chapter
from flows.engines.registry import engine_fingerprint, load_engine
from flows.errors import OutputError, ProjectError
from flows.audio.export import Tags
from flows.store.fsio import atomic_write_text, remove_partials
from flows.pipeline.plan import ChapterPlan, plan_chapter
from flows.config.project import Project, load_project
from flows.report.model import ChapterManifest, ChapterOutput, ChapterReport, RunReport
from flows.report.html import write_report_html
from flows.farm.slots import SYNTHESIS_LIMIT, SynthesisSlot
from flows.config.takes import Takes
from flows.pipeline.workspace import (FrontEnd, book_author, book_title, chapter_tags, inputs_fingerprint, load_book,
                             record_rendered_inputs, selected_chapters)
from text_prep.book import Book, Chapter
from text_prep.errors import InputFileError
from tts_engine.engine import Engine, SentenceJob
from tts_engine.errors import EngineError

log = logging.getLogger(__name__)

IO_RETRIES = 2
IO_RETRY_DELAY_S = 2


def _transient(_task: object, _run: object, state: object) -> bool:
    """Retry condition for I/O tasks: retry OS hiccups, never bad input, engine errors or a full disk."""
    try:
        state.result()  # type: ignore[attr-defined]
    except (InputFileError, EngineError):
        return False
    except OutputError as exc:
        return "disk full" not in exc.problem
    except OSError:
        return True
    except Exception:  # noqa: BLE001 - anything else is a bug, not a transient failure
        return False
    return False


@task(retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAY_S, retry_condition_fn=_transient,
      cache_policy=NO_CACHE, persist_result=False)
def ingest(project: Project) -> Book:
    """Read and parse the book file (I/O: retried)."""
    return load_book(project)


@task(cache_policy=NO_CACHE, persist_result=False)
def phonemize_chapter(chapter: Chapter, frontend: FrontEnd, engine_fp: str, takes: Takes) -> ChapterPlan:
    """Front-end for one chapter: phones and content keys of every line."""
    return plan_chapter(chapter, frontend, engine_fp, takes)


@task(cache_policy=NO_CACHE, persist_result=False)
def synthesize_batch(jobs: Sequence[SentenceJob], engine: Engine, cache: SentenceCache) -> list[str]:
    """Synthesise a batch and cache each result as it arrives; returns the keys written."""
    written = []
    for result in engine.synthesize(jobs):
        cache.put(result)
        written.append(result.key)
        progress.current().lines_done(1)
    return written


@task(retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAY_S, retry_condition_fn=_transient,
      cache_policy=NO_CACHE, persist_result=False)
def export_chapter(plan: ChapterPlan, tags: Tags, project: Project, cache: SentenceCache) -> ChapterOutput:
    """Assemble the chapter from the cache and write its MP3s (I/O: retried)."""
    return write_chapter(plan, tags, project, cache)


@task(retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAY_S, retry_condition_fn=_transient,
      cache_policy=NO_CACHE, persist_result=False)
def write_report(report: RunReport, path: Path) -> None:
    """Write ``out/report.json`` and the page made from it, ``out/report.html``, atomically (I/O: retried)."""
    atomic_write_text(path, report.to_json())
    write_report_html(path)


def _batches(jobs: list[SentenceJob], size: int) -> Iterator[list[SentenceJob]]:
    """Consecutive slices of at most ``size`` jobs."""
    for start in range(0, len(jobs), size):
        yield jobs[start:start + size]


def _missing(plan: ChapterPlan, cache: SentenceCache) -> list[SentenceJob]:
    """Jobs of the plan without a verified cache entry (each distinct key once)."""
    jobs: dict[str, SentenceJob] = {}
    for line in plan.lines:
        if line.job.key not in jobs and not cache.verify(line.job.key):
            jobs[line.job.key] = line.job
    return list(jobs.values())


def _render_chapter(plan: ChapterPlan, tags: Tags, project: Project, engine: Engine,
                    cache: SentenceCache, force: frozenset[str], slot: Callable[[], None]) -> ChapterReport:
    """Synthesise what the cache lacks, then re-assemble only when the chapter's inputs changed."""
    sink = progress.current()
    sink.chapter_started(plan.index, plan.title, len(plan.lines))
    for line in plan.lines:
        if line.label in force:
            cache.evict(line.job.key)
    wanted = input_hash(plan, tags, project)
    manifest = ChapterManifest.load(project.state_dir, plan.index)
    if manifest is not None and manifest.is_current(wanted, project.out_dir) and not force & {
            line.label for line in plan.lines}:
        sink.lines_done(len(plan.lines))
        sink.chapter_done(plan.index)
        return ChapterReport.build(manifest.output, len(plan.lines), 0)
    missing = _missing(plan, cache)
    sink.lines_done(len(plan.lines) - len(missing))
    if missing:
        slot()
        for batch in _batches(missing, project.batch_size):
            synthesize_batch(batch, engine, cache)
    output = export_chapter(plan, tags, project, cache)
    ChapterManifest(wanted, output).save(project.state_dir)
    sink.chapter_done(plan.index)
    return ChapterReport.build(output, len(plan.lines), len(missing))


def _remove_stale_files(out_dir: Path, keep: set[str]) -> None:
    """Delete chapter MP3s that no current chapter produces (renamed or skipped chapters)."""
    for stale in out_dir.glob("*.mp3"):
        if stale.name not in keep:
            log.info("removing stale %s", stale)
            stale.unlink()


@flow(name="bookvoice-render", persist_result=False, log_prints=False)
def render_book(project_dir: str, force: list[str] | None = None) -> dict:
    """Render a project: every selected chapter to tagged ACX MP3s, reusing every cached sentence."""
    started = time.monotonic()
    project = load_project(Path(project_dir))
    for folder in (project.out_dir, project.state_dir):
        remove_partials(folder)
    engine = load_engine(project.voice)
    engine_fp = engine_fingerprint(engine, project.voice)
    frontend = FrontEnd.for_project(project)
    takes = Takes.load(project.takes_path)
    book = ingest(project)
    cache = SentenceCache(project.cache_dir)
    chapters = selected_chapters(book, project)
    if not chapters:
        raise ProjectError(project.book, "the book has no chapters to render")
    progress.current().book_started(len(chapters), sum(len(list(c.sentences())) + 1 for c in chapters))

    reports = []
    with SynthesisSlot(use_prefect_limit=concurrency_limit_exists(SYNTHESIS_LIMIT)) as slot:
        for track, chapter in enumerate(chapters, start=1):
            plan = phonemize_chapter(chapter, frontend, engine_fp, takes)
            if not plan.lines:
                continue
            tags = chapter_tags(book, project, chapter, track, len(chapters))
            reports.append(_render_chapter(plan, tags, project, engine, cache, frozenset(force or ()), slot))
    _remove_stale_files(project.out_dir, {p.file for r in reports for p in (r.parts or [r])})

    report = RunReport(
        project=project.name,
        book={"title": book_title(book, project), "authors": [book_author(book, project)]},
        rendered_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        engine={"name": engine.name, "fingerprint": engine_fp},
        totals={"sentences": sum(r.sentences for r in reports), "synthesized": sum(r.synthesized for r in reports),
                "cached": sum(r.cached for r in reports), "seconds": round(time.monotonic() - started, 2)},
        chapters=reports,
    )
    write_report(report, project.report_path)
    record_rendered_inputs(project, inputs_fingerprint(project, engine_fp))
    return report.totals
