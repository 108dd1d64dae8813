"""Chapter files: MP3 encoding with pydub (imageio-ffmpeg's ffmpeg), ACX checks on the encoded audio, ID3 tags."""
from __future__ import annotations

import functools
import io
import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flows.audio import OUTPUT_SAMPLE_RATE, Levels, measure, normalize
from flows.fsio import atomic_write_bytes
from flows.project import ACX_PEAK_MAX_DB, ACX_RMS_WINDOW_DB, OutputConfig

log = logging.getLogger(__name__)

MP3_BITRATE = "192k"            # ACX: 192 kbps CBR
OUTPUT_CHANNELS = 1
PCM_MAX = 32767
LOUDNESS_ATTEMPTS = 4           # encode, measure, correct: MP3 encoding moves peaks a little
PEAK_MARGIN_DB = 0.3            # extra headroom taken off the ceiling after an encoded overshoot


@dataclass(frozen=True)
class Tags:
    """ID3 tags of one chapter file."""

    title: str
    album: str
    artist: str
    track: int
    total_tracks: int
    cover: bytes | None = None
    cover_mime: str = "image/jpeg"


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg (no system ffmpeg needed)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.lru_cache(maxsize=1)
def _audio_segment() -> type:
    """pydub's AudioSegment, pointed at the bundled ffmpeg on first use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # pydub warns at import when ffmpeg is not on PATH
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_exe()
    return AudioSegment


def encode_mp3(samples: np.ndarray) -> bytes:
    """Encode mono float audio at 44.1 kHz as a tagless 192 kbps CBR MP3."""
    pcm = (np.clip(samples, -1.0, 1.0) * PCM_MAX).astype("<i2").tobytes()
    segment = _audio_segment()(data=pcm, sample_width=2, frame_rate=OUTPUT_SAMPLE_RATE, channels=OUTPUT_CHANNELS)
    out = io.BytesIO()
    segment.export(out, format="mp3", codec="libmp3lame", bitrate=MP3_BITRATE,
                   parameters=["-ar", str(OUTPUT_SAMPLE_RATE), "-ac", str(OUTPUT_CHANNELS),
                               "-map_metadata", "-1", "-id3v2_version", "0", "-write_id3v1", "0"])
    return out.getvalue()


def decode_mp3(data: bytes) -> np.ndarray:
    """Decode MP3 bytes to mono float32 at 44.1 kHz with the bundled ffmpeg."""
    cmd = [ffmpeg_exe(), "-v", "error", "-i", "pipe:0", "-f", "f32le", "-ac", str(OUTPUT_CHANNELS),
           "-ar", str(OUTPUT_SAMPLE_RATE), "pipe:1"]
    done = subprocess.run(cmd, input=data, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg could not decode MP3: {done.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(done.stdout, dtype="<f4")


def acx_problems(levels: Levels) -> list[str]:
    """What keeps these encoded levels outside the ACX window (empty when they pass)."""
    lo, hi = ACX_RMS_WINDOW_DB
    problems = []
    if not lo <= levels.rms_db <= hi:
        problems.append(f"rms {levels.rms_db:.1f} dB outside [{lo}, {hi}]")
    if levels.peak_db > ACX_PEAK_MAX_DB:
        problems.append(f"peak {levels.peak_db:.1f} dB above {ACX_PEAK_MAX_DB}")
    return problems


def encode_to_acx(samples: np.ndarray, output: OutputConfig) -> tuple[bytes, Levels]:
    """Normalise, encode and measure the ENCODED file, correcting until it meets ACX (or attempts run out)."""
    target, ceiling = output.target_rms_db, output.peak_ceiling_db
    for _ in range(LOUDNESS_ATTEMPTS):
        data = encode_mp3(normalize(samples, target, ceiling))
        levels = measure(decode_mp3(data))
        if not acx_problems(levels):
            return data, levels
        if levels.peak_db > ACX_PEAK_MAX_DB:
            ceiling -= levels.peak_db - ACX_PEAK_MAX_DB + PEAK_MARGIN_DB
        target += output.target_rms_db - levels.rms_db
        target = min(max(target, ACX_RMS_WINDOW_DB[0]), ACX_RMS_WINDOW_DB[1])
    log.warning("encoded audio misses ACX: %s", "; ".join(acx_problems(levels)))
    return data, levels


def tag_mp3(data: bytes, tags: Tags) -> bytes:
    """Return ``data`` with ID3v2.3 title, album, artist, track n/N and cover art."""
    from mutagen.id3 import APIC, ID3, TALB, TIT2, TPE1, TRCK

    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TALB(encoding=3, text=tags.album))
    id3.add(TPE1(encoding=3, text=tags.artist))
    id3.add(TRCK(encoding=3, text=f"{tags.track}/{tags.total_tracks}"))
    if tags.cover:
        id3.add(APIC(encoding=3, mime=tags.cover_mime, type=3, desc="Cover", data=tags.cover))
    buffer = io.BytesIO(data)
    id3.save(buffer, v2_version=3)
    return buffer.getvalue()


def write_chapter_file(samples: np.ndarray, tags: Tags, dest: Path, output: OutputConfig) -> Levels:
    """Encode, verify loudness, tag and atomically write one chapter (part) MP3; returns encoded levels."""
    data, levels = encode_to_acx(samples, output)
    atomic_write_bytes(dest, tag_mp3(data, tags))
    return levels
