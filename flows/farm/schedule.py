"""Nightly production: a flow that renders a project only when its inputs changed, served on a cron schedule."""
from __future__ import annotations

import logging
from pathlib import Path

from prefect import flow

from flows.engines.registry import engine_fingerprint, load_engine
from flows.config.project import load_project
from flows.pipeline.render import render_book
from flows.pipeline.workspace import inputs_fingerprint, last_rendered_inputs

log = logging.getLogger(__name__)


def inputs_changed(project_dir: Path) -> bool:
    """Whether book, project.toml, lexicon, cover, takes or voice differ from the last complete render."""
    project = load_project(project_dir)
    engine = load_engine(project.voice)
    current = inputs_fingerprint(project, engine_fingerprint(engine, project.voice))
    return current != last_rendered_inputs(project) or not project.report_path.is_file()


@flow(name="bookvoice-nightly", persist_result=False)
def render_if_changed(project_dir: str) -> bool:
    """Render the project when its inputs changed since the last render; returns whether it rendered."""
    if not inputs_changed(Path(project_dir)):
        log.info("inputs of %s unchanged; nothing to render", project_dir)
        return False
    render_book(project_dir)
    return True


def serve_nightly(project_dir: Path, cron: str) -> None:
    """Serve a deployment of ``render_if_changed`` for this project on ``cron`` (blocks until interrupted)."""
    project = load_project(project_dir)
    render_if_changed.serve(name=f"bookvoice-{project.name}", cron=cron,
                            parameters={"project_dir": str(project.root)})
