"""Sentence splitting (pySBD golden rules, Chinese dialogue) and cutting of over-long sentences."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from text_prep.sentences.clauses import SentenceLimits, split_long
from text_prep.sentences.split import split_sentences

UNLIMITED = SentenceLimits(max_cjk_chars=10**6, max_words=10**6)
GOLDEN_PASS_RATE = 0.98


def test_pysbd_english_golden_rules(corpora_dir: Path) -> None:
    rules = [json.loads(line) for line in (corpora_dir / "sbd/pySBD/en_golden_rules.jsonl").read_text().splitlines()]
    failures = [r for r in rules if split_sentences(r["text"], "en", UNLIMITED) != r["expected"]]
    rate = 1 - len(failures) / len(rules)
    print(f"pySBD English golden rules: {len(rules) - len(failures)}/{len(rules)} = {rate:.1%}")
    assert rate >= GOLDEN_PASS_RATE, [r["text"] for r in failures]


def test_pysbd_chinese_golden_rules(corpora_dir: Path) -> None:
    for line in (corpora_dir / "sbd/pySBD/zh_golden_rules.jsonl").read_text().splitlines():
        rule = json.loads(line)
        assert split_sentences(rule["text"], "zh", UNLIMITED) == rule["expected"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("「你好！」他說。「我……我不知道。」", ["「你好！」", "他說。", "「我……我不知道。」"]),
        ("行者道：「師父，你不知道。這裡是山。」八戒笑了。", ["行者道：「師父，你不知道。", "這裡是山。」", "八戒笑了。"]),
        ("“你来了？”他问。“是的。”", ["“你来了？”", "他问。", "“是的。”"]),
        ("『好！』，她說完就走了。", ["『好！』，她說完就走了。"]),
        ("他看了《摔跤吧！爸爸》。然后哭了！", ["他看了《摔跤吧！爸爸》。", "然后哭了！"]),
        ("价格是3.5元。他走了……然后呢？", ["价格是3.5元。", "他走了……然后呢？"]),
        ("他走了.她来了.", ["他走了.", "她来了."]),
    ],
)
def test_chinese_sentences_with_quotes_and_ellipses(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "zh", UNLIMITED) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Watson met Mrs. Hudson on Baker St. The rain fell.",
            ["Dr. Watson met Mrs. Hudson on Baker St.", "The rain fell."],
        ),
        ("It costs 3.50 dollars, e.g. a coffee. Fine.", ["It costs 3.50 dollars, e.g. a coffee.", "Fine."]),
        ("“Stop!” she cried. “Now!” He ran.", ["“Stop!” she cried.", "“Now!”", "He ran."]),
        ("He waited... Then he left.", ["He waited... Then he left."]),
        ("1. Mix it. 2. Bake it.", ["1. Mix it.", "2. Bake it."]),
    ],
)
def test_english_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "en", UNLIMITED) == expected


def test_long_chinese_sentence_is_cut_at_commas_within_the_limit() -> None:
    clause = "他們一路向西走去，"
    sentence = clause * 12 + "終於到了。"
    pieces = split_sentences(sentence, "zh", SentenceLimits(max_cjk_chars=30))
    assert "".join(pieces) == sentence
    assert len(pieces) > 1
    assert all(SentenceLimits(max_cjk_chars=30).load(p) <= 1.0 for p in pieces)
    assert all(p.endswith(("，", "。")) for p in pieces)


def test_long_english_sentence_prefers_semicolons_and_never_cuts_words() -> None:
    sentence = (
        "He walked along the shore for a very long time, looking at the waves; "
        "she stayed at home and read the letters from the old sea captain, "
        "thinking of the voyage and the whales and the storms that had come before."
    )
    pieces = split_long(sentence, SentenceLimits(max_words=25))
    assert pieces[0].endswith("waves;")
    assert " ".join(pieces) == sentence
    assert all(len(p.split()) <= 25 for p in pieces)


def test_sentence_without_punctuation_falls_back_to_word_boundaries() -> None:
    english = " ".join(f"word{i}" for i in range(70))
    pieces = split_long(english, SentenceLimits(max_words=30))
    assert " ".join(pieces) == english and all(len(p.split()) <= 30 for p in pieces)
    chinese = "我们今天去北京天安门广场看升旗仪式然后去吃烤鸭再回家睡觉明天继续努力工作和学习中文"
    pieces = split_long(chinese, SentenceLimits(max_cjk_chars=20))
    assert "".join(pieces) == chinese and len(pieces) > 1
    assert not any(p.endswith("天安") or p.startswith("门") for p in pieces)  # jieba keeps 天安门 whole


def test_limits_are_validated_and_languages_checked() -> None:
    with pytest.raises(ValueError):
        SentenceLimits(max_cjk_chars=0)
    with pytest.raises(ValueError):
        split_sentences("Hi.", "fr")
    assert split_sentences("   ", "en") == []
