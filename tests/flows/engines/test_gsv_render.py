"""The demo book through the GPT-SoVITS path end to end on CPU, with a tiny random voice the test builds.

Random weights never say EOS, so the project caps decoding at about one token per phone and turns
guard retries off; everything else is the production path: voice profile, ingest, front-end with
the reference text conventions, context windows, batched engine, cache, assembly, report.
"""
from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.pipeline.render import run_render
from tests.flows.conftest import REPO
from tests.flows.engines.conftest import demo_with_profile
from tests.tiny_voice import TinyVoice, build_tiny_voice


@pytest.fixture(scope="module")
def tiny_voice(tmp_path_factory) -> TinyVoice:
    return build_tiny_voice(tmp_path_factory.mktemp("voice"),
                            (REPO / "projects" / "demo" / "book.txt").read_text(encoding="utf-8"))


@pytest.fixture
def project(tmp_path, tiny_voice, prefect_server, monkeypatch) -> Path:
    """The demo project read by voice profile "tiny" (added with `bookvoice voice add --project`)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))        # no user voices
    root, _output = demo_with_profile(tmp_path, "tiny", [
        "--gpt", str(tiny_voice.gpt), "--sovits", str(tiny_voice.sovits), "--ref", str(tiny_voice.reference),
        "--ref-text", tiny_voice.reference_text, "--hubert", str(tiny_voice.hubert_dir),
        "--bert", str(tiny_voice.bert_dir)])
    return root


def _mtimes(project: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (project / "out").glob("*.mp3")}


def test_demo_renders_through_gpt_sovits_then_comes_from_the_cache(project, spy):
    totals = run_render(project)
    assert totals["synthesized"] == totals["sentences"] == len(spy.jobs) > 20
    report = json.loads((project / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["engine"]["name"] == "gpt-sovits"
    assert [c["file"] for c in report["chapters"]] == sorted(p.name for p in (project / "out").glob("*.mp3"))
    assert len(report["chapters"]) == 3 and (project / "out" / "report.html").is_file()
    page = CliRunner().invoke(app, ["report", str(project), "--no-open"])
    assert page.exit_code == 0 and page.output.strip() == str(project / "out" / "report.html")
    assert all("no_eos" in f["flags"] for c in report["chapters"] for f in c["flagged"])   # random weights
    # the reference text conventions shaped every line: it ends in punctuation, short ones start with "."
    assert all(job.phones[-1] in ",.!?…-" for job in spy.jobs)
    assert all(len(job.phones) >= 6 or job.phones[0] == "." for job in spy.jobs)
    # context windows carry the neighbours' normalised text (what their own jobs read: no digits left)
    spoken = {job.text for job in spy.jobs}
    windows = [t for job in spy.jobs for t in job.context_before + job.context_after]
    assert windows and set(windows) <= spoken and not any(ch.isdigit() for t in windows for ch in t)

    before = _mtimes(project)
    again = run_render(project)
    assert again["synthesized"] == 0 and again["cached"] == again["sentences"] == totals["sentences"]
    assert len(spy.jobs) == totals["sentences"] and _mtimes(project) == before


def test_a_crashed_render_resumes_without_synthesising_finished_sentences(project, spy):
    spy.crash_after = 11
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_render(project)
    done = {job.key for job in spy.jobs}
    assert len(done) == 11
    spy.crash_after = None
    totals = run_render(project)
    resumed = {job.key for job in spy.jobs[11:]}
    assert totals["synthesized"] == totals["sentences"] - 11 == len(resumed)
    assert not done & resumed


def test_editing_a_sentence_rerenders_it_and_the_sentences_whose_window_holds_it(project, spy):
    run_render(project)
    first = list(spy.jobs)
    book = project / "book.txt"
    text = book.read_text(encoding="utf-8")
    assert text.count("猫没有回答") == 1
    book.write_text(text.replace("猫没有回答", "小猫没有回答"), encoding="utf-8")
    mtimes = _mtimes(project)
    totals = run_render(project)
    redone = spy.jobs[len(first):]
    # chapter 1's fourth sentence changed: itself and the two before and after it (their window holds it)
    assert totals["synthesized"] == 5 == len(redone)
    edited = next(job for job in redone if "小猫" in job.text)
    neighbours = [job for job in redone if job is not edited]
    assert all(any("小猫" in t for t in job.context_before + job.context_after) for job in neighbours)
    after = _mtimes(project)
    changed = {name for name in after if after[name] != mtimes[name]}
    assert len(changed) == 1 and changed.pop().startswith("01-")


def test_rerender_gives_one_sentence_a_new_take(project, spy):
    import flows.pipeline.rerender

    run_render(project)
    n = len(spy.jobs)
    labels = flows.pipeline.rerender.choose_passage(project, chapter=1, match="猫没有回答")
    assert len(labels) == 1
    assert run_render(project, force=labels)["synthesized"] == 1 and len(spy.jobs) == n + 1
    take = spy.jobs[n]
    first = next(job for job in spy.jobs[:n] if job.text == take.text)
    assert take.seed != first.seed and take.key != first.key
    assert run_render(project)["synthesized"] == 0


def test_voice_test_writes_a_wav(project, tmp_path):
    out = tmp_path / "hello.wav"
    result = CliRunner().invoke(app, ["voice", "test", "tiny", "你好，世界。Hello.", "-o", str(out),
                                      "--project", str(project), "--precision", "fp32"])
    assert result.exit_code == 0, result.output
    with wave.open(str(out)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (32000, 1, 2)
        assert wav.getnframes() > 0


def test_new_project_from_a_user_voice_profile(tmp_path, tiny_voice, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    runner = CliRunner()
    added = runner.invoke(app, ["voice", "add", "tiny", "--gpt", str(tiny_voice.gpt), "--sovits",
                                str(tiny_voice.sovits), "--ref", str(tiny_voice.reference), "--ref-text",
                                tiny_voice.reference_text, "--hubert", str(tiny_voice.hubert_dir),
                                "--bert", str(tiny_voice.bert_dir)])
    assert added.exit_code == 0, added.output
    book = REPO / "projects" / "demo" / "book.txt"
    made = runner.invoke(app, ["new", "mybook", "--book", str(book), "--profile", "tiny", "--dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    from flows.config.project import load_project

    project = load_project(tmp_path / "mybook")
    assert project.voice.engine == "gpt-sovits" and project.phone_version == tiny_voice_version(tiny_voice)
    missing = runner.invoke(app, ["new", "other", "--book", str(book), "--profile", "nobody", "--dir", str(tmp_path)])
    assert missing.exit_code != 0 and not (tmp_path / "other").exists()


def tiny_voice_version(voice: TinyVoice) -> str:
    """The phone-table version of the tiny voice's SoVITS file."""
    from tts_engine.loader import load_sovits_file

    return load_sovits_file(voice.sovits).version
