"""A fast deterministic engine for flow tests: a tone per sentence, and a log of every key it synthesised."""
from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from tts_engine.engine import SentenceAudio, SentenceJob
from tts_engine.errors import VoiceFileError

FAKE_RATE = 16000
SECONDS_PER_CHAR = 0.02
LOG_ENV, DELAY_ENV = "FAKE_ENGINE_LOG", "FAKE_ENGINE_DELAY_S"
# a farm worker that should die mid-shard: after this many cached sentences it writes READY_ENV's file and hangs
BLOCK_AFTER_ENV, READY_ENV = "FAKE_ENGINE_BLOCK_AFTER", "FAKE_ENGINE_READY"


class FakeEngine:
    """Tone whose pitch comes from the key and length from the text; appends each key to ``log``."""

    name = "fake"
    sample_rate = FAKE_RATE

    def __init__(self, log: Path | None, delay_s: float) -> None:
        self.log, self.delay_s = log, delay_s
        self.done = 0             # sentences synthesised and stored by this process

    @classmethod
    def from_project(cls, files: Sequence[Path], settings: Mapping[str, Any],
                     knobs: Mapping[str, Any] | None = None) -> "FakeEngine":
        for path in files:
            if path.read_bytes()[:4] != b"FAKE":
                raise VoiceFileError(path, "not a fake voice file")
        # a CLI subprocess gets log and delay from the environment so its settings (and keys) match a reference run
        log = settings.get("log") or os.environ.get(LOG_ENV)
        return cls(Path(log) if log else None, float(os.environ.get(DELAY_ENV, settings.get("delay_s", 0.0))))

    def fingerprint(self) -> str:
        return hashlib.sha256(b"fake-engine-1").hexdigest()

    def synthesize(self, jobs: Sequence[SentenceJob]) -> Iterator[SentenceAudio]:
        block_after = int(os.environ.get(BLOCK_AFTER_ENV, "-1"))
        for job in jobs:
            if block_after >= 0 and self.done >= block_after:
                Path(os.environ[READY_ENV]).write_text(str(self.done))
                threading.Event().wait()           # hang mid-shard until the test kills this worker
            time.sleep(self.delay_s)
            n = int(FAKE_RATE * (0.2 + SECONDS_PER_CHAR * len(job.text)))
            freq = 150 + int(job.key[:4], 16) % 300 + job.seed % 50
            t = np.arange(n) / FAKE_RATE
            audio = (0.3 * np.sin(2 * np.pi * freq * t) * np.hanning(n)).astype(np.float32)
            yield SentenceAudio(job.key, audio, FAKE_RATE, ["no_eos"] if "!" in job.text else [])
            # the caller asks for the next result only after storing this one: logging here means every
            # logged key is durably cached, so a test that kills the process after N keys sees N entries
            if self.log is not None:
                with self.log.open("a", encoding="utf-8") as fh:
                    fh.write(job.key + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
            self.done += 1


def synthesized_keys(log: Path) -> list[str]:
    """Every key the fake engine synthesised, in order (across processes)."""
    return log.read_text(encoding="utf-8").split() if log.is_file() else []
