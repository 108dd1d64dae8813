"""Chapter files: streamed MP3 encoding, ACX checks on the ENCODED audio, ID3 tags, atomic publication.

A part is encoded from its ``Source`` into a scratch MP3 beside the destination, measured by decoding that file
block by block, re-encoded with corrected targets while it misses the ACX window, then published as the ID3 tag
followed by the scratch file's frames into a temp file that is fsynced and renamed over the destination.
"""
from __future__ import annotations

import io
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flows.store import fsio
from flows.audio.samples import OUTPUT_SAMPLE_RATE, Levels, Source, blocks, joined, normalized
from flows.errors import OutputError
from flows.audio.ffmpeg import decoded_blocks, encode_mp3_file
from flows.audio.loudness import measure_blocks
from flows.config.project import ACX_PEAK_MAX_DB, ACX_RMS_WINDOW_DB, OutputConfig

log = logging.getLogger(__name__)

LOUDNESS_ATTEMPTS = 4           # encode, measure, correct: MP3 encoding moves peaks a little
PEAK_MARGIN_DB = 0.3            # extra headroom taken off the ceiling after an encoded overshoot
COPY_BLOCK_BYTES = 1 << 20      # the published file is written in blocks of this size
PARTIAL_SUFFIX = ".partial"     # temp files end so; ``fsio.remove_partials`` clears those a kill left behind


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


@dataclass(frozen=True)
class EncodedPart:
    """What encoding a part produced: the levels measured on the encoded file and the samples that went in."""

    levels: Levels
    n_samples: int

    @property
    def duration_s(self) -> float:
        return self.n_samples / OUTPUT_SAMPLE_RATE


def acx_problems(levels: Levels) -> list[str]:
    """What keeps these encoded levels outside the ACX window (empty when they pass)."""
    lo, hi = ACX_RMS_WINDOW_DB
    problems = []
    if not lo <= levels.rms_db <= hi:
        problems.append(f"rms {levels.rms_db:.1f} dB outside [{lo}, {hi}]")
    if levels.peak_db > ACX_PEAK_MAX_DB:
        problems.append(f"peak {levels.peak_db:.1f} dB above {ACX_PEAK_MAX_DB}")
    return problems


def encode_acx_file(source: Source, output: OutputConfig, path: Path) -> EncodedPart:
    """Normalise and encode ``source`` to ``path``, measure the ENCODED file, and re-encode until it meets ACX."""
    target, ceiling = output.target_rms_db, output.peak_ceiling_db
    for _ in range(LOUDNESS_ATTEMPTS):
        n_samples = encode_mp3_file(normalized(source, target, ceiling), path, OUTPUT_SAMPLE_RATE)
        levels = measure_blocks(decoded_blocks(path, OUTPUT_SAMPLE_RATE), OUTPUT_SAMPLE_RATE)
        if not acx_problems(levels):
            return EncodedPart(levels, n_samples)
        if levels.peak_db > ACX_PEAK_MAX_DB:
            ceiling -= levels.peak_db - ACX_PEAK_MAX_DB + PEAK_MARGIN_DB
        target += output.target_rms_db - levels.rms_db
        target = min(max(target, ACX_RMS_WINDOW_DB[0]), ACX_RMS_WINDOW_DB[1])
    log.warning("encoded audio misses ACX: %s", "; ".join(acx_problems(levels)))
    return EncodedPart(levels, n_samples)


def id3_tag(tags: Tags, audio_bytes: int) -> bytes:
    """An ID3v2.3 tag (title, album, artist, track n/N, cover art) to put in front of ``audio_bytes`` of frames.

    Its padding is what mutagen gives a tag saved into such a file, so the result equals tagging it in place.
    """
    from mutagen import PaddingInfo
    from mutagen.id3 import APIC, ID3, TALB, TIT2, TPE1, TRCK

    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    id3.add(TALB(encoding=3, text=tags.album))
    id3.add(TPE1(encoding=3, text=tags.artist))
    id3.add(TRCK(encoding=3, text=f"{tags.track}/{tags.total_tracks}"))
    if tags.cover:
        id3.add(APIC(encoding=3, mime=tags.cover_mime, type=3, desc="Cover", data=tags.cover))
    buffer = io.BytesIO()
    id3.save(buffer, v2_version=3, padding=lambda info: PaddingInfo(info.padding, audio_bytes).get_default_padding())
    return buffer.getvalue()


def _publish(dest: Path, head: bytes, body: Path) -> None:
    """Atomically make ``dest`` hold ``head`` followed by the bytes of ``body``, copied in blocks."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            with body.open("rb") as frames:
                chunk = head + frames.read(max(0, COPY_BLOCK_BYTES - len(head)))
                while chunk:
                    fsio.write_all(fd, chunk)      # fsio's one write path (tests inject faults there)
                    chunk = frames.read(COPY_BLOCK_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def write_part_file(source: Source, tags: Tags, dest: Path, output: OutputConfig) -> EncodedPart:
    """Encode, verify loudness, tag and atomically write one chapter (part) MP3, streaming all the way."""
    scratch = dest.with_name(f".{dest.name}.{os.getpid()}.mp3{PARTIAL_SUFFIX}")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        encoded = encode_acx_file(source, output, scratch)
        _publish(dest, id3_tag(tags, scratch.stat().st_size), scratch)
        return encoded
    except OSError as exc:
        raise OutputError.from_os_error(dest, exc) from exc
    finally:
        scratch.unlink(missing_ok=True)


def encode_to_acx(samples: np.ndarray, output: OutputConfig) -> tuple[bytes, Levels]:
    """:func:`encode_acx_file` for an in-memory signal, returning the tagless MP3 bytes and encoded levels."""
    signal = np.asarray(samples, dtype=np.float32)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "part.mp3"
        encoded = encode_acx_file(lambda: blocks(signal), output, path)
        return path.read_bytes(), encoded.levels


def decode_mp3(data: bytes) -> np.ndarray:
    """Decode in-memory MP3 bytes to mono float32 at 44.1 kHz (for tests and inspection of short files).

    The bytes go through a file because ffmpeg applies the encoder delay in the LAME header only to seekable input.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "decode.mp3"
        path.write_bytes(data)
        return joined(decoded_blocks(path, OUTPUT_SAMPLE_RATE))
