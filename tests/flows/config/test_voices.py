"""Voice profiles: adding a voice validates everything at once; profiles load back from TOML."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from flows.config.voices import (
    VoiceProfile,
    VoiceProfileError,
    VoiceReference,
    VoiceValidationError,
    add_voice,
    check_profile,
    find_profile,
    load_profile,
)
from tts_engine.gpt.sampling import SamplingOptions

REF_TEXT = "今天天气很好，我们去公园散步吧。"


def write_wav(path: Path, seconds: float, rate: int = 32000, subtype: str = "PCM_16") -> Path:
    """A speech-like test clip: a few harmonics with a slow envelope, plus a little noise."""
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    wave += 0.1 * np.sin(2 * np.pi * 360 * t) + 0.01 * np.random.default_rng(0).standard_normal(t.size)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), wave.astype(np.float32), rate, subtype=subtype)
    return path


@pytest.fixture
def voice_kit(kit_dir: Path, tmp_path: Path) -> dict[str, Path]:
    """Valid inputs for one voice: the kit's tiny v2 weights, a 5 s clip, tiny base-model folders."""
    hubert = tmp_path / "models" / "chinese-hubert-base"
    bert = tmp_path / "models" / "chinese-roberta-wwm-ext-large"
    hubert.mkdir(parents=True)
    bert.mkdir(parents=True)
    (hubert / "config.json").write_text("{}")
    (bert / "config.json").write_text("{}")
    (bert / "tokenizer.json").write_text("{}")
    voices = tmp_path / "project" / "voices"
    return {
        "gpt": kit_dir / "tiny" / "gpt_tiny_v2.ckpt",
        "sovits": kit_dir / "tiny" / "sovits_tiny_v2.pth",
        "sovits_v1": kit_dir / "tiny" / "sovits_tiny_v1.pth",
        "ref": write_wav(voices / "alice" / "ref.wav", 5.0),
        "hubert": hubert,
        "bert": bert,
        "dest": voices,
    }


def add(kit: dict[str, Path], **changes) -> VoiceProfile:
    args = dict(name="alice", gpt=kit["gpt"], sovits=kit["sovits"], ref=kit["ref"], ref_text=REF_TEXT,
                ref_lang="zh", dest_dir=kit["dest"], hubert_dir=kit["hubert"], bert_dir=kit["bert"])
    args.update(changes)
    return add_voice(**args)


def test_added_voice_is_written_and_loads_back_identically(voice_kit: dict[str, Path]) -> None:
    added = add(voice_kit, sampling=SamplingOptions(top_k=20, temperature=0.8), speed=1.1)
    toml = voice_kit["dest"] / "alice.toml"
    assert added.source == toml and added.version == "v2"
    text = toml.read_text(encoding="utf-8")
    assert 'audio = "alice/ref.wav"' in text, "files inside the voices folder are stored relative to it"
    assert str(voice_kit["gpt"].absolute()) in text, "files elsewhere are stored absolute"
    loaded = load_profile(toml)
    assert loaded == added
    assert loaded.sampling == SamplingOptions(top_k=20, temperature=0.8) and loaded.speed == 1.1
    assert sorted(p.name for p in voice_kit["dest"].iterdir()) == ["alice", "alice.toml"], "no temp files left"


def test_default_sampling_settings_are_the_reference_ones(voice_kit: dict[str, Path]) -> None:
    profile = load_profile(add(voice_kit).source)
    assert (profile.sampling.top_k, profile.sampling.top_p, profile.sampling.temperature,
            profile.sampling.repetition_penalty, profile.speed) == (15, 1.0, 1.0, 1.35, 1.0)


def make_marked(kit: dict[str, Path], tmp: Path, marker: bytes) -> Path:
    data = bytearray(kit["sovits"].read_bytes())
    data[:2] = marker  # the exporter's version marker in place of "PK"
    (tmp / "marked.pth").write_bytes(bytes(data))
    return tmp / "marked.pth"


def unreadable_clip(tmp: Path) -> Path:
    (tmp / "notes.wav").write_text("this is not audio")
    return tmp / "notes.wav"


