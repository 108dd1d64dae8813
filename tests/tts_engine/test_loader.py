"""Official voice files: what loads, and the one clear error each bad file gets."""
from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from tts_engine.errors import UnsupportedVoiceError, VoiceFileError
from tts_engine.loader import (
    HEADER_VERSIONS, V1_SYMBOL_COUNT, load_gpt_file, load_sovits_file, load_weights,
)

SOVITS_CONFIG = {"train": {"seed": 1}, "data": {"sampling_rate": 32000},
                 "model": {"hidden_channels": 4, "version": "v2"}}
GPT_CONFIG = {"data": {"max_sec": 54}, "model": {"phoneme_vocab_size": 732, "EOS": 1024}}


def _sovits_weights(symbols: int = 732) -> dict[str, torch.Tensor]:
    return {"enc_p.text_embedding.weight": torch.randn(symbols, 4).half(),
            "dec.conv_pre.weight": torch.randn(8, 4, 7).half()}


def _gpt_weights(prefix: str = "model.", phonemes: int = 732) -> dict[str, torch.Tensor]:
    return {prefix + "ar_text_embedding.word_embeddings.weight": torch.randn(phonemes, 8).half(),
            prefix + "bert_proj.weight": torch.randn(8, 16).half()}


def _save(path: Path, weights: dict, config: object, info: str = "1epoch_2iteration", **extra) -> Path:
    torch.save({"weight": weights, "config": config, "info": info, **extra}, path)
    return path


def _with_header(path: Path, source: Path, header: bytes) -> Path:
    raw = source.read_bytes()
    path.write_bytes(header + raw[2:])
    return path


@pytest.fixture
def sovits_file(tmp_path) -> Path:
    return _save(tmp_path / "voice.pth", _sovits_weights(), SOVITS_CONFIG)


# --- what loads -----------------------------------------------------------------------------------------

def test_sovits_file_loads_float32_with_version_from_embedding_rows(tmp_path, sovits_file):
    ckpt = load_sovits_file(sovits_file)
    assert ckpt.version == "v2" and ckpt.info == "1epoch_2iteration"
    assert ckpt.config == SOVITS_CONFIG
    assert all(w.dtype == torch.float32 for w in ckpt.weights.values())
    v1 = load_sovits_file(_save(tmp_path / "v1.pth", _sovits_weights(V1_SYMBOL_COUNT), SOVITS_CONFIG))
    assert v1.version == "v1"


def test_hparams_config_is_read_without_the_reference_code(tmp_path, monkeypatch):
    """The config is pickled as utils.HParams; it comes back as plain nested dicts."""
    utils = types.ModuleType("utils")

    class HParams:
        def __init__(self, **kwargs):
            for k, v in kwargs.items():
                setattr(self, k, HParams(**v) if isinstance(v, dict) else v)

    HParams.__module__, HParams.__qualname__ = "utils", "HParams"
    utils.HParams = HParams
    monkeypatch.setitem(sys.modules, "utils", utils)
    path = _save(tmp_path / "voice.pth", _sovits_weights(), HParams(**SOVITS_CONFIG, name="x"))
    monkeypatch.delitem(sys.modules, "utils")
    assert load_sovits_file(path).config == {**SOVITS_CONFIG, "name": "x"}


@pytest.mark.parametrize("header, version", [(b"00", "v1"), (b"01", "v2")])
def test_plain_version_markers_are_read(tmp_path, header, version):
    symbols = V1_SYMBOL_COUNT if version == "v1" else 732
    source = _save(tmp_path / "src.pth", _sovits_weights(symbols), SOVITS_CONFIG)
    ckpt = load_sovits_file(_with_header(tmp_path / "marked.pth", source, header))
    assert ckpt.version == version


def test_gpt_file_loses_the_lightning_prefix(tmp_path):
    ckpt = load_gpt_file(_save(tmp_path / "a.ckpt", _gpt_weights(), GPT_CONFIG, info="GPT-e3"))
    assert set(ckpt.weights) == {"ar_text_embedding.word_embeddings.weight", "bert_proj.weight"}
    assert ckpt.version == "v2" and ckpt.info == "GPT-e3" and ckpt.config == GPT_CONFIG
    assert ckpt.weights["bert_proj.weight"].dtype == torch.float32
    v1 = load_gpt_file(_save(tmp_path / "b.ckpt", _gpt_weights(phonemes=512), GPT_CONFIG))
    assert v1.version == "v1"


def test_kit_files_load(kit_dir):
    for version in ("v1", "v2"):
        ckpt = load_sovits_file(kit_dir / "tiny" / f"sovits_tiny_{version}.pth")
        assert ckpt.version == version
        assert {"train", "data", "model"} <= set(ckpt.config)
        assert not any(k.startswith("enc_q.") for k in ckpt.weights)
    gpt = load_gpt_file(kit_dir / "tiny" / "gpt_tiny_v2.ckpt")
    assert gpt.version == "v2" and "bert_proj.weight" in gpt.weights


# --- bad files: one clear error each --------------------------------------------------------------------

