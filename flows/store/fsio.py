"""Atomic file writes (temp file in the same folder, fsync, rename) and content hashing."""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from flows.errors import OutputError
from tts_engine.hub import file_sha256, user_cache_dir

DIGEST_STORE = "digests.json"        # remembered sha256 of large files, under the user cache folder
MIN_REMEMBERED_BYTES = 1 << 20       # smaller files are cheaper to hash than to look up

log = logging.getLogger(__name__)


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


def remembered_sha256(path: Path, store_dir: Path | None = None) -> str:
    """sha256 of a file, remembered across runs while its size and modification time stay the same.

    Voice weights and base models are gigabytes: hashing them on every ``render`` or ``status``
    would cost seconds. The store maps ``path|size|mtime_ns`` to the digest; an entry for an
    older version of the same path is dropped when the file is hashed again.
    """
    stat = path.stat()
    if stat.st_size < MIN_REMEMBERED_BYTES:
        return file_sha256(path)
    store = (store_dir or user_cache_dir()) / DIGEST_STORE
    resolved = str(path.resolve())
    key = f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}"
    try:
        known = json.loads(store.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(key), str):
        return known[key]
    digest = file_sha256(path)
    if not isinstance(known, dict):
        known = {}
    known = {k: v for k, v in known.items() if k.rsplit("|", 2)[0] != resolved}
    known[key] = digest
    try:
        atomic_write_text(store, json.dumps(known, sort_keys=True))
    except OutputError as exc:              # remembering is an optimisation; the digest is still right
        log.debug("cannot remember the digest of %s: %s", path, exc)
    return digest
