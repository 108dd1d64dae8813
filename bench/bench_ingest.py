"""Print characters per second for parsing + sentence splitting: every corpus book, and >= 1 M-character novels.

The goal (issue 2): a 1 M-character novel is parsed and split in under 10 s on one core.
Usage: .venv/bin/python bench/bench_ingest.py [--shared ../shared] [--repeat 3]
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from text_prep.ingest.load import load_book  # noqa: E402
from text_prep.ingest.txt_cleanup import strip_gutenberg  # noqa: E402

GOAL_SECONDS = 10.0
GOAL_CHARACTERS = 1_000_000
BOOK_GLOBS = ("books/*/*.txt", "epub/idpf/*.epub")
# Synthetic novels: a real book's chapters repeated (headings renumbered) until the goal size is reached.
SYNTHETIC_SOURCES = {"en": "books/en/pg84.txt", "zh": "books/zh-traditional/pg23962.txt"}
_EN_HEADING = re.compile(r"^Chapter \d+$", re.M)
_ZH_HEADING = re.compile(r"^第[一二三四五六七八九十百○]+回", re.M)


def default_shared() -> Path:
    """$BOOKVOICE_SHARED, else ../shared beside the checkout."""
    env = os.environ.get("BOOKVOICE_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


def pin_one_core() -> str:
    """Restrict this process to one CPU where the OS allows it."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return "pinned to one core"
    return "not pinned (no sched_setaffinity)"


def timed_load(path: Path, repeat: int) -> tuple[float, int, int, int]:
    """Best wall time of ``repeat`` loads, with characters, chapters and sentences of the book."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        book = load_book(path)
        best = min(best, time.perf_counter() - start)
    characters = sum(c.n_characters for c in book.chapters)
    return best, characters, len(book.chapters), sum(1 for _ in book.sentences())


def synthetic_novel(source: Path, lang: str, target: int, folder: Path) -> Path:
    """Write ``source`` repeated, with chapter numbers continuing, until it has ``target`` characters."""
    text, _ = strip_gutenberg(source.read_text(encoding="utf-8"))
    parts: list[str] = []
    size, copy = 0, 0
    while size < target:
        copy += 1
        if lang == "en":
            part = _EN_HEADING.sub(lambda m, c=copy: f"{m.group(0)}{c:02d}", text)
        else:
            part = _ZH_HEADING.sub(lambda m, c=copy: f"{m.group(0)}之{c}", text)
        parts.append(part)
        size += len(part)
    path = folder / f"synthetic-{lang}.txt"
    path.write_text("\n\n".join(parts), encoding="utf-8")
    return path


def report(label: str, path: Path, repeat: int) -> float:
    """Print one line of figures and return the seconds taken."""
    seconds, characters, chapters, sentences = timed_load(path, repeat)
    print(
        f"{label:<34} {characters:>10,} chars {chapters:>5} chapters {sentences:>7,} sentences "
        f"{seconds:7.2f} s {characters / seconds:>12,.0f} chars/s"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--repeat", type=int, default=3, help="loads per book; the best time is reported")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the samples' harmless TOC warnings would repeat every run
    corpora = args.shared / "corpora"
    print(f"bench_ingest: {pin_one_core()}, best of {args.repeat}")
    books = sorted((p for pattern in BOOK_GLOBS for p in corpora.glob(pattern)), key=lambda p: p.stat().st_size)
    if not books:
        sys.exit(f"no corpus books under {corpora}")
    for path in books:
        report(path.name, path, args.repeat)
    with tempfile.TemporaryDirectory() as folder:
        for lang, relative in SYNTHETIC_SOURCES.items():
            source = corpora / relative
            if not source.is_file():
                continue
            novel = synthetic_novel(source, lang, GOAL_CHARACTERS, Path(folder))
            seconds = report(f"synthetic {lang} novel (>= 1 M chars)", novel, args.repeat)
            verdict = "meets" if seconds < GOAL_SECONDS else "MISSES"
            print(f"   -> {verdict} the goal of < {GOAL_SECONDS:.0f} s per 1 M-character novel")


if __name__ == "__main__":
    main()
