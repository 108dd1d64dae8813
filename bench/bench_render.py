"""Render a ~300,000-character book with the draft voice; print wall time, sentences/s and peak memory.

Usage: .venv/bin/python bench/bench_render.py [--chars 300000] [--chapter-chars 5000]
Renders the first third and then the whole book, each in a fresh process, in bench/out/. Peak memory
(the render process's max RSS) must stay flat as the book grows: chapters are streamed one at a time.
"""
from __future__ import annotations

import argparse
import itertools
import json
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "projects" / "demo"
OUT = REPO / "bench" / "out"
KIB = 1024


def demo_paragraphs() -> list[str]:
    """Body paragraphs of the demo book (headings and the title block dropped)."""
    lines = [ln.strip() for ln in (DEMO / "book.txt").read_text(encoding="utf-8").splitlines()]
    return [ln for ln in lines[3:] if ln and not ln.startswith("第") or "，" in ln]


def varied(paragraph: str, counter: itertools.count) -> str:
    """The paragraph with a running number worked into every sentence, so no two sentences repeat."""
    def mark(match: re.Match) -> str:
        n = next(counter)
        return f"，第{n}次{match.group(0)}" if match.group(0) in "。！？" else f" ({n}){match.group(0)}"
    return re.sub(r"[。！？]|(?<=[a-z])[.!?](?=\s|$)", mark, paragraph)


def write_book(path: Path, n_chars: int, chapter_chars: int) -> int:
    """A TXT book of about ``n_chars`` characters in chapters of about ``chapter_chars``; returns its length."""
    paragraphs, counter = itertools.cycle(demo_paragraphs()), itertools.count(1)
    parts, total, chapter = [], 0, 0
    while total < n_chars:
        chapter += 1
        body, size = [], 0
        while size < chapter_chars:
            body.append(varied(next(paragraphs), counter))
            size += len(body[-1])
        text = f"第{chapter}章　灯塔第{chapter}夜\n\n" + "\n\n".join(body) + "\n\n"
        parts.append(text)
        total += len(text)
    path.write_text("灯塔与代码（长篇）\n\n" + "".join(parts), encoding="utf-8")
    return total


def make_project(name: str, n_chars: int, chapter_chars: int) -> tuple[Path, int]:
    root = OUT / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for keep in ("project.toml", "lexicon.txt", "cover.png"):
        shutil.copy(DEMO / keep, root / keep)
    return root, write_book(root / "book.txt", n_chars, chapter_chars)


def child(project: Path) -> None:
    """Render in this process (embedded Prefect) and print totals plus this process's peak RSS as JSON."""
    sys.path.insert(0, str(REPO))
    from flows.farm.backend import prefect_backend
    from flows.pipeline.render import render_book

    started = time.perf_counter()
    with prefect_backend(project):
        totals = render_book(str(project))
    wall = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB
    print(json.dumps({"totals": totals, "wall_s": wall, "peak_mib": peak_mib}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=300_000)
    parser.add_argument("--chapter-chars", type=int, default=5_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    for label, n_chars in (("1/3 book", args.chars // 3), ("full book", args.chars)):
        project, size = make_project(label.split()[0].replace("/", "-"), n_chars, args.chapter_chars)
        done = subprocess.run([sys.executable, __file__, "--child", str(project)], cwd=REPO,
                              capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        sentences = result["totals"]["sentences"]
        print(f"{label}: {size:,} chars, {sentences:,} sentences, wall {result['wall_s']:.1f} s, "
              f"{sentences / result['wall_s']:.1f} sentences/s, peak memory {result['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
