"""The whole book as one M4B: AAC in MP4 with chapter marks, tags and cover art, built from the chapter MP3s.

Each chapter's MP3 parts are decoded (gapless, sample-exact) and encoded once by ffmpeg into a raw AAC (ADTS) segment kept under
the work folder, keyed by the MP3s' content; the M4B is those segments joined by ffmpeg without re-encoding
(``-c copy``), so when one chapter changes only its segment is encoded again. The MP3s are already normalised,
so the M4B has their loudness. Everything streams through ffmpeg: memory stays flat for any book length.

Timeline: an ADTS segment decodes to whole AAC frames with the encoder delay first, so chapter ``k`` starts
at the sum of the earlier segments' frames and its audio at ``AAC_PRIMING_SAMPLES`` after that.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from flows.audio.ffmpeg import AAC_FRAME_SAMPLES, AAC_PRIMING_SAMPLES, OUTPUT_CHANNELS, run_ffmpeg
from flows.audio.samples import OUTPUT_SAMPLE_RATE
from flows.delivery.info import BookInfo, ChapterAudio
from flows.errors import OutputError
from flows.store.fsio import atomic_write_text, remembered_sha256

log = logging.getLogger(__name__)

M4B_BITRATE = "64k"             # AAC-LC mono: audiobook quality; the read-along EPUB reuses the segments
SEGMENT_VERSION = "1"           # bump when segment encoding changes
SEGMENT_SUFFIX = ".aac"
ADTS_HEADER_BYTES = 7
ADTS_SYNC = 0xFFF
PARTIAL_SUFFIX = ".partial"
_FFMETA_SPECIAL = ("\\", "=", ";", "#", "\n")


@dataclass(frozen=True)
class Segment:
    """One chapter's AAC frames in an ADTS file."""

    path: Path
    n_frames: int
    encoded: bool                   # False when an unchanged chapter's segment was reused

    @property
    def n_samples(self) -> int:
        return self.n_frames * AAC_FRAME_SAMPLES


@dataclass(frozen=True)
class M4bBuild:
    """A written M4B: where each chapter starts and where its audio starts, in samples of the M4B's timeline."""

    path: Path
    sample_rate: int
    chapter_starts: tuple[int, ...]
    n_samples: int
    encoded_chapters: tuple[int, ...]   # indices of chapters whose segment had to be encoded

    def audio_offset(self, position: int) -> int:
        """Where sample 0 of the ``position``-th chapter's audio lies in the M4B (after the encoder delay)."""
        return self.chapter_starts[position] + AAC_PRIMING_SAMPLES


def adts_frames(path: Path) -> int:
    """Number of AAC frames in an ADTS file (read header by header; ValueError when it is not ADTS)."""
    count = 0
    with path.open("rb") as fh:
        while header := fh.read(ADTS_HEADER_BYTES):
            if len(header) < ADTS_HEADER_BYTES or (header[0] << 4 | header[1] >> 4) != ADTS_SYNC:
                raise ValueError(f"{path}: not an ADTS stream at byte {fh.tell() - len(header)}")
            length = (header[3] & 0x3) << 11 | header[4] << 3 | header[5] >> 5
            if length < ADTS_HEADER_BYTES:
                raise ValueError(f"{path}: bad ADTS frame length {length}")
            fh.seek(length - ADTS_HEADER_BYTES, os.SEEK_CUR)
            count += 1
    return count


def segment_key(parts: Sequence[Path], work_dir: Path) -> str:
    """Content key of a chapter segment: its MP3s' digests and the encoding settings."""
    digests = [remembered_sha256(part, work_dir) for part in parts]
    blob = json.dumps({"version": SEGMENT_VERSION, "bitrate": M4B_BITRATE, "mp3": digests})
    return hashlib.sha256(blob.encode()).hexdigest()


