"""Assemble and export one synthetic chapter of N minutes; print wall time and peak memory per length.

Usage: .venv/bin/python bench/bench_assembly.py [--minutes 5 30 120] [--json]
Each length runs in a fresh process in bench/out/assembly/: a sentence cache of speech-like 32 kHz clips is
built, then ``flows.pipeline.chapter.write_chapter`` streams the chapter to one MP3. Printed per length: wall time of
the write, realtime factor, peak RSS of the process (ru_maxrss) and its growth over the RSS before the write,
and the peak of Python/numpy allocations (tracemalloc) during the write. Chapter writing streams, so the
peak must not grow with chapter length.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from flows.store.cache import SentenceCache  # noqa: E402
from flows.pipeline.chapter import write_chapter  # noqa: E402
from flows.audio.export import Tags  # noqa: E402
from flows.pipeline.plan import PAUSE_END, PAUSE_PARAGRAPH, PAUSE_SENTENCE, ChapterPlan, PlannedLine  # noqa: E402
from flows.config.project import OutputConfig, PauseConfig, Project  # noqa: E402
from tts_engine.engine import SentenceAudio, SentenceJob  # noqa: E402

OUT = REPO / "bench" / "out" / "assembly"
VOICE_RATE = 32000              # GPT-SoVITS v2 output rate
DISTINCT_SENTENCES = 40         # cache entries; longer chapters repeat them (the cache is content-addressed)
SENTENCE_S = (2.0, 12.0)        # spoken length range of a synthetic sentence
SENTENCES_PER_PARAGRAPH = 4
MIB = 1 << 20
KIB = 1024


def speechlike(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Syllable-rate bursts of a harmonic tone with a random pitch: a crest factor like speech."""
    t = np.arange(int(seconds * VOICE_RATE)) / VOICE_RATE
    f0 = rng.uniform(110.0, 240.0)
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(3.0, 5.0) * t), 0.0, None) ** 2 * np.hanning(t.size)
    tone = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.3)) / k for k in range(1, 6))
    return (rng.uniform(0.1, 0.3) * envelope * tone).astype(np.float32)


def synthetic_chapter(cache: SentenceCache, minutes: float, seed: int = 0,
                      distinct: int = DISTINCT_SENTENCES) -> ChapterPlan:
    """A chapter whose lines cycle through ``distinct`` synthetic cached sentences until it lasts ``minutes``."""
    rng = np.random.default_rng(seed)
    jobs = []
    for i in range(distinct):
        key = hashlib.sha256(f"bench-assembly:{seed}:{i}".encode()).hexdigest()
        cache.put(SentenceAudio(key, speechlike(rng.uniform(*SENTENCE_S), rng), VOICE_RATE))
        jobs.append(SentenceJob(key=key, text=f"sentence {i}", lang="en", seed=0))
    lines, total_s, pauses = [], 0.0, PauseConfig()
    while total_s < minutes * 60.0:
        job = jobs[len(lines) % distinct]
        last_in_paragraph = len(lines) % SENTENCES_PER_PARAGRAPH == SENTENCES_PER_PARAGRAPH - 1
        pause = PAUSE_PARAGRAPH if last_in_paragraph else PAUSE_SENTENCE
        lines.append(PlannedLine(f"1.{len(lines)}", job.text, job, pause))
        total_s += cache.info(job.key).duration_s + (pauses.paragraph_s if last_in_paragraph else pauses.sentence_s)
    lines[-1] = PlannedLine(lines[-1].label, lines[-1].text, lines[-1].job, PAUSE_END)
    return ChapterPlan(1, "Synthetic", tuple(lines))


def rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB / MIB


def warm_up() -> None:
    """Import the libraries writing loads lazily, so their code is part of the baseline, not of the peak."""
    import mutagen.id3  # noqa: F401
    import scipy.ndimage  # noqa: F401
    import scipy.signal  # noqa: F401
    import soxr  # noqa: F401


def run_once(minutes: float, root: Path) -> dict[str, float]:
    """Build a synthetic chapter in ``root`` and write it; wall time, memory figures and the encoded levels."""
    shutil.rmtree(root, ignore_errors=True)
    cache = SentenceCache(root / "cache")
    plan = synthetic_chapter(cache, minutes)
    project = Project(root=root, name="bench", book=root / "book.txt",
                      output=OutputConfig(max_part_minutes=minutes + 10.0))
    tags = Tags("Synthetic", "Bench", "Nobody", 1, 1)
    warm_up()
    before = rss_mib()
    tracemalloc.start()
    start = time.perf_counter()
    output = write_chapter(plan, tags, project, cache)
    wall = time.perf_counter() - start
    traced_peak = tracemalloc.get_traced_memory()[1] / MIB
    tracemalloc.stop()
    (part,) = output.parts
    return {"minutes": minutes, "audio_s": part.duration_s, "wall_s": wall, "rss_before_mib": before,
            "rss_peak_mib": rss_mib(), "traced_peak_mib": traced_peak, "rms_db": part.rms_db,
            "peak_db": part.peak_db, "lufs": part.lufs, "mp3_mib": (project.out_dir / part.file).stat().st_size / MIB}


def run_in_subprocess(minutes: float) -> dict[str, float]:
    """:func:`run_once` in a fresh interpreter, so its ru_maxrss belongs to this length alone."""
    done = subprocess.run([sys.executable, __file__, "--one", str(minutes)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench run of {minutes} min failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[5.0, 30.0, 120.0])
    parser.add_argument("--one", type=float, help="run one length in this process and print its JSON figures")
    parser.add_argument("--json", action="store_true", help="print each length's figures as JSON")
    args = parser.parse_args()
    if args.one is not None:
        figures = run_once(args.one, OUT / f"{args.one:g}min")
        shutil.rmtree(OUT / f"{args.one:g}min", ignore_errors=True)
        print(json.dumps(figures))
        return
    for minutes in args.minutes:
        f = run_in_subprocess(minutes)
        if args.json:
            print(json.dumps(f))
            continue
        print(f"{f['minutes']:6.1f} min chapter ({f['audio_s']:.0f} s audio, {f['mp3_mib']:.1f} MiB MP3): "
              f"wall {f['wall_s']:.1f} s ({f['audio_s'] / f['wall_s']:.0f}x real time) | "
              f"peak RSS {f['rss_peak_mib']:.1f} MiB (+{f['rss_peak_mib'] - f['rss_before_mib']:.1f} MiB over "
              f"{f['rss_before_mib']:.1f} before writing) | tracemalloc peak {f['traced_peak_mib']:.1f} MiB | "
              f"encoded rms {f['rms_db']:.2f} dB, peak {f['peak_db']:.2f} dB, {f['lufs']:.2f} LUFS", flush=True)


if __name__ == "__main__":
    main()
