"""Run the studio: build the app for a project and serve it with uvicorn until Ctrl-C."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from flows.studio.app import StudioSettings, create_app

log = logging.getLogger(__name__)


def serve(project_dir: Path, host: str, port: int, announce: Callable[[str], None]) -> None:
    """Open the project (one-line errors for a bad one), then serve it; ``announce`` gets the URL to open."""
    import uvicorn

    settings = StudioSettings(host=host, port=port)
    app = create_app(Path(project_dir), settings)
    if not settings.local:
        log.warning("the studio is reachable beyond this machine: every request needs the token in its URL")
    announce(f"bookvoice studio for {project_dir}: {settings.url()}")
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)).run()
