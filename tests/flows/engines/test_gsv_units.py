"""GPT-SoVITS in the flow, piece by piece: text conventions, settings, fingerprint, project profiles."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from flows.errors import ProjectError
from flows.engines.gsv import GSVSettings, GSVSpeed, GSVVoiceEngine
from flows.engines.gsv_text import phonemize_target, prompt_text, target_text
from flows.config.project import load_project
from flows.config.voices import VoiceProfileError, load_profile
from tests.flows.conftest import write_project
from tests.tiny_voice import build_tiny_voice
from tts_engine.errors import EngineError

PROFILE = """version = "{version}"
gpt = "{v.gpt}"
sovits = "{v.sovits}"
hubert = "{v.hubert_dir}"
bert = "{v.bert_dir}"

[[reference]]
audio = "{v.reference}"
text = "{v.reference_text}"
lang = "zh"
"""


@pytest.mark.parametrize("text, lang, shaped", [
    ("你好", "auto", "。你好。"),                            # short first clause and no final punctuation
    ("他说：“你好。”", "zh", "。他说：“你好。”。"),             # a closing quote is not final punctuation
    ("今天天气很好，我们出去走走吧。", "auto", "今天天气很好，我们出去走走吧。"),
    ("The sea is calm", "auto", "The sea is calm."),
    ("Hi, there!", "en", ".Hi, there!"),
])
def test_targets_are_shaped_as_the_reference_shapes_them(text, lang, shaped):
    assert target_text(text, lang) == shaped


def test_prompt_text_only_gets_a_final_full_stop():
    assert prompt_text("你好世界", "zh") == "你好世界。" and prompt_text("hello\n", "en") == "hello."
    assert prompt_text("你好，世界！", "zh") == "你好，世界！"


def test_a_target_under_six_phones_is_phonemised_again_after_a_full_stop():
    from text_prep.phones.frontend import phonemize

    seen = []

    def front(text):
        seen.append(text)
        return phonemize(text)

    assert phonemize_target(front, "好", "auto").phones[0] == "."
    assert seen == ["。好。", ".。好。"]
    seen.clear()
    phonemize_target(front, "今天天气很好，我们出去走走吧", "auto")
    assert seen == ["今天天气很好，我们出去走走吧。"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_voice(tmp_path_factory.mktemp("voice"), "你好")


@pytest.fixture
def profile_path(tiny, tmp_path) -> Path:
    path = tmp_path / "voices" / "tiny.toml"
    path.parent.mkdir()
    path.write_text(PROFILE.format(v=tiny, version="v2"), encoding="utf-8")
    return path


@pytest.mark.parametrize("settings, problem", [
    ({"colour": "red"}, "unknown gpt-sovits voice settings: colour"),
    ({"text_context": 1}, "text_context must be bool"),
    ({"text_context": 1}, "text_context must be bool"),
    ({"precision": "int8"}, "precision must be one of"),
    ({"gpt_rows": 16}, "a speed setting, not part of the voice: move it to \\[render\\]"),
    ({"max_tokens_per_phone": 0.5}, "min_tokens_per_phone < max_tokens_per_phone"),
])
def test_bad_settings_are_one_engine_error(settings, problem):
    with pytest.raises(EngineError, match=problem):
        GSVSettings.from_mapping(settings)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_requested_but_absent_falls_back_to_the_cpu_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="flows.engines.gsv"):
        assert GSVSpeed(device="cuda").resolve_device() == torch.device("cpu")
    assert "CUDA was requested" in caplog.text
    assert GSVSpeed(device="auto").resolve_device() == torch.device("cpu")


def test_fingerprint_covers_files_and_settings_without_loading_a_model(profile_path, tiny, monkeypatch):
    import flows.engines.gsv

    monkeypatch.setattr(flows.engines.gsv, "_load_engine", lambda *a: pytest.fail("the fingerprint loaded a model"))
    profile = load_profile(profile_path)
    base = GSVVoiceEngine(profile, GSVSettings())
    assert base.fingerprint() == GSVVoiceEngine(profile, GSVSettings()).fingerprint()
    # speed knobs and the device's spelling never change the key
    for knobs in (GSVSpeed(device="cpu"), GSVSpeed(gpt_rows=64), GSVSpeed(chunk=256), GSVSpeed(device="auto")):
        assert GSVVoiceEngine(profile, GSVSettings(), knobs).fingerprint() == base.fingerprint()
    others = {GSVVoiceEngine(profile, GSVSettings(precision="fp32")).fingerprint(),
              GSVVoiceEngine(profile, GSVSettings(text_context=False)).fingerprint()}
    profile_path.write_text(PROFILE.format(v=tiny, version="v2").replace("走走。", "走走吧。"), encoding="utf-8")
    others.add(GSVVoiceEngine(load_profile(profile_path), GSVSettings()).fingerprint())
    clip = tiny.reference.read_bytes()
    try:
        tiny.reference.write_bytes(clip[:-2] + bytes([clip[-2] ^ 1, clip[-1]]))
        others.add(GSVVoiceEngine(profile, GSVSettings()).fingerprint())
    finally:
        tiny.reference.write_bytes(clip)
    assert len(others) == 4 and base.fingerprint() not in others


def test_project_names_a_profile_and_the_front_end_follows_its_version(tmp_path, profile_path, tiny, monkeypatch):
    from flows.pipeline.workspace import FrontEnd

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    voice = {"engine": "gpt-sovits", "profile": "tiny", "settings": {}}
    root = write_project(tmp_path / "p", None, voice=voice)
    (root / "voices").mkdir()
    (root / "voices" / "tiny.toml").write_text(profile_path.read_text(encoding="utf-8"), encoding="utf-8")
    project = load_project(root)
    assert project.voice.files == (root / "voices" / "tiny.toml",) and project.phone_version == "v2"
    assert FrontEnd.for_project(project).reference_text
    (root / "voices" / "tiny.toml").write_text(PROFILE.format(v=tiny, version="v1"), encoding="utf-8")
    assert load_project(root).phone_version == "v1"
    write_project(root, None, voice=voice, frontend={"version": "v2"})
    with pytest.raises(ProjectError, match="version: v2 does not match voice 'tiny', which is v1"):
        load_project(root)


@pytest.mark.parametrize("voice, error, problem", [
    ({"engine": "draft", "profile": "tiny"}, ProjectError, "voice profiles are for engine"),
    ({"engine": "gpt-sovits", "profile": "tiny", "files": ["a.pth"]}, ProjectError, "a profile or files, not both"),
    ({"engine": "gpt-sovits", "profile": "nobody"}, VoiceProfileError, "no such voice"),
])
def test_bad_profile_settings_are_one_line(tmp_path, monkeypatch, voice, error, problem):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    root = write_project(tmp_path / "p", None, voice=voice)
    with pytest.raises(error, match=problem) as caught:
        load_project(root)
    assert "\n" not in str(caught.value)


def test_models_pull_offline_is_one_line_and_exit_2(monkeypatch, capsys):
    import sys

    import tts_engine.hub
    from flows.cli import main

    def offline(version, models_dir):
        raise tts_engine.hub.HubOfflineError("https://huggingface.co", "cannot reach the Hugging Face Hub")

    monkeypatch.setattr(tts_engine.hub, "pull_models", offline)
    monkeypatch.setattr(sys, "argv", ["bookvoice", "models", "pull", "--version", "v1"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert capsys.readouterr().err == "error: https://huggingface.co: cannot reach the Hugging Face Hub\n"
