"""Streaming MP3 encode and decode through the ffmpeg binary bundled with imageio-ffmpeg (no system ffmpeg).

PCM goes to ffmpeg's stdin block by block and decoded audio comes back from its stdout block by block, so no
whole signal is ever held. ffmpeg writes the MP3 to a (seekable) file itself, which lets it fill in the
Xing/LAME header that carries the encoder delay, so decoders return exactly the samples that went in. AAC
goes to raw ADTS files (for M4B chapter segments that are later joined without re-encoding).
"""
from __future__ import annotations

import contextlib
import errno
import functools
import os
import subprocess
import tempfile
from pathlib import Path
from typing import IO, Iterable, Iterator

import numpy as np

MP3_BITRATE = "192k"            # ACX: 192 kbps CBR
OUTPUT_CHANNELS = 1             # ACX: mono
PCM_MAX = 32767
DECODE_BLOCK_SAMPLES = 1 << 16  # decoded audio is read back in blocks of this many samples
FLOAT_BYTES = 4
AAC_FRAME_SAMPLES = 1024        # samples per AAC-LC frame
AAC_PRIMING_SAMPLES = 1024      # encoder delay of ffmpeg's native AAC encoder, decoded first from raw ADTS
WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS)   # ffmpeg failures that are I/O errors


class FfmpegError(RuntimeError):
    """ffmpeg failed for a reason other than a full disk; the message carries its own complaint."""


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def to_pcm16(block: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as little-endian 16-bit PCM (out-of-range samples clipped)."""
    return (np.clip(block, -1.0, 1.0) * PCM_MAX).astype("<i2").tobytes()


def _failure(stderr: IO[bytes], what: str, path: Path) -> OSError | FfmpegError:
    """The error for a failed ffmpeg run: an OSError when it could not write (disk full...), else FfmpegError."""
    stderr.seek(0)
    complaint = stderr.read().decode(errors="replace").strip()
    for code in WRITE_ERRNOS:
        if os.strerror(code) in complaint:
            return OSError(code, os.strerror(code), str(path))
    return FfmpegError(f"ffmpeg could not {what} {path}: {complaint.splitlines()[-1] if complaint else 'failed'}")


def encode_mp3_file(stream: Iterable[np.ndarray], path: Path, sample_rate: int) -> int:
    """Encode mono float blocks as a tagless CBR MP3 at ``path``; returns the number of samples encoded."""
    return _encode_file(stream, path, sample_rate, ["-c:a", "libmp3lame", "-b:a", MP3_BITRATE, "-id3v2_version", "0",
                                                    "-write_id3v1", "0", "-f", "mp3"])


def encode_aac_file(stream: Iterable[np.ndarray], path: Path, sample_rate: int, bitrate: str) -> int:
    """Encode mono float blocks as raw AAC-LC frames (ADTS) at ``path``; returns the number of samples encoded.

    ADTS carries no priming information, so a decoder returns ``AAC_PRIMING_SAMPLES`` of encoder delay first.
    """
    return _encode_file(stream, path, sample_rate, ["-c:a", "aac", "-b:a", bitrate, "-f", "adts"])


def _encode_file(stream: Iterable[np.ndarray], path: Path, sample_rate: int, codec_args: list[str]) -> int:
    cmd = [ffmpeg_exe(), "-v", "error", "-y",
           "-f", "s16le", "-ar", str(sample_rate), "-ac", str(OUTPUT_CHANNELS), "-i", "pipe:0",
           "-ar", str(sample_rate), "-ac", str(OUTPUT_CHANNELS), "-map_metadata", "-1", *codec_args, str(path)]
    n_samples = 0
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        assert proc.stdin is not None
        try:
            for block in stream:
                proc.stdin.write(to_pcm16(block))
                n_samples += block.size
        except BrokenPipeError:
            pass                                    # ffmpeg quit early; its exit status says why
        except BaseException:                       # the stream failed: stop ffmpeg, keep the stream's error
            proc.kill()
            raise
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
            proc.wait()
        if proc.returncode != 0:
            raise _failure(stderr, "encode", path)
    return n_samples


def decoded_blocks(path: Path, sample_rate: int, block_samples: int = DECODE_BLOCK_SAMPLES) -> Iterator[np.ndarray]:
    """The audio of ``path`` decoded to mono float32 at ``sample_rate``, in blocks of ``block_samples``."""
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path),
           "-f", "f32le", "-ac", str(OUTPUT_CHANNELS), "-ar", str(sample_rate), "pipe:1"]
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
        assert proc.stdout is not None
        try:
            while chunk := proc.stdout.read(block_samples * FLOAT_BYTES):
                yield np.frombuffer(chunk, dtype="<f4")
        except BaseException:                       # includes the consumer closing the generator early
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
        if proc.wait() != 0:
            raise _failure(stderr, "decode", path)


def run_ffmpeg(args: list[str], what: str, path: Path) -> None:
    """Run the bundled ffmpeg with ``args`` (file to file); raise OSError or FfmpegError as encoding does."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.run([ffmpeg_exe(), "-v", "error", "-nostdin", "-y", *args],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        if proc.returncode != 0:
            raise _failure(stderr, what, path)
