"""Start-up overheads a user feels on the demo: a no-op render, `status`, a one-sentence `rerender`, a config typo.

Usage: .venv/bin/python bench/bench_overheads.py [--repeat 3]
Each command runs as a fresh `bookvoice` process (what a user types), on a copy of the demo already
rendered once, with a private per-user Prefect server (started by the first render, then reused).
Goals on an idle 2-core machine: no-op render <= 5 s, status <= 3 s, rerender <= 10 s + synthesis.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def timed(args: list[str], env: dict[str, str], expect: int = 0) -> float:
    """Wall seconds of one `bookvoice` command (it must exit with ``expect``)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != expect:
        raise SystemExit(f"{args}: exit {done.returncode}\n{done.stderr}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bookvoice-overheads-"))
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"BOOKVOICE_PREFECT_HOME": str(work / "prefect"), "PYTHONPATH": str(REPO)})
    project = work / "demo"
    shutil.copytree(REPO / "projects" / "demo", project, ignore=shutil.ignore_patterns("out", "cache", ".bookvoice"))
    try:
        first = timed(["render", "-q", str(project)], env)
        print(f"first render (starts the per-user Prefect server): {first:.1f} s")
        rows = {"no-op render": ["render", "-q", str(project)], "status": ["status", str(project)],
                "rerender one sentence": ["rerender", "-q", str(project), "--chapter", "1", "--sentence", "1.0.0"]}
        for label, command in rows.items():
            walls = [timed(command, env) for _ in range(args.repeat)]
            print(f"{label}: median {statistics.median(walls):.2f} s (runs: {', '.join(f'{w:.2f}' for w in walls)})")
        config = project / "project.toml"
        config.write_text(config.read_text(encoding="utf-8") + "\n[pauzes]\nsentence_s = 0.3\n", encoding="utf-8")
        walls = [timed(["render", "-q", str(project)], env, expect=2) for _ in range(args.repeat)]
        print(f"project.toml typo reported: median {statistics.median(walls):.2f} s")
    finally:
        subprocess.run([sys.executable, "-m", "flows.cli", "server", "stop"], cwd=REPO, env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average while measuring: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
