"""Print characters per second for parsing + sentence splitting, and the TXT chapter counts of every corpus book.

The goal (issue 2): a 1 M-character novel is parsed and split in under 10 s on one core.
Chapter counts (issue 12): body chapters found in each corpus TXT book against the count its
edition has (MANIFEST.md), with the heading lines that were not taken and why.
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

from text_prep.ingest.load import IngestOptions, load_book, read_draft  # noqa: E402
from text_prep.ingest.txt_cleanup import strip_gutenberg  # noqa: E402

GOAL_SECONDS = 10.0
GOAL_CHARACTERS = 1_000_000
BOOK_GLOBS = ("books/*/*.txt", "epub/idpf/*.epub")
# Synthetic novels: a real book's chapters repeated (headings renumbered) until the goal size is reached.
SYNTHETIC_SOURCES = {"en": "books/en/pg84.txt", "zh": "books/zh-traditional/pg23962.txt"}
_EN_HEADING = re.compile(r"^Chapter (\d+)$", re.M)
_ZH_HEADING = re.compile(r"^第([一二三四五六七八九十百○]+)回", re.M)
_ZH_DIGITS = "○一二三四五六七八九"
MAX_REJECTED_SHOWN = 3
# Body chapters of the corpus editions (MANIFEST.md): Alice 12; Frankenstein 4 letters + 24 chapters; 西遊記 100 回.
EXPECTED_BODY_CHAPTERS = {"pg11.txt": 12, "pg84.txt": 28, "pg23962.txt": 100}


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
    heading = _EN_HEADING if lang == "en" else _ZH_HEADING
    parts: list[str] = []
    size, number = 0, 0

    def renumber(_: re.Match[str]) -> str:
        nonlocal number
        number += 1
        return f"Chapter {number}" if lang == "en" else f"第{''.join(_ZH_DIGITS[int(d)] for d in str(number))}回"

    while size < target:
        part = heading.sub(renumber, text)
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


def chapter_counts(books: list[Path]) -> None:
    """Print the body chapters found in every TXT book, against its edition's count, with the lines not taken."""
    print("TXT chapter counts (body chapters found / in the edition):")
    for path in books:
        if path.suffix != ".txt":
            continue
        draft = read_draft(path, IngestOptions())
        body = sum(1 for c in draft.chapters if c.kind == "body")
        expected = EXPECTED_BODY_CHAPTERS.get(path.name)
        verdict = "" if expected is None else ("ok" if body == expected else f"EXPECTED {expected}")
        other = ", ".join(f"{sum(1 for c in draft.chapters if c.kind == k)} {k}" for k in ("front", "back"))
        rejected = [d for d in draft.headings if not d.taken]
        print(f"  {path.name:<16} {body:>4} body chapters ({other}) {verdict:<12} {len(rejected)} heading lines read as text")
        for decision in rejected[:MAX_REJECTED_SHOWN]:
            print(f"      line {decision.line}: {decision.text[:40]!r}: {decision.reason}")


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
    chapter_counts(books)
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
