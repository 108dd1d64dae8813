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
    while len(list((project / "cache").rglob("*.pcm"))) < 5 and time.monotonic() < deadline and proc.poll() is None:
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
    # only what was in flight (synthesised, not yet stored) may be synthesised again, and only once
    assert len(after) == len(set(after)) and set(after) == set(synthesized_keys(tmp_path / "reference.log")) - cached
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


def test_a_missing_project_folder_is_one_line_and_creates_nothing(tmp_path):
    typo = tmp_path / "projects" / "typo"
    done = subprocess.run([sys.executable, "-m", "flows.cli", "render", "-q", str(typo)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        f"error: {typo / 'project.toml'}: no project.toml here (create one with `bookvoice new`)"]
    assert not typo.exists() and not (tmp_path / "projects").exists()


def test_an_unreachable_prefect_server_is_one_line_and_exit_2(tmp_path):
    project = _project(tmp_path / "proj")
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "flows.cli", "render", "-q", str(project)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: PREFECT_API_URL=http://127.0.0.1:9/api: no Prefect server answers there "
        "(start it, or unset PREFECT_API_URL)"]
    assert not list(project.glob("out/*.mp3"))


@pytest.mark.parametrize("table, key, hint", [("pauses", "sentense_s", "sentence_s"),
                                              ("output", "target_rms_dB", "target_rms_db")])
def test_a_misspelt_key_names_itself_and_the_nearest_valid_one(tmp_path, table, key, hint):
    from flows.config.project import load_project
    from flows.errors import ProjectError

    project = write_project(tmp_path / "proj", None, **{table: {key: 0.5}})
    with pytest.raises(ProjectError, match=rf"\[{table}\] {key}: unknown key \(did you mean '{hint}'\?\)"):
        load_project(project)
    text = (project / "project.toml").read_text(encoding="utf-8").replace(f"{key} = 0.5\n", "")
    (project / "project.toml").write_text(text + "\n[pauzes]\nsentence_s = 0.3\n", encoding="utf-8")
    with pytest.raises(ProjectError, match=r"\[pauzes\]: unknown section \(did you mean 'pauses'\?\)"):
        load_project(project)


def test_new_with_gpt_sovits_weights_points_to_voice_add(tmp_path):
    book = tmp_path / "b.txt"
    book.write_text("第一章\n\n你好。\n", encoding="utf-8")
    for name in ("a.ckpt", "b.pth"):
        (tmp_path / name).write_bytes(b"weights")
    done = subprocess.run([sys.executable, "-m", "flows.cli", "new", "x", "--book", str(book), "--voice",
                           str(tmp_path / "a.ckpt"), "--voice", str(tmp_path / "b.pth"), "--dir", str(tmp_path / "p")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1
    assert lines[0].startswith(f"error: {tmp_path / 'a.ckpt'}: ") and "bookvoice voice add" in lines[0]
    assert not (tmp_path / "p").exists()


def test_report_opens_a_relative_project_path(tmp_path, monkeypatch, capsys):
    import json

    import typer

    from flows import cli

    project = tmp_path / "proj"
    (project / "out").mkdir(parents=True)
    (project / "out" / "report.json").write_text(json.dumps({
        "project": "proj", "book": {"title": "T", "authors": ["A"]}, "rendered_at": "2026-12-01T00:00:00+00:00",
        "engine": {"name": "fake", "fingerprint": "0"}, "totals": {}, "chapters": []}), encoding="utf-8")
    opened = []
    monkeypatch.setattr(typer, "launch", lambda url: opened.append(url))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["bookvoice", "report", "proj"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code in (0, None)
    assert opened == [(project / "out" / "report.html").resolve().as_uri()]
