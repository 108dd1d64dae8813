"""The synthesis slot: one render at a time drives a machine's accelerator.

A render takes the slot before its first synthesis and keeps it until it ends. The slot is a file lock
(machine-wide, released by the OS if the process dies, so a killed render never blocks its resume) plus,
when the Prefect server has one, the global concurrency limit ``bookvoice-synthesis`` (for operators who
share one device among several workers: ``prefect gcl create bookvoice-synthesis --limit 1``).
"""
from __future__ import annotations

import fcntl
import logging
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path

log = logging.getLogger(__name__)

SYNTHESIS_LIMIT = "bookvoice-synthesis"
LOCK_FILE = "bookvoice-synthesis.lock"
PREFECT_LEASE_S = 60.0      # a dead holder's Prefect slot frees after this long (renewed while alive)


LOCK_ENV = "BOOKVOICE_SYNTHESIS_LOCK"   # overrides the lock file (one per device; tests use their own)


def default_lock_path() -> Path:
    """The machine-wide lock file: ``$BOOKVOICE_SYNTHESIS_LOCK`` or one in the system temp folder."""
    return Path(os.environ.get(LOCK_ENV) or Path(tempfile.gettempdir()) / LOCK_FILE)


class SynthesisSlot:
    """Context manager; call it to take the slot (once) before synthesising, it is released on exit."""

    def __init__(self, lock_path: Path | None = None, use_prefect_limit: bool = False) -> None:
        self.lock_path = lock_path or default_lock_path()
        self.use_prefect_limit = use_prefect_limit
        self._stack = ExitStack()
        self._held = False

    def __enter__(self) -> "SynthesisSlot":
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self._held = False

    def __call__(self) -> None:
        if self._held:
            return
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        self._stack.callback(os.close, fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another render is synthesising on this machine; waiting for it (%s)", self.lock_path)
            fcntl.flock(fd, fcntl.LOCK_EX)
        self._stack.callback(fcntl.flock, fd, fcntl.LOCK_UN)
        if self.use_prefect_limit:
            from prefect.concurrency.sync import concurrency

            self._stack.enter_context(concurrency(SYNTHESIS_LIMIT, occupy=1, lease_duration=PREFECT_LEASE_S))
        self._held = True