BAD_INPUTS = {
    "missing GPT file": (lambda kit, tmp: {"gpt": tmp / "nope.ckpt"}, "GPT weights file not found"),
    "1-second clip": (lambda kit, tmp: {"ref": write_wav(tmp / "short.wav", 1.0)}, "clip lasts 1.0 s"),
    "30-second clip": (lambda kit, tmp: {"ref": write_wav(tmp / "long.wav", 30.0)}, "clip lasts 30.0 s"),
    "8-bit clip": (lambda kit, tmp: {"ref": write_wav(tmp / "u8.wav", 5.0, subtype="PCM_U8")}, "sample format PCM_U8"),
    "8 kHz clip": (lambda kit, tmp: {"ref": write_wav(tmp / "phone.wav", 5.0, rate=8000)}, "sample rate 8000 Hz"),
    "unreadable clip": (lambda kit, tmp: {"ref": unreadable_clip(tmp)}, "unreadable audio"),
    "v3 weights": (lambda kit, tmp: {"sovits": make_marked(kit, tmp, b"02")},
                   "v3 voices are not supported .*v1, v2, v2Pro and v2ProPlus"),
    "v2Pro marker on v2 weights": (lambda kit, tmp: {"sovits": make_marked(kit, tmp, b"05")}, "lacks its sv_emb"),
    "GPT v2 with SoVITS v1": (lambda kit, tmp: {"sovits": kit["sovits_v1"]}, "GPT weights are v2 but"),
    "GPT file given as SoVITS": (lambda kit, tmp: {"sovits": kit["gpt"]}, r"this is a GPT \(\.ckpt\) file"),
    "transcript of punctuation": (lambda kit, tmp: {"ref_text": "……！？"}, "gives no spoken phones"),
    "transcript of kana": (lambda kit, tmp: {"ref_text": "こんにちは"}, "gives no spoken phones"),
    "empty transcript": (lambda kit, tmp: {"ref_text": "  "}, "reference transcript is empty"),
    "unknown language": (lambda kit, tmp: {"ref_lang": "fr"}, "reference language must be one of"),
    "BERT folder without tokenizer": (lambda kit, tmp: {"bert": kit["hubert"]}, "not a BERT model folder"),
    "bad name": (lambda kit, tmp: {"name": "../evil"}, "voice name '../evil'"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_each_bad_input_is_rejected_with_one_clear_line(voice_kit: dict[str, Path], tmp_path: Path, case: str) -> None:
    make_changes, expected = BAD_INPUTS[case]
    changes = make_changes(voice_kit, tmp_path)
    renamed = {"bert": "bert_dir"}
    with pytest.raises(VoiceValidationError) as caught:
        add(voice_kit, **{renamed.get(k, k): v for k, v in changes.items()})
    error = caught.value
    assert len(error.problems) == 1, error.problems
    assert re.search(expected, error.problems[0]), error.problems[0]
    assert "\n" not in str(error) and str(error).startswith(str(voice_kit["dest"]))
    assert not list(voice_kit["dest"].glob("*.toml")), "nothing is written for a rejected voice"


def test_every_problem_is_reported_together(voice_kit: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(VoiceValidationError) as caught:
        add(voice_kit, gpt=tmp_path / "missing.ckpt", ref=write_wav(tmp_path / "short.wav", 1.0),
            bert_dir=tmp_path / "no-bert", speed=5.0)
    problems = caught.value.problems
    assert len(problems) == 4, problems
    assert "4 problems" in str(caught.value)


def test_check_profile_notices_files_changed_after_adding(voice_kit: dict[str, Path]) -> None:
    added = add(voice_kit)
    assert check_profile(added) == ()
    toml = added.source
    toml.write_text(toml.read_text().replace('version = "v2"', 'version = "v1"'))
    voice_kit["ref"].unlink()
    problems = check_profile(load_profile(toml))
    assert len(problems) == 2
    assert "reference clip not found" in problems[0] and "names version v1 but its weights are v2" in problems[1]


def test_existing_voice_is_kept_unless_forced(voice_kit: dict[str, Path]) -> None:
    add(voice_kit)
    with pytest.raises(VoiceValidationError, match="already exists"):
        add(voice_kit, speed=1.2)
    assert load_profile(voice_kit["dest"] / "alice.toml").speed == 1.0
    assert add(voice_kit, speed=1.2, overwrite=True).speed == 1.2


# --- loading profiles --------------------------------------------------------------------------

VALID_TOML = """
version = "v2"
gpt = "weights/a.ckpt"
sovits = "/abs/a.pth"
hubert = "../models/hubert"
bert = "../models/bert"

[sampling]
top_k = 5
speed = 0.9

[[reference]]
audio = "refs/one.wav"
text = "你好。"
lang = "zh"

[[reference]]
audio = "refs/two.wav"
text = "Hello there."
lang = "en"
"""


def test_profile_paths_are_taken_from_the_toml_folder(tmp_path: Path) -> None:
    path = tmp_path / "voices" / "bob.toml"
    path.parent.mkdir()
    path.write_text(VALID_TOML, encoding="utf-8")
    profile = load_profile(path)
    assert profile.name == "bob"
    assert profile.gpt == path.parent / "weights" / "a.ckpt" and profile.sovits == Path("/abs/a.pth")
    assert profile.hubert_dir == path.parent / ".." / "models" / "hubert"
    assert [r.lang for r in profile.references] == ["zh", "en"]
    assert profile.sampling == SamplingOptions(top_k=5) and profile.speed == 0.9


@pytest.mark.parametrize("text, expected", [
    ("version = \"v2\"\ngpt = [unclosed", "malformed TOML"),
    (VALID_TOML.replace('version = "v2"', 'version = "v3"'), "version must be one of v1, v2"),
    (VALID_TOML.replace('gpt = "weights/a.ckpt"', "gpt = 3"), "'gpt' must be a str"),
    (VALID_TOML.replace('gpt = "weights/a.ckpt"\n', ""), "missing key 'gpt'"),
    (VALID_TOML.replace("top_k = 5", "top_k = 0"), "top_k must be at least 1"),
    (VALID_TOML.replace("top_k = 5", "top_k = 5.5"), "top_k must be an integer"),
    (VALID_TOML.replace("top_k = 5", "top_q = 5"), r"\[sampling\] unknown key: top_q"),
    (VALID_TOML.replace("speed = 0.9", "speed = 3.0"), "speed must be in"),
    ("colour = 'blue'\n" + VALID_TOML, "unknown key: colour"),
    (VALID_TOML.replace('lang = "en"', 'lang = "en"\nvolume = 3'), r"\[\[reference\]\] unknown key: volume"),
    (VALID_TOML.split("[[reference]]")[0], "needs at least one \\[\\[reference\\]\\]"),
])
def test_bad_profile_is_one_line_naming_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(VoiceProfileError, match=expected) as caught:
        load_profile(path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


def test_project_voices_are_found_before_user_voices(tmp_path: Path) -> None:
    project, user = tmp_path / "project", tmp_path / "user"
    (project / "voices").mkdir(parents=True)
    user.mkdir()
    (user / "bob.toml").write_text(VALID_TOML)
    (user / "eve.toml").write_text(VALID_TOML)
    (project / "voices" / "bob.toml").write_text(VALID_TOML)
    assert find_profile("bob", project, user) == project / "voices" / "bob.toml"
    assert find_profile("eve", project, user) == user / "eve.toml"
    with pytest.raises(VoiceProfileError, match="no such voice") as caught:
        find_profile("zed", project, user)
    assert str(project / "voices") in str(caught.value) and str(user) in str(caught.value)
    with pytest.raises(VoiceProfileError, match="not a voice name"):
        find_profile("../bob", project, user)


def test_profile_values_are_checked_in_one_place() -> None:
    ref = VoiceReference(Path("r.wav"), "你好。", "zh")
    with pytest.raises(ValueError, match="at least one reference"):
        VoiceProfile("a", "v2", Path("g"), Path("s"), Path("h"), Path("b"), ())
    with pytest.raises(ValueError, match="speed"):
        VoiceProfile("a", "v2", Path("g"), Path("s"), Path("h"), Path("b"), (ref,), speed=0.1)


# --- v2Pro voices, the SV model, several clips ----------------------------------------------------

@pytest.fixture(scope="module")
def pro_files(tmp_path_factory) -> dict[str, Path]:
    """A tiny v2Pro SoVITS, a fitting SV model and a v1 GPT (built here: nothing from the kit fits them)."""
    from tests.tiny_voice import GPT_CONFIG, write_gpt, write_sovits_pro, write_sv

    d = tmp_path_factory.mktemp("pro")
    v1_config = {**GPT_CONFIG, "model": {**GPT_CONFIG["model"], "phoneme_vocab_size": 512}}
    return {"sovits": write_sovits_pro(d / "pro.pth"), "sv": write_sv(d / "sv.ckpt"),
            "gpt_v1": write_gpt(d / "v1.ckpt", v1_config)}


def test_a_pro_voice_with_several_clips_is_added_with_its_speaker_cache(voice_kit, pro_files, tmp_path) -> None:
    aux = write_wav(tmp_path / "aux.wav", 4.0)
    added = add(voice_kit, sovits=pro_files["sovits"], sv_model=pro_files["sv"], aux_refs=[aux], calibrate=False)
    assert (added.version, added.model, added.sv_model) == ("v2", "v2Pro", pro_files["sv"])
    assert [r.audio for r in added.references] == [voice_kit["ref"], aux] and added.references[1].text == ""
    text = added.source.read_text(encoding="utf-8")
    assert 'model = "v2Pro"' in text and "sv = " in text and "drift_threshold" not in text
    assert load_profile(added.source) == added
    cache = voice_kit["dest"] / "alice.speaker.npz"
    with np.load(cache) as stored:
        assert stored["sv_vectors"].shape[0] == stored["embeddings"].shape[0] == 2

    from flows.engines.gsv_speaker import load_speaker_vectors

    class Deaf:   # the cache must be used: listening again would fail
        def __getattr__(self, name):
            raise AssertionError("the clips were listened to again")

    vectors = load_speaker_vectors(load_profile(added.source), Deaf())
    assert len(vectors.sv_vectors) == 2 and vectors.sv_vectors[0].shape == (1, 640)


PRO_BAD_INPUTS = {
    "v2Pro without the SV model": (lambda kit, pro, tmp: {"sv_model": None}, "needs the speaker-verification model"),
    "SV checkpoint of the wrong shape": (lambda kit, pro, tmp: {"sv_model": kit["gpt"].parent / "sv_tiny.ckpt"},
                                         "SV checkpoint of the wrong shape: it gives 2560-wide"),
    "2-second extra clip": (lambda kit, pro, tmp: {"aux_refs": [write_wav(tmp / "aux.wav", 2.0)]},
                            "aux.wav: clip lasts 2.0 s; a reference must last 3-10 s"),
    "v2Pro SoVITS with a v1 GPT": (lambda kit, pro, tmp: {"gpt": pro["gpt_v1"]},
                                   "GPT weights are v1 but .* is a v2Pro SoVITS voice"),
    "SV file that is a voice": (lambda kit, pro, tmp: {"sv_model": kit["gpt"]}, "not a speaker-verification"),
}


@pytest.mark.parametrize("case", PRO_BAD_INPUTS)
def test_each_bad_pro_input_is_one_clear_line(voice_kit, pro_files, tmp_path, case) -> None:
    make_changes, expected = PRO_BAD_INPUTS[case]
    changes = {"sovits": pro_files["sovits"], "sv_model": pro_files["sv"], "calibrate": False,
               **make_changes(voice_kit, pro_files, tmp_path)}
    with pytest.raises(VoiceValidationError) as caught:
        add(voice_kit, **changes)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert re.search(expected, caught.value.problems[0]), caught.value.problems[0]
    assert "\n" not in str(caught.value) and not list(voice_kit["dest"].glob("*.toml"))
