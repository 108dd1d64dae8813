"""Render a ~300,000-character book; print wall time, sentences/s, the engine's busy fraction and peak memory.

Usage: .venv/bin/python bench/bench_render.py [--chars 300000] [--chapter-chars 5000] [--voice draft|tiny]
Renders the first third and then the whole book, each in a fresh process, in bench/out/, through the
production path (one book-wide synthesis session, chapters assembled on a pool as they complete).
``--voice tiny`` reads with a tiny random GPT-SoVITS voice (built here, CPU). The busy fraction is the
share of the synthesis session's wall time the engine spent computing (goal >= 95 %: it never waits
for the front-end or assembly). Peak memory (max RSS) must stay flat as the book grows.
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


def make_project(name: str, n_chars: int, chapter_chars: int, voice: str) -> tuple[Path, int]:
    root = OUT / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for keep in ("project.toml", "lexicon.txt", "cover.png"):
        shutil.copy(DEMO / keep, root / keep)
    size = write_book(root / "book.txt", n_chars, chapter_chars)
    if voice == "tiny":
        use_tiny_voice(root)
    return root, size


def use_tiny_voice(root: Path) -> None:
    """Point the project at a tiny random GPT-SoVITS voice (built once in bench/out/voice)."""
    import tomllib

    import tomli_w

    sys.path.insert(0, str(REPO))
    from tests.tiny_voice import build_tiny_voice
    from typer.testing import CliRunner

    from flows.cli import app

    voice_dir = OUT / "voice"
    voice = build_tiny_voice(voice_dir, (DEMO / "book.txt").read_text(encoding="utf-8"))
    added = CliRunner().invoke(app, ["voice", "add", "tiny", "--gpt", str(voice.gpt), "--sovits", str(voice.sovits),
                                     "--ref", str(voice.reference), "--ref-text", voice.reference_text,
                                     "--project", str(root), "--hubert", str(voice.hubert_dir),
                                     "--bert", str(voice.bert_dir), "--force"])
    if added.exit_code != 0:
        raise SystemExit(added.output)
    config = tomllib.loads((root / "project.toml").read_text(encoding="utf-8"))
    config["voice"] = {"engine": "gpt-sovits", "profile": "tiny",
                       "settings": {"max_retries": 0, "max_tokens_per_phone": 1.0, "budget_slack": 0}}
    (root / "project.toml").write_text(tomli_w.dumps(config), encoding="utf-8")


def child(project: Path) -> None:
    """Render in this process and print totals plus this process's peak RSS as JSON."""
    sys.path.insert(0, str(REPO))
    from flows.pipeline.render import run_render

    started = time.perf_counter()
    totals = run_render(project)
    wall = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB
    print(json.dumps({"totals": totals, "wall_s": wall, "peak_mib": peak_mib}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=300_000)
    parser.add_argument("--chapter-chars", type=int, default=5_000)
    parser.add_argument("--voice", choices=("draft", "tiny"), default="draft")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    for label, n_chars in (("1/3 book", args.chars // 3), ("full book", args.chars)):
        project, size = make_project(label.split()[0].replace("/", "-"), n_chars, args.chapter_chars, args.voice)
        done = subprocess.run([sys.executable, __file__, "--child", str(project)], cwd=REPO,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{label}: render failed\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        sentences = result["totals"]["sentences"]
        print(f"{label}: {size:,} chars, {sentences:,} sentences, wall {result['wall_s']:.1f} s, "
              f"{sentences / result['wall_s']:.1f} sentences/s, engine busy "
              f"{100 * result['totals']['engine_busy']:.1f} %, peak memory {result['peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
