"""Two-stage overlap: producer threads yield finished GPT rows, worker threads vocode them as they arrive.

On a CPU the GPT's decode steps are many small ops that scale badly across cores (and collapse when
another process holds a core), while SoVITS is a few huge convolutions. Running the stages in
their own threads keeps every core busy: GPT decoding on one core (or several GPT streams, each
with its share of the rows, on several) while SoVITS decodes earlier sentences on the others.
Torch releases the GIL inside ops. Every thread sets the same intra-op thread count (OpenMP's is
per thread but MKL's is process-wide, and a count that changed mid-run would change the float
rounding of whatever ran at that moment). On CUDA each
thread issues its work on its own stream (current streams are per thread too), so SoVITS kernels
overlap the GPT's decode steps instead of queueing behind them.

The producer is the critical path (every sentence waits for its GPT rows), so on a CPU the workers
may run at a lower priority (`worker_nice`, Linux per-thread niceness): while the GPT decodes, the
scheduler keeps its core for it and the workers share the rest; when it idles they take every core.
"""
from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Generic, Iterator, Sequence, TypeVar

import torch

In = TypeVar("In")
Out = TypeVar("Out")

_DONE = object()
log = logging.getLogger(__name__)


@dataclass
class PipelineTimes:
    """Wall seconds of the producers (start to the last one's end) and busy seconds summed over the workers."""

    produce: float = 0.0
    consume: float = 0.0


class Pipeline(Generic[In, Out]):
    """Runs each `produce()` (yielding (index, item)) in its own thread and `consume(batch)` in `workers` threads.

    `consume` gets up to `max_group` (index, item) pairs at a time, whatever has arrived, and
    returns one output per pair in the same order. `threads` sets each thread's intra-op torch
    threads (None leaves them as they are); on a CUDA `device` each thread gets its own stream.
    `worker_nice` (0: none) is added to the workers' niceness where the OS allows it per thread.
    The first exception of any thread is re-raised once every thread has stopped; after it, producers
    take no further item and workers consume nothing more (the run's outputs are lost anyway).
    """

    def __init__(self, workers: int = 1, max_group: int = 1, threads: int | None = None,
                 device: torch.device | None = None, worker_nice: int = 0) -> None:
        if workers < 1 or max_group < 1 or worker_nice < 0:
            raise ValueError("workers and max_group must be at least 1, worker_nice non-negative")
        self.workers = workers
        self.max_group = max_group
        self.threads = threads
        self.device = device
        self.worker_nice = worker_nice
        self.times = PipelineTimes()

    def run(self, produce: Callable[[], Iterator[tuple[int, In]]] | Sequence[Callable[[], Iterator[tuple[int, In]]]],
            consume: Callable[[list[In]], list[Out]]) -> dict[int, Out]:
        """Both stages to completion (one producer, or several, each on its own thread); outputs by index."""
        producers = [produce] if callable(produce) else list(produce)
        inbox: queue.Queue = queue.Queue()
        results: dict[int, Out] = {}
        errors: list[BaseException] = []
        lock = threading.Lock()
        running = [len(producers)]
        start = time.perf_counter()

        def producer(source: Callable[[], Iterator[tuple[int, In]]]) -> None:
            self._set_threads()
            try:
                with self._own_stream():
                    for index, item in source():
                        if errors:         # another thread failed: produce no further
                            break
                        inbox.put((index, item))
            except BaseException as exc:   # handed to the caller below
                errors.append(exc)
            finally:
                with lock:
                    running[0] -= 1
                    last = running[0] == 0
                if last:                   # the workers stop once every producer has finished
                    self.times.produce = time.perf_counter() - start
                    for _ in range(self.workers):
                        inbox.put(_DONE)

        def worker() -> None:
            self._set_threads()
            self._lower_priority()
            with self._own_stream():
                consume_all()

        def consume_all() -> None:
            while True:
                first = inbox.get()
                if first is _DONE:
                    return
                group = [first]
                while len(group) < self.max_group:
                    try:
                        extra = inbox.get_nowait()
                    except queue.Empty:
                        break
                    if extra is _DONE:
                        inbox.put(_DONE)   # leave it for this worker's next get
                        break
                    group.append(extra)
                if errors:                 # another thread failed: drain to the end without consuming
                    continue
                start = time.perf_counter()
                try:
                    outputs = consume([item for _, item in group])
                except BaseException as exc:
                    errors.append(exc)
                    return
                with lock:
                    self.times.consume += time.perf_counter() - start
                    results.update((index, out) for (index, _), out in zip(group, outputs))

        threads = [threading.Thread(target=producer, args=(source,), name=f"gsv-gpt-{i}", daemon=True)
                   for i, source in enumerate(producers)]
        threads += [threading.Thread(target=worker, name=f"gsv-sovits-{i}", daemon=True)
                    for i in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return results

    def _set_threads(self) -> None:
        if self.threads is not None:
            torch.set_num_threads(self.threads)

    def _lower_priority(self) -> None:
        """Raise the calling thread's niceness by `worker_nice` (Linux threads are scheduled one by one)."""
        if not self.worker_nice:
            return
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + self.worker_nice)
        except (AttributeError, OSError) as exc:   # no per-thread priorities here: workers run as they are
            log.debug("worker priority unchanged: %s", exc)

    def _own_stream(self) -> contextlib.AbstractContextManager:
        """A fresh CUDA stream for the calling thread (ordered after the default stream's work so far)."""
        if self.device is None or self.device.type != "cuda":
            return contextlib.nullcontext()
        stream = torch.cuda.Stream(self.device)
        stream.wait_stream(torch.cuda.default_stream(self.device))
        return torch.cuda.stream(stream)
