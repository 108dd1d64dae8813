"""Nightly production: every project under a folder whose inputs changed is rendered; one failure never stops the rest."""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow

from flows.config.project import PROJECT_FILE, load_project
from flows.engines.registry import engine_fingerprint, load_engine
from flows.errors import ProjectError
from flows.pipeline.workspace import inputs_fingerprint, last_rendered_inputs
from flows.store.fsio import atomic_write_text

log = logging.getLogger(__name__)

CATALOGUE_REPORT = "catalogue-report.json"


def inputs_changed(project_dir: Path) -> bool:
    """Whether book, project.toml, lexicon, cover, takes or voice differ from the last complete render."""
    project = load_project(project_dir)
    engine = load_engine(project.voice, project.speed)
    current = inputs_fingerprint(project, engine_fingerprint(engine, project.voice))
    return current != last_rendered_inputs(project) or not project.report_path.is_file()


def catalogue_projects(folder: Path) -> list[Path]:
    """The project folders of a catalogue: ``folder`` itself when it is one, else its sub-folders that are."""
    folder = Path(folder)
    if (folder / PROJECT_FILE).is_file():
        return [folder]
    projects = sorted(p for p in folder.iterdir() if (p / PROJECT_FILE).is_file()) if folder.is_dir() else []
    if not projects:
        raise ProjectError(folder, "no project.toml here or in its sub-folders")
    return projects


@dataclass
class CatalogueReport:
    """What a nightly run did per project: rendered, unchanged or failed (with the one-line reason)."""

    rendered: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@flow(name="bookvoice-nightly", persist_result=False, log_prints=False)
def render_catalogue(folder: str, farm: bool = False) -> dict:
    """Render every project under ``folder`` whose inputs changed; failures are reported, not raised."""
    from flows.pipeline.flow import render_book

    report = CatalogueReport()
    for project_dir in catalogue_projects(Path(folder)):
        name = str(project_dir)
        try:
            if not inputs_changed(project_dir):
                report.unchanged.append(name)
                continue
            render_book(str(project_dir), farm=farm)
            report.rendered.append(name)
        except Exception as exc:  # noqa: BLE001 - one broken book must not stop the catalogue
            log.error("%s: %s", name, exc)
            report.failed[name] = str(exc) or type(exc).__name__
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    atomic_write_text(Path(folder) / CATALOGUE_REPORT,
                      json.dumps({"at": stamp, **asdict(report)}, ensure_ascii=False, indent=1) + "\n")
    return asdict(report)


def serve_nightly(folder: Path, cron: str, farm: bool = False) -> None:
    """Serve a deployment of ``render_catalogue`` for ``folder`` on ``cron`` (blocks until interrupted)."""
    folder = Path(folder).resolve()
    render_catalogue.serve(name=f"bookvoice-{folder.name}", cron=cron,
                           parameters={"folder": str(folder), "farm": farm})
