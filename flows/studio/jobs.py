"""Studio renders: one worker thread running the normal render, and the progress events the page listens to."""
from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from flows.pipeline import progress
from flows.store.cache import SentenceCache

log = logging.getLogger(__name__)

KEPT_EVENTS = 2000            # events a late page can still catch up on
LANDING_WINDOW = 64           # pending lines checked for landed audio at each synthesised sentence
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def render_project(project_dir: Path, force: Sequence[str], chapters: Sequence[int] | None,
                   sink: progress.ProgressSink) -> dict:
    """The studio's one call into the render pipeline: the very call ``bookvoice render`` makes."""
    from flows.pipeline.render import run_render

    return run_render(Path(project_dir), force=tuple(force), chapters=chapters, sink=sink)


class EventLog:
    """Numbered events (the page reads them as server-sent events); the last ``KEPT_EVENTS`` are kept."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._events: collections.deque[tuple[int, dict]] = collections.deque(maxlen=KEPT_EVENTS)
        self._seq = 0
        self.closed = False

    def publish(self, kind: str, **data: object) -> int:
        """Add an event; returns its number."""
        with self._changed:
            self._seq += 1
            self._events.append((self._seq, {"kind": kind, **data}))
            self._changed.notify_all()
            return self._seq

    def since(self, seq: int, timeout_s: float) -> list[tuple[int, dict]]:
        """Events after number ``seq``, waiting up to ``timeout_s`` for one to arrive."""
        with self._changed:
            self._changed.wait_for(lambda: self._seq > seq or self.closed, timeout=timeout_s)
            return [(n, event) for n, event in self._events if n > seq]

    @property
    def last(self) -> int:
        return self._seq

    def close(self) -> None:
        """Wake every listener for good (server shutdown)."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()


class StudioProgress:
    """A ``ProgressSink`` that turns the pipeline's reports into page events, with the lines whose audio landed."""

    def __init__(self, events: EventLog, job_id: int, cache: SentenceCache,
                 pending: Sequence[tuple[str, str]]) -> None:
        self.events, self.job_id, self.cache = events, job_id, cache
        self._pending = list(pending)              # (label, key) not yet cached, in reading order

    def stage_started(self, stage: str, total: int) -> None:
        self.events.publish("stage", job=self.job_id, stage=stage, total=total)

    def advanced(self, stage: str, n: int = 1) -> None:
        self.events.publish("advanced", job=self.job_id, stage=stage, n=n)
        if stage == progress.SYNTHESIZE:
            self._landed()

    def chapter_done(self, index: int, title: str) -> None:
        self.events.publish("chapter_done", job=self.job_id, chapter=index, title=title)

    def _landed(self) -> None:
        window = self._pending[:LANDING_WINDOW]
        landed = [label for label, key in window if self.cache.contains(key)]
        if landed:
            self._pending = [item for item in window if item[0] not in landed] + self._pending[LANDING_WINDOW:]
            self.events.publish("landed", job=self.job_id, labels=landed)


@dataclass
class Job:
    """One requested render: why, which chapters, which labels to force, and how it went."""

    id: int
    description: str
    chapters: tuple[int, ...] | None
    labels: tuple[str, ...] = ()
    force: tuple[str, ...] = ()
    state: str = QUEUED
    totals: dict = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0

    def public(self) -> dict:
        return {"id": self.id, "description": self.description, "state": self.state, "labels": list(self.labels),
                "chapters": None if self.chapters is None else list(self.chapters), "totals": self.totals,
                "error": self.error, "seconds": round(self.seconds, 2)}


class RenderWorker:
    """Runs queued renders one at a time in a single thread (the engine stays loaded in this process)."""

    def __init__(self, project_dir: Path, events: EventLog, pending: Callable[[Job], list[tuple[str, str]]],
                 cache: Callable[[], SentenceCache], finished: Callable[[Job], None]) -> None:
        self.project_dir = project_dir
        self.events = events
        self._pending, self._cache, self._finished = pending, cache, finished
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._jobs: dict[int, Job] = {}
        self._next = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="studio-render", daemon=True)
        self._thread.start()

    def submit(self, description: str, chapters: Sequence[int] | None, labels: Sequence[str] = (),
               force: Sequence[str] = ()) -> Job:
        """Queue a render; its progress and outcome arrive as events."""
        with self._lock:
            self._next += 1
            job = Job(self._next, description, None if chapters is None else tuple(chapters), tuple(labels),
                      tuple(force))
            self._jobs[job.id] = job
        self.events.publish("job", **job.public())
        self._queue.put(job)
        return job

    def job(self, job_id: int) -> Job | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())

    def stop(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            job.state = RUNNING
            self.events.publish("job", **job.public())
            started = time.monotonic()
            try:
                sink = StudioProgress(self.events, job.id, self._cache(), self._pending(job))
                job.totals = render_project(self.project_dir, job.force, job.chapters, sink)
                job.state = DONE
            except Exception as exc:  # noqa: BLE001 - the page shows any failure; the worker carries on
                log.exception("studio render %d failed", job.id)
                job.state, job.error = FAILED, str(exc) or type(exc).__name__
            job.seconds = time.monotonic() - started
            try:
                self._finished(job)
            finally:
                self.events.publish("job", **job.public())
