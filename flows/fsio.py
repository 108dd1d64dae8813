"""Atomic file writes (temp file in the same folder, fsync, rename) and content hashing."""
from __future__ import annotations

import os
from pathlib import Path

from flows.errors import OutputError
from tts_engine.hub import file_sha256  # noqa: F401 - one implementation, shared with the model download


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte of ``data`` to ``fd`` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError.from_os_error(path, exc) from exc


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8 variant of :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def remove_partials(folder: Path) -> None:
    """Delete temp files left in ``folder`` by a process killed mid-write."""
    if folder.is_dir():
        for leftover in folder.glob(".*.partial"):
            leftover.unlink(missing_ok=True)
