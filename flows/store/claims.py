"""Leases on cache keys in a shared folder, so two workers never synthesise the same sentence.

A claim is a file ``<root>/claims/<key>`` created exclusively (``O_EXCL``) by its holder, who renews
it by touching it while working. A claim not renewed for ``lease_s`` is stale: its holder is presumed
dead and anyone may take it over. Works on a local disk and on NFS (exclusive create, atomic rename).
"""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Iterable

CLAIMS_DIR = "claims"
LEASE_ENV = "BOOKVOICE_LEASE_S"
DEFAULT_LEASE_S = 60.0


def lease_seconds() -> float:
    """The lease: ``$BOOKVOICE_LEASE_S`` or a minute."""
    try:
        return float(os.environ.get(LEASE_ENV, DEFAULT_LEASE_S))
    except ValueError:
        return DEFAULT_LEASE_S


class Claims:
    """This process's claims under ``root/claims``, renewed by a heartbeat thread while held."""

    def __init__(self, root: Path, lease_s: float | None = None, owner: str | None = None) -> None:
        self.dir = Path(root) / CLAIMS_DIR
        self.lease_s = lease_s if lease_s is not None else lease_seconds()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def path(self, key: str) -> Path:
        return self.dir / key

    def is_live(self, key: str, now: float | None = None) -> bool:
        """Whether someone holds a claim on ``key`` renewed within the lease."""
        try:
            age = (now or time.time()) - self.path(key).stat().st_mtime
        except FileNotFoundError:
            return False
        return age < self.lease_s

    def take(self, key: str) -> bool:
        """Claim ``key``: True when it is now ours (free, or stale and taken over)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.path(key)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if self.is_live(key):
                return False
            tmp = self.dir / f".{key}.{self.owner.replace(':', '_')}"
            tmp.write_text(self.owner)
            os.replace(tmp, path)              # take over a dead holder's claim atomically
            if path.read_text() != self.owner:  # another taker won the race
                return False
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(self.owner)
        with self._lock:
            self._held.add(key)
        self._start_heartbeat()
        return True

    def release(self, key: str) -> None:
        """Give a claim back (after its audio is in the cache)."""
        with self._lock:
            self._held.discard(key)
        with contextlib.suppress(FileNotFoundError):
            if self.path(key).read_text() == self.owner:
                self.path(key).unlink()

    def release_all(self, keys: Iterable[str] | None = None) -> None:
        for key in list(keys if keys is not None else self._held):
            self.release(key)

    def _start_heartbeat(self) -> None:
        if self._beat is None or not self._beat.is_alive():
            self._stop.clear()
            self._beat = threading.Thread(target=self._renew, name="claims-heartbeat", daemon=True)
            self._beat.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.lease_s / 4):
            with self._lock:
                held = list(self._held)
            for key in held:
                with contextlib.suppress(FileNotFoundError):
                    os.utime(self.path(key))

    def close(self) -> None:
        """Stop renewing and release everything still held."""
        self._stop.set()
        self.release_all()
