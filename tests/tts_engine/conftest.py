"""Tiny random HuBERT/BERT folders (shrunken copies of the real configs, real tokenizer) and reference clips."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from tts_engine.engine import TextSegment

HUBERT = "chinese-hubert-base"
BERT = "chinese-roberta-wwm-ext-large"


def _shrunk_config(src: Path, **sizes) -> dict:
    """The real config.json with a few sizes replaced (widths the voice files depend on stay)."""
    config = json.loads((src / "config.json").read_text())
    config.update(sizes)
    return config


@pytest.fixture(scope="session")
def tiny_hubert_dir(pretrained_configs_dir: Path, tmp_path_factory) -> Path:
    """A random HubertModel (width 768 as the SoVITS ssl input, one layer) saved with save_pretrained."""
    from transformers import HubertConfig, HubertModel

    config = _shrunk_config(pretrained_configs_dir / HUBERT, num_hidden_layers=1, intermediate_size=64,
                            conv_dim=[32] * 7, num_conv_pos_embeddings=16)
    torch.manual_seed(0)
    model = HubertModel(HubertConfig(**config)).eval()
    out = tmp_path_factory.mktemp("hubert")
    model.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_bert_dir(pretrained_configs_dir: Path, tmp_path_factory) -> Path:
    """A random BertForMaskedLM (width 1024 as the GPT's bert_proj input, 3 layers) plus the real tokenizer."""
    from transformers import BertConfig, BertForMaskedLM

    config = _shrunk_config(pretrained_configs_dir / BERT, num_hidden_layers=3, num_attention_heads=4,
                            intermediate_size=64)
    torch.manual_seed(0)
    model = BertForMaskedLM(BertConfig(**config)).eval()
    out = tmp_path_factory.mktemp("bert")
    model.save_pretrained(out)
    shutil.copy(pretrained_configs_dir / BERT / "tokenizer.json", out / "tokenizer.json")
    return out


@pytest.fixture(scope="session")
def hubert_features(tiny_hubert_dir: Path):
    """The tiny HuBERT loaded through the engine's own loader."""
    from tts_engine.features import HubertFeatures

    return HubertFeatures.load(tiny_hubert_dir)


@pytest.fixture(scope="session")
def bert_features(tiny_bert_dir: Path):
    """The tiny BERT + real tokenizer loaded through the engine's own loader."""
    from tts_engine.features import BertFeatures

    return BertFeatures.load(tiny_bert_dir)


def write_clip(path: Path, seconds: float, rate: int = 44100, channels: int = 2, peak: float = 0.5) -> Path:
    """A deterministic voiced-ish test clip (tones + noise) of the given length, written with soundfile."""
    rng = np.random.default_rng(7)
    t = np.arange(int(round(seconds * rate))) / rate
    tone = np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 410 * t) + 0.1 * rng.standard_normal(t.shape)
    tone = peak * tone / np.abs(tone).max()
    data = np.stack([tone * (1 - 0.2 * c) for c in range(channels)], axis=1)
    sf.write(path, data.astype(np.float32), rate, subtype="FLOAT")
    return path


@pytest.fixture(scope="session")
def reference_wav(tmp_path_factory) -> Path:
    """A 4 s stereo 44.1 kHz clip: inside the 3-10 s window, at a rate that needs resampling."""
    return write_clip(tmp_path_factory.mktemp("ref") / "ref.wav", 4.0)


REF_PHONES = [200, 101, 150, 120, 1]                      # "你好," as v2 ids (values only need to be valid)
REF_SEGMENTS = [TextSegment("zh", "你好,", 5, (2, 2, 1))]


@pytest.fixture(scope="module")
def voice(kit_dir: Path, tiny_hubert_dir: Path, tiny_bert_dir: Path):
    """The kit's tiny v2 GPT/SoVITS with tiny HuBERT/BERT, in float32."""
    from tts_engine.voice import Voice

    tiny = kit_dir / "tiny"
    return Voice.load(tiny / "gpt_tiny_v2.ckpt", tiny / "sovits_tiny_v2.pth", tiny_hubert_dir, tiny_bert_dir)


@pytest.fixture(scope="module")
def prompt(voice, reference_wav: Path):
    """The tiny voice's prompt from the shared reference clip and a short transcript."""
    return voice.prompt_from(reference_wav, REF_PHONES, REF_SEGMENTS)
