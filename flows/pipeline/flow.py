"""The ``bookvoice-render`` Prefect flow: the render pipeline as thin typed tasks, retried only on I/O.

The work itself lives in ``flows.pipeline.render`` (plain functions); here it gets Prefect's run
history, retries for writes, and a thread pool on which chapters are exported while synthesis goes on.
"""
from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE as NO_CACHE

from flows.errors import OutputError
from flows.pipeline.plan import ChapterPlan
from flows.pipeline.render import (assemble_chapter, execute, local_source, prepare, publish_report,
                                   take_prepared)
from flows.pipeline.workspace import Workspace
from text_prep.errors import InputFileError
from tts_engine.errors import EngineError

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


export_chapter = task(assemble_chapter, name="export_chapter", retries=IO_RETRIES,
                      retry_delay_seconds=IO_RETRY_DELAY_S, retry_condition_fn=_transient,
                      cache_policy=NO_CACHE, persist_result=False)


write_report = task(publish_report, name="write_report", retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAY_S,
                    retry_condition_fn=_transient, cache_policy=NO_CACHE, persist_result=False)


@flow(name="bookvoice-render", persist_result=False, log_prints=False, validate_parameters=False)
def render_book(project_dir: str, force: list[str] | None = None, chapters: list[int] | None = None,
                farm: bool = False, prepared: str = "") -> dict:
    """Render a project: every selected chapter to tagged ACX MP3s, reusing every cached sentence."""
    plan = take_prepared(prepared) or prepare(Workspace.open(Path(project_dir), chapters), force or ())
    ws = plan.workspace
    tags = {c.index: ws.tags(c) for c in ws.chapters}

    def assemble(chapter: ChapterPlan) -> object:
        return export_chapter.submit(chapter, tags[chapter.index], ws.project, ws.cache, plan.wanted[chapter.index])

    source, stats = local_source(plan, farm)
    if farm:
        return execute(plan, source, assemble, stats, write_report)
    from flows.farm.slots import SynthesisSlot

    with SynthesisSlot(device=ws.project.speed.device) as slot:
        if plan.jobs:
            slot()
        return execute(plan, source, assemble, stats, write_report)
