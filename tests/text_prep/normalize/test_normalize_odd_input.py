"""Odd input for both normalisers: empty, punctuation only, very long lines, emoji, rare characters."""
from __future__ import annotations

import logging

import pytest

from text_prep.normalize import normalize_en, normalize_zh

BOTH = pytest.mark.parametrize("normalize", [normalize_zh, normalize_en], ids=["zh", "en"])
LONG_LINE_CHARS = 10_000


@BOTH
def test_empty_and_blank(normalize) -> None:
    assert normalize("") == ""
    assert normalize(" \t ") == ""


@BOTH
def test_only_punctuation_is_kept(normalize) -> None:
    assert normalize("...!?") == "...!?"
    assert normalize("。、《》") == "。、《》"


def test_ten_thousand_character_lines() -> None:
    zh = ("共有123人，" * (LONG_LINE_CHARS // 7))[:LONG_LINE_CHARS]
    en = ("We had 123 apples. " * (LONG_LINE_CHARS // 19))[:LONG_LINE_CHARS]
    zh_out, en_out = normalize_zh(zh), normalize_en(en)
    assert "123" not in zh_out and zh_out.count("一百二十三") == zh.count("123")
    assert "123" not in en_out and en_out.count("one hundred and twenty three") == en.count("123")


@BOTH
def test_emoji_are_dropped_with_a_warning(normalize, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="text_prep.normalize.charset"):
        assert normalize("好👍🏽!") == "好!"
    assert "👍" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="text_prep.normalize.charset"):
        normalize("no emoji here")
    assert caplog.text == ""


@BOTH
def test_unpronounceable_symbols_and_controls_are_dropped(normalize) -> None:
    assert normalize("a\u200bb\x07c©★") == "abc"
    assert normalize("keycap 1\ufe0f\u20e3") in ("keycap 一", "keycap one")


def test_rare_characters_are_kept() -> None:
    assert normalize_zh("𠀀𪚥字") == "𠀀𪚥字"  # CJK extension B
    assert normalize_zh("我们안녕雪の花") == "我们안녕雪の花"
    assert normalize_en("café naïve Ωmega") == "café naïve Ωmega"


def test_numbers_too_long_to_count_are_read_digit_by_digit() -> None:
    assert normalize_zh("12345678901234567890") == "幺二三四五六七八九零幺二三四五六七八九零"    # a code
    assert normalize_zh("12345678901234567890个") == "一二三四五六七八九零一二三四五六七八九零个"
    assert normalize_en("9" * 40) == " ".join(["nine"] * 40)
