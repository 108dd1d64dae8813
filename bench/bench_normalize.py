"""Print the WeTextProcessing pass rate per category and overall (zh, en), and normalisation speed.

Usage: .venv/bin/python bench/bench_normalize.py [--shared ../shared] [--failures]
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from text_prep.normalize import normalize_en, normalize_zh  # noqa: E402
from text_prep.normalize.tn_corpus import load_pairs, overall, score  # noqa: E402

NORMALIZERS = {"zh": normalize_zh, "en": normalize_en}
SPEED_BOOKS = {"zh": "books/zh-traditional/pg23962.txt", "en": "books/en/pg84.txt"}
SENTENCE_END = {"zh": r"(?<=[。！？])", "en": r"(?<=[.!?])\s+"}
MAX_SENTENCES = 20_000


def default_shared() -> Path:
    """$BOOKVOICE_SHARED, else ../shared beside the checkout."""
    env = os.environ.get("BOOKVOICE_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


def report_rates(corpora: Path, show_failures: bool) -> None:
    """Pass rates on the WeTextProcessing pairs."""
    for lang, normalize in NORMALIZERS.items():
        scores = score(load_pairs(corpora / "tn" / "WeTextProcessing" / lang), normalize)
        print(f"== {lang}: WeTextProcessing pass rate {overall(scores):.1%} "
              f"({sum(s.passed for s in scores)}/{sum(s.total for s in scores)})")
        for s in scores:
            print(f"   {s.category:<20} {s.passed:>3}/{s.total:<3} {s.rate:6.1%}")
            for pair, produced in s.failures if show_failures else ():
                print(f"      {pair.written!r}\n         got  {produced!r}\n         want {pair.spoken!r}")


def report_speed(corpora: Path) -> None:
    """Sentences per second on real books (one core)."""
    for lang, relative in SPEED_BOOKS.items():
        path = corpora / relative
        if not path.is_file():
            print(f"== {lang}: speed skipped ({path} missing)")
            continue
        flat = re.sub(r"\s+", "" if lang == "zh" else " ", path.read_text(encoding="utf-8"))
        sentences = [s for s in re.split(SENTENCE_END[lang], flat) if s][:MAX_SENTENCES]
        normalize = NORMALIZERS[lang]
        normalize(sentences[0])  # lazy tables and regexes
        start = time.perf_counter()
        for sentence in sentences:
            normalize(sentence)
        elapsed = time.perf_counter() - start
        chars = sum(map(len, sentences)) / len(sentences)
        print(f"== {lang}: {len(sentences)} sentences ({chars:.0f} chars avg) from {path.name}: "
              f"{elapsed / len(sentences) * 1e3:.3f} ms/sentence, {len(sentences) / elapsed:,.0f} sentences/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--failures", action="store_true", help="list the failing pairs")
    args = parser.parse_args()
    corpora = args.shared / "corpora"
    report_rates(corpora, args.failures)
    report_speed(corpora)


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.ERROR)  # the books' box-drawing characters would warn on every line
    main()
