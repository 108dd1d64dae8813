"""Citation pinyin: polyphones in context, citation tones, passthrough, CLI format, CPP floor."""
from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from text_prep.zh.polyphone_dict import PhraseDictionary, char_readings, to_tone3
from text_prep.zh.polyphone_lstm import _ArraysOnlyUnpickler
from text_prep.zh.polyphone_rules import rule_readings
from text_prep.zh.pinyin import (
    CharEvidence, Method, PinyinConverter, PinyinOptions, _model_chunks, citation_pinyin_line, decide,
    sentence_pinyin, word_pinyin,
)


@pytest.mark.parametrize("text, expected", [
    ("长大", "zhang3 da4"),
    ("长度", "chang2 du4"),
    ("长公主", "zhang3 gong1 zhu3"),
    ("银行", "yin2 hang2"),
    ("行走", "xing2 zou3"),
    ("重要", "zhong4 yao4"),
    ("重复", "chong2 fu4"),
    ("了解", "liao3 jie3"),
    ("好了", "hao3 le5"),
    ("看着", "kan4 zhe5"),
    ("着急", "zhao2 ji2"),
    ("地方", "di4 fang1"),
    ("慢慢地", "man4 man4 de5"),
])
def test_classic_polyphones_in_words(text: str, expected: str) -> None:
    assert citation_pinyin_line(text) == expected


@pytest.mark.parametrize("text, index, expected", [
    ("他很着急地跑了过去。", 2, "zhao2"),
    ("他慢慢地走了。", 3, "de5"),
    ("这块地很大。", 2, "di4"),
    ("他在银行工作，每天步行上班。", 3, "hang2"),
    ("他在银行工作，每天步行上班。", 10, "xing2"),
    ("我们终于了解了事情的经过。", 4, "liao3"),
    ("我们终于了解了事情的经过。", 6, "le5"),
    ("这个问题很重要，不要重复犯错。", 5, "zhong4"),
    ("这个问题很重要，不要重复犯错。", 10, "chong2"),
])
def test_polyphones_in_sentences(text: str, index: int, expected: str) -> None:
    assert sentence_pinyin(text)[index] == expected


@pytest.mark.parametrize("text, expected", [
    ("一个", ["yi1", "ge4"]),          # pypinyin's phrase data writes yi2 (after sandhi)
    ("不对", ["bu4", "dui4"]),         # ... and bu2
    ("看不见", ["kan4", "bu4", "jian4"]),
    ("一样", ["yi1", "yang4"]),
])
def test_citation_tones_before_sandhi(text: str, expected: list[str]) -> None:
    assert sentence_pinyin(text) == expected


def test_non_chinese_characters_pass_through_one_token_each() -> None:
    line = "我用GPU，好!"
    tokens = citation_pinyin_line(line).split(" ")
    assert tokens == ["wo3", "yong4", "G", "P", "U", "，", "hao3", "!"]
    assert sentence_pinyin("GPU 3.5") == [None] * 7


def test_empty_and_punctuation_only() -> None:
    assert sentence_pinyin("") == []
    assert citation_pinyin_line("") == ""
    assert citation_pinyin_line("。！？") == "。 ！ ？"


def test_every_character_gets_a_reading_or_none() -> None:
    text = "东西南北，ABC，一二三。" * 3
    result = sentence_pinyin(text)
    assert len(result) == len(text)
    assert all((r is None) != ("\u4e00" <= ch <= "\u9fff") for ch, r in zip(text, result))
    assert all(r is None or r[-1] in "12345" for r in result)


def test_long_line_is_cut_into_model_passes_and_keeps_length() -> None:
    text = ("他慢慢地走了过去，看着远处的银行。" * 600)[:10_000]
    result = sentence_pinyin(text)
    assert len(result) == len(text)
    assert result[:4] == sentence_pinyin("他慢慢地走了过去，看着远处的银行。")[:4]


def test_model_chunks_cover_text_within_limit() -> None:
    text = "甲乙。" * 50 + "丙" * 300
    spans = _model_chunks(text, 64)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert all(0 < end - start <= 64 for start, end in spans)
    assert spans[0][1] % 3 == 0          # the first cut falls after a 。


def test_word_pinyin_groups_by_word_and_checks_the_words() -> None:
    assert word_pinyin(["银行", "行长"]) == [["yin2", "hang2"], ["hang2", "zhang3"]]
    assert word_pinyin([]) == []
    with pytest.raises(ValueError):
        from text_prep.zh.pinyin import default_converter
        default_converter().evidence("银行", words=["银"])


