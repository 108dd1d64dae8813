"""The render: plan every chapter, one synthesis session for the whole book, chapters assembled as they complete.

``run_render`` is what ``bookvoice render``, ``rerender`` and the studio call. It opens the project and
plans every selected chapter without Prefect (not even importing it); when nothing needs synthesis or
assembly it returns at once, so a no-op render never waits for an orchestrator. Otherwise it runs the
``bookvoice-render`` Prefect flow (``flows.pipeline.flow``) on the configured or per-user server.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from flows.audio.export import Tags
from flows.config.overrides import applied_edits
from flows.config.project import Project
from flows.pipeline import progress
from flows.delivery.book_delivery import deliver_project, delivery_is_current
from flows.delivery.formats import parse_formats
from flows.delivery.timings import timings_path
from flows.pipeline.chapter import input_hash, slug, write_chapter
from flows.pipeline.plan import ChapterPlan, plan_chapters
from flows.pipeline.session import LocalSource, SentenceSource, SessionStats, missing_jobs, run_session
from flows.pipeline.workspace import Workspace, book_author, book_title, inputs_fingerprint, record_rendered_inputs
from flows.report.html import write_report_html
from flows.report.model import ChapterManifest, ChapterOutput, ChapterReport, EditedLine, RunReport
from flows.store.cache import SentenceCache
from flows.store.fsio import atomic_write_text, remove_partials
from tts_engine.engine import SentenceJob

log = logging.getLogger(__name__)



@dataclass
class Prepared:
    """A planned render: which chapters are current, which need assembly, which sentences are missing."""

    workspace: Workspace
    plans: list[ChapterPlan]
    wanted: dict[int, str]                       # chapter index -> input hash of its files
    current: dict[int, ChapterOutput]            # chapters whose files match their inputs
    jobs: list[SentenceJob] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    formats: tuple[str, ...] | None = None      # this run's delivery formats (``--format``), else the project's
    library: Path | None = None                 # this run's library folder (``--library``), else the project's

    @property
    def to_assemble(self) -> list[ChapterPlan]:
        return [plan for plan in self.plans if plan.index not in self.current]

    @property
    def nothing_to_do(self) -> bool:
        return not self.jobs and not self.to_assemble


ASSEMBLY_PROCESSES_MIN_CHAPTERS = 4   # below this, starting worker processes costs more than it saves


def assembly_runner(prepared: "Prepared") -> object:
    """The task runner chapters are exported on: processes for books (no GIL shared with the engine's
    thread), threads when only a few chapters need it (a rerender pays no process start-up)."""
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    workers = assembly_workers(prepared.workspace.project)
    if len(prepared.to_assemble) >= ASSEMBLY_PROCESSES_MIN_CHAPTERS and (workers > 1 or prepared.jobs):
        return ProcessPoolTaskRunner(max_workers=workers)
    return ThreadPoolTaskRunner(max_workers=workers)


def assembly_workers(project: Project) -> int:
    """Chapters assembled at once: the setting, else every core but the one feeding the engine."""
    return project.speed.assembly_workers or max(1, (os.cpu_count() or 1) - 1)


def prepare(workspace: Workspace, force: Sequence[str] = ()) -> Prepared:
    """Plan every selected chapter (front-end on all cores for big books) and compare with cache and files."""
    project, cache = workspace.project, workspace.cache
    for folder in (project.out_dir, project.state_dir):
        remove_partials(folder)
    cache.remove_partials()
    sink = progress.current()
    sink.stage_started(progress.PLAN, len(workspace.chapters))
    plans = [plan for plan in plan_chapters(workspace.chapters, workspace.frontend, workspace.engine_fp,
                                            workspace.takes, assembly_workers(project) + 1, workspace.plan_cache(),
                                            lambda plan: sink.advanced(progress.PLAN)) if plan.lines]
    forced = set(force)
    by_index = {c.index: c for c in workspace.chapters}
    wanted, current = {}, {}
    for plan in plans:
        wanted[plan.index] = input_hash(plan, workspace.tags(by_index[plan.index]), project)
        hit = forced & {line.label for line in plan.lines}
        for line in plan.lines:
            if line.label in hit:
                cache.evict(line.job.key)
        manifest = ChapterManifest.load(project.state_dir, plan.index)
        if (not hit and manifest is not None and manifest.is_current(wanted[plan.index], project.out_dir)
                and timings_path(project.state_dir, plan.index).is_file()):
            current[plan.index] = manifest.output
    prepared = Prepared(workspace, plans, wanted, current)
    prepared.jobs = missing_jobs(prepared.to_assemble, cache)
    return prepared


def assemble_chapter(plan: ChapterPlan, tags: Tags, project: Project, cache: SentenceCache,
                     wanted: str) -> ChapterOutput:
    """Assemble one chapter from the cache, write its files and record its manifest."""
    output = write_chapter(plan, tags, project, cache)
    ChapterManifest(wanted, output).save(project.state_dir)
    return output


def publish_report(report: RunReport, path: Path) -> None:
    """Write ``out/report.json`` and the page made from it, ``out/report.html``, atomically."""
    atomic_write_text(path, report.to_json())
    write_report_html(path)


def _remove_stale_files(out_dir: Path, keep: set[str]) -> None:
    """Delete chapter MP3s that no current chapter produces (renamed or skipped chapters)."""
    for stale in out_dir.glob("*.mp3"):
        if stale.name not in keep:
            log.info("removing stale %s", stale)
            stale.unlink()


def execute(prepared: Prepared, source: SentenceSource, assemble: Callable[[ChapterPlan], object],
            stats: SessionStats, write_report: Callable[[RunReport, Path], None] = publish_report) -> dict:
    """Run the session, collect every chapter, write the report; returns the totals."""
    ws = prepared.workspace
    sink = progress.current()
    sink.stage_started(progress.SYNTHESIZE, len(prepared.jobs))
    sink.stage_started(progress.ASSEMBLE, len(prepared.to_assemble))
    futures = run_session(prepared.to_assemble, prepared.jobs, source, assemble)
    missing = {job.key for job in prepared.jobs}
    reports = []
    for plan in prepared.plans:
        if plan.index in prepared.current:
            reports.append(ChapterReport.build(prepared.current[plan.index], len(plan.lines), 0))
            continue
        keys = {line.job.key for line in plan.lines}
        output = futures[plan.index].result()
        sink.advanced(progress.ASSEMBLE)
        sink.chapter_done(plan.index, plan.title)
        reports.append(ChapterReport.build(output, len(plan.lines), len(keys & missing)))
    _remove_stale_files(ws.project.out_dir, _kept_files(ws, reports))
    delivered = deliver_project(**_delivery_args(prepared))
    totals = {"sentences": sum(r.sentences for r in reports), "synthesized": sum(r.synthesized for r in reports),
              "cached": sum(r.cached for r in reports), "seconds": round(time.monotonic() - prepared.started, 2),
              "engine_busy": round(stats.busy_fraction, 3), "synthesis_s": round(stats.wall_s, 2)}
    report = RunReport(
        project=ws.project.name,
        book={"title": book_title(ws.book, ws.project), "authors": [book_author(ws.book, ws.project)]},
        rendered_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        engine={"name": ws.engine.name, "fingerprint": ws.engine_fp},
        totals=totals,
        chapters=reports,
        edits=[EditedLine(e.label, e.original, e.text) for e in applied_edits(ws.project.root, ws.book)],
        files=[_report_path(f, ws.project.out_dir) for f in (*delivered.files, *filter(None, [delivered.library_folder]))],
    )
    write_report(report, ws.project.report_path)
    if len(ws.chapters) == len(ws.selectable):
        record_rendered_inputs(ws.project, inputs_fingerprint(ws.project, ws.engine_fp))
    return totals


def _delivery_args(prepared: Prepared) -> dict:
    """What ``deliver_project`` needs: the book's metadata, every selected chapter, this run's formats."""
    ws = prepared.workspace
    title = book_title(ws.book, ws.project)
    return {"project": ws.project, "book": ws.book, "title": title, "author": book_author(ws.book, ws.project),
            "stem": slug(title), "chapter_indices": [c.index for c in ws.selectable],
            "formats": prepared.formats or ws.project.delivery.formats,
            "library": prepared.library or ws.project.delivery.library}


def _report_path(path: Path, out_dir: Path) -> str:
    return str(path.relative_to(out_dir)) if path.is_relative_to(out_dir) else str(path)


def _kept_files(ws: Workspace, reports: list[ChapterReport]) -> set[str]:
    """Files of this render's chapters plus, when only some chapters were asked for, every other chapter's."""
    keep = {p.file for r in reports for p in (r.parts or [r])}
    rendered = {r.index for r in reports}
    for chapter in ws.selectable:
        if chapter.index not in rendered:
            manifest = ChapterManifest.load(ws.project.state_dir, chapter.index)
            if manifest is not None:
                keep |= {p.file for p in manifest.output.parts}
    return keep


_PREPARED: dict[str, Prepared] = {}    # plans handed from run_render to the flow in the same process


def take_prepared(token: str) -> Prepared | None:
    """The plan ``run_render`` made for the flow it is starting (None when the flow runs elsewhere)."""
    return _PREPARED.pop(token, None)


def local_source(prepared: Prepared, farm: bool) -> tuple[SentenceSource, SessionStats]:
    """Where the audio comes from: the farm's workers, or this process's engine."""
    ws = prepared.workspace
    if farm:
        from flows.farm.shards import FarmSource

        source = FarmSource.for_workspace(ws)
        return source, source.stats
    local = LocalSource(ws.engine, ws.cache)
    return local, local.stats


def run_render(project_dir: Path, *, force: Sequence[str] = (), chapters: Sequence[int] | None = None,
               farm: bool = False, sink: progress.ProgressSink | None = None,
               formats: Sequence[str] | None = None, library: Path | None = None) -> dict:
    """Render a project (what ``bookvoice render`` runs); Prefect is started only when there is work.

    ``formats``/``library`` replace the project's ``[output] formats``/``library`` for this run.
    """
    with progress.reporting(sink or progress.current()):
        prepared = prepare(Workspace.open(Path(project_dir), chapters), force)
        prepared.formats = parse_formats(formats) if formats else None
        prepared.library = library
        if (prepared.nothing_to_do and prepared.workspace.project.report_path.is_file()
                and delivery_is_current(**_delivery_args(prepared))):
            totals = {"sentences": sum(len(p.lines) for p in prepared.plans), "synthesized": 0,
                      "cached": sum(len(p.lines) for p in prepared.plans),
                      "seconds": round(time.monotonic() - prepared.started, 2), "engine_busy": 1.0}
            return totals
        from flows.farm.backend import prefect_backend
        from flows.pipeline.flow import render_book

        token = uuid.uuid4().hex
        _PREPARED[token] = prepared
        try:
            runner = assembly_runner(prepared)
            with prefect_backend():
                return render_book.with_options(task_runner=runner)(
                    str(project_dir), list(force), None if chapters is None else list(chapters), farm, token)
        finally:
            _PREPARED.pop(token, None)
