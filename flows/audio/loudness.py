"""Levels of a signal fed block by block: RMS, sample peak and ITU-R BS.1770-4 integrated loudness (LUFS).

Memory is bounded by the block size plus one float per 100 ms gating step (about 0.6 MB for two hours).
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from flows.audio.filters import BiquadCascade

SILENCE_DB = -120.0             # level reported for digital silence (and for loudness with no gated block)
GATE_BLOCK_S = 0.4              # BS.1770: 400 ms gating blocks ...
GATE_STEPS_PER_BLOCK = 4        # ... overlapping by 75 %, i.e. a new block every 100 ms
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LOUDNESS_OFFSET_DB = -0.691     # BS.1770's constant in L = -0.691 + 10 log10(mean square)
# K-weighting as two biquads (RBJ forms): a +4 dB high shelf (1/sqrt2 Q, 1.5 kHz) and a 38 Hz high pass (Q 0.5)
SHELF_GAIN_DB, SHELF_Q, SHELF_HZ = 4.0, 1.0 / np.sqrt(2.0), 1500.0
HIGHPASS_Q, HIGHPASS_HZ = 0.5, 38.0


def db(value: float) -> float:
    """Amplitude ratio -> dBFS."""
    return 20.0 * float(np.log10(value)) if value > 0 else SILENCE_DB


def undb(level_db: float) -> float:
    """dBFS -> amplitude ratio."""
    return float(10.0 ** (level_db / 20.0))


@dataclass(frozen=True)
class Levels:
    """Whole-signal RMS and sample peak in dBFS, and integrated loudness in LUFS."""

    rms_db: float
    peak_db: float
    lufs: float


def k_weighting(sample_rate: int) -> np.ndarray:
    """BS.1770 K-weighting at ``sample_rate`` as second-order sections, shape (2, 6)."""
    a = 10.0 ** (SHELF_GAIN_DB / 40.0)
    w0 = 2.0 * np.pi * SHELF_HZ / sample_rate
    cos, alpha = np.cos(w0), np.sin(w0) / (2.0 * SHELF_Q)
    root = 2.0 * np.sqrt(a) * alpha
    shelf = [a * ((a + 1) + (a - 1) * cos + root), -2 * a * ((a - 1) + (a + 1) * cos),
             a * ((a + 1) + (a - 1) * cos - root),
             (a + 1) - (a - 1) * cos + root, 2 * ((a - 1) - (a + 1) * cos), (a + 1) - (a - 1) * cos - root]
    w0 = 2.0 * np.pi * HIGHPASS_HZ / sample_rate
    cos, alpha = np.cos(w0), np.sin(w0) / (2.0 * HIGHPASS_Q)
    highpass = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha]
    sos = np.array([shelf, highpass], dtype=np.float64)
    return sos / sos[:, 3:4]            # a0 = 1


class LevelMeter:
    """Accumulates RMS, peak and gated loudness of a mono signal; ``add`` blocks in order, then ``levels()``."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.n_samples = 0
        self._energy = 0.0
        self._peak = 0.0
        self._k_filter = BiquadCascade(k_weighting(sample_rate))
        self._step = int(round(sample_rate * GATE_BLOCK_S / GATE_STEPS_PER_BLOCK))
        self._steps = array("d")                            # K-weighted energy of each complete 100 ms step
        self._partial, self._filled = 0.0, 0                # the step being filled

    def add(self, block: np.ndarray) -> None:
        """Measure the next ``(samples,)`` block of the signal."""
        x = np.asarray(block, dtype=np.float64)
        if x.size == 0:
            return
        self.n_samples += x.size
        self._energy += float(np.einsum("i,i->", x, x))          # not np.dot: BLAS threads thrash on short blocks
        self._peak = max(self._peak, float(np.max(np.abs(x))))
        weighted = self._k_filter.filter(x)
        self._add_steps(weighted * weighted)

    def _add_steps(self, squares: np.ndarray) -> None:
        need = self._step - self._filled
        if squares.size < need:
            self._partial += float(squares.sum())
            self._filled += squares.size
            return
        self._steps.append(self._partial + float(squares[:need].sum()))
        full = (squares.size - need) // self._step
        end = need + full * self._step
        self._steps.extend(squares[need:end].reshape(full, self._step).sum(axis=1).tolist())
        self._partial, self._filled = float(squares[end:].sum()), squares.size - end

    def lufs(self) -> float:
        """Integrated loudness with the absolute (-70 LUFS) and relative (-10 LU) gates; SILENCE_DB if none pass."""
        steps = np.frombuffer(self._steps, dtype=np.float64)
        if steps.size < GATE_STEPS_PER_BLOCK:
            return SILENCE_DB
        sums = np.concatenate(([0.0], np.cumsum(steps)))
        blocks = (sums[GATE_STEPS_PER_BLOCK:] - sums[:-GATE_STEPS_PER_BLOCK]) / (GATE_STEPS_PER_BLOCK * self._step)
        with np.errstate(divide="ignore"):
            loudness = LOUDNESS_OFFSET_DB + 10.0 * np.log10(np.maximum(blocks, 0.0))
        gated = blocks[loudness > ABSOLUTE_GATE_LUFS]
        if gated.size == 0:
            return SILENCE_DB
        relative = LOUDNESS_OFFSET_DB + 10.0 * np.log10(gated.mean()) + RELATIVE_GATE_LU
        gated = blocks[(loudness > ABSOLUTE_GATE_LUFS) & (loudness > relative)]
        return LOUDNESS_OFFSET_DB + 10.0 * float(np.log10(gated.mean())) if gated.size else SILENCE_DB

    def levels(self) -> Levels:
        """RMS and peak (dBFS) and integrated loudness (LUFS) of everything added so far."""
        rms = float(np.sqrt(self._energy / self.n_samples)) if self.n_samples else 0.0
        return Levels(db(rms), db(self._peak), self.lufs())


def measure_blocks(blocks: Iterable[np.ndarray], sample_rate: int) -> Levels:
    """Levels of a signal given as consecutive blocks."""
    meter = LevelMeter(sample_rate)
    for block in blocks:
        meter.add(block)
    return meter.levels()
