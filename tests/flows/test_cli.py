"""The ``bookvoice`` CLI as a real process: kill mid-render and resume, and one-line errors for bad input."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.flows.conftest import REPO, write_project
from tests.flows.fake_engine import DELAY_ENV, LOG_ENV, synthesized_keys

BOOK = """第一章　出发

Chen packed his bag on 3 March 2024. 他说：“我们走吧！”
The train left at 7:45. 车上有 120 个人。
Nobody spoke for an hour. 窗外下着雨。

第二章　到达

They reached the harbour at noon. 海很安静。
“Is this the lighthouse?” she asked. 长安点了点头。
The stairs had 312 steps. 他们一级一级地爬上去。
"""


def _bookvoice(args: list[str], server: str, log: Path | None = None, delay_s: float = 0.0,
               **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_API_URL": server, "PYTHONPATH": str(REPO), DELAY_ENV: str(delay_s)}
    if log is not None:
        env[LOG_ENV] = str(log)
    return subprocess.Popen([sys.executable, "-m", "flows.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _run(args: list[str], server: str, log: Path | None = None) -> subprocess.CompletedProcess:
    proc = _bookvoice(args, server, log)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _project(root: Path) -> Path:
    project = write_project(root, None, render={"chunk": 2, "skip_kinds": ["front", "back"]})
    (project / "book.txt").write_text(BOOK, encoding="utf-8")
    return project


def test_killed_render_resumes_without_resynthesis_and_matches_an_uninterrupted_run(tmp_path, prefect_server):
    reference = _project(tmp_path / "reference")
    assert _run(["render", "-q", str(reference)], prefect_server, tmp_path / "reference.log").returncode == 0

    log = tmp_path / "killed.log"
    project = _project(tmp_path / "killed")
    proc = _bookvoice(["render", "-q", str(project)], prefect_server, log, delay_s=0.15, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(synthesized_keys(log)) < 5 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before_kill = synthesized_keys(log)
    cached = {p.stem for p in (project / "cache").rglob("*.pcm")}
    assert 5 <= len(cached) < len(synthesized_keys(tmp_path / "reference.log"))

    resumed = _run(["render", "-q", str(project)], prefect_server, log)
    assert resumed.returncode == 0, resumed.stderr
    after = synthesized_keys(log)[len(before_kill):]
    assert not cached & set(after), "a sentence finished before the kill was synthesised again"
    assert sorted(before_kill + after) == sorted(synthesized_keys(tmp_path / "reference.log"))
    files = sorted(p.name for p in (reference / "out").glob("*.mp3"))
    assert files and files == sorted(p.name for p in (project / "out").glob("*.mp3"))
    for name in files:
        assert (project / "out" / name).read_bytes() == (reference / "out" / name).read_bytes()


@pytest.mark.parametrize("breakage, expected", [
    ("missing_book", "book.txt"),
    ("bad_toml", "project.toml: cannot read"),
    ("bad_voice", "voice.bin: not a fake voice file"),
])
def test_bad_input_prints_one_line_and_exits_2(tmp_path, prefect_server, breakage, expected):
    project = _project(tmp_path / "proj")
    if breakage == "missing_book":
        (project / "book.txt").unlink()
    elif breakage == "bad_toml":
        (project / "project.toml").write_text("[book\npath = ", encoding="utf-8")
    else:
        (project / "voice.bin").write_bytes(b"not a voice")
        text = (project / "project.toml").read_text(encoding="utf-8")
        (project / "project.toml").write_text(text.replace("[voice]\n", '[voice]\nfiles = ["voice.bin"]\n'))
    done = _run(["render", "-q", str(project)], prefect_server)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], done.stderr
    assert not list(project.glob("out/*.mp3"))


def test_disk_full_while_writing_leaves_no_partial_mp3(tmp_path, prefect_server, monkeypatch, capsys):
    import flows.store.fsio
    from flows import cli

    project = _project(tmp_path / "proj")

    def full_disk(fd: int, data: bytes) -> None:
        os.write(fd, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    real_write = flows.store.fsio.write_all
    monkeypatch.setattr(flows.store.fsio, "write_all",
                        lambda fd, data: full_disk(fd, data) if len(data) > 100_000 else real_write(fd, data))
    monkeypatch.setattr(sys, "argv", ["bookvoice", "render", "-q", str(project)])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith(".mp3: cannot write: disk full")
    out_dir = project / "out"
    assert not list(out_dir.glob("*.mp3")) and not list(out_dir.glob(".*partial"))


@pytest.mark.parametrize("args", [["phones", "你好", "--lang", "xx"], ["phones", "hi", "--version", "v3"],
                                  ["no-such-command"]])
def test_usage_errors_exit_2_without_a_traceback(args):
    done = subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
