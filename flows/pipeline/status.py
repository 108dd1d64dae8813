"""``bookvoice status``: per chapter, whether its files are done, its audio is all cached, or lines are stale."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from flows.pipeline.chapter import input_hash
from flows.pipeline.plan import plan_chapters
from flows.pipeline.workspace import Workspace
from flows.report.model import ChapterManifest

DONE, CACHED, STALE = "done", "cached", "stale"


@dataclass(frozen=True)
class ChapterStatus:
    """One chapter's state: ``done`` (files current), ``cached`` (needs assembly only) or ``stale``."""

    index: int
    title: str
    lines: int
    cached: int
    state: str


def project_status(project_dir: Path, only: Sequence[int] | None = None) -> list[ChapterStatus]:
    """Compare every chapter's current inputs with the cache and the stored manifests (renders nothing)."""
    ws = Workspace.open(project_dir, only)
    project, out = ws.project, []
    plans = plan_chapters(ws.chapters, ws.frontend, ws.engine_fp, ws.takes, 1, ws.plan_cache())
    for chapter, plan in zip(ws.chapters, plans):
        cached = sum(ws.cache.contains(key) for key in plan.keys)
        manifest = ChapterManifest.load(project.state_dir, chapter.index)
        wanted = input_hash(plan, ws.tags(chapter), project)
        if manifest is not None and manifest.is_current(wanted, project.out_dir):
            state = DONE
        else:
            state = CACHED if cached == len(plan.lines) else STALE
        out.append(ChapterStatus(chapter.index, chapter.title, len(plan.lines), cached, state))
    return out
