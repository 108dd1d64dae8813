"""A v2Pro voice through the whole flow on CPU, with tiny random files the test builds (SV model included).

`voice add` with two clips (the SV vectors cached beside the profile, the drift threshold calibrated),
then `render` of the demo, a render from the cache, a resumed render and an incremental re-render,
as for v2 voices; and the speaker-drift guard's flags reaching the report.
"""
from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w

from flows.pipeline.render import run_render
from tests.flows.conftest import REPO
from tests.flows.engines.conftest import demo_with_profile
from tests.tiny_voice import TinyVoice, build_tiny_pro_voice


@pytest.fixture(scope="module")
def pro_voice(tmp_path_factory) -> TinyVoice:
    return build_tiny_pro_voice(tmp_path_factory.mktemp("pro-voice"),
                                (REPO / "projects" / "demo" / "book.txt").read_text(encoding="utf-8"))


@pytest.fixture
def project(tmp_path, pro_voice, prefect_server, monkeypatch) -> Path:
    """The demo project read by v2Pro voice profile "pro" (added with `bookvoice voice add --project`)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    second = tmp_path / "second.wav"
    shutil.copy(pro_voice.reference, second)
    root, output = demo_with_profile(tmp_path, "pro", [
        "--gpt", str(pro_voice.gpt), "--sovits", str(pro_voice.sovits), "--ref", str(pro_voice.reference),
        "--ref", str(second), "--ref-text", pro_voice.reference_text, "--sv", str(pro_voice.sv),
        "--hubert", str(pro_voice.hubert_dir), "--bert", str(pro_voice.bert_dir)])
    assert "v2Pro, drift guard below" in output
    assert (root / "voices" / "pro.toml").is_file() and (root / "voices" / "pro.speaker.npz").is_file()
    return root


def _report(project: Path) -> dict:
    return json.loads((project / "out" / "report.json").read_text(encoding="utf-8"))


def test_pro_profile_records_the_model_the_clips_and_a_calibrated_threshold(project):
    profile = tomllib.loads((project / "voices" / "pro.toml").read_text(encoding="utf-8"))
    assert profile["version"] == "v2" and profile["model"] == "v2Pro" and profile["sv"]
    assert len(profile["reference"]) == 2 and -1 <= profile["drift_threshold"] < 1


def test_demo_renders_with_a_pro_voice_then_resumes_and_rerenders_incrementally(project, spy):
    spy.crash_after = 9
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_render(project)
    done = {job.key for job in spy.jobs}
    spy.crash_after = None
    totals = run_render(project)
    assert totals["synthesized"] == totals["sentences"] - len(done) and not done & {j.key for j in spy.jobs[9:]}
    assert _report(project)["engine"]["name"] == "gpt-sovits" and len(_report(project)["chapters"]) == 3

    again = run_render(project)
    assert again["synthesized"] == 0 and again["cached"] == again["sentences"] == totals["sentences"]

    first = len(spy.jobs)
    book = project / "book.txt"
    book.write_text(book.read_text(encoding="utf-8").replace("猫没有回答", "小猫没有回答"), encoding="utf-8")
    edited = run_render(project)
    assert edited["synthesized"] == 5 == len(spy.jobs) - first


def test_the_drift_guard_flags_reach_the_report_and_its_threshold_is_in_the_cache_key(project, spy):
    first = run_render(project)
    toml = project / "voices" / "pro.toml"
    profile = tomllib.loads(toml.read_text(encoding="utf-8"))
    profile["drift_threshold"] = 1.0          # every take long enough to judge now counts as drifted
    toml.write_text(tomli_w.dumps(profile), encoding="utf-8")
    n = len(spy.jobs)
    totals = run_render(project)
    assert totals["synthesized"] == totals["sentences"] == first["sentences"] == len(spy.jobs) - n
    flagged = [line for c in _report(project)["chapters"] for line in c["flagged"]]
    drift = [f for line in flagged for f in line["flags"] if f.startswith("drift:")]
    assert len(drift) > totals["sentences"] // 2 and all(-1 <= float(f.split(":")[1]) < 1 for f in drift)
    assert drift[0] in (project / "out" / "report.html").read_text(encoding="utf-8")