def test_precedence_rule() -> None:
    model = {"zhang3": 0.9995, "chang2": 0.0005}
    always = PinyinOptions()  # the default: dictionaries that agree on the word always win
    unsure_only = PinyinOptions(model_trust_prob=0.999)
    agreed = CharEvidence("长", "chang2", "chang2", "zhang3", model)
    assert decide(agreed, always) == ("chang2", Method.DICTIONARY_OVER_MODEL)
    assert decide(agreed, unsure_only) == ("zhang3", Method.MODEL)  # the model is sure enough
    # one dictionary alone, or two that disagree, never overrule the model at the "both" level
    curated_only = CharEvidence("长", "chang2", None, "zhang3", model)
    assert decide(curated_only, always) == ("zhang3", Method.MODEL)
    assert decide(curated_only, PinyinOptions(dictionary_evidence="agree")) == ("chang2", Method.DICTIONARY_OVER_MODEL)
    disagree = CharEvidence("长", "chang2", "zhang3", "zhang3", model)
    assert decide(disagree, PinyinOptions(dictionary_evidence="agree")) == ("zhang3", Method.MODEL)
    # a dictionary reading the model does not know for the character leaves the choice to the model
    odd = CharEvidence("长", "zang4", "zang4", "zhang3", model)
    assert decide(odd, always) == ("zhang3", Method.MODEL)
    # characters the model does not score: grammar rule, curated phrase, fallback, default
    assert decide(CharEvidence("地", None, None, "di4", {}, rule="de5"), always) == ("de5", Method.PHRASE)
    assert decide(CharEvidence("长", None, "chang2", "zhang3"), always) == ("chang2", Method.FALLBACK)
    assert decide(CharEvidence("西", None, None, "xi1"), always) == ("xi1", Method.DEFAULT)
    assert decide(CharEvidence("A", None, None, None), always) == (None, Method.NONE)


def test_skipping_settled_characters_does_not_change_readings() -> None:
    converter = PinyinConverter()
    text = "他在银行工作，每天步行上班，着急地了解长大以后的事情。"
    fast = converter.decide_all(converter.evidence(text))
    full = converter.decide_all(converter.evidence(text, score_all=True))
    assert [r for r, _ in fast] == [r for r, _ in full]


def test_uncertain_readings_name_the_alternatives() -> None:
    converter = PinyinConverter()
    text = "他在银行工作，每天步行上班。"
    assert converter.uncertain(text, below=0.0) == []
    flagged = converter.uncertain(text, below=1.01)  # every model-scored polyphone
    assert flagged and all(0.0 <= u.confidence <= 1.0 for u in flagged)
    for u in flagged:
        assert text[u.index] == u.char and u.reading not in dict(u.alternatives)
        assert list(dict(u.alternatives).values()) == sorted(dict(u.alternatives).values(), reverse=True)


def test_options_are_validated() -> None:
    with pytest.raises(ValueError):
        PinyinOptions(phrase_sources=("nope",))
    with pytest.raises(ValueError):
        PinyinOptions(model_trust_prob=0.0)
    with pytest.raises(ValueError, match="dictionary_evidence"):
        PinyinOptions(dictionary_evidence="sometimes")


def test_tone3_conversion_and_char_readings() -> None:
    assert [to_tone3(p) for p in ("zhǎng", "lǘ", "nǚ", "ma", "ér")] == ["zhang3", "lv2", "nv3", "ma5", "er2"]
    assert char_readings("长")[:2] == ("zhang3", "chang2")
    assert char_readings("一") == ("yi1",)
    assert char_readings("A") == ()


def test_phrase_pieces_cover_an_unlisted_word() -> None:
    phrases = PhraseDictionary(("pypinyin",), max_word_len=8)
    assert phrases.lookup("英国首相") is None
    # 首相 is listed, 英国 is not (no polyphone in it): pieces read what is listed
    assert phrases.cover("英国首相") == [None, None, "shou3", "xiang4"]


def test_particle_de_rule() -> None:
    assert rule_readings("他慢慢地走，突然地停下，习惯性地回头") == {3: "de5", 8: "de5", 15: "de5"}
    assert rule_readings("地上有地图") == {}


def test_model_pickles_refuse_code() -> None:
    evil = pickle.dumps(print)   # a global outside numpy's array constructors
    with pytest.raises(pickle.UnpicklingError):
        _ArraysOnlyUnpickler(io.BytesIO(evil)).load()


def test_cli_prints_one_line_per_input_line() -> None:
    result = CliRunner().invoke(app, ["pinyin"], input="长大\n\nA不\n")
    assert result.exit_code == 0
    assert result.output == "zhang3 da4\n\nA bu4\n"


def test_cpp_dev_slice_accuracy_floor(corpora_dir: Path) -> None:
    folder = corpora_dir / "polyphone"
    sents = (folder / "cpp_dev.sent").read_text(encoding="utf-8").splitlines()[::25]
    golds = (folder / "cpp_dev.lb").read_text(encoding="utf-8").splitlines()[::25]
    right = 0
    for sent, gold in zip(sents, golds):
        index = sent.index("▁")
        right += sentence_pinyin(sent.replace("▁", ""))[index] == gold.strip().replace("u:", "v")
    assert right / len(sents) >= 0.96, f"{right}/{len(sents)}"


def test_default_options_can_be_replaced_and_restored() -> None:
    from text_prep.zh.pinyin import default_converter, set_default_options, uncertain_readings

    try:
        set_default_options(PinyinOptions(use_model=False))
        assert default_converter().options.use_model is False
        assert uncertain_readings("他在银行工作。") == []  # nothing is model-scored
    finally:
        set_default_options(PinyinOptions())
    assert default_converter().options == PinyinOptions()
