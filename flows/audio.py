"""Sample-level audio work for assembly: resampling, room tone, level measurement, limiting, normalisation."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OUTPUT_SAMPLE_RATE = 44100      # ACX: 44.1 kHz
LIMITER_WINDOW_S = 0.005        # limiter look-ahead/release window
SILENCE_DB = -120.0             # level reported for digital silence
LUFS_MIN_SECONDS = 0.4          # pyloudnorm needs at least one 400 ms gating block


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

    x64 = np.asarray(x, dtype=np.float64)
    rms = float(np.sqrt(np.mean(x64 ** 2))) if x64.size else 0.0
    peak = float(np.max(np.abs(x64))) if x64.size else 0.0
    lufs = SILENCE_DB
    if x64.size >= LUFS_MIN_SECONDS * sample_rate:
        lufs = float(pyloudnorm.Meter(sample_rate).integrated_loudness(x64))
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

    ceiling = undb(ceiling_db)
    gain = np.minimum(1.0, ceiling / np.maximum(np.abs(x), 1e-12))
    if gain.min() >= 1.0:
        return x
    window = max(1, int(LIMITER_WINDOW_S * sample_rate))
    # min over 2w then mean over w: each smoothed value averages only gains <= the gain it covers
    smooth = uniform_filter1d(minimum_filter1d(gain, size=2 * window + 1), size=window)
    return np.clip(x * smooth, -ceiling, ceiling).astype(np.float32)


def normalize(x: np.ndarray, target_rms_db: float, ceiling_db: float,
              sample_rate: int = OUTPUT_SAMPLE_RATE) -> np.ndarray:
    """Scale to the target RMS, then limit peaks to the ceiling (re-scaling once for what the limiter took)."""
    y = x.astype(np.float32, copy=True)
    for _ in range(2):
        rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64)))) if y.size else 0.0
        if rms <= 0:
            return y
        y = limit(y * np.float32(undb(target_rms_db) / rms), ceiling_db, sample_rate)
    return y
