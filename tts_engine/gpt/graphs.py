"""CUDA-graph replay of a fixed-shape step: one capture per shape key, eager everywhere else.

`StepGraphs(body)` is called as `runner(*key)` where `body(*key)` only reads and writes tensors
that outlive it (the decode rows' buffers) and launches no host sync. On CUDA the first call of
a key runs `body` eagerly on a side stream (the warm-up: lazy kernel set-up happens there), the
second captures it into a graph (capture runs nothing) and replays it, and later calls replay.
Elsewhere, or with graphs off, every call runs `body` eagerly: the same computation.
"""
from __future__ import annotations

import logging
from typing import Callable, Hashable

import torch

log = logging.getLogger(__name__)

MAX_GRAPHS = 96          # captured shapes kept; beyond this, new shapes run eagerly


class StepGraphs:
    """Runs `body(*key)`, as captured CUDA graphs when `enabled` on a CUDA `device`."""

    def __init__(self, body: Callable[..., None], device: torch.device, enabled: bool = True,
                 max_graphs: int = MAX_GRAPHS) -> None:
        self.body = body
        self.device = torch.device(device)
        self.enabled = enabled and self.device.type == "cuda"
        self.max_graphs = max_graphs
        self.graphs: dict[Hashable, "torch.cuda.CUDAGraph"] = {}
        self.warm: set[Hashable] = set()
        self._pool = None

    def __call__(self, *key: Hashable) -> None:
        """One step for this shape key."""
        if not self.enabled:
            self.body(*key)
            return
        graph = self.graphs.get(key)
        if graph is not None:
            graph.replay()
        elif key not in self.warm or len(self.graphs) >= self.max_graphs:
            self._warm_up(key)
        else:
            self._capture(key).replay()

    def _warm_up(self, key: tuple) -> None:
        """Run the body eagerly on a side stream (first use of a shape), ordered with the current stream."""
        current = torch.cuda.current_stream(self.device)
        side = torch.cuda.Stream(self.device)
        side.wait_stream(current)
        with torch.cuda.stream(side):
            self.body(*key)
        current.wait_stream(side)
        self.warm.add(key)

    def _capture(self, key: tuple) -> "torch.cuda.CUDAGraph":
        """Record the body for this key (nothing runs while recording); graphs share one memory pool."""
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self._pool, capture_error_mode="thread_local"):
            self.body(*key)
        self._pool = graph.pool()
        self.graphs[key] = graph
        log.debug("captured a CUDA graph for step shape %s (%d kept)", key, len(self.graphs))
        return graph
