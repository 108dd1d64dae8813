"""One synthesis session for a whole render: every missing sentence of every chapter as one queue.

The engine sees the book's missing sentences as one stream (so its continuous batching refills rows
across chapter boundaries) and each result is stored the moment it arrives. A chapter is handed to
the assembly pool as soon as its last sentence is cached, while synthesis goes on. Where the audio
comes from is a ``SentenceSource``: the local engine here, the farm's workers in ``flows.farm``.
"""
from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from flows.pipeline import progress
from flows.pipeline.plan import ChapterPlan
from flows.store.cache import SentenceCache
from tts_engine.engine import Engine, SentenceJob

log = logging.getLogger(__name__)

RESULT_QUEUE = 64          # finished sentences the engine may run ahead of the cache writes
_END = object()


class SentenceSource(Protocol):
    """Something that makes sentences' audio land in the cache, yielding each key once it is stored."""

    def run(self, jobs: Sequence[SentenceJob]) -> Iterator[str]: ...


@dataclass
class SessionStats:
    """What one session did: sentences synthesised, engine-busy and wall seconds."""

    synthesized: int = 0
    busy_s: float = 0.0
    wall_s: float = 0.0

    @property
    def busy_fraction(self) -> float:
        """Share of the session's wall time the engine was computing (1.0 when nothing ran)."""
        return self.busy_s / self.wall_s if self.wall_s > 0 else 1.0


@dataclass
class LocalSource:
    """The process's own engine: one ``synthesize`` call over the whole queue, results cached as they come.

    The engine runs on its own thread and hands results over through a bounded queue; this side
    stores them, so the engine never waits for the disk (only for a full queue).
    """

    engine: Engine
    cache: SentenceCache
    stats: SessionStats = field(default_factory=SessionStats)
    queue_size: int = RESULT_QUEUE

    def run(self, jobs: Sequence[SentenceJob]) -> Iterator[str]:
        start = time.perf_counter()
        results: queue.Queue = queue.Queue(maxsize=self.queue_size)
        stop = threading.Event()

        def produce() -> None:
            try:
                stream = iter(self.engine.synthesize(jobs))
                while not stop.is_set():
                    t0 = time.perf_counter()
                    try:
                        result = next(stream)
                    except StopIteration:
                        break
                    self.stats.busy_s += time.perf_counter() - t0
                    results.put(result)
                results.put(_END)
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
                results.put(exc)

        producer = threading.Thread(target=produce, name="synthesis", daemon=True)
        producer.start()
        try:
            while True:
                item = results.get()
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                self.cache.put(item)
                self.stats.synthesized += 1
                yield item.key
        finally:
            stop.set()
            while producer.is_alive():        # unblock a producer waiting on a full queue, then let it end
                with contextlib.suppress(queue.Empty):
                    results.get_nowait()
                producer.join(timeout=0.1)
            self.stats.wall_s += time.perf_counter() - start


def missing_jobs(plans: Iterable[ChapterPlan], cache: SentenceCache) -> list[SentenceJob]:
    """Every job of the plans without a verified cache entry, each distinct key once, in reading order."""
    jobs: dict[str, SentenceJob] = {}
    checked: set[str] = set()
    for plan in plans:
        for line in plan.lines:
            key = line.job.key
            if key not in checked:
                checked.add(key)
                if not cache.verify(key):
                    jobs[key] = line.job
    return list(jobs.values())


def run_session(plans: Sequence[ChapterPlan], jobs: Sequence[SentenceJob], source: SentenceSource,
                assemble: Callable[[ChapterPlan], Future]) -> dict[int, Future]:
    """Synthesise ``jobs`` through ``source``; ``assemble`` each chapter once all its lines are cached.

    Returns the assembly futures by chapter index (chapters needing nothing are assembled first).
    """
    wanted = {job.key for job in jobs}
    remaining: dict[int, set[str]] = {}
    waiting: dict[str, list[int]] = {}
    for plan in plans:
        keys = {line.job.key for line in plan.lines} & wanted
        remaining[plan.index] = keys
        for key in keys:
            waiting.setdefault(key, []).append(plan.index)
    by_index = {plan.index: plan for plan in plans}
    futures = {index: assemble(by_index[index]) for index, keys in remaining.items() if not keys}
    sink = progress.current()
    for key in source.run(jobs):
        sink.advanced(progress.SYNTHESIZE)
        for index in waiting.pop(key, ()):
            remaining[index].discard(key)
            if not remaining[index]:
                futures[index] = assemble(by_index[index])
    unfinished = [index for index, keys in remaining.items() if keys]
    if unfinished:
        raise RuntimeError(f"synthesis ended with chapters {unfinished} incomplete")
    return futures
