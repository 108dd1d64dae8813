"""The farm's coordinator side: missing sentences cut into shards, handed to workers, watched until they land.

A shard is a JSON file in the shared cache folder (``<cache>/shards/<id>.json``: the voice, the cache
and the jobs) and one Prefect background task run (``synthesize_shard.delay``) that any ``bookvoice
worker`` picks up. The cache is the source of truth: a sentence is done when its entry exists. A shard
whose unfinished sentences have had no live claim for a lease (its worker died) is cut again from what
is still missing and handed out anew; nothing finished is redone, and claims keep two workers off
the same sentence.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from flows.config.project import VoiceConfig
from flows.pipeline.session import SessionStats
from flows.store.cache import SentenceCache
from flows.store.claims import Claims
from flows.store.fsio import atomic_write_text
from flows.pipeline.plan import job_from_dict, job_to_dict
from tts_engine.engine import SentenceJob

log = logging.getLogger(__name__)

SHARDS_DIR = "shards"
POLL_S = 0.5                 # how often the coordinator looks at the cache for landed sentences
MAX_REISSUES = 20            # a shard cut again this often means something is wrong with the book or voice


class FarmError(RuntimeError):
    """The farm could not finish a render (a shard failed again and again)."""


@dataclass(frozen=True)
class ShardSpec:
    """Everything a worker needs to synthesise a shard: the voice, the shared cache and the jobs."""

    shard_id: str
    cache_dir: str
    engine: str
    voice_files: tuple[str, ...]
    voice_settings: str                 # canonical JSON of [voice.settings]
    jobs: tuple[SentenceJob, ...]

    def save(self, path: Path) -> None:
        data = {"shard_id": self.shard_id, "cache_dir": self.cache_dir, "engine": self.engine,
                "voice_files": list(self.voice_files), "voice_settings": self.voice_settings,
                "jobs": [job_to_dict(j) for j in self.jobs]}
        atomic_write_text(path, json.dumps(data, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: Path) -> "ShardSpec":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["shard_id"], data["cache_dir"], data["engine"], tuple(data["voice_files"]),
                   data["voice_settings"], tuple(job_from_dict(j) for j in data["jobs"]))

    @property
    def voice(self) -> VoiceConfig:
        return VoiceConfig(self.engine, tuple(Path(f) for f in self.voice_files), self.voice_settings)


@dataclass
class _Shard:
    spec: ShardSpec
    path: Path
    future: object
    pending: set[str]
    last_alive: float
    issues: int = 1


@dataclass
class FarmSource:
    """A ``SentenceSource`` whose sentences are synthesised by the farm's workers."""

    voice: VoiceConfig
    cache: SentenceCache
    shard_sentences: int
    stats: SessionStats = field(default_factory=SessionStats)

    @classmethod
    def for_workspace(cls, workspace) -> "FarmSource":
        project = workspace.project
        return cls(project.voice, workspace.cache, project.speed.shard_sentences)

    def _issue(self, jobs: Sequence[SentenceJob], issues: int = 1) -> _Shard:
        from flows.farm.worker import synthesize_shard

        shard_id = uuid.uuid4().hex
        spec = ShardSpec(shard_id, str(self.cache.root.resolve()), self.voice.engine,
                         tuple(str(f) for f in self.voice.files), self.voice.settings_json, tuple(jobs))
        path = self.cache.root / SHARDS_DIR / f"{shard_id}.json"
        spec.save(path)
        future = synthesize_shard.delay(str(path.resolve()))
        return _Shard(spec, path, future, {job.key for job in jobs}, time.monotonic(), issues)

    def run(self, jobs: Sequence[SentenceJob]) -> Iterator[str]:
        start = time.perf_counter()
        claims = Claims(self.cache.root)
        shards = [self._issue(jobs[i:i + self.shard_sentences]) for i in range(0, len(jobs), self.shard_sentences)]
        last_landing = time.monotonic()
        try:
            while shards:
                for shard in list(shards):
                    for key in [k for k in shard.pending if self.cache.contains(k)]:
                        shard.pending.discard(key)
                        self.stats.synthesized += 1
                        last_landing = time.monotonic()
                        yield key
                    if not shard.pending:
                        shards.remove(shard)
                        shard.path.unlink(missing_ok=True)
                now = time.monotonic()
                stalled = now - last_landing > claims.lease_s and not any(
                    claims.is_live(k) for shard in shards for k in shard.pending)
                for shard in list(shards):
                    if any(claims.is_live(k) for k in shard.pending):
                        shard.last_alive = now
                        continue
                    started, finished = _progress(shard.future)
                    dead_mid_shard = started and now - shard.last_alive > claims.lease_s
                    if finished or dead_mid_shard or (stalled and not started):
                        shards.remove(shard)
                        shard.path.unlink(missing_ok=True)
                        shards.append(self._reissue(shard))
                        shard.last_alive = now
                if stalled:
                    last_landing = now
                time.sleep(POLL_S)    # the cache on a shared folder has no change notification to wait on
        finally:
            self.stats.wall_s += time.perf_counter() - start
            self.stats.busy_s = self.stats.wall_s     # the workers' engines are busy; this side only waits

    def _reissue(self, shard: _Shard) -> _Shard:
        if shard.issues >= MAX_REISSUES:
            raise FarmError(f"shard {shard.spec.shard_id} failed {shard.issues} times; last state: "
                            f"{_state_name(shard.future)}")
        log.warning("shard %s: %d sentences unfinished and no live worker on them; handing them out again",
                    shard.spec.shard_id[:8], len(shard.pending))
        jobs = [job for job in shard.spec.jobs if job.key in shard.pending]
        return self._issue(jobs, shard.issues + 1)


def _state_name(future: object) -> str:
    try:
        return future.state.name   # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - the state is only for the message
        return "unknown"


def _progress(future: object) -> tuple[bool, bool]:
    """Whether a worker has started the shard's task run, and whether that run is over.

    A run delivered to a worker that died before starting it stays scheduled forever: such shards are
    handed out again when the whole farm stalls (nothing landed and nobody holds a claim for a lease).
    """
    state = _state_name(future).upper()
    return state not in ("SCHEDULED", "PENDING", "UNKNOWN"), state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")
