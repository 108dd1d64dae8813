"""HuBERT and BERT feature paths on tiny random models saved as local folders."""
from __future__ import annotations

import pytest
import torch

from tts_engine.engine import TextSegment
from tts_engine.errors import VoiceFileError
from tts_engine.features import BertFeatures, HubertFeatures, TextFeatureError


@pytest.fixture
def hubert(hubert_features) -> HubertFeatures:
    return hubert_features


@pytest.fixture
def bert(bert_features) -> BertFeatures:
    return bert_features


def test_hubert_pads_0_6_s_and_gives_the_reference_frame_count(hubert):
    n = 48000
    wave = 0.1 * torch.randn(n, generator=torch.Generator().manual_seed(0))
    ssl = hubert(wave)
    assert ssl.shape == (1, 768, (n + 9600 - 400) // 320 + 1)
    padded = hubert.model(torch.cat([wave, torch.zeros(9600)]).unsqueeze(0))["last_hidden_state"]
    torch.testing.assert_close(ssl, padded.transpose(1, 2))


def test_bert_takes_the_third_last_layer_per_character_repeated_by_word2ph(bert):
    seg = TextSegment(lang="zh", norm_text="你好,", n_phones=5, word2ph=(2, 2, 1))
    features = bert([seg])
    assert features.shape == (1024, 5)
    tokens = bert.tokenizer("你好,", return_tensors="pt")
    with torch.no_grad():
        layers = bert.model(**tokens, output_hidden_states=True).hidden_states
    rows = layers[-3][0, 1:-1]
    torch.testing.assert_close(features, rows[[0, 0, 1, 1, 2]].T)
    assert not torch.allclose(features, layers[-1][0, 1:-1][[0, 0, 1, 1, 2]].T)


def test_non_chinese_segments_get_zeros_in_order(bert):
    zh = TextSegment(lang="zh", norm_text="好", n_phones=2, word2ph=(2,))
    en = TextSegment(lang="en", norm_text="hello", n_phones=4)
    features = bert([en, zh, en])
    assert features.shape == (1024, 10)
    assert torch.count_nonzero(features[:, :4]) == 0 and torch.count_nonzero(features[:, 6:]) == 0
    torch.testing.assert_close(features[:, 4:6], bert([zh]))


def test_misaligned_word2ph_is_an_error(bert):
    with pytest.raises(TextFeatureError, match="word2ph"):
        bert([TextSegment(lang="zh", norm_text="你好", n_phones=3, word2ph=(2, 2))])


def test_a_missing_model_folder_is_a_voice_file_error(tmp_path):
    with pytest.raises(VoiceFileError, match="not found"):
        HubertFeatures.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VoiceFileError, match="cannot load"):
        BertFeatures.load(tmp_path / "empty")
