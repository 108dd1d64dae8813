"""Checks that a cue's span holds exactly its sentence's tone, measured in decoded audio."""
from __future__ import annotations

import numpy as np

EDGE_S = 0.010                  # cue times must be right to 10 ms
QUIET_RATIO = 0.1               # outside a tone, the level is this far below the tone's


def dominant_freq(x: np.ndarray, rate: int) -> float:
    """The frequency of the strongest spectral peak of ``x`` (zero-padded FFT, Hann window)."""
    n = 1 << (max(x.size, rate) - 1).bit_length()
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size), n))
    return float(np.argmax(spectrum) * rate / n)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def assert_span_holds_tone(audio: np.ndarray, rate: int, start_ms: int, end_ms: int, freq: float,
                           others: list[float], outer_start: bool = True, outer_end: bool = True) -> None:
    """The span's strongest frequency is ``freq``; its edges are inside the tone and (outer edges) silence beyond."""
    s, e, m = start_ms * rate // 1000, end_ms * rate // 1000, int(EDGE_S * rate)
    found = dominant_freq(audio[s:e], rate)
    assert min(others, key=lambda f: abs(f - found)) == freq, f"span {start_ms}-{end_ms} ms sounds {found:.0f} Hz"
    level = rms(audio[s + m:e - m])
    assert rms(audio[s + m:s + 2 * m]) > 0.5 * level and rms(audio[e - 2 * m:e - m]) > 0.5 * level
    if outer_start:
        assert rms(audio[max(0, s - 3 * m):s - m]) < QUIET_RATIO * level, f"tone before {start_ms} ms"
    if outer_end:
        assert rms(audio[e + m:e + 3 * m]) < QUIET_RATIO * level, f"tone after {end_ms} ms"
