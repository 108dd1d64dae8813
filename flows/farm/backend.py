"""Where flows report: the configured Prefect server, or one per-user server started on first need and reused.

Nothing of Prefect lives in a project. Without ``PREFECT_API_URL`` the first command that orchestrates
(``render`` with work to do, ``worker``, ``schedule``) starts a Prefect server for this user in the
background (home ``~/.local/share/bookvoice/prefect`` or ``$BOOKVOICE_PREFECT_HOME``, SQLite, or the
database in ``$PREFECT_SERVER_DATABASE_CONNECTION_URL``) and later commands reuse it: the start-up cost
is paid once per boot, not per command. ``bookvoice server stop`` ends it. Commands that only read
(``status``, ``inspect``, ``phones``, ``report``, ``voice``) never touch Prefect.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from text_prep.errors import PathProblem

log = logging.getLogger(__name__)

HOME_ENV = "BOOKVOICE_PREFECT_HOME"
STARTUP_ENV = "BOOKVOICE_PREFECT_STARTUP_S"
STARTUP_TIMEOUT_S = 180.0           # a slow, busy machine migrating a fresh database needs minutes, not 20 s
HEALTH_TIMEOUT_S = 3.0
POLL_S = 0.25
STATE_FILE, LOCK_FILE, LOG_FILE = "server.json", "server.lock", "server.log"
PREFECT_RUN_LOGGERS = ("prefect", "prefect.flow_runs", "prefect.task_runs")
LOCAL_HOST = "127.0.0.1"


class OrchestrationError(PathProblem):
    """Prefect could not be reached or started; ``str()`` is ``"<server or log file>: <problem>"``."""


@dataclass(frozen=True)
class ServerHandle:
    """A running Prefect server: its API URL and process id (0 when it is not ours)."""

    url: str
    pid: int = 0


def user_prefect_home() -> Path:
    """This user's Prefect home: ``$BOOKVOICE_PREFECT_HOME`` or ``$XDG_DATA_HOME/bookvoice/prefect``."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "bookvoice" / "prefect"


def is_healthy(url: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
    """Whether a Prefect API answers its health check at ``url``."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=timeout_s) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCAL_HOST, 0))
        return sock.getsockname()[1]


def _startup_timeout() -> float:
    try:
        return float(os.environ.get(STARTUP_ENV, STARTUP_TIMEOUT_S))
    except ValueError:
        return STARTUP_TIMEOUT_S


def start_server(home: Path, env: Mapping[str, str] | None = None, timeout_s: float | None = None) -> ServerHandle:
    """Start ``prefect server start`` detached, with its home and log in ``home``; wait until it is healthy."""
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://{LOCAL_HOST}:{port}/api"
    server_env = {**os.environ, **(env or {}), "PREFECT_HOME": str(home), "PREFECT_API_URL": "",
                  "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
                  "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", LOCAL_HOST, "--port", str(port),
               "--no-ui"]
    log_path = home / LOG_FILE
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(command, env=server_env, stdout=log_file, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    limit = timeout_s if timeout_s is not None else _startup_timeout()
    deadline = time.monotonic() + limit
    while not is_healthy(url):
        if proc.poll() is not None:
            raise OrchestrationError(log_path, f"the Prefect server exited with status {proc.returncode} "
                                               f"while starting (see this log)")
        if time.monotonic() > deadline:
            stop_pid(proc.pid)
            raise OrchestrationError(log_path, f"the Prefect server did not answer within {limit:.0f} s "
                                               f"(set ${STARTUP_ENV} to wait longer)")
        time.sleep(POLL_S)   # waiting for an external process to come up: polling its health is the only signal
    return ServerHandle(url, proc.pid)


def stop_pid(pid: int) -> None:
    """End a server started by ``start_server`` (its whole process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def user_server(start: bool = True) -> ServerHandle | None:
    """This user's Prefect server: the running one, else (``start``) a new one; two commands never start two."""
    home = user_prefect_home()
    state = home / STATE_FILE
    with _locked(home / LOCK_FILE):
        try:
            known = ServerHandle(**json.loads(state.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            known = None
        if known is not None and is_healthy(known.url):
            return known
        if not start:
            return None
        handle = start_server(home)
        from flows.store.fsio import atomic_write_text

        atomic_write_text(state, json.dumps({"url": handle.url, "pid": handle.pid}) + "\n")
        log.info("started this user's Prefect server at %s (home %s)", handle.url, home)
        return handle


def stop_user_server() -> bool:
    """Stop this user's background server; whether one was running."""
    handle = user_server(start=False)
    if handle is None:
        return False
    stop_pid(handle.pid)
    (user_prefect_home() / STATE_FILE).unlink(missing_ok=True)
    return True


def configured_url() -> str:
    """``PREFECT_API_URL`` from the environment or the active Prefect profile ('' when none)."""
    from prefect.settings import PREFECT_API_URL

    return os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value() or ""


def api_url() -> str:
    """The server to report to: the configured one (checked), else this user's (started when needed)."""
    url = configured_url()
    if url:
        if not is_healthy(url):
            raise OrchestrationError(f"PREFECT_API_URL={url}", "no Prefect server answers there "
                                                               "(start it, or unset PREFECT_API_URL)")
        return url
    handle = user_server(start=True)
    assert handle is not None
    return handle.url


def quiet_prefect_loggers() -> None:
    """Keep Prefect's run loggers quiet: the CLI's progress and one-line errors are what a user reads."""
    for name in PREFECT_RUN_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


@contextlib.contextmanager
def prefect_backend() -> Iterator[str]:
    """Run the block against the configured server or this user's server; yields the API URL."""
    from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_LEVEL, temporary_settings

    url = api_url()
    quiet_prefect_loggers()
    saved = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url      # task processes started inside the block report there too
    try:
        with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_LOGGING_LEVEL: "WARNING"}):
            yield url
    finally:
        if saved is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = saved