def test_truncated_file(tmp_path, sovits_file):
    cut = tmp_path / "cut.pth"
    cut.write_bytes(sovits_file.read_bytes()[: sovits_file.stat().st_size // 2])
    with pytest.raises(VoiceFileError, match="truncated") as err:
        load_sovits_file(cut)
    assert err.value.path == str(cut)


@pytest.mark.parametrize("content", [b"", b"PK", b"hello, this is not a voice", b"PK\x03\x04garbage" * 10])
def test_not_an_archive(tmp_path, content):
    path = tmp_path / "junk.pth"
    path.write_bytes(content)
    with pytest.raises(VoiceFileError):
        load_sovits_file(path)
    with pytest.raises(VoiceFileError):
        load_gpt_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(VoiceFileError, match="cannot read"):
        load_sovits_file(tmp_path / "nope.pth")


def test_gpt_file_given_as_sovits(tmp_path):
    path = _save(tmp_path / "a.ckpt", _gpt_weights(), GPT_CONFIG)
    with pytest.raises(VoiceFileError, match="GPT") as err:
        load_sovits_file(path)
    assert not isinstance(err.value, UnsupportedVoiceError)
    unprefixed = _save(tmp_path / "b.ckpt", _gpt_weights(prefix=""), GPT_CONFIG)
    with pytest.raises(VoiceFileError, match="GPT"):
        load_sovits_file(unprefixed)


def test_sovits_file_given_as_gpt(tmp_path, sovits_file):
    with pytest.raises(VoiceFileError, match="SoVITS"):
        load_gpt_file(sovits_file)
    with pytest.raises(VoiceFileError, match="SoVITS"):
        load_gpt_file(_with_header(tmp_path / "marked.pth", sovits_file, b"01"))


def test_not_a_voice_dict(tmp_path):
    path = tmp_path / "state.pth"
    torch.save({"enc_p.text_embedding.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(VoiceFileError, match="no 'weight'"):
        load_sovits_file(path)


class _RunsCode:
    """Pickles as a call to os.system: what a malicious voice file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("where", ["config", "weight"])
def test_pickle_that_runs_code_is_refused_unexecuted(tmp_path, where):
    marker = tmp_path / "pwned"
    payload = {"weight": _sovits_weights(), "config": SOVITS_CONFIG, "info": "x"}
    payload[where] = _RunsCode(marker)
    torch.save(payload, tmp_path / "evil.pth")
    for load in (load_sovits_file, load_gpt_file):
        with pytest.raises(VoiceFileError, match="system") as err:
            load(tmp_path / "evil.pth")
        assert "malicious" in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize("header", [b"02", b"03", b"04"])
def test_v3_v4_by_header_are_refused_naming_the_supported_versions(tmp_path, sovits_file, header):
    marked = _with_header(tmp_path / "new.pth", sovits_file, header)
    with pytest.raises(UnsupportedVoiceError, match="not supported") as err:
        load_sovits_file(marked)
    message = str(err.value)
    assert HEADER_VERSIONS[header].split()[0] in message
    assert "v1, v2, v2Pro and v2ProPlus" in message and "\n" not in message


@pytest.mark.parametrize("header", [b"05", b"06"])
def test_a_pro_marker_without_the_sv_projection_is_refused(tmp_path, sovits_file, header):
    with pytest.raises(VoiceFileError, match="lacks its sv_emb.weight"):
        load_sovits_file(_with_header(tmp_path / "pro.pth", sovits_file, header))


@pytest.mark.parametrize("version", ["v2Pro", "v2ProPlus"])
def test_kit_pro_voices_read_their_version_from_the_marker(kit_dir, version):
    checkpoint = load_sovits_file(kit_dir / "tiny" / f"sovits_tiny_{version}.pth")
    assert checkpoint.version == version and checkpoint.symbols == "v2" and checkpoint.needs_sv
    assert "sv_emb.weight" in checkpoint.weights


def test_pro_keys_in_a_plain_zip_are_read_as_pro(tmp_path):
    weights = {**_sovits_weights(), "sv_emb.weight": torch.zeros(4, 4), "ge_to512.weight": torch.zeros(4, 4)}
    assert load_sovits_file(_save(tmp_path / "pro.pth", weights, SOVITS_CONFIG)).version == "v2Pro"


def test_v3_family_is_not_supported(tmp_path):
    weights = {"cfm.estimator.weight": torch.zeros(2), "dec.conv_pre.weight": torch.zeros(2)}
    with pytest.raises(UnsupportedVoiceError, match="v3/v4.*not supported"):
        load_sovits_file(_save(tmp_path / "v3.pth", weights, SOVITS_CONFIG))
    with pytest.raises(UnsupportedVoiceError, match="LoRA.*not supported"):
        load_sovits_file(_save(tmp_path / "lora.pth", _sovits_weights(), SOVITS_CONFIG, lora_rank=32))


def test_weights_that_are_not_tensors(tmp_path):
    with pytest.raises(VoiceFileError, match="named tensors"):
        load_sovits_file(_save(tmp_path / "odd.pth", {"enc_p.text_embedding.weight": [1, 2]}, SOVITS_CONFIG))


# --- strict weight loading ------------------------------------------------------------------------------

def test_load_weights_names_missing_unexpected_and_mis_shaped_keys():
    net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    good = {k: torch.ones_like(v) for k, v in net.state_dict().items()}
    load_weights(net, {**good, "enc_q.pre.weight": torch.zeros(1)}, "v.pth", optional_prefixes=("enc_q.",))
    assert torch.equal(net[0].weight, torch.ones(3, 2))

    bad = {**good, "extra.weight": torch.zeros(1), "0.weight": torch.zeros(5, 2)}
    del bad["1.bias"]
    with pytest.raises(VoiceFileError) as err:
        load_weights(net, bad, "v.pth")
    message = str(err.value)
    assert message.startswith("v.pth: ")
    assert "missing weights: 1.bias" in message
    assert "unexpected weights: extra.weight" in message
    assert "0.weight (5, 2)" in message
