"""Language segmentation: Chinese vs English runs, numbers and symbols given to the right side."""
from __future__ import annotations

import pytest

from text_prep.phones.langseg import LangRun, segment


def _runs(text: str, default: str = "zh") -> list[tuple[str, str]]:
    return [(r.lang, r.text) for r in segment(text, default)]


@pytest.mark.parametrize(("text", "expected"), [
    ("你好 GPU", [("zh", "你好 "), ("en", "GPU")]),
    ("我用ChatGPT写了3篇文章。", [("zh", "我用"), ("en", "ChatGPT"), ("zh", "写了3篇文章。")]),
    ("GPT-4很强", [("en", "GPT-4"), ("zh", "很强")]),
    ("H100的价格是$100", [("en", "H100"), ("zh", "的价格是$100")]),
    ("I have 3 apples, 你呢？", [("en", "I have 3 apples, "), ("zh", "你呢？")]),
    ("第3章 The End", [("zh", "第3章 "), ("en", "The End")]),
])
def test_mixed_text(text: str, expected: list[tuple[str, str]]) -> None:
    assert _runs(text) == expected


def test_numbers_keep_their_units_and_follow_the_glued_word() -> None:
    assert _runs("速度是3.5km/h，面积10m²") == [("zh", "速度是3.5km/h，面积10m²")]
    assert _runs("I ran 5km today", "zh") == [("en", "I ran 5km today")]
    assert _runs("RTX 4090显卡") == [("en", "RTX "), ("zh", "4090显卡")]


def test_default_decides_lonely_numbers_and_symbols() -> None:
    assert _runs("100", "zh") == [("zh", "100")]
    assert _runs("100", "en") == [("en", "100")]
    assert _runs("！？", "en") == [("en", "！？")]


def test_full_width_letters_are_english_and_odd_input() -> None:
    assert _runs("５Ｇ网络") == [("zh", "5G网络")]
    assert _runs("ＧＰＵ") == [("en", "GPU")]
    assert segment("") == []
    assert _runs("🙂你好🙂") == [("zh", "🙂你好🙂")]
    assert segment("x" * 10_000 + "中" * 10_000) == [LangRun("en", "x" * 10_000), LangRun("zh", "中" * 10_000)]
    with pytest.raises(ValueError):
        segment("abc", default="ja")
