"""The synthesis slot: one local render at a time drives a device.

A render takes the slot of its device before its first synthesis and keeps it until it ends. The slot
is a file lock (released by the OS if the process dies, so a killed render never blocks its resume),
one per device name: two renders on ``cuda:0`` and ``cuda:1`` run side by side, two on one GPU queue.
A farm needs no slot: each `bookvoice worker` owns its device.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import tempfile
from contextlib import ExitStack
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_ENV = "BOOKVOICE_SYNTHESIS_LOCK"   # overrides the lock file's folder and prefix (tests use their own)
LOCK_PREFIX = "bookvoice-synthesis"


def default_lock_path(device: str = "auto") -> Path:
    """The lock file of ``device``: ``$BOOKVOICE_SYNTHESIS_LOCK-<device>`` or one in the system temp folder."""
    stem = os.environ.get(LOCK_ENV) or str(Path(tempfile.gettempdir()) / LOCK_PREFIX)
    return Path(f"{stem}-{re.sub(r'[^A-Za-z0-9]+', '', device) or 'auto'}.lock")


class SynthesisSlot:
    """Context manager; call it to take the slot (once) before synthesising, it is released on exit."""

    def __init__(self, lock_path: Path | None = None, device: str = "auto") -> None:
        self.lock_path = lock_path or default_lock_path(device)
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
            log.warning("another render is synthesising on this device; waiting for it (%s)", self.lock_path)
            fcntl.flock(fd, fcntl.LOCK_EX)
        self._stack.callback(fcntl.flock, fd, fcntl.LOCK_UN)
        self._held = True
