"""``bookvoice worker``: a long-lived process on one GPU (or CPU slot) that synthesises shards for the farm.

Renders started with ``--farm`` hand their missing sentences out as Prefect background task runs of
``synthesize_shard``; each worker serves that task (``prefect.task_worker.serve``), keeps every voice it
has loaded between shards, claims each sentence before synthesising it and stores the audio in the
shared cache. Why background tasks rather than a work pool: a work pool starts a process per flow
run, so every shard would load the models again; a task worker is one process that stays warm.
"""
from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from prefect import task
from prefect.cache_policies import NONE as NO_CACHE

from flows.config.project import SpeedConfig, VoiceConfig
from flows.store.cache import SentenceCache
from flows.store.claims import Claims
from tts_engine.engine import Engine

log = logging.getLogger(__name__)

DEVICE_ENV = "BOOKVOICE_WORKER_DEVICE"


@functools.lru_cache(maxsize=4)
def _engine(voice: VoiceConfig, device: str) -> Engine:
    """The voice's engine, loaded once per worker process and kept warm between shards."""
    from flows.engines.registry import load_engine

    return load_engine(voice, SpeedConfig(device=device))


@task(name="synthesize_shard", cache_policy=NO_CACHE, persist_result=False)
def synthesize_shard(spec_path: str) -> dict:
    """Claim, synthesise and cache every sentence of a shard that is not cached or claimed already."""
    from flows.farm.shards import ShardSpec

    try:
        spec = ShardSpec.load(Path(spec_path))
    except FileNotFoundError:          # its sentences all landed and the coordinator cleared it away
        return {"shard": Path(spec_path).stem, "written": 0, "skipped": 0}
    cache = SentenceCache(Path(spec.cache_dir))
    claims = Claims(cache.root)
    try:
        mine = [job for job in spec.jobs if not cache.contains(job.key) and claims.take(job.key)]
        # a claim taken after another worker finished: drop it rather than redo that sentence
        done = [job for job in mine if cache.verify(job.key)]
        claims.release_all(job.key for job in done)
        mine = [job for job in mine if job not in done]
        engine = _engine(spec.voice, os.environ.get(DEVICE_ENV, "auto"))
        written = 0
        for result in engine.synthesize(mine):
            cache.put(result)
            claims.release(result.key)
            written += 1
        return {"shard": spec.shard_id, "written": written, "skipped": len(spec.jobs) - len(mine)}
    finally:
        claims.close()


def serve_worker(device: str = "auto", limit: int = 1) -> None:
    """Serve ``synthesize_shard`` until interrupted, synthesising on ``device``."""
    from prefect.task_worker import serve

    SpeedConfig(device=device)        # validates the device's spelling before serving
    os.environ[DEVICE_ENV] = device
    log.info("bookvoice worker on %s serving synthesis shards (limit %d)", device, limit)
    serve(synthesize_shard, limit=limit)
