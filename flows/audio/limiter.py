"""Smooth look-ahead peak limiter that runs on a stream of blocks and equals the whole-signal limiter.

The gain at each sample is ``min(1, ceiling / |x|)``; it is smoothed by a minimum over ``2w + 1`` samples and
then a mean over ``w`` (so each smoothed value only averages gains no larger than the one it covers), which
ramps the gain over a few milliseconds and never lets ``|x|`` pass the ceiling. An output sample depends on
input at most ``2w`` samples away, so a block is emitted once ``2w`` samples of the next one have arrived,
with ``2w`` samples of already-emitted input kept as left context.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from flows.audio.filters import running_mean, running_min
from flows.audio.loudness import undb

LIMITER_WINDOW_S = 0.005        # limiter look-ahead/release window


def limiter_window(sample_rate: int) -> int:
    """The window ``w`` in samples at ``sample_rate``."""
    return max(1, int(LIMITER_WINDOW_S * sample_rate))


class PeakLimiter:
    """Feed blocks with ``push`` and collect what it returns, then ``flush``; the output has the input's length."""

    def __init__(self, ceiling_db: float, sample_rate: int) -> None:
        self.ceiling = np.float32(undb(ceiling_db))
        self.window = limiter_window(sample_rate)
        self.context = 2 * self.window                  # samples of look-ahead and look-behind an output needs
        self._behind = np.zeros(0, dtype=np.float32)    # last ``context`` samples already emitted
        self._ahead = np.zeros(0, dtype=np.float32)     # samples received but not yet emitted

    def push(self, block: np.ndarray) -> np.ndarray:
        """Take the next ``(samples,)`` block; return the limited samples whose look-ahead is now complete."""
        self._ahead = np.concatenate((self._ahead, np.asarray(block, dtype=np.float32)))
        return self._emit(self._ahead.size - self.context)

    def flush(self) -> np.ndarray:
        """The end of the stream: return the limited samples still held back."""
        return self._emit(self._ahead.size)

    def _emit(self, count: int) -> np.ndarray:
        if count <= 0:
            return np.zeros(0, dtype=np.float32)
        piece = np.concatenate((self._behind, self._ahead))
        start = self._behind.size
        out = self._limit(piece)[start:start + count]
        self._behind = piece[max(0, start + count - self.context):start + count].copy()
        self._ahead = self._ahead[count:].copy()
        return out

    def _limit(self, piece: np.ndarray) -> np.ndarray:
        """Limit ``piece`` as a whole (its edges are either true signal edges or context that is discarded)."""
        if float(np.max(np.abs(piece))) <= self.ceiling:
            return piece                                # every gain is 1: limiting changes nothing
        gain = np.minimum(np.float32(1.0), self.ceiling / np.maximum(np.abs(piece), np.float32(1e-12)))
        smooth = running_mean(running_min(gain, 2 * self.window + 1), self.window)
        return np.clip(piece * smooth, -self.ceiling, self.ceiling)


def limit_stream(blocks: Iterable[np.ndarray], ceiling_db: float, sample_rate: int) -> Iterator[np.ndarray]:
    """The limited signal of a stream of blocks, as a stream of (differently cut) blocks."""
    limiter = PeakLimiter(ceiling_db, sample_rate)
    for block in blocks:
        out = limiter.push(block)
        if out.size:
            yield out
    tail = limiter.flush()
    if tail.size:
        yield tail
