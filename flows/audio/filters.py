"""Block filters in plain numpy: centred running minimum and mean (edges mirrored) and a streamed biquad cascade.

The running filters match ``scipy.ndimage``'s ``minimum_filter1d`` / ``uniform_filter1d`` in their default
``reflect`` mode. The biquad cascade matches ``scipy.signal.sosfilt`` with carried state: per block, each
section's output is its zero-state response (the block convolved, by FFT, with the section's impulse response
truncated to the block) plus its zero-input response from the carried state; both come from two basis
solutions of the section's recursion, built by doubling, so no Python loop runs per sample.
"""
from __future__ import annotations

import numpy as np

SECTION_COEFFS = 6              # b0 b1 b2 a0 a1 a2 per second-order section (a0 = 1)


def _sliding_min(y: np.ndarray, size: int) -> np.ndarray:
    """``out[j] = min(y[j:j + size])`` for every full window (van Herk / Gil-Werman, O(n))."""
    n_blocks = -(-y.size // size)
    padded = np.full(n_blocks * size, np.inf, dtype=y.dtype)
    padded[:y.size] = y
    rows = padded.reshape(n_blocks, size)
    prefix = np.minimum.accumulate(rows, axis=1).ravel()
    suffix = np.minimum.accumulate(rows[:, ::-1], axis=1)[:, ::-1].ravel()
    count = y.size - size + 1
    return np.minimum(suffix[:count], prefix[size - 1:size - 1 + count])


def _mirrored(x: np.ndarray, size: int) -> np.ndarray:
    """``x`` extended for a centred window of ``size`` (``size // 2`` before), edges mirrored like ndimage."""
    before = size // 2
    return np.pad(x, (before, size - 1 - before), mode="symmetric")


def running_min(x: np.ndarray, size: int) -> np.ndarray:
    """Minimum over a centred window of ``size`` samples at each sample of ``x``."""
    if x.size == 0 or size <= 1:
        return x.copy()
    return _sliding_min(_mirrored(x, size), size).astype(x.dtype, copy=False)


def running_mean(x: np.ndarray, size: int) -> np.ndarray:
    """Mean over a centred window of ``size`` samples at each sample of ``x`` (summed in float64)."""
    if x.size == 0 or size <= 1:
        return x.copy()
    sums = np.concatenate(([0.0], np.cumsum(_mirrored(x, size), dtype=np.float64)))
    return ((sums[size:] - sums[:-size]) / size).astype(x.dtype, copy=False)


def _basis(a1: float, a2: float, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The solutions of ``r[n] = -a1 r[n-1] - a2 r[n-2]`` starting (1, 0) and (0, 1), ``length`` samples each."""
    u, v = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    while u.size < length:
        m = u.size
        um = -a1 * u[m - 1] - a2 * u[m - 2]
        vm = -a1 * v[m - 1] - a2 * v[m - 2]
        um1, vm1 = -a1 * um - a2 * u[m - 1], -a1 * vm - a2 * v[m - 1]
        u, v = np.concatenate((u, um * u + um1 * v)), np.concatenate((v, vm * u + vm1 * v))  # r[m+k] from r[m], r[m+1]
    return u[:length], v[:length]


class _Section:
    """One biquad in transposed direct form II; ``run`` filters a block and carries the state (z0, z1)."""

    def __init__(self, coeffs: np.ndarray) -> None:
        self.b0, self.b1, self.b2, _, self.a1, self.a2 = (float(c) for c in coeffs)
        self._length = -1
        self._u = self._v = self._spectrum = np.zeros(0)

    def _prepare(self, length: int) -> None:
        if length == self._length:
            return
        self._length = length
        self._u, self._v = _basis(self.a1, self.a2, max(length, 2))
        g = self._u - self.a1 * self._v                      # impulse response of 1 / A(z)
        h = self.b0 * g
        h[1:] += self.b1 * g[:-1]
        h[2:] += self.b2 * g[:-2]
        self._fft_size = 1 << int(2 * length - 1).bit_length()
        self._spectrum = np.fft.rfft(h[:length], self._fft_size)

    def run(self, x: np.ndarray, state: np.ndarray) -> np.ndarray:
        """Filter ``x`` (float64) from ``state``; updates ``state`` in place to the state after the block."""
        length = x.size
        self._prepare(length)
        y = np.fft.irfft(np.fft.rfft(x, self._fft_size) * self._spectrum, self._fft_size)[:length]
        z0, z1 = float(state[0]), float(state[1])
        y += z0 * self._u[:length] + (z1 - self.a1 * z0) * self._v[:length]
        before = self.b2 * x[-2] - self.a2 * y[-2] if length >= 2 else z1
        state[0] = self.b1 * x[-1] - self.a1 * y[-1] + before
        state[1] = self.b2 * x[-1] - self.a2 * y[-1]
        return y


class BiquadCascade:
    """Second-order sections (shape (n, 6), a0 = 1) applied to consecutive blocks, starting at rest."""

    def __init__(self, sos: np.ndarray) -> None:
        sos = np.asarray(sos, dtype=np.float64)
        if sos.ndim != 2 or sos.shape[1] != SECTION_COEFFS:
            raise ValueError(f"second-order sections must have shape (n, {SECTION_COEFFS}), not {sos.shape}")
        self._sections = [_Section(row / row[3]) for row in sos]
        self.state = np.zeros((len(self._sections), 2))

    def filter(self, block: np.ndarray) -> np.ndarray:
        """The next block of the filtered signal (float64)."""
        y = np.asarray(block, dtype=np.float64)
        if y.size == 0:
            return y.copy()
        for section, state in zip(self._sections, self.state):
            y = section.run(y, state)
        return y
