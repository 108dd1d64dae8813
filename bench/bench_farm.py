"""The farm's scheduling overhead: a book sharded over N `bookvoice worker` processes through a real Prefect server.

Usage: .venv/bin/python bench/bench_farm.py [--workers 2] [--sentences 240] [--shard 16] [--delay 0.05]
Workers run a stand-in engine that takes exactly ``--delay`` seconds per sentence (the test suite's fake
engine), so the ideal wall time is sentences x delay / workers and everything above it is orchestration:
Prefect delivery, claims, cache polling, shard bookkeeping. Prints the per-shard overhead and its share
of a shard's synthesis time (goal < 2 %). PostgreSQL is used when it answers (as in a real farm).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    from flows.farm.backend import start_server, stop_pid
    from tests.flows.conftest import _postgres_database, write_project

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sentences", type=int, default=240)
    parser.add_argument("--shard", type=int, default=16)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bookvoice-farm-"))
    database = _postgres_database(f"bookvoice_bench_{os.getpid()}")
    server = start_server(work / "prefect", env={"PREFECT_SERVER_DATABASE_CONNECTION_URL": database} if database else {})
    env = {**os.environ, "PREFECT_API_URL": server.url, "PREFECT_HOME": str(work / "prefect"),
           "PYTHONPATH": str(REPO), "FAKE_ENGINE_DELAY_S": str(args.delay)}
    project = write_project(work / "book", None, render={"shard_sentences": args.shard, "skip_kinds": []})
    paragraphs = [f"Sentence number {i} of the benchmark book." for i in range(args.sentences)]
    (project / "book.txt").write_text("Chapter 1\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    workers = [subprocess.Popen([sys.executable, "-m", "flows.cli", "worker", "--device", "cpu"], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
               for _ in range(args.workers)]
    try:
        plan = subprocess.run([sys.executable, "-m", "flows.cli", "status", str(project)], cwd=REPO, env=env,
                              capture_output=True, text=True, check=True)   # plans the book (cached for the render)
        del plan
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "flows.cli", "render", "--farm", "-q", str(project)], cwd=REPO, env=env,
                       check=True, capture_output=True, text=True)
        wall = time.perf_counter() - started
        synthesis = json.loads((project / "out" / "report.json").read_text(encoding="utf-8"))["totals"]["synthesis_s"]
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGKILL)
        stop_pid(server.pid)
        shutil.rmtree(work, ignore_errors=True)
    lines = args.sentences + 1                              # the chapter title is spoken too
    shards = -(-lines // args.shard)
    ideal = lines * args.delay / args.workers
    per_shard = (synthesis - ideal) / shards * args.workers
    shard_time = args.shard * args.delay
    print(f"{lines} sentences in {shards} shards of {args.shard} on {args.workers} workers "
          f"({'PostgreSQL' if database else 'SQLite'}): synthesis phase {synthesis:.1f} s (ideal {ideal:.1f} s), "
          f"whole render {wall:.1f} s")
    print(f"scheduling overhead per shard {per_shard:.2f} s = {100 * per_shard / shard_time:.1f} % of a "
          f"{shard_time:.1f} s shard")
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
