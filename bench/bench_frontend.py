"""Front-end throughput on real books: sentences per second for phonemize(), one core.

Usage: .venv/bin/python bench/bench_frontend.py [--shared ../shared] [--sentences 2000]
Sentences are the first N of Frankenstein (en) and 西遊記 (zh) after the Gutenberg header, split simply
at sentence-final punctuation. The first 50 of each are a warm-up (dictionary and model loading) and
are not timed.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")          # the pinyin model's numpy must not use other cores
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from text_prep.phones.frontend import phonemize  # noqa: E402

BOOKS = {"en": "books/en/pg84.txt", "zh": "books/zh-traditional/pg23962.txt"}
WARMUP = 50
_SPLIT = re.compile(r"(?<=[。！？!?])|(?<=[.](?=\s))")


def sentences(path: Path, n: int) -> list[str]:
    """The first ``n`` non-trivial sentences after the Project Gutenberg start marker."""
    text = path.read_text(encoding="utf-8")
    start = text.find("*** START OF")
    text = text[text.find("\n", start) + 1:] if start >= 0 else text
    out = []
    for paragraph in re.split(r"\n\s*\n", text):
        for piece in _SPLIT.split(" ".join(paragraph.split())):
            piece = piece.strip()
            if len(piece) >= 2:
                out.append(piece)
                if len(out) == n:
                    return out
    return out


def measure(items: list[str]) -> float:
    """Sentences per second of phonemize over ``items`` (after the warm-up)."""
    for text in items[:WARMUP]:
        phonemize(text)
    timed = items[WARMUP:]
    start = time.process_time()
    for text in timed:
        phonemize(text)
    return len(timed) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared")
    parser.add_argument("--sentences", type=int, default=2000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rates = {}
    total_n, total_t = 0, 0.0
    for lang, rel in BOOKS.items():
        items = sentences(args.shared / "corpora" / rel, args.sentences + WARMUP)
        rate = measure(items)
        rates[lang] = rate
        n = len(items) - WARMUP
        total_n, total_t = total_n + n, total_t + n / rate
        chars = sum(map(len, items[WARMUP:])) / n
        print(f"{lang}: {n} sentences (mean {chars:.0f} chars) {rate:8.0f} sentences/s")
    print(f"all: {total_n} sentences {total_n / total_t:8.0f} sentences/s (one core, CPU time; goal >= 500)")


if __name__ == "__main__":
    main()
