"""Tone sandhi rules on words with known citation pinyin (no pinyin model involved)."""
from __future__ import annotations

import pytest

from text_prep.zh.tone_sandhi import Word, apply_sandhi, pre_merge, sandhi_words


def _sandhi(text: str, pinyin: str, pos: str = "x") -> str:
    return " ".join(apply_sandhi(Word(text, pos, tuple(pinyin.split()))).pinyins)


@pytest.mark.parametrize(("text", "citation", "pos", "spoken"), [
    ("你好", "ni3 hao3", "l", "ni2 hao3"),
    ("老鼠", "lao3 shu3", "n", "lao2 shu3"),
    ("展览馆", "zhan3 lan3 guan3", "n", "zhan2 lan2 guan3"),       # 2+1: first two change
    ("小老鼠", "xiao3 lao3 shu3", "n", "xiao3 lao2 shu3"),          # 1+2: the middle changes
    ("很好", "hen3 hao3", "d", "hen2 hao3"),
    ("好吃", "hao3 chi1", "a", "hao3 chi1"),
])
def test_third_tone(text: str, citation: str, pos: str, spoken: str) -> None:
    assert _sandhi(text, citation, pos) == spoken


@pytest.mark.parametrize(("text", "citation", "spoken"), [
    ("一个", "yi1 ge4", "yi2 ge5"),          # yi2 before a (citation) fourth tone; 个 as measure word neutral
    ("一样", "yi1 yang4", "yi2 yang4"),
    ("一天", "yi1 tian1", "yi4 tian1"),
    ("第一", "di4 yi1", "di4 yi1"),
    ("统一", "tong3 yi1", "tong3 yi1"),
    ("看一看", "kan4 yi1 kan4", "kan4 yi5 kan4"),
    ("一九九零", "yi1 jiu3 jiu3 ling2", "yi1 jiu2 jiu3 ling2"),  # digits read out keep yi1
    ("十一", "shi2 yi1", "shi2 yi1"),
    ("一百", "yi1 bai3", "yi4 bai3"),
    ("一万", "yi1 wan4", "yi2 wan4"),
])
def test_yi(text: str, citation: str, spoken: str) -> None:
    assert _sandhi(text, citation) == spoken


@pytest.mark.parametrize(("text", "citation", "spoken"), [
    ("不要", "bu4 yao4", "bu2 yao4"),
    ("不是", "bu4 shi4", "bu2 shi4"),
    ("不好", "bu4 hao3", "bu4 hao3"),
    ("看不懂", "kan4 bu4 dong3", "kan4 bu5 dong3"),
])
def test_bu(text: str, citation: str, spoken: str) -> None:
    assert _sandhi(text, citation) == spoken


@pytest.mark.parametrize(("text", "citation", "pos", "spoken"), [
    ("了", "le5", "ul", "le5"),
    ("了", "liao3", "ul", "liao5"),            # aspect particle even if the source said liao3
    ("着", "zhe2", "uz", "zhe5"),
    ("过", "guo4", "ug", "guo5"),
    ("得", "de2", "ud", "de5"),                # the particle's tone goes neutral
    ("目的", "mu4 di4", "n", "mu4 di4"),       # ...but not 的 inside a word
    ("他们", "ta1 men2", "r", "ta1 men5"),
    ("东西", "dong1 xi1", "n", "dong1 xi5"),   # lexical neutral tone (CC-CEDICT)
    ("桌子", "zhuo1 zi3", "n", "zhuo1 zi5"),
    ("男子", "nan2 zi3", "n", "nan2 zi3"),     # a dictionary word without the neutral tone keeps it
    ("看看", "kan4 kan4", "v", "kan4 kan5"),
    ("人人", "ren2 ren2", "n", "ren2 ren2"),
    ("回来", "hui2 lai2", "v", "hui2 lai5"),
    ("好吧", "hao3 ba1", "x", "hao3 ba5"),
    ("两个", "liang3 ge4", "m", "liang3 ge5"),
])
def test_neutral(text: str, citation: str, pos: str, spoken: str) -> None:
    assert _sandhi(text, citation, pos) == spoken


def test_pre_merge_groups_words_for_the_rules() -> None:
    words = [Word("不", "d", ("bu4",)), Word("懂", "v", ("dong3",)), Word("看", "v", ("kan4",)),
             Word("一", "m", ("yi1",)), Word("看", "v", ("kan4",)), Word("女", "n", ("nv3",)),
             Word("儿", "n", ("er2",))]
    assert [w.text for w in pre_merge(words)] == ["不懂", "看一看", "女儿"]
    assert [w.text for w in pre_merge([Word("我", "r", ("wo3",)), Word("也", "d", ("ye3",))])] == ["我也"]


def test_lexicon_words_are_never_merged_or_changed() -> None:
    fixed = Word("你好", "x", ("ni3", "hao3"), fixed=True)
    assert apply_sandhi(fixed) is fixed
    words = sandhi_words([Word("不", "d", ("bu4",)), fixed])
    assert [w.pinyins for w in words] == [("bu4",), ("ni3", "hao3")]


def test_third_tone_across_words() -> None:
    words = [Word("我", "r", ("wo3",)), Word("也", "d", ("ye3",)), Word("很", "d", ("hen3",)),
             Word("好", "a", ("hao3",))]
    spoken = " ".join(p for w in sandhi_words(words) for p in w.pinyins)
    assert spoken == "wo3 ye2 hen2 hao3"          # 我也很 merged (1+2 split), then 很|好 across words
