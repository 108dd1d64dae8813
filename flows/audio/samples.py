"""Sample-level audio work for assembly: resampling, room tone, and loudness normalisation of streamed audio.

Long audio is never held whole: a part is a ``Source``, a function that replays its blocks from the start each
time it is called, and normalisation reads it in passes (measure, then measure what the limiter left, then
produce). The whole-array helpers at the end run the same code over an array's blocks.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np

from flows.audio.limiter import limit_stream
from flows.audio.loudness import SILENCE_DB, Levels, db, measure_blocks, undb

__all__ = ["OUTPUT_SAMPLE_RATE", "SILENCE_DB", "Levels", "Source", "blocks", "db", "joined", "limit", "measure", "normalize",
           "normalized", "room_tone", "signal_stats", "to_output_rate", "undb"]

OUTPUT_SAMPLE_RATE = 44100      # ACX: 44.1 kHz
BLOCK_SAMPLES = 1 << 16         # streamed audio moves in blocks of at most this many samples (1.5 s at 44.1 kHz)
NORMALIZE_ROUNDS = 2            # scale and limit, then re-scale once for the energy the limiter took

Source = Callable[[], Iterator[np.ndarray]]     # replays a signal as float32 blocks, from the start, per call


def blocks(x: np.ndarray, size: int = BLOCK_SAMPLES) -> Iterator[np.ndarray]:
    """Consecutive views of at most ``size`` samples of ``x``."""
    for start in range(0, x.size, size):
        yield x[start:start + size]


def to_output_rate(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Resample (samples,) float32 audio to the output rate with soxr."""
    if sample_rate == OUTPUT_SAMPLE_RATE or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(audio, sample_rate, OUTPUT_SAMPLE_RATE).astype(np.float32)


def room_tone(n_samples: int, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """Quiet noise at ``level_db`` RMS, used for pauses and head/tail so no gap is digital silence."""
    return (rng.standard_normal(n_samples) * undb(level_db)).astype(np.float32)


@dataclass(frozen=True)
class SignalStats:
    """Energy (sum of squares), length and sample peak of a signal."""

    energy: float
    n_samples: int
    peak: float

    @property
    def rms(self) -> float:
        return float(np.sqrt(self.energy / self.n_samples)) if self.n_samples else 0.0

    def scaled(self, gain: float) -> "SignalStats":
        """The statistics of the signal multiplied by ``gain``."""
        return SignalStats(self.energy * gain * gain, self.n_samples, self.peak * abs(gain))


def signal_stats(stream: Iterable[np.ndarray]) -> SignalStats:
    """Energy, length and peak of a signal given as blocks (accumulated in float64)."""
    energy, n_samples, peak = 0.0, 0, 0.0
    for block in stream:
        if block.size:
            wide = np.asarray(block, dtype=np.float64)
            energy += float(np.einsum("i,i->", wide, wide))     # not np.dot: BLAS threads thrash on short blocks
            n_samples += block.size
            peak = max(peak, float(np.max(np.abs(wide))))
    return SignalStats(energy, n_samples, peak)


def _scaled_and_limited(source: Source, gain: np.float32, ceiling_db: float, sample_rate: int) -> Iterator[np.ndarray]:
    return limit_stream((np.asarray(block, dtype=np.float32) * gain for block in source()), ceiling_db, sample_rate)


def normalized(source: Source, target_rms_db: float, ceiling_db: float,
               sample_rate: int = OUTPUT_SAMPLE_RATE) -> Iterator[np.ndarray]:
    """The source scaled to the target RMS and peak-limited to the ceiling, re-scaled once for what the limiter took.

    Reads the source once to measure it, once more when the limiter engages (to measure what it left), and once
    more while the returned blocks are consumed.
    """
    stage, stats = source, signal_stats(source())
    for round_index in range(NORMALIZE_ROUNDS):
        if stats.n_samples == 0 or stats.rms <= undb(SILENCE_DB):
            break
        gain = np.float32(undb(target_rms_db) / stats.rms)
        untouched = stats.peak * float(gain) <= undb(ceiling_db)      # then the limiter is the identity
        stage = functools.partial(_scaled_and_limited, stage, gain, ceiling_db, sample_rate)
        if round_index + 1 < NORMALIZE_ROUNDS:
            stats = stats.scaled(float(gain)) if untouched else signal_stats(stage())
    return stage()


def joined(stream: Iterable[np.ndarray]) -> np.ndarray:
    """The blocks of a stream as one float32 array (empty when the stream is)."""
    return np.concatenate([np.zeros(0, dtype=np.float32), *stream]).astype(np.float32, copy=False)


def measure(x: np.ndarray, sample_rate: int = OUTPUT_SAMPLE_RATE) -> Levels:
    """RMS, peak and integrated loudness (BS.1770-4) of a mono float signal."""
    return measure_blocks(blocks(x), sample_rate)


def limit(x: np.ndarray, ceiling_db: float, sample_rate: int = OUTPUT_SAMPLE_RATE) -> np.ndarray:
    """Smooth peak limiter over a whole array (see ``flows.audio.limiter``)."""
    return joined(limit_stream(blocks(np.asarray(x, dtype=np.float32)), ceiling_db, sample_rate))


def normalize(x: np.ndarray, target_rms_db: float, ceiling_db: float,
              sample_rate: int = OUTPUT_SAMPLE_RATE) -> np.ndarray:
    """:func:`normalized` over a whole array."""
    samples = np.asarray(x, dtype=np.float32)
    return joined(normalized(lambda: blocks(samples), target_rms_db, ceiling_db, sample_rate))
