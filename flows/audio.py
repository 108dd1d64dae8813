"""Sample-level audio work for assembly: resampling, room tone, level measurement, limiting, normalisation."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OUTPUT_SAMPLE_RATE = 44100      # ACX: 44.1 kHz
LIMITER_WINDOW_S = 0.005        # limiter look-ahead/release window
SILENCE_DB = -120.0             # level reported for digital silence
LUFS_MIN_SECONDS = 0.4          # pyloudnorm needs at least one 400 ms gating block
LUFS_SAMPLE_RATE = 16000        # loudness is measured on a 16 kHz copy (speech band; a third of the memory)
CHUNK_SAMPLES = 1 << 20         # long signals are processed in chunks of this many samples


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


def measure(x: np.ndarray, sample_rate: int = OUTPUT_SAMPLE_RATE) -> Levels:
    """RMS, peak and (pyloudnorm) integrated loudness of a mono float signal."""
    import pyloudnorm
    import soxr

    energy, peak = 0.0, 0.0
    for start in range(0, x.size, CHUNK_SAMPLES):
        chunk = np.asarray(x[start:start + CHUNK_SAMPLES], dtype=np.float64)
        energy += float(np.dot(chunk, chunk))
        peak = max(peak, float(np.max(np.abs(chunk))))
    rms = float(np.sqrt(energy / x.size)) if x.size else 0.0
    lufs = SILENCE_DB
    if x.size >= LUFS_MIN_SECONDS * sample_rate:
        narrow = soxr.resample(np.asarray(x, dtype=np.float32), sample_rate, LUFS_SAMPLE_RATE)
        lufs = float(pyloudnorm.Meter(LUFS_SAMPLE_RATE).integrated_loudness(narrow))
        lufs = lufs if np.isfinite(lufs) else SILENCE_DB
    return Levels(db(rms), db(peak), lufs)


def to_output_rate(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Resample (samples,) float32 audio to the output rate with soxr."""
    if sample_rate == OUTPUT_SAMPLE_RATE or audio.size == 0:
        return audio.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(audio, sample_rate, OUTPUT_SAMPLE_RATE).astype(np.float32)


def room_tone(n_samples: int, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """Quiet noise at ``level_db`` RMS, used for pauses and head/tail so no gap is digital silence."""
    return (rng.standard_normal(n_samples) * undb(level_db)).astype(np.float32)


def limit(x: np.ndarray, ceiling_db: float, sample_rate: int = OUTPUT_SAMPLE_RATE) -> np.ndarray:
    """Smooth peak limiter: a gain curve that never lets ``|x|`` exceed the ceiling and ramps over a few ms."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    ceiling = np.float32(undb(ceiling_db))
    if x.size == 0 or float(np.max(np.abs(x))) <= ceiling:
        return x
    window = max(1, int(LIMITER_WINDOW_S * sample_rate))
    pad = 2 * window                     # each output sample depends on gains at most this far away
    out = np.empty_like(x, dtype=np.float32)
    for start in range(0, x.size, CHUNK_SAMPLES):
        lo, hi = max(0, start - pad), min(x.size, start + CHUNK_SAMPLES + pad)
        piece = x[lo:hi].astype(np.float32)
        gain = np.minimum(np.float32(1.0), ceiling / np.maximum(np.abs(piece), np.float32(1e-12)))
        # min over 2w then mean over w: each smoothed value averages only gains <= the gain it covers
        smooth = uniform_filter1d(minimum_filter1d(gain, size=2 * window + 1), size=window)
        keep = slice(start - lo, start - lo + min(CHUNK_SAMPLES, x.size - start))
        out[start:start + CHUNK_SAMPLES] = np.clip(piece[keep] * smooth[keep], -ceiling, ceiling)
    return out


def normalize(x: np.ndarray, target_rms_db: float, ceiling_db: float,
              sample_rate: int = OUTPUT_SAMPLE_RATE) -> np.ndarray:
    """Scale to the target RMS, then limit peaks to the ceiling (re-scaling once for what the limiter took)."""
    y = x.astype(np.float32, copy=True)
    for _ in range(2):
        rms = undb(measure_rms_db(y))
        if y.size == 0 or rms <= undb(SILENCE_DB):
            return y
        y *= np.float32(undb(target_rms_db) / rms)
        y = limit(y, ceiling_db, sample_rate)
    return y


def measure_rms_db(x: np.ndarray) -> float:
    """Whole-signal RMS in dBFS, accumulated in chunks."""
    energy = sum(float(np.dot(c, c)) for c in (np.asarray(x[i:i + CHUNK_SAMPLES], dtype=np.float64)
                                                for i in range(0, x.size, CHUNK_SAMPLES)))
    return db(float(np.sqrt(energy / x.size))) if x.size else SILENCE_DB
