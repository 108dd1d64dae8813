"""Content-addressed sentence audio cache: one checksummed file per sentence key, written atomically."""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flows.store.fsio import atomic_write_bytes
from tts_engine.engine import SentenceAudio

log = logging.getLogger(__name__)

MAGIC = b"BVSA1\n"           # file format tag; a header JSON line follows, then int16 PCM
PCM_DTYPE = np.dtype("<i2")
PCM_SCALE = 32767.0
ENTRY_SUFFIX = ".pcm"
STALE_PARTIAL_S = 600.0      # a put takes milliseconds; a temp file this old belongs to a killed writer


@dataclass(frozen=True)
class EntryInfo:
    """What a cache entry's header says, without reading its audio."""

    sample_rate: int
    n_samples: int
    flags: tuple[str, ...]

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate


class SentenceCache:
    """Sentence audio stored under its content key in ``root/<2 hex>/<key>.pcm``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Where the entry for ``key`` lives."""
        return self.root / key[:2] / f"{key}{ENTRY_SUFFIX}"

    def contains(self, key: str) -> bool:
        """Whether an entry exists (not verified)."""
        return self.path(key).is_file()

    def put(self, result: SentenceAudio) -> None:
        """Store one sentence's audio (16-bit PCM plus checksum) atomically."""
        pcm = np.clip(np.round(result.audio * PCM_SCALE), -PCM_SCALE, PCM_SCALE).astype(PCM_DTYPE).tobytes()
        header = {"sample_rate": result.sample_rate, "n_samples": len(pcm) // PCM_DTYPE.itemsize,
                  "flags": list(result.flags), "sha256": hashlib.sha256(pcm).hexdigest()}
        atomic_write_bytes(self.path(result.key), MAGIC + json.dumps(header).encode() + b"\n" + pcm)

    def _read(self, key: str) -> tuple[dict, bytes] | None:
        try:
            blob = self.path(key).read_bytes()
        except FileNotFoundError:
            return None
        if not blob.startswith(MAGIC) or b"\n" not in blob[len(MAGIC):]:
            return self._corrupt(key, "bad header")
        head, _, pcm = blob[len(MAGIC):].partition(b"\n")
        try:
            header = json.loads(head)
        except json.JSONDecodeError:
            return self._corrupt(key, "bad header")
        if hashlib.sha256(pcm).hexdigest() != header.get("sha256"):
            return self._corrupt(key, "checksum mismatch")
        return header, pcm

    def _corrupt(self, key: str, problem: str) -> None:
        log.warning("cache entry %s is corrupt (%s); it will be re-rendered", self.path(key), problem)
        self.path(key).unlink(missing_ok=True)
        return None

    def verify(self, key: str) -> bool:
        """Whether a complete, uncorrupted entry exists; a corrupt one is deleted."""
        return self._read(key) is not None

    def get(self, key: str) -> SentenceAudio | None:
        """The verified audio for ``key`` as float32, or None when missing or corrupt (then deleted)."""
        entry = self._read(key)
        if entry is None:
            return None
        header, pcm = entry
        audio = np.frombuffer(pcm, dtype=PCM_DTYPE).astype(np.float32) / PCM_SCALE
        return SentenceAudio(key, audio, int(header["sample_rate"]), list(header.get("flags", [])))

    def info(self, key: str) -> EntryInfo:
        """The header of an existing entry (sample rate, length, flags), reading only its first line."""
        with self.path(key).open("rb") as fh:
            fh.read(len(MAGIC))
            header = json.loads(fh.readline())
        return EntryInfo(int(header["sample_rate"]), int(header["n_samples"]), tuple(header.get("flags", ())))

    def remove_partials(self, older_than_s: float = STALE_PARTIAL_S) -> int:
        """Delete temp files of writes killed mid-way (old enough that no live writer can own them)."""
        removed = 0
        cutoff = time.time() - older_than_s
        for leftover in self.root.glob("*/.*.partial"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def evict(self, key: str) -> None:
        """Drop the entry for ``key`` (forcing a re-render)."""
        self.path(key).unlink(missing_ok=True)