def chapter_segment(chapter: ChapterAudio, work_dir: Path) -> Segment:
    """The chapter's AAC segment: reused when its MP3s are unchanged, else decoded and encoded (streamed)."""
    key = segment_key(chapter.parts, work_dir)
    path, count_path = work_dir / f"{key}{SEGMENT_SUFFIX}", work_dir / f"{key}.frames"
    try:
        if path.is_file() and count_path.is_file():
            return Segment(path, int(count_path.read_text(encoding="ascii")), encoded=False)
    except ValueError:
        pass                                            # a damaged frame count: encode again
    tmp = work_dir / f".{key}.{os.getpid()}{SEGMENT_SUFFIX}{PARTIAL_SUFFIX}"
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        _encode_segment(chapter.parts, tmp)
        n_frames = adts_frames(tmp)
        os.replace(tmp, path)
        atomic_write_text(count_path, str(n_frames))
    except OSError as exc:
        raise OutputError.from_os_error(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return Segment(path, n_frames, encoded=True)


def _encode_segment(parts: Sequence[Path], dest: Path) -> None:
    """Decode the MP3 parts (gapless, sample-exact) and encode them as one ADTS stream, all inside ffmpeg."""
    inputs = [arg for part in parts for arg in ("-i", str(part))]
    joined = "".join(f"[{i}:a:0]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1[out]"
    run_ffmpeg([*inputs, "-filter_complex", joined, "-map", "[out]", "-map_metadata", "-1",
                "-ar", str(OUTPUT_SAMPLE_RATE), "-ac", str(OUTPUT_CHANNELS), "-c:a", "aac", "-b:a", M4B_BITRATE,
                "-f", "adts", str(dest)], "encode", dest)


def _meta(value: str) -> str:
    for char in _FFMETA_SPECIAL:
        value = value.replace(char, "\\" + char)
    return value


def ffmetadata(info: BookInfo, titles: Sequence[str], starts: Sequence[int], end: int, sample_rate: int) -> str:
    """An FFMETADATA1 document: book tags (narrator as composer) and one chapter per title from its start."""
    tags = {"title": info.title, "album": info.title, "artist": info.author, "album_artist": info.author,
            "composer": info.narrator, "date": info.year, "genre": info.genre, "description": info.description,
            "comment": info.description}
    lines = [";FFMETADATA1"] + [f"{key}={_meta(value)}" for key, value in tags.items() if value]
    bounds = [*starts, end]
    for i, title in enumerate(titles):
        lines += ["[CHAPTER]", f"TIMEBASE=1/{sample_rate}", f"START={bounds[i]}", f"END={bounds[i + 1]}",
                  f"title={_meta(title)}"]
    return "\n".join(lines) + "\n"


def _concat_list(segments: Sequence[Segment]) -> str:
    quoted = (str(s.path.resolve()).replace("'", "'\\''") for s in segments)
    return "ffconcat version 1.0\n" + "".join(f"file '{path}'\n" for path in quoted)


def build_m4b(chapters: Sequence[ChapterAudio], info: BookInfo, dest: Path, work_dir: Path) -> M4bBuild:
    """Write ``dest`` (atomically): every chapter's audio in order with chapter marks, tags and cover."""
    if not chapters:
        raise ValueError("an M4B needs at least one chapter")
    segments = [chapter_segment(chapter, work_dir) for chapter in chapters]
    starts = tuple(itertools.accumulate((s.n_samples for s in segments[:-1]), initial=0))
    total = starts[-1] + segments[-1].n_samples
    meta, listing = work_dir / f".{os.getpid()}.ffmeta", work_dir / f".{os.getpid()}.ffconcat"
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(ffmetadata(info, [c.title for c in chapters], starts, total, OUTPUT_SAMPLE_RATE), "utf-8")
        listing.write_text(_concat_list(segments), encoding="utf-8")
        args = ["-f", "concat", "-safe", "0", "-i", str(listing), "-f", "ffmetadata", "-i", str(meta)]
        maps = ["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
        if info.cover is not None:
            args += ["-i", str(info.cover)]
            maps += ["-map", "2:v", "-disposition:v:0", "attached_pic"]
        run_ffmpeg([*args, *maps, "-c", "copy", "-movflags", "+faststart", "-f", "mp4", str(tmp)], "write", dest)
        os.replace(tmp, dest)
    except OSError as exc:
        raise OutputError.from_os_error(dest, exc) from exc
    finally:
        for scratch in (tmp, meta, listing):
            scratch.unlink(missing_ok=True)
    _drop_unused(work_dir, {s.path.name for s in segments})
    encoded = tuple(c.index for c, s in zip(chapters, segments) if s.encoded)
    log.info("M4B %s: %d chapters, %d encoded, %d reused", dest, len(chapters), len(encoded), len(chapters) - len(encoded))
    return M4bBuild(dest, OUTPUT_SAMPLE_RATE, starts, total, encoded)


def _drop_unused(work_dir: Path, keep: set[str]) -> None:
    """Remove segments of chapter versions no longer in the book."""
    for old in work_dir.glob(f"*{SEGMENT_SUFFIX}"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
            old.with_suffix(".frames").unlink(missing_ok=True)
