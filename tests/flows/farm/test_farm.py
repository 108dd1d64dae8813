"""The farm for real: a Prefect server (on PostgreSQL), `bookvoice worker` processes, a worker killed mid-shard."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.flows.conftest import REPO, PrefectServer, write_project
from tests.flows.test_cli import BOOK
from tests.flows.fake_engine import BLOCK_AFTER_ENV, LOG_ENV, READY_ENV, synthesized_keys

LEASE_S = "3"              # a dead worker's claims go stale after this long (tests keep it short)
WAIT_S = 300


def _env(server: PrefectServer, log: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, **server.env(), "PYTHONPATH": str(REPO), LOG_ENV: str(log),
            "BOOKVOICE_LEASE_S": LEASE_S, **extra}


def _cli(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flows.cli", *args], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _project(root: Path) -> Path:
    project = write_project(root, None, render={"shard_sentences": 3, "skip_kinds": ["front", "back"]})
    (project / "book.txt").write_text(BOOK, encoding="utf-8")
    return project


def _wait_for(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_S
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture
def farm_server(prefect_server_info: PrefectServer) -> PrefectServer:
    if prefect_server_info.database != "postgresql":
        pytest.skip("no PostgreSQL answers at $BOOKVOICE_TEST_POSTGRES (default 127.0.0.1:5432): "
                    "the farm runs on a PostgreSQL-backed Prefect server")
    return prefect_server_info


def test_a_worker_killed_mid_shard_loses_nothing_and_no_sentence_is_synthesised_twice(tmp_path, farm_server):
    reference = _project(tmp_path / "reference")
    single = _cli(["render", "-q", str(reference)], _env(farm_server, tmp_path / "reference.log"))
    assert single.wait(WAIT_S) == 0, single.communicate()

    project, log, ready = _project(tmp_path / "farm"), tmp_path / "farm.log", tmp_path / "worker-a.ready"
    worker_a = _cli(["worker", "--device", "cpu"], _env(farm_server, log, **{BLOCK_AFTER_ENV: "2",
                                                                              READY_ENV: str(ready)}))
    worker_b = render = None
    try:
        render = _cli(["render", "--farm", "-q", str(project)], _env(farm_server, log))
        _wait_for(ready, worker_a)                  # worker A has cached 2 sentences of its shard and hangs
        finished_before_kill = set(synthesized_keys(log))
        assert len(finished_before_kill) == 2
        os.killpg(worker_a.pid, signal.SIGKILL)
        worker_a.wait()
        worker_b = _cli(["worker", "--device", "cpu"], _env(farm_server, log))
        out, err = render.communicate(timeout=WAIT_S)
        assert render.returncode == 0, err
    finally:
        for proc in (render, worker_a, worker_b):
            if proc is not None:
                _stop(proc)

    written = Counter(synthesized_keys(log))
    assert set(written) == set(synthesized_keys(tmp_path / "reference.log"))
    assert max(written.values()) == 1, "a sentence was synthesised twice"
    files = sorted(p.name for p in (reference / "out").glob("*.mp3"))
    assert files and files == sorted(p.name for p in (project / "out").glob("*.mp3"))
    for name in files:
        assert (project / "out" / name).read_bytes() == (reference / "out" / name).read_bytes()


def test_nightly_catalogue_renders_the_good_books_and_reports_the_broken_one(tmp_path, prefect_server):
    import json

    from flows.farm.schedule import CATALOGUE_REPORT, render_catalogue

    catalogue = tmp_path / "catalogue"
    good = [_project(catalogue / name) for name in ("alpha", "beta")]
    broken = _project(catalogue / "gamma")
    (broken / "project.toml").write_text("[book]\npath = 'book.txt'\n[pauzes]\nsentence_s = 0.1\n", encoding="utf-8")
    result = render_catalogue(str(catalogue))
    assert sorted(result["rendered"]) == sorted(str(p) for p in good)
    assert list(result["failed"]) == [str(broken)] and "pauzes" in result["failed"][str(broken)]
    assert all(sorted((p / "out").glob("*.mp3")) for p in good)
    assert json.loads((catalogue / CATALOGUE_REPORT).read_text(encoding="utf-8"))["failed"] == result["failed"]
    again = render_catalogue(str(catalogue))           # inputs unchanged: nothing is rendered again
    assert sorted(again["unchanged"]) == sorted(str(p) for p in good) and not again["rendered"]


def _gsv_demo(root: Path, voice) -> Path:
    """The demo read by a tiny random GPT-SoVITS voice in fp32, at batch 1 (so any split computes the same)."""
    import shutil
    import tomllib

    import tomli_w
    from typer.testing import CliRunner

    from flows.cli import app

    shutil.copytree(REPO / "projects" / "demo", root, ignore=shutil.ignore_patterns("out", "cache", ".bookvoice"))
    added = CliRunner().invoke(app, ["voice", "add", "tiny", "--gpt", str(voice.gpt), "--sovits", str(voice.sovits),
                                     "--ref", str(voice.reference), "--ref-text", voice.reference_text,
                                     "--project", str(root), "--hubert", str(voice.hubert_dir),
                                     "--bert", str(voice.bert_dir)])
    assert added.exit_code == 0, added.output
    config = tomllib.loads((root / "project.toml").read_text(encoding="utf-8"))
    config["voice"] = {"engine": "gpt-sovits", "profile": "tiny",
                       "settings": {"precision": "fp32", "max_retries": 0, "max_tokens_per_phone": 1.0,
                                    "budget_slack": 0}}
    config["render"] = {**config["render"], "device": "cpu", "gpt_rows": 1, "chunk": 1, "shard_sentences": 5}
    (root / "project.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    return root


def _draft_demo(root: Path) -> Path:
    import shutil

    shutil.copytree(REPO / "projects" / "demo", root, ignore=shutil.ignore_patterns("out", "cache", ".bookvoice"))
    return root


def _entries(project: Path) -> dict[str, int]:
    """Cache entries of a project: content key -> samples."""
    from flows.store.cache import SentenceCache

    cache = SentenceCache(project / "cache")
    return {p.stem: cache.info(p.stem).n_samples for p in (project / "cache").rglob("*.pcm")}


def test_two_workers_render_a_gpt_sovits_book_and_the_draft_demo_like_one_process(tmp_path, farm_server):
    from tests.tiny_voice import build_tiny_voice

    voice = build_tiny_voice(tmp_path / "voice", (REPO / "projects" / "demo" / "book.txt").read_text(encoding="utf-8"))
    single, farm = _gsv_demo(tmp_path / "single", voice), _gsv_demo(tmp_path / "farm", voice)
    draft_single, draft_farm = _draft_demo(tmp_path / "draft-single"), _draft_demo(tmp_path / "draft-farm")
    env = {**os.environ, **farm_server.env(), "PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    for project in (single, draft_single):
        alone = _cli(["render", "-q", str(project)], env)
        assert alone.wait(WAIT_S) == 0, alone.communicate()
    workers = [_cli(["worker", "--device", "cpu"], env) for _ in range(2)]
    try:
        for project in (farm, draft_farm):
            render = _cli(["render", "--farm", "-q", str(project)], env)
            workers.append(render)                     # stopped below even when it times out
            out, err = render.communicate(timeout=WAIT_S)
            assert render.returncode == 0, err
    finally:
        for proc in workers:
            _stop(proc)
    # GPT-SoVITS in fp32: the farm's MP3s are byte-identical to the single process's
    files = sorted(p.name for p in (single / "out").glob("*.mp3"))
    assert len(files) == 3 and files == sorted(p.name for p in (farm / "out").glob("*.mp3"))
    for name in files:
        assert (farm / "out" / name).read_bytes() == (single / "out" / name).read_bytes()
    assert _entries(farm) == _entries(single)
    # eSpeak NG is not sample-exact between calls: the same content keys, durations within 2 %
    alone, farmed = _entries(draft_single), _entries(draft_farm)
    assert alone.keys() == farmed.keys() and len(alone) > 20
    assert all(abs(farmed[k] - n) <= 0.02 * n for k, n in alone.items())
