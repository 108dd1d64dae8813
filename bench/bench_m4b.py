"""Build the M4B of an N-hour book from its chapter MP3s; print wall time and peak memory, then a one-chapter rebuild.

Usage: .venv/bin/python bench/bench_m4b.py [--hours 1 10] [--chapters 20]
Each length runs in a fresh process in bench/out/m4b/: one speech-like chapter MP3 of hours/chapters is
encoded, then copied with a different ID3 title per chapter (so every chapter has its own content and its own
AAC segment). ``flows.delivery.m4b.build_m4b`` then builds the book. Printed per length: wall time of the
first build (every chapter encoded), peak RSS of this process and of its ffmpeg children (sampled), and the wall
time of a rebuild after one chapter changed (one segment encoded, the rest joined with -c copy). Building
streams through ffmpeg, so neither peak may grow with the book's length.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from flows.audio.export import Tags, id3_tag  # noqa: E402
from flows.audio.ffmpeg import encode_mp3_file  # noqa: E402
from flows.audio.samples import OUTPUT_SAMPLE_RATE, blocks  # noqa: E402
from flows.delivery.info import BookInfo, ChapterAudio  # noqa: E402
from flows.delivery.m4b import build_m4b  # noqa: E402

OUT = REPO / "bench" / "out" / "m4b"
BLOCK_S = 30.0                  # the chapter MP3 is encoded from 30 s of audio repeated (flat memory here too)
MIB = 1 << 20
KIB = 1024
SAMPLE_S = 0.05                 # how often ffmpeg's memory is sampled
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def speech_block(seconds: float) -> np.ndarray:
    """Syllable-rate bursts of a harmonic tone: a crest factor like speech."""
    t = np.arange(int(seconds * OUTPUT_SAMPLE_RATE)) / OUTPUT_SAMPLE_RATE
    envelope = np.clip(np.sin(2 * np.pi * 4.0 * t), 0.0, None) ** 2
    return (0.2 * envelope * sum(np.sin(2 * np.pi * k * 140.0 * t) / k for k in range(1, 6))).astype(np.float32)


def chapter_mp3s(root: Path, hours: float, n_chapters: int) -> list[Path]:
    """``n_chapters`` distinct chapter MP3s totalling ``hours`` (one encode, re-tagged copies)."""
    chapter_s = hours * 3600.0 / n_chapters
    block = speech_block(BLOCK_S)
    repeats = max(1, int(round(chapter_s / BLOCK_S)))
    base = root / "base.mp3"
    encode_mp3_file((piece for _ in range(repeats) for piece in blocks(block)), base, OUTPUT_SAMPLE_RATE)
    paths = []
    for i in range(1, n_chapters + 1):
        path = root / f"{i:02d}-chapter.mp3"
        with path.open("wb") as out, base.open("rb") as frames:
            out.write(id3_tag(Tags(f"Chapter {i}", "Bench Book", "Bench", i, n_chapters), base.stat().st_size))
            shutil.copyfileobj(frames, out)
        paths.append(path)
    return paths


def rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB / MIB


class ChildPeak(threading.Thread):
    """Samples the resident size of this process's ffmpeg children from /proc; ``peak_mib`` is the largest seen.

    (RUSAGE_CHILDREN would report the Python process copied by fork, not what ffmpeg itself uses.)
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mib, self._done = 0.0, threading.Event()

    def run(self) -> None:
        me = str(os.getpid())
        while not self._done.wait(SAMPLE_S):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                    if fields[1] == me and "ffmpeg" in (stat.parent / "comm").read_text():
                        self.peak_mib = max(self.peak_mib, int(fields[21]) * PAGE_BYTES / MIB)
                except (OSError, IndexError, ValueError):
                    continue

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak_mib


def run_once(hours: float, n_chapters: int, root: Path) -> dict[str, float]:
    """Build the book's M4B from scratch, then after one chapter changed; wall times and memory peaks."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    mp3s = chapter_mp3s(root, hours, n_chapters)
    chapters = [ChapterAudio(i, f"Chapter {i}", (path,)) for i, path in enumerate(mp3s, start=1)]
    info = BookInfo("Bench Book", "Bench Author", narrator="Bench Voice", year="2024")
    rss_before, children = rss_mib(), ChildPeak()
    children.start()
    start = time.perf_counter()
    build = build_m4b(chapters, info, root / "book.m4b", root / "segments")
    first_s = time.perf_counter() - start
    with mp3s[0].open("r+b") as fh:                 # a new take of chapter 1: different bytes, same length
        fh.seek(-1000, 2)
        fh.write(b"\x00" * 10)
    start = time.perf_counter()
    again = build_m4b(chapters, info, root / "book.m4b", root / "segments")
    rebuild_s = time.perf_counter() - start
    child_peak = children.stop()
    audio_s = build.n_samples / build.sample_rate
    return {"hours": hours, "chapters": n_chapters, "audio_s": round(audio_s, 1), "first_s": round(first_s, 1),
            "realtime": round(audio_s / first_s, 1), "rebuild_s": round(rebuild_s, 1),
            "rebuild_encoded": len(again.encoded_chapters),
            "m4b_mib": round((root / "book.m4b").stat().st_size / MIB, 1),
            "rss_self_mib": round(rss_mib(), 1), "rss_before_mib": round(rss_before, 1),
            "rss_child_mib": round(child_peak, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--chapters", type=int, default=20)
    parser.add_argument("--one", type=float, help="run one length in this process and print its JSON figures")
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_once(args.one, args.chapters, OUT / f"{args.one:g}h")))
        return
    for hours in args.hours:
        line = subprocess.run([sys.executable, __file__, "--one", str(hours), "--chapters", str(args.chapters)],
                              capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        f = json.loads(line)
        shutil.rmtree(OUT / f"{hours:g}h", ignore_errors=True)
        print(f"{f['hours']:5.1f} h book, {f['chapters']} chapters ({f['m4b_mib']:.0f} MiB M4B): first build "
              f"{f['first_s']:.1f} s ({f['realtime']:.0f}x real time) | rebuild after one chapter changed "
              f"{f['rebuild_s']:.1f} s ({f['rebuild_encoded']} encoded) | peak RSS {f['rss_self_mib']:.1f} MiB "
              f"(+{f['rss_self_mib'] - f['rss_before_mib']:.1f} during builds), largest ffmpeg "
              f"{f['rss_child_mib']:.1f} MiB")


if __name__ == "__main__":
    main()
