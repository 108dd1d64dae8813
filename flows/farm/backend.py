"""Where flows report: a configured Prefect server, or an embedded local backend kept in the project folder."""
from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Iterator

from flows.config.project import STATE_DIR

log = logging.getLogger(__name__)

PREFECT_HOME_DIR = "prefect"      # under the project's state folder when running embedded
PREFECT_RUN_LOGGERS = ("prefect", "prefect.flow_runs", "prefect.task_runs")


def _backend_settings(project_root: Path) -> tuple[dict, str]:
    """Settings updates for this run: quiet logs; embedded mode unless ``PREFECT_API_URL`` names a server."""
    from prefect.settings import (PREFECT_API_URL, PREFECT_HOME, PREFECT_LOGGING_LEVEL,
                                  PREFECT_SERVER_ALLOW_EPHEMERAL_MODE, PREFECT_SERVER_ANALYTICS_ENABLED)

    if PREFECT_API_URL.value():
        return {PREFECT_LOGGING_LEVEL: "WARNING"}, f"server {PREFECT_API_URL.value()}"
    home = Path(project_root).resolve() / STATE_DIR / PREFECT_HOME_DIR
    home.mkdir(parents=True, exist_ok=True)
    return ({PREFECT_HOME: home, PREFECT_SERVER_ALLOW_EPHEMERAL_MODE: True, PREFECT_SERVER_ANALYTICS_ENABLED: False,
             PREFECT_LOGGING_LEVEL: "WARNING"}, f"embedded ({home})")


@contextlib.contextmanager
def prefect_backend(project_root: Path) -> Iterator[str]:
    """Run the block against ``PREFECT_API_URL`` when one is configured, else an embedded ephemeral server.

    Embedded mode keeps Prefect's home (SQLite history) in ``<project>/.bookvoice/prefect`` and turns off
    telemetry. Prefect's own loggers stay quiet from here to the end of the process (their shutdown
    messages come after the block), so the CLI's progress bars and one-line errors are all a user sees.
    """
    from prefect.settings import temporary_settings

    updates, where = _backend_settings(project_root)
    for name in PREFECT_RUN_LOGGERS:      # Prefect set its loggers up at import time
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with temporary_settings(updates=updates):
        yield where


def concurrency_limit_exists(name: str) -> bool:
    """Whether the Prefect backend has a global concurrency limit called ``name``."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            return False
    return True
